//! The multi-sensor tracker: association, track management and fusion.
//!
//! Input comes in [`Batch`]es: the observations of one sensor over a short time (one second of
//! ADS-B, one sector of a radar's rotation, one partner update), with what the sensor covered
//! during it so that tracks it should have seen and did not are counted as misses (M-of-N).
//! Batches must come in time order; within a batch observations are applied in time order.
//!
//! Each batch goes through:
//! 1. validation: bad input is refused with a counted [`Reject`] reason, never a panic;
//! 2. identity association: Mode S address, then the sensor's own track number, then the
//!    Mode 3/A code where exactly one track has it (each checked against a kinematic gate);
//! 3. kinematic association of the rest: Mahalanobis gating against chi-square gates, then
//!    global nearest neighbour solved optimally per cluster of interacting tracks and
//!    observations;
//! 4. updates (IMM with an EKF for radar plots; covariance intersection for partner tracks),
//!    new tentative tracks for what is left, M-of-N confirmation, deletion by age and by
//!    covariance.
//!
//! **Determinism:** time comes only from the observations; tracks live in a slab iterated in
//! slot order and every map is used for lookups only, so the same input gives the same tracks.

use nalgebra::{Matrix3, SMatrix, SVector, Vector2, Vector3};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use vigil_core::{Geodetic, IcaoAddress, LatLon, Measurement, Observation, SensorId, UnixTime};

use crate::assign::gnn;
use crate::chi2::chi2_gate;
use crate::filter::{FilterError, Gaussian, Innovation, position_projection};
use crate::fusion::covariance_intersection;
use crate::geo::LocalFrame;
use crate::imm::{Imm, ImmState};
use crate::measurement::{
    Horizontal, RadarSite, elevation_innovation, local_to_frame_cov, polar_innovation, state6,
};
use crate::track::{
    Contribution, Lineage, PartyId, Track, TrackId, TrackIdentity, TrackQuality, TrackStatus,
};

/// What kind of sensor a [`SensorSpec`] describes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum SensorKind {
    /// An ADS-B receiver (or any source of reported positions with identity).
    Adsb,
    /// A radar measuring range and azimuth from its site (primary, secondary, Mode S).
    Radar {
        /// The antenna.
        site: Geodetic,
    },
    /// Another centre's system tracks: fused by covariance intersection.
    Partner,
}

/// A sensor the tracker accepts observations from.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SensorSpec {
    /// Its identifier, as in [`Observation::sensor`].
    pub id: SensorId,
    /// The party owning it.
    pub party: PartyId,
    /// Its kind.
    pub kind: SensorKind,
    /// Its instrumented range, metres (observations beyond 1.2 × this are refused; tracks
    /// beyond it are not counted as missed by it).
    pub max_range_m: f64,
}

/// Tracker settings. Defaults suit air surveillance with 1 Hz ADS-B and 4–12 s radars.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrackerConfig {
    /// Origin of the local tracking frame (the centre).
    pub origin: Geodetic,
    /// Horizontal acceleration noise density of the constant-velocity mode, m²/s³.
    pub q_cv: f64,
    /// Horizontal acceleration noise density of the turn modes, m²/s³.
    pub q_turn: f64,
    /// Vertical acceleration noise density, m²/s³.
    pub q_vertical: f64,
    /// Turn rate of the coordinated-turn modes, degrees per second; 0 disables them (plain
    /// constant-velocity Kalman filter).
    pub turn_rate_dps: f64,
    /// Mean time in one IMM mode, seconds.
    pub mode_sojourn_s: f64,
    /// Probability that a correct association falls inside the kinematic gate.
    pub gate_probability: f64,
    /// Probability for the looser gate checked on identity associations (a Mode S address
    /// match is trusted unless the position is absurd).
    pub identity_gate_probability: f64,
    /// Confirmation: `confirm_m` hits among the first `confirm_n` opportunities.
    pub confirm_m: u32,
    /// See `confirm_m`.
    pub confirm_n: u32,
    /// A track with no update for this long is coasting, seconds.
    pub coast_after_s: f64,
    /// A confirmed track with no update for this long is deleted, seconds.
    pub delete_after_s: f64,
    /// A track whose horizontal position standard deviation exceeds this is deleted, metres.
    pub max_sigma_m: f64,
    /// A confirmed track with fewer than `keep_m` hits among its last `keep_n` detection
    /// opportunities is deleted: a track fed only now and then by clutter inside a gate that
    /// grows while it coasts would otherwise live for ever.
    pub keep_m: u32,
    /// See `keep_m`.
    pub keep_n: u32,
    /// A confirmed track without identity (no Mode S address, no Mode 3/A code) that has not
    /// yet had `confirm_n + keep_n` detection opportunities (so `keep_m`-of-`keep_n` does not
    /// judge it yet) is deleted after this many consecutive misses: clutter that happened to
    /// line up a few times is dropped at once instead of coasting for `delete_after_s`.
    /// 0 disables the rule.
    pub young_delete_misses: u32,
    /// An ADS-B receiver counts a track as missed only while ADS-B fed it within this many
    /// seconds: short dropouts are misses, but an aircraft that stopped transmitting (a
    /// silent transponder) must be judged by the sensors that still see it, seconds.
    pub adsb_miss_window_s: f64,
    /// Observations up to this much older than their track's state are applied by
    /// retrodiction (sensors' batches overlap in time); older ones are refused, seconds.
    pub max_out_of_sequence_s: f64,
    /// A track updated by plots without identity for this long after its last identified
    /// update is flagged "transponder lost", seconds.
    pub transponder_lost_after_s: f64,
    /// Contributions older than this are dropped from a track's lineage, seconds.
    pub lineage_window_s: f64,
    /// Observations older than the latest time seen by more than this are refused, seconds.
    pub max_lag_s: f64,
    /// Height assumed for a new track without height information, metres.
    pub default_height_m: f64,
    /// Its standard deviation, metres.
    pub default_height_sigma_m: f64,
    /// Standard deviation of a barometric altitude taken as a height, metres.
    pub baro_sigma_m: f64,
    /// Standard deviation of a geometric height, metres.
    pub geom_sigma_m: f64,
    /// Horizontal speed standard deviation of a track initiated without velocity, m/s.
    pub initial_speed_sigma_mps: f64,
    /// A track with a single update is associated only with observations it could reach at
    /// up to this ground speed (plus three standard deviations of both positions): the
    /// velocity-free gate of a new track is wide, and clutter in it would be taken for a
    /// second hit, m/s.
    pub max_initiation_speed_mps: f64,
    /// Vertical speed standard deviation of a new track, m/s.
    pub initial_vertical_sigma_mps: f64,
}

impl Default for TrackerConfig {
    fn default() -> Self {
        Self {
            origin: Geodetic {
                pos: LatLon::new(0.0, 0.0),
                height_m: 0.0,
            },
            q_cv: 1.0,
            q_turn: 4.0,
            q_vertical: 1.0,
            turn_rate_dps: 3.0,
            mode_sojourn_s: 60.0,
            gate_probability: 0.9999,
            identity_gate_probability: 1.0 - 1e-9,
            confirm_m: 3,
            confirm_n: 5,
            coast_after_s: 15.0,
            delete_after_s: 40.0,
            max_sigma_m: 10_000.0,
            keep_m: 4,
            keep_n: 12,
            young_delete_misses: 2,
            max_out_of_sequence_s: 3.0,
            adsb_miss_window_s: 5.0,
            transponder_lost_after_s: 20.0,
            lineage_window_s: 13.0,
            max_lag_s: 60.0,
            default_height_m: 3_000.0,
            default_height_sigma_m: 4_000.0,
            baro_sigma_m: 30.0,
            geom_sigma_m: 15.0,
            initial_speed_sigma_mps: 250.0,
            max_initiation_speed_mps: 400.0,
            initial_vertical_sigma_mps: 15.0,
        }
    }
}

/// The configuration cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    /// The frame origin is not a valid point.
    #[error(transparent)]
    Origin(#[from] crate::geo::InvalidOrigin),
    /// A numeric setting is out of range.
    #[error("setting {name} = {value} is out of range")]
    Range {
        /// The setting.
        name: &'static str,
        /// Its value.
        value: f64,
    },
    /// Two sensors share an identifier.
    #[error("sensor {0:?} is declared twice")]
    DuplicateSensor(SensorId),
}

/// Why an observation was refused. Counted in [`TrackerStats::rejected`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Reject {
    /// NaN or infinite values.
    NonFinite,
    /// Time before the latest time seen by more than `max_lag_s`.
    TimeBackwards,
    /// Older than the state of the track it belongs to.
    OutOfSequence,
    /// The sensor is not declared.
    UnknownSensor,
    /// The observation's sensor is not the batch's.
    WrongSensor,
    /// A radar plot whose origin is not the declared site of its radar, or a measurement
    /// kind the sensor cannot produce.
    SensorMismatch,
    /// Standard deviations non-positive or absurdly large, or a covariance not positive
    /// definite.
    AbsurdNoise,
    /// Coordinates out of range or beyond the sensor's reach.
    OutOfRange,
    /// Its Mode S address matched a track but its position is far outside the identity gate.
    IdentityOutlier,
    /// The filter refused the update (numerically unusable).
    FilterFailure,
}

impl Reject {
    /// Every reason, for reports.
    pub const ALL: [Reject; 10] = [
        Reject::NonFinite,
        Reject::TimeBackwards,
        Reject::OutOfSequence,
        Reject::UnknownSensor,
        Reject::WrongSensor,
        Reject::SensorMismatch,
        Reject::AbsurdNoise,
        Reject::OutOfRange,
        Reject::IdentityOutlier,
        Reject::FilterFailure,
    ];
}

/// What a sensor covered during a batch: tracks inside that it did not report are missed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Coverage {
    /// Everything within the sensor's range (an ADS-B receiver over one second).
    Full,
    /// A radar's beam swept clockwise from `from_rad` to `to_rad` (azimuths from north).
    Sector {
        /// Start azimuth.
        from_rad: f64,
        /// End azimuth (clockwise from the start).
        to_rad: f64,
    },
    /// No statement (partner tracks): nobody is counted as missed.
    None,
}

/// The observations of one sensor over a short time.
#[derive(Debug, Clone, Copy)]
pub struct Batch<'a> {
    /// The sensor.
    pub sensor: SensorId,
    /// What it covered.
    pub coverage: Coverage,
    /// Its observations (any order; applied in time order).
    pub observations: &'a [Observation],
}

/// Counters since the tracker started.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TrackerStats {
    /// Observations processed (accepted or not).
    pub observations: u64,
    /// Updates applied to tracks.
    pub updates: u64,
    /// Of which by identity (Mode S address, sensor track number or Mode 3/A).
    pub identity_updates: u64,
    /// Tracks initiated.
    pub initiated: u64,
    /// Tracks confirmed.
    pub confirmed: u64,
    /// Tentative tracks deleted for failing M-of-N.
    pub deleted_tentative: u64,
    /// Tracks deleted for age.
    pub deleted_age: u64,
    /// Tracks deleted for covariance size.
    pub deleted_covariance: u64,
    /// Refused observations by reason.
    pub rejected: FxHashMap<Reject, u64>,
}

impl TrackerStats {
    /// Refusals for `reason`.
    pub fn rejected(&self, reason: Reject) -> u64 {
        self.rejected.get(&reason).copied().unwrap_or(0)
    }
}

/// What one batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchReport {
    /// Observations applied to existing tracks.
    pub updated: usize,
    /// New tentative tracks.
    pub initiated: usize,
    /// Observations refused.
    pub rejected: usize,
}

/// The main measurement of a prepared observation.
#[derive(Debug, Clone, Copy)]
enum Main {
    Position(Horizontal),
    Polar {
        radar: RadarSite,
        range_m: f64,
        azimuth_rad: f64,
        sigma_range_m: f64,
        sigma_azimuth_rad: f64,
        elevation: Option<(f64, f64)>,
    },
}

/// An observation validated and converted to the tracking frame.
#[derive(Debug, Clone)]
struct Prepared {
    index: usize,
    time: f64,
    main: Main,
    /// Height as a linear measurement: the projection of the position on the local vertical
    /// at the measured point (row), its value there, and its standard deviation. Linear, so
    /// computed once per observation instead of converting every mode's position to geodetic.
    height: Option<(SMatrix<f64, 1, 3>, f64, f64)>,
    velocity: Option<Horizontal>,
    /// Approximate position (for the spatial index and initiation) and its covariance.
    approx: Vector3<f64>,
    approx_cov: Matrix3<f64>,
    icao: Option<IcaoAddress>,
    mode3a: Option<u16>,
    sensor_track: Option<u32>,
}

impl Prepared {
    fn has_identity(&self) -> bool {
        self.icao.is_some() || self.mode3a.is_some()
    }

    fn innovation(&self, g: &Gaussian<6>) -> Result<Innovation<2, 6>, FilterError> {
        match &self.main {
            Main::Position(h) => Ok(h.position_innovation(g)),
            Main::Polar {
                radar,
                range_m,
                azimuth_rad,
                sigma_range_m,
                sigma_azimuth_rad,
                ..
            } => polar_innovation(
                g,
                radar,
                *range_m,
                *azimuth_rad,
                *sigma_range_m,
                *sigma_azimuth_rad,
            ),
        }
    }
}

/// A grid cell as an integer ordered like the `(x, y)` pair.
fn cell_key((x, y): (i32, i32)) -> u64 {
    (u64::from(x as u32 ^ 0x8000_0000) << 32) | u64::from(y as u32 ^ 0x8000_0000)
}

/// A spatial index entry: the cell key above the slot, ordered like `(cell, slot)`.
fn grid_entry(cell: (i32, i32), slot: usize) -> u128 {
    (u128::from(cell_key(cell)) << 64) | slot as u128
}

/// Squared Mahalanobis distance of `p` against the combined estimate of `s`.
fn gate_d2(s: &ImmState, p: &Prepared) -> Option<f64> {
    let g = s.combined();
    p.innovation(&g).ok()?.mahalanobis2(&g)
}

/// Mode 3/A codes many aircraft squawk at once: never identities. 1000 is the European
/// conspicuity code of flights identified by their Mode S flight identification; 1200, 2000
/// and 7000 are VFR and conspicuity codes.
const SHARED_CODES: [u16; 4] = [0o1000, 0o1200, 0o2000, 0o7000];

/// Octal code written one digit per nibble (as in [`vigil_core::Identity::mode3a`]) to the
/// nibble form of the shared codes.
fn is_shared_code(code: u16) -> bool {
    SHARED_CODES.iter().any(|c| {
        let nibbles = ((c >> 9) & 7) << 12 | ((c >> 6) & 7) << 8 | ((c >> 3) & 7) << 4 | (c & 7);
        nibbles == code
    })
}

/// Spatial index cell, metres: larger than an aircraft's travel between updates plus the
/// position error of a plot of unknown height.
const CELL_M: f64 = 30_000.0;

fn cell_of(p: &Vector3<f64>) -> (i32, i32) {
    // Saturating float → int casts: a wild position lands in an edge cell, never panics.
    ((p.x / CELL_M).floor() as i32, (p.y / CELL_M).floor() as i32)
}

/// The multi-sensor tracker. `Clone` gives an independent copy (what-if analysis, benchmarks).
#[derive(Debug, Clone)]
pub struct Tracker {
    config: TrackerConfig,
    frame: LocalFrame,
    imm: Imm,
    gate: f64,
    identity_gate: f64,
    sensors: FxHashMap<SensorId, (SensorSpec, Option<RadarSite>)>,
    slots: Vec<Option<Track>>,
    free: Vec<usize>,
    by_id: FxHashMap<TrackId, usize>,
    by_icao: FxHashMap<IcaoAddress, usize>,
    by_mode3a: FxHashMap<u16, Vec<usize>>,
    by_sensor_track: FxHashMap<(SensorId, u32), usize>,
    next_id: u64,
    now: Option<f64>,
    last_maintenance: f64,
    stats: TrackerStats,
    // Scratch buffers reused by every batch (no allocation per batch once warm).
    prepared: Vec<Prepared>,
    /// Spare buffer for sorting `prepared`.
    prepared_spare: Vec<Prepared>,
    assigned: Vec<Option<usize>>,
    /// Spatial index entries, [`grid_entry`] (cell, slot), sorted.
    grid: Vec<u128>,
    /// Tracks associated in the current batch (no second kinematic association).
    touched: Vec<bool>,
    /// Tracks that scored a hit in the current batch (M-of-N).
    hit: Vec<bool>,
    /// Per prepared observation, 1 + the index of its cached prediction in `cached_states`
    /// (0: none). Kept apart so that the per-batch reset writes 4 bytes per observation, not
    /// a whole IMM state.
    cached: Vec<u32>,
    /// The cached predictions (slot, from, to, state).
    cached_states: Vec<(usize, f64, f64, ImmState)>,
}

impl Tracker {
    /// A tracker with `config` accepting observations from `sensors`.
    pub fn new(config: TrackerConfig, sensors: &[SensorSpec]) -> Result<Self, ConfigError> {
        let frame = LocalFrame::new(config.origin)?;
        let positive = [
            ("q_cv", config.q_cv),
            ("q_turn", config.q_turn),
            ("q_vertical", config.q_vertical),
            ("mode_sojourn_s", config.mode_sojourn_s),
            ("coast_after_s", config.coast_after_s),
            ("delete_after_s", config.delete_after_s),
            ("max_sigma_m", config.max_sigma_m),
            ("lineage_window_s", config.lineage_window_s),
            ("adsb_miss_window_s", config.adsb_miss_window_s),
            ("max_lag_s", config.max_lag_s),
            ("default_height_sigma_m", config.default_height_sigma_m),
            ("baro_sigma_m", config.baro_sigma_m),
            ("geom_sigma_m", config.geom_sigma_m),
            ("initial_speed_sigma_mps", config.initial_speed_sigma_mps),
            ("max_initiation_speed_mps", config.max_initiation_speed_mps),
            (
                "initial_vertical_sigma_mps",
                config.initial_vertical_sigma_mps,
            ),
        ];
        for (name, value) in positive {
            if !(value.is_finite() && value > 0.0) {
                return Err(ConfigError::Range { name, value });
            }
        }
        for (name, value) in [
            ("gate_probability", config.gate_probability),
            (
                "identity_gate_probability",
                config.identity_gate_probability,
            ),
        ] {
            if !(value > 0.0 && value < 1.0) {
                return Err(ConfigError::Range { name, value });
            }
        }
        if config.keep_n < config.keep_m || config.keep_n > 32 || config.young_delete_misses > 32 {
            return Err(ConfigError::Range {
                name: "keep_m/keep_n",
                value: f64::from(config.keep_m),
            });
        }
        if !(config.max_out_of_sequence_s.is_finite() && config.max_out_of_sequence_s >= 0.0) {
            return Err(ConfigError::Range {
                name: "max_out_of_sequence_s",
                value: config.max_out_of_sequence_s,
            });
        }
        if config.confirm_m == 0 || config.confirm_n < config.confirm_m || config.confirm_n > 32 {
            return Err(ConfigError::Range {
                name: "confirm_m/confirm_n",
                value: f64::from(config.confirm_m),
            });
        }
        if !(config.turn_rate_dps.is_finite() && config.turn_rate_dps >= 0.0) {
            return Err(ConfigError::Range {
                name: "turn_rate_dps",
                value: config.turn_rate_dps,
            });
        }
        let imm = if config.turn_rate_dps > 0.0 {
            Imm::cv_ct(
                config.q_cv,
                config.q_turn,
                config.q_vertical,
                config.turn_rate_dps,
                config.mode_sojourn_s,
            )
        } else {
            Imm::constant_velocity(config.q_cv, config.q_vertical)
        };
        let mut map = FxHashMap::default();
        for s in sensors {
            if !(s.max_range_m.is_finite() && s.max_range_m > 0.0) {
                return Err(ConfigError::Range {
                    name: "max_range_m",
                    value: s.max_range_m,
                });
            }
            let site = match s.kind {
                SensorKind::Radar { site } => Some(RadarSite::new(&frame, site)?),
                _ => None,
            };
            if map.insert(s.id, (*s, site)).is_some() {
                return Err(ConfigError::DuplicateSensor(s.id));
            }
        }
        Ok(Self {
            gate: chi2_gate(2, config.gate_probability),
            identity_gate: chi2_gate(2, config.identity_gate_probability),
            config,
            frame,
            imm,
            sensors: map,
            slots: Vec::new(),
            free: Vec::new(),
            by_id: FxHashMap::default(),
            by_icao: FxHashMap::default(),
            by_mode3a: FxHashMap::default(),
            by_sensor_track: FxHashMap::default(),
            next_id: 1,
            now: None,
            last_maintenance: f64::NEG_INFINITY,
            stats: TrackerStats::default(),
            prepared: Vec::new(),
            prepared_spare: Vec::new(),
            assigned: Vec::new(),
            grid: Vec::new(),
            touched: Vec::new(),
            hit: Vec::new(),
            cached: Vec::new(),
            cached_states: Vec::new(),
        })
    }

    /// The settings.
    pub fn config(&self) -> &TrackerConfig {
        &self.config
    }

    /// The local tracking frame.
    pub fn frame(&self) -> &LocalFrame {
        &self.frame
    }

    /// The IMM every track uses.
    pub fn imm(&self) -> &Imm {
        &self.imm
    }

    /// Counters.
    pub fn stats(&self) -> &TrackerStats {
        &self.stats
    }

    /// The latest observation time seen.
    pub fn now(&self) -> Option<UnixTime> {
        self.now.map(UnixTime)
    }

    /// Every live track (tentative and confirmed), in slot order.
    pub fn tracks(&self) -> impl Iterator<Item = &Track> {
        self.slots.iter().flatten()
    }

    /// Number of live tracks.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether there is no track.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// A track by number.
    pub fn track(&self, id: TrackId) -> Option<&Track> {
        self.by_id.get(&id).and_then(|&s| self.slots[s].as_ref())
    }

    /// The track holding a Mode S address.
    pub fn track_by_icao(&self, icao: IcaoAddress) -> Option<&Track> {
        self.by_icao
            .get(&icao)
            .and_then(|&s| self.slots[s].as_ref())
    }

    /// A track's combined estimate predicted to `t` (not before its own time).
    pub fn predict(&self, track: &Track, t: UnixTime) -> Gaussian<6> {
        let mut s = track.state;
        self.imm.predict(&mut s, t.since(track.time));
        s.combined()
    }

    /// A track's predicted position at `t` as a geodetic point.
    pub fn position_at(&self, track: &Track, t: UnixTime) -> Geodetic {
        self.frame
            .enu_to_geodetic(&self.predict(track, t).position())
    }

    /// A track's quality figure at `now`.
    pub fn quality(&self, track: &Track, now: UnixTime) -> TrackQuality {
        track.quality(
            now,
            self.config.confirm_n,
            self.config.max_sigma_m,
            self.config.delete_after_s,
        )
    }

    /// Time-only maintenance at `now`, without an observation batch: deletes tentative
    /// tracks that failed M-of-N, tracks without an update for longer than
    /// `delete_after_s` and tracks whose position uncertainty, coasted to `now`, exceeds
    /// `max_sigma_m` (the checks [`Tracker::process`] runs after each batch, at most once a
    /// second). For a centre whose sensors have all gone quiet: without it the picture would
    /// keep its last tracks for ever. Coasting needs no maintenance (it is judged at the
    /// time asked, [`Track::is_coasting`]). `now` is not an observation time: it does not
    /// move [`Tracker::now`]. Returns the number of tracks deleted; a non-finite `now` does
    /// nothing.
    ///
    /// [`Track::is_coasting`]: crate::Track::is_coasting
    pub fn maintain(&mut self, now: UnixTime) -> usize {
        let now = now.secs();
        if !now.is_finite() {
            return 0;
        }
        let before = self.len();
        self.delete_stale(now);
        self.last_maintenance = self.last_maintenance.max(now);
        before - self.len()
    }

    fn reject(&mut self, reason: Reject, report: &mut BatchReport) {
        *self.stats.rejected.entry(reason).or_insert(0) += 1;
        report.rejected += 1;
    }

    /// Processes one batch.
    pub fn process(&mut self, batch: &Batch<'_>) -> BatchReport {
        let mut report = BatchReport::default();
        self.stats.observations += batch.observations.len() as u64;
        let Some(&(spec, site)) = self.sensors.get(&batch.sensor) else {
            for _ in batch.observations {
                self.reject(Reject::UnknownSensor, &mut report);
            }
            return report;
        };

        // 1. Validate and prepare.
        let mut prepared = std::mem::take(&mut self.prepared);
        prepared.clear();
        prepared.reserve(batch.observations.len());
        for (index, obs) in batch.observations.iter().enumerate() {
            match self.prepare(index, obs, &spec, site.as_ref()) {
                Ok(p) => prepared.push(p),
                Err(r) => self.reject(r, &mut report),
            }
        }
        // Time order, stable. `Prepared` is large: sort (time, index) keys and move each
        // observation once rather than letting the sort shuffle them.
        if !prepared.is_sorted_by(|a, b| a.time.total_cmp(&b.time).is_le()) {
            let mut order: Vec<(f64, usize)> = prepared
                .iter()
                .enumerate()
                .map(|(k, p)| (p.time, k))
                .collect();
            order.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            let mut raw = std::mem::take(&mut self.prepared_spare);
            raw.clear();
            std::mem::swap(&mut raw, &mut prepared);
            prepared.extend(order.iter().map(|&(_, k)| raw[k].clone()));
            raw.clear();
            self.prepared_spare = raw;
        }
        let batch_end = prepared
            .iter()
            .map(|p| p.time)
            .fold(f64::NEG_INFINITY, f64::max);
        if batch_end.is_finite() {
            self.now = Some(self.now.map_or(batch_end, |n| n.max(batch_end)));
        }

        // 2. Identity association.
        let mut assigned = std::mem::take(&mut self.assigned);
        assigned.clear();
        assigned.resize(prepared.len(), None);
        self.touched.clear();
        self.touched.resize(self.slots.len(), false);
        self.hit.clear();
        self.hit.resize(self.slots.len(), false);
        let mut cached = std::mem::take(&mut self.cached);
        cached.clear();
        cached.resize(prepared.len(), 0);
        let mut cached_states = std::mem::take(&mut self.cached_states);
        cached_states.clear();
        // At most one cached prediction per observation with an address: reserve once
        // rather than moving 1 KB states on every reallocation.
        cached_states.reserve(prepared.iter().filter(|p| p.icao.is_some()).count());
        for (i, p) in prepared.iter().enumerate() {
            let before = cached_states.len();
            if let Some(slot) =
                self.identity_match(p, batch.sensor, &mut report, &mut cached_states)
            {
                assigned[i] = Some(slot);
                self.touched[slot] = true;
                if cached_states.len() > before {
                    cached[i] = u32::try_from(cached_states.len()).unwrap_or(0);
                }
            }
        }
        // Observations whose address matched a track but failed the identity gate are
        // refused, not used to start a duplicate track: marked with an impossible slot.
        let refused = usize::MAX;
        for (i, p) in prepared.iter().enumerate() {
            if assigned[i].is_none() && p.icao.is_some_and(|a| self.by_icao.contains_key(&a)) {
                assigned[i] = Some(refused);
            }
        }

        // 3. Kinematic association of the rest.
        self.kinematic(&prepared, &mut assigned);

        // 4. Updates in time order, then initiation.
        for (i, p) in prepared.iter().enumerate() {
            match assigned[i] {
                Some(slot) if slot == refused => {}
                Some(slot) => {
                    let c = (cached[i] as usize)
                        .checked_sub(1)
                        .and_then(|k| cached_states.get_mut(k));
                    match self.apply(slot, p, batch.observations, &spec, c) {
                        Ok(()) => report.updated += 1,
                        Err(r) => self.reject(r, &mut report),
                    }
                }
                None => {
                    self.initiate(p, batch.observations, &spec);
                    report.initiated += 1;
                }
            }
        }

        // Misses and M-of-N, then deletion.
        self.count_opportunities(&spec, site.as_ref(), batch.coverage);
        if let Some(now) = self.now
            && now - self.last_maintenance >= 1.0
        {
            self.delete_stale(now);
            self.last_maintenance = now;
        }
        self.prepared = prepared;
        self.assigned = assigned;
        self.cached = cached;
        self.cached_states = cached_states;
        report
    }

    fn prepare(
        &self,
        index: usize,
        obs: &Observation,
        spec: &SensorSpec,
        site: Option<&RadarSite>,
    ) -> Result<Prepared, Reject> {
        if obs.sensor != spec.id {
            return Err(Reject::WrongSensor);
        }
        let t = obs.time.secs();
        if !t.is_finite() {
            return Err(Reject::NonFinite);
        }
        if let Some(now) = self.now
            && t < now - self.config.max_lag_s
        {
            return Err(Reject::TimeBackwards);
        }
        let height = match (obs.vertical.geom_m, obs.vertical.baro_ft) {
            (Some(h), _) => Some((h, self.config.geom_sigma_m)),
            (None, Some(ft)) => Some((ft * 0.3048, self.config.baro_sigma_m)),
            (None, None) => None,
        };
        if let Some((h, _)) = height {
            if !h.is_finite() {
                return Err(Reject::NonFinite);
            }
            if !(-1_000.0..=100_000.0).contains(&h) {
                return Err(Reject::OutOfRange);
            }
        }
        let (h_use, h_sigma) = height.unwrap_or((
            self.config.default_height_m,
            self.config.default_height_sigma_m,
        ));
        let (main, approx, approx_cov, at) = match obs.measurement {
            Measurement::Position { pos, cov_en_m2 } => {
                if matches!(spec.kind, SensorKind::Radar { .. }) {
                    return Err(Reject::SensorMismatch);
                }
                if !(pos.lat.is_finite() && pos.lon.is_finite())
                    || cov_en_m2.iter().flatten().any(|v| !v.is_finite())
                {
                    return Err(Reject::NonFinite);
                }
                if !pos.is_valid() {
                    return Err(Reject::OutOfRange);
                }
                let cov = SMatrix::<f64, 2, 2>::new(
                    cov_en_m2[0][0],
                    cov_en_m2[0][1],
                    cov_en_m2[1][0],
                    cov_en_m2[1][1],
                );
                // Positive definite, symmetric, and a standard deviation between 10 cm and
                // 50 km: anything else is a broken adapter, not a measurement.
                if (cov[(0, 1)] - cov[(1, 0)]).abs() > 1e-9 * cov.amax()
                    || cov.cholesky().is_none()
                    || cov[(0, 0)].max(cov[(1, 1)]) > 5e4f64.powi(2)
                    || cov[(0, 0)].min(cov[(1, 1)]) < 0.01
                {
                    return Err(Reject::AbsurdNoise);
                }
                let g = Geodetic {
                    pos,
                    height_m: h_use,
                };
                let approx = self.frame.geodetic_to_enu(&g);
                let approx_cov = local_to_frame_cov(&self.frame, &pos, &cov, h_sigma);
                (
                    Main::Position(Horizontal::position(&self.frame, &pos, cov)),
                    approx,
                    approx_cov,
                    pos,
                )
            }
            Measurement::Polar {
                origin,
                range_m,
                azimuth_rad,
                elevation_rad,
                sigma_range_m,
                sigma_azimuth_rad,
                sigma_elevation_rad,
            } => {
                let Some(radar) = site else {
                    return Err(Reject::SensorMismatch);
                };
                let values = [
                    origin.pos.lat,
                    origin.pos.lon,
                    origin.height_m,
                    range_m,
                    azimuth_rad,
                    sigma_range_m,
                    sigma_azimuth_rad,
                ];
                if values.iter().any(|v| !v.is_finite())
                    || elevation_rad.is_some_and(|e| !e.is_finite())
                    || sigma_elevation_rad.is_some_and(|e| !e.is_finite())
                {
                    return Err(Reject::NonFinite);
                }
                // The plot must come from where the radar is declared to be: a plot computed
                // from a wrong site would bias every track it touches.
                let declared = radar.site();
                if !origin.pos.is_valid()
                    || origin.pos.distance_m(&declared.pos) > 200.0
                    || (origin.height_m - declared.height_m).abs() > 200.0
                {
                    return Err(Reject::SensorMismatch);
                }
                if !(10.0 < range_m && range_m <= 1.2 * spec.max_range_m) {
                    return Err(Reject::OutOfRange);
                }
                if !(0.1..=10_000.0).contains(&sigma_range_m)
                    || !(1e-6..=0.1).contains(&sigma_azimuth_rad)
                {
                    return Err(Reject::AbsurdNoise);
                }
                let elevation = match (elevation_rad, sigma_elevation_rad) {
                    (Some(e), Some(s)) if (1e-6..=0.1).contains(&s) => Some((e, s)),
                    (Some(_), _) => return Err(Reject::AbsurdNoise),
                    _ => None,
                };
                let (approx, approx_geo) =
                    radar.plot_position_geodetic(&self.frame, range_m, azimuth_rad, h_use);
                let approx_cov = radar.plot_covariance(
                    range_m,
                    azimuth_rad,
                    sigma_range_m,
                    sigma_azimuth_rad,
                    h_sigma,
                );
                let at = approx_geo.pos;
                (
                    Main::Polar {
                        radar: *radar,
                        range_m,
                        azimuth_rad,
                        sigma_range_m,
                        sigma_azimuth_rad,
                        elevation,
                    },
                    approx,
                    approx_cov,
                    at,
                )
            }
        };
        // Far beyond any sensor's reach from the centre: a corrupt position.
        if approx.norm() > 3_000_000.0 {
            return Err(Reject::OutOfRange);
        }
        let height = height.map(|(_, sigma)| {
            let up: SMatrix<f64, 1, 3> = self.frame.axes_at(&at).fixed_rows::<1>(2).into_owned();
            (up, (up * approx)[0], sigma)
        });
        let velocity = match obs.velocity {
            None => None,
            Some(v) => {
                let vals = [v.east_mps, v.north_mps, v.sigma_mps];
                if vals.iter().any(|x| !x.is_finite()) || v.up_mps.is_some_and(|u| !u.is_finite()) {
                    return Err(Reject::NonFinite);
                }
                if !(0.01..=500.0).contains(&v.sigma_mps) {
                    return Err(Reject::AbsurdNoise);
                }
                if v.east_mps.hypot(v.north_mps) > 2_000.0 {
                    return Err(Reject::OutOfRange);
                }
                Some(Horizontal::velocity(
                    &self.frame,
                    &at,
                    Vector2::new(v.east_mps, v.north_mps),
                    SMatrix::<f64, 2, 2>::identity() * v.sigma_mps.powi(2),
                ))
            }
        };
        Ok(Prepared {
            index,
            time: t,
            main,
            height,
            velocity,
            approx,
            approx_cov,
            icao: obs.identity.icao,
            mode3a: obs.identity.mode3a.filter(|c| !is_shared_code(*c)),
            sensor_track: obs.identity.sensor_track,
        })
    }

    /// Squared Mahalanobis distance of `p` against `slot`'s prediction at `p`'s time.
    fn distance2(&self, slot: usize, p: &Prepared) -> Option<f64> {
        self.gate_state(slot, p).map(|(d2, _)| d2)
    }

    /// Squared Mahalanobis distance of `p` against `slot`'s state at `p`'s time, and that
    /// state when it is a forward prediction (reused by the update).
    fn gate_state(&self, slot: usize, p: &Prepared) -> Option<(f64, Option<ImmState>)> {
        let track = self.slots[slot].as_ref()?;
        let dt = p.time - track.time.secs();
        let (s, forward) = if dt >= 0.0 {
            let mut s = track.state;
            self.imm.predict(&mut s, dt);
            (s, true)
        } else {
            (self.imm.retrodicted(&track.state, -dt), false)
        };
        let d2 = gate_d2(&s, p)?;
        Some((d2, forward.then_some(s)))
    }

    /// Whether `p` lies within `max_initiation_speed_mps` of `track`'s position (with three
    /// standard deviations of slack for both).
    fn reachable(&self, track: &Track, p: &Prepared) -> bool {
        let g = track.state.combined();
        let d = (p.approx - g.position()).xy().norm();
        let slack = 3.0
            * ((g.p[(0, 0)] + g.p[(1, 1)]).max(0.0).sqrt()
                + (p.approx_cov[(0, 0)] + p.approx_cov[(1, 1)])
                    .max(0.0)
                    .sqrt());
        d <= self.config.max_initiation_speed_mps * (p.time - track.time.secs()).abs() + slack
    }

    fn identity_match(
        &mut self,
        p: &Prepared,
        sensor: SensorId,
        report: &mut BatchReport,
        cache: &mut Vec<(usize, f64, f64, ImmState)>,
    ) -> Option<usize> {
        if let Some(a) = p.icao
            && let Some(&slot) = self.by_icao.get(&a)
        {
            let track = self.slots[slot].as_ref()?;
            let dt = p.time - track.time.secs();
            let gated = if dt >= 0.0 {
                // The common case (one report per aircraft per batch): predict in place in
                // the cache, and the update starts from this prediction instead of computing
                // it again. The caller drops the entry unless the match is accepted.
                let from = track.time.secs();
                cache.push((slot, from, p.time, track.state));
                let k = cache.len() - 1;
                let s = &mut cache[k].3;
                self.imm.predict(s, dt);
                gate_d2(s, p)
            } else {
                self.gate_state(slot, p).map(|(d2, _)| d2)
            };
            let track = self.slots[slot].as_mut()?;
            if let Some(d2) = gated
                && d2 <= self.identity_gate
            {
                track.identity_outliers = 0;
                return Some(slot);
            }
            if dt >= 0.0 {
                cache.pop();
            }
            // Three outliers in a row: the track, not the reports, is wrong (a bad initial
            // position, a long gap). Accept and let the update re-centre it.
            track.identity_outliers = track.identity_outliers.saturating_add(1);
            if track.identity_outliers >= 3 {
                track.identity_outliers = 0;
                return Some(slot);
            }
            *self
                .stats
                .rejected
                .entry(Reject::IdentityOutlier)
                .or_insert(0) += 1;
            report.rejected += 1;
            return None;
        }
        let compatible = |t: &Track| match (p.icao, t.identity.icao) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        };
        if let Some(n) = p.sensor_track
            && let Some(&slot) = self.by_sensor_track.get(&(sensor, n))
            && !self.touched.get(slot).copied().unwrap_or(true)
            && self.slots[slot].as_ref().is_some_and(compatible)
            && self.distance2(slot, p).is_some_and(|d| d <= self.gate)
        {
            return Some(slot);
        }
        if let Some(code) = p.mode3a
            && let Some(slots) = self.by_mode3a.get(&code)
            && let [slot] = slots.as_slice()
            && !self.touched.get(*slot).copied().unwrap_or(true)
            && self.slots[*slot].as_ref().is_some_and(compatible)
            && self.distance2(*slot, p).is_some_and(|d| d <= self.gate)
        {
            return Some(*slot);
        }
        None
    }

    fn kinematic(&mut self, prepared: &[Prepared], assigned: &mut [Option<usize>]) {
        let pending: Vec<usize> = (0..prepared.len())
            .filter(|&i| assigned[i].is_none())
            .collect();
        if pending.is_empty() || self.by_id.is_empty() {
            return;
        }
        // Spatial index: (cell, slot) sorted by cell.
        let mut grid = std::mem::take(&mut self.grid);
        grid.clear();
        grid.reserve(self.slots.len());
        for (slot, t) in self.slots.iter().enumerate() {
            if let Some(t) = t
                && !self.touched[slot]
            {
                grid.push(grid_entry(cell_of(&t.state.modes()[0].position()), slot));
            }
        }
        // One integer per entry: the same order as sorting (cell, slot) tuples, cheaper
        // comparisons.
        grid.sort_unstable();
        // Gated pairs (observation, slot, d²).
        let mut pairs: Vec<(usize, usize, f64)> = Vec::new();
        for &i in &pending {
            let p = &prepared[i];
            let (cx, cy) = cell_of(&p.approx);
            for dx in -1..=1 {
                for dy in -1..=1 {
                    let key = cell_key((cx.saturating_add(dx), cy.saturating_add(dy)));
                    let start = grid.partition_point(|e| ((e >> 64) as u64) < key);
                    for &e in &grid[start..] {
                        if (e >> 64) as u64 != key {
                            break;
                        }
                        let slot = e as u64 as usize;
                        let Some(track) = self.slots[slot].as_ref() else {
                            continue;
                        };
                        if let (Some(a), Some(b)) = (p.icao, track.identity.icao)
                            && a != b
                        {
                            continue;
                        }
                        if track.updates == 1 && !self.reachable(track, p) {
                            continue;
                        }
                        if let Some(d2) = self.distance2(slot, p)
                            && d2 <= self.gate
                        {
                            pairs.push((i, slot, d2));
                        }
                    }
                }
            }
        }
        self.grid = grid;
        if pairs.is_empty() {
            return;
        }
        // Clusters: connected components of the gating graph (union-find over observations
        // and tracks), each solved on its own so that the cubic solver sees small problems.
        let mut tracks: Vec<usize> = pairs.iter().map(|p| p.1).collect();
        tracks.sort_unstable();
        tracks.dedup();
        let n_obs = prepared.len();
        let node_of_track = |slot: usize| n_obs + tracks.binary_search(&slot).unwrap_or(0);
        let mut parent: Vec<usize> = (0..n_obs + tracks.len()).collect();
        fn find(parent: &mut [usize], mut x: usize) -> usize {
            while parent[x] != x {
                parent[x] = parent[parent[x]];
                x = parent[x];
            }
            x
        }
        for &(i, slot, _) in &pairs {
            let (a, b) = (find(&mut parent, i), find(&mut parent, node_of_track(slot)));
            if a != b {
                parent[a.max(b)] = a.min(b);
            }
        }
        let mut by_root: Vec<(usize, usize, usize, f64)> = pairs
            .iter()
            .map(|&(i, slot, d2)| (find(&mut parent, i), i, slot, d2))
            .collect();
        by_root.sort_by_key(|e| (e.0, e.1, e.2));
        let mut start = 0;
        while start < by_root.len() {
            let root = by_root[start].0;
            let end = start + by_root[start..].iter().take_while(|e| e.0 == root).count();
            let cluster = &by_root[start..end];
            let mut obs: Vec<usize> = cluster.iter().map(|e| e.1).collect();
            obs.sort_unstable();
            obs.dedup();
            let mut trk: Vec<usize> = cluster.iter().map(|e| e.2).collect();
            trk.sort_unstable();
            trk.dedup();
            let cost = |t: usize, m: usize| {
                cluster
                    .iter()
                    .find(|e| e.2 == trk[t] && e.1 == obs[m])
                    .map(|e| e.3)
            };
            for (t, m) in gnn(trk.len(), obs.len(), self.gate, cost)
                .into_iter()
                .enumerate()
            {
                if let Some(m) = m {
                    assigned[obs[m]] = Some(trk[t]);
                }
            }
            start = end;
        }
    }

    fn apply(
        &mut self,
        slot: usize,
        p: &Prepared,
        observations: &[Observation],
        spec: &SensorSpec,
        cached: Option<&mut (usize, f64, f64, ImmState)>,
    ) -> Result<(), Reject> {
        let cfg_lost = self.config.transponder_lost_after_s;
        let window = self.config.lineage_window_s;
        let n = self.config.confirm_n;
        let m = self.config.confirm_m;
        let max_oos = self.config.max_out_of_sequence_s;
        let imm = &self.imm;
        let Some(track) = self.slots[slot].as_mut() else {
            return Err(Reject::FilterFailure);
        };
        // A measurement older than the track's state (sensors' batches overlap in time) is
        // applied by retrodiction when the lag is short, refused otherwise.
        let lag = (track.time.secs() - p.time).max(0.0);
        if lag > max_oos {
            return Err(Reject::OutOfSequence);
        }
        // The update works in place on the cached prediction (used once) or on a copy.
        let mut fresh;
        let state: &mut ImmState = match cached {
            Some((s, from, to, predicted))
                if lag == 0.0 && *s == slot && *from == track.time.secs() && *to == p.time =>
            {
                predicted
            }
            _ => {
                fresh = track.state;
                if lag == 0.0 {
                    imm.predict(&mut fresh, p.time - track.time.secs());
                }
                &mut fresh
            }
        };
        let partner = matches!(spec.kind, SensorKind::Partner);
        if partner {
            // Track-to-track: covariance intersection of every mode with the partner's
            // estimate (position, and velocity when given), so shared information is not
            // counted twice. Partner tracks come at their own pace; a late one is refused
            // rather than retrodicted (CI has no likelihood to weigh a retrodiction by).
            if lag > 0.0 {
                return Err(Reject::OutOfSequence);
            }
            let Main::Position(h) = p.main else {
                return Err(Reject::SensorMismatch);
            };
            let vel = p.velocity;
            imm.apply(state, |g| {
                let fused = match vel {
                    Some(v) => {
                        let mut hm = SMatrix::<f64, 4, 6>::zeros();
                        hm.fixed_view_mut::<2, 3>(0, 0).copy_from(&h.axes);
                        hm.fixed_view_mut::<2, 3>(2, 3).copy_from(&v.axes);
                        let z = SVector::<f64, 4>::new(h.z.x, h.z.y, v.z.x, v.z.y);
                        let mut r = SMatrix::<f64, 4, 4>::zeros();
                        r.fixed_view_mut::<2, 2>(0, 0).copy_from(&h.r);
                        r.fixed_view_mut::<2, 2>(2, 2).copy_from(&v.r);
                        covariance_intersection(g, &z, &hm, &r)?
                    }
                    None => {
                        let inn = h.position_innovation(g);
                        covariance_intersection(g, &h.z, &inn.h, &h.r)?
                    }
                };
                *g = fused.estimate;
                Ok(())
            })
            .map_err(|_| Reject::FilterFailure)?;
            if let Some((up, z, sigma)) = p.height {
                let h = position_projection::<1, 6>(&up);
                let r = SMatrix::<f64, 1, 1>::new(sigma * sigma);
                let _ = imm.apply(state, |g| {
                    *g = covariance_intersection(g, &SVector::<f64, 1>::new(z), &h, &r)?.estimate;
                    Ok(())
                });
            }
        } else {
            imm.update_delayed(state, lag, |g| p.innovation(g))
                .map_err(|_| Reject::FilterFailure)?;
            // Secondary components have independent noise: sequential updates equal one
            // stacked update and measured faster here (smaller matrices). A refused one leaves
            // the main update in place.
            if let Main::Polar {
                radar,
                elevation: Some((e, s)),
                ..
            } = &p.main
            {
                let _ = imm.update_delayed(state, lag, |g| elevation_innovation(g, radar, *e, *s));
            }
            if let Some((up, z, sigma)) = p.height {
                let h = position_projection::<1, 6>(&up);
                let r = SMatrix::<f64, 1, 1>::new(sigma * sigma);
                let _ = imm.update_delayed(state, lag, |g| {
                    Ok(Innovation {
                        nu: SVector::<f64, 1>::new(z - (h * g.x)[0]),
                        h,
                        r,
                    })
                });
            }
            if let Some(v) = &p.velocity {
                let _ = imm.update_delayed(state, lag, |g| Ok(v.velocity_innovation(g)));
            }
        }
        if !state.is_valid() {
            return Err(Reject::FilterFailure);
        }
        let now = UnixTime(p.time);
        track.state = *state;
        if lag == 0.0 {
            track.time = now;
        }
        if now.secs() > track.last_update.secs() {
            track.last_update = now;
        }
        track.updates += 1;
        if !self.hit.get(slot).copied().unwrap_or(true) {
            // First hit of this batch: one opportunity, a hit.
            track.history = (track.history << 1) | 1;
            track.opportunities += 1;
            self.hit[slot] = true;
        }
        if track.status == TrackStatus::Tentative && (track.history & mask(n)).count_ones() >= m {
            track.status = TrackStatus::Confirmed;
            self.stats.confirmed += 1;
        }
        if matches!(spec.kind, SensorKind::Adsb) {
            track.last_adsb = Some(now);
        }
        track.lineage.record(
            Contribution {
                sensor: spec.id,
                party: spec.party,
                time: now,
            },
            window,
        );
        let obs = &observations[p.index];
        if p.has_identity() {
            track.last_identified = Some(now);
            track.transponder_lost = false;
            self.stats.identity_updates += 1;
        } else if track
            .last_identified
            .is_some_and(|t| now.since(t) > cfg_lost)
        {
            track.transponder_lost = true;
        }
        let old = track.identity.clone();
        if let Some(a) = p.icao {
            track.identity.icao = Some(a);
        }
        if let Some(c) = obs.identity.mode3a {
            track.identity.mode3a = Some(c);
        }
        if let Some(cs) = &obs.identity.callsign
            && track.identity.callsign.as_deref() != Some(cs.as_str())
        {
            track.identity.callsign = Some(cs.clone());
        }
        let new = track.identity.clone();
        if let Some(n) = p.sensor_track {
            self.by_sensor_track.insert((spec.id, n), slot);
        }
        self.reindex(slot, &old, &new);
        if slot < self.touched.len() {
            self.touched[slot] = true;
        }
        self.stats.updates += 1;
        Ok(())
    }

    fn reindex(&mut self, slot: usize, old: &TrackIdentity, new: &TrackIdentity) {
        if old.icao != new.icao {
            if let Some(a) = old.icao
                && self.by_icao.get(&a) == Some(&slot)
            {
                self.by_icao.remove(&a);
            }
            if let Some(a) = new.icao {
                self.by_icao.insert(a, slot);
            }
        }
        if old.mode3a != new.mode3a {
            if let Some(c) = old.mode3a
                && let Some(v) = self.by_mode3a.get_mut(&c)
            {
                v.retain(|s| *s != slot);
                if v.is_empty() {
                    self.by_mode3a.remove(&c);
                }
            }
            if let Some(c) = new.mode3a
                && !is_shared_code(c)
            {
                self.by_mode3a.entry(c).or_default().push(slot);
            }
        }
    }

    fn initiate(&mut self, p: &Prepared, observations: &[Observation], spec: &SensorSpec) {
        let obs = &observations[p.index];
        let (v, v_cov) = match (&p.velocity, obs.velocity) {
            (Some(h), Some(ov)) => {
                let up = ov.up_mps.unwrap_or(0.0);
                // Local (east, north, up) at the point back to the frame: the transpose of the
                // rotation whose first two rows are `h.axes`.
                let axes = complete_axes(&h.axes);
                let v = axes.transpose() * Vector3::new(ov.east_mps, ov.north_mps, up);
                let sv = if ov.up_mps.is_some() {
                    ov.sigma_mps
                } else {
                    self.config.initial_vertical_sigma_mps
                };
                let local = Matrix3::from_diagonal(&Vector3::new(
                    ov.sigma_mps.powi(2),
                    ov.sigma_mps.powi(2),
                    sv.powi(2),
                ));
                (v, axes.transpose() * local * axes)
            }
            _ => {
                let s = self.config.initial_speed_sigma_mps.powi(2);
                (
                    Vector3::zeros(),
                    Matrix3::from_diagonal(&Vector3::new(
                        s,
                        s,
                        self.config.initial_vertical_sigma_mps.powi(2),
                    )),
                )
            }
        };
        let mut cov = SMatrix::<f64, 6, 6>::zeros();
        cov.fixed_view_mut::<3, 3>(0, 0).copy_from(&p.approx_cov);
        cov.fixed_view_mut::<3, 3>(3, 3).copy_from(&v_cov);
        let g = Gaussian::new(state6(&p.approx, &v), crate::filter::symmetrize(&cov));
        if !g.is_valid() {
            return;
        }
        let id = TrackId(self.next_id);
        self.next_id += 1;
        let now = UnixTime(p.time);
        let mut lineage = Lineage::default();
        lineage.record(
            Contribution {
                sensor: spec.id,
                party: spec.party,
                time: now,
            },
            self.config.lineage_window_s,
        );
        let identity = TrackIdentity {
            icao: p.icao,
            mode3a: obs.identity.mode3a,
            callsign: obs.identity.callsign.clone(),
        };
        let track = Track {
            id,
            status: if self.config.confirm_m <= 1 {
                TrackStatus::Confirmed
            } else {
                TrackStatus::Tentative
            },
            state: self.imm.init(g),
            time: now,
            created: now,
            last_update: now,
            identity: TrackIdentity::default(),
            last_identified: p.has_identity().then_some(now),
            transponder_lost: false,
            last_adsb: matches!(spec.kind, SensorKind::Adsb).then_some(now),
            history: 1,
            opportunities: 1,
            updates: 1,
            identity_outliers: 0,
            lineage,
        };
        let slot = match self.free.pop() {
            Some(s) => {
                self.slots[s] = Some(track);
                s
            }
            None => {
                self.slots.push(Some(track));
                self.slots.len() - 1
            }
        };
        if self.touched.len() < self.slots.len() {
            self.touched.resize(self.slots.len(), false);
            self.hit.resize(self.slots.len(), false);
        }
        self.touched[slot] = true;
        self.hit[slot] = true;
        if let Some(n) = p.sensor_track {
            self.by_sensor_track.insert((spec.id, n), slot);
        }
        self.by_id.insert(id, slot);
        self.reindex(slot, &TrackIdentity::default(), &identity);
        if let Some(t) = self.slots[slot].as_mut() {
            t.identity = identity;
        }
        self.stats.initiated += 1;
        if self.config.confirm_m <= 1 {
            self.stats.confirmed += 1;
        }
    }

    /// Counts a miss for every track the sensor covered in this batch and did not report.
    fn count_opportunities(
        &mut self,
        spec: &SensorSpec,
        site: Option<&RadarSite>,
        coverage: Coverage,
    ) {
        if matches!(coverage, Coverage::None) {
            return;
        }
        let now = self.now.unwrap_or(f64::NEG_INFINITY);
        let adsb_window = self.config.adsb_miss_window_s;
        let range2 = spec.max_range_m.powi(2);
        for (slot, t) in self.slots.iter_mut().enumerate() {
            let Some(t) = t else { continue };
            if self.hit.get(slot).copied().unwrap_or(true) {
                continue;
            }
            let p = t.state.modes()[0].position();
            let covered = match (spec.kind, coverage, site) {
                (SensorKind::Adsb, _, _) => {
                    t.last_adsb.is_some_and(|a| now - a.secs() <= adsb_window)
                }
                // Range and azimuth only (no Jacobian): this runs for every track and batch.
                (SensorKind::Radar { .. }, cov, Some(radar)) => match radar.range_direction(&p) {
                    Some((range_m, east, north)) if range_m * range_m <= range2 => match cov {
                        Coverage::Sector { from_rad, to_rad } => {
                            sector_contains(east, north, from_rad, to_rad)
                        }
                        _ => true,
                    },
                    _ => false,
                },
                _ => false,
            };
            if covered {
                t.history <<= 1;
                t.opportunities += 1;
            }
        }
    }

    /// Deletes tentative tracks that failed M-of-N, and tracks too old or too uncertain.
    fn delete_stale(&mut self, now: f64) {
        let n = self.config.confirm_n;
        let young_k = self.config.young_delete_misses;
        for slot in 0..self.slots.len() {
            let Some(t) = self.slots[slot].as_ref() else {
                continue;
            };
            let age = now - t.last_update.secs();
            let reason = if t.status == TrackStatus::Tentative {
                (t.opportunities >= n || age > self.config.delete_after_s).then_some(0)
            } else if age > self.config.delete_after_s
                || (t.opportunities >= self.config.confirm_n + self.config.keep_n
                    && (t.history & mask(self.config.keep_n)).count_ones() < self.config.keep_m)
                || (young_k > 0
                    && t.opportunities < self.config.confirm_n + self.config.keep_n
                    && t.identity.icao.is_none()
                    && t.identity.mode3a.is_none()
                    && t.history & mask(young_k) == 0)
            {
                Some(1)
            } else if horizontal_sigma_after(&t.estimate(), age.max(0.0), self.config.q_turn)
                > self.config.max_sigma_m
            {
                Some(2)
            } else {
                None
            };
            match reason {
                Some(0) => self.stats.deleted_tentative += 1,
                Some(1) => self.stats.deleted_age += 1,
                Some(_) => self.stats.deleted_covariance += 1,
                None => continue,
            }
            self.remove(slot);
        }
    }

    fn remove(&mut self, slot: usize) {
        let Some(t) = self.slots[slot].take() else {
            return;
        };
        self.by_id.remove(&t.id);
        self.reindex(slot, &t.identity, &TrackIdentity::default());
        self.by_sensor_track.retain(|_, s| *s != slot);
        self.free.push(slot);
    }
}

fn mask(n: u32) -> u32 {
    if n >= 32 { u32::MAX } else { (1u32 << n) - 1 }
}

/// Whether azimuth `a` lies in the clockwise sweep from `from` to `to`.
fn in_sector(a: f64, from: f64, to: f64) -> bool {
    use std::f64::consts::TAU;
    let span = (to - from).rem_euclid(TAU);
    let off = (a - from).rem_euclid(TAU);
    off <= span
}

/// `in_sector(east.atan2(north), from, to)`, deciding from a cheap approximation of the
/// azimuth when it is clearly inside or outside the sector (`atan2` for every track and
/// radar batch was the largest part of counting misses), and from the exact azimuth near the
/// sector's edges: the same answer, since the approximation errs by less than
/// [`APPROX_ATAN2_MAX_ERR`] and the margin is ten times that.
fn sector_contains(east: f64, north: f64, from: f64, to: f64) -> bool {
    use std::f64::consts::TAU;
    const MARGIN: f64 = 10.0 * APPROX_ATAN2_MAX_ERR;
    let span = (to - from).rem_euclid(TAU);
    let off = (approx_atan2(east, north) - from).rem_euclid(TAU);
    if off > MARGIN && off < span - MARGIN {
        true
    } else if off > span + MARGIN && off < TAU - MARGIN {
        false
    } else {
        // Near an edge (or NaN): the exact test.
        in_sector(east.atan2(north), from, to)
    }
}

/// Bound on the error of [`approx_atan2`], radians (the polynomial's is 1e-5; checked by a
/// test over the whole circle).
const APPROX_ATAN2_MAX_ERR: f64 = 1e-4;

/// `y.atan2(x)` to within [`APPROX_ATAN2_MAX_ERR`]: Abramowitz & Stegun 4.4.49 on the
/// octant, then the quadrant by symmetry.
fn approx_atan2(y: f64, x: f64) -> f64 {
    use std::f64::consts::{FRAC_PI_2, PI};
    let (ax, ay) = (x.abs(), y.abs());
    let (num, den, swapped) = if ay > ax {
        (ax, ay, true)
    } else {
        (ay, ax, false)
    };
    if den == 0.0 {
        return y.atan2(x);
    }
    let t = num / den;
    let t2 = t * t;
    let mut a = t
        * (0.999_866
            + t2 * (-0.330_299_5 + t2 * (0.180_141 + t2 * (-0.085_133 + 0.020_835_1 * t2))));
    if swapped {
        a = FRAC_PI_2 - a;
    }
    if x < 0.0 {
        a = PI - a;
    }
    if y < 0.0 {
        a = -a;
    }
    a
}

/// Completes two orthonormal rows (local east, north) into a rotation (adds up = e × n).
fn complete_axes(en: &SMatrix<f64, 2, 3>) -> Matrix3<f64> {
    let e = en.row(0).transpose();
    let n = en.row(1).transpose();
    let u = e.cross(&n);
    Matrix3::from_rows(&[e.transpose(), n.transpose(), u.transpose()])
}

/// Horizontal position standard deviation of `g` after coasting `dt` seconds with horizontal
/// acceleration density `q` (cheap bound for deletion: diagonal terms only).
fn horizontal_sigma_after(g: &Gaussian<6>, dt: f64, q: f64) -> f64 {
    let var = |i: usize| {
        g.p[(i, i)]
            + 2.0 * dt * g.p[(i, i + 3)]
            + dt * dt * g.p[(i + 3, i + 3)]
            + q * dt.powi(3) / 3.0
    };
    var(0).max(var(1)).max(0.0).sqrt()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn shared_codes_are_recognised_in_nibble_form() {
        assert!(is_shared_code(0x7000));
        assert!(is_shared_code(0x2000));
        assert!(is_shared_code(0x1200));
        assert!(is_shared_code(0x1000));
        assert!(!is_shared_code(0x7500));
        assert!(!is_shared_code(0x4621));
    }

    #[test]
    fn approx_atan2_is_within_its_bound() {
        let mut worst = 0.0f64;
        for k in 0..200_000 {
            let a = -std::f64::consts::PI + f64::from(k) * std::f64::consts::TAU / 200_000.0;
            for r in [1.0, 1234.5, 3e5] {
                let (y, x) = (r * a.sin(), r * a.cos());
                let err = (approx_atan2(y, x) - y.atan2(x)).abs();
                // ±π are the same direction.
                worst = worst.max(err.min((err - std::f64::consts::TAU).abs()));
            }
        }
        assert!(worst < APPROX_ATAN2_MAX_ERR / 5.0, "worst {worst}");
    }

    /// The fast sector test answers as the exact one, on a grid that includes directions a
    /// hair away from the edges.
    #[test]
    fn sector_contains_agrees_with_in_sector() {
        use std::f64::consts::PI;
        let sectors = [
            (-0.5, 0.5),
            (2.5, -2.5),
            (PI - 1e-7, -PI / 2.0),
            (0.0, 2.0 * PI - 1e-3),
        ];
        for (from, to) in sectors {
            for k in 0..20_000 {
                let mut azimuths = vec![-PI + f64::from(k) * 2.0 * PI / 20_000.0];
                for edge in [from, to] {
                    azimuths.push(edge + (f64::from(k) - 10_000.0) * 1e-9);
                }
                for a in azimuths {
                    let (e, n) = (a.sin() * 5e4, a.cos() * 5e4);
                    assert_eq!(
                        sector_contains(e, n, from, to),
                        in_sector(e.atan2(n), from, to),
                        "azimuth {a} sector {from} {to}"
                    );
                }
            }
        }
    }

    #[test]
    fn sectors_wrap_through_north() {
        use std::f64::consts::PI;
        assert!(in_sector(0.1, -0.5, 0.5));
        assert!(in_sector(-0.1, 2.0 * PI - 0.5, 0.5));
        assert!(!in_sector(1.0, -0.5, 0.5));
        assert!(in_sector(3.0, 2.5, -2.5));
    }
}
