//! CAT034 Monoradar Service Messages: north marker, sector crossing, system status.

use vigil_core::LatLon;

use crate::record::Record;
use crate::view::{Fields, sac_sic, scalar};

/// I034/000 message type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageType {
    /// 1: North marker.
    NorthMarker,
    /// 2: Sector crossing.
    SectorCrossing,
    /// 3: Geographical filtering.
    GeographicalFiltering,
    /// 4: Jamming strobe.
    JammingStrobe,
    /// 5: Solar storm.
    SolarStorm,
    /// Any other value.
    Other(u8),
}

impl From<u8> for MessageType {
    fn from(v: u8) -> Self {
        match v {
            1 => Self::NorthMarker,
            2 => Self::SectorCrossing,
            3 => Self::GeographicalFiltering,
            4 => Self::JammingStrobe,
            5 => Self::SolarStorm,
            o => Self::Other(o),
        }
    }
}

/// I034/050 system configuration and status, common part (COM subfield).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SystemStatus {
    /// NOGO = 0: released for operational use.
    pub operational: bool,
    /// RDPC-2 selected.
    pub rdp_chain_2: bool,
    /// Reset/restart of the selected RDP chain.
    pub rdp_reset: bool,
    /// RDP overload.
    pub rdp_overload: bool,
    /// Transmission subsystem overload.
    pub transmission_overload: bool,
    /// Monitoring system disconnected.
    pub monitoring_disconnected: bool,
    /// Time source invalid.
    pub time_source_invalid: bool,
}

/// A CAT034 service message.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Message {
    /// I010 (SAC, SIC).
    pub sac_sic: Option<(u8, u8)>,
    /// I000.
    pub message_type: Option<MessageType>,
    /// I030 time of day, seconds since UTC midnight.
    pub time_of_day_s: Option<f64>,
    /// I020 sector azimuth, degrees.
    pub sector_deg: Option<f64>,
    /// I041 antenna rotation period, seconds.
    pub rotation_period_s: Option<f64>,
    /// I050 common status.
    pub status: Option<SystemStatus>,
    /// I120 position of the data source and its height (m above the WGS-84 ellipsoid).
    pub position: Option<(LatLon, f64)>,
}

impl Message {
    /// Reads the typed fields of a CAT034 record; never fails.
    pub fn from_record(rec: &Record<'_>) -> Self {
        let status = Fields::of(rec, "050").and_then(|f| {
            Some(SystemStatus {
                operational: !f.flag("COM/NOGO")?,
                rdp_chain_2: f.flag("COM/RDPC")?,
                rdp_reset: f.flag("COM/RDPR")?,
                rdp_overload: f.flag("COM/OVLRDP")?,
                transmission_overload: f.flag("COM/OVLXMT")?,
                monitoring_disconnected: f.flag("COM/MSC")?,
                time_source_invalid: f.flag("COM/TSV")?,
            })
        });
        Self {
            sac_sic: sac_sic(rec),
            message_type: Fields::of(rec, "000")
                .and_then(|f| f.u8(""))
                .map(MessageType::from),
            time_of_day_s: scalar(rec, "030"),
            sector_deg: scalar(rec, "020"),
            rotation_period_s: scalar(rec, "041"),
            status,
            position: Fields::of(rec, "120")
                .and_then(|f| Some((LatLon::new(f.f("LAT")?, f.f("LON")?), f.f("HGT")?))),
        }
    }
}
