//! The ballistic filter's equations of motion and their integration.
//!
//! The state is `[r; v; κ]`: ECEF position (m) and velocity (m/s) on the rotating Earth, and
//! the drag parameter `κ = 1000 / β` (β the ballistic coefficient `m / (Cd A)` in kg/m²; the
//! factor keeps κ near 0.1 – 10 so that its variance does not spoil the conditioning of a
//! covariance whose position variances are in km²). The accelerations are
//! `vigil_ballistic::earth`'s: WGS-84 J2 gravitation, Coriolis and centrifugal terms, and drag
//! in its atmosphere.
//!
//! Integration is classical fourth-order Runge–Kutta with a step chosen from the state: long
//! steps in vacuum (the motion is smooth: a 20 s step errs by well under a metre over a flight),
//! short ones in the air where drag acts, bounded by half the drag time constant `2β / (ρ v)`.
//! A fixed-order method whose steps depend only on the state is a deterministic function of
//! the state, which the unscented filter needs of its propagation, and it costs a few dozen
//! evaluations per second of flight at most. Drag is ignored above [`DRAG_TOP_M`] (its
//! acceleration there is below 1e-5 m/s² for any object in the scenarios).

use nalgebra::{SVector, Vector3};
use vigil_ballistic::earth;

/// The filter state: ECEF position, velocity, drag parameter `κ = 1000 / β`.
pub type State = SVector<f64, 7>;

/// Height above which drag is ignored, metres.
pub const DRAG_TOP_M: f64 = 200_000.0;
/// Height below which an object is "in the atmosphere" for the filter (its drag parameter
/// becomes observable and receives process noise), metres.
pub const ATMOSPHERE_M: f64 = 100_000.0;
/// Longest integration step in vacuum, s.
pub const MAX_STEP_VACUUM_S: f64 = 20.0;
/// Longest integration step in the atmosphere, s (a slow object near its terminal speed;
/// fast ones are held to one scale height per step).
pub const MAX_STEP_AIR_S: f64 = 5.0;
/// Atmospheric scale height used by the step rule, metres.
const SCALE_HEIGHT_M: f64 = 7_000.0;

/// Height above the WGS-84 ellipsoid, metres, measured along the geocentric radius: the
/// ellipsoid's radius at the geocentric latitude subtracted from `|r|`. Within a metre of the
/// geodetic height below 200 km, exactly zero on the surface, and without the iteration of a
/// geodetic conversion.
pub fn height_m(r: &Vector3<f64>) -> f64 {
    let n = r.norm();
    if n == 0.0 {
        return f64::NAN;
    }
    let (a, b) = (earth::WGS84_A, earth::WGS84_B);
    let s2 = (r.z / n).powi(2);
    let c2 = 1.0 - s2;
    let re = a * b / (b * b * c2 + a * a * s2).sqrt();
    n - re
}

/// β in kg/m² of a drag parameter κ: non-positive κ (a sigma point can stray there) means no
/// drag.
pub fn beta_of_kappa(kappa: f64) -> f64 {
    if kappa > 0.0 {
        1000.0 / kappa
    } else {
        f64::INFINITY
    }
}

/// The acceleration of an unpowered object in ECEF, m/s².
#[inline]
pub fn accel(r: &Vector3<f64>, v: &Vector3<f64>, kappa: f64, h: f64) -> Vector3<f64> {
    let mut a = earth::gravity_j2(r) + earth::rotating_frame_terms(r, v);
    if kappa > 0.0 && h < DRAG_TOP_M {
        a += earth::drag_accel(v, h, beta_of_kappa(kappa));
    }
    a
}

/// The integration step at a state: see the module notes. `drag` false ignores the drag
/// limit (back-propagation without drag).
fn step_limit(r: &Vector3<f64>, v: &Vector3<f64>, kappa: f64, h: f64, drag: bool) -> f64 {
    let speed = v.norm().max(1.0);
    if !drag || kappa <= 0.0 {
        // Gravity alone is smooth down to the ground.
        return MAX_STEP_VACUUM_S;
    }
    if h > ATMOSPHERE_M + 20_000.0 {
        // Reach the top of the atmosphere in a few steps rather than jump deep into it.
        return ((h - ATMOSPHERE_M) / speed).clamp(2.0, MAX_STEP_VACUUM_S);
    }
    let rho = earth::atmosphere::density(h.max(0.0));
    let tau = if rho > 0.0 {
        2.0 * beta_of_kappa(kappa) / (rho * speed)
    } else {
        f64::INFINITY
    };
    // The density changes by e over a scale height (about 7 km): a step covers at most one
    // scale height vertically, and half the drag time constant.
    let up = r.dot(v) / r.norm().max(1.0);
    let scale = SCALE_HEIGHT_M / up.abs().max(1.0);
    (0.5 * tau).min(scale).clamp(0.05, MAX_STEP_AIR_S)
}

#[inline]
fn deriv(x: &State, drag: bool) -> State {
    let r = Vector3::new(x[0], x[1], x[2]);
    let v = Vector3::new(x[3], x[4], x[5]);
    let kappa = if drag { x[6] } else { 0.0 };
    let h = if kappa > 0.0 {
        height_m(&r)
    } else {
        f64::INFINITY
    };
    let a = accel(&r, &v, kappa, h);
    State::from([v.x, v.y, v.z, a.x, a.y, a.z, 0.0])
}

/// One RK4 step of `h` seconds (negative: backwards).
#[inline]
pub fn rk4(x: &State, h: f64, drag: bool) -> State {
    let k1 = deriv(x, drag);
    let k2 = deriv(&(x + k1 * (0.5 * h)), drag);
    let k3 = deriv(&(x + k2 * (0.5 * h)), drag);
    let k4 = deriv(&(x + k3 * h), drag);
    x + (k1 + (k2 + k3) * 2.0 + k4) * (h / 6.0)
}

fn limit_at(x: &State, drag: bool) -> f64 {
    let r = Vector3::new(x[0], x[1], x[2]);
    let v = Vector3::new(x[3], x[4], x[5]);
    step_limit(&r, &v, x[6], height_m(&r), drag)
}

/// Propagates `x` by `dt` seconds (either sign). Drag acts when `drag` is true.
pub fn propagate(x: &State, dt: f64, drag: bool) -> State {
    let mut x = *x;
    let mut left = dt.abs();
    let sign = dt.signum();
    // A bound on the number of steps keeps a wild sigma point from looping for long: 0.05 s
    // steps over an hour.
    let mut budget = 100_000u32;
    while left > 1e-9 && budget > 0 {
        let h = limit_at(&x, drag).min(left);
        x = rk4(&x, sign * h, drag);
        left -= h;
        budget -= 1;
    }
    x
}

/// Where a propagation reached the surface.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SurfaceHit {
    /// The state at the surface.
    pub x: State,
    /// Time from the start, s (negative backwards).
    pub dt: f64,
}

/// Propagates `x` forward (`backward` false) or backward until its height is zero, for at
/// most `max_s` seconds; the crossing is refined by the secant method on the last step to
/// well under a metre. `None` when the surface is not reached (or the state is underground
/// already).
pub fn to_surface(x: &State, max_s: f64, backward: bool, drag: bool) -> Option<SurfaceHit> {
    let sign = if backward { -1.0 } else { 1.0 };
    let h_of = |x: &State| height_m(&Vector3::new(x[0], x[1], x[2]));
    let mut x = *x;
    let mut hx = h_of(&x);
    if hx.is_nan() || hx <= 0.0 {
        return None;
    }
    let mut t = 0.0;
    while t < max_s {
        let h = limit_at(&x, drag).min(max_s - t);
        let y = rk4(&x, sign * h, drag);
        let hy = h_of(&y);
        if !hy.is_finite() {
            return None;
        }
        if hy <= 0.0 {
            // Secant iterations on the step length from x.
            let (mut a, mut fa, mut b, mut fb) = (0.0, hx, h, hy);
            let mut best = (b, y);
            for _ in 0..6 {
                let c = b - fb * (b - a) / (fb - fa);
                if !c.is_finite() {
                    break;
                }
                let yc = rk4(&x, sign * c, drag);
                let fc = h_of(&yc);
                best = (c, yc);
                if fc.abs() < 0.1 {
                    break;
                }
                (a, fa, b, fb) = (b, fb, c, fc);
            }
            return Some(SurfaceHit {
                x: best.1,
                dt: sign * (t + best.0),
            });
        }
        x = y;
        hx = hy;
        t += h;
    }
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use vigil_ballistic::earth::Dynamics;
    use vigil_core::{Geodetic, LatLon};

    #[test]
    fn fast_height_matches_geodetic() {
        for (lat, lon, h) in [
            (0.0, 0.0, 0.0),
            (52.0, 21.0, 0.0),
            (45.0, 40.0, 100e3),
            (80.0, -10.0, 1000e3),
        ] {
            let g = Geodetic {
                pos: LatLon::new(lat, lon),
                height_m: h,
            };
            let r = earth::geodetic_to_ecef(&g);
            let err = (height_m(&r) - h).abs();
            assert!(err < 1.0 + 1e-5 * h, "{lat} {h}: {err}");
        }
    }

    /// RK4 with the step rule against the adaptive Dormand–Prince flight of H1's model over a
    /// whole coast and re-entry: the impact points agree to metres.
    #[test]
    fn matches_the_flight_model() {
        let launch = Geodetic {
            pos: LatLon::new(35.0, 50.0),
            height_m: 0.0,
        };
        let r0 = earth::geodetic_to_ecef(&Geodetic {
            pos: launch.pos,
            height_m: 150e3,
        });
        let rot = earth::ecef_to_enu_rotation(&launch.pos).transpose();
        let v0 = rot * Vector3::new(1500.0, 2500.0, 1500.0);
        for beta in [500.0, 5000.0, 50_000.0] {
            let traj = vigil_ballistic::flight::coast(
                &Dynamics::EARTH,
                vigil_ballistic::flight::ObjectKind::Rv,
                beta,
                0.0,
                r0,
                v0,
                &Default::default(),
            )
            .unwrap();
            let x0 = State::from([r0.x, r0.y, r0.z, v0.x, v0.y, v0.z, 1000.0 / beta]);
            let hit = to_surface(&x0, 3000.0, false, true).unwrap();
            let p = Vector3::new(hit.x[0], hit.x[1], hit.x[2]);
            let miss = (p - traj.impact.pos).norm();
            assert!(
                miss < 50.0,
                "beta {beta}: {miss} m, t {} vs {}",
                hit.dt,
                traj.impact.t
            );
            assert!((hit.dt - traj.impact.t).abs() < 0.5);
            // Back to the start, without drag, from a point on the way up.
            let mid = propagate(&x0, 100.0, false);
            let back = propagate(&mid, -100.0, false);
            assert!((back - x0).fixed_rows::<3>(0).norm() < 0.01);
        }
    }
}
