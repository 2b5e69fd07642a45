//! The filter-pattern parser and evaluator: the first line is a pattern,
//! the rest an event. Never panics; a pattern that parses prints back to
//! text that parses to a pattern matching the same events.
#![no_main]

use ctreplay::filter::Pattern;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (pattern, event) = text.split_once('\n').unwrap_or((text, "{}"));
    let Ok(p) = Pattern::parse(pattern) else {
        return;
    };
    let _ = p.event_names();
    let _ = p.need();
    let mut copy = event.as_bytes().to_vec();
    let value = simd_json::to_borrowed_value(&mut copy).ok();
    let hit = p.matches(event.as_bytes(), value.as_ref());
    let _ = p.matches_message(event);
    // The prefilter's literals are sound: a matching event holds one.
    if hit {
        if let (Some(need), Some(_)) = (p.need(), value.as_ref()) {
            let raw = event.as_bytes();
            let unescaped = !raw.windows(2).any(|w| w == b"\\u");
            if unescaped && !need.literals.is_empty() {
                assert!(
                    need.literals
                        .iter()
                        .any(|l| raw.windows(l.len().max(1)).any(|w| w == &l[..])),
                    "a match holds none of the literals {:?}",
                    need.literals
                );
            }
        }
    }
});
