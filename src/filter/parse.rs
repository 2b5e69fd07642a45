//! The JSON pattern parser: `{ ... }` text -> [`Expr`], refusing what AWS
//! refuses (`docs/filter-patterns.md`, grammar to limits) with the column and the reason.
//!
//! Hand-written recursive descent over bytes: the grammar is small, errors
//! must point at a column, and a parser generator would be more code.

use super::ast::{CmpOp, Cond, Expr, Glob, Selector, Step, Test, Value};
use super::aws_regex;

/// At most this many `%regex%` values per pattern (X3).
pub(super) const MAX_REGEXES: usize = 2;
/// At most this many selectors with a wildcard per pattern (S6).
pub(super) const MAX_WILDCARD_SELECTORS: usize = 3;

/// Where and why a pattern is invalid, as a byte offset.
#[derive(Debug)]
pub(super) struct Failure {
    /// Byte offset in the whole pattern text.
    pub offset: usize,
    /// What is wrong.
    pub reason: String,
}

type Result<T> = std::result::Result<T, Failure>;

/// Parse the JSON pattern `text[start..end]`, which holds what is between
/// the braces. Returns the expression and notes about constructs AWS
/// accepts but does not document the behaviour of.
pub(super) fn parse_json(text: &str, start: usize, end: usize) -> Result<(Expr, Vec<String>)> {
    let mut p = Parser {
        s: text.as_bytes(),
        text,
        pos: start,
        end,
        regexes: 0,
        wildcard_selectors: 0,
        over_regexes: None,
        over_wildcards: None,
        notes: Vec::new(),
    };
    p.ws();
    if p.pos == p.end {
        return Err(p.fail(
            p.pos,
            "empty JSON pattern: write at least one condition inside { }",
        ));
    }
    let e = p.or()?;
    p.ws();
    if p.pos < p.end {
        let why = match p.s[p.pos] {
            b')' => "unbalanced parentheses: this ) has no (".to_owned(),
            b'&' | b'|' => "unsupported operator: join conditions with && or ||".to_owned(),
            _ => format!("expected && or || before {}", p.snippet(p.pos)),
        };
        return Err(p.fail(p.pos, &why));
    }
    // Quotas are judged on the whole pattern, in a fixed order, so that
    // the reason does not depend on which operand of || comes first.
    if let Some(at) = p.over_regexes {
        return Err(p.fail(at, "at most two regular expressions per pattern"));
    }
    if let Some(at) = p.over_wildcards {
        return Err(p.fail(at, "at most three selectors with a wildcard per pattern"));
    }
    Ok((e, p.notes))
}

struct Parser<'a> {
    s: &'a [u8],
    text: &'a str,
    pos: usize,
    end: usize,
    regexes: usize,
    wildcard_selectors: usize,
    /// Where the regular expression over the quota starts, if one is.
    over_regexes: Option<usize>,
    /// Where the wildcard selector over the quota starts, if one is.
    over_wildcards: Option<usize>,
    notes: Vec<String>,
}

fn is_name(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// Characters AWS accepts in unquoted values: its own examples use `.`,
/// `-`, `*`, `:` and `/` (`docs/filter-patterns.md` E3); the exact set is UNCONFIRMED.
fn is_bare(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"_.-*:/@+#".contains(&b)
}

impl<'a> Parser<'a> {
    fn fail(&self, offset: usize, reason: &str) -> Failure {
        Failure {
            offset,
            reason: reason.to_owned(),
        }
    }

    fn peek(&self) -> Option<u8> {
        (self.pos < self.end).then(|| self.s[self.pos])
    }

    fn at(&self, lit: &str) -> bool {
        self.s[self.pos..self.end].starts_with(lit.as_bytes())
    }

    fn ws(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_whitespace()) {
            self.pos += 1;
        }
    }

    /// A short quote of the text at `at`, for messages.
    fn snippet(&self, at: usize) -> String {
        let rest = &self.text[at..self.end];
        let word: String = rest.chars().take(12).collect();
        format!("{word:?}")
    }

    fn or(&mut self) -> Result<Expr> {
        self.joined("||", Self::and, Expr::Or)
    }

    fn and(&mut self) -> Result<Expr> {
        self.joined("&&", Self::primary, Expr::And)
    }

    /// `item { op item }`, one item unwrapped.
    fn joined(
        &mut self,
        op: &str,
        item: fn(&mut Self) -> Result<Expr>,
        wrap: fn(Vec<Expr>) -> Expr,
    ) -> Result<Expr> {
        let mut branches = vec![item(self)?];
        loop {
            self.ws();
            if !self.at(op) {
                break;
            }
            self.pos += 2;
            branches.push(item(self)?);
        }
        Ok(if branches.len() == 1 {
            branches.pop().expect("one branch")
        } else {
            wrap(branches)
        })
    }

    fn primary(&mut self) -> Result<Expr> {
        self.ws();
        match self.peek() {
            Some(b'(') => {
                let open = self.pos;
                self.pos += 1;
                let e = self.or()?;
                self.ws();
                if self.peek() != Some(b')') {
                    return Err(self.fail(open, "unbalanced parentheses: this ( is never closed"));
                }
                self.pos += 1;
                Ok(e)
            }
            Some(b'$') => Ok(Expr::Cond(self.condition()?)),
            None => Err(self.fail(self.pos, "missing condition at the end of the pattern")),
            Some(b')') => Err(self.fail(self.pos, "missing condition before )")),
            Some(b'{' | b'}') => Err(self.fail(
                self.pos,
                "unbalanced braces: a JSON pattern is one { ... } and does not nest braces",
            )),
            Some(b'&' | b'|') => Err(self.fail(self.pos, "missing condition before the operator")),
            Some(_) => Err(self.fail(
                self.pos,
                &format!(
                    "a selector starts with $. (found {}); AWS rejects selectors without it",
                    self.snippet(self.pos)
                ),
            )),
        }
    }

    fn condition(&mut self) -> Result<Cond> {
        let selector = self.selector()?;
        self.ws();
        let op_at = self.pos;
        let op = if self.at("==") {
            return Err(self.fail(op_at, "unsupported operator ==; use ="));
        } else if self.at("!=") {
            CmpOp::Ne
        } else if self.at("<=") {
            CmpOp::Le
        } else if self.at(">=") {
            CmpOp::Ge
        } else if self.at("=") {
            CmpOp::Eq
        } else if self.at("<") {
            CmpOp::Lt
        } else if self.at(">") {
            CmpOp::Gt
        } else if self.peek().is_some_and(|b| b.is_ascii_alphabetic()) {
            let test = self.keyword_test()?;
            return Ok(Cond { selector, test });
        } else {
            return Err(self.fail(
                op_at,
                "expected an operator (=, !=, <, <=, >, >=), IS NULL, IS TRUE, IS FALSE or NOT EXISTS after the selector",
            ));
        };
        self.pos += if matches!(op, CmpOp::Eq | CmpOp::Lt | CmpOp::Gt) {
            1
        } else {
            2
        };
        let value = self.value(op, op_at)?;
        Ok(Cond {
            selector,
            test: Test::Cmp(op, value),
        })
    }

    fn word(&mut self) -> (usize, &'a str) {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            self.pos += 1;
        }
        (start, &self.text[start..self.pos])
    }

    fn keyword_test(&mut self) -> Result<Test> {
        let (at, w) = self.word();
        match w {
            "IS" => {
                self.ws();
                let (at2, w2) = self.word();
                match w2 {
                    "NULL" => Ok(Test::IsNull),
                    "TRUE" => Ok(Test::IsTrue),
                    "FALSE" => Ok(Test::IsFalse),
                    "NOT" => Err(self.fail(
                        at,
                        "IS NOT is not supported; use != or NOT EXISTS",
                    )),
                    _ if ["null", "true", "false"].contains(&w2.to_ascii_lowercase().as_str()) => {
                        Err(self.fail(at2, "keywords are upper case: IS NULL, IS TRUE, IS FALSE"))
                    }
                    _ => Err(self.fail(at2, "expected NULL, TRUE or FALSE after IS")),
                }
            }
            "NOT" => {
                self.ws();
                let (at2, w2) = self.word();
                match w2 {
                    "EXISTS" => Ok(Test::NotExists),
                    _ if w2.eq_ignore_ascii_case("exists") => {
                        Err(self.fail(at2, "keywords are upper case: NOT EXISTS"))
                    }
                    _ => Err(self.fail(at2, "expected EXISTS after NOT")),
                }
            }
            "EXISTS" => Err(self.fail(
                at,
                "EXISTS is not supported; use NOT EXISTS, or = * for a field that is present",
            )),
            _ if ["is", "not", "exists"].contains(&w.to_ascii_lowercase().as_str()) => Err(
                self.fail(at, "keywords are upper case: IS NULL, IS TRUE, IS FALSE, NOT EXISTS"),
            ),
            _ => Err(self.fail(
                at,
                &format!(
                    "expected an operator (=, !=, <, <=, >, >=), IS or NOT EXISTS after the selector, found {w:?}"
                ),
            )),
        }
    }

    fn selector(&mut self) -> Result<Selector> {
        let start = self.pos;
        self.pos += 1; // '$'
        if self.peek() != Some(b'.') {
            return Err(self.fail(start, "a selector starts with $."));
        }
        let mut steps = Vec::new();
        let mut wildcards = 0;
        loop {
            let at = self.pos;
            match self.peek() {
                Some(b'.') => {
                    self.pos += 1;
                    match self.peek() {
                        Some(b'*') => {
                            self.pos += 1;
                            wildcards += 1;
                            steps.push(Step::AnyKey);
                        }
                        Some(b'[') => steps.push(self.bracket_key()?),
                        Some(b) if is_name(b) => {
                            let s = self.pos;
                            while self.peek().is_some_and(is_name) {
                                self.pos += 1;
                            }
                            steps.push(Step::Key(self.text[s..self.pos].to_owned()));
                        }
                        _ => {
                            return Err(self.fail(
                                self.pos,
                                "expected a field name after . (letters, digits, _ and -; other keys use .['key'])",
                            ))
                        }
                    }
                }
                Some(b'[') => {
                    if self.s.get(self.pos + 1) == Some(&b'\'') {
                        steps.push(self.bracket_key()?);
                        continue;
                    }
                    self.pos += 1;
                    if self.peek() == Some(b'*') {
                        self.pos += 1;
                        wildcards += 1;
                        steps.push(Step::AnyIndex);
                    } else {
                        let s = self.pos;
                        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
                            self.pos += 1;
                        }
                        let n = self.text[s..self.pos]
                            .parse::<usize>()
                            .map_err(|_| self.fail(at, "expected an array index [n] or [*]"))?;
                        steps.push(Step::Index(n));
                    }
                    if self.peek() != Some(b']') {
                        return Err(self.fail(at, "unclosed [ in the selector"));
                    }
                    self.pos += 1;
                }
                _ => break,
            }
        }
        if wildcards > 1 {
            return Err(self.fail(start, "at most one wildcard (.* or [*]) per selector"));
        }
        if wildcards == 1 {
            self.wildcard_selectors += 1;
            if self.wildcard_selectors > MAX_WILDCARD_SELECTORS {
                self.over_wildcards.get_or_insert(start);
            }
        }
        if let Some(b) = self.peek() {
            if !b.is_ascii_whitespace() && !b"=!<>".contains(&b) {
                return Err(self.fail(
                    self.pos,
                    &format!("unexpected {} in the selector", self.snippet(self.pos)),
                ));
            }
        }
        Ok(Selector { steps })
    }

    /// `['key']` (the leading `.` already consumed, or absent).
    fn bracket_key(&mut self) -> Result<Step> {
        let at = self.pos;
        if !self.at("['") {
            return Err(self.fail(at, "expected ['key'] after ."));
        }
        let s = self.pos + 2;
        let Some(len) = self.text[s..self.end].find("']") else {
            return Err(self.fail(at, "unclosed ['key'] in the selector"));
        };
        if len == 0 {
            return Err(self.fail(at, "empty key in ['']"));
        }
        self.pos = s + len + 2;
        Ok(Step::Key(self.text[s..s + len].to_owned()))
    }

    fn value(&mut self, op: CmpOp, op_at: usize) -> Result<Value> {
        self.ws();
        let at = self.pos;
        let relational = !matches!(op, CmpOp::Eq | CmpOp::Ne);
        let (v, quoted_text) = match self.peek() {
            None | Some(b')') => return Err(self.fail(at, "missing value after the operator")),
            _ if self.at("&&") || self.at("||") => {
                return Err(self.fail(at, "missing value after the operator"))
            }
            Some(b'"') => {
                let t = self.quoted()?;
                (Value::Text(Glob::new(&t)), Some(t))
            }
            Some(b'%') => {
                if relational {
                    return Err(self.fail(op_at, "a regular expression works only with = and !="));
                }
                (self.regex()?, None)
            }
            Some(_) => {
                while let Some(b) = self.peek() {
                    if b.is_ascii_whitespace()
                        || b == b'('
                        || b == b')'
                        || self.at("&&")
                        || self.at("||")
                    {
                        break;
                    }
                    if !is_bare(b) {
                        let c = self.text[self.pos..].chars().next().unwrap_or('?');
                        return Err(self.fail(
                            self.pos,
                            &format!("character {c:?} in a value must be quoted: \"...\""),
                        ));
                    }
                    self.pos += 1;
                }
                let t = &self.text[at..self.pos];
                if t.contains('@') {
                    self.notes.push(format!(
                        "{t} has an unquoted @: AWS's guide asks for quotes around such values, yet its own examples leave other symbols bare; accepted as if quoted (UNCONFIRMED, docs/filter-patterns.md E3)"
                    ));
                }
                match number(t) {
                    Some(n) => (
                        Value::Number {
                            value: n,
                            text: t.to_owned(),
                        },
                        None,
                    ),
                    None => (Value::Text(Glob::new(t)), None),
                }
            }
        };
        if let Some(b) = self.peek() {
            if !(b.is_ascii_whitespace() || b == b')' || self.at("&&") || self.at("||")) {
                return Err(self.fail(
                    self.pos,
                    &format!("unexpected {} after the value", self.snippet(self.pos)),
                ));
            }
        }
        let v = match (relational, v) {
            (true, Value::Text(g)) => match quoted_text.as_deref().and_then(number) {
                Some(n) => {
                    self.notes.push(format!(
                        "quoted number \"{}\" after a relational operator is compared as a number (UNCONFIRMED)",
                        g.text()
                    ));
                    Value::Number {
                        value: n,
                        text: g.text().to_owned(),
                    }
                }
                None => {
                    return Err(self.fail(
                        at,
                        "<, <=, > and >= compare numbers: the value must be a number",
                    ))
                }
            },
            (_, v) => v,
        };
        if let Value::Text(g) = &v {
            if g.has_inner_wildcard() {
                self.notes.push(format!(
                    "\"{}\" has a * inside the value: AWS documents only leading and trailing wildcards; \
                     evaluated as a wildcard anywhere (UNCONFIRMED)",
                    g.text()
                ));
            }
        }
        Ok(v)
    }

    /// `"..."` with `\"` and `\\` as the only escapes (E6).
    fn quoted(&mut self) -> Result<String> {
        let open = self.pos;
        let (s, next) = unquote(self.text, open, self.end)
            .ok_or_else(|| self.fail(open, "unterminated quoted value: no closing \""))?;
        self.pos = next;
        Ok(s)
    }

    fn regex(&mut self) -> Result<Value> {
        let open = self.pos;
        let (re, next) = aws_regex::enclosed(self.text, open, self.end)
            .map_err(|(offset, reason)| Failure { offset, reason })?;
        self.regexes += 1;
        if self.regexes > MAX_REGEXES {
            self.over_regexes.get_or_insert(open);
        }
        self.pos = next;
        Ok(Value::Regex(re))
    }
}

/// A quoted string whose opening `"` is at `open` in `text[..end]`, with
/// `\"` and `\\` as its only escapes (E6; terms and space-delimited values
/// quote the same way): the string and the position after its closing
/// quote; None when it does not close.
pub(super) fn unquote(text: &str, open: usize, end: usize) -> Option<(String, usize)> {
    let s = text.as_bytes();
    let mut out = String::new();
    let (mut i, mut run) = (open + 1, open + 1);
    while i < end {
        match s[i] {
            b'"' => {
                out.push_str(&text[run..i]);
                return Some((out, i + 1));
            }
            b'\\' if i + 1 < end && matches!(s[i + 1], b'"' | b'\\') => {
                out.push_str(&text[run..i]);
                out.push(s[i + 1] as char);
                i += 2;
                run = i;
            }
            _ => i += 1,
        }
    }
    None
}

/// The number grammar of `docs/filter-patterns.md#grammar`: `[+-]digits[.digits][(e|E)[+-]digits]`.
pub(super) fn number(t: &str) -> Option<f64> {
    let b = t.as_bytes();
    let mut i = 0;
    let digits = |i: &mut usize| {
        let s = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i > s
    };
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    if !digits(&mut i) {
        return None;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        if !digits(&mut i) {
            return None;
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        if !digits(&mut i) {
            return None;
        }
    }
    if i != b.len() {
        return None;
    }
    t.trim_start_matches('+').parse().ok()
}
