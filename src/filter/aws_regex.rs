//! `%regex%` values: AWS's restricted syntax, checked and translated to the
//! `regex` crate.
//!
//! AWS allows ASCII letters and digits, the symbols `: _ # = @ / ; , -`,
//! the operators `^ $ ? [ ] { } | \ * + .` and the escapes `\d \D \s \S \w
//! \W \xhh`; no parentheses, no multi-byte characters (`docs/filter-patterns.md#regex`, X2).
//! The space is not in that list, yet the same page's own example,
//! `%^starting|^initializing|^shutting down%`, "can match" `shutting down`:
//! AWS accepts it, so a literal space is allowed too.
//! The character classes are ASCII-only as in Java's default, so they are
//! spelled out rather than left to the crate's Unicode classes.

use regex::bytes::Regex;

/// A regex that AWS refuses, with the byte offset (in the regex body) of
/// the offending character.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct RegexError {
    /// Byte offset inside the body (between the `%`s).
    pub offset: usize,
    /// What is wrong.
    pub reason: String,
}

const SYMBOLS: &str = ":_#=@/;,-";
const OPERATORS: &str = "^$?[]{}|\\*+.";

fn class(c: char) -> Option<&'static str> {
    Some(match c {
        'd' => "[0-9]",
        'D' => "[^0-9]",
        'w' => "[0-9A-Za-z_]",
        'W' => "[^0-9A-Za-z_]",
        's' => "[\\t\\n\\x0B\\x0C\\r ]",
        'S' => "[^\\t\\n\\x0B\\x0C\\r ]",
        _ => return None,
    })
}

/// A `%regex%` value whose opening `%` is at `open` in `text[..end]` (JSON
/// and space-delimited patterns): the compiled expression and the position
/// after its closing `%`, or the byte offset in `text` and the reason.
pub(super) fn enclosed(
    text: &str,
    open: usize,
    end: usize,
) -> Result<(Regex, usize), (usize, String)> {
    let body_start = open + 1;
    let Some(len) = text[body_start..end].find('%') else {
        return Err((open, "unterminated regular expression: no closing %".into()));
    };
    let re = compile(&text[body_start..body_start + len])
        .map_err(|e| (body_start + e.offset, e.reason))?;
    Ok((re, body_start + len + 1))
}

/// Check `body` against AWS's rules and compile it as an unanchored search.
pub(super) fn compile(body: &str) -> Result<Regex, RegexError> {
    let err = |offset, reason: String| RegexError { offset, reason };
    if body.is_empty() {
        return Err(err(0, "empty regular expression".into()));
    }
    let mut out = String::with_capacity(body.len() + 16);
    let mut chars = body.char_indices().peekable();
    // Inside a bracket class `{` is a literal, not a repetition.
    let mut in_class = false;
    while let Some((i, c)) = chars.next() {
        match c {
            '[' if !in_class => {
                in_class = true;
                out.push('[');
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            '{' if in_class => out.push_str("\\{"),
            '(' | ')' => {
                return Err(err(
                    i,
                    "parentheses are not supported in regular expressions".into(),
                ))
            }
            c if !c.is_ascii() => {
                return Err(err(
                    i,
                    "multi-byte characters are not supported in regular expressions".into(),
                ))
            }
            '\\' => {
                let Some((_, e)) = chars.next() else {
                    return Err(err(i, "regular expression ends with a lone \\".into()));
                };
                if let Some(cls) = class(e) {
                    out.push_str(cls);
                } else if e == 'x' {
                    let hex: String = (0..2).filter_map(|_| chars.next().map(|p| p.1)).collect();
                    if hex.len() != 2 || !hex.chars().all(|h| h.is_ascii_hexdigit()) {
                        return Err(err(i, "\\x needs two hex digits".into()));
                    }
                    out.push_str("\\x");
                    out.push_str(&hex);
                } else if SYMBOLS.contains(e) || OPERATORS.contains(e) {
                    out.push_str(&regex::escape(&e.to_string()));
                } else {
                    return Err(err(
                        i,
                        format!("unsupported escape \\{e} in a regular expression"),
                    ));
                }
            }
            '{' => {
                // AWS allows `{,n}`; the regex crate wants `{0,n}`.
                out.push('{');
                if chars.peek().is_some_and(|&(_, n)| n == ',') {
                    out.push('0');
                }
            }
            c if c.is_ascii_alphanumeric()
                || c == ' '
                || SYMBOLS.contains(c)
                || OPERATORS.contains(c) =>
            {
                if c == '#' {
                    out.push_str("\\#");
                } else {
                    out.push(c);
                }
            }
            c => {
                return Err(err(
                    i,
                    format!("character {c:?} is not allowed in a regular expression"),
                ))
            }
        }
    }
    Regex::new(&out).map_err(|e| {
        let why = e.to_string();
        let last = why.lines().last().unwrap_or("invalid").trim().to_owned();
        err(0, format!("invalid regular expression: {last}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_syntax_is_checked_and_translated() {
        assert!(compile("^Revoke|^Authorize").unwrap().is_match(b"RevokeX"));
        assert!(compile("Trail").unwrap().is_match(b"UpdateTrail"));
        assert!(compile("^a{,2}$").unwrap().is_match(b"aa"));
        assert!(!compile("^a{,2}$").unwrap().is_match(b"aaa"));
        // In a class `{,` is two literals, not a repetition.
        let class = compile("^[{,]$").unwrap();
        assert!(class.is_match(b"{") && class.is_match(b","));
        assert!(!class.is_match(b"0"));
        assert!(compile("\\w+\\.\\d").unwrap().is_match(b"ab.1"));
        assert!(!compile("^\\w$").unwrap().is_match("é".as_bytes()));
        assert!(compile("[\\w-]+#").unwrap().is_match(b"a-b#"));
        assert!(compile("\\x41").unwrap().is_match(b"A"));
        assert_eq!(compile("^(a|b)").unwrap_err().offset, 1);
        assert_eq!(compile("ab!").unwrap_err().offset, 2);
        assert!(compile("é").is_err());
        // The page's own example has a space, and AWS accepts it.
        assert!(compile("^shutting down")
            .unwrap()
            .is_match(b"shutting down now"));
        assert!(compile("a\tb").is_err());
        assert!(compile("\\q").is_err());
        assert!(compile("a\\").is_err());
        assert!(compile("[a").is_err());
        assert!(compile("").is_err());
    }
}
