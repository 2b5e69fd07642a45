//! `aws cloudwatch describe-alarms` (`docs/exports.md#describe-alarms`).

use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::{parse_pages, read_bytes, ExportError};
use crate::alarm::{Comparison, Missing, Rule, Statistic};

#[derive(Debug, Deserialize)]
struct Page {
    #[serde(rename = "MetricAlarms", default)]
    metric_alarms: Vec<MetricAlarm>,
}

/// One metric alarm, as exported. Unknown fields are ignored.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct MetricAlarm {
    /// `AlarmName`.
    pub alarm_name: String,
    /// `AlarmArn`: `arn:aws:cloudwatch:REGION:ACCOUNT:alarm:NAME`.
    #[serde(default)]
    pub alarm_arn: Option<String>,
    /// `ActionsEnabled`.
    #[serde(default = "yes")]
    pub actions_enabled: bool,
    /// `AlarmActions`.
    #[serde(default)]
    pub alarm_actions: Vec<String>,
    /// `OKActions`.
    #[serde(default, rename = "OKActions")]
    pub ok_actions: Vec<String>,
    /// `InsufficientDataActions`.
    #[serde(default)]
    pub insufficient_data_actions: Vec<String>,
    /// `StateValue` at export time.
    #[serde(default)]
    pub state_value: Option<String>,
    /// `AlarmConfigurationUpdatedTimestamp`.
    #[serde(default, deserialize_with = "crate::time::deserialize_export_opt")]
    pub alarm_configuration_updated_timestamp: Option<DateTime<Utc>>,
    /// `MetricName` (absent for metric-math alarms).
    #[serde(default)]
    pub metric_name: Option<String>,
    /// `Namespace`.
    #[serde(default)]
    pub namespace: Option<String>,
    /// `Statistic` (absent with `ExtendedStatistic`).
    #[serde(default)]
    pub statistic: Option<String>,
    /// `ExtendedStatistic`.
    #[serde(default)]
    pub extended_statistic: Option<String>,
    /// `Dimensions`.
    #[serde(default)]
    pub dimensions: Vec<Dimension>,
    /// `Period`, seconds.
    #[serde(default)]
    pub period: Option<i64>,
    /// `Unit`.
    #[serde(default)]
    pub unit: Option<String>,
    /// `EvaluationPeriods`.
    #[serde(default)]
    pub evaluation_periods: Option<usize>,
    /// `DatapointsToAlarm`; EvaluationPeriods when absent.
    #[serde(default)]
    pub datapoints_to_alarm: Option<usize>,
    /// `Threshold`.
    #[serde(default)]
    pub threshold: Option<f64>,
    /// `ComparisonOperator`.
    #[serde(default)]
    pub comparison_operator: Option<String>,
    /// `TreatMissingData`; `missing` when absent.
    #[serde(default)]
    pub treat_missing_data: Option<String>,
    /// `Metrics` (metric math): such alarms are not replayable.
    #[serde(default)]
    pub metrics: Option<serde_json::Value>,
}

fn yes() -> bool {
    true
}

/// A metric dimension.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct Dimension {
    /// `Name`.
    pub name: String,
    /// `Value`.
    pub value: String,
}

impl MetricAlarm {
    /// The region and account its ARN names.
    pub fn arn_region_account(&self) -> Option<(&str, &str)> {
        let mut parts = self.alarm_arn.as_deref()?.split(':');
        let (_, _, _, region, account) = (
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
        );
        Some((region, account))
    }

    /// The evaluation rule, or why this alarm cannot be replayed.
    pub fn rule(&self, range: Option<usize>) -> Result<Rule, String> {
        if self.metrics.is_some() {
            return Err("a metric-math alarm (Metrics): not replayable".into());
        }
        if let Some(x) = &self.extended_statistic {
            return Err(format!("extended statistic {x}: not replayable"));
        }
        let statistic = self.statistic.as_deref().ok_or("no Statistic")?;
        let statistic =
            Statistic::parse(statistic).ok_or_else(|| format!("unknown Statistic {statistic}"))?;
        let op = self
            .comparison_operator
            .as_deref()
            .ok_or("no ComparisonOperator")?;
        let comparison = Comparison::parse(op).ok_or_else(|| {
            format!("ComparisonOperator {op}: anomaly-detection alarms are not replayable")
        })?;
        let missing = match self.treat_missing_data.as_deref() {
            None => Missing::Missing,
            Some(m) => Missing::parse(m).ok_or_else(|| format!("unknown TreatMissingData {m}"))?,
        };
        let period = self.period.ok_or("no Period")?;
        if period < 60 || period % 60 != 0 {
            return Err(format!("Period {period}: only whole minutes are replayed"));
        }
        let n = self
            .evaluation_periods
            .ok_or("no EvaluationPeriods")?
            .max(1);
        // AWS's limits: Period x EvaluationPeriods at most 7 days, and 1 day
        // for periods under an hour
        // (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html).
        // Past them the export is not one AWS would hold; refusing also
        // bounds the replay's work per evaluation.
        let limit: i64 = if period < 3600 { 86_400 } else { 604_800 };
        let total = (n as i64).checked_mul(period);
        if total.is_none_or(|t| t > limit) {
            return Err(format!(
                "Period {period} x EvaluationPeriods {n} is over AWS's limit of {limit} s"
            ));
        }
        if let Some(m) = self.datapoints_to_alarm {
            if m == 0 || m > n {
                return Err(format!(
                    "DatapointsToAlarm {m} is not between 1 and EvaluationPeriods {n}"
                ));
            }
        }
        if let Some(r) = range {
            if r < n || (r as i64).saturating_mul(period) > 2 * limit {
                return Err(format!(
                    "an evaluation range of {r} periods of {period} s is not between EvaluationPeriods {n} and twice AWS's {limit} s"
                ));
            }
        }
        Ok(Rule {
            period,
            evaluation_periods: n,
            datapoints_to_alarm: self.datapoints_to_alarm.unwrap_or(n),
            threshold: self.threshold.ok_or("no Threshold")?,
            comparison,
            missing,
            statistic,
            range: range.unwrap_or(Rule::default_range(n)),
        })
    }
}

/// Read the metric alarms of a `describe-alarms` export.
pub fn read(file: &Path) -> Result<Vec<MetricAlarm>, ExportError> {
    parse(file, &read_bytes(file)?)
}

/// As [`read`], of `bytes` read from `file`.
pub fn parse(file: &Path, bytes: &[u8]) -> Result<Vec<MetricAlarm>, ExportError> {
    let pages: Vec<Page> = parse_pages(file, bytes)?;
    Ok(pages.into_iter().flat_map(|p| p.metric_alarms).collect())
}
