//! Measurement models: how a sensor's measurement relates to a state in the tracking frame.
//!
//! - Horizontal positions (ADS-B, multilateration, partner tracks) are linear: the measured
//!   east/north are the projections of the position on the local east and north axes at the
//!   measured point, which are perpendicular to the local vertical, so the unknown height drops
//!   out exactly.
//! - Heights are the geodetic height of the position, linearised along the ellipsoid normal.
//! - Radar plots (slant range, azimuth, optional elevation) are nonlinear in the position and
//!   handled as an extended Kalman filter: linearised at the predicted state, with the
//!   Jacobian derived in [`RadarSite::polar`] (checked against finite differences in tests).

use nalgebra::{Matrix3, RowVector3, SMatrix, SVector, Vector1, Vector2, Vector3};
use vigil_core::{Geodetic, LatLon};

use crate::filter::{FilterError, Gaussian, Innovation, position_projection, velocity_projection};
use crate::geo::{InvalidOrigin, LocalFrame};

/// Wraps an angle to (-π, π].
pub fn wrap_angle(a: f64) -> f64 {
    use std::f64::consts::{PI, TAU};
    let r = (a + PI).rem_euclid(TAU) - PI;
    if r <= -PI { r + TAU } else { r }
}

/// A radar (or any sensor measuring range and bearing) seen from the tracking frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RadarSite {
    site: Geodetic,
    /// Tracking frame → radar-local ENU: `d = a p + b`.
    a: Matrix3<f64>,
    b: Vector3<f64>,
}

/// Slant range, azimuth and elevation of a position from a radar, with their Jacobian.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Polar {
    /// Slant range, metres.
    pub range_m: f64,
    /// Azimuth clockwise from the radar's north, radians in (-π, π].
    pub azimuth_rad: f64,
    /// Elevation above the radar's horizontal plane, radians.
    pub elevation_rad: f64,
    /// Rows: ∂range/∂p, ∂azimuth/∂p, ∂elevation/∂p, with p the position in the tracking frame.
    pub jacobian: Matrix3<f64>,
}

impl RadarSite {
    /// The site of a radar at `site` in the tracking `frame`.
    pub fn new(frame: &LocalFrame, site: Geodetic) -> Result<Self, InvalidOrigin> {
        let local = LocalFrame::new(site)?;
        let (a, b) = frame.to_frame(&local);
        Ok(Self { site, a, b })
    }

    /// The radar's position.
    pub fn site(&self) -> Geodetic {
        self.site
    }

    /// Range, azimuth and elevation of tracking-frame position `p`, or `None` within a metre
    /// of the vertical through the antenna (azimuth undefined).
    pub fn polar(&self, p: &Vector3<f64>) -> Option<Polar> {
        let d = self.a * p + self.b;
        let h2 = d.x * d.x + d.y * d.y;
        let h = h2.sqrt();
        if h < 1.0 {
            return None;
        }
        let r2 = h2 + d.z * d.z;
        let r = r2.sqrt();
        // ∂(range, az, el)/∂d in the radar's frame, then chained through d = a p + b.
        let j_d = Matrix3::from_rows(&[
            RowVector3::new(d.x / r, d.y / r, d.z / r),
            RowVector3::new(d.y / h2, -d.x / h2, 0.0),
            RowVector3::new(-d.z * d.x / (r2 * h), -d.z * d.y / (r2 * h), h / r2),
        ]);
        Some(Polar {
            range_m: r,
            azimuth_rad: d.x.atan2(d.y),
            elevation_rad: d.z.atan2(h),
            jacobian: j_d * self.a,
        })
    }

    /// Range and azimuth of tracking-frame position `p` (the same values as
    /// [`RadarSite::polar`] without the Jacobian and elevation), or `None` within a metre of
    /// the vertical through the antenna.
    pub fn range_azimuth(&self, p: &Vector3<f64>) -> Option<(f64, f64)> {
        self.range_direction(p)
            .map(|(range, east, north)| (range, east.atan2(north)))
    }

    /// Range of `p` and its horizontal offset (east, north) in the radar's frame, whose
    /// `atan2` is the azimuth: [`RadarSite::range_azimuth`] without the `atan2`.
    pub(crate) fn range_direction(&self, p: &Vector3<f64>) -> Option<(f64, f64, f64)> {
        let d = self.a * p + self.b;
        let h2 = d.x * d.x + d.y * d.y;
        let h = h2.sqrt();
        if h < 1.0 {
            return None;
        }
        let r2 = h2 + d.z * d.z;
        Some((r2.sqrt(), d.x, d.y))
    }

    /// The tracking-frame position of a plot at `range_m`, `azimuth_rad` and a target height
    /// above the ellipsoid of `height_m` (2-D radars do not measure elevation; the height comes
    /// from Mode C or a default). Solved by fixed-point iteration on the elevation.
    pub fn plot_position(
        &self,
        frame: &LocalFrame,
        range_m: f64,
        azimuth_rad: f64,
        height_m: f64,
    ) -> Vector3<f64> {
        self.plot_position_geodetic(frame, range_m, azimuth_rad, height_m)
            .0
    }

    /// [`RadarSite::plot_position`] and the geodetic coordinates of that position (the
    /// iteration computes them for its last step: a caller needing both saves a conversion).
    pub fn plot_position_geodetic(
        &self,
        frame: &LocalFrame,
        range_m: f64,
        azimuth_rad: f64,
        height_m: f64,
    ) -> (Vector3<f64>, Geodetic) {
        let (sa, ca) = azimuth_rad.sin_cos();
        let mut el = ((height_m - self.site.height_m) / range_m.max(1.0))
            .clamp(-1.0, 1.0)
            .asin();
        let mut p = Vector3::zeros();
        let mut geo = frame.origin();
        // Three iterations bring the height error from kilometres (Earth curvature at 250 km
        // is ~5 km) to centimetres.
        for step in 0..4 {
            let (se, ce) = el.sin_cos();
            let d = Vector3::new(range_m * ce * sa, range_m * ce * ca, range_m * se);
            p = self.a.transpose() * (d - self.b);
            geo = frame.enu_to_geodetic(&p);
            if step < 3 {
                let err = height_m - geo.height_m;
                el += err / range_m.max(1.0);
            }
        }
        (p, geo)
    }

    /// The covariance, in the tracking frame, of a plot position with range and azimuth
    /// standard deviations, and a vertical standard deviation for the (unmeasured) height.
    pub fn plot_covariance(
        &self,
        range_m: f64,
        azimuth_rad: f64,
        sigma_range_m: f64,
        sigma_azimuth_rad: f64,
        sigma_vertical_m: f64,
    ) -> Matrix3<f64> {
        let (sa, ca) = azimuth_rad.sin_cos();
        let along = Vector3::new(sa, ca, 0.0);
        let across = Vector3::new(ca, -sa, 0.0);
        let up = Vector3::new(0.0, 0.0, 1.0);
        let cross = range_m * sigma_azimuth_rad;
        let local = along * along.transpose() * sigma_range_m.powi(2)
            + across * across.transpose() * cross.powi(2)
            + up * up.transpose() * sigma_vertical_m.powi(2);
        self.a.transpose() * local * self.a
    }
}

/// Innovation of a radar plot (range, azimuth) against `g`, linearised at its mean.
pub fn polar_innovation<const N: usize>(
    g: &Gaussian<N>,
    radar: &RadarSite,
    range_m: f64,
    azimuth_rad: f64,
    sigma_range_m: f64,
    sigma_azimuth_rad: f64,
) -> Result<Innovation<2, N>, FilterError> {
    let pol = radar.polar(&g.position()).ok_or(FilterError::Singular)?;
    let j: SMatrix<f64, 2, 3> = pol.jacobian.fixed_rows::<2>(0).into_owned();
    Ok(Innovation {
        nu: Vector2::new(
            range_m - pol.range_m,
            wrap_angle(azimuth_rad - pol.azimuth_rad),
        ),
        h: position_projection::<2, N>(&j),
        r: SMatrix::<f64, 2, 2>::from_diagonal(&Vector2::new(
            sigma_range_m.powi(2),
            sigma_azimuth_rad.powi(2),
        )),
    })
}

/// Innovation of a measured elevation (3-D radars) against `g`.
pub fn elevation_innovation<const N: usize>(
    g: &Gaussian<N>,
    radar: &RadarSite,
    elevation_rad: f64,
    sigma_elevation_rad: f64,
) -> Result<Innovation<1, N>, FilterError> {
    let pol = radar.polar(&g.position()).ok_or(FilterError::Singular)?;
    let j: SMatrix<f64, 1, 3> = pol.jacobian.fixed_rows::<1>(2).into_owned();
    Ok(Innovation {
        nu: Vector1::new(elevation_rad - pol.elevation_rad),
        h: position_projection::<1, N>(&j),
        r: SMatrix::<f64, 1, 1>::new(sigma_elevation_rad.powi(2)),
    })
}

/// A horizontal measurement (position or velocity) at a point, prepared in the tracking
/// frame: the local east and north axes there, and the measured components along them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Horizontal {
    /// Rows: local east and north unit vectors at the measured point, in the tracking frame.
    pub axes: SMatrix<f64, 2, 3>,
    /// The measured (east, north) components.
    pub z: Vector2<f64>,
    /// Their covariance.
    pub r: SMatrix<f64, 2, 2>,
}

impl Horizontal {
    /// A horizontal position `pos` with covariance `cov_en` in its local east/north frame.
    pub fn position(frame: &LocalFrame, pos: &LatLon, cov_en: SMatrix<f64, 2, 2>) -> Self {
        let axes3 = frame.axes_at(pos);
        let axes: SMatrix<f64, 2, 3> = axes3.fixed_rows::<2>(0).into_owned();
        // Any height gives the same projections (the axes are perpendicular to the local
        // vertical); zero keeps the numbers small.
        let p = frame.geodetic_to_enu(&Geodetic {
            pos: *pos,
            height_m: 0.0,
        });
        Self {
            axes,
            z: axes * p,
            r: cov_en,
        }
    }

    /// A horizontal velocity (east, north) measured at `pos`.
    pub fn velocity(
        frame: &LocalFrame,
        pos: &LatLon,
        east_north: Vector2<f64>,
        cov_en: SMatrix<f64, 2, 2>,
    ) -> Self {
        let axes: SMatrix<f64, 2, 3> = frame.axes_at(pos).fixed_rows::<2>(0).into_owned();
        Self {
            axes,
            z: east_north,
            r: cov_en,
        }
    }

    /// Innovation against `g` as a position measurement.
    pub fn position_innovation<const N: usize>(&self, g: &Gaussian<N>) -> Innovation<2, N> {
        let h = position_projection::<2, N>(&self.axes);
        Innovation {
            nu: self.z - h * g.x,
            h,
            r: self.r,
        }
    }

    /// Innovation against `g` as a velocity measurement (states with velocity in 3..6).
    pub fn velocity_innovation<const N: usize>(&self, g: &Gaussian<N>) -> Innovation<2, N> {
        let h = velocity_projection::<2, N>(&self.axes);
        Innovation {
            nu: self.z - h * g.x,
            h,
            r: self.r,
        }
    }
}

/// Innovation of a height above the ellipsoid against `g`, linearised along the ellipsoid
/// normal at the predicted position.
pub fn height_innovation<const N: usize>(
    g: &Gaussian<N>,
    frame: &LocalFrame,
    height_m: f64,
    sigma_m: f64,
) -> Innovation<1, N> {
    let geo = frame.enu_to_geodetic(&g.position());
    let up: SMatrix<f64, 1, 3> = frame.axes_at(&geo.pos).fixed_rows::<1>(2).into_owned();
    Innovation {
        nu: Vector1::new(height_m - geo.height_m),
        h: position_projection::<1, N>(&up),
        r: SMatrix::<f64, 1, 1>::new(sigma_m * sigma_m),
    }
}

/// A full-position covariance in the tracking frame from a local east/north covariance at
/// `pos` and a vertical standard deviation.
pub fn local_to_frame_cov(
    frame: &LocalFrame,
    pos: &LatLon,
    cov_en: &SMatrix<f64, 2, 2>,
    sigma_up_m: f64,
) -> Matrix3<f64> {
    let mut local = Matrix3::zeros();
    local.fixed_view_mut::<2, 2>(0, 0).copy_from(cov_en);
    local[(2, 2)] = sigma_up_m * sigma_up_m;
    let axes = frame.axes_at(pos);
    axes.transpose() * local * axes
}

/// A 6-state vector from position and velocity.
pub fn state6(p: &Vector3<f64>, v: &Vector3<f64>) -> SVector<f64, 6> {
    SVector::<f64, 6>::new(p.x, p.y, p.z, v.x, v.y, v.z)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn g(lat: f64, lon: f64, h: f64) -> Geodetic {
        Geodetic {
            pos: LatLon::new(lat, lon),
            height_m: h,
        }
    }

    fn setup() -> (LocalFrame, RadarSite) {
        let frame = LocalFrame::new(g(49.0, 2.5, 0.0)).unwrap();
        let radar = RadarSite::new(&frame, g(48.7, 2.0, 150.0)).unwrap();
        (frame, radar)
    }

    #[test]
    fn wrap_angle_cases() {
        use std::f64::consts::PI;
        for (a, w) in [
            (0.0, 0.0),
            (PI, PI),
            (-PI, PI),
            (3.0 * PI, PI),
            (0.1 - 2.0 * PI, 0.1),
            (7.0, 7.0 - 2.0 * PI),
        ] {
            assert!(
                (wrap_angle(a) - w).abs() < 1e-12,
                "{a} → {} not {w}",
                wrap_angle(a)
            );
        }
    }

    /// The polar function agrees with map_3d's geodetic → azimuth/elevation/range.
    #[test]
    fn polar_matches_map_3d_aer() {
        let (frame, radar) = setup();
        let target = g(49.2, 3.1, 10_000.0);
        let pol = radar.polar(&frame.geodetic_to_enu(&target)).unwrap();
        let (az, el, range) = map_3d::geodetic2aer(
            49.2f64.to_radians(),
            3.1f64.to_radians(),
            10_000.0,
            48.7f64.to_radians(),
            2.0f64.to_radians(),
            150.0,
            map_3d::Ellipsoid::WGS84,
        );
        assert!(
            (pol.range_m - range).abs() < 1e-6,
            "{} {}",
            pol.range_m,
            range
        );
        assert!((pol.azimuth_rad - wrap_angle(az)).abs() < 1e-12);
        assert!((pol.elevation_rad - el).abs() < 1e-12);
    }

    proptest! {
        /// `range_azimuth` gives `polar`'s range and azimuth bit for bit.
        #[test]
        fn range_azimuth_equals_polar(
            e in -300e3f64..300e3, n in -300e3f64..300e3, u in -100.0f64..15e3,
        ) {
            let (_, radar) = setup();
            let p = Vector3::new(e, n, u);
            let short = radar.range_azimuth(&p);
            let full = radar.polar(&p).map(|pol| (pol.range_m, pol.azimuth_rad));
            prop_assert_eq!(short.map(|(r, a)| (r.to_bits(), a.to_bits())),
                full.map(|(r, a)| (r.to_bits(), a.to_bits())));
        }

        /// The analytic Jacobian matches central finite differences.
        #[test]
        fn polar_jacobian_matches_finite_differences(
            e in -300e3f64..300e3, n in -300e3f64..300e3, u in 0.0f64..15e3,
        ) {
            let (_, radar) = setup();
            let p = Vector3::new(e, n, u);
            let Some(pol) = radar.polar(&p) else { return Ok(()) };
            prop_assume!(pol.range_m > 2_000.0);
            let step = 1.0;
            for k in 0..3 {
                let mut dp = Vector3::zeros();
                dp[k] = step;
                let (Some(plus), Some(minus)) = (radar.polar(&(p + dp)), radar.polar(&(p - dp))) else {
                    return Ok(());
                };
                let fd = Vector3::new(
                    (plus.range_m - minus.range_m) / (2.0 * step),
                    wrap_angle(plus.azimuth_rad - minus.azimuth_rad) / (2.0 * step),
                    (plus.elevation_rad - minus.elevation_rad) / (2.0 * step),
                );
                let an = pol.jacobian.column(k);
                for r in 0..3 {
                    let scale = an[r].abs().max(1e-9);
                    prop_assert!((fd[r] - an[r]).abs() <= 1e-5 * scale + 1e-12,
                        "row {r} col {k}: fd {} an {}", fd[r], an[r]);
                }
            }
        }

        /// A plot placed at a height by `plot_position` has that range, azimuth and height.
        #[test]
        fn plot_position_inverts_polar(
            range in 5e3f64..300e3, az in -3.1f64..3.1, h in 0.0f64..12e3,
        ) {
            // Geometrically possible plots only: the target cannot be higher than its range.
            prop_assume!(h < 0.5 * range);
            let (frame, radar) = setup();
            let p = radar.plot_position(&frame, range, az, h);
            let pol = radar.polar(&p).unwrap();
            prop_assert!((pol.range_m - range).abs() < 1e-3);
            prop_assert!(wrap_angle(pol.azimuth_rad - az).abs() < 1e-9);
            prop_assert!((frame.enu_to_geodetic(&p).height_m - h).abs() < 0.1);
        }
    }

    #[test]
    fn horizontal_position_ignores_height() {
        let frame = LocalFrame::new(g(49.0, 2.5, 0.0)).unwrap();
        let pos = LatLon::new(48.1, 4.2);
        let m = Horizontal::position(&frame, &pos, SMatrix::<f64, 2, 2>::identity());
        for h in [0.0, 3_000.0, 12_000.0] {
            let p = frame.geodetic_to_enu(&g(48.1, 4.2, h));
            assert!((m.axes * p - m.z).norm() < 1e-6, "height {h}");
        }
    }

    #[test]
    fn height_innovation_is_zero_at_the_true_height() {
        let frame = LocalFrame::new(g(49.0, 2.5, 0.0)).unwrap();
        let p = frame.geodetic_to_enu(&g(47.9, 0.9, 9_500.0));
        let est = Gaussian::<6>::new(
            state6(&p, &Vector3::zeros()),
            SMatrix::<f64, 6, 6>::identity(),
        );
        let inn = height_innovation(&est, &frame, 9_500.0, 30.0);
        assert!(inn.nu[0].abs() < 1e-6);
        // Moving 10 m along the local vertical changes the height by 10 m.
        let up = inn.h.fixed_view::<1, 3>(0, 0).transpose();
        let moved = frame.enu_to_geodetic(&(p + up * 10.0)).height_m;
        assert!((moved - 9_510.0).abs() < 1e-3);
    }
}
