//! Impact and launch point prediction with their uncertainty.
//!
//! The unscented transform of the track's estimate through "fly to the ground": each of the
//! 15 sigma points is integrated (gravity, rotation and drag with its own κ) until its height
//! is zero, giving an impact point and time; their weighted mean and covariance are the
//! prediction. The covariance is turned into the local east / north plane at the mean impact
//! point, where the 95 % ellipse is `dᵀ C⁻¹ d ≤ χ²₂(0.95) = 5.991`. No process noise is added
//! over the remaining flight: the dynamics are those of the truth up to the atmosphere
//! model, and the Monte Carlo test (`tests/consistency.rs`) checks that the ellipse holds.
//!
//! The launch point is the same transform backwards without drag (the ascent was powered,
//! so drag through it says nothing), to the ground or to the launch time of an infrared
//! warning when one is known, whichever comes first going back; it is the point where the
//! coast would have started, which the boost puts some tens of km downrange of the pad.

use nalgebra::{Matrix2, Matrix3, SVector, Vector2, Vector3};
use serde::{Deserialize, Serialize};
use vigil_core::{Geodetic, LatLon};
use vigil_track::filter::FilterError;
use vigil_track::ukf::Ukf;

use crate::dynamics::{self, State};
use crate::filter::Estimate;

/// χ²₂(0.95): the 95 % ellipse's squared Mahalanobis radius.
pub const CHI2_2DOF_95: f64 = 5.991_464_547_107_979;

/// Longest flight searched for an impact, s.
pub const MAX_FLIGHT_S: f64 = 4_000.0;

/// A 95 % uncertainty ellipse on the ground.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Ellipse {
    /// Semi-major axis, metres.
    pub semi_major_m: f64,
    /// Semi-minor axis, metres.
    pub semi_minor_m: f64,
    /// Direction of the major axis, degrees clockwise from north, in [0, 180).
    pub orientation_deg: f64,
}

impl Ellipse {
    /// The ellipse `dᵀ C⁻¹ d ≤ k` of a 2×2 east / north covariance.
    pub fn from_cov(c: &Matrix2<f64>, k: f64) -> Self {
        let (a, b, d) = (c[(0, 0)], 0.5 * (c[(0, 1)] + c[(1, 0)]), c[(1, 1)]);
        let mid = 0.5 * (a + d);
        let rad = (0.25 * (a - d).powi(2) + b * b).sqrt();
        let (l1, l2) = (mid + rad, (mid - rad).max(0.0));
        // Angle of the major axis from east, counter-clockwise.
        let theta = 0.5 * (2.0 * b).atan2(a - d);
        Self {
            semi_major_m: (k * l1).sqrt(),
            semi_minor_m: (k * l2).sqrt(),
            orientation_deg: (90.0 - theta.to_degrees()).rem_euclid(180.0),
        }
    }

    /// Area, m².
    pub fn area_m2(&self) -> f64 {
        std::f64::consts::PI * self.semi_major_m * self.semi_minor_m
    }
}

/// A predicted ground point (impact or launch) with its uncertainty.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GroundPrediction {
    /// Mean point on the ellipsoid.
    pub point: LatLon,
    /// Mean time, s (the scenario's scale).
    pub t: f64,
    /// Standard deviation of the time, s.
    pub t_sd: f64,
    /// East / north covariance at the point, m².
    pub cov_en: Matrix2<f64>,
    /// The 95 % ellipse.
    pub ellipse: Ellipse,
}

impl GroundPrediction {
    /// The east / north offset (metres) of `p` from the predicted point.
    pub fn offset_en(&self, p: &LatLon) -> Vector2<f64> {
        let rot = vigil_track::geo::ecef_to_enu_rotation(&self.point);
        let o = vigil_track::geo::geodetic_to_ecef(&Geodetic {
            pos: self.point,
            height_m: 0.0,
        });
        let q = vigil_track::geo::geodetic_to_ecef(&Geodetic {
            pos: *p,
            height_m: 0.0,
        });
        let e = rot * (q - o);
        Vector2::new(e.x, e.y)
    }

    /// The squared Mahalanobis distance of `p` from the predicted point (`≤ 5.991` inside
    /// the 95 % ellipse), or infinity when the covariance is singular.
    pub fn mahalanobis2(&self, p: &LatLon) -> f64 {
        let d = self.offset_en(p);
        match self.cov_en.cholesky() {
            Some(c) => d.dot(&c.solve(&d)),
            None => f64::INFINITY,
        }
    }

    /// Whether `p` is inside the 95 % ellipse grown by `margin_m` (the margin added to both
    /// semi-axes).
    pub fn contains(&self, p: &LatLon, margin_m: f64) -> bool {
        let d = self.offset_en(p);
        let th = (90.0 - self.ellipse.orientation_deg).to_radians();
        // Coordinates along the major (u) and minor (w) axes.
        let u = d.x * th.cos() + d.y * th.sin();
        let w = -d.x * th.sin() + d.y * th.cos();
        let a = self.ellipse.semi_major_m + margin_m;
        let b = self.ellipse.semi_minor_m + margin_m;
        if a <= 0.0 || b <= 0.0 {
            return false;
        }
        (u / a).powi(2) + (w / b).powi(2) <= 1.0
    }
}

/// Why no prediction was made.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum PredictError {
    /// A sigma point did not reach the ground within [`MAX_FLIGHT_S`] (an orbit or escape
    /// inside the uncertainty), or the state is below ground.
    #[error("no ground crossing within {MAX_FLIGHT_S} s for every sigma point")]
    NoCrossing,
    /// The filter refused the transform.
    #[error(transparent)]
    Filter(#[from] FilterError),
}

/// The ground prediction of a mean `(ECEF point, time from now)` and its covariance.
pub fn ground_prediction(
    mean: &SVector<f64, 4>,
    cov: &nalgebra::SMatrix<f64, 4, 4>,
    t_now: f64,
) -> GroundPrediction {
    let r = Vector3::new(mean[0], mean[1], mean[2]);
    let g = vigil_track::geo::ecef_to_geodetic(&r);
    let rot = vigil_track::geo::ecef_to_enu_rotation(&g.pos);
    let c3: Matrix3<f64> = cov.fixed_view::<3, 3>(0, 0).into_owned();
    let enu = rot * c3 * rot.transpose();
    let cov_en = enu.fixed_view::<2, 2>(0, 0).into_owned();
    GroundPrediction {
        point: g.pos,
        t: t_now + mean[3],
        t_sd: cov[(3, 3)].max(0.0).sqrt(),
        cov_en,
        ellipse: Ellipse::from_cov(&cov_en, CHI2_2DOF_95),
    }
}

fn hit_vec(x: &State, dt: f64) -> SVector<f64, 4> {
    SVector::<f64, 4>::new(x[0], x[1], x[2], dt)
}

/// What a full (unscented) impact prediction leaves for the cheap ones that follow it until
/// the next: its covariance of `(ECEF point, time)`, and the bias of the unscented mean
/// against the single trajectory of the estimate's mean (the nonlinearity's shift).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ImpactCache {
    /// Covariance of the impact's ECEF point and time.
    pub cov: nalgebra::SMatrix<f64, 4, 4>,
    /// Unscented mean minus the mean's own trajectory.
    pub bias: SVector<f64, 4>,
}

/// The impact of the mean state alone: ECEF point and time from now (one trajectory).
pub fn impact_of_mean(x: &State) -> Option<SVector<f64, 4>> {
    dynamics::to_surface(x, MAX_FLIGHT_S, false, true).map(|h| hit_vec(&h.x, h.dt))
}

/// The full unscented impact prediction with the cache for [`predict_impact_cheap`].
pub fn predict_impact_full(
    ukf: &Ukf<7>,
    g: &Estimate,
    t_now: f64,
) -> Result<(GroundPrediction, ImpactCache), PredictError> {
    let mut missed = false;
    let res = ukf.transform(
        g,
        |x| match dynamics::to_surface(x, MAX_FLIGHT_S, false, true) {
            Some(hit) => Some(hit_vec(&hit.x, hit.dt)),
            None => {
                missed = true;
                None
            }
        },
        |a, b| a - b,
    );
    let (m, c) = match res {
        Ok(mc) => mc,
        Err(_) if missed => return Err(PredictError::NoCrossing),
        Err(e) => return Err(e.into()),
    };
    let own = impact_of_mean(&g.x).ok_or(PredictError::NoCrossing)?;
    Ok((
        ground_prediction(&m, &c, t_now),
        ImpactCache {
            cov: c,
            bias: m - own,
        },
    ))
}

/// The cheap impact prediction between full ones: the mean state's own trajectory (one
/// integration instead of fifteen), shifted by the last full prediction's bias, with its
/// covariance. The covariance is that of an older estimate, which the updates since have
/// only shrunk: the ellipse errs on the large side.
pub fn predict_impact_cheap(
    g: &Estimate,
    t_now: f64,
    cache: &ImpactCache,
) -> Result<GroundPrediction, PredictError> {
    let own = impact_of_mean(&g.x).ok_or(PredictError::NoCrossing)?;
    Ok(ground_prediction(&(own + cache.bias), &cache.cov, t_now))
}

/// The impact point of the estimate `g` (at time `t_now`).
pub fn predict_impact(
    ukf: &Ukf<7>,
    g: &Estimate,
    t_now: f64,
) -> Result<GroundPrediction, PredictError> {
    let mut missed = false;
    let res = ukf.transform(
        g,
        |x| match dynamics::to_surface(x, MAX_FLIGHT_S, false, true) {
            Some(hit) => Some(hit_vec(&hit.x, hit.dt)),
            None => {
                missed = true;
                None
            }
        },
        |a, b| a - b,
    );
    match res {
        Ok((m, c)) => Ok(ground_prediction(&m, &c, t_now)),
        Err(_) if missed => Err(PredictError::NoCrossing),
        Err(e) => Err(e.into()),
    }
}

/// The launch point of the estimate `g` (at time `t_now`): back without drag to the ground,
/// or to `launch_time` (an infrared warning's) if that comes first going back, then down to
/// the point below.
pub fn predict_launch(
    ukf: &Ukf<7>,
    g: &Estimate,
    t_now: f64,
    launch_time: Option<f64>,
) -> Result<GroundPrediction, PredictError> {
    let max_back = match launch_time {
        Some(tl) if tl < t_now => t_now - tl,
        _ => MAX_FLIGHT_S,
    };
    let mut missed = false;
    let res = ukf.transform(
        g,
        |x| {
            if let Some(hit) = dynamics::to_surface(x, max_back, true, false) {
                return Some(hit_vec(&hit.x, hit.dt));
            }
            if launch_time.is_none() {
                missed = true;
                return None;
            }
            // Reached the warning's launch time above ground: the point below.
            let y = dynamics::propagate(x, -max_back, false);
            let sub = vigil_track::geo::ecef_to_geodetic(&Vector3::new(y[0], y[1], y[2]));
            let p = vigil_track::geo::geodetic_to_ecef(&Geodetic {
                pos: sub.pos,
                height_m: 0.0,
            });
            Some(SVector::<f64, 4>::new(p.x, p.y, p.z, -max_back))
        },
        |a, b| a - b,
    );
    match res {
        Ok((m, c)) => Ok(ground_prediction(&m, &c, t_now)),
        Err(_) if missed => Err(PredictError::NoCrossing),
        Err(e) => Err(e.into()),
    }
}

/// An infrared launch warning's area as a prior on the launch point: the area's centre, the
/// radius that holds the true point in about 95 % of warnings (a circular Gaussian), and
/// the estimated launch time.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LaunchArea {
    /// Estimated launch time, s.
    pub t_launch: f64,
    /// Centre of the area.
    pub centre: LatLon,
    /// 95 % radius, metres.
    pub radius_m: f64,
}

/// k of a circular Gaussian's 95 % circle (radius = k σ): `1 − exp(−k²/2) = 0.95`.
const K95_2D: f64 = 2.447_746_830_680_816;

/// χ²₂ at 99.99 %: a back-propagated launch point and a warning area farther apart than
/// this are not the same launch.
pub const LAUNCH_AREA_GATE: f64 = 18.420_680_743_952_367;

impl LaunchArea {
    /// The area of a `vigil-ballistic` launch warning.
    pub fn from_warning(w: &vigil_ballistic::sensors::LaunchWarning) -> Self {
        Self {
            t_launch: w.t_launch_est,
            centre: w.area_centre,
            radius_m: w.area_radius_m,
        }
    }

    /// Whether `p` lies in the area (within the radius of the centre).
    pub fn contains(&self, p: &LatLon) -> bool {
        p.distance_m(&self.centre) <= self.radius_m
    }
}

/// A launch point estimate checked against, and fused with, a warning's area.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LaunchCheck {
    /// The back-propagated estimate (the track alone).
    pub track: GroundPrediction,
    /// The estimate fused with the area as an independent prior (information form in the
    /// east / north plane at the track's point); the track's own when the two are not
    /// consistent ([`LaunchCheck::consistent`]).
    pub fused: GroundPrediction,
    /// The area used.
    pub area: LaunchArea,
    /// Whether the track's own estimate lies in the area.
    pub in_area: bool,
    /// Distance of the track's own estimate from the area's centre, metres.
    pub distance_m: f64,
    /// χ²₂ distance of the track's estimate from the area's centre with the two
    /// covariances summed.
    pub d2: f64,
    /// `d2` within [`LAUNCH_AREA_GATE`]: the area was fused.
    pub consistent: bool,
}

/// Checks the back-propagated launch point `lp` against a warning's area and fuses the two:
/// the area is a circular Gaussian prior (σ = radius / 2.45) independent of the radar track.
/// The launch time stays the track's.
pub fn fuse_launch_area(lp: &GroundPrediction, area: &LaunchArea) -> LaunchCheck {
    let sigma = area.radius_m.max(1.0) / K95_2D;
    let pa = Matrix2::identity() * sigma * sigma;
    let o = lp.offset_en(&area.centre);
    let s = lp.cov_en + pa;
    let (d2, fused) = match s.cholesky() {
        Some(ch) => {
            let d2 = o.dot(&ch.solve(&o));
            // x = P1 S⁻¹ o, P = P1 − P1 S⁻¹ P1 (the track at the origin, the area at o).
            let k = ch.solve(&lp.cov_en).transpose();
            let x = k * o;
            let p = lp.cov_en - k * lp.cov_en;
            let p = (p + p.transpose()) * 0.5;
            let point = lp.point.destination(x.x.atan2(x.y).to_degrees(), x.norm());
            let f = GroundPrediction {
                point,
                cov_en: p,
                ellipse: Ellipse::from_cov(&p, CHI2_2DOF_95),
                ..*lp
            };
            (
                d2,
                (d2 <= LAUNCH_AREA_GATE && p.cholesky().is_some()).then_some(f),
            )
        }
        None => (f64::INFINITY, None),
    };
    LaunchCheck {
        track: *lp,
        fused: fused.unwrap_or(*lp),
        area: *area,
        in_area: area.contains(&lp.point),
        distance_m: lp.point.distance_m(&area.centre),
        d2,
        consistent: fused.is_some(),
    }
}

/// The warning area (of `areas`) most consistent with `lp`, fused ([`fuse_launch_area`]);
/// `None` when there are none.
pub fn best_launch_area(lp: &GroundPrediction, areas: &[LaunchArea]) -> Option<LaunchCheck> {
    areas
        .iter()
        .map(|a| fuse_launch_area(lp, a))
        .min_by(|a, b| a.d2.total_cmp(&b.d2))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn ellipse_axes_and_orientation() {
        // Variance 4 east, 1 north: major axis east (90°).
        let e = Ellipse::from_cov(&Matrix2::new(4.0, 0.0, 0.0, 1.0), 1.0);
        assert!((e.semi_major_m - 2.0).abs() < 1e-12 && (e.semi_minor_m - 1.0).abs() < 1e-12);
        assert!((e.orientation_deg - 90.0).abs() < 1e-9);
        // Elongated along north-east (45°).
        let e = Ellipse::from_cov(&Matrix2::new(2.5, 1.5, 1.5, 2.5), 1.0);
        assert!((e.orientation_deg - 45.0).abs() < 1e-9, "{e:?}");
        assert!((e.semi_major_m - 2.0).abs() < 1e-12);
        let gp = GroundPrediction {
            point: LatLon::new(50.0, 20.0),
            t: 0.0,
            t_sd: 0.0,
            cov_en: Matrix2::new(2.5e6, 1.5e6, 1.5e6, 2.5e6),
            ellipse: Ellipse::from_cov(&Matrix2::new(2.5e6, 1.5e6, 1.5e6, 2.5e6), 1.0),
        };
        // 1.9 km to the north-east is inside (semi-major 2 km), 1.9 km north-west is not.
        let ne = LatLon::new(
            50.0 + 1900.0 / 2f64.sqrt() / 111_200.0,
            20.0 + 1900.0 / 2f64.sqrt() / 71_700.0,
        );
        let nw = LatLon::new(
            50.0 + 1900.0 / 2f64.sqrt() / 111_200.0,
            20.0 - 1900.0 / 2f64.sqrt() / 71_700.0,
        );
        assert!(gp.contains(&ne, 0.0));
        assert!(!gp.contains(&nw, 0.0));
        assert!(gp.contains(&nw, 1000.0));
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod launch_area_tests {
    use super::*;

    fn lp(sd_e: f64, sd_n: f64) -> GroundPrediction {
        let cov = Matrix2::new(sd_e * sd_e, 0.0, 0.0, sd_n * sd_n);
        GroundPrediction {
            point: LatLon::new(34.0, 48.0),
            t: -200.0,
            t_sd: 5.0,
            cov_en: cov,
            ellipse: Ellipse::from_cov(&cov, CHI2_2DOF_95),
        }
    }

    #[test]
    fn a_consistent_area_is_fused_and_shrinks_the_ellipse() {
        // The track: 40 km east-west, 10 km north-south (1 σ). The area: 30 km radius,
        // centred 20 km east.
        let track = lp(40_000.0, 10_000.0);
        let area = LaunchArea {
            t_launch: -198.0,
            centre: track.point.destination(90.0, 20_000.0),
            radius_m: 30_000.0,
        };
        let c = fuse_launch_area(&track, &area);
        assert!(c.consistent && c.in_area, "{c:?}");
        assert!((c.distance_m - 20_000.0).abs() < 50.0);
        assert!(c.fused.ellipse.area_m2() < track.ellipse.area_m2());
        assert!(c.fused.ellipse.area_m2() < std::f64::consts::PI * 30e3 * 30e3);
        // The fused point moves east, most of the way (the area is the tighter east-west).
        let o = track.offset_en(&c.fused.point);
        assert!(o.x > 15_000.0 && o.x < 20_000.0 && o.y.abs() < 100.0, "{o}");
        // Information form: the east variance is (σt⁻² + σa⁻²)⁻¹.
        let sa2 = (30_000.0f64 / K95_2D).powi(2);
        let want = 1.0 / (1.0 / 40_000.0f64.powi(2) + 1.0 / sa2);
        assert!((c.fused.cov_en[(0, 0)] - want).abs() < 1e-6 * want);
        assert_eq!(c.fused.t, track.t);
    }

    #[test]
    fn a_far_area_is_reported_and_not_fused() {
        let track = lp(5_000.0, 5_000.0);
        let near = LaunchArea {
            t_launch: 0.0,
            centre: track.point.destination(0.0, 3_000.0),
            radius_m: 20_000.0,
        };
        let far = LaunchArea {
            t_launch: 0.0,
            centre: track.point.destination(0.0, 400_000.0),
            radius_m: 30_000.0,
        };
        let c = fuse_launch_area(&track, &far);
        assert!(!c.consistent && !c.in_area);
        assert_eq!(c.fused, track);
        // Of several warnings, the consistent one is taken.
        let best = best_launch_area(&track, &[far, near]).unwrap();
        assert_eq!(best.area, near);
        assert!(best.consistent && best.in_area);
        assert!(best_launch_area(&track, &[]).is_none());
    }
}
