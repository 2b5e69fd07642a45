//! A named filter pattern, and the id the scan gives it.

use super::{presets, FieldValue, Pattern, PatternError};

/// A named filter pattern: a metric filter, a preset, or `--pattern`.
#[derive(Debug, Clone)]
pub struct Filter {
    /// The metric filter's name, the preset's, or `pattern`.
    pub name: String,
    /// The parsed pattern.
    pub pattern: Pattern,
    /// When its metric value is a field, the field: the scan reads its
    /// number from each matching event.
    pub value: Option<FieldValue>,
}

impl Filter {
    /// Parse `pattern` under `name`.
    pub fn new(name: &str, pattern: &str) -> Result<Filter, PatternError> {
        Ok(Filter {
            name: name.to_owned(),
            pattern: Pattern::parse(pattern)?,
            value: None,
        })
    }

    /// The default preset: the CIS six-name security-group pattern.
    pub fn security_group_changes() -> Filter {
        let p = presets::find(presets::DEFAULT).expect("the default preset exists");
        Filter::new(&p.name, p.pattern).expect("presets parse")
    }
}

/// Which of a scan's filters, by position in the list the detector was
/// built from. Events carry these, not names, so two filters with the same
/// name (or two versions of one filter) stay apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FilterId(u32);

impl FilterId {
    /// The id of the filter at `index`.
    pub fn new(index: usize) -> FilterId {
        FilterId(u32::try_from(index).expect("fewer than 2^32 filters"))
    }

    /// Its position in the filter list.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}
