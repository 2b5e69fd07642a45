//! Space-delimited patterns (`docs/filter-patterns.md#other-forms`):
//! `[ip, user, ..., status_code = 4*, bytes]` names the space-separated
//! fields of a log message and tests them.
//!
//! - A message is split on spaces; text between `[` and `]`, or between
//!   two `"`, is one field (its value without the brackets or quotes).
//! - Each pattern field takes one message field; `...` takes any number
//!   (none included); the last field, when named, takes the rest of the
//!   message (so `[w1=ERROR, w2]` matches any message whose first word is
//!   `ERROR`). `[]` matches every message; a trailing comma (AWS's own
//!   sample `[..., request=*.html*, status_code=4*,]`) is an unnamed last
//!   field.
//! - A field's conditions are `=`, `!=` (a `*` is a wildcard; a number
//!   compares as a number), `<`, `<=`, `>`, `>=` (numbers only) and
//!   `%regex%`, joined with `&&` and `||` (`&&` first), on that field.
//!
//! AWS applies such a pattern to any message, CloudTrail's JSON text
//! included; how it splits JSON text is not documented, so every such
//! pattern carries a note. Conditions naming another field are refused as
//! unsupported (not invalid: AWS may accept them). Evaluation is linear in
//! the message's fields per pattern field, whatever the `...`s.

use super::ast::Glob;
use super::aws_regex;

/// A parsed space-delimited pattern.
#[derive(Debug, Clone)]
pub(super) struct Delimited {
    fields: Vec<Field>,
}

#[derive(Debug, Clone)]
enum Field {
    /// `...`: any number of message fields.
    Any,
    /// A named field and what it must satisfy (an OR of ANDs; empty: any).
    Named { name: String, cond: Vec<Vec<Cmp>> },
}

#[derive(Debug, Clone)]
enum Cmp {
    Eq(Operand),
    Ne(Operand),
    Lt(f64),
    Le(f64),
    Gt(f64),
    Ge(f64),
}

#[derive(Debug, Clone)]
enum Operand {
    Text(Glob),
    Number(f64, Glob),
    Regex(regex::bytes::Regex),
}

/// Parse failure: byte offset, reason, and whether AWS may accept it
/// (unsupported here) rather than refuse it (invalid).
#[derive(Debug, Clone)]
pub(super) struct Failure {
    pub offset: usize,
    pub reason: String,
    pub unsupported: bool,
}

/// At most this many regular expressions per pattern (X3).
const MAX_REGEXES: usize = 2;

struct Parser<'a> {
    s: &'a [u8],
    text: &'a str,
    pos: usize,
    end: usize,
    regexes: usize,
}

impl Parser<'_> {
    fn fail(&self, offset: usize, reason: impl Into<String>) -> Failure {
        Failure {
            offset,
            reason: reason.into(),
            unsupported: false,
        }
    }

    fn ws(&mut self) {
        while self.pos < self.end && self.s[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
    }

    fn eat(&mut self, tok: &str) -> bool {
        if self.text[self.pos..self.end].starts_with(tok) {
            self.pos += tok.len();
            true
        } else {
            false
        }
    }

    fn name(&mut self) -> Result<String, Failure> {
        let start = self.pos;
        while self.pos < self.end
            && (self.s[self.pos].is_ascii_alphanumeric() || self.s[self.pos] == b'_')
        {
            self.pos += 1;
        }
        if start == self.pos {
            return Err(self.fail(start, "expected a field name, ... or ]"));
        }
        Ok(self.text[start..self.pos].to_owned())
    }

    fn field(&mut self) -> Result<Field, Failure> {
        self.ws();
        if self.eat("...") {
            return Ok(Field::Any);
        }
        let name = self.name()?;
        let mut cond: Vec<Vec<Cmp>> = Vec::new();
        let mut and: Vec<Cmp> = Vec::new();
        let mut this = Some(name.clone());
        loop {
            self.ws();
            let subject_at = self.pos;
            let subject = match this.take() {
                Some(n) => n,
                None => self.name()?,
            };
            if subject != name {
                return Err(Failure {
                    offset: subject_at,
                    reason: format!(
                        "a condition on field {subject:?} inside field {name:?}: ctreplay evaluates conditions on their own field only"
                    ),
                    unsupported: true,
                });
            }
            self.ws();
            if self.pos == self.end || matches!(self.s[self.pos], b',' | b']') {
                if !and.is_empty() || !cond.is_empty() {
                    return Err(self.fail(self.pos, "expected a comparison after && or ||"));
                }
                return Ok(Field::Named { name, cond });
            }
            and.push(self.comparison()?);
            self.ws();
            if self.eat("&&") {
                continue;
            }
            cond.push(std::mem::take(&mut and));
            if self.eat("||") {
                continue;
            }
            self.ws();
            if self.pos < self.end && !matches!(self.s[self.pos], b',' | b']') {
                return Err(self.fail(self.pos, "expected , && || or ] after a comparison"));
            }
            return Ok(Field::Named { name, cond });
        }
    }

    fn comparison(&mut self) -> Result<Cmp, Failure> {
        let op_at = self.pos;
        let op = ["<=", ">=", "!=", "=", "<", ">"]
            .into_iter()
            .find(|o| self.eat(o))
            .ok_or_else(|| self.fail(op_at, "expected = != < <= > or >="))?;
        self.ws();
        let at = self.pos;
        let operand = self.operand()?;
        let number = |o: &Operand| match o {
            Operand::Number(n, _) => Some(*n),
            _ => None,
        };
        let relational = |f: fn(f64) -> Cmp| {
            number(&operand)
                .map(f)
                .ok_or_else(|| self.fail(at, format!("{op} compares numbers: expected a number")))
        };
        match op {
            "=" => Ok(Cmp::Eq(operand.clone())),
            "!=" => Ok(Cmp::Ne(operand.clone())),
            "<" => relational(Cmp::Lt),
            "<=" => relational(Cmp::Le),
            ">" => relational(Cmp::Gt),
            _ => relational(Cmp::Ge),
        }
    }

    fn operand(&mut self) -> Result<Operand, Failure> {
        let at = self.pos;
        match self.s.get(self.pos) {
            Some(b'"') => {
                let (v, next) = super::parse::unquote(self.text, at, self.end)
                    .ok_or_else(|| self.fail(at, "unterminated quoted value: no closing \""))?;
                self.pos = next;
                Ok(Operand::Text(Glob::new(&v)))
            }
            Some(b'%') => {
                let (re, next) =
                    aws_regex::enclosed(self.text, at, self.end).map_err(|(offset, reason)| {
                        Failure {
                            offset,
                            reason,
                            unsupported: false,
                        }
                    })?;
                self.regexes += 1;
                if self.regexes > MAX_REGEXES {
                    return Err(self.fail(at, "at most two regular expressions per pattern"));
                }
                self.pos = next;
                Ok(Operand::Regex(re))
            }
            _ => {
                let start = self.pos;
                while self.pos < self.end {
                    let rest = &self.text[self.pos..self.end];
                    let b = self.s[self.pos];
                    if b.is_ascii_whitespace()
                        || b == b','
                        || b == b']'
                        || rest.starts_with("&&")
                        || rest.starts_with("||")
                    {
                        break;
                    }
                    self.pos += 1;
                }
                if start == self.pos {
                    return Err(self.fail(start, "expected a value"));
                }
                let v = &self.text[start..self.pos];
                Ok(match v.parse::<f64>() {
                    Ok(n) if n.is_finite() && !v.contains('*') => Operand::Number(n, Glob::new(v)),
                    _ => Operand::Text(Glob::new(v)),
                })
            }
        }
    }
}

impl Delimited {
    /// Parse `text[start..end]`, which holds the pattern with its brackets.
    pub(super) fn parse(text: &str, start: usize, end: usize) -> Result<Delimited, Failure> {
        let mut p = Parser {
            s: text.as_bytes(),
            text,
            pos: start + 1,
            end: end - 1,
            regexes: 0,
        };
        let mut fields = Vec::new();
        p.ws();
        if p.pos == p.end {
            return Ok(Delimited { fields });
        }
        loop {
            fields.push(p.field()?);
            p.ws();
            if p.pos == p.end {
                break;
            }
            if !p.eat(",") {
                return Err(p.fail(p.pos, "expected , between fields"));
            }
            p.ws();
            if p.pos == p.end {
                // `[..., status_code=4*,]` (AWS's own sample): an unnamed
                // last field.
                fields.push(Field::Named {
                    name: String::new(),
                    cond: Vec::new(),
                });
                break;
            }
        }
        let mut names: Vec<&str> = Vec::new();
        for f in &fields {
            if let Field::Named { name, .. } = f {
                if name.is_empty() {
                    continue;
                }
                if names.contains(&name.as_str()) {
                    return Err(p.fail(start, format!("field {name:?} is named twice")));
                }
                names.push(name);
            }
        }
        Ok(Delimited { fields })
    }

    /// Whether `msg` matches, and if so the named fields' values.
    pub(super) fn extract(&self, msg: &[u8]) -> Option<Vec<(String, String)>> {
        if self.fields.is_empty() {
            return Some(Vec::new());
        }
        let tokens = split(msg);
        let (k, m) = (self.fields.len(), tokens.len());
        // reach[i][j]: pattern fields i.. can take message fields j..
        let mut reach = vec![vec![false; m + 1]; k + 1];
        reach[k][m] = true;
        for i in (0..k).rev() {
            let last = i + 1 == k;
            for j in (0..=m).rev() {
                reach[i][j] = match &self.fields[i] {
                    Field::Any => reach[i + 1][j] || (j < m && reach[i][j + 1]),
                    Field::Named { cond, .. } if last => j < m && test(cond, rest(msg, &tokens, j)),
                    Field::Named { cond, .. } => {
                        j < m && reach[i + 1][j + 1] && test(cond, tokens[j].value(msg))
                    }
                };
            }
        }
        if !reach[0][0] {
            return None;
        }
        // Walk one alignment: each `...` takes as few fields as it can.
        let mut out = Vec::new();
        let (mut i, mut j) = (0, 0);
        while i < k {
            match &self.fields[i] {
                Field::Any => {
                    if reach[i + 1][j] {
                        i += 1;
                    } else {
                        j += 1;
                    }
                }
                Field::Named { name, .. } => {
                    let v = if i + 1 == k {
                        rest(msg, &tokens, j)
                    } else {
                        tokens[j].value(msg)
                    };
                    if !name.is_empty() {
                        out.push((format!("${name}"), String::from_utf8_lossy(v).into_owned()));
                    }
                    i += 1;
                    j += 1;
                }
            }
        }
        Some(out)
    }
}

/// One message field: where it is, and where its value is (without
/// brackets or quotes).
#[derive(Debug, Clone, Copy)]
struct Token {
    start: usize,
    end: usize,
    value: (usize, usize),
}

impl Token {
    fn value<'m>(&self, msg: &'m [u8]) -> &'m [u8] {
        &msg[self.value.0..self.value.1]
    }
}

/// The value the last pattern field takes: from message field `j` to the
/// end (one field's value when only one is left).
fn rest<'m>(msg: &'m [u8], tokens: &[Token], j: usize) -> &'m [u8] {
    if j + 1 == tokens.len() {
        tokens[j].value(msg)
    } else {
        &msg[tokens[j].start..tokens[tokens.len() - 1].end]
    }
}

/// Split a message into fields.
fn split(msg: &[u8]) -> Vec<Token> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < msg.len() {
        if msg[i] == b' ' {
            i += 1;
            continue;
        }
        let close = match msg[i] {
            b'[' => Some(b']'),
            b'"' => Some(b'"'),
            _ => None,
        };
        let grouped = close.and_then(|c| memchr::memchr(c, &msg[i + 1..]).map(|n| i + 1 + n));
        let t = match grouped {
            Some(j) => Token {
                start: i,
                end: j + 1,
                value: (i + 1, j),
            },
            None => {
                let j = memchr::memchr(b' ', &msg[i..]).map_or(msg.len(), |n| i + n);
                Token {
                    start: i,
                    end: j,
                    value: (i, j),
                }
            }
        };
        i = t.end;
        out.push(t);
    }
    out
}

/// Whether a field's value satisfies an OR of ANDs (empty: anything).
fn test(cond: &[Vec<Cmp>], v: &[u8]) -> bool {
    cond.is_empty() || cond.iter().any(|and| and.iter().all(|c| cmp(c, v)))
}

fn number(v: &[u8]) -> Option<f64> {
    std::str::from_utf8(v)
        .ok()?
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite())
}

fn equal(o: &Operand, v: &[u8]) -> bool {
    match o {
        Operand::Text(g) => g.matches(v),
        Operand::Number(n, g) => number(v).map_or_else(|| g.matches(v), |x| x == *n),
        Operand::Regex(re) => re.is_match(v),
    }
}

fn cmp(c: &Cmp, v: &[u8]) -> bool {
    match c {
        Cmp::Eq(o) => equal(o, v),
        Cmp::Ne(o) => !equal(o, v),
        Cmp::Lt(n) => number(v).is_some_and(|x| x < *n),
        Cmp::Le(n) => number(v).is_some_and(|x| x <= *n),
        Cmp::Gt(n) => number(v).is_some_and(|x| x > *n),
        Cmp::Ge(n) => number(v).is_some_and(|x| x >= *n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(p: &str) -> Delimited {
        Delimited::parse(p, 0, p.len()).unwrap()
    }

    const APACHE: &str =
        "127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] \"GET /index.html HTTP/1.0\" 404 1534";

    #[test]
    fn names_fields_and_groups_brackets_and_quotes() {
        let v = d("[ip, user, username, timestamp, request, status_code, bytes]")
            .extract(APACHE.as_bytes())
            .unwrap();
        let get = |k: &str| v.iter().find(|(n, _)| n == k).unwrap().1.clone();
        assert_eq!(get("$timestamp"), "10/Oct/2000:13:25:15 -0700");
        assert_eq!(get("$request"), "GET /index.html HTTP/1.0");
        assert_eq!(get("$status_code"), "404");
        assert_eq!(get("$bytes"), "1534");
    }

    #[test]
    fn conditions_wildcards_numbers_and_ellipses() {
        let m = |p: &str, msg: &str| d(p).extract(msg.as_bytes()).is_some();
        assert!(m("[..., status_code = 404, bytes]", APACHE));
        assert!(!m("[..., status_code = 200, bytes]", APACHE));
        assert!(m(
            "[..., request = *.html*, status_code = 4*, bytes > 1000]",
            APACHE
        ));
        assert!(!m("[..., bytes < 1000]", APACHE));
        assert!(m(
            "[ip, ..., status_code = 404 || status_code = 410, bytes]",
            APACHE
        ));
        assert!(m("[w1=ERROR || w1=WARN, w2]", "WARN disk almost full"));
        assert!(!m("[w1=ERROR || w1=WARN, w2]", "INFO fine"));
        assert!(m("[]", "anything"));
        assert!(m("[ip = %^127%, ...]", APACHE));
        assert!(!m("[a, b]", "one"));
        // Too few pattern fields: the last takes the rest.
        let v = d("[w1, w2]").extract(b"ERROR disk full").unwrap();
        assert_eq!(v[1].1, "disk full");
    }

    #[test]
    fn refuses_and_flags_what_it_cannot_evaluate() {
        let e = |p: &str| Delimited::parse(p, 0, p.len()).unwrap_err();
        assert!(e("[a = 1 && b = 2, b]").unsupported);
        assert!(!e("[a, a]").unsupported);
        assert!(!e("[a < x]").unsupported);
        assert!(!e("[a = %x%, b = %y%, c = %z%]").unsupported);
    }
}
