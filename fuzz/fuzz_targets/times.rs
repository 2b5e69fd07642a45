//! The time parsers: never panic; an eventTime read prints in the one
//! output format, which reads back to the same instant.
#![no_main]

use ctreplay::event::format_time;
use ctreplay::time::{parse_cli, parse_event_time, parse_export};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let _ = parse_cli(s);
    let _ = parse_export(s);
    let _ = s.parse::<ctreplay::cli::values::Span>();
    let _ = s.parse::<ctreplay::cli::values::Size>();
    if let Some(t) = parse_event_time(s) {
        let out = format_time(&t);
        assert_eq!(out.len(), 20, "{out}");
        assert_eq!(parse_event_time(&out), Some(t), "{out}");
    }
});
