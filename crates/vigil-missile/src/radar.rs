//! Early-warning radar sites as the tracker sees them: geometry, coverage and noise, and the
//! range / azimuth / elevation measurement of an ECEF state.
//!
//! Angles: azimuth clockwise from true north, elevation above the plane tangent to the
//! ellipsoid at the antenna (the site's local east / north / up frame), both in radians.

use nalgebra::{Matrix3, SVector, Vector3};
use serde::{Deserialize, Serialize};
use vigil_ballistic::sensors::{enu_to_polar, polar_to_enu, polar_to_enu_jacobian};
use vigil_core::{Geodetic, LatLon};
use vigil_track::ukf::{MeasurementModel, wrap_angle};

use crate::dynamics::State;

/// A radar's identifier within one tracker (its index in the tracker's site list).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RadarId(pub u32);

/// One radar's configuration (TOML `[[radar]]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RadarConfig {
    /// Site name.
    pub name: String,
    /// Owning party.
    pub party: String,
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Antenna height above the ellipsoid, metres.
    #[serde(default)]
    pub height_m: f64,
    /// Boresight azimuth, degrees from north.
    pub boresight_az_deg: f64,
    /// Half the azimuth field of view, degrees (180 for all round).
    pub half_fov_deg: f64,
    /// Maximum range, km.
    pub max_range_km: f64,
    /// Minimum elevation, degrees.
    pub min_elevation_deg: f64,
    /// Range noise (1 σ), metres.
    pub sigma_range_m: f64,
    /// Azimuth noise (1 σ), milliradians.
    pub sigma_az_mrad: f64,
    /// Elevation noise (1 σ), milliradians.
    pub sigma_el_mrad: f64,
}

/// The configuration was not physical.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("radar {name}: {reason}")]
pub struct RadarError {
    /// Site name.
    pub name: String,
    /// What is wrong.
    pub reason: &'static str,
}

/// A radar site ready for measurement: its configuration and cached geometry.
#[derive(Debug, Clone, PartialEq)]
pub struct RadarSite {
    /// Identifier in its tracker.
    pub id: RadarId,
    /// Configuration.
    pub cfg: RadarConfig,
    ecef: Vector3<f64>,
    /// ECEF → ENU rotation at the site.
    rot: Matrix3<f64>,
    noise: Matrix3<f64>,
}

/// One plot: a detection by one radar at one time.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Plot {
    /// Time, s (the scenario's scale).
    pub t: f64,
    /// Radar.
    pub radar: RadarId,
    /// Slant range, metres.
    pub range_m: f64,
    /// Azimuth, radians from north, clockwise.
    pub az_rad: f64,
    /// Elevation, radians.
    pub el_rad: f64,
}

impl Plot {
    /// A plot of `vigil-ballistic`'s early-warning radar model, for the tracker's radar
    /// `radar` (the scenario's radar index is the scenario's, not the tracker's). The
    /// conventions are the same (azimuth clockwise from north; its [0, 2π) wraps in the
    /// residual). The plot's own σ is [`PlotNoise::from_ballistic`], given to the tracker
    /// beside the plot ([`crate::tracker::MissileTracker::process_scan_with_noise`]).
    pub fn from_ballistic(p: &vigil_ballistic::sensors::RadarPlot, radar: RadarId) -> Self {
        Self {
            t: p.t,
            radar,
            range_m: p.range_m,
            az_rad: p.az_rad,
            el_rad: p.el_rad,
        }
    }

    /// The measurement vector `(range, azimuth, elevation)`.
    pub fn z(&self) -> Vector3<f64> {
        Vector3::new(self.range_m, self.az_rad, self.el_rad)
    }
}

/// A plot's own measurement noise (1 σ), when the radar reports it per plot (it grows with
/// range and falls with the signal-to-noise ratio); the tracker otherwise takes the site's
/// configured noise.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PlotNoise {
    /// Range, metres.
    pub range_m: f64,
    /// Azimuth, radians.
    pub az_rad: f64,
    /// Elevation, radians.
    pub el_rad: f64,
}

impl PlotNoise {
    /// The σ of a `vigil-ballistic` plot.
    pub fn from_ballistic(p: &vigil_ballistic::sensors::RadarPlot) -> Self {
        Self {
            range_m: p.sigma.0,
            az_rad: p.sigma.1,
            el_rad: p.sigma.2,
        }
    }

    /// Every σ finite and positive (an invalid one is ignored for the site's).
    pub fn is_valid(&self) -> bool {
        [self.range_m, self.az_rad, self.el_rad]
            .iter()
            .all(|v| v.is_finite() && *v > 0.0)
    }

    /// The diagonal covariance `R`.
    pub fn covariance(&self) -> Matrix3<f64> {
        Matrix3::from_diagonal(&Vector3::new(
            self.range_m.powi(2),
            self.az_rad.powi(2),
            self.el_rad.powi(2),
        ))
    }
}

impl RadarSite {
    /// A site from its configuration.
    pub fn new(id: RadarId, cfg: RadarConfig) -> Result<Self, RadarError> {
        let bad = |reason| {
            Err(RadarError {
                name: cfg.name.clone(),
                reason,
            })
        };
        let finite = [
            cfg.lat,
            cfg.lon,
            cfg.height_m,
            cfg.boresight_az_deg,
            cfg.half_fov_deg,
            cfg.max_range_km,
            cfg.min_elevation_deg,
            cfg.sigma_range_m,
            cfg.sigma_az_mrad,
            cfg.sigma_el_mrad,
        ]
        .iter()
        .all(|v| v.is_finite());
        if !finite {
            return bad("non-finite value");
        }
        if !(-89.0..=89.0).contains(&cfg.lat) || !(-180.0..=180.0).contains(&cfg.lon) {
            return bad("position out of range (or within a degree of a pole)");
        }
        if !(cfg.sigma_range_m > 0.0 && cfg.sigma_az_mrad > 0.0 && cfg.sigma_el_mrad > 0.0) {
            return bad("noise must be positive");
        }
        if !(cfg.max_range_km > 0.0 && cfg.half_fov_deg > 0.0) {
            return bad("range and field of view must be positive");
        }
        let g = Geodetic {
            pos: LatLon::new(cfg.lat, cfg.lon),
            height_m: cfg.height_m,
        };
        let ecef = vigil_track::geo::geodetic_to_ecef(&g);
        let rot = vigil_track::geo::ecef_to_enu_rotation(&g.pos);
        let noise = Matrix3::from_diagonal(&Vector3::new(
            cfg.sigma_range_m.powi(2),
            (cfg.sigma_az_mrad * 1e-3).powi(2),
            (cfg.sigma_el_mrad * 1e-3).powi(2),
        ));
        Ok(Self {
            id,
            cfg,
            ecef,
            rot,
            noise,
        })
    }

    /// The antenna's ECEF position.
    pub fn ecef(&self) -> Vector3<f64> {
        self.ecef
    }

    /// The measurement noise covariance `R`.
    pub fn noise(&self) -> Matrix3<f64> {
        self.noise
    }

    /// The geodetic position.
    pub fn position(&self) -> Geodetic {
        Geodetic {
            pos: LatLon::new(self.cfg.lat, self.cfg.lon),
            height_m: self.cfg.height_m,
        }
    }

    /// `(range, azimuth, elevation)` of an ECEF point, or `None` at the antenna itself.
    /// Azimuth in (-π, π] (see [`vigil_ballistic::sensors::enu_to_polar`]).
    pub fn measure(&self, r: &Vector3<f64>) -> Option<Vector3<f64>> {
        let z = enu_to_polar(&(self.rot * (r - self.ecef)));
        if z[0] < 1.0 {
            return None;
        }
        Some(z)
    }

    /// The ECEF point of a measurement.
    pub fn to_ecef(&self, z: &Vector3<f64>) -> Vector3<f64> {
        self.ecef + self.rot.transpose() * polar_to_enu(z[0], z[1], z[2])
    }

    /// The ECEF covariance of the point of a measurement (the site's configured noise through
    /// the Jacobian of [`RadarSite::to_ecef`]).
    pub fn ecef_cov(&self, z: &Vector3<f64>) -> Matrix3<f64> {
        self.ecef_cov_with(z, &self.noise)
    }

    /// [`RadarSite::ecef_cov`] with the measurement noise `r` (a plot's own, e.g.
    /// [`PlotNoise::covariance`]).
    pub fn ecef_cov_with(&self, z: &Vector3<f64>, r: &Matrix3<f64>) -> Matrix3<f64> {
        let j = self.rot.transpose() * polar_to_enu_jacobian(z[0], z[1], z[2]);
        j * r * j.transpose()
    }

    /// The noise covariance of a plot: its own when given and valid, else the site's.
    pub fn noise_of(&self, own: Option<&PlotNoise>) -> Matrix3<f64> {
        own.filter(|n| n.is_valid())
            .map_or(self.noise, PlotNoise::covariance)
    }

    /// Whether an ECEF point is inside the radar's coverage: range, elevation and azimuth
    /// sector. (Minimum elevation above the tangent plane is the Earth-curvature line of
    /// sight for a non-negative minimum.)
    pub fn covers(&self, r: &Vector3<f64>) -> bool {
        let Some(z) = self.measure(r) else {
            return false;
        };
        if z[0] > self.cfg.max_range_km * 1e3 || z[2] < self.cfg.min_elevation_deg.to_radians() {
            return false;
        }
        let off = wrap_angle(z[1] - self.cfg.boresight_az_deg.to_radians()).abs();
        off <= self.cfg.half_fov_deg.to_radians()
    }
}

impl MeasurementModel<7, 3> for RadarSite {
    fn h(&self, x: &State) -> Option<SVector<f64, 3>> {
        self.measure(&Vector3::new(x[0], x[1], x[2]))
    }

    fn residual(&self, a: &Vector3<f64>, b: &Vector3<f64>) -> Vector3<f64> {
        Vector3::new(a[0] - b[0], wrap_angle(a[1] - b[1]), a[2] - b[2])
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    pub(crate) fn site() -> RadarSite {
        RadarSite::new(
            RadarId(0),
            RadarConfig {
                name: "test".into(),
                party: "A".into(),
                lat: 40.0,
                lon: 45.0,
                height_m: 200.0,
                boresight_az_deg: 180.0,
                half_fov_deg: 60.0,
                max_range_km: 4000.0,
                min_elevation_deg: 0.0,
                sigma_range_m: 50.0,
                sigma_az_mrad: 1.0,
                sigma_el_mrad: 1.0,
            },
        )
        .unwrap()
    }

    #[test]
    fn measure_and_back() {
        let s = site();
        let p = vigil_track::geo::geodetic_to_ecef(&Geodetic {
            pos: LatLon::new(33.0, 47.0),
            height_m: 300e3,
        });
        let z = s.measure(&p).unwrap();
        assert!((s.to_ecef(&z) - p).norm() < 1e-6);
        assert!(
            z[1].to_degrees() > 150.0 && z[1].to_degrees() < 180.0,
            "{z}"
        );
        assert!(s.covers(&p));
        // Behind the radar.
        let q = vigil_track::geo::geodetic_to_ecef(&Geodetic {
            pos: LatLon::new(47.0, 45.0),
            height_m: 300e3,
        });
        assert!(!s.covers(&q));
        // The Jacobian covariance against finite differences of to_ecef.
        let c = s.ecef_cov(&z);
        let mut num = Matrix3::zeros();
        for k in 0..3 {
            let d = [1.0, 1e-6, 1e-6][k];
            let mut zp = z;
            zp[k] += d;
            let col = (s.to_ecef(&zp) - p) / d;
            let sd = s.noise()[(k, k)].sqrt();
            num += col * col.transpose() * sd * sd;
        }
        assert!((c - num).norm() < 1e-3 * c.norm());
    }
}
