//! S3 Inventory data files (`--manifest`): any bytes, read as a gzipped
//! CSV or as a Parquet file, give objects or an error, never a panic.
//! libfuzzer-sys's panic hook aborts, so a panic the Parquet reader's
//! guard would catch is still found here.
#![no_main]

use ctreplay::source::inventory::Manifest;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for format in ["CSV", "Parquet"] {
        let manifest = format!(
            r#"{{"sourceBucket":"t","destinationBucket":"d","creationTimestamp":"0","fileFormat":"{format}","fileSchema":"Bucket, Key, IsLatest, IsDeleteMarker, Size","files":[]}}"#
        );
        let m = Manifest::parse(manifest.as_bytes()).expect("a valid manifest");
        let _ = m.read_file(data.to_vec());
    }
});
