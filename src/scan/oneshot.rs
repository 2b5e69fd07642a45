//! A whole gzip object held in memory -> its inflated bytes, in one call to
//! libdeflate.
//!
//! libdeflate inflates faster than zlib-rs through [`flate2::Decompress`]
//! (`cargo bench --bench scan -- inflate/`, one core: 1.31 against 1.00
//! GiB/s; whole scans on the bench trail went from 1.38 to 1.1 CPU-s with
//! this path: see the README's Performance section), but only
//! whole buffers: it cannot stream, and it needs the inflated size up front.
//! A CloudTrail object is one gzip member whose trailer (RFC 1952, ISIZE)
//! gives that size, so most objects can take this path.
//!
//! This module decides nothing about bad data. It answers "here is the
//! object, inflated and checked" (one member, CRC32 and length verified by
//! libdeflate, nothing after it but zero padding) or "not this way", and
//! the caller then reads the object through the streaming inflater in
//! [`super::inflate`], which owns every error message, the records kept
//! before a failure, and the multi-member case. So a damaged, truncated,
//! multi-member or lying object gives exactly the report it gave before
//! this path existed; it only costs a second attempt.
//!
//! Whether an object takes this path depends on the object alone (its
//! sizes, against fixed limits), never on the thread count or on what
//! other threads hold: the two are separate implementations and nothing
//! here shows they accept exactly the same malformed streams (the `inflate`
//! fuzz target checks only that they agree where both succeed), and the
//! same object must be read the same way in every run.
//!
//! This is the crate's one foreign call; the `unsafe` is here and nowhere
//! else in the inflate path.

use std::mem::MaybeUninit;
use std::ptr::NonNull;

use libdeflate_sys::{
    libdeflate_alloc_decompressor, libdeflate_decompressor, libdeflate_free_decompressor,
    libdeflate_gzip_decompress_ex, libdeflate_result_LIBDEFLATE_SUCCESS,
};

/// The largest inflated object read in one piece: larger ones are
/// streamed. 128 MiB covers the bench script's 85 MB object with room to
/// spare, and bounds what one worker holds for it.
pub const MAX_INFLATED: usize = 128 << 20;

/// The largest stored object read whole before inflating: larger ones are
/// streamed. About a third of [`MAX_INFLATED`]: the bench trail compresses
/// 4.8 times (1,002 MB of JSON in 208 MB), so a whole-readable object is
/// rarely refused for its stored size first.
pub const MAX_STORED: usize = 40 << 20;

/// The inflated size the last gzip trailer of `gz` claims (its ISIZE, the
/// size modulo 2^32), if `gz` starts with the gzip magic and is long enough
/// to hold a header and a trailer.
pub fn claimed_size(gz: &[u8]) -> Option<u32> {
    // 10 bytes of header, at least 2 of deflate data, 8 of trailer.
    if gz.len() < 20 || gz[..2] != [0x1f, 0x8b] {
        return None;
    }
    let t = &gz[gz.len() - 4..];
    Some(u32::from_le_bytes([t[0], t[1], t[2], t[3]]))
}

/// One libdeflate decompressor (about 30 KB of tables); one per worker.
pub struct OneShot {
    d: NonNull<libdeflate_decompressor>,
}

// SAFETY: a libdeflate decompressor holds no thread-local or shared state;
// it may move between threads, and `&mut self` keeps it to one at a time.
unsafe impl Send for OneShot {}

impl std::fmt::Debug for OneShot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OneShot").finish_non_exhaustive()
    }
}

impl Default for OneShot {
    fn default() -> Self {
        Self::new()
    }
}

impl OneShot {
    /// A decompressor. Aborts like any allocation if memory is exhausted.
    pub fn new() -> Self {
        // SAFETY: no preconditions; NULL means out of memory.
        let p = unsafe { libdeflate_alloc_decompressor() };
        let Some(d) = NonNull::new(p) else {
            std::alloc::handle_alloc_error(std::alloc::Layout::new::<[u8; 32 << 10]>())
        };
        OneShot { d }
    }

    /// Inflate `gz`, a whole object, into `out` (replacing what it held),
    /// if it is one gzip member of at most `limit` inflated bytes followed
    /// by nothing but zero bytes. True when `out` holds the checked
    /// result; false otherwise, with `out` in an unspecified state: read the
    /// object through [`super::inflate`] instead.
    pub fn inflate(&mut self, gz: &[u8], limit: usize, out: &mut Vec<u8>) -> bool {
        let Some(claimed) = claimed_size(gz) else {
            return false;
        };
        // A trailer that claims more than the limit: stream it, under the
        // streaming inflater's own cap. One that claims less than the truth
        // (a lie, or the size modulo 2^32) fails below for lack of room.
        let want = claimed as usize;
        if want > limit {
            return false;
        }
        out.clear();
        out.reserve_exact(want);
        let spare: &mut [MaybeUninit<u8>] = &mut out.spare_capacity_mut()[..want];
        let (mut used_in, mut made) = (0usize, 0usize);
        // SAFETY: `gz` is valid for reads of its length and `spare` for
        // writes of `want` bytes (MaybeUninit: libdeflate only writes);
        // libdeflate writes at most `want` bytes and reports how many
        // through `made`, and how much input it used through `used_in`.
        let ret = unsafe {
            libdeflate_gzip_decompress_ex(
                self.d.as_ptr(),
                gz.as_ptr().cast(),
                gz.len(),
                spare.as_mut_ptr().cast(),
                want,
                &mut used_in,
                &mut made,
            )
        };
        if ret != libdeflate_result_LIBDEFLATE_SUCCESS || made > want || used_in > gz.len() {
            return false;
        }
        // SAFETY: libdeflate initialised the first `made` bytes of the
        // spare capacity, and `made <= want <= capacity`.
        unsafe { out.set_len(made) };
        // Only zero padding may follow the member, as the streaming
        // inflater tolerates; another member or anything else is its to
        // read or report.
        gz[used_in..].iter().all(|&b| b == 0)
    }
}

impl Drop for OneShot {
    fn drop(&mut self) {
        // SAFETY: `d` came from libdeflate_alloc_decompressor and is freed
        // once, here.
        unsafe { libdeflate_free_decompressor(self.d.as_ptr()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::inflate::tests::gz;

    #[test]
    fn one_member_is_inflated_and_checked() {
        let data: Vec<u8> = (0..300_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect();
        let mut z = OneShot::new();
        let mut out = b"left over".to_vec();
        let bytes = gz(&data);
        assert_eq!(claimed_size(&bytes), Some(data.len() as u32));
        assert!(z.inflate(&bytes, usize::MAX, &mut out));
        assert_eq!(out, data);
        let mut padded = bytes.clone();
        padded.extend([0; 7]);
        // The padding hides the trailer: no size to go by, so not this way.
        assert!(!z.inflate(&padded, usize::MAX, &mut out));
    }

    #[test]
    fn anything_else_is_left_to_the_streaming_inflater() {
        let mut z = OneShot::new();
        let mut out = Vec::new();
        let data = vec![b'x'; 100_000];
        let bytes = gz(&data);
        assert!(
            !z.inflate(&bytes, data.len() - 1, &mut out),
            "over the limit"
        );
        let mut two = gz(b"first ");
        two.extend(gz(b"second"));
        assert!(!z.inflate(&two, usize::MAX, &mut out), "two members");
        let mut junk = bytes.clone();
        junk.extend(b"junk");
        assert!(!z.inflate(&junk, usize::MAX, &mut out), "trailing bytes");
        let mut crc = bytes.clone();
        let n = crc.len();
        crc[n - 8] ^= 1;
        assert!(!z.inflate(&crc, usize::MAX, &mut out), "CRC32");
        let mut lie = bytes.clone();
        lie[n - 4..].copy_from_slice(&(data.len() as u32 - 1).to_le_bytes());
        assert!(!z.inflate(&lie, usize::MAX, &mut out), "a short ISIZE");
        lie[n - 4..].copy_from_slice(&(data.len() as u32 + 1).to_le_bytes());
        assert!(!z.inflate(&lie, usize::MAX, &mut out), "a long ISIZE");
        for cut in [0, 1, 10, 19, n / 2, n - 1] {
            assert!(!z.inflate(&bytes[..cut], usize::MAX, &mut out), "cut {cut}");
        }
        assert!(!z.inflate(b"{\"Records\":[]}..........", usize::MAX, &mut out));
    }
}
