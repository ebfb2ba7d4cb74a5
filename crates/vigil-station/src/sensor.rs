//! Stand-off explosive sensors: specifications and coverage only.
//!
//! Readings, evidence fusion and the cascade belong to `vigil-standex`. No detection
//! probability, false-alarm rate or range of the STANDEX sensors was ever published, so the
//! per-type defaults below are assumptions for the simulation, chosen to be plausible for the
//! technology (active millimetre-wave portals see bulk objects under clothing at a few
//! metres; passive millimetre-wave and infrared look further with less contrast; stand-off
//! Raman needs a narrow, long look at a surface). Every value can be overridden per type
//! (`[sensor_defaults.<type>]`) or per sensor.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::geom::{self, Point};
use crate::station::StationError;

/// The technology of a stand-off sensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SensorKind {
    /// Active millimetre-wave imager (illuminates; bulk objects under clothing).
    ActiveMmw,
    /// Passive millimetre-wave imager (body emission contrast).
    PassiveMmw,
    /// Thermal infrared (contrast of an object against the body).
    Infrared,
    /// Stand-off Raman spectroscopy (traces on surfaces; narrow laser spot).
    StandoffRaman,
}

impl SensorKind {
    /// Every kind, in a fixed order.
    pub const ALL: [SensorKind; 4] = [
        SensorKind::ActiveMmw,
        SensorKind::PassiveMmw,
        SensorKind::Infrared,
        SensorKind::StandoffRaman,
    ];

    /// The built-in defaults of this kind (assumptions; see the module docs).
    pub fn defaults(self) -> SensorDefaults {
        let d = |half, min, max, dwell, pd, pfa, body| SensorDefaults {
            half_angle_deg: Some(half),
            min_range_m: Some(min),
            max_range_m: Some(max),
            dwell_s: Some(dwell),
            pd: Some(pd),
            pfa: Some(pfa),
            body_location: Some(body),
        };
        match self {
            SensorKind::ActiveMmw => d(15.0, 1.0, 6.0, 0.5, 0.85, 0.01, true),
            SensorKind::PassiveMmw => d(20.0, 2.0, 10.0, 1.5, 0.6, 0.03, true),
            SensorKind::Infrared => d(25.0, 2.0, 15.0, 1.0, 0.4, 0.05, false),
            SensorKind::StandoffRaman => d(3.0, 3.0, 20.0, 3.0, 0.7, 0.005, false),
        }
    }
}

/// Where on the body a sensor reports an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BodyLocation {
    /// Front of the torso (a vest, a belt).
    Torso,
    /// Left side (arm, bag on the left).
    Left,
    /// Right side.
    Right,
    /// Back (a backpack).
    Back,
}

/// Per-type values; `None` keeps the built-in default. Also the per-type override table.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SensorDefaults {
    /// Half-angle of the coverage cone, degrees.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub half_angle_deg: Option<f64>,
    /// Nearest range at which the sensor works, metres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_range_m: Option<f64>,
    /// Farthest range, metres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_range_m: Option<f64>,
    /// Time a person must stay in the cone for one look, seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dwell_s: Option<f64>,
    /// Probability of detection per look at a carrier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pd: Option<f64>,
    /// Probability of a false alarm per look at a person who carries nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pfa: Option<f64>,
    /// Whether the sensor reports where on the body (torso / left / right / back).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_location: Option<bool>,
}

impl SensorDefaults {
    fn or(self, base: SensorDefaults) -> SensorDefaults {
        SensorDefaults {
            half_angle_deg: self.half_angle_deg.or(base.half_angle_deg),
            min_range_m: self.min_range_m.or(base.min_range_m),
            max_range_m: self.max_range_m.or(base.max_range_m),
            dwell_s: self.dwell_s.or(base.dwell_s),
            pd: self.pd.or(base.pd),
            pfa: self.pfa.or(base.pfa),
            body_location: self.body_location.or(base.body_location),
        }
    }
}

/// A stand-off sensor as written in the config file (`[[sensor]]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SensorSpec {
    /// Unique id.
    pub id: u16,
    /// Technology.
    #[serde(rename = "type")]
    pub kind: SensorKind,
    /// Position on the floor plan, metres.
    pub position: Point,
    /// Mounting height, metres (default 2.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height_m: Option<f64>,
    /// Direction of the cone's axis, degrees counter-clockwise from east (+x).
    pub direction_deg: f64,
    /// `false`: switched on by the cascade; `true`: looks at everyone all the time.
    pub always_on: bool,
    /// Half-angle of the coverage cone, degrees (type default when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub half_angle_deg: Option<f64>,
    /// Nearest working range, metres (type default when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_range_m: Option<f64>,
    /// Farthest working range, metres (type default when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_range_m: Option<f64>,
    /// Dwell needed per person per look, seconds (type default when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dwell_s: Option<f64>,
    /// Detection probability per look (type default when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pd: Option<f64>,
    /// False-alarm probability per look (type default when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pfa: Option<f64>,
    /// Whether readings say where on the body (type default when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_location: Option<bool>,
}

impl SensorSpec {
    /// The per-sensor overrides as a [`SensorDefaults`].
    pub fn values(&self) -> SensorDefaults {
        SensorDefaults {
            half_angle_deg: self.half_angle_deg,
            min_range_m: self.min_range_m,
            max_range_m: self.max_range_m,
            dwell_s: self.dwell_s,
            pd: self.pd,
            pfa: self.pfa,
            body_location: self.body_location,
        }
    }
}

/// A validated stand-off sensor with every value resolved.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StandoffSensor {
    /// Unique id.
    pub id: u16,
    /// Technology.
    pub kind: SensorKind,
    /// Position on the floor plan, metres.
    pub position: Point,
    /// Mounting height, metres.
    pub height_m: f64,
    /// Direction of the cone's axis, radians counter-clockwise from east.
    pub direction_rad: f64,
    /// Half-angle of the cone, radians.
    pub half_angle_rad: f64,
    /// Nearest working range, metres (horizontal).
    pub min_range_m: f64,
    /// Farthest working range, metres (horizontal).
    pub max_range_m: f64,
    /// Time a person must stay covered for one look, seconds.
    pub dwell_s: f64,
    /// Probability of detection per look at a carrier.
    pub pd: f64,
    /// Probability of a false alarm per look at someone carrying nothing.
    pub pfa: f64,
    /// `false`: switched on by the cascade.
    pub always_on: bool,
    /// Whether readings say where on the body.
    pub body_location: bool,
}

impl StandoffSensor {
    /// Resolves a spec against the per-type overrides and built-in defaults.
    pub fn from_spec(
        spec: &SensorSpec,
        overrides: &BTreeMap<SensorKind, SensorDefaults>,
    ) -> Result<StandoffSensor, StationError> {
        let base = spec.kind.defaults();
        let typed = overrides
            .get(&spec.kind)
            .copied()
            .unwrap_or_default()
            .or(base);
        let v = spec.values().or(typed);
        let bad = |reason: &str| StationError::BadSensor {
            id: spec.id,
            reason: reason.to_string(),
        };
        // `or(base)` fills every field: the built-in defaults are all `Some`.
        let (Some(half), Some(min_r), Some(max_r), Some(dwell), Some(pd), Some(pfa), Some(body)) = (
            v.half_angle_deg,
            v.min_range_m,
            v.max_range_m,
            v.dwell_s,
            v.pd,
            v.pfa,
            v.body_location,
        ) else {
            return Err(bad("missing value"));
        };
        if !(half > 0.0 && half <= 180.0) {
            return Err(bad("half_angle_deg must be in (0, 180]"));
        }
        if !(min_r >= 0.0 && max_r > min_r && max_r.is_finite()) {
            return Err(bad("ranges must satisfy 0 <= min_range_m < max_range_m"));
        }
        if !(dwell >= 0.0 && dwell.is_finite()) {
            return Err(bad("dwell_s must be >= 0"));
        }
        if !(pd > 0.0 && pd < 1.0 && pfa > 0.0 && pfa < 1.0 && pd > pfa) {
            return Err(bad("need 0 < pfa < pd < 1"));
        }
        if !spec.position.iter().all(|x| x.is_finite()) || !spec.direction_deg.is_finite() {
            return Err(bad("position and direction must be finite"));
        }
        Ok(StandoffSensor {
            id: spec.id,
            kind: spec.kind,
            position: spec.position,
            height_m: spec.height_m.unwrap_or(2.0),
            direction_rad: spec.direction_deg.to_radians(),
            half_angle_rad: half.to_radians(),
            min_range_m: min_r,
            max_range_m: max_r,
            dwell_s: dwell,
            pd,
            pfa,
            always_on: spec.always_on,
            body_location: body,
        })
    }

    /// Whether a person standing at floor point `p` is inside the cone and range (walls
    /// are not checked: see [`crate::Station::line_of_sight`]).
    pub fn covers(&self, p: Point) -> bool {
        let d = geom::sub(p, self.position);
        let r = geom::norm(d);
        if r < self.min_range_m || r > self.max_range_m {
            return false;
        }
        let axis = [self.direction_rad.cos(), self.direction_rad.sin()];
        // Angle off the axis via atan2 of cross and dot: exact near zero and at 180 degrees.
        let off = geom::cross(axis, d).atan2(geom::dot(axis, d)).abs();
        off <= self.half_angle_rad
    }

    /// Log-likelihood ratio of one positive look, `ln(pd / pfa)`.
    pub fn llr_hit(&self) -> f64 {
        (self.pd / self.pfa).ln()
    }

    /// Log-likelihood ratio of one negative look, `ln((1 - pd) / (1 - pfa))`.
    pub fn llr_miss(&self) -> f64 {
        ((1.0 - self.pd) / (1.0 - self.pfa)).ln()
    }
}
