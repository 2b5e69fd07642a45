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
    /// Patterns AWS accepted that ctreplay cannot evaluate: by filter, the
    /// pattern and why.
    unsupported: Vec<PlanError>,
}

/// A pattern of the model that does not parse.
#[derive(Debug, Clone, thiserror::Error)]
#[error("metric filter {filter:?}: {error}")]
pub struct PlanError {
    /// The filter whose pattern it is.
    pub filter: String,
    /// The pattern.
    pub pattern: String,
    /// Why it does not parse.
    pub error: PatternError,
}

impl ScanPlan {
    /// Every distinct pattern of `model` (with the field its metric value
    /// reads, when it reads one), in the order first seen; each scan filter
    /// is named after the first filter that had the pattern.
    pub fn of(model: &Model) -> ScanPlan {
        let mut filters: Vec<Filter> = Vec::new();
        let mut unsupported: Vec<PlanError> = Vec::new();
        for f in &model.filters {
            let field = FieldValue::parse(&f.value_text);
            for p in f.patterns() {
                let path = field.as_ref().map(FieldValue::path);
                if filters.iter().any(|g| same(g, p, path)) {
                    continue;
                }
                // A deployed pattern ctreplay cannot parse (AWS accepted
                // it) is reported and judged unknown; it never stops the
                // audit.
                let mut filter = match Filter::new(&f.name, p) {
                    Ok(filter) => filter,
                    Err(error) => {
                        if !unsupported.iter().any(|u: &PlanError| u.pattern == p) {
                            unsupported.push(PlanError {
                                filter: f.name.clone(),
                                pattern: p.to_owned(),
                                error,
                            });
                        }
                        continue;
                    }
                };
                filter.value = field.clone();
                filters.push(filter);
            }
        }
        ScanPlan {
            filters,
            unsupported,
        }
    }

    /// The patterns the scan could not evaluate.
    pub fn unsupported(&self) -> &[PlanError] {
        &self.unsupported
    }

    /// Why `pattern` could not be evaluated, when it could not.
    pub fn unsupported_why(&self, pattern: &str) -> Option<&PlanError> {
        self.unsupported.iter().find(|u| u.pattern == pattern)
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
