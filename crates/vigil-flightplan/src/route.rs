//! Route expansion: a plan's field 15 into a polyline of named positions ([`expand`]), and
//! that polyline into a 4D [`Corridor`] (planned level and time along the route) that the
//! renegade engine measures tracks against.

use std::fmt;

use vigil_core::LatLon;

use crate::ats::{FlightPlan, Level, Speed, parse_speed_level};
use crate::navdata::{NavData, NavaidKind, WaypointKind};

const NM: f64 = 1_852.0;

/// What a route point is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PointKind {
    /// The departure or destination aerodrome (or its `DEP/`/`DEST/` coordinates).
    Aerodrome,
    /// A named fix.
    Fix,
    /// A radio navaid.
    Navaid(NavaidKind),
    /// A point given as coordinates in the route (`52N020E`).
    Coordinates,
    /// A point given as bearing and distance from a named point (`WAR180060`).
    BearingDistance,
}

/// One point of an expanded route.
#[derive(Debug, Clone, PartialEq)]
pub struct RoutePoint {
    /// Name as in the route, or the airway point's ident.
    pub name: String,
    /// Position.
    pub pos: LatLon,
    /// What it is.
    pub kind: PointKind,
    /// The airway by which this point is reached, if any.
    pub via: Option<String>,
    /// A speed / level change filed at this point (`SOXER/N0450F380`).
    pub change: Option<(Speed, Level)>,
}

/// Something in the route that was tolerated rather than followed exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteWarning {
    /// The airway is not in the navigation data: flown direct.
    AirwayNotFound {
        /// Airway name.
        airway: String,
    },
    /// The airway exists but does not join the two points: flown direct.
    AirwayDoesNotJoin {
        /// Airway name.
        airway: String,
        /// Entry point.
        from: String,
        /// Exit point (or next airway).
        to: String,
    },
    /// A SID, STAR or aerodrome procedure element was skipped.
    ProcedureSkipped(String),
    /// An element that is not followed (cruise climb `C/...`, `STAY`, ...) was skipped.
    ElementSkipped(String),
    /// `T`: the rest of the route was truncated; flown direct to the destination.
    Truncated,
}

impl fmt::Display for RouteWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RouteWarning::AirwayNotFound { airway } => {
                write!(f, "airway {airway} not in navigation data: flown direct")
            }
            RouteWarning::AirwayDoesNotJoin { airway, from, to } => {
                write!(
                    f,
                    "airway {airway} does not join {from} and {to}: flown direct"
                )
            }
            RouteWarning::ProcedureSkipped(p) => write!(f, "procedure {p} skipped"),
            RouteWarning::ElementSkipped(e) => write!(f, "element {e} skipped"),
            RouteWarning::Truncated => f.write_str("route truncated (T): direct to destination"),
        }
    }
}

/// A route could not be expanded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    /// The departure or destination aerodrome is not in the navigation data (and no
    /// coordinates were filed in `DEP/` / `DEST/`).
    #[error("aerodrome '{0}' is not in the navigation data")]
    UnknownAerodrome(String),
    /// A route element names no known point, airway or procedure.
    #[error("route element {index} '{element}' is not a known point, airway or procedure")]
    UnknownElement {
        /// The element as filed.
        element: String,
        /// Its 0-based position among the route elements.
        index: usize,
    },
    /// A route element is malformed (e.g. a bad speed/level change).
    #[error("route element {index} '{element}': {message}")]
    BadElement {
        /// The element as filed.
        element: String,
        /// Its 0-based position.
        index: usize,
        /// What is wrong.
        message: String,
    },
}

/// A route expanded into points, from the departure to the destination aerodrome.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpandedRoute {
    /// The points, first the departure aerodrome, last the destination.
    pub points: Vec<RoutePoint>,
    /// What was tolerated.
    pub warnings: Vec<RouteWarning>,
    /// Initial cruising speed.
    pub speed: Speed,
    /// Initial cruising level.
    pub level: Level,
}

impl ExpandedRoute {
    /// Sum of the great-circle legs, in metres.
    pub fn length_m(&self) -> f64 {
        self.points
            .windows(2)
            .map(|w| w[0].pos.distance_m(&w[1].pos))
            .sum()
    }
}

/// Coordinates in the forms of field 15: `52N020E`, `5220N02100E`, `522030N0210015E`.
pub fn parse_coordinates(s: &str) -> Option<LatLon> {
    let b = s.as_bytes();
    let ns = b.iter().position(|&c| c == b'N' || c == b'S')?;
    let (lat_d, lon_d) = (&b[..ns], &b[ns + 1..]);
    let (&ew, lon_d) = lon_d.split_last()?;
    if !matches!(ew, b'E' | b'W')
        || !matches!(lat_d.len(), 2 | 4 | 6)
        || lon_d.len() != lat_d.len() + 1
    {
        return None;
    }
    if !lat_d.iter().chain(lon_d).all(u8::is_ascii_digit) {
        return None;
    }
    let val = |d: &[u8]| d.iter().fold(0u32, |a, &c| a * 10 + u32::from(c - b'0'));
    let dms = |d: &[u8], deg_len: usize| -> Option<f64> {
        let deg = f64::from(val(&d[..deg_len]));
        let rest = &d[deg_len..];
        let min = if rest.len() >= 2 { val(&rest[..2]) } else { 0 };
        let sec = if rest.len() >= 4 { val(&rest[2..4]) } else { 0 };
        (min < 60 && sec < 60).then(|| deg + f64::from(min) / 60.0 + f64::from(sec) / 3_600.0)
    };
    let lat = dms(lat_d, 2)?;
    let lon = dms(lon_d, 3)?;
    let p = LatLon::new(
        if b[ns] == b'S' { -lat } else { lat },
        if ew == b'W' { -lon } else { lon },
    );
    p.is_valid().then_some(p)
}

/// The point at `distance_m` from `from` on the initial true bearing `bearing_deg`.
pub fn destination_point(from: LatLon, bearing_deg: f64, distance_m: f64) -> LatLon {
    from.destination(bearing_deg, distance_m)
}

fn is_airway_name(s: &str) -> bool {
    // One or two letters (U, K, S prefixes included), digits, an optional final letter:
    // L621, UL621, N869, Y52, UN869, A1, W6, UM860A.
    let b = s.as_bytes();
    let letters = b.iter().take_while(|c| c.is_ascii_uppercase()).count();
    let digits = b[letters..]
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .count();
    let tail = b.len() - letters - digits;
    (1..=3).contains(&letters)
        && (1..=4).contains(&digits)
        && tail <= 1
        && (tail == 0 || b[b.len() - 1].is_ascii_uppercase())
}

fn is_procedure_name(s: &str) -> bool {
    // SID/STAR designators: letters, one digit, an optional letter (SOXE2G, ODRA1C, KOPAG3).
    let b = s.as_bytes();
    let letters = b.iter().take_while(|c| c.is_ascii_uppercase()).count();
    let rest = &b[letters..];
    (2..=6).contains(&letters)
        && matches!(rest, [d] | [d, _] if d.is_ascii_digit())
        && rest.get(1).is_none_or(u8::is_ascii_uppercase)
}

/// Bearing/distance from a named point: `WAR180060` (ident, 3-digit bearing in degrees,
/// 3-digit distance in NM).
fn parse_bearing_distance(s: &str) -> Option<(&str, f64, f64)> {
    if s.len() < 8 || !s.is_ascii() {
        return None;
    }
    let (name, nums) = s.split_at(s.len() - 6);
    if !(2..=5).contains(&name.len())
        || !name.bytes().all(|c| c.is_ascii_uppercase())
        || !nums.bytes().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let bearing: f64 = nums[..3].parse().ok()?;
    let dist: f64 = nums[3..].parse().ok()?;
    (bearing <= 360.0).then_some((name, bearing, dist))
}

/// Departure or destination position: the aerodrome, or for `ZZZZ`/`AFIL` the coordinates
/// in `DEP/` or `DEST/`.
fn aerodrome_point(
    icao: &str,
    other: Option<&str>,
    nav: &NavData,
) -> Result<RoutePoint, RouteError> {
    if let Some(a) = nav.airport(icao) {
        return Ok(RoutePoint {
            name: icao.to_owned(),
            pos: a.pos,
            kind: PointKind::Aerodrome,
            via: None,
            change: None,
        });
    }
    let coords = other.and_then(|v| v.split_ascii_whitespace().find_map(parse_coordinates));
    match coords {
        Some(pos) => Ok(RoutePoint {
            name: icao.to_owned(),
            pos,
            kind: PointKind::Aerodrome,
            via: None,
            change: None,
        }),
        None => Err(RouteError::UnknownAerodrome(icao.to_owned())),
    }
}

/// Expands a plan's route (field 15) from departure to destination aerodrome.
pub fn expand(plan: &FlightPlan, nav: &NavData) -> Result<ExpandedRoute, RouteError> {
    let dep = aerodrome_point(&plan.departure, plan.other.get("DEP"), nav)?;
    let dest = aerodrome_point(&plan.destination, plan.other.get("DEST"), nav)?;
    expand_between(dep, &plan.route, dest, plan.speed, plan.level, nav)
}

struct Builder<'n> {
    nav: &'n NavData,
    points: Vec<RoutePoint>,
    warnings: Vec<RouteWarning>,
    /// The airway named since the last point, waiting for its exit point.
    airway: Option<String>,
}

impl Builder<'_> {
    fn last(&self) -> &RoutePoint {
        // Invariant: `points` starts with the departure aerodrome and never shrinks.
        &self.points[self.points.len() - 1]
    }

    fn push(&mut self, p: RoutePoint) {
        let last = self.last();
        if last.name == p.name && last.pos.distance_m(&p.pos) < 1_000.0 {
            // The same point twice (an airway's exit named again): keep one, with any change.
            if p.change.is_some() {
                let n = self.points.len() - 1;
                self.points[n].change = p.change;
            }
            return;
        }
        self.points.push(p);
    }

    /// Reaches point `p` (named `name`), along the pending airway if any.
    fn reach(&mut self, mut p: RoutePoint) {
        if let Some(awy) = self.airway.take() {
            let last = self.last();
            match self.nav.airway_path(&awy, &last.name, last.pos, &p.name) {
                Some(path) => {
                    let n = path.len();
                    for (i, ap) in path.into_iter().enumerate() {
                        if i + 1 == n {
                            // The exit point: its airway position, with the filed change.
                            p.pos = ap.pos;
                            p.via = Some(awy.clone());
                            break;
                        }
                        let kind = match self.nav.nearest(&ap.ident, ap.pos).map(|w| w.kind) {
                            Some(WaypointKind::Navaid(k)) => PointKind::Navaid(k),
                            _ => PointKind::Fix,
                        };
                        self.push(RoutePoint {
                            name: ap.ident,
                            pos: ap.pos,
                            kind,
                            via: Some(awy.clone()),
                            change: None,
                        });
                    }
                }
                None => self.warnings.push(RouteWarning::AirwayDoesNotJoin {
                    airway: awy,
                    from: last.name.clone(),
                    to: p.name.clone(),
                }),
            }
        }
        self.push(p);
    }

    /// An airway named right after another (`L621 N869`): follow the first to where it meets
    /// the second.
    fn junction(&mut self, next: &str) {
        let Some(awy) = self.airway.take() else {
            return;
        };
        let last = self.last();
        match self.nav.airway_junction(&awy, &last.name, last.pos, next) {
            Some(path) => {
                for ap in path {
                    self.push(RoutePoint {
                        name: ap.ident,
                        pos: ap.pos,
                        kind: PointKind::Fix,
                        via: Some(awy.clone()),
                        change: None,
                    });
                }
            }
            None => self.warnings.push(RouteWarning::AirwayDoesNotJoin {
                airway: awy,
                from: last.name.clone(),
                to: next.to_owned(),
            }),
        }
    }

    fn close_airway(&mut self, to: &str) {
        if let Some(awy) = self.airway.take() {
            let from = self.last().name.clone();
            self.warnings.push(RouteWarning::AirwayDoesNotJoin {
                airway: awy,
                from,
                to: to.to_owned(),
            });
        }
    }
}

/// Expands `route` (field 15 elements after speed and level) between two given end points.
pub fn expand_between(
    departure: RoutePoint,
    route: &str,
    destination: RoutePoint,
    speed: Speed,
    level: Level,
    nav: &NavData,
) -> Result<ExpandedRoute, RouteError> {
    let mut b = Builder {
        nav,
        points: vec![departure],
        warnings: Vec::new(),
        airway: None,
    };
    let elements: Vec<&str> = route.split_ascii_whitespace().collect();
    for (index, &element) in elements.iter().enumerate() {
        let bad = |message: String| RouteError::BadElement {
            element: element.to_owned(),
            index,
            message,
        };
        if element.starts_with("C/") {
            // Cruise climb: its start point and levels are not followed; the climb is flown
            // from the point before.
            b.warnings
                .push(RouteWarning::ElementSkipped(element.to_owned()));
            continue;
        }
        let (name, change) = match element.split_once('/') {
            Some((n, c)) => (n, Some(parse_speed_level(c).map_err(bad)?)),
            None => (element, None),
        };
        match name {
            "DCT" => {
                b.close_airway(name);
                continue;
            }
            "VFR" | "IFR" | "OAT" | "GAT" | "IFPSTOP" | "IFPSTART" => continue,
            "T" => {
                b.close_airway(&destination.name);
                b.warnings.push(RouteWarning::Truncated);
                break;
            }
            _ => {}
        }
        if name == destination.name || name == b.points[0].name {
            b.warnings
                .push(RouteWarning::ProcedureSkipped(element.to_owned()));
            continue;
        }
        let point = |name: &str, pos, kind| RoutePoint {
            name: name.to_owned(),
            pos,
            kind,
            via: None,
            change,
        };
        if let Some(pos) = parse_coordinates(name) {
            b.reach(point(name, pos, PointKind::Coordinates));
            continue;
        }
        let last_pos = b.last().pos;
        let is_airway =
            nav.has_airway(name) && (is_airway_name(name) || nav.nearest(name, last_pos).is_none());
        if is_airway && change.is_none() {
            if b.airway.is_some() {
                b.junction(name);
            }
            b.airway = Some(name.to_owned());
            continue;
        }
        if let Some(w) = nav.nearest(name, last_pos) {
            let kind = match w.kind {
                WaypointKind::Fix => PointKind::Fix,
                WaypointKind::Navaid(k) => PointKind::Navaid(k),
                WaypointKind::Airport => PointKind::Aerodrome,
            };
            b.reach(point(name, w.pos, kind));
            continue;
        }
        if let Some((ref_name, bearing, dist)) = parse_bearing_distance(name)
            && let Some(w) = nav.nearest(ref_name, last_pos)
        {
            // Bearings in routes are magnetic; variation (a few degrees over Europe) is
            // ignored, which moves the point by dist * sin(variation), well inside the
            // corridor tolerance for the usual distances under 100 NM.
            let pos = destination_point(w.pos, bearing, dist * NM);
            b.reach(point(name, pos, PointKind::BearingDistance));
            continue;
        }
        // First or last, a designator such as GDA1A is a SID or STAR (an airway there would
        // have no entry or exit point).
        if is_procedure_name(name) && (index == 0 || index + 1 == elements.len()) {
            b.warnings
                .push(RouteWarning::ProcedureSkipped(element.to_owned()));
            continue;
        }
        if is_airway_name(name) && change.is_none() {
            b.close_airway(name);
            b.warnings.push(RouteWarning::AirwayNotFound {
                airway: name.to_owned(),
            });
            continue;
        }
        return Err(RouteError::UnknownElement {
            element: element.to_owned(),
            index,
        });
    }
    b.close_airway(&destination.name);
    b.push(destination);
    Ok(ExpandedRoute {
        points: b.points,
        warnings: b.warnings,
        speed,
        level,
    })
}

// ---------------------------------------------------------------------------------------------
// The 4D corridor.

/// How the vertical and time profiles are built.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProfileOptions {
    /// Departure aerodrome elevation, feet.
    pub departure_elevation_ft: f64,
    /// Destination aerodrome elevation, feet.
    pub destination_elevation_ft: f64,
    /// Distance over which the climb to the first cruise level is planned (100 NM).
    pub climb_m: f64,
    /// Distance over which the descent to the destination is planned (100 NM).
    pub descent_m: f64,
    /// Total EET from field 16: when given, planned times are scaled to end at it (it
    /// includes the wind, climb and descent the operator planned, which cruise speed alone
    /// does not).
    pub total_eet_s: Option<f64>,
}

impl Default for ProfileOptions {
    fn default() -> Self {
        Self {
            departure_elevation_ft: 0.0,
            destination_elevation_ft: 0.0,
            climb_m: 100.0 * NM,
            descent_m: 100.0 * NM,
            total_eet_s: None,
        }
    }
}

/// One point of a corridor.
#[derive(Debug, Clone, PartialEq)]
pub struct CorridorPoint {
    /// Name.
    pub name: String,
    /// Position.
    pub pos: LatLon,
    /// Distance along the route from the departure, metres.
    pub along_m: f64,
    /// Planned level here, feet (`None` for VFR).
    pub level_ft: Option<f64>,
    /// Planned time here, seconds after departure.
    pub time_s: f64,
}

/// Where a position is relative to a corridor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Deviation {
    /// Unsigned great-circle distance to the nearest segment, metres.
    pub cross_track_m: f64,
    /// Distance along the route to the position's projection on that segment, metres.
    pub along_track_m: f64,
    /// Index of that segment (from `points()[segment]` to `points()[segment + 1]`).
    pub segment: usize,
}

/// A segment precomputed as unit vectors on the sphere.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Seg {
    a: [f64; 3],
    /// Unit normal of the great circle through both ends; zero for a degenerate segment.
    n: [f64; 3],
    /// Angular length, radians.
    len: f64,
}

fn unit(p: LatLon) -> [f64; 3] {
    let (la, lo) = (p.lat.to_radians(), p.lon.to_radians());
    [la.cos() * lo.cos(), la.cos() * lo.sin(), la.sin()]
}

fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

/// Angle between unit vectors, accurate at small angles (chord form).
fn angle(a: [f64; 3], b: [f64; 3]) -> f64 {
    let d = [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
    2.0 * (dot(d, d).sqrt() / 2.0).min(1.0).asin()
}

/// A planned route in four dimensions: the polyline, the planned level and time along it.
/// Queries are O(segments) (or O(log points)) and never allocate.
#[derive(Debug, Clone, PartialEq)]
pub struct Corridor {
    points: Vec<CorridorPoint>,
    segs: Vec<Seg>,
    /// Cruise level steps: (along_m from which it applies, level ft).
    cruise: Vec<(f64, Option<f64>)>,
    options: ProfileOptions,
    length_m: f64,
}

impl Corridor {
    /// Builds the corridor of an expanded route.
    pub fn new(route: &ExpandedRoute, options: ProfileOptions) -> Corridor {
        let mut points = Vec::with_capacity(route.points.len());
        let mut segs = Vec::with_capacity(route.points.len().saturating_sub(1));
        let mut cruise = vec![(0.0, route.level.feet())];
        let mut along = 0.0;
        let mut time = 0.0;
        let mut knots = route.speed.knots();
        for (i, p) in route.points.iter().enumerate() {
            if i > 0 {
                let prev = &route.points[i - 1];
                let (a, b) = (unit(prev.pos), unit(p.pos));
                let c = cross(a, b);
                let norm = dot(c, c).sqrt();
                let n = if norm > 1e-12 {
                    [c[0] / norm, c[1] / norm, c[2] / norm]
                } else {
                    [0.0; 3]
                };
                let len = angle(a, b);
                segs.push(Seg { a, n, len });
                let d = len * LatLon::EARTH_RADIUS_M;
                along += d;
                if knots > 0.0 {
                    time += d / (knots * NM / 3_600.0);
                }
            }
            if let Some((s, l)) = p.change {
                knots = s.knots();
                cruise.push((along, l.feet()));
            }
            points.push(CorridorPoint {
                name: p.name.clone(),
                pos: p.pos,
                along_m: along,
                level_ft: None,
                time_s: time,
            });
        }
        if let Some(eet) = options.total_eet_s.filter(|e| *e > 0.0)
            && time > 0.0
        {
            let k = eet / time;
            for p in &mut points {
                p.time_s *= k;
            }
        }
        let mut c = Corridor {
            points,
            segs,
            cruise,
            options,
            length_m: along,
        };
        for i in 0..c.points.len() {
            c.points[i].level_ft = c.planned_level_ft(c.points[i].along_m);
        }
        c
    }

    /// The points, with distance, planned level and time.
    pub fn points(&self) -> &[CorridorPoint] {
        &self.points
    }

    /// Route length, metres.
    pub fn length_m(&self) -> f64 {
        self.length_m
    }

    /// The nearest segment to `pos`, the distance to it and how far along the route the
    /// position's projection lies. Exact on the sphere (the Earth radius of
    /// [`LatLon::EARTH_RADIUS_M`]), so consistent with [`LatLon::distance_m`].
    pub fn cross_track(&self, pos: LatLon) -> Deviation {
        let p = unit(pos);
        let r = LatLon::EARTH_RADIUS_M;
        let mut best = Deviation {
            cross_track_m: f64::INFINITY,
            along_track_m: 0.0,
            segment: 0,
        };
        if self.segs.is_empty() {
            if let Some(first) = self.points.first() {
                best.cross_track_m = angle(p, unit(first.pos)) * r;
            }
            return best;
        }
        for (i, s) in self.segs.iter().enumerate() {
            let (dist, along) = if s.n == [0.0; 3] {
                (angle(p, s.a), 0.0)
            } else {
                let along = dot(cross(s.a, p), s.n).atan2(dot(s.a, p));
                if along <= 0.0 {
                    (angle(p, s.a), 0.0)
                } else if along >= s.len {
                    // Distance to the far end: the next segment's start, or the last point.
                    let b = self
                        .segs
                        .get(i + 1)
                        .map_or_else(|| unit(self.points[i + 1].pos), |n| n.a);
                    (angle(p, b), s.len)
                } else {
                    (dot(p, s.n).clamp(-1.0, 1.0).asin().abs(), along)
                }
            };
            let d = dist * r;
            if d < best.cross_track_m {
                best = Deviation {
                    cross_track_m: d,
                    along_track_m: self.points[i].along_m + along * r,
                    segment: i,
                };
            }
        }
        best
    }

    /// Planned level at `along_track_m`, feet: the cruise level in force there, capped by a
    /// straight climb from the departure elevation over the first `climb_m` and a straight
    /// descent to the destination elevation over the last `descent_m` (so a short route
    /// climbs and descends without reaching cruise). `None` outside the route or when the
    /// level in force is VFR.
    pub fn planned_level_ft(&self, along_track_m: f64) -> Option<f64> {
        if !(0.0..=self.length_m).contains(&along_track_m) {
            return None;
        }
        let idx = self.cruise.partition_point(|(s, _)| *s <= along_track_m);
        let cruise = self.cruise[idx.saturating_sub(1)].1?;
        let o = &self.options;
        let first = self.cruise[0].1.unwrap_or(cruise);
        let last = self.cruise[self.cruise.len() - 1].1.unwrap_or(cruise);
        let climb = o.departure_elevation_ft
            + (first - o.departure_elevation_ft) * along_track_m / o.climb_m.max(1.0);
        let descent = o.destination_elevation_ft
            + (last - o.destination_elevation_ft) * (self.length_m - along_track_m)
                / o.descent_m.max(1.0);
        Some(cruise.min(climb).min(descent))
    }

    /// Planned time at `along_track_m`, seconds after departure (clamped to the route).
    pub fn planned_time(&self, along_track_m: f64) -> f64 {
        let s = along_track_m.clamp(0.0, self.length_m);
        let i = self.points.partition_point(|p| p.along_m <= s);
        match (
            i.checked_sub(1).and_then(|j| self.points.get(j)),
            self.points.get(i),
        ) {
            (Some(a), Some(b)) if b.along_m > a.along_m => {
                a.time_s + (b.time_s - a.time_s) * (s - a.along_m) / (b.along_m - a.along_m)
            }
            (Some(a), _) => a.time_s,
            _ => 0.0,
        }
    }

    /// Expands `plan` and builds its corridor, with the aerodromes' elevations and the
    /// plan's total EET.
    pub fn from_plan(
        plan: &FlightPlan,
        nav: &NavData,
    ) -> Result<(Corridor, Vec<RouteWarning>), RouteError> {
        let route = expand(plan, nav)?;
        let elevation = |icao: &str| {
            nav.airport(icao)
                .and_then(|a| a.elevation_ft)
                .unwrap_or(0.0)
        };
        let options = ProfileOptions {
            departure_elevation_ft: elevation(&plan.departure),
            destination_elevation_ft: elevation(&plan.destination),
            total_eet_s: Some(plan.total_eet.seconds()),
            ..ProfileOptions::default()
        };
        Ok((Corridor::new(&route, options), route.warnings))
    }
}
