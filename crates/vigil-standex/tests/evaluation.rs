//! The acceptance test: with the example station and the example STANDEX settings,
//! the whole chain (crowd → cameras → people tracker → sensing → evidence → cascade → alarm)
//! alarms the carrier before they reach the platform in at least 90 % of runs, with fewer
//! than one false alarm per simulated hour.
//!
//! The default run is short (a few seeded runs, two carriers each), with a margin on the
//! detection rate because so few carriers cannot show 90 % (one miss in four is 75 %), and a
//! fifth of a simulated hour cannot show "under one false alarm an hour" either, so it allows
//! one. Two runs of the tracker chain take about 20 s in the test profile. With
//! `VIGIL_SOAK=1` the full count (60 runs, 10 simulated hours) runs with the exact
//! thresholds.

use std::path::PathBuf;

use vigil_standex::eval::{EvalConfig, evaluate};
use vigil_station::Site;

fn site() -> Option<Site> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../config/stations/example.toml");
    match Site::load(&path) {
        Ok(s) => Some(s),
        Err(e) => {
            eprintln!("SKIP: example station not loadable ({e})");
            None
        }
    }
}

#[test]
fn carrier_alarmed_before_the_platform_with_few_false_alarms() {
    let Some(site) = site() else { return };
    let soak = std::env::var_os("VIGIL_SOAK").is_some();
    let cfg = vigil_standex::example_config().expect("the built-in example config parses");
    let eval = EvalConfig {
        runs: if soak { 60 } else { 2 },
        seed: 1,
        // The second carrier enters at 240 s and is on a platform by about 340 s.
        duration_s: Some(if soak { 600.0 } else { 345.0 }),
        ..EvalConfig::default()
    };
    let report = evaluate(&site, &cfg, &eval).expect("runs");
    println!("{report}");
    assert!(
        report.carriers >= 2 * eval.runs,
        "{} carriers",
        report.carriers
    );
    // The 90 % with the soak's 120 carriers; the default run has only four, where
    // one miss is 75 %, so it checks that no more than one is missed (a regression that
    // halved the rate would fail it most of the time).
    let min_pd = if soak { 0.90 } else { 0.75 };
    assert!(
        report.pd >= min_pd,
        "pd {:.3} < {min_pd}\n{report}",
        report.pd
    );
    if soak {
        assert!(report.false_alarms_per_hour < 1.0, "{report}");
    } else {
        // A fifth of an hour cannot show "under one an hour": at most one.
        assert!(report.false_alarms <= 1, "{report}");
    }
    // Localisation: the alarm points at the carrier.
    assert!(report.localisation_m.max <= eval.attribution_m);
}

#[test]
fn example_config_is_valid_and_matches_the_station() {
    let cfg = vigil_standex::example_config().expect("parses");
    let Some(site) = site() else { return };
    let sensors = vigil_standex::site::sensors_from_site(&site.sensors, &cfg)
        .expect("overrides name real sensors");
    assert_eq!(sensors.len(), site.sensors.len());
    // The layout lives in the station file: the example needs no site calibration.
    assert!(cfg.sensor_overrides.is_empty());
    // An override of a real sensor applies; one naming no sensor is refused.
    let mut good = cfg.clone();
    good.sensor_overrides.push(vigil_standex::SensorOverride {
        id: "ammw-5".into(),
        max_range_m: Some(7.0),
        ..Default::default()
    });
    let s = vigil_standex::site::sensors_from_site(&site.sensors, &good).expect("applies");
    let a5 = s.iter().find(|s| s.id == "ammw-5").expect("ammw-5 exists");
    assert!((a5.range_m - 7.0).abs() < 1e-12);
    let mut bad = cfg.clone();
    bad.sensor_overrides.push(vigil_standex::SensorOverride {
        id: "nope-1".into(),
        ..Default::default()
    });
    assert!(vigil_standex::site::sensors_from_site(&site.sensors, &bad).is_err());
}
