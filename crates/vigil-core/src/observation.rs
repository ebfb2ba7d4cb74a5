//! Observations: one measurement of one object by one sensor, with its uncertainty and any
//! identity attributes. Every sensor adapter (ADS-B, radar plots, partner tracks, cameras,
//! early-warning radars) produces these; the tracker consumes only these.
//!
//! Plain serialisable data, so a stage can run in another process (design.md, "Scale").

use serde::{Deserialize, Serialize};

use crate::{IcaoAddress, LatLon, SensorId, UnixTime};

/// A point on or above the WGS-84 ellipsoid.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Geodetic {
    /// Latitude / longitude, degrees.
    pub pos: LatLon,
    /// Height above the ellipsoid, metres.
    pub height_m: f64,
}

/// What was measured, in the sensor's own frame.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Measurement {
    /// A horizontal position (ADS-B, partner system tracks), with its covariance in the local
    /// east/north plane at that position, square metres.
    Position {
        /// The position.
        pos: LatLon,
        /// Covariance of (east, north), m².
        cov_en_m2: [[f64; 2]; 2],
    },
    /// A radar plot: slant range and azimuth from the radar, with their standard deviations.
    Polar {
        /// The radar antenna.
        origin: Geodetic,
        /// Slant range, metres.
        range_m: f64,
        /// Azimuth, radians clockwise from true north.
        azimuth_rad: f64,
        /// Elevation, radians above the local horizontal, when the radar measures it (3-D
        /// early-warning radars); 2-D surveillance radars leave it `None`.
        elevation_rad: Option<f64>,
        /// Standard deviation of range, metres.
        sigma_range_m: f64,
        /// Standard deviation of azimuth, radians.
        sigma_azimuth_rad: f64,
        /// Standard deviation of elevation, radians (with `elevation_rad`).
        sigma_elevation_rad: Option<f64>,
    },
}

/// Velocity over ground in the local east/north/up frame.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct VelocityEnu {
    /// East, m/s.
    pub east_mps: f64,
    /// North, m/s.
    pub north_mps: f64,
    /// Up, m/s, when known.
    pub up_mps: Option<f64>,
    /// Standard deviation of each horizontal component, m/s.
    pub sigma_mps: f64,
}

/// Vertical information: barometric (pressure) altitude and/or geometric height.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Vertical {
    /// Barometric altitude, feet (flight level × 100).
    pub baro_ft: Option<f64>,
    /// Geometric height above the ellipsoid, metres.
    pub geom_m: Option<f64>,
}

/// Identity attributes the sensor reported, each optional.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Identity {
    /// Mode S address.
    pub icao: Option<IcaoAddress>,
    /// Mode 3/A code, four octal digits one per nibble (7500 → 0x7500).
    pub mode3a: Option<u16>,
    /// Callsign / flight identification.
    pub callsign: Option<String>,
    /// The sensor's own track number for this object, when it tracks (radar, partner).
    pub sensor_track: Option<u32>,
}

/// One observation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    /// When the measurement was valid.
    pub time: UnixTime,
    /// Which sensor made it.
    pub sensor: SensorId,
    /// The measurement.
    pub measurement: Measurement,
    /// Vertical information.
    pub vertical: Vertical,
    /// Velocity, when the sensor measured or reported one.
    pub velocity: Option<VelocityEnu>,
    /// Identity attributes.
    pub identity: Identity,
}
