//! Errors of policy parsing, validation and releaser construction.

/// Why a policy was refused.
#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    /// The TOML did not parse (or had unknown keys).
    #[error("release policy: {0}")]
    Toml(#[from] toml::de::Error),
    /// A release area is malformed.
    #[error("release area {area}: {reason}")]
    Area {
        /// The area's name (or `area #i`).
        area: String,
        /// What is wrong.
        reason: String,
    },
    /// An area names a volume the airspace does not have (or no airspace was given).
    #[error("release area {area}: no volume {volume} in the airspace")]
    UnknownVolume {
        /// The area's name.
        area: String,
        /// The volume id.
        volume: String,
    },
    /// Another inconsistency.
    #[error("release policy: {0}")]
    Invalid(String),
}

impl ReleaseError {
    pub(crate) fn area(area: &str, reason: impl Into<String>) -> ReleaseError {
        ReleaseError::Area {
            area: area.to_string(),
            reason: reason.into(),
        }
    }
}
