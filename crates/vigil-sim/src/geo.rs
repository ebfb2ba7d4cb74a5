//! Spherical geometry for the integrator: great-circle steps, bearings and small local
//! offsets. The sphere has the IUGG mean radius ([`LatLon::EARTH_RADIUS_M`]), the same one
//! [`LatLon::distance_m`] uses, so a step of `d` metres moves `distance_m` by `d`.

use vigil_core::LatLon;

const R: f64 = LatLon::EARTH_RADIUS_M;

/// Metres per second in one knot.
pub const MPS_PER_KT: f64 = 1852.0 / 3600.0;

/// Metres in one foot.
pub const M_PER_FT: f64 = 0.3048;

/// Metres in one nautical mile.
pub const M_PER_NM: f64 = 1852.0;

/// Wraps an angle in degrees to `[0, 360)`.
pub fn wrap360(deg: f64) -> f64 {
    let d = deg.rem_euclid(360.0);
    // rem_euclid can return 360.0 for tiny negative inputs.
    if d >= 360.0 { 0.0 } else { d }
}

/// Wraps an angle difference in degrees to `(-180, 180]`.
pub fn wrap180(deg: f64) -> f64 {
    let d = wrap360(deg);
    if d > 180.0 { d - 360.0 } else { d }
}

/// Initial great-circle bearing from `a` to `b`, degrees in `[0, 360)`.
pub fn bearing_deg(a: LatLon, b: LatLon) -> f64 {
    let (p1, p2) = (a.lat.to_radians(), b.lat.to_radians());
    let dl = (b.lon - a.lon).to_radians();
    let y = dl.sin() * p2.cos();
    let x = p1.cos() * p2.sin() - p1.sin() * p2.cos() * dl.cos();
    wrap360(y.atan2(x).to_degrees())
}

/// The point `dist_m` from `from` along the great circle leaving it on `bearing`, and the
/// bearing of that great circle on arrival (it changes along the way except on meridians and
/// the equator).
pub fn destination(from: LatLon, bearing: f64, dist_m: f64) -> (LatLon, f64) {
    let d = dist_m / R;
    let th = bearing.to_radians();
    let p1 = from.lat.to_radians();
    let l1 = from.lon.to_radians();
    let p2 = (p1.sin() * d.cos() + p1.cos() * d.sin() * th.cos()).asin();
    let l2 = l1 + (th.sin() * d.sin() * p1.cos()).atan2(d.cos() - p1.sin() * p2.sin());
    let to = LatLon::new(p2.to_degrees(), wrap180(l2.to_degrees()));
    // Arrival bearing: the reverse of the initial bearing from the destination, turned round.
    let arrive = if dist_m > 0.0 {
        wrap360(bearing_deg(to, from) + 180.0)
    } else {
        wrap360(bearing)
    };
    (to, arrive)
}

/// East and north offsets in metres of `p` from `origin` (local tangent plane; good to a
/// fraction of a percent within a few tens of kilometres, which is where it is used).
pub fn enu_offset(origin: LatLon, p: LatLon) -> (f64, f64) {
    let n = (p.lat - origin.lat).to_radians() * R;
    let e = wrap180(p.lon - origin.lon).to_radians() * R * origin.lat.to_radians().cos();
    (e, n)
}

/// The point `east`, `north` metres from `origin` (inverse of [`enu_offset`]).
pub fn from_enu(origin: LatLon, east: f64, north: f64) -> LatLon {
    let lat = origin.lat + (north / R).to_degrees();
    let lon = origin.lon + (east / (R * origin.lat.to_radians().cos())).to_degrees();
    LatLon::new(lat, wrap180(lon))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn destination_moves_the_distance_asked() {
        let a = LatLon::new(50.0777, 19.7848);
        for brg in [0.0, 45.0, 90.0, 180.0, 271.0] {
            let (b, _) = destination(a, brg, 12_345.0);
            assert!((a.distance_m(&b) - 12_345.0).abs() < 0.01);
            assert!(wrap180(bearing_deg(a, b) - brg).abs() < 1e-6);
        }
    }

    #[test]
    fn enu_round_trips() {
        let o = LatLon::new(54.4, 20.5);
        let p = from_enu(o, 1000.0, -2500.0);
        let (e, n) = enu_offset(o, p);
        assert!((e - 1000.0).abs() < 1e-6 && (n + 2500.0).abs() < 1e-6);
    }

    #[test]
    fn wraps() {
        assert_eq!(wrap180(190.0), -170.0);
        assert_eq!(wrap180(-180.0), 180.0);
        assert_eq!(wrap360(-10.0), 350.0);
    }
}
