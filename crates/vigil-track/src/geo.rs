//! Geodesy: WGS-84 geodetic ↔ ECEF ↔ a local east/north/up (ENU) tangent frame.
//!
//! The geodetic ↔ ECEF conversions come from `map_3d`, a dependency-free port of pymap3d (the
//! reference Python implementation most of the tracking community uses); ECEF → geodetic is
//! You's closed form with one Newton-like correction, accurate to well under a millimetre for
//! aircraft heights. The ENU rotation is written here so that a [`LocalFrame`] can cache it:
//! the tracker converts every observation, and `map_3d::ecef2enu` would recompute the origin's
//! ECEF position and eight trigonometric functions each time. Tests check the whole chain
//! against GeographicLib's `CartConvert` (values in the tests) and `map_3d`'s own ENU code.

use nalgebra::{Matrix3, Vector3};
use vigil_core::{Geodetic, LatLon};

/// ECEF coordinates (metres) of a geodetic point.
pub fn geodetic_to_ecef(g: &Geodetic) -> Vector3<f64> {
    let (x, y, z) = map_3d::geodetic2ecef(
        g.pos.lat.to_radians(),
        g.pos.lon.to_radians(),
        g.height_m,
        map_3d::Ellipsoid::WGS84,
    );
    Vector3::new(x, y, z)
}

/// The geodetic point of ECEF coordinates (metres). The centre of the Earth, where latitude
/// is undefined, gives NaN coordinates.
pub fn ecef_to_geodetic(p: &Vector3<f64>) -> Geodetic {
    let (lat, lon, h) = map_3d::ecef2geodetic(p.x, p.y, p.z, map_3d::Ellipsoid::WGS84);
    Geodetic {
        pos: LatLon::new(lat.to_degrees(), lon.to_degrees()),
        height_m: h,
    }
}

/// The rotation from ECEF to the ENU axes at a latitude / longitude: its rows are the local
/// east, north and up unit vectors expressed in ECEF.
pub fn ecef_to_enu_rotation(pos: &LatLon) -> Matrix3<f64> {
    let (sl, cl) = pos.lat.to_radians().sin_cos();
    let (so, co) = pos.lon.to_radians().sin_cos();
    Matrix3::new(
        -so,
        co,
        0.0, //
        -sl * co,
        -sl * so,
        cl, //
        cl * co,
        cl * so,
        sl,
    )
}

/// A local east/north/up Cartesian frame tangent to the WGS-84 ellipsoid at an origin (the
/// centre). Positions are metres from the origin; "up" is the ellipsoid normal at the origin,
/// so far from it "up" is not the local vertical (use [`LocalFrame::axes_at`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LocalFrame {
    origin: Geodetic,
    origin_ecef: Vector3<f64>,
    /// ECEF → ENU rotation at the origin.
    rot: Matrix3<f64>,
}

/// The origin of a frame was not a valid geodetic point.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[error("invalid frame origin {lat}, {lon}, {height_m} m")]
pub struct InvalidOrigin {
    /// Latitude given, degrees.
    pub lat: f64,
    /// Longitude given, degrees.
    pub lon: f64,
    /// Height given, metres.
    pub height_m: f64,
}

impl LocalFrame {
    /// The frame tangent at `origin`; the origin must be finite and in range, and not within
    /// a metre of a pole (where east is undefined).
    pub fn new(origin: Geodetic) -> Result<Self, InvalidOrigin> {
        let bad = InvalidOrigin {
            lat: origin.pos.lat,
            lon: origin.pos.lon,
            height_m: origin.height_m,
        };
        if !origin.pos.is_valid() || !origin.height_m.is_finite() || origin.pos.lat.abs() > 89.99999
        {
            return Err(bad);
        }
        Ok(Self {
            origin,
            origin_ecef: geodetic_to_ecef(&origin),
            rot: ecef_to_enu_rotation(&origin.pos),
        })
    }

    /// The origin.
    pub fn origin(&self) -> Geodetic {
        self.origin
    }

    /// ENU position of ECEF coordinates.
    pub fn ecef_to_enu(&self, ecef: &Vector3<f64>) -> Vector3<f64> {
        self.rot * (ecef - self.origin_ecef)
    }

    /// ECEF coordinates of an ENU position.
    pub fn enu_to_ecef(&self, enu: &Vector3<f64>) -> Vector3<f64> {
        self.rot.transpose() * enu + self.origin_ecef
    }

    /// ENU position of a geodetic point.
    pub fn geodetic_to_enu(&self, g: &Geodetic) -> Vector3<f64> {
        self.ecef_to_enu(&geodetic_to_ecef(g))
    }

    /// Geodetic point of an ENU position.
    pub fn enu_to_geodetic(&self, enu: &Vector3<f64>) -> Geodetic {
        ecef_to_geodetic(&self.enu_to_ecef(enu))
    }

    /// The local east, north and up unit vectors at `pos`, expressed in this frame: the rows
    /// of the returned matrix. Multiplying a vector of this frame by it gives its components
    /// in the local frame at `pos`; the transpose maps back (it is a rotation).
    pub fn axes_at(&self, pos: &LatLon) -> Matrix3<f64> {
        ecef_to_enu_rotation(pos) * self.rot.transpose()
    }

    /// The affine map from this frame to `other`: `p_other = a * p + b`.
    pub fn to_frame(&self, other: &LocalFrame) -> (Matrix3<f64>, Vector3<f64>) {
        let a = other.rot * self.rot.transpose();
        let b = other.rot * (self.origin_ecef - other.origin_ecef);
        (a, b)
    }
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

    /// Reference values printed by GeographicLib 2.1.2 `CartConvert -p 6` (Debian package
    /// geographiclib-tools): geodetic in, ECEF out.
    type Triple = (f64, f64, f64);

    const CARTCONVERT_ECEF: &[(Triple, Triple)] = &[
        (
            (33.3, 44.4, 6000.0),
            (3816209.604493, 3737108.550254, 3485109.572568),
        ),
        (
            (49.0097, 2.5479, 119.0),
            (4187554.914590, 186340.247634, 4791356.216289),
        ),
        ((0.0, 0.0, 0.0), (6378137.0, 0.0, 0.0)),
        (
            (-33.9, 151.2, 50.0),
            (-4643982.394683, 2553050.926178, -3537273.235161),
        ),
        (
            (89.9, -120.0, 10000.0),
            (-5593.422727, -9688.092352, 6366742.551878),
        ),
    ];

    #[test]
    fn geodetic_to_ecef_matches_geographiclib() {
        for &((lat, lon, h), (x, y, z)) in CARTCONVERT_ECEF {
            let e = geodetic_to_ecef(&g(lat, lon, h));
            let err = (e - Vector3::new(x, y, z)).norm();
            assert!(err < 1e-5, "{lat} {lon} {h}: off by {err} m");
            // And back: the inverse recovers the input to a micrometre-equivalent.
            let back = ecef_to_geodetic(&Vector3::new(x, y, z));
            assert!((back.pos.lat - lat).abs() < 1e-9, "lat {}", back.pos.lat);
            assert!((back.pos.lon - lon).abs() < 1e-9 || lat.abs() > 89.0);
            assert!((back.height_m - h).abs() < 1e-4, "h {}", back.height_m);
        }
    }

    /// `CartConvert -l 49.0 2.5 0 -p 6`: local cartesian (ENU) around a Paris-area centre.
    #[test]
    fn enu_matches_geographiclib_local_cartesian() {
        let frame = LocalFrame::new(g(49.0, 2.5, 0.0)).unwrap();
        let cases = [
            (
                (49.3, 4.0, 12000.0),
                (109289.360094, 34506.216919, 10973.880772),
            ),
            (
                (47.9, 1.9, 300.0),
                (-44862.960051, -122139.932942, -1028.270394),
            ),
        ];
        for ((lat, lon, h), (e, n, u)) in cases {
            let p = frame.geodetic_to_enu(&g(lat, lon, h));
            let err = (p - Vector3::new(e, n, u)).norm();
            assert!(err < 1e-5, "{lat} {lon}: off by {err} m: {p:?}");
        }
    }

    #[test]
    fn cached_rotation_agrees_with_map_3d() {
        let frame = LocalFrame::new(g(49.0, 2.5, 35.0)).unwrap();
        let p = g(48.2, 3.7, 9000.0);
        let ours = frame.geodetic_to_enu(&p);
        let (e, n, u) = map_3d::geodetic2enu(
            48.2f64.to_radians(),
            3.7f64.to_radians(),
            9000.0,
            49.0f64.to_radians(),
            2.5f64.to_radians(),
            35.0,
            map_3d::Ellipsoid::WGS84,
        );
        assert!((ours - Vector3::new(e, n, u)).norm() < 1e-6);
    }

    #[test]
    fn axes_at_origin_are_identity_and_rotate_elsewhere() {
        let frame = LocalFrame::new(g(49.0, 2.5, 0.0)).unwrap();
        let i = frame.axes_at(&LatLon::new(49.0, 2.5));
        assert!((i - Matrix3::identity()).norm() < 1e-12);
        // 2° of longitude east, local north leans west by about sin(lat)·Δλ (meridian
        // convergence): 1.51°.
        let a = frame.axes_at(&LatLon::new(49.0, 4.5));
        let north = a.row(1);
        let conv = (-north[0]).atan2(north[1]).to_degrees();
        assert!(
            (conv - 2.0 * 49f64.to_radians().sin()).abs() < 0.01,
            "{conv}"
        );
        assert!((a * a.transpose() - Matrix3::identity()).norm() < 1e-12);
    }

    #[test]
    fn frame_to_frame_equals_going_through_ecef() {
        let c = LocalFrame::new(g(49.0, 2.5, 0.0)).unwrap();
        let r = LocalFrame::new(g(48.0, 1.5, 150.0)).unwrap();
        let (a, b) = c.to_frame(&r);
        let p = Vector3::new(50_000.0, -20_000.0, 9_000.0);
        let direct = r.ecef_to_enu(&c.enu_to_ecef(&p));
        assert!((a * p + b - direct).norm() < 1e-6);
    }

    #[test]
    fn invalid_origins_are_refused() {
        for (lat, lon, h) in [
            (f64::NAN, 0.0, 0.0),
            (91.0, 0.0, 0.0),
            (90.0, 0.0, 0.0),
            (0.0, 0.0, f64::INFINITY),
        ] {
            assert!(LocalFrame::new(g(lat, lon, h)).is_err(), "{lat} {lon} {h}");
        }
    }

    proptest! {
        /// Geodetic → ECEF → geodetic round trip anywhere aircraft and missiles fly.
        #[test]
        fn ecef_round_trip(lat in -89.9f64..89.9, lon in -179.9f64..179.9, h in -500.0f64..100_000.0) {
            let p = g(lat, lon, h);
            let back = ecef_to_geodetic(&geodetic_to_ecef(&p));
            prop_assert!((back.pos.lat - lat).abs() < 1e-9);
            prop_assert!((back.pos.lon - lon).abs() < 1e-9);
            prop_assert!((back.height_m - h).abs() < 1e-5);
        }

        /// Geodetic → ENU → geodetic round trip within 1,000 km of a centre.
        #[test]
        fn enu_round_trip(
            lat0 in -70.0f64..70.0, lon0 in -179.0f64..179.0,
            dlat in -8.0f64..8.0, dlon in -8.0f64..8.0, h in 0.0f64..20_000.0,
        ) {
            let frame = LocalFrame::new(g(lat0, lon0, 0.0)).unwrap();
            let p = g(lat0 + dlat, (lon0 + dlon + 540.0) % 360.0 - 180.0, h);
            let enu = frame.geodetic_to_enu(&p);
            let back = frame.enu_to_geodetic(&enu);
            prop_assert!(back.pos.distance_m(&p.pos) < 1e-4);
            prop_assert!((back.height_m - h).abs() < 1e-4);
            // And the ENU → ECEF → ENU leg is exact to rounding.
            prop_assert!((frame.ecef_to_enu(&frame.enu_to_ecef(&enu)) - enu).norm() < 1e-6);
        }
    }
}
