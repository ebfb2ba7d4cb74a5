//! Evidence arithmetic, association, cascade, alarms, determinism.

mod common;

use common::{Corridor, raman, track, wide};
use vigil_standex::association::{Share, associate};
use vigil_standex::evidence::{Evidence, EvidenceItem, weighted_llr};
use vigil_standex::{
    BodyLocation, NoZones, Reading, SensorSim, Standex, StandexConfig, TrackView, ZoneMap,
};

fn reading(sensor: usize, t: f64, x: f64, y: f64, detected: bool) -> Reading {
    Reading {
        sensor,
        t,
        x,
        y,
        bearing_deg: 0.0,
        range_m: 0.0,
        detected,
        body: None,
    }
}

fn item(t: f64, llr: f64) -> EvidenceItem {
    EvidenceItem {
        sensor: "s".into(),
        t,
        detected: llr > 0.0,
        weight: 1.0,
        llr,
        body: None,
        x: 0.0,
        y: 0.0,
    }
}

#[test]
fn llr_of_a_look() {
    let s = wide("a", 0.0, 0.0, 0.0, true);
    assert!((s.llr(true) - (0.85f64 / 0.01).ln()).abs() < 1e-12);
    assert!((s.llr(false) - (0.15f64 / 0.99).ln()).abs() < 1e-12);
    // Weighted: full share is the plain ratio, none is nothing, half is the mixture.
    let full = s.llr(true);
    assert!((weighted_llr(full, 1.0) - full).abs() < 1e-12);
    assert_eq!(weighted_llr(full, 0.0), 0.0);
    assert!((weighted_llr(full, 0.5) - (0.5 * 85.0 + 0.5f64).ln()).abs() < 1e-12);
    let miss = s.llr(false);
    assert!(weighted_llr(miss, 0.5) > miss && weighted_llr(miss, 0.5) < 0.0);
}

#[test]
fn evidence_decays_and_is_bounded() {
    let cfg = StandexConfig {
        decay_tau_s: 100.0,
        llr_floor: -3.0,
        chain_max: 3,
        ..Default::default()
    };
    let mut e = Evidence::new(0.0);
    e.add(0, item(0.0, 4.0), &cfg);
    assert_eq!(e.llr, 4.0);
    e.decay_to(100.0, &cfg);
    assert!((e.llr - 4.0 * (-1.0f64).exp()).abs() < 1e-12);
    // Many misses stop at the floor.
    for k in 0..10 {
        e.add(0, item(100.0 + k as f64, -1.6), &cfg);
    }
    assert_eq!(e.llr, -3.0);
    assert_eq!(e.chain.len(), 3);
    assert_eq!(e.dropped, 8);
    // One sensor alone stops at its cap; several reach the ceiling.
    for k in 0..20 {
        e.add(1, item(200.0 + k as f64, 6.0), &cfg);
    }
    assert!(e.llr <= cfg.sensor_cap_llr + 1e-9, "{}", e.llr);
    for k in 0..20 {
        for s in 2..8 {
            e.add(s, item(300.0 + k as f64, 6.0), &cfg);
        }
    }
    assert_eq!(e.llr, cfg.llr_ceiling);
    assert!(e.peak <= cfg.llr_ceiling);
    // The chain records what was applied: a capped look adds (almost, after decay) nothing.
    assert!(
        e.chain.back().is_some_and(|i| i.llr < 0.1),
        "{:?}",
        e.chain.back()
    );
}

#[test]
fn association_in_overlapping_coverage() {
    let cfg = StandexConfig::default();
    // Two sensors looking at the same area from opposite sides.
    let a = wide("a", 0.0, 2.0, 0.0, true);
    let b = wide("b", 10.0, 2.0, 180.0, true);
    let tracks = vec![
        track(1, 0.0, 5.0, 2.0, 1.0, 0.0),
        track(2, 0.0, 5.6, 2.1, 1.0, 0.0),
        track(3, 0.0, 5.0, 6.0, 0.0, 0.0),
    ];
    let mut out: Vec<Share> = Vec::new();
    for s in [&a, &b] {
        // Between 1 and 2: split, shares sum to one, track 3 (outside the cone) never.
        associate(s, 5.3, 2.05, 0.0, &tracks, &cfg, &mut out);
        assert_eq!(out.len(), 2, "{out:?}");
        let sum: f64 = out.iter().map(|s| s.weight).sum();
        assert!((sum - 1.0).abs() < 1e-9);
        assert!(out.iter().all(|s| s.index != 2));
        // Near track 1 and far enough from 2 (likelihood ratio about 26 > nn_ratio 20): track 1
        // alone.
        associate(s, 4.6, 2.0, 0.0, &tracks, &cfg, &mut out);
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].index, 0);
        assert_eq!(out[0].weight, 1.0);
    }
    // Predicted to the reading's time: at t = 2 s track 1 is at x = 7.
    associate(&a, 7.0, 2.0, 2.0, &tracks[..1], &cfg, &mut out);
    assert_eq!(out.len(), 1);
    // Outside the gate: nothing.
    associate(&a, 3.0, 2.0, 0.0, &tracks, &cfg, &mut out);
    assert!(out.is_empty());
}

struct Zones;
impl ZoneMap for Zones {
    fn zone_at(&self, x: f64, _y: f64) -> Option<String> {
        Some(if x < 20.0 {
            "hall".into()
        } else {
            "platform".into()
        })
    }
}

#[test]
fn cascade_cues_tasks_and_alarms() {
    let cfg = StandexConfig::default();
    // Wide always-on at the start; a Raman (cascade) further along looking back at the corridor.
    let sensors = vec![
        wide("mmw", 0.0, 2.0, 0.0, true),
        raman("raman", 30.0, 2.0, 180.0),
    ];
    let mut eng = Standex::new(cfg.clone(), sensors).expect("valid");
    assert!(eng.sensor_states()[0].on && !eng.sensor_states()[1].on);
    let tr = |t: f64| {
        vec![
            track(7, t, 2.0 + 1.0 * t, 2.0, 1.0, 0.0),
            track(8, t, 2.0, 20.0, 0.0, 0.0),
        ]
    };

    // A miss: nothing.
    let o = eng.step(1.0, &tr(1.0), &[reading(0, 1.0, 3.0, 2.0, false)], &NoZones);
    assert!(o.cues.is_empty() && o.alarms.is_empty());
    assert!(eng.llr(7).expect("known") < 0.0);
    // A detection: over the cue threshold; the Raman on the path is tasked and switched on.
    let mut r = reading(0, 2.0, 4.0, 2.0, true);
    r.body = Some(BodyLocation::Back);
    let o = eng.step(2.0, &tr(2.0), &[r], &NoZones);
    assert_eq!(o.cues.len(), 1);
    assert_eq!(o.cues[0].track, 7);
    assert_eq!(o.cues[0].sensors, vec!["raman".to_owned()]);
    assert!(eng.is_cued(7) && !eng.is_cued(8));
    let st = &o.sensors[1];
    assert!(st.on);
    assert_eq!(st.tasks.len(), 1);
    assert_eq!(st.tasks[0].track, 7);
    // Person at x = 4 moving +x at 1 m/s enters the Raman's 15 m range (x >= 15) at t = 13.
    assert!(
        (st.tasks[0].entry_t - 13.0).abs() <= cfg.path_step_s + 1e-9,
        "{:?}",
        st.tasks[0]
    );
    assert!(o.alarms.is_empty());

    // The Raman detects: alarm, with everything the response team needs.
    let o = eng.step(
        14.0,
        &tr(14.0),
        &[reading(1, 14.0, 16.1, 2.0, true)],
        &Zones,
    );
    assert_eq!(o.alarms.len(), 1, "llr {:?}", eng.llr(7));
    let a = &o.alarms[0];
    assert_eq!(a.track, 7);
    assert!((a.position[0] - 16.0).abs() < 1e-9 && (a.position[1] - 2.0).abs() < 1e-9);
    assert!((a.predicted[0] - (16.0 + cfg.response_lead_s)).abs() < 1e-9);
    assert_eq!(a.predicted_t, 14.0 + cfg.response_lead_s);
    assert_eq!(a.zone.as_deref(), Some("hall"));
    assert_eq!(a.predicted_zone.as_deref(), Some("platform"));
    assert_eq!(a.body, Some(BodyLocation::Back));
    assert_eq!(a.chain.len(), 3);
    assert_eq!(
        a.chain
            .iter()
            .map(|i| i.sensor.as_str())
            .collect::<Vec<_>>(),
        ["mmw", "mmw", "raman"]
    );
    let sum: f64 = a.chain.iter().map(|i| i.llr).sum();
    assert!(a.llr <= sum + 1e-9 && a.llr >= cfg.alarm_llr);
    // Only once.
    let o = eng.step(15.0, &tr(15.0), &[], &Zones);
    assert!(o.alarms.is_empty());
    assert_eq!(eng.alarms().len(), 1);

    // Retention: an alarm is kept until the centre prunes it by age, and pruning it does not
    // raise it again for the same person.
    assert_eq!(eng.prune_alarms(14.0), 0);
    assert_eq!(eng.prune_alarms(14.5), 1);
    assert!(eng.alarms().is_empty());
    let o = eng.step(
        16.0,
        &tr(16.0),
        &[reading(1, 16.0, 18.1, 2.0, true)],
        &Zones,
    );
    assert!(o.alarms.is_empty() && eng.alarms().is_empty());
}

#[test]
fn cascade_sensor_switches_off_after_release() {
    let cfg = StandexConfig {
        linger_s: 5.0,
        ..Default::default()
    };
    let sensors = vec![
        wide("mmw", 0.0, 2.0, 0.0, true),
        raman("raman", 30.0, 2.0, 180.0),
    ];
    let mut eng = Standex::new(cfg, sensors).expect("valid");
    let tr = |t: f64| vec![track(7, t, 2.0 + t, 2.0, 1.0, 0.0)];
    let o = eng.step(1.0, &tr(1.0), &[reading(0, 1.0, 3.0, 2.0, true)], &NoZones);
    assert!(o.sensors[1].on);
    // Track deleted: task dropped, sensor lingers then switches off.
    let o = eng.step(2.0, &[], &[], &NoZones);
    assert!(o.sensors[1].tasks.is_empty() && o.sensors[1].on);
    let o = eng.step(6.5, &[], &[], &NoZones);
    assert!(!o.sensors[1].on);
}

#[test]
fn pointed_sensor_queue_is_bounded_and_ordered() {
    let cfg = StandexConfig {
        pointed_queue: 2,
        ..Default::default()
    };
    let sensors = vec![
        wide("mmw", 0.0, 5.0, 0.0, true),
        raman("raman", 40.0, 5.0, 180.0),
    ];
    let mut eng = Standex::new(cfg, sensors).expect("valid");
    // Three people in the mmw's cone, all moving toward the Raman; the one nearest the Raman
    // enters first.
    let tracks = vec![
        track(1, 0.0, 3.0, 5.0, 1.0, 0.0),
        track(2, 0.0, 5.0, 4.0, 1.0, 0.0),
        track(3, 0.0, 6.0, 6.0, 1.0, 0.0),
    ];
    let rs: Vec<Reading> = tracks
        .iter()
        .map(|t| reading(0, 0.0, t.x, t.y, true))
        .collect();
    let o = eng.step(0.0, &tracks, &rs, &NoZones);
    assert_eq!(o.cues.len(), 3);
    let tasks = &o.sensors[1].tasks;
    assert_eq!(tasks.len(), 2, "{tasks:?}");
    assert!(tasks[0].entry_t <= tasks[1].entry_t);
}

/// Runs the corridor with the given people flow and carriers for `secs`; returns alarms
/// (track ids are the truth ids here: the tracks are the truth).
#[allow(clippy::expect_used)] // test helper: a panic is a test failure
fn run_corridor(
    seed: u64,
    per_s: f64,
    carriers: usize,
    secs: f64,
) -> (Vec<vigil_standex::Alarm>, String) {
    let sensors = vec![
        wide("mmw", 0.0, 2.0, 0.0, true),
        wide("mmw2", 30.0, -1.0, 90.0, false),
        raman("raman", 55.0, 2.0, 180.0),
    ];
    let mut eng = Standex::new(StandexConfig::default(), sensors.clone()).expect("valid");
    let mut sim = SensorSim::new(sensors, seed);
    let mut crowd = Corridor::new(seed, per_s);
    for _ in 0..carriers {
        crowd.spawn(Some(BodyLocation::Torso));
    }
    let dt = 0.1;
    let mut readings = Vec::new();
    let n = (secs / dt) as usize;
    for k in 1..=n {
        let t = k as f64 * dt;
        crowd.step(dt);
        readings.clear();
        sim.sense(t, &crowd.truth(), eng.sensor_states(), &mut readings);
        eng.step(t, &crowd.tracks(t), &readings, &NoZones);
    }
    let snap = serde_json::to_string(&eng.snapshot(true)).expect("serialises");
    (eng.alarms().to_vec(), snap)
}

#[test]
fn no_alarm_for_a_crowd_without_carriers() {
    // One hour of a person every two seconds (1,800 people) through an always-on mmw.
    let secs = if std::env::var_os("VIGIL_SOAK").is_some() {
        4.0 * 3600.0
    } else {
        3600.0
    };
    let (alarms, _) = run_corridor(11, 0.5, 0, secs);
    assert!(
        alarms.is_empty(),
        "{} false alarms: {:?}",
        alarms.len(),
        alarms.first()
    );
}

#[test]
fn carrier_in_the_corridor_is_alarmed() {
    let mut hit = 0;
    for seed in 0..20 {
        let (alarms, _) = run_corridor(seed, 0.5, 1, 60.0);
        // The carrier is the first person spawned: id 1.
        if alarms.iter().any(|a| a.track == 1) {
            hit += 1;
        }
        let wrong: Vec<u64> = alarms.iter().map(|a| a.track).filter(|&t| t != 1).collect();
        assert!(wrong.is_empty(), "false alarm with seed {seed}: {wrong:?}");
    }
    assert!(hit >= 17, "{hit}/20");
}

#[test]
fn deterministic() {
    let a = run_corridor(5, 1.0, 1, 120.0);
    let b = run_corridor(5, 1.0, 1, 120.0);
    assert_eq!(a.1, b.1);
    assert_eq!(a.0, b.0);
}

#[test]
fn config_parses_and_validates() {
    let c = StandexConfig::from_toml(
        "cue_llr = 2.0\nalarm_llr = 8.0\n[sensing]\ninfrared_per_s = 5.0\n",
    )
    .expect("parses");
    assert_eq!(c.cue_llr, 2.0);
    assert_eq!(c.sensing.infrared_per_s, 5.0);
    assert!(StandexConfig::from_toml("cue_llr = 10.0\n").is_err());
    assert!(StandexConfig::from_toml("bogus = 1\n").is_err());
    let _ = TrackView::from_truth(1, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0);
}

#[test]
fn snapshot_for_the_ui_round_trips() {
    let (_, json) = run_corridor(3, 1.0, 1, 60.0);
    let snap: vigil_standex::snapshot::Snapshot = serde_json::from_str(&json).expect("parses back");
    assert_eq!(snap.sensors.len(), 3);
    assert!(snap.sensors.iter().all(|s| s.coverage.len() == 17));
    assert!(snap.sensors[0].on && snap.sensors[0].always_on);
    assert!(!snap.people.is_empty());
    // Anonymous: a person is a track number, a position, a velocity and evidence.
    let v: serde_json::Value = serde_json::from_str(&json).expect("json");
    let keys: Vec<&str> = v["people"][0]
        .as_object()
        .expect("object")
        .keys()
        .map(|k| k.as_str())
        .collect();
    assert_eq!(
        keys,
        ["alarmed", "cued", "llr", "position", "track", "velocity"]
    );
}

#[test]
fn evidence_is_handed_over_across_a_track_break() {
    let cfg = StandexConfig {
        handover_s: 3.0,
        handover_m: 1.5,
        ..Default::default()
    };
    let sensors = vec![
        wide("mmw", 0.0, 2.0, 0.0, true),
        wide("mmw2", 10.0, 2.0, 180.0, true),
    ];
    let mut eng = Standex::new(cfg, sensors).expect("valid");
    eng.step(
        1.0,
        &[track(7, 1.0, 3.0, 2.0, 1.0, 0.0)],
        &[reading(0, 1.0, 3.0, 2.0, true)],
        &NoZones,
    );
    let l7 = eng.llr(7).expect("known");
    assert!(l7 > 4.0 && eng.is_cued(7));
    // Track 7 breaks; a far track and then track 9 appear near 7's predicted position.
    eng.step(1.5, &[track(8, 1.5, 3.0, 30.0, 0.0, 0.0)], &[], &NoZones);
    eng.step(
        2.0,
        &[
            track(8, 2.0, 3.0, 30.0, 0.0, 0.0),
            track(9, 2.0, 4.2, 2.1, 1.0, 0.0),
        ],
        &[],
        &NoZones,
    );
    assert_eq!(eng.llr(8), Some(0.0));
    assert!((eng.llr(9).expect("known") - l7).abs() < 0.01);
    assert!(eng.is_cued(9));
    // The second sensor detects twice: the alarm names the earlier track too.
    let o = eng.step(
        2.5,
        &[track(9, 2.5, 4.7, 2.1, 1.0, 0.0)],
        &[
            reading(1, 2.4, 4.6, 2.1, true),
            reading(1, 2.5, 4.7, 2.1, true),
        ],
        &NoZones,
    );
    assert_eq!(o.alarms.len(), 1);
    assert_eq!(o.alarms[0].track, 9);
    assert_eq!(o.alarms[0].former_tracks, vec![7]);
    // Too late: nothing is handed over.
    eng.step(3.0, &[], &[], &NoZones);
    eng.step(10.0, &[track(10, 10.0, 5.2, 2.1, 1.0, 0.0)], &[], &NoZones);
    assert_eq!(eng.llr(10), Some(0.0));
}

#[test]
fn tasking_follows_the_route_round_a_corner() {
    use vigil_standex::engine::{entry_time, entry_time_on_paths};
    let cfg = StandexConfig::default();
    // Walking east at 1 m/s along y = 0; the route turns south at x = 10 into a flight of
    // stairs watched by a sensor at (10, -12) looking north (cone 30 degrees, 8 m).
    let s = wide("stairs", 10.0, -12.0, 90.0, false);
    let tr = track(1, 0.0, 0.0, 0.0, 1.0, 0.0);
    assert_eq!(
        entry_time(&s, &tr, 0.0, &cfg),
        None,
        "the straight line misses it"
    );
    let ways = vec![vec![[10.0, 0.0], [10.0, -12.0]]];
    let e = entry_time_on_paths(&s, &tr, &ways, 0.0, &cfg).expect("the route reaches it");
    // 10 m to the corner, then 4 m down to the cone's far edge (8 m from the sensor).
    assert!((e - 14.0).abs() <= 0.3, "entry {e}");
    // Without routes it is the straight line's answer; beyond the horizon nothing.
    assert_eq!(entry_time_on_paths(&s, &tr, &[], 0.0, &cfg), None);
    let short = StandexConfig {
        path_horizon_s: 10.0,
        ..StandexConfig::default()
    };
    assert_eq!(entry_time_on_paths(&s, &tr, &ways, 0.0, &short), None);
}

#[test]
fn station_routes_ahead_lead_to_both_stairs_not_back() {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../config/stations/example.toml");
    let site = match vigil_station::Site::load(&path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("SKIP: example station not loadable ({e})");
            return;
        }
    };
    let mut ways = Vec::new();
    // In the corridor just past the gates, walking east.
    site.station
        .paths_ahead([60.0, 20.0], [1.2, 0.0], &mut ways);
    let ends: Vec<Option<String>> = ways
        .iter()
        .map(|w| {
            w.last()
                .and_then(|p| ZoneMap::zone_at(&site.station, p[0], p[1]))
        })
        .collect();
    assert!(ends.contains(&Some("platform_s".into())), "{ends:?}");
    assert!(ends.contains(&Some("platform_n".into())), "{ends:?}");
    assert!(
        !ends.iter().flatten().any(|z| z.starts_with("entrance")),
        "{ends:?}"
    );
    // Standing still: every way, back to the entrances too.
    ways.clear();
    site.station
        .paths_ahead([60.0, 20.0], [0.0, 0.0], &mut ways);
    assert_eq!(ways.len(), 4);
}
