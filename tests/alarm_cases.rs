//! The alarm replay cases in testdata/alarm-cases: rule + datapoints ->
//! the exact transitions.

use ctreplay::alarm::{machine, Comparison, Missing, Rule, Series, State, Statistic};
use serde::Deserialize;

use crate::util::testdata;

#[derive(Deserialize)]
struct File {
    case: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    source: String,
    statistic: String,
    period: i64,
    evaluation_periods: usize,
    datapoints_to_alarm: Option<usize>,
    threshold: f64,
    comparison: String,
    missing: String,
    range: Option<usize>,
    from: String,
    to: String,
    datapoints: Vec<(String, f64)>,
    transitions: Vec<String>,
}

/// "HH:MM" on 2025-01-01 UTC, as epoch seconds.
fn at(hhmm: &str) -> i64 {
    let (h, m) = hhmm.split_once(':').expect("HH:MM");
    1_735_689_600 + h.parse::<i64>().unwrap() * 3600 + m.parse::<i64>().unwrap() * 60
}

fn hhmm(t: i64) -> String {
    let s = t - 1_735_689_600;
    format!("{:02}:{:02}", s / 3600, s % 3600 / 60)
}

#[test]
fn every_alarm_case() {
    let text = std::fs::read_to_string(testdata("alarm-cases/cases.toml")).unwrap();
    let file: File = toml::from_str(&text).unwrap();
    let mut failures = Vec::new();
    for c in &file.case {
        let rule = Rule {
            period: c.period,
            evaluation_periods: c.evaluation_periods,
            datapoints_to_alarm: c.datapoints_to_alarm.unwrap_or(c.evaluation_periods),
            threshold: c.threshold,
            comparison: Comparison::parse(&c.comparison).expect("comparison"),
            missing: Missing::parse(&c.missing).expect("missing"),
            statistic: Statistic::parse(&c.statistic).expect("statistic"),
            range: c.range.unwrap_or(Rule::default_range(c.evaluation_periods)),
        };
        let mut series = Series::default();
        for (t, v) in &c.datapoints {
            series.add(at(t), *v);
        }
        let got: Vec<String> = machine::run(&rule, &series, at(&c.from), at(&c.to))
            .iter()
            .map(|t| format!("{} {}", hhmm(t.at), t.to))
            .collect();
        if got != c.transitions {
            failures.push(format!(
                "{} ({}):\n  expected {:?}\n  got      {:?}",
                c.name, c.source, c.transitions, got
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(file.case.len() >= 15);
    let _ = State::Ok;
}
