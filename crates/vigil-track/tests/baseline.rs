//! Baseline: Stone Soup's multi-target tracker (Kalman filter, constant velocity, global
//! nearest neighbour, `tests/peers/stonesoup_tracker.py`, run through `$VIGIL_PY`) on the same
//! simulated observations as Vigil's tracker, both scored by the same metrics (OSPA and SIAP,
//! whose values equal Stone Soup's own, see `stonesoup_peer.rs`). Vigil must score better or
//! equal on OSPA and on every SIAP figure, and track at least 100 times faster.
//!
//! `VIGIL_PY=... cargo test -p vigil-track --test baseline -- --nocapture`. Debugging aids:
//! `VIGIL_BASELINE_CACHE=dir` reuses Stone Soup's output while the observations are unchanged;
//! `VIGIL_BASELINE_DEBUG=1` prints every confirmed Vigil track farther than 1 km from any truth.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::process::Command;
use std::time::{Duration, Instant};

use nalgebra::Vector2;
use vigil_core::{Geodetic, Measurement, UnixTime};
use vigil_track::measurement::RadarSite;
use vigil_track::metrics::ospa;
use vigil_track::siap::{Path, Siap, SiapConfig, siap};
use vigil_track::sim::simulate;
use vigil_track::{LocalFrame, Tracker};

const START_OFFSET: f64 = 5_400.0;
const DURATION: f64 = 300.0;
const WARMUP: f64 = 60.0;
const EVAL_STEP: f64 = 5.0;
const OSPA_C: f64 = 5_000.0;
/// SIAP association threshold, metres.
const SIAP_THRESHOLD: f64 = 1_000.0;

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

/// Timed positions of one object.
type Samples = Vec<(f64, Vector2<f64>)>;

/// Positions of objects (keyed by any name) at the evaluation times.
#[derive(Default)]
struct Snapshots {
    /// time → (key, position)
    at: BTreeMap<u64, Vec<(String, Vector2<f64>)>>,
}

impl Snapshots {
    fn push(&mut self, t: f64, key: String, p: Vector2<f64>) {
        self.at.entry(t.to_bits()).or_default().push((key, p));
    }

    fn points(&self, t: f64) -> Vec<Vector2<f64>> {
        self.at
            .get(&t.to_bits())
            .map(|v| v.iter().map(|x| x.1).collect())
            .unwrap_or_default()
    }

    /// Paths per key, split where a key is absent at an evaluation time and comes back (the
    /// metric needs a state at every time an association covers).
    fn paths(&self, times: &[f64]) -> Vec<Path<2>> {
        let mut open: HashMap<&str, (usize, Samples)> = HashMap::new();
        let mut done = Vec::new();
        for (k, &t) in times.iter().enumerate() {
            let Some(now) = self.at.get(&t.to_bits()) else {
                continue;
            };
            for (key, p) in now {
                let e = open.entry(key.as_str()).or_insert((k, Vec::new()));
                if e.0 + 1 < k && !e.1.is_empty() {
                    done.push(std::mem::take(&mut e.1));
                }
                e.0 = k;
                e.1.push((t, *p));
            }
        }
        done.extend(open.into_values().map(|v| v.1));
        done.sort_by(|a, b| {
            a[0].0
                .total_cmp(&b[0].0)
                .then(a[0].1.x.total_cmp(&b[0].1.x))
        });
        done.into_iter().map(Path::new).collect()
    }
}

struct Score {
    ospa: f64,
    siap: Siap,
}

fn score(tracks: &Snapshots, truths: &Snapshots, times: &[f64]) -> Score {
    let ospa_mean = times
        .iter()
        .map(|&t| ospa(&tracks.points(t), &truths.points(t), OSPA_C, 2.0))
        .sum::<f64>()
        / times.len() as f64;
    let siap = siap(
        &tracks.paths(times),
        &truths.paths(times),
        &SiapConfig::new(SIAP_THRESHOLD),
    )
    .expect("paths have a state at every associated time");
    Score {
        ospa: ospa_mean,
        siap,
    }
}

/// One observation as a horizontal position in the tracking frame with its covariance.
fn to_position(frame: &LocalFrame, o: &vigil_core::Observation) -> (Vector2<f64>, [f64; 3]) {
    let h = o
        .vertical
        .geom_m
        .or(o.vertical.baro_ft.map(|ft| ft * 0.3048))
        .unwrap_or(3_000.0);
    match o.measurement {
        Measurement::Position { pos, cov_en_m2 } => {
            let p = frame.geodetic_to_enu(&Geodetic { pos, height_m: h });
            (
                Vector2::new(p.x, p.y),
                [cov_en_m2[0][0], cov_en_m2[0][1], cov_en_m2[1][1]],
            )
        }
        Measurement::Polar {
            origin,
            range_m,
            azimuth_rad,
            sigma_range_m,
            sigma_azimuth_rad,
            ..
        } => {
            let radar = RadarSite::new(frame, origin).unwrap();
            let p = radar.plot_position(frame, range_m, azimuth_rad, h);
            let c =
                radar.plot_covariance(range_m, azimuth_rad, sigma_range_m, sigma_azimuth_rad, 0.0);
            (Vector2::new(p.x, p.y), [c[(0, 0)], c[(0, 1)], c[(1, 1)]])
        }
    }
}

#[test]
fn vigil_beats_stone_soup_tracker() {
    let Some(py) = python() else { return };
    let Some(truth) = common::truth() else { return };
    let t0 = truth
        .iter()
        .filter_map(|t| t.span())
        .map(|s| s.0)
        .fold(f64::INFINITY, f64::min)
        .floor();
    let start = t0 + START_OFFSET;
    let end = start + DURATION;
    let silent = common::pick_silent(&truth, start, end);
    let cfg = common::sim_config(start, end, vec![(silent, start + DURATION / 2.0)]);
    let batches = simulate(&truth, &cfg).expect("simulate");
    let mut tracker = Tracker::new(common::tracker_config(), &cfg.sensor_specs()).unwrap();
    let frame = *tracker.frame();
    let times: Vec<f64> = (0..)
        .map(|k| start + WARMUP + EVAL_STEP * f64::from(k))
        .take_while(|&t| t < end)
        .collect();

    // Vigil, timing only the tracker.
    let mut ours = Snapshots::default();
    let mut spent = Duration::ZERO;
    let mut next = 0;
    let mut observations = 0usize;
    for b in &batches {
        while next < times.len() && times[next] <= b.end {
            let t = times[next];
            for tk in tracker.tracks().filter(|tk| tk.is_confirmed()) {
                let p = tracker.predict(tk, UnixTime(t)).position();
                if std::env::var_os("VIGIL_BASELINE_DEBUG").is_some() {
                    let near = truth
                        .iter()
                        .filter_map(|tr| tr.at(t).map(|q| (tr.icao, frame.geodetic_to_enu(&q.pos))))
                        .map(|(a, q)| (a, ((q - p).xy()).norm()))
                        .min_by(|a, b| a.1.total_cmp(&b.1));
                    if near.is_none_or(|n| n.1 > 1_000.0) {
                        eprintln!(
                            "t+{:.0} spurious {:?} {:?} age {:.0} since-upd {:.0} updates {} ident {:?} lost {} near {:?} r {:.0} km sensors {:?}",
                            t - start,
                            tk.id(),
                            tk.status(),
                            t - tk.created().secs(),
                            t - tk.last_update().secs(),
                            tk.updates(),
                            tk.identity().icao,
                            tk.transponder_lost(),
                            near,
                            p.xy().norm() / 1e3,
                            tk.lineage()
                                .contributions()
                                .iter()
                                .map(|c| c.sensor)
                                .collect::<Vec<_>>(),
                        );
                    }
                }
                ours.push(t, format!("{:?}", tk.id()), Vector2::new(p.x, p.y));
            }
            next += 1;
        }
        observations += b.observations.len();
        let batch = b.batch();
        let clock = Instant::now();
        tracker.process(&batch);
        spent += clock.elapsed();
    }

    let mut truths = Snapshots::default();
    for &t in &times {
        for tr in &truth {
            if let Some(p) = tr.at(t) {
                let e = frame.geodetic_to_enu(&p.pos);
                truths.push(t, format!("{}", tr.icao), Vector2::new(e.x, e.y));
            }
        }
    }

    // Stone Soup on the same observations.
    let mut csv = String::from("scan,end,time,x,y,vxx,vxy,vyy\n");
    for (k, b) in batches.iter().enumerate() {
        for o in &b.observations {
            let (p, c) = to_position(&frame, o);
            writeln!(
                csv,
                "{k},{:?},{:?},{:?},{:?},{:?},{:?},{:?}",
                b.end,
                o.time.secs(),
                p.x,
                p.y,
                c[0],
                c[1],
                c[2]
            )
            .unwrap();
        }
    }
    // `VIGIL_BASELINE_CACHE=dir` keeps Stone Soup's output there and reuses it while the
    // observations are unchanged (a debugging aid: Stone Soup takes minutes).
    let cache = std::env::var_os("VIGIL_BASELINE_CACHE").map(std::path::PathBuf::from);
    let dir = cache.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("vigil-track-baseline-{}", std::process::id()))
    });
    std::fs::create_dir_all(&dir).unwrap();
    let det = dir.join("detections.csv");
    let out_tracks = dir.join("stonesoup_tracks.csv");
    let info_file = dir.join("stonesoup_info.json");
    let reuse = cache.is_some()
        && std::fs::read_to_string(&det).is_ok_and(|old| old == csv)
        && out_tracks.exists()
        && info_file.exists();
    if !reuse {
        std::fs::write(&det, &csv).unwrap();
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/peers/stonesoup_tracker.py"
        );
        let out = Command::new(&py)
            .arg(script)
            .arg(&det)
            .arg(format!("{:?}", start + WARMUP))
            .arg(format!("{EVAL_STEP:?}"))
            .arg(format!("{end:?}"))
            .arg(&out_tracks)
            .output()
            .expect("run python");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::write(&info_file, &out.stdout).unwrap();
    }
    let info: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&info_file).unwrap()).unwrap();
    let theirs_s = info["tracking_s"].as_f64().unwrap();
    let mut theirs = Snapshots::default();
    for line in std::fs::read_to_string(&out_tracks)
        .unwrap()
        .lines()
        .skip(1)
    {
        let f: Vec<&str> = line.split(',').collect();
        theirs.push(
            f[0].parse().unwrap(),
            f[2].to_string(),
            Vector2::new(f[3].parse().unwrap(), f[4].parse().unwrap()),
        );
    }
    if cache.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }

    let a = score(&ours, &truths, &times);
    let b = score(&theirs, &truths, &times);
    let ours_s = spent.as_secs_f64();
    let speedup = theirs_s / ours_s;
    let mut table = String::new();
    writeln!(table, "| figure | Vigil | Stone Soup | better |").unwrap();
    writeln!(table, "| --- | --- | --- | --- |").unwrap();
    let rows: [(&str, f64, f64, bool); 7] = [
        ("mean OSPA (c = 5 km, p = 2), m", a.ospa, b.ospa, false),
        (
            "SIAP completeness",
            a.siap.completeness,
            b.siap.completeness,
            true,
        ),
        (
            "SIAP ambiguity (target 1)",
            a.siap.ambiguity,
            b.siap.ambiguity,
            false,
        ),
        (
            "SIAP spuriousness",
            a.siap.spuriousness,
            b.siap.spuriousness,
            false,
        ),
        (
            "SIAP positional accuracy, m",
            a.siap.positional_accuracy,
            b.siap.positional_accuracy,
            false,
        ),
        (
            "SIAP track-number changes per tracked second",
            a.siap.track_number_change_rate,
            b.siap.track_number_change_rate,
            false,
        ),
        (
            "SIAP longest track segment",
            a.siap.longest_track_segment,
            b.siap.longest_track_segment,
            true,
        ),
    ];
    let mut failures = Vec::new();
    for (name, x, y, higher_better) in rows {
        let ok = if name.contains("ambiguity") {
            (x - 1.0).abs() <= (y - 1.0).abs() + 1e-12
        } else if higher_better {
            x >= y - 1e-12
        } else {
            x <= y + 1e-12
        };
        if !ok {
            failures.push(name);
        }
        writeln!(
            table,
            "| {name} | {x:.6} | {y:.6} | {} |",
            if ok { "Vigil" } else { "Stone Soup" }
        )
        .unwrap();
    }
    writeln!(
        table,
        "| track-number changes | {} | {} | |",
        a.siap.track_number_changes, b.siap.track_number_changes
    )
    .unwrap();
    writeln!(
        table,
        "| tracking wall time, {observations} observations in {DURATION} s | {:.1} ms | {:.1} s | {speedup:.0}× |",
        ours_s * 1e3,
        theirs_s
    )
    .unwrap();
    eprintln!("{table}");
    assert!(
        failures.is_empty(),
        "Stone Soup scores better on {failures:?}"
    );
    assert!(
        speedup >= 100.0,
        "only {speedup:.0}× faster than Stone Soup"
    );
}
