//! The exact JSON decoder: the slow path for the records simd-json refuses
//! or reads ambiguously.
//!
//! simd-json decodes every candidate record first. It refuses some valid
//! JSON (numbers beyond `u64`/`f64` such as `1e400` or
//! `123456789012345678901234567890`, nesting deeper than 1,024 levels), and
//! it reads a repeated key differently by the object's size (the first
//! value in an object of up to 32 keys, the last in a larger one), where
//! `jq` and Python read the last. RFC 8259 §4 leaves repeated names
//! undefined, and CloudWatch Logs does not document its reading
//! (`docs/filter-patterns.md#duplicate-keys`).
//!
//! This decoder reads exactly the JSON grammar of RFC 8259, without
//! recursion, into the same [`BorrowedValue`] the evaluator reads, and says
//! what it had to decide ([`Oddities`]):
//! - a repeated key takes the value a [`Pick`] says, so the caller can try
//!   several readings;
//! - a number past `f64` reads as ±infinity;
//! - a container deeper than [`MAX_DEPTH`] is checked but read as `null`.
//!   A filter pattern is at most 1,024 characters and each selector step
//!   takes two, so no selector reaches that deep: the cut never changes a
//!   filter's result;
//! - a string with invalid UTF-8 or a lone surrogate escape reads with
//!   U+FFFD in their place.
//!
//! Which records take this path, and what becomes of the oddities, is
//! [`super::worker`]'s.

use std::borrow::Cow;

use simd_json::prelude::*;
use simd_json::value::borrowed::Object;
use simd_json::{BorrowedValue, StaticNode};

/// Which value of a repeated key a reading takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    /// The n-th (zero-based), or the last when there are fewer.
    Nth(usize),
    /// simd-json's: the first in an object of up to 32 keys (repeats
    /// counted), the last in a larger one.
    AsSimdJson,
}

impl Pick {
    /// The first value.
    pub const FIRST: Pick = Pick::Nth(0);
    /// The last value (what jq and Python keep).
    pub const LAST: Pick = Pick::Nth(usize::MAX);

    /// The index, among `count` values, of an object of `keys` keys.
    fn index(self, count: usize, keys: usize) -> usize {
        match self {
            Pick::Nth(n) => n.min(count - 1),
            Pick::AsSimdJson if keys > 32 => count - 1,
            Pick::AsSimdJson => 0,
        }
    }
}

/// At most this many values are built for one record (a value is 24
/// bytes, an object entry 48, plus their containers): past it the record is refused by name.
pub const MAX_VALUES: usize = 1 << 20;

/// Only the first this many objects with a repeated key have their path
/// spelled out (each costs the depth of the object).
const MAX_PATHS: usize = 64;

/// Containers nested deeper than this read as `null` (simd-json's own limit).
pub const MAX_DEPTH: usize = 1024;

/// At most this many repeated key paths are named per record.
const MAX_NAMED: usize = 8;

/// What the decoder had to decide about one record.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Oddities {
    /// Paths of the keys repeated in one object (`userIdentity.type`), at
    /// most eight, in document order.
    pub repeated: Vec<String>,
    /// The most values any repeated key has.
    pub max_repeats: usize,
    /// A number beyond `f64` read as ±infinity.
    pub out_of_range: bool,
    /// A container deeper than [`MAX_DEPTH`] read as `null`.
    pub depth_cut: bool,
    /// Invalid UTF-8 or a lone surrogate read as U+FFFD.
    pub lossy_text: bool,
}

/// Why a record is not JSON.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} at byte {at}")]
pub struct SyntaxError {
    /// Byte offset in the record.
    pub at: usize,
    /// What was expected or found.
    pub what: &'static str,
}

/// What of a record to build: the fields its readers read, so that a huge
/// record costs what those fields cost, not the 12 to 17 times simd-json takes. Everything
/// else is still checked for syntax, just not kept.
#[derive(Debug, Clone, PartialEq)]
pub enum Want {
    /// The whole value.
    All,
    /// Only that the key is there: a container reads as `null` (scalars
    /// are kept, they cost nothing).
    Presence,
    /// Some of its children.
    Some(Box<Children>),
}

/// The wanted children of a container.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Children {
    keys: Vec<(String, Want)>,
    any_key: Option<Want>,
    indexes: Vec<(usize, Want)>,
    any_index: Option<Want>,
}

/// One step of a wanted path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step<'s> {
    /// An object key.
    Key(&'s str),
    /// An array index.
    Index(usize),
    /// Every value of an object.
    AnyKey,
    /// Every element of an array.
    AnyIndex,
}

impl Want {
    /// Nothing yet.
    pub fn none() -> Want {
        Want::Some(Box::default())
    }

    /// Also want `leaf` at `path`.
    pub fn add(&mut self, path: &[Step<'_>], leaf: Want) {
        let Some((step, rest)) = path.split_first() else {
            let here = std::mem::replace(self, Want::All);
            *self = here.merge(leaf);
            return;
        };
        let children = match self {
            Want::All => return,
            Want::Presence => {
                *self = Want::none();
                let Want::Some(c) = self else {
                    unreachable!("just set")
                };
                c
            }
            Want::Some(c) => c,
        };
        let slot = match step {
            Step::Key(k) => slot(&mut children.keys, (*k).to_owned()),
            Step::Index(n) => slot(&mut children.indexes, *n),
            Step::AnyKey => children.any_key.get_or_insert_with(Want::none),
            Step::AnyIndex => children.any_index.get_or_insert_with(Want::none),
        };
        slot.add(rest, leaf);
    }

    fn merge(self, other: Want) -> Want {
        match (self, other) {
            (Want::All, _) | (_, Want::All) => Want::All,
            (Want::Presence, w) | (w, Want::Presence) => match w {
                Want::Some(c) if c.is_empty() => Want::Presence,
                w => w,
            },
            (Want::Some(mut a), Want::Some(b)) => {
                let b = *b;
                for (k, w) in b.keys {
                    a.merge_key(k, w);
                }
                for (n, w) in b.indexes {
                    merge_into(slot(&mut a.indexes, n), w);
                }
                a.any_key = merge_opt(a.any_key.take(), b.any_key);
                a.any_index = merge_opt(a.any_index.take(), b.any_index);
                Want::Some(a)
            }
        }
    }

    /// Fold the wildcards into the named children, so that a lookup finds
    /// everything a key or index needs in one place.
    pub fn finish(self) -> Want {
        let Want::Some(mut c) = self else {
            return self;
        };
        if let Some(any) = &c.any_key {
            for (_, w) in &mut c.keys {
                let old = std::mem::replace(w, Want::All);
                *w = old.merge(any.clone());
            }
        }
        if let Some(any) = &c.any_index {
            for (_, w) in &mut c.indexes {
                let old = std::mem::replace(w, Want::All);
                *w = old.merge(any.clone());
            }
        }
        let Children {
            keys,
            any_key,
            indexes,
            any_index,
        } = *c;
        Want::Some(Box::new(Children {
            keys: keys.into_iter().map(|(k, w)| (k, w.finish())).collect(),
            any_key: any_key.map(Want::finish),
            indexes: indexes.into_iter().map(|(n, w)| (n, w.finish())).collect(),
            any_index: any_index.map(Want::finish),
        }))
    }

    /// Whether no key of an object is wanted.
    fn no_keys(&self) -> bool {
        matches!(self, Want::Some(c) if c.keys.is_empty() && c.any_key.is_none())
    }

    /// Whether no element of an array is wanted.
    fn no_elements(&self) -> bool {
        matches!(self, Want::Some(c) if c.indexes.is_empty() && c.any_index.is_none())
    }

    /// What is wanted of the value under `key` (None: nothing).
    fn key(&self, key: &str) -> Option<&Want> {
        match self {
            Want::All => Some(&Want::All),
            Want::Presence => None,
            Want::Some(c) => c
                .keys
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, w)| w)
                .or(c.any_key.as_ref()),
        }
    }

    /// What is wanted of element `n` (an unwanted one reads as `null`, to
    /// keep the positions).
    fn index(&self, n: usize) -> &Want {
        match self {
            Want::All => &Want::All,
            Want::Presence => &Want::Presence,
            Want::Some(c) => c
                .indexes
                .iter()
                .find(|(i, _)| *i == n)
                .map(|(_, w)| w)
                .or(c.any_index.as_ref())
                .unwrap_or(&Want::Presence),
        }
    }
}

impl Children {
    fn is_empty(&self) -> bool {
        self.keys.is_empty()
            && self.indexes.is_empty()
            && self.any_key.is_none()
            && self.any_index.is_none()
    }

    fn merge_key(&mut self, k: String, w: Want) {
        merge_into(slot(&mut self.keys, k), w);
    }
}

/// `*w = w ∪ other`.
fn merge_into(w: &mut Want, other: Want) {
    let old = std::mem::replace(w, Want::All);
    *w = old.merge(other);
}

/// The child under `k`, made empty when new.
fn slot<K: PartialEq>(list: &mut Vec<(K, Want)>, k: K) -> &mut Want {
    let found = list.iter().position(|(x, _)| *x == k);
    let i = match found {
        Some(i) => i,
        None => {
            list.push((k, Want::none()));
            list.len() - 1
        }
    };
    &mut list[i].1
}

fn merge_opt(a: Option<Want>, b: Option<Want>) -> Option<Want> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.merge(b)),
        (a, b) => a.or(b),
    }
}

/// Whether simd-json's reading of `v` may differ from an exact one: an
/// object with a repeated key, or an object simd-json stored as a hash map
/// (over 32 keys), where a repeat would already have been folded away.
pub fn needs_exact(v: &BorrowedValue<'_>) -> bool {
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            BorrowedValue::Object(o) => {
                if o.is_map() {
                    return true;
                }
                for (i, k) in o.keys().enumerate() {
                    if o.keys().skip(i + 1).any(|x| x == k) {
                        return true;
                    }
                }
                stack.extend(o.values());
            }
            BorrowedValue::Array(a) => stack.extend(a.iter()),
            _ => {}
        }
    }
    false
}

/// Whether `tok` is exactly a JSON number (RFC 8259 §6): no `+`, no
/// leading `.` or zeros, no `nan` or `inf`.
pub fn is_number(tok: &[u8]) -> bool {
    number_len(tok) == Some(tok.len())
}

/// The length of the JSON number at the start of `b`, if one is there.
fn number_len(b: &[u8]) -> Option<usize> {
    let digits = |from: usize| b[from..].iter().take_while(|c| c.is_ascii_digit()).count();
    let mut i = usize::from(b.first() == Some(&b'-'));
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => i += digits(i),
        _ => return None,
    }
    if b.get(i) == Some(&b'.') {
        let n = digits(i + 1);
        if n == 0 {
            return None;
        }
        i += 1 + n;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let n = digits(i);
        if n == 0 {
            return None;
        }
        i += n;
    }
    Some(i)
}

/// An open container, with what is wanted of it.
enum Frame<'a, 'w> {
    Array(Vec<BorrowedValue<'a>>, &'w Want),
    Object {
        entries: Vec<(Cow<'a, str>, BorrowedValue<'a>)>,
        /// The key whose value is being read.
        key: Cow<'a, str>,
        /// What is wanted of that value (None: it is dropped).
        child: Option<&'w Want>,
        want: &'w Want,
    },
}

struct Parser<'a> {
    text: &'a [u8],
    pos: usize,
    pick: Pick,
    odd: Oddities,
    /// Values built so far (see [`MAX_VALUES`]).
    values: usize,
    /// Repeated-key paths spelled out so far (see [`MAX_PATHS`]).
    paths: usize,
}

/// Decode `text`, one JSON value with optional whitespace around it; a
/// repeated key takes the value `pick` says.
pub fn decode(text: &[u8], pick: Pick) -> Result<(BorrowedValue<'_>, Oddities), SyntaxError> {
    decode_wanted(text, pick, &Want::All)
}

/// As [`decode`], building only what `want` asks for (see [`Want`]).
pub fn decode_wanted<'a>(
    text: &'a [u8],
    pick: Pick,
    want: &Want,
) -> Result<(BorrowedValue<'a>, Oddities), SyntaxError> {
    let mut p = Parser {
        text,
        pos: 0,
        pick,
        odd: Oddities::default(),
        values: 0,
        paths: 0,
    };
    let v = p.document(want)?;
    Ok((v, p.odd))
}

impl<'a> Parser<'a> {
    fn err(&self, what: &'static str) -> SyntaxError {
        SyntaxError { at: self.pos, what }
    }

    fn ws(&mut self) {
        while matches!(self.text.get(self.pos), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.text.get(self.pos).copied()
    }

    fn expect(&mut self, c: u8, what: &'static str) -> Result<(), SyntaxError> {
        if self.peek() != Some(c) {
            return Err(self.err(what));
        }
        self.pos += 1;
        Ok(())
    }

    fn document<'w>(&mut self, root: &'w Want) -> Result<BorrowedValue<'a>, SyntaxError> {
        let null = || BorrowedValue::Static(StaticNode::Null);
        let mut stack: Vec<Frame<'a, 'w>> = Vec::new();
        // What is wanted of the value about to be read (None: dropped).
        let mut want: Option<&'w Want> = Some(root);
        'value: loop {
            let building = matches!(want, Some(Want::All | Want::Some(_)));
            self.values += usize::from(want.is_some());
            if self.values > MAX_VALUES {
                return Err(self.err("more values than the decoder's budget (1,048,576) to build"));
            }
            let mut v = match self.peek() {
                // A container none of whose children are wanted.
                Some(b'{') if want.is_some_and(Want::no_keys) => {
                    self.skip_container()?;
                    BorrowedValue::from(Object::default())
                }
                Some(b'[') if want.is_some_and(Want::no_elements) => {
                    self.skip_container()?;
                    BorrowedValue::Array(Box::default())
                }
                Some(b'{' | b'[') if !building || stack.len() >= MAX_DEPTH => {
                    self.skip_container()?;
                    if building {
                        self.odd.depth_cut = true;
                    }
                    null()
                }
                Some(b'{') => {
                    let w = want.unwrap_or(&Want::All);
                    self.pos += 1;
                    if self.peek() == Some(b'}') {
                        self.pos += 1;
                        BorrowedValue::from(Object::default())
                    } else {
                        let key = self.key()?;
                        let child = w.key(&key);
                        stack.push(Frame::Object {
                            entries: Vec::new(),
                            key,
                            child,
                            want: w,
                        });
                        want = child;
                        continue 'value;
                    }
                }
                Some(b'[') => {
                    let w = want.unwrap_or(&Want::All);
                    self.pos += 1;
                    if self.peek() == Some(b']') {
                        self.pos += 1;
                        BorrowedValue::Array(Box::default())
                    } else {
                        stack.push(Frame::Array(Vec::new(), w));
                        want = Some(w.index(0));
                        continue 'value;
                    }
                }
                _ => self.scalar()?,
            };
            // Holding a complete value: hand it to the open container.
            loop {
                let Some(top) = stack.last_mut() else {
                    if self.peek().is_some() {
                        return Err(self.err("data after the value"));
                    }
                    return Ok(v);
                };
                match top {
                    Frame::Array(items, w) => {
                        items.push(v);
                        match self.peek() {
                            Some(b',') => {
                                self.pos += 1;
                                want = Some(w.index(items.len()));
                                continue 'value;
                            }
                            Some(b']') => {
                                self.pos += 1;
                                let Some(Frame::Array(items, _)) = stack.pop() else {
                                    unreachable!("the top frame is an array")
                                };
                                v = BorrowedValue::Array(Box::new(items));
                            }
                            _ => return Err(self.err("expected ',' or ']'")),
                        }
                    }
                    Frame::Object {
                        entries,
                        key,
                        child,
                        want: w,
                    } => {
                        let k = std::mem::take(key);
                        if child.is_some() {
                            entries.push((k, v));
                        }
                        match self.peek() {
                            Some(b',') => {
                                self.pos += 1;
                                *key = self.key()?;
                                *child = w.key(key);
                                want = *child;
                                continue 'value;
                            }
                            Some(b'}') => {
                                self.pos += 1;
                                let Some(Frame::Object { entries, .. }) = stack.pop() else {
                                    unreachable!("the top frame is an object")
                                };
                                v = self.object(entries, &stack);
                            }
                            _ => return Err(self.err("expected ',' or '}'")),
                        }
                    }
                }
            }
        }
    }

    /// `"key" :`
    fn key(&mut self) -> Result<Cow<'a, str>, SyntaxError> {
        if self.peek() != Some(b'"') {
            return Err(self.err("expected an object key"));
        }
        let k = self.string()?;
        self.expect(b':', "expected ':'")?;
        Ok(k)
    }

    /// Build an object, choosing among the values of a repeated key.
    fn object(
        &mut self,
        entries: Vec<(Cow<'a, str>, BorrowedValue<'a>)>,
        parents: &[Frame<'a, '_>],
    ) -> BorrowedValue<'a> {
        // Occurrence number of each entry and the count of its key.
        let n = entries.len();
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| entries[a].0.cmp(&entries[b].0).then(a.cmp(&b)));
        let mut nth = vec![0usize; n];
        let mut count = vec![1usize; n];
        let mut run = 0;
        while run < n {
            let mut end = run + 1;
            while end < n && entries[order[end]].0 == entries[order[run]].0 {
                end += 1;
            }
            for (k, &i) in order[run..end].iter().enumerate() {
                nth[i] = k;
                count[i] = end - run;
            }
            run = end;
        }
        let mut map = Object::with_capacity_and_hasher(n, Default::default());
        for (i, (k, v)) in entries.into_iter().enumerate() {
            if count[i] > 1 {
                if nth[i] == 0 {
                    self.note_repeat(parents, &k, count[i]);
                }
                if nth[i] != self.pick.index(count[i], n) {
                    continue;
                }
            }
            map.insert(k, v);
        }
        BorrowedValue::from(map)
    }

    fn note_repeat(&mut self, parents: &[Frame<'a, '_>], key: &str, count: usize) {
        self.odd.max_repeats = self.odd.max_repeats.max(count);
        if self.odd.repeated.len() >= MAX_NAMED || self.paths >= MAX_PATHS {
            return;
        }
        self.paths += 1;
        // A path names a place for a reader: each key clipped to 64
        // characters, the path to its last 16 steps.
        let clip = |k: &str| match k.char_indices().nth(64) {
            Some((at, _)) => format!("{}...", &k[..at]),
            None => k.to_owned(),
        };
        let mut steps: Vec<String> = parents
            .iter()
            .map(|f| match f {
                Frame::Object { key, .. } => clip(key),
                Frame::Array(items, _) => format!("[{}]", items.len()),
            })
            .collect();
        steps.push(clip(key));
        let skip = steps.len().saturating_sub(16);
        let mut path = if skip > 0 {
            "...".to_owned()
        } else {
            String::new()
        };
        for s in &steps[skip..] {
            if !(path.is_empty() || s.starts_with('[')) {
                path.push('.');
            }
            path.push_str(s);
        }
        if !self.odd.repeated.contains(&path) {
            self.odd.repeated.push(path);
        }
    }

    /// A string, number or literal.
    fn scalar(&mut self) -> Result<BorrowedValue<'a>, SyntaxError> {
        let rest = &self.text[self.pos.min(self.text.len())..];
        let lit = |s: &[u8]| rest.starts_with(s);
        let (v, len) = match rest.first() {
            Some(b'"') => return self.string().map(BorrowedValue::String),
            Some(b't') if lit(b"true") => (StaticNode::Bool(true), 4),
            Some(b'f') if lit(b"false") => (StaticNode::Bool(false), 5),
            Some(b'n') if lit(b"null") => (StaticNode::Null, 4),
            Some(b'-' | b'0'..=b'9') => {
                let len = number_len(rest).ok_or_else(|| self.err("invalid number"))?;
                (self.number(&rest[..len]), len)
            }
            None => return Err(self.err("unexpected end of data")),
            _ => return Err(self.err("expected a value")),
        };
        self.pos += len;
        Ok(BorrowedValue::Static(v))
    }

    /// A number token already checked by [`number_len`].
    fn number(&mut self, tok: &[u8]) -> StaticNode {
        // ASCII digits, signs, '.' and 'e': always UTF-8.
        let s = std::str::from_utf8(tok).unwrap_or_default();
        let integral = !tok.iter().any(|c| matches!(c, b'.' | b'e' | b'E'));
        if integral {
            if let Ok(u) = s.parse::<u64>() {
                return StaticNode::U64(u);
            }
            if let Ok(i) = s.parse::<i64>() {
                return StaticNode::I64(i);
            }
        }
        let f = s.parse::<f64>().unwrap_or(f64::NAN);
        if f.is_infinite() {
            self.odd.out_of_range = true;
        }
        StaticNode::F64(f)
    }

    /// A string at `pos` (its opening quote), unescaped.
    fn string(&mut self) -> Result<Cow<'a, str>, SyntaxError> {
        let text = self.text;
        let start = self.pos + 1;
        let mut i = start;
        // Fast path: no escape.
        while let Some(&c) = text.get(i) {
            match c {
                b'"' => {
                    self.pos = i + 1;
                    return Ok(self.utf8(&text[start..i]));
                }
                b'\\' => break,
                0..=0x1f => {
                    self.pos = i;
                    return Err(self.err("control character in a string"));
                }
                _ => i += 1,
            }
        }
        let mut out: Vec<u8> = text[start..i].to_vec();
        loop {
            let Some(&c) = text.get(i) else {
                self.pos = i;
                return Err(self.err("unterminated string"));
            };
            match c {
                b'"' => {
                    self.pos = i + 1;
                    return Ok(Cow::Owned(self.utf8(&out).into_owned()));
                }
                0..=0x1f => {
                    self.pos = i;
                    return Err(self.err("control character in a string"));
                }
                b'\\' => {
                    let e = text.get(i + 1).copied();
                    i += 2;
                    let simple = match e {
                        Some(b'"') => b'"',
                        Some(b'\\') => b'\\',
                        Some(b'/') => b'/',
                        Some(b'b') => 8,
                        Some(b'f') => 12,
                        Some(b'n') => b'\n',
                        Some(b'r') => b'\r',
                        Some(b't') => b'\t',
                        Some(b'u') => {
                            let ch = self.unicode(&mut i)?;
                            let mut buf = [0; 4];
                            out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                            continue;
                        }
                        _ => {
                            self.pos = i - 1;
                            return Err(self.err("invalid escape"));
                        }
                    };
                    out.push(simple);
                }
                _ => {
                    out.push(c);
                    i += 1;
                }
            }
        }
    }

    /// The character of a `\u` escape whose hex digits start at `*i`,
    /// with its low surrogate when it is a high one.
    fn unicode(&mut self, i: &mut usize) -> Result<char, SyntaxError> {
        let hex = |p: &mut Self, at: usize| -> Result<u32, SyntaxError> {
            let digits = p.text.get(at..at + 4).unwrap_or_default();
            let s = std::str::from_utf8(digits).unwrap_or_default();
            if s.len() != 4 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
                p.pos = at;
                return Err(p.err("invalid \\u escape"));
            }
            Ok(u32::from_str_radix(s, 16).unwrap_or_default())
        };
        let hi = hex(self, *i)?;
        *i += 4;
        if (0xD800..0xDC00).contains(&hi) && self.text.get(*i..*i + 2) == Some(b"\\u") {
            let lo = hex(self, *i + 2)?;
            if (0xDC00..0xE000).contains(&lo) {
                *i += 6;
                let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                return Ok(char::from_u32(c).unwrap_or('\u{FFFD}'));
            }
        }
        match char::from_u32(hi) {
            Some(c) => Ok(c),
            // A lone surrogate.
            None => {
                self.odd.lossy_text = true;
                Ok('\u{FFFD}')
            }
        }
    }

    fn utf8<'s>(&mut self, b: &'s [u8]) -> Cow<'s, str> {
        match std::str::from_utf8(b) {
            Ok(s) => Cow::Borrowed(s),
            Err(_) => {
                self.odd.lossy_text = true;
                Cow::Owned(String::from_utf8_lossy(b).into_owned())
            }
        }
    }

    /// Check a container past [`MAX_DEPTH`] without building it: one byte
    /// of state per level.
    fn skip_container(&mut self) -> Result<(), SyntaxError> {
        let mut open: Vec<u8> = Vec::new();
        loop {
            // Expecting a value.
            match self.peek() {
                Some(b'{') => {
                    self.pos += 1;
                    if self.peek() == Some(b'}') {
                        self.pos += 1;
                    } else {
                        self.key()?;
                        open.push(b'}');
                        continue;
                    }
                }
                Some(b'[') => {
                    self.pos += 1;
                    if self.peek() == Some(b']') {
                        self.pos += 1;
                    } else {
                        open.push(b']');
                        continue;
                    }
                }
                _ => {
                    self.scalar()?;
                }
            }
            // After a value.
            loop {
                let Some(&close) = open.last() else {
                    return Ok(());
                };
                match self.peek() {
                    Some(b',') => {
                        self.pos += 1;
                        if close == b'}' {
                            self.key()?;
                        }
                        break;
                    }
                    Some(c) if c == close => {
                        self.pos += 1;
                        open.pop();
                    }
                    _ => return Err(self.err("expected ',' or a closing bracket")),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(s: &str) -> (BorrowedValue<'_>, Oddities) {
        decode(s.as_bytes(), Pick::FIRST).unwrap()
    }

    #[test]
    fn agrees_with_serde_json_on_ordinary_json() {
        let docs = [
            r#"{"a":[1,-2,3.5,1e3,true,false,null,"x\"\u00e9\ud83d\ude00"],"b":{}}"#,
            r#"  [ ]  "#,
            r#"{"k":"\/\b\f\n\r\t","n":-0.0,"m":18446744073709551615,"i":-9223372036854775808}"#,
        ];
        for d in docs {
            let ours = serde_json::to_value(read(d).0).unwrap();
            let theirs: serde_json::Value = serde_json::from_str(d).unwrap();
            assert_eq!(ours, theirs, "{d}");
        }
    }

    #[test]
    fn rejects_what_json_forbids() {
        for bad in [
            "",
            "{",
            "[1,]",
            "{\"a\":1,}",
            "{\"a\"}",
            "01",
            "1.",
            ".5",
            "+1",
            "-",
            "1e",
            "nan",
            "[1] x",
            "\"a\u{1}\"",
            "\"\\x\"",
            "\"\\u12\"",
            "{1:2}",
            "[",
            "[[[]]",
        ] {
            assert!(decode(bad.as_bytes(), Pick::Nth(0)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn numbers_simd_json_refuses_are_read() {
        let (v, odd) = read(r#"{"big":123456789012345678901234567890,"inf":1e400,"neg":-1e400}"#);
        assert_eq!(
            v.get("big").and_then(|n| n.as_f64()),
            Some(1.2345678901234568e29)
        );
        assert_eq!(v.get("inf").and_then(|n| n.as_f64()), Some(f64::INFINITY));
        assert_eq!(
            v.get("neg").and_then(|n| n.as_f64()),
            Some(f64::NEG_INFINITY)
        );
        assert!(odd.out_of_range);
    }

    #[test]
    fn repeated_keys_take_the_asked_occurrence_and_are_named() {
        let doc = r#"{"eventName":"A","u":{"t":1,"t":2,"t":3},"eventName":"B"}"#;
        let (v, odd) = decode(doc.as_bytes(), Pick::Nth(0)).unwrap();
        assert_eq!(v.get_str("eventName"), Some("A"));
        assert_eq!(odd.repeated, ["u.t", "eventName"]);
        assert_eq!(odd.max_repeats, 3);
        let (v, _) = decode(doc.as_bytes(), Pick::Nth(1)).unwrap();
        assert_eq!(v.get_str("eventName"), Some("B"));
        assert_eq!(v.get("u").and_then(|u| u.get_u64("t")), Some(2));
        let (v, _) = decode(doc.as_bytes(), Pick::Nth(7)).unwrap();
        assert_eq!(v.get("u").and_then(|u| u.get_u64("t")), Some(3));
    }

    #[test]
    fn deep_nesting_is_checked_and_cut() {
        let deep = 100_000;
        let doc = format!(
            "{{\"eventName\":\"X\",\"d\":{}{}}}",
            "[".repeat(deep),
            "]".repeat(deep)
        );
        let (v, odd) = read(&doc);
        assert_eq!(v.get_str("eventName"), Some("X"));
        assert!(odd.depth_cut);
        drop(v);
        let broken = format!("{{\"d\":{}{}}}", "[".repeat(deep), "]".repeat(deep - 1));
        assert!(decode(broken.as_bytes(), Pick::Nth(0)).is_err());
    }

    #[test]
    fn lossy_text_is_flagged() {
        let (v, odd) = decode(b"{\"a\":\"\\ud800x\",\"b\":\"\xff\"}", Pick::FIRST).unwrap();
        assert_eq!(v.get_str("a"), Some("\u{FFFD}x"));
        assert_eq!(v.get_str("b"), Some("\u{FFFD}"));
        assert!(odd.lossy_text);
    }

    #[test]
    fn needs_exact_sees_repeats_and_big_objects() {
        let mut small = br#"{"a":{"x":1,"x":2}}"#.to_vec();
        assert!(needs_exact(
            &simd_json::to_borrowed_value(&mut small).unwrap()
        ));
        let mut plain = br#"{"a":{"x":1,"y":[{"z":2}]}}"#.to_vec();
        assert!(!needs_exact(
            &simd_json::to_borrowed_value(&mut plain).unwrap()
        ));
        let wide: Vec<String> = (0..40).map(|i| format!("\"k{i}\":1")).collect();
        let mut wide = format!("{{{}}}", wide.join(",")).into_bytes();
        assert!(needs_exact(
            &simd_json::to_borrowed_value(&mut wide).unwrap()
        ));
    }

    #[test]
    fn json_numbers_only() {
        for ok in ["0", "-0", "1.5", "1e5", "1E+5", "-1.25e-3"] {
            assert!(is_number(ok.as_bytes()), "{ok}");
        }
        for bad in [
            "nan", "+1", ".5", "inf", "01", "1.", "1e", "0x1", "Infinity", "",
        ] {
            assert!(!is_number(bad.as_bytes()), "{bad}");
        }
    }

    /// Fuzz reproducers (`fuzz/fuzz_targets/json.rs`): the exact decoder
    /// agrees with simd-json on `-0` (the integer 0) and rounds a long
    /// integer correctly, where serde_json without `float_roundtrip` is
    /// one unit in the last place off.
    #[test]
    fn fuzz_reproducers_read_as_simd_json_does() {
        let (v, _) = read("-0");
        let mut b = b"-0".to_vec();
        assert_eq!(v, simd_json::to_borrowed_value(&mut b).unwrap());
        let (v, _) = read("3333333322333332233333333333333");
        // serde_json's default reading was 3.3333333223333326e30.
        assert_eq!(v.as_f64(), Some(3.333333322333332e30));
    }
}
