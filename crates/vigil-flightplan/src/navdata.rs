//! Navigation data: fixes, navaids, airway segments and airports, from the X-Plane text
//! formats (`earth_fix.dat`, `earth_nav.dat`, `earth_awy.dat`) and an `airports.json`.
//!
//! Two dialects of each `.dat` file are read, chosen per file:
//! - X-Plane 11 (header `I` / `1101 Version ...`): fixes and navaids carry an ICAO region,
//!   airway segments name their ends by ident + region + type, with a direction flag,
//!   low/high and joined airway names (`A1-B2`).
//! - The header-less variant shipped with the `traffic` package (the real data under
//!   `shared/data/aero`): fixes `lat lon ident`, navaids without region, and airways as
//!   ordered point lists `NAME SEQ IDENT LAT LON`, each consecutive pair one two-way segment.
//!
//! Idents are not unique worldwide (there are several `KRK`s), so lookups take a position and
//! return the candidate nearest to it.

use std::fmt;
use std::path::{Path, PathBuf};

use rustc_hash::FxHashMap;
use serde::Deserialize;
use vigil_core::LatLon;

/// A navigation data file could not be read or understood.
#[derive(Debug, thiserror::Error)]
pub enum NavDataError {
    /// The file could not be read.
    #[error("{file}: {source}")]
    Io {
        /// The file.
        file: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A line is malformed.
    #[error("{file}:{line}: {message}")]
    Parse {
        /// The file name.
        file: String,
        /// 1-based line number (0 for a whole-file error such as bad JSON).
        line: usize,
        /// What is wrong.
        message: String,
    },
}

/// A named point (intersection, waypoint) from `earth_fix.dat`.
#[derive(Debug, Clone, PartialEq)]
pub struct Fix {
    /// Ident, e.g. `SOXER`.
    pub ident: String,
    /// ICAO region (`EP`), when the file gives it.
    pub region: Option<String>,
    /// Position.
    pub pos: LatLon,
}

/// The kind of a radio navaid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NavaidKind {
    /// Non-directional beacon (row code 2).
    Ndb,
    /// VOR, VOR-DME or VORTAC (row code 3).
    Vor,
    /// DME, including the DME of a VOR-DME or TACAN (row codes 12 and 13).
    Dme,
}

impl fmt::Display for NavaidKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NavaidKind::Ndb => "NDB",
            NavaidKind::Vor => "VOR",
            NavaidKind::Dme => "DME",
        })
    }
}

/// A radio navaid from `earth_nav.dat` (ILS components are not loaded: routes never name them).
#[derive(Debug, Clone, PartialEq)]
pub struct Navaid {
    /// Ident, e.g. `WAR`.
    pub ident: String,
    /// ICAO region, when the file gives it.
    pub region: Option<String>,
    /// Kind.
    pub kind: NavaidKind,
    /// Position.
    pub pos: LatLon,
    /// Name, e.g. `WARSZAWA VOR-DME`.
    pub name: String,
}

/// Whether an airway segment may be flown from `from` to `to`, the reverse, or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Both ways (`N`).
    Both,
    /// Only from `from` to `to` (`F`).
    Forward,
    /// Only from `to` to `from` (`B`).
    Backward,
}

/// Which airway structure a segment belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AirwayLevel {
    /// Low (code 1).
    Low,
    /// High (code 2).
    High,
    /// Not given by the file.
    Unknown,
}

/// One end of an airway segment.
#[derive(Debug, Clone, PartialEq)]
pub struct AirwayPoint {
    /// Ident of the fix or navaid.
    pub ident: String,
    /// Its position.
    pub pos: LatLon,
}

/// One airway segment.
#[derive(Debug, Clone, PartialEq)]
pub struct AirwaySegment {
    /// First end.
    pub from: AirwayPoint,
    /// Second end.
    pub to: AirwayPoint,
    /// Which ways it may be flown.
    pub direction: Direction,
    /// Low or high structure.
    pub level: AirwayLevel,
    /// The airways this segment belongs to (`A1-B2` in the file gives `["A1", "B2"]`).
    pub names: Vec<String>,
}

/// An aerodrome from `airports.json`.
#[derive(Debug, Clone, PartialEq)]
pub struct Airport {
    /// ICAO location indicator, e.g. `EPKK`.
    pub icao: String,
    /// Name.
    pub name: String,
    /// Reference point.
    pub pos: LatLon,
    /// Elevation in feet, when known.
    pub elevation_ft: Option<f64>,
}

/// What a [`Waypoint`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WaypointKind {
    /// An intersection / RNAV waypoint.
    Fix,
    /// A radio navaid.
    Navaid(NavaidKind),
    /// An aerodrome.
    Airport,
}

/// A named point found by [`NavData::nearest`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Waypoint<'a> {
    /// Ident.
    pub ident: &'a str,
    /// Position.
    pub pos: LatLon,
    /// What it is.
    pub kind: WaypointKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PointRef {
    Fix(u32),
    Navaid(u32),
    Airport(u32),
}

/// Navigation data, indexed by ident and airway name.
#[derive(Debug, Clone, Default)]
pub struct NavData {
    fixes: Vec<Fix>,
    navaids: Vec<Navaid>,
    airports: Vec<Airport>,
    segments: Vec<AirwaySegment>,
    points: FxHashMap<String, Vec<PointRef>>,
    airways: FxHashMap<String, Vec<u32>>,
    airport_index: FxHashMap<String, u32>,
}

/// The standard file names inside a navigation data directory.
pub const FIX_FILE: &str = "earth_fix.dat";
/// See [`FIX_FILE`].
pub const NAV_FILE: &str = "earth_nav.dat";
/// See [`FIX_FILE`].
pub const AWY_FILE: &str = "earth_awy.dat";
/// See [`FIX_FILE`].
pub const AIRPORTS_FILE: &str = "airports.json";

fn read(dir: &Path, name: &str) -> Result<String, NavDataError> {
    let file = dir.join(name);
    std::fs::read_to_string(&file).map_err(|source| NavDataError::Io { file, source })
}

fn perr(file: &str, line: usize, message: impl Into<String>) -> NavDataError {
    NavDataError::Parse {
        file: file.to_owned(),
        line,
        message: message.into(),
    }
}

/// Lines of an X-Plane `.dat` file with their 1-based numbers, without the header
/// (`I`/`A` and the version line) and the `99` terminator; also whether the version is
/// X-Plane 11 (1100 and later) or the file has no header.
fn dat_lines(text: &str) -> (bool, impl Iterator<Item = (usize, &str)>) {
    let mut version = 0u32;
    let mut header = 0;
    let mut it = text.lines();
    if let Some(first) = it.next()
        && matches!(first.trim(), "I" | "A")
    {
        header = 1;
        if let Some(v) = it.next() {
            header = 2;
            version = v
                .split_ascii_whitespace()
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
        }
    }
    let lines = text
        .lines()
        .enumerate()
        .skip(header)
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && *l != "99");
    (version >= 1100, lines)
}

fn coord(tok: Option<&str>, file: &str, line: usize, what: &str) -> Result<f64, NavDataError> {
    tok.and_then(|t| t.parse::<f64>().ok())
        .filter(|v| v.is_finite())
        .ok_or_else(|| {
            perr(
                file,
                line,
                format!("{what} '{}' is not a number", tok.unwrap_or("")),
            )
        })
}

fn position(
    lat: Option<&str>,
    lon: Option<&str>,
    file: &str,
    line: usize,
) -> Result<LatLon, NavDataError> {
    let p = LatLon::new(
        coord(lat, file, line, "latitude")?,
        coord(lon, file, line, "longitude")?,
    );
    if p.is_valid() {
        Ok(p)
    } else {
        Err(perr(
            file,
            line,
            format!("position {} {} is out of range", p.lat, p.lon),
        ))
    }
}

#[derive(Deserialize)]
struct AirportJson {
    name: Option<String>,
    icao: Option<String>,
    lat: f64,
    lon: f64,
    #[serde(default)]
    alt: serde_json::Value,
}

impl NavData {
    /// Loads the four standard files ([`FIX_FILE`], [`NAV_FILE`], [`AWY_FILE`],
    /// [`AIRPORTS_FILE`]) from `dir`.
    pub fn load_dir(dir: &Path) -> Result<NavData, NavDataError> {
        Self::from_texts(
            &read(dir, FIX_FILE)?,
            &read(dir, NAV_FILE)?,
            &read(dir, AWY_FILE)?,
            &read(dir, AIRPORTS_FILE)?,
        )
    }

    /// Builds navigation data from the files' contents (errors name the standard file names).
    pub fn from_texts(
        fix: &str,
        nav: &str,
        awy: &str,
        airports: &str,
    ) -> Result<NavData, NavDataError> {
        let mut d = NavData::default();
        d.load_fixes(fix)?;
        d.load_navaids(nav)?;
        d.load_airports(airports)?;
        d.load_airways(awy)?;
        Ok(d)
    }

    fn add_point(&mut self, ident: &str, r: PointRef) {
        match self.points.get_mut(ident) {
            Some(v) => v.push(r),
            None => {
                self.points.insert(ident.to_owned(), vec![r]);
            }
        }
    }

    fn load_fixes(&mut self, text: &str) -> Result<(), NavDataError> {
        let (_, lines) = dat_lines(text);
        for (n, line) in lines {
            let mut t = line.split_ascii_whitespace();
            let pos = position(t.next(), t.next(), FIX_FILE, n)?;
            let ident = t
                .next()
                .ok_or_else(|| perr(FIX_FILE, n, "missing ident after latitude and longitude"))?;
            // X-Plane 11 adds: terminal area (ENRT or an airport) and ICAO region.
            let region = match (t.next(), t.next()) {
                (Some(_), Some(r)) => Some(r.to_owned()),
                _ => None,
            };
            let i = self.fixes.len() as u32;
            self.fixes.push(Fix {
                ident: ident.to_owned(),
                region,
                pos,
            });
            self.add_point(ident, PointRef::Fix(i));
        }
        Ok(())
    }

    fn load_navaids(&mut self, text: &str) -> Result<(), NavDataError> {
        let (xp11, lines) = dat_lines(text);
        for (n, line) in lines {
            let mut t = line.split_ascii_whitespace();
            let code = t.next().unwrap_or("");
            let kind = match code {
                "2" => NavaidKind::Ndb,
                "3" => NavaidKind::Vor,
                "12" | "13" => NavaidKind::Dme,
                c if c.parse::<u32>().is_ok() => continue, // ILS, markers, GLS: not en-route
                c => return Err(perr(NAV_FILE, n, format!("row code '{c}' is not a number"))),
            };
            let pos = position(t.next(), t.next(), NAV_FILE, n)?;
            // Elevation, frequency, range, variation/bias.
            for _ in 0..4 {
                t.next();
            }
            let ident = t
                .next()
                .ok_or_else(|| perr(NAV_FILE, n, "missing ident"))?
                .to_owned();
            let region = if xp11 {
                t.next(); // terminal region
                t.next().map(str::to_owned)
            } else {
                None
            };
            let name = t.collect::<Vec<_>>().join(" ");
            // A DME paired with an ILS belongs to a runway, not to the route structure.
            if name.ends_with("DME-ILS") {
                continue;
            }
            let i = self.navaids.len() as u32;
            self.add_point(&ident, PointRef::Navaid(i));
            self.navaids.push(Navaid {
                ident,
                region,
                kind,
                pos,
                name,
            });
        }
        Ok(())
    }

    fn load_airports(&mut self, text: &str) -> Result<(), NavDataError> {
        let list: Vec<AirportJson> =
            serde_json::from_str(text).map_err(|e| perr(AIRPORTS_FILE, e.line(), e.to_string()))?;
        for a in list {
            let Some(icao) = a.icao.filter(|s| !s.is_empty()) else {
                continue;
            };
            let pos = LatLon::new(a.lat, a.lon);
            if !pos.is_valid() {
                return Err(perr(
                    AIRPORTS_FILE,
                    0,
                    format!("{icao}: position out of range"),
                ));
            }
            // Elevations given as strings ("-1") are placeholders for unknown.
            let elevation_ft = a.alt.as_f64();
            let i = self.airports.len() as u32;
            self.add_point(&icao, PointRef::Airport(i));
            self.airport_index.entry(icao.clone()).or_insert(i);
            self.airports.push(Airport {
                icao,
                name: a.name.unwrap_or_default(),
                pos,
                elevation_ft,
            });
        }
        Ok(())
    }

    fn push_segment(&mut self, seg: AirwaySegment) {
        let i = self.segments.len() as u32;
        for name in &seg.names {
            self.airways.entry(name.clone()).or_default().push(i);
        }
        self.segments.push(seg);
    }

    fn load_airways(&mut self, text: &str) -> Result<(), NavDataError> {
        let (_, lines) = dat_lines(text);
        // Previous point of the sequence format: (airway, sequence number, point).
        let mut prev: Option<(String, u32, AirwayPoint)> = None;
        for (n, line) in lines {
            let t: Vec<&str> = line.split_ascii_whitespace().collect();
            match t.len() {
                5 => {
                    let seq: u32 = t[1].parse().map_err(|_| {
                        perr(AWY_FILE, n, format!("sequence '{}' is not a number", t[1]))
                    })?;
                    let point = AirwayPoint {
                        ident: t[2].to_owned(),
                        pos: position(Some(t[3]), Some(t[4]), AWY_FILE, n)?,
                    };
                    if let Some((name, pseq, ppoint)) = prev.take()
                        && name == t[0]
                        && seq > pseq
                    {
                        self.push_segment(AirwaySegment {
                            from: ppoint,
                            to: point.clone(),
                            direction: Direction::Both,
                            level: AirwayLevel::Unknown,
                            names: vec![name.clone()],
                        });
                        prev = Some((name, seq, point));
                        continue;
                    }
                    prev = Some((t[0].to_owned(), seq, point));
                }
                10 => {
                    // X-Plane 10: from lat lon, to lat lon, level, base, top, names.
                    let from = AirwayPoint {
                        ident: t[0].to_owned(),
                        pos: position(Some(t[1]), Some(t[2]), AWY_FILE, n)?,
                    };
                    let to = AirwayPoint {
                        ident: t[3].to_owned(),
                        pos: position(Some(t[4]), Some(t[5]), AWY_FILE, n)?,
                    };
                    self.push_segment(AirwaySegment {
                        from,
                        to,
                        direction: Direction::Both,
                        level: level_code(t[6], n)?,
                        names: t[9].split('-').map(str::to_owned).collect(),
                    });
                }
                11 => {
                    // X-Plane 11: ident region type, twice; direction, level, base, top, names.
                    let from = self.resolve(t[0], t[1], t[2], n)?;
                    let to = self.resolve(t[3], t[4], t[5], n)?;
                    let direction = match t[6] {
                        "N" => Direction::Both,
                        "F" => Direction::Forward,
                        "B" => Direction::Backward,
                        d => {
                            return Err(perr(
                                AWY_FILE,
                                n,
                                format!("direction '{d}' is not N, F or B"),
                            ));
                        }
                    };
                    self.push_segment(AirwaySegment {
                        from,
                        to,
                        direction,
                        level: level_code(t[7], n)?,
                        names: t[10].split('-').map(str::to_owned).collect(),
                    });
                }
                k => {
                    return Err(perr(
                        AWY_FILE,
                        n,
                        format!(
                            "{k} columns: expected 5 (name seq ident lat lon), 10 or 11 (X-Plane)"
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Position of an X-Plane 11 airway end: the fix (type 11) or navaid (2 NDB, 3 VOR) with
    /// this ident and region.
    fn resolve(
        &self,
        ident: &str,
        region: &str,
        ty: &str,
        line: usize,
    ) -> Result<AirwayPoint, NavDataError> {
        let found = self
            .points
            .get(ident)
            .into_iter()
            .flatten()
            .find_map(|r| match (*r, ty) {
                (PointRef::Fix(i), "11") => {
                    let f = &self.fixes[i as usize];
                    (f.region.as_deref() == Some(region)).then_some(f.pos)
                }
                (PointRef::Navaid(i), "2" | "3") => {
                    let v = &self.navaids[i as usize];
                    (v.region.as_deref() == Some(region)).then_some(v.pos)
                }
                _ => None,
            });
        found
            .map(|pos| AirwayPoint {
                ident: ident.to_owned(),
                pos,
            })
            .ok_or_else(|| {
                perr(
                    AWY_FILE,
                    line,
                    format!("{ident} ({region}, type {ty}) is not in the fix or navaid files"),
                )
            })
    }

    /// All fixes.
    pub fn fixes(&self) -> &[Fix] {
        &self.fixes
    }

    /// All navaids.
    pub fn navaids(&self) -> &[Navaid] {
        &self.navaids
    }

    /// All airports.
    pub fn airports(&self) -> &[Airport] {
        &self.airports
    }

    /// All airway segments.
    pub fn segments(&self) -> &[AirwaySegment] {
        &self.segments
    }

    /// The airport with this ICAO location indicator.
    pub fn airport(&self, icao: &str) -> Option<&Airport> {
        self.airport_index
            .get(icao)
            .map(|&i| &self.airports[i as usize])
    }

    /// Whether an airway of this name exists.
    pub fn has_airway(&self, name: &str) -> bool {
        self.airways.contains_key(name)
    }

    /// The segments of one airway, in file order.
    pub fn airway(&self, name: &str) -> impl Iterator<Item = &AirwaySegment> {
        self.airways
            .get(name)
            .into_iter()
            .flatten()
            .map(|&i| &self.segments[i as usize])
    }

    fn waypoint(&self, r: PointRef) -> Waypoint<'_> {
        match r {
            PointRef::Fix(i) => {
                let f = &self.fixes[i as usize];
                Waypoint {
                    ident: &f.ident,
                    pos: f.pos,
                    kind: WaypointKind::Fix,
                }
            }
            PointRef::Navaid(i) => {
                let v = &self.navaids[i as usize];
                Waypoint {
                    ident: &v.ident,
                    pos: v.pos,
                    kind: WaypointKind::Navaid(v.kind),
                }
            }
            PointRef::Airport(i) => {
                let a = &self.airports[i as usize];
                Waypoint {
                    ident: &a.icao,
                    pos: a.pos,
                    kind: WaypointKind::Airport,
                }
            }
        }
    }

    /// Every fix, navaid and airport named `ident`.
    pub fn lookup(&self, ident: &str) -> impl Iterator<Item = Waypoint<'_>> {
        self.points
            .get(ident)
            .into_iter()
            .flatten()
            .map(|&r| self.waypoint(r))
    }

    /// The fix, navaid or airport named `ident` nearest to `near`.
    pub fn nearest(&self, ident: &str, near: LatLon) -> Option<Waypoint<'_>> {
        self.lookup(ident)
            .min_by(|a, b| a.pos.distance_m(&near).total_cmp(&b.pos.distance_m(&near)))
    }

    /// The points along `airway` after `from` up to and including `to`: `from` is the airway
    /// point with that ident nearest to `from_pos`; `to` the first one reached with that ident
    /// (fewest segments, one-way segments respected). `None` when the airway does not exist or
    /// does not join them.
    pub fn airway_path(
        &self,
        airway: &str,
        from: &str,
        from_pos: LatLon,
        to: &str,
    ) -> Option<Vec<AirwayPoint>> {
        let graph = AirwayGraph::new(self, airway)?;
        let start = graph.nearest_node(from, from_pos)?;
        let path = graph.bfs(start, |id| id == to)?;
        Some(path.into_iter().map(|i| graph.nodes[i].clone()).collect())
    }

    /// Where `first` airway meets `second` when a route names them back to back
    /// (`L621 N869` with no point between): the path along `first` from `from` to the nearest
    /// (in segments) point that is also on `second`.
    pub fn airway_junction(
        &self,
        first: &str,
        from: &str,
        from_pos: LatLon,
        second: &str,
    ) -> Option<Vec<AirwayPoint>> {
        let graph = AirwayGraph::new(self, first)?;
        let on_second = AirwayGraph::new(self, second)?;
        let start = graph.nearest_node(from, from_pos)?;
        graph
            .bfs(start, |id| on_second.nodes.iter().any(|n| n.ident == id))
            .map(|p| p.into_iter().map(|i| graph.nodes[i].clone()).collect())
    }
}

fn level_code(code: &str, line: usize) -> Result<AirwayLevel, NavDataError> {
    match code {
        "1" => Ok(AirwayLevel::Low),
        "2" => Ok(AirwayLevel::High),
        c => Err(perr(
            AWY_FILE,
            line,
            format!("airway level '{c}' is not 1 (low) or 2 (high)"),
        )),
    }
}

/// One airway as a small graph; airways have at most a few hundred segments, so linear scans
/// are fine here.
struct AirwayGraph {
    nodes: Vec<AirwayPoint>,
    /// Directed edges (from node, to node).
    edges: Vec<(usize, usize)>,
}

impl AirwayGraph {
    fn new(nav: &NavData, airway: &str) -> Option<Self> {
        let ids = nav.airways.get(airway)?;
        let mut g = AirwayGraph {
            nodes: Vec::new(),
            edges: Vec::new(),
        };
        for &s in ids {
            let seg = &nav.segments[s as usize];
            let a = g.node(&seg.from);
            let b = g.node(&seg.to);
            if seg.direction != Direction::Backward {
                g.edges.push((a, b));
            }
            if seg.direction != Direction::Forward {
                g.edges.push((b, a));
            }
        }
        Some(g)
    }

    fn node(&mut self, p: &AirwayPoint) -> usize {
        // The same ident within 1 km is the same point (files repeat positions with rounding).
        match self
            .nodes
            .iter()
            .position(|n| n.ident == p.ident && n.pos.distance_m(&p.pos) < 1_000.0)
        {
            Some(i) => i,
            None => {
                self.nodes.push(p.clone());
                self.nodes.len() - 1
            }
        }
    }

    fn nearest_node(&self, ident: &str, pos: LatLon) -> Option<usize> {
        self.nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.ident == ident)
            .min_by(|a, b| {
                a.1.pos
                    .distance_m(&pos)
                    .total_cmp(&b.1.pos.distance_m(&pos))
            })
            .map(|(i, _)| i)
    }

    /// Fewest-segment path from `start` (excluded) to the first node whose ident satisfies
    /// `goal` (included).
    fn bfs(&self, start: usize, goal: impl Fn(&str) -> bool) -> Option<Vec<usize>> {
        let mut parent = vec![usize::MAX; self.nodes.len()];
        parent[start] = start;
        let mut queue = std::collections::VecDeque::from([start]);
        while let Some(n) = queue.pop_front() {
            if n != start && goal(&self.nodes[n].ident) {
                let mut path = vec![n];
                let mut c = n;
                while parent[c] != start {
                    c = parent[c];
                    path.push(c);
                }
                path.reverse();
                return Some(path);
            }
            for &(a, b) in &self.edges {
                if a == n && parent[b] == usize::MAX {
                    parent[b] = n;
                    queue.push_back(b);
                }
            }
        }
        None
    }
}
