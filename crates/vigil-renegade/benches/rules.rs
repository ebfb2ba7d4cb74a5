//! Indicators and categories for 10,000 tracks in one cycle (target: under 5 ms on one core).

#![allow(clippy::expect_used)] // a bench: a broken shipped config is a bug to see at once.
//!
//! A synthetic picture over Poland and the Baltic: 10,000 confirmed tracks on straight
//! courses, one in three correlated with a filed plan whose corridor (a real
//! `vigil-flightplan` corridor of 6 legs) the track follows within a few NM, the real restricted
//! areas of the shipped airspace config, five protected cities; a few tracks squawk 7600 or
//! 7500. Each iteration runs one cycle one second after the last (the steady state of a
//! centre: conditions evaluated, persistence advanced, nothing new raised).

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use vigil_airspace::{Airspace, AirspaceConfig};
use vigil_core::{IcaoAddress, LatLon, UnixTime};
use vigil_flightplan::ats::{Level, Speed};
use vigil_flightplan::route::{PointKind, ProfileOptions, RoutePoint};
use vigil_flightplan::{Corridor, ExpandedRoute};
use vigil_renegade::adapters::AirspaceAreas;
use vigil_renegade::{
    Callsign, City, EmergencyStatus, PlannedFlight, RenegadeConfig, RenegadeEngine, TrackView,
};

fn n() -> usize {
    std::env::var("RULES_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000)
}
const T0: f64 = 1_307_440_800.0;

fn corridor(start: LatLon, course: f64) -> Corridor {
    let points = (0..7)
        .map(|k| {
            let d = 80_000.0 * f64::from(k);
            let p = vigil_renegade::geometry::destination(start, course, d);
            RoutePoint {
                name: format!("P{k}"),
                pos: p,
                kind: if k == 0 || k == 6 {
                    PointKind::Aerodrome
                } else {
                    PointKind::Coordinates
                },
                via: None,
                change: None,
            }
        })
        .collect();
    let route = ExpandedRoute {
        points,
        warnings: Vec::new(),
        speed: Speed::Knots(450),
        level: Level::FlightLevel(350),
    };
    Corridor::new(&route, ProfileOptions::default())
}

fn setup() -> (RenegadeEngine, Vec<TrackView>) {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let mut cfg = RenegadeConfig::default();
    for (name, lat, lon) in [
        ("Warsaw", 52.2297, 21.0122),
        ("Gdansk", 54.352, 18.6466),
        ("Krakow", 50.0647, 19.945),
        ("Kaliningrad", 54.7104, 20.4522),
        ("Vilnius", 54.6872, 25.2797),
    ] {
        cfg.cities.push(City {
            name: name.into(),
            lat,
            lon,
            radius_km: 15.0,
        });
    }
    let mut engine = RenegadeEngine::new(cfg).expect("valid config");
    let airspace_toml = include_str!("../../vigil-airspace/data/airspace.toml");
    let mut config = AirspaceConfig::from_toml_str(airspace_toml).expect("shipped airspace config");
    let airspace = match vigil_testdata::path("aero/eurofirs.json") {
        Some(p) => Airspace::load(&p, &config).expect("airspace"),
        None => {
            // Without the European FIRs the release area (EPWW-UMKK) has no EPWW to lean on.
            config.release.clear();
            Airspace::from_parts(Vec::new(), &config).expect("airspace")
        }
    };
    if std::env::var_os("NO_RA").is_none() {
        engine.set_restricted_areas(Arc::new(AirspaceAreas::new(Arc::new(airspace))));
    }
    let mut plans = Vec::new();
    let mut views = Vec::with_capacity(n());
    for i in 0..n() {
        let pos = LatLon::new(rng.random_range(49.5..56.0), rng.random_range(14.0..24.0));
        let course: f64 = rng.random_range(0.0..360.0);
        let speed: f64 = rng.random_range(120.0..260.0);
        let cs = format!("BEN{i:04}");
        let icao = IcaoAddress::new(0x400000 + i as u32);
        let squawk = 0x1000 + (i as u16 & 0x0777);
        if i % 3 == 0 {
            // The plan starts 100 km behind the track, along its course, a few km aside.
            let back = vigil_renegade::geometry::destination(pos, course + 180.0, 100_000.0);
            let start = vigil_renegade::geometry::destination(back, course + 90.0, 3_000.0);
            plans.push(PlannedFlight {
                key: cs.clone(),
                callsign: Callsign::new(&cs),
                ssr: Some(squawk),
                icao: Some(icao),
                departure: "ZZZZ".into(),
                destination: "ZZZZ".into(),
                eobt: Some(UnixTime(T0 - 3_600.0)),
                departed: None,
                cruise_level_ft: Some(35_000.0),
                corridor: Some(Arc::new(corridor(start, course))),
            });
        }
        views.push(TrackView {
            id: i as u64,
            time: UnixTime(T0),
            pos,
            alt_ft: Some(rng.random_range(3_000.0..41_000.0)),
            vel_en: [
                speed * course.to_radians().sin(),
                speed * course.to_radians().cos(),
            ],
            vrate_fpm: rng.random_range(-3_000.0..3_000.0),
            icao: Some(icao),
            callsign: Callsign::new(&cs),
            squawk: Some(match i % 997 {
                0 => 0x7600,
                1 => 0x7500,
                _ => squawk,
            }),
            emergency: EmergencyStatus::None,
            transponder_lost: i % 1_999 == 0,
            confirmed: true,
            military: false,
        });
    }
    engine.set_plans(plans);
    // Warm up: correlation done, persistence settled.
    for k in 0..40 {
        let t = T0 + f64::from(k);
        for v in &mut views {
            v.time = UnixTime(t);
        }
        engine.cycle(UnixTime(t), &views);
    }
    (engine, views)
}

fn bench(c: &mut Criterion) {
    let (mut engine, mut views) = setup();
    let mut t = T0 + 40.0;
    let mut g = c.benchmark_group("renegade_cycle");
    g.bench_function("10000_tracks", |b| {
        b.iter(|| {
            t += 1.0;
            for v in views.iter_mut() {
                v.time = UnixTime(t);
            }
            black_box(engine.cycle(UnixTime(t), black_box(&views)))
        })
    });
    g.finish();
    eprintln!(
        "correlated tracks: {}, active alerts: {}",
        engine.stats().correlated,
        engine.active_alerts().count()
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
