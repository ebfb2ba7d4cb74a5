//! No false renegades on real traffic: the real recordings in `../shared/data/traffic`
//! (an hour of Paris-area traffic, in-flight refuelling, low-level demonstration flights)
//! through the whole chain (frames, tracker, rules) without flight plans: no incident may
//! reach SUSPECTED, and the rules that need a flight plan never fire.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use vigil::exercise::{AdsbSite, ExerciseOptions, RadarSite, run_truth};
use vigil_core::LatLon;
use vigil_renegade::{Category, IndicatorKind};
use vigil_sim::{SimAircraft, Truth};
use vigil_track::sim::load_traffic;

fn truth_from(file: &str, max_s: f64) -> Option<Truth> {
    let path = vigil_testdata::path(file)?;
    let trajectories = load_traffic(&path).unwrap();
    let start = trajectories
        .iter()
        .filter_map(|t| t.span())
        .map(|s| s.0)
        .fold(f64::INFINITY, f64::min)
        .floor();
    let end = trajectories
        .iter()
        .filter_map(|t| t.span())
        .map(|s| s.1)
        .fold(f64::NEG_INFINITY, f64::max)
        .min(start + max_s)
        .ceil();
    let aircraft = trajectories
        .into_iter()
        .map(|t| SimAircraft {
            callsign: t.callsign.clone().unwrap_or_else(|| t.icao.to_string()),
            icao: t.icao,
            military: false,
            fighter: false,
            party: None,
            aircraft_type: None,
            squawk: t.squawk.map(|s| vec![(start, s)]).unwrap_or_default(),
            emergency: Vec::new(),
            transponder_off: Vec::new(),
            radio_silent: Vec::new(),
            flight_plan: None,
            background: true,
            trajectory: t,
        })
        .collect();
    Some(Truth {
        start,
        end,
        exercise: false,
        seed: 11,
        aircraft,
        reports: Vec::new(),
        handovers: Vec::new(),
        escorts: Vec::new(),
        notes: Vec::new(),
    })
}

fn sensors(centre: LatLon) -> ExerciseOptions {
    ExerciseOptions::new(
        vec![AdsbSite {
            name: "adsb".into(),
            pos: centre,
            range_km: 400.0,
        }],
        vec![RadarSite {
            name: "radar".into(),
            sac: 1,
            sic: 1,
            pos: centre,
            height_m: 100.0,
            period_s: 5.0,
            range_nm: 200.0,
            false_per_scan: 5.0,
        }],
    )
}

fn check(file: &str, centre: LatLon, max_s: f64) {
    let Some(truth) = truth_from(file, max_s) else {
        return;
    };
    let r = run_truth(&truth, "[]", None, &sensors(centre)).unwrap();
    eprintln!(
        "{file}: {} aircraft, {:.0} s, {} frames, {} plots, {} alerts, {} incidents",
        truth.aircraft.len(),
        truth.end - truth.start,
        r.stats.frames,
        r.stats.plots,
        r.alerts.len(),
        r.incidents.len()
    );
    for a in &r.alerts {
        eprintln!("  alert {:?}: {}", a.kind, a.detail);
    }
    assert!(r.stats.frames > 1_000, "the recording was replayed");
    assert!(
        r.categories
            .iter()
            .all(|c| c.category < Category::Suspected),
        "false SUSPECTED: {:?}",
        r.categories
    );
    for a in &r.alerts {
        assert!(
            !a.kind.needs_flight_plan(),
            "{:?} fired without a plan",
            a.kind
        );
        assert!(
            !matches!(
                a.kind,
                IndicatorKind::Squawk7500 | IndicatorKind::RadioContactLost
            ),
            "{a:?}"
        );
    }
}

#[test]
fn no_false_renegade_in_an_hour_of_real_traffic() {
    check(
        "traffic/quickstart.json.gz",
        LatLon::new(48.9, 2.4),
        3_600.0,
    );
}

#[test]
fn no_false_renegade_in_inflight_refuelling() {
    check(
        "traffic/inflight_refuelling.json.gz",
        LatLon::new(45.4, 3.0),
        4.0 * 3_600.0,
    );
}

#[test]
fn no_false_renegade_in_low_level_demonstration_flights() {
    check(
        "traffic/belevingsvlucht.json.gz",
        LatLon::new(52.5, 5.6),
        6.0 * 3_600.0,
    );
}
