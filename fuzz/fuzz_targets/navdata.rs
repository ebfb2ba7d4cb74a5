//! Fuzzes the navigation data loader (X-Plane fix / navaid / airway texts and airports.json):
//! any text must load or give an error naming the file and line, never panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_flightplan::NavData;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // The same bytes as each of the four files in turn (the others empty but valid).
    let _ = NavData::from_texts(&text, "", "", "[]");
    let _ = NavData::from_texts("", &text, "", "[]");
    let _ = NavData::from_texts("", "", &text, "[]");
    let _ = NavData::from_texts("", "", "", &text);
});
