//! CloudWatch Logs filter patterns: parsed, checked and evaluated the way
//! the service does it (`docs/filter-patterns.md`).
//!
//! - [`Pattern::parse`] classifies the text (empty, `{` JSON, `%` regex,
//!   `[` space-delimited, terms), refuses what AWS refuses with a column and
//!   a reason, and notes constructs whose AWS behaviour is UNCONFIRMED.
//! - [`Pattern::matches`] evaluates it on one event.
//! - [`Pattern::need`] derives the literals a match requires, for the
//!   scanner's prefilter.

mod ast;
mod aws_regex;
mod delimited;
mod eval;
pub mod literals;
mod named;
mod parse;
pub mod presets;
mod terms;

use simd_json::BorrowedValue;

pub use ast::{CmpOp, Expr, Step, Test, Value};
pub use literals::Need;
pub use named::{Filter, FilterId};

/// Longest pattern AWS accepts, in characters (`docs/filter-patterns.md#limits`).
pub const MAX_PATTERN_CHARS: usize = 1024;

/// A metric filter's `metricValue` that names a field (`$.field`): the
/// value each matching event publishes is that field's number.
#[derive(Debug, Clone)]
pub struct FieldValue {
    path: String,
    steps: Vec<Step>,
}

impl FieldValue {
    /// Parse `$.a.b` (any selector a JSON pattern takes); None when
    /// `text` is not a selector.
    pub fn parse(text: &str) -> Option<FieldValue> {
        let text = text.trim();
        if !text.starts_with("$.") {
            return None;
        }
        let p = Pattern::parse(&format!("{{ {text} IS NULL }}")).ok()?;
        match p.json()? {
            Expr::Cond(c) => Some(FieldValue {
                path: text.to_owned(),
                steps: c.selector.steps.clone(),
            }),
            _ => None,
        }
    }

    /// The selector's steps.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// The selector as written.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The number the field holds in `v`; None when it is absent or not a
    /// number.
    pub fn read(&self, v: &BorrowedValue<'_>) -> Option<f64> {
        eval::number_at(v, &self.steps)
    }
}

/// Why AWS would refuse a pattern, or why ctreplay cannot evaluate one
/// AWS may accept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} filter pattern at column {column}: {reason}", if *.unsupported { "unsupported" } else { "invalid" })]
pub struct PatternError {
    /// 1-based character column.
    pub column: usize,
    /// What is wrong.
    pub reason: String,
    /// AWS may accept it; ctreplay cannot evaluate it.
    pub unsupported: bool,
}

/// A parsed filter pattern.
#[derive(Debug, Clone)]
pub struct Pattern {
    text: String,
    kind: Kind,
    notes: Vec<String>,
}

#[derive(Debug, Clone)]
enum Kind {
    /// Empty pattern (or `" "`): every event.
    All,
    /// `{ ... }`, evaluated on the decoded event.
    Json(Expr),
    /// `%regex%` searched in the raw event text.
    Regex(regex::bytes::Regex),
    /// Terms searched in the raw event text.
    Terms(terms::Terms),
    /// `[a, b, ...]` over the raw event text split on spaces.
    Delimited(delimited::Delimited),
}

/// Printed with every space-delimited pattern but `[]`.
pub const DELIMITED_NOTE: &str = "a space-delimited pattern reads the event's raw text split on spaces; AWS applies it to CloudTrail's JSON text too, but does not document how it splits JSON (ctreplay splits on spaces, with [...] and \"...\" as one field, the last field taking the rest): results on CloudTrail records are this reading's";

impl Pattern {
    /// Parse and check `text`.
    pub fn parse(text: &str) -> Result<Pattern, PatternError> {
        let at = |offset: usize, reason: String, unsupported: bool| PatternError {
            column: text[..offset.min(text.len())].chars().count() + 1,
            reason,
            unsupported,
        };
        let fail = |offset: usize, reason: String| at(offset, reason, false);
        let chars = text.chars().count();
        if chars > MAX_PATTERN_CHARS {
            let offset = text
                .char_indices()
                .nth(MAX_PATTERN_CHARS)
                .map_or(text.len(), |(i, _)| i);
            return Err(fail(
                offset,
                format!("the pattern is {chars} characters long; AWS allows at most {MAX_PATTERN_CHARS}"),
            ));
        }
        let start = text.len() - text.trim_start().len();
        let end = text.trim_end().len();
        let trimmed = &text[start..end.max(start)];
        let (kind, notes) = if trimmed.is_empty() || trimmed == "\" \"" {
            (Kind::All, vec![])
        } else if trimmed.starts_with('{') {
            if !trimmed.ends_with('}') || trimmed.len() < 2 {
                return Err(fail(
                    end,
                    "unbalanced braces: a JSON pattern ends with }".into(),
                ));
            }
            let (e, notes) = parse::parse_json(text, start + 1, end - 1)
                .map_err(|f| fail(f.offset, f.reason))?;
            (Kind::Json(e), notes)
        } else if trimmed.starts_with('[') {
            if !trimmed.ends_with(']') || trimmed.len() < 2 {
                return Err(fail(
                    end,
                    "unbalanced brackets: a space-delimited pattern ends with ]".into(),
                ));
            }
            let d = delimited::Delimited::parse(text, start, end)
                .map_err(|f| at(f.offset, f.reason, f.unsupported))?;
            let notes = if trimmed[1..trimmed.len() - 1].trim().is_empty() {
                vec![]
            } else {
                vec![DELIMITED_NOTE.to_owned()]
            };
            (Kind::Delimited(d), notes)
        } else if trimmed.starts_with('%') {
            if trimmed.len() < 2 || !trimmed.ends_with('%') {
                return Err(fail(
                    start,
                    "unterminated regular expression: no closing %".into(),
                ));
            }
            let body = &trimmed[1..trimmed.len() - 1];
            let re = aws_regex::compile(body).map_err(|e| fail(start + 1 + e.offset, e.reason))?;
            (Kind::Regex(re), vec![])
        } else {
            let (t, notes) = terms::Terms::parse(text, start, end).map_err(|(o, r)| fail(o, r))?;
            (Kind::Terms(t), notes)
        };
        Ok(Pattern {
            text: text.to_owned(),
            kind,
            notes,
        })
    }

    /// The pattern as written.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Constructs AWS accepts whose exact behaviour is not documented, with
    /// the choice made for each.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// The syntax tree, for JSON patterns.
    pub fn json(&self) -> Option<&Expr> {
        match &self.kind {
            Kind::Json(e) => Some(e),
            _ => None,
        }
    }

    /// Whether the pattern matches one event: `raw` is its text, `value`
    /// the decoded JSON (None when the text is not JSON, which no JSON
    /// pattern matches).
    pub fn matches(&self, raw: &[u8], value: Option<&BorrowedValue<'_>>) -> bool {
        match &self.kind {
            Kind::All => true,
            Kind::Json(e) => value.is_some_and(|v| eval::eval(e, v)),
            Kind::Regex(re) => re.is_match(raw),
            Kind::Terms(t) => t.matches(raw),
            Kind::Delimited(d) => d.extract(raw).is_some(),
        }
    }

    /// The values a space-delimited pattern's named fields take in a
    /// matching message (`$name` → value, as `TestMetricFilter`'s
    /// `extractedValues`); empty for other kinds.
    pub fn extracted_values(&self, raw: &[u8]) -> Vec<(String, String)> {
        match &self.kind {
            Kind::Delimited(d) => d.extract(raw).unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    /// Whether the pattern needs the decoded event (JSON patterns) or only
    /// its text.
    pub fn needs_json(&self) -> bool {
        matches!(self.kind, Kind::Json(_))
    }

    /// Evaluate on one log message given as text, decoding it as JSON when
    /// the pattern needs that (as `aws logs test-metric-filter` does).
    pub fn matches_message(&self, message: &str) -> bool {
        if !self.needs_json() {
            return self.matches(message.as_bytes(), None);
        }
        let mut bytes = message.as_bytes().to_vec();
        let hit = match simd_json::to_borrowed_value(&mut bytes) {
            Ok(v) => self.matches(message.as_bytes(), Some(&v)),
            Err(_) => false,
        };
        hit
    }

    /// The literals every match contains (see [`literals`]); None when the
    /// pattern can match events with no particular literal.
    pub fn need(&self) -> Option<Need> {
        match &self.kind {
            Kind::All | Kind::Regex(_) | Kind::Delimited(_) => None,
            Kind::Json(e) => literals::json(e),
            Kind::Terms(t) => literals::terms(t),
        }
    }

    /// The selectors of a JSON pattern's conditions (none for other
    /// kinds): every field the pattern reads.
    pub fn selectors(&self) -> Vec<&[Step]> {
        fn walk<'e>(e: &'e Expr, out: &mut Vec<&'e [Step]>) {
            match e {
                Expr::Or(b) | Expr::And(b) => b.iter().for_each(|e| walk(e, out)),
                Expr::Cond(c) => out.push(&c.selector.steps),
            }
        }
        let mut out = Vec::new();
        if let Kind::Json(e) = &self.kind {
            walk(e, &mut out);
        }
        out
    }

    /// The strings compared for equality with `$.eventName` (no wildcard),
    /// in pattern order: the names a report lists even when absent.
    pub fn event_names(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Kind::Json(e) = &self.kind {
            collect_names(e, &mut out);
        }
        out
    }

    /// If every event this pattern matches has a top-level `eventName`
    /// string equal to one of a few names, those names (strings compare
    /// whole and case-sensitively: `docs/filter-patterns.md#semantics`).
    /// None when the pattern can match other events.
    pub fn required_event_names(&self) -> Option<Vec<String>> {
        match &self.kind {
            Kind::Json(e) => required_names(e),
            _ => None,
        }
    }
}

/// The names one of which every event `e` matches has as its `eventName`
/// string, if `e` requires that: a plain equality (no wildcard), an OR of
/// such, or an AND with one such among its parts. None otherwise.
fn required_names(e: &Expr) -> Option<Vec<String>> {
    match e {
        Expr::Or(b) => {
            let mut out = Vec::new();
            for e in b {
                out.extend(required_names(e)?);
            }
            Some(out)
        }
        Expr::And(b) => b.iter().find_map(required_names),
        Expr::Cond(c) => name_equality(c).map(|n| vec![n.to_owned()]),
    }
}

/// The name a condition `$.eventName = Name` (no wildcard) compares with.
fn name_equality(c: &ast::Cond) -> Option<&str> {
    match (&c.test, c.selector.steps.as_slice()) {
        (Test::Cmp(CmpOp::Eq, Value::Text(g)), [Step::Key(k)])
            if k == "eventName" && g.parts().len() == 1 =>
        {
            Some(g.text())
        }
        _ => None,
    }
}

fn collect_names(e: &Expr, out: &mut Vec<String>) {
    match e {
        Expr::Or(b) | Expr::And(b) => b.iter().for_each(|e| collect_names(e, out)),
        Expr::Cond(c) => {
            if let Some(n) = name_equality(c) {
                if !out.iter().any(|o| o == n) {
                    out.push(n.to_owned());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each reading no recorded AWS answer settles prints a note, so a
    /// result that depends on it says so; settled forms print none.
    #[test]
    fn unsettled_readings_say_so() {
        let notes = |p: &str| Pattern::parse(p).unwrap().notes().to_vec();
        assert!(notes("{ $.eventName = Con*Login }")[0].contains("* inside the value"));
        assert!(notes("{ $.userName = bob@example.com }")[0].contains("unquoted @"));
        assert!(notes("[ip, ..., status_code = 4*, bytes]")[0].contains("space-delimited"));
        assert!(notes("{ $.eventName = ConsoleLogin* }").is_empty());
        assert!(notes("[]").is_empty());
        assert!(notes("ERROR Exception").is_empty());
        let e = Pattern::parse("[a = 1 && b = 2, b]").unwrap_err();
        assert!(e.unsupported);
        assert!(e
            .to_string()
            .starts_with("unsupported filter pattern at column"));
        let e = Pattern::parse("[a, b").unwrap_err();
        assert!(!e.unsupported, "{e}");
    }
}
