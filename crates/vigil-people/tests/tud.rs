//! The tracker on the TUD ground truth turned into noisy detections (image plane: the boxes'
//! foot points in pixels), scored with vigil-mot and, on the same files, with motmetrics.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use vigil_mot::peer::{Peer, scores_or_skip};
use vigil_mot::{Object, Sequence, Similarity, csv, score};
use vigil_people::{FloorDetection, PeopleConfig, PeopleTracker};

/// TUD sequences are 25 frames per second, 640 × 480.
const FPS: f64 = 25.0;

/// Tracker settings in pixels: people move up to ~80 px/s in these views, and the annotated
/// foot points jitter and jump by several pixels from frame to frame (hence the large
/// acceleration noise, chosen from q = 500, 2 000, 10 000, 40 000 px²/s³: the last has the
/// fewest switches on both sequences).
fn config() -> PeopleConfig {
    PeopleConfig {
        q: 40_000.0,
        init_speed_sigma: 60.0,
        gate_probability: 0.999,
        max_gate_m: 60.0,
        min_confidence: 0.0,
        confirm_m: 3,
        confirm_n: 5,
        max_coast_s: 0.6,
        tentative_coast_s: 0.1,
        merge_distance_m: 4.0,
    }
}

/// One frame's detections and the box size (w, h) of each.
type Frame = (i64, Vec<FloorDetection>, Vec<(f64, f64)>);

/// Noisy detections from the ground truth (seeded): foot point `(x + w/2, y + h)` with
/// Gaussian noise of 1.5 % of the box height, box size with 3 % noise, 10 % misses, and a
/// false detection in 30 % of frames. Returns per frame the detections and their box sizes.
fn detections(gt: &Sequence, seed: u64) -> Vec<Frame> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n01 = Normal::new(0.0, 1.0).unwrap();
    let (first, last) = (
        *gt.frames.keys().next().unwrap(),
        *gt.frames.keys().next_back().unwrap(),
    );
    let mut out = Vec::new();
    for f in first..=last {
        let t = f as f64 / FPS;
        let mut dets = Vec::new();
        let mut sizes = Vec::new();
        for o in gt.frames.get(&f).map(Vec::as_slice).unwrap_or(&[]) {
            if rng.random::<f64>() < 0.1 {
                continue;
            }
            let sigma = (0.015 * o.h).max(1.0);
            dets.push(FloorDetection {
                camera: 0,
                t,
                x: o.x + o.w / 2.0 + sigma * n01.sample(&mut rng),
                y: o.y + o.h + sigma * n01.sample(&mut rng),
                sigma_m: sigma,
                confidence: 0.9,
            });
            sizes.push((
                o.w * (1.0 + 0.03 * n01.sample(&mut rng)),
                o.h * (1.0 + 0.03 * n01.sample(&mut rng)),
            ));
        }
        if rng.random::<f64>() < 0.3 {
            let h = 120.0 + 150.0 * rng.random::<f64>();
            dets.push(FloorDetection {
                camera: 0,
                t,
                x: 640.0 * rng.random::<f64>(),
                y: 200.0 + 280.0 * rng.random::<f64>(),
                sigma_m: 0.015 * h,
                confidence: 0.5,
            });
            sizes.push((0.4 * h, h));
        }
        out.push((f, dets, sizes));
    }
    out
}

/// Runs the tracker; output rows are the confirmed tracks updated in the frame, as boxes
/// standing on the filtered foot point with the detection's size.
fn track(gt: &Sequence, seed: u64) -> Sequence {
    let mut tr = PeopleTracker::new(config());
    let mut out = Sequence::new();
    for (f, dets, sizes) in detections(gt, seed) {
        let report = tr.process(f as f64 / FPS, &dets);
        assert!(report.rejected.is_empty(), "{:?}", report.rejected);
        let mut size_of: HashMap<u64, (f64, f64)> = HashMap::new();
        for &(di, id) in &report.assigned {
            size_of.entry(id.0).or_insert(sizes[di]);
        }
        for p in tr.tracks().filter(|p| p.confirmed) {
            if let Some(&(w, h)) = size_of.get(&p.id.0) {
                out.push(
                    f,
                    Object {
                        id: p.id.0 as i64,
                        x: p.x - w / 2.0,
                        y: p.y - h,
                        w,
                        h,
                        conf: 1.0,
                    },
                );
            }
        }
    }
    out
}

fn out_file(seq: &str) -> PathBuf {
    std::env::temp_dir().join(format!("vigil-people-{seq}-{}.txt", std::process::id()))
}

fn close(name: &str, got: f64, want: f64) {
    assert!(
        (got - want).abs() <= 1e-6,
        "{name}: vigil-mot {got}, motmetrics {want}"
    );
}

fn check_with_motmetrics(gt: &Path, ts: &Path, s: &vigil_mot::ClearMot) {
    let Some(p) = scores_or_skip(Peer::Motmetrics, gt, ts, None) else {
        return;
    };
    let f = |k: &str| p[k].as_f64().unwrap();
    close("mota", s.mota, f("mota"));
    close("motp", s.motp, f("motp"));
    close("idf1", s.idf1, f("idf1"));
    close("idp", s.idp, f("idp"));
    close("idr", s.idr, f("idr"));
    close("switches", s.num_switches as f64, f("num_switches"));
    close(
        "fragmentations",
        s.num_fragmentations as f64,
        f("num_fragmentations"),
    );
    close(
        "false positives",
        s.num_false_positives as f64,
        f("num_false_positives"),
    );
    close("misses", s.num_misses as f64, f("num_misses"));
    close(
        "mostly tracked",
        s.mostly_tracked as f64,
        f("mostly_tracked"),
    );
    eprintln!("motmetrics agrees on {}", ts.display());
}

/// Tracks one sequence and checks the scores against the floors (set a little below what is
/// measured) and against the peers.
fn tracker_on_tud(seq: &str, mota: f64, idf1: f64, hota: f64) {
    let Some(dir) = vigil_testdata::path(&format!("mot/{seq}")) else {
        return;
    };
    let gt_path = dir.join("gt.txt");
    let gt = csv::read_file(&gt_path).unwrap();
    let ts = track(&gt, 10);
    let path = out_file(seq);
    std::fs::write(&path, ts.to_csv()).unwrap();
    // Score what was written, as the peer reads it.
    let ts = csv::read_file(&path).unwrap();
    let s = score(&gt, &ts, Similarity::IOU_05);
    eprintln!(
        "{seq}: MOTA {:.6} MOTP {:.6} IDF1 {:.6} HOTA {:.6} DetA {:.6} AssA {:.6} \
         switches {} FP {} FN {} frag {}",
        s.clear.mota,
        s.clear.motp,
        s.clear.idf1,
        s.hota.hota,
        s.hota.det_a,
        s.hota.ass_a,
        s.clear.num_switches,
        s.clear.num_false_positives,
        s.clear.num_misses,
        s.clear.num_fragmentations
    );
    check_with_motmetrics(&gt_path, &path, &s.clear);
    if let Some(p) = scores_or_skip(Peer::TrackEval, &gt_path, &path, None) {
        close("hota", s.hota.hota, p["hota"].as_f64().unwrap());
        close("det_a", s.hota.det_a, p["det_a"].as_f64().unwrap());
        close("ass_a", s.hota.ass_a, p["ass_a"].as_f64().unwrap());
        eprintln!("TrackEval agrees on {}", path.display());
    }
    let _ = std::fs::remove_file(&path);
    assert!(s.clear.mota > mota, "{seq} MOTA {}", s.clear.mota);
    assert!(s.clear.idf1 > idf1, "{seq} IDF1 {}", s.clear.idf1);
    assert!(s.hota.hota > hota, "{seq} HOTA {}", s.hota.hota);
}

#[test]
fn tracker_on_tud_campus() {
    // Measured (seed 10): MOTA 0.816156, IDF1 0.894977, HOTA 0.756932.
    tracker_on_tud("TUD-Campus", 0.78, 0.85, 0.72);
}

#[test]
fn tracker_on_tud_stadtmitte() {
    // Measured (seed 10): MOTA 0.874567, IDF1 0.933149, HOTA 0.794012.
    tracker_on_tud("TUD-Stadtmitte", 0.84, 0.88, 0.76);
}
