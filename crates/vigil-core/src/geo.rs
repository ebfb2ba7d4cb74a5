//! Geographic positions.

use serde::{Deserialize, Serialize};

/// A WGS-84 latitude / longitude in decimal degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LatLon {
    /// Latitude, degrees north, in -90..=90.
    pub lat: f64,
    /// Longitude, degrees east, in -180..180.
    pub lon: f64,
}

impl LatLon {
    /// Mean Earth radius used for great-circle distances (IUGG mean radius), in metres.
    pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

    /// A position from degrees.
    pub const fn new(lat: f64, lon: f64) -> Self {
        Self { lat, lon }
    }

    /// Great-circle (haversine) distance to `other`, in metres.
    pub fn distance_m(&self, other: &LatLon) -> f64 {
        let (p1, p2) = (self.lat.to_radians(), other.lat.to_radians());
        let dp = p2 - p1;
        let dl = (other.lon - self.lon).to_radians();
        let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
        2.0 * Self::EARTH_RADIUS_M * a.sqrt().atan2((1.0 - a).sqrt())
    }

    /// The point `dist_m` from here along the great circle leaving on the initial true
    /// bearing `bearing_deg` (on the mean sphere of [`LatLon::distance_m`]).
    pub fn destination(&self, bearing_deg: f64, dist_m: f64) -> LatLon {
        let d = dist_m / Self::EARTH_RADIUS_M;
        let (p1, l1, th) = (
            self.lat.to_radians(),
            self.lon.to_radians(),
            bearing_deg.to_radians(),
        );
        let p2 = (p1.sin() * d.cos() + p1.cos() * d.sin() * th.cos())
            .clamp(-1.0, 1.0)
            .asin();
        let l2 = l1 + (th.sin() * d.sin() * p1.cos()).atan2(d.cos() - p1.sin() * p2.sin());
        let lon = (l2.to_degrees() + 540.0).rem_euclid(360.0) - 180.0;
        LatLon::new(p2.to_degrees(), lon)
    }

    /// Whether both coordinates are finite and in range.
    pub fn is_valid(&self) -> bool {
        self.lat.is_finite()
            && self.lon.is_finite()
            && (-90.0..=90.0).contains(&self.lat)
            && (-180.0..=180.0).contains(&self.lon)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destination_is_at_the_distance_and_bearing_asked() {
        let cdg = LatLon::new(49.0097, 2.5479);
        for (bearing, dist) in [(0.0, 100_000.0), (90.0, 1_000.0), (233.0, 1_500_000.0)] {
            let p = cdg.destination(bearing, dist);
            assert!(
                (cdg.distance_m(&p) - dist).abs() < 1e-6 * dist,
                "{bearing} {dist}"
            );
        }
        // Due north keeps the meridian; across the antimeridian the longitude wraps.
        assert!((cdg.destination(0.0, 50_000.0).lon - cdg.lon).abs() < 1e-9);
        let p = LatLon::new(0.0, 179.9).destination(90.0, 50_000.0);
        assert!(p.lon < -179.0 && p.is_valid(), "{p:?}");
    }

    #[test]
    fn paris_to_warsaw_is_about_1370_km() {
        let cdg = LatLon::new(49.0097, 2.5479);
        let waw = LatLon::new(52.1657, 20.9671);
        let d = cdg.distance_m(&waw) / 1000.0;
        assert!((d - 1_370.0).abs() < 30.0, "got {d} km");
    }
}
