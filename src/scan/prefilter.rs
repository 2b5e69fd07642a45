//! Which records are worth decoding at all.
//!
//! Decoding records with simd-json runs at about a tenth of the speed of
//! searching their bytes for a few literals (`cargo bench -- match/`), and
//! security-group events are rare, so the scanner decodes only the records
//! that contain at least one *required literal* and counts the rest.
//!
//! One literal (and `\u`) is searched a needle at a time with memchr's
//! `memmem`, whose rare-byte-pair vector search beats an automaton there;
//! more go to one Aho-Corasick automaton (Teddy), which beats a pass per
//! needle from two literals on (figures at [`MEMMEM_MAX`]).
//!
//! Soundness: a record is skipped only if it cannot match. The literals
//! come from [`crate::filter::literals`], which derives them so that every
//! record a pattern matches holds one of them verbatim or uses a `\uXXXX`
//! escape somewhere, and from the security-group names (letters only, which
//! no other JSON escape can produce). So "contains a literal, or contains
//! the two bytes `\u`" is a superset of the records that can match.
//! Occurrences in other fields (policy documents, nested keys) only make a
//! record a candidate; the decoder then evaluates the pattern itself.

use std::ops::Range;

use aho_corasick::{AhoCorasick, Input, MatchKind};
use memchr::memmem::Finder;

/// Up to this many needles (one literal and `\u`) are searched one by one
/// with `memmem`; more go to one automaton. `cargo bench --bench scan --
/// match/prefilter_` (one core, AVX-512, the 16 MB synthetic object): one
/// literal 11.4 GiB/s through `memmem` against 6.0 through the automaton;
/// the default scan's ten literals 2.0 against 7.7.
pub const MEMMEM_MAX: usize = 2;

/// A compiled set of required literals.
#[derive(Debug)]
pub struct Prefilter {
    searcher: Searcher,
}

#[derive(Debug)]
enum Searcher {
    Everything,
    Each(Vec<Finder<'static>>),
    Automaton(AhoCorasick),
}

impl Prefilter {
    /// A record is a candidate if it contains one of `literals` or any
    /// `\u` escape. The caller vouches that the literals are sound (see the
    /// module doc). An empty list means every record is a candidate.
    pub fn new(literals: Vec<Vec<u8>>) -> Self {
        // The needles are the literals and `\u`.
        let needles = literals.len() + 1;
        let each = needles <= MEMMEM_MAX;
        Prefilter::with_searcher(literals, each)
    }

    /// As [`Prefilter::new`], with the searcher chosen by the caller: a
    /// `memmem` pass per needle if `each_needle`, else one automaton (the
    /// benches compare them).
    pub fn with_searcher(literals: Vec<Vec<u8>>, each_needle: bool) -> Self {
        if literals.is_empty() || literals.iter().any(Vec::is_empty) {
            return Prefilter::EVERYTHING;
        }
        let mut needles = literals;
        needles.push(b"\\u".to_vec());
        let searcher = if each_needle {
            Searcher::Each(
                needles
                    .iter()
                    .map(|n| Finder::new(n).into_owned())
                    .collect(),
            )
        } else {
            Searcher::Automaton(
                AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostFirst)
                    .build(needles)
                    .expect("literals within the pattern length limit always build"),
            )
        };
        Prefilter { searcher }
    }

    /// A prefilter that rules nothing out.
    pub const EVERYTHING: Prefilter = Prefilter {
        searcher: Searcher::Everything,
    };

    /// Push the indexes of the `spans` (sorted, disjoint ranges of `buf`)
    /// that may match onto `out`, in order.
    pub fn candidates(&self, buf: &[u8], spans: &[Range<usize>], out: &mut Vec<usize>) {
        let (Some(first), Some(last)) = (spans.first(), spans.last()) else {
            return;
        };
        let range = first.start..last.end;
        match &self.searcher {
            Searcher::Everything => out.extend(0..spans.len()),
            Searcher::Automaton(ac) => hits(spans, range, out, |from, to| {
                ac.find(Input::new(buf).span(from..to)).map(|m| m.start())
            }),
            Searcher::Each(finders) => {
                let start = out.len();
                for f in finders {
                    hits(spans, range.clone(), out, |from, to| {
                        f.find(&buf[from..to]).map(|i| from + i)
                    });
                }
                // Each pass pushed in order; together they are merged.
                let mut found = out.split_off(start);
                found.sort_unstable();
                found.dedup();
                out.append(&mut found);
            }
        }
    }
}

/// Push, in order, the index of every span that holds a hit of `find`
/// (the offset of the first match in `from..to`, if any), searching each
/// span at most once past its first hit.
fn hits(
    spans: &[Range<usize>],
    range: Range<usize>,
    out: &mut Vec<usize>,
    find: impl Fn(usize, usize) -> Option<usize>,
) {
    let (mut pos, end) = (range.start, range.end);
    let mut i = 0;
    while pos < end {
        let Some(hit) = find(pos, end) else {
            break;
        };
        while spans[i].end <= hit {
            i += 1;
        }
        if spans[i].start <= hit {
            out.push(i);
            pos = spans[i].end;
            i += 1;
            if i == spans.len() {
                break;
            }
        } else {
            // Between records: a match only a record can make a candidate.
            pos = hit + 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_records_with_literals_or_unicode_escapes() {
        let buf = br#"{"a":"CreateSecurityGroup"},{"b":1},{"c":"x\u0041"},{"d":"SecurityGroupX"},{"e":"\\n"}"#;
        let mut spans = Vec::new();
        let mut start = 0;
        for (i, &b) in buf.iter().enumerate() {
            if b == b'}' {
                spans.push(start..i + 1);
                start = i + 2;
            }
        }
        let pf = Prefilter::new(vec![b"SecurityGroup".to_vec()]);
        let mut out = Vec::new();
        pf.candidates(buf, &spans, &mut out);
        assert_eq!(out, vec![0, 2, 3]);
        out.clear();
        Prefilter::EVERYTHING.candidates(buf, &spans, &mut out);
        assert_eq!(out.len(), 5);
    }

    /// One `memmem` pass per needle and one automaton for all of them
    /// find the same candidates, whatever the needles' overlaps.
    #[test]
    fn each_needle_and_one_automaton_agree() {
        let words = [
            "Tags",
            "Group",
            "SecurityGroup",
            "x\\u0041",
            "ab",
            "b",
            "zz",
        ];
        let mut x = 7u64;
        let mut buf = Vec::new();
        let mut spans = Vec::new();
        for _ in 0..2000 {
            let start = buf.len();
            buf.push(b'{');
            for _ in 0..(x % 5) {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                buf.extend(words[(x >> 33) as usize % words.len()].bytes());
                buf.push(b'.');
            }
            buf.push(b'}');
            spans.push(start..buf.len());
            buf.extend(b", ");
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
        }
        for n in 1..=3 {
            let needles: Vec<Vec<u8>> = words[3..3 + n]
                .iter()
                .map(|w| w.as_bytes().to_vec())
                .collect();
            let each = Prefilter::with_searcher(needles.clone(), true);
            let ac = Prefilter::with_searcher(needles, false);
            let (mut a, mut b) = (Vec::new(), Vec::new());
            each.candidates(&buf, &spans, &mut a);
            ac.candidates(&buf, &spans, &mut b);
            assert_eq!(a, b, "{n} needles");
            assert!(!a.is_empty() && a.len() < spans.len(), "{n}: {}", a.len());
        }
        assert!(matches!(
            Prefilter::new(vec![b"x".to_vec()]).searcher,
            Searcher::Each(_)
        ));
        assert!(matches!(
            Prefilter::new(vec![b"x".to_vec(), b"y".to_vec()]).searcher,
            Searcher::Automaton(_)
        ));
    }
}
