//! Unstructured term patterns (`docs/filter-patterns.md#other-forms`): `ERROR`, `ERROR ARGUMENTS`,
//! `?ERROR ?WARN`, `-DEBUG`, `"exact phrase"`, matched against the raw
//! event text.
//!
//! A term matches wherever its bytes occur, inside longer words too, case
//! sensitive: that is AWS's recorded answer (the `TestMetricFilter` sample
//! of the CloudWatch Logs API reference matches `"[ERROR]" Exception`
//! through `InvalidQueryException`, and the 2018-2020 user guide lists
//! `ERROR` matching `ERRORCODE`), against an older reading of the regex
//! page as "whole words" (`docs/filter-patterns.md#other-forms`,
//! `docs/open-questions.md` Q3).

use memchr::memmem;

/// A parsed term pattern.
#[derive(Debug, Clone)]
pub struct Terms {
    /// Plain terms: all must appear.
    pub all: Vec<String>,
    /// `?` terms: one must appear (ignored when there are plain or `-` terms).
    pub any: Vec<String>,
    /// `-` terms: none may appear.
    pub none: Vec<String>,
}

/// Parse failure: byte offset and reason.
pub(super) type Failure = (usize, String);

impl Terms {
    /// Parse `text[start..end]`.
    pub fn parse(text: &str, start: usize, end: usize) -> Result<(Terms, Vec<String>), Failure> {
        let s = text.as_bytes();
        let mut t = Terms {
            all: vec![],
            any: vec![],
            none: vec![],
        };
        let mut i = start;
        while i < end {
            if s[i].is_ascii_whitespace() {
                i += 1;
                continue;
            }
            let at = i;
            let list = match s[i] {
                b'?' => {
                    i += 1;
                    &mut t.any
                }
                b'-' => {
                    i += 1;
                    &mut t.none
                }
                _ => &mut t.all,
            };
            let term = if i < end && s[i] == b'"' {
                let (term, next) = super::parse::unquote(text, i, end)
                    .ok_or_else(|| (at, "unterminated quoted term: no closing \"".to_owned()))?;
                i = next;
                term
            } else {
                let s0 = i;
                while i < end && !s[i].is_ascii_whitespace() {
                    if s[i] == b'"' {
                        return Err((i, "a quote inside a term: quote the whole term".into()));
                    }
                    i += 1;
                }
                text[s0..i].to_owned()
            };
            if term.is_empty() {
                return Err((at, "empty term".into()));
            }
            list.push(term);
        }
        let mut notes = vec![];
        let plain_or_excluded = !t.all.is_empty() || !t.none.is_empty();
        if !t.any.is_empty() && plain_or_excluded {
            notes.push(
                "? terms are ignored when the pattern also has plain or - terms (as AWS documents)"
                    .to_owned(),
            );
            t.any.clear();
        }
        Ok((t, notes))
    }

    /// Whether the raw event text matches.
    pub fn matches(&self, msg: &[u8]) -> bool {
        self.all.iter().all(|t| contains_term(msg, t))
            && !self.none.iter().any(|t| contains_term(msg, t))
            && (self.any.is_empty() || self.any.iter().any(|t| contains_term(msg, t)))
    }
}

/// `term` occurs in `msg` (anywhere, case-sensitive).
pub(super) fn contains_term(msg: &[u8], term: &str) -> bool {
    memmem::find(msg, term.as_bytes()).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, msg: &str) -> bool {
        Terms::parse(p, 0, p.len())
            .unwrap()
            .0
            .matches(msg.as_bytes())
    }

    #[test]
    fn terms_match_inside_words_case_sensitively() {
        assert!(m("ERROR", "[ERROR] x"));
        // AWS's recorded answers: substrings match.
        assert!(m("ERROR", "Exiting with ERRORCODE: -1"));
        assert!(m(
            "ERROR Exception",
            "[ERROR] Caught IllegalArgumentException"
        ));
        assert!(!m("error", "ERROR"));
        assert!(m("ERROR ARGS", "ARGS: ERROR"));
        assert!(!m("ERROR ARGS", "ERROR only"));
        assert!(m("?ERROR ?WARN", "a WARN"));
        assert!(!m("?ERROR ?WARN", "INFO"));
        assert!(m("ERROR -DEBUG", "ERROR"));
        assert!(!m("ERROR -DEBUG", "ERROR DEBUG"));
        assert!(m("\"SERVER ERROR\"", "INTERNAL SERVER ERROR"));
        assert!(m(
            "Authorize",
            "{\"eventName\":\"AuthorizeSecurityGroupIngress\"}"
        ));
        assert!(m(
            "CreateSecurityGroup",
            "{\"eventName\":\"CreateSecurityGroup\"}"
        ));
        // `?` terms are dropped beside a plain term.
        assert!(m("ERROR ?WARN", "ERROR"));
        assert!(Terms::parse("\"abc", 0, 4).is_err());
    }
}
