//! Where a nested JSON value ends: the bitmask scan of simdjson's stage 1,
//! on the widest vector instructions this CPU has.
//!
//! 64 bytes at a time: masks of quotes, backslashes, opening and closing
//! brackets; escaped characters found with carry arithmetic; unescaped
//! quotes turned into an "inside a string" mask with a prefix XOR (a
//! carry-less multiply where the CPU has one); brackets outside strings
//! counted with popcounts. Bits are walked one by one only in a chunk
//! where the value can end, and without a branch on each bracket's kind.
//!
//! The instruction set is chosen once, at run time ([`Isa::detect`]):
//! AVX-512BW builds the four masks of a chunk from one load, AVX2 from two,
//! the x86_64 baseline (SSE2) from four, and other targets byte by byte.
//! Every variant computes the same masks; the tests compare them on random
//! and adversarial chunks. The state machine around values (keys, commas,
//! the records array) is [`super::split`]'s.

/// The carries of one value's scan from chunk to chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Nest {
    /// Brackets open, counting the value's own.
    pub(super) depth: u32,
    /// All ones if the previous chunk ended inside a string.
    in_string: u64,
    /// 1 if the previous chunk ended in an odd run of backslashes.
    prev_escaped: u64,
}

impl Nest {
    /// Just past the value's opening bracket.
    pub(super) fn opened() -> Nest {
        Nest {
            depth: 1,
            in_string: 0,
            prev_escaped: 0,
        }
    }

    /// Whether the bytes scanned so far end inside a string.
    pub(super) fn in_string(&self) -> bool {
        self.in_string != 0
    }
}

/// The vector instructions the scan uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isa {
    /// AVX-512BW (with POPCNT and PCLMULQDQ).
    Avx512,
    /// AVX2 (with POPCNT and PCLMULQDQ).
    Avx2,
    /// SSE2, the x86_64 baseline.
    Sse2,
    /// Byte by byte (targets other than x86_64).
    Portable,
}

impl Isa {
    /// The widest this CPU has (std caches the CPUID answer).
    pub fn detect() -> Isa {
        #[cfg(target_arch = "x86_64")]
        {
            let with = is_x86_feature_detected!("popcnt")
                && is_x86_feature_detected!("pclmulqdq")
                && is_x86_feature_detected!("bmi1");
            if with && is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("avx512bw") {
                return Isa::Avx512;
            }
            if with && is_x86_feature_detected!("avx2") {
                return Isa::Avx2;
            }
            Isa::Sse2
        }
        #[cfg(not(target_arch = "x86_64"))]
        Isa::Portable
    }

    /// Every variant this CPU can run, widest first.
    #[cfg(test)]
    fn available() -> Vec<Isa> {
        let all = [Isa::Avx512, Isa::Avx2, Isa::Sse2, Isa::Portable];
        let best = Isa::detect();
        let from = all.iter().position(|&i| i == best).unwrap_or(3);
        all[from..].to_vec()
    }
}

/// Scan `buf` from `*pos`, 64 bytes at a time, for the bracket that closes
/// the value `nest` describes. Returns the offset just past it. Returns
/// None when the buffer ends first, with `*pos` where the next call must
/// resume: at the last partial chunk, which waits for more bytes unless
/// `eof`, when it is scanned padded with spaces.
pub(super) fn close(
    isa: Isa,
    buf: &[u8],
    pos: &mut usize,
    nest: &mut Nest,
    eof: bool,
) -> Option<usize> {
    match isa {
        // SAFETY: `detect` chose these only where the CPU has the features
        // the functions are compiled for.
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 => unsafe { x86::close_avx512(buf, pos, nest, eof) },
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => unsafe { x86::close_avx2(buf, pos, nest, eof) },
        #[cfg(target_arch = "x86_64")]
        Isa::Sse2 => close_with(buf, pos, nest, eof, x86::masks_sse2, prefix_xor),
        _ => close_with(buf, pos, nest, eof, masks_portable, prefix_xor),
    }
}

/// Bitmasks of one 64-byte chunk: bit i describes byte i.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Masks {
    quote: u64,
    backslash: u64,
    open: u64,
    close: u64,
}

/// The scan loop, inlined into each instruction-set variant so that the
/// mask builder, the prefix XOR and the popcounts compile with its
/// features.
#[inline(always)]
fn close_with(
    buf: &[u8],
    pos: &mut usize,
    nest: &mut Nest,
    eof: bool,
    masks_of: impl Fn(&[u8; 64]) -> Masks,
    prefix: impl Fn(u64) -> u64,
) -> Option<usize> {
    while *pos < buf.len() {
        let p = *pos;
        let m = match buf.get(p..p + 64) {
            Some(chunk) => masks_of(chunk.try_into().expect("64 bytes")),
            None if eof => {
                let mut pad = [b' '; 64];
                pad[..buf.len() - p].copy_from_slice(&buf[p..]);
                masks_of(&pad)
            }
            None => return None,
        };
        let escaped = if m.backslash | nest.prev_escaped == 0 {
            0
        } else {
            find_escaped(m.backslash, &mut nest.prev_escaped)
        };
        let inside = prefix(m.quote & !escaped) ^ nest.in_string;
        nest.in_string = ((inside as i64) >> 63) as u64;
        let opens = m.open & !inside;
        let closes = m.close & !inside;
        let n_close = closes.count_ones();
        if n_close < nest.depth {
            // It cannot end here: fewer closers than open brackets.
            nest.depth = nest.depth + opens.count_ones() - n_close;
        } else {
            let mut bits = opens | closes;
            while bits != 0 {
                let i = bits.trailing_zeros();
                // +1 for an opener, -1 for a closer, without a branch on
                // which: that branch is unpredictable.
                let closer = ((closes >> i) & 1) as u32;
                nest.depth = nest.depth + 1 - 2 * closer;
                if nest.depth == 0 {
                    *pos = p + i as usize + 1;
                    return Some(p + i as usize + 1);
                }
                bits &= bits - 1;
            }
        }
        *pos = (p + 64).min(buf.len());
    }
    None
}

fn masks_portable(chunk: &[u8; 64]) -> Masks {
    let mut m = Masks {
        quote: 0,
        backslash: 0,
        open: 0,
        close: 0,
    };
    for (i, &c) in chunk.iter().enumerate() {
        let bit = 1u64 << i;
        match c {
            b'"' => m.quote |= bit,
            b'\\' => m.backslash |= bit,
            b'{' | b'[' => m.open |= bit,
            b'}' | b']' => m.close |= bit,
            _ => {}
        }
    }
    m
}

/// Characters escaped by a backslash (simdjson's branchless algorithm).
/// `prev` carries "the previous chunk ended in an odd run of backslashes".
#[inline(always)]
fn find_escaped(backslash: u64, prev: &mut u64) -> u64 {
    const EVEN: u64 = 0x5555_5555_5555_5555;
    let backslash = backslash & !*prev;
    let follows_escape = (backslash << 1) | *prev;
    let odd_starts = backslash & !EVEN & !follows_escape;
    let (even_starts, overflow) = odd_starts.overflowing_add(backslash);
    *prev = overflow as u64;
    let invert = even_starts << 1;
    (EVEN ^ invert) & follows_escape
}

/// Bit i set when an odd number of bits at or below i are set.
#[inline(always)]
fn prefix_xor(mut x: u64) -> u64 {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    x
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{close_with, Masks, Nest};
    use std::arch::x86_64::*;

    /// `'{' | 0x20 == '{'` and `'[' | 0x20 == '{'`, and no other byte
    /// folds to it; likewise for the closers.
    const FOLD: i8 = 0x20;

    #[target_feature(enable = "avx512f,avx512bw,popcnt,pclmulqdq,bmi1")]
    pub(super) unsafe fn close_avx512(
        buf: &[u8],
        pos: &mut usize,
        nest: &mut Nest,
        eof: bool,
    ) -> Option<usize> {
        close_with(
            buf,
            pos,
            nest,
            eof,
            // SAFETY (both closures): compiled with, and called only
            // under, this function's features.
            |c| unsafe { masks_avx512(c) },
            |x| unsafe { prefix_xor_clmul(x) },
        )
    }

    #[target_feature(enable = "avx2,popcnt,pclmulqdq,bmi1")]
    pub(super) unsafe fn close_avx2(
        buf: &[u8],
        pos: &mut usize,
        nest: &mut Nest,
        eof: bool,
    ) -> Option<usize> {
        close_with(
            buf,
            pos,
            nest,
            eof,
            |c| unsafe { masks_avx2(c) },
            |x| unsafe { prefix_xor_clmul(x) },
        )
    }

    #[target_feature(enable = "avx512f,avx512bw")]
    #[inline]
    unsafe fn masks_avx512(chunk: &[u8; 64]) -> Masks {
        // SAFETY: an unaligned load of the 64 bytes `chunk` holds.
        let v = unsafe { _mm512_loadu_si512(chunk.as_ptr().cast()) };
        let folded = _mm512_or_si512(v, _mm512_set1_epi8(FOLD));
        Masks {
            quote: _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(b'"' as i8)),
            backslash: _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(b'\\' as i8)),
            open: _mm512_cmpeq_epi8_mask(folded, _mm512_set1_epi8(b'{' as i8)),
            close: _mm512_cmpeq_epi8_mask(folded, _mm512_set1_epi8(b'}' as i8)),
        }
    }

    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn masks_avx2(chunk: &[u8; 64]) -> Masks {
        let (mut q, mut b, mut o, mut c) = (0u64, 0u64, 0u64, 0u64);
        for k in 0..2 {
            // SAFETY: an unaligned load of 32 of the 64 bytes.
            let v = unsafe { _mm256_loadu_si256(chunk.as_ptr().add(32 * k).cast()) };
            let folded = _mm256_or_si256(v, _mm256_set1_epi8(FOLD));
            let bits = |x: __m256i| (_mm256_movemask_epi8(x) as u32 as u64) << (32 * k);
            q |= bits(_mm256_cmpeq_epi8(v, _mm256_set1_epi8(b'"' as i8)));
            b |= bits(_mm256_cmpeq_epi8(v, _mm256_set1_epi8(b'\\' as i8)));
            o |= bits(_mm256_cmpeq_epi8(folded, _mm256_set1_epi8(b'{' as i8)));
            c |= bits(_mm256_cmpeq_epi8(folded, _mm256_set1_epi8(b'}' as i8)));
        }
        Masks {
            quote: q,
            backslash: b,
            open: o,
            close: c,
        }
    }

    /// SSE2 is part of the x86_64 baseline: no detection needed.
    #[inline(always)]
    pub(super) fn masks_sse2(chunk: &[u8; 64]) -> Masks {
        let (mut q, mut b, mut o, mut c) = (0u64, 0u64, 0u64, 0u64);
        for k in 0..4 {
            // SAFETY: an unaligned load of 16 of the 64 bytes; SSE2 is
            // always present on x86_64.
            unsafe {
                let v = _mm_loadu_si128(chunk.as_ptr().add(16 * k).cast());
                let folded = _mm_or_si128(v, _mm_set1_epi8(FOLD));
                let bits = |x: __m128i| (_mm_movemask_epi8(x) as u16 as u64) << (16 * k);
                q |= bits(_mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8)));
                b |= bits(_mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8)));
                o |= bits(_mm_cmpeq_epi8(folded, _mm_set1_epi8(b'{' as i8)));
                c |= bits(_mm_cmpeq_epi8(folded, _mm_set1_epi8(b'}' as i8)));
            }
        }
        Masks {
            quote: q,
            backslash: b,
            open: o,
            close: c,
        }
    }

    /// The prefix XOR as one carry-less multiply by all ones.
    #[target_feature(enable = "pclmulqdq")]
    #[inline]
    unsafe fn prefix_xor_clmul(x: u64) -> u64 {
        let a = _mm_set_epi64x(0, x as i64);
        let ones = _mm_set1_epi8(-1);
        _mm_cvtsi128_si64(_mm_clmulepi64_si128(a, ones, 0)) as u64
    }

    #[cfg(test)]
    pub(super) fn all_masks(chunk: &[u8; 64]) -> Vec<Masks> {
        let mut out = vec![masks_sse2(chunk)];
        // SAFETY: each only where the CPU has it.
        unsafe {
            if is_x86_feature_detected!("avx2") {
                out.push(masks_avx2(chunk));
            }
            if is_x86_feature_detected!("avx512bw") {
                out.push(masks_avx512(chunk));
            }
        }
        out
    }

    #[cfg(test)]
    pub(super) fn clmul(x: u64) -> Option<u64> {
        // SAFETY: only where the CPU has it.
        is_x86_feature_detected!("pclmulqdq").then(|| unsafe { prefix_xor_clmul(x) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scalar_escaped(bytes: &[u8]) -> u64 {
        let mut m = 0u64;
        let mut esc = false;
        for (i, &b) in bytes.iter().enumerate() {
            if esc {
                m |= 1 << i;
                esc = false;
            } else if b == b'\\' {
                esc = true;
            }
        }
        m
    }

    #[test]
    fn escaped_matches_scalar_reference() {
        let cases: [&[u8]; 4] = [
            br#"\\\"a\\b\"""#,
            br#"\\\\\\\\\\\\\""#,
            b"\\",
            br#"ab\"cd\\\\"#,
        ];
        for c in cases {
            let mut chunk = [b' '; 64];
            chunk[..c.len()].copy_from_slice(c);
            let mut prev = 0;
            let m = masks_portable(&chunk);
            assert_eq!(
                find_escaped(m.backslash, &mut prev),
                scalar_escaped(&chunk),
                "{c:?}"
            );
        }
    }

    /// A small deterministic generator: the bytes that matter, often.
    fn chunks() -> impl Iterator<Item = [u8; 64]> {
        let alphabet = b"\"\\{}[]a ,:\x7b\x5b\x5d\x7d\xfb\xdb\x3b\x1b";
        let mut x = 0x2545_f491_4f6c_dd1du64;
        (0..4000).map(move |_| {
            let mut c = [0u8; 64];
            for b in &mut c {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                *b = if x.is_multiple_of(4) {
                    (x >> 8) as u8
                } else {
                    alphabet[(x >> 16) as usize % alphabet.len()]
                };
            }
            c
        })
    }

    #[test]
    fn every_instruction_set_builds_the_same_masks() {
        for c in chunks() {
            let want = masks_portable(&c);
            #[cfg(target_arch = "x86_64")]
            for got in x86::all_masks(&c) {
                assert_eq!(got, want, "{c:?}");
            }
            let q = want.quote;
            assert_eq!(prefix_xor(q) & 1, q & 1);
            #[cfg(target_arch = "x86_64")]
            if let Some(p) = x86::clmul(q) {
                assert_eq!(p, prefix_xor(q));
            }
        }
    }

    /// Every variant finds the same end, fed whole or a byte at a time.
    #[test]
    fn every_instruction_set_finds_the_same_end() {
        let mut doc = b"{".to_vec();
        for i in 0..300 {
            doc.extend(format!(r#""k{i}":[{{"s":"\\\"}}]{{","t":"\\\\"}},{{}}],"#).bytes());
        }
        doc.extend(br#""end":{"x":"}"}} trailing"#);
        let end = doc.len() - " trailing".len();
        for isa in Isa::available() {
            let (mut pos, mut nest) = (1, Nest::opened());
            assert_eq!(
                close(isa, &doc, &mut pos, &mut nest, true),
                Some(end),
                "{isa:?}"
            );
            let (mut pos, mut nest) = (1, Nest::opened());
            let mut got = None;
            for n in 2..=doc.len() {
                got = close(isa, &doc[..n], &mut pos, &mut nest, n == doc.len());
                if got.is_some() {
                    break;
                }
            }
            assert_eq!(got, Some(end), "{isa:?}, fed a byte at a time");
        }
    }
}
