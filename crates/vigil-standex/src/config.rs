//! The engine's configuration: thresholds, evidence decay, gating, tasking.

use serde::{Deserialize, Serialize};

use crate::Error;

/// Engine configuration (`[standex]` in a station file; every field has a default).
///
/// # Why these default thresholds (Wald's sequential probability ratio test)
///
/// Each person's evidence is the log-likelihood ratio Λ of "carries" against "does not carry".
/// Wald's SPRT stops for H1 when Λ ≥ ln((1 − β)/α), where α is the probability of crossing
/// for a non-carrier and β the probability of missing a carrier.
///
/// * **Alarm** (`alarm_llr = 9.0`): false alarms must stay well under one per hour while
///   a busy station passes several thousand people an hour, so α per person must be about
///   1e-4 or less: ln(0.9 / 1e-4) ≈ 9.1. One detection of any single sensor in the example
///   station (at most ln(0.85/0.002) ≈ 6.1) cannot reach it alone: an alarm needs at least two
///   independent detections (typically a wide millimetre-wave one and the cascade's pointed
///   sensor), which is the point of the cascade.
/// * **Cue** (`cue_llr = 2.5`): cueing only switches on more sensors, so it may be wrong often:
///   α ≈ 0.08 gives ln(0.92 / 0.08) ≈ 2.4. One millimetre-wave detection cues; a look without
///   detection does not.
/// * Wald's lower threshold (accept "does not carry" and stop looking) is replaced by
///   `llr_floor`: nobody is ever cleared for good, but negative evidence is bounded so that a
///   carrier who was missed a few times is still cued by the next detection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StandexConfig {
    /// Log-likelihood ratio at which a person is cued (further sensors tasked to them).
    pub cue_llr: f64,
    /// Log-likelihood ratio below which a cued person is released (hysteresis), once
    /// `cue_hold_s` has passed since their last detection.
    pub uncue_llr: f64,
    /// Cue on any detection attributed to a person (share at least one half), whatever the
    /// ratio: the "first anomaly" of the STANDEX cascade. Cueing only switches sensors on and
    /// points them; nobody is stopped, so it may be wrong often, whereas a carrier missed by
    /// the cascade is lost for good. The alarm still needs `alarm_llr`.
    pub cue_on_detection: bool,
    /// A person cued stays cued at least this long after their last detection, seconds.
    pub cue_hold_s: f64,
    /// Log-likelihood ratio at which an alarm is raised.
    pub alarm_llr: f64,
    /// Lowest value of the log-likelihood ratio (bounded negative evidence).
    pub llr_floor: f64,
    /// Highest value of the log-likelihood ratio (bounded positive evidence).
    pub llr_ceiling: f64,
    /// Most that one sensor can contribute to one person. Repeated looks of the same sensor
    /// at the same person are not independent in practice (the same clothing, the same
    /// object fool it again), so one sensor alone must not raise an alarm: with this below
    /// `alarm_llr` an alarm needs at least two sensors, the premise of the cascade.
    pub sensor_cap_llr: f64,
    /// Time constant of the exponential decay of evidence toward zero, seconds: evidence
    /// older than a few time constants no longer counts.
    pub decay_tau_s: f64,
    /// Association gate: chi-square with two degrees of freedom (9.21 is 99 %).
    pub gate_chi2: f64,
    /// Ambiguity rule: when the best candidate's association likelihood is at least this many
    /// times the second's, the reading goes to it alone; otherwise it is split.
    pub nn_ratio: f64,
    /// Extra margin around a sensor's cone when deciding which tracks were inside it, metres
    /// (tracks' positions are noisy near the edges).
    pub coverage_margin_m: f64,
    /// How far ahead the predicted path is followed for tasking, seconds.
    pub path_horizon_s: f64,
    /// Step of the predicted path, seconds.
    pub path_step_s: f64,
    /// How long a cascade sensor stays on after its last task, seconds.
    pub linger_s: f64,
    /// At most this many looks per person by one cascade sensor (a pointed sensor then moves
    /// on to the next person).
    pub max_looks_per_task: u32,
    /// At most this many people queued on one pointed sensor.
    pub pointed_queue: usize,
    /// The alarm's predicted position is this far ahead, seconds (for the response team).
    pub response_lead_s: f64,
    /// Evidence hand-over across track breaks: a track that ends with evidence is kept this
    /// long, seconds; a new track born within `handover_m` of its predicted position takes
    /// its evidence (in a crowd the tracker breaks tracks at occlusions; without this the
    /// evidence gathered on a carrier is lost with the old track number). Zero (the default)
    /// disables it: over 20 seeded runs of the example station it did not help (85 % of
    /// carriers alarmed before the platform with it, 92.5 % without, within the noise of 40
    /// carriers) and in a dense crowd it sometimes hands a carrier's evidence to a neighbour.
    pub handover_s: f64,
    /// Distance for the hand-over, metres.
    pub handover_m: f64,
    /// Evidence items kept per person (the oldest are dropped and counted).
    pub chain_max: usize,
    /// What the station file does not say about the sensors: capacity and reading noise.
    pub sensing: SensingConfig,
    /// Site calibration: per-sensor corrections of the station file's values
    /// (`[[sensor_override]]`, by the STANDEX sensor id such as `"ammw-6"`).
    #[serde(rename = "sensor_override")]
    pub sensor_overrides: Vec<SensorOverride>,
}

/// Corrections of one sensor's values (each absent field keeps the station file's).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SensorOverride {
    /// The STANDEX sensor id (`<kind>-<station id>`, e.g. `"ammw-6"`).
    pub id: String,
    /// Position, metres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<[f64; 2]>,
    /// Boresight, degrees anticlockwise from +x.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction_deg: Option<f64>,
    /// Cone half-angle, degrees.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub half_angle_deg: Option<f64>,
    /// Nearest range, metres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_range_m: Option<f64>,
    /// Farthest range, metres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_range_m: Option<f64>,
    /// Dwell per look, seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dwell_s: Option<f64>,
    /// Detection probability per look.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pd: Option<f64>,
    /// False-alarm probability per look.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pfa: Option<f64>,
    /// Always on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub always_on: Option<bool>,
}

impl SensorOverride {
    /// Applies the corrections to `s` (whose id must match; the caller checks).
    pub fn apply(&self, s: &mut crate::SensorSpec) {
        if let Some([x, y]) = self.position {
            s.x = x;
            s.y = y;
        }
        if let Some(v) = self.direction_deg {
            s.heading_deg = v;
        }
        if let Some(v) = self.half_angle_deg {
            s.half_angle_deg = v;
        }
        if let Some(v) = self.min_range_m {
            s.min_range_m = v;
        }
        if let Some(v) = self.max_range_m {
            s.range_m = v;
        }
        if let Some(v) = self.dwell_s {
            s.dwell_s = v;
        }
        if let Some(v) = self.pd {
            s.pd = v;
        }
        if let Some(v) = self.pfa {
            s.pfa = v;
        }
        if let Some(v) = self.always_on {
            s.always_on = v;
        }
    }
}

/// Sensor properties the station model leaves to STANDEX (assumptions for the simulation,
/// like every sensor figure: nothing was published).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SensingConfig {
    /// Looks per second of an active millimetre-wave imager (an image per person takes a
    /// fraction of a second of processing).
    pub active_mmw_per_s: f64,
    /// Looks per second of a passive millimetre-wave imager.
    pub passive_mmw_per_s: f64,
    /// Looks per second of an infrared camera (cheap per person).
    pub infrared_per_s: f64,
    /// Standard deviation of the position a wide sensor reports for the person it looked at,
    /// metres per axis.
    pub wide_sigma_m: f64,
    /// Same for a pointed sensor (it aims at one spot).
    pub pointed_sigma_m: f64,
    /// How far from its aim point a pointed sensor's examined person may be, metres.
    pub beam_radius_m: f64,
}

impl Default for SensingConfig {
    fn default() -> Self {
        Self {
            active_mmw_per_s: 8.0,
            passive_mmw_per_s: 6.0,
            infrared_per_s: 20.0,
            wide_sigma_m: 0.3,
            pointed_sigma_m: 0.2,
            beam_radius_m: 0.6,
        }
    }
}

impl Default for StandexConfig {
    fn default() -> Self {
        Self {
            cue_llr: 2.5,
            uncue_llr: 1.0,
            cue_on_detection: true,
            cue_hold_s: 60.0,
            alarm_llr: 9.0,
            llr_floor: -3.0,
            llr_ceiling: 30.0,
            sensor_cap_llr: 7.0,
            decay_tau_s: 600.0,
            gate_chi2: 9.21,
            nn_ratio: 20.0,
            coverage_margin_m: 1.0,
            path_horizon_s: 60.0,
            path_step_s: 0.25,
            linger_s: 5.0,
            max_looks_per_task: 2,
            pointed_queue: 4,
            response_lead_s: 20.0,
            handover_s: 0.0,
            handover_m: 1.5,
            chain_max: 64,
            sensing: SensingConfig::default(),
            sensor_overrides: Vec::new(),
        }
    }
}

impl StandexConfig {
    /// Parses a TOML table of these fields.
    pub fn from_toml(text: &str) -> Result<Self, Error> {
        let cfg: Self = toml::from_str(text)?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Checks the thresholds are ordered and the times positive.
    pub fn validate(&self) -> Result<(), Error> {
        let bad = |s: &str| Err(Error::Config(s.to_owned()));
        if !(self.llr_floor <= 0.0
            && self.uncue_llr < self.cue_llr
            && self.cue_llr < self.alarm_llr
            && self.alarm_llr < self.llr_ceiling)
        {
            return bad("need llr_floor <= 0, uncue_llr < cue_llr < alarm_llr < llr_ceiling");
        }
        if self.sensor_cap_llr.is_nan() || self.sensor_cap_llr <= 0.0 {
            return bad("sensor_cap_llr must be positive");
        }
        if !(self.decay_tau_s > 0.0 && self.path_step_s > 0.0 && self.path_horizon_s >= 0.0) {
            return bad("decay_tau_s and path_step_s must be positive");
        }
        if !(self.gate_chi2 > 0.0 && self.nn_ratio >= 1.0) {
            return bad("gate_chi2 must be positive and nn_ratio at least 1");
        }
        if self.chain_max == 0 || self.max_looks_per_task == 0 {
            return bad("chain_max and max_looks_per_task must be at least 1");
        }
        Ok(())
    }
}
