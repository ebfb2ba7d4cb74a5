//! CAT062 SDPS Track Messages: the fields a tracker or display uses ([`Track`]), and a
//! writer of track records from plain values ([`TrackOut`]).

use vigil_core::{IcaoAddress, LatLon};

use crate::cat048::{ModeCode, mode_code};
use crate::modes::CommB;
use crate::record::Record;
use crate::view::{Fields, KT_PER_NM_S, sac_sic, scalar};

mod out;
pub use out::{AgesOut, StatusOut, TrackOut};

/// I062/080 track status: the flags most consumers look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrackStatus {
    /// MON = 0: multisensor track.
    pub multisensor: bool,
    /// SPI present in the last report.
    pub spi: bool,
    /// SRC: source of the calculated altitude (I062/130).
    pub altitude_source: u8,
    /// CNF = 0.
    pub confirmed: bool,
    /// Simulated track (first extension).
    pub simulated: Option<bool>,
    /// Last message for this track (first extension).
    pub end_of_track: Option<bool>,
    /// First message for this track (first extension).
    pub start_of_track: Option<bool>,
    /// Flight-plan correlated (first extension).
    pub flight_plan_correlated: Option<bool>,
    /// Coasting: the track was not updated by any sensor at the last cycle (third extension).
    pub coasting: Option<bool>,
}

/// I062/380 aircraft derived data (subset).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AircraftDerived {
    /// ADR target address.
    pub address: Option<IcaoAddress>,
    /// ID target identification.
    pub callsign: Option<String>,
    /// MHG magnetic heading, degrees.
    pub magnetic_heading_deg: Option<f64>,
    /// IAS: indicated airspeed (kt) when IM = 0.
    pub ias_kt: Option<f64>,
    /// IAS: Mach when IM = 1.
    pub mach: Option<f64>,
    /// TAS true airspeed, kt.
    pub tas_kt: Option<f64>,
    /// SAL selected altitude, ft.
    pub selected_altitude_ft: Option<f64>,
    /// BVR barometric vertical rate, ft/min.
    pub baro_rate_ft_min: Option<f64>,
    /// GVR geometric vertical rate, ft/min.
    pub geo_rate_ft_min: Option<f64>,
    /// GS ground speed, kt.
    pub ground_speed_kt: Option<f64>,
    /// TAN track angle, degrees.
    pub track_angle_deg: Option<f64>,
    /// BDS register data (BDSDATA, 1.21 and later: 8 bytes = MB + BDS number).
    pub comm_b: Vec<CommB>,
}

/// I062/390 flight plan related data (subset).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FlightPlan {
    /// CS callsign (7 characters).
    pub callsign: Option<String>,
    /// TAC type of aircraft.
    pub aircraft_type: Option<String>,
    /// WTC wake turbulence category.
    pub wake_category: Option<String>,
    /// DEP departure aerodrome.
    pub departure: Option<String>,
    /// DST destination aerodrome.
    pub destination: Option<String>,
    /// CFL current cleared flight level.
    pub cleared_fl: Option<f64>,
}

/// I062/290 system track update ages, seconds (absent when never received).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct UpdateAges {
    /// TRK track age.
    pub track: Option<f64>,
    /// PSR age.
    pub psr: Option<f64>,
    /// SSR age.
    pub ssr: Option<f64>,
    /// Mode S age.
    pub mode_s: Option<f64>,
    /// ADS-C age.
    pub ads_c: Option<f64>,
    /// ADS-B 1090 ES age.
    pub es: Option<f64>,
    /// Multilateration age.
    pub mlat: Option<f64>,
}

/// The fields of a CAT062 record, in physical units.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Track {
    /// I010 (SAC, SIC).
    pub sac_sic: Option<(u8, u8)>,
    /// I015 service identification.
    pub service_id: Option<u8>,
    /// I070 time of track information, seconds since UTC midnight.
    pub time_of_track_s: Option<f64>,
    /// I105 WGS-84 position.
    pub position: Option<LatLon>,
    /// I100 cartesian position (x m, y m).
    pub cartesian_m: Option<(f64, f64)>,
    /// I185 cartesian velocity (vx m/s, vy m/s).
    pub velocity_m_s: Option<(f64, f64)>,
    /// I060.
    pub mode3a: Option<ModeCode>,
    /// I040 track number.
    pub track_number: Option<u16>,
    /// I080.
    pub status: Option<TrackStatus>,
    /// I290.
    pub ages: Option<UpdateAges>,
    /// I380.
    pub aircraft: Option<AircraftDerived>,
    /// I136 measured flight level.
    pub measured_fl: Option<f64>,
    /// I130 calculated geometric altitude, ft.
    pub geometric_altitude_ft: Option<f64>,
    /// I135 calculated barometric altitude, FL.
    pub barometric_fl: Option<f64>,
    /// I220 rate of climb/descent, ft/min.
    pub rate_of_climb_ft_min: Option<f64>,
    /// I390.
    pub flight_plan: Option<FlightPlan>,
}

impl Track {
    /// Reads the typed fields of a CAT062 record (1.18 or 1.21); never fails.
    pub fn from_record(rec: &Record<'_>) -> Self {
        let status = Fields::of(rec, "080").and_then(|f| {
            Some(TrackStatus {
                multisensor: !f.flag("MON")?,
                spi: f.flag("SPI")?,
                altitude_source: f.u8("SRC")?,
                confirmed: !f.flag("CNF")?,
                simulated: f.flag("SIM"),
                end_of_track: f.flag("TSE"),
                start_of_track: f.flag("TSB"),
                flight_plan_correlated: f.flag("FPC"),
                coasting: f.flag("CST"),
            })
        });
        let ages = Fields::of(rec, "290").map(|f| UpdateAges {
            track: f.f("TRK"),
            psr: f.f("PSR"),
            ssr: f.f("SSR"),
            mode_s: f.f("MDS"),
            ads_c: f.f("ADS"),
            es: f.f("ES"),
            mlat: f.f("MLT"),
        });
        let flight_plan = Fields::of(rec, "390").map(|f| FlightPlan {
            callsign: f.text("CS"),
            aircraft_type: f.text("TAC"),
            wake_category: f.text("WTC"),
            departure: f.text("DEP"),
            destination: f.text("DST"),
            cleared_fl: f.f("CFL"),
        });
        Self {
            sac_sic: sac_sic(rec),
            service_id: Fields::of(rec, "015").and_then(|f| f.u8("")),
            time_of_track_s: scalar(rec, "070"),
            position: Fields::of(rec, "105")
                .and_then(|f| Some(LatLon::new(f.f("LAT")?, f.f("LON")?))),
            cartesian_m: Fields::of(rec, "100").and_then(|f| Some((f.f("X")?, f.f("Y")?))),
            velocity_m_s: Fields::of(rec, "185").and_then(|f| Some((f.f("VX")?, f.f("VY")?))),
            mode3a: Fields::of(rec, "060").and_then(|f| mode_code(&f, "MODE3A")),
            track_number: Fields::of(rec, "040").and_then(|f| f.u16("")),
            status,
            ages,
            aircraft: aircraft(rec),
            measured_fl: scalar(rec, "136"),
            geometric_altitude_ft: scalar(rec, "130"),
            barometric_fl: Fields::of(rec, "135").and_then(|f| f.f("CTB")),
            rate_of_climb_ft_min: scalar(rec, "220"),
            flight_plan,
        }
    }
}

fn aircraft(rec: &Record<'_>) -> Option<AircraftDerived> {
    let f = Fields::of(rec, "380")?;
    let im = f.flag("IAS/IM");
    // IAS/IAS is IAS in NM/s (LSB 2^-14) or Mach (LSB 0.001) depending on IM; the table
    // leaves it raw because its meaning switches.
    let ias = f.u("IAS/IAS").map(|v| v as f64);
    // BDSDATA repetitions are 64-bit: 56-bit MB then the 8-bit register number.
    let comm_b = f
        .iter()
        .filter(|l| l.path.starts_with("BDSDATA["))
        .map(|l| CommB::decode((l.raw & 0xff) as u8, l.raw >> 8))
        .collect();
    Some(AircraftDerived {
        address: f.u("ADR").map(|a| IcaoAddress::new(a as u32)),
        callsign: f.text("ID"),
        magnetic_heading_deg: f.f("MHG"),
        ias_kt: if im == Some(false) {
            ias.map(|v| v / 16384.0 * KT_PER_NM_S)
        } else {
            None
        },
        mach: if im == Some(true) {
            ias.map(|v| v / 1000.0)
        } else {
            None
        },
        tas_kt: f.f("TAS"),
        selected_altitude_ft: f.f("SAL/ALT"),
        baro_rate_ft_min: f.f("BVR"),
        geo_rate_ft_min: f.f("GVR"),
        ground_speed_kt: f.f("GS").map(|v| v * KT_PER_NM_S),
        track_angle_deg: f.f("TAN"),
        comm_b,
    })
}
