//! `[missile]`: the centre's missile early warning (issue 9).
//!
//! The exercise source is computer-assisted, as the 2004-2012 NATO-Russia theatre missile
//! defence exercises were: a `vigil-ballistic` scenario run with a seed gives every radar's
//! plots and every infrared detector's launch warnings on the scenario's time scale. The
//! centre feeds only its OWN radars' plots (by name or by party), each at its time on the
//! centre's clock (`epoch` + scenario time), into its own `vigil-missile` tracker; its own
//! infrared warnings likewise. Once a cycle (1 s of the centre's clock) it:
//!
//! - offers its confirmed tracks to every link as [`MissileTrackOut`] (ECEF state and
//!   covariance for fusion, impact with its 95 % ellipse, launch point, lineage = its own
//!   radars) and its launch warnings as [`LaunchWarningOut`]; each link's release policy
//!   decides what goes;
//! - keeps the partner missile tracks received on links, by origin;
//! - at a data fusion centre, fuses own and partner tracks track to track into joint tracks
//!   with their own impact prediction (see [`fuse`] for the method and why it never counts a
//!   partner update twice);
//! - works out per threat the threatened cities, country and party, and the planning
//!   advice: which interceptor sites of each party could engage and when, and whose sector
//!   it falls in (sectoral arrangement) against coordinated independent defence.
//!
//! Advice only: nothing here commands anything. `/data/missile.json` serves it all.
//!
//! Adapters written here because the engine crates do not (yet) offer them: the radar
//! configuration from `vigil-ballistic`'s [`EwRadar`] to `vigil-missile`'s [`RadarConfig`],
//! per-track lineage (which own radars updated a track), the city and interceptor files,
//! track-to-track fusion and the engagement windows.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use anyhow::{Context, Result, bail};
use nalgebra::{Matrix2, Vector2, Vector3};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use vigil_ballistic::scenario::Scenario;
use vigil_ballistic::sensors::{EwRadar, LaunchWarning};
use vigil_core::{Clock, LatLon, UnixTime};
use vigil_link::link::Delivered;
use vigil_missile::dynamics;
use vigil_missile::filter::Estimate;
use vigil_missile::fusion::{self, FusionRule, PartyTracks};
use vigil_missile::impact::{CHI2_2DOF_95, Ellipse, GroundPrediction, predict_impact};
use vigil_missile::planning::{self, PlanningConfig};
use vigil_missile::radar::{Plot, RadarConfig, RadarId};
use vigil_missile::threat::{self, City, CityList};
use vigil_missile::tracker::{
    MissileTrack, MissileTracker, TrackId, TrackPhase, TrackStatus, TrackerConfig,
};
use vigil_release::{
    ImpactOut, LaunchWarningOut, LineageEntry, MissileTrackOut, Origin, Outbound, StateEstimate,
    Velocity,
};

/// `[missile]` of the centre's configuration.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MissileSection {
    /// The exercise scenario (`vigil-ballistic` TOML, e.g. `config/missile/scenario.toml`),
    /// relative to this configuration's directory.
    pub scenario: PathBuf,
    /// The scenario's seed: the same seed gives every centre the same plots and warnings.
    #[serde(default)]
    pub seed: u64,
    /// Unix seconds of the scenario's time 0. Default: `[clock] start` when the clock is
    /// virtual, else the moment the centre starts. Centres that exercise together set the
    /// same value.
    #[serde(default)]
    pub epoch: Option<f64>,
    /// This centre's own early-warning radars, by name. Empty: every radar of `party`.
    #[serde(default)]
    pub radars: Vec<String>,
    /// This centre's own infrared launch detectors, by name. Empty: every detector of
    /// `party`.
    #[serde(default)]
    pub ir_detectors: Vec<String>,
    /// The party whose sensors are this centre's when no names are given. Default:
    /// `[centre] party`.
    #[serde(default)]
    pub party: Option<String>,
    /// Cities (vigil-missile `CityList`: `[[city]]` name, country, party, lat, lon,
    /// population, e.g. `config/missile/cities.toml`), for the threatened cities inside an
    /// impact ellipse. Optional.
    #[serde(default)]
    pub cities: Option<PathBuf>,
    /// Interceptor sites, sectors and pre-planned responses (vigil-missile
    /// `PlanningConfig`: `[[site]]`, `[[sector]]`, `[[response]]`, e.g.
    /// `config/missile/interceptors.toml`), for the planning advice. Optional.
    #[serde(default)]
    pub interceptors: Option<PathBuf>,
    /// Whether this centre is a data fusion centre: it fuses partner missile tracks with
    /// its own into joint tracks.
    #[serde(default)]
    pub fusion_centre: bool,
    /// How a fusion centre fuses a partner track with its own: `"decorrelated"` (default:
    /// both parties' information, the common κ prior counted once) or
    /// `"covariance_intersection"` (consistent whatever the correlation, smaller gain).
    #[serde(default)]
    pub fusion_rule: FusionRule,
    /// A city within this distance (km) of an impact ellipse counts as threatened.
    #[serde(default = "default_city_margin")]
    pub city_margin_km: f64,
    /// The ballistic tracker's settings (vigil-missile `TrackerConfig`).
    #[serde(default)]
    pub tracker: TrackerConfig,
}

fn default_city_margin() -> f64 {
    25.0
}

fn resolve(p: &Path, base: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_owned()
    } else {
        base.join(p)
    }
}

impl MissileSection {
    /// Checks what needs no file.
    pub fn validate(&self) -> Result<()> {
        if !(self.city_margin_km.is_finite() && self.city_margin_km >= 0.0) {
            bail!("[missile] city_margin_km must be >= 0");
        }
        if self.epoch.is_some_and(|e| !e.is_finite()) {
            bail!("[missile] epoch must be a number of Unix seconds");
        }
        Ok(())
    }
}

/// `vigil-ballistic`'s radar as `vigil-missile`'s tracker takes it (an adapter: the two
/// crates describe a radar with different units).
pub fn radar_config(r: &EwRadar) -> RadarConfig {
    RadarConfig {
        name: r.name.clone(),
        party: r.party.clone(),
        lat: r.site.pos.lat,
        lon: r.site.pos.lon,
        height_m: r.site.height_m,
        boresight_az_deg: r.boresight_az_deg,
        half_fov_deg: r.fov_az_half_deg,
        max_range_km: r.max_range_m / 1000.0,
        min_elevation_deg: r.min_elevation_deg,
        sigma_range_m: r.sigma_range_m,
        sigma_az_mrad: r.sigma_az_rad * 1000.0,
        sigma_el_mrad: r.sigma_el_rad * 1000.0,
    }
}

/// One radar scan due on the centre's clock: the own radar's index and the scenario time.
#[derive(Debug, Clone)]
struct Scan {
    t: f64,
    radar: usize,
    plots: Vec<Plot>,
}

/// A partner missile track as received.
#[derive(Debug, Clone)]
struct PartnerTrack {
    msg: MissileTrackOut,
    link: String,
    received: UnixTime,
}

/// A joint (fused) track of the data fusion centre.
#[derive(Debug, Clone)]
struct JointTrack {
    id: u64,
    own: u64,
    partner: (String, String, u64),
    /// The partner update fused (its estimate time).
    partner_time: f64,
    /// The own estimate time fused.
    own_time: f64,
    t: f64,
    est: Estimate,
    /// Covariance-intersection weight of the own track (that rule only).
    omega: Option<f64>,
    impact: Option<GroundPrediction>,
}

/// The centre's missile state.
#[derive(Debug)]
struct State {
    party: String,
    centre: String,
    epoch: f64,
    fusion_centre: bool,
    fusion_rule: FusionRule,
    city_margin_m: f64,
    impact_interval_s: f64,
    own_radars: Vec<EwRadar>,
    all_radars: Vec<(EwRadar, bool)>,
    scans: Vec<Scan>,
    next_scan: usize,
    warnings: Vec<(LaunchWarning, String)>,
    next_warning: usize,
    tracker: MissileTracker,
    lineage: BTreeMap<u64, BTreeSet<usize>>,
    sent: BTreeMap<u64, f64>,
    issued: Vec<LaunchWarningOut>,
    partner_tracks: BTreeMap<(String, String, u64), PartnerTrack>,
    partner_warnings: Vec<(String, LaunchWarningOut)>,
    joint: Vec<JointTrack>,
    next_joint: u64,
    /// Partner updates fused so far, `(origin party, centre, id, estimate time bits)`: each
    /// goes into one joint estimate only.
    fused_updates: BTreeSet<(String, String, u64, u64)>,
    cities: Vec<City>,
    planning: Option<PlanningConfig>,
    /// Scenario time of the last fusion.
    last_fusion: f64,
    now: UnixTime,
    received: u64,
    refused_scans: u64,
}

/// What the centre's tasks and the API share of the missile early warning.
pub struct MissileShared {
    state: Mutex<State>,
    links: OnceLock<Arc<crate::links::LinksShared>>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for MissileShared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MissileShared").finish_non_exhaustive()
    }
}

impl MissileShared {
    /// Loads the scenario, runs it with its seed and sets up the tracker of this centre's
    /// own radars. `clock_start` is `[clock] start`.
    pub fn new(
        section: &MissileSection,
        base: &Path,
        party: &str,
        centre: &str,
        clock: Arc<dyn Clock>,
        clock_start: Option<f64>,
    ) -> Result<MissileShared> {
        section.validate()?;
        let path = resolve(&section.scenario, base);
        let scenario = Scenario::load(&path)
            .with_context(|| format!("[missile] scenario {}", path.display()))?;
        let run = scenario
            .run(section.seed)
            .with_context(|| format!("[missile] cannot run the scenario {}", path.display()))?;
        let own_party = section.party.clone().unwrap_or_else(|| party.to_owned());
        let is_own_radar = |r: &EwRadar| {
            if section.radars.is_empty() {
                r.party == own_party
            } else {
                section.radars.contains(&r.name)
            }
        };
        for n in &section.radars {
            if !scenario.radar.iter().any(|r| &r.name == n) {
                bail!("[missile] radars: the scenario has no radar {n:?}");
            }
        }
        for n in &section.ir_detectors {
            if !scenario.ir_detector.iter().any(|d| &d.name == n) {
                bail!("[missile] ir_detectors: the scenario has no detector {n:?}");
            }
        }
        // Scenario radar index -> own index.
        let mut own_index = vec![None; scenario.radar.len()];
        let mut own_radars = Vec::new();
        for (i, r) in scenario.radar.iter().enumerate() {
            if is_own_radar(r) {
                own_index[i] = Some(own_radars.len());
                own_radars.push(r.clone());
            }
        }
        let tracker = MissileTracker::new(
            section.tracker,
            own_radars.iter().map(radar_config).collect(),
        )
        .context("[missile] the tracker refused a radar")?;
        // Every scan of every own radar on its revisit grid over the flight, with its plots
        // (an empty scan still counts as a miss for the tracks it covers).
        let (t0, t1) = run
            .truth
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), o| {
                (a.min(o.trajectory.t_start()), b.max(o.trajectory.t_end()))
            });
        let mut scans: BTreeMap<(u64, usize), Scan> = BTreeMap::new();
        if t0.is_finite() && t1.is_finite() {
            for (oi, r) in own_radars.iter().enumerate() {
                if r.revisit_s.is_nan() || r.revisit_s <= 0.0 {
                    continue;
                }
                let mut k = ((t0 - r.scan_offset_s) / r.revisit_s).ceil();
                loop {
                    let t = r.scan_offset_s + k * r.revisit_s;
                    if t > t1 {
                        break;
                    }
                    scans.insert(
                        (t.to_bits(), oi),
                        Scan {
                            t,
                            radar: oi,
                            plots: Vec::new(),
                        },
                    );
                    k += 1.0;
                }
            }
        }
        for p in &run.plots {
            let Some(oi) = own_index.get(p.radar).copied().flatten() else {
                continue;
            };
            let plot = Plot {
                t: p.t,
                radar: RadarId(oi as u32),
                range_m: p.range_m,
                az_rad: p.az_rad,
                el_rad: p.el_rad,
            };
            scans
                .entry((p.t.to_bits(), oi))
                .or_insert_with(|| Scan {
                    t: p.t,
                    radar: oi,
                    plots: Vec::new(),
                })
                .plots
                .push(plot);
        }
        let mut scans: Vec<Scan> = scans.into_values().collect();
        scans.sort_by(|a, b| a.t.total_cmp(&b.t).then(a.radar.cmp(&b.radar)));
        let warnings = run
            .warnings
            .iter()
            .filter_map(|w| {
                let d = scenario.ir_detector.get(w.detector)?;
                let own = if section.ir_detectors.is_empty() {
                    d.party == own_party
                } else {
                    section.ir_detectors.contains(&d.name)
                };
                own.then(|| (w.clone(), d.name.clone()))
            })
            .collect();
        let cities = match &section.cities {
            Some(p) => {
                let p = resolve(p, base);
                let text = std::fs::read_to_string(&p)
                    .with_context(|| format!("[missile] cannot read cities {}", p.display()))?;
                CityList::from_toml(&text)
                    .with_context(|| format!("[missile] cities {}", p.display()))?
                    .cities
            }
            None => Vec::new(),
        };
        let planning = match &section.interceptors {
            Some(p) => {
                let p = resolve(p, base);
                let text = std::fs::read_to_string(&p).with_context(|| {
                    format!("[missile] cannot read interceptors {}", p.display())
                })?;
                Some(
                    PlanningConfig::from_toml(&text)
                        .with_context(|| format!("[missile] interceptors {}", p.display()))?,
                )
            }
            None => None,
        };
        let epoch = section
            .epoch
            .or(clock_start)
            .unwrap_or_else(|| clock.now().0);
        let all_radars = scenario
            .radar
            .iter()
            .map(|r| (r.clone(), is_own_radar(r)))
            .collect();
        tracing::info!(
            scenario = %scenario.name,
            own_radars = ?own_radars.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
            scans = scans.len(),
            epoch,
            "missile early warning: scenario loaded"
        );
        Ok(MissileShared {
            state: Mutex::new(State {
                party: party.to_owned(),
                centre: centre.to_owned(),
                epoch,
                fusion_centre: section.fusion_centre,
                fusion_rule: section.fusion_rule,
                city_margin_m: section.city_margin_km * 1000.0,
                impact_interval_s: section.tracker.impact_interval_s.max(1.0),
                own_radars,
                all_radars,
                scans,
                next_scan: 0,
                warnings,
                next_warning: 0,
                tracker,
                lineage: BTreeMap::new(),
                sent: BTreeMap::new(),
                issued: Vec::new(),
                partner_tracks: BTreeMap::new(),
                partner_warnings: Vec::new(),
                joint: Vec::new(),
                next_joint: 1,
                fused_updates: BTreeSet::new(),
                cities,
                planning,
                last_fusion: f64::NEG_INFINITY,
                now: UnixTime(epoch),
                received: 0,
                refused_scans: 0,
            }),
            links: OnceLock::new(),
            clock,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain data: keep serving it.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The links the tracks and warnings are offered to.
    pub fn attach_links(&self, links: Arc<crate::links::LinksShared>) {
        let _ = self.links.set(links);
    }

    /// Takes in a delivered partner message (missile tracks and launch warnings; the rest
    /// is ignored).
    pub fn receive(&self, d: &Delivered) {
        let mut st = self.lock();
        match &d.msg {
            Outbound::MissileTrack(m) => {
                st.received += 1;
                let key = (m.origin.party.clone(), m.origin.centre.clone(), m.id);
                st.partner_tracks.insert(
                    key,
                    PartnerTrack {
                        msg: m.clone(),
                        link: d.link.clone(),
                        received: d.received,
                    },
                );
            }
            Outbound::LaunchWarning(w) => {
                st.received += 1;
                if !st
                    .partner_warnings
                    .iter()
                    .any(|(_, x)| x.origin == w.origin && x.id == w.id)
                {
                    st.partner_warnings.push((d.link.clone(), w.clone()));
                }
            }
            _ => {}
        }
    }

    /// One cycle at the centre's time `now`: due scans and warnings into the tracker,
    /// partner tracks expired, joint tracks fused; returns what to offer the links.
    pub fn cycle(&self, now: UnixTime) -> Vec<Outbound> {
        let mut st = self.lock();
        st.cycle(now)
    }

    /// `/data/missile.json`.
    pub fn json(&self) -> Value {
        self.lock().json()
    }
}

/// Partner tracks not updated for this long (centre's clock) are dropped.
const PARTNER_MAX_AGE_S: f64 = 60.0;

impl State {
    fn origin(&self) -> Origin {
        Origin::new(self.party.clone(), self.centre.clone())
    }

    fn cycle(&mut self, now: UnixTime) -> Vec<Outbound> {
        self.now = now;
        let t_now = now.0 - self.epoch;
        let mut out = Vec::new();
        // Launch warnings first: they give the tracker the launch time.
        while let Some((w, name)) = self.warnings.get(self.next_warning).cloned() {
            if w.t_detect > t_now {
                break;
            }
            self.next_warning += 1;
            self.tracker.set_launch_time(w.t_launch_est);
            let msg = LaunchWarningOut {
                id: self.issued.len() as u64 + 1,
                time: UnixTime(self.epoch + w.t_detect),
                origin: self.origin(),
                launch_time: UnixTime(self.epoch + w.t_launch_est),
                lat: w.area_centre.lat,
                lon: w.area_centre.lon,
                radius_m: w.area_radius_m,
                azimuth_deg: w.azimuth_est_deg,
            };
            tracing::info!(detector = %name, lat = msg.lat, lon = msg.lon, "missile: launch warning");
            self.issued.push(msg.clone());
            out.push(Outbound::LaunchWarning(msg));
        }
        // Due scans in time order (across radars, so that no track is asked to go back).
        while self.next_scan < self.scans.len() && self.scans[self.next_scan].t <= t_now {
            let scan = std::mem::replace(
                &mut self.scans[self.next_scan],
                Scan {
                    t: 0.0,
                    radar: 0,
                    plots: Vec::new(),
                },
            );
            self.next_scan += 1;
            match self
                .tracker
                .process_scan(RadarId(scan.radar as u32), scan.t, &scan.plots)
            {
                Ok(_) => {
                    // A track whose last update is this scan's time was updated (or
                    // started) by this radar: its lineage.
                    for tr in self.tracker.tracks() {
                        if tr.last_update == scan.t {
                            self.lineage.entry(tr.id.0).or_default().insert(scan.radar);
                        }
                    }
                }
                Err(e) => {
                    self.refused_scans += 1;
                    tracing::debug!("missile: scan refused: {e}");
                }
            }
        }
        let live: BTreeSet<u64> = self.tracker.tracks().iter().map(|t| t.id.0).collect();
        self.lineage.retain(|k, _| live.contains(k));
        self.sent.retain(|k, _| live.contains(k));
        // Own confirmed tracks updated since they were last offered.
        let mut msgs = Vec::new();
        for tr in self.tracker.tracks() {
            if tr.status != TrackStatus::Confirmed
                || self.sent.get(&tr.id.0).is_some_and(|&t| t == tr.t)
            {
                continue;
            }
            msgs.push((tr.id.0, tr.t, self.track_out(tr.id.0)));
        }
        for (id, t, m) in msgs {
            if let Some(m) = m {
                self.sent.insert(id, t);
                out.push(Outbound::MissileTrack(m));
            }
        }
        self.partner_tracks
            .retain(|_, p| now.since(p.received) <= PARTNER_MAX_AGE_S);
        // Fusion (and the joint tracks' impact predictions, milliseconds each) at most every
        // `impact_interval_s` of scenario time.
        if self.fusion_centre && t_now - self.last_fusion >= self.impact_interval_s {
            self.last_fusion = t_now;
            self.fuse_all(t_now);
        }
        out
    }

    /// The message of own track `id`.
    fn track_out(&self, id: u64) -> Option<MissileTrackOut> {
        let tr = self.tracker.tracks().iter().find(|t| t.id.0 == id)?;
        let x = &tr.est.x;
        let r = Vector3::new(x[0], x[1], x[2]);
        let v = Vector3::new(x[3], x[4], x[5]);
        let g = vigil_track::geo::ecef_to_geodetic(&r);
        let enu = vigil_track::geo::ecef_to_enu_rotation(&g.pos) * v;
        let mut cov_upper = [0.0; 21];
        let mut k = 0;
        for i in 0..6 {
            for j in i..6 {
                cov_upper[k] = tr.est.p[(i, j)];
                k += 1;
            }
        }
        let lineage = self
            .lineage
            .get(&id)
            .into_iter()
            .flatten()
            .filter_map(|&i| self.own_radars.get(i))
            .map(|r| LineageEntry {
                sensor: r.name.clone(),
                party: r.party.clone(),
            })
            .collect();
        Some(MissileTrackOut {
            id,
            time: UnixTime(self.epoch + tr.t),
            origin: self.origin(),
            object: object_kind(tr.phase(), tr.beta()).to_owned(),
            phase: phase_name(tr.phase()).to_owned(),
            lat: g.pos.lat,
            lon: g.pos.lon,
            alt_m: g.height_m,
            velocity: Some(Velocity {
                east_mps: enu.x,
                north_mps: enu.y,
                up_mps: enu.z,
            }),
            estimate: Some(StateEstimate {
                ecef: [x[0], x[1], x[2], x[3], x[4], x[5]],
                cov_upper,
            }),
            impact: tr.impact.as_ref().map(|i| self.impact_out(i)),
            launch: tr.launch.as_ref().map(|l| l.point),
            lineage,
        })
    }

    fn impact_out(&self, i: &GroundPrediction) -> ImpactOut {
        ImpactOut {
            lat: i.point.lat,
            lon: i.point.lon,
            time: UnixTime(self.epoch + i.t),
            semi_major_m: i.ellipse.semi_major_m,
            semi_minor_m: i.ellipse.semi_minor_m,
            orientation_deg: i.ellipse.orientation_deg,
        }
    }

    /// Fuses the own confirmed tracks with the partner tracks (vigil-missile
    /// [`fusion::fuse`]: association by Mahalanobis distance at a common time, then the
    /// configured rule, by default decorrelated fusion). Joint tracks are made afresh from the latest own and the latest partner
    /// estimate and never fed back, so no partner update is counted twice; each one fused is
    /// recorded in `fused_updates`.
    fn fuse_all(&mut self, t: f64) {
        let filter = *self.tracker.filter();
        let prior = filter.cfg;
        // Partner tracks as the fusion takes them: κ (not on the wire) from the filter's
        // prior, uncorrelated. Their track ids are their index here.
        // Fields the fusion does not read (counters, caches) come from an own track: without
        // one there is nothing to fuse.
        let Some(template) = self.tracker.tracks().first().cloned() else {
            self.joint.clear();
            return;
        };
        let keys: Vec<(String, String, u64)> = self.partner_tracks.keys().cloned().collect();
        let partner: Vec<MissileTrack> = keys
            .iter()
            .enumerate()
            .filter_map(|(i, k)| {
                let p = &self.partner_tracks[k];
                let est = partner_estimate(&p.msg, prior.kappa_prior, prior.kappa_prior_sd)?;
                Some(MissileTrack {
                    id: TrackId(i as u64),
                    status: TrackStatus::Confirmed,
                    est,
                    t: p.msg.time.0 - self.epoch,
                    hits: 0,
                    opportunities: 0,
                    misses: 0,
                    last_update: p.msg.time.0 - self.epoch,
                    impact: None,
                    impact_from: f64::NEG_INFINITY,
                    launch: None,
                    ..template.clone()
                })
            })
            .collect();
        let own_party = self.party.clone();
        let fused = fusion::fuse(
            &filter,
            self.fusion_rule,
            PartyTracks {
                party: &own_party,
                tracks: self.tracker.tracks(),
            },
            PartyTracks {
                party: "partner",
                tracks: &partner,
            },
            t,
            false,
        );
        let mut joint = Vec::new();
        for f in fused {
            let (Some(own), Some(part)) = (
                f.parts.iter().find(|c| c.party == own_party),
                f.parts.iter().find(|c| c.party == "partner"),
            ) else {
                continue;
            };
            let Some(key) = keys.get(part.track.0 as usize).cloned() else {
                continue;
            };
            let partner_time = self.partner_tracks[&key].msg.time.0 - self.epoch;
            let own_time = self
                .tracker
                .tracks()
                .iter()
                .find(|tr| tr.id == own.track)
                .map_or(t, |tr| tr.t);
            self.fused_updates.insert((
                key.0.clone(),
                key.1.clone(),
                key.2,
                partner_time.to_bits(),
            ));
            let id = match self
                .joint
                .iter()
                .find(|j| j.own == own.track.0 && j.partner == key)
            {
                Some(j) => j.id,
                None => {
                    let id = self.next_joint;
                    self.next_joint += 1;
                    id
                }
            };
            joint.push(JointTrack {
                id,
                own: own.track.0,
                partner: key,
                partner_time,
                own_time,
                t: f.t,
                impact: predict_impact(filter.ukf(), &f.est, f.t).ok(),
                est: f.est,
                omega: f.omega,
            });
        }
        self.joint = joint;
    }

    /// Threatened cities, country and party of an impact prediction, and, with the
    /// estimate, the planning advice (vigil-missile `threat::assess`, `planning::advise`).
    fn threat_json(
        &self,
        impact: Option<&GroundPrediction>,
        est: Option<(&Estimate, f64)>,
    ) -> Value {
        let Some(ip) = impact else {
            return json!({ "cities": [], "advice": Value::Null });
        };
        let th = threat::assess(ip, &self.cities, self.city_margin_m / 1000.0);
        let advice = match (&self.planning, est) {
            (Some(cfg), Some((e, t))) => {
                let a = planning::advise(cfg, e, t, ip.t, &ip.point, th.party.as_deref());
                let mut v = serde_json::to_value(&a).unwrap_or(Value::Null);
                // Times on the centre's clock too, and how far ahead.
                let now = self.now.0 - self.epoch;
                if let Some(ws) = v["windows"].as_array_mut() {
                    for w in ws {
                        for (k, unix, rel) in [
                            ("t_first", "window_start", "starts_in_s"),
                            ("t_last", "window_end", "ends_in_s"),
                            ("launch_by", "launch_by_time", "launch_by_in_s"),
                        ] {
                            if let Some(x) = w[k].as_f64() {
                                w[unix] = json!(self.epoch + x);
                                w[rel] = json!((x - now).round());
                            }
                        }
                    }
                }
                v["text"] = json!(advice_text(&a, th.party.as_deref()));
                v
            }
            _ => Value::Null,
        };
        let mut v = serde_json::to_value(&th).unwrap_or(Value::Null);
        v["advice"] = advice;
        v
    }

    fn json(&self) -> Value {
        let tti = |i: &ImpactOut| (i.time.0 - self.now.0).max(0.0);
        let own: Vec<Value> = self
            .tracker
            .tracks()
            .iter()
            .filter(|t| t.status == TrackStatus::Confirmed)
            .filter_map(|tr| {
                let m = self.track_out(tr.id.0)?;
                let mut v = serde_json::to_value(&m).ok()?;
                v["key"] = json!(format!("O:{}", m.id));
                v["time_to_impact_s"] = json!(m.impact.as_ref().map(tti));
                v["launch_ellipse"] = json!(tr.launch.as_ref().map(|l| self.impact_out(l)));
                v["threat"] = self.threat_json(tr.impact.as_ref(), Some((&tr.est, tr.t)));
                Some(v)
            })
            .collect();
        let partner: Vec<Value> = self
            .partner_tracks
            .iter()
            .filter_map(|((party, centre, id), p)| {
                let mut v = serde_json::to_value(&p.msg).ok()?;
                v["key"] = json!(format!("P:{party}/{centre}:{id}"));
                v["link"] = json!(p.link);
                v["received"] = json!(p.received.0);
                v["time_to_impact_s"] = json!(p.msg.impact.as_ref().map(tti));
                let gp = p
                    .msg
                    .impact
                    .as_ref()
                    .map(|i| ground_prediction(i, self.epoch));
                v["threat"] = self.threat_json(gp.as_ref(), None);
                Some(v)
            })
            .collect();
        let joint: Vec<Value> = self
            .joint
            .iter()
            .map(|j| {
                let x = &j.est.x;
                let r = Vector3::new(x[0], x[1], x[2]);
                let g = vigil_track::geo::ecef_to_geodetic(&r);
                let impact = j.impact.as_ref().map(|i| self.impact_out(i));
                json!({
                    "key": format!("J:{}", j.id),
                    "id": j.id,
                    "time": self.epoch + j.t,
                    "own": j.own,
                    "own_time": self.epoch + j.own_time,
                    "partner": { "party": j.partner.0, "centre": j.partner.1, "id": j.partner.2,
                                 "time": self.epoch + j.partner_time },
                    "rule": self.fusion_rule.name(),
                    "omega": j.omega,
                    "phase": phase_name(phase_of(&j.est)),
                    "object": object_kind(phase_of(&j.est), dynamics::beta_of_kappa(x[6])),
                    "lat": g.pos.lat, "lon": g.pos.lon, "alt_m": g.height_m,
                    "impact": impact,
                    "time_to_impact_s": impact.as_ref().map(tti),
                    "threat": self.threat_json(j.impact.as_ref(), Some((&j.est, j.t))),
                })
            })
            .collect();
        let mut warnings: Vec<Value> = self
            .issued
            .iter()
            .map(|w| {
                let mut v = serde_json::to_value(w).unwrap_or(Value::Null);
                v["own"] = json!(true);
                v
            })
            .collect();
        warnings.extend(self.partner_warnings.iter().map(|(link, w)| {
            let mut v = serde_json::to_value(w).unwrap_or(Value::Null);
            v["own"] = json!(false);
            v["link"] = json!(link);
            v
        }));
        json!({
            "centre": self.centre,
            "party": self.party,
            "now": self.now.0,
            "epoch": self.epoch,
            "scenario_time_s": self.now.0 - self.epoch,
            "fusion_centre": self.fusion_centre,
            "fusion_rule": self.fusion_rule.name(),
            "own": own,
            "partner": partner,
            "joint": joint,
            "warnings": warnings,
            "radars": self.all_radars.iter().map(|(r, own)| json!({
                "name": r.name, "party": r.party, "own": own,
                "lat": r.site.pos.lat, "lon": r.site.pos.lon,
                "boresight_az_deg": r.boresight_az_deg, "fov_az_half_deg": r.fov_az_half_deg,
                "max_range_m": r.max_range_m,
            })).collect::<Vec<_>>(),
            "interceptors": self.planning.as_ref().map_or(&[][..], |p| &p.sites[..]),
            "sectors": self.planning.as_ref().map_or(&[][..], |p| &p.sectors[..]),
            "cities": self.cities.len(),
            "counters": {
                "scans_done": self.next_scan, "scans_total": self.scans.len(),
                "scans_refused": self.refused_scans, "received": self.received,
                "partner_updates_fused": self.fused_updates.len(),
            },
        })
    }
}

/// One line of advice for the duty officers: sectoral arrangement against coordinated
/// independent defence.
fn advice_text(a: &planning::EngagementAdvice, threatened: Option<&str>) -> String {
    if a.windows.is_empty() {
        return "advice: no interceptor site can engage before impact".to_owned();
    }
    let independent: Vec<String> = a
        .independent_sites
        .iter()
        .map(|(p, s)| format!("{p}: {}", s.join(", ")))
        .collect();
    format!(
        "sectoral: {} engages ({}); coordinated independent defence: {} defends its territory, able to engage: {}",
        a.sector_party.as_deref().unwrap_or("no sector owner"),
        if a.sectoral_sites.is_empty() {
            "no site".to_owned()
        } else {
            a.sectoral_sites.join(", ")
        },
        threatened.unwrap_or("the threatened party"),
        independent.join("; "),
    )
}

fn phase_of(e: &Estimate) -> TrackPhase {
    let r = Vector3::new(e.x[0], e.x[1], e.x[2]);
    let v = Vector3::new(e.x[3], e.x[4], e.x[5]);
    if dynamics::height_m(&r) >= dynamics::ATMOSPHERE_M {
        TrackPhase::Midcourse
    } else if r.dot(&v) > 0.0 {
        TrackPhase::Ascent
    } else {
        TrackPhase::Reentry
    }
}

fn phase_name(p: TrackPhase) -> &'static str {
    match p {
        TrackPhase::Ascent => "boost",
        TrackPhase::Midcourse => "midcourse",
        TrackPhase::Reentry => "reentry",
    }
}

/// What the object is thought to be: only re-entry tells (the atmosphere sorts heavy
/// re-entry vehicles from light stages and debris by their ballistic coefficient).
fn object_kind(phase: TrackPhase, beta: f64) -> &'static str {
    match phase {
        TrackPhase::Reentry if beta >= 1500.0 => "rv",
        TrackPhase::Reentry if beta <= 600.0 => "debris",
        _ => "unknown",
    }
}

/// The partner's 6-state estimate as a 7-state one: the drag parameter κ, which the wire
/// does not carry, at the filter's prior, uncorrelated.
fn partner_estimate(m: &MissileTrackOut, kappa: f64, kappa_sd: f64) -> Option<Estimate> {
    let e = m.estimate.as_ref()?;
    let mut g = Estimate {
        x: nalgebra::SVector::<f64, 7>::zeros(),
        p: nalgebra::SMatrix::<f64, 7, 7>::zeros(),
    };
    for i in 0..6 {
        g.x[i] = e.ecef[i];
    }
    g.x[6] = kappa;
    let mut k = 0;
    for i in 0..6 {
        for j in i..6 {
            g.p[(i, j)] = e.cov_upper[k];
            g.p[(j, i)] = e.cov_upper[k];
            k += 1;
        }
    }
    g.p[(6, 6)] = kappa_sd * kappa_sd;
    let finite = g.x.iter().all(|v| v.is_finite()) && g.p.iter().all(|v| v.is_finite());
    (finite && g.p.cholesky().is_some()).then_some(g)
}

/// A received impact (point, time, 95 % ellipse) as a ground prediction, for the threat
/// assessment: the east / north covariance whose 95 % ellipse it is.
fn ground_prediction(i: &ImpactOut, epoch: f64) -> GroundPrediction {
    let th = i.orientation_deg.to_radians();
    // Unit vectors of the major and minor axes in (east, north).
    let u = Vector2::new(th.sin(), th.cos());
    let v = Vector2::new(th.cos(), -th.sin());
    let cov_en: Matrix2<f64> = u * u.transpose() * (i.semi_major_m.powi(2) / CHI2_2DOF_95)
        + v * v.transpose() * (i.semi_minor_m.powi(2) / CHI2_2DOF_95);
    GroundPrediction {
        point: LatLon::new(i.lat, i.lon),
        t: i.time.0 - epoch,
        t_sd: 0.0,
        cov_en,
        ellipse: Ellipse::from_cov(&cov_en, CHI2_2DOF_95),
    }
}

/// Copies the partner missile messages of `delivered` into the missile state and passes
/// everything on (to the links' inbound task).
pub fn tap(
    mut delivered: mpsc::Receiver<Delivered>,
    missile: Arc<MissileShared>,
) -> mpsc::Receiver<Delivered> {
    let (tx, rx) = mpsc::channel(1024);
    tokio::spawn(async move {
        while let Some(d) = delivered.recv().await {
            missile.receive(&d);
            if tx.send(d).await.is_err() {
                return;
            }
        }
    });
    rx
}

/// The missile cycle: every second of the centre's clock (`speed` virtual seconds per
/// wall second), a [`MissileShared::cycle`], its messages offered to every link.
pub async fn run(missile: Arc<MissileShared>, speed: f64, shutdown: CancellationToken) {
    let period = std::time::Duration::from_secs_f64(1.0 / speed.max(1e-3));
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = tick.tick() => {}
        }
        let now = missile.clock.now();
        let m = missile.clone();
        // The tracker's impact predictions take milliseconds: off the async threads.
        let out = match tokio::task::spawn_blocking(move || m.cycle(now)).await {
            Ok(out) => out,
            Err(_) => {
                tracing::error!("missile cycle panicked");
                return;
            }
        };
        if let Some(links) = missile.links.get() {
            for msg in out {
                for h in &links.handles {
                    if h.offer(msg.clone()).await.is_err() {
                        return;
                    }
                }
            }
        }
    }
}

/// `/data/missile.json` behind the login gate, as a router to merge into the centre's.
pub fn router(missile: Arc<MissileShared>, access: Arc<crate::access::Access>) -> axum::Router {
    use axum::routing::get;
    axum::Router::new()
        .route(
            "/data/missile.json",
            get(move || {
                let m = missile.clone();
                async move { axum::Json(m.json()) }
            }),
        )
        .layer(axum::middleware::from_fn_with_state(
            access,
            crate::access::require_login,
        ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn example_centre_configs_parse() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/missile");
        let mut seen = 0;
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            if !name.starts_with("centre-")
                || !name.ends_with(".toml")
                || name.ends_with(".policy.toml")
            {
                continue;
            }
            let loaded = crate::config::load(&p).unwrap_or_else(|e| panic!("{name}: {e:#}"));
            crate::config::validate(&loaded.config).unwrap_or_else(|e| panic!("{name}: {e:#}"));
            assert!(loaded.config.missile.is_some(), "{name} has [missile]");
            seen += 1;
        }
        assert!(seen >= 2);
    }

    #[test]
    fn a_received_impact_ellipse_becomes_the_same_ground_prediction() {
        let i = ImpactOut {
            lat: 44.0,
            lon: 26.0,
            time: UnixTime(1_000.0),
            semi_major_m: 20_000.0,
            semi_minor_m: 5_000.0,
            orientation_deg: 30.0,
        };
        let g = ground_prediction(&i, 100.0);
        assert!((g.ellipse.semi_major_m - 20_000.0).abs() < 1e-6);
        assert!((g.ellipse.semi_minor_m - 5_000.0).abs() < 1e-6);
        assert!((g.ellipse.orientation_deg - 30.0).abs() < 1e-9);
        assert_eq!(g.t, 900.0);
        // 15 km along the major axis is inside, 15 km across is not.
        let along = LatLon::new(44.0, 26.0).destination(30.0, 15_000.0);
        let across = LatLon::new(44.0, 26.0).destination(120.0, 15_000.0);
        assert!(g.contains(&along, 0.0));
        assert!(!g.contains(&across, 0.0));
    }
}
