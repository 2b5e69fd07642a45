//! Property tests of the filter-pattern engine: whitespace and the order of
//! `||` operands never change a result, the prefilter never drops a match,
//! and no input makes the parser or evaluator panic.

use ctreplay::filter::Pattern;
use proptest::prelude::*;

const EVENTS: &[&str] = &[
    r#"{"eventName":"AuthorizeSecurityGroupIngress","errorCode":"Client.DryRunOperation","readOnly":false,"responseElements":null,"requestParameters":{"items":[{"fromPort":22},{"fromPort":443}]}}"#,
    r#"{"eventName":"CreateSecurityGroup","readOnly":true,"responseElements":{"groupId":"sg-1"},"requestParameters":{"items":[]}}"#,
    r#"{"eventName":"Cr\u0065ateSecurityGroup","errorCode":"AccessDenied","requestParameters":{"items":[{"fromPort":"22"}]}}"#,
    r#"{"eventName":"DeleteSecurityGroup","errorCode":null,"readOnly":false}"#,
    r#"{"eventName":"RevokeSecurityGroupEgress","requestParameters":{"items":[{"fromPort":0},{"fromPort":65535}]},"x":"a\/b"}"#,
    r#"{"other":"AuthorizeSecurityGroupIngress"}"#,
];

/// One condition, as tokens (whitespace is added between them).
fn condition() -> impl Strategy<Value = Vec<String>> {
    let name = prop::sample::select(vec![
        "AuthorizeSecurityGroupIngress",
        "CreateSecurityGroup",
        "\"CreateSecurityGroup\"",
        "DeleteSecurityGroup",
        "Revoke*",
        "\"*SecurityGroup\"",
        "*Group*",
        "%^Create%",
        "%Egress$%",
        "\"a/b\"",
    ]);
    let field = prop::sample::select(vec!["$.eventName", "$.errorCode", "$.x", "$.other"]);
    let port = prop::sample::select(vec!["0", "22", "22.0", "443", "2.2e1", "\"22\""]);
    let cmp = prop::sample::select(vec!["=", "!=", "<", "<=", ">", ">="]);
    let sel = prop::sample::select(vec![
        "$.requestParameters.items[0].fromPort",
        "$.requestParameters.items[*].fromPort",
        "$.requestParameters.items[1].fromPort",
    ]);
    let keyword = prop::sample::select(vec!["IS NULL", "IS TRUE", "IS FALSE", "NOT EXISTS"]);
    let kfield = prop::sample::select(vec![
        "$.errorCode",
        "$.readOnly",
        "$.responseElements",
        "$.nothing",
    ]);
    prop_oneof![
        (field, prop::bool::ANY, name).prop_map(|(f, ne, n)| vec![
            f.into(),
            if ne { "!=" } else { "=" }.into(),
            n.into()
        ]),
        (sel, cmp, port).prop_map(|(s, c, p)| vec![s.into(), c.into(), p.into()]),
        (kfield, keyword).prop_map(|(f, k)| {
            let mut v = vec![f.to_owned()];
            v.extend(k.split(' ').map(str::to_owned));
            v
        }),
    ]
}

/// An expression tree as tokens; `||` and `&&` nest through parentheses.
fn expr() -> impl Strategy<Value = Vec<String>> {
    condition().prop_recursive(4, 24, 4, |inner| {
        (
            prop::collection::vec(inner, 2..4),
            prop::sample::select(vec!["||", "&&"]),
        )
            .prop_map(|(parts, op)| {
                let mut out = vec!["(".to_owned()];
                for (i, p) in parts.into_iter().enumerate() {
                    if i > 0 {
                        out.push(op.to_owned());
                    }
                    out.extend(p);
                }
                out.push(")".to_owned());
                out
            })
    })
}

fn render(tokens: &[String], ws: &[&str]) -> String {
    let mut s = String::from("{");
    for (i, t) in tokens.iter().enumerate() {
        let w = ws[i % ws.len()];
        // Keywords need a separator; everything else may be glued.
        let needs = t.chars().all(|c| c.is_ascii_uppercase());
        s.push_str(if needs && w.is_empty() { " " } else { w });
        s.push_str(t);
    }
    s.push_str(ws[0]);
    s.push('}');
    s
}

fn results(p: &Pattern) -> Vec<bool> {
    EVENTS.iter().map(|e| p.matches_message(e)).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn whitespace_never_changes_a_result(
        tokens in expr(),
        ws in prop::collection::vec(prop::sample::select(vec!["", " ", "  ", "\n", "\t ", " \r\n"]), 1..8),
    ) {
        // Generated trees may break the regex and wildcard quotas; then
        // both spellings must be refused alike.
        match (Pattern::parse(&render(&tokens, &[""])), Pattern::parse(&render(&tokens, &ws))) {
            (Ok(tight), Ok(loose)) => prop_assert_eq!(results(&tight), results(&loose)),
            (Err(a), Err(b)) => prop_assert_eq!(a.reason, b.reason),
            (a, b) => prop_assert!(false, "validity differs: {:?} vs {:?}", a.err(), b.err()),
        }
    }

    #[test]
    fn swapping_or_operands_never_changes_a_result(a in expr(), b in expr()) {
        let join = |x: &[String], y: &[String]| {
            let mut t = x.to_vec();
            t.push("||".into());
            t.extend_from_slice(y);
            render(&t, &[" "])
        };
        match (Pattern::parse(&join(&a, &b)), Pattern::parse(&join(&b, &a))) {
            (Ok(ab), Ok(ba)) => prop_assert_eq!(results(&ab), results(&ba)),
            (Err(x), Err(y)) => prop_assert_eq!(x.reason, y.reason),
            (x, y) => prop_assert!(false, "validity differs: {:?} vs {:?}", x.err(), y.err()),
        }
    }

    #[test]
    fn the_prefilter_never_drops_a_match(tokens in expr()) {
        let Ok(p) = Pattern::parse(&render(&tokens, &[" "])) else {
            return Ok(());
        };
        if let Some(need) = p.need() {
            for e in EVENTS {
                if p.matches_message(e) {
                    prop_assert!(
                        e.contains("\\u") || need.literals.iter().any(|l| memchr::memmem::find(e.as_bytes(), l).is_some()),
                        "{} matches {} but holds none of {:?}", p.text(), e, need.literals
                    );
                }
            }
        }
    }

    #[test]
    fn no_text_makes_the_parser_panic(s in "\\PC{0,80}") {
        if let Ok(p) = Pattern::parse(&s) {
            for e in EVENTS {
                let _ = p.matches_message(e);
            }
        }
    }

    #[test]
    fn no_pattern_like_text_makes_the_parser_panic(
        parts in prop::collection::vec(prop::sample::select(vec![
            "{", "}", "(", ")", "$", ".", "$.a", "[", "]", "[*]", "[0]", ".*", "'", "['k']", "=", "!=", "<", ">=",
            "&&", "||", "&", "|", "\"", "\\", "%", "%^a%", "*", "IS", "NULL", "NOT", "EXISTS", "TRUE", " ", "x", "1e",
            "-", "?", "é", "\n",
        ]), 0..30)
    ) {
        let s: String = parts.concat();
        for candidate in [s.clone(), format!("{{{s}}}"), format!("{{ $.a = {s} }}")] {
            if let Ok(p) = Pattern::parse(&candidate) {
                for e in EVENTS {
                    let _ = p.matches_message(e);
                }
            }
        }
    }
}
