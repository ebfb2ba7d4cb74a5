//! Cross-check of OSPA and GOSPA against Stone Soup (PyPI `stonesoup`, run as a subprocess
//! through `$VIGIL_PY`): on identical truth and track points, the values agree to 1e-9.
//!
//! The points are the tracker's own output on five minutes of real traffic (the evaluation
//! scenario), plus hand-made edge cases (empty sets, crossings, points beyond the cut-off).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::process::Command;

use nalgebra::Vector2;
use vigil_track::metrics::{gospa, ospa};
use vigil_track::siap::{Path, SiapConfig, siap};

type Points = BTreeMap<u64, (Vec<Vector2<f64>>, Vec<Vector2<f64>>)>;

fn python() -> Option<String> {
    let Some(py) = std::env::var_os("VIGIL_PY") else {
        eprintln!("SKIP: VIGIL_PY is not set (CI sets it to the test venv with stonesoup)");
        return None;
    };
    let py = py.to_string_lossy().into_owned();
    let ok = Command::new(&py)
        .args(["-c", "import stonesoup"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("SKIP: {py} cannot import stonesoup (pip install stonesoup==1.9.1)");
        return None;
    }
    Some(py)
}

/// Runs the Stone Soup script on `points`; returns its JSON line per time.
fn stonesoup(py: &str, points: &Points, c: f64, p: f64) -> BTreeMap<u64, serde_json::Value> {
    let mut csv = String::from("time,kind,id,x,y\n");
    for (t, (tracks, truths)) in points {
        for (i, v) in tracks.iter().enumerate() {
            // `{:?}` prints the shortest text that parses back to the same f64.
            writeln!(csv, "{t},track,{i},{:?},{:?}", v.x, v.y).unwrap();
        }
        for (i, v) in truths.iter().enumerate() {
            writeln!(csv, "{t},truth,{i},{:?},{:?}", v.x, v.y).unwrap();
        }
    }
    let dir = std::env::temp_dir().join(format!("vigil-track-stonesoup-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("points-{c}-{p}.csv"));
    std::fs::write(&file, csv).unwrap();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/peers/stonesoup_metrics.py"
    );
    let out = Command::new(py)
        .arg(script)
        .arg(&file)
        .arg(c.to_string())
        .arg(p.to_string())
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (v["time"].as_f64().unwrap() as u64, v)
        })
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

fn edge_cases() -> Points {
    let v = Vector2::new;
    let mut p = Points::new();
    p.insert(1, (vec![v(0.0, 0.0)], vec![]));
    p.insert(2, (vec![], vec![v(1.0, 2.0), v(3.0, 4.0)]));
    p.insert(
        3,
        (
            vec![v(0.0, 0.0), v(10.0, 0.0)],
            vec![v(9.0, 0.0), v(1.0, 0.0)],
        ),
    );
    p.insert(4, (vec![v(0.0, 0.0)], vec![v(1e5, 0.0), v(3.0, 4.0)]));
    p.insert(
        5,
        (
            vec![v(0.5, 0.25), v(-700.0, 12.0), v(4e3, 4e3)],
            vec![v(0.0, 0.0)],
        ),
    );
    p
}

fn scenario_points() -> Option<Points> {
    let truth = common::truth()?;
    let t0 = truth
        .iter()
        .filter_map(|t| t.span())
        .map(|s| s.0)
        .fold(f64::INFINITY, f64::min)
        .floor();
    let out = common::run(&truth, t0 + 5_400.0, 300.0, None, 10.0, 0.0);
    Some(
        out.snapshots
            .iter()
            .map(|s| {
                (
                    s.t as u64,
                    (
                        s.tracks.iter().map(|t| t.1).collect(),
                        s.truths.iter().map(|t| t.1).collect(),
                    ),
                )
            })
            .collect(),
    )
}

#[test]
fn ospa_and_gospa_equal_stone_soup() {
    let Some(py) = python() else { return };
    let mut points = edge_cases();
    if let Some(s) = scenario_points() {
        points.extend(s);
    }
    let mut compared = 0;
    for (c, p) in [(5_000.0, 1.0), (5_000.0, 2.0), (10.0, 2.0), (200.0, 1.0)] {
        let theirs = stonesoup(&py, &points, c, p);
        for (t, (tracks, truths)) in &points {
            let Some(s) = theirs.get(t) else {
                assert!(
                    tracks.is_empty() && truths.is_empty(),
                    "Stone Soup skipped {t}"
                );
                continue;
            };
            let o = ospa(tracks, truths, c, p);
            let g = gospa(tracks, truths, c, p);
            let so = s["ospa"].as_f64().unwrap();
            if p == 1.0 {
                assert!(
                    close(o, so),
                    "t {t} c {c} p {p}: OSPA {o} vs Stone Soup {so}"
                );
            } else {
                // Stone Soup's OSPA assigns on Σ min(d, c) rather than Σ min(d, c)^p (see
                // metrics.rs); ours is the true minimum, so never larger.
                assert!(
                    o <= so * (1.0 + 1e-9) + 1e-9,
                    "t {t}: OSPA {o} above Stone Soup {so}"
                );
                if !close(o, so) {
                    eprintln!("t {t} c {c} p {p}: OSPA {o} < Stone Soup {so} (their assignment)");
                }
            }
            for (ours, key) in [
                (g.distance, "gospa"),
                (g.localisation, "localisation"),
                (g.missed, "missed"),
                (g.false_tracks, "false"),
            ] {
                let theirs = s[key].as_f64().unwrap();
                assert!(
                    close(ours, theirs),
                    "t {t} c {c} p {p}: {key} {ours} vs {theirs}"
                );
            }
            compared += 1;
        }
    }
    eprintln!("compared {compared} OSPA/GOSPA values with Stone Soup");
    assert!(compared >= 20);
}

/// Tracks and truths as paths, keyed by their identifiers, from the scenario snapshots.
type Paths = (Vec<Path<2>>, Vec<Path<2>>);

fn scenario_paths(eval_every: f64) -> Option<Paths> {
    let truth = common::truth()?;
    let t0 = truth
        .iter()
        .filter_map(|t| t.span())
        .map(|s| s.0)
        .fold(f64::INFINITY, f64::min)
        .floor();
    let out = common::run(&truth, t0 + 5_400.0, 300.0, None, eval_every, 0.0);
    let mut tracks: BTreeMap<String, Vec<(f64, Vector2<f64>)>> = BTreeMap::new();
    let mut truths: BTreeMap<String, Vec<(f64, Vector2<f64>)>> = BTreeMap::new();
    for s in &out.snapshots {
        for (id, p) in &s.tracks {
            tracks.entry(format!("{id:?}")).or_default().push((s.t, *p));
        }
        for (icao, p) in &s.truths {
            truths.entry(format!("{icao}")).or_default().push((s.t, *p));
        }
    }
    Some((
        tracks.into_values().map(Path::new).collect(),
        truths.into_values().map(Path::new).collect(),
    ))
}

/// Hand-made paths: a track swap, a spurious track, a late track, two tracks on one truth.
fn edge_paths() -> Paths {
    let line = |t0: u32, t1: u32, x: f64, dx: f64| {
        Path::new(
            (t0..=t1)
                .map(|t| (f64::from(t), Vector2::new(x + dx * f64::from(t), 0.0)))
                .collect(),
        )
    };
    let truths = vec![
        line(0, 20, 0.0, 10.0),
        line(0, 20, 1_000.0, -10.0),
        line(5, 9, 5e4, 0.0),
    ];
    let tracks = vec![
        line(0, 8, 3.0, 10.0),
        line(9, 20, -4.0, 10.0),
        line(0, 20, 1_005.0, -10.0),
        line(2, 20, 990.0, -10.0),
        line(0, 20, 9e3, 0.0),
        line(6, 9, 5e4 + 7.0, 0.0),
        // Near truth 0, away for a while, back: two associations of one pair below 300 m.
        Path::new(
            (0..=20u32)
                .map(|t| {
                    let off = if (6..=9).contains(&t) { 300.0 } else { 30.0 };
                    (f64::from(t), Vector2::new(10.0 * f64::from(t), off))
                })
                .collect(),
        ),
        // 200 m and 1.5 km from truths 1 and 2: associated only with the wider thresholds.
        line(0, 12, 1_200.0, -10.0),
        line(5, 9, 5e4 + 1_500.0, 0.0),
    ];
    (tracks, truths)
}

fn stonesoup_siap(py: &str, (tracks, truths): &Paths, cfg: &SiapConfig) -> serde_json::Value {
    let mut csv = String::from("time,kind,id,x,y\n");
    for (kind, paths) in [("track", tracks), ("truth", truths)] {
        for (i, p) in paths.iter().enumerate() {
            for (t, v) in &p.states {
                writeln!(csv, "{t:?},{kind},{i},{:?},{:?}", v.x, v.y).unwrap();
            }
        }
    }
    let dir = std::env::temp_dir().join(format!("vigil-track-siap-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("paths.csv");
    std::fs::write(&file, csv).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/peers/stonesoup_siap.py");
    let out = Command::new(py)
        .arg(script)
        .arg(&file)
        .arg(cfg.association_threshold.to_string())
        .arg(cfg.consec_pairs_confirm.to_string())
        .arg(cfg.consec_misses_end.to_string())
        .output()
        .expect("run python");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn siap_equals_stone_soup() {
    let Some(py) = python() else { return };
    let mut cases = vec![("edge", edge_paths())];
    if let Some(p) = scenario_paths(5.0) {
        cases.push(("scenario", p));
    }
    let mut compared = 0;
    for (name, paths) in &cases {
        for cfg in [
            SiapConfig::new(50.0),
            SiapConfig::new(250.0),
            SiapConfig::new(500.0),
            SiapConfig {
                association_threshold: 2_000.0,
                consec_pairs_confirm: 2,
                consec_misses_end: 3,
            },
        ] {
            let ours = siap(&paths.0, &paths.1, &cfg).expect("every associated state present");
            let theirs = stonesoup_siap(&py, paths, &cfg);
            eprintln!("{name} {cfg:?}: ours {ours:?}\n  Stone Soup {theirs}");
            assert_eq!(
                ours.associations as u64,
                theirs["associations"].as_u64().unwrap(),
                "{name}: association count"
            );
            for (v, key) in [
                (ours.completeness, "completeness"),
                (ours.ambiguity, "ambiguity"),
                (ours.spuriousness, "spuriousness"),
                (ours.positional_accuracy, "positional_accuracy"),
                (ours.track_number_change_rate, "track_number_change_rate"),
                (ours.longest_track_segment, "longest_track_segment"),
            ] {
                let s = theirs[key].as_f64().unwrap();
                assert!(close(v, s), "{name} {cfg:?}: {key} {v} vs Stone Soup {s}");
                compared += 1;
            }
        }
    }
    eprintln!("compared {compared} SIAP figures with Stone Soup");
    assert!(compared >= 40);
}
