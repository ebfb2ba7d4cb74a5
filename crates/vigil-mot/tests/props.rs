//! Properties: a perfect tracker scores 1; relabelling hypothesis ids changes nothing.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use vigil_mot::{Object, Sequence, Similarity, score};

/// Random ground truth: up to 6 objects walking over up to 30 frames, each present on a
/// random span, boxes apart enough not to overlap much.
fn ground_truth() -> impl Strategy<Value = Sequence> {
    prop::collection::vec((0i64..30, 1i64..30, -5.0f64..5.0, -5.0f64..5.0), 1..6).prop_map(|objs| {
        let mut s = Sequence::new();
        for (k, &(start, len, vx, vy)) in objs.iter().enumerate() {
            for f in start..(start + len).min(30) {
                let t = (f - start) as f64;
                s.push(
                    f + 1,
                    Object {
                        id: k as i64 + 1,
                        x: 200.0 * k as f64 + vx * t,
                        y: 100.0 + vy * t,
                        w: 40.0,
                        h: 100.0,
                        conf: 1.0,
                    },
                );
            }
        }
        s
    })
}

fn relabel(s: &Sequence, f: impl Fn(i64) -> i64) -> Sequence {
    let mut out = s.clone();
    for objs in out.frames.values_mut() {
        for o in objs {
            o.id = f(o.id);
        }
    }
    out
}

proptest! {
    #[test]
    fn perfect_tracker_scores_one(gt in ground_truth()) {
        let ts = relabel(&gt, |id| 1000 - id);
        for sim in [Similarity::IOU_05, Similarity::Euclidean { max_distance: 1.0 }] {
            let s = score(&gt, &ts, sim);
            prop_assert!((s.clear.mota - 1.0).abs() < 1e-12);
            prop_assert!((s.clear.idf1 - 1.0).abs() < 1e-12);
            prop_assert!((s.hota.hota - 1.0).abs() < 1e-12, "{:?}", s.hota);
            prop_assert!(s.clear.motp.abs() < 1e-12);
        }
    }

    #[test]
    fn relabelling_changes_nothing(gt in ground_truth(), shift in 0.0f64..30.0, drop in 0usize..7) {
        // An imperfect tracker: shifted boxes, one object's rows dropped every other frame.
        let mut ts = Sequence::new();
        for (&f, objs) in &gt.frames {
            for o in objs {
                if o.id as usize == drop && f % 2 == 0 {
                    continue;
                }
                ts.push(f, Object { x: o.x + shift, id: o.id * 3 + (f / 10), ..*o });
            }
        }
        let a = score(&gt, &ts, Similarity::IOU_05);
        let b = score(&gt, &relabel(&ts, |id| 7919 * id + 13), Similarity::IOU_05);
        let c = score(&relabel(&gt, |id| -id), &ts, Similarity::IOU_05);
        // Debug text, so that NaN (MOTP with no match) compares equal to itself.
        prop_assert_eq!(format!("{a:?}"), format!("{b:?}"));
        prop_assert!((a.clear.mota - c.clear.mota).abs() < 1e-12);
        prop_assert!((a.clear.idf1 - c.clear.idf1).abs() < 1e-12);
        prop_assert!((a.hota.hota - c.hota.hota).abs() < 1e-12);
    }
}
