//! The engine's view of a people track: anonymous id, position, velocity, covariance.

use serde::{Deserialize, Serialize};

/// What the engine needs from a people track (from `vigil-people` or, in tests, from truth).
/// Anonymous: an identifier the tracker chose and a position, nothing about the person.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrackView {
    /// Anonymous track identifier.
    pub id: u64,
    /// Time of the state, seconds.
    pub t: f64,
    /// Position, x metres.
    pub x: f64,
    /// Position, y metres.
    pub y: f64,
    /// Velocity, x metres per second.
    pub vx: f64,
    /// Velocity, y metres per second.
    pub vy: f64,
    /// Position covariance, square metres (row-major 2×2).
    pub pos_cov: [[f64; 2]; 2],
}

impl TrackView {
    /// Constant-velocity prediction of the position at time `t`.
    pub fn predict(&self, t: f64) -> [f64; 2] {
        let dt = t - self.t;
        [self.x + self.vx * dt, self.y + self.vy * dt]
    }

    /// A track at truth: position and velocity exactly, covariance `sigma_m²` on each axis.
    pub fn from_truth(id: u64, t: f64, x: f64, y: f64, vx: f64, vy: f64, sigma_m: f64) -> Self {
        let v = sigma_m * sigma_m;
        Self {
            id,
            t,
            x,
            y,
            vx,
            vy,
            pos_cov: [[v, 0.0], [0.0, v]],
        }
    }
}
