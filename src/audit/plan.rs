//! Which patterns the scan evaluates for an audit: every pattern every
//! filter of the model ever had, each once, with the [`FilterId`] the scan
//! gives it. The replay asks the plan which id stands for the pattern in
//! force, so identities travel as ids, never as names.

use super::model::Model;
use crate::filter::{FieldValue, Filter, FilterId, PatternError};

/// The scan's filters for one model.
#[derive(Debug, Clone)]
pub struct ScanPlan {
    filters: Vec<Filter>,
}

/// A pattern of the model that does not parse.
#[derive(Debug, thiserror::Error)]
#[error("metric filter {filter:?}: {error}")]
pub struct PlanError {
    /// The filter whose pattern it is.
    pub filter: String,
    /// Why it does not parse.
    pub error: PatternError,
}

impl ScanPlan {
    /// Every distinct pattern of `model` (with the field its metric value
    /// reads, when it reads one), in the order first seen; each scan filter
    /// is named after the first filter that had the pattern.
    pub fn of(model: &Model) -> Result<ScanPlan, PlanError> {
        let mut filters: Vec<Filter> = Vec::new();
        for f in &model.filters {
            let field = FieldValue::parse(&f.value_text);
            for p in f.patterns() {
                let path = field.as_ref().map(FieldValue::path);
                if filters.iter().any(|g| same(g, p, path)) {
                    continue;
                }
                let mut filter = Filter::new(&f.name, p).map_err(|error| PlanError {
                    filter: f.name.clone(),
                    error,
                })?;
                filter.value = field.clone();
                filters.push(filter);
            }
        }
        Ok(ScanPlan { filters })
    }

    /// The filters to scan with, in id order.
    pub fn filters(&self) -> &[Filter] {
        &self.filters
    }

    /// The id the scan gives `pattern` read with metric value `value`
    /// (`1`, or a field); None when the plan lacks it.
    pub fn id(&self, pattern: &str, value: &str) -> Option<FilterId> {
        let field = FieldValue::parse(value);
        let path = field.as_ref().map(FieldValue::path);
        self.filters
            .iter()
            .position(|f| same(f, pattern, path))
            .map(FilterId::new)
    }

    /// Whether every pattern of `other` is in this plan, so events scanned
    /// with this plan can be replayed against `other`'s model.
    pub fn covers(&self, other: &ScanPlan) -> bool {
        other.filters.iter().all(|f| {
            let path = f.value.as_ref().map(FieldValue::path);
            self.filters.iter().any(|g| same(g, f.pattern.text(), path))
        })
    }
}

fn same(f: &Filter, pattern: &str, field: Option<&str>) -> bool {
    f.pattern.text() == pattern && f.value.as_ref().map(FieldValue::path) == field
}
