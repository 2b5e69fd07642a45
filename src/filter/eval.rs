//! Evaluating a JSON pattern against one decoded event (`docs/filter-patterns.md#semantics`).
//!
//! The rules that decide most cases:
//! - a selector that finds nothing makes every comparison false; only
//!   `NOT EXISTS` is true then (M1, M2);
//! - a selector that lands on an object or array never compares (S4);
//! - with a wildcard selector, a condition holds when any selected value
//!   satisfies it (S6);
//! - strings compare whole and case-sensitively, `*` being a wildcard (E1,
//!   E4); a string literal against a number or boolean compares the text
//!   of that value, and so does a number literal against a string
//!   (N3, B2: AWS does not document it; see `docs/filter-patterns.md`);
//! - `<`, `<=`, `>`, `>=` hold only for JSON numbers (N4);
//! - `null` has no text: only `IS NULL` matches it.

use std::borrow::Cow;

use simd_json::prelude::*;
use simd_json::{BorrowedValue, StaticNode};

use super::ast::{CmpOp, Cond, Expr, Step, Test, Value};

/// Whether `e` holds for the event `v`.
pub(super) fn eval(e: &Expr, v: &BorrowedValue<'_>) -> bool {
    match e {
        Expr::Or(b) => b.iter().any(|e| eval(e, v)),
        Expr::And(b) => b.iter().all(|e| eval(e, v)),
        Expr::Cond(c) => cond(c, v),
    }
}

fn cond(c: &Cond, v: &BorrowedValue<'_>) -> bool {
    let steps = &c.selector.steps;
    match &c.test {
        Test::NotExists => !any(v, steps, &mut |_| true),
        Test::IsNull => any(v, steps, &mut |n| n.is_null()),
        Test::IsTrue => any(v, steps, &mut |n| n.as_bool() == Some(true)),
        Test::IsFalse => any(v, steps, &mut |n| n.as_bool() == Some(false)),
        Test::Cmp(op, value) => any(v, steps, &mut |n| compare(*op, value, n)),
    }
}

/// The first number the selector reaches (a JSON number, or a string
/// that reads as one).
pub(super) fn number_at(v: &BorrowedValue<'_>, steps: &[Step]) -> Option<f64> {
    let mut out = None;
    any(v, steps, &mut |n| {
        out = match n {
            BorrowedValue::String(s) => s.trim().parse::<f64>().ok(),
            BorrowedValue::Static(s) => number(s),
            _ => None,
        }
        .filter(|x| x.is_finite());
        out.is_some()
    });
    out
}

/// Whether any value the selector reaches satisfies `f`.
fn any(
    v: &BorrowedValue<'_>,
    steps: &[Step],
    f: &mut dyn FnMut(&BorrowedValue<'_>) -> bool,
) -> bool {
    let Some((step, rest)) = steps.split_first() else {
        return f(v);
    };
    match step {
        Step::Key(k) => v
            .as_object()
            .and_then(|o| o.get(k.as_str()))
            .is_some_and(|n| any(n, rest, f)),
        Step::Index(i) => v
            .as_array()
            .and_then(|a| a.get(*i))
            .is_some_and(|n| any(n, rest, f)),
        Step::AnyKey => v
            .as_object()
            .is_some_and(|o| o.values().any(|n| any(n, rest, f))),
        Step::AnyIndex => v
            .as_array()
            .is_some_and(|a| a.iter().any(|n| any(n, rest, f))),
    }
}

/// The text a scalar compares as; None for null, objects and arrays.
fn text<'v>(n: &'v BorrowedValue<'_>) -> Option<Cow<'v, str>> {
    match n {
        BorrowedValue::String(s) => Some(Cow::Borrowed(s.as_ref())),
        BorrowedValue::Static(StaticNode::Bool(b)) => {
            Some(Cow::Borrowed(if *b { "true" } else { "false" }))
        }
        BorrowedValue::Static(StaticNode::Null) => None,
        BorrowedValue::Static(s) => number(s).map(|x| match s {
            StaticNode::I64(i) => Cow::Owned(i.to_string()),
            StaticNode::U64(u) => Cow::Owned(u.to_string()),
            _ => Cow::Owned(x.to_string()),
        }),
        _ => None,
    }
}

fn number(s: &StaticNode) -> Option<f64> {
    match s {
        StaticNode::I64(i) => Some(*i as f64),
        StaticNode::U64(u) => Some(*u as f64),
        StaticNode::F64(f) => Some(*f),
        _ => None,
    }
}

fn compare(op: CmpOp, value: &Value, n: &BorrowedValue<'_>) -> bool {
    let num = match n {
        BorrowedValue::Static(s) => number(s),
        _ => None,
    };
    match (value, num) {
        (Value::Number { value: lit, .. }, Some(x)) => match op {
            CmpOp::Eq => x == *lit,
            CmpOp::Ne => x != *lit,
            CmpOp::Lt => x < *lit,
            CmpOp::Le => x <= *lit,
            CmpOp::Gt => x > *lit,
            CmpOp::Ge => x >= *lit,
        },
        // Relational operators hold only between numbers (N4).
        _ if !matches!(op, CmpOp::Eq | CmpOp::Ne) => false,
        _ => {
            let Some(t) = text(n) else {
                return false;
            };
            let hit = match value {
                Value::Text(g) => g.matches(t.as_bytes()),
                Value::Number { text: lit, .. } => t == lit.as_str(),
                Value::Regex(re) => re.is_match(t.as_bytes()),
            };
            hit == (op == CmpOp::Eq)
        }
    }
}
