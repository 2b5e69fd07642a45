//! Inflated JSON bytes -> byte ranges of the individual CloudTrail records.
//!
//! A log object is `{"Records":[ {...}, {...} ]}` (or, in some exports, a
//! bare `[ {...}, ... ]`). Most records can be ruled out without decoding
//! them (see `prefilter`), but every record must still be counted and the
//! document must still be well formed, so this module finds record
//! boundaries without building any values.
//!
//! Inside a record, [`super::bitmask`] finds where it ends, 64 bytes at a
//! time with the widest vector instructions the CPU has. Between records
//! (a comma and some whitespace) a scalar state machine checks the syntax.
//!
//! The splitter is streaming: the caller feeds a buffer that grows at the end
//! and is drained at the front; the splitter keeps its carries across calls,
//! so one record may span any number of inflated blocks.
//!
//! What it does *not* check: the grammar inside a record (a record whose
//! brackets balance but whose scalars are malformed is still a record here).
//! Records that can match are decoded fully by simd-json, which validates
//! them; `--validate` decodes every record.

use std::ops::Range;

use super::bitmask::{self, Isa, Nest};
use crate::error::SplitError;

/// What kind of document the object turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocKind {
    /// `{"Records":[...]}` or a bare array of records.
    Records,
    /// A CloudTrail digest file (has `digestStartTime`, `logFiles`, ...).
    Digest,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Start,
    /// Inside the top-level object, expecting a key (or `}` if `first`).
    TopKey {
        first: bool,
    },
    /// After a top-level key, expecting `:`.
    TopColon {
        records: bool,
    },
    /// After `:`, expecting the value.
    TopValue {
        records: bool,
    },
    /// Skipping a string value at top level (resume at `pos`).
    TopString,
    /// Skipping a scalar value at top level.
    TopScalar,
    /// After a top-level value, expecting `,` or `}`.
    TopAfterValue,
    /// Just after the records array's `[`: a record or `]`.
    ArrFirst,
    /// After `,` in the records array: a record.
    ArrNext,
    /// After a record: `,` or `]`.
    ArrAfter,
    /// Scanning a nested value with the bitmask scanner.
    Nested {
        record: bool,
    },
    /// After the records array at top level of `{...}`.
    End,
}

/// Streaming record splitter; see the module docs.
#[derive(Debug)]
pub struct Splitter {
    phase: Phase,
    /// Whether the document is a bare array (records at depth 1).
    bare: bool,
    saw_records: bool,
    digest_keys: u32,
    /// Scan position in the current buffer.
    pos: usize,
    /// Start of the token or record being scanned (kept on rebase).
    tok_start: usize,
    /// The carries of the nested value being scanned.
    nest: Nest,
    isa: Isa,
    /// Inflated offset of `buf[0]`, for error messages.
    base: u64,
    records: u64,
    max_record: usize,
}

impl Splitter {
    /// A splitter that refuses records larger than `max_record` bytes.
    pub fn new(max_record: usize) -> Self {
        Splitter {
            phase: Phase::Start,
            bare: false,
            saw_records: false,
            digest_keys: 0,
            pos: 0,
            tok_start: 0,
            nest: Nest::opened(),
            isa: Isa::detect(),
            base: 0,
            records: 0,
            max_record,
        }
    }

    /// Records completed so far.
    pub fn records(&self) -> u64 {
        self.records
    }

    fn syntax(&self, at: usize, reason: impl Into<String>) -> SplitError {
        SplitError::Syntax {
            offset: self.base + at as u64,
            reason: reason.into(),
        }
    }

    /// Scan `buf` (everything inflated and not yet drained). Complete
    /// records are pushed to `spans` as ranges into `buf`. Returns the offset
    /// before which `buf` may be drained; the caller must then call
    /// [`Splitter::rebase`] with it. `eof` says no more bytes will come.
    ///
    /// The caller is never asked to keep more than `max_record` bytes: a
    /// record, or any other top-level value, that grows past it is an error,
    /// so memory stays bounded whatever the document holds.
    pub fn feed(
        &mut self,
        buf: &[u8],
        eof: bool,
        spans: &mut Vec<Range<usize>>,
    ) -> Result<usize, SplitError> {
        let keep = self.feed_unbounded(buf, eof, spans)?;
        // Bytes known to belong to the unfinished value: inside a nested
        // value only what has been scanned (up to 63 bytes wait for a full
        // chunk and may belong to what follows); in a scalar token, all.
        let pending = match self.phase {
            Phase::Nested { .. } => self.pos - keep,
            _ => buf.len() - keep,
        };
        if pending <= self.max_record {
            return Ok(keep);
        }
        Err(match self.phase {
            Phase::Nested { record: true } => SplitError::RecordTooLarge {
                index: self.records,
                limit: self.max_record,
            },
            _ => self.syntax(
                keep,
                format!(
                    "a top-level value is larger than the limit of {} bytes (raise it with --max-record-size)",
                    self.max_record
                ),
            ),
        })
    }

    fn feed_unbounded(
        &mut self,
        buf: &[u8],
        eof: bool,
        spans: &mut Vec<Range<usize>>,
    ) -> Result<usize, SplitError> {
        loop {
            if let Phase::Nested { record } = self.phase {
                match self.scan_nested(buf, eof)? {
                    Some(end) => {
                        if record {
                            if end - self.tok_start > self.max_record {
                                return Err(SplitError::RecordTooLarge {
                                    index: self.records,
                                    limit: self.max_record,
                                });
                            }
                            spans.push(self.tok_start..end);
                            self.records += 1;
                            self.phase = Phase::ArrAfter;
                        } else {
                            self.phase = Phase::TopAfterValue;
                        }
                        self.pos = end;
                        self.tok_start = end;
                        continue;
                    }
                    None => return Ok(self.tok_start),
                }
            }
            // Scalar phases: skip whitespace, then look at one byte.
            while self.pos < buf.len() && matches!(buf[self.pos], b' ' | b'\t' | b'\n' | b'\r') {
                self.pos += 1;
            }
            self.tok_start = self.pos;
            let Some(&c) = buf.get(self.pos) else {
                if !eof {
                    return Ok(self.pos);
                }
                return match self.phase {
                    Phase::End => Ok(self.pos),
                    Phase::Start => Ok(self.pos),
                    _ => Err(self.syntax(self.pos, "unexpected end of data")),
                };
            };
            let at = self.pos;
            match self.phase {
                Phase::Start => match c {
                    b'{' => self.phase = Phase::TopKey { first: true },
                    b'[' => {
                        self.bare = true;
                        self.saw_records = true;
                        self.phase = Phase::ArrFirst;
                    }
                    _ => {
                        return Err(SplitError::NotCloudTrail(
                            "the document is not a JSON object or array".into(),
                        ))
                    }
                },
                Phase::TopKey { first } => match c {
                    b'}' if first => self.phase = Phase::End,
                    b'"' => match self.string_end(buf, at + 1) {
                        Some(end) => {
                            let key = unescape(&buf[at + 1..end]);
                            let records = key.as_deref() == Some("Records");
                            if matches!(
                                key.as_deref(),
                                Some(
                                    "digestStartTime"
                                        | "digestEndTime"
                                        | "logFiles"
                                        | "digestS3Object"
                                )
                            ) {
                                self.digest_keys += 1;
                            }
                            self.phase = Phase::TopColon { records };
                            self.pos = end + 1;
                            continue;
                        }
                        None if eof => return Err(self.syntax(at, "unterminated string")),
                        None => return Ok(at),
                    },
                    _ => return Err(self.syntax(at, "expected an object key")),
                },
                Phase::TopColon { records } => {
                    if c != b':' {
                        return Err(self.syntax(at, "expected ':' after an object key"));
                    }
                    self.phase = Phase::TopValue { records };
                }
                Phase::TopValue { records } => {
                    if records {
                        if c != b'[' {
                            return Err(SplitError::NotCloudTrail(
                                "\"Records\" is not an array".into(),
                            ));
                        }
                        if self.saw_records {
                            return Err(self.syntax(at, "a second \"Records\" key"));
                        }
                        self.saw_records = true;
                        self.phase = Phase::ArrFirst;
                    } else {
                        match c {
                            b'{' | b'[' => self.start_nested(at, false),
                            b'"' => self.phase = Phase::TopString,
                            _ => self.phase = Phase::TopScalar,
                        }
                        continue;
                    }
                }
                Phase::TopString => {
                    // `at` is the opening quote
                    match self.string_end(buf, at + 1) {
                        Some(end) => {
                            self.pos = end + 1;
                            self.phase = Phase::TopAfterValue;
                            continue;
                        }
                        None if eof => return Err(self.syntax(at, "unterminated string")),
                        None => return Ok(at),
                    }
                }
                Phase::TopScalar => {
                    let len = buf[at..]
                        .iter()
                        .position(
                            |b| !matches!(b, b'0'..=b'9' | b'a'..=b'z' | b'E' | b'.' | b'+' | b'-'),
                        )
                        .unwrap_or(buf.len() - at);
                    if at + len == buf.len() && !eof {
                        return Ok(at);
                    }
                    let tok = &buf[at..at + len];
                    let ok =
                        matches!(tok, b"true" | b"false" | b"null") || super::exact::is_number(tok);
                    if !ok {
                        return Err(self.syntax(at, "invalid value"));
                    }
                    self.pos = at + len;
                    self.phase = Phase::TopAfterValue;
                    continue;
                }
                Phase::TopAfterValue => match c {
                    b',' => self.phase = Phase::TopKey { first: false },
                    b'}' => self.phase = Phase::End,
                    _ => return Err(self.syntax(at, "expected ',' or '}' in the top-level object")),
                },
                Phase::ArrFirst | Phase::ArrNext => match c {
                    b'{' => {
                        self.start_nested(at, true);
                        continue;
                    }
                    b']' if self.phase == Phase::ArrFirst => self.close_array(),
                    _ => {
                        return Err(SplitError::NotCloudTrail(format!(
                            "record {} is not a JSON object",
                            self.records
                        )))
                    }
                },
                Phase::ArrAfter => match c {
                    b',' => self.phase = Phase::ArrNext,
                    b']' => self.close_array(),
                    _ => return Err(self.syntax(at, "expected ',' or ']' after a record")),
                },
                Phase::End => {
                    return Err(self.syntax(at, "unexpected data after the end of the document"))
                }
                Phase::Nested { .. } => unreachable!("handled above"),
            }
            self.pos = at + 1;
        }
    }

    fn close_array(&mut self) {
        self.phase = if self.bare {
            Phase::End
        } else {
            Phase::TopAfterValue
        };
    }

    fn start_nested(&mut self, at: usize, record: bool) {
        self.phase = Phase::Nested { record };
        self.tok_start = at;
        self.pos = at + 1;
        self.nest = Nest::opened();
    }

    /// Index of the closing quote of a string whose content starts at
    /// `from`, or None if the buffer ends first.
    fn string_end(&self, buf: &[u8], from: usize) -> Option<usize> {
        let mut i = from;
        while i < buf.len() {
            match buf[i] {
                b'\\' => i += 2,
                b'"' => return Some(i),
                _ => i += 1,
            }
        }
        None
    }

    /// Continue the bitmask scan of a nested value. Returns the offset just
    /// past its closing bracket, or None if more data is needed.
    fn scan_nested(&mut self, buf: &[u8], eof: bool) -> Result<Option<usize>, SplitError> {
        if let Some(end) = bitmask::close(self.isa, buf, &mut self.pos, &mut self.nest, eof) {
            return Ok(Some(end));
        }
        if eof {
            let what = if self.nest.in_string() {
                "unterminated string"
            } else {
                "unbalanced brackets"
            };
            return Err(self.syntax(
                buf.len(),
                format!(
                    "unexpected end of data inside record {} ({what})",
                    self.records
                ),
            ));
        }
        Ok(None)
    }

    /// Forget the first `n` bytes of the buffer (the caller drained them).
    pub fn rebase(&mut self, n: usize) {
        self.pos -= n;
        self.tok_start -= n;
        self.base += n as u64;
    }

    /// Call after the last `feed` with `eof = true` succeeded.
    pub fn finish(&self) -> Result<DocKind, SplitError> {
        if self.saw_records {
            Ok(DocKind::Records)
        } else if self.digest_keys >= 2 {
            Ok(DocKind::Digest)
        } else if self.phase == Phase::Start {
            Err(SplitError::Empty)
        } else {
            Err(SplitError::NotCloudTrail(
                "no \"Records\" array at the top level".into(),
            ))
        }
    }
}

/// Decode a JSON string body (without quotes). None if an escape is invalid.
pub fn unescape(raw: &[u8]) -> Option<String> {
    if !raw.contains(&b'\\') {
        return std::str::from_utf8(raw).ok().map(str::to_owned);
    }
    let mut out = String::with_capacity(raw.len());
    let s = std::str::from_utf8(raw).ok()?;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next()? {
            '"' => out.push('"'),
            '\\' => out.push('\\'),
            '/' => out.push('/'),
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'u' => {
                let hex = |chars: &mut std::str::Chars| -> Option<u32> {
                    let h: String = chars.by_ref().take(4).collect();
                    if h.len() != 4 {
                        return None;
                    }
                    u32::from_str_radix(&h, 16).ok()
                };
                let hi = hex(&mut chars)?;
                let cp = if (0xd800..0xdc00).contains(&hi) {
                    if chars.next()? != '\\' || chars.next()? != 'u' {
                        return None;
                    }
                    let lo = hex(&mut chars)?;
                    0x10000 + ((hi - 0xd800) << 10) + (lo.checked_sub(0xdc00)? & 0x3ff)
                } else {
                    hi
                };
                out.push(char::from_u32(cp)?);
            }
            _ => return None,
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Split `doc` feeding it `step` bytes at a time, draining like the scanner.
    pub(crate) fn split_all(
        doc: &[u8],
        step: usize,
    ) -> Result<(Vec<Vec<u8>>, DocKind), SplitError> {
        let mut sp = Splitter::new(1 << 20);
        let mut buf = Vec::new();
        let mut out = Vec::new();
        let mut spans = Vec::new();
        let mut fed = 0;
        loop {
            let take = step.min(doc.len() - fed);
            buf.extend_from_slice(&doc[fed..fed + take]);
            fed += take;
            let eof = fed == doc.len();
            spans.clear();
            let keep = sp.feed(&buf, eof, &mut spans)?;
            out.extend(spans.iter().map(|r| buf[r.clone()].to_vec()));
            buf.drain(..keep);
            sp.rebase(keep);
            if eof {
                return Ok((out, sp.finish()?));
            }
        }
    }

    #[test]
    fn splits_records_at_any_feed_size() {
        let doc = br#" {"Records": [ {"a":"}]{[","b":{"c":[1,2,{"d":"\"}"}]}}, {"eventName":"x\\"} ,{}]} "#;
        for step in [1, 2, 3, 7, 63, 64, 65, 1000] {
            let (recs, kind) = split_all(doc, step).unwrap();
            assert_eq!(kind, DocKind::Records);
            assert_eq!(recs.len(), 3, "step {step}");
            assert_eq!(recs[1], br#"{"eventName":"x\\"}"#);
            assert_eq!(recs[2], b"{}");
        }
    }

    #[test]
    fn long_records_cross_chunks() {
        let mut doc = br#"{"Records":["#.to_vec();
        for i in 0..50 {
            if i > 0 {
                doc.push(b',');
            }
            let pad = "\\\"}".repeat(i * 7);
            doc.extend(format!(r#"{{"i":{i},"s":"{pad}","n":[[{{}}]]}}"#).bytes());
        }
        doc.extend(b"]}");
        for step in [5, 64, 100, 4096] {
            let (recs, _) = split_all(&doc, step).unwrap();
            assert_eq!(recs.len(), 50);
            for (i, r) in recs.iter().enumerate() {
                let v: serde_json::Value = serde_json::from_slice(r).unwrap();
                assert_eq!(v["i"], i);
            }
        }
    }

    #[test]
    fn bare_array_and_other_keys() {
        let (recs, _) = split_all(br#"[{"a":1},{"b":2}]"#, 4).unwrap();
        assert_eq!(recs.len(), 2);
        let (recs, _) = split_all(
            br#"{"x":"]","y":[1,{"z":"}"}],"Records":[{"a":1}],"n":-1.5e3,"t":true}"#,
            3,
        )
        .unwrap();
        assert_eq!(recs.len(), 1);
        let (recs, _) = split_all(br#"{"Rec\u006frds":[{"a":1}]}"#, 3).unwrap();
        assert_eq!(recs.len(), 1);
    }

    #[test]
    fn rejects_broken_documents() {
        let bad: [&[u8]; 9] = [
            br#"{"Records":[{"a":1}"#,
            br#"{"Records":[{"a":"1}]}"#,
            br#"{"Records":[{"a":1} {"b":2}]}"#,
            br#"{"Records":[1,2]}"#,
            br#"{"Records":{}}"#,
            br#"{"foo":1}"#,
            br#"{"Records":[]} x"#,
            br#"{"Records":[]"#,
            br#"hello"#,
        ];
        for doc in bad {
            assert!(
                split_all(doc, 5).is_err(),
                "{}",
                String::from_utf8_lossy(doc)
            );
        }
    }

    #[test]
    fn digest_and_empty() {
        let (_, kind) = split_all(
            br#"{"awsAccountId":"1","digestStartTime":"x","logFiles":[]}"#,
            8,
        )
        .unwrap();
        assert_eq!(kind, DocKind::Digest);
        assert_eq!(split_all(b"", 8).unwrap_err(), SplitError::Empty);
        assert_eq!(split_all(b" \n\t", 8).unwrap_err(), SplitError::Empty);
        assert!(split_all(b"{}", 8).is_err());
    }

    #[test]
    fn memory_is_capped_for_every_kind_of_value() {
        let feed = |doc: &[u8]| {
            let mut sp = Splitter::new(16);
            let mut buf = Vec::new();
            let mut spans = Vec::new();
            for chunk in doc.chunks(3) {
                buf.extend_from_slice(chunk);
                let keep = sp.feed(&buf, false, &mut spans)?;
                buf.drain(..keep);
                sp.rebase(keep);
            }
            Ok::<_, SplitError>(())
        };
        let long = "x".repeat(100);
        assert!(matches!(
            feed(format!(r#"{{"Records":[{{"a":"{long}"}}]}}"#).as_bytes()),
            Err(SplitError::RecordTooLarge {
                index: 0,
                limit: 16
            })
        ));
        for doc in [
            format!(r#"{{"other":["{long}"],"Records":[]}}"#),
            format!(r#"{{"other":"{long}","Records":[]}}"#),
            format!(r#"{{"{long}":1,"Records":[]}}"#),
        ] {
            let err = feed(doc.as_bytes()).unwrap_err();
            assert!(
                err.to_string().contains("top-level value is larger"),
                "{doc}: {err}"
            );
        }
        // A whole record inside one feed is measured too.
        let mut sp = Splitter::new(16);
        let doc = format!(r#"{{"Records":[{{"a":"{long}"}}]}}"#);
        assert!(matches!(
            sp.feed(doc.as_bytes(), true, &mut Vec::new()),
            Err(SplitError::RecordTooLarge {
                index: 0,
                limit: 16
            })
        ));
        // Small values of every kind pass.
        assert!(feed(br#"{"o":[1],"s":"ab","Records":[{"a":1}]}"#).is_ok());
    }

    #[test]
    fn unescape_handles_surrogates() {
        assert_eq!(
            unescape(br#"a\u0041\n\ud83d\ude00"#).unwrap(),
            "aA\n\u{1F600}"
        );
        assert!(unescape(br#"\x"#).is_none());
    }
}
