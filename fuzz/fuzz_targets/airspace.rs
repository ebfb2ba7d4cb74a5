//! Fuzzes the airspace loaders: FIR GeoJSON and the airspace TOML configuration. Any text
//! must load or give an error, never panic; a loaded airspace answers queries without panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_airspace::{Airspace, AirspaceConfig, PathPoint};
use vigil_core::LatLon;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let empty = AirspaceConfig::default();
    if let Ok(a) = Airspace::from_geojson_str(&text, &empty) {
        let p = LatLon::new(52.0, 20.0);
        let _ = a.fir_at(p, 30_000.0);
        let path = [
            PathPoint::new(0.0, p, 30_000.0),
            PathPoint::new(600.0, LatLon::new(55.0, 21.0), 30_000.0),
        ];
        let _ = a.fir_crossings(&path);
    }
    if let Ok(c) = AirspaceConfig::from_toml_str(&text) {
        let _ = Airspace::from_parts(Vec::new(), &c);
    }
});
