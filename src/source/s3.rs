//! Scanning straight from S3: layout-aware listing, many GETs in flight,
//! streamed into the same decode workers as local files.
//!
//! - **Listing** walks the CloudTrail layout with delimiter listings
//!   (`AWSLogs/[o-ID/]ACCOUNT/CloudTrail/REGION/`), descends only into the
//!   accounts and regions asked for, and with `--since`/`--until` lists only
//!   the day prefixes that can hold the range (keys carry the delivery
//!   date, so the range is widened by the delivery skew). Listings run in
//!   parallel and stream into the fetcher: nothing holds the whole bucket.
//! - **Fetching** keeps up to `concurrency` GetObject requests in flight.
//!   Each body streams through a small bounded channel to a decode worker,
//!   so memory is bounded by the concurrency, not by the bucket. Throttling
//!   and transient errors are retried by the SDK's standard retry mode; an
//!   object that still fails is reported by key and the scan goes on.
//! - **Fatal errors** (access denied on the listing, no such bucket, bad
//!   credentials, an unreachable endpoint) end the scan with one message.

use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::Client;
use bytes::Bytes;
use chrono::{Days, NaiveDate, Utc};
use futures::stream::{self, StreamExt};
use tokio::sync::{mpsc, Semaphore};

use super::keys::FUTURE_SLACK_SECONDS;
use super::{KeyInfo, ListingError, ObjectRef};
use crate::detect::Detector;
use crate::scan::{self, Fetched, Progress, Requests, ScanOptions, ScanReport, Totals};

/// `s3://bucket/prefix`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Url {
    /// Bucket name.
    pub bucket: String,
    /// Key prefix (may be empty).
    pub prefix: String,
}

impl S3Url {
    /// Parse `s3://bucket[/prefix]`; None when it is not an S3 URL.
    pub fn parse(s: &str) -> Option<Result<S3Url, String>> {
        let rest = s.strip_prefix("s3://")?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Some(Err(format!("{s}: no bucket name")));
        }
        Some(Ok(S3Url {
            bucket: bucket.to_owned(),
            prefix: prefix.to_owned(),
        }))
    }
}

/// How to reach S3.
#[derive(Debug, Clone)]
pub struct S3Options {
    /// Region of the bucket (else the configuration chain's).
    pub region: Option<String>,
    /// Named profile.
    pub profile: Option<String>,
    /// Custom endpoint (S3-compatible servers, VPC endpoints).
    pub endpoint_url: Option<String>,
    /// Path-style addressing (`endpoint/bucket/key`).
    pub path_style: bool,
    /// Anonymous requests (public buckets).
    pub no_sign: bool,
    /// GetObject requests in flight, and listings in parallel.
    pub concurrency: usize,
    /// Attempts per request, retries included.
    pub max_attempts: u32,
    /// First retry backoff.
    pub initial_backoff: Duration,
}

impl Default for S3Options {
    fn default() -> Self {
        S3Options {
            region: None,
            profile: None,
            endpoint_url: None,
            path_style: false,
            no_sign: false,
            concurrency: 32,
            max_attempts: 5,
            initial_backoff: Duration::from_millis(200),
        }
    }
}

/// A failure that ends the scan.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct S3Error(pub String);

/// Why a listing failed, and whether the scan can go on without it.
fn classify<E: ProvideErrorMetadata + std::error::Error + 'static>(
    err: SdkError<E>,
    what: &str,
) -> (bool, String) {
    let code = err.code().unwrap_or_default().to_owned();
    let fatal = matches!(
        code.as_str(),
        "AccessDenied"
            | "AllAccessDisabled"
            | "NoSuchBucket"
            | "InvalidAccessKeyId"
            | "SignatureDoesNotMatch"
            | "ExpiredToken"
            | "InvalidToken"
            | "TokenRefreshRequired"
            | "PermanentRedirect"
            | "AuthorizationHeaderMalformed"
    ) || matches!(
        err,
        SdkError::DispatchFailure(_) | SdkError::ConstructionFailure(_)
    );
    let why = match code.as_str() {
        "AccessDenied" | "AllAccessDisabled" => format!("{what}: access denied ({})", err.message().unwrap_or("AccessDenied")),
        "NoSuchBucket" => format!("{what}: the bucket does not exist"),
        "InvalidAccessKeyId" | "SignatureDoesNotMatch" | "ExpiredToken" | "InvalidToken" | "TokenRefreshRequired" => format!(
            "{what}: the credentials were refused ({code}); check AWS_PROFILE / --profile, or use --no-sign-request for a public bucket"
        ),
        "PermanentRedirect" | "AuthorizationHeaderMalformed" => format!(
            "{what}: the bucket is in another region; pass --bucket-region"
        ),
        _ => {
            // The SDK's full context ends with a Debug dump; keep the sentence.
            let full = DisplayErrorContext(&err).to_string();
            let short = full.split(" (").next().unwrap_or(&full).trim().to_owned();
            let lower = full.to_ascii_lowercase();
            if lower.contains("credentials") {
                format!(
                    "{what}: no usable AWS credentials ({short}); set AWS_PROFILE or --profile, or use --no-sign-request for a public bucket"
                )
            } else if matches!(err, SdkError::DispatchFailure(_)) {
                let cause = ["connection refused", "dns error", "timed out", "certificate"]
                    .into_iter()
                    .find(|c| lower.contains(c))
                    .unwrap_or(&short);
                format!("{what}: cannot reach the S3 endpoint ({cause})")
            } else {
                format!("{what}: {short}")
            }
        }
    };
    (fatal, why)
}

/// Build a client from the standard configuration chain and the options.
pub async fn client(opts: &S3Options) -> Client {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
    if let Some(r) = &opts.region {
        loader = loader.region(aws_config::Region::new(r.clone()));
    }
    if let Some(p) = &opts.profile {
        loader = loader.profile_name(p);
    }
    if let Some(e) = &opts.endpoint_url {
        loader = loader.endpoint_url(e);
    }
    if opts.no_sign {
        loader = loader.no_credentials();
    }
    let shared = loader.load().await;
    let mut b = aws_sdk_s3::config::Builder::from(&shared).retry_config(
        aws_sdk_s3::config::retry::RetryConfig::standard()
            .with_max_attempts(opts.max_attempts.max(1))
            .with_initial_backoff(opts.initial_backoff),
    );
    if shared.region().is_none() {
        // Listing needs some region to sign with; us-east-1 answers for
        // every bucket with a redirect naming the right one.
        b = b.region(aws_config::Region::new("us-east-1"));
    }
    if opts.path_style {
        b = b.force_path_style(true);
    }
    Client::from_conf(b.build())
}

/// Where in the CloudTrail layout a prefix is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Level {
    /// Above `AWSLogs/` (a custom prefix, or the bucket root).
    Explore,
    /// `AWSLogs/` or `AWSLogs/o-ID/`: accounts below.
    AwsLogs,
    /// `AWSLogs/ACCOUNT/`: services below.
    Account,
    /// `.../CloudTrail/`: regions below.
    Regions,
    /// `.../CloudTrail/REGION/`: dates below.
    Dates,
    /// Everything below, listed flat.
    Flat,
}

fn is_account(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_org(s: &str) -> bool {
    s.len() > 2 && s.starts_with("o-") && s[2..].bytes().all(|b| b.is_ascii_alphanumeric())
}

/// The level of a user-given prefix.
fn start_level(prefix: &str) -> Level {
    if prefix.is_empty() {
        return Level::Explore;
    }
    if !prefix.ends_with('/') {
        return Level::Flat;
    }
    let mut level = Level::Explore;
    for c in prefix.trim_end_matches('/').split('/') {
        level = next_level(&level, c).unwrap_or(Level::Flat);
    }
    level
}

/// The level of child `name` (a path component) of a `level` prefix; None
/// when it is not CloudTrail's.
fn next_level(level: &Level, name: &str) -> Option<Level> {
    Some(match level {
        Level::Explore if name == "AWSLogs" => Level::AwsLogs,
        Level::Explore => Level::Explore,
        Level::AwsLogs if is_org(name) => Level::AwsLogs,
        Level::AwsLogs if is_account(name) => Level::Account,
        // Digest and Insights folders are listed too (by day when a range
        // is given), so they are counted and skipped exactly as in a local
        // scan of the same objects.
        Level::Account
            if matches!(
                name,
                "CloudTrail" | "CloudTrail-Digest" | "CloudTrail-Insight"
            ) =>
        {
            Level::Regions
        }
        Level::Regions => Level::Dates,
        Level::Dates | Level::Flat => Level::Flat,
        _ => return None,
    })
}

/// The day prefixes (`YYYY/MM/DD/`) whose objects can hold events in the
/// window; None when the window is open at the start.
fn days(opts: &ScanOptions) -> Option<Vec<String>> {
    let w = &opts.window;
    let since = w.since?;
    let first = (since - w.skew).date_naive();
    let last = match w.until {
        Some(u) => (u + w.skew + chrono::Duration::seconds(FUTURE_SLACK_SECONDS)).date_naive(),
        None => Utc::now().date_naive() + Days::new(1),
    };
    let mut out = Vec::new();
    let mut d: NaiveDate = first;
    while d <= last {
        out.push(d.format("%Y/%m/%d/").to_string());
        d = d + Days::new(1);
    }
    Some(out)
}

struct Lister {
    client: Client,
    bucket: String,
    opts: ScanOptions,
    list_calls: Arc<AtomicU64>,
    objects: mpsc::Sender<ObjectRef>,
    errors: Arc<Mutex<Vec<ListingError>>>,
}

impl Lister {
    /// One listing of `prefix` (all pages). Objects are sent on; child
    /// prefixes returned when `delimited`.
    async fn list(&self, prefix: &str, delimited: bool) -> Result<Vec<String>, S3Error> {
        let mut children = Vec::new();
        let mut token = None;
        loop {
            let mut req = self
                .client
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(prefix)
                .set_continuation_token(token.take());
            if delimited {
                req = req.delimiter("/");
            }
            self.list_calls.fetch_add(1, Ordering::Relaxed);
            let page = match req.send().await {
                Ok(p) => p,
                Err(e) => {
                    let (fatal, why) =
                        classify(e, &format!("listing s3://{}/{prefix}", self.bucket));
                    if fatal {
                        return Err(S3Error(why));
                    }
                    self.errors
                        .lock()
                        .expect("not poisoned")
                        .push(ListingError {
                            location: format!("s3://{}/{prefix}", self.bucket),
                            reason: why,
                        });
                    return Ok(children);
                }
            };
            for o in page.contents() {
                let Some(key) = o.key() else { continue };
                // As when walking local folders: only JSON objects.
                if !(key.ends_with(".json.gz") || key.ends_with(".json")) {
                    continue;
                }
                let obj = ObjectRef {
                    location: format!("s3://{}/{key}", self.bucket),
                    path: PathBuf::from(key),
                    size: o.size().unwrap_or(0).max(0) as u64,
                    key: KeyInfo::parse(key),
                };
                if self.objects.send(obj).await.is_err() {
                    return Ok(children);
                }
            }
            children.extend(
                page.common_prefixes()
                    .iter()
                    .filter_map(|p| p.prefix().map(str::to_owned)),
            );
            match page.next_continuation_token() {
                Some(t) if page.is_truncated() == Some(true) => token = Some(t.to_owned()),
                _ => break,
            }
        }
        Ok(children)
    }

    /// List `prefix` at `level`; returns the child prefixes to visit next.
    async fn visit(&self, prefix: String, level: Level) -> Result<Vec<(String, Level)>, S3Error> {
        match level {
            Level::Flat => {
                self.list(&prefix, false).await?;
                Ok(vec![])
            }
            Level::Dates => match days(&self.opts) {
                Some(days) => Ok(days
                    .into_iter()
                    .map(|d| (format!("{prefix}{d}"), Level::Flat))
                    .collect()),
                None => {
                    self.list(&prefix, false).await?;
                    Ok(vec![])
                }
            },
            _ => {
                let children = self.list(&prefix, true).await?;
                Ok(children
                    .into_iter()
                    .filter_map(|child| {
                        let name = child[prefix.len()..].trim_end_matches('/').to_owned();
                        let next = next_level(&level, &name)?;
                        let wanted = |want: &[String]| want.is_empty() || want.contains(&name);
                        let keep = match next {
                            Level::Account => wanted(&self.opts.accounts),
                            Level::Dates => wanted(&self.opts.regions),
                            _ => true,
                        };
                        keep.then_some((child, next))
                    })
                    .collect())
            }
        }
    }
}

/// List every URL level by level, `parallel` listings at a time.
async fn list_all(lister: Arc<Lister>, urls: Vec<S3Url>, parallel: usize) -> Result<(), S3Error> {
    let mut frontier: Vec<(String, Level)> = urls
        .into_iter()
        .map(|u| {
            let l = start_level(&u.prefix);
            (u.prefix, l)
        })
        .collect();
    while !frontier.is_empty() {
        let results: Vec<Result<Vec<(String, Level)>, S3Error>> = stream::iter(frontier)
            .map(|(p, l)| {
                let lister = Arc::clone(&lister);
                async move { lister.visit(p, l).await }
            })
            .buffer_unordered(parallel.max(1))
            .collect()
            .await;
        frontier = Vec::new();
        for r in results {
            frontier.extend(r?);
        }
        // Deterministic order of the next level's requests.
        frontier.sort();
    }
    Ok(())
}

/// Reads one object's body as it streams in.
struct ChunkReader {
    rx: mpsc::Receiver<Result<Bytes, String>>,
    cur: Bytes,
}

impl Read for ChunkReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.cur.is_empty() {
            match self.rx.blocking_recv() {
                Some(Ok(b)) => self.cur = b,
                Some(Err(e)) => return Err(io::Error::other(e)),
                None => return Ok(0),
            }
        }
        let n = out.len().min(self.cur.len());
        out[..n].copy_from_slice(&self.cur[..n]);
        self.cur = self.cur.slice(n..);
        Ok(n)
    }
}

/// Chunks buffered per object between the network and its decode worker.
const CHUNKS_PER_OBJECT: usize = 8;

/// Scan every object under `urls` (one bucket); the report counts the
/// requests made.
pub fn scan(
    urls: &[S3Url],
    s3: &S3Options,
    det: &Detector,
    opts: &ScanOptions,
    progress: &dyn Progress,
) -> Result<ScanReport, S3Error> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| S3Error(format!("cannot start the I/O runtime: {e}")))?;
    let client = rt.block_on(client(s3));
    let concurrency = s3.concurrency.max(1);
    // Objects: lister -> scheduler; fetched streams: scheduler -> workers.
    let (obj_tx, mut obj_rx) = mpsc::channel::<ObjectRef>(4096);
    let (work_tx, work_rx) = mpsc::channel::<Fetched>(concurrency);
    let mut buckets: Vec<&S3Url> = urls.iter().collect();
    buckets.dedup_by(|a, b| a.bucket == b.bucket);
    if buckets.len() > 1 {
        return Err(S3Error("one bucket per scan: the URLs name several".into()));
    }
    let bucket = urls.first().map(|u| u.bucket.clone()).unwrap_or_default();
    let list_calls = Arc::new(AtomicU64::new(0));
    let list_errors = Arc::new(Mutex::new(Vec::new()));
    // The lister owns the only object sender: the channel closes, and the
    // scheduler and then the workers finish, when the listing ends.
    let lister = Arc::new(Lister {
        client: client.clone(),
        bucket: bucket.clone(),
        opts: opts.clone(),
        list_calls: Arc::clone(&list_calls),
        objects: obj_tx,
        errors: Arc::clone(&list_errors),
    });
    let listing = rt.spawn(list_all(lister, urls.to_vec(), concurrency));
    let gets = Arc::new(AtomicU64::new(0));
    let scheduler = {
        let opts = opts.clone();
        let gets = Arc::clone(&gets);
        rt.spawn(async move {
            let permits = Arc::new(Semaphore::new(concurrency));
            let mut pre = Totals::default();
            // Skipped objects: (count, stored bytes), for the progress bar.
            let mut skipped = (0u64, 0u64);
            while let Some(obj) = obj_rx.recv().await {
                pre.objects_listed += 1;
                if let Some(r) = scan::skip_reason(&obj, &opts) {
                    pre.skip(r);
                    skipped = (skipped.0 + 1, skipped.1 + obj.size);
                    continue;
                }
                let permit = Arc::clone(&permits)
                    .acquire_owned()
                    .await
                    .expect("never closed");
                let (client, bucket, tx) = (client.clone(), bucket.clone(), work_tx.clone());
                gets.fetch_add(1, Ordering::Relaxed);
                tokio::spawn(async move {
                    let _permit = permit;
                    let key = obj.path.to_string_lossy().into_owned();
                    let resp = client.get_object().bucket(&bucket).key(&key).send().await;
                    let mut body = match resp {
                        Ok(r) => r.body,
                        Err(e) => {
                            let why = match e.code() {
                                Some("NoSuchKey") => {
                                    "NoSuchKey: the object disappeared between listing and fetch"
                                        .to_owned()
                                }
                                _ => classify(e, "GetObject").1,
                            };
                            let _ = tx.send((obj, Err(why))).await;
                            return;
                        }
                    };
                    let (ctx, crx) = mpsc::channel(CHUNKS_PER_OBJECT);
                    let reader: Box<dyn Read + Send> = Box::new(ChunkReader {
                        rx: crx,
                        cur: Bytes::new(),
                    });
                    if tx.send((obj, Ok(reader))).await.is_err() {
                        return;
                    }
                    while let Some(chunk) = body.next().await {
                        let item = chunk.map_err(|e| {
                            format!("download interrupted: {}", DisplayErrorContext(&e))
                        });
                        let failed = item.is_err();
                        if ctx.send(item).await.is_err() || failed {
                            return;
                        }
                    }
                });
            }
            (pre, skipped)
        })
    };
    let work_rx = Mutex::new(work_rx);
    let next = || work_rx.lock().expect("not poisoned").blocking_recv();
    // Workers run until every sender (scheduler and fetch tasks) is gone.
    let report = scan::scan_queue(&next, Totals::default(), det, opts, progress);
    let listed = rt
        .block_on(listing)
        .map_err(|e| S3Error(format!("listing task failed: {e}")))?;
    let (pre, skipped) = rt
        .block_on(scheduler)
        .map_err(|e| S3Error(format!("fetch task failed: {e}")))?;
    listed?;
    progress.bytes(skipped.1);
    for _ in 0..skipped.0 {
        progress.object_done();
    }
    let mut pre = pre;
    pre.errors.extend(
        list_errors
            .lock()
            .expect("not poisoned")
            .drain(..)
            .map(|e| scan::ErrorEntry {
                object: e.location,
                reason: e.reason,
            }),
    );
    let mut report = scan::merge_into(report, pre);
    report.requests = Some(Requests {
        list_calls: list_calls.load(Ordering::Relaxed),
        get_calls: gets.load(Ordering::Relaxed),
    });
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_levels() {
        assert_eq!(
            S3Url::parse("s3://b/AWSLogs/").unwrap().unwrap(),
            S3Url {
                bucket: "b".into(),
                prefix: "AWSLogs/".into()
            }
        );
        assert_eq!(S3Url::parse("s3://b").unwrap().unwrap().prefix, "");
        assert!(S3Url::parse("s3:///x").unwrap().is_err());
        assert!(S3Url::parse("/local").is_none());
        assert_eq!(start_level(""), Level::Explore);
        assert_eq!(start_level("custom/"), Level::Explore);
        assert_eq!(start_level("AWSLogs/"), Level::AwsLogs);
        assert_eq!(start_level("AWSLogs/o-abc123def4/"), Level::AwsLogs);
        assert_eq!(
            start_level("p/AWSLogs/o-abc123def4/111122223333/"),
            Level::Account
        );
        assert_eq!(
            start_level("AWSLogs/111122223333/CloudTrail/"),
            Level::Regions
        );
        assert_eq!(
            start_level("AWSLogs/111122223333/CloudTrail/eu-west-1/"),
            Level::Dates
        );
        assert_eq!(
            start_level("AWSLogs/111122223333/CloudTrail/eu-west-1/2026/"),
            Level::Flat
        );
        assert_eq!(start_level("AWSLogs/1111"), Level::Flat);
        assert_eq!(
            next_level(&Level::Account, "CloudTrail-Digest"),
            Some(Level::Regions)
        );
        assert_eq!(next_level(&Level::Account, "vpcflowlogs"), None);
    }

    #[test]
    fn day_prefixes_cover_the_window_and_the_skew() {
        let mut o = ScanOptions::default();
        assert!(days(&o).is_none());
        o.window.since = Some("2026-11-01T00:30:00Z".parse().unwrap());
        o.window.until = Some("2026-11-03T00:00:00Z".parse().unwrap());
        assert_eq!(
            days(&o).unwrap(),
            ["2026/10/31/", "2026/11/01/", "2026/11/02/", "2026/11/03/"]
        );
    }
}
