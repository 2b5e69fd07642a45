//! Object lists from S3 Inventory (`--manifest`), instead of listing the
//! bucket: the report's `manifest.json` and its data files, gzipped CSV or
//! Apache Parquet
//! (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-inventory-location.html>,
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-inventory.html>).
//!
//! An inventory is daily or weekly, so it says how old it is
//! ([`Manifest::created`]); `--manifest-delta` lists the days since with
//! the usual day-prefix listing ([`super::s3`]) and drops what the
//! inventory already named. Apache ORC reports are refused with that
//! reason (no ORC reader without the arrow stack; the inventory's format is
//! a setting of its configuration). Keys in the CSV are URL-encoded, as S3
//! writes them; Parquet holds them as they are. The data files are read
//! one at a time, a row at a time ([`Manifest::each_listed`]): memory is
//! one data file's stored bytes and a row (a CSV line is at most 64 KiB),
//! plus, with `--manifest-delta`, the keys of the last two days. Fetching
//! the files and sending the objects on is [`super::s3`]'s.

use std::io::{BufRead, Read};

pub use super::inventory_parquet::in_guarded_read;

use chrono::{DateTime, Utc};
use flate2::read::MultiGzDecoder;
use serde::Deserialize;

/// The largest manifest or data file read, inflated.
const MAX_FILE: u64 = 16 << 30;

/// A manifest: where the data files are and what their columns are.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// The bucket the inventory lists.
    pub source_bucket: String,
    /// The bucket the data files are in.
    pub destination_bucket: String,
    /// When the inventory was taken.
    pub created: DateTime<Utc>,
    /// The data files' keys.
    pub files: Vec<String>,
    /// How the data files are written.
    format: Format,
}

/// A data file's format.
#[derive(Debug, Clone, Copy)]
enum Format {
    /// Gzipped CSV without a header, its columns in the manifest's order.
    Csv(Columns),
    /// Apache Parquet, its columns found by name in the file's own schema.
    Parquet,
}

#[derive(Debug, Clone, Copy)]
struct Columns {
    key: usize,
    size: Option<usize>,
    is_latest: Option<usize>,
    is_delete_marker: Option<usize>,
    count: usize,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Raw {
    source_bucket: String,
    destination_bucket: String,
    creation_timestamp: String,
    file_format: String,
    file_schema: String,
    files: Vec<RawFile>,
}

#[derive(Deserialize)]
struct RawFile {
    key: String,
}

/// One object an inventory lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// Its key (decoded).
    pub key: String,
    /// Its size.
    pub size: u64,
}

impl Manifest {
    /// Parse a `manifest.json`.
    pub fn parse(bytes: &[u8]) -> Result<Manifest, String> {
        let raw: Raw = serde_json::from_slice(bytes)
            .map_err(|e| format!("not an S3 Inventory manifest.json ({e})"))?;
        let format = if raw.file_format.eq_ignore_ascii_case("CSV") {
            Format::Csv(Columns::of(&raw.file_schema)?)
        } else if raw.file_format.eq_ignore_ascii_case("Parquet") {
            // The file's own schema names its columns: the manifest's copy
            // of it is not needed.
            Format::Parquet
        } else {
            return Err(format!(
                "the inventory's data files are {}: CSV and Parquet inventories are read (set the inventory's output format to one of them)",
                raw.file_format
            ));
        };
        let ms: i64 = raw
            .creation_timestamp
            .trim()
            .parse()
            .map_err(|_| "creationTimestamp is not epoch milliseconds".to_owned())?;
        let created = DateTime::from_timestamp_millis(ms)
            .ok_or("creationTimestamp is out of range".to_owned())?;
        let destination_bucket = raw
            .destination_bucket
            .strip_prefix("arn:aws:s3:::")
            .unwrap_or(&raw.destination_bucket)
            .to_owned();
        Ok(Manifest {
            source_bucket: raw.source_bucket,
            destination_bucket,
            created,
            files: raw.files.into_iter().map(|f| f.key).collect(),
            format,
        })
    }

    /// Hand each current object of one data file (delete markers and
    /// noncurrent versions left out) to `each`, in the file's order, until
    /// it returns false. Rows are read as they are handed out: memory is
    /// the file's bytes and one row, not its inflated text or its list.
    ///
    /// Whatever the format, a key longer than S3's 1,024 bytes is an
    /// error, and so are keys adding up to more than [`KEYS_PER_BYTE`]
    /// times the file's size (64 MiB at least): a Parquet dictionary or a
    /// gzip stream can repeat one key millions of times from a few
    /// kilobytes, which would have the scan fetch one object as often, and
    /// an inventory's keys are each different.
    pub fn each_listed(
        &self,
        data: Vec<u8>,
        each: &mut dyn FnMut(Listed) -> bool,
    ) -> Result<(), String> {
        let most = data.len().saturating_mul(KEYS_PER_BYTE).max(64 << 20);
        let size = data.len();
        let (mut keys, mut refused) = (0usize, None);
        let mut checked = |l: Listed| {
            keys += l.key.len();
            refused = if l.key.len() > MAX_KEY {
                Some(format!(
                    "a key of {} bytes (S3 keys are at most {MAX_KEY})",
                    l.key.len()
                ))
            } else if keys > most {
                Some(format!(
                    "its rows hold more than {most} bytes of keys, over {KEYS_PER_BYTE} times the file's {size} bytes: not an inventory's (its keys repeat)"
                ))
            } else {
                None
            };
            refused.is_none() && each(l)
        };
        match self.format {
            Format::Csv(columns) => each_csv(columns, &data, &mut checked)?,
            Format::Parquet => super::inventory_parquet::each(data, &mut checked)?,
        }
        refused.map_or(Ok(()), Err)
    }

    /// The current objects of one data file, as a list.
    pub fn read_file(&self, data: Vec<u8>) -> Result<Vec<Listed>, String> {
        let mut out = Vec::new();
        self.each_listed(data, &mut |l| {
            out.push(l);
            true
        })?;
        Ok(out)
    }
}

impl Columns {
    /// The CSV columns a manifest's `fileSchema` names, in order.
    fn of(schema: &str) -> Result<Columns, String> {
        let names: Vec<&str> = schema.split(',').map(str::trim).collect();
        let find = |n: &str| names.iter().position(|c| *c == n);
        Ok(Columns {
            key: find("Key").ok_or("the inventory's fileSchema has no Key column")?,
            size: find("Size"),
            is_latest: find("IsLatest"),
            is_delete_marker: find("IsDeleteMarker"),
            count: names.len(),
        })
    }
}

/// S3's longest object key, in bytes
/// (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html>).
const MAX_KEY: usize = 1024;

/// How many bytes of keys a data file may list for each of its own bytes:
/// compressing the keys' shared prefixes gives a few times; far more is a
/// repeated key, not an inventory.
const KEYS_PER_BYTE: usize = 100;

/// The longest CSV line read: a row is a few fields and a key of at most
/// 1,024 bytes (3 KiB URL-encoded); a longer line is not an inventory's.
const MAX_LINE: u64 = 64 << 10;

/// The current objects of one gzipped CSV data file, a line at a time.
fn each_csv(c: Columns, gz: &[u8], each: &mut dyn FnMut(Listed) -> bool) -> Result<(), String> {
    let mut text = std::io::BufReader::new(MultiGzDecoder::new(gz).take(MAX_FILE + 1));
    let mut buf = Vec::new();
    let mut inflated = 0u64;
    let mut n = 0u64;
    loop {
        n += 1;
        buf.clear();
        let got = (&mut text)
            .take(MAX_LINE + 1)
            .read_until(b'\n', &mut buf)
            .map_err(|e| format!("not complete gzip ({e})"))?;
        if got == 0 {
            return Ok(());
        }
        inflated += got as u64;
        if inflated > MAX_FILE {
            return Err(format!("inflates to more than {MAX_FILE} bytes"));
        }
        if got as u64 > MAX_LINE {
            return Err(format!("line {n}: longer than {MAX_LINE} bytes"));
        }
        let line = std::str::from_utf8(&buf)
            .map_err(|_| format!("line {n}: not UTF-8 text"))?
            .trim_end_matches(['\n', '\r']);
        if line.trim().is_empty() {
            continue;
        }
        let fields = fields(line).ok_or_else(|| format!("line {n}: not CSV"))?;
        if fields.len() < c.count.min(c.key + 1) {
            return Err(format!("line {n}: {} fields", fields.len()));
        }
        // "true" or "false"; empty or anything else is not known, and an
        // object not known to be old or deleted is read (as Parquet's null).
        let flag = |i: Option<usize>| match i.and_then(|i| fields.get(i)).map(String::as_str) {
            Some("true") => Some(true),
            Some("false") => Some(false),
            _ => None,
        };
        if flag(c.is_delete_marker) == Some(true) || flag(c.is_latest) == Some(false) {
            continue;
        }
        let key = super::s3::url_decode(&fields[c.key]);
        let size = c
            .size
            .and_then(|i| fields.get(i))
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        if !each(Listed { key, size }) {
            return Ok(());
        }
    }
}

/// The fields of one CSV line: each quoted (`""` inside for a quote), as
/// S3 Inventory writes them, or bare.
fn fields(line: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        let mut f = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next()? {
                    '"' if chars.peek() == Some(&'"') => {
                        chars.next();
                        f.push('"');
                    }
                    '"' => break,
                    c => f.push(c),
                }
            }
            match chars.next() {
                None => {
                    out.push(f);
                    return Some(out);
                }
                Some(',') => {}
                Some(_) => return None,
            }
        } else {
            loop {
                match chars.next() {
                    None => {
                        out.push(f);
                        return Some(out);
                    }
                    Some(',') => break,
                    Some(c) => f.push(c),
                }
            }
        }
        out.push(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gz(text: &[u8]) -> Vec<u8> {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(text).unwrap();
        gz.finish().unwrap()
    }

    /// Rows are handed out as they are read: the reader stops when told,
    /// takes CRLF lines, and refuses a line no inventory writes.
    #[test]
    fn csv_rows_stream_and_a_runaway_line_is_an_error() {
        let m = Manifest::parse(br#"{"sourceBucket":"t","destinationBucket":"d","creationTimestamp":"0","fileFormat":"CSV","fileSchema":"Bucket, Key, Size","files":[]}"#).unwrap();
        let data = gz(b"\"t\",\"a.json.gz\",\"1\"\r\n\"t\",\"b.json.gz\",\"2\"\r\n\"t\",\"c.json.gz\",\"3\"\r\n");
        let mut seen = Vec::new();
        m.each_listed(data.clone(), &mut |l| {
            seen.push(l.key);
            seen.len() < 2
        })
        .unwrap();
        assert_eq!(seen, vec!["a.json.gz", "b.json.gz"]);
        assert_eq!(m.read_file(data).unwrap().len(), 3);
        let long = format!("\"t\",\"{}\",\"1\"\n", "k".repeat(70_000));
        let e = m.read_file(gz(long.as_bytes())).unwrap_err();
        assert!(e.contains("line 1: longer than"), "{e}");
        // The key limits are the same for both formats.
        let long_key = format!("\"t\",\"{}\",\"1\"\n", "k".repeat(2_000));
        let e = m.read_file(gz(long_key.as_bytes())).unwrap_err();
        assert!(e.contains("a key of 2000 bytes"), "{e}");
    }

    #[test]
    fn reads_a_csv_inventory_and_leaves_out_old_versions() {
        let m = Manifest::parse(br#"{"sourceBucket":"trail","destinationBucket":"arn:aws:s3:::inv","version":"2016-11-30","creationTimestamp":"1793577600000","fileFormat":"CSV","fileSchema":"Bucket, Key, VersionId, IsLatest, IsDeleteMarker, Size","files":[{"key":"inv/trail/cfg/data/a.csv.gz","size":1,"MD5checksum":"x"}]}"#).unwrap();
        assert_eq!(m.destination_bucket, "inv");
        assert_eq!(m.created.to_rfc3339(), "2026-11-02T00:00:00+00:00");
        let csv = "\"trail\",\"AWSLogs/1/a%20b.json.gz\",\"v1\",\"true\",\"false\",\"120\"\n\"trail\",\"AWSLogs/1/old.json.gz\",\"v0\",\"false\",\"false\",\"5\"\n\"trail\",\"AWSLogs/1/gone.json.gz\",\"v2\",\"true\",\"true\",\"\"\n";
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(csv.as_bytes()).unwrap();
        let got = m.read_file(gz.finish().unwrap()).unwrap();
        assert_eq!(
            got,
            vec![Listed {
                key: "AWSLogs/1/a b.json.gz".into(),
                size: 120
            }]
        );
        let parquet = String::from_utf8_lossy(br#"{"sourceBucket":"t","destinationBucket":"d","creationTimestamp":"1","fileFormat":"Parquet","fileSchema":"Bucket, Key","files":[]}"#).into_owned();
        assert!(Manifest::parse(parquet.as_bytes()).is_ok());
        let orc = parquet.replace("Parquet", "ORC");
        assert!(Manifest::parse(orc.as_bytes())
            .unwrap_err()
            .contains("CSV and Parquet"));
        assert_eq!(
            fields("\"a\",\"b\"\"c\",d").unwrap(),
            vec!["a", "b\"c", "d"]
        );
        assert!(fields("\"a").is_none());
    }
}
