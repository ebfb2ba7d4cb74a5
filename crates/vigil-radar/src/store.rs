//! The latest observations of each ASTERIX sensor, placed on the map: what
//! `/data/radar.json` shows until the tracker consumes them.
//!
//! Synchronous and deterministic like the picture: ages are measured on each sensor's own
//! observation time, so a replayed capture stays visible after its end.

use serde::Serialize;
use std::collections::VecDeque;
use vigil_core::{Geodetic, Measurement, Observation, SensorId, UnixTime};

use crate::geo::plot_position;

/// How much each sensor keeps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StoreLimits {
    /// Keep observations at most this many seconds older than the sensor's newest.
    pub keep_s: f64,
    /// And at most this many per sensor.
    pub max_per_sensor: usize,
}

impl Default for StoreLimits {
    fn default() -> Self {
        Self {
            keep_s: 12.0,
            max_per_sensor: 2000,
        }
    }
}

/// One observation as `/data/radar.json` shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plot {
    /// Measurement time, Unix seconds.
    pub time: UnixTime,
    /// `polar` (a radar plot) or `position` (a reported position: system track, ADS-B).
    pub kind: &'static str,
    /// Latitude, degrees (for a plot: projected with its altitude, for display).
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Slant range, metres (plots).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub range_m: Option<f64>,
    /// Azimuth, degrees clockwise from north (plots).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub azimuth_deg: Option<f64>,
    /// Standard deviation of the position along its largest axis, metres (reported
    /// positions).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sigma_m: Option<f64>,
    /// Barometric altitude, feet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alt_baro: Option<f64>,
    /// Geometric height, metres.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alt_geom_m: Option<f64>,
    /// Ground speed, knots.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gs: Option<f64>,
    /// Track over ground, degrees.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub track: Option<f64>,
    /// Mode S address, six hex digits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hex: Option<String>,
    /// Mode 3/A code, four octal digits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub squawk: Option<String>,
    /// Callsign.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flight: Option<String>,
    /// The sensor's own track number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sensor_track: Option<u32>,
}

impl Plot {
    /// The display form of an observation.
    pub fn new(o: &Observation) -> Self {
        let (kind, pos, range_m, azimuth_deg, sigma_m) = match o.measurement {
            Measurement::Polar {
                origin,
                range_m,
                azimuth_rad,
                ..
            } => {
                // The plot's altitude is barometric: good enough as a height for projecting
                // the slant range on the ground at display scale.
                let height = o
                    .vertical
                    .geom_m
                    .or(o.vertical.baro_ft.map(|ft| ft * 0.3048));
                let p = plot_position(&origin, range_m, azimuth_rad, height);
                let az = azimuth_rad.to_degrees().rem_euclid(360.0);
                ("polar", p, Some(range_m), Some(az), None)
            }
            Measurement::Position { pos, cov_en_m2 } => {
                let largest = cov_en_m2[0][0].max(cov_en_m2[1][1]).max(0.0).sqrt();
                ("position", pos, None, None, Some(largest))
            }
        };
        let (gs, track) = o.velocity.map_or((None, None), |v| {
            let speed = v.east_mps.hypot(v.north_mps);
            let course = v.east_mps.atan2(v.north_mps).to_degrees().rem_euclid(360.0);
            (Some(speed * 3600.0 / 1852.0), Some(course))
        });
        Self {
            time: o.time,
            kind,
            lat: pos.lat,
            lon: pos.lon,
            range_m,
            azimuth_deg,
            sigma_m,
            alt_baro: o.vertical.baro_ft,
            alt_geom_m: o.vertical.geom_m,
            gs,
            track,
            hex: o.identity.icao.map(|a| a.to_string()),
            squawk: o.identity.mode3a.map(|c| format!("{c:04x}")),
            flight: o.identity.callsign.clone(),
            sensor_track: o.identity.sensor_track,
        }
    }
}

/// One sensor's recent observations.
#[derive(Debug, Clone)]
struct Recent {
    id: SensorId,
    name: String,
    origin: Option<Geodetic>,
    latest: Option<UnixTime>,
    plots: VecDeque<Plot>,
}

/// Recent observations of every ASTERIX sensor.
#[derive(Debug, Clone)]
pub struct RecentObservations {
    limits: StoreLimits,
    sensors: Vec<Recent>,
}

/// One sensor in `/data/radar.json`.
#[derive(Debug, Serialize)]
pub struct SensorJson<'a> {
    /// The sensor's id.
    pub id: SensorId,
    /// Its name.
    pub name: &'a str,
    /// The antenna's position (configured, or reported by the radar once known).
    pub position: Option<Geodetic>,
    /// Time of the newest observation.
    pub latest: Option<UnixTime>,
    /// Observations kept.
    pub count: usize,
    /// The observations, oldest first.
    pub plots: Vec<&'a Plot>,
}

impl RecentObservations {
    /// An empty store for the sensors `(id, name, configured position)`.
    pub fn new(
        limits: StoreLimits,
        sensors: impl IntoIterator<Item = (SensorId, String, Option<Geodetic>)>,
    ) -> Self {
        Self {
            limits,
            sensors: sensors
                .into_iter()
                .map(|(id, name, origin)| Recent {
                    id,
                    name,
                    origin,
                    latest: None,
                    plots: VecDeque::new(),
                })
                .collect(),
        }
    }

    /// Adds observations of `sensor` (ignored when the sensor is not in the store).
    pub fn push(&mut self, sensor: SensorId, observations: &[Observation]) {
        let Some(recent) = self.sensors.iter_mut().find(|s| s.id == sensor) else {
            return;
        };
        for o in observations {
            if let Measurement::Polar { origin, .. } = o.measurement {
                recent.origin = Some(origin);
            }
            if recent.latest.is_none_or(|l| o.time > l) {
                recent.latest = Some(o.time);
            }
            recent.plots.push_back(Plot::new(o));
        }
        if let Some(latest) = recent.latest {
            // Observations arrive roughly in time order (one scan after the other), so old
            // ones are at the front.
            while recent
                .plots
                .front()
                .is_some_and(|p| latest.since(p.time) > self.limits.keep_s)
            {
                recent.plots.pop_front();
            }
        }
        while recent.plots.len() > self.limits.max_per_sensor {
            recent.plots.pop_front();
        }
    }

    /// Every sensor's recent observations.
    pub fn sensors(&self) -> Vec<SensorJson<'_>> {
        self.sensors
            .iter()
            .map(|s| SensorJson {
                id: s.id,
                name: &s.name,
                position: s.origin,
                latest: s.latest,
                count: s.plots.len(),
                plots: s.plots.iter().collect(),
            })
            .collect()
    }
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::unwrap_used)] // tests: a failed expectation is the report
mod tests {
    use super::*;
    use vigil_core::{Identity, LatLon, Vertical};

    fn polar(t: f64, range_m: f64) -> Observation {
        Observation {
            time: UnixTime(t),
            sensor: SensorId(1),
            measurement: Measurement::Polar {
                origin: Geodetic {
                    pos: LatLon::new(45.0, 16.0),
                    height_m: 0.0,
                },
                range_m,
                azimuth_rad: 0.0,
                elevation_rad: None,
                sigma_range_m: 40.0,
                sigma_azimuth_rad: 0.001,
                sigma_elevation_rad: None,
            },
            vertical: Vertical::default(),
            velocity: None,
            identity: Identity {
                mode3a: Some(0x7500),
                ..Identity::default()
            },
        }
    }

    #[test]
    fn keeps_the_last_seconds_of_each_sensor_and_places_plots() {
        let mut s = RecentObservations::new(
            StoreLimits {
                keep_s: 10.0,
                max_per_sensor: 3,
            },
            [(SensorId(1), "r".to_owned(), None)],
        );
        s.push(
            SensorId(1),
            &[polar(100.0, 100_000.0), polar(105.0, 100_000.0)],
        );
        s.push(SensorId(2), &[polar(100.0, 1.0)]); // unknown sensor: ignored
        let j = s.sensors();
        assert_eq!(j[0].count, 2);
        assert!(j[0].position.is_some(), "origin learned from the plots");
        let p = j[0].plots[0];
        assert!(
            (p.lat - 45.8993).abs() < 1e-3 && (p.lon - 16.0).abs() < 1e-9,
            "{p:?}"
        );
        assert_eq!(p.squawk.as_deref(), Some("7500"));
        s.push(SensorId(1), &[polar(112.0, 1.0)]);
        let j = s.sensors();
        assert_eq!(
            j[0].count, 2,
            "the plot at 100 s is more than 10 s older than 112 s"
        );
        s.push(SensorId(1), &[polar(113.0, 1.0), polar(113.5, 1.0)]);
        assert_eq!(s.sensors()[0].count, 3, "capped");
    }
}
