//! The export readers (describe-metric-filters, describe-alarms,
//! describe-alarm-history): any bytes give values or an error, never a
//! panic; an alarm's rule is built or refused.
#![no_main]

use std::path::Path;

use ctreplay::exports::{alarms, history, metric_filters};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let file = Path::new("fuzz.json");
    if let Ok(list) = alarms::parse(file, data) {
        for a in &list {
            let _ = a.rule(None);
            let _ = a.rule(Some(3));
            let _ = a.arn_region_account();
        }
    }
    let _ = history::parse(file, data);
    if let Ok(filters) = metric_filters::parse(file, data) {
        for f in &filters {
            let _ = ctreplay::filter::Pattern::parse(&f.filter_pattern);
        }
    }
});
