//! Exercise scenarios: a declarative TOML format and a deterministic generator of truth.
//!
//! A duty officer writes an exercise (`scenarios/*.toml`): aerodromes, the flights with
//! their filed plans and what happens on board (radio silence, deviation, squawk 7500,
//! transponder off, landing), the fighters and their missions (scramble, intercept, escort
//! to the border, take over at the border), background traffic from a recording.
//! [`generate`] turns it into [`Truth`]: 1 Hz trajectories of every aircraft (the same
//! [`vigil_track::sim::Trajectory`] the sensor simulator reads), the timelines of what each
//! transponder sends (Mode 3/A code, ADS-B emergency status, on/off), what ATC reports and
//! when, and when and where each escorted aircraft was handed over between nations'
//! fighters. Turning truth into wire frames (Beast, ASTERIX) is another crate's job.
//!
//! Kinematics are in [`flight`]: a point-mass integrator on the sphere with bank-limited
//! turns, constant climb and speed-change rates, fly-by waypoints and a 3° approach.
//!
//! **Architecture invariant:** deterministic and clock-free. Times are seconds after the
//! scenario's `start`; every aircraft steps on whole seconds; nothing is random (the
//! scenario's `seed` is carried for whoever adds noise). Generating the same scenario twice
//! gives identical truth. The only I/O is reading the files a scenario names (airspace,
//! background recording), each optional with a note in [`Truth::notes`] when absent.

pub mod flight;
mod generate;
pub mod geo;
pub mod scenario;
pub mod truth;

use std::path::PathBuf;

pub use generate::{build_airspace, generate};
pub use scenario::{Emergency, Scenario};
pub use truth::{EscortTruth, HandoverTruth, ReportKind, SimAircraft, TimedReport, Truth};

/// A scenario could not be read or generated.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// Reading a file.
    #[error("reading {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The TOML does not parse or has unknown keys.
    #[error("scenario: {0}")]
    Toml(Box<toml::de::Error>),
    /// The scenario parses but does not make sense.
    #[error("invalid scenario: {0}")]
    Invalid(String),
    /// The airspace files.
    #[error("airspace: {0}")]
    Airspace(#[from] vigil_airspace::AirspaceError),
    /// The background recording.
    #[error("background traffic: {0}")]
    Background(#[from] vigil_track::sim::SimError),
}
