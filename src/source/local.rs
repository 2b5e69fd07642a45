//! Local files and folders: [`LocalSource`] lists them and opens each file.
//!
//! Folders are walked recursively and symlinks are followed, because trail
//! copies are often assembled from links. A directory that links back to
//! one of its own ancestors is reported once as a symlink loop and not
//! entered; a directory reached twice by different links is listed once.
//!
//! A file a walk finds outside the CloudTrail key layout whose first bytes
//! show it is not a CloudTrail file (an export, an evidence manifest, the
//! synth manifest) is skipped and counted (`not_cloudtrail`), not reported
//! as unreadable; one inside the layout, or named on the command line, is
//! always read.

use std::collections::HashSet;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use super::keys::SkipReason;
use super::{
    read_limited, Fetched, KeyInfo, Listed, ListingError, Location, ObjectRef, Objects, OpenError,
    Opened, Selection, Source, SourceError, SIDECAR_SUFFIX,
};
use crate::progress::Progress;

/// Files and folders on disk.
#[derive(Debug, Clone)]
pub struct LocalSource {
    paths: Vec<PathBuf>,
}

impl LocalSource {
    /// The files and folders `paths` (files are taken as given, whatever
    /// their name).
    pub fn new(paths: Vec<PathBuf>) -> Self {
        LocalSource { paths }
    }
}

/// The signature in an `aws s3api head-object` output
/// (`Metadata.signature`, hex).
pub fn sidecar_signature(json: &[u8]) -> Result<String, OpenError> {
    let bad = |why: &str| {
        OpenError::Io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("its {SIDECAR_SUFFIX} file {why}"),
        ))
    };
    let v: serde_json::Value =
        serde_json::from_slice(json).map_err(|_| bad("is not head-object JSON output"))?;
    v.get("Metadata")
        .and_then(|m| m.get("signature"))
        .and_then(|s| s.as_str())
        .map(str::to_owned)
        .ok_or_else(|| bad("has no Metadata.signature"))
}

impl Source for LocalSource {
    fn fetch(&self, objects: &[ObjectRef], limit: usize) -> Vec<Result<Fetched, OpenError>> {
        use rayon::prelude::*;
        objects
            .par_iter()
            .map(|o| {
                let Location::File(path) = &o.location else {
                    unreachable!("a local listing holds files only")
                };
                let stored = read_limited(File::open(path).map_err(OpenError::Io)?, limit)?;
                let mut side = path.as_os_str().to_owned();
                side.push(SIDECAR_SUFFIX);
                let signature = match fs::read(&side) {
                    Ok(json) => Some(sidecar_signature(&json)?),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                    Err(e) => return Err(OpenError::Io(e)),
                };
                Ok(Fetched {
                    stored,
                    from_sidecar: signature.is_some(),
                    signature,
                })
            })
            .collect()
    }

    fn describe(&self) -> Vec<String> {
        self.paths.iter().map(|p| p.display().to_string()).collect()
    }

    fn objects<'a>(
        &'a self,
        sel: &'a Selection,
        progress: &'a dyn Progress,
    ) -> Result<Box<dyn Objects + 'a>, SourceError> {
        let listing = list(&self.paths)?;
        let mut listed = Listed {
            errors: listing.errors,
            ..Listed::default()
        };
        // Each shard counts the files it would own, so that the shards'
        // counts add up to one run's.
        let not_cloudtrail = listing
            .not_cloudtrail_paths
            .iter()
            .filter(|p| {
                let shown = p.display().to_string();
                sel.shard
                    .is_none_or(|s| s.owns(&KeyInfo::parse(&shown), &shown))
            })
            .count() as u64;
        if not_cloudtrail > 0 {
            listed
                .skipped
                .insert(SkipReason::NotCloudTrail, not_cloudtrail);
        }
        progress.listed(
            listing.objects.len() as u64,
            listing.objects.iter().map(|o| o.size).sum(),
        );
        let mut todo = Vec::new();
        for obj in listing.objects {
            match listed.list(&obj, sel) {
                Some(_) => {
                    progress.bytes(obj.size);
                    progress.object_done();
                }
                None => todo.push(obj),
            }
        }
        // Largest first, so the long poles start early and small objects
        // fill the gaps at the end.
        todo.sort_by(|a, b| {
            b.size
                .cmp(&a.size)
                .then_with(|| a.location.cmp(&b.location))
        });
        Ok(Box::new(LocalObjects {
            todo,
            next: AtomicUsize::new(0),
            listed,
        }))
    }
}

/// The files of one listing, handed out from a shared cursor.
struct LocalObjects {
    todo: Vec<ObjectRef>,
    next: AtomicUsize,
    listed: Listed,
}

impl Objects for LocalObjects {
    fn next(&self) -> Option<Opened> {
        let obj = self.todo.get(self.next.fetch_add(1, Ordering::Relaxed))?;
        let Location::File(path) = &obj.location else {
            unreachable!("a local listing holds files only")
        };
        let body = match File::open(path) {
            Ok(f) => Ok(Box::new(f) as Box<dyn std::io::Read + Send>),
            Err(e) => Err(OpenError::Io(e)),
        };
        Some(Opened {
            object: obj.clone(),
            body,
        })
    }

    fn finish(self: Box<Self>) -> Result<Listed, SourceError> {
        Ok(self.listed)
    }
}

/// Everything a folder walk found.
#[derive(Debug, Default)]
struct Listing {
    /// Objects, sorted by location, without duplicates.
    objects: Vec<ObjectRef>,
    /// Paths that could not be listed.
    errors: Vec<ListingError>,
    /// Files outside the key layout that are not CloudTrail files.
    not_cloudtrail: u64,
    /// Their paths.
    not_cloudtrail_paths: Vec<PathBuf>,
}

/// First keys of the files CloudTrail writes: log files, and digest files
/// (<https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-digest-file-structure.html>),
/// which the scan recognises whole and counts as digests.
const CLOUDTRAIL_FIRST_KEYS: [&[u8]; 7] = [
    b"Records",
    b"awsAccountId",
    b"digestStartTime",
    b"digestEndTime",
    b"digestS3Bucket",
    b"digestS3Object",
    b"logFiles",
];

/// Bytes looked at to tell a CloudTrail file from another JSON file.
const PEEK: usize = 4096;

/// Whether `path` is positively not a CloudTrail log file: its (inflated)
/// start is JSON that is not an object whose first key is `"Records"`
/// (how every CloudTrail log file starts,
/// <https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-examples.html>),
/// or it is empty. False whenever that cannot be told (unreadable, a gzip
/// stream that does not inflate): the scan then reads it and says why.
fn not_cloudtrail(path: &Path) -> bool {
    use std::io::Read;
    let Ok(f) = File::open(path) else {
        return false;
    };
    let mut head = Vec::with_capacity(PEEK);
    if f.take(PEEK as u64).read_to_end(&mut head).is_err() {
        return false;
    }
    let text = if head.starts_with(&[0x1f, 0x8b]) {
        let Ok(f) = File::open(path) else {
            return false;
        };
        let mut out = Vec::with_capacity(PEEK);
        let mut gz = flate2::read::MultiGzDecoder::new(f).take(PEEK as u64);
        if gz.read_to_end(&mut out).is_err() && out.is_empty() {
            return false;
        }
        out
    } else {
        head
    };
    let rest = text.trim_ascii_start();
    if rest.starts_with(b"[") {
        // A JSON array: a `--query` export, never a log file.
        return true;
    }
    let Some(inner) = rest.strip_prefix(b"{") else {
        // Empty, or not JSON: read, and reported if unreadable.
        return false;
    };
    let inner = inner.trim_ascii_start();
    if inner.starts_with(b"}") {
        return true;
    }
    // The first key, when it is plain and whole inside the peek.
    let Some(key) = inner.strip_prefix(b"\"") else {
        return false;
    };
    match memchr::memchr2(b'"', b'\\', key) {
        Some(i) if key[i] == b'"' => !CLOUDTRAIL_FIRST_KEYS.contains(&&key[..i]),
        _ => false,
    }
}

/// Identity of a directory, to notice links that lead back into the walk.
#[cfg(unix)]
fn dir_id(meta: &fs::Metadata, _path: &Path) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino())
}

#[cfg(not(unix))]
fn dir_id(_meta: &fs::Metadata, path: &Path) -> PathBuf {
    fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(unix)]
type DirId = (u64, u64);
#[cfg(not(unix))]
type DirId = PathBuf;

/// List the objects under `paths`. A path that does not exist is an error
/// for the whole listing: it is a usage mistake, not damaged data.
fn list(paths: &[PathBuf]) -> Result<Listing, SourceError> {
    let mut listing = Listing::default();
    let mut seen_dirs = HashSet::new();
    for p in paths {
        let meta = fs::metadata(p).map_err(|cause| SourceError::Path {
            path: p.display().to_string(),
            cause,
        })?;
        if meta.is_dir() {
            let mut ancestors = Vec::new();
            walk(p, &meta, &mut ancestors, &mut seen_dirs, &mut listing);
        } else {
            push_file(p, &meta, &mut listing);
        }
    }
    // Paths are compared as the OS gives them, so names that differ only
    // in bytes that are not UTF-8 stay apart.
    listing.objects.sort_by(|a, b| a.location.cmp(&b.location));
    listing.objects.dedup_by(|a, b| a.location == b.location);
    listing.errors.sort_by(|a, b| a.location.cmp(&b.location));
    Ok(listing)
}

fn push_file(path: &Path, meta: &fs::Metadata, listing: &mut Listing) {
    listing.objects.push(ObjectRef {
        key: KeyInfo::parse(&path.to_string_lossy()),
        location: Location::File(path.to_path_buf()),
        size: meta.len(),
    });
}

fn walk(
    dir: &Path,
    meta: &fs::Metadata,
    ancestors: &mut Vec<DirId>,
    seen: &mut HashSet<DirId>,
    listing: &mut Listing,
) {
    let id = dir_id(meta, dir);
    if ancestors.contains(&id) {
        listing.errors.push(ListingError {
            location: dir.display().to_string(),
            reason: "symlink loop: this directory links back to one of its ancestors; not entered"
                .into(),
        });
        return;
    }
    #[allow(clippy::clone_on_copy)] // DirId is a PathBuf off unix
    if !seen.insert(id.clone()) {
        return;
    }
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            listing.errors.push(ListingError {
                location: dir.display().to_string(),
                reason: format!("cannot list directory: {e}"),
            });
            return;
        }
    };
    let mut children: Vec<PathBuf> = Vec::new();
    for entry in entries {
        match entry {
            Ok(e) => children.push(e.path()),
            Err(e) => listing.errors.push(ListingError {
                location: dir.display().to_string(),
                reason: format!("cannot list directory: {e}"),
            }),
        }
    }
    children.sort();
    ancestors.push(id);
    for child in children {
        // Follow links: metadata() resolves them.
        let meta = match fs::metadata(&child) {
            Ok(m) => m,
            Err(e) => {
                let is_link =
                    fs::symlink_metadata(&child).is_ok_and(|m| m.file_type().is_symlink());
                let name = child
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                if is_link && !super::keys::is_log_name(&name) {
                    continue;
                }
                listing.errors.push(ListingError {
                    location: child.display().to_string(),
                    reason: if is_link {
                        format!("broken symlink: {e}")
                    } else {
                        format!("cannot stat: {e}")
                    },
                });
                continue;
            }
        };
        if meta.is_dir() {
            walk(&child, &meta, ancestors, seen, listing);
        } else if meta.is_file()
            && child
                .file_name()
                .is_some_and(|n| super::keys::is_log_name(&n.to_string_lossy()))
        {
            if !super::keys::in_layout(&child.to_string_lossy()) && not_cloudtrail(&child) {
                listing.not_cloudtrail += 1;
                listing.not_cloudtrail_paths.push(child.clone());
            } else {
                push_file(&child, &meta, listing);
            }
        }
    }
    ancestors.pop();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_outside_the_layout_that_are_not_cloudtrail_are_skipped_and_counted() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let day = root.join("AWSLogs/111122223333/CloudTrail/eu-west-1/2026/11/02");
        fs::create_dir_all(&day).unwrap();
        let gz = |b: &[u8]| {
            use std::io::Write;
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(b).unwrap();
            e.finish().unwrap()
        };
        // Skipped: exports, a bare list, an empty object, a gzipped export.
        fs::write(root.join("filters.json"), br#"{"metricFilters": []}"#).unwrap();
        fs::write(root.join("list.json"), b" [1]").unwrap();
        fs::write(root.join("empty-object.json"), b"{ }").unwrap();
        fs::write(
            root.join("history.json.gz"),
            gz(br#"{"AlarmHistoryItems":[]}"#),
        )
        .unwrap();
        // Read: a flat CloudTrail copy, junk, an escaped first key, a bad
        // gzip, and anything inside the layout.
        fs::write(root.join("flat.json.gz"), gz(br#"{"Records":[]}"#)).unwrap();
        fs::write(root.join("digest.json.gz"), gz(br#"{"awsAccountId":"1"}"#)).unwrap();
        fs::write(root.join("junk.json"), b"not json").unwrap();
        fs::write(root.join("escaped.json"), br#"{"\u0052ecords":[]}"#).unwrap();
        fs::write(root.join("bad.json.gz"), [0x1f, 0x8b, 0, 0]).unwrap();
        fs::write(day.join("export.json"), br#"{"metricFilters": []}"#).unwrap();
        let listing = list(&[root.to_path_buf()]).unwrap();
        let names: Vec<String> = listing
            .objects
            .iter()
            .map(|o| match &o.location {
                Location::File(p) => p.file_name().unwrap().to_string_lossy().into_owned(),
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(
            names,
            [
                "export.json",
                "bad.json.gz",
                "digest.json.gz",
                "escaped.json",
                "flat.json.gz",
                "junk.json"
            ]
        );
        assert_eq!(listing.not_cloudtrail, 4);
        // Named on the command line: read, whatever it holds.
        let listing = list(&[root.join("filters.json")]).unwrap();
        assert_eq!((listing.objects.len(), listing.not_cloudtrail), (1, 0));
        assert!(crate::source::keys::in_layout(
            &day.join("x.json.gz").to_string_lossy()
        ));
        assert!(!crate::source::keys::in_layout(
            "AWSLogs/111122223333/CloudTrail/eu-west-1/x.json.gz"
        ));
    }

    #[test]
    fn walks_sorted_and_survives_symlink_loops() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("a/b")).unwrap();
        fs::write(root.join("a/b/2.json.gz"), b"").unwrap();
        fs::write(root.join("a/1.json"), b"").unwrap();
        fs::write(root.join("a/notes.txt"), b"").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(root.join("a"), root.join("a/b/loop")).unwrap();
        let l = list(&[root.to_path_buf()]).unwrap();
        let names: Vec<_> = l
            .objects
            .iter()
            .map(|o| match &o.location {
                Location::File(p) => p.strip_prefix(root).unwrap().to_owned(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            names,
            [PathBuf::from("a/1.json"), PathBuf::from("a/b/2.json.gz")]
        );
        #[cfg(unix)]
        assert!(
            l.errors.iter().any(|e| e.reason.contains("symlink loop")),
            "{:?}",
            l.errors
        );
        assert!(list(&[root.join("missing")]).is_err());
    }
}
