//! A seeded crowd simulator: people arrive at the entrances, walk zone to zone along the
//! flows to a platform and leave on a train; optional sources (for example people alighting
//! on a platform) walk out to the nearest entrance.
//!
//! Motion is a social-force model (Helbing & Molnár 1995, Helbing et al. 2000): a drive
//! towards the next opening with relaxation time 0.5 s, exponential repulsion from other
//! people (anisotropic, stronger in front) and from walls, and a contact term. Free walking
//! speeds are N(1.34, 0.26) m/s clipped to [0.6, 2.0] (Weidmann 1993, "Transporttechnik der
//! Fussgänger", mean free speed on the level 1.34 m/s, s.d. 0.26 m/s). Crowding slows people
//! by Weidmann's fundamental diagram `v(ρ) = v0 (1 - exp(-1.913 (1/ρ - 1/5.4)))` with the
//! local density ρ counted within 1.5 m. On stairs people move at 0.55 of their level speed
//! (Fruin 1971, "Pedestrian Planning and Design": about 0.5–0.75 m/s horizontal on stairs).
//! Neighbours are found through a uniform grid of 2 m cells rebuilt each step, so a step is
//! linear in the number of people. A step never moves anyone across a wall: a move that
//! would is cut to its component along the wall, or cancelled.
//!
//! Deterministic: everything random comes from one ChaCha8 generator seeded by the scenario.

use std::collections::BTreeMap;
use std::path::Path;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp, Normal};
use serde::{Deserialize, Serialize};

use crate::camera::{Camera, CameraDetection};
use crate::geom::{self, Point, Segment};
use crate::sensor::BodyLocation;
use crate::station::{FlowKind, Station, StationError, ZoneIndex, ZoneKind};

/// Anonymous identifier of a simulated person (never reused within a run).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SimId(pub u32);

/// What a carrier carries.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Carried {
    /// Where on the body.
    pub body: BodyLocation,
    /// TNT-equivalent mass, kilograms.
    pub mass_kg: f64,
}

/// The true state of one person at the current time.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PersonTruth {
    /// Anonymous id.
    pub id: SimId,
    /// Floor position, metres.
    pub position: Point,
    /// Velocity, metres per second.
    pub velocity: Point,
    /// Zone the person stands in.
    pub zone: Option<ZoneIndex>,
    /// `Some` for a carrier.
    pub carrier: Option<Carried>,
    /// Time the person appeared, seconds.
    pub entered_at: f64,
    /// Time the person first stood on their platform (inbound people only).
    pub reached_platform_at: Option<f64>,
    /// People per square metre around the person (within 1.5 m, the person included).
    pub local_density: f64,
    /// `true` for people walking out of the station.
    pub leaving: bool,
}

/// A person who left the simulation (boarded a train or walked out).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Departure {
    /// Anonymous id.
    pub id: SimId,
    /// `Some` for a carrier.
    pub carrier: Option<Carried>,
    /// Time the person appeared.
    pub entered_at: f64,
    /// Time they reached their platform, if inbound.
    pub reached_platform_at: Option<f64>,
    /// Time they left.
    pub left_at: f64,
    /// Zone they left from (a platform or an entrance).
    pub zone: ZoneIndex,
}

/// One carrier in a scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CarrierConfig {
    /// When the carrier arrives, seconds after the start.
    pub entry_time_s: f64,
    /// Entrance zone id (default: drawn in proportion to the arrival rates).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entrance: Option<String>,
    /// Platform zone id (default: drawn by the flows' shares).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// Where the item is on the body (default torso).
    #[serde(default = "default_body")]
    pub body: BodyLocation,
    /// TNT-equivalent mass, kilograms (default 0.25).
    #[serde(default = "default_mass")]
    pub mass_kg: f64,
}

fn default_body() -> BodyLocation {
    BodyLocation::Torso
}
fn default_mass() -> f64 {
    0.25
}
fn default_dt() -> f64 {
    0.1
}
fn default_scale() -> f64 {
    1.0
}

/// A simulation run (`[scenario]` in a station file, or a file of its own).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioConfig {
    /// Length of the run, seconds.
    pub duration_s: f64,
    /// Time step, seconds (default 0.1: 10 Hz).
    #[serde(default = "default_dt")]
    pub dt_s: f64,
    /// Seed of every random draw.
    pub seed: u64,
    /// Factor on every arrival and source rate (default 1).
    #[serde(default = "default_scale")]
    pub arrival_scale: f64,
    /// Per-entrance arrival rates, people per minute, replacing the station's.
    #[serde(default)]
    pub arrival_per_min: BTreeMap<String, f64>,
    /// People placed in the station at the start (random walkable places, inbound).
    #[serde(default)]
    pub initial_people: usize,
    /// The carriers (`[[scenario.carrier]]`).
    #[serde(default)]
    pub carrier: Vec<CarrierConfig>,
}

impl ScenarioConfig {
    /// Reads a scenario from a TOML file of its own.
    pub fn load(path: &Path) -> Result<ScenarioConfig, StationError> {
        let text = std::fs::read_to_string(path).map_err(|source| StationError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        toml::from_str(&text).map_err(|e| StationError::Parse {
            path: path.to_path_buf(),
            source: Box::new(e),
        })
    }

    /// Checks the scenario against a station.
    pub fn validate(&self, station: &Station) -> Result<(), StationError> {
        let bad = |reason: &str| StationError::BadValue {
            context: "scenario".into(),
            reason: reason.into(),
        };
        if !(self.duration_s >= 0.0 && self.duration_s.is_finite()) {
            return Err(bad("duration_s must be >= 0"));
        }
        if !(self.dt_s > 0.0 && self.dt_s <= 1.0) {
            return Err(bad("dt_s must be in (0, 1]"));
        }
        if !(self.arrival_scale >= 0.0 && self.arrival_scale.is_finite()) {
            return Err(bad("arrival_scale must be >= 0"));
        }
        let zone_of_kind = |id: &str, kind: ZoneKind, ctx: &str| match station.zone_index(id) {
            Some(z) if station.zone(z).kind == kind => Ok(z),
            _ => Err(StationError::UnknownZone {
                context: format!("scenario {ctx} (needs a {kind:?} zone)"),
                zone: id.to_string(),
            }),
        };
        for (id, rate) in &self.arrival_per_min {
            zone_of_kind(id, ZoneKind::Entrance, "arrival_per_min")?;
            if !(*rate >= 0.0 && rate.is_finite()) {
                return Err(bad("arrival rates must be >= 0"));
            }
        }
        for c in &self.carrier {
            if !(c.entry_time_s >= 0.0 && c.entry_time_s.is_finite()) {
                return Err(bad("carrier entry_time_s must be >= 0"));
            }
            if let Some(e) = &c.entrance {
                zone_of_kind(e, ZoneKind::Entrance, "carrier entrance")?;
            }
            if let Some(p) = &c.platform {
                let pz = zone_of_kind(p, ZoneKind::Platform, "carrier platform")?;
                if let Some(e) = &c.entrance {
                    let ez = zone_of_kind(e, ZoneKind::Entrance, "carrier entrance")?;
                    if station.route(ez, pz).is_none() {
                        return Err(StationError::PlatformUnreachable {
                            platform: p.clone(),
                        });
                    }
                }
            }
        }
        Ok(())
    }
}

/// Radius of a person's body, metres (shoulder half-width, Fruin's body ellipse).
pub const BODY_RADIUS_M: f64 = 0.23;
/// Mean free walking speed, m/s (Weidmann 1993).
pub const FREE_SPEED_MEAN: f64 = 1.34;
/// Standard deviation of free walking speeds, m/s (Weidmann 1993).
pub const FREE_SPEED_SD: f64 = 0.26;

/// Relaxation time of the drive, seconds (Helbing & Molnár).
const TAU_S: f64 = 0.5;
/// Person-person repulsion strength, m/s², and range, m.
const A_PERSON: f64 = 2.0;
const B_PERSON: f64 = 0.3;
/// Anisotropy: weight of repulsion from people behind (1 = isotropic).
const LAMBDA: f64 = 0.35;
/// Sidestep (keep right) strength, m/s², and range, m.
const A_SIDESTEP: f64 = 1.0;
const B_SIDESTEP: f64 = 1.0;
/// Push along the face of an obstacle walked into, m/s².
const A_SLIDE: f64 = 2.0;
/// Wall repulsion strength, m/s², and range, m.
const A_WALL: f64 = 5.0;
const B_WALL: f64 = 0.1;
/// Body contact stiffness, 1/s².
const K_CONTACT: f64 = 120.0;
/// Neighbour cut-off and grid cell, metres.
const CELL_M: f64 = 2.0;
/// Radius for local density, metres.
const DENSITY_RADIUS_M: f64 = 1.5;
/// Weidmann's fundamental diagram: gamma (1/m²) and jam density (people/m²).
const WEIDMANN_GAMMA: f64 = 1.913;
const WEIDMANN_RHO_MAX: f64 = 5.4;
/// Speed factor on stairs (Fruin).
const STAIRS_FACTOR: f64 = 0.55;
/// Margin kept from the ends of an opening when aiming through it, metres.
const PORTAL_MARGIN_M: f64 = 0.4;
/// Waiting spots on a platform keep this far from its openings, metres.
const WAIT_CLEAR_OF_PORTAL_M: f64 = 4.0;
/// A place is free for a new person when nobody is within this distance, metres.
const SPAWN_CLEARANCE_M: f64 = 0.6;

/// Weidmann's speed factor at density `rho` (people/m²), in [0, 1].
pub fn weidmann_factor(rho: f64) -> f64 {
    if rho <= 0.0 {
        return 1.0;
    }
    (1.0 - (-WEIDMANN_GAMMA * (1.0 / rho - 1.0 / WEIDMANN_RHO_MAX)).exp()).clamp(0.0, 1.0)
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Phase {
    /// Walking the path.
    Walking,
    /// On the platform, walking to or standing at a waiting spot.
    Waiting(Point),
}

#[derive(Debug, Clone)]
struct Agent {
    /// Zones to walk through, the last one the goal.
    path: Vec<ZoneIndex>,
    /// Index in `path` of the zone the person is in (or last was on the path).
    leg: usize,
    free_speed: f64,
    phase: Phase,
}

/// A source of people with its next arrival time.
#[derive(Debug, Clone)]
struct Source {
    zone: ZoneIndex,
    /// For flow sources: the zone entered first; `None` for street entrances.
    via: Option<ZoneIndex>,
    rate_per_s: f64,
    next_at: f64,
}

/// The crowd: people, their routes, arrivals and trains.
#[derive(Debug, Clone)]
pub struct Crowd {
    station: Station,
    scenario: ScenarioConfig,
    rng: ChaCha8Rng,
    t: f64,
    next_id: u32,
    people: Vec<PersonTruth>,
    agents: Vec<Agent>,
    departed: Vec<Departure>,
    sources: Vec<Source>,
    /// Carriers not yet arrived, sorted by entry time (last = next).
    pending_carriers: Vec<CarrierConfig>,
    /// Per platform zone: next train time.
    trains: Vec<(ZoneIndex, f64, f64)>,
    grid: Grid,
    scratch_vel: Vec<Point>,
    speed: Normal<f64>,
}

impl Crowd {
    /// A crowd over `station` running `scenario` (validated here).
    pub fn new(station: &Station, scenario: &ScenarioConfig) -> Result<Crowd, StationError> {
        scenario.validate(station)?;
        let mut rng = ChaCha8Rng::seed_from_u64(scenario.seed);
        let mut sources = Vec::new();
        for z in station.zones_of(ZoneKind::Entrance) {
            let base = station.zone(z).arrival_per_min;
            let per_min = scenario
                .arrival_per_min
                .get(&station.zone(z).id)
                .copied()
                .unwrap_or(base);
            let rate = per_min * scenario.arrival_scale / 60.0;
            sources.push(Source {
                zone: z,
                via: None,
                rate_per_s: rate,
                next_at: 0.0,
            });
        }
        for f in station.flows() {
            if let FlowKind::RatePerMin(r) = f.kind {
                sources.push(Source {
                    zone: f.from,
                    via: Some(f.to),
                    rate_per_s: r * scenario.arrival_scale / 60.0,
                    next_at: 0.0,
                });
            }
        }
        for s in &mut sources {
            s.next_at = next_arrival(&mut rng, 0.0, s.rate_per_s);
        }
        let mut pending = scenario.carrier.clone();
        pending.sort_by(|a, b| b.entry_time_s.total_cmp(&a.entry_time_s));
        let trains = station
            .zones_of(ZoneKind::Platform)
            .filter_map(|z| station.zone(z).trains.map(|(i, first)| (z, i, first)))
            .collect();
        let grid = Grid::new(station.bounds());
        let speed =
            Normal::new(FREE_SPEED_MEAN, FREE_SPEED_SD).map_err(|e| StationError::BadValue {
                context: "speed distribution".into(),
                reason: e.to_string(),
            })?;
        let mut crowd = Crowd {
            station: station.clone(),
            scenario: scenario.clone(),
            rng,
            t: 0.0,
            next_id: 0,
            people: Vec::new(),
            agents: Vec::new(),
            departed: Vec::new(),
            sources,
            pending_carriers: pending,
            trains,
            grid,
            scratch_vel: Vec::new(),
            speed,
        };
        crowd.populate(scenario.initial_people);
        Ok(crowd)
    }

    /// The station.
    pub fn station(&self) -> &Station {
        &self.station
    }

    /// The scenario.
    pub fn scenario(&self) -> &ScenarioConfig {
        &self.scenario
    }

    /// Current time, seconds since the start.
    pub fn time(&self) -> f64 {
        self.t
    }

    /// Everyone in the station now.
    pub fn people(&self) -> &[PersonTruth] {
        &self.people
    }

    /// Everyone who has left so far, in order of leaving.
    pub fn departed(&self) -> &[Departure] {
        &self.departed
    }

    /// Takes the departures recorded so far.
    pub fn drain_departed(&mut self) -> Vec<Departure> {
        std::mem::take(&mut self.departed)
    }

    /// The zones a person still has to walk through (current zone first).
    pub fn remaining_path(&self, id: SimId) -> Option<&[ZoneIndex]> {
        let i = self.people.iter().position(|p| p.id == id)?;
        let a = &self.agents[i];
        a.path.get(a.leg..)
    }

    /// The crowd's random generator (for camera detections that follow the same seed).
    pub fn rng(&mut self) -> &mut ChaCha8Rng {
        &mut self.rng
    }

    /// Whether the scenario's duration has elapsed.
    pub fn finished(&self) -> bool {
        self.t >= self.scenario.duration_s - 1e-9
    }

    /// Places `n` inbound people at random free walkable places (on platforms they wait
    /// for a train). Fewer are placed if the station is too full.
    pub fn populate(&mut self, n: usize) -> usize {
        self.rebuild_grid();
        let zones: Vec<ZoneIndex> = (0..self.station.zones().len())
            .map(|i| ZoneIndex(i as u16)) // fewer than u16::MAX zones (validated)
            .collect();
        let areas: Vec<f64> = zones
            .iter()
            .map(|z| self.station.zone(*z).polygon.area())
            .collect();
        let total: f64 = areas.iter().sum();
        let mut placed = 0;
        for _ in 0..n {
            let mut pick = self.rng.random::<f64>() * total;
            let mut zone = zones[0];
            for (z, a) in zones.iter().zip(&areas) {
                if pick < *a {
                    zone = *z;
                    break;
                }
                pick -= a;
            }
            let Some(pos) = self.free_point_in(zone) else {
                continue;
            };
            let path = self.walk_flows(zone);
            let kind = self.station.zone(zone).kind;
            self.spawn(pos, path, None, false);
            if kind == ZoneKind::Platform {
                let i = self.people.len() - 1;
                self.people[i].reached_platform_at = Some(self.t);
                self.agents[i].phase = Phase::Waiting(pos);
            }
            self.grid.insert_one(self.people.len() - 1);
            placed += 1;
        }
        placed
    }

    /// Advances the crowd by `dt` seconds: arrivals, motion, platform and exit bookkeeping,
    /// trains.
    pub fn step(&mut self, dt: f64) {
        if !(dt > 0.0 && dt.is_finite()) {
            return;
        }
        let t1 = self.t + dt;
        self.rebuild_grid();
        self.arrivals(t1);
        self.rebuild_grid();
        self.move_people(dt);
        self.t = t1;
        self.bookkeeping();
        self.run_trains();
    }

    /// Detections of every camera for the current time, appended to `out`.
    pub fn detect_all<R: Rng + ?Sized>(
        &self,
        cameras: &[Camera],
        rng: &mut R,
        out: &mut Vec<CameraDetection>,
    ) {
        for c in cameras {
            c.detect_into(self.t, &self.people, rng, out);
        }
    }

    fn spawn(
        &mut self,
        pos: Point,
        path: Vec<ZoneIndex>,
        carrier: Option<Carried>,
        leaving: bool,
    ) -> SimId {
        let id = SimId(self.next_id);
        self.next_id = self.next_id.wrapping_add(1);
        let free_speed = self.speed.sample(&mut self.rng).clamp(0.6, 2.0);
        let zone = path.first().copied();
        self.people.push(PersonTruth {
            id,
            position: pos,
            velocity: [0.0, 0.0],
            zone,
            carrier,
            entered_at: self.t,
            reached_platform_at: None,
            local_density: 0.0,
            leaving,
        });
        self.agents.push(Agent {
            path,
            leg: 0,
            free_speed,
            phase: Phase::Walking,
        });
        id
    }

    /// Random walk over the share flows from `start` to a platform.
    fn walk_flows(&mut self, start: ZoneIndex) -> Vec<ZoneIndex> {
        let mut path = vec![start];
        let mut z = start;
        for _ in 0..64 {
            if self.station.zone(z).kind == ZoneKind::Platform {
                break;
            }
            let flows: Vec<(ZoneIndex, f64)> = self
                .station
                .share_flows_from(z)
                .filter_map(|f| match f.kind {
                    FlowKind::Share(s) => Some((f.to, s)),
                    FlowKind::RatePerMin(_) => None,
                })
                .collect();
            let total: f64 = flows.iter().map(|f| f.1).sum();
            if flows.is_empty() || total <= 0.0 {
                break;
            }
            let mut pick = self.rng.random::<f64>() * total;
            let mut next = flows[flows.len() - 1].0;
            for (to, s) in &flows {
                if pick < *s {
                    next = *to;
                    break;
                }
                pick -= s;
            }
            path.push(next);
            z = next;
        }
        path
    }

    /// A random point in a zone at least 0.4 m from walls and `SPAWN_CLEARANCE_M` from
    /// everyone (grid must be current).
    fn free_point_in(&mut self, zone: ZoneIndex) -> Option<Point> {
        self.random_point_in(zone, 30, 0.4, |sim, p| {
            !sim.grid.any_within(p, SPAWN_CLEARANCE_M, &sim.people)
        })
    }

    /// A random point of `zone`, at least `wall_clearance_m` from every wall, that `accept`
    /// takes; `None` after `tries` draws.
    fn random_point_in(
        &mut self,
        zone: ZoneIndex,
        tries: usize,
        wall_clearance_m: f64,
        accept: impl Fn(&Self, Point) -> bool,
    ) -> Option<Point> {
        let (lo, hi) = self.station.zone(zone).polygon.bounds();
        for _ in 0..tries {
            let p = [
                lo[0] + self.rng.random::<f64>() * (hi[0] - lo[0]),
                lo[1] + self.rng.random::<f64>() * (hi[1] - lo[1]),
            ];
            if self.station.zone_at(p) != Some(zone) {
                continue;
            }
            let near_wall = self
                .station
                .walls_near(p)
                .iter()
                .any(|&k| self.station.walls()[k as usize].distance(p) < wall_clearance_m);
            if !near_wall && accept(self, p) {
                return Some(p);
            }
        }
        None
    }

    fn arrivals(&mut self, t1: f64) {
        // Carriers first, so that a crowded entrance never drops one.
        while let Some(c) = self.pending_carriers.last() {
            if c.entry_time_s > t1 {
                break;
            }
            let Some(c) = self.pending_carriers.pop() else {
                break;
            };
            let entrance = match &c.entrance {
                Some(e) => self.station.zone_index(e),
                None => self.pick_entrance(),
            };
            let Some(entrance) = entrance else { continue };
            let path = match c
                .platform
                .as_deref()
                .and_then(|p| self.station.zone_index(p))
                .and_then(|p| self.station.route(entrance, p))
            {
                Some(r) => r.zones,
                None => self.walk_flows(entrance),
            };
            let pos = self
                .free_point_in(entrance)
                .unwrap_or(self.station.zone(entrance).centroid);
            let carried = Carried {
                body: c.body,
                mass_kg: c.mass_kg,
            };
            self.spawn(pos, path, Some(carried), false);
            self.grid.insert_one(self.people.len() - 1);
        }
        for k in 0..self.sources.len() {
            while self.sources[k].next_at <= t1 {
                let s = self.sources[k].clone();
                self.sources[k].next_at = next_arrival(&mut self.rng, s.next_at, s.rate_per_s);
                // A full entrance turns the arrival away (the street queue is not modelled).
                let Some(pos) = self.free_point_in(s.zone) else {
                    continue;
                };
                let (path, leaving) = match s.via {
                    None => (self.walk_flows(s.zone), false),
                    Some(via) => (self.exit_path(s.zone, via), true),
                };
                self.spawn(pos, path, None, leaving);
                self.grid.insert_one(self.people.len() - 1);
            }
        }
    }

    fn pick_entrance(&mut self) -> Option<ZoneIndex> {
        let rates: Vec<(ZoneIndex, f64)> = self
            .sources
            .iter()
            .filter(|s| s.via.is_none())
            .map(|s| (s.zone, s.rate_per_s))
            .collect();
        let total: f64 = rates.iter().map(|r| r.1).sum();
        if total <= 0.0 {
            return rates.first().map(|r| r.0);
        }
        let mut pick = self.rng.random::<f64>() * total;
        for (z, r) in &rates {
            if pick < *r {
                return Some(*z);
            }
            pick -= r;
        }
        rates.last().map(|r| r.0)
    }

    /// From `from` through `via` to the entrance nearest by route.
    fn exit_path(&self, from: ZoneIndex, via: ZoneIndex) -> Vec<ZoneIndex> {
        let best = self
            .station
            .zones_of(ZoneKind::Entrance)
            .filter_map(|e| self.station.route(via, e))
            .min_by(|a, b| a.length_m.total_cmp(&b.length_m));
        let mut path = vec![from];
        match best {
            Some(r) => path.extend(r.zones),
            None => path.push(via),
        }
        path
    }

    fn rebuild_grid(&mut self) {
        self.grid.rebuild(&self.people);
    }

    /// Where person `i` is heading now and the speed factor of their zone.
    fn target(&self, i: usize) -> (Option<Point>, f64) {
        let a = &self.agents[i];
        let p = &self.people[i];
        let zone_factor = match p.zone.map(|z| self.station.zone(z).kind) {
            Some(ZoneKind::Stairs) => STAIRS_FACTOR,
            _ => 1.0,
        };
        match a.phase {
            Phase::Waiting(spot) => {
                if geom::dist(spot, p.position) < 0.3 {
                    (None, zone_factor)
                } else {
                    (Some(spot), zone_factor)
                }
            }
            Phase::Walking => {
                if a.leg + 1 < a.path.len() {
                    let from = a.path[a.leg];
                    let to = a.path[a.leg + 1];
                    if let Some(k) = self.station.portal_between(from, to) {
                        let seg = self.station.portals()[k].segment;
                        let len = seg.length();
                        let m = (PORTAL_MARGIN_M / len.max(1e-9)).min(0.5);
                        let inner = Segment::new(seg.at(m), seg.at(1.0 - m));
                        let aim = inner.closest(p.position);
                        // Aim a little past the opening so people do not stall on it.
                        let beyond = geom::sub(self.station.zone(to).centroid, aim);
                        let n = geom::norm(beyond).max(1e-9);
                        if geom::dist(aim, p.position) < 1.0 {
                            return (
                                Some(geom::add(aim, geom::scale(beyond, 1.0 / n))),
                                zone_factor,
                            );
                        }
                        return (Some(aim), zone_factor);
                    }
                    (Some(self.station.zone(to).centroid), zone_factor)
                } else {
                    // In the goal zone: leaving people head for the entrance's middle.
                    let goal = a.path[a.path.len() - 1];
                    (Some(self.station.zone(goal).centroid), zone_factor)
                }
            }
        }
    }

    fn move_people(&mut self, dt: f64) {
        let n = self.people.len();
        self.scratch_vel.clear();
        self.scratch_vel.resize(n, [0.0, 0.0]);
        let density_area = std::f64::consts::PI * DENSITY_RADIUS_M * DENSITY_RADIUS_M;
        let r_ij = 2.0 * BODY_RADIUS_M;
        for i in 0..n {
            let p = self.people[i];
            let (target, zone_factor) = self.target(i);
            // Neighbours: density and repulsion in one pass over the 3x3 cells.
            let mut count = 1usize;
            let mut force = [0.0, 0.0];
            let e = match target {
                Some(tg) => {
                    let d = geom::sub(tg, p.position);
                    let l = geom::norm(d);
                    if l > 1e-9 {
                        geom::scale(d, 1.0 / l)
                    } else {
                        [0.0, 0.0]
                    }
                }
                None => [0.0, 0.0],
            };
            let people = &self.people;
            self.grid.for_neighbours(p.position, |j| {
                if j == i {
                    return;
                }
                let q = people[j].position;
                let diff = geom::sub(p.position, q);
                let d2 = geom::dot(diff, diff);
                if d2 >= CELL_M * CELL_M {
                    return;
                }
                let d = d2.sqrt();
                if d < DENSITY_RADIUS_M {
                    count += 1;
                }
                let nrm = if d > 1e-9 {
                    geom::scale(diff, 1.0 / d)
                } else {
                    // Same spot: push apart by index so the pair separates deterministically.
                    if i < j { [1.0, 0.0] } else { [-1.0, 0.0] }
                };
                let cos_phi = -geom::dot(nrm, e);
                let w = LAMBDA + (1.0 - LAMBDA) * (1.0 + cos_phi) / 2.0;
                let mut mag = A_PERSON * ((r_ij - d) / B_PERSON).exp() * w;
                if d < r_ij {
                    mag += K_CONTACT * (r_ij - d);
                }
                force = geom::add(force, geom::scale(nrm, mag));
                // Keep right: someone ahead walking towards us makes both step to their
                // right, so counter-flows form lanes instead of locking head-on.
                if cos_phi > 0.5 && geom::dot(p.velocity, people[j].velocity) < 0.0 {
                    let right = [e[1], -e[0]];
                    let side = A_SIDESTEP * (-(d - r_ij).max(0.0) / B_SIDESTEP).exp();
                    force = geom::add(force, geom::scale(right, side));
                }
            });
            let rho = count as f64 / density_area;
            self.people[i].local_density = rho;
            let a = &self.agents[i];
            let v0 = if target.is_some() {
                a.free_speed * zone_factor * weidmann_factor(rho)
            } else {
                0.0
            };
            // Keep a crawl in jams so that nobody freezes for good.
            let v0 = if target.is_some() { v0.max(0.1) } else { v0 };
            let drive = geom::scale(geom::sub(geom::scale(e, v0), p.velocity), 1.0 / TAU_S);
            force = geom::add(force, drive);
            for &k in self.station.walls_near(p.position) {
                let w = self.station.walls()[k as usize];
                let c = w.closest(p.position);
                let diff = geom::sub(p.position, c);
                let d = geom::norm(diff);
                if !(1e-9..1.0).contains(&d) {
                    continue;
                }
                let nrm = geom::scale(diff, 1.0 / d);
                let mut mag = A_WALL * ((BODY_RADIUS_M - d) / B_WALL).exp();
                if d < BODY_RADIUS_M {
                    mag += K_CONTACT * (BODY_RADIUS_M - d);
                }
                force = geom::add(force, geom::scale(nrm, mag));
                // Walking into an obstacle (a kiosk, a cabinet end): slide along its face
                // towards the side nearer the goal, so nobody pins themselves on it.
                if d < 0.8 && geom::dot(nrm, e) < -0.3 {
                    let t = [-nrm[1], nrm[0]];
                    let t = if geom::dot(t, e) >= 0.0 {
                        t
                    } else {
                        [nrm[1], -nrm[0]]
                    };
                    force = geom::add(force, geom::scale(t, A_SLIDE));
                }
            }
            let mut v = geom::add(p.velocity, geom::scale(force, dt));
            let vmax = 1.3 * a.free_speed;
            let s = geom::norm(v);
            if s > vmax {
                v = geom::scale(v, vmax / s);
            }
            self.scratch_vel[i] = v;
        }
        for i in 0..n {
            let p0 = self.people[i].position;
            let mut v = self.scratch_vel[i];
            let mut p1 = geom::add(p0, geom::scale(v, dt));
            if self.blocked(p0, p1) {
                // Slide along the wall that blocks the move, else stop.
                let mut slid = false;
                for &k in self.station.walls_near(p0) {
                    let w = self.station.walls()[k as usize];
                    if !w.intersects(&Segment::new(p0, p1)) {
                        continue;
                    }
                    let d = geom::sub(w.b, w.a);
                    let l = geom::norm(d).max(1e-9);
                    let t = geom::scale(d, 1.0 / l);
                    let vt = geom::scale(t, geom::dot(v, t));
                    let q = geom::add(p0, geom::scale(vt, dt));
                    if !self.blocked(p0, q) {
                        v = vt;
                        p1 = q;
                        slid = true;
                    }
                    break;
                }
                if !slid {
                    v = [0.0, 0.0];
                    p1 = p0;
                }
            }
            self.people[i].position = p1;
            self.people[i].velocity = v;
        }
    }

    fn blocked(&self, a: Point, b: Point) -> bool {
        self.station.step_crosses_wall(a, b) || self.station.zone_at(b).is_none()
    }

    /// Zones, path legs, platform arrival, exits.
    fn bookkeeping(&mut self) {
        let mut i = 0;
        while i < self.people.len() {
            let pos = self.people[i].position;
            let cur = self.people[i].zone;
            let zone = match cur {
                Some(z) if self.station.zone(z).contains(pos) => Some(z),
                _ => self.station.zone_at(pos),
            };
            self.people[i].zone = zone;
            if let Some(z) = zone {
                let a = &mut self.agents[i];
                if let Some(k) = a.path[a.leg..].iter().position(|&q| q == z) {
                    a.leg += k;
                } else if a.phase == Phase::Walking {
                    // Pushed off the path: walk on from here to the goal.
                    let goal = a.path[a.path.len() - 1];
                    if let Some(r) = self.station.route(z, goal) {
                        a.path = r.zones;
                        a.leg = 0;
                    }
                }
            }
            let a = &self.agents[i];
            let at_goal = a.leg + 1 == a.path.len();
            let goal = a.path[a.path.len() - 1];
            if at_goal && a.phase == Phase::Walking {
                if self.people[i].leaving {
                    if geom::dist(pos, self.station.zone(goal).centroid) < 1.5 {
                        self.depart(i, goal);
                        continue;
                    }
                } else if self.station.zone(goal).kind == ZoneKind::Platform {
                    self.people[i].reached_platform_at = Some(self.t);
                    let spot = self.waiting_spot(goal).unwrap_or(pos);
                    self.agents[i].phase = Phase::Waiting(spot);
                }
            }
            i += 1;
        }
    }

    fn waiting_spot(&mut self, zone: ZoneIndex) -> Option<Point> {
        // Nobody waits in front of the stairs: keep the openings' approaches clear.
        self.random_point_in(zone, 20, 0.6, |sim, p| {
            !sim.station
                .portals()
                .iter()
                .filter(|q| q.a == zone || q.b == zone)
                .any(|q| q.segment.distance(p) < WAIT_CLEAR_OF_PORTAL_M)
        })
    }

    fn depart(&mut self, i: usize, zone: ZoneIndex) {
        // Order-preserving removal keeps the people slice in arrival order (determinism and
        // stable iteration for callers).
        let p = self.people.remove(i);
        self.agents.remove(i);
        self.departed.push(Departure {
            id: p.id,
            carrier: p.carrier,
            entered_at: p.entered_at,
            reached_platform_at: p.reached_platform_at,
            left_at: self.t,
            zone,
        });
    }

    fn run_trains(&mut self) {
        for k in 0..self.trains.len() {
            let (zone, interval, next) = self.trains[k];
            if self.t + 1e-9 < next {
                continue;
            }
            self.trains[k].2 = next + interval;
            // One compaction pass: everyone waiting on this platform boards.
            let mut keep = 0;
            for i in 0..self.people.len() {
                let boards = matches!(self.agents[i].phase, Phase::Waiting(_))
                    && self.people[i].zone == Some(zone);
                if boards {
                    let p = self.people[i];
                    self.departed.push(Departure {
                        id: p.id,
                        carrier: p.carrier,
                        entered_at: p.entered_at,
                        reached_platform_at: p.reached_platform_at,
                        left_at: self.t,
                        zone,
                    });
                } else {
                    self.people.swap(keep, i);
                    self.agents.swap(keep, i);
                    keep += 1;
                }
            }
            self.people.truncate(keep);
            self.agents.truncate(keep);
        }
    }
}

fn next_arrival(rng: &mut ChaCha8Rng, from: f64, rate_per_s: f64) -> f64 {
    if rate_per_s <= 0.0 {
        return f64::INFINITY;
    }
    match Exp::new(rate_per_s) {
        Ok(e) => from + e.sample(rng),
        Err(_) => f64::INFINITY,
    }
}

/// Uniform grid of people (counting sort into `CELL_M` cells; no allocation once grown).
#[derive(Debug, Clone)]
struct Grid {
    origin: Point,
    nx: usize,
    ny: usize,
    start: Vec<u32>,
    items: Vec<u32>,
    /// People appended since the last rebuild (checked by brute force).
    extra: Vec<u32>,
    /// Scratch: next free slot per cell while filling.
    fill: Vec<u32>,
}

impl Grid {
    fn new(bounds: (Point, Point)) -> Self {
        let origin = [bounds.0[0] - CELL_M, bounds.0[1] - CELL_M];
        let nx = ((bounds.1[0] - origin[0]) / CELL_M).ceil() as usize + 2;
        let ny = ((bounds.1[1] - origin[1]) / CELL_M).ceil() as usize + 2;
        Self {
            origin,
            nx,
            ny,
            start: vec![0; nx * ny + 1],
            items: Vec::new(),
            extra: Vec::new(),
            fill: Vec::new(),
        }
    }

    fn cell(&self, p: Point) -> (usize, usize) {
        let cx = ((p[0] - self.origin[0]) / CELL_M).floor().max(0.0) as usize;
        let cy = ((p[1] - self.origin[1]) / CELL_M).floor().max(0.0) as usize;
        (cx.min(self.nx - 1), cy.min(self.ny - 1))
    }

    fn rebuild(&mut self, people: &[PersonTruth]) {
        self.extra.clear();
        self.start.iter_mut().for_each(|s| *s = 0);
        for p in people {
            let (cx, cy) = self.cell(p.position);
            self.start[cy * self.nx + cx + 1] += 1;
        }
        for k in 1..self.start.len() {
            self.start[k] += self.start[k - 1];
        }
        self.items.clear();
        self.items.resize(people.len(), 0);
        self.fill.clear();
        self.fill
            .extend_from_slice(&self.start[..self.nx * self.ny]);
        for (i, p) in people.iter().enumerate() {
            let (cx, cy) = self.cell(p.position);
            let c = cy * self.nx + cx;
            self.items[self.fill[c] as usize] = i as u32;
            self.fill[c] += 1;
        }
    }

    /// Makes person `i` (appended since the last rebuild) visible to neighbour queries.
    fn insert_one(&mut self, i: usize) {
        self.extra.push(i as u32);
    }

    fn for_neighbours(&self, p: Point, mut f: impl FnMut(usize)) {
        let (cx, cy) = self.cell(p);
        for y in cy.saturating_sub(1)..=(cy + 1).min(self.ny - 1) {
            for x in cx.saturating_sub(1)..=(cx + 1).min(self.nx - 1) {
                let c = y * self.nx + x;
                for &j in &self.items[self.start[c] as usize..self.start[c + 1] as usize] {
                    f(j as usize);
                }
            }
        }
        for &j in &self.extra {
            f(j as usize);
        }
    }

    fn any_within(&self, p: Point, r: f64, people: &[PersonTruth]) -> bool {
        let mut hit = false;
        self.for_neighbours(p, |j| {
            if let Some(q) = people.get(j)
                && geom::dist(p, q.position) < r
            {
                hit = true;
            }
        });
        hit
    }
}
