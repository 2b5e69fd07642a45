//! Which records the filters match, which security-group changes they
//! miss, and which records change the alarm pipeline.
//!
//! Each [`Filter`] is a named CloudWatch Logs pattern (the CIS six-name
//! pattern by default, a preset, `--pattern`, or every filter of a
//! `describe-metric-filters` export); [`crate::filter`] evaluates it as AWS
//! does. A record is reported when any filter matches it.
//!
//! Blind spots are security-group changes no filter matches: the six CIS
//! names when the pattern in use leaves some out, and the changes made
//! under other names ([`crate::cis::BLIND_SPOTS`]), which only a pattern naming
//! them catches. The catalog itself is [`crate::cis`]'s.

use memchr::memmem::Finder;
use simd_json::prelude::*;
use simd_json::BorrowedValue;

use super::exact::{Step, Want};
use super::extract::{get, get_str};
use super::prefilter::Prefilter;
use super::sole_name;
use crate::cis::{When, BLIND_SPOTS, MISSED_SIX, PIPELINE_EVENTS, SECURITY_GROUP_EVENTS};
use crate::filter::{Filter, FilterId};

/// What a decoded record is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// These filters match it.
    Match(Vec<FilterId>),
    /// A security-group change no filter matches: what it changes.
    BlindSpot(&'static str),
    /// Neither.
    Other,
}

/// An `eventName` that may make a record something, and a searcher for
/// the bytes such a record must also hold (None: it always may). Built
/// once: `memmem::find` would build a searcher for every candidate.
type NameNeed = (Vec<u8>, Option<Finder<'static>>);

/// Decides [`Verdict`]s and knows the literals a relevant record must hold.
#[derive(Debug)]
pub struct Detector {
    filters: Vec<Filter>,
    names: Vec<String>,
    prefilter: Prefilter,
    pipeline: bool,
    want: Want,
    /// The names a record must have to be anything but [`Verdict::Other`]
    /// (sorted), when every filter requires its names; None otherwise.
    /// With each, the bytes a record of that name must also hold to be
    /// anything (a blind spot's condition), or None when it always is.
    decode_names: Option<Vec<NameNeed>>,
}

impl Detector {
    /// Evaluate `filters` (at least one) and look for blind spots.
    pub fn new(filters: Vec<Filter>) -> Self {
        Detector::build(filters, false)
    }

    /// As [`Detector::new`], and also collect the [`PIPELINE_EVENTS`].
    pub fn for_audit(filters: Vec<Filter>) -> Self {
        Detector::build(filters, true)
    }

    fn build(filters: Vec<Filter>, pipeline: bool) -> Self {
        assert!(!filters.is_empty(), "a detector needs a filter");
        let mut names = Vec::new();
        for f in &filters {
            for n in f.pattern.event_names() {
                if !names.contains(&n) {
                    names.push(n);
                }
            }
        }
        // A record is decoded when a filter may match it or it may be a
        // security-group change. Every security-group name is letters
        // only, so it is a sound literal (see `prefilter`); most share
        // "SecurityGroup".
        let mut literals: Option<Vec<Vec<u8>>> = Some(vec![b"SecurityGroup".to_vec()]);
        let extra = BLIND_SPOTS.iter().map(|b| b.name);
        let pipeline_names = PIPELINE_EVENTS.iter().copied().filter(|_| pipeline);
        if let Some(l) = literals.as_mut() {
            l.extend(extra.chain(pipeline_names).map(|n| n.as_bytes().to_vec()));
        }
        for f in &filters {
            match (f.pattern.need(), literals.as_mut()) {
                (Some(need), Some(l)) => l.extend(need.literals),
                _ => literals = None,
            }
        }
        let prefilter = match literals {
            Some(l) => Prefilter::new(minimal(l)),
            None => Prefilter::EVERYTHING,
        };
        let want = wanted(&filters);
        let decode_names = filters
            .iter()
            .map(|f| f.pattern.required_event_names())
            .collect::<Option<Vec<_>>>()
            .map(|per_filter| {
                let always = per_filter
                    .into_iter()
                    .flatten()
                    .map(String::into_bytes)
                    .chain(SECURITY_GROUP_EVENTS.iter().map(|n| n.as_bytes().to_vec()))
                    .chain(
                        PIPELINE_EVENTS
                            .iter()
                            .filter(|_| pipeline)
                            .map(|n| n.as_bytes().to_vec()),
                    )
                    .map(|n| (n, None));
                let spots = BLIND_SPOTS
                    .iter()
                    .map(|b| (b.name.as_bytes().to_vec(), condition_bytes(b.when)));
                let mut all: Vec<_> = always.chain(spots).collect();
                // A name needed unconditionally by anything is needed so:
                // None sorts first and dedup keeps the first.
                all.sort();
                all.dedup_by(|later, first| later.0 == first.0);
                all.into_iter()
                    .map(|(n, must)| (n, must.map(|m| Finder::new(&m).into_owned())))
                    .collect()
            });
        Detector {
            filters,
            names,
            prefilter,
            pipeline,
            want,
            decode_names,
        }
    }

    /// The CIS security-group-changes filter (the default preset).
    pub fn security_group_changes() -> Self {
        Detector::new(vec![Filter::security_group_changes()])
    }

    /// The filters, in the order given ([`FilterId`] indexes them).
    pub fn filters(&self) -> &[Filter] {
        &self.filters
    }

    /// The event names the filters compare `eventName` with.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Whether a record named `name` is collected as a pipeline change.
    pub fn is_pipeline(&self, name: &str) -> bool {
        self.pipeline && PIPELINE_EVENTS.contains(&name)
    }

    /// What of a record the filters, [`Detector::classify`] and
    /// [`super::extract`] read: all a large record is decoded into.
    pub fn want(&self) -> &Want {
        &self.want
    }

    /// The prefilter that rules out records before decoding.
    pub fn prefilter(&self) -> &Prefilter {
        &self.prefilter
    }

    /// Whether the record `raw` is surely [`Verdict::Other`] and no
    /// pipeline change, from its bytes alone: every filter requires one
    /// of a few `eventName` values, and the record's only `eventName` is
    /// none of them nor a blind spot's nor a pipeline event's (see
    /// [`super::sole_name`]). False whenever that is not certain.
    pub fn rules_out(&self, raw: &[u8]) -> bool {
        let Some(names) = &self.decode_names else {
            return false;
        };
        let Some(name) = sole_name::sole_event_name(raw) else {
            return false;
        };
        match names.binary_search_by(|(x, _)| x.as_slice().cmp(name)) {
            Err(_) => true,
            Ok(i) => names[i]
                .1
                .as_ref()
                .is_some_and(|must| must.find(raw).is_none()),
        }
    }

    /// Classify one decoded record (`raw` is its text); also returns its
    /// `eventName`.
    pub fn classify<'v>(&self, raw: &[u8], v: &'v BorrowedValue<'_>) -> (Verdict, Option<&'v str>) {
        let name = get_str(v, &["eventName"]);
        let matched: Vec<FilterId> = self
            .filters
            .iter()
            .enumerate()
            .filter(|(_, f)| f.pattern.matches(raw, Some(v)))
            .map(|(i, _)| FilterId::new(i))
            .collect();
        if !matched.is_empty() {
            return (Verdict::Match(matched), name);
        }
        let Some(n) = name else {
            return (Verdict::Other, None);
        };
        if SECURITY_GROUP_EVENTS.contains(&n) {
            return (Verdict::BlindSpot(MISSED_SIX), name);
        }
        for b in BLIND_SPOTS {
            if b.name == n && applies(b.when, v) {
                return (Verdict::BlindSpot(b.what), name);
            }
        }
        (Verdict::Other, name)
    }
}

/// Every field the filters, [`Detector::classify`] and
/// [`super::extract`] read. A test below checks that a record decoded to
/// only these reads the same as the whole record.
fn wanted(filters: &[Filter]) -> Want {
    let mut w = Want::none();
    for f in filters {
        let value = f.value.as_ref().map(|v| v.steps());
        for sel in f.pattern.selectors().into_iter().chain(value) {
            let path: Vec<Step<'_>> = sel.iter().map(step).collect();
            w.add(&path, Want::All);
        }
    }
    // extract: the reported fields.
    for k in [
        "eventTime",
        "eventName",
        "eventID",
        "eventSource",
        "awsRegion",
        "recipientAccountId",
        "userIdentity",
        "sourceIPAddress",
        "userAgent",
        "errorCode",
        "errorMessage",
    ] {
        w.add(&[Step::Key(k)], Want::All);
    }
    // extract's security groups, and classify's blind-spot conditions.
    for part in ["requestParameters", "responseElements"] {
        let p = Step::Key(part);
        for path in [
            &[p, Step::Key("groupId")][..],
            &[p, Step::Key("groupName")],
            &[p, Step::AnyKey, Step::Key("GroupId")],
            &[
                p,
                Step::Key("groupSet"),
                Step::Key("items"),
                Step::AnyIndex,
                Step::Key("groupId"),
            ],
            &[
                p,
                Step::Key("securityGroupRuleSet"),
                Step::Key("items"),
                Step::AnyIndex,
                Step::Key("groupId"),
            ],
            &[
                p,
                Step::Key("resourcesSet"),
                Step::Key("items"),
                Step::AnyIndex,
                Step::Key("resourceId"),
            ],
        ] {
            w.add(path, Want::All);
        }
        w.add(&[p, Step::AnyKey], Want::Presence);
    }
    w.finish()
}

fn step(s: &crate::filter::Step) -> Step<'_> {
    match s {
        crate::filter::Step::Key(k) => Step::Key(k.as_str()),
        crate::filter::Step::Index(i) => Step::Index(*i),
        crate::filter::Step::AnyKey => Step::AnyKey,
        crate::filter::Step::AnyIndex => Step::AnyIndex,
    }
}

/// Drop every literal that contains another: a record holding the longer
/// one holds the shorter, so the set finds the same records, faster.
fn minimal(mut lits: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    lits.sort_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
    lits.dedup();
    let mut kept: Vec<Vec<u8>> = Vec::new();
    for l in lits {
        if !kept.iter().any(|k| memchr::memmem::find(&l, k).is_some()) {
            kept.push(l);
        }
    }
    kept
}

/// Bytes every record that meets `when` holds, if there are such: a key
/// is written as itself and a string value starts right after its quote,
/// unless a `\u` escape spells them, and [`Detector::rules_out`] only
/// reads records without one. None where no such bytes are known.
fn condition_bytes(when: When) -> Option<Vec<u8>> {
    match when {
        // The key's own text, quoted: keys in the catalog are letters.
        When::RequestHas(key) => Some(format!("\"{key}\"").into_bytes()),
        When::TargetsGroup => Some(b"\"sg-".to_vec()),
        When::Always | When::RequestMentionsGroups => None,
    }
}

fn applies(when: When, v: &BorrowedValue<'_>) -> bool {
    let req = get(v, &["requestParameters"]);
    match when {
        When::Always => true,
        When::RequestHas(key) => req.and_then(|r| get(r, &[key])).is_some(),
        When::RequestMentionsGroups => req.and_then(|r| r.as_object()).is_some_and(|o| {
            o.keys()
                .any(|k| k.to_ascii_lowercase().contains("securitygroup"))
        }),
        When::TargetsGroup => req
            .and_then(|r| get(r, &["resourcesSet", "items"]))
            .and_then(|i| i.as_array())
            .is_some_and(|items| {
                items
                    .iter()
                    .any(|it| get_str(it, &["resourceId"]).is_some_and(|id| id.starts_with("sg-")))
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::presets;

    fn verdict_with(det: &Detector, json: &str) -> Verdict {
        let mut b = json.as_bytes().to_vec();
        let v = simd_json::to_borrowed_value(&mut b).unwrap();
        det.classify(json.as_bytes(), &v).0
    }

    fn verdict(json: &str) -> Verdict {
        verdict_with(&Detector::security_group_changes(), json)
    }

    /// A candidate is ruled out by name only when every filter requires
    /// names and the record's sole name is none of the ones that matter.
    #[test]
    fn names_rule_out_only_what_is_surely_nothing() {
        let det = Detector::security_group_changes();
        let out = |d: &Detector, r: &str| d.rules_out(r.as_bytes());
        assert!(out(&det, r#"{"eventName":"DescribeSecurityGroups"}"#));
        // A blind spot's name with its condition's bytes absent: nothing.
        for nothing in [
            r#"{"eventName":"ModifyInstanceAttribute","requestParameters":{"instanceType":{}}}"#,
            r#"{"eventName":"CreateTags","requestParameters":{"resourcesSet":{"items":[{"resourceId":"i-1"}]}}}"#,
        ] {
            assert!(out(&det, nothing), "{nothing}");
            assert_eq!(verdict(nothing), Verdict::Other, "{nothing}");
        }
        for kept in [
            r#"{"eventName":"CreateSecurityGroup"}"#,
            r#"{"eventName":"ModifySecurityGroupRules"}"#,
            r#"{"eventName":"ModifyInstanceAttribute","requestParameters":{"groupSet":{}}}"#,
            r#"{"eventName":"CreateTags","requestParameters":{"resourcesSet":{"items":[{"resourceId":"sg-1"}]}}}"#,
            r#"{"eventName":"ModifyVpcEndpoint"}"#,
            r#"{"eventName":"X","eventName":"CreateSecurityGroup"}"#,
            r#"{"eventName":"C\u0072eateSecurityGroup"}"#,
        ] {
            assert!(!out(&det, kept), "{kept}");
        }
        for r in [
            r#"{"eventName":"CreateSecurityGroup"}"#,
            r#"{"eventName":"ModifySecurityGroupRules"}"#,
        ] {
            assert_ne!(verdict(r), Verdict::Other, "{r}");
        }
        assert_eq!(
            verdict(r#"{"eventName":"DescribeSecurityGroups"}"#),
            Verdict::Other
        );
        let audit = Detector::for_audit(vec![Filter::security_group_changes()]);
        assert!(!out(&audit, r#"{"eventName":"PutMetricFilter"}"#));
        assert!(out(&det, r#"{"eventName":"PutMetricFilter"}"#));
        let f = |p: &str| Filter::new("f", p).unwrap();
        for p in [
            "{ $.errorCode = X }",
            "{ $.eventName = Describe* }",
            "{ $.eventName = DescribeSecurityGroups || $.errorCode = X }",
            "SecurityGroup",
        ] {
            let d = Detector::new(vec![f(p)]);
            assert!(!out(&d, r#"{"eventName":"DescribeSecurityGroups"}"#), "{p}");
        }
        let d = Detector::new(vec![f("{ $.eventName = A && $.errorCode = X }")]);
        assert!(out(&d, r#"{"eventName":"B","errorCode":"X"}"#));
        assert!(!out(&d, r#"{"eventName":"A","errorCode":"Y"}"#));
    }

    #[test]
    fn exact_names_only() {
        assert_eq!(
            verdict(r#"{"eventName":"CreateSecurityGroup"}"#),
            Verdict::Match(vec![FilterId::new(0)])
        );
        assert_eq!(
            verdict(r#"{"eventName":"C\u0072eateSecurityGroup"}"#),
            Verdict::Match(vec![FilterId::new(0)])
        );
        assert_eq!(
            verdict(r#"{"eventName":"createsecuritygroup"}"#),
            Verdict::Other
        );
        assert_eq!(
            verdict(r#"{"eventName":"CreateSecurityGroup "}"#),
            Verdict::Other
        );
        assert_eq!(
            verdict(r#"{"eventName":["CreateSecurityGroup"]}"#),
            Verdict::Other
        );
        assert_eq!(
            verdict(
                r#"{"eventName":"PutRolePolicy","requestParameters":{"eventName":"CreateSecurityGroup"}}"#
            ),
            Verdict::Other
        );
    }

    #[test]
    fn blind_spots_follow_the_pattern_in_use() {
        let only_create = Detector::new(vec![
            Filter::new("create", "{ $.eventName = CreateSecurityGroup }").unwrap(),
            Filter::new("iam", "{ $.eventName = PutRolePolicy }").unwrap(),
        ]);
        let v5 = Detector::new(vec![Filter::new(
            "cis5",
            presets::find("cis-5.0-4.10").unwrap().pattern,
        )
        .unwrap()]);
        let delete = r#"{"eventName":"DeleteSecurityGroup"}"#;
        let modify = r#"{"eventName":"ModifySecurityGroupRules"}"#;
        assert_eq!(
            verdict_with(&only_create, delete),
            Verdict::BlindSpot(MISSED_SIX)
        );
        assert_eq!(
            verdict_with(&only_create, r#"{"eventName":"PutRolePolicy"}"#),
            Verdict::Match(vec![FilterId::new(1)])
        );
        assert!(matches!(verdict(modify), Verdict::BlindSpot(_)));
        assert_eq!(
            verdict_with(&v5, modify),
            Verdict::Match(vec![FilterId::new(0)])
        );
        assert_eq!(
            only_create.names(),
            ["CreateSecurityGroup", "PutRolePolicy"]
        );
    }

    #[test]
    fn prefilter_literals_are_minimal_and_fall_back_to_everything() {
        assert_eq!(
            minimal(vec![
                b"CreateSecurityGroup".to_vec(),
                b"SecurityGroup".to_vec(),
                b"Tags".to_vec(),
                b"CreateTags".to_vec()
            ]),
            vec![b"Tags".to_vec(), b"SecurityGroup".to_vec()]
        );
        let everything =
            Detector::new(vec![Filter::new("x", "{ $.errorCode NOT EXISTS }").unwrap()]);
        let mut out = vec![];
        let spans = [std::ops::Range { start: 0, end: 2 }];
        everything.prefilter().candidates(b"{}", &spans, &mut out);
        assert_eq!(out, vec![0]);
    }

    #[test]
    fn blind_spots_need_their_condition() {
        assert!(matches!(
            verdict(r#"{"eventName":"ModifySecurityGroupRules"}"#),
            Verdict::BlindSpot(_)
        ));
        assert!(matches!(
            verdict(
                r#"{"eventName":"ModifyInstanceAttribute","requestParameters":{"groupSet":{"items":[]}}}"#
            ),
            Verdict::BlindSpot(_)
        ));
        assert_eq!(
            verdict(
                r#"{"eventName":"ModifyInstanceAttribute","requestParameters":{"instanceType":{"value":"t3"}}}"#
            ),
            Verdict::Other
        );
        assert!(matches!(
            verdict(
                r#"{"eventName":"CreateTags","requestParameters":{"resourcesSet":{"items":[{"resourceId":"sg-1"}]}}}"#
            ),
            Verdict::BlindSpot(_)
        ));
        assert_eq!(
            verdict(
                r#"{"eventName":"CreateTags","requestParameters":{"resourcesSet":{"items":[{"resourceId":"i-1"}]}}}"#
            ),
            Verdict::Other
        );
    }

    /// A record decoded to [`Detector::want`] only reads exactly as the
    /// whole record: the same verdict, the same event, the same metric
    /// value, for every preset and for patterns that reach into arrays,
    /// wildcards and absent fields.
    #[test]
    fn a_pruned_record_reads_as_the_whole_record() {
        use crate::filter::FieldValue;
        let mut records: Vec<String> = Vec::new();
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/real/traildiscover");
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "cloudtrail") {
                let text = std::fs::read_to_string(&path).unwrap();
                let list: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
                records.extend(list.iter().map(|r| r.to_string()));
            }
        }
        records.extend([
            r#"{"eventName":"ModifySecurityGroupRules","eventTime":"2026-11-02T12:00:00Z","requestParameters":{"ModifySecurityGroupRulesRequest":{"GroupId":"sg-1","SecurityGroupRule":{"x":[1,2]}}},"n":"7"}"#.to_owned(),
            r#"{"eventName":"CreateTags","eventTime":"2026-11-02T12:00:00Z","requestParameters":{"resourcesSet":{"items":[{"resourceId":"i-1"},{"resourceId":"sg-2"}]},"tagSet":{"items":[{"key":"k"}]}}}"#.to_owned(),
            r#"{"eventName":"ModifyInstanceAttribute","eventTime":"2026-11-02T12:00:00Z","requestParameters":{"groupSet":{"items":[{"groupId":"sg-3"}]},"instanceId":"i-1"},"responseElements":{"groupId":"sg-4","x":{"y":null}}}"#.to_owned(),
            r#"{"eventName":"ModifyVpcEndpoint","eventTime":"2026-11-02T12:00:00Z","requestParameters":{"AddSecurityGroupId":{"items":["sg-5"]},"deep":[[{"a":1}]]}}"#.to_owned(),
        ]);
        let mut patterns: Vec<String> = presets::all()
            .into_iter()
            .map(|p| p.pattern.to_owned())
            .collect();
        patterns.extend([
            "{ $.requestParameters.ipPermissions.items[0].fromPort = 22 }",
            "{ $.requestParameters.*.items = sg-* || $.requestParameters.groupSet.items[*].groupId = sg-3 || $.n = 7 }",
            "{ $.responseElements.x.y IS NULL && $.requestParameters.deep[0][0].a > 0 }",
            "{ $.requestParameters.tagSet NOT EXISTS }",
            "{ $.userIdentity.sessionContext.sessionIssuer.userName = * }",
        ].map(str::to_owned));
        for pattern in &patterns {
            let mut f = Filter::new("f", pattern).unwrap();
            f.value = FieldValue::parse("$.n");
            let det = Detector::for_audit(vec![f]);
            for r in &records {
                let raw = r.as_bytes();
                let (whole, _) =
                    crate::scan::exact::decode(raw, crate::scan::exact::Pick::FIRST).unwrap();
                let (pruned, _) = crate::scan::exact::decode_wanted(
                    raw,
                    crate::scan::exact::Pick::FIRST,
                    det.want(),
                )
                .unwrap();
                let (v1, n1) = det.classify(raw, &whole);
                let (v2, n2) = det.classify(raw, &pruned);
                assert_eq!((&v1, n1), (&v2, n2), "{pattern}\n{r}");
                let t = chrono::Utc::now();
                let e1 = super::super::extract::extract(&whole, n1.unwrap_or(""), t, None, "o", 0);
                let e2 = super::super::extract::extract(&pruned, n2.unwrap_or(""), t, None, "o", 0);
                assert_eq!(e1, e2, "{pattern}\n{r}");
                let fv = det.filters()[0].value.as_ref().unwrap();
                assert_eq!(fv.read(&whole), fv.read(&pruned));
            }
        }
    }
}
