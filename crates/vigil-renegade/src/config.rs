//! Thresholds and persistence of the renegade rules, with defaults a duty officer would
//! accept: each indicator needs its condition to hold for a while before it is raised (a
//! single bad plot raises nothing), and to be absent for a while before it clears.

use serde::{Deserialize, Serialize};
use vigil_core::LatLon;

/// A city the rules protect: a track predicted to come within `radius_km` of it, off its
/// planned route, raises "toward a city".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct City {
    /// Name.
    pub name: String,
    /// Centre.
    pub lat: f64,
    /// Centre.
    pub lon: f64,
    /// Protected radius, km.
    #[serde(default = "default_city_radius")]
    pub radius_km: f64,
}

fn default_city_radius() -> f64 {
    15.0
}

impl City {
    /// The centre.
    pub fn centre(&self) -> LatLon {
        LatLon::new(self.lat, self.lon)
    }
}

/// Renegade rule settings (`[renegade]` in the centre's config).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RenegadeConfig {
    /// Seconds a squawk 7500 / 7600 / 7700 must be seen before its indicator is raised.
    /// Emergency codes are deliberate: 0 raises at the first report.
    pub squawk_persist_s: f64,
    /// Seconds an unexplained SSR code (differing from the flight plan's) must persist.
    pub squawk_change_persist_s: f64,
    /// Lateral deviation from the planned corridor that counts, nautical miles.
    pub lateral_deviation_nm: f64,
    /// Seconds the lateral deviation must persist.
    pub lateral_persist_s: f64,
    /// Level deviation from the planned cruise level that counts, feet.
    pub level_deviation_ft: f64,
    /// Seconds the level deviation must persist.
    pub level_persist_s: f64,
    /// Descent rate that counts as a steep descent, feet per minute.
    pub steep_descent_fpm: f64,
    /// Seconds the steep descent must persist.
    pub steep_descent_persist_s: f64,
    /// Steep descents below this altitude are approaches and low-level flying, not an unusual
    /// profile, feet.
    pub steep_descent_min_alt_ft: f64,
    /// How far ahead a straight-line prediction looks for restricted areas and cities, s.
    pub lookahead_s: f64,
    /// Seconds "toward a restricted area" / "toward a city" must persist.
    pub toward_persist_s: f64,
    /// Seconds the tracker's "transponder lost" flag must persist.
    pub transponder_lost_persist_s: f64,
    /// Seconds a condition must be absent before its indicator clears.
    pub clear_after_s: f64,
    /// Seconds a track may be missing from the cycle input before its rule state is dropped.
    pub forget_after_s: f64,
    /// Seconds between re-correlations of a track with the flight plans.
    pub correlate_every_s: f64,
    /// Cities to protect.
    pub cities: Vec<City>,
}

impl Default for RenegadeConfig {
    fn default() -> Self {
        RenegadeConfig {
            squawk_persist_s: 0.0,
            squawk_change_persist_s: 20.0,
            lateral_deviation_nm: 5.0,
            lateral_persist_s: 30.0,
            // Controllers clear aircraft off their filed level all the time; only a large,
            // lasting difference is worth a duty officer's attention.
            level_deviation_ft: 2_000.0,
            level_persist_s: 120.0,
            steep_descent_fpm: 6_000.0,
            steep_descent_persist_s: 20.0,
            steep_descent_min_alt_ft: 5_000.0,
            lookahead_s: 600.0,
            toward_persist_s: 30.0,
            transponder_lost_persist_s: 10.0,
            clear_after_s: 60.0,
            forget_after_s: 120.0,
            correlate_every_s: 30.0,
            cities: Vec::new(),
        }
    }
}

/// A setting out of range.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("renegade config: {field} = {value} is out of range ({why})")]
pub struct ConfigError {
    /// The setting.
    pub field: &'static str,
    /// Its value.
    pub value: f64,
    /// What is allowed.
    pub why: &'static str,
}

impl RenegadeConfig {
    /// Checks every setting.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let non_negative = [
            ("squawk_persist_s", self.squawk_persist_s),
            ("squawk_change_persist_s", self.squawk_change_persist_s),
            ("lateral_persist_s", self.lateral_persist_s),
            ("level_persist_s", self.level_persist_s),
            ("steep_descent_persist_s", self.steep_descent_persist_s),
            ("steep_descent_min_alt_ft", self.steep_descent_min_alt_ft),
            ("toward_persist_s", self.toward_persist_s),
            (
                "transponder_lost_persist_s",
                self.transponder_lost_persist_s,
            ),
            ("clear_after_s", self.clear_after_s),
            ("correlate_every_s", self.correlate_every_s),
        ];
        for (field, value) in non_negative {
            if !(value.is_finite() && value >= 0.0) {
                return Err(ConfigError {
                    field,
                    value,
                    why: "a finite number >= 0",
                });
            }
        }
        let positive = [
            ("lateral_deviation_nm", self.lateral_deviation_nm),
            ("level_deviation_ft", self.level_deviation_ft),
            ("steep_descent_fpm", self.steep_descent_fpm),
            ("lookahead_s", self.lookahead_s),
            ("forget_after_s", self.forget_after_s),
        ];
        for (field, value) in positive {
            if !(value.is_finite() && value > 0.0) {
                return Err(ConfigError {
                    field,
                    value,
                    why: "a finite number > 0",
                });
            }
        }
        for c in &self.cities {
            if !(c.centre().is_valid() && c.radius_km.is_finite() && c.radius_km > 0.0) {
                return Err(ConfigError {
                    field: "cities",
                    value: c.radius_km,
                    why: "a valid position and a radius > 0",
                });
            }
        }
        Ok(())
    }
}
