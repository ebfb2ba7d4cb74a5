//! CAT048 Monoradar Target Reports: a typed view of the fields a tracker uses.

use vigil_core::IcaoAddress;

use crate::modes::CommB;
use crate::record::Record;
use crate::value::Value;
use crate::view::{Fields, KT_PER_NM_S, sac_sic, scalar};

/// I048/020 Target Report Descriptor (first octet and first extension).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Descriptor {
    /// TYP: 0 no detection, 1 PSR, 2 SSR, 3 SSR+PSR, 4 Mode S all-call, 5 roll-call,
    /// 6 all-call + PSR, 7 roll-call + PSR.
    pub typ: u8,
    /// Simulated target report.
    pub simulated: bool,
    /// Report from RDP chain 2.
    pub rdp_chain_2: bool,
    /// Special Position Identification.
    pub spi: bool,
    /// Report from a field monitor (fixed transponder).
    pub field_monitor: bool,
    /// Test target (first extension).
    pub test: Option<bool>,
    /// Military emergency (first extension).
    pub military_emergency: Option<bool>,
}

/// A Mode 3/A (or Mode 2) code with its quality bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModeCode {
    /// The 12 code bits; `format!("{:04o}", code)` prints the usual four octal digits.
    pub code: u16,
    /// V = 0.
    pub validated: bool,
    /// G = 1.
    pub garbled: bool,
    /// L = 1: not extracted this scan (smoothed / changed meaning per category).
    pub not_extracted: bool,
}

/// I048/090 Flight level.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FlightLevel {
    /// Flight level (hundreds of feet), resolution 1/4.
    pub fl: f64,
    /// V = 0.
    pub validated: bool,
    /// G = 1.
    pub garbled: bool,
}

/// I048/130 Radar plot characteristics (each subfield optional).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PlotCharacteristics {
    /// SSR plot runlength, degrees.
    pub ssr_runlength_deg: Option<f64>,
    /// Number of received (M)SSR replies.
    pub ssr_replies: Option<u8>,
    /// (M)SSR reply amplitude, dBm.
    pub ssr_amplitude_dbm: Option<f64>,
    /// Primary plot runlength, degrees.
    pub psr_runlength_deg: Option<f64>,
    /// Primary plot amplitude, dBm.
    pub psr_amplitude_dbm: Option<f64>,
    /// Range PSR − SSR, NM.
    pub range_diff_nm: Option<f64>,
    /// Azimuth PSR − SSR, degrees.
    pub azimuth_diff_deg: Option<f64>,
}

/// I048/170 Track status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrackStatus {
    /// CNF = 0.
    pub confirmed: bool,
    /// RAD: 0 combined, 1 PSR, 2 SSR/Mode S, 3 invalid.
    pub rad: u8,
    /// Low confidence in plot-to-track association.
    pub doubtful: bool,
    /// Horizontal manoeuvre sensed.
    pub manoeuvre: bool,
    /// CDM: 0 maintaining, 1 climbing, 2 descending, 3 unknown.
    pub climb_descent: u8,
    /// Last report for this track (first extension).
    pub end_of_track: Option<bool>,
    /// Ghost target track (first extension).
    pub ghost: Option<bool>,
}

/// I048/230 Communications/ACAS capability and flight status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommsCapability {
    /// COM: communications capability.
    pub com: u8,
    /// STAT: flight status (alert, SPI, on ground).
    pub stat: u8,
    /// II-code capable.
    pub ii_capable: bool,
    /// Mode S specific service capability.
    pub mssc: bool,
    /// 25 ft altitude reporting.
    pub alt_25ft: bool,
    /// Aircraft identification capability.
    pub aic: bool,
    /// BDS 1,0 bit 16.
    pub b1a: u8,
    /// BDS 1,0 bits 37/40.
    pub b1b: u8,
}

/// The fields of a CAT048 record that the tracker uses, in physical units.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Report {
    /// I010 (SAC, SIC).
    pub sac_sic: Option<(u8, u8)>,
    /// I140 time of day, seconds since UTC midnight.
    pub time_of_day_s: Option<f64>,
    /// I020.
    pub descriptor: Option<Descriptor>,
    /// I040 measured position: (rho NM, theta degrees).
    pub polar: Option<(f64, f64)>,
    /// I070.
    pub mode3a: Option<ModeCode>,
    /// I090.
    pub flight_level: Option<FlightLevel>,
    /// I130.
    pub plot: Option<PlotCharacteristics>,
    /// I220.
    pub address: Option<IcaoAddress>,
    /// I240 (8 characters, trailing spaces kept).
    pub callsign: Option<String>,
    /// I250 Comm-B registers.
    pub comm_b: Vec<CommB>,
    /// I161.
    pub track_number: Option<u16>,
    /// I042 calculated position (x NM, y NM).
    pub cartesian: Option<(f64, f64)>,
    /// I200 calculated velocity (ground speed kt, heading degrees).
    pub velocity: Option<(f64, f64)>,
    /// I170.
    pub track_status: Option<TrackStatus>,
    /// I110 height measured by a 3D radar, ft.
    pub height_3d_ft: Option<f64>,
    /// I230.
    pub comms: Option<CommsCapability>,
}

impl Report {
    /// Reads the typed fields of a CAT048 record (any carried edition). Absent or
    /// undecodable items are `None`; this never fails.
    pub fn from_record(rec: &Record<'_>) -> Self {
        let descriptor = Fields::of(rec, "020").and_then(|f| {
            Some(Descriptor {
                typ: f.u8("TYP")?,
                simulated: f.flag("SIM")?,
                rdp_chain_2: f.flag("RDP")?,
                spi: f.flag("SPI")?,
                field_monitor: f.flag("RAB")?,
                test: f.flag("TST"),
                military_emergency: f.flag("ME"),
            })
        });
        let plot = Fields::of(rec, "130").map(|f| PlotCharacteristics {
            ssr_runlength_deg: f.f("SRL"),
            ssr_replies: f.u8("SRR"),
            ssr_amplitude_dbm: f.f("SAM"),
            psr_runlength_deg: f.f("PRL"),
            psr_amplitude_dbm: f.f("PAM"),
            range_diff_nm: f.f("RPD"),
            azimuth_diff_deg: f.f("APD"),
        });
        let track_status = Fields::of(rec, "170").and_then(|f| {
            Some(TrackStatus {
                confirmed: !f.flag("CNF")?,
                rad: f.u8("RAD")?,
                doubtful: f.flag("DOU")?,
                manoeuvre: f.flag("MAH")?,
                climb_descent: f.u8("CDM")?,
                end_of_track: f.flag("TRE"),
                ghost: f.flag("GHO"),
            })
        });
        let comms = Fields::of(rec, "230").and_then(|f| {
            Some(CommsCapability {
                com: f.u8("COM")?,
                stat: f.u8("STAT")?,
                ii_capable: f.flag("SI")?,
                mssc: f.flag("MSSC")?,
                alt_25ft: f.flag("ARC")?,
                aic: f.flag("AIC")?,
                b1a: f.u8("B1A")?,
                b1b: f.u8("B1B")?,
            })
        });
        Self {
            sac_sic: sac_sic(rec),
            time_of_day_s: scalar(rec, "140"),
            descriptor,
            polar: Fields::of(rec, "040").and_then(|f| Some((f.f("RHO")?, f.f("THETA")?))),
            mode3a: Fields::of(rec, "070").and_then(|f| mode_code(&f, "MODE3A")),
            flight_level: Fields::of(rec, "090").and_then(|f| {
                Some(FlightLevel {
                    fl: f.f("FL")?,
                    validated: !f.flag("V")?,
                    garbled: f.flag("G")?,
                })
            }),
            plot,
            address: Fields::of(rec, "220")
                .and_then(|f| f.u(""))
                .map(|a| IcaoAddress::new(a as u32)),
            callsign: Fields::of(rec, "240").and_then(|f| f.text("")),
            comm_b: rec
                .item("250")
                .map(|i| comm_b(i.repetitions()))
                .unwrap_or_default(),
            track_number: Fields::of(rec, "161").and_then(|f| f.u16("TRN")),
            cartesian: Fields::of(rec, "042").and_then(|f| Some((f.f("X")?, f.f("Y")?))),
            velocity: Fields::of(rec, "200")
                .and_then(|f| Some((f.f("GSP")? * KT_PER_NM_S, f.f("HDG")?))),
            track_status,
            height_3d_ft: Fields::of(rec, "110").and_then(|f| f.f("3DH")),
            comms,
        }
    }
}

/// A Mode 2 / Mode 3/A code group (V, G, L, code).
pub(crate) fn mode_code(f: &Fields, code: &str) -> Option<ModeCode> {
    Some(ModeCode {
        code: f.u16(code)?,
        validated: !f.flag("V")?,
        garbled: f.flag("G")?,
        not_extracted: f.flag("L").or_else(|| f.flag("CH"))?,
    })
}

/// Decodes I048/250 repetitions (MBDATA 56 bits, BDS1, BDS2).
fn comm_b(reps: &[Value]) -> Vec<CommB> {
    reps.iter()
        .filter_map(|r| match r {
            Value::Group(g) => match g.as_slice() {
                [Value::Element(mb), Value::Element(b1), Value::Element(b2)] => {
                    Some(CommB::decode(((b1 << 4) | b2) as u8, *mb))
                }
                _ => None,
            },
            _ => None,
        })
        .collect()
}
