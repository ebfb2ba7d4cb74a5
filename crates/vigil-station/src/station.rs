//! The station model: zones, walls, flows, the portals between adjacent zones, routing.
//!
//! Zones tile the walkable floor. Where two zones share a stretch of boundary, people may
//! pass (a *portal*), except where a wall lies on it. The outer boundary of the zones (every
//! zone edge not shared with another zone) is a wall, as is every polyline in `[[wall]]`.

use std::collections::{BTreeMap, BinaryHeap};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::camera::{Camera, CameraSpec};
use crate::geom::{self, Point, Polygon, Segment};
use crate::sensor::{SensorDefaults, SensorKind, SensorSpec, StandoffSensor};
use crate::sim::ScenarioConfig;

/// The kind of a zone; it sets how the simulator treats people in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ZoneKind {
    /// A street entrance: people arrive here (and leave here).
    Entrance,
    /// The ticket hall (machines, kiosks).
    TicketHall,
    /// The gate line (ticket barriers).
    Gates,
    /// A corridor or concourse.
    Corridor,
    /// Stairs or escalators, drawn flat; people walk slower on them.
    Stairs,
    /// A platform: the exit of inbound people (trains take them).
    Platform,
}

/// Index of a zone in [`Station::zones`]; cheap to copy into every person's truth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ZoneIndex(pub u16);

impl ZoneIndex {
    /// As a `usize` index.
    pub fn get(self) -> usize {
        usize::from(self.0)
    }
}

/// One zone as written in the config file (`[[zone]]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZoneConfig {
    /// Unique name, used by flows and scenarios.
    pub id: String,
    /// What the zone is.
    pub kind: ZoneKind,
    /// Outline in station metres; a simple polygon, three vertices or more.
    pub polygon: Vec<Point>,
    /// Entrances only: people arriving from the street per minute (Poisson).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arrival_per_min: Option<f64>,
    /// Platforms only: seconds between trains; each train takes everyone waiting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub train_interval_s: Option<f64>,
    /// Platforms only: time of the first train, seconds after the start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub train_offset_s: Option<f64>,
}

/// A wall as written in the config file (`[[wall]]`): a polyline people do not cross.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WallConfig {
    /// Optional name for messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Two points or more; closed shapes (pillars) repeat the first point at the end.
    pub points: Vec<Point>,
}

/// A flow as written in the config file (`[[flow]]`), between adjacent zones.
///
/// A `share` flow splits the inbound walk: of the people leaving `from`, this share goes to
/// `to` (shares out of one zone are normalised). A `rate_per_min` flow is a source: people
/// appear in `from` at that rate (for example alighting from trains on a platform), go
/// to `to` and then take the shortest route to an entrance to leave.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowConfig {
    /// Zone id people leave.
    pub from: String,
    /// Adjacent zone id people enter.
    pub to: String,
    /// Share of the people leaving `from` that take this flow (0, 1].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share: Option<f64>,
    /// People per minute starting in `from` and leaving the station through `to`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_per_min: Option<f64>,
}

/// A whole station file: the station, its cameras and sensors, and an optional scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteConfig {
    /// Name of the station.
    pub name: String,
    /// Zones (`[[zone]]`).
    #[serde(default)]
    pub zone: Vec<ZoneConfig>,
    /// Walls (`[[wall]]`).
    #[serde(default)]
    pub wall: Vec<WallConfig>,
    /// Flows (`[[flow]]`).
    #[serde(default)]
    pub flow: Vec<FlowConfig>,
    /// Cameras (`[[camera]]`).
    #[serde(default)]
    pub camera: Vec<CameraSpec>,
    /// Per-type overrides of the stand-off sensor defaults (`[sensor_defaults.active_mmw]`).
    #[serde(default)]
    pub sensor_defaults: BTreeMap<SensorKind, SensorDefaults>,
    /// Stand-off sensors (`[[sensor]]`).
    #[serde(default)]
    pub sensor: Vec<SensorSpec>,
    /// The default simulation scenario (`[scenario]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario: Option<ScenarioConfig>,
}

/// Why a station file was refused.
#[derive(Debug, thiserror::Error)]
pub enum StationError {
    /// The file could not be read.
    #[error("reading {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not valid TOML for a station.
    #[error("parsing {path}: {source}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: Box<toml::de::Error>,
    },
    /// Two zones have the same id.
    #[error("zone {0:?} is defined twice")]
    DuplicateZone(String),
    /// A flow or scenario names a zone that does not exist.
    #[error("{context} names unknown zone {zone:?}")]
    UnknownZone {
        /// Where the name was found.
        context: String,
        /// The unknown name.
        zone: String,
    },
    /// A zone outline has fewer than three vertices or no area.
    #[error("zone {zone:?}: outline needs three vertices or more and a non-zero area")]
    DegeneratePolygon {
        /// The zone.
        zone: String,
    },
    /// A zone outline crosses itself.
    #[error("zone {zone:?}: outline crosses itself (edges {edges:?})")]
    SelfIntersecting {
        /// The zone.
        zone: String,
        /// The two crossing edges (index i joins vertex i and i + 1).
        edges: (usize, usize),
    },
    /// A wall has fewer than two points.
    #[error("wall {index}: needs two points or more")]
    DegenerateWall {
        /// Position of the wall in the file.
        index: usize,
    },
    /// A field was given on a zone of the wrong kind.
    #[error("zone {zone:?}: {field} is only valid on {expected:?} zones")]
    MisplacedField {
        /// The zone.
        zone: String,
        /// The field.
        field: &'static str,
        /// The kind that may carry it.
        expected: ZoneKind,
    },
    /// A flow joins zones that share no opening.
    #[error("flow {from:?} -> {to:?}: the zones share no opening (not adjacent, or walled off)")]
    NotAdjacent {
        /// From zone.
        from: String,
        /// To zone.
        to: String,
    },
    /// A flow gives neither or both of share and rate, or a value out of range.
    #[error("flow {from:?} -> {to:?}: {reason}")]
    BadFlow {
        /// From zone.
        from: String,
        /// To zone.
        to: String,
        /// What is wrong.
        reason: String,
    },
    /// A number out of its range (rates, intervals).
    #[error("{context}: {reason}")]
    BadValue {
        /// Where.
        context: String,
        /// What is wrong.
        reason: String,
    },
    /// The station has no entrance with arrivals or no platform.
    #[error("station needs at least one entrance and one platform")]
    NoEntranceOrPlatform,
    /// No chain of share flows leads from any entrance to this platform.
    #[error("platform {platform:?} is unreachable from every entrance by the flows")]
    PlatformUnreachable {
        /// The platform.
        platform: String,
    },
    /// The flows lead into a zone that has no way on (and is not a platform).
    #[error("zone {zone:?} is reached by the flows but has no outgoing share flow")]
    DeadEnd {
        /// The zone.
        zone: String,
    },
    /// A camera is invalid.
    #[error("camera {id}: {reason}")]
    BadCamera {
        /// Camera id.
        id: u16,
        /// What is wrong.
        reason: String,
    },
    /// A stand-off sensor is invalid.
    #[error("sensor {id}: {reason}")]
    BadSensor {
        /// Sensor id.
        id: u16,
        /// What is wrong.
        reason: String,
    },
}

/// A validated zone.
#[derive(Debug, Clone, PartialEq)]
pub struct Zone {
    /// Name from the config.
    pub id: String,
    /// Kind.
    pub kind: ZoneKind,
    /// Outline.
    pub polygon: Polygon,
    /// Centre of area.
    pub centroid: Point,
    /// Axis-aligned bounds `(min, max)` of the outline.
    pub bounds: (Point, Point),
    /// Entrances: arrivals per minute (0 elsewhere).
    pub arrival_per_min: f64,
    /// Platforms: `(interval, first)` of the trains in seconds.
    pub trains: Option<(f64, f64)>,
}

impl Zone {
    /// Whether `p` is in the zone (boundary included); a bounds check first.
    pub fn contains(&self, p: Point) -> bool {
        let (lo, hi) = self.bounds;
        p[0] >= lo[0] - 1e-9
            && p[0] <= hi[0] + 1e-9
            && p[1] >= lo[1] - 1e-9
            && p[1] <= hi[1] + 1e-9
            && self.polygon.contains(p)
    }
}

/// How a flow moves people.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FlowKind {
    /// Share of the people leaving `from` (normalised over the zone's share flows).
    Share(f64),
    /// A source of people per minute starting in `from`.
    RatePerMin(f64),
}

/// A validated flow between adjacent zones.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Flow {
    /// Zone left.
    pub from: ZoneIndex,
    /// Zone entered.
    pub to: ZoneIndex,
    /// Share or rate.
    pub kind: FlowKind,
}

/// An opening between two adjacent zones: the stretch of their common boundary people pass.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Portal {
    /// One zone (the lower index).
    pub a: ZoneIndex,
    /// The other zone.
    pub b: ZoneIndex,
    /// The passable stretch.
    pub segment: Segment,
}

impl Portal {
    /// Middle of the opening.
    pub fn mid(&self) -> Point {
        self.segment.at(0.5)
    }

    /// Width of the opening in metres.
    pub fn width(&self) -> f64 {
        self.segment.length()
    }

    /// The zone on the other side from `z`.
    pub fn other(&self, z: ZoneIndex) -> ZoneIndex {
        if self.a == z { self.b } else { self.a }
    }
}

/// A route over the zone graph.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    /// Zones in order, first the start, last the goal.
    pub zones: Vec<ZoneIndex>,
    /// Portal indices (into [`Station::portals`]) crossed, `zones.len() - 1` of them.
    pub portals: Vec<usize>,
    /// Length through the portal mid points, centroid to centroid, in metres.
    pub length_m: f64,
}

/// Clearance kept from walls when finding openings, metres (about a shoulder half-width).
const PORTAL_CLEARANCE_M: f64 = 0.3;
/// Narrowest opening people use, metres.
const MIN_PORTAL_WIDTH_M: f64 = 0.6;
/// Tolerance for collinear shared edges, metres.
const EDGE_TOL_M: f64 = 1e-3;
/// Cell size of the wall index, metres.
const WALL_CELL_M: f64 = 2.0;

/// A validated station.
#[derive(Debug, Clone)]
pub struct Station {
    name: String,
    zones: Vec<Zone>,
    flows: Vec<Flow>,
    portals: Vec<Portal>,
    /// Portal indices touching each zone.
    zone_portals: Vec<Vec<usize>>,
    /// Every solid segment: `[[wall]]` polylines and the outer boundary.
    walls: Vec<Segment>,
    wall_grid: WallGrid,
    bounds: (Point, Point),
}

/// A whole validated station file.
#[derive(Debug, Clone)]
pub struct Site {
    /// The station.
    pub station: Station,
    /// Its cameras.
    pub cameras: Vec<Camera>,
    /// Its stand-off sensors.
    pub sensors: Vec<StandoffSensor>,
    /// The scenario written in the file, if any.
    pub scenario: Option<ScenarioConfig>,
}

impl Site {
    /// Reads and validates a station file.
    pub fn load(path: &Path) -> Result<Site, StationError> {
        let text = std::fs::read_to_string(path).map_err(|source| StationError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let config: SiteConfig = toml::from_str(&text).map_err(|e| StationError::Parse {
            path: path.to_path_buf(),
            source: Box::new(e),
        })?;
        Site::from_config(&config)
    }

    /// Validates a parsed station file.
    pub fn from_config(config: &SiteConfig) -> Result<Site, StationError> {
        let station = Station::from_config(config)?;
        let mut cameras = Vec::with_capacity(config.camera.len());
        for spec in &config.camera {
            if cameras.iter().any(|c: &Camera| c.id() == spec.id) {
                return Err(StationError::BadCamera {
                    id: spec.id,
                    reason: "defined twice".into(),
                });
            }
            cameras.push(Camera::new(spec.clone())?);
        }
        let mut sensors = Vec::with_capacity(config.sensor.len());
        for spec in &config.sensor {
            if sensors.iter().any(|s: &StandoffSensor| s.id == spec.id) {
                return Err(StationError::BadSensor {
                    id: spec.id,
                    reason: "defined twice".into(),
                });
            }
            sensors.push(StandoffSensor::from_spec(spec, &config.sensor_defaults)?);
        }
        if let Some(s) = &config.scenario {
            s.validate(&station)?;
        }
        Ok(Site {
            station,
            cameras,
            sensors,
            scenario: config.scenario.clone(),
        })
    }
}

impl Station {
    /// Reads and validates the station part of a station file (cameras and sensors are
    /// validated too; use [`Site::load`] to keep them).
    pub fn load(path: &Path) -> Result<Station, StationError> {
        Site::load(path).map(|s| s.station)
    }

    /// Validates the station part of a parsed file.
    pub fn from_config(config: &SiteConfig) -> Result<Station, StationError> {
        let mut zones: Vec<Zone> = Vec::with_capacity(config.zone.len());
        let mut by_id: BTreeMap<&str, ZoneIndex> = BTreeMap::new();
        if config.zone.len() > usize::from(u16::MAX) {
            return Err(StationError::BadValue {
                context: "zones".into(),
                reason: "too many".into(),
            });
        }
        for (i, z) in config.zone.iter().enumerate() {
            let idx = ZoneIndex(i as u16); // bounded by the check above
            if by_id.insert(z.id.as_str(), idx).is_some() {
                return Err(StationError::DuplicateZone(z.id.clone()));
            }
            zones.push(validate_zone(z)?);
        }
        let mut walls = Vec::new();
        for (i, w) in config.wall.iter().enumerate() {
            if w.points.len() < 2 {
                return Err(StationError::DegenerateWall { index: i });
            }
            walls.extend(w.points.windows(2).map(|p| Segment::new(p[0], p[1])));
        }
        let explicit_walls = walls.clone();
        let portals = find_portals(&zones, &explicit_walls);
        walls.extend(outer_boundary(&zones));
        let mut zone_portals = vec![Vec::new(); zones.len()];
        for (k, p) in portals.iter().enumerate() {
            zone_portals[p.a.get()].push(k);
            zone_portals[p.b.get()].push(k);
        }
        let lookup = |context: String, id: &str| {
            by_id
                .get(id)
                .copied()
                .ok_or_else(|| StationError::UnknownZone {
                    context,
                    zone: id.to_string(),
                })
        };
        let mut flows = Vec::with_capacity(config.flow.len());
        for f in &config.flow {
            let ctx = format!("flow {:?} -> {:?}", f.from, f.to);
            let from = lookup(ctx.clone(), &f.from)?;
            let to = lookup(ctx, &f.to)?;
            let bad = |reason: &str| StationError::BadFlow {
                from: f.from.clone(),
                to: f.to.clone(),
                reason: reason.to_string(),
            };
            let kind = match (f.share, f.rate_per_min) {
                (Some(s), None) if s > 0.0 && s <= 1.0 => FlowKind::Share(s),
                (Some(_), None) => return Err(bad("share must be in (0, 1]")),
                (None, Some(r)) if r >= 0.0 && r.is_finite() => FlowKind::RatePerMin(r),
                (None, Some(_)) => return Err(bad("rate_per_min must be >= 0")),
                _ => return Err(bad("give exactly one of share and rate_per_min")),
            };
            if from == to {
                return Err(bad("a flow joins two different zones"));
            }
            let adjacent = zone_portals[from.get()]
                .iter()
                .any(|&k| portals[k].other(from) == to);
            if !adjacent {
                return Err(StationError::NotAdjacent {
                    from: f.from.clone(),
                    to: f.to.clone(),
                });
            }
            flows.push(Flow { from, to, kind });
        }
        let bounds = zones.iter().fold(
            ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]),
            |(lo, hi), z| {
                let (a, b) = z.polygon.bounds();
                (
                    [lo[0].min(a[0]), lo[1].min(a[1])],
                    [hi[0].max(b[0]), hi[1].max(b[1])],
                )
            },
        );
        let wall_grid = WallGrid::new(&walls, bounds);
        let station = Station {
            name: config.name.clone(),
            zones,
            flows,
            portals,
            zone_portals,
            walls,
            wall_grid,
            bounds,
        };
        station.check_reachability()?;
        Ok(station)
    }

    fn check_reachability(&self) -> Result<(), StationError> {
        let entrances: Vec<ZoneIndex> = self.zones_of(ZoneKind::Entrance).collect();
        let platforms: Vec<ZoneIndex> = self.zones_of(ZoneKind::Platform).collect();
        if entrances.is_empty() || platforms.is_empty() {
            return Err(StationError::NoEntranceOrPlatform);
        }
        let mut seen = vec![false; self.zones.len()];
        let mut stack: Vec<ZoneIndex> = entrances
            .iter()
            .copied()
            .filter(|z| self.zones[z.get()].arrival_per_min > 0.0)
            .collect();
        for z in &stack {
            seen[z.get()] = true;
        }
        while let Some(z) = stack.pop() {
            let mut out = 0;
            for f in self.share_flows_from(z) {
                out += 1;
                if !seen[f.to.get()] {
                    seen[f.to.get()] = true;
                    stack.push(f.to);
                }
            }
            if out == 0 && self.zones[z.get()].kind != ZoneKind::Platform {
                return Err(StationError::DeadEnd {
                    zone: self.zones[z.get()].id.clone(),
                });
            }
        }
        for p in platforms {
            if !seen[p.get()] {
                return Err(StationError::PlatformUnreachable {
                    platform: self.zones[p.get()].id.clone(),
                });
            }
        }
        Ok(())
    }

    /// Name of the station.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// All zones; a [`ZoneIndex`] indexes this slice.
    pub fn zones(&self) -> &[Zone] {
        &self.zones
    }

    /// One zone.
    pub fn zone(&self, z: ZoneIndex) -> &Zone {
        &self.zones[z.get()]
    }

    /// The zone with this id.
    pub fn zone_index(&self, id: &str) -> Option<ZoneIndex> {
        self.zones
            .iter()
            .position(|z| z.id == id)
            .map(|i| ZoneIndex(i as u16)) // fewer than u16::MAX zones (validated)
    }

    /// Indices of the zones of a kind.
    pub fn zones_of(&self, kind: ZoneKind) -> impl Iterator<Item = ZoneIndex> + '_ {
        self.zones
            .iter()
            .enumerate()
            .filter(move |(_, z)| z.kind == kind)
            .map(|(i, _)| ZoneIndex(i as u16)) // fewer than u16::MAX zones (validated)
    }

    /// All flows.
    pub fn flows(&self) -> &[Flow] {
        &self.flows
    }

    /// The share flows out of a zone.
    pub fn share_flows_from(&self, z: ZoneIndex) -> impl Iterator<Item = &Flow> + '_ {
        self.flows
            .iter()
            .filter(move |f| f.from == z && matches!(f.kind, FlowKind::Share(_)))
    }

    /// All openings between adjacent zones.
    pub fn portals(&self) -> &[Portal] {
        &self.portals
    }

    /// The opening between two zones, if they are adjacent.
    pub fn portal_between(&self, a: ZoneIndex, b: ZoneIndex) -> Option<usize> {
        self.zone_portals
            .get(a.get())?
            .iter()
            .copied()
            .find(|&k| self.portals[k].other(a) == b)
    }

    /// Every solid segment: the `[[wall]]` polylines and the outer boundary of the zones.
    pub fn walls(&self) -> &[Segment] {
        &self.walls
    }

    /// Bounds of all zones `(min, max)`.
    pub fn bounds(&self) -> (Point, Point) {
        self.bounds
    }

    /// The zone containing `p` (the first in file order on a shared edge).
    pub fn zone_at(&self, p: Point) -> Option<ZoneIndex> {
        self.zones
            .iter()
            .position(|z| z.contains(p))
            .map(|i| ZoneIndex(i as u16)) // fewer than u16::MAX zones (validated)
    }

    /// Shortest route over the zone graph (Dijkstra, centroid to portal to centroid).
    pub fn route(&self, from: ZoneIndex, to: ZoneIndex) -> Option<Route> {
        let n = self.zones.len();
        if from.get() >= n || to.get() >= n {
            return None;
        }
        let mut best = vec![f64::INFINITY; n];
        let mut prev: Vec<Option<(ZoneIndex, usize)>> = vec![None; n];
        let mut heap = BinaryHeap::new();
        best[from.get()] = 0.0;
        heap.push(HeapItem(0.0, from));
        while let Some(HeapItem(d, z)) = heap.pop() {
            if d > best[z.get()] {
                continue;
            }
            if z == to {
                break;
            }
            let c = self.zones[z.get()].centroid;
            for &k in &self.zone_portals[z.get()] {
                let p = &self.portals[k];
                let o = p.other(z);
                let nd =
                    d + geom::dist(c, p.mid()) + geom::dist(p.mid(), self.zones[o.get()].centroid);
                if nd < best[o.get()] {
                    best[o.get()] = nd;
                    prev[o.get()] = Some((z, k));
                    heap.push(HeapItem(nd, o));
                }
            }
        }
        if !best[to.get()].is_finite() {
            return None;
        }
        let mut zones = vec![to];
        let mut portals = Vec::new();
        let mut cur = to;
        while let Some((p, k)) = prev[cur.get()] {
            zones.push(p);
            portals.push(k);
            cur = p;
        }
        zones.reverse();
        portals.reverse();
        Some(Route {
            zones,
            portals,
            length_m: best[to.get()],
        })
    }

    /// Whether the straight line from `a` to `b` crosses no wall.
    pub fn line_of_sight(&self, a: Point, b: Point) -> bool {
        !self.walls.iter().any(|w| w.intersects(&Segment::new(a, b)))
    }

    /// Whether moving from `a` to `b` (a short step) crosses a wall; uses the wall index, so
    /// `a` and `b` must be within a metre of each other.
    pub fn step_crosses_wall(&self, a: Point, b: Point) -> bool {
        let s = Segment::new(a, b);
        self.walls_near(a)
            .iter()
            .any(|&k| self.walls[k as usize].intersects(&s))
    }

    /// Indices (into [`Station::walls`]) of the walls that may be within a metre of `p`.
    pub fn walls_near(&self, p: Point) -> &[u32] {
        self.wall_grid.near(p)
    }
}

#[derive(PartialEq)]
struct HeapItem(f64, ZoneIndex);
impl Eq for HeapItem {}
impl PartialOrd for HeapItem {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for HeapItem {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        // Min-heap on distance; ties by zone for determinism.
        other
            .0
            .total_cmp(&self.0)
            .then_with(|| other.1.cmp(&self.1))
    }
}

fn validate_zone(z: &ZoneConfig) -> Result<Zone, StationError> {
    let polygon = Polygon::new(z.polygon.clone());
    let degenerate = || StationError::DegeneratePolygon { zone: z.id.clone() };
    if polygon.vertices.len() < 3 || polygon.vertices.iter().flatten().any(|v| !v.is_finite()) {
        return Err(degenerate());
    }
    // Crossing first: a bow-tie also has (near) zero signed area.
    if let Some(edges) = polygon.self_intersection() {
        return Err(StationError::SelfIntersecting {
            zone: z.id.clone(),
            edges,
        });
    }
    if polygon.area() < 1e-6 {
        return Err(degenerate());
    }
    let misplaced = |field, expected| StationError::MisplacedField {
        zone: z.id.clone(),
        field,
        expected,
    };
    if z.arrival_per_min.is_some() && z.kind != ZoneKind::Entrance {
        return Err(misplaced("arrival_per_min", ZoneKind::Entrance));
    }
    if (z.train_interval_s.is_some() || z.train_offset_s.is_some()) && z.kind != ZoneKind::Platform
    {
        return Err(misplaced("train_interval_s", ZoneKind::Platform));
    }
    let arrival = z.arrival_per_min.unwrap_or(0.0);
    if !(arrival >= 0.0 && arrival.is_finite()) {
        return Err(StationError::BadValue {
            context: format!("zone {:?}", z.id),
            reason: "arrival_per_min must be >= 0".into(),
        });
    }
    let trains = match z.train_interval_s {
        Some(i) if i > 0.0 && i.is_finite() => Some((i, z.train_offset_s.unwrap_or(i).max(0.0))),
        Some(_) => {
            return Err(StationError::BadValue {
                context: format!("zone {:?}", z.id),
                reason: "train_interval_s must be > 0".into(),
            });
        }
        None => None,
    };
    Ok(Zone {
        id: z.id.clone(),
        kind: z.kind,
        centroid: polygon.centroid(),
        bounds: polygon.bounds(),
        polygon,
        arrival_per_min: arrival,
        trains,
    })
}

/// Openings: for each pair of zones, their shared boundary minus what walls block; the
/// widest free stretch of each shared edge becomes a portal.
fn find_portals(zones: &[Zone], walls: &[Segment]) -> Vec<Portal> {
    let mut portals = Vec::new();
    for i in 0..zones.len() {
        for j in i + 1..zones.len() {
            let mut best: Option<Segment> = None;
            for e in zones[i].polygon.edges() {
                for f in zones[j].polygon.edges() {
                    let Some(shared) = geom::collinear_overlap(&e, &f, EDGE_TOL_M) else {
                        continue;
                    };
                    if let Some(free) = widest_free_stretch(&shared, walls)
                        && best.is_none_or(|b| free.length() > b.length())
                    {
                        best = Some(free);
                    }
                }
            }
            if let Some(segment) = best {
                portals.push(Portal {
                    a: ZoneIndex(i as u16), // fewer than u16::MAX zones (validated)
                    b: ZoneIndex(j as u16),
                    segment,
                });
            }
        }
    }
    portals
}

fn widest_free_stretch(shared: &Segment, walls: &[Segment]) -> Option<Segment> {
    let len = shared.length();
    let steps = ((len / 0.05).ceil() as usize).max(2);
    let free = |k: usize| {
        let p = shared.at(k as f64 / steps as f64);
        !walls.iter().any(|w| w.distance(p) < PORTAL_CLEARANCE_M)
    };
    let (mut best, mut run_start) = (None::<(usize, usize)>, None::<usize>);
    for k in 0..=steps + 1 {
        let ok = k <= steps && free(k);
        match (ok, run_start) {
            (true, None) => run_start = Some(k),
            (false, Some(s)) => {
                if best.is_none_or(|(a, b)| k - 1 - s > b - a) {
                    best = Some((s, k - 1));
                }
                run_start = None;
            }
            _ => {}
        }
    }
    let (a, b) = best?;
    let seg = Segment::new(
        shared.at(a as f64 / steps as f64),
        shared.at(b as f64 / steps as f64),
    );
    (seg.length() >= MIN_PORTAL_WIDTH_M).then_some(seg)
}

/// The parts of zone edges not shared with any other zone.
fn outer_boundary(zones: &[Zone]) -> Vec<Segment> {
    let mut out = Vec::new();
    for (i, z) in zones.iter().enumerate() {
        for e in z.polygon.edges() {
            let len = e.length();
            if len < EDGE_TOL_M {
                continue;
            }
            let d = geom::scale(geom::sub(e.b, e.a), 1.0 / len);
            // Covered intervals of the edge's parameter (metres from e.a).
            let mut covered: Vec<(f64, f64)> = Vec::new();
            for (j, o) in zones.iter().enumerate() {
                if i == j {
                    continue;
                }
                for f in o.polygon.edges() {
                    if let Some(s) = geom::collinear_overlap(&e, &f, EDGE_TOL_M) {
                        let ta = geom::dot(geom::sub(s.a, e.a), d);
                        let tb = geom::dot(geom::sub(s.b, e.a), d);
                        covered.push((ta.min(tb), ta.max(tb)));
                    }
                }
            }
            covered.sort_by(|a, b| a.0.total_cmp(&b.0));
            let mut t = 0.0;
            for (a, b) in covered {
                if a > t + EDGE_TOL_M {
                    out.push(Segment::new(
                        geom::add(e.a, geom::scale(d, t)),
                        geom::add(e.a, geom::scale(d, a)),
                    ));
                }
                t = f64::max(t, b);
            }
            if len > t + EDGE_TOL_M {
                out.push(Segment::new(geom::add(e.a, geom::scale(d, t)), e.b));
            }
        }
    }
    out
}

/// A uniform grid over the station: for each cell, the walls within a metre of it.
#[derive(Debug, Clone)]
struct WallGrid {
    origin: Point,
    nx: usize,
    ny: usize,
    cells: Vec<Vec<u32>>,
}

impl WallGrid {
    fn new(walls: &[Segment], bounds: (Point, Point)) -> Self {
        let origin = [bounds.0[0] - WALL_CELL_M, bounds.0[1] - WALL_CELL_M];
        let nx = (((bounds.1[0] - origin[0]) / WALL_CELL_M).ceil() as usize + 2).max(1);
        let ny = (((bounds.1[1] - origin[1]) / WALL_CELL_M).ceil() as usize + 2).max(1);
        let mut cells = vec![Vec::new(); nx * ny];
        for (k, w) in walls.iter().enumerate() {
            for cy in 0..ny {
                for cx in 0..nx {
                    let lo = [
                        origin[0] + cx as f64 * WALL_CELL_M,
                        origin[1] + cy as f64 * WALL_CELL_M,
                    ];
                    let centre = [lo[0] + WALL_CELL_M / 2.0, lo[1] + WALL_CELL_M / 2.0];
                    // Half-diagonal of a cell plus the one-metre reach.
                    if w.distance(centre) <= WALL_CELL_M * std::f64::consts::FRAC_1_SQRT_2 + 1.0 {
                        cells[cy * nx + cx].push(k as u32);
                    }
                }
            }
        }
        Self {
            origin,
            nx,
            ny,
            cells,
        }
    }

    fn near(&self, p: Point) -> &[u32] {
        let cx = ((p[0] - self.origin[0]) / WALL_CELL_M).floor();
        let cy = ((p[1] - self.origin[1]) / WALL_CELL_M).floor();
        if !(cx >= 0.0 && cy >= 0.0) || cx as usize >= self.nx || cy as usize >= self.ny {
            return &[];
        }
        &self.cells[cy as usize * self.nx + cx as usize]
    }
}
