//! Digest files and public-key files (`ctreplay verify`): any bytes as a
//! digest (twice, linked or not) and as a `list-public-keys` file give
//! statuses or a named error, never a panic; and without a usable key no
//! digest or object is ever `valid`: malformed input cannot pass for
//! CloudTrail's signature.
#![no_main]

use ctreplay::integrity::{
    digest::{DigestName, Parsed},
    verify, DigestInput, DigestStatus, Locator, LogInput, ObjectStatus, PublicKeys, VerifyInput,
};
use ctreplay::source::{Location, Selection};
use libfuzzer_sys::fuzz_target;

const KEY: &str = "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/11/01/111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_20261101T010000Z.json.gz";

fuzz_target!(|data: &[u8]| {
    let (digest, keys) = match data.iter().position(|&b| b == 0xff) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let _ = Parsed::parse(digest).map(|p| p.string_to_sign());
    let _ = DigestName::parse(&String::from_utf8_lossy(digest));
    let mut public = PublicKeys::default();
    let _ = public.add_json("keys.json", keys);
    let input = |name: &str, signature: Option<String>| DigestInput {
        location: Location::Memory(name.to_owned()),
        inflated: Ok(digest.to_vec()),
        signature: signature.map(|s| (s, ctreplay::integrity::SignatureSource::Sidecar)),
    };
    let sig = String::from_utf8_lossy(keys).into_owned();
    let r = verify(VerifyInput {
        logs: vec![LogInput {
            location: Location::Memory(
                "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/01/111122223333_CloudTrail_us-east-1_20261101T0010Z_aaaaaaaaaaaaaaaa.json.gz".to_owned(),
            ),
            sha256: Ok("00".repeat(32)),
            records: 1,
        }],
        digests: vec![input(KEY, None), input(&KEY.replace("T010000Z", "T020000Z"), Some(sig))],
        keys: &public,
        locator: Locator::Suffix,
        sel: &Selection::default(),
        events: &[],
        strict: false,
    });
    if public.is_empty() {
        assert!(r.digests.iter().all(|d| d.status != DigestStatus::Valid));
        assert!(r.objects.iter().all(|o| o.status != ObjectStatus::Valid));
    }
});
