//! SBS BaseStation CSV (`MSG,1..8`), as served on port 30003 by dump1090 / readsb.
//!
//! TODO(framing helper): implement `SbsFramer` (line splitting, field parsing, counters).

use crate::frame::FeedItem;
use crate::framing::{Framer, FramingStats};
use vigil_core::IcaoAddress;

/// One `MSG` line, with the fields BaseStation defines for its transmission type.
/// Empty fields are `None`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SbsMessage {
    /// Transmission type 1..=8.
    pub transmission_type: u8,
    /// The aircraft's address (field 5, hex ident).
    pub icao: Option<IcaoAddress>,
    /// Date and time the message was generated (fields 7 and 8), as Unix seconds, UTC assumed.
    pub generated: Option<f64>,
    /// Callsign (field 11), trimmed.
    pub callsign: Option<String>,
    /// Barometric altitude in feet (field 12).
    pub altitude_ft: Option<i32>,
    /// Ground speed in knots (field 13).
    pub ground_speed_kt: Option<f64>,
    /// Track over ground in degrees (field 14).
    pub track_deg: Option<f64>,
    /// Latitude (field 15).
    pub lat: Option<f64>,
    /// Longitude (field 16).
    pub lon: Option<f64>,
    /// Vertical rate in ft/min (field 17).
    pub vertical_rate_fpm: Option<i32>,
    /// Mode 3/A code (field 18) as four octal digits, e.g. 7500 = 0o7500.
    pub squawk: Option<u16>,
    /// Squawk changed flag (field 19).
    pub alert: Option<bool>,
    /// Emergency flag (field 20).
    pub emergency: Option<bool>,
    /// Ident / SPI flag (field 21).
    pub spi: Option<bool>,
    /// On-ground flag (field 22).
    pub on_ground: Option<bool>,
}

/// Push parser for SBS lines.
#[derive(Debug, Default)]
pub struct SbsFramer {
    stats: FramingStats,
}

impl Framer for SbsFramer {
    fn push(&mut self, _chunk: &[u8], _sink: &mut dyn FnMut(FeedItem)) {}
    fn finish(&mut self) {}
    fn stats(&self) -> FramingStats {
        self.stats
    }
}
