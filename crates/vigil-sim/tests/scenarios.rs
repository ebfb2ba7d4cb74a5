//! The committed Vigilant Skies 2011 scenarios: they load, generate deterministically, and
//! their truth is consistent (hand-overs on the boundary, escorts alongside, landings on the
//! aerodrome, timelines as the events say).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use vigil_sim::{ReportKind, Scenario, Truth, build_airspace, generate};

fn scenario_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../scenarios")
        .join(name)
}

const DAY1: &str = "vigilant_skies_2011_day1.toml";
const DAY2: &str = "vigilant_skies_2011_day2.toml";

/// A scenario without its background recording (fast; the recording has its own test).
fn load(name: &str) -> Scenario {
    let mut s = Scenario::load(&scenario_path(name)).unwrap();
    s.background = None;
    s
}

fn rel(truth: &Truth, t: f64) -> f64 {
    t - truth.start
}

#[test]
fn every_scenario_file_parses() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if name.starts_with("airspace") || p.extension().is_none_or(|x| x != "toml") {
            continue;
        }
        let s = Scenario::load(&p).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            s.exercise,
            "{name}: exercise scenarios carry the exercise label"
        );
        n += 1;
    }
    assert!(n >= 2);
}

#[test]
fn both_scenarios_generate_deterministically() {
    for name in [DAY1, DAY2] {
        let s = load(name);
        let t0 = std::time::Instant::now();
        let a = generate(&s).unwrap();
        eprintln!("{name}: generated in {:?} (no background)", t0.elapsed());
        let b = generate(&s).unwrap();
        assert_eq!(a, b, "{name}: two runs differ");
        assert!(a.exercise);
        assert!(a.aircraft.iter().all(|x| !x.trajectory.points.is_empty()));
        // 1 Hz on whole seconds.
        for x in &a.aircraft {
            for w in x.trajectory.points.windows(2) {
                let dt = w[1].t - w[0].t;
                assert!(dt == 1.0 || dt > 30.0, "{}: step {dt}", x.callsign);
            }
        }
    }
}

#[test]
fn day1_is_fast_without_background() {
    let s = load(DAY1);
    let t0 = std::time::Instant::now();
    let t = generate(&s).unwrap();
    let took = t0.elapsed();
    eprintln!(
        "day 1 without background: {took:?}, {} aircraft",
        t.aircraft.len()
    );
    // Generous for a loaded CI machine; typically a few hundred milliseconds in debug.
    assert!(took.as_secs_f64() < 5.0, "{took:?}");
}

/// Each hand-over is where the target's truth enters the FIR, the fighters that handed it
/// over broke off then, and those that took it over joined soon after.
fn check_handovers(name: &str, s: &Scenario, truth: &Truth, expected: &[(&str, &str)]) {
    let mut notes = Vec::new();
    let air = build_airspace(s, &mut notes).unwrap().unwrap();
    assert_eq!(
        truth.handovers.len(),
        expected.len(),
        "{name}: {:?}",
        truth.handovers
    );
    for (h, (from, to)) in truth.handovers.iter().zip(expected) {
        assert_eq!(h.fir_from.as_deref(), Some(*from), "{name}");
        assert_eq!(h.fir_to, *to, "{name}");
        let fir = air.firs().find(|v| v.id == h.fir_to).unwrap();
        let target = truth.aircraft(&h.target).unwrap();
        let before = target.position_at(h.t - 1.0).unwrap();
        let after = target.position_at(h.t + 1.0).unwrap();
        assert!(
            !fir.contains_lateral(before),
            "{name}: inside before the hand-over"
        );
        assert!(
            fir.contains_lateral(after),
            "{name}: outside after the hand-over"
        );
        assert!(
            fir.distance_to_boundary_m(h.pos) < 50.0,
            "{name}: not on the boundary"
        );
        assert!(h.pos.distance_m(&target.position_at(h.t).unwrap()) < 50.0);
        assert!(
            !h.from_fighters.is_empty() && !h.to_fighters.is_empty(),
            "{name}: {h:?}"
        );
        for f in &h.from_fighters {
            let e = truth.escorts.iter().find(|e| &e.fighter == f).unwrap();
            // It breaks off just before the boundary (10 s).
            let early = h.t - e.end;
            assert!(
                (0.0..=11.0).contains(&early),
                "{name}: {f} broke off {early:.1} s early"
            );
            // Breaking off at the boundary, it turns back within its turn radius: never
            // deeper than 3 km into the partner's FIR.
            let x = truth.aircraft(f).unwrap();
            // (Where two FIR polygons overlap, the airspace's precedence decides.)
            let in_partner = |p: &&vigil_track::sim::TruthPoint| {
                air.fir_at(p.pos.pos, p.pos.height_m / 0.3048)
                    .is_some_and(|v| v.id == h.fir_to)
            };
            for p in x.trajectory.points.iter().filter(in_partner) {
                let d = fir.distance_to_boundary_m(p.pos.pos);
                assert!(
                    d < 3_000.0,
                    "{name}: {f} {d:.0} m inside {} at {}",
                    h.fir_to,
                    rel(truth, p.t)
                );
            }
        }
        for f in &h.to_fighters {
            let e = truth
                .escorts
                .iter()
                .find(|e| &e.fighter == f && e.start >= h.t)
                .unwrap();
            let lag = e.start - h.t;
            assert!(
                lag < 60.0,
                "{name}: {f} joined {lag:.0} s after the hand-over"
            );
        }
    }
}

#[test]
fn hand_overs_happen_on_the_boundary() {
    let s = load(DAY1);
    let t = generate(&s).unwrap();
    check_handovers(DAY1, &s, &t, &[("EPWW", "UMKK"), ("UMKK", "EPWW")]);
    let s = load(DAY2);
    let t = generate(&s).unwrap();
    check_handovers(DAY2, &s, &t, &[("LTAA", "URRV")]);
}

#[test]
fn escorts_stay_within_3_km_of_their_target() {
    for name in [DAY1, DAY2] {
        let t = generate(&load(name)).unwrap();
        assert!(!t.escorts.is_empty());
        for e in &t.escorts {
            let f = t.aircraft(&e.fighter).unwrap();
            let x = t.aircraft(&e.target).unwrap();
            let mut time = e.start;
            while time <= e.end {
                if let (Some(a), Some(b)) = (f.position_at(time), x.position_at(time)) {
                    let d = a.distance_m(&b);
                    assert!(
                        d < 3_000.0,
                        "{name}: {} {d:.0} m at {}",
                        e.fighter,
                        rel(&t, time)
                    );
                }
                time += 1.0;
            }
            assert!(e.end - e.start > 60.0, "{name}: escort {e:?} too short");
        }
    }
}

#[test]
fn landings_end_on_the_aerodrome_at_ground_level() {
    // (scenario, callsign, aerodrome lat, lon, elevation ft)
    let cases = [
        (DAY1, "VSX101", 54.0269, 19.1342, 16.0),
        (DAY1, "ZEUS31", 54.0269, 19.1342, 16.0),
        (DAY1, "HAWK11", 51.5517, 19.1792, 633.0),
        (DAY1, "SOKOL21", 54.766, 20.397, 105.0),
        (DAY2, "TKX202", 45.0021, 37.3473, 174.0),
        (DAY2, "ASENA41", 40.8292, 35.5217, 1758.0),
    ];
    for (name, cs, lat, lon, elev) in cases {
        let t = generate(&load(name)).unwrap();
        let a = t.aircraft(cs).unwrap();
        let last = a.trajectory.points.last().unwrap();
        assert!(last.t < t.end, "{cs} still flying at the end");
        let d = last.pos.pos.distance_m(&vigil_core::LatLon::new(lat, lon));
        assert!(d < 500.0, "{cs} landed {d:.0} m from the threshold");
        assert!((last.pos.height_m - elev * 0.3048).abs() < 1e-6, "{cs}");
        // And nothing after: it left the picture.
        assert!(a.position_at(last.t + 5.0).is_none());
    }
}

#[test]
fn day1_timelines_match_the_events() {
    let t = generate(&load(DAY1)).unwrap();
    let a = t.aircraft("VSX101").unwrap();
    let at = |s: f64| t.start + s;
    assert_eq!(a.squawk_at(at(0.0)), Some(0x4521));
    assert_eq!(a.squawk_at(at(1199.0)), Some(0x4521));
    assert_eq!(a.squawk_at(at(1200.0)), Some(0x7500));
    assert_eq!(a.squawk_at(at(1289.0)), Some(0x7500));
    assert_eq!(a.squawk_at(at(1290.0)), Some(0x4521));
    use vigil_sim::Emergency;
    assert_eq!(a.emergency_at(at(1199.0)), Emergency::None);
    assert_eq!(a.emergency_at(at(1250.0)), Emergency::UnlawfulInterference);
    assert_eq!(a.emergency_at(at(1290.0)), Emergency::None);
    assert!(a.transponder_on(at(1499.0)));
    assert!(!a.transponder_on(at(1500.0)));
    assert!(!a.transponder_on(t.end));
    assert!(a.radio_on(at(959.0)));
    assert!(!a.radio_on(at(960.0)));
    let reports: Vec<_> = t
        .reports
        .iter()
        .map(|r| (rel(&t, r.t), r.callsign.as_str(), r.kind, r.source.as_str()))
        .collect();
    assert_eq!(
        reports,
        vec![
            (
                1020.0,
                "VSX101",
                ReportKind::RadioContactLost,
                "EPWW ACC sector"
            ),
            (
                1110.0,
                "VSX101",
                ReportKind::NotFollowingAtc,
                "EPWW ACC sector"
            ),
        ]
    );
    // It leaves its filed route toward the north-east after the deviation.
    let p = a.position_at(at(2000.0)).unwrap();
    assert!(p.lon > 19.9, "{p:?}");
    // Fighters keep their codes and never switch off.
    let f = t.aircraft("HAWK11").unwrap();
    assert!(f.fighter && f.military);
    assert_eq!(f.squawk_at(at(2000.0)), Some(0x0401));
}

#[test]
fn day2_aircraft_is_silent() {
    let t = generate(&load(DAY2)).unwrap();
    let a = t.aircraft("TKX202").unwrap();
    assert!(a.transponder_on(t.start + 599.0));
    assert!(!a.transponder_on(t.start + 600.0));
    assert!(!a.radio_on(t.start + 600.0));
    assert_eq!(a.transponder_off, vec![(t.start + 600.0, None)]);
    assert_eq!(t.reports[0].kind, ReportKind::RadioContactLost);
    assert_eq!(rel(&t, t.reports[0].t), 600.0);
}

#[test]
fn filed_flight_plans_parse() {
    for name in [DAY1, DAY2] {
        let s = load(name);
        for a in &s.aircraft {
            let Some(text) = &a.flight_plan else { continue };
            let fp = vigil_flightplan::ats::FlightPlan::parse(text)
                .unwrap_or_else(|e| panic!("{name} {}: {e}", a.callsign));
            assert_eq!(fp.callsign, a.callsign);
            assert_eq!(Some(&fp.departure), a.from.as_ref());
        }
        // Carried through untouched.
        let t = generate(&s).unwrap();
        for a in &s.aircraft {
            assert_eq!(t.aircraft(&a.callsign).unwrap().flight_plan, a.flight_plan);
        }
    }
}

/// A fresh clone has no ../shared: the coarse fallback FIRs and no background. The
/// hand-overs happen at the same places (they depend on UMKK / URRV only).
#[test]
fn runs_without_the_shared_data() {
    for (name, n) in [(DAY1, 2), (DAY2, 1)] {
        let with = generate(&load(name)).unwrap();
        let mut s = Scenario::load(&scenario_path(name)).unwrap();
        if let Some(a) = s.airspace.as_mut() {
            a.eurofirs = Some("no/such/eurofirs.json".into());
        }
        if let Some(b) = s.background.as_mut() {
            b.file = "no/such/recording.json.gz".into();
        }
        let without = generate(&s).unwrap();
        assert!(
            without.notes.iter().any(|n| n.contains("coarse")),
            "{:?}",
            without.notes
        );
        assert_eq!(without.aircraft.iter().filter(|a| a.background).count(), 0);
        if s.background.is_some() {
            assert!(
                without
                    .notes
                    .iter()
                    .any(|n| n.contains("not found; no background"))
            );
        }
        assert_eq!(without.handovers.len(), n);
        for (a, b) in with.handovers.iter().zip(&without.handovers) {
            assert_eq!((&a.fir_from, &a.fir_to), (&b.fir_from, &b.fir_to), "{name}");
            if ["UMKK", "URRV"].contains(&a.fir_to.as_str()) {
                // Entries into the configured FIRs do not depend on eurofirs.json at all.
                assert_eq!((a.t, a.pos), (b.t, b.pos), "{name}");
            } else {
                // Entries into EPWW: the coarse polygon is within a few km of the real one.
                assert!((a.t - b.t).abs() < 20.0, "{name}: {} vs {}", a.t, b.t);
                assert!(a.pos.distance_m(&b.pos) < 4_000.0, "{name}");
            }
        }
    }
}

#[test]
fn background_traffic_is_shifted_and_moved() {
    let Some(_) = vigil_testdata::path("traffic/quickstart.json.gz") else {
        return;
    };
    let s = Scenario::load(&scenario_path(DAY1)).unwrap();
    let t = generate(&s).unwrap();
    let bg: Vec<_> = t.aircraft.iter().filter(|a| a.background).collect();
    assert!(!bg.is_empty() && bg.len() <= 50, "{}", bg.len());
    let mut n = 0.0;
    let (mut lat, mut lon) = (0.0, 0.0);
    for a in &bg {
        for p in &a.trajectory.points {
            assert!(p.t >= t.start && p.t <= t.end);
            lat += p.pos.pos.lat;
            lon += p.pos.pos.lon;
            n += 1.0;
        }
    }
    // Centred on the point asked (the mean of lat/lon after a local-frame move).
    assert!(
        (lat / n - 53.2).abs() < 0.5 && (lon / n - 19.5).abs() < 0.5,
        "{} {}",
        lat / n,
        lon / n
    );
    // No address clash with the exercise aircraft.
    let mut addrs: Vec<_> = t.aircraft.iter().map(|a| a.icao).collect();
    addrs.sort();
    addrs.dedup();
    assert_eq!(addrs.len(), t.aircraft.len());
}

#[test]
fn bad_scenarios_are_refused() {
    let base = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
    let good = std::fs::read_to_string(scenario_path(DAY2)).unwrap();
    assert!(Scenario::from_toml_str(&good, &base).is_ok());
    let check = |from: &str, to: &str| {
        assert!(good.contains(from), "{from}");
        let bad = good.replacen(from, to, 1);
        let r = Scenario::from_toml_str(&bad, &base);
        assert!(r.is_err(), "accepted with {to:?}");
    };
    check("duration_s = 4200", "duration_s = 4200\nbogus = 1");
    check(
        "start = \"2011-06-08T09:00:00Z\"",
        "start = \"2011-06-08 09:00\"",
    );
    check("intercept = \"TKX202\"", "intercept = \"NOBODY\"");
    check("squawk = \"5132\"", "squawk = \"5198\"");
    check("icao = \"4ba8c2\"", "icao = \"4b8041\""); // the F-16's address
    check("\"4145N03930E\"", "\"NOSUCHPOINT\"");
    check("from = \"LTFH\"", "from = \"XXXX\"");
    check("base = \"LTAP\"", "base = \"NOWHERE\"");
    check("transponder = \"off\"", "transponder = \"sometimes\"");
}
