//! Readings to people tracks.
//!
//! A reading says where the sensor looked (a floor position with noise `sigma_m`). Its
//! candidates are the tracks that were inside the sensor's coverage at the reading's time
//! (predicted to that time, with a margin for the tracks' own noise at the cone's edges) and
//! whose predicted position passes a chi-square gate on the innovation covariance
//! `S = P_track + σ² I`.
//!
//! **Ambiguity rule: split, unless clearly one.** When the best candidate's Gaussian
//! likelihood is at least `nn_ratio` times the second's, the reading goes to the best alone.
//! Otherwise every candidate gets a share `w_i` proportional to its likelihood, and the
//! increment is the mixture ratio `ln(w_i · LR + 1 − w_i)` (see
//! [`crate::evidence::weighted_llr`]). Why not always the nearest: in a dense crowd the nearest
//! is often the wrong person; giving a detection wholly to a neighbour would push an innocent
//! toward an alarm and leave the carrier with nothing. Splitting gives both a bounded share,
//! enough to cue them, and the cascade's pointed sensors then look at each person separately,
//! which resolves the ambiguity with unambiguous readings. Why not split always: when the
//! geometry is clear, splitting would throw away evidence that belongs to one person.

use crate::{SensorSpec, StandexConfig, TrackView};

/// One candidate of a reading: index into the track slice and its share.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Share {
    /// Index of the track in the slice given to [`associate`].
    pub index: usize,
    /// Share of the reading (association probability among the candidates), 0..=1.
    pub weight: f64,
    /// Mahalanobis distance squared of the reading to the track.
    pub d2: f64,
}

/// Whether `(x, y)` is within `margin` metres of the sensor's cone.
pub fn near_coverage(s: &SensorSpec, x: f64, y: f64, margin: f64) -> bool {
    if s.covers(x, y) {
        return true;
    }
    let (b, r) = s.bearing_range(x, y);
    if r > s.range_m + margin || r < s.min_range_m - margin {
        return false;
    }
    let mut off = (b - s.heading_deg).rem_euclid(360.0);
    if off > 180.0 {
        off = 360.0 - off;
    }
    let excess = (off - s.half_angle_deg).max(0.0);
    if excess >= 90.0 {
        // Behind the apex: distance to the apex.
        return r <= margin;
    }
    r * excess.to_radians().sin() <= margin
}

/// Finds the candidates of a reading at `(x, y, t)` from `sensor` among `tracks` and writes
/// their shares to `out` (cleared first). Empty when no track passes.
pub fn associate(
    sensor: &SensorSpec,
    x: f64,
    y: f64,
    t: f64,
    tracks: &[TrackView],
    cfg: &StandexConfig,
    out: &mut Vec<Share>,
) {
    out.clear();
    let r = sensor.sigma_m * sensor.sigma_m;
    let mut best_l = 0.0_f64;
    let mut second_l = 0.0_f64;
    let mut total = 0.0_f64;
    for (index, tr) in tracks.iter().enumerate() {
        let [px, py] = tr.predict(t);
        let dx = x - px;
        let dy = y - py;
        let s00 = tr.pos_cov[0][0] + r;
        let s11 = tr.pos_cov[1][1] + r;
        let s01 = 0.5 * (tr.pos_cov[0][1] + tr.pos_cov[1][0]);
        // Cheap reject: per-axis 1-D gate is implied by the 2-D one.
        if dx * dx > cfg.gate_chi2 * s00 || dy * dy > cfg.gate_chi2 * s11 {
            continue;
        }
        let det = s00 * s11 - s01 * s01;
        if det <= 0.0 {
            continue;
        }
        let d2 = (s11 * dx * dx - 2.0 * s01 * dx * dy + s00 * dy * dy) / det;
        if d2 > cfg.gate_chi2 {
            continue;
        }
        if !near_coverage(sensor, px, py, cfg.coverage_margin_m) {
            continue;
        }
        let l = (-0.5 * d2).exp() / det.sqrt();
        if l > best_l {
            second_l = best_l;
            best_l = l;
        } else if l > second_l {
            second_l = l;
        }
        total += l;
        out.push(Share {
            index,
            weight: l,
            d2,
        });
    }
    if out.is_empty() || total <= 0.0 {
        out.clear();
        return;
    }
    if out.len() == 1 || best_l >= cfg.nn_ratio * second_l {
        // Clear winner (comparing likelihoods; ties keep the first, the lowest index).
        let keep = out.iter().position(|s| s.weight == best_l).unwrap_or(0);
        let winner = Share {
            weight: 1.0,
            ..out[keep]
        };
        out.clear();
        out.push(winner);
        return;
    }
    for s in out.iter_mut() {
        s.weight /= total;
    }
}
