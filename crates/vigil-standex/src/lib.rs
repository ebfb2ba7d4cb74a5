//! STANDEX: stand-off explosive detection over anonymous people tracks.
//!
//! The chain, one step per camera scan:
//!
//! ```text
//! people tracks (vigil-people)  +  stand-off sensor readings (sensing, simulated here)
//!          |                                   |
//!          +--> association (reading -> tracks inside the sensor's coverage, gated, split
//!          |    when ambiguous) --> evidence (per track log-likelihood ratio, decaying,
//!          |    bounded, with its chain) --> cascade (cue: task sensors on the predicted path:
//!          |    the straight line and the station's routes ahead)
//!          |    --> alarm (track, position now and ahead, zone, body location, evidence)
//! ```
//!
//! **Anonymous.** The engine holds anonymous track identifiers, floor positions, velocities,
//! sensor readings and evidence. No image, appearance feature or identity ever enters it, and
//! nothing it outputs (alarms, snapshot for the UI) contains one.
//!
//! Modules: [`sensor`] (stand-off sensor specs and cones), [`sensing`] (seeded simulation of
//! their looks), [`association`], [`evidence`], [`engine`] (cascade and alarms,
//! [`Standex::step`]), [`snapshot`] (for the UI), [`site`] (adapters to `vigil-station` and
//! `vigil-people`; the station's routes give the cascade its predicted paths), [`eval`] (the
//! whole chain over seeded crowd runs). The settings for the
//! example station are built in ([`example_config`], `config/example.toml`).
//!
//! **Architecture invariant:** deterministic and synchronous: time is an argument, randomness
//! only in the seeded sensing simulator, no I/O but parsing configuration text.

pub mod association;
pub mod config;
pub mod engine;
pub mod error;
pub mod eval;
pub mod evidence;
pub mod sensing;
pub mod sensor;
pub mod site;
pub mod snapshot;
pub mod track;

pub use config::{SensingConfig, SensorOverride, StandexConfig};
pub use engine::{Alarm, Cue, NoZones, SensorState, Standex, StepOutput, Task, ZoneMap};
pub use error::Error;
pub use evidence::{Evidence, EvidenceItem};
pub use sensing::{Reading, SensorSim, TruthPerson};
pub use sensor::{BodyLocation, Capacity, SensorKind, SensorSpec};
pub use track::TrackView;

/// The STANDEX settings for the example station (`config/example.toml` of this crate,
/// built in): thresholds and sensing figures. The sensor layout itself (positions, cones,
/// ranges) is the station file's (`config/stations/example.toml`); this needs no
/// `[[sensor_override]]`.
pub fn example_config() -> Result<StandexConfig, Error> {
    StandexConfig::from_toml(include_str!("../config/example.toml"))
}
