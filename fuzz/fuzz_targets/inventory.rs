//! S3 Inventory data files (`--manifest`): any bytes, read as a gzipped
//! CSV or as a Parquet file, give objects or an error, never a panic
//! outside the Parquet reader's guard. libfuzzer-sys's panic hook aborts on
//! every panic; panics inside the guard (the parquet crate's, caught and
//! reported as the file's error) are let through here so that the fuzzer
//! goes on past them, and every other one still aborts.
#![no_main]

use ctreplay::source::inventory::Manifest;
use libfuzzer_sys::fuzz_target;

fuzz_target!(init: {
    let fuzzer_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !ctreplay::source::inventory::in_guarded_read() {
            fuzzer_hook(info);
        }
    }));
}, |data: &[u8]| {
    for format in ["CSV", "Parquet"] {
        let manifest = format!(
            r#"{{"sourceBucket":"t","destinationBucket":"d","creationTimestamp":"0","fileFormat":"{format}","fileSchema":"Bucket, Key, IsLatest, IsDeleteMarker, Size","files":[]}}"#
        );
        let m = Manifest::parse(manifest.as_bytes()).expect("a valid manifest");
        let _ = m.read_file(data.to_vec());
    }
});
