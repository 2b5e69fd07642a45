//! The two inflate paths: where libdeflate reads a whole object in one
//! piece and zlib-rs streaming also reads it, they give the same bytes;
//! and the one-shot path never claims more than the trailer's size.
//! (Where only one of them accepts a malformed stream this says nothing:
//! the path taken depends on the object only, so each object is still
//! read one way.)
//!
//! Half the inputs are taken as they are; the other half are gzipped
//! first and then have one byte changed, so that most of them are gzip
//! that libdeflate reads far enough to matter.
#![no_main]

use std::io::Write;

use ctreplay::scan::inflate::{Inflater, NameHint};
use ctreplay::scan::oneshot::{self, OneShot};
use flate2::{write::GzEncoder, Compression};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let owned;
    let data = match input.split_first() {
        Some((&mode, rest)) if mode & 1 == 1 && rest.len() >= 3 => {
            let (at, flip, plain) = (u16::from_le_bytes([rest[0], rest[1]]), rest[2], &rest[3..]);
            let mut e = GzEncoder::new(Vec::new(), Compression::new(u32::from(mode >> 4) % 10));
            e.write_all(plain).unwrap();
            let mut gz = e.finish().unwrap();
            if mode & 2 == 2 && !gz.is_empty() {
                let i = usize::from(at) % gz.len();
                gz[i] ^= flip;
            }
            owned = gz;
            &owned[..]
        }
        _ => input,
    };
    let mut z = OneShot::new();
    let mut whole = Vec::new();
    if !z.inflate(data, 1 << 20, &mut whole) {
        return;
    }
    assert_eq!(Some(whole.len() as u32), oneshot::claimed_size(data));
    let mut inf = Inflater::new();
    let mut s = inf.stream(data, NameHint::Gzip, 1 << 20);
    let mut streamed = Vec::new();
    loop {
        match s.read_block(&mut streamed, 1 << 16) {
            Ok(0) => break,
            Ok(_) => {}
            Err(_) => return,
        }
    }
    assert_eq!(whole, streamed, "the two inflaters read different bytes");
});
