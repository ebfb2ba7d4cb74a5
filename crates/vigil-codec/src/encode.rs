//! Mode S / ADS-B encoder: real wire frames from a simulated aircraft.
//!
//! The scenario generator drives the whole chain (frames → framer → decoder → picture →
//! tracker) from simulated aircraft, so what it sends must be what a transponder sends: bit
//! layouts of DO-260B (ADS-B version 2) and ICAO Annex 10 Vol IV, the crate's own parity
//! ([`crate::modes::crc`]) and the decoder's vocabulary ([`Emergency`], [`Callsign`],
//! the squawk as one octal digit per nibble).
//!
//! - Per-frame encoders ([`identification`], [`airborne_position`], [`velocity`],
//!   [`emergency_status`], [`operational_status`], [`df4`], [`df5`], [`df11`]) return fixed
//!   arrays: nothing is allocated.
//! - [`Squitterer`] is a per-aircraft scheduler that emits the squitters a transponder would,
//!   at their nominal rates with a deterministic (seeded) jitter.
//! - [`beast_frame`] and [`avr_frame`] wrap frames for the receiver wire formats the feeds
//!   read.
//!
//! What is not encoded: surface position (TC 5–8), target state (TC 29), Comm-B. An aircraft
//! on the ground is announced (CA = 4, flight status "on the ground") but the [`Squitterer`]
//! sends no position or velocity for it.

use vigil_core::{IcaoAddress, LatLon, UnixTime};

use crate::modes::{Callsign, Emergency, cpr, crc};

/// 2^17: CPR fields are fractions of a zone in 1/2^17 units (Nb = 17, airborne).
const CPR_SCALE: f64 = 131_072.0;
/// Number of latitude zones between the equator and a pole.
const NZ: f64 = 15.0;
/// Highest altitude the 25 ft (Q = 1) code can carry: 2047 × 25 − 1000.
const MAX_Q_ALT_FT: i32 = 50_175;
/// Lowest altitude either code can carry.
const MIN_ALT_FT: i32 = -1_000;
/// Highest altitude the Gillham code can carry (255 × 500 + 5 × 100 − 1300).
const MAX_GILLHAM_ALT_FT: i32 = 126_700;
/// How long a transponder holds the temporary alert after a Mode A change (Annex 10 Vol IV
/// 3.1.2.6.10.1.1.2: 18 ± 1 s).
const TEMPORARY_ALERT_S: f64 = 18.0;

/// The state of a simulated aircraft, as its avionics would know it.
///
/// Units are those of the decoder's [`crate::modes::ModeS`], so a decode of the frames gives
/// back these values within their quantisation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AircraftState {
    /// 24-bit ICAO address.
    pub icao: IcaoAddress,
    /// Flight identification; `None` sends eight spaces (and the [`Squitterer`] sends no
    /// identification at all).
    pub callsign: Option<Callsign>,
    /// Emitter category as the decoder reports it (readsb form: set letter A–D in the high
    /// nibble, number 0–7 in the low one, 0xA3 = "A3"). Anything outside A0–D7 is sent as
    /// A0 ("no category information").
    pub category: u8,
    /// WGS-84 position, degrees.
    pub position: LatLon,
    /// Barometric (pressure) altitude, feet. Sent in 25 ft steps up to 50,175 ft, in
    /// 100 ft Gillham steps above; clamped to −1,000..=126,700 ft.
    pub alt_baro_ft: i32,
    /// Ground speed, knots.
    pub gs_kt: f64,
    /// Track over ground, degrees clockwise from true north.
    pub track_deg: f64,
    /// Vertical rate, feet per minute (positive up), sent in 64 fpm steps.
    pub vrate_fpm: i32,
    /// Whether the vertical rate is barometric (`true`) or geometric (GNSS).
    pub vrate_baro: bool,
    /// GNSS height minus barometric altitude, feet (25 ft steps); `None` = not available.
    pub geom_minus_baro_ft: Option<i32>,
    /// Mode 3/A code, one octal digit per nibble (7500 → 0x7500).
    pub squawk: u16,
    /// Emergency / priority status selected by the crew. With [`Emergency::None`], the squawks
    /// 7500, 7600 and 7700 still set it, as a transponder does (see
    /// [`AircraftState::effective_emergency`]).
    pub emergency: Emergency,
    /// Navigation integrity category 0–11 (DO-260B Table 2-14): picks the position type code
    /// (11 → TC 9 … 0 → TC 18) and the NIC supplement bits.
    pub nic: u8,
    /// Navigation accuracy category for position, 0–11 (sent in operational status).
    pub nacp: u8,
    /// Navigation accuracy category for velocity, 0–4 (sent in velocity).
    pub nacv: u8,
    /// Source integrity level, 0–3 (sent in operational status).
    pub sil: u8,
    /// Special position identification (the crew pressed IDENT).
    pub spi: bool,
    /// Temporary alert (Mode A code changed recently). The [`Squitterer`] also sets it by
    /// itself for 18 s after it sees the squawk change.
    pub alert: bool,
    /// On the ground (CA = 4, FS = 1).
    pub on_ground: bool,
    /// Single antenna (operational status, SAF bit).
    pub single_antenna: bool,
}

impl AircraftState {
    /// An airborne aircraft with typical values: no callsign, category A0, squawk 2000, level
    /// and still, NIC 8 / NACp 9 / NACv 1 / SIL 3 (a certified GNSS), no alert.
    pub fn new(icao: IcaoAddress, position: LatLon, alt_baro_ft: i32) -> Self {
        Self {
            icao,
            callsign: None,
            category: 0xA0,
            position,
            alt_baro_ft,
            gs_kt: 0.0,
            track_deg: 0.0,
            vrate_fpm: 0,
            vrate_baro: true,
            geom_minus_baro_ft: None,
            squawk: 0x2000,
            emergency: Emergency::None,
            nic: 8,
            nacp: 9,
            nacv: 1,
            sil: 3,
            spi: false,
            alert: false,
            on_ground: false,
            single_antenna: false,
        }
    }

    /// The emergency state a transponder announces: the crew's selection, or else the one
    /// implied by the squawk (7500 unlawful interference, 7600 no communications, 7700
    /// general), as DO-260B 2.2.3.2.7.8.1.1 has the transponder derive it.
    pub fn effective_emergency(&self) -> Emergency {
        match (self.emergency, self.squawk) {
            (Emergency::None, 0x7500) => Emergency::Unlawful,
            (Emergency::None, 0x7600) => Emergency::NoRadio,
            (Emergency::None, 0x7700) => Emergency::General,
            (e, _) => e,
        }
    }

    /// Whether the squawk is one of the emergency codes 7500, 7600, 7700: the permanent
    /// alert condition of Annex 10 Vol IV 3.1.2.6.10.1.1.1.
    pub fn permanent_alert(&self) -> bool {
        matches!(self.squawk, 0x7500 | 0x7600 | 0x7700)
    }
}

// ---------------------------------------------------------------------------------------------
// Field encoders.

/// Mode 3/A code (one octal digit per nibble) to the 13-bit ID field of DF5/21 and TC 28
/// (C1 A1 C2 A2 C4 A4 X B1 D1 B2 D2 B4 D4): the inverse of
/// `rs1090::decode::decode_id13`. Bits beyond octal digits are ignored.
pub fn encode_id13(squawk: u16) -> u16 {
    // (bit of the nibble form, bit of the ID13 field)
    const MAP: [(u16, u16); 12] = [
        (0x0010, 0x1000), // C1
        (0x1000, 0x0800), // A1
        (0x0020, 0x0400), // C2
        (0x2000, 0x0200), // A2
        (0x0040, 0x0100), // C4
        (0x4000, 0x0080), // A4
        (0x0100, 0x0020), // B1
        (0x0001, 0x0010), // D1
        (0x0200, 0x0008), // B2
        (0x0002, 0x0004), // D2
        (0x0400, 0x0002), // B4
        (0x0004, 0x0001), // D4
    ];
    MAP.iter()
        .filter(|(from, _)| squawk & from != 0)
        .fold(0, |acc, (_, to)| acc | to)
}

/// Binary to reflected Gray code.
fn gray(n: u16) -> u16 {
    n ^ (n >> 1)
}

/// Altitude (feet) to the 13-bit AC field of DF0/4/16/20 (Annex 10 Vol IV 3.1.2.6.5.4):
/// 25 ft steps with Q = 1 from −1,000 to 50,175 ft, 100 ft Gillham code (Q = 0) above, up to
/// 126,700 ft. Out-of-range altitudes are clamped; the result is never 0 ("no altitude").
pub fn encode_ac13(alt_ft: i32) -> u16 {
    let alt = alt_ft.clamp(MIN_ALT_FT, MAX_GILLHAM_ALT_FT);
    // Round to the nearest step; at the top of the 25 ft range, a value that rounds onto
    // 50,175 ft still fits it.
    let n25 = (alt - MIN_ALT_FT + 12) / 25;
    if n25 * 25 + MIN_ALT_FT <= MAX_Q_ALT_FT {
        let n = n25 as u16;
        // n's bits 10..4 go to AC bits 12..7 and 5 (skipping M at bit 6), Q at bit 4.
        return ((n & 0x7E0) << 2) | ((n & 0x010) << 1) | 0x10 | (n & 0x0F);
    }
    encode_id13(gillham(alt))
}

/// Altitude (feet) to the 12-bit altitude field of airborne position (the AC field without
/// its M bit).
pub fn encode_ac12(alt_ft: i32) -> u16 {
    let ac = encode_ac13(alt_ft);
    ((ac & 0x1F80) >> 1) | (ac & 0x3F)
}

/// Altitude (feet, above 50,175) to the Gillham code in the nibble-per-digit form
/// `0xABCD` that `rs1090::decode::gray2alt` reads: 500 ft steps in the Gray code of
/// D2 D4 A1 A2 A4 B1 B2 B4, 100 ft steps in the reflected 5-state code of C1 C2 C4.
fn gillham(alt_ft: i32) -> u16 {
    // Altitude = (5 × n500 + n100 − 13) × 100 ft with n100 in 1..=5.
    let k = ((alt_ft + 50).div_euclid(100) + 13).clamp(13, 1280) as u16;
    let n500 = (k - 1) / 5;
    let mut n100 = k - 5 * n500;
    // The 100 ft code runs backwards in odd 500 ft bands (it is reflected), and its
    // fifth state is the code of 7 (so that C bits are never all zero).
    if n500 & 1 == 1 {
        n100 = 6 - n100;
    }
    if n100 == 5 {
        n100 = 7;
    }
    let g500 = gray(n500);
    let g100 = gray(n100);
    let bit = |v: u16, b: u16, out: u16| if v & b != 0 { out } else { 0 };
    bit(g500, 0x80, 0x0002) // D2
        | bit(g500, 0x40, 0x0004) // D4
        | bit(g500, 0x20, 0x1000) // A1
        | bit(g500, 0x10, 0x2000) // A2
        | bit(g500, 0x08, 0x4000) // A4
        | bit(g500, 0x04, 0x0100) // B1
        | bit(g500, 0x02, 0x0200) // B2
        | bit(g500, 0x01, 0x0400) // B4
        | bit(g100, 0x04, 0x0010) // C1
        | bit(g100, 0x02, 0x0020) // C2
        | bit(g100, 0x01, 0x0040) // C4
}

/// Euclidean modulo for positive divisors (DO-260B's MOD).
fn modulo(x: f64, y: f64) -> f64 {
    x - y * (x / y).floor()
}

/// Airborne CPR encoding of a position (DO-260B A.1.7.3, Nb = 17): the 17-bit
/// (latitude, longitude) fields of the even (`odd = false`) or odd format.
///
/// A position on a zone corner encodes to (0, 0), which decoders (Vigil's and readsb) take
/// for the "no position" of transponders without a fix; [`airborne_position`] sends such a
/// position one latitude step (about 5 m) north instead. This function returns the exact
/// encoding.
pub fn cpr_encode(position: LatLon, odd: bool) -> (u32, u32) {
    let i = if odd { 1.0 } else { 0.0 };
    let d_lat = 360.0 / (4.0 * NZ - i);
    let yz = (CPR_SCALE * modulo(position.lat, d_lat) / d_lat + 0.5).floor();
    // The longitude zones are those of the latitude as it will be decoded (Rlat), not of
    // the true one: the two differ near a zone boundary.
    let r_lat = d_lat * (yz / CPR_SCALE + (position.lat / d_lat).floor());
    let zones = f64::from(cpr::nl(r_lat)) - i;
    let d_lon = if zones > 0.0 { 360.0 / zones } else { 360.0 };
    let xz = (CPR_SCALE * modulo(position.lon, d_lon) / d_lon + 0.5).floor();
    // Values in [0, 2^17] before the final modulo: the casts cannot truncate; NaN gives 0.
    (
        (modulo(yz, CPR_SCALE)) as u32 & 0x1FFFF,
        (modulo(xz, CPR_SCALE)) as u32 & 0x1FFFF,
    )
}

/// A character of the ICAO 6-bit set (Annex 10 Vol IV Table 3-8); lower-case letters are
/// sent as capitals, anything else the set lacks as code 0 (which decoders show as `#`).
fn ais_char(c: u8) -> u64 {
    match c.to_ascii_uppercase() {
        c @ b'A'..=b'Z' => u64::from(c - b'A' + 1),
        b' ' => 32,
        c @ b'0'..=b'9' => u64::from(c - b'0' + 48),
        _ => 0,
    }
}

// ---------------------------------------------------------------------------------------------
// Frames.

/// Capability field of DF11/17: 4 on the ground, 5 airborne (level 2+ transponder).
fn capability(s: &AircraftState) -> u8 {
    if s.on_ground { 4 } else { 5 }
}

/// A DF17 extended squitter with the address, the 56-bit ME field and its parity.
fn df17(s: &AircraftState, me: u64) -> [u8; 14] {
    let mut f = [0u8; 14];
    f[0] = (17 << 3) | capability(s);
    f[1..4].copy_from_slice(&s.icao.value().to_be_bytes()[1..]);
    f[4..11].copy_from_slice(&me.to_be_bytes()[1..]);
    let p = crc::parity(&f[..11]);
    f[11..].copy_from_slice(&p.to_be_bytes()[1..]);
    f
}

/// Surveillance status of airborne position (DO-260B 2.2.3.2.3.2): 1 permanent alert
/// (emergency squawk), 2 temporary alert (Mode A changed), 3 SPI, 0 none; the alerts take
/// precedence over SPI.
fn surveillance_status(s: &AircraftState) -> u64 {
    if s.permanent_alert() {
        1
    } else if s.alert {
        2
    } else if s.spi {
        3
    } else {
        0
    }
}

/// Position type code and NIC supplements (A, B) for a NIC (DO-260B Table 2-14, taking the
/// larger containment radius where a NIC has two).
fn nic_encoding(nic: u8) -> (u8, bool, bool) {
    match nic {
        11.. => (9, false, false),
        10 => (10, false, false),
        9 => (11, true, true),
        8 => (11, false, false),
        7 => (12, false, false),
        6 => (13, false, false),
        5 => (14, false, false),
        4 => (15, false, false),
        3 => (16, true, true),
        2 => (16, false, false),
        1 => (17, false, false),
        0 => (18, false, false),
    }
}

/// DF17 TC 1–4 aircraft identification: category and eight characters.
pub fn identification(s: &AircraftState) -> [u8; 14] {
    let (set, num) = (s.category >> 4, s.category & 0x0F);
    // readsb's set letter A..D is TC 4..1.
    let (tc, ca) = if (0xA..=0xD).contains(&set) && num <= 7 {
        (u64::from(0x0E - set), u64::from(num))
    } else {
        (4, 0)
    };
    let mut chars = [b' '; 8];
    if let Some(cs) = &s.callsign {
        for (slot, c) in chars.iter_mut().zip(cs.as_str().bytes()) {
            *slot = c;
        }
    }
    let text = chars.iter().fold(0u64, |acc, &c| (acc << 6) | ais_char(c));
    df17(s, (tc << 51) | (ca << 48) | text)
}

/// DF17 TC 9–18 airborne position with barometric altitude, in the even (`odd = false`) or
/// odd CPR format. The type code follows the NIC; the time flag is 0 (not UTC-coupled).
pub fn airborne_position(s: &AircraftState, odd: bool) -> [u8; 14] {
    let (tc, _, nic_b) = nic_encoding(s.nic);
    let (lat, lon) = match cpr_encode(s.position, odd) {
        // All zero reads as "no position": move one step (≤ 5.1 m) north.
        (0, 0) => (1, 0),
        f => f,
    };
    let me = (u64::from(tc) << 51)
        | (surveillance_status(s) << 49)
        | (u64::from(nic_b) << 48)
        | (u64::from(encode_ac12(s.alt_baro_ft)) << 36)
        | (u64::from(odd) << 34)
        | (u64::from(lat) << 17)
        | u64::from(lon);
    df17(s, me)
}

/// Sign bit and magnitude field of a velocity component (`raw = |v| / lsb + 1`, saturated
/// at the field's top value, which means "more than the largest").
fn signed_field(v: f64, lsb: f64, max_raw: u64) -> (u64, u64) {
    let mag = (v.abs() / lsb).round();
    // NaN and negative zero come out as 0 + 1: "zero", never "no information".
    let raw = if mag.is_finite() {
        (mag as u64 + 1).min(max_raw)
    } else {
        1
    };
    (u64::from(v < 0.0), raw)
}

/// DF17 TC 19 airborne velocity over ground: subtype 1 (1 kt steps), or subtype 2 (4 kt)
/// when a component exceeds 1,022 kt. Vertical rate in 64 fpm steps, GNSS − baro in 25 ft.
pub fn velocity(s: &AircraftState) -> [u8; 14] {
    let track = s.track_deg.to_radians();
    let (ew, ns) = (s.gs_kt * track.sin(), s.gs_kt * track.cos());
    let supersonic = ew.abs().round() > 1022.0 || ns.abs().round() > 1022.0;
    let (st, lsb) = if supersonic { (2u64, 4.0) } else { (1, 1.0) };
    let (ew_s, ew_raw) = signed_field(ew, lsb, 1023);
    let (ns_s, ns_raw) = signed_field(ns, lsb, 1023);
    let (vr_s, vr_raw) = signed_field(f64::from(s.vrate_fpm), 64.0, 511);
    let (d_s, d_raw) = match s.geom_minus_baro_ft {
        Some(d) => signed_field(f64::from(d), 25.0, 127),
        None => (0, 0),
    };
    let me = (19u64 << 51)
        | (st << 48)
        | (u64::from(s.nacv.min(7)) << 43)
        | (ew_s << 42)
        | (ew_raw << 32)
        | (ns_s << 31)
        | (ns_raw << 21)
        | (u64::from(s.vrate_baro) << 20)
        | (vr_s << 19)
        | (vr_raw << 10)
        | (d_s << 7)
        | d_raw;
    df17(s, me)
}

/// DF17 TC 28 subtype 1 emergency / priority status with the Mode A code; the emergency is
/// [`AircraftState::effective_emergency`].
pub fn emergency_status(s: &AircraftState) -> [u8; 14] {
    let me = (28u64 << 51)
        | (1 << 48)
        | ((s.effective_emergency() as u64 & 7) << 45)
        | (u64::from(encode_id13(s.squawk)) << 32);
    df17(s, me)
}

/// DF17 TC 31 subtype 0 airborne operational status, ADS-B version 2 (DO-260B
/// 2.2.3.2.7.2): NIC supplement A, NACp, SIL (per hour), the IDENT and single-antenna
/// flags; fixed GVA 2 (≤ 45 m), SDA 2, barometric altitude integrity 1, true north.
pub fn operational_status(s: &AircraftState) -> [u8; 14] {
    let (_, nic_a, _) = nic_encoding(s.nic);
    // Operational mode: ME bit 28 IDENT switch, 30 single antenna, 31–32 SDA.
    let om = (u64::from(s.spi) << 12) | (u64::from(s.single_antenna) << 10) | (2 << 8);
    let me = (31u64 << 51)
        | (om << 16)
        | (2 << 13)
        | (u64::from(nic_a) << 12)
        | (u64::from(s.nacp.min(15)) << 8)
        | (2 << 6)
        | (u64::from(s.sil.min(3)) << 4)
        | (1 << 3);
    df17(s, me)
}

/// Flight status of DF4/5 (Annex 10 Vol IV 3.1.2.6.5.1): 0/1 airborne/ground, 2/3 alert
/// airborne/ground, 4 alert and SPI, 5 SPI. An alert is the permanent one (squawk 7500,
/// 7600 or 7700) or the temporary one ([`AircraftState::alert`]: Mode A changed).
pub fn flight_status(s: &AircraftState) -> u8 {
    let alert = s.permanent_alert() || s.alert;
    match (alert, s.spi) {
        (true, true) => 4,
        (false, true) => 5,
        (true, false) => 2 | u8::from(s.on_ground),
        (false, false) => u8::from(s.on_ground),
    }
}

/// A surveillance reply (DF4/5) with a 13-bit field; DR and UM zero, AP = parity ⊕ address.
fn surveillance_reply(s: &AircraftState, df: u8, field13: u16) -> [u8; 7] {
    let mut f = [0u8; 7];
    f[0] = (df << 3) | flight_status(s);
    f[2] = ((field13 >> 8) & 0x1F) as u8;
    f[3] = (field13 & 0xFF) as u8;
    let ap = crc::parity(&f[..4]) ^ s.icao.value();
    f[4..].copy_from_slice(&ap.to_be_bytes()[1..]);
    f
}

/// DF4 surveillance altitude reply.
pub fn df4(s: &AircraftState) -> [u8; 7] {
    surveillance_reply(s, 4, encode_ac13(s.alt_baro_ft))
}

/// DF5 surveillance identity reply (the squawk).
pub fn df5(s: &AircraftState) -> [u8; 7] {
    surveillance_reply(s, 5, encode_id13(s.squawk))
}

/// DF11 all-call reply: capability, address and PI = parity ⊕ (code label, interrogator
/// code) as Annex 10 Vol IV 3.1.2.3.3.2 overlays them. `interrogator` is that 7-bit value:
/// an II code as is (0–15), an SI code plus 16 (16–78); 0 is the acquisition squitter.
/// The decoder reads it back as the remainder, and refuses values of 80 and above.
pub fn df11(s: &AircraftState, interrogator: u8) -> [u8; 7] {
    let mut f = [0u8; 7];
    f[0] = (11 << 3) | capability(s);
    f[1..4].copy_from_slice(&s.icao.value().to_be_bytes()[1..]);
    let pi = crc::parity(&f[..4]) ^ u32::from(interrogator & 0x7F);
    f[4..].copy_from_slice(&pi.to_be_bytes()[1..]);
    f
}

// ---------------------------------------------------------------------------------------------
// Receiver wire formats.

/// Appends one Beast record: `0x1a`, type `0x32` (7 bytes) or `0x33` (14 bytes), the 48-bit
/// 12 MHz timestamp big-endian, the signal byte, the frame; every `0x1a` after the type byte
/// is doubled. A frame of another length is not written.
pub fn beast_frame(out: &mut Vec<u8>, frame: &[u8], ticks_12mhz: u64, signal: u8) {
    let kind = match frame.len() {
        7 => 0x32,
        14 => 0x33,
        _ => return,
    };
    out.push(0x1a);
    out.push(kind);
    let ts = ticks_12mhz.to_be_bytes();
    for &b in ts[2..].iter().chain(std::iter::once(&signal)).chain(frame) {
        out.push(b);
        if b == 0x1a {
            out.push(0x1a);
        }
    }
}

/// Appends one AVR record, `*` + upper-case hex + `;\n`.
pub fn avr_frame(out: &mut Vec<u8>, frame: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push(b'*');
    for &b in frame {
        out.push(HEX[usize::from(b >> 4)]);
        out.push(HEX[usize::from(b & 0x0F)]);
    }
    out.extend_from_slice(b";\n");
}

/// Receiver 12 MHz tick count of a time (the Beast / AVR MLAT clock), wrapping at 48 bits;
/// negative times give 0.
pub fn ticks_12mhz(t: UnixTime) -> u64 {
    // Saturating float-to-int cast: negative and NaN give 0.
    ((t.secs() * 12e6).round() as u64) & 0xFFFF_FFFF_FFFF
}

// ---------------------------------------------------------------------------------------------
// Scheduling.

/// Which squitter a [`Squitter`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SquitterKind {
    /// DF17 airborne position, even CPR format.
    PositionEven,
    /// DF17 airborne position, odd CPR format.
    PositionOdd,
    /// DF17 airborne velocity.
    Velocity,
    /// DF17 identification.
    Identification,
    /// DF17 operational status.
    OperationalStatus,
    /// DF17 emergency / priority status.
    EmergencyStatus,
    /// DF11 acquisition squitter.
    Acquisition,
}

/// One frame a [`Squitterer`] sends, with its transmission time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Squitter {
    /// When it is transmitted.
    pub time: UnixTime,
    /// What it is.
    pub kind: SquitterKind,
    bytes: [u8; 14],
    long: bool,
}

impl Squitter {
    fn long(time: UnixTime, kind: SquitterKind, f: [u8; 14]) -> Self {
        Self {
            time,
            kind,
            bytes: f,
            long: true,
        }
    }

    /// The frame: 14 bytes, or 7 for the acquisition squitter.
    pub fn data(&self) -> &[u8] {
        if self.long {
            &self.bytes
        } else {
            &self.bytes[..7]
        }
    }
}

/// Per-kind schedule: nominal period and jitter half-width, seconds.
const SCHEDULE: [(SquitterKind, f64, f64); 6] = [
    // Position and velocity: 2 Hz, 0.4–0.6 s (DO-260B 2.2.3.3.1.4.1).
    (SquitterKind::PositionEven, 0.5, 0.1),
    (SquitterKind::Velocity, 0.5, 0.1),
    // Identification: 4.8–5.2 s.
    (SquitterKind::Identification, 5.0, 0.2),
    // Airborne operational status: 2.5 s ± 0.1.
    (SquitterKind::OperationalStatus, 2.5, 0.1),
    // Emergency status while one is declared: about 1 Hz.
    (SquitterKind::EmergencyStatus, 1.0, 0.1),
    // DF11 acquisition squitter: 0.8–1.2 s.
    (SquitterKind::Acquisition, 1.0, 0.2),
];

/// Per-aircraft squitter scheduler: given the aircraft's state and the time, emits the frames
/// its transponder would have sent since the last call, each at its own time.
///
/// Deterministic: the jitter comes from a generator seeded with the address (or the seed
/// given), so the same calls give the same frames. Position alternates even and odd.
/// On the ground no position or velocity is sent (surface formats are not encoded).
/// A change of squawk raises the temporary alert for 18 s (surveillance status 2).
#[derive(Debug, Clone)]
pub struct Squitterer {
    /// Next due time per entry of [`SCHEDULE`]; `None` until the first call.
    next: [Option<f64>; 6],
    /// The next position is odd.
    odd: bool,
    rng: u64,
    last_squawk: Option<u16>,
    alert_until: f64,
}

/// A gap longer than this between calls restarts the schedule instead of catching up
/// (which would burst the frames of the whole gap out at once).
const MAX_CATCH_UP_S: f64 = 10.0;

impl Squitterer {
    /// A scheduler whose jitter is seeded with the aircraft address.
    pub fn new(icao: IcaoAddress) -> Self {
        Self::with_seed(u64::from(icao.value()))
    }

    /// A scheduler with an explicit seed.
    pub fn with_seed(seed: u64) -> Self {
        Self {
            next: [None; 6],
            odd: false,
            // splitmix-style scrambling so that nearby seeds give unrelated sequences; the
            // xorshift state must not be zero.
            rng: (seed ^ 0x9E37_79B9_7F4A_7C15).wrapping_mul(0xBF58_476D_1CE4_E5B9) | 1,
            last_squawk: None,
            alert_until: f64::NEG_INFINITY,
        }
    }

    /// Uniform in [0, 1) from xorshift64*.
    fn uniform(&mut self) -> f64 {
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        let x = self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D);
        (x >> 11) as f64 / (1u64 << 53) as f64
    }

    fn jittered(&mut self, period: f64, jitter: f64) -> f64 {
        period + jitter * (2.0 * self.uniform() - 1.0)
    }

    /// Whether the temporary alert (squawk changed) is raised at `now`.
    pub fn temporary_alert(&self, now: UnixTime) -> bool {
        now.secs() < self.alert_until
    }

    /// The state as the transponder sends it at `now`: `state` with the temporary alert of a
    /// recent squawk change added. Use it for DF4/DF5 replies too.
    pub fn effective_state(&self, state: &AircraftState, now: UnixTime) -> AircraftState {
        AircraftState {
            alert: state.alert || self.temporary_alert(now),
            ..*state
        }
    }

    /// Emits, in time order, every squitter due up to `now` (inclusive) for `state`. The first
    /// call starts each kind at a random phase within its period from `now`.
    pub fn poll(&mut self, state: &AircraftState, now: UnixTime, sink: &mut impl FnMut(Squitter)) {
        let t_now = now.secs();
        if self.last_squawk.is_some_and(|q| q != state.squawk) {
            self.alert_until = t_now + TEMPORARY_ALERT_S;
        }
        self.last_squawk = Some(state.squawk);
        for (i, &(_, period, _)) in SCHEDULE.iter().enumerate() {
            match self.next[i] {
                Some(t) if t_now - t <= MAX_CATCH_UP_S => {}
                _ => self.next[i] = Some(t_now + period * self.uniform()),
            }
        }
        let s = self.effective_state(state, now);
        let emergency = s.effective_emergency() != Emergency::None;
        loop {
            // The earliest due entry; ties go to the first in SCHEDULE order.
            let mut due: Option<(usize, f64)> = None;
            for (i, t) in self.next.iter().enumerate() {
                if let Some(t) = *t
                    && t <= t_now
                    && due.is_none_or(|(_, d)| t < d)
                {
                    due = Some((i, t));
                }
            }
            let Some((i, t)) = due else { break };
            let (kind, period, jitter) = SCHEDULE[i];
            self.next[i] = Some(t + self.jittered(period, jitter));
            let time = UnixTime(t);
            let airborne = !s.on_ground;
            let sq = match kind {
                SquitterKind::PositionEven if airborne => {
                    let odd = self.odd;
                    self.odd = !odd;
                    let kind = if odd {
                        SquitterKind::PositionOdd
                    } else {
                        SquitterKind::PositionEven
                    };
                    Some(Squitter::long(time, kind, airborne_position(&s, odd)))
                }
                SquitterKind::Velocity if airborne => {
                    Some(Squitter::long(time, kind, velocity(&s)))
                }
                SquitterKind::Identification if s.callsign.is_some() => {
                    Some(Squitter::long(time, kind, identification(&s)))
                }
                SquitterKind::OperationalStatus if airborne => {
                    Some(Squitter::long(time, kind, operational_status(&s)))
                }
                SquitterKind::EmergencyStatus if emergency => {
                    Some(Squitter::long(time, kind, emergency_status(&s)))
                }
                SquitterKind::Acquisition => {
                    let mut bytes = [0u8; 14];
                    bytes[..7].copy_from_slice(&df11(&s, 0));
                    Some(Squitter {
                        time,
                        kind,
                        bytes,
                        long: false,
                    })
                }
                _ => None,
            };
            if let Some(sq) = sq {
                sink(sq);
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::modes::{ac12, ac13, decode};

    #[test]
    fn id13_inverts_the_decoder() {
        for sq in 0..0o10000u16 {
            // Octal digits to nibbles.
            let q = ((sq >> 9 & 7) << 12) | ((sq >> 6 & 7) << 8) | ((sq >> 3 & 7) << 4) | (sq & 7);
            assert_eq!(rs1090::decode::decode_id13(encode_id13(q)), q);
        }
    }

    #[test]
    fn every_altitude_step_round_trips() {
        // 25 ft steps through the Q-bit range.
        for n in 0..=2047 {
            let alt = n * 25 - 1000;
            assert_eq!(ac13(encode_ac13(alt)), Some(alt), "ac13 {alt}");
            assert_eq!(ac12(encode_ac12(alt)), Some(alt), "ac12 {alt}");
        }
        // 100 ft Gillham above.
        for alt in (50_200..=MAX_GILLHAM_ALT_FT).step_by(100) {
            let want = (alt + 50) / 100 * 100;
            assert_eq!(ac13(encode_ac13(alt)), Some(want), "gillham {alt}");
            assert_eq!(ac12(encode_ac12(alt)), Some(want), "gillham12 {alt}");
            assert_eq!(encode_ac13(alt) & 0x10, 0, "Q bit clear above 50,175 ft");
        }
        // Rounding and clamping.
        assert_eq!(ac13(encode_ac13(10_012)), Some(10_000));
        assert_eq!(ac13(encode_ac13(10_013)), Some(10_025));
        assert_eq!(ac13(encode_ac13(-5_000)), Some(-1_000));
        assert_eq!(ac13(encode_ac13(50_180)), Some(50_175));
        assert_eq!(ac13(encode_ac13(50_190)), Some(50_200));
        assert_eq!(ac13(encode_ac13(500_000)), Some(MAX_GILLHAM_ALT_FT));
    }

    #[test]
    fn book_altitude_vectors() {
        // The 1090 MHz Riddle: airborne position ME altitude field C38 → 38,000 ft.
        assert_eq!(encode_ac12(38_000), 0xC38);
    }

    #[test]
    fn book_cpr_vector() {
        // The 1090 MHz Riddle, airborne position: the even frame 8D40621D58C382D690C8AC2863A7
        // decodes to 52.2572021484375, 3.91937255859375, exactly on the grid.
        let book = decode(&hex::decode("8D40621D58C382D690C8AC2863A7").unwrap())
            .unwrap()
            .cpr
            .unwrap();
        let (lat, lon) = cpr_encode(LatLon::new(52.2572021484375, 3.91937255859375), false);
        assert_eq!((lat, lon), (book.lat, book.lon));
    }

    #[test]
    fn squawk_sets_emergency_and_alert() {
        let mut s = AircraftState::new(IcaoAddress::new(0xABCDEF), LatLon::new(50.0, 5.0), 30_000);
        assert_eq!(flight_status(&s), 0);
        s.squawk = 0x7500;
        assert_eq!(s.effective_emergency(), Emergency::Unlawful);
        assert_eq!(flight_status(&s), 2);
        s.spi = true;
        assert_eq!(flight_status(&s), 4);
        s.squawk = 0x7600;
        s.emergency = Emergency::MinFuel;
        assert_eq!(s.effective_emergency(), Emergency::MinFuel);
        let m = decode(&emergency_status(&s)).unwrap();
        assert_eq!(m.emergency, Some(Emergency::MinFuel));
        assert_eq!(m.squawk, Some(0x7600));
    }

    #[test]
    fn beast_escapes_and_ticks() {
        let mut out = Vec::new();
        beast_frame(&mut out, &[0x1a; 7], 0x1a_0000_0001, 0x1a);
        // 0x1a, type, then 6 + 1 + 7 body bytes of which 1 + 1 + 7 are doubled.
        assert_eq!(out.len(), 2 + 14 + 9);
        assert_eq!(&out[..4], &[0x1a, 0x32, 0x00, 0x1a]);
        let mut none = Vec::new();
        beast_frame(&mut none, &[0; 5], 0, 0);
        assert!(none.is_empty());
        assert_eq!(ticks_12mhz(UnixTime(1.0)), 12_000_000);
        assert_eq!(ticks_12mhz(UnixTime(-1.0)), 0);
    }

    #[test]
    fn avr_is_upper_hex_line() {
        let mut out = Vec::new();
        avr_frame(&mut out, &[0x8d, 0x48, 0x40, 0xd6]);
        assert_eq!(out, b"*8D4840D6;\n");
    }
}
