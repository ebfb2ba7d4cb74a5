//! HOTA (Luiten et al., IJCV 2021) exactly as TrackEval's `metrics/hota.py` computes it for
//! MOTChallenge boxes.
//!
//! For each `alpha` in `0.05, 0.10, ..., 0.95`: per frame, objects and hypotheses are matched
//! by a full maximum-score assignment on `global alignment × similarity`, where the global
//! alignment of an id pair is the Jaccard index of their soft co-occurrence over the whole
//! sequence; matched pairs with similarity at least `alpha` are true positives. DetA =
//! TP / (TP + FN + FP); AssA is the TP-weighted mean of each matched id pair's
//! `TPA / (TPA + FNA + FPA)`; LocA the mean similarity of the true positives; HOTA(alpha) =
//! √(DetA · AssA). The reported values are the means over the 19 thresholds.

use std::collections::HashMap;

use crate::lap::min_cost_assignment;
use crate::{Object, Sequence, Similarity};

/// The thresholds, as `np.arange(0.05, 0.99, 0.05)` computes them.
pub fn alphas() -> [f64; 19] {
    std::array::from_fn(|i| 0.05 + i as f64 * 0.05)
}

/// HOTA and its parts, averaged over the thresholds, with the per-threshold values.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Hota {
    /// Higher-order tracking accuracy.
    pub hota: f64,
    /// Detection accuracy.
    pub det_a: f64,
    /// Association accuracy.
    pub ass_a: f64,
    /// Detection recall.
    pub det_re: f64,
    /// Detection precision.
    pub det_pr: f64,
    /// Association recall.
    pub ass_re: f64,
    /// Association precision.
    pub ass_pr: f64,
    /// Localisation accuracy.
    pub loc_a: f64,
    /// HOTA at each threshold of [`alphas`].
    pub hota_per_alpha: Vec<f64>,
}

/// TrackEval's `_calculate_box_ious` (xywh) for one pair.
fn trackeval_iou(a: &Object, b: &Object) -> f64 {
    let eps = f64::EPSILON;
    let (a2, a3, b2, b3) = (a.x + a.w, a.y + a.h, b.x + b.w, b.y + b.h);
    let iw = (a2.min(b2) - a.x.max(b.x)).max(0.0);
    let ih = (a3.min(b3) - a.y.max(b.y)).max(0.0);
    let mut i = iw * ih;
    let area1 = (a2 - a.x) * (a3 - a.y);
    let area2 = (b2 - b.x) * (b3 - b.y);
    let mut u = area1 + area2 - i;
    if area1 <= eps || area2 <= eps || u <= eps {
        i = 0.0;
    }
    if u <= eps {
        u = 1.0;
    }
    i / u
}

/// The HOTA similarity of an object and a hypothesis.
pub fn similarity(sim: Similarity, o: &Object, h: &Object) -> f64 {
    match sim {
        Similarity::Iou { .. } => trackeval_iou(o, h),
        Similarity::Euclidean { max_distance } => {
            let d = ((o.x - h.x).powi(2) + (o.y - h.y).powi(2)).sqrt();
            (1.0 - d / max_distance).max(0.0)
        }
    }
}

/// Computes HOTA of `ts` against `gt`.
pub fn hota(gt: &Sequence, ts: &Sequence, sim: Similarity) -> Hota {
    let eps = f64::EPSILON;
    let al = alphas();
    let na = al.len();
    // Contiguous id indices.
    let mut gid: HashMap<i64, usize> = HashMap::new();
    let mut tid: HashMap<i64, usize> = HashMap::new();
    for objs in gt.frames.values() {
        for o in objs {
            let n = gid.len();
            gid.entry(o.id).or_insert(n);
        }
    }
    for objs in ts.frames.values() {
        for o in objs {
            let n = tid.len();
            tid.entry(o.id).or_insert(n);
        }
    }
    let (ng, nt) = (gid.len(), tid.len());
    let mut res = Hota {
        hota_per_alpha: vec![0.0; na],
        ..Hota::default()
    };
    let (mut tp, mut fn_, mut fp, mut loc) = (
        vec![0.0f64; na],
        vec![0.0f64; na],
        vec![0.0f64; na],
        vec![0.0f64; na],
    );
    if nt == 0 || ng == 0 {
        // TrackEval: everything missed (or everything false); LocA 1, AssA 0 by its rules.
        return res;
    }

    let empty: Vec<Object> = Vec::new();
    let mut frames: Vec<i64> = gt.frames.keys().chain(ts.frames.keys()).copied().collect();
    frames.sort_unstable();
    frames.dedup();
    // Per frame: ids and similarity matrix.
    struct F {
        g: Vec<usize>,
        t: Vec<usize>,
        s: Vec<f64>,
    }
    let data: Vec<F> = frames
        .iter()
        .map(|f| {
            let go = gt.frames.get(f).unwrap_or(&empty);
            let to = ts.frames.get(f).unwrap_or(&empty);
            let mut s = Vec::with_capacity(go.len() * to.len());
            for o in go {
                for h in to {
                    s.push(similarity(sim, o, h));
                }
            }
            F {
                g: go.iter().map(|o| gid[&o.id]).collect(),
                t: to.iter().map(|o| tid[&o.id]).collect(),
                s,
            }
        })
        .collect();

    let mut potential = vec![0.0f64; ng * nt];
    let mut gcount = vec![0.0f64; ng];
    let mut tcount = vec![0.0f64; nt];
    for fr in &data {
        let (n, m) = (fr.g.len(), fr.t.len());
        let col: Vec<f64> = (0..m)
            .map(|j| (0..n).map(|i| fr.s[i * m + j]).sum())
            .collect();
        let row: Vec<f64> = (0..n)
            .map(|i| fr.s[i * m..(i + 1) * m].iter().sum())
            .collect();
        for i in 0..n {
            for j in 0..m {
                let s = fr.s[i * m + j];
                let denom = col[j] + row[i] - s;
                if denom > eps {
                    potential[fr.g[i] * nt + fr.t[j]] += s / denom;
                }
            }
        }
        for &g in &fr.g {
            gcount[g] += 1.0;
        }
        for &t in &fr.t {
            tcount[t] += 1.0;
        }
    }
    let gas: Vec<f64> = (0..ng * nt)
        .map(|k| potential[k] / (gcount[k / nt] + tcount[k % nt] - potential[k]))
        .collect();

    let mut matches = vec![vec![0.0f64; ng * nt]; na];
    for fr in &data {
        let (n, m) = (fr.g.len(), fr.t.len());
        if n == 0 {
            for x in fp.iter_mut() {
                *x += m as f64;
            }
            continue;
        }
        if m == 0 {
            for x in fn_.iter_mut() {
                *x += n as f64;
            }
            continue;
        }
        let neg: Vec<f64> = (0..n * m)
            .map(|k| -(gas[fr.g[k / m] * nt + fr.t[k % m]] * fr.s[k]))
            .collect();
        let pairs = min_cost_assignment(n, m, &neg);
        for (a, &alpha) in al.iter().enumerate() {
            let mut k = 0usize;
            for &(i, j) in &pairs {
                let s = fr.s[i * m + j];
                if s >= alpha - eps {
                    k += 1;
                    loc[a] += s;
                    matches[a][fr.g[i] * nt + fr.t[j]] += 1.0;
                }
            }
            tp[a] += k as f64;
            fn_[a] += (n - k) as f64;
            fp[a] += (m - k) as f64;
        }
    }

    let mut sums = [0.0f64; 8];
    for a in 0..na {
        let mc = &matches[a];
        let (mut ass_a, mut ass_re, mut ass_pr) = (0.0f64, 0.0f64, 0.0f64);
        for k in 0..ng * nt {
            let c = mc[k];
            if c == 0.0 {
                continue;
            }
            let (g, t) = (gcount[k / nt], tcount[k % nt]);
            ass_a += c * (c / (g + t - c).max(1.0));
            ass_re += c * (c / g.max(1.0));
            ass_pr += c * (c / t.max(1.0));
        }
        let tpm = tp[a].max(1.0);
        let (ass_a, ass_re, ass_pr) = (ass_a / tpm, ass_re / tpm, ass_pr / tpm);
        let loc_a = loc[a].max(1e-10) / tp[a].max(1e-10);
        let det_re = tp[a] / (tp[a] + fn_[a]).max(1.0);
        let det_pr = tp[a] / (tp[a] + fp[a]).max(1.0);
        let det_a = tp[a] / (tp[a] + fn_[a] + fp[a]).max(1.0);
        let h = (det_a * ass_a).sqrt();
        res.hota_per_alpha[a] = h;
        for (s, v) in sums
            .iter_mut()
            .zip([h, det_a, ass_a, det_re, det_pr, ass_re, ass_pr, loc_a])
        {
            *s += v;
        }
    }
    let n = na as f64;
    res.hota = sums[0] / n;
    res.det_a = sums[1] / n;
    res.ass_a = sums[2] / n;
    res.det_re = sums[3] / n;
    res.det_pr = sums[4] / n;
    res.ass_re = sums[5] / n;
    res.ass_pr = sums[6] / n;
    res.loc_a = sums[7] / n;
    res
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    use crate::csv::points_on_a_line as seq;

    #[test]
    fn alphas_are_numpy_arange() {
        let a = alphas();
        assert_eq!(a[0], 0.05);
        assert_eq!(a[2], 0.15000000000000002);
        assert_eq!(a[18], 0.9500000000000001);
    }

    #[test]
    fn perfect_is_one_and_split_track_halves_association() {
        let gt = seq(&[(1, 1, 0.0), (2, 1, 0.0), (3, 1, 0.0), (4, 1, 0.0)]);
        let h = hota(&gt, &gt, Similarity::IOU_05);
        assert!((h.hota - 1.0).abs() < 1e-12 && (h.loc_a - 1.0).abs() < 1e-12);
        // Two hypotheses, two frames each: DetA 1; AssA = mean over TPs of 2/(4+2-2) = 0.5.
        let ts = seq(&[(1, 5, 0.0), (2, 5, 0.0), (3, 6, 0.0), (4, 6, 0.0)]);
        let h = hota(&gt, &ts, Similarity::IOU_05);
        assert!((h.det_a - 1.0).abs() < 1e-12);
        assert!((h.ass_a - 0.5).abs() < 1e-12);
        assert!((h.hota - 0.5f64.sqrt()).abs() < 1e-12);
    }

    #[test]
    fn localisation_counts_by_threshold() {
        // Boxes offset by 0.5 of their width: IoU 1/3, a TP only for alpha <= 1/3
        // (alphas 0.05 .. 0.30: 6 of 19).
        let gt = seq(&[(1, 1, 0.0)]);
        let ts = seq(&[(1, 2, 0.5)]);
        let h = hota(&gt, &ts, Similarity::IOU_05);
        let expect: f64 = (0..19).map(|a| if a < 6 { 1.0 } else { 0.0 }).sum::<f64>() / 19.0;
        assert!((h.det_a - expect).abs() < 1e-12, "{h:?}");
    }
}
