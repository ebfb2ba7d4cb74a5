//! Typed errors.

/// Errors of this crate: configuration only (the engine itself never fails).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A sensor's specification is not usable.
    #[error("sensor {id}: {why}")]
    Sensor {
        /// The sensor's identifier.
        id: String,
        /// What is wrong.
        why: String,
    },
    /// The engine's configuration is not usable.
    #[error("standex configuration: {0}")]
    Config(String),
    /// The station model refused its configuration or scenario.
    #[error("station: {0}")]
    Station(#[from] vigil_station::StationError),
    /// A TOML file could not be parsed.
    #[error("standex configuration: {0}")]
    Toml(#[from] toml::de::Error),
}
