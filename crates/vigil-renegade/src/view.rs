//! What the rules see of a track: a flat, copyable view built by the centre from its tracker
//! and picture each cycle.

use serde::{Deserialize, Serialize};
use vigil_core::{IcaoAddress, LatLon, UnixTime};

/// ADS-B emergency / priority status (DO-260B BDS 6,1 subtype 1), as the renegade rules need
/// it. Kept here rather than borrowed from the decoder so the rules do not depend on a wire
/// format: a partner's CAT062 track or an operator can report it too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum EmergencyStatus {
    /// No emergency.
    #[default]
    None,
    /// General emergency.
    General,
    /// Lifeguard / medical.
    Medical,
    /// Minimum fuel.
    MinimumFuel,
    /// No communications (radio failure).
    NoCommunications,
    /// Unlawful interference (hijack).
    UnlawfulInterference,
    /// Downed aircraft.
    Downed,
    /// A reserved code.
    Reserved,
}

/// Callsign: up to 8 characters, stored inline so a view is `Copy` and a cycle allocates
/// nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Callsign {
    bytes: [u8; 8],
    len: u8,
}

impl Callsign {
    /// A callsign from text: trimmed, upper-cased, ASCII letters and digits only, at most 8
    /// characters; `None` when nothing is left.
    pub fn new(s: &str) -> Option<Self> {
        let mut c = Callsign::default();
        for b in s.trim().bytes() {
            if !b.is_ascii_alphanumeric() {
                continue;
            }
            if usize::from(c.len) == c.bytes.len() {
                break;
            }
            c.bytes[usize::from(c.len)] = b.to_ascii_uppercase();
            c.len += 1;
        }
        (c.len > 0).then_some(c)
    }

    /// The callsign as text.
    pub fn as_str(&self) -> &str {
        // Only ASCII alphanumerics are ever stored (see `new`), so this cannot fail.
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or("")
    }
}

impl std::fmt::Display for Callsign {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Callsign {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Callsign {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Callsign::new(&s).ok_or_else(|| serde::de::Error::custom("empty callsign"))
    }
}

/// One track as the rules see it at one cycle.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrackView {
    /// System track number.
    pub id: u64,
    /// Time of the estimate.
    pub time: UnixTime,
    /// Position.
    pub pos: LatLon,
    /// Pressure altitude (or geometric when no pressure altitude), feet.
    pub alt_ft: Option<f64>,
    /// Ground velocity east and north, m/s.
    pub vel_en: [f64; 2],
    /// Vertical rate, feet per minute (positive up).
    pub vrate_fpm: f64,
    /// Mode S address.
    pub icao: Option<IcaoAddress>,
    /// Callsign.
    pub callsign: Option<Callsign>,
    /// Current Mode 3/A code, one octal digit per nibble (7500 → 0x7500).
    pub squawk: Option<u16>,
    /// ADS-B emergency / priority status.
    pub emergency: EmergencyStatus,
    /// The tracker's flag: identified before, now fed by primary plots only.
    pub transponder_lost: bool,
    /// Confirmed track (tentative tracks raise nothing).
    pub confirmed: bool,
    /// A military aircraft (fighter): never itself a renegade candidate.
    pub military: bool,
}

impl TrackView {
    /// Ground speed, m/s.
    pub fn speed_mps(&self) -> f64 {
        self.vel_en[0].hypot(self.vel_en[1])
    }

    /// Course over ground, degrees clockwise from north in [0, 360).
    pub fn course_deg(&self) -> f64 {
        self.vel_en[0]
            .atan2(self.vel_en[1])
            .to_degrees()
            .rem_euclid(360.0)
    }
}

/// Formats a Mode 3/A code stored one octal digit per nibble.
pub fn squawk_str(code: u16) -> String {
    format!("{code:04X}")
}
