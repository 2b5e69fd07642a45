//! The syntax tree of a JSON filter pattern (`docs/filter-patterns.md#grammar`).

/// A boolean expression over conditions. `&&` binds tighter than `||`; the
/// parser has already grouped them.
#[derive(Debug, Clone)]
pub enum Expr {
    /// True when any branch is.
    Or(Vec<Expr>),
    /// True when every branch is.
    And(Vec<Expr>),
    /// One `selector test`.
    Cond(Cond),
}

/// `$.a.b[0] = value`, `$.a IS NULL`, ...
#[derive(Debug, Clone)]
pub struct Cond {
    /// Where in the event to look.
    pub selector: Selector,
    /// What to check there.
    pub test: Test,
}

/// A property selector: the steps after `$`.
#[derive(Debug, Clone)]
pub struct Selector {
    /// In order from the root.
    pub steps: Vec<Step>,
}

/// One step of a selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// `.name` or `.['name']`.
    Key(String),
    /// `[n]`.
    Index(usize),
    /// `.*`: every value of an object.
    AnyKey,
    /// `[*]`: every element of an array.
    AnyIndex,
}

/// What a condition checks at the selected value(s).
#[derive(Debug, Clone)]
pub enum Test {
    /// `= != < <= > >=` against a value.
    Cmp(CmpOp, Value),
    /// `IS NULL`: the key is present with JSON `null`.
    IsNull,
    /// `IS TRUE`: JSON `true`.
    IsTrue,
    /// `IS FALSE`: JSON `false`.
    IsFalse,
    /// `NOT EXISTS`: nothing is selected.
    NotExists,
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

/// The right-hand side of a comparison.
#[derive(Debug, Clone)]
pub enum Value {
    /// A quoted or bare string, `*` being a wildcard.
    Text(Glob),
    /// A bare number (or a quoted one after a relational operator).
    Number {
        /// Its value.
        value: f64,
        /// As written, for comparisons with non-numbers.
        text: String,
    },
    /// `%regex%`, searched (unanchored) in the value's text.
    Regex(regex::bytes::Regex),
}

/// A whole-value, case-sensitive match where `*` stands for any run of
/// characters, possibly empty.
#[derive(Debug, Clone)]
pub struct Glob {
    text: String,
    parts: Vec<String>,
}

impl Glob {
    /// Compile `text`; every `*` is a wildcard.
    pub fn new(text: &str) -> Self {
        Glob {
            text: text.to_owned(),
            parts: text.split('*').map(str::to_owned).collect(),
        }
    }

    /// The text as written (unescaped).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The pieces between wildcards (one piece: no wildcard).
    pub fn parts(&self) -> &[String] {
        &self.parts
    }

    /// Whether a `*` sits somewhere other than the two ends, which AWS
    /// does not document (`docs/filter-patterns.md` E4).
    pub fn has_inner_wildcard(&self) -> bool {
        self.text.trim_matches('*').contains('*')
    }

    /// Whole-value match.
    pub fn matches(&self, s: &[u8]) -> bool {
        let parts = &self.parts;
        if parts.len() == 1 {
            return s == parts[0].as_bytes();
        }
        let (first, last) = (parts[0].as_bytes(), parts[parts.len() - 1].as_bytes());
        if s.len() < first.len() + last.len() || !s.starts_with(first) || !s.ends_with(last) {
            return false;
        }
        let mut rest = &s[first.len()..s.len() - last.len()];
        for p in &parts[1..parts.len() - 1] {
            if p.is_empty() {
                continue;
            }
            match memchr::memmem::find(rest, p.as_bytes()) {
                Some(at) => rest = &rest[at + p.len()..],
                None => return false,
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_whole_values() {
        let m = |g: &str, s: &str| Glob::new(g).matches(s.as_bytes());
        assert!(m("abc", "abc"));
        assert!(!m("abc", "abcd"));
        assert!(m("*", ""));
        assert!(m("ab*", "ab"));
        assert!(m("*cd", "abcd"));
        assert!(m("a*d", "abcd"));
        assert!(!m("ab*bc", "abc"));
        assert!(m("a*b*c", "aXbYc"));
        assert!(!m("a*b*c", "aXcYb"));
        assert!(m("**", "x"));
        assert!(!Glob::new("ab*").has_inner_wildcard());
        assert!(!Glob::new("*ab").has_inner_wildcard());
        assert!(!Glob::new("*ab*").has_inner_wildcard());
        assert!(Glob::new("a*b").has_inner_wildcard());
        assert!(Glob::new("*a*b*").has_inner_wildcard());
    }
}
