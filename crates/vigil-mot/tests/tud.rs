//! The TUD sequences: published values and the Python peers on the same files.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use vigil_mot::peer::{Peer, scores_or_skip};
use vigil_mot::{Sequence, Similarity, csv, score};

fn files(seq: &str) -> Option<(PathBuf, PathBuf)> {
    let dir = vigil_testdata::path(&format!("mot/{seq}"))?;
    let (gt, ts) = (dir.join("gt.txt"), dir.join("test.txt"));
    if gt.is_file() && ts.is_file() {
        Some((gt, ts))
    } else {
        eprintln!("SKIP: {} has no gt.txt / test.txt", dir.display());
        None
    }
}

fn load(seq: &str) -> Option<(PathBuf, PathBuf, Sequence, Sequence)> {
    let (g, t) = files(seq)?;
    let gt = csv::read_file(&g).unwrap();
    let ts = csv::read_file(&t).unwrap();
    Some((g, t, gt, ts))
}

fn close(name: &str, got: f64, want: f64, tol: f64) {
    assert!(
        (got - want).abs() <= tol,
        "{name}: got {got:.9}, want {want:.9} (tolerance {tol:e})"
    );
}

/// The values published in ../shared/data/README.md (motmetrics to 6 digits, TrackEval HOTA to
/// 4), and TrackEval 1.3.0's HOTA to 1e-6 (its output on these files, see tests/py/score.py).
#[test]
fn published_values() {
    let cases = [
        (
            "TUD-Campus",
            Some(0.557659),
            0.526462,
            Some(0.277201),
            0.3914,
            0.391397,
        ),
        (
            "TUD-Stadtmitte",
            Some(0.644619),
            0.564014,
            None,
            0.3978,
            0.397849,
        ),
    ];
    for (seq, idf1, mota, motp, hota4, hota6) in cases {
        let Some((_, _, gt, ts)) = load(seq) else {
            continue;
        };
        let s = score(&gt, &ts, Similarity::IOU_05);
        eprintln!("{seq}: {:?}\n{:?}", s.clear, s.hota);
        if let Some(v) = idf1 {
            close("IDF1", s.clear.idf1, v, 5e-7);
        }
        close("MOTA", s.clear.mota, mota, 5e-7);
        if let Some(v) = motp {
            close("MOTP", s.clear.motp, v, 5e-7);
        }
        close("HOTA (4 digits)", s.hota.hota, hota4, 5e-5);
        close("HOTA (TrackEval, 1e-6)", s.hota.hota, hota6, 5e-7);
    }
}

fn get(v: &serde_json::Value, k: &str) -> f64 {
    v[k].as_f64()
        .unwrap_or_else(|| panic!("peer output has no {k}: {v}"))
}

fn compare_motmetrics(
    g: &std::path::Path,
    t: &std::path::Path,
    c: &vigil_mot::ClearMot,
    euclid: Option<f64>,
) {
    let Some(p) = scores_or_skip(Peer::Motmetrics, g, t, euclid) else {
        return;
    };
    let counts = [
        ("num_frames", c.num_frames),
        ("num_objects", c.num_objects),
        ("num_predictions", c.num_predictions),
        ("num_unique_objects", c.num_unique_objects),
        ("num_matches", c.num_matches),
        ("num_switches", c.num_switches),
        ("num_detections", c.num_detections),
        ("num_false_positives", c.num_false_positives),
        ("num_misses", c.num_misses),
        ("num_fragmentations", c.num_fragmentations),
        ("num_transfer", c.num_transfer),
        ("num_ascend", c.num_ascend),
        ("num_migrate", c.num_migrate),
        ("mostly_tracked", c.mostly_tracked),
        ("partially_tracked", c.partially_tracked),
        ("mostly_lost", c.mostly_lost),
    ];
    for (k, v) in counts {
        assert_eq!(
            v as f64,
            get(&p, k),
            "{k} against motmetrics on {}",
            t.display()
        );
    }
    let reals = [
        ("mota", c.mota),
        ("motp", c.motp),
        ("precision", c.precision),
        ("recall", c.recall),
        ("idtp", c.idtp),
        ("idfp", c.idfp),
        ("idfn", c.idfn),
        ("idp", c.idp),
        ("idr", c.idr),
        ("idf1", c.idf1),
    ];
    for (k, v) in reals {
        close(k, v, get(&p, k), 1e-9);
    }
    eprintln!(
        "motmetrics agrees on {} ({:.3} s in Python)",
        t.display(),
        get(&p, "seconds")
    );
}

/// Every CLEAR and identity metric against motmetrics 1.4.0 (with IoU, and on TUD-Campus
/// also with the Euclidean distance), every HOTA part against TrackEval 1.3.0, on the same
/// files.
fn peers_agree(seq: &str, euclidean: bool) {
    let Some((g, t, gt, ts)) = load(seq) else {
        return;
    };
    let s = score(&gt, &ts, Similarity::IOU_05);
    compare_motmetrics(&g, &t, &s.clear, None);
    if euclidean {
        // Floor-plane style: the boxes' top-left points, Euclidean distance, 20 px.
        let e = vigil_mot::clear_mot(&gt, &ts, Similarity::Euclidean { max_distance: 20.0 });
        compare_motmetrics(&g, &t, &e, Some(20.0));
    }
    let Some(p) = scores_or_skip(Peer::TrackEval, &g, &t, None) else {
        return;
    };
    let h = &s.hota;
    for (k, v) in [
        ("hota", h.hota),
        ("det_a", h.det_a),
        ("ass_a", h.ass_a),
        ("det_re", h.det_re),
        ("det_pr", h.det_pr),
        ("ass_re", h.ass_re),
        ("ass_pr", h.ass_pr),
        ("loc_a", h.loc_a),
    ] {
        close(k, v, get(&p, k), 1e-9);
    }
    let per = p["hota_per_alpha"].as_array().unwrap();
    for (a, (mine, theirs)) in h.hota_per_alpha.iter().zip(per).enumerate() {
        close(
            &format!("HOTA alpha {a}"),
            *mine,
            theirs.as_f64().unwrap(),
            1e-9,
        );
    }
    eprintln!("TrackEval agrees on {seq}");
}

#[test]
fn peers_agree_on_tud_campus() {
    peers_agree("TUD-Campus", true);
}

#[test]
fn peers_agree_on_tud_stadtmitte() {
    peers_agree("TUD-Stadtmitte", false);
}
