//! The crate's error type.

use std::path::PathBuf;

/// Why an airspace could not be loaded or built.
#[derive(Debug, thiserror::Error)]
pub enum AirspaceError {
    /// A file could not be read.
    #[error("reading {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The FIR GeoJSON is not valid JSON or not a FeatureCollection of polygons.
    #[error("FIR GeoJSON: {0}")]
    GeoJson(String),
    /// The TOML configuration does not parse or has unknown fields.
    #[error("airspace config: {0}")]
    Toml(#[from] toml::de::Error),
    /// A volume's definition is unusable (bad polygon, missing or conflicting shape, bad
    /// altitudes).
    #[error("volume {id}: {reason}")]
    Invalid {
        /// The volume's id.
        id: String,
        /// What is wrong.
        reason: String,
    },
    /// A release area names a FIR that does not exist.
    #[error("release area {area}: unknown FIR {fir}")]
    UnknownFir {
        /// The release area's id.
        area: String,
        /// The missing FIR id.
        fir: String,
    },
    /// Two volumes share an id (a configured FIR may replace a GeoJSON FIR of the same id;
    /// anything else is a mistake).
    #[error("duplicate volume id {0}")]
    Duplicate(String),
}

impl AirspaceError {
    pub(crate) fn invalid(id: &str, reason: impl Into<String>) -> Self {
        AirspaceError::Invalid {
            id: id.to_string(),
            reason: reason.into(),
        }
    }
}
