//! Digests linked into chains, a status for every object and digest, and
//! the hours the chains cover.
//!
//! The checks are those `aws cloudtrail validate-logs` makes
//! (<https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-cli.html>),
//! made on what the input holds instead of live S3:
//!
//! 1. each digest parses, lies where it was signed for, and its signature
//!    verifies. A digest's signature is in its S3 metadata; a local copy
//!    has it only through the *next* digest's `previousDigestSignature`, so
//!    the newest digest of a local copy is `unsigned` unless its
//!    `head-object` output is given;
//! 2. each digest's `previousDigestHashValue` is the SHA-256 of the
//!    previous digest's inflated bytes, and a previous digest named but
//!    absent is `missing`;
//! 3. each log object's inflated SHA-256 equals what a digest lists for
//!    its location; objects no digest lists, and listed objects absent,
//!    are reported, unlike the CLI, which ignores extra objects.
//!
//! A signature that verifies with CloudTrail's key proves its digest
//! whatever carried it (only CloudTrail holds the private key), so a
//! signature taken from an unauthenticated newest digest still proves the
//! digest before it. Which events explain a gap is read from the trail's
//! own StopLogging / UpdateTrail / DeleteTrail records in the logs.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, Utc};

use super::digest::{DigestName, Parsed};
use super::keys::{PublicKeys, SignatureCheck};
use super::{
    ChainSpan, DigestResult, DigestStatus, Gap, GapCause, IntegrityReport, ObjectResult,
    ObjectStatus, SignatureSource, Summary,
};
use crate::event::{format_time, Event};
use crate::source::{KeyInfo, Location, Selection};

/// How locations in the input compare with the locations digests sign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Locator {
    /// S3 objects: bucket and key compared exactly.
    Exact,
    /// Local files standing for `s3://bucket/prefix…AWSLogs/…`.
    Mapped {
        /// The bucket.
        bucket: String,
        /// The key prefix before `AWSLogs/` (empty, or ending in `/`).
        prefix: String,
    },
    /// Local files whose bucket and prefix are unknown: compared from
    /// `AWSLogs/` on.
    Suffix,
}

/// The part of a key from its last `AWSLogs/` component on.
fn awslogs_suffix(key: &str) -> Option<&str> {
    if key.starts_with("AWSLogs/") {
        return Some(key);
    }
    key.rfind("/AWSLogs/").map(|i| &key[i + 1..])
}

impl Locator {
    /// `--bucket NAME[/PREFIX]` for a local copy.
    pub fn mapped(spec: &str) -> Locator {
        let (bucket, prefix) = spec.split_once('/').unwrap_or((spec, ""));
        let prefix = prefix.trim_matches('/');
        Locator::Mapped {
            bucket: bucket.to_owned(),
            prefix: if prefix.is_empty() {
                String::new()
            } else {
                format!("{prefix}/")
            },
        }
    }

    /// The comparable form of a location a digest signs.
    fn signed(&self, bucket: &str, key: &str) -> Option<String> {
        match self {
            Locator::Exact | Locator::Mapped { .. } => Some(format!("{bucket}/{key}")),
            Locator::Suffix => awslogs_suffix(key).map(str::to_owned),
        }
    }

    /// The comparable form of where an object of the input is.
    fn here(&self, loc: &Location) -> Option<String> {
        let path = match loc {
            Location::S3 { bucket, key } => {
                return match self {
                    Locator::Suffix => awslogs_suffix(key).map(str::to_owned),
                    _ => Some(format!("{bucket}/{key}")),
                }
            }
            Location::File(p) => p.to_string_lossy().replace('\\', "/"),
            Location::Memory(name) => name.clone(),
        };
        let suffix = awslogs_suffix(&path)?;
        Some(match self {
            Locator::Mapped { bucket, prefix } => format!("{bucket}/{prefix}{suffix}"),
            _ => suffix.to_owned(),
        })
    }

    /// How a signed location is shown when nothing is there.
    fn show(bucket: &str, key: &str) -> String {
        format!("s3://{bucket}/{key}")
    }
}

/// One log object of the input, hashed by the scan.
#[derive(Debug, Clone)]
pub struct LogInput {
    /// Where it is.
    pub location: Location,
    /// Hex SHA-256 of its inflated bytes, or why it could not be read.
    pub sha256: Result<String, String>,
    /// Records read from it.
    pub records: u64,
}

/// One digest of the input.
#[derive(Debug, Clone)]
pub struct DigestInput {
    /// Where it is.
    pub location: Location,
    /// Its inflated bytes, or why they could not be read.
    pub inflated: Result<Vec<u8>, String>,
    /// Its own signature (hex), from S3 metadata or a sidecar.
    pub signature: Option<(String, SignatureSource)>,
}

/// What a verification reads.
#[derive(Debug)]
pub struct VerifyInput<'a> {
    /// The log objects, hashed.
    pub logs: Vec<LogInput>,
    /// The digests.
    pub digests: Vec<DigestInput>,
    /// CloudTrail's public keys.
    pub keys: &'a PublicKeys,
    /// How locations compare.
    pub locator: Locator,
    /// The time range, accounts and regions asked for.
    pub sel: &'a Selection,
    /// The trail's StopLogging, UpdateTrail, DeleteTrail… records.
    pub events: &'a [Event],
    /// valid_unsigned and unsigned do not pass.
    pub strict: bool,
}

/// Account, region and trail: one chain of digests.
type Chain = (String, String, String);

/// One digest's listing of a location: the digest, the hash, the signed
/// location as shown.
type Listing = (usize, String, String);

/// A digest being judged.
struct Judged {
    shown: String,
    here: Option<String>,
    parsed: Option<Parsed>,
    name: Option<DigestName>,
    status: DigestStatus,
    reasons: Vec<(DigestStatus, String)>,
    signature: Option<SignatureSource>,
    /// Inside the range asked for: reported. Digests outside it are still
    /// read, for the signatures and links they carry.
    in_window: bool,
}

impl Judged {
    /// Record a problem; the status is the worst found.
    fn worsen(&mut self, status: DigestStatus, reason: String) {
        self.status = self.status.max(status);
        self.reasons.push((status, reason));
    }

    fn authenticated(&self) -> bool {
        self.status == DigestStatus::Valid && self.signature.is_some()
    }

    /// Account, region, trail of its chain (None for a backfill digest,
    /// which is not in the hourly chain).
    fn chain(&self) -> Option<(String, String, String)> {
        let n = self.name.as_ref().filter(|n| !n.backfill)?;
        Some((n.account.clone(), n.region.clone(), n.trail.clone()))
    }
}

/// Whether a digest covering `[start, end]` matters for the window: it
/// may list objects delivered in the range, widened by the delivery skew
/// (and an hour after, for the digest that closes it).
fn digest_in_window(sel: &Selection, start: DateTime<Utc>, end: DateTime<Utc>) -> bool {
    let w = &sel.window;
    // The scan opens objects filed up to six minutes before --since even
    // with no skew (a key's minute, and its clock slack).
    let early = w.skew.max(Duration::minutes(6));
    w.since.is_none_or(|s| end >= s - early)
        && w.until
            .is_none_or(|u| start < u + w.skew + Duration::hours(1))
}

/// Judge every object and digest of `input`.
pub fn verify(input: VerifyInput<'_>) -> IntegrityReport {
    let VerifyInput {
        logs,
        digests,
        keys,
        locator,
        sel,
        events,
        strict,
    } = input;
    let mut notes = Vec::new();
    let mut judged: Vec<Judged> = Vec::new();
    let mut own_signature: Vec<Option<(String, SignatureSource)>> = Vec::new();
    for d in digests {
        let shown = d.location.to_string();
        let here = locator.here(&d.location);
        let name = DigestName::parse(&shown);
        // --account / --region apply to digests as to log objects.
        let unselected = |want: &[String], have: Option<&String>| {
            !want.is_empty() && have.is_some_and(|h| !want.contains(h))
        };
        if let Some(n) = &name {
            if unselected(&sel.accounts, Some(&n.account))
                || unselected(&sel.regions, Some(&n.region))
            {
                continue;
            }
        }
        let mut j = Judged {
            shown,
            here,
            parsed: None,
            name,
            status: DigestStatus::Valid,
            reasons: Vec::new(),
            signature: None,
            in_window: true,
        };
        match d
            .inflated
            .map_err(|e| e.to_string())
            .and_then(|b| Parsed::parse(&b).map_err(|e| e.to_string()))
        {
            Ok(p) => {
                j.in_window = digest_in_window(sel, p.start, p.end);
                j.parsed = Some(p);
            }
            Err(e) => j.worsen(DigestStatus::InvalidFormat, e),
        }
        judged.push(j);
        own_signature.push(d.signature);
    }
    // Where each digest is, and which digest names each as its previous.
    // A digest is found by where it is and, failing that, by where it was
    // signed for: a moved digest is reported moved once, and its links
    // still hold.
    let signed_at = |j: &Judged| {
        j.parsed
            .as_ref()
            .and_then(|p| locator.signed(&p.digest.digest_s3_bucket, &p.digest.digest_s3_object))
    };
    let mut at: HashMap<String, usize> = HashMap::new();
    for (i, j) in judged.iter().enumerate() {
        if let Some(h) = &j.here {
            at.entry(h.clone()).or_insert(i);
        }
    }
    for (i, j) in judged.iter().enumerate() {
        if let Some(s) = signed_at(j) {
            at.entry(s).or_insert(i);
        }
    }
    // Every digest naming each previous digest: more than one is a fork.
    let mut successor: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, j) in judged.iter().enumerate() {
        let Some(p) = &j.parsed else { continue };
        let d = &p.digest;
        if let (Some(b), Some(o)) = (&d.previous_digest_s3_bucket, &d.previous_digest_s3_object) {
            if let Some(k) = locator.signed(b, o) {
                successor.entry(k).or_default().push(i);
            }
        }
    }
    // The digests that may lack a signature in a local copy: the newest of
    // each chain, and the last before a chain restarts (CloudTrail writes
    // the signature only to S3 metadata, and no later digest repeats it).
    // Any other digest without one is unanchored: nothing proves it.
    let mut may_be_unsigned = std::collections::HashSet::new();
    if locator != Locator::Exact {
        let mut groups: BTreeMap<Chain, Vec<(DateTime<Utc>, bool, usize)>> = BTreeMap::new();
        for (i, j) in judged.iter().enumerate() {
            if let (Some(c), Some(p)) = (j.chain(), &j.parsed) {
                groups.entry(c).or_default().push((p.end, p.is_start(), i));
            }
        }
        for links in groups.values_mut() {
            links.sort();
            for w in links.windows(2) {
                if w[1].1 {
                    may_be_unsigned.insert(w[0].2);
                }
            }
            if let Some(last) = links.last() {
                may_be_unsigned.insert(last.2);
            }
        }
    }
    // 1. Location and signature.
    for i in 0..judged.len() {
        let Some(p) = judged[i].parsed.clone() else {
            continue;
        };
        let d = &p.digest;
        let signed_here = locator.signed(&d.digest_s3_bucket, &d.digest_s3_object);
        if signed_here.is_none() || signed_here != judged[i].here {
            let why = format!(
                "signed for {}",
                Locator::show(&d.digest_s3_bucket, &d.digest_s3_object)
            );
            judged[i].worsen(DigestStatus::Moved, why);
        }
        let mut next: Vec<usize> = judged[i]
            .here
            .iter()
            .chain(signed_here.iter())
            .filter_map(|k| successor.get(k))
            .flatten()
            .copied()
            .collect();
        next.sort_unstable();
        next.dedup();
        let from_next = next
            .iter()
            .filter_map(|&n| judged[n].parsed.as_ref())
            .find_map(|n| n.digest.previous_digest_signature.clone())
            .map(|s| (s, SignatureSource::NextDigest));
        // A later digest that repeats another signature than the digest's
        // own breaks the chain.
        if let Some((own, _)) = &own_signature[i] {
            for &n in &next {
                let theirs = judged[n]
                    .parsed
                    .as_ref()
                    .and_then(|p| p.digest.previous_digest_signature.clone());
                if theirs.is_some_and(|t| !t.eq_ignore_ascii_case(own)) {
                    let why = format!(
                        "records another signature for its previous digest {} than that digest's own",
                        judged[i].shown
                    );
                    judged[n].worsen(DigestStatus::ChainBroken, why);
                }
            }
        }
        let Some((sig, source)) = own_signature[i].clone().or(from_next) else {
            if may_be_unsigned.contains(&i) {
                judged[i].worsen(
                    DigestStatus::Unsigned,
                    "no signature to check: it is in the object's S3 metadata (x-amz-meta-signature), and no later digest repeats it; save `aws s3api head-object` output beside it as <file>.head-object.json".to_owned(),
                );
            } else {
                let why = if locator == Locator::Exact {
                    "no x-amz-meta-signature metadata, which CloudTrail writes with every digest"
                } else {
                    "no signature, and it is not the newest digest of its chain, nor the last before a restart: nothing proves it is CloudTrail's (an added digest, or a fork)"
                };
                judged[i].worsen(DigestStatus::Unanchored, why.to_owned());
            }
            continue;
        };
        judged[i].signature = Some(source);
        match keys.check(
            &d.digest_public_key_fingerprint,
            p.end,
            p.string_to_sign().as_bytes(),
            &sig,
        ) {
            SignatureCheck::Valid => {}
            SignatureCheck::Invalid(why) => judged[i].worsen(DigestStatus::SignatureInvalid, why),
            SignatureCheck::KeyNotFound(why) => judged[i].worsen(DigestStatus::KeyNotFound, why),
        }
    }
    // Two digests naming one previous digest: a fork. The one whose
    // signature verified is CloudTrail's; the others prove nothing.
    let mut forks: Vec<(usize, String)> = Vec::new();
    for (prev, succ) in &successor {
        if succ.len() < 2 {
            continue;
        }
        for &n in succ {
            if !judged[n].authenticated() {
                forks.push((n, prev.clone()));
            }
        }
    }
    forks.sort();
    for (n, prev) in forks {
        let why = format!("another digest names the same previous digest ({prev}): a fork");
        judged[n].worsen(DigestStatus::Unanchored, why);
    }
    // 2. Hash links, and previous digests named but absent.
    let mut missing: BTreeMap<String, Judged> = BTreeMap::new();
    let oldest: HashMap<(String, String, String), DateTime<Utc>> =
        judged.iter().fold(HashMap::new(), |mut m, j| {
            if let (Some(c), Some(p)) = (j.chain(), &j.parsed) {
                let e = m.entry(c).or_insert(p.end);
                *e = (*e).min(p.end);
            }
            m
        });
    for i in 0..judged.len() {
        let Some(p) = judged[i].parsed.clone() else {
            continue;
        };
        let d = &p.digest;
        let (Some(pb), Some(po)) = (&d.previous_digest_s3_bucket, &d.previous_digest_s3_object)
        else {
            continue;
        };
        let Some(prev_key) = locator.signed(pb, po) else {
            continue;
        };
        match at.get(&prev_key).copied() {
            Some(k) => {
                let Some(prev) = judged[k].parsed.as_ref() else {
                    continue;
                };
                let recorded = d.previous_digest_hash_value.as_deref().unwrap_or_default();
                if !prev.sha256.eq_ignore_ascii_case(recorded) {
                    if judged[i].authenticated() {
                        let why = format!(
                            "modified after it was chained: its SHA-256 is {}, and {} (signed) records {recorded}",
                            prev.sha256, judged[i].shown
                        );
                        judged[k].worsen(DigestStatus::ChainBroken, why);
                    } else {
                        let why = format!(
                            "records SHA-256 {recorded} for its previous digest {}, which has {}",
                            judged[k].shown, prev.sha256
                        );
                        judged[i].worsen(DigestStatus::ChainBroken, why);
                    }
                }
            }
            None => {
                // The input may simply begin here: the oldest digest's
                // predecessor is required only when --since reaches it.
                let name = DigestName::parse(po);
                let is_oldest = judged[i]
                    .chain()
                    .and_then(|c| oldest.get(&c))
                    .is_some_and(|&o| o == p.end);
                let required = !is_oldest
                    || sel
                        .window
                        .since
                        .is_some_and(|s| p.start > s - sel.window.skew);
                if !required {
                    continue;
                }
                let mut m = Judged {
                    shown: Locator::show(pb, po),
                    here: Some(prev_key),
                    parsed: None,
                    name,
                    status: DigestStatus::Missing,
                    reasons: vec![(
                        DigestStatus::Missing,
                        format!("named as its previous digest by {}", judged[i].shown),
                    )],
                    signature: None,
                    in_window: true,
                };
                m.status = DigestStatus::Missing;
                missing.entry(m.shown.clone()).or_insert(m);
            }
        }
    }
    // 3. Log objects against what the digests list.
    // Every listing of every location: a location two digests list is
    // judged by the strongest, and a listing that disagrees with a signed
    // one is never taken over it.
    let mut listed: HashMap<String, Vec<(usize, String, String)>> = HashMap::new();
    let mut by_hash: HashMap<String, Vec<String>> = HashMap::new();
    for (i, j) in judged.iter().enumerate() {
        let Some(p) = &j.parsed else { continue };
        for f in &p.digest.log_files {
            let Some(k) = locator.signed(&f.s3_bucket, &f.s3_object) else {
                continue;
            };
            let hash = f.hash_value.to_ascii_lowercase();
            by_hash.entry(hash.clone()).or_default().push(k.clone());
            listed
                .entry(k)
                .or_default()
                .push((i, hash, Locator::show(&f.s3_bucket, &f.s3_object)));
        }
    }
    for v in by_hash.values_mut() {
        v.sort();
        v.dedup();
    }
    // The newest digest end per account and region, to explain objects
    // delivered after it.
    let mut newest: HashMap<(String, String), DateTime<Utc>> = HashMap::new();
    for j in &judged {
        if let (Some(n), Some(p)) = (&j.name, &j.parsed) {
            let e = newest
                .entry((n.account.clone(), n.region.clone()))
                .or_insert(p.end);
            *e = (*e).max(p.end);
        }
    }
    let mut found: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut objects = Vec::new();
    for log in logs {
        let shown = log.location.to_string();
        let mut r = ObjectResult {
            key: shown.clone(),
            status: ObjectStatus::Unverifiable,
            digest: None,
            reason: None,
            records: log.records,
        };
        let here = locator.here(&log.location);
        match (&log.sha256, here) {
            (Err(e), here) => {
                r.reason = Some(format!("could not be read: {e}"));
                // Present, if unreadable: the digest that lists it must
                // not also call it missing.
                if let Some(here) = here {
                    if let Some((d, _, _)) = listed.get(&here).and_then(|e| e.first()) {
                        r.digest = Some(judged[*d].shown.clone());
                        found.insert(here);
                    }
                }
            }
            (Ok(_), None) => {
                r.reason = Some(
                    "its path has no AWSLogs/ folder, so it cannot be matched to a digest"
                        .to_owned(),
                )
            }
            (Ok(hash), Some(here)) => {
                if let Some(entries) = listed.get(&here) {
                    found.insert(here.clone());
                    judge_listed(&mut r, hash, entries, &judged);
                } else if let Some(elsewhere) = by_hash
                    .get(hash.as_str())
                    .and_then(|e| e.iter().find(|k| !found.contains(*k)).or(e.first()))
                {
                    // One signed location accounts for one copy.
                    found.insert(elsewhere.clone());
                    let (d, _, signed) = &listed[elsewhere][0];
                    r.status = ObjectStatus::Moved;
                    r.digest = Some(judged[*d].shown.clone());
                    r.reason = Some(format!("its bytes are signed for {signed}"));
                } else {
                    let info = KeyInfo::parse(&shown);
                    let stream = info.account.clone().zip(info.region.clone());
                    let last = stream.as_ref().and_then(|s| newest.get(s));
                    r.status = ObjectStatus::NotInAnyDigest;
                    r.reason = Some(match (stream, last, info.delivered) {
                        (Some((a, g)), None, _) => {
                            format!("no digest of account {a} in {g} was read")
                        }
                        // CloudTrail lists an object in the digest of the
                        // hour it is delivered in: an hour (and the key's
                        // minute) after the newest digest it may still be
                        // waiting for its digest.
                        (_, Some(end), Some(t))
                            if t >= *end - Duration::minutes(1)
                                && t <= *end + Duration::minutes(65) =>
                        {
                            r.status = ObjectStatus::Pending;
                            format!(
                                "delivered after the newest digest of its account and region (which ends {}): its digest may not be written yet",
                                format_time(end)
                            )
                        }
                        (_, Some(end), Some(t)) if t >= *end => format!(
                            "delivered more than an hour after the newest digest of its account and region (which ends {}): digests stopped, or were deleted",
                            format_time(end)
                        ),
                        _ => "no digest lists it: not delivered by CloudTrail, or delivered while log file validation was off".to_owned(),
                    });
                }
            }
        }
        objects.push(r);
    }
    let mut absent: Vec<(&String, &Vec<Listing>)> =
        listed.iter().filter(|(k, _)| !found.contains(*k)).collect();
    absent.sort();
    for (_, entries) in absent {
        // Reported from the strongest listing, when a digest in the range
        // asked for lists it.
        let Some((d, _, signed)) = entries
            .iter()
            .filter(|e| judged[e.0].in_window)
            .min_by_key(|e| judged[e.0].status)
        else {
            continue;
        };
        let key_part = signed.split_once("//").map_or(signed.as_str(), |x| x.1);
        let key_part = key_part.split_once('/').map_or("", |x| x.1);
        if sel.skip(&KeyInfo::parse(key_part)).is_some() {
            continue;
        }
        objects.push(ObjectResult {
            key: signed.clone(),
            status: ObjectStatus::Missing,
            digest: Some(judged[*d].shown.clone()),
            reason: Some("listed in its digest and absent from the input".to_owned()),
            records: 0,
        });
    }
    objects.sort_by(|a, b| a.key.cmp(&b.key));
    // 4. Runs and gaps, per account, region and trail.
    let (chains, gaps) = runs(&judged, &missing, &locator, events);
    // Digests outside the range were read for their signatures and links
    // only: they are not reported.
    let mut all: Vec<Judged> = judged.into_iter().filter(|j| j.in_window).collect();
    all.extend(missing.into_values());
    let mut digests: Vec<DigestResult> = all
        .into_iter()
        .map(|mut j| {
            j.reasons.sort_by_key(|r| std::cmp::Reverse(r.0));
            let (account, region, trail) = match (&j.name, &j.parsed) {
                (Some(n), _) => (
                    Some(n.account.clone()),
                    Some(n.region.clone()),
                    Some(n.trail.clone()),
                ),
                (None, Some(p)) => (Some(p.digest.aws_account_id.clone()), None, None),
                _ => (None, None, None),
            };
            DigestResult {
                key: j.shown,
                status: j.status,
                reason: (!j.reasons.is_empty()).then(|| {
                    j.reasons
                        .iter()
                        .map(|r| r.1.as_str())
                        .collect::<Vec<_>>()
                        .join("; ")
                }),
                account,
                region,
                trail,
                start: j.parsed.as_ref().map(|p| p.start),
                end: j.parsed.as_ref().map(|p| p.end).or(j.name.map(|n| n.end)),
                signature: j.signature,
            }
        })
        .collect();
    digests.sort_by(|a, b| a.key.cmp(&b.key));
    if locator == Locator::Suffix && !digests.is_empty() {
        notes.push("locations were compared from AWSLogs/ on: the copy's paths do not say its bucket or key prefix (give --bucket NAME[/PREFIX] to compare them too)".to_owned());
    }
    if keys.is_empty() && !digests.is_empty() {
        notes.push("no public keys were given (--public-keys FILE, from `aws cloudtrail list-public-keys`): no signature could be checked".to_owned());
    }
    let mut summary = Summary {
        strict,
        gaps: gaps.len() as u64,
        ..Summary::default()
    };
    for o in &objects {
        *summary.objects.entry(o.status).or_default() += 1;
        summary.records += o.records;
        if o.status.is_proven(strict) {
            summary.records_proven += o.records;
        }
    }
    for d in &digests {
        *summary.digests.entry(d.status).or_default() += 1;
    }
    IntegrityReport {
        summary,
        objects,
        digests,
        chains,
        gaps,
        notes,
    }
}

/// An object's verdict from every digest that lists its location: a valid
/// digest decides (its hash matches or the object was modified); otherwise
/// an unsigned one that may lack a signature; otherwise nothing is proven.
fn judge_listed(
    r: &mut ObjectResult,
    hash: &str,
    entries: &[(usize, String, String)],
    judged: &[Judged],
) {
    let mut best: Vec<&(usize, String, String)> = entries.iter().collect();
    best.sort_by_key(|e| (judged[e.0].status, e.0));
    let (d, want, _) = best[0];
    let dj = &judged[*d];
    r.digest = Some(dj.shown.clone());
    let matches = want.eq_ignore_ascii_case(hash);
    let disagree = entries.iter().any(|e| !e.1.eq_ignore_ascii_case(want));
    match (dj.status, matches) {
        (DigestStatus::Valid, true) => r.status = ObjectStatus::Valid,
        (DigestStatus::Valid | DigestStatus::Unsigned, false) => {
            r.status = ObjectStatus::HashMismatch;
            r.reason = Some(format!(
                "the SHA-256 of its inflated bytes is {hash}; its digest records {want}"
            ));
        }
        (DigestStatus::Unsigned, true) => {
            r.status = ObjectStatus::ValidUnsigned;
            r.reason = Some("its hash matches a digest that has no signature to check".to_owned());
        }
        (s, true) => r.reason = Some(format!("its hash matches, but its digest is {s}")),
        (s, false) => {
            r.reason = Some(format!(
                "its hash differs from its digest's, and the digest is {s}"
            ))
        }
    }
    // A valid digest's matching listing proves it whatever else lists it
    // (a forged listing is the forgery's problem, reported on it).
    if disagree && dj.status != DigestStatus::Valid && r.status != ObjectStatus::HashMismatch {
        r.status = ObjectStatus::Unverifiable;
        r.reason = Some(format!(
            "digests list it with different hashes; the strongest ({}) records {want}",
            dj.shown
        ));
    }
}

/// A digest's place in a run: its interval, whether it starts a chain,
/// and whether it names an absent previous digest.
struct Link {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    is_start: bool,
    after_missing: Option<String>,
    valid: bool,
}

/// The runs of linked digests and the gaps between them.
fn runs(
    judged: &[Judged],
    missing: &BTreeMap<String, Judged>,
    locator: &Locator,
    events: &[Event],
) -> (Vec<ChainSpan>, Vec<Gap>) {
    let mut groups: BTreeMap<(String, String, String), Vec<Link>> = BTreeMap::new();
    for j in judged.iter().filter(|j| j.in_window) {
        let (Some(c), Some(p)) = (j.chain(), &j.parsed) else {
            continue;
        };
        let d = &p.digest;
        let after_missing = match (&d.previous_digest_s3_bucket, &d.previous_digest_s3_object) {
            (Some(b), Some(o)) => locator
                .signed(b, o)
                .filter(|k| missing.values().any(|m| m.here.as_ref() == Some(k)))
                .map(|_| Locator::show(b, o)),
            _ => None,
        };
        groups.entry(c).or_default().push(Link {
            start: p.start,
            end: p.end,
            is_start: p.is_start(),
            after_missing,
            valid: j.status == DigestStatus::Valid,
        });
    }
    let mut chains = Vec::new();
    let mut gaps = Vec::new();
    for ((account, region, trail), mut links) in groups {
        links.sort_by_key(|l| (l.end, l.start));
        let span = |from: &Link, to: &Link, n: u64, valid: u64| ChainSpan {
            account: account.clone(),
            region: region.clone(),
            trail: trail.clone(),
            from: from.start,
            to: to.end,
            digests: n,
            valid,
            starts_chain: from.is_start,
        };
        let mut first = 0;
        let (mut n, mut valid) = (0u64, 0u64);
        for i in 0..links.len() {
            if i > first {
                let (prev, next) = (&links[i - 1], &links[i]);
                // One second of slack: the times are written to the second.
                let broken = next.is_start
                    || next.after_missing.is_some()
                    || next.start > prev.end + Duration::seconds(1);
                if broken {
                    chains.push(span(&links[first], prev, n, valid));
                    let (cause, evidence) =
                        explain(&account, &trail, prev.end, next.start, next, events);
                    gaps.push(Gap {
                        account: account.clone(),
                        region: region.clone(),
                        trail: trail.clone(),
                        from: prev.end,
                        to: next.start,
                        likely_cause: cause,
                        evidence,
                    });
                    first = i;
                    (n, valid) = (0, 0);
                }
            }
            n += 1;
            valid += links[i].valid as u64;
        }
        if let Some(last) = links.last() {
            chains.push(span(&links[first], last, n, valid));
        }
    }
    (chains, gaps)
}

/// What the trail's own records say about a gap from `from` to `to`.
fn explain(
    account: &str,
    trail: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    next: &Link,
    events: &[Event],
) -> (GapCause, Vec<String>) {
    if let Some(m) = &next.after_missing {
        return (
            GapCause::DigestsDeleted,
            vec![format!(
                "the digest after the gap names {m}, which is absent"
            )],
        );
    }
    // A trail is named by name or ARN (`…:trail/NAME`).
    let names_trail = |e: &Event| {
        let name = e
            .request
            .as_ref()
            .and_then(|r| r.get("name"))
            .and_then(|n| n.as_str())
            .unwrap_or_default();
        name == trail || name.ends_with(&format!(":trail/{trail}"))
    };
    let relevant = events.iter().filter(|e| {
        (e.account == account || e.key_account.as_deref() == Some(account))
            && e.time >= from - Duration::hours(1)
            && e.time <= to
            && e.error_code.is_none()
            && names_trail(e)
    });
    let mut cause = None;
    let mut evidence = Vec::new();
    for e in relevant {
        let this = match e.name.as_str() {
            "StopLogging" => Some(GapCause::LoggingStopped),
            "DeleteTrail" => Some(GapCause::TrailDeleted),
            "UpdateTrail"
                if e.request
                    .as_ref()
                    .and_then(|r| r.get("enableLogFileValidation"))
                    .and_then(|v| v.as_bool())
                    == Some(false) =>
            {
                Some(GapCause::ValidationDisabled)
            }
            "StartLogging" | "CreateTrail" | "UpdateTrail" => None,
            _ => continue,
        };
        evidence.push(format!(
            "{} by {} at {} (eventID {})",
            e.name,
            e.actor,
            format_time(&e.time),
            e.id
        ));
        if cause.is_none() {
            cause = this;
        }
    }
    (cause.unwrap_or(GapCause::Unexplained), evidence)
}
