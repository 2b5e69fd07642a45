//! What the audit found, as typed values: [`Finding`]s of a
//! [`FindingKind`] and a [`Severity`].
//!
//! Findings sort by severity, time, kind name and detail, so the report's
//! order is stable whatever order the checks ran in.

use std::cmp::Ordering;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;

/// How bad a finding is; the rule is [`grade`]'s. High, medium and low
/// are gaps (exit code 3); info is not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// A security-group change the control requires went, or would go,
    /// unnoticed.
    High,
    /// A change went unnoticed by the alarm's notification, but the alarm
    /// was already in ALARM, or will stop notifying after its first ALARM.
    Medium,
    /// A security-group change outside what the benchmark requires went
    /// unseen.
    Low,
    /// Worth knowing; not a gap.
    Info,
}

impl Severity {
    /// The finding makes the control fail (exit code 3).
    pub fn is_gap(self) -> bool {
        self != Severity::Info
    }
}

macro_rules! kinds {
    ($($(#[$doc:meta])* $variant:ident => $name:literal,)*) => {
        /// What a finding is about; its JSON `kind`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum FindingKind {
            $($(#[$doc])* $variant,)*
        }

        impl FindingKind {
            /// The machine-readable name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(FindingKind::$variant => $name,)*
                }
            }
        }
    };
}

kinds! {
    /// The replay expects a notification the history does not show.
    Missed => "missed",
    /// The alarm fired, but its action failed or did not run.
    DeliveryFailed => "delivery_failed",
    /// A replayed notification older than the history.
    Unjudgeable => "unjudgeable",
    /// No transition in the history, but not every parameter set expects one.
    Uncertain => "uncertain",
    /// An actual ALARM no replayed change explains.
    Unexplained => "unexplained",
    /// An actual ALARM explained by SetAlarmState.
    ForcedTransition => "forced_transition",
    /// A security-group change while the pipeline was blind.
    ChangeWhileBlind => "change_while_blind",
    /// A change made while the alarm was already in ALARM.
    ChangeDuringAlarm => "change_during_alarm",
    /// A change the alarm configuration did not notify.
    ChangeNotNotified => "change_not_notified",
    /// A security-group change no filter matches.
    BlindSpot => "blind_spot",
    /// No exported filter matches any of the six names.
    NoSecurityGroupFilter => "no_security_group_filter",
    /// A security-group filter whose metric no alarm watches.
    NoAlarmOnFilter => "no_alarm_on_filter",
    /// A filter that publishes a field's value.
    MetricValueFromField => "metric_value_from_field",
    /// An alarm the state machine cannot replay.
    AlarmNotReplayable => "alarm_not_replayable",
    /// A deployed pattern ctreplay cannot evaluate.
    PatternNotEvaluated => "pattern_not_evaluated",
    /// A trail did not deliver for a while.
    BlindWindow => "blind_window",
    /// Alarm actions were disabled for a while.
    ActionsDisabledWindow => "actions_disabled_window",
    /// An alarm was deleted.
    AlarmDeleted => "alarm_deleted",
    /// A metric filter was deleted.
    FilterDeleted => "filter_deleted",
    /// A filter misses some of the six names.
    FilterMissesNames => "filter_misses_names",
    /// A filter misses failed or DryRun calls.
    FilterSkipsFailedCalls => "filter_skips_failed_calls",
    /// A filter misses ModifySecurityGroupRules.
    FilterMissesModifySecurityGroupRules => "filter_misses_modify_security_group_rules",
    /// One event cannot breach the alarm's threshold.
    SingleEventCannotAlarm => "single_event_cannot_alarm",
    /// The alarm needs more than one breaching period.
    SeveralDatapointsNeeded => "several_datapoints_needed",
    /// An unusual statistic.
    UnusualStatistic => "unusual_statistic",
    /// Missing data treated as breaching.
    TreatMissingBreaching => "treat_missing_breaching",
    /// Missing data ignored.
    TreatMissingIgnore => "treat_missing_ignore",
    /// A period over an hour.
    LongPeriod => "long_period",
    /// Alarm actions disabled in the export.
    ActionsDisabled => "actions_disabled",
    /// No SNS topic among the alarm actions.
    NoSnsAction => "no_sns_action",
    /// The alarm selects another unit than the filter publishes.
    UnitMismatch => "unit_mismatch",
    /// The alarm selects dimensions the filter does not publish.
    DimensionsMismatch => "dimensions_mismatch",
    /// The filter publishes zero or less per event.
    MetricValueNotPositive => "metric_value_not_positive",
    /// No trail delivers to CloudWatch Logs (from DescribeTrails).
    NoTrailToLogGroup => "no_trail_to_log_group",
    /// The trail is not logging (from GetTrailStatus).
    TrailNotLogging => "trail_not_logging",
    /// The trail's selectors leave out write management events (from
    /// GetEventSelectors).
    TrailSkipsManagementWrites => "trail_skips_management_writes",
    /// The trail logs one region.
    TrailSingleRegion => "trail_single_region",
    /// An alarm's SNS topic has no confirmed subscription (from
    /// ListSubscriptionsByTopic).
    TopicWithoutSubscriber => "topic_without_subscriber",
    /// With --verify: the logs read do not match CloudTrail's digests.
    ArchiveNotIntact => "archive_not_intact",
    /// With --verify: changes read from objects not proven unmodified.
    ChangeFromUnprovenObject => "change_from_unproven_object",
}

impl fmt::Display for FindingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for FindingKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Kinds order by name, as they always have in the reports.
impl Ord for FindingKind {
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl PartialOrd for FindingKind {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// One thing the audit found.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Finding {
    /// Gap or info.
    pub severity: Severity,
    /// When, if it happened at a time.
    #[serde(serialize_with = "crate::event::ser_opt_time")]
    pub time: Option<DateTime<Utc>>,
    /// What it is about.
    pub kind: FindingKind,
    /// What is wrong.
    pub detail: String,
    /// How to fix it.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub fix: String,
    /// What it rests on: CloudTrail eventIDs, history items, exports.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<String>,
    /// The controls it bears on: the benchmark's, and Security Hub's.
    pub controls: Vec<String>,
    /// What it is about, as fields.
    #[serde(skip_serializing_if = "About::is_empty")]
    pub about: About,
}

/// The things a finding is about.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct About {
    /// The alarm.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alarm: Option<String>,
    /// The metric filter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    /// The CloudTrail event.
    #[serde(rename = "eventID", skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    /// Its account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// Its region.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The resource's ARN (an alarm, a security group).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
}

impl About {
    /// About an alarm.
    pub fn alarm(name: &str) -> About {
        About {
            alarm: Some(name.to_owned()),
            ..About::default()
        }
    }

    fn is_empty(&self) -> bool {
        *self == About::default()
    }
}

impl Finding {
    /// A finding.
    pub fn new(
        kind: FindingKind,
        severity: Severity,
        time: Option<DateTime<Utc>>,
        detail: String,
        fix: &str,
    ) -> Finding {
        Finding {
            severity,
            time,
            kind,
            detail,
            fix: fix.to_owned(),
            evidence: Vec::new(),
            controls: Vec::new(),
            about: About::default(),
        }
    }

    /// `f`, about alarm `name`.
    pub fn about_alarm(name: &str, f: Finding) -> Finding {
        f.about(About::alarm(name))
    }

    /// The same finding, about `about`.
    pub fn about(mut self, about: About) -> Finding {
        self.about = about;
        self
    }

    /// The same finding, resting on `evidence`.
    pub fn with_evidence(mut self, evidence: Vec<String>) -> Finding {
        self.evidence = evidence;
        self
    }
}

/// Set each finding's final severity and controls under `benchmark`.
///
/// The checks mark a finding high (a gap) or info; then:
/// - a filter missing ModifySecurityGroupRules, and changes made under that
///   name, are high only when the benchmark's pattern names it (v5.0.0 on),
///   else info and low;
/// - other blind spots (changes under names no CIS version requires) are
///   low;
/// - a change made while the alarm was long in ALARM, and an alarm that
///   ignores missing data (it notifies once, then stays in ALARM), are
///   medium: someone was told of the episode, not of the change.
pub fn grade(findings: &mut [Finding], benchmark: &crate::cis::Benchmark) {
    let controls = vec![
        benchmark.control_id(),
        crate::cis::SECURITY_HUB_CONTROL.to_owned(),
    ];
    for f in findings.iter_mut() {
        f.controls = controls.clone();
        if f.severity == Severity::Info {
            continue;
        }
        f.severity = match f.kind {
            FindingKind::FilterMissesModifySecurityGroupRules if !benchmark.modify_rules => {
                Severity::Info
            }
            FindingKind::BlindSpot => {
                let name = f.detail.split(' ').next().unwrap_or_default();
                if benchmark.requires(name) {
                    Severity::High
                } else {
                    Severity::Low
                }
            }
            FindingKind::ChangeDuringAlarm | FindingKind::TreatMissingIgnore => Severity::Medium,
            _ => f.severity,
        };
    }
}
