//! A serialisable snapshot of the engine for the UI: people with evidence, sensors with
//! on/off, tasking and coverage, alarms. Anonymous: track ids and positions only.

use serde::{Deserialize, Serialize};

use crate::{Alarm, SensorKind, Standex};

/// One person in the snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonSnapshot {
    /// Anonymous track id.
    pub track: u64,
    /// Position, metres.
    pub position: [f64; 2],
    /// Velocity, metres per second.
    pub velocity: [f64; 2],
    /// Log-likelihood ratio.
    pub llr: f64,
    /// Under further sensors.
    pub cued: bool,
    /// Alarm raised.
    pub alarmed: bool,
}

/// One sensor in the snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SensorSnapshot {
    /// Identifier.
    pub id: String,
    /// Kind.
    pub kind: SensorKind,
    /// On or off.
    pub on: bool,
    /// Always on (otherwise switched by the cascade).
    pub always_on: bool,
    /// Tracks it is tasked to, in serving order.
    pub tasked: Vec<u64>,
    /// Coverage cone as a polygon, metres.
    pub coverage: Vec<[f64; 2]>,
}

/// The whole snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Time of the last step, seconds.
    pub t: f64,
    /// People tracks, by track id. Only people with evidence other than zero are listed
    /// unless `all_people` was asked for.
    pub people: Vec<PersonSnapshot>,
    /// Sensors in configuration order.
    pub sensors: Vec<SensorSnapshot>,
    /// Every alarm raised.
    pub alarms: Vec<Alarm>,
}

impl Standex {
    /// The snapshot for the UI. With `all_people` false only people with non-zero evidence
    /// are listed (the rest are plain tracks the UI already has).
    pub fn snapshot(&self, all_people: bool) -> Snapshot {
        let mut people: Vec<PersonSnapshot> = self
            .people_iter()
            .filter(|(_, p)| all_people || p.evidence.llr != 0.0 || p.cued)
            .map(|(id, p)| PersonSnapshot {
                track: id,
                position: p.track.predict(self.time()),
                velocity: [p.track.vx, p.track.vy],
                llr: p.evidence.llr,
                cued: p.cued,
                alarmed: p.alarmed,
            })
            .collect();
        people.sort_by_key(|p| p.track);
        let sensors = self
            .sensors()
            .iter()
            .zip(self.sensor_states())
            .map(|(spec, st)| SensorSnapshot {
                id: spec.id.clone(),
                kind: spec.kind,
                on: st.on,
                always_on: st.always_on,
                tasked: st.tasks.iter().map(|k| k.track).collect(),
                coverage: spec.coverage_polygon(16),
            })
            .collect();
        Snapshot {
            t: self.time(),
            people,
            sensors,
            alarms: self.alarms().to_vec(),
        }
    }
}
