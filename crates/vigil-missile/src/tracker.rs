//! The multi-object ballistic tracker of one party: its own radars' plots in, tracks out.
//!
//! Per radar scan (all plots of one radar at one time): tracks whose extrapolated position
//! the radar covers are predicted to the scan time and their plots predicted through the
//! unscented filter; plots are gated by the χ²₃ distance ([`vigil_track::chi2`]), split into
//! clusters of tracks and plots that share a gate, and each cluster is assigned by global
//! nearest neighbour ([`vigil_track::assign::gnn`], cost `d² + ln |S|`). Assigned tracks are
//! corrected, and when other plots fell in a track's gate too, its covariance is inflated by
//! the spread of those alternatives weighted by their likelihood (the error the assignment
//! may have made): in a cloud closer than the radar resolves, a track that takes a
//! neighbour's plot stays consistent. Plots left over start candidates (three plots of one radar in a window make a
//! tentative track, [`BallisticFilter::initiate`]). A tentative track is confirmed after M
//! hits in its first N scans that covered it, and dropped if it cannot reach M; a track is
//! deleted after consecutive misses in coverage, a long coast, or once it is predicted under
//! the ground.
//!
//! Deterministic: the order of tracks, candidates and plots decides ties, and time comes
//! from the plots only.

use nalgebra::{Matrix3, Vector3};
use serde::{Deserialize, Serialize};
use vigil_track::assign::gnn;
use vigil_track::chi2::chi2_gate;

use crate::dynamics;
use crate::filter::{BallisticFilter, Estimate, FilterConfig};
use crate::impact::{
    GroundPrediction, ImpactCache, LaunchArea, LaunchCheck, best_launch_area, predict_impact_cheap,
    predict_impact_full, predict_launch,
};
use crate::radar::{Plot, PlotNoise, RadarConfig, RadarError, RadarId, RadarSite};

/// A track's identifier within its tracker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TrackId(pub u64);

/// A track's standing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TrackStatus {
    /// Initiated, not yet confirmed.
    Tentative,
    /// Confirmed (M of N).
    Confirmed,
}

/// Flight phase as the track sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TrackPhase {
    /// Climbing below the top of the atmosphere.
    Ascent,
    /// Above the atmosphere.
    Midcourse,
    /// Descending inside the atmosphere.
    Reentry,
}

/// One ballistic track.
#[derive(Debug, Clone, PartialEq)]
pub struct MissileTrack {
    /// Identifier.
    pub id: TrackId,
    /// Standing.
    pub status: TrackStatus,
    /// The estimate at [`MissileTrack::t`].
    pub est: Estimate,
    /// Time of the estimate, s.
    pub t: f64,
    /// Hits since initiation.
    pub hits: u32,
    /// Scans that covered it since initiation.
    pub opportunities: u32,
    /// Consecutive misses in coverage.
    pub misses: u32,
    /// Time of the last update, s.
    pub last_update: f64,
    /// Latest impact prediction.
    pub impact: Option<GroundPrediction>,
    /// Time of the estimate the impact prediction was made from, s.
    pub impact_from: f64,
    /// Latest launch point estimate (made while above the atmosphere).
    pub launch: Option<GroundPrediction>,
    /// Time of the last full (unscented) impact prediction, s.
    pub full_impact_from: f64,
    /// What the last full impact prediction leaves for the cheap ones.
    pub impact_cache: Option<ImpactCache>,
    /// Time of the last launch point estimate, s.
    pub launch_from: f64,
}

impl MissileTrack {
    /// Flight phase from the mean.
    pub fn phase(&self) -> TrackPhase {
        let r = Vector3::new(self.est.x[0], self.est.x[1], self.est.x[2]);
        let v = Vector3::new(self.est.x[3], self.est.x[4], self.est.x[5]);
        if dynamics::height_m(&r) >= dynamics::ATMOSPHERE_M {
            TrackPhase::Midcourse
        } else if r.dot(&v) > 0.0 {
            TrackPhase::Ascent
        } else {
            TrackPhase::Reentry
        }
    }

    /// Estimated ballistic coefficient β, kg/m² (infinite for κ ≤ 0).
    pub fn beta(&self) -> f64 {
        dynamics::beta_of_kappa(self.est.x[6])
    }
}

/// The tracker's settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrackerConfig {
    /// Gate probability (χ²₃ quantile).
    pub gate_prob: f64,
    /// Hits needed to confirm (M).
    pub confirm_m: u32,
    /// Scans within which to confirm (N).
    pub confirm_n: u32,
    /// Consecutive misses in coverage that delete a confirmed track.
    pub delete_misses: u32,
    /// Longest time without an update before deletion, s.
    pub max_coast_s: f64,
    /// Window within which three plots of one radar start a track, s.
    pub init_window_s: f64,
    /// Least time between two impact predictions of one track, s (0: at every update).
    pub impact_interval_s: f64,
    /// Least time between two full (unscented, 15 trajectories) impact predictions of one
    /// track, s; the predictions between are cheap ones (the mean's trajectory with the last
    /// full covariance, [`crate::impact::predict_impact_cheap`]). 0: every prediction full.
    pub full_impact_interval_s: f64,
    /// Most full impact predictions per scan, stalest first (0: no limit). Bounds the cost of
    /// a scan whatever the number of tracks.
    pub max_full_per_scan: u32,
    /// Most impact predictions (full or cheap) per scan, stalest first (0: no limit): with
    /// many objects each is then refreshed every few scans instead of at each update.
    pub max_predictions_per_scan: u32,
    /// Least time between two launch point estimates of one track, s.
    pub launch_interval_s: f64,
    /// Most launch point estimates per scan (0: no limit).
    pub max_launch_per_scan: u32,
    /// The ballistic filter's tuning.
    pub filter: FilterConfig,
}

impl Default for TrackerConfig {
    fn default() -> Self {
        Self {
            gate_prob: 0.9999,
            confirm_m: 3,
            confirm_n: 5,
            delete_misses: 4,
            max_coast_s: 60.0,
            init_window_s: 30.0,
            impact_interval_s: 0.0,
            full_impact_interval_s: 0.0,
            max_full_per_scan: 0,
            max_predictions_per_scan: 0,
            launch_interval_s: 0.0,
            max_launch_per_scan: 0,
            filter: FilterConfig::default(),
        }
    }
}

/// Why a scan was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TrackerError {
    /// The scan names a radar the tracker does not have.
    #[error("unknown radar {0:?}")]
    UnknownRadar(RadarId),
    /// The scan is older than the last one of its radar.
    #[error("scan at {t} s is older than the last one ({last} s) of radar {radar:?}")]
    OutOfOrder {
        /// Radar.
        radar: RadarId,
        /// Scan time.
        t: f64,
        /// Last scan time.
        last: f64,
    },
    /// A radar's configuration is bad.
    #[error(transparent)]
    Radar(#[from] RadarError),
    /// Per-plot noise was given for a different number of plots.
    #[error("{noise} plot noises for {plots} plots")]
    NoiseCount {
        /// Plots given.
        plots: usize,
        /// Noises given.
        noise: usize,
    },
}

/// What one scan did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ScanReport {
    /// Plots assigned to tracks.
    pub associated: u32,
    /// Tracks started.
    pub initiated: u32,
    /// Tracks confirmed.
    pub confirmed: u32,
    /// Tracks deleted.
    pub deleted: u32,
    /// Filter steps refused (bad numbers): the track keeps its estimate.
    pub refused: u32,
    /// Impact predictions made.
    pub predictions: u32,
}

#[derive(Debug, Clone)]
struct Candidate {
    radar: RadarId,
    plots: Vec<Plot>,
    /// Each plot's noise covariance.
    noise: Vec<Matrix3<f64>>,
}

/// The tracker of one party.
#[derive(Debug, Clone)]
pub struct MissileTracker {
    cfg: TrackerConfig,
    filter: BallisticFilter,
    radars: Vec<RadarSite>,
    last_scan: Vec<f64>,
    tracks: Vec<MissileTrack>,
    candidates: Vec<Candidate>,
    next_id: u64,
    launch_time: Option<f64>,
    gate: f64,
    /// The last scan's plots used, as (track, index in the scan's plot slice).
    last_assoc: Vec<(TrackId, usize)>,
    /// Infrared warnings' launch areas.
    launch_areas: Vec<LaunchArea>,
    /// Per track, its launch point against the best matching area.
    launch_checks: std::collections::BTreeMap<TrackId, LaunchCheck>,
}

impl MissileTracker {
    /// A tracker over `radars` (their [`RadarId`]s are their indices here).
    pub fn new(cfg: TrackerConfig, radars: Vec<RadarConfig>) -> Result<Self, TrackerError> {
        let radars = radars
            .into_iter()
            .enumerate()
            .map(|(i, c)| RadarSite::new(RadarId(i as u32), c))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            cfg,
            filter: BallisticFilter::new(cfg.filter),
            last_scan: vec![f64::NEG_INFINITY; radars.len()],
            radars,
            tracks: Vec::new(),
            candidates: Vec::new(),
            next_id: 1,
            launch_time: None,
            gate: chi2_gate(3, cfg.gate_prob),
            last_assoc: Vec::new(),
            launch_areas: Vec::new(),
            launch_checks: std::collections::BTreeMap::new(),
        })
    }

    /// The radars.
    pub fn radars(&self) -> &[RadarSite] {
        &self.radars
    }

    /// The tracks, tentative and confirmed.
    pub fn tracks(&self) -> &[MissileTrack] {
        &self.tracks
    }

    /// The filter.
    pub fn filter(&self) -> &BallisticFilter {
        &self.filter
    }

    /// Records an infrared launch warning's launch time: launch points are then
    /// back-propagated to it.
    pub fn set_launch_time(&mut self, t: f64) {
        if t.is_finite() {
            self.launch_time = Some(t);
        }
    }

    /// What the last scan did with its plots: (track, index of the plot in the slice given
    /// to [`MissileTracker::process_scan`]) for each plot that corrected a track or completed
    /// a new one. For evaluation against a simulation's truth, and for lineage.
    pub fn last_associations(&self) -> &[(TrackId, usize)] {
        &self.last_assoc
    }

    /// Records an infrared launch warning's area and time: from now on each launch point
    /// estimate is checked against the most consistent area and fused with it when the two
    /// agree ([`crate::impact::fuse_launch_area`]): the track's
    /// [`MissileTrack::launch`] is then the fused estimate, and
    /// [`MissileTracker::launch_check`] says whether the back-propagated point lies in the
    /// area. The warning's time also bounds the back-propagation as
    /// [`MissileTracker::set_launch_time`] does.
    pub fn add_launch_area(&mut self, area: LaunchArea) {
        if !(area.t_launch.is_finite() && area.radius_m.is_finite() && area.radius_m > 0.0) {
            return;
        }
        self.set_launch_time(area.t_launch);
        self.launch_areas.push(area);
    }

    /// A track's last launch point estimate against the warnings' areas (after
    /// [`MissileTracker::add_launch_area`]).
    pub fn launch_check(&self, id: TrackId) -> Option<&LaunchCheck> {
        self.launch_checks.get(&id)
    }

    /// Processes one scan: every plot of `radar` at time `t` (plots with another radar or
    /// time are ignored), with the site's configured noise.
    pub fn process_scan(
        &mut self,
        radar: RadarId,
        t: f64,
        plots: &[Plot],
    ) -> Result<ScanReport, TrackerError> {
        self.process_scan_with_noise(radar, t, plots, &[])
    }

    /// [`MissileTracker::process_scan`] with each plot's own noise (`noise[j]` for
    /// `plots[j]`; empty: the site's configured noise for all). A plot's noise replaces the
    /// site's in its gate, its update and the initiation it takes part in; an invalid one
    /// (non-positive or non-finite σ) falls back to the site's.
    pub fn process_scan_with_noise(
        &mut self,
        radar: RadarId,
        t: f64,
        plots: &[Plot],
        noise: &[PlotNoise],
    ) -> Result<ScanReport, TrackerError> {
        if !noise.is_empty() && noise.len() != plots.len() {
            return Err(TrackerError::NoiseCount {
                plots: plots.len(),
                noise: noise.len(),
            });
        }
        self.last_assoc.clear();
        let ri = radar.0 as usize;
        let site = self
            .radars
            .get(ri)
            .ok_or(TrackerError::UnknownRadar(radar))?
            .clone();
        if t.is_nan() || t < self.last_scan[ri] {
            return Err(TrackerError::OutOfOrder {
                radar,
                t,
                last: self.last_scan[ri],
            });
        }
        self.last_scan[ri] = t;
        // The plots of this scan, their index in the caller's slice, and their noise (`None`:
        // the site's).
        let site_r = site.noise();
        let mut index = Vec::new();
        let mut plot_r: Vec<Option<Matrix3<f64>>> = Vec::new();
        let plots: Vec<Plot> = plots
            .iter()
            .enumerate()
            .filter(|(_, p)| p.radar == radar && p.t == t)
            .map(|(j, p)| {
                index.push(j);
                let r = noise
                    .get(j)
                    .filter(|n| n.is_valid())
                    .map(PlotNoise::covariance)
                    .filter(|r| *r != site_r);
                plot_r.push(r);
                *p
            })
            .collect();
        let mut rep = ScanReport::default();

        // Tracks in coverage: predicted and measured.
        let mut cov_tracks = Vec::new();
        let mut pms = Vec::new();
        for (i, tr) in self.tracks.iter_mut().enumerate() {
            let dt = t - tr.t;
            let x = &tr.est.x;
            let guess = Vector3::new(x[0] + x[3] * dt, x[1] + x[4] * dt, x[2] + x[5] * dt);
            if !site.covers(&guess) {
                continue;
            }
            if dt > 0.0 {
                if self.filter.predict(&mut tr.est, dt).is_err() {
                    rep.refused += 1;
                    continue;
                }
                tr.t = t;
            }
            match self.filter.measure(&tr.est, &site) {
                Ok(pm) => match pm.s.cholesky() {
                    Some(ch) => {
                        let ln_det = 2.0 * ch.l().diagonal().iter().map(|d| d.ln()).sum::<f64>();
                        cov_tracks.push(i);
                        pms.push((pm, ch, ln_det));
                    }
                    None => rep.refused += 1,
                },
                Err(_) => rep.refused += 1,
            }
        }

        // Gating: edges (track k in cov_tracks, plot j, cost). A plot with its own noise
        // gets its own innovation covariance (the sigma points' spread is the same; only
        // the additive R differs).
        let mut edges: Vec<(usize, usize, f64)> = Vec::new();
        for (k, (pm, ch, ln_det)) in pms.iter().enumerate() {
            for (j, p) in plots.iter().enumerate() {
                // A cheap pre-gate on range alone.
                let s00 = match &plot_r[j] {
                    Some(r) => pm.s[(0, 0)] - site_r[(0, 0)] + r[(0, 0)],
                    None => pm.s[(0, 0)],
                };
                if (p.range_m - pm.z[0]).abs() > (s00 * self.gate).sqrt() {
                    continue;
                }
                let nu = <RadarSite as vigil_track::ukf::MeasurementModel<7, 3>>::residual(
                    &site,
                    &p.z(),
                    &pm.z,
                );
                let (d2, ln_det) = match &plot_r[j] {
                    None => (nu.dot(&ch.solve(&nu)), *ln_det),
                    Some(r) => {
                        let Some(c) = renoise(pm, &site_r, r).s.cholesky() else {
                            continue;
                        };
                        let ld = 2.0 * c.l().diagonal().iter().map(|d| d.ln()).sum::<f64>();
                        (nu.dot(&c.solve(&nu)), ld)
                    }
                };
                if d2 <= self.gate {
                    edges.push((k, j, d2 + ln_det));
                }
            }
        }
        let assignment = assign_clusters(cov_tracks.len(), plots.len(), &edges, |k| {
            self.gate + pms[k].2
        });

        let mut used = vec![false; plots.len()];
        for (k, &ti) in cov_tracks.iter().enumerate() {
            let tr = &mut self.tracks[ti];
            tr.opportunities += 1;
            match assignment[k] {
                Some(j) => {
                    let pm = match &plot_r[j] {
                        Some(r) => renoise(&pms[k].0, &site_r, r),
                        None => pms[k].0,
                    };
                    let chosen = <RadarSite as vigil_track::ukf::MeasurementModel<7, 3>>::residual(
                        &site,
                        &plots[j].z(),
                        &pm.z,
                    );
                    let spread = ambiguity_spread(&edges, k, j, &chosen, |i| {
                        <RadarSite as vigil_track::ukf::MeasurementModel<7, 3>>::residual(
                            &site,
                            &plots[i].z(),
                            &pm.z,
                        )
                    });
                    match self.filter.correct(&mut tr.est, &site, &pm, &plots[j]) {
                        Ok(_) => {
                            if let Some(m) = spread {
                                inflate(&mut tr.est, &pm, &m);
                            }
                            used[j] = true;
                            self.last_assoc.push((tr.id, index[j]));
                            tr.hits += 1;
                            tr.misses = 0;
                            tr.last_update = t;
                            rep.associated += 1;
                        }
                        Err(_) => {
                            rep.refused += 1;
                            tr.misses += 1;
                        }
                    }
                }
                None => tr.misses += 1,
            }
            if tr.status == TrackStatus::Tentative && tr.hits >= self.cfg.confirm_m {
                tr.status = TrackStatus::Confirmed;
                rep.confirmed += 1;
            }
        }

        // Initiation from the plots left over.
        self.candidates.retain(|c| {
            c.plots
                .first()
                .is_some_and(|p| t - p.t <= self.cfg.init_window_s)
        });
        for (j, p) in plots.iter().enumerate() {
            if used[j] {
                continue;
            }
            let r = plot_r[j].unwrap_or(site_r);
            if let Some(id) = self.initiate_from(&site, p, &r) {
                self.last_assoc.push((id, index[j]));
                rep.initiated += 1;
            }
        }

        // Deletion.
        let cfg = self.cfg;
        let before = self.tracks.len();
        self.tracks.retain(|tr| {
            let failed_confirm = tr.status == TrackStatus::Tentative
                && tr.opportunities >= cfg.confirm_n
                && tr.hits < cfg.confirm_m;
            let r = Vector3::new(tr.est.x[0], tr.est.x[1], tr.est.x[2]);
            let underground = dynamics::height_m(&r) < 0.0;
            let stale = t - tr.last_update > cfg.max_coast_s;
            let lost = tr.status == TrackStatus::Confirmed && tr.misses >= cfg.delete_misses;
            !(failed_confirm || underground || stale || lost)
        });
        rep.deleted = (before - self.tracks.len()) as u32;
        if rep.deleted > 0 {
            let live: std::collections::BTreeSet<TrackId> =
                self.tracks.iter().map(|tr| tr.id).collect();
            self.launch_checks.retain(|id, _| live.contains(id));
        }

        // Predictions for the confirmed tracks updated now: full ones for the stalest first,
        // within the budget; cheap ones for the rest that have had a full one.
        let ukf = *self.filter.ukf();
        let launch_time = self.launch_time;
        let mut due: Vec<usize> = (0..self.tracks.len())
            .filter(|&i| {
                let tr = &self.tracks[i];
                tr.status == TrackStatus::Confirmed
                    && tr.last_update == t
                    && !(tr.impact.is_some() && t - tr.impact_from < cfg.impact_interval_s)
            })
            .collect();
        // Stalest prediction first; at most `max_predictions_per_scan` of them.
        due.sort_by(|&a, &b| {
            let (x, y) = (&self.tracks[a], &self.tracks[b]);
            x.impact_from
                .total_cmp(&y.impact_from)
                .then(x.full_impact_from.total_cmp(&y.full_impact_from))
        });
        let mut left = if cfg.max_predictions_per_scan == 0 {
            u32::MAX
        } else {
            cfg.max_predictions_per_scan
        };
        let mut full_left = if cfg.max_full_per_scan == 0 {
            u32::MAX
        } else {
            cfg.max_full_per_scan
        };
        let mut launch_left = if cfg.max_launch_per_scan == 0 {
            u32::MAX
        } else {
            cfg.max_launch_per_scan
        };
        for i in due {
            if left == 0 {
                break;
            }
            let tr = &mut self.tracks[i];
            let want_full =
                tr.impact_cache.is_none() || t - tr.full_impact_from >= cfg.full_impact_interval_s;
            let mut done = false;
            if want_full && full_left > 0 {
                full_left -= 1;
                if let Ok((ip, cache)) = predict_impact_full(&ukf, &tr.est, t) {
                    tr.impact = Some(ip);
                    tr.impact_cache = Some(cache);
                    tr.full_impact_from = t;
                    done = true;
                }
            }
            if !done
                && let Some(cache) = tr.impact_cache
                && let Ok(ip) = predict_impact_cheap(&tr.est, t, &cache)
            {
                tr.impact = Some(ip);
                done = true;
            }
            if done {
                tr.impact_from = t;
                rep.predictions += 1;
                left -= 1;
            }
            if launch_left > 0
                && tr.phase() == TrackPhase::Midcourse
                && t - tr.launch_from >= cfg.launch_interval_s
                && {
                    launch_left -= 1;
                    true
                }
                && let Ok(lp) = predict_launch(&ukf, &tr.est, t, launch_time)
            {
                tr.launch = Some(lp);
                tr.launch_from = t;
                if let Some(c) = best_launch_area(&lp, &self.launch_areas) {
                    tr.launch = Some(c.fused);
                    self.launch_checks.insert(tr.id, c);
                }
            }
        }
        Ok(rep)
    }

    /// Tries the plot (with its noise `r`) against this radar's candidates; returns the
    /// track started, if one did.
    fn initiate_from(&mut self, site: &RadarSite, p: &Plot, r: &Matrix3<f64>) -> Option<TrackId> {
        let pos = site.to_ecef(&p.z());
        // Two-plot candidates first: the plot that completes a plausible track.
        let mut best: Option<(usize, f64)> = None;
        for (ci, c) in self.candidates.iter().enumerate() {
            if c.radar != site.id || c.plots.len() != 2 || p.t <= c.plots[1].t {
                continue;
            }
            let (a, b) = (&c.plots[0], &c.plots[1]);
            let (pa, pb) = (site.to_ecef(&a.z()), site.to_ecef(&b.z()));
            let v = (pb - pa) / (b.t - a.t);
            let miss = (pb + v * (p.t - b.t) - pos).norm();
            if best.is_none_or(|(_, m)| miss < m) {
                best = Some((ci, miss));
            }
        }
        if let Some((ci, _)) = best {
            let c = &self.candidates[ci];
            if let Some(est) = self.filter.initiate_with_noise(
                site,
                [&c.plots[0], &c.plots[1], p],
                [&c.noise[0], &c.noise[1], r],
            ) {
                self.candidates.remove(ci);
                let id = TrackId(self.next_id);
                self.next_id += 1;
                self.tracks.push(MissileTrack {
                    id,
                    status: TrackStatus::Tentative,
                    est,
                    t: p.t,
                    hits: 0,
                    opportunities: 0,
                    misses: 0,
                    last_update: p.t,
                    impact: None,
                    impact_from: f64::NEG_INFINITY,
                    launch: None,
                    full_impact_from: f64::NEG_INFINITY,
                    impact_cache: None,
                    launch_from: f64::NEG_INFINITY,
                });
                return Some(id);
            }
        }
        // One-plot candidates: the nearest reachable at 8 km/s (plus the noise).
        let sd = site.ecef_cov_with(&p.z(), r).trace().sqrt();
        let mut best: Option<(usize, f64)> = None;
        for (ci, c) in self.candidates.iter().enumerate() {
            if c.radar != site.id || c.plots.len() != 1 || p.t <= c.plots[0].t {
                continue;
            }
            let d = (site.to_ecef(&c.plots[0].z()) - pos).norm();
            if d <= 8_000.0 * (p.t - c.plots[0].t) + 6.0 * sd && best.is_none_or(|(_, m)| d < m) {
                best = Some((ci, d));
            }
        }
        match best {
            Some((ci, _)) => {
                self.candidates[ci].plots.push(*p);
                self.candidates[ci].noise.push(*r);
            }
            None => self.candidates.push(Candidate {
                radar: site.id,
                plots: vec![*p],
                noise: vec![*r],
            }),
        }
        None
    }
}

/// A predicted measurement with the noise `from` replaced by `to` (the unscented filter's
/// noise is additive: only `S` changes).
/// The covariance, in measurement space, of the error made by updating a track with its
/// assigned plot `chosen` (residual `nu_chosen`) when other plots of the scan fall in its gate
/// too: with `βᵢ` the probability that plot `i` is the track's own (normalised likelihoods
/// `exp(−cost/2)` of its gated plots, [`MissileTracker::process_scan`]'s edges), it is
/// `Σ βᵢ (ν_chosen − νᵢ)(ν_chosen − νᵢ)ᵀ`. `None` when the chosen plot is the only one in the
/// gate. Global nearest neighbour alone would keep the covariance of a sure association
/// while, in a cloud of objects closer than the radar resolves, a track takes its
/// neighbours' plots: the estimate then wanders by more than its covariance says, and a
/// fusion centre can no longer pair the two parties' tracks of one object.
fn ambiguity_spread(
    edges: &[(usize, usize, f64)],
    track: usize,
    chosen: usize,
    nu_chosen: &Vector3<f64>,
    residual: impl Fn(usize) -> Vector3<f64>,
) -> Option<Matrix3<f64>> {
    let mine: Vec<(usize, f64)> = edges
        .iter()
        .filter(|e| e.0 == track)
        .map(|e| (e.1, e.2))
        .collect();
    if mine.len() < 2 {
        return None;
    }
    let best = mine.iter().map(|e| e.1).fold(f64::INFINITY, f64::min);
    let w: Vec<f64> = mine.iter().map(|e| (-(e.1 - best) / 2.0).exp()).collect();
    let total: f64 = w.iter().sum();
    let mut m = Matrix3::zeros();
    for ((i, _), wi) in mine.iter().zip(&w) {
        if *i == chosen {
            continue;
        }
        let d = nu_chosen - residual(*i);
        m += d * d.transpose() * (wi / total);
    }
    Some(m)
}

/// Adds the ambiguity of the association (`m`, [`ambiguity_spread`]) to an updated
/// estimate: `P += K m Kᵀ` with the update's gain `K = Pxz S⁻¹`. The addition is positive
/// semi-definite, so the covariance stays positive definite.
fn inflate(g: &mut Estimate, pm: &vigil_track::ukf::PredictedMeasurement<7, 3>, m: &Matrix3<f64>) {
    let Some(ch) = pm.s.cholesky() else {
        return;
    };
    let gain = ch.solve(&pm.pxz.transpose()).transpose();
    let p = vigil_track::filter::symmetrize(&(g.p + gain * m * gain.transpose()));
    if p.iter().all(|v| v.is_finite()) {
        g.p = p;
    }
}

fn renoise(
    pm: &vigil_track::ukf::PredictedMeasurement<7, 3>,
    from: &Matrix3<f64>,
    to: &Matrix3<f64>,
) -> vigil_track::ukf::PredictedMeasurement<7, 3> {
    let mut out = *pm;
    out.s = vigil_track::filter::symmetrize(&(pm.s - from + to));
    out
}

/// Global nearest neighbour per cluster of tracks and plots joined by gate edges. Returns
/// the plot of each track.
pub(crate) fn assign_clusters(
    n_tracks: usize,
    n_plots: usize,
    edges: &[(usize, usize, f64)],
    miss_cost: impl Fn(usize) -> f64,
) -> Vec<Option<usize>> {
    let mut out = vec![None; n_tracks];
    // Union-find over tracks (0..n_tracks) and plots (n_tracks..).
    let mut parent: Vec<usize> = (0..n_tracks + n_plots).collect();
    fn find(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for &(k, j, _) in edges {
        let (a, b) = (find(&mut parent, k), find(&mut parent, n_tracks + j));
        if a != b {
            parent[a.max(b)] = a.min(b);
        }
    }
    let mut clusters: std::collections::BTreeMap<usize, (Vec<usize>, Vec<usize>)> =
        std::collections::BTreeMap::new();
    for &(k, j, _) in edges {
        let root = find(&mut parent, k);
        let e = clusters.entry(root).or_default();
        if !e.0.contains(&k) {
            e.0.push(k);
        }
        if !e.1.contains(&j) {
            e.1.push(j);
        }
    }
    for (_, (ts, ps)) in clusters {
        if ts.len() == 1 && ps.len() == 1 {
            out[ts[0]] = Some(ps[0]);
            continue;
        }
        let cost = |a: usize, b: usize| {
            edges
                .iter()
                .find(|e| e.0 == ts[a] && e.1 == ps[b])
                .map(|e| e.2)
        };
        // Every track's miss costs its own gate; gnn takes one, so use the largest (a miss
        // is then never preferred to a gated plot).
        let miss = ts.iter().map(|&k| miss_cost(k)).fold(f64::MIN, f64::max);
        // Costs must be non-negative for the solver: shift by the smallest.
        let shift = edges
            .iter()
            .filter(|e| ts.contains(&e.0))
            .map(|e| e.2)
            .fold(miss, f64::min)
            .min(0.0);
        let a = gnn(ts.len(), ps.len(), miss - shift, |x, y| {
            cost(x, y).map(|c| c - shift)
        });
        for (x, m) in a.into_iter().enumerate() {
            out[ts[x]] = m.map(|y| ps[y]);
        }
    }
    out
}
