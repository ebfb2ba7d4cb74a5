//! What the rules need from flight plans and airspace, as two small traits: the centre
//! implements them with `vigil-flightplan` corridors and `vigil-airspace` volumes (see
//! [`crate::adapters`]), and tests with plain geometry.

use std::sync::Arc;

use vigil_core::{IcaoAddress, LatLon, UnixTime};

use crate::view::Callsign;

/// Where a position lies relative to a planned route.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RouteDeviation {
    /// Distance from the route, metres (unsigned).
    pub cross_track_m: f64,
    /// Distance along the route to the nearest point on it, metres.
    pub along_track_m: f64,
}

/// A planned route (the 4-D corridor of a flight plan).
pub trait RouteCorridor: Send + Sync {
    /// Where `pos` lies relative to the route; `None` for a route without geometry.
    fn deviation(&self, pos: LatLon) -> Option<RouteDeviation>;
    /// The planned level at `along_track_m` along the route, feet.
    fn planned_level_ft(&self, along_track_m: f64) -> Option<f64>;
    /// Whether the route passes within `radius_m` of `pos`.
    fn passes_within(&self, pos: LatLon, radius_m: f64) -> bool;
}

/// Restricted areas.
pub trait RestrictedAreas: Send + Sync {
    /// The restricted area containing `pos` at `alt_ft`, if any (its identifier).
    fn restricted_at(&self, pos: LatLon, alt_ft: f64) -> Option<String>;
    /// The first restricted area the straight segment `from` → `to` at `alt_ft` enters, with
    /// the fraction of the segment at the entry.
    fn first_entry(&self, from: LatLon, to: LatLon, alt_ft: f64) -> Option<(String, f64)>;
}

/// A flight plan as the rules use it: identities to correlate with, times, and the corridor.
#[derive(Clone)]
pub struct PlannedFlight {
    /// A key naming the plan (callsign, departure, destination, date).
    pub key: String,
    /// Aircraft identification (field 7).
    pub callsign: Option<Callsign>,
    /// Assigned SSR code, one octal digit per nibble.
    pub ssr: Option<u16>,
    /// 24-bit address (field 18 CODE/).
    pub icao: Option<IcaoAddress>,
    /// Departure aerodrome.
    pub departure: String,
    /// Destination aerodrome.
    pub destination: String,
    /// Estimated off-block time.
    pub eobt: Option<UnixTime>,
    /// Actual departure time (DEP message).
    pub departed: Option<UnixTime>,
    /// Cruise level, feet.
    pub cruise_level_ft: Option<f64>,
    /// The corridor, when the route expanded.
    pub corridor: Option<Arc<dyn RouteCorridor>>,
}

impl std::fmt::Debug for PlannedFlight {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlannedFlight")
            .field("key", &self.key)
            .field("callsign", &self.callsign)
            .field("ssr", &self.ssr)
            .field("icao", &self.icao)
            .field("eobt", &self.eobt)
            .field("corridor", &self.corridor.is_some())
            .finish()
    }
}

/// Metres per nautical mile.
pub const NM: f64 = 1_852.0;
const EARTH_R: f64 = 6_371_008.8;

/// A local flat (equirectangular) frame around a point: accurate to well under 1 % within a
/// few hundred kilometres, which is all the look-ahead and corridor checks need.
#[derive(Debug, Clone, Copy)]
pub struct Flat {
    origin: LatLon,
    kx: f64,
    ky: f64,
}

impl Flat {
    /// The frame around `origin`.
    pub fn new(origin: LatLon) -> Self {
        // Metres per degree of latitude on the mean sphere.
        let ky = EARTH_R.to_radians();
        Flat {
            origin,
            kx: ky * origin.lat.to_radians().cos(),
            ky,
        }
    }

    /// East, north metres of `p`.
    pub fn xy(&self, p: LatLon) -> (f64, f64) {
        let mut dlon = p.lon - self.origin.lon;
        if dlon > 180.0 {
            dlon -= 360.0;
        } else if dlon < -180.0 {
            dlon += 360.0;
        }
        (dlon * self.kx, (p.lat - self.origin.lat) * self.ky)
    }

    /// The position at east, north metres.
    pub fn latlon(&self, x: f64, y: f64) -> LatLon {
        LatLon::new(self.origin.lat + y / self.ky, self.origin.lon + x / self.kx)
    }
}

/// Distance from point `p` to segment `a`–`b`, all in one flat frame, with the fraction along.
pub fn point_segment(p: (f64, f64), a: (f64, f64), b: (f64, f64)) -> (f64, f64) {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len2 = dx * dx + dy * dy;
    let f = if len2 > 0.0 {
        (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (x, y) = (a.0 + f * dx, a.1 + f * dy);
    ((p.0 - x).hypot(p.1 - y), f)
}
