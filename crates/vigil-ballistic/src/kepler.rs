//! The closed-form ballistic oracle of domain.md: Keplerian flight over a spherical,
//! non-rotating Earth with burnout at the surface and no drag (Bate, Mueller and White,
//! Fundamentals of Astrodynamics, ch. 6). Angles in radians, lengths in metres.
//!
//! With `Q = v^2 r / mu` and range angle `psi`:
//! `cos(psi/2) = (1 - Q cos^2 g) / sqrt(1 + Q (Q - 2) cos^2 g)`; the minimum-energy burnout for
//! a range angle is `Q* = 2 sin(psi/2) / (1 + sin(psi/2))` at `g* = (pi - psi) / 4`.

use crate::earth::GM;

/// Burnout speed (m/s) and flight-path angle (rad) of the minimum-energy trajectory over a
/// ground range `range_m` on a sphere of radius `radius_m`, burnout at the surface.
pub fn min_energy_burnout(range_m: f64, radius_m: f64) -> (f64, f64) {
    let psi = range_m / radius_m;
    let s = (psi / 2.0).sin();
    let q = 2.0 * s / (1.0 + s);
    (
        (q * GM / radius_m).sqrt(),
        (std::f64::consts::PI - psi) / 4.0,
    )
}

/// Ground range angle (rad) of a burnout at radius `r_m` with speed `v` (m/s) and flight-path
/// angle `gamma` (rad) that lands back at the same radius. `None` if the trajectory escapes or
/// does not come back down to `r_m`.
pub fn range_angle(v: f64, gamma: f64, r_m: f64) -> Option<f64> {
    let q = v * v * r_m / GM;
    let c2 = gamma.cos().powi(2);
    let den = 1.0 + q * (q - 2.0) * c2;
    if q >= 2.0 || den <= 0.0 {
        return None;
    }
    let c = ((1.0 - q * c2) / den.sqrt()).clamp(-1.0, 1.0);
    Some(2.0 * c.acos())
}

/// Orbit elements of the burnout: semi-major axis (m), eccentricity, and the true anomaly at
/// burnout (rad, in (0, pi) when ascending).
fn elements(v: f64, gamma: f64, r_m: f64) -> Option<(f64, f64, f64)> {
    let energy = 0.5 * v * v - GM / r_m;
    if energy >= 0.0 {
        return None;
    }
    let a = -GM / (2.0 * energy);
    let h = r_m * v * gamma.cos();
    let p = h * h / GM;
    let e = (1.0 - p / a).max(0.0).sqrt();
    if e == 0.0 {
        return None;
    }
    let cos_nu = ((p / r_m - 1.0) / e).clamp(-1.0, 1.0);
    let nu = if gamma >= 0.0 {
        cos_nu.acos()
    } else {
        -cos_nu.acos()
    };
    Some((a, e, nu))
}

/// Apogee height above the sphere of radius `r_m`, metres.
pub fn apogee_height(v: f64, gamma: f64, r_m: f64) -> Option<f64> {
    let (a, e, _) = elements(v, gamma, r_m)?;
    Some(a * (1.0 + e) - r_m)
}

/// Flight time (s) from burnout at radius `r_m` (ascending) back down to the same radius.
pub fn flight_time(v: f64, gamma: f64, r_m: f64) -> Option<f64> {
    let (a, e, nu0) = elements(v, gamma, r_m)?;
    if e >= 1.0 {
        return None;
    }
    let ecc_anom = 2.0 * (((1.0 - e) / (1.0 + e)).sqrt() * (nu0 / 2.0).tan()).atan();
    let mean0 = ecc_anom - e * ecc_anom.sin();
    // Symmetric about apogee (mean anomaly pi).
    Some(2.0 * (a * a * a / GM).sqrt() * (std::f64::consts::PI - mean0))
}
