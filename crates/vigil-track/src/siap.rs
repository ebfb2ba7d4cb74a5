//! SIAP (Single Integrated Air Picture) metrics over a whole scenario, following Stone Soup's
//! `SIAPMetrics` (stonesoup 1.9.1, `metricgenerator/tracktotruthmetrics.py`) and its
//! `TrackToTruth` associator (`dataassociator/tracktotrack.py`) line by line, so the values
//! agree with Stone Soup's to rounding (checked by `tests/stonesoup_peer.rs`).
//!
//! Reference: Votruba et al., "Single Integrated Air Picture (SIAP) Metrics Implementation",
//! 2001. Figures (time-range values, as Stone Soup reports them):
//!
//! - completeness C = Σ JT(t) / Σ J(t): fraction of true objects that are tracked;
//! - ambiguity A = Σ NA(t) / Σ JT(t): tracks per tracked true object (target 1);
//! - spuriousness S = Σ (N(t) − NA(t)) / Σ N(t): fraction of tracks matching no truth;
//! - positional accuracy PA = Σ_t Σ_assoc ‖track(t) − truth(t)‖ / Σ NA(t);
//! - rate of track-number changes R = Σ_j (NU_j − 1) / Σ_j TT_j (per second tracked);
//! - longest track segment LS = Σ_j TL_j / Σ_j T_j.
//!
//! Associations are time ranges during which one track follows one truth: a track is
//! associated with the nearest truth closer than a threshold for `consec_pairs_confirm`
//! consecutive common time steps, and the association ends after `consec_misses_end`
//! consecutive steps where that truth is not the nearest within the threshold. Times are
//! seconds (any epoch); states at a time are compared only when track and truth share that
//! exact time.

use nalgebra::SVector;

/// One track or one truth: its states in time order (seconds, position).
#[derive(Debug, Clone, PartialEq)]
pub struct Path<const D: usize> {
    /// `(time, position)`, strictly increasing times.
    pub states: Vec<(f64, SVector<f64, D>)>,
}

impl<const D: usize> Path<D> {
    /// Builds a path from states in any order; for a time given more than once the last
    /// state given wins (Stone Soup's `last_timestamp_generator`).
    pub fn new(mut states: Vec<(f64, SVector<f64, D>)>) -> Self {
        // Stable sort keeps the given order among equal times; keep the last of each.
        states.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut out: Vec<(f64, SVector<f64, D>)> = Vec::with_capacity(states.len());
        for s in states {
            match out.last_mut() {
                Some(last) if last.0 == s.0 => *last = s,
                _ => out.push(s),
            }
        }
        Self { states: out }
    }

    /// The state at exactly time `t`.
    pub fn at(&self, t: f64) -> Option<&SVector<f64, D>> {
        self.states
            .binary_search_by(|s| s.0.total_cmp(&t))
            .ok()
            .map(|i| &self.states[i].1)
    }

    fn first_time(&self) -> Option<f64> {
        self.states.first().map(|s| s.0)
    }

    fn last_time(&self) -> Option<f64> {
        self.states.last().map(|s| s.0)
    }
}

/// Parameters of the track-to-truth association (Stone Soup's `TrackToTruth`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SiapConfig {
    /// A track and a truth closer than this (Euclidean, same units as the positions) may be
    /// associated.
    pub association_threshold: f64,
    /// Consecutive common times within the threshold that start an association (Stone Soup
    /// default 3). At least 2 (Stone Soup cannot represent a zero-length association).
    pub consec_pairs_confirm: usize,
    /// Consecutive misses that end an association (Stone Soup default 2).
    pub consec_misses_end: usize,
}

impl SiapConfig {
    /// Stone Soup's defaults (3 to confirm, 2 to end) with the given threshold.
    pub fn new(association_threshold: f64) -> Self {
        Self {
            association_threshold,
            consec_pairs_confirm: 3,
            consec_misses_end: 2,
        }
    }
}

/// One track following one truth over the closed time range `[start, end]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Association {
    /// Index of the track.
    pub track: usize,
    /// Index of the truth.
    pub truth: usize,
    /// First associated time.
    pub start: f64,
    /// Last associated time.
    pub end: f64,
}

impl Association {
    fn contains(&self, t: f64) -> bool {
        self.start <= t && t <= self.end
    }
}

/// Associates tracks with truths over time (Stone Soup's `TrackToTruth.associate_tracks`).
/// When two truths are at exactly the same distance from a track, the one with the lower
/// index wins (Stone Soup takes the first in its set order).
pub fn associate_tracks_to_truth<const D: usize>(
    tracks: &[Path<D>],
    truths: &[Path<D>],
    config: &SiapConfig,
) -> Vec<Association> {
    let mut out = Vec::new();
    for (ti, track) in tracks.iter().enumerate() {
        let mut current: Option<usize> = None;
        let mut potential: Option<usize> = None;
        let mut n_success = 0usize;
        let mut n_fail = 0usize;
        let mut potential_start: Option<f64> = None;
        let (mut start, mut end) = (f64::NAN, f64::NAN);
        for &(t, ref x) in &track.states {
            let mut min_dist = config.association_threshold;
            let mut min_truth = None;
            for (j, truth) in truths.iter().enumerate() {
                let Some(y) = truth.at(t) else { continue };
                let d = (x - y).norm();
                if d < min_dist {
                    min_dist = d;
                    min_truth = Some(j);
                }
            }
            match current {
                None => {
                    match min_truth {
                        None => {
                            n_success = 0;
                            potential = None;
                            potential_start = None;
                        }
                        Some(m) if potential != Some(m) => {
                            potential = Some(m);
                            n_success = 1;
                            potential_start = Some(t);
                        }
                        Some(_) => n_success += 1,
                    }
                    if n_success >= config.consec_pairs_confirm {
                        current = min_truth;
                        start = potential_start.unwrap_or(t);
                        end = t;
                        potential_start = None;
                        potential = None;
                        n_success = 0;
                    }
                }
                Some(cur) => {
                    if min_truth == Some(cur) {
                        n_fail = 0;
                        end = t;
                    } else {
                        n_fail += 1;
                        if min_truth.is_some() && min_truth == potential {
                            n_success += 1;
                        } else {
                            potential = min_truth;
                            potential_start = Some(t);
                            n_success = 1;
                        }
                    }
                    if n_fail >= config.consec_misses_end {
                        out.push(Association {
                            track: ti,
                            truth: cur,
                            start,
                            end,
                        });
                        if n_success >= config.consec_pairs_confirm {
                            current = potential;
                            start = potential_start.unwrap_or(t);
                            end = t;
                        } else {
                            current = None;
                        }
                        // Stone Soup keeps counting failures across a switch (it never resets
                        // `n_failures` there); mirrored.
                    }
                }
            }
        }
        if let Some(cur) = current {
            out.push(Association {
                track: ti,
                truth: cur,
                start,
                end,
            });
        }
    }
    out
}

/// The SIAP figures over a scenario (Stone Soup's time-range metrics).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Siap {
    /// C: fraction of truth states that have an associated track (0 to 1, target 1).
    pub completeness: f64,
    /// A: associated tracks per associated truth (target 1).
    pub ambiguity: f64,
    /// S: fraction of track states not associated with any truth (0 to 1, target 0).
    pub spuriousness: f64,
    /// PA: mean distance between associated tracks and their truths (target 0).
    pub positional_accuracy: f64,
    /// R: track-number changes per second of tracked truth (target 0).
    pub track_number_change_rate: f64,
    /// LS: longest single-track association per truth over truth lifetime (0 to 1, target 1).
    pub longest_track_segment: f64,
    /// The number of track-number changes Σ_j (NU_j − 1), R's numerator.
    pub track_number_changes: u64,
    /// The associations the figures were computed from, those of one (track, truth) pair
    /// counted once (Stone Soup merges them).
    pub associations: usize,
}

/// A state needed by the metric is missing: an association covers a time at which its track
/// or its truth has no state (Stone Soup raises `IndexError` there).
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[error("association of track {track} and truth {truth} covers time {time} with no state")]
pub struct MissingState {
    /// Track index.
    pub track: usize,
    /// Truth index.
    pub truth: usize,
    /// The time.
    pub time: f64,
}

/// Associates tracks to truths ([`associate_tracks_to_truth`]) and computes the SIAP figures.
pub fn siap<const D: usize>(
    tracks: &[Path<D>],
    truths: &[Path<D>],
    config: &SiapConfig,
) -> Result<Siap, MissingState> {
    let assocs = associate_tracks_to_truth(tracks, truths, config);
    siap_from_associations(tracks, truths, &assocs)
}

/// SIAP figures from given associations (Stone Soup's `SIAPMetrics.compute_metric`).
pub fn siap_from_associations<const D: usize>(
    tracks: &[Path<D>],
    truths: &[Path<D>],
    assocs: &[Association],
) -> Result<Siap, MissingState> {
    let mut times: Vec<f64> = tracks
        .iter()
        .chain(truths)
        .flat_map(|p| p.states.iter().map(|s| s.0))
        .collect();
    times.sort_by(f64::total_cmp);
    times.dedup();

    let (mut j_sum, mut jt_sum, mut na_sum, mut n_sum) = (0u64, 0u64, 0u64, 0u64);
    let mut pa_sum = 0.0;
    let mut seen_truth = vec![false; truths.len()];
    let mut seen_track = vec![false; tracks.len()];
    for &t in &times {
        j_sum += truths.iter().filter(|p| p.at(t).is_some()).count() as u64;
        n_sum += tracks.iter().filter(|p| p.at(t).is_some()).count() as u64;
        seen_truth.fill(false);
        seen_track.fill(false);
        for a in assocs.iter().filter(|a| a.contains(t)) {
            seen_truth[a.truth] = true;
            seen_track[a.track] = true;
            let missing = MissingState {
                track: a.track,
                truth: a.truth,
                time: t,
            };
            let x = tracks[a.track].at(t).ok_or(missing)?;
            let y = truths[a.truth].at(t).ok_or(missing)?;
            pa_sum += (x - y).norm();
        }
        jt_sum += seen_truth.iter().filter(|s| **s).count() as u64;
        na_sum += seen_track.iter().filter(|s| **s).count() as u64;
    }
    let ratio = |num: f64, den: u64, empty: f64| {
        if den == 0 { empty } else { num / den as f64 }
    };

    // Stone Soup merges the associations of one (track, truth) pair into one association
    // over a compound time range; the continuity figures and the count see the merged ones.
    let mut groups: Vec<Vec<&Association>> = Vec::new();
    {
        let mut sorted: Vec<&Association> = assocs.iter().collect();
        sorted.sort_by(|a, b| {
            (a.truth, a.track)
                .cmp(&(b.truth, b.track))
                .then(a.start.total_cmp(&b.start))
        });
        for a in sorted {
            match groups.last_mut() {
                Some(g) if g[0].track == a.track && g[0].truth == a.truth => g.push(a),
                _ => groups.push(vec![a]),
            }
        }
    }

    // Continuity: per truth, the minimum number of tracks needed (NU), the time tracked (TT),
    // the longest association (TL) and the lifetime (T).
    let (mut changes, mut tt_sum, mut tl_sum, mut t_sum) = (0u64, 0.0, 0.0, 0.0);
    for (j, truth) in truths.iter().enumerate() {
        let mut mine: Vec<&Vec<&Association>> = groups.iter().filter(|g| g[0].truth == j).collect();
        if let (Some(a), Some(b)) = (truth.first_time(), truth.last_time()) {
            t_sum += b - a;
        }
        if mine.is_empty() {
            continue;
        }
        tl_sum += mine
            .iter()
            .map(|g| g.iter().map(|a| a.end - a.start).sum::<f64>())
            .fold(0.0, f64::max);
        let ts: Vec<f64> = truth.states.iter().map(|s| s.0).collect();
        let flat: Vec<&Association> = mine.iter().flat_map(|g| g.iter().copied()).collect();
        tt_sum += time_tracked(&ts, &flat);
        // Latest-ending association first.
        mine.sort_by(|a, b| group_end(b).total_cmp(&group_end(a)));
        let nu = tracks_needed(&ts, &mine);
        if nu > 0 {
            changes += nu - 1;
        }
    }

    Ok(Siap {
        completeness: ratio(jt_sum as f64, j_sum, 0.0),
        ambiguity: ratio(na_sum as f64, jt_sum, 1.0),
        spuriousness: ratio(n_sum.saturating_sub(na_sum) as f64, n_sum, 0.0),
        positional_accuracy: ratio(pa_sum, na_sum, 0.0),
        track_number_change_rate: if tt_sum != 0.0 {
            changes as f64 / tt_sum
        } else {
            0.0
        },
        longest_track_segment: if t_sum != 0.0 { tl_sum / t_sum } else { 0.0 },
        track_number_changes: changes,
        associations: groups.len(),
    })
}

/// TT_j: the length of the union of the associations within the truth's span, counted
/// between consecutive truth times.
fn time_tracked(ts: &[f64], assocs: &[&Association]) -> f64 {
    let mut total = 0.0;
    let mut pieces: Vec<(f64, f64)> = Vec::new();
    for w in ts.windows(2) {
        pieces.clear();
        for a in assocs {
            let (s, e) = (w[0].max(a.start), w[1].min(a.end));
            if s < e {
                pieces.push((s, e));
            }
        }
        pieces.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut cover: Option<(f64, f64)> = None;
        for &(s, e) in &pieces {
            cover = match cover {
                Some((cs, ce)) if s <= ce => Some((cs, ce.max(e))),
                Some((cs, ce)) => {
                    total += ce - cs;
                    Some((s, e))
                }
                None => Some((s, e)),
            };
        }
        if let Some((cs, ce)) = cover {
            total += ce - cs;
        }
    }
    total
}

fn group_end(g: &[&Association]) -> f64 {
    g.iter().map(|a| a.end).fold(f64::NEG_INFINITY, f64::max)
}

/// NU_j (Stone Soup's `min_num_tracks_needed_to_track`, including its stopping rule):
/// `groups` (the merged associations of one truth) sorted latest end first.
fn tracks_needed(ts: &[f64], groups: &[&Vec<&Association>]) -> u64 {
    let mut needed = 0;
    let mut i = 0;
    while i < ts.len() {
        let now = ts[i];
        // The first merged association covering `now`, and the end of its component there.
        let Some(end) = groups
            .iter()
            .find_map(|g| g.iter().find(|a| a.contains(now)).map(|a| a.end))
        else {
            i += 1;
            continue;
        };
        needed += 1;
        match ts[i + 1..].iter().position(|&t| t == end) {
            Some(k) => i = i + 1 + k + 1,
            None => break,
        }
    }
    needed
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use nalgebra::Vector2;

    fn path(pts: &[(f64, f64)]) -> Path<2> {
        Path::new(
            pts.iter()
                .map(|&(t, x)| (t, Vector2::new(x, 0.0)))
                .collect(),
        )
    }

    #[test]
    fn one_track_following_one_truth() {
        let truth = path(&[(0.0, 0.0), (1.0, 0.0), (2.0, 0.0), (3.0, 0.0), (4.0, 0.0)]);
        let track = path(&[(1.0, 3.0), (2.0, 3.0), (3.0, 3.0), (4.0, 3.0)]);
        let s = siap(&[track], &[truth], &SiapConfig::new(10.0)).unwrap();
        // Associated over [1, 4]: 4 of 5 truth states tracked.
        assert!((s.completeness - 0.8).abs() < 1e-12);
        assert_eq!(s.ambiguity, 1.0);
        assert_eq!(s.spuriousness, 0.0);
        assert!((s.positional_accuracy - 3.0).abs() < 1e-12);
        assert_eq!(s.track_number_changes, 0);
        assert!((s.longest_track_segment - 0.75).abs() < 1e-12);
    }

    #[test]
    fn a_track_swap_counts_one_change_and_a_far_track_is_spurious() {
        let truth = path(&[
            (0.0, 0.0),
            (1.0, 0.0),
            (2.0, 0.0),
            (3.0, 0.0),
            (4.0, 0.0),
            (5.0, 0.0),
        ]);
        let a = path(&[(0.0, 1.0), (1.0, 1.0), (2.0, 1.0)]);
        let b = path(&[(3.0, 2.0), (4.0, 2.0), (5.0, 2.0)]);
        let far = path(&[(0.0, 900.0), (1.0, 900.0)]);
        let s = siap(&[a, b, far], &[truth], &SiapConfig::new(10.0)).unwrap();
        assert_eq!(s.associations, 2);
        assert_eq!(s.track_number_changes, 1);
        // Tracked [0, 2] and [3, 5]: 4 s.
        assert!((s.track_number_change_rate - 0.25).abs() < 1e-12);
        assert!((s.spuriousness - 2.0 / 8.0).abs() < 1e-12);
        assert_eq!(s.completeness, 1.0);
    }
}
