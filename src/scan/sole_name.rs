//! A record's `eventName`, read from its bytes without decoding it, when
//! the bytes leave no doubt; so that a prefilter candidate whose name no
//! filter, blind spot or pipeline event has is ruled out without building
//! its tree ([`super::classify::Detector::rules_out`]).
//!
//! Most candidates are calls like `DescribeSecurityGroups`: the literal
//! that made them candidates is in their name, and decoding them (11% of
//! a scan's instructions before this rule, `valgrind --tool=callgrind`,
//! one thread, 100 objects of the bench trail) only finds out that they
//! are nothing.
//!
//! Why the answer is sound. In JSON text the bytes `"eventName"` followed
//! by a colon can only be a key spelled without escapes: inside a string
//! every quote is preceded by a backslash, so the needle's closing quote
//! is structural, and its opening quote is too unless a backslash precedes
//! it (then this gives up). A key can also be written with `\u` escapes,
//! so a record holding `\u` anywhere gives up, and so does one holding
//! the needle twice (a repeated or nested key: which one the decoder reads
//! is [`super::exact`]'s question). With exactly one such key, the record's
//! top-level `eventName` is that key's value or does not exist; a value
//! other than a plain string (no backslash) gives up. Nothing here
//! validates the record: like records without a literal, a ruled-out
//! record is counted, not decoded (`--validate` decodes every record).

use std::sync::LazyLock;

use memchr::memmem::Finder;

const NEEDLE: &[u8] = b"\"eventName\"";

/// Built once: `memmem::find` would build a searcher on every call.
static KEY: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(NEEDLE));
static ESCAPE: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"\\u"));

/// The value of the record's only `"eventName"` key, when it is a plain
/// string; None when the bytes leave any doubt (see the module doc).
pub fn sole_event_name(raw: &[u8]) -> Option<&[u8]> {
    let at = KEY.find(raw)?;
    let after = at + NEEDLE.len();
    if (at > 0 && raw[at - 1] == b'\\')
        || KEY.find(&raw[after..]).is_some()
        || ESCAPE.find(raw).is_some()
    {
        return None;
    }
    let rest = skip_ws(&raw[after..]);
    let rest = skip_ws(rest.strip_prefix(b":")?);
    let value = rest.strip_prefix(b"\"")?;
    let end = memchr::memchr2(b'"', b'\\', value)?;
    (value[end] == b'"').then(|| &value[..end])
}

fn skip_ws(b: &[u8]) -> &[u8] {
    let n = b
        .iter()
        .position(|c| !matches!(c, b' ' | b'\t' | b'\n' | b'\r'))
        .unwrap_or(b.len());
    &b[n..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_sole_key_is_read() {
        let r = br#"{"eventTime":"t","eventName" : "DescribeSecurityGroups","x":1}"#;
        assert_eq!(sole_event_name(r), Some(&b"DescribeSecurityGroups"[..]));
        let nested = br#"{"requestParameters":{"eventName":"A"}}"#;
        assert_eq!(
            sole_event_name(nested),
            Some(&b"A"[..]),
            "or none at the top"
        );
    }

    #[test]
    fn any_doubt_gives_up() {
        for r in [
            &br#"{"eventName":"A","eventName":"B"}"#[..],
            br#"{"eventName":"A","p":{"eventName":"B"}}"#,
            br#"{"event\u004eame":"CreateSecurityGroup","eventName":"A"}"#,
            br#"{"eventName":"A\u0042"}"#,
            br#"{"eventName":"A\"B"}"#,
            br#"{"s":"x\\"eventName":"A"}"#,
            br#"{"eventName":1}"#,
            br#"{"eventName":null}"#,
            br#"{"eventName":["A"]}"#,
            br#"{"eventName""#,
            br#"{"eventName":"A"#,
            br#"{"x":"eventName"}"#,
            b"{}",
        ] {
            let got = sole_event_name(r);
            assert!(got.is_none(), "{}: {got:?}", String::from_utf8_lossy(r));
        }
        // An escaped "eventName" inside a string is not the needle.
        assert_eq!(
            sole_event_name(br#"{"s":"x\"eventName\"","eventName":"A"}"#),
            Some(&b"A"[..])
        );
        // A backslash earlier in the record, not before the needle.
        assert_eq!(
            sole_event_name(br#"{"s":"x\\","eventName":"A"}"#),
            Some(&b"A"[..])
        );
    }
}
