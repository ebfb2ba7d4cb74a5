//! The airspace configuration (TOML): extra FIRs, the FIR-to-party table, restricted areas
//! and release areas. Coordinates in the configuration are `[lat, lon]` degrees (the order
//! operators read in an AIP), unlike GeoJSON's `[lon, lat]`.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::AirspaceError;

/// The whole airspace configuration. Every section is optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AirspaceConfig {
    /// Raise the upper limit of every FIR read from the GeoJSON to at least this (feet).
    ///
    /// Why: the GeoJSON gives the FIR/UIR split as the upper limit (FL195 or FL245 for many
    /// States), but the State responsible above is the same one (its UIR, same lateral
    /// limits); for "which party is responsible" an aircraft at FL350 over Lithuania must
    /// still resolve to EYVL. `None` keeps the published limits.
    #[serde(default)]
    pub raise_geojson_fir_upper_ft: Option<f64>,
    /// FIR id to party (a free string such as `"NATO/PL"`). A configured FIR's own `party`
    /// field takes precedence over this table.
    #[serde(default)]
    pub parties: BTreeMap<String, String>,
    /// FIRs in addition to the GeoJSON (e.g. UMKK Kaliningrad, absent from it). A FIR with the
    /// id of a GeoJSON FIR replaces it.
    #[serde(default, rename = "fir")]
    pub firs: Vec<FirConfig>,
    /// Restricted areas.
    #[serde(default)]
    pub restricted: Vec<RestrictedConfig>,
    /// Release areas: regions whose tracks may be shared with the partner.
    #[serde(default)]
    pub release: Vec<ReleaseConfig>,
}

impl AirspaceConfig {
    /// Parses a configuration from TOML text.
    pub fn from_toml_str(text: &str) -> Result<Self, AirspaceError> {
        Ok(toml::from_str(text)?)
    }

    /// Reads and parses a configuration file.
    pub fn from_file(path: &Path) -> Result<Self, AirspaceError> {
        let text = std::fs::read_to_string(path).map_err(|source| AirspaceError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_toml_str(&text)
    }
}

/// A FIR defined in the configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FirConfig {
    /// ICAO id, e.g. `"UMKK"`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// The responsible party; falls back to the `[parties]` table.
    #[serde(default)]
    pub party: Option<String>,
    /// Outer ring as `[lat, lon]` pairs (closing vertex optional).
    pub polygon: Vec<[f64; 2]>,
    /// Lower limit, feet (default 0).
    #[serde(default)]
    pub lower_ft: f64,
    /// Upper limit, feet.
    pub upper_ft: f64,
}

/// A restricted (or prohibited, danger) area: a polygon or a circle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RestrictedConfig {
    /// Designator, e.g. `"EP R-1"`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// The party that owns the area, if worth stating.
    #[serde(default)]
    pub party: Option<String>,
    /// Polygon as `[lat, lon]` pairs; give either this or `centre` + `radius_nm`.
    #[serde(default)]
    pub polygon: Option<Vec<[f64; 2]>>,
    /// Circle centre `[lat, lon]`.
    #[serde(default)]
    pub centre: Option<[f64; 2]>,
    /// Circle radius, nautical miles.
    #[serde(default)]
    pub radius_nm: Option<f64>,
    /// Lower limit, feet (default 0).
    #[serde(default)]
    pub lower_ft: f64,
    /// Upper limit, feet.
    pub upper_ft: f64,
    /// Activation times as published (free text). Read but not yet applied: every area is
    /// treated as active.
    #[serde(default)]
    pub active_hours: Option<String>,
}

/// A release area: either an explicit polygon, or the band within `within_nm` of the shared
/// boundary of two FIRs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReleaseConfig {
    /// Identifier, e.g. `"EPWW-UMKK"`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// The party releasing, if worth stating.
    #[serde(default)]
    pub party: Option<String>,
    /// Explicit polygon as `[lat, lon]` pairs; or give `between` + `within_nm`.
    #[serde(default)]
    pub polygon: Option<Vec<[f64; 2]>>,
    /// The two FIR ids whose shared boundary the area follows.
    #[serde(default)]
    pub between: Option<[String; 2]>,
    /// Half-width of the band around the shared boundary, nautical miles.
    #[serde(default)]
    pub within_nm: Option<f64>,
    /// How far apart (km) the two FIRs' boundaries may be and still count as shared: the two
    /// polygons come from different sources and neither share vertices nor meet exactly.
    #[serde(default = "default_tolerance_km")]
    pub boundary_tolerance_km: f64,
    /// Keep only the part of the band inside either of the two FIRs (default true), so a
    /// third State's airspace near the border is not released.
    #[serde(default = "default_true")]
    pub clip_to_firs: bool,
    /// Lower limit, feet (default 0).
    #[serde(default)]
    pub lower_ft: f64,
    /// Upper limit, feet.
    pub upper_ft: f64,
}

fn default_tolerance_km() -> f64 {
    10.0
}

fn default_true() -> bool {
    true
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_example_parses() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/airspace.toml");
        let c = AirspaceConfig::from_file(&path).unwrap();
        assert!(c.firs.iter().any(|f| f.id == "UMKK"));
        assert_eq!(c.parties.get("EPWW").map(String::as_str), Some("NATO/PL"));
        assert!(!c.restricted.is_empty());
        assert!(c.release.iter().any(|r| r.between.is_some()));
    }

    #[test]
    fn unknown_fields_are_refused() {
        let err = AirspaceConfig::from_toml_str(
            "[[fir]]\nid='X'\nname='x'\npolygon=[]\nupper_ft=1\nbogus=1\n",
        );
        assert!(err.is_err());
    }
}
