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
    fn paris_to_warsaw_is_about_1370_km() {
        let cdg = LatLon::new(49.0097, 2.5479);
        let waw = LatLon::new(52.1657, 20.9671);
        let d = cdg.distance_m(&waw) / 1000.0;
        assert!((d - 1_370.0).abs() < 30.0, "got {d} km");
    }
}
