//! The literals an event must contain for a pattern to match it, derived
//! from the syntax tree; they feed the scanner's prefilter.
//!
//! Soundness: a [`Need`] promises that every event the pattern matches
//! contains, in its raw bytes, one of the literals or the two bytes `\u`
//! (the prefilter always adds `\u`). For JSON patterns the literals are
//! pieces of selector keys and compared strings that contain no character
//! JSON can write as a short escape (`"`, `\`, `/`, control characters): a
//! decoded string holding such a piece holds it verbatim in the raw bytes
//! unless some character of it was written as `\uXXXX`. A compared value
//! that could equal the text of a number (`-`, `.` and digits only) gives
//! no literal, because the number `2.2e1` reads as `22`. Term patterns
//! match the raw bytes themselves, so their terms are literals as they are.
//! Where nothing is required (`NOT EXISTS`, an OR with such a branch,
//! regexes, match-all) there is no `Need` and every record is decoded.

use super::ast::{CmpOp, Expr, Step, Test, Value};
use super::terms::Terms;

/// One of these literals (or a `\u` escape) is in every matching event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    /// The literals.
    pub literals: Vec<Vec<u8>>,
    /// Derived only from key names, which most events contain anyway.
    pub weak: bool,
}

impl Need {
    fn one(lit: &str, weak: bool) -> Option<Need> {
        (!lit.is_empty()).then(|| Need {
            literals: vec![lit.as_bytes().to_vec()],
            weak,
        })
    }

    fn shortest(&self) -> usize {
        self.literals.iter().map(Vec::len).min().unwrap_or(0)
    }
}

fn unsafe_char(c: char) -> bool {
    c == '"' || c == '\\' || c == '/' || c.is_control()
}

/// The longest piece of `s` without characters JSON may short-escape.
fn longest_safe(s: &str) -> &str {
    s.split(unsafe_char).max_by_key(|p| p.len()).unwrap_or("")
}

/// What a JSON pattern requires.
pub fn json(e: &Expr) -> Option<Need> {
    match e {
        Expr::Or(branches) => {
            let mut out = Need {
                literals: vec![],
                weak: false,
            };
            for b in branches {
                let n = json(b)?;
                out.weak |= n.weak;
                out.literals.extend(n.literals);
            }
            Some(out)
        }
        Expr::And(branches) => branches
            .iter()
            .filter_map(json)
            .max_by_key(|n| (!n.weak, n.shortest(), usize::MAX - n.literals.len())),
        Expr::Cond(c) => {
            if matches!(c.test, Test::NotExists) {
                return None;
            }
            if let Test::Cmp(CmpOp::Eq, Value::Text(g)) = &c.test {
                let could_be_number = g
                    .text()
                    .chars()
                    .all(|ch| ch == '*' || ch == '-' || ch == '.' || ch.is_ascii_digit());
                if !could_be_number {
                    let best = g
                        .parts()
                        .iter()
                        .map(|p| longest_safe(p))
                        .max_by_key(|p| p.len());
                    if let Some(n) = best.and_then(|b| Need::one(b, false)) {
                        return Some(n);
                    }
                }
            }
            // Every other test needs the selected field to exist.
            let key = c
                .selector
                .steps
                .iter()
                .filter_map(|s| match s {
                    Step::Key(k) => Some(longest_safe(k)),
                    _ => None,
                })
                .max_by_key(|k| k.len())?;
            Need::one(key, true)
        }
    }
}

/// What a term pattern requires.
pub fn terms(t: &Terms) -> Option<Need> {
    if let Some(best) = t.all.iter().max_by_key(|s| s.len()) {
        return Need::one(best, false);
    }
    if t.any.is_empty() {
        return None;
    }
    Some(Need {
        literals: t.any.iter().map(|s| s.as_bytes().to_vec()).collect(),
        weak: false,
    })
}
