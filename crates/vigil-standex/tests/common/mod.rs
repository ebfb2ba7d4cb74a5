//! Test helpers: sensors and a simple corridor crowd (truth only).
#![allow(dead_code)]

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use vigil_standex::{BodyLocation, Capacity, SensorKind, SensorSpec, TrackView, TruthPerson};

pub fn wide(id: &str, x: f64, y: f64, heading: f64, always_on: bool) -> SensorSpec {
    SensorSpec {
        id: id.to_owned(),
        kind: SensorKind::ActiveMmw,
        x,
        y,
        heading_deg: heading,
        half_angle_deg: 30.0,
        range_m: 8.0,
        min_range_m: 0.0,
        dwell_s: 0.5,
        pd: 0.85,
        pfa: 0.01,
        always_on,
        body_resolving: true,
        capacity: Capacity::PerSecond(10.0),
        sigma_m: 0.3,
        beam_radius_m: 0.6,
    }
}

pub fn raman(id: &str, x: f64, y: f64, heading: f64) -> SensorSpec {
    SensorSpec {
        id: id.to_owned(),
        kind: SensorKind::StandoffRaman,
        x,
        y,
        heading_deg: heading,
        half_angle_deg: 40.0,
        range_m: 15.0,
        min_range_m: 1.0,
        dwell_s: 1.0,
        pd: 0.8,
        pfa: 0.001,
        always_on: false,
        body_resolving: false,
        capacity: Capacity::OneAtATime,
        sigma_m: 0.2,
        beam_radius_m: 0.6,
    }
}

pub fn track(id: u64, t: f64, x: f64, y: f64, vx: f64, vy: f64) -> TrackView {
    TrackView::from_truth(id, t, x, y, vx, vy, 0.2)
}

/// People walking along a corridor y in [0, 4] from x = 0 to x = 60 at about 1.3 m/s.
pub struct Corridor {
    rng: ChaCha8Rng,
    pub people: Vec<(u64, f64, f64, f64, Option<BodyLocation>)>, // id, x, y, speed, carries
    next_id: u64,
    pub per_s: f64,
}

impl Corridor {
    pub fn new(seed: u64, per_s: f64) -> Self {
        Self {
            rng: ChaCha8Rng::seed_from_u64(seed),
            people: Vec::new(),
            next_id: 1,
            per_s,
        }
    }

    pub fn spawn(&mut self, carries: Option<BodyLocation>) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        let y = self.rng.random_range(0.5..3.5);
        let v = self.rng.random_range(1.0..1.6);
        self.people.push((id, 0.0, y, v, carries));
        id
    }

    pub fn step(&mut self, dt: f64) {
        if self.rng.random_bool((self.per_s * dt).min(1.0)) {
            self.spawn(None);
        }
        for p in &mut self.people {
            p.1 += p.3 * dt;
        }
        self.people.retain(|p| p.1 < 60.0);
    }

    pub fn truth(&self) -> Vec<TruthPerson> {
        self.people
            .iter()
            .map(|p| TruthPerson {
                id: p.0,
                x: p.1,
                y: p.2,
                carries: p.4,
            })
            .collect()
    }

    pub fn tracks(&self, t: f64) -> Vec<TrackView> {
        self.people
            .iter()
            .map(|p| track(p.0, t, p.1, p.2, p.3, 0.0))
            .collect()
    }
}
