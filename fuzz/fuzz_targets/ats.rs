//! Fuzzes the ICAO ATS message parser: arbitrary text (bytes read as lossy UTF-8) must never
//! panic, and every flight plan that parses must print in the canonical form and parse back
//! to the same plan.

#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_flightplan::{AtsMessage, parse_message, parse_messages};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for message in parse_messages(&text).into_iter().flatten() {
        if let AtsMessage::Fpl(plan) = message {
            let again = parse_message(&plan.to_string()).expect("canonical form parses");
            assert_eq!(again, AtsMessage::Fpl(plan), "Display → parse round-trips");
        }
    }
    // Also as one bare message (no brackets required).
    let _ = parse_message(&text);
});
