//! Did it fire: replayed notifications against the exported alarm history
//! (`docs/metric-and-alarm.md`, "Actions" and "History retention";
//! `docs/exports.md`, "describe-alarm-history").
//!
//! A replayed notification matches the earliest unmatched actual
//! transition into ALARM of the same alarm between its first event and
//! that time plus the match window. Its Action item (same alarm, within a
//! minute after the transition) says whether the SNS publish succeeded.
//! Notifications older than the history's first item cannot be judged:
//! history expires after 30 days (two weeks in older accounts).

use chrono::{DateTime, Duration, Utc};

use super::findings::{About, Finding, FindingKind, Severity};
use super::replay::{Episode, EpisodeVerdict, Silence};
use crate::alarm::State;
use crate::event::format_time;
use crate::exports::history::{Item, Kind};

/// The verdicts the matching reached, counted; the audit's summary
/// reports them as they are.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Verdicts {
    /// Fired and delivered.
    pub caught: u64,
    /// Fired, but the action failed or did not run.
    pub delivery_failed: u64,
    /// Should have fired and did not.
    pub missed: u64,
    /// Fired with no replayed cause.
    pub unexplained: u64,
    /// Replayed notifications the history cannot judge (older than it,
    /// past its end, resting on an assumption, of an alarm elsewhere).
    pub unjudgeable: u64,
    /// Replayed notifications the history does not show, but that not
    /// every parameter set inside the intervals sends: not misses.
    pub uncertain: u64,
}

/// The state changes of `alarm` in the history.
fn states<'a>(history: &'a [Item], alarm: &'a str) -> impl Iterator<Item = &'a Item> + 'a {
    history
        .iter()
        .filter(move |i| i.alarm == alarm && matches!(i.kind, Kind::StateUpdate { .. }))
}

/// What the matching counted.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// The verdicts.
    pub verdicts: Verdicts,
    /// Actual transitions into ALARM inside the logs' coverage.
    pub actual_notifications: u64,
    /// Actual transitions into ALARM outside it: not judged.
    pub actual_outside_logs: u64,
}

/// Match and set each episode's verdict; returns counts and findings.
/// `ctx.judged` names the alarms replayed: history items of other alarms are
/// not judged (the audit lists them). `foreign` names the alarms whose
/// account or region the logs do not hold, and why: their episodes are
/// unjudgeable, never missed. `span` is the logs' coverage: an actual
/// transition outside it is unjudgeable, inside it is explained or
/// unexplained.
pub fn judge(episodes: &mut [Episode], ctx: &Judging<'_>) -> (Counts, Vec<Finding>) {
    let Judging {
        history,
        judged,
        window,
        span,
        forced,
        foreign,
        alternatives,
    } = *ctx;
    let mut counts = Counts::default();
    let mut findings = Vec::new();
    // What the history covers, per alarm, from its state changes only: an
    // export of Action items alone (or of another alarm) says nothing of
    // whether a transition happened.
    let covered = |alarm: &str| {
        let mut times = states(history, alarm).map(|i| i.time);
        let first = times.next();
        times.fold((first, first), |(lo, hi), t| {
            (lo.map(|l| l.min(t)), hi.map(|h| h.max(t)))
        })
    };
    let has_actions = history
        .iter()
        .any(|i| matches!(i.kind, Kind::Action { .. }));
    // The state the history shows an alarm in just before `t`.
    let state_before = |alarm: &str, t: DateTime<Utc>| {
        states(history, alarm)
            .filter(|i| i.time < t)
            .max_by_key(|i| i.time)
            .and_then(|i| match i.kind {
                Kind::StateUpdate { to, .. } => Some(to),
                _ => None,
            })
    };
    let actual: Vec<&Item> = history
        .iter()
        .filter(|i| {
            judged.contains(&i.alarm)
                && matches!(
                    i.kind,
                    Kind::StateUpdate {
                        to: State::Alarm,
                        ..
                    }
                )
        })
        .collect();
    let mut used = vec![false; actual.len()];
    // The same changes can send several notifications (M of N seen through
    // shifted period boundaries): the k-th of them pairs with the k-th of
    // every other parameter set.
    let ranks: Vec<usize> = (0..episodes.len())
        .map(|i| {
            let ep = &episodes[i];
            episodes[..i]
                .iter()
                .filter(|e| e.notifies && e.alarm == ep.alarm && shares(e, ep))
                .count()
        })
        .collect();
    let mut order: Vec<usize> = (0..episodes.len()).collect();
    order.sort_by_key(|&i| (episodes[i].first_event.unwrap_or(episodes[i].start), i));
    for i in order {
        let rank = ranks[i];
        let ep = &mut episodes[i];
        let from = ep.first_event.unwrap_or(ep.start);
        expect(ep, rank, alternatives);
        // With M of N the transition can come periods after the first
        // change: the window reaches the latest expected transition too.
        let until = ep
            .expected
            .map_or(from + window, |x| (from + window).max(x.until));
        let hit = actual.iter().enumerate().position(|(k, a)| {
            !used[k]
                && a.alarm == ep.alarm
                && a.time >= from - Duration::minutes(1)
                && a.time <= until
        });
        if !ep.notifies {
            // A silent episode still explains the transition it made: the
            // state changed, only the notification was not sent.
            ep.verdict = EpisodeVerdict::Silent;
            if let Some(k) = hit {
                used[k] = true;
                ep.actual = Some(actual[k].time);
                if ep.why_silent == Some(Silence::Forced) {
                    findings.push(forced_finding(actual[k], from));
                }
            }
            continue;
        }
        // An episode the history cannot judge: never missed.
        let mut unjudgeable = |ep: &mut Episode, detail: String, fix: &str| {
            ep.verdict = EpisodeVerdict::Unjudgeable;
            counts.verdicts.unjudgeable += 1;
            findings.push(
                Finding::new(
                    FindingKind::Unjudgeable,
                    Severity::Info,
                    Some(from),
                    detail,
                    fix,
                )
                .about(About::alarm(&ep.alarm)),
            );
        };
        if let Some((_, why)) = foreign.iter().find(|(n, _)| *n == ep.alarm) {
            let detail = format!(
                "alarm {:?} should have notified for the change at {}, but {why}",
                ep.alarm,
                format_time(&from)
            );
            unjudgeable(ep, detail, "");
            continue;
        }
        let (covered_from, covered_to) = covered(&ep.alarm);
        match hit {
            Some(k) => {
                used[k] = true;
                let a = actual[k];
                ep.actual = Some(a.time);
                // Every action the transition ran: the SNS ones must all
                // have succeeded (an alarm can have several actions).
                let actions: Vec<&Item> = history
                    .iter()
                    .filter(|h| {
                        h.alarm == ep.alarm
                            && matches!(h.kind, Kind::Action { .. })
                            && h.time >= a.time - Duration::seconds(5)
                            && h.time <= a.time + Duration::minutes(1)
                    })
                    .collect();
                let is_sns = |h: &&Item| match &h.kind {
                    Kind::Action { target, .. } => {
                        target.as_deref().is_none_or(|t| t.contains(":sns:"))
                    }
                    _ => false,
                };
                let failed = actions.iter().find(|h| {
                    is_sns(h)
                        && matches!(
                            h.kind,
                            Kind::Action {
                                succeeded: false,
                                ..
                            }
                        )
                });
                let succeeded = actions.iter().any(|h| {
                    is_sns(h)
                        && matches!(
                            h.kind,
                            Kind::Action {
                                succeeded: true,
                                ..
                            }
                        )
                });
                let action = failed.copied().or_else(|| actions.first().copied());
                match (failed, succeeded) {
                    (None, true) => {
                        ep.verdict = EpisodeVerdict::Caught;
                        counts.verdicts.caught += 1;
                    }
                    // The export holds no Action item at all: whether the
                    // notification went out cannot be told.
                    (None, false) if !has_actions => {
                        let detail = format!(
                            "alarm {:?} went to ALARM at {} for the change at {}, but the history export holds no Action items, so whether it notified cannot be told",
                            ep.alarm,
                            format_time(&a.time),
                            format_time(&from)
                        );
                        unjudgeable(ep, detail, "export the history with its Action items");
                    }
                    _ => {
                        let other = action.map(|h| &h.kind);
                        ep.verdict = EpisodeVerdict::DeliveryFailed;
                        counts.verdicts.delivery_failed += 1;
                        let why = match (other, action) {
                            (Some(Kind::Action { target, .. }), Some(h)) => format!(
                                "the action on {} failed: {}",
                                target.as_deref().unwrap_or("its target"),
                                h.summary
                            ),
                            _ => "no Action item follows the transition (actions disabled or no action configured)".to_owned(),
                        };
                        findings.push(
                            Finding::new(
                                FindingKind::DeliveryFailed,
                                Severity::High,
                                Some(a.time),
                                format!(
                                "alarm {:?} went to ALARM at {} for the change at {}, but {why}",
                                ep.alarm,
                                format_time(&a.time),
                                format_time(&from)
                            ),
                                "check the SNS topic, its access policy and its subscriptions",
                            )
                            .about(About::alarm(&ep.alarm)),
                        );
                    }
                }
            }
            // The real alarm was already in ALARM when these changes came
            // (the logs begin inside an episode, or events the scan did not
            // see): AWS sends nothing new, so the absence proves nothing.
            None if state_before(&ep.alarm, ep.expected.map_or(from, |x| x.from))
                == Some(State::Alarm) =>
            {
                let detail = format!(
                    "alarm {:?} was already in ALARM, by the history, when the changes from {} came: no new notification was due",
                    ep.alarm,
                    format_time(&from)
                );
                unjudgeable(ep, detail, "");
            }
            None if covered_from.is_none_or(|c| from < c) => {
                let detail = format!(
                    "alarm {:?} should have notified for the change at {}, which is older than the exported history ({}); history is kept 30 days",
                    ep.alarm,
                    format_time(&from),
                    covered_from.map_or("empty".into(), |c| format!("from {}", format_time(&c)))
                );
                unjudgeable(ep, detail, "");
            }
            // A replay that rests on an assumed configuration cannot prove a
            // miss: the history did not confirm the assumption.
            None if ep.assumption.is_some() => {
                let detail = format!(
                    "alarm {:?} would have notified for the change at {} if {}, and the history shows no such transition: the assumption is not confirmed",
                    ep.alarm,
                    format_time(&from),
                    ep.assumption.as_deref().unwrap_or_default()
                );
                unjudgeable(
                    ep,
                    detail,
                    "export the history or the configuration of that time",
                );
            }
            // The history's last item is the latest proof of what the export
            // holds: past it, an absent transition may just not be exported.
            None if covered_to.is_none_or(|c| until > c) => {
                let detail = format!(
                    "alarm {:?} should have notified between {} and {}, after the exported history's last item ({}); the export may end before it",
                    ep.alarm,
                    format_time(&from),
                    format_time(&until),
                    covered_to.map_or("none".into(), |c| format_time(&c))
                );
                unjudgeable(
                    ep,
                    detail,
                    "export the history again, covering the logs' time",
                );
            }
            // The absence in the history proves nothing when some parameter
            // set inside the intervals sends no notification for these
            // changes, or when the alarm needs more than one datapoint (M of
            // N, a threshold above one event): whether the datapoints share
            // a period then depends on each event's delay.
            None if ep.notifies
                && (!ep.single_datapoint || !expected_everywhere(ep, rank, alternatives)) =>
            {
                let why = if ep.single_datapoint {
                    let set = alternatives
                        .iter()
                        .find(|alt| !alt.sends(ep, rank))
                        .map_or_else(String::new, |alt| alt.label.clone());
                    format!("with {set} the replay sends no notification for them")
                } else {
                    "the alarm needs more than one datapoint, and whether the changes' datapoints share a period depends on each one's delivery delay".to_owned()
                };
                ep.verdict = EpisodeVerdict::Uncertain;
                counts.verdicts.uncertain += 1;
                findings.push(Finding::about_alarm(&ep.alarm, Finding::new(
                    FindingKind::Uncertain,
                    Severity::Info,
                    Some(from),
                    format!(
                        "alarm {:?} replayed to ALARM at {} for the changes from {}, and the history shows no such transition; but {why}, so this is not a proven miss",
                        ep.alarm,
                        format_time(&ep.start),
                        format_time(&from)
                    ),
                    "export the history and configuration again; narrow --delivery-delay-min/--delivery-delay-max or set --evaluation-range if known",
                )));
            }
            None => {
                ep.verdict = EpisodeVerdict::Missed;
                counts.verdicts.missed += 1;
                findings.push(Finding::new(
                    FindingKind::Missed,
                    Severity::High,
                    Some(from),
                    format!(
                        "alarm {:?} should have gone to ALARM between {} and {} (replayed at {}), and the history shows no such transition",
                        ep.alarm,
                        format_time(&from),
                        format_time(&until),
                        format_time(&ep.start)
                    ),
                    "compare the deployed filter and alarm with the replayed ones; check the trail's CloudWatch Logs delivery",
                ).about(About::alarm(&ep.alarm)));
            }
        }
    }
    for (k, a) in actual.iter().enumerate() {
        let inside = span.is_some_and(|(from, to)| a.time >= from && a.time <= to + window);
        if !inside && !used[k] {
            counts.actual_outside_logs += 1;
            findings.push(
                Finding::new(
                    FindingKind::Unjudgeable,
                    Severity::Info,
                    Some(a.time),
                    format!(
                    "alarm {:?} went to ALARM at {}, outside the logs' coverage ({}): not judged",
                    a.alarm,
                    format_time(&a.time),
                    span.map_or("no logs".into(), |(f, t)| format!(
                        "{} to {}",
                        format_time(&f),
                        format_time(&t)
                    ))
                ),
                    "scan the logs of that time too",
                )
                .about(About::alarm(&a.alarm)),
            );
            continue;
        }
        counts.actual_notifications += 1;
        if used[k] {
            continue;
        }
        let set = forced
            .iter()
            .find(|(n, t)| *n == a.alarm && (a.time - *t).num_seconds().abs() <= 120);
        match set {
            Some((_, t)) => findings.push(forced_finding(a, *t)),
            None => {
                counts.verdicts.unexplained += 1;
                findings.push(Finding::new(
                    FindingKind::Unexplained,
                    Severity::Info,
                    Some(a.time),
                    format!(
                        "alarm {:?} went to ALARM at {} and no replayed change explains it (events outside the scanned logs, or a filter that matches more than the scan saw)",
                        a.alarm,
                        format_time(&a.time)
                    ),
                    "",
                ).about(About::alarm(&a.alarm)));
            }
        }
    }
    (counts, findings)
}

/// An actual ALARM that SetAlarmState at `set` explains.
fn forced_finding(a: &Item, set: DateTime<Utc>) -> Finding {
    Finding::about_alarm(
        &a.alarm,
        Finding::new(
            FindingKind::ForcedTransition,
            Severity::Info,
            Some(a.time),
            format!(
                "alarm {:?} went to ALARM at {} by SetAlarmState at {}",
                a.alarm,
                format_time(&a.time),
                format_time(&set)
            ),
            "",
        ),
    )
}

/// What the replayed episodes are judged against.
#[derive(Debug, Clone, Copy)]
pub struct Judging<'a> {
    /// The exported history.
    pub history: &'a [Item],
    /// The alarms replayed.
    pub judged: &'a [String],
    /// How long after its first change an actual transition still counts.
    pub window: Duration,
    /// The logs' coverage.
    pub span: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// SetAlarmState calls, by alarm.
    pub forced: &'a [(String, DateTime<Utc>)],
    /// Alarms in another account or region, and why.
    pub foreign: &'a [(String, String)],
    /// The replay under the other parameter sets.
    pub alternatives: &'a [Alternative],
}

/// The episodes of the replay under another parameter set inside the
/// intervals.
#[derive(Debug, Clone)]
pub struct Alternative {
    /// Which parameters, for reasons: "delivery delay 900 s and the
    /// shortest evaluation range".
    pub label: String,
    /// Its episodes.
    pub episodes: Vec<Episode>,
    /// The longest evaluation lag, added to its transitions.
    pub lag: Duration,
}

impl Alternative {
    /// Its `rank`-th notifying episode of the same alarm for the same
    /// changes.
    fn twin(&self, ep: &Episode, rank: usize) -> Option<&Episode> {
        self.episodes
            .iter()
            .filter(|e| e.notifies && e.alarm == ep.alarm && shares(e, ep))
            .nth(rank)
    }

    /// Whether it sends that notification too.
    fn sends(&self, ep: &Episode, rank: usize) -> bool {
        self.twin(ep, rank).is_some()
    }
}

/// Whether two episodes rest on some of the same changes.
fn shares(a: &Episode, b: &Episode) -> bool {
    a.events.iter().any(|id| b.events.contains(id))
}

/// Whether every parameter set sends `ep`'s notification.
fn expected_everywhere(ep: &Episode, rank: usize, alternatives: &[Alternative]) -> bool {
    !ep.events.is_empty() && alternatives.iter().all(|alt| alt.sends(ep, rank))
}

/// Set when `ep`'s notification is expected: from the earliest transition
/// of any parameter set to the latest plus the evaluation lag.
fn expect(ep: &mut Episode, rank: usize, alternatives: &[Alternative]) {
    let lag = alternatives
        .iter()
        .map(|a| a.lag)
        .max()
        .unwrap_or_else(Duration::zero);
    let (mut lo, mut hi) = (ep.start, ep.start);
    for alt in alternatives {
        if let Some(t) = alt.twin(ep, rank) {
            lo = lo.min(t.start);
            hi = hi.max(t.start);
        }
    }
    ep.expected = Some(super::replay::Expected {
        from: lo,
        until: hi + lag,
    });
}
