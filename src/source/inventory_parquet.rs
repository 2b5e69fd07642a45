//! S3 Inventory data files in Apache Parquet: the objects of one file, read
//! with the `parquet` crate's record API, only the columns the scan needs.
//!
//! The columns are found by name in the file's own schema, as S3 writes
//! them (`key`, `size`, `is_latest`, `is_delete_marker`:
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-inventory-location.html>);
//! the key is the object's key as it is (only the CSV format URL-encodes
//! it). The manifest and the CSV format are [`super::inventory`]'s.
//!
//! A file is the user's own inventory, not log content, but it is still
//! read as untrusted: every failure is an error naming what is wrong. What
//! the crate would not survive is checked before it reads: the schema's
//! nesting ([`super::parquet_footer`]: its recursion would overflow the
//! stack) and the column chunks' bounds (it asserts on them); a panic left
//! inside it on a malformed file is caught and reported as an error. Rows
//! are handed out one at a time: memory is the file, a row and what the
//! crate allocates for a page, which a page header declares (up to 2 GiB).
//! The limits on keys, for both formats, are [`super::inventory`]'s.

use std::cell::Cell;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};

use bytes::Bytes;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::Field;
use parquet::schema::types::Type;

use super::inventory::Listed;

/// The columns read, by the names S3 Inventory gives them.
const KEY: &str = "key";
const SIZE: &str = "size";
const IS_LATEST: &str = "is_latest";
const IS_DELETE_MARKER: &str = "is_delete_marker";

thread_local! {
    /// Set while this thread is inside the guarded read.
    static GUARDED: Cell<bool> = const { Cell::new(false) };
}

/// Whether the current thread is inside the Parquet reader's guard: a
/// panic hook can leave its message out, the panic being caught and
/// reported as the file's error (the binary's hook, and the fuzz target's,
/// which would otherwise abort on it).
pub fn in_guarded_read() -> bool {
    GUARDED.with(Cell::get)
}

/// Hand each current object of one Parquet data file (delete markers and
/// noncurrent versions left out) to `each` until it returns false. The
/// guard covers the crate only: a panic in `each` is not the file's fault
/// and goes on unwinding, its message printed.
pub(super) fn each(data: Vec<u8>, each: &mut dyn FnMut(Listed) -> bool) -> Result<(), String> {
    let in_callback = Cell::new(false);
    let mut handed = |l: Listed| {
        GUARDED.with(|g| g.set(false));
        in_callback.set(true);
        let go = each(l);
        in_callback.set(false);
        GUARDED.with(|g| g.set(true));
        go
    };
    GUARDED.with(|g| g.set(true));
    let got = catch_unwind(AssertUnwindSafe(|| rows(Bytes::from(data), &mut handed)));
    GUARDED.with(|g| g.set(false));
    match got {
        Ok(r) => r,
        Err(panic) if in_callback.get() => resume_unwind(panic),
        Err(_) => Err("not a readable Parquet file (the reader gave up on it)".to_owned()),
    }
}

/// The current objects of one Parquet data file, as a list, read as the
/// scan reads it (with the key limits of [`super::inventory`]).
#[cfg(test)]
fn read(data: Vec<u8>) -> Result<Vec<Listed>, String> {
    super::inventory::Manifest::parse(br#"{"sourceBucket":"t","destinationBucket":"d","creationTimestamp":"0","fileFormat":"Parquet","fileSchema":"","files":[]}"#)?
        .read_file(data)
}

fn rows(data: Bytes, each: &mut dyn FnMut(Listed) -> bool) -> Result<(), String> {
    super::parquet_footer::check(&data)?;
    let len = data.len() as u64;
    let reader = SerializedFileReader::new(data).map_err(|e| format!("not Parquet ({e})"))?;
    chunks_inside(reader.metadata(), len)?;
    let schema = reader.metadata().file_metadata().schema();
    let wanted = [KEY, SIZE, IS_LATEST, IS_DELETE_MARKER];
    let fields: Vec<_> = schema
        .get_fields()
        .iter()
        .filter(|f| f.is_primitive() && wanted.contains(&f.name()))
        .cloned()
        .collect();
    if !fields.iter().any(|f| f.name() == KEY) {
        return Err("its schema has no key column".to_owned());
    }
    let projection = Type::group_type_builder(schema.name())
        .with_fields(fields)
        .build()
        .map_err(|e| format!("its schema cannot be read ({e})"))?;
    let iter = reader
        .get_row_iter(Some(projection))
        .map_err(|e| format!("its rows cannot be read ({e})"))?;
    for (n, row) in iter.enumerate() {
        let row = row.map_err(|e| format!("row {}: {e}", n + 1))?;
        let mut key = None;
        let mut size = 0;
        let mut current = true;
        for (name, field) in row.into_columns() {
            match (name.as_str(), field) {
                (KEY, Field::Str(s)) => key = Some(s),
                (KEY, Field::Bytes(b)) => {
                    let s = std::str::from_utf8(b.data())
                        .map_err(|_| format!("row {}: the key is not UTF-8", n + 1))?;
                    key = Some(s.to_owned());
                }
                (KEY, Field::Null) => {}
                (KEY, other) => {
                    return Err(format!("row {}: the key is not text ({other})", n + 1));
                }
                (SIZE, f) => size = whole(&f).unwrap_or(0),
                (IS_LATEST, Field::Bool(false)) | (IS_DELETE_MARKER, Field::Bool(true)) => {
                    current = false;
                }
                _ => {}
            }
        }
        let key = key.ok_or_else(|| format!("row {}: no key", n + 1))?;
        if current && !each(Listed { key, size }) {
            return Ok(());
        }
    }
    Ok(())
}

/// Every column chunk the footer describes lies inside the file: the
/// reader asserts (panics) on a negative offset or size rather than
/// returning an error, so that is checked first (found by fuzzing).
fn chunks_inside(meta: &parquet::file::metadata::ParquetMetaData, len: u64) -> Result<(), String> {
    for (g, group) in meta.row_groups().iter().enumerate() {
        for (c, col) in group.columns().iter().enumerate() {
            let start = col
                .dictionary_page_offset()
                .unwrap_or(col.data_page_offset());
            let end = u64::try_from(start)
                .ok()
                .zip(u64::try_from(col.compressed_size()).ok())
                .and_then(|(s, n)| s.checked_add(n));
            if end.is_none_or(|e| e > len) {
                return Err(format!(
                    "row group {g}, column {c}: its chunk ({start} + {} bytes) is not inside the file ({len} bytes)",
                    col.compressed_size()
                ));
            }
        }
    }
    Ok(())
}

/// A size column's value, whatever integer type the file gives it.
fn whole(f: &Field) -> Option<u64> {
    match *f {
        Field::Long(v) => u64::try_from(v).ok(),
        Field::Int(v) => u64::try_from(v).ok(),
        Field::ULong(v) => Some(v),
        Field::UInt(v) => Some(u64::from(v)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// testdata/inventory/ was written by pyarrow (scripts/parquet-inventory.py)
    /// with S3's documented Parquet inventory schema, two rows a row group.
    fn fixture(codec: &str) -> Vec<u8> {
        fixture_named(&format!("inventory-{codec}"))
    }

    fn fixture_named(name: &str) -> Vec<u8> {
        let p = format!(
            "{}/testdata/inventory/{name}.parquet",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read(p).unwrap()
    }

    #[test]
    fn reads_current_objects_with_keys_as_they_are() {
        let base = "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/01/";
        let want = vec![
            Listed {
                key: format!("{base}111122223333_CloudTrail_us-east-1_20261101T0005Z_a.json.gz"),
                size: 1200,
            },
            Listed {
                key: format!("{base}a b+c%20\u{e9}.json.gz"),
                size: 7,
            },
            Listed {
                key: format!("{base}nosize.json.gz"),
                size: 0,
            },
        ];
        for codec in ["snappy", "gzip"] {
            assert_eq!(read(fixture(codec)).unwrap(), want, "{codec}");
        }
    }

    #[test]
    fn a_codec_left_out_of_the_build_is_named() {
        let e = read(fixture("zstd")).unwrap_err();
        assert!(e.to_lowercase().contains("zstd"), "{e}");
    }

    #[test]
    fn a_cut_file_is_an_error() {
        let whole = fixture("snappy");
        for cut in [0, 4, whole.len() / 2, whole.len() - 9, whole.len() - 1] {
            assert!(read(whole[..cut].to_vec()).is_err(), "cut at {cut}");
        }
    }

    /// fuzz/artifacts: a footer whose column chunk starts at a negative
    /// offset, which the reader asserts on.
    #[test]
    fn a_chunk_outside_the_file_is_an_error() {
        let e = read(fixture_named("bad-chunk-offset")).unwrap_err();
        assert!(e.contains("not inside the file"), "{e}");
    }

    /// A schema nested 2,000 groups deep (16 KB, written by a reviewer's
    /// script): the crate's recursion would overflow a worker's stack,
    /// which aborts; it is refused before.
    #[test]
    fn a_deeply_nested_schema_is_refused_not_a_stack_overflow() {
        let data = fixture_named("deep-schema");
        // On a thread with a small stack, as a tokio worker's.
        let e = std::thread::Builder::new()
            .stack_size(256 << 10)
            .spawn(move || read(data))
            .unwrap()
            .join()
            .unwrap()
            .unwrap_err();
        assert!(e.contains("nests more than 32 levels"), "{e}");
    }

    /// fuzz/artifacts: a dictionary-encoded page with no dictionary page,
    /// on which the crate panics inside its decoder; the guard makes it
    /// the file's error.
    #[test]
    fn a_panic_inside_the_reader_is_the_files_error() {
        let e = read(fixture_named("no-dictionary")).unwrap_err();
        assert!(e.contains("gave up"), "{e}");
        assert!(!in_guarded_read());
    }

    /// One 1,000-byte key repeated 100,000 times in 13 KB (pyarrow's
    /// dictionary): refused at 64 MiB of keys, not read to 100 MB.
    #[test]
    fn a_repeated_dictionary_key_is_refused() {
        let e = read(fixture_named("repeated-key")).unwrap_err();
        assert!(e.contains("bytes of keys"), "{e}");
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(read(b"PAR1 not really PAR1".to_vec()).is_err());
        assert!(read(Vec::new()).is_err());
    }
}
