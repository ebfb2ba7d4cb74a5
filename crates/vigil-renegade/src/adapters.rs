//! The rules' two traits implemented with the centre's real data: `vigil-flightplan`
//! corridors for the planned routes, `vigil-airspace` volumes for the restricted areas; and the
//! flight-plan book turned into the plans the rules correlate with.

use std::sync::Arc;

use vigil_airspace::{Airspace, PathPoint, VolumeKind};
use vigil_core::{LatLon, UnixTime};
use vigil_flightplan::{Corridor, FlightPlanBook, NavData};

use crate::context::{PlannedFlight, RestrictedAreas, RouteCorridor, RouteDeviation};
use crate::view::Callsign;

impl RouteCorridor for Corridor {
    fn deviation(&self, pos: LatLon) -> Option<RouteDeviation> {
        if self.points().len() < 2 {
            return None;
        }
        let d = self.cross_track(pos);
        Some(RouteDeviation {
            cross_track_m: d.cross_track_m,
            along_track_m: d.along_track_m,
        })
    }

    fn planned_level_ft(&self, along_track_m: f64) -> Option<f64> {
        Corridor::planned_level_ft(self, along_track_m)
    }

    fn passes_within(&self, pos: LatLon, radius_m: f64) -> bool {
        self.points().len() >= 2 && self.cross_track(pos).cross_track_m <= radius_m
    }
}

/// The restricted areas of an [`Airspace`], with their bounding boxes and altitude bands
/// kept aside: most look-ahead segments miss every area, and a box test rejects them before
/// the exact (sampled) entry search.
#[derive(Debug, Clone)]
pub struct AirspaceAreas {
    airspace: Arc<Airspace>,
    /// (south-west, north-east, lower ft, upper ft) of every restricted area.
    boxes: Vec<(LatLon, LatLon, f64, f64)>,
}

impl AirspaceAreas {
    /// The restricted areas of `airspace`.
    pub fn new(airspace: Arc<Airspace>) -> Self {
        let boxes = airspace
            .volumes()
            .iter()
            .filter(|v| v.kind == VolumeKind::Restricted)
            .map(|v| {
                let (sw, ne) = v.bounds();
                (sw, ne, v.lower_ft, v.upper_ft)
            })
            .collect();
        AirspaceAreas { airspace, boxes }
    }

    /// The airspace.
    pub fn airspace(&self) -> &Arc<Airspace> {
        &self.airspace
    }

    fn may_touch(&self, from: LatLon, to: LatLon, alt_ft: f64) -> bool {
        let (s, n) = (from.lat.min(to.lat), from.lat.max(to.lat));
        let (w, e) = (from.lon.min(to.lon), from.lon.max(to.lon));
        // Degrees of longitude are shorter than of latitude: compare in a flat frame scaled
        // at the segment's latitude.
        let k = from.lat.to_radians().cos();
        self.boxes.iter().any(|(sw, ne, lo, hi)| {
            if !(alt_ft >= *lo && alt_ft <= *hi) {
                return false;
            }
            if !(s <= ne.lat && n >= sw.lat && w <= ne.lon && e >= sw.lon) {
                return false;
            }
            // The segment must come within the box's circumscribed circle.
            let (cy, cx) = ((sw.lat + ne.lat) / 2.0, (sw.lon + ne.lon) / 2.0 * k);
            let r2 = ((ne.lat - sw.lat) / 2.0).powi(2) + ((ne.lon - sw.lon) / 2.0 * k).powi(2);
            let (ax, ay, bx, by) = (from.lon * k, from.lat, to.lon * k, to.lat);
            let (dx, dy) = (bx - ax, by - ay);
            let len2 = dx * dx + dy * dy;
            let f = if len2 > 0.0 {
                (((cx - ax) * dx + (cy - ay) * dy) / len2).clamp(0.0, 1.0)
            } else {
                0.0
            };
            (ax + f * dx - cx).powi(2) + (ay + f * dy - cy).powi(2) <= r2
        })
    }
}

impl RestrictedAreas for AirspaceAreas {
    fn restricted_at(&self, pos: LatLon, alt_ft: f64) -> Option<String> {
        if !self.may_touch(pos, pos, alt_ft) {
            return None;
        }
        self.airspace
            .restricted_at(pos, alt_ft)
            .next()
            .map(|v| v.id.clone())
    }

    fn first_entry(&self, from: LatLon, to: LatLon, alt_ft: f64) -> Option<(String, f64)> {
        if !self.may_touch(from, to, alt_ft) {
            return None;
        }
        let path = [
            PathPoint::new(0.0, from, alt_ft),
            PathPoint::new(1.0, to, alt_ft),
        ];
        self.airspace
            .restricted_entries(&path)
            .into_iter()
            .find(|e| !e.inside_at_start)
            .map(|e| (e.id, e.t))
    }
}

/// The open plans of `book` as the rules use them, each with its corridor when `nav` can
/// expand its route (a route that does not expand is kept without corridor, and the reason
/// returned: the rules that need the route then stay silent for that flight). `reference_day`
/// dates plans without `DOF/`.
pub fn planned_flights(
    book: &FlightPlanBook,
    nav: Option<&NavData>,
    reference_day: UnixTime,
) -> (Vec<PlannedFlight>, Vec<String>) {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (_, e) in book.entries() {
        if !e.status.is_open() {
            continue;
        }
        let p = &e.plan;
        let corridor: Option<Arc<dyn RouteCorridor>> = match nav {
            Some(nav) => match Corridor::from_plan(p, nav) {
                Ok((c, _warnings)) => Some(Arc::new(c)),
                Err(err) => {
                    problems.push(format!("{}: route not expanded: {err}", p.callsign));
                    None
                }
            },
            None => None,
        };
        let start = e.start_unix(reference_day);
        let key = match p.dof() {
            Some(d) => format!(
                "{} {}-{} {:02}{:02}{:02}",
                p.callsign,
                p.departure,
                p.destination,
                d.year % 100,
                d.month,
                d.day
            ),
            None => format!("{} {}-{}", p.callsign, p.departure, p.destination),
        };
        out.push(PlannedFlight {
            key,
            callsign: Callsign::new(&p.callsign),
            ssr: p.ssr.map(|s| s.code),
            icao: p.address(),
            departure: p.departure.clone(),
            destination: p.destination.clone(),
            eobt: start,
            departed: e.atd.and(start),
            cruise_level_ft: p.level.feet(),
            corridor,
        });
    }
    (out, problems)
}
