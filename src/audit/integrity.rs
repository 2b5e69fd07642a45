//! `audit --verify`: what the integrity check of the logs read means for
//! the audit (`docs/integrity.md`, "In an audit").
//!
//! - every change says whether the object it was read from is proven;
//! - an archive that does not match CloudTrail's digests (objects
//!   modified, missing, moved or in no digest; digests invalid, missing or
//!   without a known key) is a finding of its own, and no control passes
//!   on it: a pass resting on such logs is `unknown`;
//! - changes read from unproven objects are listed in one finding, so a
//!   verdict about them is read with that in mind.
//!
//! The verification itself is [`crate::integrity`]'s; this module only
//! folds its report into the [`Audit`].

use serde::Serialize;

use super::findings::{About, Finding, FindingKind, Severity};
use super::{Audit, ControlState, Verdict};
use crate::integrity::{
    ChainSpan, DigestResult, Gap, IntegrityReport, ObjectResult, ObjectStatus, Summary,
};

/// The integrity section of an audit report: the counts, the chains and
/// gaps, and only what is not valid (every object is in `verify`'s own
/// report).
#[derive(Debug, Clone, Serialize)]
pub struct AuditIntegrity {
    /// Counts per status and the records proven.
    pub summary: Summary,
    /// Runs of linked digests.
    pub chains: Vec<ChainSpan>,
    /// Gaps between them.
    pub gaps: Vec<Gap>,
    /// Digests that do not pass.
    pub digests_not_valid: Vec<DigestResult>,
    /// Objects that are not proven.
    pub objects_not_proven: Vec<ObjectResult>,
    /// What could not be checked.
    pub notes: Vec<String>,
}

/// Evidence lines listed in a finding before the rest are counted.
const EVIDENCE_SHOWN: usize = 50;

fn listed(mut lines: Vec<String>) -> Vec<String> {
    if lines.len() > EVIDENCE_SHOWN {
        let more = lines.len() - EVIDENCE_SHOWN;
        lines.truncate(EVIDENCE_SHOWN);
        lines.push(format!(
            "… and {more} more (ctreplay verify lists them all)"
        ));
    }
    lines
}

/// Counts per status of `items`.
fn counts<K: std::fmt::Display + Ord>(items: impl Iterator<Item = K>) -> String {
    let mut m = std::collections::BTreeMap::new();
    for k in items {
        *m.entry(k).or_insert(0u64) += 1;
    }
    crate::integrity::counts(&m)
}

/// Fold `r` into `audit`.
pub fn apply(audit: &mut Audit, r: &IntegrityReport) {
    let strict = r.summary.strict;
    for c in &mut audit.changes {
        c.integrity = r.status_of(&c.object.0);
    }
    let tampered_objects: Vec<&ObjectResult> = r
        .objects
        .iter()
        .filter(|o| {
            matches!(
                o.status,
                ObjectStatus::HashMismatch
                    | ObjectStatus::Missing
                    | ObjectStatus::Moved
                    | ObjectStatus::NotInAnyDigest
                    | ObjectStatus::Unverifiable
            ) || (strict && !o.status.is_proven(true))
        })
        .collect();
    let bad_digests: Vec<&DigestResult> = r
        .digests
        .iter()
        .filter(|d| !d.status.passes(strict))
        .collect();
    let mut added = Vec::new();
    if !tampered_objects.is_empty() || !bad_digests.is_empty() {
        let mut what = Vec::new();
        if !tampered_objects.is_empty() {
            what.push(format!(
                "objects: {}",
                counts(tampered_objects.iter().map(|o| o.status))
            ));
        }
        if !bad_digests.is_empty() {
            what.push(format!(
                "digests: {}",
                counts(bad_digests.iter().map(|d| d.status))
            ));
        }
        let evidence = tampered_objects
            .iter()
            .map(|o| format!("{} {}", o.status, o.key))
            .chain(
                bad_digests
                    .iter()
                    .map(|d| format!("digest {} {}", d.status, d.key)),
            )
            .collect();
        added.push(
            Finding::new(
                FindingKind::ArchiveNotIntact,
                Severity::High,
                None,
                format!(
                    "the logs read do not match CloudTrail's signed digests ({}): records may have been changed, deleted or added, so no verdict resting on them is proven",
                    what.join("; ")
                ),
                "find out who could write to the trail's bucket; audit again from a copy that verifies (ctreplay verify lists every object)",
            )
            .with_evidence(listed(evidence)),
        );
    }
    let unproven: Vec<String> = audit
        .changes
        .iter()
        .filter(|c| c.integrity.is_none_or(|s| !s.is_proven(strict)))
        .map(|c| {
            format!(
                "{} {} read from {} ({})",
                c.name,
                c.id,
                c.object.0,
                c.integrity.map_or("not judged", |s| s.as_str())
            )
        })
        .collect();
    if !unproven.is_empty() {
        added.push(
            Finding::new(
                FindingKind::ChangeFromUnprovenObject,
                Severity::Info,
                None,
                format!(
                    "{} of {} security-group changes were read from log objects the digests do not prove unmodified",
                    unproven.len(),
                    audit.changes.len()
                ),
                "",
            )
            .with_evidence(listed(unproven))
            .about(About::default()),
        );
    }
    let gaps = added.iter().filter(|f| f.severity.is_gap()).count() as u64;
    audit.findings.extend(added);
    audit.findings.sort();
    if gaps > 0 {
        audit.summary.gaps += gaps;
        audit.verdict = Verdict::Gaps;
        // A control cannot pass on logs that may have been altered.
        for c in &mut audit.controls {
            if c.status == ControlState::Pass {
                c.status = ControlState::Unknown;
            }
        }
    }
    audit.integrity = Some(AuditIntegrity {
        summary: r.summary.clone(),
        chains: r.chains.clone(),
        gaps: r.gaps.clone(),
        digests_not_valid: bad_digests.into_iter().cloned().collect(),
        objects_not_proven: r
            .objects
            .iter()
            .filter(|o| !o.status.is_proven(strict))
            .cloned()
            .collect(),
        notes: r.notes.clone(),
    });
}
