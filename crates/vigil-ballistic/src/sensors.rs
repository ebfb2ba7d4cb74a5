//! Early-warning sensors: ground radars measuring range, azimuth and elevation, and a
//! space-based infrared launch detector.
//!
//! Radar geometry is in the radar's local east / north / up frame (up = the ellipsoid normal
//! at the site), azimuth clockwise from north in [0, 2 pi), elevation above the local
//! horizontal plane; no refraction. Noise is Gaussian and drawn from the caller's generator.

use nalgebra::{Matrix3, Vector3};
use rand::Rng;
use rand_distr::Distribution;
use serde::{Deserialize, Serialize};
use vigil_core::{Geodetic, LatLon};

use crate::earth::{self, WGS84_A, WGS84_B};

/// Serde for a [`Geodetic`] written flat: `{ lat = .., lon = .., height_m = .. }`.
pub mod flat_geodetic {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use vigil_core::{Geodetic, LatLon};

    #[derive(Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Flat {
        lat: f64,
        lon: f64,
        #[serde(default)]
        height_m: f64,
    }

    /// Writes `{ lat, lon, height_m }`.
    pub fn serialize<S: Serializer>(g: &Geodetic, s: S) -> Result<S::Ok, S::Error> {
        Flat {
            lat: g.pos.lat,
            lon: g.pos.lon,
            height_m: g.height_m,
        }
        .serialize(s)
    }

    /// Reads `{ lat, lon, height_m }` (height defaults to 0).
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Geodetic, D::Error> {
        let f = Flat::deserialize(d)?;
        Ok(Geodetic {
            pos: LatLon::new(f.lat, f.lon),
            height_m: f.height_m,
        })
    }
}

/// An early-warning radar.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EwRadar {
    /// Name (unique in a scenario).
    pub name: String,
    /// Owning party (e.g. "NATO", "RU").
    pub party: String,
    /// Antenna position.
    #[serde(with = "flat_geodetic")]
    pub site: Geodetic,
    /// Boresight azimuth, degrees clockwise from north.
    pub boresight_az_deg: f64,
    /// Boresight elevation, degrees.
    pub boresight_el_deg: f64,
    /// Half-width of the field of view in azimuth, degrees (180 or more: all round).
    pub fov_az_half_deg: f64,
    /// Half-width of the field of view in elevation, degrees.
    pub fov_el_half_deg: f64,
    /// Maximum detection range, metres.
    pub max_range_m: f64,
    /// Minimum elevation above the local horizontal, degrees.
    pub min_elevation_deg: f64,
    /// Range noise (1 sigma), metres.
    pub sigma_range_m: f64,
    /// Azimuth noise (1 sigma), radians.
    pub sigma_az_rad: f64,
    /// Elevation noise (1 sigma), radians.
    pub sigma_el_rad: f64,
    /// Revisit period, seconds.
    pub revisit_s: f64,
    /// Detection probability per visit of a visible object.
    pub pd: f64,
    /// Mean number of false plots per scan (Poisson), spread over the field of view.
    #[serde(default)]
    pub false_alarms_per_scan: f64,
    /// Offset of this radar's scan grid from time zero, seconds.
    #[serde(default)]
    pub scan_offset_s: f64,
}

/// Geometry of one point seen from a radar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Look {
    /// Slant range, metres.
    pub range_m: f64,
    /// Azimuth, radians clockwise from north in [0, 2 pi).
    pub az_rad: f64,
    /// Elevation, radians.
    pub el_rad: f64,
}

/// One radar detection.
#[derive(Debug, Clone, PartialEq)]
pub struct RadarPlot {
    /// Time of the detection, s.
    pub t: f64,
    /// Index of the radar in the scenario's radar list.
    pub radar: usize,
    /// Measured slant range, metres.
    pub range_m: f64,
    /// Measured azimuth, radians clockwise from north in [0, 2 pi).
    pub az_rad: f64,
    /// Measured elevation, radians.
    pub el_rad: f64,
    /// Noise standard deviations: (range m, azimuth rad, elevation rad).
    pub sigma: (f64, f64, f64),
    /// The object measured (scenario truth id), `None` for a false alarm. Evaluation only: a
    /// tracker must not read it.
    pub truth: Option<u32>,
}

impl RadarPlot {
    /// East / north / up position of the plot in the radar's frame, metres.
    pub fn to_enu(&self) -> Vector3<f64> {
        polar_to_enu(self.range_m, self.az_rad, self.el_rad)
    }

    /// Covariance of [`RadarPlot::to_enu`] (first-order), m^2.
    pub fn covariance_enu(&self) -> Matrix3<f64> {
        let j = polar_to_enu_jacobian(self.range_m, self.az_rad, self.el_rad);
        j * self.noise() * j.transpose()
    }

    /// The plot's own measurement noise covariance, diagonal in (range m, azimuth rad,
    /// elevation rad).
    pub fn noise(&self) -> Matrix3<f64> {
        Matrix3::from_diagonal(&Vector3::new(
            self.sigma.0.powi(2),
            self.sigma.1.powi(2),
            self.sigma.2.powi(2),
        ))
    }

    /// ECEF position of the plot, metres (`radar` must be the radar it came from).
    pub fn to_ecef(&self, radar: &EwRadar) -> Vector3<f64> {
        let rot = earth::ecef_to_enu_rotation(&radar.site.pos);
        earth::geodetic_to_ecef(&radar.site) + rot.transpose() * self.to_enu()
    }

    /// ECEF position and its covariance (first-order), metres and m^2.
    pub fn to_ecef_with_cov(&self, radar: &EwRadar) -> (Vector3<f64>, Matrix3<f64>) {
        let rot = earth::ecef_to_enu_rotation(&radar.site.pos);
        let p = earth::geodetic_to_ecef(&radar.site) + rot.transpose() * self.to_enu();
        (p, rot.transpose() * self.covariance_enu() * rot)
    }
}

/// East / north / up vector of a look (slant range m, azimuth rad clockwise from north,
/// elevation rad above the local horizontal). The one implementation of the radar
/// geometry: `vigil-missile`'s tracker uses it too.
pub fn polar_to_enu(range_m: f64, az_rad: f64, el_rad: f64) -> Vector3<f64> {
    let (se, ce) = el_rad.sin_cos();
    let (sa, ca) = az_rad.sin_cos();
    Vector3::new(range_m * ce * sa, range_m * ce * ca, range_m * se)
}

/// The Jacobian of [`polar_to_enu`]: columns d/d range, d/d azimuth, d/d elevation.
pub fn polar_to_enu_jacobian(range_m: f64, az_rad: f64, el_rad: f64) -> Matrix3<f64> {
    let r = range_m;
    let (se, ce) = el_rad.sin_cos();
    let (sa, ca) = az_rad.sin_cos();
    Matrix3::new(
        ce * sa,
        r * ce * ca,
        -r * se * sa,
        ce * ca,
        -r * ce * sa,
        -r * se * ca,
        se,
        0.0,
        r * ce,
    )
}

/// `(range m, azimuth rad in (-pi, pi], elevation rad)` of an east / north / up vector, the
/// inverse of [`polar_to_enu`]. The azimuth is left in (-pi, pi] (callers that want [0, 2 pi)
/// wrap it): a filter averaging the azimuths of nearby points must not see a jump at north.
pub fn enu_to_polar(enu: &Vector3<f64>) -> Vector3<f64> {
    let ground = enu.x.hypot(enu.y);
    Vector3::new(enu.norm(), enu.x.atan2(enu.y), enu.z.atan2(ground))
}

fn wrap_pi(a: f64) -> f64 {
    let x = (a + std::f64::consts::PI).rem_euclid(std::f64::consts::TAU);
    x - std::f64::consts::PI
}

/// Whether the straight segment between two ECEF points passes inside the WGS-84 ellipsoid.
pub fn segment_hits_earth(a: &Vector3<f64>, b: &Vector3<f64>) -> bool {
    // Scale to a unit sphere, then the closest point of the segment to the centre.
    let q0 = Vector3::new(a.x / WGS84_A, a.y / WGS84_A, a.z / WGS84_B);
    let q1 = Vector3::new(b.x / WGS84_A, b.y / WGS84_A, b.z / WGS84_B);
    let d = q1 - q0;
    let dd = d.norm_squared();
    if dd == 0.0 {
        return q0.norm_squared() < 1.0;
    }
    let s = (-q0.dot(&d) / dd).clamp(0.0, 1.0);
    // A small margin so that a site on the ellipsoid itself does not block its own rays.
    (q0 + d * s).norm_squared() < 1.0 - 1e-9
}

impl EwRadar {
    /// ECEF position of the antenna, metres.
    pub fn site_ecef(&self) -> Vector3<f64> {
        earth::geodetic_to_ecef(&self.site)
    }

    /// Range, azimuth and elevation of an ECEF point from the antenna (no noise, no limits).
    pub fn look(&self, pos_ecef: &Vector3<f64>) -> Look {
        let enu = earth::enu_from(&self.site, pos_ecef);
        let z = enu_to_polar(&enu);
        let (range_m, el_rad) = (z[0], z[2]);
        let az_rad = z[1].rem_euclid(std::f64::consts::TAU);
        Look {
            range_m,
            az_rad,
            el_rad,
        }
    }

    /// Whether a look direction is inside the coverage: range, minimum elevation and the
    /// field of view (no Earth check).
    pub fn in_coverage(&self, look: &Look) -> bool {
        if !(look.range_m > 0.0 && look.range_m <= self.max_range_m) {
            return false;
        }
        if look.el_rad < self.min_elevation_deg.to_radians() {
            return false;
        }
        let daz = wrap_pi(look.az_rad - self.boresight_az_deg.to_radians());
        if self.fov_az_half_deg < 180.0 && daz.abs() > self.fov_az_half_deg.to_radians() {
            return false;
        }
        let del = look.el_rad - self.boresight_el_deg.to_radians();
        del.abs() <= self.fov_el_half_deg.to_radians()
    }

    /// Whether the radar can see an ECEF point at time `t` (s): in range, above the minimum
    /// elevation, inside the field of view, and with a line of sight that does not pass
    /// through the ellipsoid. The radar is static; `t` is for the scan schedule's callers.
    pub fn visible(&self, _t: f64, pos_ecef: &Vector3<f64>) -> bool {
        let look = self.look(pos_ecef);
        self.in_coverage(&look) && !segment_hits_earth(&self.site_ecef(), pos_ecef)
    }

    /// A detection of the object at `pos_ecef` at time `t`, or `None` when it is not visible
    /// or the detection draw (probability [`EwRadar::pd`]) fails. `radar_index` is this
    /// radar's index in the scenario, copied into the plot.
    pub fn measure<R: Rng + ?Sized>(
        &self,
        radar_index: usize,
        t: f64,
        pos_ecef: &Vector3<f64>,
        rng: &mut R,
    ) -> Option<RadarPlot> {
        if !self.visible(t, pos_ecef) {
            return None;
        }
        // Always draw the detection and the noise so the stream of draws does not depend on
        // the outcome (determinism across small configuration changes).
        let detect: f64 = rng.random();
        let look = self.look(pos_ecef);
        let (nr, na, ne) = (gauss(rng), gauss(rng), gauss(rng));
        if detect >= self.pd {
            return None;
        }
        Some(RadarPlot {
            t,
            radar: radar_index,
            range_m: look.range_m + nr * self.sigma_range_m,
            az_rad: (look.az_rad + na * self.sigma_az_rad).rem_euclid(std::f64::consts::TAU),
            el_rad: look.el_rad + ne * self.sigma_el_rad,
            sigma: (self.sigma_range_m, self.sigma_az_rad, self.sigma_el_rad),
            truth: None,
        })
    }

    /// A false plot drawn uniformly over the coverage (range from 5 % of the maximum, azimuth
    /// over the field of view, elevation from the lowest allowed to the top of the field).
    pub fn false_plot<R: Rng + ?Sized>(
        &self,
        radar_index: usize,
        t: f64,
        rng: &mut R,
    ) -> RadarPlot {
        let range_m = self.max_range_m * (0.05 + 0.95 * rng.random::<f64>());
        let half = self.fov_az_half_deg.min(180.0).to_radians();
        let az = self.boresight_az_deg.to_radians() + half * (2.0 * rng.random::<f64>() - 1.0);
        let el_lo = self
            .min_elevation_deg
            .max(self.boresight_el_deg - self.fov_el_half_deg)
            .to_radians();
        let el_hi = (self.boresight_el_deg + self.fov_el_half_deg).to_radians();
        let el = el_lo + (el_hi - el_lo).max(0.0) * rng.random::<f64>();
        RadarPlot {
            t,
            radar: radar_index,
            range_m,
            az_rad: az.rem_euclid(std::f64::consts::TAU),
            el_rad: el,
            sigma: (self.sigma_range_m, self.sigma_az_rad, self.sigma_el_rad),
            truth: None,
        }
    }
}

/// A standard normal draw.
fn gauss<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    let n: f64 = rand_distr::StandardNormal.sample(rng);
    n
}

/// A space-based infrared launch detector: it reports a launch after a delay with a coarse
/// launch area and, optionally, an azimuth estimate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IrDetector {
    /// Name.
    pub name: String,
    /// Owning party.
    pub party: String,
    /// Delay from launch to the warning, seconds.
    pub delay_s: f64,
    /// Radius of the reported launch area, metres (the true point lies inside it in about
    /// 95 % of warnings).
    pub area_radius_m: f64,
    /// Probability of detecting a launch.
    pub pd: f64,
    /// Noise of the estimated launch time, seconds (1 sigma).
    #[serde(default = "default_time_sigma")]
    pub sigma_launch_time_s: f64,
    /// Noise of the azimuth estimate, degrees (1 sigma); absent: no azimuth reported.
    #[serde(default)]
    pub sigma_azimuth_deg: Option<f64>,
}

fn default_time_sigma() -> f64 {
    2.0
}

/// A launch warning from an [`IrDetector`].
#[derive(Debug, Clone, PartialEq)]
pub struct LaunchWarning {
    /// Index of the detector in the scenario.
    pub detector: usize,
    /// Time the warning is issued, s.
    pub t_detect: f64,
    /// Estimated launch time, s.
    pub t_launch_est: f64,
    /// Centre of the launch area.
    pub area_centre: LatLon,
    /// Radius of the launch area, metres.
    pub area_radius_m: f64,
    /// Estimated launch azimuth, degrees, if the detector gives one.
    pub azimuth_est_deg: Option<f64>,
    /// The scenario launch it reports (evaluation only).
    pub truth: Option<u32>,
}

impl IrDetector {
    /// The warning of a launch from `launch` at `t_launch` on azimuth `azimuth_deg`, or `None`
    /// when the detection draw fails. `index` is this detector's index in the scenario.
    pub fn detect<R: Rng + ?Sized>(
        &self,
        index: usize,
        launch: &Geodetic,
        t_launch: f64,
        azimuth_deg: f64,
        rng: &mut R,
    ) -> Option<LaunchWarning> {
        let detect: f64 = rng.random();
        let (n_t, n_e, n_n, n_a) = (gauss(rng), gauss(rng), gauss(rng), gauss(rng));
        if detect >= self.pd {
            return None;
        }
        // Circular Gaussian offset whose 95 % circle is the reported radius:
        // P(|x| < k sigma) = 1 - exp(-k^2 / 2) = 0.95 for k = 2.448.
        let sigma = self.area_radius_m / 2.447_746_830_680_816;
        let (de, dn) = (n_e * sigma, n_n * sigma);
        let dist = (de * de + dn * dn).sqrt();
        let bearing = de.atan2(dn).to_degrees();
        let area_centre = launch.pos.destination(bearing, dist);
        let sigma_t = self.sigma_launch_time_s.max(0.0);
        Some(LaunchWarning {
            detector: index,
            t_detect: t_launch + self.delay_s,
            t_launch_est: t_launch + n_t * sigma_t,
            area_centre,
            area_radius_m: self.area_radius_m,
            azimuth_est_deg: self
                .sigma_azimuth_deg
                .map(|s| (azimuth_deg + n_a * s).rem_euclid(360.0)),
            truth: None,
        })
    }
}
