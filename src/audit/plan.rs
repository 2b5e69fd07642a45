//! Which patterns the scan evaluates for an audit: every pattern every
//! filter of the model ever had, each once, with the [`FilterId`] the scan
//! gives it. The replay asks the plan which id stands for the pattern in
//! force, so identities travel as ids, never as names.

use super::model::Model;
use crate::filter::{Filter, FilterId, PatternError};

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
    /// Every distinct pattern of `model`, in the order first seen; each
    /// scan filter is named after the first filter that had the pattern.
    pub fn of(model: &Model) -> Result<ScanPlan, PlanError> {
        let mut filters: Vec<Filter> = Vec::new();
        for f in &model.filters {
            for p in f.patterns() {
                if filters.iter().any(|g| g.pattern.text() == p) {
                    continue;
                }
                let filter = Filter::new(&f.name, p).map_err(|error| PlanError {
                    filter: f.name.clone(),
                    error,
                })?;
                filters.push(filter);
            }
        }
        Ok(ScanPlan { filters })
    }

    /// The filters to scan with, in id order.
    pub fn filters(&self) -> &[Filter] {
        &self.filters
    }

    /// The id the scan gives `pattern`; None when the plan lacks it.
    pub fn id(&self, pattern: &str) -> Option<FilterId> {
        self.filters
            .iter()
            .position(|f| f.pattern.text() == pattern)
            .map(FilterId::new)
    }

    /// Whether every pattern of `other` is in this plan, so events scanned
    /// with this plan can be replayed against `other`'s model.
    pub fn covers(&self, other: &ScanPlan) -> bool {
        other
            .filters
            .iter()
            .all(|f| self.id(f.pattern.text()).is_some())
    }
}
