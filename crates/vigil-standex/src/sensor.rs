//! Stand-off sensor specifications and their coverage geometry.
//!
//! A sensor looks along `heading_deg` (degrees anticlockwise from the station's +x axis, the
//! usual mathematical convention of a local metric plan) with a cone of `half_angle_deg` on
//! either side, out to `range_m`. Everything is in the station's local metres.

use serde::{Deserialize, Serialize};

/// The physical principle of a stand-off sensor, and where on the body a body-resolving
/// sensor saw the object: the station model's own types (one vocabulary for the station
/// file, the engine and the UI), re-exported so that `vigil_standex::SensorKind` and
/// `vigil_standex::BodyLocation` keep working.
pub use vigil_station::{BodyLocation, SensorKind};

/// How many people a sensor can examine.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Capacity {
    /// A wide sensor examining everyone in its cone, up to this many looks per second.
    PerSecond(f64),
    /// A pointed sensor (stand-off Raman): one person at a time, only those it is tasked to.
    OneAtATime,
}

/// One stand-off sensor: geometry, timing, performance, and how it is switched on.
///
/// The probabilities are per look (one dwell on one person). No values were published for the
/// real system; those in `config/` are configuration, chosen and explained there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SensorSpec {
    /// Identifier (unique in the station).
    pub id: String,
    /// Physical principle.
    pub kind: SensorKind,
    /// Position, x metres.
    pub x: f64,
    /// Position, y metres.
    pub y: f64,
    /// Boresight direction, degrees anticlockwise from +x.
    pub heading_deg: f64,
    /// Half-width of the coverage cone, degrees.
    pub half_angle_deg: f64,
    /// Maximum range, metres.
    pub range_m: f64,
    /// Minimum range, metres (closer than this the sensor does not work).
    #[serde(default)]
    pub min_range_m: f64,
    /// Time a person must stay in coverage (or in the beam) for one look, seconds.
    pub dwell_s: f64,
    /// Probability of detection per look of a carrier.
    pub pd: f64,
    /// Probability of a false alarm per look of a non-carrier.
    pub pfa: f64,
    /// Always on (true) or switched on by the cascade (false).
    pub always_on: bool,
    /// Whether a detection says where on the body the object is.
    pub body_resolving: bool,
    /// How many people it can examine.
    pub capacity: Capacity,
    /// Standard deviation of the position it reports for the person it looked at, metres per
    /// axis (the reading's position noise used by association).
    pub sigma_m: f64,
    /// For pointed sensors: how far from its aim point a person may be and still be the one
    /// examined, metres.
    #[serde(default = "default_beam_radius")]
    pub beam_radius_m: f64,
}

fn default_beam_radius() -> f64 {
    0.6
}

impl SensorSpec {
    /// Whether the floor point `(x, y)` is inside the coverage cone.
    pub fn covers(&self, x: f64, y: f64) -> bool {
        let dx = x - self.x;
        let dy = y - self.y;
        let r2 = dx * dx + dy * dy;
        if r2 > self.range_m * self.range_m || r2 < self.min_range_m * self.min_range_m {
            return false;
        }
        if r2 < 1e-12 {
            return true;
        }
        let bearing = dy.atan2(dx);
        angle_diff(bearing, self.heading_deg.to_radians()).abs() <= self.half_angle_deg.to_radians()
    }

    /// Bearing (degrees anticlockwise from +x) and range from the sensor to `(x, y)`.
    pub fn bearing_range(&self, x: f64, y: f64) -> (f64, f64) {
        let dx = x - self.x;
        let dy = y - self.y;
        (dy.atan2(dx).to_degrees(), dx.hypot(dy))
    }

    /// The cone as a closed polygon (apex then arc points), for the UI.
    pub fn coverage_polygon(&self, arc_points: usize) -> Vec<[f64; 2]> {
        let n = arc_points.max(2);
        let mut out = Vec::with_capacity(n + 1);
        out.push([self.x, self.y]);
        let h = self.heading_deg.to_radians();
        let a = self.half_angle_deg.to_radians();
        for i in 0..n {
            let th = h - a + 2.0 * a * (i as f64) / ((n - 1) as f64);
            out.push([
                self.x + self.range_m * th.cos(),
                self.y + self.range_m * th.sin(),
            ]);
        }
        out
    }

    /// Log-likelihood ratio of a look: `ln(pd/pfa)` with a detection, `ln((1-pd)/(1-pfa))`
    /// without.
    pub fn llr(&self, detected: bool) -> f64 {
        llr(self.pd, self.pfa, detected)
    }

    /// Checks the numbers make sense.
    pub fn validate(&self) -> Result<(), crate::Error> {
        let bad = |why: &str| {
            Err(crate::Error::Sensor {
                id: self.id.clone(),
                why: why.to_owned(),
            })
        };
        if !(self.pd > 0.0 && self.pd < 1.0 && self.pfa > 0.0 && self.pfa < 1.0) {
            return bad("pd and pfa must be strictly between 0 and 1");
        }
        if self.pd <= self.pfa {
            return bad("pd must exceed pfa (otherwise a detection is evidence of innocence)");
        }
        if !(self.range_m > self.min_range_m
            && self.min_range_m >= 0.0
            && self.dwell_s >= 0.0
            && self.sigma_m > 0.0)
        {
            return bad("need 0 <= min_range_m < range_m, sigma_m > 0, dwell_s >= 0");
        }
        if !(self.half_angle_deg > 0.0 && self.half_angle_deg <= 180.0) {
            return bad("half_angle_deg must be in (0, 180]");
        }
        if let Capacity::PerSecond(r) = self.capacity
            && r.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater)
        {
            return bad("capacity per second must be positive");
        }
        if !self.x.is_finite() || !self.y.is_finite() || !self.heading_deg.is_finite() {
            return bad("position and heading must be finite");
        }
        Ok(())
    }
}

/// Log-likelihood ratio of one look with detection probability `pd` and false-alarm
/// probability `pfa`.
pub fn llr(pd: f64, pfa: f64, detected: bool) -> f64 {
    if detected {
        (pd / pfa).ln()
    } else {
        ((1.0 - pd) / (1.0 - pfa)).ln()
    }
}

/// Signed difference of two angles in radians, wrapped to (-pi, pi].
fn angle_diff(a: f64, b: f64) -> f64 {
    let mut d = (a - b) % std::f64::consts::TAU;
    if d > std::f64::consts::PI {
        d -= std::f64::consts::TAU;
    } else if d <= -std::f64::consts::PI {
        d += std::f64::consts::TAU;
    }
    d
}
