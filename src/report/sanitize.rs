//! Make log fields safe to print on a terminal.
//!
//! `userAgent` and many request fields are chosen by the caller, who may be
//! the attacker being investigated. Control characters, bidirectional
//! overrides and zero-width characters are shown as `\u{...}` escapes so
//! they cannot move the cursor, recolour the terminal or hide text.

use std::borrow::Cow;

/// Control characters, and the invisible ones that reorder or hide text
/// (bidirectional marks and overrides, zero-width characters).
pub(crate) fn dangerous(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{061C}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// `s` with every dangerous character escaped.
pub fn sanitize(s: &str) -> Cow<'_, str> {
    if !s.chars().any(dangerous) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if dangerous(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_terminal_controls() {
        assert_eq!(sanitize("aws-cli/2.0"), "aws-cli/2.0");
        assert_eq!(sanitize("x\u{1b}[2Jy"), "x\\u{1b}[2Jy");
        assert_eq!(sanitize("a\u{202e}b\u{9b}"), "a\\u{202e}b\\u{9b}");
    }
}
