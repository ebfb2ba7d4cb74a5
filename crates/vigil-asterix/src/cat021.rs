//! CAT021 ADS-B Target Reports: the fields a tracker uses (editions 0.26 and 2.x).

use vigil_core::{IcaoAddress, LatLon};

use crate::record::Record;
use crate::view::{Fields, KT_PER_NM_S, sac_sic, scalar};

/// A CAT021 report.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Report {
    /// I010 (SAC, SIC).
    pub sac_sic: Option<(u8, u8)>,
    /// I080 target address.
    pub address: Option<IcaoAddress>,
    /// Position: I131 high resolution when present, else I130.
    pub position: Option<LatLon>,
    /// Time: I073 (time of message reception for position, 2.x) else I030 (0.26), seconds
    /// since UTC midnight.
    pub time_of_day_s: Option<f64>,
    /// I145 flight level.
    pub flight_level: Option<f64>,
    /// I140 geometric height, ft.
    pub geometric_height_ft: Option<f64>,
    /// I160 ground speed (kt) and track angle (degrees).
    pub ground_vector: Option<(f64, f64)>,
    /// I170 target identification.
    pub callsign: Option<String>,
    /// I161 track number (2.x).
    pub track_number: Option<u16>,
}

impl Report {
    /// Reads the typed fields of a CAT021 record; never fails.
    pub fn from_record(rec: &Record<'_>) -> Self {
        let latlon = |item: &str| {
            Fields::of(rec, item).and_then(|f| Some(LatLon::new(f.f("LAT")?, f.f("LON")?)))
        };
        Self {
            sac_sic: sac_sic(rec),
            address: Fields::of(rec, "080")
                .and_then(|f| f.u(""))
                .map(|a| IcaoAddress::new(a as u32)),
            position: latlon("131").or_else(|| latlon("130")),
            time_of_day_s: scalar(rec, "073").or_else(|| scalar(rec, "030")),
            flight_level: scalar(rec, "145"),
            geometric_height_ft: scalar(rec, "140"),
            ground_vector: Fields::of(rec, "160")
                .and_then(|f| Some((f.f("GS")? * KT_PER_NM_S, f.f("TA")?))),
            callsign: Fields::of(rec, "170").and_then(|f| f.text("")),
            track_number: Fields::of(rec, "161").and_then(|f| f.u16("TRNUM")),
        }
    }
}
