//! Realistic synthetic CloudTrail trails with an exact manifest, for tests
//! and benchmarks (generated corpora are never committed).
//!
//! Layout: two standalone accounts and an organization trail with two
//! member accounts, three regions each, objects in the real key layout
//! delivered every few minutes, plus signed hourly digest chains
//! (`public-keys.json` beside `manifest.json` holds the test key). Records: a weighted mix
//! of a few hundred event names with realistic shapes and sizes (small
//! Describe calls, large RunInstances with user data, policy documents as
//! escaped JSON strings); security-group events are rare, some of them
//! failed or DryRun; blind-spot changes; decoys that must *not* match (the
//! names inside policy documents and nested keys, DescribeSecurityGroups,
//! CreateTags on instances); one name written with a `\u` escape that
//! *must* match; and duplicate deliveries of the same eventID.
//!
//! Generation is two-phase so it can run in parallel and stay exact: a
//! sequential plan fixes every object and every special record; then each
//! object is filled and compressed independently from its own seed.

mod records;
mod rng;

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, TimeZone, Utc};
use flate2::{write::GzEncoder, Compression};
use rayon::prelude::*;
use serde::Serialize;

use records::{blind_event, decoy, filler, name_table, sg_event, Ctx};
use rng::Rng;

/// Default approximate size of a trail: 50 MB of JSON.
pub const DEFAULT_SIZE: u64 = 50_000_000;
/// Default inflated size of its largest object: 8 MB.
pub const DEFAULT_LARGEST: u64 = 8_000_000;

/// What to generate.
#[derive(Debug, Clone)]
pub struct SynthOptions {
    /// Approximate total inflated size.
    pub size: u64,
    /// Seed; same seed and options give byte-identical output.
    pub seed: u64,
    /// Inflated size of the largest object.
    pub largest: u64,
}

/// One expected event in the manifest.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Expected {
    /// eventTime as written.
    #[serde(rename = "eventTime")]
    pub time: String,
    /// eventID.
    #[serde(rename = "eventID")]
    pub id: String,
    /// eventName (decoded).
    #[serde(rename = "eventName")]
    pub name: String,
    /// Whether the call failed (has an errorCode).
    pub failed: bool,
}

/// Exact counts of what was written.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Manifest {
    /// Seed used.
    pub seed: u64,
    /// Log objects written (digests not included).
    pub objects: u64,
    /// Digest objects written: hourly chains per account and region,
    /// signed with the bundled test key (`public-keys.json` holds it).
    pub digests: u64,
    /// `head-object` outputs beside the newest digest of each chain
    /// (skipped by a scan as `digest_signature`).
    pub digest_sidecars: u64,
    /// Records in all log objects.
    pub records: u64,
    /// Inflated bytes of all log objects.
    pub bytes_inflated: u64,
    /// Stored bytes of all log objects.
    pub bytes_stored: u64,
    /// Inflated size of the largest object.
    pub largest_object: u64,
    /// Matched events, unique by eventID, sorted by time then id.
    pub matched: Vec<Expected>,
    /// Extra deliveries of matched or blind events (same eventID again).
    pub duplicates: u64,
    /// Blind-spot events, unique.
    pub blind_spots: Vec<Expected>,
    /// Records that mention a name but must not match.
    pub decoys: u64,
}

const REGIONS: [&str; 3] = ["us-east-1", "eu-west-1", "ap-southeast-2"];
const ORG: &str = "o-a1b2c3d4e5";
/// (account, in the organization trail?)
const ACCOUNTS: [(&str, bool); 4] = [
    ("111122223333", false),
    ("444455556666", false),
    ("777788889999", true),
    ("123456789012", true),
];

/// Frequent real event names with weights (per mille, roughly like a
/// management-plus-data-events trail).
struct Special {
    json: String,
    expected: Option<(bool, Expected)>, // (is_match, expected)
    decoy: bool,
}

struct PlannedObject {
    rel: PathBuf,
    account: &'static str,
    region: &'static str,
    delivered: DateTime<Utc>,
    target: u64,
    seed: u64,
    specials: Vec<Special>,
}

fn object_name(account: &str, region: &str, t: DateTime<Utc>, uniq: &str) -> String {
    format!(
        "{account}_CloudTrail_{region}_{}_{uniq}.json.gz",
        t.format("%Y%m%dT%H%MZ")
    )
}

fn prefix(account: &str, org: bool) -> String {
    if org {
        format!("AWSLogs/{ORG}/{account}")
    } else {
        format!("AWSLogs/{account}")
    }
}

/// Phase 1: every object and every special record, sequentially.
fn plan(opts: &SynthOptions) -> (Vec<PlannedObject>, Manifest) {
    let mut rng = Rng::new(opts.seed);
    let base = Utc
        .with_ymd_and_hms(2026, 11, 1, 0, 0, 0)
        .single()
        .expect("valid date");
    let mut objects: Vec<PlannedObject> = Vec::new();
    let mut manifest = Manifest {
        seed: opts.seed,
        ..Manifest::default()
    };
    let mut remaining = opts.size as i64;
    let streams: Vec<(&str, bool, &str)> = ACCOUNTS
        .iter()
        .flat_map(|(a, org)| REGIONS.iter().map(move |r| (*a, *org, *r)))
        .collect();
    let mut k = 0u64;
    let small_cap = (opts.largest / 4).clamp(64 << 10, 4 << 20);
    while remaining > 0 {
        let (account, org, region) = streams[(k % streams.len() as u64) as usize];
        let slot = k / streams.len() as u64;
        let delivered =
            base + Duration::minutes(5 * slot as i64) + Duration::seconds(rng.below(240) as i64);
        let target = if k == 0 {
            opts.largest
        } else {
            // Log-uniform between 16 KB and the cap: many small objects,
            // some large, like real trails.
            let lo = (16u64 << 10) as f64;
            let hi = small_cap as f64;
            (lo * (hi / lo).powf((rng.below(1 << 20) as f64) / (1u64 << 20) as f64)) as u64
        };
        let target = target.min(remaining.max(4096) as u64);
        remaining -= target as i64;
        let uniq = rng.alnum(16);
        let day = delivered.format("%Y/%m/%d");
        let rel = PathBuf::from(format!(
            "{}/CloudTrail/{region}/{day}/{}",
            prefix(account, org),
            object_name(account, region, delivered, &uniq)
        ));
        objects.push(PlannedObject {
            rel,
            account,
            region,
            delivered,
            target,
            seed: rng.next(),
            specials: Vec::new(),
        });
        k += 1;
    }
    // Special records: about one security-group event per 2 MB of JSON,
    // at least a dozen, spread over the objects.
    let n_sg = (opts.size / 2_000_000).max(12);
    let mut dup_queue: Vec<(usize, String)> = Vec::new();
    for i in 0..n_sg {
        let o = rng.below(objects.len() as u64) as usize;
        let c = ctx(&objects[o]);
        // The first planted event spells its name with a \u escape.
        let raw = if i == 0 {
            Some(r"\u0043reateSecurityGroup")
        } else {
            None
        };
        let (json, mut exp) = sg_event(&mut rng, &c, raw);
        if raw.is_some() {
            exp.name = "CreateSecurityGroup".into();
        }
        if rng.chance(0.15) && objects.len() > 1 {
            dup_queue.push((o, json.clone()));
        }
        objects[o].specials.push(Special {
            json,
            expected: Some((true, exp)),
            decoy: false,
        });
    }
    for _ in 0..(n_sg / 2).max(5) {
        let o = rng.below(objects.len() as u64) as usize;
        let c = ctx(&objects[o]);
        let (json, exp) = blind_event(&mut rng, &c);
        objects[o].specials.push(Special {
            json,
            expected: Some((false, exp)),
            decoy: false,
        });
    }
    for _ in 0..n_sg * 2 {
        let o = rng.below(objects.len() as u64) as usize;
        let c = ctx(&objects[o]);
        let json = decoy(&mut rng, &c);
        objects[o].specials.push(Special {
            json,
            expected: None,
            decoy: true,
        });
    }
    // Duplicate deliveries: the same record again in another object.
    for (origin, json) in dup_queue {
        let mut o = rng.below(objects.len() as u64) as usize;
        if o == origin {
            o = (o + 1) % objects.len();
        }
        objects[o].specials.push(Special {
            json,
            expected: None,
            decoy: false,
        });
        manifest.duplicates += 1;
    }
    for obj in &objects {
        for s in &obj.specials {
            match &s.expected {
                Some((true, e)) => manifest.matched.push(e.clone()),
                Some((false, e)) => manifest.blind_spots.push(e.clone()),
                None => manifest.decoys += s.decoy as u64,
            }
        }
    }
    manifest.matched.sort();
    manifest.blind_spots.sort();
    (objects, manifest)
}

fn ctx(o: &PlannedObject) -> Ctx<'static> {
    Ctx {
        account: o.account,
        region: o.region,
        from: o.delivered - Duration::minutes(6),
        to: o.delivered - Duration::seconds(20),
    }
}

/// Phase 2: fill one object to its target size and compress it; returns
/// (gzip bytes, JSON, records).
fn build(
    o: &PlannedObject,
    names: &[(String, String, u32)],
    total_weight: u32,
) -> (Vec<u8>, String, u64) {
    let mut rng = Rng::new(o.seed);
    let c = ctx(o);
    let mut json = String::with_capacity(o.target as usize + 64 * 1024);
    json.push_str("{\"Records\":[");
    let mut records = 0u64;
    // Specials go at random positions among the fillers.
    let approx = (o.target / 1200).max(1);
    let mut slots: Vec<u64> = o.specials.iter().map(|_| rng.below(approx)).collect();
    slots.sort_unstable();
    let mut next_special = 0;
    let mut push = |json: &mut String, rec: &str| {
        if records > 0 {
            json.push(',');
        }
        json.push_str(rec);
        records += 1;
    };
    let mut i = 0u64;
    while (json.len() as u64) < o.target || next_special < o.specials.len() {
        while next_special < o.specials.len()
            && (slots[next_special] <= i || json.len() as u64 >= o.target)
        {
            push(&mut json, &o.specials[next_special].json);
            next_special += 1;
        }
        if (json.len() as u64) < o.target {
            let rec = filler(&mut rng, &c, names, total_weight);
            push(&mut json, &rec);
        }
        i += 1;
    }
    json.push_str("]}");
    let mut enc = GzEncoder::new(Vec::with_capacity(json.len() / 5), Compression::new(6));
    enc.write_all(json.as_bytes())
        .expect("writing to a Vec cannot fail");
    let gz = enc.finish().expect("writing to a Vec cannot fail");
    (gz, json, records)
}

/// The bucket every synthetic trail is written for.
pub const BUCKET: &str = "trail-bucket";

/// The trail of an account's objects: an organization trail for member
/// accounts, the account's own otherwise; both homed in us-east-1.
fn trail_of(org: bool) -> &'static str {
    if org {
        "org-trail"
    } else {
        "main"
    }
}

/// The hourly digest chains of every account and region, signed with the
/// bundled test key, each listing the objects delivered in its hour; the
/// newest digest of each chain gets its `head-object` output beside it,
/// as a copy made with `aws s3 sync` plus that call would have. Returns
/// the files to write (relative path, bytes).
fn digests(objects: &[PlannedObject], hashes: &[String]) -> Vec<(String, Vec<u8>)> {
    use crate::integrity::sign::{head_object_json, ChainOf, ChainWriter, Listed, Signer};
    use std::collections::BTreeMap;
    let signer = Signer::synth();
    let mut streams: BTreeMap<(&str, &str), Vec<usize>> = BTreeMap::new();
    for (i, o) in objects.iter().enumerate() {
        streams.entry((o.account, o.region)).or_default().push(i);
    }
    let mut out = Vec::new();
    for ((account, region), mut idx) in streams {
        idx.sort_by_key(|&i| objects[i].delivered);
        let org = ACCOUNTS.iter().any(|(a, o)| *a == account && *o);
        let mut chain = ChainWriter::new(ChainOf {
            bucket: BUCKET.to_owned(),
            prefix: String::new(),
            org: org.then(|| ORG.to_owned()),
            account: account.to_owned(),
            region: region.to_owned(),
            trail: trail_of(org).to_owned(),
            home_region: "us-east-1".to_owned(),
        });
        let first = objects[idx[0]].delivered;
        let last = objects[idx[idx.len() - 1]].delivered;
        let hour = |t: DateTime<Utc>| {
            Utc.timestamp_opt(t.timestamp() - t.timestamp().rem_euclid(3600), 0)
                .single()
                .expect("valid")
        };
        let mut start = hour(first);
        let mut next = 0;
        let mut written = None;
        while start <= last {
            let end = start + Duration::hours(1);
            let mut files = Vec::new();
            while next < idx.len() && objects[idx[next]].delivered < end {
                let o = &objects[idx[next]];
                files.push(Listed {
                    key: o.rel.to_string_lossy().replace('\\', "/"),
                    sha256: hashes[idx[next]].clone(),
                });
                next += 1;
            }
            let w = chain.next(&signer, start, end, &files);
            out.push((w.key.clone(), w.gz.clone()));
            written = Some(w);
            start = end;
        }
        if let Some(w) = written {
            out.push((
                format!("{}{}", w.key, crate::source::SIDECAR_SUFFIX),
                head_object_json(&w.signature).into_bytes(),
            ));
        }
    }
    out
}

/// `aws cloudtrail list-public-keys` output with the synthetic trails'
/// key, valid through 2026 and 2027.
pub fn public_keys() -> String {
    use crate::integrity::sign::{public_keys_json, Signer};
    let t = |y| {
        Utc.with_ymd_and_hms(y, 1, 1, 0, 0, 0)
            .single()
            .expect("valid")
    };
    public_keys_json(vec![Signer::synth().public_key_entry(t(2026), t(2028))])
}

/// Write a trail under `out` and `out/manifest.json`; returns the manifest.
pub fn write_trail(out: &Path, opts: &SynthOptions) -> io::Result<Manifest> {
    let (objects, mut manifest) = plan(opts);
    let names = name_table();
    let total_weight: u32 = names.iter().map(|n| n.2).sum();
    let results: Vec<io::Result<(u64, u64, u64, String)>> = objects
        .par_iter()
        .map(|o| {
            let (gz, json, records) = build(o, &names, total_weight);
            let inflated = json.len() as u64;
            let path = out.join(&o.rel);
            fs::create_dir_all(path.parent().expect("has a parent"))?;
            fs::write(&path, &gz)?;
            let sha = crate::integrity::digest::sha256_hex(json.as_bytes());
            Ok((records, inflated, gz.len() as u64, sha))
        })
        .collect();
    let mut hashes = Vec::with_capacity(results.len());
    for r in results {
        let (records, inflated, stored, sha) = r?;
        hashes.push(sha);
        manifest.objects += 1;
        manifest.records += records;
        manifest.bytes_inflated += inflated;
        manifest.bytes_stored += stored;
        manifest.largest_object = manifest.largest_object.max(inflated);
    }
    // Signed hourly digest chains (skipped by the scan, read by verify).
    for (rel, bytes) in digests(&objects, &hashes) {
        let path = out.join(&rel);
        fs::create_dir_all(path.parent().expect("has a parent"))?;
        fs::write(path, bytes)?;
        if !rel.ends_with(crate::source::SIDECAR_SUFFIX) {
            manifest.digests += 1;
        } else {
            manifest.digest_sidecars += 1;
        }
    }
    fs::write(out.join("public-keys.json"), public_keys())?;
    let mut f = fs::File::create(out.join("manifest.json"))?;
    serde_json::to_writer_pretty(&mut f, &manifest)?;
    f.write_all(b"\n")?;
    Ok(manifest)
}

/// One synthetic log object in memory: (gzip bytes, JSON bytes, records).
/// For benches that must not touch the disk.
pub fn object_in_memory(size: u64, seed: u64) -> (Vec<u8>, Vec<u8>, u64) {
    let (objects, _) = plan(&SynthOptions {
        size,
        seed,
        largest: size,
    });
    let names = name_table();
    let total_weight: u32 = names.iter().map(|n| n.2).sum();
    let (gz, json, records) = build(&objects[0], &names, total_weight);
    (gz, json.into_bytes(), records)
}
