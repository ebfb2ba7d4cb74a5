//! Where a radar plot is on the map: slant range and azimuth from the antenna to latitude and
//! longitude, on a sphere.
//!
//! For display and status only (`/data/radar.json`). The tracker gets the polar measurement
//! itself with its covariance in the radar's frame; a spherical Earth is off by a few tenths
//! of a percent of the range, well inside a radar's own range and azimuth noise at display
//! scales.

use vigil_core::{Geodetic, LatLon};

/// The sphere's radius, metres.
const R: f64 = LatLon::EARTH_RADIUS_M;

/// The ground position of a plot at slant range `range_m` and azimuth `azimuth_rad` (clockwise
/// from true north) from `origin`, for a target at `target_height_m` above the ellipsoid.
/// Without a target height the target is taken at the antenna's height (the slant range is
/// then the chord between the two).
pub fn plot_position(
    origin: &Geodetic,
    range_m: f64,
    azimuth_rad: f64,
    target_height_m: Option<f64>,
) -> LatLon {
    let a = R + origin.height_m;
    let b = R + target_height_m.unwrap_or(origin.height_m);
    // Law of cosines in the triangle (Earth's centre, antenna, target). A slant range shorter
    // than the height difference is impossible geometry (a wrong altitude): clamp to directly
    // above the antenna rather than return NaN.
    let cos_gamma = ((a * a + b * b - range_m * range_m) / (2.0 * a * b)).clamp(-1.0, 1.0);
    destination(origin.pos, azimuth_rad, cos_gamma.acos())
}

/// The point at central angle `delta` (radians) from `from` on the initial bearing
/// `bearing_rad`, on the sphere.
pub fn destination(from: LatLon, bearing_rad: f64, delta: f64) -> LatLon {
    let (lat1, lon1) = (from.lat.to_radians(), from.lon.to_radians());
    let lat2 = (lat1.sin() * delta.cos() + lat1.cos() * delta.sin() * bearing_rad.cos()).asin();
    let lon2 = lon1
        + (bearing_rad.sin() * delta.sin() * lat1.cos())
            .atan2(delta.cos() - lat1.sin() * lat2.sin());
    let lon = (lon2.to_degrees() + 540.0).rem_euclid(360.0) - 180.0;
    LatLon::new(lat2.to_degrees(), lon)
}

/// Metres per degree of latitude and of longitude at `lat` degrees, on the sphere.
pub fn metres_per_degree(lat: f64) -> (f64, f64) {
    let m = R.to_radians();
    (m, m * lat.to_radians().cos())
}

/// East and north components of a speed along a course (degrees clockwise from north).
pub fn east_north(speed: f64, course_deg: f64) -> (f64, f64) {
    let c = course_deg.to_radians();
    (speed * c.sin(), speed * c.cos())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(lat: f64, lon: f64, height_m: f64) -> Geodetic {
        Geodetic {
            pos: LatLon::new(lat, lon),
            height_m,
        }
    }

    #[test]
    fn a_plot_100_km_north_is_0_9_degrees_north() {
        let o = at(45.0, 16.0, 0.0);
        let p = plot_position(&o, 100_000.0, 0.0, None);
        assert!((p.lat - 45.8993).abs() < 1e-3, "{p:?}");
        assert!((p.lon - 16.0).abs() < 1e-9);
        // Ground distance matches the range to within the chord / arc difference.
        assert!((o.pos.distance_m(&p) - 100_000.0).abs() < 2.0);
    }

    #[test]
    fn height_shortens_the_ground_range() {
        let o = at(45.0, 16.0, 0.0);
        // 100 km slant range to a target at 10 km: ground range about sqrt(100² - 10²) km,
        // a little more for the Earth's curvature.
        let p = plot_position(&o, 100_000.0, 90f64.to_radians(), Some(10_000.0));
        let d = o.pos.distance_m(&p);
        assert!((d - 99_000.0).abs() < 1_000.0, "{d}");
        assert!(p.lon > 16.0 && (p.lat - 45.0).abs() < 0.02, "{p:?}");
        // Impossible geometry (range below the height difference) stays finite.
        let q = plot_position(&o, 1_000.0, 0.0, Some(10_000.0));
        assert!(q.is_valid() && o.pos.distance_m(&q) < 1.0);
    }

    #[test]
    fn longitude_wraps_at_the_antimeridian() {
        let p = destination(
            LatLon::new(0.0, 179.9),
            90f64.to_radians(),
            0.5f64.to_radians(),
        );
        assert!((p.lon + 179.6).abs() < 1e-9, "{p:?}");
    }

    #[test]
    fn east_north_of_a_course() {
        let (e, n) = east_north(10.0, 90.0);
        assert!((e - 10.0).abs() < 1e-12 && n.abs() < 1e-12);
    }
}
