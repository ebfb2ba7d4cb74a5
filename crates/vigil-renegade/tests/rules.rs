//! The renegade rules on constructed flights: each indicator, its persistence, the category
//! ladder, reports, and what never fires.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use proptest::prelude::*;
use vigil_core::{IcaoAddress, LatLon, UnixTime};
use vigil_renegade::context::{Flat, point_segment};
use vigil_renegade::geometry::destination;
use vigil_renegade::{
    Callsign, Category, City, EmergencyStatus, IndicatorKind, PlannedFlight, RenegadeConfig,
    RenegadeEngine, Report, ReportError, ReportKind, ReportSubject, RestrictedAreas, RouteCorridor,
    RouteDeviation, TrackView,
};

/// A straight corridor between two points at one level (flat frame around its start).
struct Line {
    a: LatLon,
    b: LatLon,
    level_ft: f64,
}

impl RouteCorridor for Line {
    fn deviation(&self, pos: LatLon) -> Option<RouteDeviation> {
        let f = Flat::new(self.a);
        let (d, frac) = point_segment(f.xy(pos), (0.0, 0.0), f.xy(self.b));
        let len = self.a.distance_m(&self.b);
        Some(RouteDeviation {
            cross_track_m: d,
            along_track_m: frac * len,
        })
    }
    fn planned_level_ft(&self, _along: f64) -> Option<f64> {
        Some(self.level_ft)
    }
    fn passes_within(&self, pos: LatLon, radius_m: f64) -> bool {
        self.deviation(pos).unwrap().cross_track_m <= radius_m
    }
}

/// Circular restricted areas.
struct Circles(Vec<(String, LatLon, f64)>);

impl RestrictedAreas for Circles {
    fn restricted_at(&self, pos: LatLon, _alt: f64) -> Option<String> {
        self.0
            .iter()
            .find(|(_, c, r)| pos.distance_m(c) <= *r)
            .map(|(n, _, _)| n.clone())
    }
    fn first_entry(&self, from: LatLon, to: LatLon, _alt: f64) -> Option<(String, f64)> {
        let f = Flat::new(from);
        self.0
            .iter()
            .filter_map(|(n, c, r)| {
                let (d, frac) = point_segment(f.xy(*c), (0.0, 0.0), f.xy(to));
                (d <= *r).then(|| (n.clone(), frac))
            })
            .min_by(|a, b| a.1.total_cmp(&b.1))
    }
}

const T0: f64 = 1_307_440_800.0; // 2011-06-07 10:00 UTC

fn view(id: u64, t: f64, pos: LatLon, course_deg: f64) -> TrackView {
    let v = 230.0;
    TrackView {
        id,
        time: UnixTime(t),
        pos,
        alt_ft: Some(36_000.0),
        vel_en: [
            v * course_deg.to_radians().sin(),
            v * course_deg.to_radians().cos(),
        ],
        vrate_fpm: 0.0,
        icao: Some(IcaoAddress::new(0x48AF01)),
        callsign: Callsign::new("LOT3917"),
        squawk: Some(0x4521),
        emergency: EmergencyStatus::None,
        transponder_lost: false,
        confirmed: true,
        military: false,
    }
}

fn plan(a: LatLon, b: LatLon) -> PlannedFlight {
    PlannedFlight {
        key: "LOT3917 EPKK-EPGD 110607".into(),
        callsign: Callsign::new("LOT3917"),
        ssr: Some(0x4521),
        icao: Some(IcaoAddress::new(0x48AF01)),
        departure: "EPKK".into(),
        destination: "EPGD".into(),
        eobt: Some(UnixTime(T0 - 1_800.0)),
        departed: None,
        cruise_level_ft: Some(36_000.0),
        corridor: Some(Arc::new(Line {
            a,
            b,
            level_ft: 36_000.0,
        })),
    }
}

const KRAKOW: LatLon = LatLon {
    lat: 50.0777,
    lon: 19.7848,
};
const GDANSK: LatLon = LatLon {
    lat: 54.3776,
    lon: 18.4662,
};

/// Flies a track for `secs` seconds at 1 Hz from `start` on `course`, calling `each` to adjust
/// the view; returns the engine and the category history (time, category).
fn fly(
    engine: &mut RenegadeEngine,
    start: LatLon,
    course: impl Fn(f64) -> f64,
    secs: usize,
    mut each: impl FnMut(f64, &mut TrackView, &mut RenegadeEngine),
) -> Vec<(f64, Category)> {
    let mut pos = start;
    let mut hist = Vec::new();
    for k in 0..secs {
        let t = T0 + k as f64;
        let c = course(k as f64);
        let mut v = view(1, t, pos, c);
        each(k as f64, &mut v, engine);
        engine.cycle(UnixTime(t), &[v]);
        hist.push((k as f64, engine.category(1)));
        pos = destination(pos, c, v.speed_mps());
    }
    hist
}

fn first_at(hist: &[(f64, Category)], cat: Category) -> Option<f64> {
    hist.iter().find(|(_, c)| *c >= cat).map(|(t, _)| *t)
}

fn bearing(a: LatLon, b: LatLon) -> f64 {
    let f = Flat::new(a);
    let (x, y) = f.xy(b);
    x.atan2(y).to_degrees()
}

#[test]
fn squawk_7500_is_suspected_within_two_seconds() {
    let mut e = RenegadeEngine::new(RenegadeConfig::default()).unwrap();
    let hist = fly(
        &mut e,
        KRAKOW,
        |_| 0.0,
        30,
        |k, v, _| {
            if k >= 10.0 {
                v.squawk = Some(0x7500);
            }
        },
    );
    let t = first_at(&hist, Category::Suspected).unwrap();
    assert!(
        (10.0..=12.0).contains(&t),
        "SUSPECTED at {t}, first 7500 at 10"
    );
    let a: Vec<_> = e.active_alerts().collect();
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].kind, IndicatorKind::Squawk7500);
    assert_eq!(a[0].started, UnixTime(T0 + 10.0));
    assert!(a[0].detail.contains("7500"), "{}", a[0].detail);
}

#[test]
fn adsb_unlawful_interference_is_suspected_and_7700_is_not() {
    let mut e = RenegadeEngine::new(RenegadeConfig::default()).unwrap();
    let hist = fly(
        &mut e,
        KRAKOW,
        |_| 0.0,
        20,
        |k, v, _| {
            if k >= 5.0 {
                v.emergency = EmergencyStatus::UnlawfulInterference;
            }
        },
    );
    assert_eq!(first_at(&hist, Category::Suspected), Some(5.0));
    let mut e = RenegadeEngine::new(RenegadeConfig::default()).unwrap();
    let hist = fly(
        &mut e,
        KRAKOW,
        |_| 0.0,
        20,
        |k, v, _| {
            if k >= 5.0 {
                v.squawk = Some(0x7700);
                v.emergency = EmergencyStatus::General;
            }
        },
    );
    assert_eq!(first_at(&hist, Category::Comloss), None);
    let kinds: Vec<_> = e.active_alerts().map(|a| a.kind).collect();
    assert_eq!(
        kinds,
        vec![IndicatorKind::Squawk7700, IndicatorKind::AdsbEmergency]
    );
}

#[test]
fn squawk_7600_is_comloss_and_clears_after_the_code_goes() {
    let cfg = RenegadeConfig::default();
    let clear = cfg.clear_after_s;
    let mut e = RenegadeEngine::new(cfg).unwrap();
    let hist = fly(
        &mut e,
        KRAKOW,
        |_| 0.0,
        200,
        |k, v, _| {
            if (10.0..50.0).contains(&k) {
                v.squawk = Some(0x7600);
            }
        },
    );
    assert_eq!(first_at(&hist, Category::Comloss), Some(10.0));
    let back = hist
        .iter()
        .skip(50)
        .find(|(_, c)| *c == Category::None)
        .unwrap()
        .0;
    assert_eq!(back, 49.0 + clear, "cleared {clear} s after the last 7600");
    assert_eq!(e.cleared_alerts().count(), 1);
}

#[test]
fn ten_nm_deviation_with_radio_silence_is_suspected_within_60_s() {
    let mut e = RenegadeEngine::new(RenegadeConfig::default()).unwrap();
    e.set_plans(vec![plan(KRAKOW, GDANSK)]);
    let on_route = bearing(KRAKOW, GDANSK);
    // On route for 5 minutes, radio silent from minute 4, then 40° off to the right.
    let mut reached_10nm = None;
    let hist = fly(
        &mut e,
        KRAKOW,
        |k| if k < 300.0 { on_route } else { on_route + 40.0 },
        900,
        |k, v, e| {
            if k == 240.0 {
                e.report(
                    UnixTime(v.time.0),
                    &Report {
                        subject: ReportSubject::Callsign("LOT3917".into()),
                        kind: ReportKind::RadioContactLost,
                        source: "EPWW ACC sector K".into(),
                        remark: None,
                    },
                )
                .unwrap();
            }
            let d = plan(KRAKOW, GDANSK)
                .corridor
                .unwrap()
                .deviation(v.pos)
                .unwrap()
                .cross_track_m;
            if reached_10nm.is_none() && d >= 10.0 * 1_852.0 {
                reached_10nm = Some(k);
            }
        },
    );
    let comloss = first_at(&hist, Category::Comloss).unwrap();
    assert!(comloss <= 241.0, "COMLOSS at {comloss}");
    let at10 = reached_10nm.unwrap();
    let sus = first_at(&hist, Category::Suspected).unwrap();
    assert!(
        sus <= at10 + 60.0,
        "SUSPECTED at {sus}, 10 NM off at {at10}"
    );
    assert!(sus > 300.0, "not before the deviation");
    let kinds: Vec<_> = e.alerts_of(1).map(|a| a.kind).collect();
    assert!(kinds.contains(&IndicatorKind::LateralDeviation));
    assert!(kinds.contains(&IndicatorKind::RadioContactLost));
    assert_eq!(e.plan_of(1).unwrap().key, "LOT3917 EPKK-EPGD 110607");
}

#[test]
fn rules_that_need_a_plan_do_not_fire_without_one() {
    let mut e = RenegadeEngine::new(RenegadeConfig {
        cities: vec![City {
            name: "Warsaw".into(),
            lat: 52.2297,
            lon: 21.0122,
            radius_km: 20.0,
        }],
        ..RenegadeConfig::default()
    })
    .unwrap();
    let to_warsaw = bearing(KRAKOW, LatLon::new(52.2297, 21.0122));
    fly(
        &mut e,
        KRAKOW,
        |_| to_warsaw,
        600,
        |_, v, _| {
            v.squawk = Some(0x1234);
            v.alt_ft = Some(20_000.0);
        },
    );
    assert_eq!(e.active_alerts().count(), 0);
    assert_eq!(e.category(1), Category::None);
}

#[test]
fn unexplained_code_change_and_transponder_loss_are_one_criterion() {
    let mut e = RenegadeEngine::new(RenegadeConfig::default()).unwrap();
    e.set_plans(vec![plan(KRAKOW, GDANSK)]);
    let on_route = bearing(KRAKOW, GDANSK);
    let hist = fly(
        &mut e,
        KRAKOW,
        |_| on_route,
        300,
        |k, v, _| {
            if k >= 10.0 {
                v.squawk = Some(0x1234);
            }
            if k >= 100.0 {
                v.transponder_lost = true;
                v.squawk = None;
            }
        },
    );
    assert_eq!(first_at(&hist, Category::Comloss), None);
    let kinds: Vec<_> = e
        .active_alerts()
        .chain(e.cleared_alerts())
        .map(|a| a.kind)
        .collect();
    assert!(kinds.contains(&IndicatorKind::SquawkChange), "{kinds:?}");
    assert!(kinds.contains(&IndicatorKind::TransponderLost), "{kinds:?}");
}

#[test]
fn transponder_lost_while_deviating_is_suspected() {
    let mut e = RenegadeEngine::new(RenegadeConfig::default()).unwrap();
    e.set_plans(vec![plan(KRAKOW, GDANSK)]);
    let on_route = bearing(KRAKOW, GDANSK);
    let hist = fly(
        &mut e,
        KRAKOW,
        |k| if k < 120.0 { on_route } else { on_route - 60.0 },
        600,
        |k, v, _| {
            if k >= 150.0 {
                // The tracker keeps the track on primary plots: identity gone.
                v.transponder_lost = true;
                v.squawk = None;
                v.callsign = None;
                v.icao = None;
            }
        },
    );
    assert!(first_at(&hist, Category::Suspected).is_some());
    // The plan stays correlated though the identity is gone.
    assert!(e.plan_of(1).is_some());
}

#[test]
fn level_deviation_needs_time() {
    let cfg = RenegadeConfig::default();
    let persist = cfg.level_persist_s;
    let mut e = RenegadeEngine::new(cfg).unwrap();
    e.set_plans(vec![plan(KRAKOW, GDANSK)]);
    let on_route = bearing(KRAKOW, GDANSK);
    let mut raised_at = None;
    fly(
        &mut e,
        KRAKOW,
        |_| on_route,
        400,
        |k, v, e| {
            if k >= 100.0 {
                v.alt_ft = Some(31_000.0);
            }
            if raised_at.is_none()
                && e.alerts_of(1)
                    .any(|a| a.kind == IndicatorKind::LevelDeviation)
            {
                raised_at = Some(k);
            }
        },
    );
    // Raised at the cycle of second 100 + persist; seen by the closure one second later.
    assert_eq!(raised_at, Some(100.0 + persist + 1.0));
}

#[test]
fn steep_descent_toward_a_restricted_area_is_suspected_and_low_level_flying_is_not() {
    let area = destination(KRAKOW, 0.0, 60_000.0);
    let mut e = RenegadeEngine::new(RenegadeConfig::default()).unwrap();
    e.set_restricted_areas(Arc::new(Circles(vec![("EPR1".into(), area, 10_000.0)])));
    let hist = fly(
        &mut e,
        KRAKOW,
        |_| 0.0,
        300,
        |k, v, _| {
            v.vrate_fpm = -7_000.0;
            v.alt_ft = Some((36_000.0 - 7_000.0 * k / 60.0).max(6_000.0));
        },
    );
    // Steep descent raises at 20 s; toward the area at 30 s (one criterion: profile) …
    let kinds: Vec<_> = e
        .active_alerts()
        .chain(e.cleared_alerts())
        .map(|a| a.kind)
        .collect();
    assert!(kinds.contains(&IndicatorKind::SteepDescent), "{kinds:?}");
    assert!(
        kinds.contains(&IndicatorKind::TowardRestrictedArea),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&IndicatorKind::RestrictedAreaEntry),
        "{kinds:?}"
    );
    // … all one criterion, abnormal profile: no category by itself.
    assert_eq!(first_at(&hist, Category::Comloss), None);

    // Low-level flying (a demonstration flight at 1,500 ft) never counts as steep descent.
    let mut e = RenegadeEngine::new(RenegadeConfig::default()).unwrap();
    fly(
        &mut e,
        KRAKOW,
        |_| 0.0,
        120,
        |_, v, _| {
            v.vrate_fpm = -8_000.0;
            v.alt_ft = Some(1_500.0);
        },
    );
    assert_eq!(e.active_alerts().count(), 0);
}

#[test]
fn toward_a_city_off_the_route() {
    let warsaw = LatLon::new(52.2297, 21.0122);
    let mut e = RenegadeEngine::new(RenegadeConfig {
        cities: vec![City {
            name: "Warsaw".into(),
            lat: warsaw.lat,
            lon: warsaw.lon,
            radius_km: 20.0,
        }],
        ..RenegadeConfig::default()
    })
    .unwrap();
    e.set_plans(vec![plan(KRAKOW, GDANSK)]);
    // Start 100 km from Warsaw heading to it: reached in ~ 350 s < 600 s look-ahead.
    let start = destination(warsaw, 200.0, 100_000.0);
    let c = bearing(start, warsaw);
    fly(&mut e, start, |_| c, 60, |_, _, _| {});
    let a: Vec<_> = e.alerts_of(1).collect();
    assert!(
        a.iter()
            .any(|a| a.kind == IndicatorKind::TowardCity && a.detail.contains("Warsaw")),
        "{a:?}"
    );
}

#[test]
fn reports_resolve_their_subject_or_say_why_not() {
    let mut e = RenegadeEngine::new(RenegadeConfig::default()).unwrap();
    let mut a = view(1, T0, KRAKOW, 0.0);
    let mut b = view(2, T0, GDANSK, 0.0);
    b.callsign = Callsign::new("LOT3917");
    b.icao = Some(IcaoAddress::new(0x48AF02));
    e.cycle(UnixTime(T0), &[a, b]);
    let rep = |subject| Report {
        subject,
        kind: ReportKind::NotFollowingAtc,
        source: "op".into(),
        remark: None,
    };
    assert!(matches!(
        e.report(
            UnixTime(T0),
            &rep(ReportSubject::Callsign("LOT3917".into()))
        ),
        Err(ReportError::Ambiguous(_))
    ));
    assert!(matches!(
        e.report(UnixTime(T0), &rep(ReportSubject::Callsign("SAS1".into()))),
        Err(ReportError::UnknownSubject(_))
    ));
    assert_eq!(
        e.report(
            UnixTime(T0),
            &rep(ReportSubject::Icao(IcaoAddress::new(0x48AF02)))
        ),
        Ok(2)
    );
    a.time = UnixTime(T0 + 1.0);
    b.time = UnixTime(T0 + 1.0);
    e.cycle(UnixTime(T0 + 1.0), &[a, b]);
    assert_eq!(
        e.alerts_of(2).map(|a| a.kind).collect::<Vec<_>>(),
        vec![IndicatorKind::NotFollowingAtc]
    );
    e.report(
        UnixTime(T0 + 2.0),
        &Report {
            subject: ReportSubject::Track(2),
            kind: ReportKind::FollowingAtc,
            source: "op".into(),
            remark: None,
        },
    )
    .unwrap();
    e.cycle(UnixTime(T0 + 2.0), &[a, b]);
    assert_eq!(e.alerts_of(2).count(), 0);
}

#[test]
fn fighters_and_tentative_tracks_raise_nothing() {
    let mut e = RenegadeEngine::new(RenegadeConfig::default()).unwrap();
    let mut f = view(7, T0, KRAKOW, 0.0);
    f.military = true;
    f.squawk = Some(0x7500);
    let mut t = view(8, T0, GDANSK, 0.0);
    t.confirmed = false;
    t.squawk = Some(0x7500);
    for k in 0..10 {
        f.time = UnixTime(T0 + f64::from(k));
        t.time = f.time;
        e.cycle(f.time, &[f, t]);
    }
    assert_eq!(e.active_alerts().count(), 0);
}

#[test]
fn forgotten_tracks_clear_their_alerts() {
    let mut e = RenegadeEngine::new(RenegadeConfig::default()).unwrap();
    let mut v = view(1, T0, KRAKOW, 0.0);
    v.squawk = Some(0x7500);
    e.cycle(UnixTime(T0), &[v]);
    assert_eq!(e.active_alerts().count(), 1);
    let r = e.cycle(UnixTime(T0 + 1_000.0), &[]);
    assert_eq!(r.forgotten, vec![1]);
    assert_eq!(r.cleared.len(), 1);
    assert_eq!(e.active_alerts().count(), 0);
}

fn arb_view() -> impl Strategy<Value = TrackView> {
    (
        0u64..20,
        prop_oneof![Just(f64::NAN), -100.0f64..100.0],
        prop_oneof![Just(f64::INFINITY), 40.0f64..60.0],
        10.0f64..30.0,
        prop::option::of(-1_000.0f64..50_000.0),
        -400.0f64..400.0,
        -400.0f64..400.0,
        -10_000.0f64..10_000.0,
        prop::option::of(prop_oneof![
            Just(0x7500u16),
            Just(0x7600),
            Just(0x7700),
            Just(0x1234),
            Just(0x4521)
        ]),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(id, dt, lat, lon, alt, ve, vn, vr, sq, lost, conf, ui)| {
            let mut v = view(id, T0 + dt, LatLon::new(lat, lon), 0.0);
            v.alt_ft = alt;
            v.vel_en = [ve, vn];
            v.vrate_fpm = vr;
            v.squawk = sq;
            v.transponder_lost = lost;
            v.confirmed = conf;
            if ui {
                v.emergency = EmergencyStatus::UnlawfulInterference;
            }
            v
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    /// Whatever the input (NaN, infinities, time going backwards), the engine never panics,
    /// never computes PROBABLE or CONFIRMED, and runs the same way twice.
    #[test]
    fn never_panics_never_exceeds_suspected_and_is_deterministic(
        cycles in prop::collection::vec(prop::collection::vec(arb_view(), 0..10), 1..20)
    ) {
        let run = || {
            let mut e = RenegadeEngine::new(RenegadeConfig::default()).unwrap();
            e.set_plans(vec![plan(KRAKOW, GDANSK)]);
            let mut out = Vec::new();
            for (k, views) in cycles.iter().enumerate() {
                let r = e.cycle(UnixTime(T0 + k as f64 * 5.0), views);
                for c in &r.categories {
                    assert!(c.to <= Category::Suspected);
                }
                out.push(serde_json::to_string(&r).unwrap());
            }
            out
        };
        prop_assert_eq!(run(), run());
    }
}
