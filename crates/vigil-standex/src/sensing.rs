//! Simulation of the stand-off sensors' readings (seeded, deterministic).
//!
//! The simulated sensor sees the people as they truly are (positions and who carries); the
//! engine never does: it gets only the readings, with noisy positions, and the people tracks.
//!
//! * A **wide** sensor ([`Capacity::PerSecond`]), when on, watches everyone in its cone. A
//!   person who has stayed in the cone for `dwell_s` is ready for a look; looks are limited by
//!   a token bucket of `rate` looks per second (burst one second's worth), served to people the
//!   sensor is tasked to first, then to those who have waited longest. After a look the person
//!   needs another full dwell for the next.
//! * A **pointed** sensor ([`Capacity::OneAtATime`]), when on, aims at its first task whose
//!   aim point is in its cone and examines the person nearest the aim point within
//!   `beam_radius_m` (who may not be the one the tracker meant, in a crowd); after `dwell_s` on
//!   the same person it yields a look.
//!
//! A look of a carrier detects with probability `pd`; of anyone else it is a false alarm with
//! probability `pfa`. A body-resolving sensor's detection says where on the body.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::{BodyLocation, Capacity, SensorSpec, SensorState};

/// A person as the simulation knows them (truth). Never given to the engine.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TruthPerson {
    /// Simulation identifier (not a track id).
    pub id: u64,
    /// Position, x metres.
    pub x: f64,
    /// Position, y metres.
    pub y: f64,
    /// Whether they carry explosives, and where on the body.
    pub carries: Option<BodyLocation>,
}

/// One look of one sensor.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Reading {
    /// Index of the sensor in the engine's sensor list.
    pub sensor: usize,
    /// Time of the look (end of the dwell), seconds.
    pub t: f64,
    /// Where it looked (the examined person's position with noise), x metres.
    pub x: f64,
    /// Where it looked, y metres.
    pub y: f64,
    /// Bearing from the sensor to where it looked, degrees anticlockwise from +x.
    pub bearing_deg: f64,
    /// Range from the sensor to where it looked, metres.
    pub range_m: f64,
    /// Whether it detected something.
    pub detected: bool,
    /// Where on the body, for body-resolving sensors that detected.
    pub body: Option<BodyLocation>,
}

#[derive(Debug, Clone, Default)]
struct SimSensor {
    /// Person id -> (dwell start, generation last seen in coverage).
    dwell: FxHashMap<u64, (f64, u64)>,
    tokens: f64,
    last_t: Option<f64>,
    generation: u64,
    /// Pointed sensors: the person under the beam and since when.
    beam: Option<(u64, f64)>,
}

/// The sensors' simulator.
#[derive(Debug, Clone)]
pub struct SensorSim {
    sensors: Vec<SensorSpec>,
    state: Vec<SimSensor>,
    rng: ChaCha8Rng,
    ready: Vec<(bool, f64, u64, usize)>,
}

const BODY: [BodyLocation; 4] = [
    BodyLocation::Torso,
    BodyLocation::Left,
    BodyLocation::Right,
    BodyLocation::Back,
];

impl SensorSim {
    /// A simulator of these sensors (the same list, in the same order, as the engine's).
    pub fn new(sensors: Vec<SensorSpec>, seed: u64) -> Self {
        let state = vec![SimSensor::default(); sensors.len()];
        Self {
            sensors,
            state,
            rng: ChaCha8Rng::seed_from_u64(seed),
            ready: Vec::new(),
        }
    }

    /// The sensors' looks at time `t` given the people now and the engine's sensor states
    /// (on/off and tasks); appends to `out`.
    pub fn sense(
        &mut self,
        t: f64,
        people: &[TruthPerson],
        states: &[SensorState],
        out: &mut Vec<Reading>,
    ) {
        for si in 0..self.sensors.len() {
            let on = states.get(si).is_some_and(|s| s.on);
            if !on {
                let st = &mut self.state[si];
                st.dwell.clear();
                st.tokens = 0.0;
                st.last_t = None;
                st.beam = None;
                continue;
            }
            let tasks: &[crate::Task] = states.get(si).map_or(&[], |s| &s.tasks);
            match self.sensors[si].capacity {
                Capacity::PerSecond(rate) => self.sense_wide(si, rate, t, people, tasks, out),
                Capacity::OneAtATime => self.sense_pointed(si, t, people, tasks, out),
            }
        }
    }

    fn sense_wide(
        &mut self,
        si: usize,
        rate: f64,
        t: f64,
        people: &[TruthPerson],
        tasks: &[crate::Task],
        out: &mut Vec<Reading>,
    ) {
        let spec = &self.sensors[si];
        let st = &mut self.state[si];
        let dt = st.last_t.map_or(0.0, |l| (t - l).max(0.0));
        st.last_t = Some(t);
        st.tokens = (st.tokens + rate * dt).min(rate.max(1.0));
        st.generation += 1;
        let g = st.generation;
        self.ready.clear();
        for (pi, p) in people.iter().enumerate() {
            if !spec.covers(p.x, p.y) {
                continue;
            }
            let e = st.dwell.entry(p.id).or_insert((t, g));
            e.1 = g;
            if t - e.0 >= spec.dwell_s {
                // Tasked people first: a task's aim point within the beam radius of this person.
                let tasked = tasks.iter().any(|k| {
                    let dx = k.aim[0] - p.x;
                    let dy = k.aim[1] - p.y;
                    dx * dx + dy * dy <= spec.beam_radius_m * spec.beam_radius_m
                });
                self.ready.push((!tasked, e.0, p.id, pi));
            }
        }
        st.dwell.retain(|_, e| e.1 == g);
        if self.ready.is_empty() {
            return;
        }
        self.ready
            .sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)).then(a.2.cmp(&b.2)));
        for k in 0..self.ready.len() {
            if st.tokens < 1.0 {
                break;
            }
            st.tokens -= 1.0;
            let (_, _, id, pi) = self.ready[k];
            if let Some(e) = st.dwell.get_mut(&id) {
                e.0 = t;
            }
            out.push(look(&mut self.rng, si, spec, t, &people[pi]));
        }
    }

    fn sense_pointed(
        &mut self,
        si: usize,
        t: f64,
        people: &[TruthPerson],
        tasks: &[crate::Task],
        out: &mut Vec<Reading>,
    ) {
        let spec = &self.sensors[si];
        let st = &mut self.state[si];
        let Some(task) = tasks.iter().find(|k| spec.covers(k.aim[0], k.aim[1])) else {
            st.beam = None;
            return;
        };
        let r2max = spec.beam_radius_m * spec.beam_radius_m;
        let mut best: Option<(f64, usize)> = None;
        for (pi, p) in people.iter().enumerate() {
            let dx = p.x - task.aim[0];
            let dy = p.y - task.aim[1];
            let d2 = dx * dx + dy * dy;
            if d2 <= r2max && spec.covers(p.x, p.y) && best.is_none_or(|(b, _)| d2 < b) {
                best = Some((d2, pi));
            }
        }
        let Some((_, pi)) = best else {
            st.beam = None;
            return;
        };
        let id = people[pi].id;
        match st.beam {
            Some((b, since)) if b == id => {
                if t - since >= spec.dwell_s {
                    st.beam = Some((id, t));
                    out.push(look(&mut self.rng, si, spec, t, &people[pi]));
                }
            }
            _ => st.beam = Some((id, t)),
        }
    }
}

fn look(rng: &mut ChaCha8Rng, si: usize, spec: &SensorSpec, t: f64, p: &TruthPerson) -> Reading {
    let detected = match p.carries {
        Some(_) => rng.random_bool(spec.pd.clamp(0.0, 1.0)),
        None => rng.random_bool(spec.pfa.clamp(0.0, 1.0)),
    };
    let body = if detected && spec.body_resolving {
        // A false alarm still points somewhere on the body.
        Some(p.carries.unwrap_or(BODY[rng.random_range(0..BODY.len())]))
    } else {
        None
    };
    // sigma_m > 0 is checked by SensorSpec::validate; a zero would only remove the noise.
    let (nx, ny) = match Normal::new(0.0, spec.sigma_m) {
        Ok(n) => (n.sample(rng), n.sample(rng)),
        Err(_) => (0.0, 0.0),
    };
    let x = p.x + nx;
    let y = p.y + ny;
    let (bearing_deg, range_m) = spec.bearing_range(x, y);
    Reading {
        sensor: si,
        t,
        x,
        y,
        bearing_deg,
        range_m,
        detected,
        body,
    }
}
