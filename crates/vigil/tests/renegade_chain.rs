//! The renegade chain end to end: scenario truth → ADS-B squitters (Beast) and radar plots
//! (ASTERIX CAT048) → decoders, picture, tracker → rules → incidents. Vigilant Skies 2011
//! days 1 and 2, and the timing requirements of the renegade issue on small scenarios.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use vigil::exercise::{AdsbSite, ExerciseOptions, ExerciseResult, RadarSite, run};
use vigil_core::{IcaoAddress, LatLon};
use vigil_incident::ChannelKind;
use vigil_renegade::{Category, IndicatorKind};
use vigil_sim::{Scenario, Truth, build_airspace, generate};

fn scenarios() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scenarios")
}

fn baltic_sensors() -> ExerciseOptions {
    let (adsb, radars) = vigil::exercise::warszawa_sensors();
    ExerciseOptions::new(adsb, radars)
}

fn load(name: &str, background: bool) -> (Scenario, Truth, Option<Arc<vigil_airspace::Airspace>>) {
    let mut s = Scenario::load(&scenarios().join(name)).unwrap();
    if !background {
        s.background = None;
    }
    let truth = generate(&s).unwrap();
    let mut notes = Vec::new();
    let airspace = build_airspace(&s, &mut notes).unwrap().map(Arc::new);
    (s, truth, airspace)
}

fn renegade_tracks(r: &ExerciseResult, icao: &str) -> Vec<u64> {
    r.tracks(icao.parse::<IcaoAddress>().unwrap())
}

#[test]
fn vigilant_skies_day1() {
    let (s, truth, airspace) = load("vigilant_skies_2011_day1.toml", false);
    let start = truth.start;
    let r = run(&s, &truth, airspace, &baltic_sensors()).unwrap();
    eprintln!("stats: {:?}", r.stats);
    eprintln!("plan problems: {:?}", r.plan_problems);
    eprintln!("transponder lost: {:?}", r.transponder_lost);
    eprintln!("tracker: {}", r.tracker_stats);
    eprintln!("tracks of renegade: {:?}", r.tracks_of.get("48ae21"));
    for (id, (a, b)) in &r.lifetimes {
        if b - a > 600.0 || *b > start + 1400.0 && *a < start + 3000.0 && *a > start + 1400.0 {
            eprintln!("track {id}: {:.0}..{:.0}", a - start, b - start);
        }
    }
    assert!(r.plan_problems.is_empty(), "{:?}", r.plan_problems);
    let tracks = renegade_tracks(&r, "48ae21");
    assert!(!tracks.is_empty());
    for c in r.categories.iter().filter(|c| tracks.contains(&c.track)) {
        eprintln!("{:7.1} s track {} {:?}", c.t - start, c.track, c.category);
    }
    for a in r.alerts.iter().filter(|a| tracks.contains(&a.track)) {
        eprintln!(
            "alert {:7.1} s (started {:7.1}) {:?}: {}",
            a.raised.0 - start,
            a.started.0 - start,
            a.kind,
            a.detail
        );
    }
    // Radio loss reported at 1020 s: COMLOSS; not following ATC at 1110 s: SUSPECTED.
    let comloss = r.first(&tracks, Category::Comloss).unwrap() - start;
    let suspected = r.first(&tracks, Category::Suspected).unwrap() - start;
    assert!((1020.0..=1022.0).contains(&comloss), "COMLOSS at {comloss}");
    assert!(suspected <= 1112.0, "SUSPECTED at {suspected}");
    // The route deviation, the hijack code and the code change were all seen.
    let kinds: Vec<IndicatorKind> = r
        .alerts
        .iter()
        .filter(|a| tracks.contains(&a.track))
        .map(|a| a.kind)
        .collect();
    for k in [
        IndicatorKind::RadioContactLost,
        IndicatorKind::NotFollowingAtc,
        IndicatorKind::LateralDeviation,
        IndicatorKind::Squawk7500,
        IndicatorKind::AdsbUnlawfulInterference,
        IndicatorKind::TransponderLost,
    ] {
        assert!(kinds.contains(&k), "{k:?} missing from {kinds:?}");
    }
    // One incident for the renegade; national chain and partner notified at one moment.
    let inc: Vec<_> = r
        .incidents
        .iter()
        .filter(|i| tracks.iter().any(|t| i.subject == format!("track:{t}")))
        .collect();
    assert_eq!(
        inc.len(),
        1,
        "{:?}",
        r.incidents.iter().map(|i| &i.subject).collect::<Vec<_>>()
    );
    let notes: Vec<_> = r
        .notifications
        .iter()
        .filter(|n| n.incident == inc[0].id)
        .collect();
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert_eq!(notes[0].at, notes[1].at);
    assert!(
        notes
            .iter()
            .any(|n| n.channel == ChannelKind::NationalChain)
    );
    assert!(
        notes
            .iter()
            .any(|n| n.channel == ChannelKind::Partner("RU".into()))
    );
    // The transponder goes off at 1500 s: the track carries on, flagged, with one number.
    assert!(
        tracks.iter().any(|t| r.transponder_lost.contains(t)),
        "transponder lost never flagged on {tracks:?}"
    );
    assert_eq!(
        tracks.len(),
        1,
        "one system track for the renegade: {tracks:?}"
    );
    // No other aircraft (the fighters) raised an incident.
    assert_eq!(
        r.incidents.len(),
        1,
        "{:?}",
        r.incidents.iter().map(|i| &i.subject).collect::<Vec<_>>()
    );

    // The Polish fighters' time to intercept, as the duty officers see it: one minute before
    // the first escort joins, the prediction says it is close.
    let join = truth
        .escorts
        .iter()
        .map(|e| e.start)
        .fold(f64::INFINITY, f64::min);
    let f16 = truth
        .aircraft
        .iter()
        .find(|a| a.fighter)
        .unwrap()
        .icao
        .to_string();
    let before: Vec<_> = r
        .intercepts
        .iter()
        .filter(|x| tracks.contains(&x.track) && x.fighter_icao.as_deref() == Some(f16.as_str()))
        .filter(|x| (50.0..=70.0).contains(&(join - x.made_at)))
        .collect();
    eprintln!(
        "time to intercept one minute before the join: {:?}",
        before
            .iter()
            .map(|x| x.time_to_intercept_s)
            .collect::<Vec<_>>()
    );
    assert!(
        !before.is_empty(),
        "no intercept prediction before the join"
    );
    assert!(before.iter().all(|x| x.time_to_intercept_s <= 120.0));
    // The hand-over at the EPWW/UMKK boundary, predicted within 5 km and 60 s from a
    // prediction made two to five minutes before it happens.
    let h = &truth.handovers[0];
    let close: Vec<_> = r
        .predictions
        .iter()
        .filter(|p| tracks.contains(&p.track))
        .filter(|p| (120.0..=300.0).contains(&(h.t - p.made_at)))
        .collect();
    assert!(
        !close.is_empty(),
        "no prediction 2-5 min before the hand-over"
    );
    for p in &close {
        let d = p.crossing.pos.distance_m(&h.pos);
        let dt = p.crossing.t - h.t;
        eprintln!(
            "prediction at -{:.0} s: {:?} -> {:?}, {:.0} m and {:+.0} s from the hand-over",
            h.t - p.made_at,
            p.crossing.from,
            p.crossing.to,
            d,
            dt
        );
        assert!(d <= 5_000.0 && dt.abs() <= 60.0, "{d} m, {dt} s");
        assert_eq!(p.crossing.to.as_deref(), Some("UMKK"));
    }
}

#[test]
fn vigilant_skies_day2() {
    let (s, truth, airspace) = load("vigilant_skies_2011_day2.toml", false);
    let start = truth.start;
    let site = LatLon::new(41.28, 36.30);
    let options = ExerciseOptions::new(
        vec![AdsbSite {
            name: "adsb-samsun".into(),
            pos: site,
            range_km: 450.0,
        }],
        vec![
            RadarSite {
                name: "radar-samsun".into(),
                sac: 0x40,
                sic: 1,
                pos: site,
                height_m: 400.0,
                period_s: 6.0,
                range_nm: 250.0,
                false_per_scan: 5.0,
            },
            RadarSite {
                name: "radar-trabzon".into(),
                sac: 0x40,
                sic: 2,
                pos: LatLon::new(41.00, 39.72),
                height_m: 300.0,
                period_s: 10.0,
                range_nm: 250.0,
                false_per_scan: 5.0,
            },
        ],
    );
    let r = run(&s, &truth, airspace, &options).unwrap();
    let renegade = truth
        .aircraft
        .iter()
        .find(|a| !a.military && !a.background)
        .unwrap();
    let tracks = r.tracks(renegade.icao);
    for c in r.categories.iter().filter(|c| tracks.contains(&c.track)) {
        eprintln!("{:7.1} s track {} {:?}", c.t - start, c.track, c.category);
    }
    let suspected = r.first(&tracks, Category::Suspected).unwrap() - start;
    eprintln!("SUSPECTED at {suspected:.0} s");
    assert!(suspected <= 700.0);
    assert!(tracks.iter().any(|t| r.transponder_lost.contains(t)));
    let h = &truth.handovers[0];
    let close: Vec<_> = r
        .predictions
        .iter()
        .filter(|p| tracks.contains(&p.track))
        .filter(|p| (60.0..=180.0).contains(&(h.t - p.made_at)))
        .collect();
    assert!(
        !close.is_empty(),
        "no prediction 1-3 min before the hand-over"
    );
    for p in &close {
        let d = p.crossing.pos.distance_m(&h.pos);
        let dt = p.crossing.t - h.t;
        eprintln!(
            "prediction at -{:.0} s: {d:.0} m, {dt:+.0} s",
            h.t - p.made_at
        );
        assert!(d <= 5_000.0 && dt.abs() <= 60.0, "{d} m, {dt} s");
    }
}

/// A scenario with one airliner over Poland, events given as TOML.
fn small(events: &str, plan: bool) -> (Scenario, Truth) {
    let fpl = if plan {
        r#"flight_plan = """
(FPL-TST101-IS
-B738/M-SDFGIRWY/LB1
-EPKK0900
-N0440F330 DCT 5130N01930E DCT 5330N01850E DCT
-EPGD0050
-DOF/110607)"""
"#
    } else {
        ""
    };
    let text = format!(
        r#"
name = "test"
start = "2011-06-07T09:00:00Z"
duration_s = 900
seed = 1
[[aerodrome]]
id = "EPKK"
lat = 50.0777
lon = 19.7848
elevation_ft = 791
[[aerodrome]]
id = "EPGD"
lat = 54.3776
lon = 18.4662
elevation_ft = 489
[[aircraft]]
callsign = "TST101"
icao = "48ae99"
squawk = "4521"
{fpl}
at = {{ lat = 52.00, lon = 19.3333, alt_ft = 33000, course = 348.5, speed_kt = 440 }}
route = ["5330N01850E", "EPGD"]
alt_ft = 33000
speed_kt = 440
{events}
"#
    );
    let s = Scenario::from_toml_str(&text, Path::new(".")).unwrap();
    let truth = generate(&s).unwrap();
    (s, truth)
}

fn poland_sensors() -> ExerciseOptions {
    let mut o = baltic_sensors();
    o.adsb[0].pos = LatLon::new(52.17, 20.97);
    o
}

#[test]
fn squawk_7500_is_suspected_within_two_seconds_of_the_first_report() {
    let (s, truth) = small(
        r#"
[[aircraft.event]]
at_s = 300
squawk = "7500"
"#,
        false,
    );
    let r = run(&s, &truth, None, &poland_sensors()).unwrap();
    let tracks = renegade_tracks(&r, "48ae99");
    // The first frame carrying 7500 reaches the centre within the second after 300 s.
    let suspected = r.first(&tracks, Category::Suspected).unwrap() - truth.start;
    eprintln!("SUSPECTED at {suspected:.1} s");
    assert!((300.0..=302.0).contains(&suspected), "{suspected}");
}

#[test]
fn ten_nm_deviation_with_radio_silence_is_suspected_within_60_s() {
    let (s, truth) = small(
        r#"
[[aircraft.event]]
at_s = 120
radio = "silent"
reported_by = "EPWW ACC"
report_delay_s = 30
[[aircraft.event]]
at_s = 180
deviate_to = [{ lat = 52.9, lon = 20.6 }]
"#,
        true,
    );
    let r = run(&s, &truth, None, &poland_sensors()).unwrap();
    assert!(r.plan_problems.is_empty(), "{:?}", r.plan_problems);
    let tracks = renegade_tracks(&r, "48ae99");
    // When does the truth first lie 10 NM off the filed route?
    let route = [
        LatLon::new(50.0777, 19.7848),
        LatLon::new(51.5, 19.5),
        LatLon::new(53.5, 18.8333),
        LatLon::new(54.3776, 18.4662),
    ];
    let a = truth.aircraft("TST101").unwrap();
    let off = |p: LatLon| {
        route
            .windows(2)
            .map(|w| cross_track(p, w[0], w[1]))
            .fold(f64::INFINITY, f64::min)
    };
    let t10 = a
        .trajectory
        .points
        .iter()
        .find(|p| off(p.pos.pos) >= 10.0 * 1852.0)
        .unwrap()
        .t;
    let suspected = r.first(&tracks, Category::Suspected).unwrap();
    eprintln!(
        "10 NM off at {:.0} s, SUSPECTED at {:.0} s",
        t10 - truth.start,
        suspected - truth.start
    );
    assert!(suspected <= t10 + 60.0);
}

/// Distance from `p` to the segment `a`–`b`, flat around `a` (short segments).
fn cross_track(p: LatLon, a: LatLon, b: LatLon) -> f64 {
    let k = 111_195.0;
    let c = a.lat.to_radians().cos();
    let (px, py) = ((p.lon - a.lon) * k * c, (p.lat - a.lat) * k);
    let (bx, by) = ((b.lon - a.lon) * k * c, (b.lat - a.lat) * k);
    let f = ((px * bx + py * by) / (bx * bx + by * by)).clamp(0.0, 1.0);
    (px - f * bx).hypot(py - f * by)
}

#[test]
fn the_same_scenario_gives_the_same_incidents_twice() {
    let (s, truth) = small(
        r#"
[[aircraft.event]]
at_s = 100
squawk = "7600"
"#,
        true,
    );
    let a = serde_json::to_string(&run(&s, &truth, None, &poland_sensors()).unwrap()).unwrap();
    let b = serde_json::to_string(&run(&s, &truth, None, &poland_sensors()).unwrap()).unwrap();
    assert_eq!(a, b);
    assert!(a.contains("COMLOSS"));
}
