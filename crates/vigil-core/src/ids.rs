//! Identifiers.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// A 24-bit ICAO aircraft address (Mode S address), shown as six lower-case hex digits.
/// The default, 000000, is not assigned to any aircraft.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct IcaoAddress(u32);

impl IcaoAddress {
    /// The address from its 24-bit value; higher bits are dropped.
    pub const fn new(value: u32) -> Self {
        Self(value & 0x00FF_FFFF)
    }

    /// The 24-bit value.
    pub const fn value(self) -> u32 {
        self.0
    }
}

impl fmt::Display for IcaoAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:06x}", self.0)
    }
}

/// The text was not six hex digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an ICAO address (expected six hex digits): {0:?}")]
pub struct ParseIcaoError(pub String);

impl FromStr for IcaoAddress {
    type Err = ParseIcaoError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // A leading '~' marks a non-ICAO (TIS-B / anonymous) address in readsb's output.
        let t = s.trim().trim_start_matches('~');
        if t.len() != 6 {
            return Err(ParseIcaoError(s.to_owned()));
        }
        u32::from_str_radix(t, 16)
            .map(Self)
            .map_err(|_| ParseIcaoError(s.to_owned()))
    }
}

impl Serialize for IcaoAddress {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for IcaoAddress {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A sensor's index in the centre's sensor table (its name lives in configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SensorId(pub u16);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn icao_round_trips_through_text() {
        let a: IcaoAddress = "4840D6".parse().unwrap();
        assert_eq!(a.value(), 0x4840d6);
        assert_eq!(a.to_string(), "4840d6");
        assert!("4840D".parse::<IcaoAddress>().is_err());
        assert!("zzzzzz".parse::<IcaoAddress>().is_err());
    }
}
