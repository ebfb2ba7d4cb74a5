//! Missile scenarios from TOML: radars (with their party), infrared launch detectors, missile
//! types and launches ("from A to B", or an azimuth and a range, or an azimuth and a pitch);
//! [`Scenario::run`] flies every launch and draws the sensors' reports from one seed.
//!
//! Same seed, same scenario: the same plots and warnings, bit for bit. Each radar and each
//! detector draws from its own ChaCha8 stream, so adding a radar does not change the others'
//! plots.

use std::path::{Path, PathBuf};

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Poisson};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use vigil_core::{Geodetic, LatLon};

use crate::earth;
use crate::flight::{self, Flight, FlightError, Missile, ObjectKind, StateAt, Trajectory};
use crate::sensors::{EwRadar, IrDetector, LaunchWarning, RadarPlot, flat_geodetic};

/// A scenario failure.
#[derive(Debug, Error)]
pub enum ScenarioError {
    /// A file could not be read.
    #[error("reading {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A file is not valid TOML for its schema.
    #[error("parsing {path}: {source}")]
    Toml {
        /// The file.
        path: PathBuf,
        /// The error.
        source: Box<toml::de::Error>,
    },
    /// A launch names a missile type that is not defined.
    #[error("launch {launch}: unknown missile type {missile:?}")]
    UnknownMissile {
        /// Launch index.
        launch: usize,
        /// The name.
        missile: String,
    },
    /// A launch does not say where it goes.
    #[error(
        "launch {launch}: give `to`, or `azimuth_deg` with `range_km` or `final_elevation_deg`"
    )]
    NoTarget {
        /// Launch index.
        launch: usize,
    },
    /// A value is out of range.
    #[error("{what}: {reason}")]
    Invalid {
        /// Which item.
        what: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// A flight failed.
    #[error("launch {launch}: {source}")]
    Flight {
        /// Launch index.
        launch: usize,
        /// The error.
        source: FlightError,
    },
}

/// Sensors that can live in their own file (`radar_files`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SensorFile {
    /// Early-warning radars.
    #[serde(default)]
    pub radar: Vec<EwRadar>,
    /// Infrared launch detectors.
    #[serde(default)]
    pub ir_detector: Vec<IrDetector>,
}

/// One launch of a scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LaunchConfig {
    /// Missile type name.
    pub missile: String,
    /// Lift-off time, s.
    pub t: f64,
    /// Launch point.
    #[serde(with = "flat_geodetic")]
    pub from: Geodetic,
    /// Target point: the aim solver finds azimuth and pitch.
    #[serde(default)]
    pub to: Option<LatLon>,
    /// Launch azimuth, degrees (with `range_km`: a target at that range; with
    /// `final_elevation_deg`: flown as given).
    #[serde(default)]
    pub azimuth_deg: Option<f64>,
    /// Ground range to aim at, km (with `azimuth_deg`).
    #[serde(default)]
    pub range_km: Option<f64>,
    /// Final thrust elevation, degrees (with `azimuth_deg`, no aiming).
    #[serde(default)]
    pub final_elevation_deg: Option<f64>,
}

/// A scenario as written in TOML.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Name.
    pub name: String,
    /// Files of radars and detectors to include, relative to the scenario file.
    #[serde(default)]
    pub radar_files: Vec<PathBuf>,
    /// Radars (after loading, those of `radar_files` first).
    #[serde(default)]
    pub radar: Vec<EwRadar>,
    /// Infrared detectors (after loading, those of `radar_files` first).
    #[serde(default)]
    pub ir_detector: Vec<IrDetector>,
    /// Missile types.
    #[serde(default)]
    pub missile: Vec<Missile>,
    /// Launches.
    #[serde(default)]
    pub launch: Vec<LaunchConfig>,
    /// Largest miss allowed to the aim solver, metres.
    #[serde(default = "default_aim_tolerance")]
    pub aim_tolerance_m: f64,
}

fn default_aim_tolerance() -> f64 {
    200.0
}

/// One object's truth.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectTruth {
    /// Object id, unique in the run (the `truth` of its plots).
    pub id: u32,
    /// What it is.
    pub kind: ObjectKind,
    /// Index of its launch.
    pub launch: usize,
    /// Its trajectory.
    pub trajectory: Trajectory,
}

/// One launch's truth.
#[derive(Debug, Clone, PartialEq)]
pub struct LaunchTruth {
    /// Index in the scenario.
    pub index: usize,
    /// Missile type.
    pub missile: String,
    /// Launch point.
    pub launch: Geodetic,
    /// Lift-off time, s.
    pub t_launch: f64,
    /// Azimuth flown, degrees.
    pub azimuth_deg: f64,
    /// Final thrust elevation flown, degrees.
    pub final_elevation_deg: f64,
    /// State at the last burnout.
    pub burnout: StateAt,
    /// The aimed point, if any.
    pub target: Option<LatLon>,
}

/// Everything a run produces.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioRun {
    /// Every object (RV, stages, debris of every launch).
    pub truth: Vec<ObjectTruth>,
    /// Every launch.
    pub launches: Vec<LaunchTruth>,
    /// Radar plots in time order (then radar, then object; false alarms last in a scan).
    pub plots: Vec<RadarPlot>,
    /// Launch warnings in time order.
    pub warnings: Vec<LaunchWarning>,
}

fn read(path: &Path) -> Result<String, ScenarioError> {
    std::fs::read_to_string(path).map_err(|source| ScenarioError::Io {
        path: path.to_owned(),
        source,
    })
}

fn parse<T: serde::de::DeserializeOwned>(text: &str, path: &Path) -> Result<T, ScenarioError> {
    toml::from_str(text).map_err(|e| ScenarioError::Toml {
        path: path.to_owned(),
        source: Box::new(e),
    })
}

impl Scenario {
    /// Reads a scenario file and the sensor files it names (relative to its directory).
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        let text = read(path)?;
        let base = path.parent().unwrap_or_else(|| Path::new("."));
        Self::from_toml(&text, path, base)
    }

    /// Parses scenario text; `radar_files` are read relative to `base`. `origin` names the
    /// text in errors.
    pub fn from_toml(text: &str, origin: &Path, base: &Path) -> Result<Scenario, ScenarioError> {
        let mut s: Scenario = parse(text, origin)?;
        let mut radars = Vec::new();
        let mut irs = Vec::new();
        for f in &s.radar_files {
            let p = base.join(f);
            let file: SensorFile = parse(&read(&p)?, &p)?;
            radars.extend(file.radar);
            irs.extend(file.ir_detector);
        }
        radars.append(&mut s.radar);
        irs.append(&mut s.ir_detector);
        s.radar = radars;
        s.ir_detector = irs;
        s.validate()?;
        Ok(s)
    }

    /// Checks sensor values and missile types.
    pub fn validate(&self) -> Result<(), ScenarioError> {
        let bad = |what: &str, reason| {
            Err(ScenarioError::Invalid {
                what: what.to_owned(),
                reason,
            })
        };
        for r in &self.radar {
            if !(r.revisit_s > 0.0 && r.max_range_m > 0.0) {
                return bad(&r.name, "revisit and range must be positive");
            }
            if !(0.0..=1.0).contains(&r.pd) {
                return bad(&r.name, "pd must be in [0, 1]");
            }
            let sig = [r.sigma_range_m, r.sigma_az_rad, r.sigma_el_rad];
            if sig.iter().any(|s| !(s.is_finite() && *s >= 0.0)) {
                return bad(&r.name, "noise must be non-negative");
            }
            if !(r.false_alarms_per_scan >= 0.0 && r.false_alarms_per_scan.is_finite()) {
                return bad(&r.name, "false alarm rate must be non-negative");
            }
        }
        for d in &self.ir_detector {
            let non_negative = d.area_radius_m >= 0.0 && d.delay_s >= 0.0;
            if !(0.0..=1.0).contains(&d.pd) || !non_negative {
                return bad(&d.name, "pd in [0, 1], radius and delay non-negative");
            }
        }
        for m in &self.missile {
            m.validate().map_err(|source| ScenarioError::Flight {
                launch: usize::MAX,
                source,
            })?;
        }
        Ok(())
    }

    /// Flies every launch (aiming those with a target).
    pub fn fly(&self) -> Result<Vec<(LaunchTruth, Flight)>, ScenarioError> {
        let mut out = Vec::with_capacity(self.launch.len());
        for (i, l) in self.launch.iter().enumerate() {
            let missile = self
                .missile
                .iter()
                .find(|m| m.name == l.missile)
                .ok_or_else(|| ScenarioError::UnknownMissile {
                    launch: i,
                    missile: l.missile.clone(),
                })?;
            let ferr = |source| ScenarioError::Flight { launch: i, source };
            let target = match (l.to, l.azimuth_deg, l.range_km) {
                (Some(to), _, _) => Some(to),
                (None, Some(az), Some(km)) => Some(l.from.pos.destination(az, km * 1e3)),
                _ => None,
            };
            let (az, el) = match (target, l.azimuth_deg, l.final_elevation_deg) {
                (Some(to), _, _) => {
                    let a =
                        flight::aim(missile, &l.from, &to, self.aim_tolerance_m).map_err(ferr)?;
                    (a.azimuth_deg, a.final_elevation_deg)
                }
                (None, Some(az), Some(el)) => (az, el),
                _ => return Err(ScenarioError::NoTarget { launch: i }),
            };
            let mut m = missile.clone();
            m.pitch.final_elevation_deg = el;
            let f = flight::simulate(&m, &l.from, az, l.t).map_err(ferr)?;
            out.push((
                LaunchTruth {
                    index: i,
                    missile: m.name.clone(),
                    launch: l.from,
                    t_launch: l.t,
                    azimuth_deg: az,
                    final_elevation_deg: el,
                    burnout: f.burnout,
                    target,
                },
                f,
            ));
        }
        Ok(out)
    }

    /// The truth of every launch and object (flights only, no sensor draws): the same for
    /// every seed, so a Monte Carlo study computes it once and calls [`Scenario::observe`]
    /// per seed.
    pub fn truth(&self) -> Result<(Vec<LaunchTruth>, Vec<ObjectTruth>), ScenarioError> {
        let mut objects = Vec::new();
        let mut launches = Vec::new();
        for (lt, f) in self.fly()? {
            for tr in f.objects {
                objects.push(ObjectTruth {
                    // Object counts are small (tens per launch): far below u32::MAX.
                    id: u32::try_from(objects.len()).unwrap_or(u32::MAX),
                    kind: tr.kind,
                    launch: lt.index,
                    trajectory: tr,
                });
            }
            launches.push(lt);
        }
        Ok((launches, objects))
    }

    /// The sensors' reports of a given truth for one seed: radar plots in time order and
    /// launch warnings in time order.
    pub fn observe(
        &self,
        launches: &[LaunchTruth],
        objects: &[ObjectTruth],
        seed: u64,
    ) -> (Vec<RadarPlot>, Vec<LaunchWarning>) {
        let plots = self.draw_plots(objects, seed);
        let mut warnings = Vec::new();
        for (di, d) in self.ir_detector.iter().enumerate() {
            // Detector streams come after any plausible number of radars.
            let mut rng = stream(seed, 1_000_000 + di as u64);
            for l in launches {
                if let Some(mut w) = d.detect(di, &l.launch, l.t_launch, l.azimuth_deg, &mut rng) {
                    w.truth = u32::try_from(l.index).ok();
                    warnings.push(w);
                }
            }
        }
        warnings.sort_by(|a, b| a.t_detect.total_cmp(&b.t_detect));
        (plots, warnings)
    }

    /// Runs the scenario: flies the launches ([`Scenario::truth`]), then draws every radar's
    /// plots on its scan grid (from the first launch to the last impact) and every detector's
    /// warnings ([`Scenario::observe`]).
    pub fn run(&self, seed: u64) -> Result<ScenarioRun, ScenarioError> {
        let (launches, truth) = self.truth()?;
        let (plots, warnings) = self.observe(&launches, &truth, seed);
        Ok(ScenarioRun {
            truth,
            launches,
            plots,
            warnings,
        })
    }

    /// The radars' plots of the given objects.
    pub fn draw_plots(&self, truth: &[ObjectTruth], seed: u64) -> Vec<RadarPlot> {
        let mut plots = Vec::new();
        let t0 = truth
            .iter()
            .map(|o| o.trajectory.t_start())
            .fold(f64::INFINITY, f64::min);
        let t1 = truth
            .iter()
            .map(|o| o.trajectory.t_end())
            .fold(f64::NEG_INFINITY, f64::max);
        if !(t0.is_finite() && t1.is_finite()) {
            return plots;
        }
        for (ri, radar) in self.radar.iter().enumerate() {
            let mut rng = stream(seed, ri as u64);
            let fa = Poisson::new(radar.false_alarms_per_scan).ok();
            let k0 = ((t0 - radar.scan_offset_s) / radar.revisit_s).ceil();
            let mut k = k0;
            loop {
                let t = radar.scan_offset_s + k * radar.revisit_s;
                if t > t1 {
                    break;
                }
                for o in truth {
                    if let Some((pos, _, _)) = o.trajectory.state_at(t)
                        && let Some(mut p) = radar.measure(ri, t, &pos, &mut rng)
                    {
                        p.truth = Some(o.id);
                        plots.push(p);
                    }
                }
                if let Some(fa) = &fa {
                    let n: f64 = fa.sample(&mut rng);
                    for _ in 0..(n as u64) {
                        plots.push(radar.false_plot(ri, t, &mut rng));
                    }
                }
                k += 1.0;
            }
        }
        // Stable sort: within one time, radar order then draw order.
        plots.sort_by(|a, b| a.t.total_cmp(&b.t).then(a.radar.cmp(&b.radar)));
        plots
    }
}

/// The generator of one sensor: the seed's ChaCha8 on its own stream.
fn stream(seed: u64, id: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(id);
    rng
}

/// Ground range of an object's impact from its launch point, metres.
pub fn impact_range_m(launch: &Geodetic, tr: &Trajectory) -> f64 {
    earth::ground_range(&launch.pos, &tr.impact.point.pos)
}
