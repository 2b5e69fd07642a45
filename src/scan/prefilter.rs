//! Which records are worth decoding at all.
//!
//! Decoding records with simd-json runs at about a tenth of the speed of
//! searching their bytes for a few literals (`cargo bench -- match/`: 513
//! MiB/s vs 5.2 GiB/s), and security-group events are rare, so the
//! scanner decodes only the records that contain at least one *required
//! literal* and counts the rest.
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

/// A compiled set of required literals.
#[derive(Debug)]
pub struct Prefilter {
    searcher: Option<AhoCorasick>,
}

impl Prefilter {
    /// A record is a candidate if it contains one of `literals` or any
    /// `\u` escape. The caller vouches that the literals are sound (see the
    /// module doc). An empty list means every record is a candidate.
    pub fn new(literals: Vec<Vec<u8>>) -> Self {
        if literals.is_empty() || literals.iter().any(Vec::is_empty) {
            return Prefilter::EVERYTHING;
        }
        let mut needles = literals;
        needles.push(b"\\u".to_vec());
        let searcher = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostFirst)
            .build(needles)
            .expect("literals within the pattern length limit always build");
        Prefilter {
            searcher: Some(searcher),
        }
    }

    /// A prefilter that rules nothing out.
    pub const EVERYTHING: Prefilter = Prefilter { searcher: None };

    /// Push the indexes of the `spans` (sorted, disjoint ranges of `buf`)
    /// that may match onto `out`.
    pub fn candidates(&self, buf: &[u8], spans: &[Range<usize>], out: &mut Vec<usize>) {
        let Some(ac) = &self.searcher else {
            out.extend(0..spans.len());
            return;
        };
        let (Some(first), Some(last)) = (spans.first(), spans.last()) else {
            return;
        };
        let end = last.end;
        let mut pos = first.start;
        let mut i = 0;
        while pos < end {
            let Some(m) = ac.find(Input::new(buf).span(pos..end)) else {
                break;
            };
            let hit = m.start();
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
                pos = hit + 1;
            }
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
}
