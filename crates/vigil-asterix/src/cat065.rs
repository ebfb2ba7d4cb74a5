//! CAT065 SDPS Service Status Messages.

use crate::record::Record;
use crate::view::{Fields, sac_sic, scalar};

/// A CAT065 status message.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Message {
    /// I010 (SAC, SIC).
    pub sac_sic: Option<(u8, u8)>,
    /// I000 message type: 1 SDPS status, 2 end of batch, 3 service status report.
    pub message_type: Option<u8>,
    /// I015 service identification.
    pub service_id: Option<u8>,
    /// I030 time of message, seconds since UTC midnight.
    pub time_of_day_s: Option<f64>,
    /// I020 batch number.
    pub batch_number: Option<u8>,
    /// I040 SDPS configuration: NOGO (0 operational, 1 degraded, 2 not currently connected,
    /// 3 unknown).
    pub nogo: Option<u8>,
}

impl Message {
    /// Reads the typed fields of a CAT065 record; never fails.
    pub fn from_record(rec: &Record<'_>) -> Self {
        Self {
            sac_sic: sac_sic(rec),
            message_type: Fields::of(rec, "000").and_then(|f| f.u8("")),
            service_id: Fields::of(rec, "015").and_then(|f| f.u8("")),
            time_of_day_s: scalar(rec, "030"),
            batch_number: Fields::of(rec, "020").and_then(|f| f.u8("")),
            nogo: Fields::of(rec, "040").and_then(|f| f.u8("NOGO")),
        }
    }
}
