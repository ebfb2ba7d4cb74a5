//! Synthetic multi-camera scenes: hand-offs, crossing people, misses and clutter.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use std::collections::{BTreeMap, BTreeSet};
use vigil_mot::{Object, Sequence, Similarity, clear_mot};
use vigil_people::{FloorDetection, PeopleConfig, PeopleTracker, PersonId};

/// Four cameras side by side along x, each seeing 12 m with 2 m overlaps:
/// camera k sees x in [10k − 1, 10k + 11).
fn cameras_seeing(x: f64) -> Vec<u16> {
    (0..4u16)
        .filter(|&k| {
            let lo = 10.0 * f64::from(k) - 1.0;
            x >= lo && x < lo + 12.0
        })
        .collect()
}

struct Scene {
    /// Per scan: truth positions (person, x, y).
    truth: Vec<Vec<(i64, f64, f64)>>,
}

/// Runs the tracker over the scene at 10 Hz; returns the truth and the tracker output
/// (confirmed tracks) as sequences, and the tracker.
fn run(scene: &Scene, miss: f64, clutter: f64, seed: u64) -> (Sequence, Sequence, PeopleTracker) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let noise = Normal::new(0.0, 0.1).unwrap();
    let mut tr = PeopleTracker::new(PeopleConfig::default());
    let (mut gt, mut out) = (Sequence::new(), Sequence::new());
    let obj = |id: i64, x: f64, y: f64| Object {
        id,
        x,
        y,
        w: 0.0,
        h: 0.0,
        conf: 1.0,
    };
    for (k, people) in scene.truth.iter().enumerate() {
        let t = k as f64 * 0.1;
        let frame = k as i64 + 1;
        let mut dets = Vec::new();
        for &(id, x, y) in people {
            gt.push(frame, obj(id, x, y));
            for cam in cameras_seeing(x) {
                if rng.random::<f64>() < miss {
                    continue;
                }
                dets.push(FloorDetection {
                    camera: cam,
                    t,
                    x: x + noise.sample(&mut rng),
                    y: y + noise.sample(&mut rng),
                    sigma_m: 0.1,
                    confidence: 0.9,
                });
            }
        }
        for cam in 0..4u16 {
            if rng.random::<f64>() < clutter {
                dets.push(FloorDetection {
                    camera: cam,
                    t,
                    x: 10.0 * f64::from(cam) - 1.0 + 12.0 * rng.random::<f64>(),
                    y: 20.0 * rng.random::<f64>(),
                    sigma_m: 0.1,
                    confidence: 0.5,
                });
            }
        }
        let report = tr.process(t, &dets);
        assert!(report.rejected.is_empty());
        // Confirmed tracks, coasting ones included (a missed detection is not a lost person).
        for p in tr.tracks().filter(|p| p.confirmed) {
            out.push(frame, obj(p.id.0 as i64, p.x, p.y));
        }
    }
    (gt, out, tr)
}

/// Which track ids each truth person was matched to (by nearest confirmed output within
/// 1 m), over the scans after the first second where no other person is within 1.5 m (so
/// that the nearest output is unambiguous).
fn ids_per_person(gt: &Sequence, out: &Sequence) -> BTreeMap<i64, BTreeSet<i64>> {
    let mut m: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
    for (f, objs) in &gt.frames {
        if *f <= 10 {
            continue;
        }
        let Some(hyps) = out.frames.get(f) else {
            continue;
        };
        for o in objs {
            if objs
                .iter()
                .any(|q| q.id != o.id && (q.x - o.x).powi(2) + (q.y - o.y).powi(2) < 1.5 * 1.5)
            {
                continue;
            }
            let best = hyps
                .iter()
                .map(|h| (((h.x - o.x).powi(2) + (h.y - o.y).powi(2)).sqrt(), h.id))
                .filter(|(d, _)| *d < 1.0)
                .min_by(|a, b| a.0.total_cmp(&b.0));
            if let Some((_, id)) = best {
                m.entry(o.id).or_default().insert(id);
            }
        }
    }
    m
}

#[test]
fn walker_keeps_its_id_across_four_cameras() {
    // One person walking the 40 m at 1.3 m/s through all four views and their overlaps.
    let truth = (0..300)
        .map(|k| vec![(1, 0.5 + 1.3 * k as f64 * 0.1, 10.0)])
        .filter(|v| v[0].1 < 40.5)
        .collect();
    let (gt, out, tr) = run(&Scene { truth }, 0.0, 0.0, 1);
    let ids = ids_per_person(&gt, &out);
    assert_eq!(ids[&1].len(), 1, "ids {ids:?}");
    let id = PersonId(*ids[&1].iter().next().unwrap() as u64);
    let track = tr.track(id).unwrap();
    assert_eq!(track.cameras_seen.as_slice(), &[0, 1, 2, 3]);
    assert!((track.vx - 1.3).abs() < 0.2, "{track:?}");
    // Two cameras in the overlaps never made two tracks.
    assert_eq!(tr.tracks().count(), 1);
}

#[test]
fn crossing_people_keep_their_ids() {
    // A walks east along y = 10, B walks north along x = 20.6; they pass 0.6 m apart
    // at t = 10 s. C and D walk towards each other on the same line, 0.8 m apart sideways.
    let mut truth = Vec::new();
    for k in 0..200 {
        let t = k as f64 * 0.1;
        truth.push(vec![
            (1, 7.0 + 1.3 * t, 10.0),
            (2, 20.6, -3.0 + 1.3 * t),
            (3, 5.0 + 1.2 * t, 15.0),
            (4, 29.0 - 1.2 * t, 15.8),
        ]);
    }
    let (gt, out, _) = run(&Scene { truth }, 0.1, 0.0, 2);
    let ids = ids_per_person(&gt, &out);
    for p in 1..=4 {
        assert_eq!(ids[&p].len(), 1, "person {p}: {ids:?}");
    }
    let s = clear_mot(&gt, &out, Similarity::Euclidean { max_distance: 1.0 });
    assert_eq!(s.num_switches, 0, "{s:?}");
}

#[test]
fn crowd_with_misses_and_clutter() {
    // A 40 m × 20 m concourse with 30 lanes 0.65 m apart, one person per lane walking east
    // or west (alternately) at 0.8 to 1.6 m/s; someone leaving at one end is replaced by a
    // new person at the other. 10 % misses per camera, clutter in 30 % of camera frames.
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let people: Vec<(f64, f64, f64)> = (0..30)
        .map(|k| {
            let v = 0.8 + 0.8 * rng.random::<f64>();
            let dir = if k % 2 == 0 { 1.0 } else { -1.0 };
            (40.0 * rng.random::<f64>(), 0.5 + 0.65 * k as f64, dir * v)
        })
        .collect();
    let truth = (0..300)
        .map(|k| {
            let t = k as f64 * 0.1;
            people
                .iter()
                .enumerate()
                .map(|(i, &(x0, y, v))| {
                    let x = x0 + v * t;
                    let pass = x.div_euclid(40.0) as i64;
                    (1000 * pass + i as i64 + 1, x.rem_euclid(40.0), y)
                })
                .collect()
        })
        .collect();
    let (gt, out, _) = run(&Scene { truth }, 0.1, 0.3, 4);
    let s = clear_mot(&gt, &out, Similarity::Euclidean { max_distance: 1.0 });
    let h = vigil_mot::hota(&gt, &out, Similarity::Euclidean { max_distance: 1.0 });
    eprintln!(
        "crowd: MOTA {:.4} IDF1 {:.4} HOTA {:.4} switches {} FP {} FN {}",
        s.mota, s.idf1, h.hota, s.num_switches, s.num_false_positives, s.num_misses
    );
    assert!(s.mota > 0.9, "{s:?}");
    assert!(s.idf1 > 0.9, "{s:?}");
    assert!(s.num_switches <= 3, "{s:?}");
}
