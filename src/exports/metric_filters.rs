//! `aws logs describe-metric-filters` (`docs/exports.md#describe-metric-filters`).

use std::path::Path;

use serde::Deserialize;

use super::{parse as parse_json, read_bytes, ExportError};

/// The export's top level. A bare list of filters (`--query metricFilters`)
/// is accepted too.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Document {
    Response {
        #[serde(rename = "metricFilters")]
        metric_filters: Vec<MetricFilter>,
    },
    List(Vec<MetricFilter>),
}

/// One metric filter.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct MetricFilter {
    /// `filterName`.
    pub filter_name: String,
    /// `filterPattern` (absent or empty: every event).
    #[serde(default)]
    pub filter_pattern: String,
    /// `metricTransformations` (exactly one in practice).
    pub metric_transformations: Vec<MetricTransformation>,
    /// `creationTime`, epoch milliseconds.
    #[serde(default)]
    pub creation_time: Option<i64>,
    /// `logGroupName`.
    #[serde(default)]
    pub log_group_name: Option<String>,
}

/// Which metric a filter publishes and with what value.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct MetricTransformation {
    /// `metricName`.
    pub metric_name: String,
    /// `metricNamespace`.
    pub metric_namespace: String,
    /// `metricValue`: a number as text, or `$.field`.
    pub metric_value: String,
    /// `defaultValue`, published for events that do not match.
    #[serde(default)]
    pub default_value: Option<f64>,
    /// `unit`.
    #[serde(default)]
    pub unit: Option<String>,
}

/// Read the filters of a `describe-metric-filters` export, in file order.
pub fn read(file: &Path) -> Result<Vec<MetricFilter>, ExportError> {
    parse(file, &read_bytes(file)?)
}

/// As [`read`], of `bytes` read from `file`.
pub fn parse(file: &Path, bytes: &[u8]) -> Result<Vec<MetricFilter>, ExportError> {
    // Untagged enums hide the failing key, so try the usual shape first
    // for its precise error, then the bare list.
    #[derive(Deserialize)]
    struct Response {
        #[serde(rename = "metricFilters")]
        metric_filters: Vec<MetricFilter>,
    }
    let filters = match parse_json::<Response>(file, bytes) {
        Ok(r) => r.metric_filters,
        Err(first) => match parse_json::<Document>(file, bytes) {
            Ok(Document::List(l)) | Ok(Document::Response { metric_filters: l }) => l,
            Err(_) => return Err(first),
        },
    };
    for (i, f) in filters.iter().enumerate() {
        if f.metric_transformations.is_empty() {
            return Err(ExportError::new(
                file,
                format!("metricFilters[{i}].metricTransformations"),
                "a metric filter needs one metric transformation",
            ));
        }
    }
    Ok(filters)
}
