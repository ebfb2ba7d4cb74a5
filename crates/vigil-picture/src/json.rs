//! The readsb / dump1090-fa `aircraft.json` schema, so tar1090 and other tools read Vigil's
//! picture as they read a receiver's. Vigil's own additions sit under the `vigil` key, which
//! those tools ignore.

use serde::Serialize;
use vigil_core::UnixTime;

use crate::{Aircraft, Timed};

/// `aircraft.json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PictureJson {
    /// Time of the snapshot, Unix seconds.
    pub now: f64,
    /// Items received so far.
    pub messages: u64,
    /// The aircraft, sorted by `hex`.
    pub aircraft: Vec<AircraftJson>,
}

/// One aircraft in the readsb schema (fields absent when unknown).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AircraftJson {
    /// Address, six hex digits; `~` first for a non-ICAO address.
    pub hex: String,
    /// Best source (readsb `type`).
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Callsign padded to eight characters, as readsb writes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flight: Option<String>,
    /// Barometric altitude in feet, or the string "ground".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alt_baro: Option<serde_json::Value>,
    /// Geometric altitude, feet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alt_geom: Option<i32>,
    /// Ground speed, knots.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gs: Option<f64>,
    /// Indicated airspeed, knots.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ias: Option<u16>,
    /// True airspeed, knots.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tas: Option<u16>,
    /// Track over ground, degrees.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub track: Option<f64>,
    /// Magnetic heading, degrees.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mag_heading: Option<f64>,
    /// Barometric vertical rate, ft/min.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baro_rate: Option<i32>,
    /// Geometric vertical rate, ft/min.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub geom_rate: Option<i32>,
    /// Mode 3/A code, four octal digits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub squawk: Option<String>,
    /// Emergency / priority status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub emergency: Option<&'static str>,
    /// Emitter category, e.g. "A3".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// ADS-B version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<u8>,
    /// Navigation accuracy category, position.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nac_p: Option<u8>,
    /// Navigation accuracy category, velocity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nac_v: Option<u8>,
    /// Source integrity level.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sil: Option<u8>,
    /// Latitude.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lat: Option<f64>,
    /// Longitude.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lon: Option<f64>,
    /// Seconds since the position was last updated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seen_pos: Option<f64>,
    /// Items received for this aircraft.
    pub messages: u64,
    /// Seconds since last heard.
    pub seen: f64,
    /// Strongest recent signal over the sensors that report one, dBFS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rssi: Option<f64>,
    /// Vigil's additions.
    pub vigil: VigilJson,
}

/// Vigil's additions to an aircraft entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VigilJson {
    /// First heard, Unix seconds.
    pub first_seen: f64,
    /// Seconds since each field was last set (only fields that are set).
    pub age: std::collections::BTreeMap<&'static str, f64>,
    /// What each sensor contributed.
    pub sensors: Vec<SensorJson>,
}

/// One sensor's contribution to an aircraft.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SensorJson {
    /// Sensor name (or its index when unnamed).
    pub name: String,
    /// Items from it.
    pub messages: u64,
    /// Last signal, dBFS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rssi: Option<f64>,
    /// Seconds since last heard by it.
    pub seen: f64,
}

/// Rounds for display, as readsb does, so outputs stay small and stable.
fn round(v: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (v * f).round() / f
}

impl AircraftJson {
    /// The entry of `a` as seen at `now`.
    pub fn new(a: &Aircraft, now: UnixTime, sensor_names: &[String]) -> Self {
        let age = |at: UnixTime| round(now.since(at).max(0.0), 1);
        let mut ages = std::collections::BTreeMap::new();
        let mut note = |name: &'static str, at: Option<UnixTime>| {
            if let Some(at) = at {
                ages.insert(name, age(at));
            }
        };
        fn at<T>(t: &Option<Timed<T>>) -> Option<UnixTime> {
            t.as_ref().map(|t| t.at)
        }
        note("position", at(&a.position));
        note("alt_baro", at(&a.alt_baro_ft));
        note("alt_geom", at(&a.alt_geom_ft));
        note("gs", at(&a.gs_kt));
        note("track", at(&a.track_deg));
        note("mag_heading", at(&a.heading_deg));
        note("airspeed", at(&a.airspeed));
        note("vert_rate", at(&a.vert_rate));
        note("flight", at(&a.callsign));
        note("squawk", at(&a.squawk));
        note("emergency", at(&a.emergency));
        note("category", at(&a.category));
        let ground = a.on_ground.is_some_and(|g| g.value);
        let alt_baro = if ground {
            Some(serde_json::Value::from("ground"))
        } else {
            a.alt_baro_ft.map(|v| serde_json::Value::from(v.value))
        };
        let (baro_rate, geom_rate) = match a.vert_rate.map(|v| v.value) {
            Some((r, true)) => (Some(r), None),
            Some((r, false)) => (None, Some(r)),
            None => (None, None),
        };
        let airspeed = a.airspeed.map(|s| s.value);
        Self {
            hex: if a.non_icao {
                format!("~{}", a.icao)
            } else {
                a.icao.to_string()
            },
            kind: a.source.readsb_name(),
            flight: a.callsign.map(|c| format!("{:<8}", c.value.as_str())),
            alt_baro,
            alt_geom: a.alt_geom_ft.map(|v| v.value),
            gs: a.gs_kt.map(|v| round(v.value, 1)),
            ias: airspeed.filter(|s| !s.tas).map(|s| s.kt),
            tas: airspeed.filter(|s| s.tas).map(|s| s.kt),
            track: a.track_deg.map(|v| round(v.value, 2)),
            mag_heading: a.heading_deg.map(|v| round(v.value, 2)),
            baro_rate,
            geom_rate,
            squawk: a.squawk.map(|s| format!("{:04x}", s.value)),
            emergency: a.emergency.map(|e| e.value.readsb_name()),
            category: a.category.map(|c| format!("{:02X}", c.value)),
            version: a.adsb_version.map(|v| v.value),
            nac_p: a.nac_p.map(|v| v.value),
            nac_v: a.nac_v.map(|v| v.value),
            sil: a.sil.map(|v| v.value),
            lat: a.position.map(|p| round(p.value.lat, 6)),
            lon: a.position.map(|p| round(p.value.lon, 6)),
            seen_pos: a.position.map(|p| age(p.at)),
            messages: a.messages,
            seen: age(a.last_seen),
            rssi: a
                .sensors
                .iter()
                .filter_map(|s| s.rssi_dbfs)
                .reduce(f64::max)
                .map(|r| round(r, 1)),
            vigil: VigilJson {
                first_seen: a.first_seen.secs(),
                age: ages,
                sensors: a
                    .sensors
                    .iter()
                    .map(|s| SensorJson {
                        name: sensor_names
                            .get(usize::from(s.sensor.0))
                            .cloned()
                            .unwrap_or_else(|| s.sensor.0.to_string()),
                        messages: s.messages,
                        rssi: s.rssi_dbfs.map(|r| round(r, 1)),
                        seen: age(s.last_seen),
                    })
                    .collect(),
            },
        }
    }
}
