//! The crowd simulator: speeds, densities, walls, overlaps, routing to platforms,
//! carriers, trains, determinism.
// Helpers outside #[test] functions may panic too: a panic is the failure report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use vigil_station::{
    Crowd, PersonTruth, ScenarioConfig, SimId, Site, SiteConfig, Station, ZoneKind, weidmann_factor,
};

fn example() -> Site {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../config/stations/example.toml");
    Site::load(&path).expect("example station")
}

/// Runs `scenario` to its end, calling `each` after every step with the previous people.
fn run(
    station: &Station,
    scenario: &ScenarioConfig,
    mut each: impl FnMut(&Crowd, &[PersonTruth]),
) -> Crowd {
    let mut crowd = Crowd::new(station, scenario).expect("crowd");
    let mut prev = crowd.people().to_vec();
    while !crowd.finished() {
        crowd.step(scenario.dt_s);
        each(&crowd, &prev);
        prev.clear();
        prev.extend_from_slice(crowd.people());
    }
    crowd
}

struct Stats {
    steps: usize,
    wall_crossings: usize,
    outside: usize,
    min_distance: f64,
    close_pairs: usize,
    pair_samples: usize,
    max_density: f64,
    peak: usize,
}

/// The example scenario run once (seed 1) and shared by the tests that read it.
fn example_run() -> &'static (Crowd, Stats) {
    static RUN: std::sync::OnceLock<(Crowd, Stats)> = std::sync::OnceLock::new();
    RUN.get_or_init(|| example_stats(1))
}

fn example_stats(seed: u64) -> (Crowd, Stats) {
    let site = example();
    let mut scenario = site.scenario.clone().expect("scenario");
    scenario.seed = seed;
    let st = site.station.clone();
    let mut s = Stats {
        steps: 0,
        wall_crossings: 0,
        outside: 0,
        min_distance: f64::INFINITY,
        close_pairs: 0,
        pair_samples: 0,
        max_density: 0.0,
        peak: 0,
    };
    let crowd = run(&site.station, &scenario, |crowd, prev| {
        s.steps += 1;
        let before: BTreeMap<SimId, [f64; 2]> = prev.iter().map(|p| (p.id, p.position)).collect();
        let people = crowd.people();
        s.peak = s.peak.max(people.len());
        for p in people {
            if st.zone_at(p.position).is_none() {
                s.outside += 1;
            }
            if let Some(&b) = before.get(&p.id)
                && !st.line_of_sight(b, p.position)
            {
                s.wall_crossings += 1;
            }
            s.max_density = s.max_density.max(p.local_density);
        }
        if s.steps.is_multiple_of(10) {
            for (i, a) in people.iter().enumerate() {
                for b in &people[i + 1..] {
                    let d = (a.position[0] - b.position[0]).hypot(a.position[1] - b.position[1]);
                    s.min_distance = s.min_distance.min(d);
                    s.pair_samples += 1;
                    if d < 0.3 {
                        s.close_pairs += 1;
                    }
                }
            }
        }
    });
    (crowd, s)
}

#[test]
fn example_run_is_physical() {
    let (crowd, s) = example_run();
    let st = crowd.station();
    eprintln!(
        "steps {} peak {} min distance {:.3} close pairs {} of {} max density {:.2}",
        s.steps, s.peak, s.min_distance, s.close_pairs, s.pair_samples, s.max_density
    );
    assert_eq!(s.wall_crossings, 0, "moves through walls");
    assert_eq!(s.outside, 0, "people off the floor");
    // Bodies 0.46 m across: centres closer than 0.3 m are a deep overlap; allow a few
    // transient squeezes but no pile-ups.
    assert!(s.min_distance > 0.15, "min distance {}", s.min_distance);
    let close = s.close_pairs as f64 / s.peak as f64 / (s.steps / 10) as f64;
    assert!(close < 0.01, "close pairs per person and sample {close}");
    assert!(s.max_density < 3.0, "max density {}", s.max_density);
    assert!(s.peak > 100 && s.peak < 600, "peak {}", s.peak);
    // Every inbound passenger who left reached a platform first, and boarded from one.
    let mut boarded = 0;
    for d in crowd.departed() {
        if st.zone(d.zone).kind == ZoneKind::Platform {
            boarded += 1;
            let r = d.reached_platform_at.expect("reached before boarding");
            assert!(r >= d.entered_at && r <= d.left_at);
        } else {
            assert_eq!(st.zone(d.zone).kind, ZoneKind::Entrance);
        }
    }
    assert!(boarded > 200, "boarded {boarded}");
    assert!(
        crowd
            .departed()
            .iter()
            .any(|d| st.zone(d.zone).kind == ZoneKind::Entrance)
    );
    // Entry to platform takes about as long as the walk (80 to 130 m at 1.34 m/s, slower
    // on stairs), not minutes of jams.
    let trips: Vec<f64> = crowd
        .departed()
        .iter()
        .filter_map(|d| d.reached_platform_at.map(|r| r - d.entered_at))
        .filter(|t| *t > 0.0)
        .collect();
    let mean = trips.iter().sum::<f64>() / trips.len() as f64;
    eprintln!("entry to platform: {} trips, mean {mean:.1} s", trips.len());
    assert!(
        mean > 55.0 && mean < 110.0,
        "mean entry to platform {mean} s"
    );
    // Nobody pins themselves on an obstacle (the kiosk once held people for minutes).
    let worst = trips.iter().copied().fold(0.0, f64::max);
    assert!(worst < 240.0, "slowest entry to platform {worst} s");
}

#[test]
fn carriers_reach_a_platform() {
    let (crowd, _) = example_run();
    let st = crowd.station();
    let mut reached = Vec::new();
    for d in crowd.departed().iter().filter(|d| d.carrier.is_some()) {
        reached.push((d.entered_at, d.reached_platform_at));
    }
    for p in crowd.people().iter().filter(|p| p.carrier.is_some()) {
        reached.push((p.entered_at, p.reached_platform_at));
    }
    assert_eq!(reached.len(), 2, "both carriers appeared");
    for (entered, r) in &reached {
        let r = r.expect("carrier reached a platform");
        assert!(
            r - entered > 40.0 && r - entered < 250.0,
            "entry {entered} platform {r}"
        );
    }
    // The second carrier was sent to platform_n from entrance_n, arriving at 240 s.
    assert!(reached.iter().any(|(e, _)| (*e - 240.0).abs() < 0.11));
    let on_north = crowd
        .departed()
        .iter()
        .filter(|d| {
            d.carrier
                .is_some_and(|c| c.body == vigil_station::BodyLocation::Back)
        })
        .all(|d| st.zone(d.zone).id == "platform_n");
    assert!(on_north);
}

#[test]
fn same_seed_same_crowd_other_seed_other_crowd() {
    let site = example();
    let mut scenario = site.scenario.clone().expect("scenario");
    scenario.duration_s = 60.0;
    let a = run(&site.station, &scenario, |_, _| {});
    let b = run(&site.station, &scenario, |_, _| {});
    assert_eq!(a.people(), b.people());
    assert_eq!(a.departed(), b.departed());
    scenario.seed = 2;
    let c = run(&site.station, &scenario, |_, _| {});
    assert_ne!(a.people(), c.people());
}

/// A long, wide, empty corridor: people walk at their free speeds.
const CORRIDOR: &str = r#"
name = "corridor"
[[zone]]
id = "in"
kind = "entrance"
polygon = [[0, 0], [5, 0], [5, 10], [0, 10]]
arrival_per_min = 20
[[zone]]
id = "c"
kind = "corridor"
polygon = [[5, 0], [95, 0], [95, 10], [5, 10]]
[[zone]]
id = "p"
kind = "platform"
polygon = [[95, 0], [105, 0], [105, 10], [95, 10]]
train_interval_s = 20
[[flow]]
from = "in"
to = "c"
share = 1.0
[[flow]]
from = "c"
to = "p"
share = 1.0
[scenario]
duration_s = 1200
seed = 5
"#;

#[test]
fn free_walking_speed_is_weidmanns() {
    let config: SiteConfig = toml::from_str(CORRIDOR).expect("toml");
    let site = Site::from_config(&config).expect("corridor");
    let scenario = site.scenario.clone().expect("scenario");
    let mut per_person: BTreeMap<SimId, (f64, usize)> = BTreeMap::new();
    let c = site.station.zone_index("c").expect("c");
    run(&site.station, &scenario, |crowd, _| {
        let people = crowd.people();
        for p in people {
            // Free walking: nobody within 4 m (a slower walker ahead holds people back).
            let alone = people.iter().all(|q| {
                q.id == p.id
                    || (q.position[0] - p.position[0]).hypot(q.position[1] - p.position[1]) > 4.0
            });
            if p.zone == Some(c) && p.position[0] > 25.0 && p.position[0] < 75.0 && alone {
                let e = per_person.entry(p.id).or_insert((0.0, 0));
                e.0 += p.velocity[0].hypot(p.velocity[1]);
                e.1 += 1;
            }
        }
    });
    let speeds: Vec<f64> = per_person
        .values()
        .filter(|(_, n)| *n > 20)
        .map(|(s, n)| s / *n as f64)
        .collect();
    assert!(speeds.len() > 150, "people measured: {}", speeds.len());
    let mean = speeds.iter().sum::<f64>() / speeds.len() as f64;
    let sd = (speeds.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / speeds.len() as f64).sqrt();
    eprintln!(
        "free speed: {} people, mean {mean:.3} m/s, sd {sd:.3}",
        speeds.len()
    );
    assert!((mean - 1.34).abs() < 0.05, "mean free speed {mean}");
    assert!((sd - 0.26).abs() < 0.06, "sd of free speeds {sd}");
}

#[test]
fn weidmann_fundamental_diagram() {
    assert!((weidmann_factor(0.0) - 1.0).abs() < 1e-12);
    assert!(weidmann_factor(0.1) > 0.99);
    // 1 person/m²: about 1.06 m/s of 1.34 (Weidmann's curve).
    assert!((weidmann_factor(1.0) * 1.34 - 1.06).abs() < 0.02);
    assert!((weidmann_factor(2.0) * 1.34 - 0.61).abs() < 0.02);
    assert_eq!(weidmann_factor(5.4), 0.0);
    assert_eq!(weidmann_factor(7.0), 0.0);
}

#[test]
fn populate_places_people_apart() {
    let site = example();
    let mut scenario = site.scenario.clone().expect("scenario");
    scenario.initial_people = 0;
    scenario.carrier.clear();
    let mut crowd = Crowd::new(&site.station, &scenario).expect("crowd");
    let placed = crowd.populate(2000);
    assert!(placed > 1900, "placed {placed}");
    let ps = crowd.people();
    for (i, a) in ps.iter().enumerate() {
        assert!(site.station.zone_at(a.position).is_some());
        for b in &ps[i + 1..] {
            let d = (a.position[0] - b.position[0]).hypot(a.position[1] - b.position[1]);
            assert!(d >= 0.6, "{d}");
        }
    }
    // And they move on without crossing walls.
    for _ in 0..20 {
        let before: Vec<([f64; 2], SimId)> =
            crowd.people().iter().map(|p| (p.position, p.id)).collect();
        crowd.step(0.1);
        let after: BTreeMap<SimId, [f64; 2]> =
            crowd.people().iter().map(|p| (p.id, p.position)).collect();
        for (b, id) in before {
            if let Some(&a) = after.get(&id) {
                assert!(site.station.line_of_sight(b, a));
            }
        }
    }
}
