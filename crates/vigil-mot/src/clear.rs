//! CLEAR MOT and identity metrics, exactly as `motmetrics` 1.4.0 computes them with
//! `utils.compare_to_groundtruth` and `metrics.create().compute(...)`.
//!
//! Per frame (every frame present in either sequence, in order), as its `MOTAccumulator`:
//! 1. each object whose previous partner hypothesis is present again and still within the
//!    threshold keeps it (a match);
//! 2. the remaining objects and hypotheses are matched by a minimum-cost assignment on the
//!    distances (maximum cardinality first, forbidden pairs beyond the threshold); a match
//!    to a hypothesis other than the object's previous partner is a switch (no time limit);
//! 3. unmatched objects are misses, unmatched hypotheses false positives.
//!
//! MOTA = 1 − (misses + switches + false positives) / objects; MOTP is the mean distance
//! (`1 − IoU`, or metres) over matches and switches. Fragmentations count, per object between
//! its first and last tracked frame, each change from tracked to missed. IDF1 / IDP / IDR come
//! from the global one-to-one object-to-hypothesis assignment maximising the number of frames
//! where the pair is within the threshold (whether or not matched there).

use std::collections::HashMap;

use crate::lap::{assignment_with_forbidden, min_cost_assignment};
use crate::{Object, Sequence, Similarity};

/// CLEAR MOT and identity metrics of one sequence (names as `motmetrics` reports them).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ClearMot {
    /// Frames (present in either sequence).
    pub num_frames: usize,
    /// Object appearances (ground-truth rows).
    pub num_objects: usize,
    /// Hypothesis appearances (tracker rows).
    pub num_predictions: usize,
    /// Distinct object ids.
    pub num_unique_objects: usize,
    /// Matches that are not switches.
    pub num_matches: usize,
    /// Identity switches.
    pub num_switches: usize,
    /// Matches plus switches.
    pub num_detections: usize,
    /// False positives.
    pub num_false_positives: usize,
    /// Misses (false negatives).
    pub num_misses: usize,
    /// Fragmentations.
    pub num_fragmentations: usize,
    /// Transfers (a hypothesis moving to another object).
    pub num_transfer: usize,
    /// Ascends (a switch to a hypothesis never matched before).
    pub num_ascend: usize,
    /// Migrates (a transfer to an object never matched before).
    pub num_migrate: usize,
    /// Objects tracked at least 80 % of their frames.
    pub mostly_tracked: usize,
    /// Objects tracked 20 % to 80 % of their frames.
    pub partially_tracked: usize,
    /// Objects tracked less than 20 % of their frames.
    pub mostly_lost: usize,
    /// Multiple object tracking accuracy.
    pub mota: f64,
    /// Multiple object tracking precision: mean distance of matches (lower is better).
    pub motp: f64,
    /// Detections / (detections + false positives).
    pub precision: f64,
    /// Detections / objects.
    pub recall: f64,
    /// Identity true positives.
    pub idtp: f64,
    /// Identity false positives.
    pub idfp: f64,
    /// Identity false negatives.
    pub idfn: f64,
    /// Identity precision.
    pub idp: f64,
    /// Identity recall.
    pub idr: f64,
    /// Identity F1.
    pub idf1: f64,
}

/// `motmetrics.math_util.quiet_divide`: NaN on 0/0, ±inf on x/0.
fn quiet_divide(a: f64, b: f64) -> f64 {
    a / b
}

/// The distance between an object and a hypothesis, or `None` beyond the threshold.
pub(crate) fn distance(sim: Similarity, o: &Object, h: &Object) -> Option<f64> {
    match sim {
        Similarity::Iou { max_distance } => {
            let d = 1.0 - motmetrics_iou(o, h);
            (d <= max_distance).then_some(d)
        }
        Similarity::Euclidean { max_distance } => {
            // `sqrt(norm2squared_matrix(a, b, max_d2=th²))`.
            let (dx, dy) = (o.x - h.x, o.y - h.y);
            let d2 = dx * dx + dy * dy;
            (d2 <= max_distance * max_distance).then(|| d2.sqrt())
        }
    }
}

/// `motmetrics.distances.boxiou` with the 1-pixel MATLAB shift of `load_motchallenge`, in
/// the same operation order (so the same rounding).
fn motmetrics_iou(a: &Object, b: &Object) -> f64 {
    let (a0x, a0y, b0x, b0y) = (a.x - 1.0, a.y - 1.0, b.x - 1.0, b.y - 1.0);
    let (a1x, a1y, b1x, b1y) = (a0x + a.w, a0y + a.h, b0x + b.w, b0y + b.h);
    let iw = (a1x.min(b1x) - a0x.max(b0x)).max(0.0);
    let ih = (a1y.min(b1y) - a0y.max(b0y)).max(0.0);
    let i = iw * ih;
    let av = (a1x - a0x).max(0.0) * (a1y - a0y).max(0.0);
    let bv = (b1x - b0x).max(0.0) * (b1y - b0y).max(0.0);
    let u = av + bv - i;
    if i == 0.0 { 0.0 } else { quiet_divide(i, u) }
}

/// Records a match (or switch) of object `o` at distance `d`.
fn record(
    r: &mut ClearMot,
    status: &mut HashMap<i64, Vec<bool>>,
    order: &mut Vec<i64>,
    dist_sum: &mut f64,
    o: i64,
    d: f64,
    switch: bool,
) {
    if switch {
        r.num_switches += 1;
    } else {
        r.num_matches += 1;
    }
    *dist_sum += d;
    status
        .entry(o)
        .or_insert_with(|| {
            order.push(o);
            Vec::new()
        })
        .push(true);
}

/// Computes the CLEAR MOT and identity metrics of `ts` against `gt`.
pub fn clear_mot(gt: &Sequence, ts: &Sequence, sim: Similarity) -> ClearMot {
    let mut r = ClearMot::default();
    // Accumulator state.
    let mut m: HashMap<i64, i64> = HashMap::new(); // object -> last hypothesis
    let mut res_m: HashMap<i64, i64> = HashMap::new(); // hypothesis -> last object
    let mut last_match: HashMap<i64, ()> = HashMap::new();
    let mut hyp_history: HashMap<i64, ()> = HashMap::new();
    // Per object: tracked flag per frame, in frame order.
    let mut status: HashMap<i64, Vec<bool>> = HashMap::new();
    let mut obj_order: Vec<i64> = Vec::new();
    // Identity counts.
    let mut ocs: HashMap<i64, usize> = HashMap::new();
    let mut hcs: HashMap<i64, usize> = HashMap::new();
    let mut tps: HashMap<(i64, i64), usize> = HashMap::new();
    let mut dist_sum = 0.0f64;

    let empty: Vec<Object> = Vec::new();
    let mut frames: Vec<i64> = gt.frames.keys().chain(ts.frames.keys()).copied().collect();
    frames.sort_unstable();
    frames.dedup();
    r.num_frames = frames.len();

    let mut dists: Vec<f64> = Vec::new();
    for f in frames {
        let oids = gt.frames.get(&f).unwrap_or(&empty);
        let hids = ts.frames.get(&f).unwrap_or(&empty);
        let (no, nh) = (oids.len(), hids.len());
        dists.clear();
        for o in oids {
            for h in hids {
                dists.push(distance(sim, o, h).unwrap_or(f64::NAN));
            }
        }
        for o in oids {
            *ocs.entry(o.id).or_default() += 1;
        }
        for h in hids {
            *hcs.entry(h.id).or_default() += 1;
        }
        for (i, o) in oids.iter().enumerate() {
            for (j, h) in hids.iter().enumerate() {
                if dists[i * nh + j].is_finite() {
                    *tps.entry((o.id, h.id)).or_default() += 1;
                }
            }
        }

        let mut omask = vec![false; no];
        let mut hmask = vec![false; nh];
        if no * nh > 0 {
            // 1. Carry forward established pairs.
            for i in 0..no {
                let o = oids[i].id;
                let Some(&hprev) = m.get(&o) else { continue };
                let Some(j) = (0..nh).find(|&j| !hmask[j] && hids[j].id == hprev) else {
                    continue;
                };
                let d = dists[i * nh + j];
                if d.is_finite() {
                    omask[i] = true;
                    hmask[j] = true;
                    m.insert(o, hids[j].id);
                    last_match.insert(o, ());
                    hyp_history.insert(hids[j].id, ());
                    record(
                        &mut r,
                        &mut status,
                        &mut obj_order,
                        &mut dist_sum,
                        o,
                        d,
                        false,
                    );
                }
            }
            // 2. Assign the rest.
            let masked: Vec<f64> = (0..no * nh)
                .map(|k| {
                    if omask[k / nh] || hmask[k % nh] {
                        f64::NAN
                    } else {
                        dists[k]
                    }
                })
                .collect();
            for (i, j) in assignment_with_forbidden(no, nh, &masked) {
                let (o, h) = (oids[i].id, hids[j].id);
                let d = masked[i * nh + j];
                let is_switch = m.get(&o).is_some_and(|&p| p != h);
                if is_switch && !hyp_history.contains_key(&h) {
                    r.num_ascend += 1;
                }
                if res_m.get(&h).is_some_and(|&p| p != o) {
                    if !last_match.contains_key(&o) {
                        r.num_migrate += 1;
                    }
                    r.num_transfer += 1;
                }
                hyp_history.insert(h, ());
                last_match.insert(o, ());
                record(
                    &mut r,
                    &mut status,
                    &mut obj_order,
                    &mut dist_sum,
                    o,
                    d,
                    is_switch,
                );
                omask[i] = true;
                hmask[j] = true;
                m.insert(o, h);
                res_m.insert(h, o);
            }
        }
        // 3. Misses, 4. false positives.
        for (i, o) in oids.iter().enumerate() {
            if !omask[i] {
                r.num_misses += 1;
                if !status.contains_key(&o.id) {
                    obj_order.push(o.id);
                }
                status.entry(o.id).or_default().push(false);
            }
        }
        r.num_false_positives += hmask.iter().filter(|&&x| !x).count();
    }

    r.num_detections = r.num_matches + r.num_switches;
    r.num_objects = r.num_detections + r.num_misses;
    r.num_predictions = r.num_detections + r.num_false_positives;
    r.num_unique_objects = status.len();
    for o in &obj_order {
        let s = &status[o];
        let tracked = s.iter().filter(|&&x| x).count();
        let ratio = tracked as f64 / s.len() as f64;
        if ratio >= 0.8 {
            r.mostly_tracked += 1;
        } else if ratio >= 0.2 {
            r.partially_tracked += 1;
        } else {
            r.mostly_lost += 1;
        }
        if let (Some(first), Some(last)) = (s.iter().position(|&x| x), s.iter().rposition(|&x| x)) {
            r.num_fragmentations += s[first..=last].windows(2).filter(|w| w[0] && !w[1]).count();
        }
    }
    let n_obj = r.num_objects as f64;
    r.mota = 1.0
        - quiet_divide(
            (r.num_misses + r.num_switches + r.num_false_positives) as f64,
            n_obj,
        );
    r.motp = quiet_divide(dist_sum, r.num_detections as f64);
    r.precision = quiet_divide(
        r.num_detections as f64,
        (r.num_false_positives + r.num_detections) as f64,
    );
    r.recall = quiet_divide(r.num_detections as f64, n_obj);

    // Identity: maximise the frames where matched pairs are within the threshold. With
    // `motmetrics`' (objects + hypotheses)² cost matrix a pair costs `oc + hc − 2 tp` against
    // `oc + hc` unmatched, so its optimum is the maximum-weight matching on `tp`.
    let mut oids: Vec<i64> = ocs.keys().copied().collect();
    oids.sort_unstable();
    let mut hids: Vec<i64> = hcs.keys().copied().collect();
    hids.sort_unstable();
    let oi: HashMap<i64, usize> = oids.iter().enumerate().map(|(i, &o)| (o, i)).collect();
    let hi: HashMap<i64, usize> = hids.iter().enumerate().map(|(i, &h)| (h, i)).collect();
    let (no, nh) = (oids.len(), hids.len());
    let mut w = vec![0.0f64; no * nh];
    for (&(o, h), &c) in &tps {
        w[oi[&o] * nh + hi[&h]] = -(c as f64);
    }
    let matched: f64 = min_cost_assignment(no, nh, &w)
        .into_iter()
        .map(|(i, j)| -w[i * nh + j])
        .sum();
    let total_o: f64 = ocs.values().map(|&c| c as f64).sum();
    let total_h: f64 = hcs.values().map(|&c| c as f64).sum();
    r.idfn = total_o - matched;
    r.idfp = total_h - matched;
    r.idtp = n_obj - r.idfn;
    r.idp = quiet_divide(r.idtp, r.idtp + r.idfp);
    r.idr = quiet_divide(r.idtp, r.idtp + r.idfn);
    r.idf1 = quiet_divide(2.0 * r.idtp, n_obj + r.num_predictions as f64);
    r
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    use crate::csv::points_on_a_line as seq;
    const E: Similarity = Similarity::Euclidean { max_distance: 1.0 };

    #[test]
    fn switch_and_fragmentation() {
        // Object 1 over 5 frames; hypothesis 10 frames 1-2, missed frame 3, hypothesis 11
        // frames 4-5: one fragmentation, one switch.
        let gt = seq(&[
            (1, 1, 0.0),
            (2, 1, 1.0),
            (3, 1, 2.0),
            (4, 1, 3.0),
            (5, 1, 4.0),
        ]);
        let ts = seq(&[(1, 10, 0.1), (2, 10, 1.1), (4, 11, 3.1), (5, 11, 4.1)]);
        let r = clear_mot(&gt, &ts, E);
        assert_eq!((r.num_matches, r.num_switches, r.num_misses), (3, 1, 1));
        assert_eq!((r.num_false_positives, r.num_fragmentations), (0, 1));
        assert!((r.mota - (1.0 - 2.0 / 5.0)).abs() < 1e-12);
        assert!((r.motp - 0.1).abs() < 1e-12);
        // IDF1: best identity pairing keeps 2 of 5 frames: 2·2 / (5 + 4).
        assert!((r.idf1 - 4.0 / 9.0).abs() < 1e-12);
        // Tracked 4 of 5 frames: mostly tracked (at least 80 %).
        assert_eq!((r.mostly_tracked, r.partially_tracked), (1, 0));
    }

    #[test]
    fn established_pair_is_kept_over_a_closer_one() {
        // Frame 1: o1-h1 matched. Frame 2: h2 is closer to o1, but h1 is still within the
        // threshold, so o1 keeps h1 (no switch) and h2 is a false positive.
        let gt = seq(&[(1, 1, 0.0), (2, 1, 0.0)]);
        let ts = seq(&[(1, 1, 0.1), (2, 1, 0.9), (2, 2, 0.0)]);
        let r = clear_mot(&gt, &ts, E);
        assert_eq!(
            (r.num_matches, r.num_switches, r.num_false_positives),
            (2, 0, 1)
        );
        assert!((r.motp - 0.5).abs() < 1e-12);
    }

    #[test]
    fn crossing_hypotheses_swap_is_two_switches() {
        let gt = seq(&[(1, 1, 0.0), (1, 2, 5.0), (2, 1, 0.0), (2, 2, 5.0)]);
        let ts = seq(&[(1, 7, 0.0), (1, 8, 5.0), (2, 8, 0.0), (2, 7, 5.0)]);
        let r = clear_mot(&gt, &ts, E);
        assert_eq!(r.num_switches, 2);
        assert_eq!(r.num_transfer, 2);
        assert!((r.mota - 0.5).abs() < 1e-12);
    }

    #[test]
    fn iou_matches_motmetrics_example() {
        // motmetrics' test_iou: boxes (0,0,1,1) and (0.5,0,1,1): IoU 1/3.
        let a = Object {
            id: 1,
            x: 0.0,
            y: 0.0,
            w: 1.0,
            h: 1.0,
            conf: 1.0,
        };
        let b = Object { x: 0.5, ..a };
        assert!((motmetrics_iou(&a, &b) - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(distance(Similarity::IOU_05, &a, &b), None);
        assert_eq!(distance(Similarity::IOU_05, &a, &a), Some(0.0));
    }
}
