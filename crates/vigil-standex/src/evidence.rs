//! Per-person evidence: a bounded, decaying log-likelihood ratio and its chain.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::{BodyLocation, StandexConfig};

/// One link of the chain of evidence: a sensor's look attributed (wholly or partly) to a
/// person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvidenceItem {
    /// The sensor's identifier.
    pub sensor: String,
    /// Time of the look, seconds.
    pub t: f64,
    /// Whether the sensor detected something.
    pub detected: bool,
    /// Share of the reading attributed to this person (1 when unambiguous).
    pub weight: f64,
    /// The log-likelihood-ratio increment applied.
    pub llr: f64,
    /// Where on the body, if the sensor resolves it and detected.
    pub body: Option<BodyLocation>,
    /// Where the sensor looked, x metres.
    pub x: f64,
    /// Where the sensor looked, y metres.
    pub y: f64,
}

/// Evidence about one person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// Current log-likelihood ratio (carries / does not carry), decayed to `t`.
    pub llr: f64,
    /// Time `llr` refers to, seconds.
    pub t: f64,
    /// Highest value reached.
    pub peak: f64,
    /// The most recent items (at most `chain_max`).
    pub chain: VecDeque<EvidenceItem>,
    /// Items dropped from the front of the chain.
    pub dropped: u64,
    /// Contribution of each sensor (by index), decayed like `llr`, capped at
    /// `sensor_cap_llr`.
    pub per_sensor: Vec<f64>,
}

impl Evidence {
    /// Empty evidence at time `t`.
    pub fn new(t: f64) -> Self {
        Self {
            llr: 0.0,
            t,
            peak: 0.0,
            chain: VecDeque::new(),
            dropped: 0,
            per_sensor: Vec::new(),
        }
    }

    /// Decays the ratio to time `t`: `llr · exp(−Δt/τ)`. Decay pulls both signs toward zero,
    /// so old evidence, positive or negative, fades; time never runs backwards here.
    pub fn decay_to(&mut self, t: f64, cfg: &StandexConfig) {
        let dt = t - self.t;
        if dt > 0.0 {
            let f = (-dt / cfg.decay_tau_s).exp();
            self.llr *= f;
            for c in &mut self.per_sensor {
                *c *= f;
            }
            self.t = t;
        }
    }

    /// Adds one item from sensor number `sensor` (decaying first to the item's time): the
    /// sensor's own contribution is capped at `sensor_cap_llr`, the total clamped to the floor
    /// and ceiling; the item is recorded in the chain with the increment actually applied.
    pub fn add(&mut self, sensor: usize, mut item: EvidenceItem, cfg: &StandexConfig) {
        self.decay_to(item.t, cfg);
        if self.per_sensor.len() <= sensor {
            self.per_sensor.resize(sensor + 1, 0.0);
        }
        let own = self.per_sensor[sensor];
        let capped = (own + item.llr).min(cfg.sensor_cap_llr.max(own));
        item.llr = capped - own;
        self.per_sensor[sensor] = capped;
        self.llr = (self.llr + item.llr).clamp(cfg.llr_floor, cfg.llr_ceiling);
        self.peak = self.peak.max(self.llr);
        if self.chain.len() >= cfg.chain_max {
            self.chain.pop_front();
            self.dropped += 1;
        }
        self.chain.push_back(item);
    }

    /// The body location of the most recent detection that has one.
    pub fn body_location(&self) -> Option<BodyLocation> {
        self.chain
            .iter()
            .rev()
            .filter(|i| i.detected)
            .find_map(|i| i.body)
    }
}

/// The increment for a reading attributed to a person with weight `w` (association
/// probability): `ln(w · LR + 1 − w)`, the likelihood ratio of the mixture "the reading was
/// about this person (ratio LR) or about someone else (ratio 1)". With `w = 1` it is the plain
/// `ln LR`; it never exceeds it in magnitude.
pub fn weighted_llr(full_llr: f64, w: f64) -> f64 {
    let w = w.clamp(0.0, 1.0);
    (w * full_llr.exp() + (1.0 - w)).ln()
}
