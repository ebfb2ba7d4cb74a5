//! The Earth: WGS-84 constants, gravity (spherical point mass or WGS-84 with J2), the terms of
//! the rotating ECEF frame, the atmosphere and drag, and geodesy helpers.
//!
//! [`Dynamics`] bundles one choice of gravity model, frame and drag into the equations of
//! motion of a ballistic object, `d/dt [r, v] = [v, a(r, v)]`; the flight model integrates
//! them and a ballistic filter can reuse them (with the ballistic coefficient as a state).
//!
//! Frames: ECEF is the Earth-fixed WGS-84 frame (rotating at [`OMEGA_E`] about +z). The
//! inertial frame used here is the ECEF frame frozen at `t = 0` of the caller's time scale
//! (see [`ecef_to_inertial`]); no precession, nutation or polar motion, which move a
//! 30-minute flight by centimetres.

use nalgebra::{Matrix3, Matrix6, Vector3, Vector6};
use serde::{Deserialize, Serialize};
use vigil_core::{Geodetic, LatLon};

/// WGS-84 semi-major axis, metres.
pub const WGS84_A: f64 = 6_378_137.0;
/// WGS-84 flattening.
pub const WGS84_F: f64 = 1.0 / 298.257_223_563;
/// WGS-84 semi-minor axis, metres.
pub const WGS84_B: f64 = WGS84_A * (1.0 - WGS84_F);
/// Earth's gravitational parameter GM (WGS-84 / EGM96), m^3/s^2.
pub const GM: f64 = 3.986_004_418e14;
/// Second zonal harmonic J2 (WGS-84 / EGM96, unnormalised).
pub const J2: f64 = 1.082_626_68e-3;
/// Earth's rotation rate, rad/s (WGS-84, without the precession term).
pub const OMEGA_E: f64 = 7.292_115e-5;
/// Radius of the spherical Earth of the ballistic oracle (domain.md), metres.
pub const ORACLE_RADIUS_M: f64 = 6_371_000.0;
/// Standard gravity, m/s^2 (defines specific impulse in seconds).
pub const G0: f64 = 9.806_65;

/// Earth's rotation vector in ECEF, rad/s.
pub fn omega_vec() -> Vector3<f64> {
    Vector3::new(0.0, 0.0, OMEGA_E)
}

/// Point-mass gravity `-GM r / |r|^3`, m/s^2. Frame-independent.
pub fn gravity_point_mass(r: &Vector3<f64>) -> Vector3<f64> {
    let n = r.norm();
    -GM / (n * n * n) * r
}

/// WGS-84 gravitation with the J2 (oblateness) term, m/s^2, at an Earth-centred position whose
/// z axis is the Earth's spin axis (ECEF, or the inertial frame of [`ecef_to_inertial`]: the
/// field is symmetric about z, so the same formula holds in both). Gravitation only: the
/// centrifugal term of the rotating frame is in [`accel_ecef`].
pub fn gravity_j2(r: &Vector3<f64>) -> Vector3<f64> {
    let r2 = r.norm_squared();
    let n = r2.sqrt();
    let mu_r3 = GM / (r2 * n);
    let k = 1.5 * J2 * WGS84_A * WGS84_A / r2;
    let z2 = r.z * r.z / r2;
    let xy = 1.0 + k * (1.0 - 5.0 * z2);
    let zz = 1.0 + k * (3.0 - 5.0 * z2);
    Vector3::new(-mu_r3 * r.x * xy, -mu_r3 * r.y * xy, -mu_r3 * r.z * zz)
}

/// Apparent acceleration of a free-falling body in the rotating ECEF frame, m/s^2: J2
/// gravitation plus the Coriolis (`-2 w x v`) and centrifugal (`-w x (w x r)`) terms. `v` is
/// the ECEF (Earth-relative) velocity.
pub fn accel_ecef(r: &Vector3<f64>, v: &Vector3<f64>) -> Vector3<f64> {
    gravity_j2(r) + rotating_frame_terms(r, v)
}

/// The Coriolis and centrifugal accelerations of the ECEF frame, m/s^2.
pub fn rotating_frame_terms(r: &Vector3<f64>, v: &Vector3<f64>) -> Vector3<f64> {
    // w = (0, 0, W): w x v = (-W vy, W vx, 0); w x (w x r) = (-W^2 x, -W^2 y, 0).
    let w = OMEGA_E;
    Vector3::new(
        2.0 * w * v.y + w * w * r.x,
        -2.0 * w * v.x + w * w * r.y,
        0.0,
    )
}

/// Drag acceleration, m/s^2, of a body moving at `v_rel` (m/s, relative to the air, which
/// turns with the Earth) at geodetic height `h_m`, with ballistic coefficient
/// `beta = m / (Cd A)` in kg/m^2: `-rho |v| v / (2 beta)`. A non-finite or non-positive beta
/// means no drag.
pub fn drag_accel(v_rel: &Vector3<f64>, h_m: f64, beta_kg_m2: f64) -> Vector3<f64> {
    if !(beta_kg_m2.is_finite() && beta_kg_m2 > 0.0) {
        return Vector3::zeros();
    }
    let rho = atmosphere::density(h_m);
    if rho == 0.0 {
        return Vector3::zeros();
    }
    -0.5 * rho * v_rel.norm() / beta_kg_m2 * v_rel
}

/// The atmosphere model.
pub mod atmosphere {
    /// Height above which the density is taken as zero, metres (the exosphere's drag on a
    /// 30-minute flight is negligible).
    pub const TOP_M: f64 = 1_000_000.0;

    /// US Standard Atmosphere 1976 layers below 86 km: base geopotential height (m), base
    /// temperature (K), lapse rate (K/m), base pressure (Pa).
    const LAYERS: [(f64, f64, f64, f64); 7] = [
        (0.0, 288.15, -0.0065, 101_325.0),
        (11_000.0, 216.65, 0.0, 22_632.06),
        (20_000.0, 216.65, 0.001, 5_474.889),
        (32_000.0, 228.65, 0.0028, 868.0187),
        (47_000.0, 270.65, 0.0, 110.9063),
        (51_000.0, 270.65, -0.0028, 66.93887),
        (71_000.0, 214.65, -0.002, 3.956_420),
    ];
    /// Specific gas constant of USSA-76 air, J/(kg K) (R* / M0 = 8314.32 / 28.9644).
    const R_AIR: f64 = 287.053_07;
    /// Earth radius of the USSA-76 geopotential height, metres.
    const R0: f64 = 6_356_766.0;
    /// Geometric height where the layered model ends, metres (86 km geometric = 84.852 km
    /// geopotential).
    const LAYERED_TOP_M: f64 = 86_000.0;

    /// Piecewise exponential densities above 86 km (Vallado, Fundamentals of Astrodynamics,
    /// table 8-4, which follows USSA-76 / CIRA-72): base height (m), base density (kg/m^3),
    /// scale height (m).
    const EXPONENTIAL: [(f64, f64, f64); 20] = [
        (90_000.0, 3.396e-6, 5_382.0),
        (100_000.0, 5.297e-7, 5_877.0),
        (110_000.0, 9.661e-8, 7_263.0),
        (120_000.0, 2.438e-8, 9_473.0),
        (130_000.0, 8.484e-9, 12_636.0),
        (140_000.0, 3.845e-9, 16_149.0),
        (150_000.0, 2.070e-9, 22_523.0),
        (180_000.0, 5.464e-10, 29_740.0),
        (200_000.0, 2.789e-10, 37_105.0),
        (250_000.0, 7.248e-11, 45_546.0),
        (300_000.0, 2.418e-11, 53_628.0),
        (350_000.0, 9.518e-12, 53_298.0),
        (400_000.0, 3.725e-12, 58_515.0),
        (450_000.0, 1.585e-12, 60_828.0),
        (500_000.0, 6.967e-13, 63_822.0),
        (600_000.0, 1.454e-13, 71_835.0),
        (700_000.0, 3.614e-14, 88_667.0),
        (800_000.0, 1.170e-14, 124_640.0),
        (900_000.0, 5.245e-15, 181_050.0),
        (1_000_000.0, 3.019e-15, 268_000.0),
    ];

    /// Air density, kg/m^3, at geometric height `h_m` above the ellipsoid.
    ///
    /// Model: the US Standard Atmosphere 1976 layers (hydrostatic, exact to the standard's
    /// tables) from 0 to 86 km; above, the piecewise exponential fit of Vallado's table 8-4,
    /// joined to the layered value at 86 km by an exponential between 86 and 90 km; zero above
    /// [`TOP_M`]. Below sea level the lowest layer is extrapolated (to -1 km at most).
    pub fn density(h_m: f64) -> f64 {
        if !h_m.is_finite() || h_m >= TOP_M {
            return 0.0;
        }
        if h_m < LAYERED_TOP_M {
            return layered(h_m.max(-1_000.0));
        }
        let (h90, rho90, _) = EXPONENTIAL[0];
        if h_m < h90 {
            // Exponential bridge from the layered model at 86 km to the table at 90 km.
            let rho86 = layered(LAYERED_TOP_M);
            let s = (h_m - LAYERED_TOP_M) / (h90 - LAYERED_TOP_M);
            return rho86 * (rho90 / rho86).powf(s);
        }
        let i = EXPONENTIAL
            .iter()
            .rposition(|&(h0, _, _)| h_m >= h0)
            .unwrap_or(0);
        let (h0, rho0, scale) = EXPONENTIAL[i];
        rho0 * (-(h_m - h0) / scale).exp()
    }

    /// USSA-76 density below 86 km geometric height.
    fn layered(h_m: f64) -> f64 {
        const G0: f64 = super::G0;
        let hp = R0 * h_m / (R0 + h_m);
        let i = LAYERS
            .iter()
            .rposition(|&(hb, _, _, _)| hp >= hb)
            .unwrap_or(0);
        let (hb, tb, lapse, pb) = LAYERS[i];
        let dh = hp - hb;
        let (t, p) = if lapse == 0.0 {
            (tb, pb * (-G0 * dh / (R_AIR * tb)).exp())
        } else {
            let t = tb + lapse * dh;
            (t, pb * (tb / t).powf(G0 / (R_AIR * lapse)))
        };
        p / (R_AIR * t)
    }
}

/// The gravity model of [`Dynamics`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum GravityModel {
    /// Point mass `GM` over a sphere of radius [`ORACLE_RADIUS_M`] (the oracle's Earth):
    /// heights are above that sphere.
    PointMassSpherical,
    /// WGS-84 with J2; heights are geodetic, above the ellipsoid.
    Wgs84J2,
}

/// The frame in which [`Dynamics`] states are expressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Frame {
    /// Non-rotating Earth-centred frame (see [`ecef_to_inertial`]).
    Inertial,
    /// Earth-fixed ECEF, with Coriolis and centrifugal terms.
    RotatingEcef,
}

/// Equations of motion of a ballistic (unpowered) object: a gravity model, a frame, and
/// whether air drag acts. The state is `[r; v]` (metres, m/s) in [`Dynamics::frame`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dynamics {
    /// Gravity model (and with it the surface heights are measured from).
    pub gravity: GravityModel,
    /// Frame of the state.
    pub frame: Frame,
    /// Whether drag acts (needs a ballistic coefficient in [`Dynamics::accel`]).
    pub drag: bool,
}

impl Dynamics {
    /// The oracle's world: spherical non-rotating Earth, point mass, no atmosphere.
    pub const ORACLE: Dynamics = Dynamics {
        gravity: GravityModel::PointMassSpherical,
        frame: Frame::Inertial,
        drag: false,
    };
    /// The scenario world: WGS-84 J2 gravity in ECEF with the rotating-frame terms and drag.
    pub const EARTH: Dynamics = Dynamics {
        gravity: GravityModel::Wgs84J2,
        frame: Frame::RotatingEcef,
        drag: true,
    };
    /// As [`Dynamics::EARTH`] without drag (exo-atmospheric coast).
    pub const EARTH_VACUUM: Dynamics = Dynamics {
        gravity: GravityModel::Wgs84J2,
        frame: Frame::RotatingEcef,
        drag: false,
    };

    /// Gravitational acceleration at `r`, m/s^2 (no frame terms).
    pub fn gravity(&self, r: &Vector3<f64>) -> Vector3<f64> {
        match self.gravity {
            GravityModel::PointMassSpherical => gravity_point_mass(r),
            GravityModel::Wgs84J2 => gravity_j2(r),
        }
    }

    /// Height of `r` above this model's surface, metres: above the oracle sphere for
    /// [`GravityModel::PointMassSpherical`], geodetic for [`GravityModel::Wgs84J2`]. In the
    /// inertial frame the WGS-84 height does not depend on the Earth's rotation angle (the
    /// ellipsoid is symmetric about z), so it is the same formula.
    pub fn height_m(&self, r: &Vector3<f64>) -> f64 {
        match self.gravity {
            GravityModel::PointMassSpherical => r.norm() - ORACLE_RADIUS_M,
            GravityModel::Wgs84J2 => geodetic_height_m(r),
        }
    }

    /// Velocity relative to the air (which turns with the Earth), m/s.
    pub fn air_velocity(&self, r: &Vector3<f64>, v: &Vector3<f64>) -> Vector3<f64> {
        match self.frame {
            Frame::RotatingEcef => *v,
            Frame::Inertial => v - omega_vec().cross(r),
        }
    }

    /// Acceleration of an unpowered object at `r`, `v` with ballistic coefficient
    /// `beta_kg_m2` (ignored without drag; infinite means none), m/s^2.
    pub fn accel(&self, r: &Vector3<f64>, v: &Vector3<f64>, beta_kg_m2: f64) -> Vector3<f64> {
        let mut a = self.gravity(r);
        if self.frame == Frame::RotatingEcef {
            a += rotating_frame_terms(r, v);
        }
        if self.drag && beta_kg_m2.is_finite() {
            let h = self.height_m(r);
            if h < atmosphere::TOP_M {
                a += drag_accel(&self.air_velocity(r, v), h, beta_kg_m2);
            }
        }
        a
    }

    /// The state derivative `[v; a]` of a state `[r; v]`.
    pub fn derivative(&self, y: &Vector6<f64>, beta_kg_m2: f64) -> Vector6<f64> {
        let r = y.fixed_rows::<3>(0).into_owned();
        let v = y.fixed_rows::<3>(3).into_owned();
        let a = self.accel(&r, &v, beta_kg_m2);
        Vector6::new(v.x, v.y, v.z, a.x, a.y, a.z)
    }

    /// Jacobians of [`Dynamics::derivative`] at `y` by central differences: `d f / d y`
    /// (6 x 6) and `d f / d beta` (for a filter that estimates the ballistic coefficient; zero
    /// without drag or with an infinite beta). Steps: 1 m, 1 mm/s, 1e-6 of beta.
    pub fn jacobian(&self, y: &Vector6<f64>, beta_kg_m2: f64) -> (Matrix6<f64>, Vector6<f64>) {
        let mut jac = Matrix6::zeros();
        for i in 0..6 {
            let h = if i < 3 { 1.0 } else { 1e-3 };
            let mut yp = *y;
            let mut ym = *y;
            yp[i] += h;
            ym[i] -= h;
            let col =
                (self.derivative(&yp, beta_kg_m2) - self.derivative(&ym, beta_kg_m2)) / (2.0 * h);
            jac.set_column(i, &col);
        }
        let d_beta = if self.drag && beta_kg_m2.is_finite() && beta_kg_m2 > 0.0 {
            let h = beta_kg_m2 * 1e-6;
            (self.derivative(y, beta_kg_m2 + h) - self.derivative(y, beta_kg_m2 - h)) / (2.0 * h)
        } else {
            Vector6::zeros()
        };
        (jac, d_beta)
    }

    /// Specific mechanical energy, J/kg, in this model (inertial point mass: conserved in a
    /// coast; rotating frame: the Jacobi-like integral `v^2/2 - GM/r - |w x r|^2/2`, conserved
    /// for point-mass gravity without drag).
    pub fn specific_energy(&self, r: &Vector3<f64>, v: &Vector3<f64>) -> f64 {
        let mut e = 0.5 * v.norm_squared() - GM / r.norm();
        if self.frame == Frame::RotatingEcef {
            e -= 0.5 * omega_vec().cross(r).norm_squared();
        }
        e
    }
}

/// Rotation about z by `angle` (radians): the ECEF → inertial rotation after the Earth has
/// turned by `angle`.
fn rot_z(angle: f64) -> Matrix3<f64> {
    let (s, c) = angle.sin_cos();
    Matrix3::new(c, -s, 0.0, s, c, 0.0, 0.0, 0.0, 1.0)
}

/// ECEF position / velocity at time `t` (s) to the inertial frame that coincides with ECEF at
/// `t = 0`.
pub fn ecef_to_inertial(
    t: f64,
    r: &Vector3<f64>,
    v: &Vector3<f64>,
) -> (Vector3<f64>, Vector3<f64>) {
    let m = rot_z(OMEGA_E * t);
    (m * r, m * (v + omega_vec().cross(r)))
}

/// The inverse of [`ecef_to_inertial`].
pub fn inertial_to_ecef(
    t: f64,
    r: &Vector3<f64>,
    v: &Vector3<f64>,
) -> (Vector3<f64>, Vector3<f64>) {
    let m = rot_z(-OMEGA_E * t);
    let re = m * r;
    (re, m * v - omega_vec().cross(&re))
}

/// ECEF position (metres) of a geodetic point.
pub fn geodetic_to_ecef(g: &Geodetic) -> Vector3<f64> {
    vigil_track::geo::geodetic_to_ecef(g)
}

/// Geodetic point of an ECEF position (metres).
pub fn ecef_to_geodetic(r: &Vector3<f64>) -> Geodetic {
    vigil_track::geo::ecef_to_geodetic(r)
}

/// Geodetic height above the WGS-84 ellipsoid of an ECEF position, metres.
///
/// Bowring's formula with one iteration, written with square roots only (no trigonometric
/// calls): this runs in every derivative evaluation of a flight. Agrees with
/// [`ecef_to_geodetic`] to under a millimetre from the surface to 2,000 km (tested).
pub fn geodetic_height_m(r: &Vector3<f64>) -> f64 {
    const E2: f64 = WGS84_F * (2.0 - WGS84_F);
    const EP2: f64 = E2 / (1.0 - E2);
    let p = (r.x * r.x + r.y * r.y).sqrt();
    if p < 1e-3 {
        // On the axis: the pole.
        return r.z.abs() - WGS84_B;
    }
    // Parametric latitude guess: tan(u) = z a / (p b).
    let t = r.z * WGS84_A / (p * WGS84_B);
    let cu = 1.0 / (1.0 + t * t).sqrt();
    let su = t * cu;
    // Geodetic latitude: tan(phi) = (z + e'^2 b sin^3 u) / (p - e^2 a cos^3 u).
    let num = r.z + EP2 * WGS84_B * su * su * su;
    let den = p - E2 * WGS84_A * cu * cu * cu;
    let hyp = (num * num + den * den).sqrt();
    let (sphi, cphi) = (num / hyp, den / hyp);
    p * cphi + r.z * sphi - WGS84_A * (1.0 - E2 * sphi * sphi).sqrt()
}

/// Rotation from ECEF to the local east / north / up axes at a latitude / longitude (rows are
/// the E, N, U unit vectors in ECEF).
pub fn ecef_to_enu_rotation(pos: &LatLon) -> Matrix3<f64> {
    vigil_track::geo::ecef_to_enu_rotation(pos)
}

/// East / north / up coordinates (metres) of the ECEF point `r` seen from `site`.
pub fn enu_from(site: &Geodetic, r: &Vector3<f64>) -> Vector3<f64> {
    ecef_to_enu_rotation(&site.pos) * (r - geodetic_to_ecef(site))
}

/// Ground range between two points, metres: the great-circle distance on the mean sphere
/// (radius [`LatLon::EARTH_RADIUS_M`]; within about 0.5 % of the ellipsoidal geodesic).
pub fn ground_range(a: &LatLon, b: &LatLon) -> f64 {
    a.distance_m(b)
}

/// Initial great-circle bearing from `a` to `b`, degrees clockwise from north in [0, 360).
pub fn azimuth_deg(a: &LatLon, b: &LatLon) -> f64 {
    let (p1, p2) = (a.lat.to_radians(), b.lat.to_radians());
    let dl = (b.lon - a.lon).to_radians();
    let y = dl.sin() * p2.cos();
    let x = p1.cos() * p2.sin() - p1.sin() * p2.cos() * dl.cos();
    y.atan2(x).to_degrees().rem_euclid(360.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_density(h_km: f64, expected: f64, rel: f64) {
        let got = atmosphere::density(h_km * 1e3);
        assert!(
            ((got - expected) / expected).abs() < rel,
            "density at {h_km} km: {got} vs {expected}"
        );
    }

    #[test]
    fn ussa76_densities() {
        // USSA-76 tabulated densities (geometric heights).
        check_density(0.0, 1.2250, 1e-4);
        check_density(11.0, 0.36480, 2e-3);
        check_density(20.0, 0.088910, 2e-3);
        check_density(32.0, 0.013555, 3e-3);
        check_density(50.0, 1.0269e-3, 3e-3);
        check_density(70.0, 8.2829e-5, 5e-3);
        check_density(80.0, 1.8458e-5, 5e-3);
        check_density(86.0, 6.958e-6, 1e-2);
        check_density(100.0, 5.297e-7, 1e-9);
        check_density(300.0, 2.418e-11, 1e-9);
        assert_eq!(atmosphere::density(1_000_001.0), 0.0);
        // Monotonic decreasing.
        let mut last = f64::INFINITY;
        for h in (0..1000).map(|k| f64::from(k) * 1000.0) {
            let d = atmosphere::density(h);
            assert!(d < last, "not decreasing at {h}");
            last = d;
        }
    }

    #[test]
    fn j2_gravity_magnitude() {
        // At the equator on the ellipsoid: 9.814 m/s^2 gravitation (9.780 gravity after the
        // centrifugal 0.0339).
        let r = Vector3::new(WGS84_A, 0.0, 0.0);
        let g = gravity_j2(&r);
        let apparent = accel_ecef(&r, &Vector3::zeros());
        assert!((g.norm() - 9.8143).abs() < 1e-3, "{}", g.norm());
        assert!(
            (apparent.norm() - 9.7803).abs() < 1e-3,
            "{}",
            apparent.norm()
        );
        // At the pole: 9.8322.
        let p = Vector3::new(0.0, 0.0, WGS84_B);
        assert!((accel_ecef(&p, &Vector3::zeros()).norm() - 9.8322).abs() < 2e-3);
    }

    #[test]
    fn fast_height_matches_the_full_conversion() {
        for &(lat, lon) in &[
            (0.0, 0.0),
            (32.5, 53.0),
            (-45.0, 170.0),
            (89.9, 10.0),
            (-89.0, -60.0),
        ] {
            for &h in &[-500.0, 0.0, 1_000.0, 100_000.0, 1_300_000.0, 2_000_000.0] {
                let g = Geodetic {
                    pos: LatLon::new(lat, lon),
                    height_m: h,
                };
                let r = geodetic_to_ecef(&g);
                let got = geodetic_height_m(&r);
                assert!((got - h).abs() < 1e-3, "{lat} {lon} {h}: {got}");
            }
        }
        assert!((geodetic_height_m(&Vector3::new(0.0, 0.0, WGS84_B + 5.0)) - 5.0).abs() < 1e-9);
    }

    #[test]
    fn jacobian_of_drag_and_gravity() {
        // Position block of d(velocity)/d(position) is I; gravity gradient is about
        // 2 GM / r^3 radially; drag falls with beta as 1 / beta.
        let r = Vector3::new(WGS84_A + 40_000.0, 0.0, 0.0);
        let v = Vector3::new(-2000.0, 1000.0, 0.0);
        let y = Vector6::new(r.x, r.y, r.z, v.x, v.y, v.z);
        let d = Dynamics::EARTH;
        let (jac, d_beta) = d.jacobian(&y, 2000.0);
        assert!((jac[(0, 3)] - 1.0).abs() < 1e-9 && jac[(0, 0)].abs() < 1e-9);
        let (vac, _) = Dynamics::EARTH_VACUUM.jacobian(&y, 2000.0);
        let radial = 2.0 * GM / r.norm().powi(3);
        assert!(
            (vac[(3, 0)] - radial).abs() / radial < 0.05,
            "{}",
            vac[(3, 0)]
        );
        // With drag, density falling with height dominates: about -drag / scale height.
        let drag_x = drag_accel(&v, 40_000.0, 2000.0).x;
        let expect = -drag_x / 7_000.0;
        assert!(
            (jac[(3, 0)] - expect).abs() / expect.abs() < 0.3,
            "{}",
            jac[(3, 0)]
        );
        let drag = drag_accel(&v, 40_000.0, 2000.0);
        assert!((d_beta.fixed_rows::<3>(3) + drag / 2000.0).norm() < 1e-6 * drag.norm());
        let (_, none) = Dynamics::EARTH_VACUUM.jacobian(&y, 2000.0);
        assert_eq!(none, Vector6::zeros());
    }

    #[test]
    fn inertial_round_trip() {
        let r = Vector3::new(4.0e6, 3.0e6, 3.5e6);
        let v = Vector3::new(1000.0, -2000.0, 300.0);
        let (ri, vi) = ecef_to_inertial(123.0, &r, &v);
        let (r2, v2) = inertial_to_ecef(123.0, &ri, &vi);
        assert!((r - r2).norm() < 1e-6 && (v - v2).norm() < 1e-9);
    }

    #[test]
    fn azimuth_and_range() {
        let a = LatLon::new(0.0, 0.0);
        assert!((azimuth_deg(&a, &LatLon::new(1.0, 0.0)) - 0.0).abs() < 1e-9);
        assert!((azimuth_deg(&a, &LatLon::new(0.0, 1.0)) - 90.0).abs() < 1e-9);
        let b = a.destination(45.0, 1.0e6);
        assert!((ground_range(&a, &b) - 1.0e6).abs() < 1e-3);
    }
}
