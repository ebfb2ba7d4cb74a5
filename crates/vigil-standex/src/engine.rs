//! The engine: association, evidence, cascade and alarms, one step per scan.

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::association::{Share, associate};
use crate::evidence::{Evidence, EvidenceItem, weighted_llr};
use crate::sensing::Reading;
use crate::{BodyLocation, Capacity, Error, SensorKind, SensorSpec, StandexConfig, TrackView};

/// Where zones are: the station model answers, the engine only asks.
pub trait ZoneMap {
    /// Name of the zone containing `(x, y)`, if any.
    fn zone_at(&self, x: f64, y: f64) -> Option<String>;

    /// The ways a person at `from` moving at `velocity` may go on through the site: each a
    /// polyline of way points after `from` (the openings they would cross, then where the
    /// route ends), appended to `out`. Tasking follows these as well as the straight line,
    /// because people do not walk straight through a station: they turn at openings toward
    /// the stairs and platforms, and a cascade sensor beyond a turn must be switched on
    /// before they reach it. The default knows no routes (straight line only).
    fn paths_ahead(&self, from: [f64; 2], velocity: [f64; 2], out: &mut Vec<Vec<[f64; 2]>>) {
        let _ = (from, velocity, out);
    }
}

/// No zones (tests, or a site without a plan).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoZones;

impl ZoneMap for NoZones {
    fn zone_at(&self, _x: f64, _y: f64) -> Option<String> {
        None
    }
}

/// A task: a sensor asked to look at one person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Task {
    /// The person's track.
    pub track: u64,
    /// Predicted time the person is (or was) first inside the sensor's coverage, seconds.
    pub entry_t: f64,
    /// Where the person is now (the pointed sensor aims here), metres.
    pub aim: [f64; 2],
    /// The person's log-likelihood ratio when last updated (priority).
    pub llr: f64,
}

/// A sensor's state as the engine runs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SensorState {
    /// The sensor's identifier.
    pub id: String,
    /// Its kind.
    pub kind: SensorKind,
    /// Whether it is on.
    pub on: bool,
    /// Always on (not switched by the cascade).
    pub always_on: bool,
    /// The people it is tasked to, in the order it serves them (earliest entry first).
    pub tasks: Vec<Task>,
    /// Time of the last change of `on`, seconds.
    pub since: f64,
    /// Last time it had a task, seconds.
    pub last_tasked: Option<f64>,
}

/// A person newly cued (put under further sensors).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cue {
    /// The person's track.
    pub track: u64,
    /// Time, seconds.
    pub t: f64,
    /// Log-likelihood ratio at the cue.
    pub llr: f64,
    /// Sensors tasked to them at the cue.
    pub sensors: Vec<String>,
}

/// An alarm: the person (an anonymous track), where they are and will be, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alarm {
    /// The person's track.
    pub track: u64,
    /// Time of the alarm, seconds.
    pub t: f64,
    /// Position now, metres.
    pub position: [f64; 2],
    /// Velocity now, metres per second.
    pub velocity: [f64; 2],
    /// Predicted position `predicted_t` (for the response team), metres.
    pub predicted: [f64; 2],
    /// Time of the prediction, seconds.
    pub predicted_t: f64,
    /// Zone the person is in now.
    pub zone: Option<String>,
    /// Zone of the predicted position.
    pub predicted_zone: Option<String>,
    /// Where on the body, if a body-resolving sensor said so.
    pub body: Option<BodyLocation>,
    /// Log-likelihood ratio at the alarm.
    pub llr: f64,
    /// The chain of evidence (oldest first).
    pub chain: Vec<EvidenceItem>,
    /// Earlier track numbers of the same person whose evidence was handed over (the tracker
    /// broke the track).
    pub former_tracks: Vec<u64>,
}

/// What one step produced.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StepOutput {
    /// Alarms raised in this step.
    pub alarms: Vec<Alarm>,
    /// People cued in this step.
    pub cues: Vec<Cue>,
    /// Every sensor's state after the step.
    pub sensors: Vec<SensorState>,
}

/// The engine's record of one person track.
#[derive(Debug, Clone)]
pub(crate) struct Person {
    pub(crate) track: TrackView,
    pub(crate) evidence: Evidence,
    pub(crate) cued: bool,
    pub(crate) alarmed: bool,
    /// Time of the last detection attributed to them (share at least one half).
    last_detection: Option<f64>,
    /// Looks attributed per sensor index (for `max_looks_per_task`).
    looks: Vec<u32>,
    seen: u64,
    /// Earlier track numbers whose evidence this track took over.
    former: Vec<u64>,
}

/// The STANDEX engine. Deterministic: time is an argument, no I/O, iteration in track-id
/// order wherever it matters.
///
/// Anonymous by construction: it holds anonymous track identifiers, floor positions and
/// evidence; no images, no appearance, no identity ever enters it.
#[derive(Debug, Clone)]
pub struct Standex {
    cfg: StandexConfig,
    sensors: Vec<SensorSpec>,
    states: Vec<SensorState>,
    people: FxHashMap<u64, Person>,
    /// Tracks that ended with evidence, kept for a hand-over: (end time, person).
    lost: Vec<(f64, Person)>,
    alarms: Vec<Alarm>,
    t: f64,
    generation: u64,
    // Scratch buffers, reused across steps.
    shares: Vec<Share>,
    order: Vec<u64>,
    /// Routes ahead of each cued person this step ([`ZoneMap::paths_ahead`]).
    paths: FxHashMap<u64, Vec<Vec<[f64; 2]>>>,
}

impl Standex {
    /// A new engine over these sensors.
    pub fn new(cfg: StandexConfig, sensors: Vec<SensorSpec>) -> Result<Self, Error> {
        cfg.validate()?;
        for s in &sensors {
            s.validate()?;
        }
        let states = sensors
            .iter()
            .map(|s| SensorState {
                id: s.id.clone(),
                kind: s.kind,
                on: s.always_on,
                always_on: s.always_on,
                tasks: Vec::new(),
                since: 0.0,
                last_tasked: None,
            })
            .collect();
        Ok(Self {
            cfg,
            sensors,
            states,
            people: FxHashMap::default(),
            lost: Vec::new(),
            alarms: Vec::new(),
            t: 0.0,
            generation: 0,
            shares: Vec::new(),
            order: Vec::new(),
            paths: FxHashMap::default(),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &StandexConfig {
        &self.cfg
    }

    /// The sensors' specifications.
    pub fn sensors(&self) -> &[SensorSpec] {
        &self.sensors
    }

    /// The sensors' current states (what the sensing layer obeys).
    pub fn sensor_states(&self) -> &[SensorState] {
        &self.states
    }

    /// Every alarm raised so far and not yet pruned ([`Standex::prune_alarms`]).
    pub fn alarms(&self) -> &[Alarm] {
        &self.alarms
    }

    /// Forgets the alarms raised before `before` (engine time, seconds) and returns how many.
    /// An alarm holds where a person was and the chain of evidence; a centre keeps them only
    /// for its configured retention, after which its incident keeps the text alone. Whether
    /// a person was already alarmed lives with the person, so pruning never raises an alarm
    /// twice.
    pub fn prune_alarms(&mut self, before: f64) -> usize {
        let n = self.alarms.len();
        self.alarms.retain(|a| a.t >= before);
        n - self.alarms.len()
    }

    /// Current log-likelihood ratio of a track (decayed to the last step), if known.
    pub fn llr(&self, track: u64) -> Option<f64> {
        self.people.get(&track).map(|p| p.evidence.llr)
    }

    /// Evidence of a track, if known.
    pub fn evidence(&self, track: u64) -> Option<&Evidence> {
        self.people.get(&track).map(|p| &p.evidence)
    }

    /// Time of the last step, seconds.
    pub fn time(&self) -> f64 {
        self.t
    }

    pub(crate) fn people_iter(&self) -> impl Iterator<Item = (u64, &Person)> {
        self.people.iter().map(|(id, p)| (*id, p))
    }

    /// Whether a track is cued.
    pub fn is_cued(&self, track: u64) -> bool {
        self.people.get(&track).is_some_and(|p| p.cued)
    }

    /// One step at time `t`: the people tracks now (all of them; a track absent is deleted
    /// with its evidence) and the sensors' readings since the last step.
    pub fn step(
        &mut self,
        t: f64,
        tracks: &[TrackView],
        readings: &[Reading],
        zones: &dyn ZoneMap,
    ) -> StepOutput {
        self.t = t;
        self.generation += 1;
        let generation = self.generation;
        let n_sensors = self.sensors.len();
        let handover_s = self.cfg.handover_s;
        self.lost.retain(|(end, _)| t - end <= handover_s);
        for tr in tracks {
            if let Some(p) = self.people.get_mut(&tr.id) {
                p.track = *tr;
                p.seen = generation;
                continue;
            }
            // A new track: take over the evidence of a track that ended nearby, if any.
            let h2 = self.cfg.handover_m * self.cfg.handover_m;
            let heir = self
                .lost
                .iter()
                .enumerate()
                .map(|(i, (_, p))| {
                    let [x, y] = p.track.predict(tr.t);
                    (i, (x - tr.x).powi(2) + (y - tr.y).powi(2))
                })
                .filter(|(_, d2)| *d2 <= h2)
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .map(|(i, _)| i);
            let person = match heir {
                Some(i) => {
                    let (_, mut p) = self.lost.remove(i);
                    p.former.push(p.track.id);
                    p.track = *tr;
                    p.seen = generation;
                    p
                }
                None => Person {
                    track: *tr,
                    evidence: Evidence::new(t),
                    cued: false,
                    alarmed: false,
                    last_detection: None,
                    looks: vec![0; n_sensors],
                    seen: generation,
                    former: Vec::new(),
                },
            };
            self.people.insert(tr.id, person);
        }
        let mut ended: Vec<(u64, Person)> = self
            .people
            .extract_if(|_, p| p.seen != generation)
            .collect();
        ended.sort_by_key(|e| e.0);
        for (_, p) in ended {
            if handover_s > 0.0 && (p.evidence.llr != 0.0 || p.cued || p.alarmed) {
                self.lost.push((t, p));
            }
        }

        // Readings to tracks, evidence. Readings are applied in their given order (the sensing
        // layer's order is deterministic).
        for r in readings {
            let Some(sensor) = self.sensors.get(r.sensor) else {
                continue;
            };
            associate(sensor, r.x, r.y, r.t, tracks, &self.cfg, &mut self.shares);
            let full = sensor.llr(r.detected);
            for sh in &self.shares {
                let id = tracks[sh.index].id;
                let Some(p) = self.people.get_mut(&id) else {
                    continue;
                };
                let inc = weighted_llr(full, sh.weight);
                p.evidence.add(
                    r.sensor,
                    EvidenceItem {
                        sensor: sensor.id.clone(),
                        t: r.t,
                        detected: r.detected,
                        weight: sh.weight,
                        llr: inc,
                        body: if r.detected { r.body } else { None },
                        x: r.x,
                        y: r.y,
                    },
                    &self.cfg,
                );
                if sh.weight >= 0.5 {
                    p.looks[r.sensor] = p.looks[r.sensor].saturating_add(1);
                    if r.detected {
                        p.last_detection = Some(r.t);
                    }
                }
            }
        }
        for p in self.people.values_mut() {
            p.evidence.decay_to(t, &self.cfg);
        }

        let mut out = StepOutput::default();
        self.cascade(t, zones, &mut out);
        self.raise_alarms(t, zones, &mut out);
        out.sensors.clone_from(&self.states);
        out
    }

    /// Cue and release people, task sensors, switch them on and off.
    fn cascade(&mut self, t: f64, zones: &dyn ZoneMap, out: &mut StepOutput) {
        // Cue state with hysteresis.
        self.order.clear();
        let cfg = &self.cfg;
        for (id, p) in &mut self.people {
            let held = p.last_detection.is_some_and(|d| t - d <= cfg.cue_hold_s);
            let anomaly = cfg.cue_on_detection && held;
            if !p.cued && (p.evidence.llr >= cfg.cue_llr || anomaly) {
                p.cued = true;
                out.cues.push(Cue {
                    track: *id,
                    t,
                    llr: p.evidence.llr,
                    sensors: Vec::new(),
                });
            } else if p.cued && p.evidence.llr < cfg.uncue_llr && !held && !p.alarmed {
                p.cued = false;
            }
            if p.cued {
                self.order.push(*id);
            }
        }
        // Highest evidence first, then track id: deterministic priority.
        let people = &self.people;
        self.order.sort_by(|a, b| {
            let la = people.get(a).map_or(0.0, |p| p.evidence.llr);
            let lb = people.get(b).map_or(0.0, |p| p.evidence.llr);
            lb.total_cmp(&la).then(a.cmp(b))
        });
        out.cues.sort_by_key(|c| c.track);

        // The routes ahead of each cued person (only they have tasks), once per step.
        self.paths.clear();
        for &id in &self.order {
            if let Some(p) = self.people.get(&id) {
                let mut ways = Vec::new();
                zones.paths_ahead(p.track.predict(t), [p.track.vx, p.track.vy], &mut ways);
                if !ways.is_empty() {
                    self.paths.insert(id, ways);
                }
            }
        }

        // Refresh existing tasks; drop those no longer worth it.
        for (si, st) in self.states.iter_mut().enumerate() {
            let spec = &self.sensors[si];
            st.tasks.retain_mut(|task| {
                let Some(p) = self.people.get(&task.track) else {
                    return false;
                };
                if !p.cued || p.looks[si] >= self.cfg.max_looks_per_task {
                    return false;
                }
                let ways = self.paths.get(&task.track).map_or(&[][..], Vec::as_slice);
                match entry_time_on_paths(spec, &p.track, ways, t, &self.cfg) {
                    Some(e) => {
                        task.entry_t = e;
                        task.aim = p.track.predict(t);
                        task.llr = p.evidence.llr;
                        true
                    }
                    None => false,
                }
            });
        }

        // New tasks for cued people, by priority.
        for &id in &self.order {
            let Some(p) = self.people.get(&id) else {
                continue;
            };
            for (si, spec) in self.sensors.iter().enumerate() {
                // Wide always-on sensors look at everyone anyway: tasking is for the cascade's
                // sensors and for pointed ones.
                let taskable = !spec.always_on || matches!(spec.capacity, Capacity::OneAtATime);
                if !taskable || p.looks[si] >= self.cfg.max_looks_per_task {
                    continue;
                }
                let st = &mut self.states[si];
                if st.tasks.iter().any(|k| k.track == id) {
                    continue;
                }
                let ways = self.paths.get(&id).map_or(&[][..], Vec::as_slice);
                let Some(e) = entry_time_on_paths(spec, &p.track, ways, t, &self.cfg) else {
                    continue;
                };
                if matches!(spec.capacity, Capacity::OneAtATime)
                    && st.tasks.len() >= self.cfg.pointed_queue
                {
                    // Full: the person with the least evidence gives way to one with more.
                    let weakest = st
                        .tasks
                        .iter()
                        .enumerate()
                        .min_by(|a, b| a.1.llr.total_cmp(&b.1.llr).then(b.1.track.cmp(&a.1.track)))
                        .map(|(i, k)| (i, k.llr));
                    match weakest {
                        Some((i, l)) if l < p.evidence.llr => {
                            st.tasks.swap_remove(i);
                        }
                        _ => continue,
                    }
                }
                {
                    st.tasks.push(Task {
                        track: id,
                        entry_t: e,
                        aim: p.track.predict(t),
                        llr: p.evidence.llr,
                    });
                    if let Some(c) = out.cues.iter_mut().find(|c| c.track == id) {
                        c.sensors.push(spec.id.clone());
                    }
                }
            }
        }

        // Serve order and switching.
        for st in &mut self.states {
            st.tasks.sort_by(|a, b| {
                a.entry_t
                    .total_cmp(&b.entry_t)
                    .then(b.llr.total_cmp(&a.llr))
                    .then(a.track.cmp(&b.track))
            });
            if !st.tasks.is_empty() {
                st.last_tasked = Some(t);
            }
            // A cascade sensor stays on a little after its last task: a person often comes
            // back into view, and real sensors pay a warm-up when switched.
            let want_on = st.always_on || st.last_tasked.is_some_and(|l| t - l < self.cfg.linger_s);
            if want_on != st.on {
                st.on = want_on;
                st.since = t;
            }
        }
    }

    fn raise_alarms(&mut self, t: f64, zones: &dyn ZoneMap, out: &mut StepOutput) {
        let mut new: Vec<u64> = self
            .people
            .iter()
            .filter(|(_, p)| !p.alarmed && p.evidence.llr >= self.cfg.alarm_llr)
            .map(|(id, _)| *id)
            .collect();
        new.sort_unstable();
        for id in new {
            let Some(p) = self.people.get_mut(&id) else {
                continue;
            };
            p.alarmed = true;
            let tr = p.track;
            let position = tr.predict(t);
            let predicted_t = t + self.cfg.response_lead_s;
            let predicted = tr.predict(predicted_t);
            let alarm = Alarm {
                track: id,
                t,
                position,
                velocity: [tr.vx, tr.vy],
                predicted,
                predicted_t,
                zone: zones.zone_at(position[0], position[1]),
                predicted_zone: zones.zone_at(predicted[0], predicted[1]),
                body: p.evidence.body_location(),
                llr: p.evidence.llr,
                chain: p.evidence.chain.iter().cloned().collect(),
                former_tracks: p.former.clone(),
            };
            self.alarms.push(alarm.clone());
            out.alarms.push(alarm);
        }
    }
}

/// Predicted time the track is first inside the sensor's coverage: `t` when it is inside now,
/// else the first step of its constant-velocity path within the horizon, else `None`.
pub fn entry_time(spec: &SensorSpec, tr: &TrackView, t: f64, cfg: &StandexConfig) -> Option<f64> {
    let steps = (cfg.path_horizon_s / cfg.path_step_s).ceil() as usize;
    (0..=steps).find_map(|k| {
        let tk = t + k as f64 * cfg.path_step_s;
        let [x, y] = tr.predict(tk);
        spec.covers(x, y).then_some(tk)
    })
}

/// Slowest walking speed assumed along a route, metres per second. A person queueing or
/// waiting has almost no velocity; their route still leads somewhere, and timing it at a
/// slow walk (Weidmann's free speed is 1.34 m/s) keeps the entry time finite and late.
const ROUTE_MIN_SPEED_MPS: f64 = 0.5;

/// Predicted time the track is first inside the sensor's coverage, following the straight
/// line ([`entry_time`]) and, when that misses the sensor, each route ahead (`paths`, from
/// [`ZoneMap::paths_ahead`]) walked at the track's speed: the earliest entry, or `None`
/// when neither reaches the sensor within `cfg.path_horizon_s`.
pub fn entry_time_on_paths(
    spec: &SensorSpec,
    tr: &TrackView,
    paths: &[Vec<[f64; 2]>],
    t: f64,
    cfg: &StandexConfig,
) -> Option<f64> {
    if let Some(e) = entry_time(spec, tr, t, cfg) {
        return Some(e);
    }
    let start = tr.predict(t);
    let speed = tr.vx.hypot(tr.vy).max(ROUTE_MIN_SPEED_MPS);
    let ds = speed * cfg.path_step_s;
    let reach = speed * cfg.path_horizon_s;
    paths
        .iter()
        .filter_map(|way| first_cover_on_polyline(spec, start, way, ds, reach))
        .min_by(f64::total_cmp)
        .map(|d| t + d / speed)
}

/// Distance along the polyline `start, way...` (capped at `reach`) to its first point
/// inside the sensor's coverage, sampled every `ds` metres; segments that pass farther than
/// the sensor's range from it are skipped whole.
fn first_cover_on_polyline(
    spec: &SensorSpec,
    start: [f64; 2],
    way: &[[f64; 2]],
    ds: f64,
    reach: f64,
) -> Option<f64> {
    let mut walked = 0.0;
    let mut a = start;
    for &b in way {
        if walked > reach {
            return None;
        }
        let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
        let len = dx.hypot(dy);
        if len > 1e-9 && segment_distance([spec.x, spec.y], a, b) <= spec.range_m {
            let n = (len / ds).ceil() as usize;
            for k in 0..=n {
                let u = (k as f64 * ds).min(len);
                if walked + u > reach {
                    return None;
                }
                if spec.covers(a[0] + dx * u / len, a[1] + dy * u / len) {
                    return Some(walked + u);
                }
            }
        }
        walked += len;
        a = b;
    }
    None
}

/// Distance from `p` to the segment `a`–`b`.
fn segment_distance(p: [f64; 2], a: [f64; 2], b: [f64; 2]) -> f64 {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let l2 = dx * dx + dy * dy;
    let u = if l2 > 0.0 {
        (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / l2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    (p[0] - a[0] - u * dx).hypot(p[1] - a[1] - u * dy)
}
