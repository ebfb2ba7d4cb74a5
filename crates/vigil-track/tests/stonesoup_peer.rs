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
