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
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::Client;
use bytes::Bytes;
use futures::stream::{self, StreamExt};
use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinHandle;

use super::inventory::Manifest;
use super::keys::Level;
use super::{
    Fetched, KeyInfo, Listed, ListingError, Location, ObjectRef, Objects, OpenError, Opened,
    Requests, Selection, Source, SourceError,
};
use crate::progress::Progress;

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
    /// The scheme in any case (`S3://`); `s3:/x` or `s3:x` is refused as
    /// a mistyped URL rather than read as a local path.
    pub fn parse(s: &str) -> Option<Result<S3Url, String>> {
        let scheme = s.get(..5).filter(|p| p.eq_ignore_ascii_case("s3://"));
        let rest = match scheme {
            Some(_) => &s[5..],
            None if s.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("s3:")) => {
                return Some(Err(format!(
                    "{s}: not an S3 URL; write s3://bucket/prefix (or ./{s} for a local path)"
                )))
            }
            None => return None,
        };
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

/// GetObject requests in flight unless told otherwise.
pub const DEFAULT_S3_CONCURRENCY: usize = 32;
/// Attempts per request, retries included, unless told otherwise.
pub const DEFAULT_S3_MAX_ATTEMPTS: u32 = 5;

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
    /// List the objects from this S3 Inventory `manifest.json` (an
    /// `s3://` URL, or a local copy of the inventory) instead of the bucket.
    pub manifest: Option<String>,
    /// With `manifest`: also list the days since the inventory was taken.
    pub manifest_delta: bool,
}

impl Default for S3Options {
    fn default() -> Self {
        S3Options {
            region: None,
            profile: None,
            endpoint_url: None,
            path_style: false,
            no_sign: false,
            concurrency: DEFAULT_S3_CONCURRENCY,
            max_attempts: DEFAULT_S3_MAX_ATTEMPTS,
            initial_backoff: Duration::from_millis(200),
            manifest: None,
            manifest_delta: false,
        }
    }
}

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
        _ if matches!(err, SdkError::ServiceError(_)) => {
            // An answer without an S3 error code (an empty 404 from a
            // proxy, a load balancer's HTML): name what came back.
            use aws_sdk_s3::operation::RequestId;
            let status = err
                .raw_response()
                .map_or("no status".to_owned(), |r| format!("HTTP {}", r.status().as_u16()));
            let id = err
                .request_id()
                .map_or(String::new(), |id| format!(", request ID {id}"));
            let message = err
                .message()
                .map_or("no S3 error in the response body".to_owned(), str::to_owned);
            format!("{what}: {status}{id}: {message}")
        }
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
                // The host the request went to, from the SDK's context.
                let host = full
                    .split(|c: char| c.is_whitespace() || c == '"' || c == '(' || c == ')')
                    .find(|w| w.starts_with("http://") || w.starts_with("https://"))
                    .map_or(String::new(), |u| format!(" {}", u.trim_end_matches([',', '.'])));
                format!("{what}: cannot reach the S3 endpoint{host} ({cause})")
            } else {
                format!("{what}: {short}")
            }
        }
    };
    (fatal, why)
}

/// Where a client's requests go, in words: the endpoint (`--endpoint-url`,
/// or S3's regional one) and the region the requests are signed for.
fn endpoint_named(opts: &S3Options, client: &Client) -> String {
    match (&opts.endpoint_url, client.config().region()) {
        (Some(e), Some(r)) => format!("endpoint {e}, region {r}"),
        (Some(e), None) => format!("endpoint {e}, no region"),
        (None, Some(r)) => format!("endpoint https://s3.{r}.amazonaws.com, region {r}"),
        (None, None) => "S3's endpoint, no region".to_owned(),
    }
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

struct Lister {
    client: Client,
    bucket: String,
    sel: Selection,
    list_calls: Arc<AtomicU64>,
    objects: mpsc::Sender<ObjectRef>,
    errors: Arc<Mutex<Vec<ListingError>>>,
    /// Keys an inventory already named (a delta listing skips them).
    seen: Option<Arc<std::collections::HashSet<String>>>,
    /// The prefixes asked for: a failure to list one of them ends the
    /// scan (nothing under it could be read), whatever the error.
    roots: Vec<String>,
    /// Where the requests go, for error messages: the endpoint and region.
    at: Arc<str>,
}

impl Lister {
    /// One listing of `prefix` (all pages). Objects are sent on; child
    /// prefixes returned when `delimited`.
    async fn list(&self, prefix: &str, delimited: bool) -> Result<Vec<String>, SourceError> {
        let mut children = Vec::new();
        let mut token = None;
        loop {
            let mut req = self
                .client
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(prefix)
                // A key with a character XML 1.0 cannot carry (a control
                // character) would make the whole page unparseable and hide
                // every key beside it: ask S3 to URL-encode keys instead.
                .encoding_type(aws_sdk_s3::types::EncodingType::Url)
                .set_continuation_token(token.take());
            if delimited {
                req = req.delimiter("/");
            }
            self.list_calls.fetch_add(1, Ordering::Relaxed);
            let page = match req.send().await {
                Ok(p) => p,
                Err(e) => {
                    let (fatal, why) = classify(
                        e,
                        &format!("listing s3://{}/{prefix} ({})", self.bucket, self.at),
                    );
                    if fatal || self.roots.iter().any(|r| r == prefix) {
                        return Err(SourceError::Remote(why));
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
                let key = &url_decode(key);
                // As when walking local folders: only JSON objects.
                if !super::keys::is_log_name(key) {
                    continue;
                }
                if self.seen.as_ref().is_some_and(|s| s.contains(key.as_str())) {
                    continue;
                }
                let obj = ObjectRef {
                    location: Location::S3 {
                        bucket: self.bucket.clone(),
                        key: key.to_owned(),
                    },
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
                    .filter_map(|p| p.prefix().map(url_decode)),
            );
            match page.next_continuation_token() {
                Some(t) if page.is_truncated() == Some(true) => token = Some(t.to_owned()),
                _ => break,
            }
        }
        Ok(children)
    }

    /// List `prefix` at `level`; returns the child prefixes to visit next.
    async fn visit(
        &self,
        prefix: String,
        level: Level,
    ) -> Result<Vec<(String, Level)>, SourceError> {
        match level {
            Level::Flat => {
                self.list(&prefix, false).await?;
                Ok(vec![])
            }
            Level::Dates => match self.sel.day_prefixes() {
                // A shard lists only the days it owns: the day prefixes,
                // where the objects are, are listed once over all shards.
                Some(days) => Ok(days
                    .into_iter()
                    .map(|d| format!("{prefix}{d}"))
                    .filter(|p| self.sel.shard.is_none_or(|s| s.owns_day_prefix(p)))
                    .map(|p| (p, Level::Flat))
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
                        let name = child[prefix.len()..].trim_end_matches('/');
                        let next = level.child(name)?;
                        self.sel.descends(&next, name).then_some((child, next))
                    })
                    .collect())
            }
        }
    }
}

/// Read an inventory's `manifest.json`, from S3 or from a local copy.
async fn read_manifest(client: &Client, at: &str) -> Result<Manifest, SourceError> {
    let bytes = read_inventory_file(client, at, None).await?;
    Manifest::parse(&bytes).map_err(|e| SourceError::Remote(format!("--manifest {at}: {e}")))
}

/// One inventory file: `at` itself (an `s3://` URL or a path), or with
/// `key` the data file of that key, from the manifest's destination bucket
/// (an `s3://` manifest) or beside a local copy.
async fn read_inventory_file(
    client: &Client,
    at: &str,
    key: Option<(&str, &str)>,
) -> Result<Vec<u8>, SourceError> {
    let fail = |what: &str, why: String| SourceError::Remote(format!("--manifest: {what}: {why}"));
    let (bucket, object) = match (S3Url::parse(at), key) {
        (Some(Ok(u)), None) => (u.bucket, u.prefix),
        (Some(Ok(_)), Some((bucket, k))) => (bucket.to_owned(), k.to_owned()),
        (Some(Err(e)), _) => return Err(fail(at, e)),
        (None, None) => return std::fs::read(at).map_err(|e| fail(at, e.to_string())),
        (None, Some((_, k))) => {
            let path = local_data_file(std::path::Path::new(at), k).ok_or_else(|| {
                fail(
                    k,
                    format!("not found beside {at} (copy the inventory's data/ folder with it)"),
                )
            })?;
            return std::fs::read(&path)
                .map_err(|e| fail(&path.display().to_string(), e.to_string()));
        }
    };
    let what = format!("s3://{bucket}/{object}");
    let resp = client
        .get_object()
        .bucket(&bucket)
        .key(&object)
        .send()
        .await
        .map_err(|e| fail(&what, classify(e, "GetObject").1))?;
    let body = resp.body.collect().await.map_err(|e| {
        fail(
            &what,
            format!("download interrupted: {}", DisplayErrorContext(&e)),
        )
    })?;
    Ok(body.to_vec())
}

/// Where a data file of a local inventory copy is: the longest tail of
/// its key found under one of the manifest's folders' ancestors.
fn local_data_file(manifest: &std::path::Path, key: &str) -> Option<std::path::PathBuf> {
    let parts: Vec<&str> = key
        .split('/')
        .filter(|p| !p.is_empty() && *p != "..")
        .collect();
    for dir in manifest.ancestors().skip(1) {
        for i in 0..parts.len() {
            let p = parts[i..].iter().fold(dir.to_path_buf(), |p, c| p.join(c));
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// Send the objects an inventory lists under `urls`, one data file at a
/// time; with `delta`, then list the days since it was taken, skipping the
/// keys it named.
async fn inventory_all(
    lister: Arc<Lister>,
    manifest: Manifest,
    at: String,
    urls: Vec<S3Url>,
    delta: bool,
    parallel: usize,
) -> Result<(), SourceError> {
    let recent_from = (manifest.created - chrono::Duration::days(2)).date_naive();
    let mut recent = std::collections::HashSet::new();
    let manifest = Arc::new(manifest);
    let urls = Arc::new(urls);
    for file in &manifest.files {
        let data = read_inventory_file(
            &lister.client,
            &at,
            Some((&manifest.destination_bucket, file)),
        )
        .await?;
        // The rows are read on a blocking thread and sent on as they come
        // (blocking_send waits for the scan to take them): memory is the
        // data file and the channel, not the file's list.
        let (m, objects, bucket, wanted) = (
            Arc::clone(&manifest),
            lister.objects.clone(),
            lister.bucket.clone(),
            Arc::clone(&urls),
        );
        let read = tokio::task::spawn_blocking(move || {
            let mut recent = Vec::new();
            let mut closed = false;
            let got = m.each_listed(data, &mut |l| {
                if !wanted.iter().any(|u| l.key.starts_with(&u.prefix))
                    || !super::keys::is_log_name(&l.key)
                {
                    return true;
                }
                let info = KeyInfo::parse(&l.key);
                let day = info.day.or(info.delivered.map(|t| t.date_naive()));
                if delta && day.is_none_or(|d| d >= recent_from) {
                    recent.push(l.key.clone());
                }
                let obj = ObjectRef {
                    location: Location::S3 {
                        bucket: bucket.clone(),
                        key: l.key,
                    },
                    size: l.size,
                    key: info,
                };
                closed = objects.blocking_send(obj).is_err();
                !closed
            });
            (got, recent, closed)
        })
        .await;
        let fail = |e: String| SourceError::Remote(format!("--manifest: {file}: {e}"));
        let (got, got_recent, closed) = read.map_err(|e| fail(e.to_string()))?;
        got.map_err(fail)?;
        recent.extend(got_recent);
        if closed {
            return Ok(());
        }
    }
    if !delta {
        return Ok(());
    }
    // The days since the inventory: a day before it, to today.
    let mut sel = lister.sel.clone();
    let from = manifest.created - chrono::Duration::days(1);
    sel.window.since = Some(sel.window.since.map_or(from, |s| s.max(from)));
    let delta_lister = Arc::new(Lister {
        client: lister.client.clone(),
        bucket: lister.bucket.clone(),
        sel,
        list_calls: Arc::clone(&lister.list_calls),
        objects: lister.objects.clone(),
        errors: Arc::clone(&lister.errors),
        seen: Some(Arc::new(recent)),
        roots: lister.roots.clone(),
        at: Arc::clone(&lister.at),
    });
    drop(lister);
    list_all(delta_lister, urls.to_vec(), parallel).await
}

/// List every URL level by level, `parallel` listings at a time.
async fn list_all(
    lister: Arc<Lister>,
    urls: Vec<S3Url>,
    parallel: usize,
) -> Result<(), SourceError> {
    let mut frontier: Vec<(String, Level)> = urls
        .into_iter()
        .map(|u| {
            let l = Level::of_prefix(&u.prefix);
            (u.prefix, l)
        })
        .collect();
    while !frontier.is_empty() {
        let results: Vec<Result<Vec<(String, Level)>, SourceError>> = stream::iter(frontier)
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

/// A key or prefix of a listing made with `encoding-type=url`: S3 encodes
/// it as a form value (`+` for a space, `%XX` for the rest), as the AWS
/// SDKs that decode it read it.
pub(crate) fn url_decode(s: &str) -> String {
    let plus = s.replace('+', " ");
    percent_encoding::percent_decode_str(&plus)
        .decode_utf8_lossy()
        .into_owned()
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

/// The objects under one or more `s3://` URLs of one bucket.
#[derive(Debug, Clone)]
pub struct S3Source {
    urls: Vec<S3Url>,
    opts: S3Options,
}

impl S3Source {
    /// A source reading `urls` (one bucket) with `opts`.
    pub fn new(urls: Vec<S3Url>, opts: S3Options) -> Result<Self, SourceError> {
        let mut buckets: Vec<&str> = urls.iter().map(|u| u.bucket.as_str()).collect();
        buckets.dedup();
        if buckets.len() > 1 {
            return Err(SourceError::Remote(
                "one bucket per scan: the URLs name several".into(),
            ));
        }
        Ok(S3Source { urls, opts })
    }
}

impl Source for S3Source {
    fn fetch(&self, objects: &[ObjectRef], limit: usize) -> Vec<Result<Fetched, OpenError>> {
        let rt = match tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
        {
            Ok(rt) => rt,
            Err(e) => {
                let why = format!("cannot start the I/O runtime: {e}");
                return objects
                    .iter()
                    .map(|_| Err(OpenError::Fetch(why.clone())))
                    .collect();
            }
        };
        rt.block_on(async {
            let client = client(&self.opts).await;
            let one = |o: &ObjectRef| {
                let client = client.clone();
                let loc = o.location.clone();
                async move {
                    let Location::S3 { bucket, key } = &loc else {
                        unreachable!("an S3 listing holds S3 objects only")
                    };
                    let resp = client
                        .get_object()
                        .bucket(bucket)
                        .key(key)
                        .send()
                        .await
                        .map_err(|e| match e.code() {
                            Some("NoSuchKey") => OpenError::Fetch(
                                "NoSuchKey: the object disappeared between listing and fetch"
                                    .to_owned(),
                            ),
                            _ => OpenError::Fetch(classify(e, "GetObject").1),
                        })?;
                    if resp.content_length().unwrap_or(0) as u64 > limit as u64 {
                        return Err(OpenError::TooLarge(limit));
                    }
                    let signature = resp.metadata().and_then(|m| m.get("signature")).cloned();
                    let body = resp.body.collect().await.map_err(|e| {
                        OpenError::Fetch(format!(
                            "download interrupted: {}",
                            DisplayErrorContext(&e)
                        ))
                    })?;
                    let stored = body.to_vec();
                    if stored.len() > limit {
                        return Err(OpenError::TooLarge(limit));
                    }
                    Ok(Fetched {
                        stored,
                        signature,
                        from_sidecar: false,
                    })
                }
            };
            stream::iter(objects.iter().map(one))
                .buffered(self.opts.concurrency.max(1))
                .collect()
                .await
        })
    }

    fn describe(&self) -> Vec<String> {
        self.urls
            .iter()
            .map(|u| format!("s3://{}/{}", u.bucket, u.prefix))
            .collect()
    }

    fn objects<'a>(
        &'a self,
        sel: &'a Selection,
        progress: &'a dyn Progress,
    ) -> Result<Box<dyn Objects + 'a>, SourceError> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| SourceError::Remote(format!("cannot start the I/O runtime: {e}")))?;
        let client = rt.block_on(client(&self.opts));
        let concurrency = self.opts.concurrency.max(1);
        // Objects: lister -> scheduler; opened streams: scheduler -> workers.
        let (obj_tx, obj_rx) = mpsc::channel::<ObjectRef>(4096);
        let (work_tx, work_rx) = mpsc::channel::<Opened>(concurrency);
        let bucket = self
            .urls
            .first()
            .map(|u| u.bucket.clone())
            .unwrap_or_default();
        let list_calls = Arc::new(AtomicU64::new(0));
        let list_errors = Arc::new(Mutex::new(Vec::new()));
        // The lister owns the only object sender: the channel closes, and
        // the scheduler and then the workers finish, when the listing ends.
        let lister = Arc::new(Lister {
            client: client.clone(),
            bucket: bucket.clone(),
            sel: sel.clone(),
            list_calls: Arc::clone(&list_calls),
            objects: obj_tx,
            errors: Arc::clone(&list_errors),
            seen: None,
            roots: self.urls.iter().map(|u| u.prefix.clone()).collect(),
            at: endpoint_named(&self.opts, &client).into(),
        });
        let mut notes = Vec::new();
        let listing = match &self.opts.manifest {
            Some(m) => {
                let manifest = rt.block_on(read_manifest(&lister.client, m))?;
                notes.push(format!(
                    "objects listed from the S3 Inventory taken {}{}",
                    manifest.created.format("%Y-%m-%dT%H:%M:%SZ"),
                    if self.opts.manifest_delta {
                        ", and the days since listed (--manifest-delta)".to_owned()
                    } else {
                        format!(": objects delivered since are not read (add --manifest-delta, or scan --since {} by listing)", manifest.created.format("%Y-%m-%d"))
                    }
                ));
                if manifest.source_bucket != bucket {
                    return Err(SourceError::Remote(format!(
                        "--manifest {m}: the inventory lists bucket {}, not {bucket}",
                        manifest.source_bucket
                    )));
                }
                rt.spawn(inventory_all(
                    lister,
                    manifest,
                    m.clone(),
                    self.urls.clone(),
                    self.opts.manifest_delta,
                    concurrency,
                ))
            }
            None => rt.spawn(list_all(lister, self.urls.clone(), concurrency)),
        };
        let gets = Arc::new(AtomicU64::new(0));
        let scheduler = rt.spawn(schedule(
            obj_rx,
            work_tx,
            Fetcher {
                client,
                bucket,
                sel: sel.clone(),
                concurrency,
                gets: Arc::clone(&gets),
            },
        ));
        Ok(Box::new(S3Objects {
            work_rx: Mutex::new(work_rx),
            tasks: Mutex::new(Some((rt, listing, scheduler))),
            list_calls,
            gets,
            list_errors,
            progress,
            notes,
        }))
    }
}

/// What the scheduler needs to fetch objects.
struct Fetcher {
    client: Client,
    bucket: String,
    sel: Selection,
    concurrency: usize,
    gets: Arc<AtomicU64>,
}

/// Objects counted by the scheduler: listed, skipped by key (with their
/// stored bytes, for the progress bar).
#[derive(Default)]
struct Scheduled {
    listed: Listed,
    skipped_bytes: u64,
}

/// Take listed objects, skip what the selection rules out, and keep up to
/// `concurrency` GETs in flight, each body streamed to a worker.
async fn schedule(
    mut objects: mpsc::Receiver<ObjectRef>,
    work: mpsc::Sender<Opened>,
    f: Fetcher,
) -> Scheduled {
    let permits = Arc::new(Semaphore::new(f.concurrency));
    let mut out = Scheduled::default();
    while let Some(obj) = objects.recv().await {
        if out.listed.list(&obj, &f.sel).is_some() {
            out.skipped_bytes += obj.size;
            continue;
        }
        let permit = Arc::clone(&permits)
            .acquire_owned()
            .await
            .expect("never closed");
        let (client, bucket, tx) = (f.client.clone(), f.bucket.clone(), work.clone());
        f.gets.fetch_add(1, Ordering::Relaxed);
        tokio::spawn(async move {
            let _permit = permit;
            let Location::S3 { key, .. } = &obj.location else {
                unreachable!("an S3 listing holds S3 objects only")
            };
            let resp = client.get_object().bucket(&bucket).key(key).send().await;
            let mut body = match resp {
                Ok(r) => r.body,
                Err(e) => {
                    let why = match e.code() {
                        Some("NoSuchKey") => {
                            "NoSuchKey: the object disappeared between listing and fetch".to_owned()
                        }
                        _ => classify(e, "GetObject").1,
                    };
                    let _ = tx
                        .send(Opened {
                            object: obj,
                            body: Err(OpenError::Fetch(why)),
                        })
                        .await;
                    return;
                }
            };
            let (ctx, crx) = mpsc::channel(CHUNKS_PER_OBJECT);
            let reader: Box<dyn Read + Send> = Box::new(ChunkReader {
                rx: crx,
                cur: Bytes::new(),
            });
            let opened = Opened {
                object: obj,
                body: Ok(reader),
            };
            if tx.send(opened).await.is_err() {
                return;
            }
            while let Some(chunk) = body.next().await {
                let item =
                    chunk.map_err(|e| format!("download interrupted: {}", DisplayErrorContext(&e)));
                let failed = item.is_err();
                if ctx.send(item).await.is_err() || failed {
                    return;
                }
            }
        });
    }
    out
}

/// The runtime and its two long-running tasks.
type Tasks = (
    tokio::runtime::Runtime,
    JoinHandle<Result<(), SourceError>>,
    JoinHandle<Scheduled>,
);

/// The objects of one S3 listing, as their GETs come in.
struct S3Objects<'a> {
    work_rx: Mutex<mpsc::Receiver<Opened>>,
    tasks: Mutex<Option<Tasks>>,
    list_calls: Arc<AtomicU64>,
    gets: Arc<AtomicU64>,
    list_errors: Arc<Mutex<Vec<ListingError>>>,
    progress: &'a dyn Progress,
    notes: Vec<String>,
}

impl Objects for S3Objects<'_> {
    fn next(&self) -> Option<Opened> {
        // Workers run until every sender (scheduler and fetch tasks) is gone.
        self.work_rx.lock().expect("not poisoned").blocking_recv()
    }

    fn finish(self: Box<Self>) -> Result<Listed, SourceError> {
        let (rt, listing, scheduler) = self
            .tasks
            .lock()
            .expect("not poisoned")
            .take()
            .expect("finished once");
        let listed = rt
            .block_on(listing)
            .map_err(|e| SourceError::Remote(format!("listing task failed: {e}")))?;
        let scheduled = rt
            .block_on(scheduler)
            .map_err(|e| SourceError::Remote(format!("fetch task failed: {e}")))?;
        listed?;
        let mut out = scheduled.listed;
        self.progress.bytes(scheduled.skipped_bytes);
        for _ in 0..out.skipped.values().sum::<u64>() {
            self.progress.object_done();
        }
        out.errors
            .extend(self.list_errors.lock().expect("not poisoned").drain(..));
        out.notes = self.notes;
        out.requests = Some(Requests {
            list_calls: self.list_calls.load(Ordering::Relaxed),
            get_calls: self.gets.load(Ordering::Relaxed),
        });
        Ok(out)
    }
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
        assert_eq!(S3Url::parse("S3://b/p").unwrap().unwrap().bucket, "b");
        assert!(S3Url::parse("s3:/b/x")
            .unwrap()
            .unwrap_err()
            .contains("write s3://"));
        assert!(S3Url::parse("./s3:/b/x").is_none());
        assert!(S3Url::parse("/local").is_none());
        assert_eq!(
            url_decode("AWSLogs/a%1Bb+c%2Bd.json.gz"),
            "AWSLogs/a\u{1b}b c+d.json.gz"
        );
    }
}
