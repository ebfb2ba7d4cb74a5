//! The Mode S / ADS-B fast path: decodes the fields the air picture uses, allocation-free.
//!
//! [`decode`] checks parity and reads identity, altitude, squawk, callsign, category, CPR
//! position fields, velocity and emergency status from DF 0/4/5/11/16/17/18/20/21. Positions
//! need state (the other CPR frame, or a reference): see [`cpr`]. Everything else (the full
//! Comm-B zoo, operational status, …) is left to the rs1090 reference decoder.
//!
//! Values follow ICAO Doc 9871 / Annex 10 Vol IV and agree with rs1090 on real recordings
//! (tests/agreement.rs), with these deliberate differences, each one a place where rs1090
//! reports a value the standard calls "not available" or mis-scales it:
//! - DF18 replies must pass the parity check, like DF17 (rs1090 checks DF17 only);
//! - a velocity component or vertical rate whose raw value is 0 means "no information";
//! - supersonic velocity subtypes (2 and 4) are scaled by 4 kt per LSB;
//! - a GNSS-minus-baro raw value of 1 means a difference of 0 ft, not "unknown".

pub mod cpr;
pub mod crc;

use vigil_core::IcaoAddress;

/// Why a reply was not decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Not 7 or 14 bytes, or the length does not match the downlink format.
    #[error("reply length {len} bytes does not fit downlink format {df}")]
    BadLength {
        /// Downlink format from the first five bits.
        df: u8,
        /// Bytes received.
        len: usize,
    },
    /// The parity check failed (DF11/17/18).
    #[error("parity check failed for DF{df} (remainder {remainder:06x})")]
    BadCrc {
        /// Downlink format.
        df: u8,
        /// CRC remainder.
        remainder: u32,
    },
    /// A downlink format the fast path does not read (DF19, DF24+, reserved).
    #[error("downlink format {0} is not decoded by the fast path")]
    UnsupportedDf(u8),
}

/// How the aircraft address was obtained, which decides how far it can be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AddressKind {
    /// Sent in clear and covered by a parity check that passed (DF11, DF17, DF18).
    #[default]
    Checked,
    /// Recovered from the address/parity overlay (DF0/4/5/16/20/21): any bit error yields
    /// a plausible but wrong address, so trust it only for an aircraft already known.
    Overlay,
}

/// Eight IA-5 characters as sent (`#` for invalid codes), without trailing spaces.
#[derive(Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Callsign {
    bytes: [u8; 8],
    len: u8,
}

impl Callsign {
    /// The callsign as text.
    pub fn as_str(&self) -> &str {
        // Invariant: bytes come from CALLSIGN_CHARS, all ASCII.
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or("")
    }

    /// A callsign from text (at most eight ASCII characters kept).
    pub fn from_text(s: &str) -> Self {
        let mut bytes = [b' '; 8];
        let t = s.trim_end();
        let n = t.len().min(8);
        bytes[..n].copy_from_slice(&t.as_bytes()[..n]);
        let len = bytes.iter().rposition(|&b| b != b' ').map_or(0, |p| p + 1) as u8;
        Self { bytes, len }
    }

    /// Whether every character is a valid letter, digit or space and at least one is not a
    /// space.
    pub fn is_valid(&self) -> bool {
        self.len > 0
            && self.bytes[..usize::from(self.len)]
                .iter()
                .all(|&b| b != b'#')
    }
}

impl std::fmt::Debug for Callsign {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

impl std::fmt::Display for Callsign {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// ICAO 6-bit character set (Annex 10 Vol IV Table 3-8).
const CALLSIGN_CHARS: &[u8; 64] =
    b"#ABCDEFGHIJKLMNOPQRSTUVWXYZ##### ###############0123456789######";

/// Reads eight 6-bit characters from the low 48 bits of `bits`.
fn callsign_from_bits(bits: u64) -> Callsign {
    let mut bytes = [b' '; 8];
    for (i, b) in bytes.iter_mut().enumerate() {
        *b = CALLSIGN_CHARS[((bits >> (42 - 6 * i)) & 0x3F) as usize];
    }
    let len = bytes.iter().rposition(|&b| b != b' ').map_or(0, |p| p + 1) as u8;
    Callsign { bytes, len }
}

/// The position fields of an ADS-B position message, before CPR decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CprFields {
    /// Odd (F=1) or even (F=0) format.
    pub odd: bool,
    /// 17-bit encoded latitude.
    pub lat: u32,
    /// 17-bit encoded longitude.
    pub lon: u32,
    /// Surface format (TC 5–8: finer grid, 90° zones).
    pub surface: bool,
}

/// Emergency / priority status of ADS-B BDS 6,1 subtype 1 (DO-260B Table 2-93).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Emergency {
    /// No emergency.
    None = 0,
    /// General emergency (7700).
    General = 1,
    /// Lifeguard / medical.
    Lifeguard = 2,
    /// Minimum fuel.
    MinFuel = 3,
    /// No communications (7600).
    NoRadio = 4,
    /// Unlawful interference (7500): a hijack.
    Unlawful = 5,
    /// Downed aircraft.
    Downed = 6,
    /// Reserved code 7.
    Reserved = 7,
}

impl Emergency {
    fn from_code(c: u8) -> Self {
        match c & 7 {
            0 => Self::None,
            1 => Self::General,
            2 => Self::Lifeguard,
            3 => Self::MinFuel,
            4 => Self::NoRadio,
            5 => Self::Unlawful,
            6 => Self::Downed,
            _ => Self::Reserved,
        }
    }

    /// The name readsb uses in `aircraft.json`.
    pub fn readsb_name(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::General => "general",
            Self::Lifeguard => "lifeguard",
            Self::MinFuel => "minfuel",
            Self::NoRadio => "nordo",
            Self::Unlawful => "unlawful",
            Self::Downed => "downed",
            Self::Reserved => "reserved",
        }
    }
}

/// Airspeed reported with heading in velocity subtypes 3 and 4.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Airspeed {
    /// Knots.
    pub kt: u16,
    /// True airspeed (`true`) or indicated (`false`).
    pub tas: bool,
}

/// The fields of one reply that the air picture uses. Plain `Copy` data.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ModeS {
    /// Downlink format.
    pub df: u8,
    /// Aircraft address.
    pub icao: IcaoAddress,
    /// How the address was obtained.
    pub address: AddressKind,
    /// DF18 with a non-ICAO (anonymous or TIS-B track-file) address.
    pub non_icao: bool,
    /// ADS-B type code (0 when not an extended squitter).
    pub tc: u8,
    /// Barometric altitude, feet.
    pub alt_baro_ft: Option<i32>,
    /// Geometric (GNSS) height, feet.
    pub alt_geom_ft: Option<i32>,
    /// On the ground (`Some(true)`), airborne (`Some(false)`), or unknown.
    pub on_ground: Option<bool>,
    /// Mode 3/A code as four octal digits packed one per nibble (7500 → 0x7500).
    pub squawk: Option<u16>,
    /// Flight identification.
    pub callsign: Option<Callsign>,
    /// Emitter category as readsb writes it (0xA3 → "A3").
    pub category: Option<u8>,
    /// CPR position fields.
    pub cpr: Option<CprFields>,
    /// Ground speed, knots.
    pub gs_kt: Option<f64>,
    /// Track over ground, degrees.
    pub track_deg: Option<f64>,
    /// Magnetic heading, degrees (velocity subtypes 3/4).
    pub heading_deg: Option<f64>,
    /// Airspeed (velocity subtypes 3/4).
    pub airspeed: Option<Airspeed>,
    /// Vertical rate, ft/min.
    pub vert_rate_fpm: Option<i32>,
    /// Whether the vertical rate is barometric (`true`) or geometric.
    pub vert_rate_baro: bool,
    /// Geometric minus barometric altitude, feet.
    pub geom_minus_baro_ft: Option<i32>,
    /// Emergency / priority status.
    pub emergency: Option<Emergency>,
    /// ADS-B version (0, 1 or 2) from the operational status message (TC 31).
    pub adsb_version: Option<u8>,
    /// Navigation accuracy category for position (TC 31): 95 % bound on the horizontal
    /// error, 11 = under 3 m ... 1 = under 10 NM, 0 = unknown.
    pub nac_p: Option<u8>,
    /// Navigation accuracy category for velocity (TC 19).
    pub nac_v: Option<u8>,
    /// Source integrity level (TC 31).
    pub sil: Option<u8>,
}

/// Decodes one 7- or 14-byte reply.
///
/// A short reply may come padded to 14 bytes; the padding is ignored.
/// Fails only on a bad length, a failed parity check where the format allows one, or a
/// format the fast path does not read. Never allocates, never panics.
#[inline]
pub fn decode(frame: &[u8]) -> Result<ModeS, DecodeError> {
    let Some(&b0) = frame.first() else {
        return Err(DecodeError::BadLength { df: 0, len: 0 });
    };
    let df = b0 >> 3;
    let long = df >= 16;
    let want = if long { 14 } else { 7 };
    // The downlink format fixes the length. Some recorders (OpenSky among them) store
    // short replies in 14-byte slots; the bytes past the reply are not part of it.
    if frame.len() != want && frame.len() != 14 {
        return Err(DecodeError::BadLength {
            df,
            len: frame.len(),
        });
    }
    let frame = &frame[..want];
    let rem = crc::remainder(frame);
    let mut m = ModeS {
        df,
        ..ModeS::default()
    };
    match df {
        0 | 16 => {
            m.icao = IcaoAddress::new(rem);
            m.address = AddressKind::Overlay;
            m.on_ground = Some(b0 & 0x04 != 0);
            m.alt_baro_ft = ac13(ac13_field(frame));
        }
        4 | 20 => {
            m.icao = IcaoAddress::new(rem);
            m.address = AddressKind::Overlay;
            m.on_ground = flight_status_ground(b0 & 7);
            m.alt_baro_ft = ac13(ac13_field(frame));
            if df == 20 {
                comm_b(&mut m, frame);
            }
        }
        5 | 21 => {
            m.icao = IcaoAddress::new(rem);
            m.address = AddressKind::Overlay;
            m.on_ground = flight_status_ground(b0 & 7);
            m.squawk = Some(rs1090::decode::decode_id13(ac13_field(frame)));
            if df == 21 {
                comm_b(&mut m, frame);
            }
        }
        11 => {
            // The remainder is the interrogator identifier (II or SI code): below 80.
            if rem >= 80 {
                return Err(DecodeError::BadCrc { df, remainder: rem });
            }
            m.icao = IcaoAddress::new(address_field(frame));
            m.on_ground = capability_ground(b0 & 7);
        }
        17 => {
            if rem != 0 {
                return Err(DecodeError::BadCrc { df, remainder: rem });
            }
            m.icao = IcaoAddress::new(address_field(frame));
            m.on_ground = capability_ground(b0 & 7);
            extended_squitter(&mut m, me_field(frame));
        }
        18 => {
            if rem != 0 {
                return Err(DecodeError::BadCrc { df, remainder: rem });
            }
            m.icao = IcaoAddress::new(address_field(frame));
            // CF (DO-260B 2.2.3.2.1.2): 0 ES/NT with ICAO address, 1 ES/NT with other
            // address, 2 fine TIS-B, 5 TIS-B with other address, 6 ADS-R; the ME of these
            // has the DF17 layout. 3 (coarse TIS-B), 4 (management) and 7 do not.
            let cf = b0 & 7;
            match cf {
                0 | 6 => extended_squitter(&mut m, me_field(frame)),
                1 | 2 | 5 => {
                    // Fine TIS-B (CF=2) usually carries the ICAO address of a radar target;
                    // CF 1 and 5 carry another kind of address.
                    m.non_icao = cf != 2;
                    extended_squitter(&mut m, me_field(frame));
                }
                _ => {}
            }
        }
        _ => return Err(DecodeError::UnsupportedDf(df)),
    }
    Ok(m)
}

/// The 13-bit AC / ID field (bits 20–32).
#[inline]
fn ac13_field(frame: &[u8]) -> u16 {
    (u16::from(frame[2] & 0x1F) << 8) | u16::from(frame[3])
}

#[inline]
fn address_field(frame: &[u8]) -> u32 {
    (u32::from(frame[1]) << 16) | (u32::from(frame[2]) << 8) | u32::from(frame[3])
}

/// The 56-bit ME / MB field (bytes 4..11) in the low bits of a u64.
#[inline]
fn me_field(frame: &[u8]) -> u64 {
    frame[4..11]
        .iter()
        .fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
}

/// Flight status (DF4/5/20/21) to ground state.
fn flight_status_ground(fs: u8) -> Option<bool> {
    match fs {
        0 | 2 => Some(false),
        1 | 3 => Some(true),
        _ => None,
    }
}

/// Capability (DF11/17) to ground state: 4 on the ground, 5 airborne.
fn capability_ground(ca: u8) -> Option<bool> {
    match ca {
        4 => Some(true),
        5 => Some(false),
        _ => None,
    }
}

/// Altitude from the 13-bit AC field (Annex 10 Vol IV 3.1.2.6.5.4).
pub fn ac13(ac: u16) -> Option<i32> {
    if ac == 0 {
        return None;
    }
    let m_bit = ac & 0x40 != 0;
    let q_bit = ac & 0x10 != 0;
    if m_bit {
        // Metric altitude is "reserved"; transponders do not send it. Treat as unknown.
        return None;
    }
    if q_bit {
        let n = ((ac & 0x1F80) >> 2) | ((ac & 0x20) >> 1) | (ac & 0x0F);
        Some(i32::from(n) * 25 - 1000)
    } else {
        gillham(rs1090::decode::decode_id13(ac))
    }
}

/// Altitude from the 12-bit AC field of airborne position messages (no M bit).
pub fn ac12(ac: u16) -> Option<i32> {
    if ac == 0 {
        return None;
    }
    // Re-insert a zero M bit to get the 13-bit layout.
    ac13(((ac & 0x0FC0) << 1) | (ac & 0x003F))
}

/// Gillham (Mode C) code, in the nibble-per-digit form, to feet.
fn gillham(code: u16) -> Option<i32> {
    rs1090::decode::gray2alt(code).ok().map(|n| n * 100)
}

/// Comm-B (DF20/21): reads BDS 2,0 aircraft identification when the MB field announces it
/// and every character is valid. Other registers are ambiguous without interrogation
/// context; the reference decoder infers them.
fn comm_b(m: &mut ModeS, frame: &[u8]) {
    let mb = me_field(frame);
    if mb >> 48 == 0x20 {
        let cs = callsign_from_bits(mb);
        if cs.is_valid() {
            m.callsign = Some(cs);
        }
    }
}

/// Decodes the ME field of an extended squitter (DF17, DF18 with ADS-B layout).
fn extended_squitter(m: &mut ModeS, me: u64) {
    let tc = (me >> 51) as u8;
    m.tc = tc;
    match tc {
        1..=4 => {
            let ca = ((me >> 48) & 7) as u8;
            // readsb: category set A..D from TC 4..1, then the CA number.
            m.category = Some(((0x0E - tc) << 4) | ca);
            m.callsign = Some(callsign_from_bits(me));
        }
        5..=8 => {
            m.on_ground = Some(true);
            let mov = ((me >> 44) & 0x7F) as u8;
            m.gs_kt = surface_movement(mov);
            if (me >> 43) & 1 == 1 {
                m.track_deg = Some(f64::from(((me >> 36) & 0x7F) as u32) * 360.0 / 128.0);
            }
            m.cpr = Some(cpr_fields(me, true));
        }
        9..=18 | 20..=22 => {
            m.on_ground = Some(false);
            let alt = ac12(((me >> 36) & 0xFFF) as u16);
            if tc <= 18 {
                m.alt_baro_ft = alt;
            } else {
                m.alt_geom_ft = alt;
            }
            let cpr = cpr_fields(me, false);
            // An all-zero position is the "no position" encoding some transponders send.
            if cpr.lat != 0 || cpr.lon != 0 {
                m.cpr = Some(cpr);
            }
        }
        19 => {
            m.nac_v = Some(((me >> 43) & 7) as u8);
            velocity(m, me);
        }
        // Operational status (DO-260B 2.2.3.2.7.2): version, NACp and SIL sit at the same
        // place in the airborne and surface subtypes; earlier versions' layouts differ, so
        // read the accuracy only when the version says 1 or 2.
        31 if (me >> 48) & 7 <= 1 => {
            let version = ((me >> 13) & 7) as u8;
            m.adsb_version = Some(version);
            if version >= 1 {
                m.nac_p = Some(((me >> 8) & 0xF) as u8);
                m.sil = Some(((me >> 4) & 3) as u8);
            }
        }
        28 if (me >> 48) & 7 == 1 => {
            m.emergency = Some(Emergency::from_code(((me >> 45) & 7) as u8));
            let id = ((me >> 32) & 0x1FFF) as u16;
            if id != 0 {
                m.squawk = Some(rs1090::decode::decode_id13(id));
            }
        }
        _ => {}
    }
}

fn cpr_fields(me: u64, surface: bool) -> CprFields {
    CprFields {
        odd: (me >> 34) & 1 == 1,
        lat: ((me >> 17) & 0x1FFFF) as u32,
        lon: (me & 0x1FFFF) as u32,
        surface,
    }
}

/// Surface movement field to ground speed (DO-260B Table 2-13).
fn surface_movement(mov: u8) -> Option<f64> {
    let m = f64::from(mov);
    match mov {
        0 | 125..=127 => None,
        1 => Some(0.0),
        2..=8 => Some(0.125 + 0.125 * (m - 2.0)),
        9..=12 => Some(1.0 + 0.25 * (m - 9.0)),
        13..=38 => Some(2.0 + 0.5 * (m - 13.0)),
        39..=93 => Some(15.0 + (m - 39.0)),
        94..=108 => Some(70.0 + 2.0 * (m - 94.0)),
        109..=123 => Some(100.0 + 5.0 * (m - 109.0)),
        _ => Some(175.0),
    }
}

/// Airborne velocity (TC 19).
fn velocity(m: &mut ModeS, me: u64) {
    let st = ((me >> 48) & 7) as u8;
    let scale = if st == 2 || st == 4 { 4.0 } else { 1.0 };
    match st {
        1 | 2 => {
            let ew_raw = ((me >> 32) & 0x3FF) as u16;
            let ns_raw = ((me >> 21) & 0x3FF) as u16;
            if ew_raw != 0 && ns_raw != 0 {
                let ew_sign = if (me >> 42) & 1 == 1 { -1.0 } else { 1.0 };
                let ns_sign = if (me >> 31) & 1 == 1 { -1.0 } else { 1.0 };
                let ew = ew_sign * f64::from(ew_raw - 1) * scale;
                let ns = ns_sign * f64::from(ns_raw - 1) * scale;
                m.gs_kt = Some(ew.hypot(ns));
                let t = ew.atan2(ns).to_degrees();
                m.track_deg = Some(if t < 0.0 { t + 360.0 } else { t });
            }
        }
        3 | 4 => {
            if (me >> 42) & 1 == 1 {
                m.heading_deg = Some(f64::from(((me >> 32) & 0x3FF) as u32) * 360.0 / 1024.0);
            }
            let raw = ((me >> 21) & 0x3FF) as u16;
            if raw != 0 {
                let kt = (f64::from(raw - 1) * scale) as u16;
                m.airspeed = Some(Airspeed {
                    kt,
                    tas: (me >> 31) & 1 == 1,
                });
            }
        }
        _ => return,
    }
    let vr_raw = ((me >> 10) & 0x1FF) as i32;
    if vr_raw != 0 {
        let sign = if (me >> 19) & 1 == 1 { -1 } else { 1 };
        m.vert_rate_fpm = Some(sign * (vr_raw - 1) * 64);
        m.vert_rate_baro = (me >> 20) & 1 == 1;
    }
    let diff_raw = (me & 0x7F) as i32;
    if diff_raw != 0 {
        let sign = if (me >> 7) & 1 == 1 { -1 } else { 1 };
        m.geom_minus_baro_ft = Some(sign * (diff_raw - 1) * 25);
    }
}

#[cfg(test)]
mod tests;
