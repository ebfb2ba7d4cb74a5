//! Mode S pieces carried inside ASTERIX: 6-bit ICAO characters and Comm-B registers
//! (BDS 4,0, 5,0 and 6,0) as found in I048/250 and I062/380 BDS data.

/// The ICAO 6-bit character set (Annex 10 Vol IV, Table 3-9); `#` marks unassigned codes.
/// Code 0 is unassigned too, but transponders without an identification send all zeros,
/// which reads best (and as other decoders print it) as blanks.
const ICAO_CHARSET: &[u8; 64] = b" ABCDEFGHIJKLMNOPQRSTUVWXYZ##### ###############0123456789######";

/// Decodes the `n` 6-bit characters in the low `6 * n` bits of `raw` (first character highest).
pub fn icao_chars(raw: u64, n: u32) -> String {
    let mut s = String::with_capacity(n as usize);
    push_icao_chars(raw, n, &mut s);
    s
}

/// Appends the `n` 6-bit characters in the low `6 * n` bits of `raw` to `out` (decoders call
/// this for every record carrying an identification, into a buffer they reuse).
pub fn push_icao_chars(raw: u64, n: u32, out: &mut String) {
    out.reserve(n as usize);
    for i in (0..n).rev() {
        out.push(char::from(ICAO_CHARSET[((raw >> (i * 6)) & 0x3f) as usize]));
    }
}

/// Encodes up to 8 characters as 6-bit ICAO codes (unknown characters become space).
pub fn icao_encode(text: &str, n: u32) -> u64 {
    let mut bytes = text.bytes();
    (0..n).fold(0, |acc, _| {
        let c = bytes.next().unwrap_or(b' ');
        // Space has two codes (0 and 32); 32 is the assigned one.
        let code = ICAO_CHARSET
            .iter()
            .skip(1)
            .position(|&x| x == c && c != b'#')
            .map_or(32, |p| p + 1);
        (acc << 6) | code as u64
    })
}

/// The 56-bit MB field (in the low bits of `mb`), bit `start` (1-based, as in ICAO Doc 9871)
/// and `len` bits long.
fn bits(mb: u64, start: u32, len: u32) -> u64 {
    (mb >> (56 - (start - 1) - len)) & ((1 << len) - 1)
}

/// A field guarded by its status bit: `None` when the status bit is 0.
fn status(mb: u64, status_bit: u32, value: impl FnOnce() -> f64) -> Option<f64> {
    (bits(mb, status_bit, 1) == 1).then(value)
}

/// Sign + magnitude field of `len` bits (sign bit first) read as two's complement.
fn signed(mb: u64, start: u32, len: u32) -> i64 {
    crate::value::sign_extend(bits(mb, start, len), len as u8, true)
}

/// BDS 4,0: selected vertical intention.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Bds40 {
    /// MCP/FCU selected altitude, ft.
    pub mcp_altitude_ft: Option<f64>,
    /// FMS selected altitude, ft.
    pub fms_altitude_ft: Option<f64>,
    /// Barometric pressure setting, hPa (800 + raw × 0.1).
    pub baro_setting_hpa: Option<f64>,
    /// VNAV, ALT HOLD and APPROACH modes, when their status bit is set.
    pub modes: Option<(bool, bool, bool)>,
    /// Target altitude source (0 unknown, 1 aircraft altitude, 2 FCU/MCP, 3 FMS).
    pub target_alt_source: Option<u8>,
}

/// BDS 5,0: track and turn report.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Bds50 {
    /// Roll angle, degrees (right wing down positive).
    pub roll_deg: Option<f64>,
    /// True track angle, degrees in [0, 360).
    pub true_track_deg: Option<f64>,
    /// Ground speed, kt.
    pub ground_speed_kt: Option<f64>,
    /// Track angle rate, degrees/s.
    pub track_angle_rate_deg_s: Option<f64>,
    /// True airspeed, kt.
    pub true_airspeed_kt: Option<f64>,
}

/// BDS 6,0: heading and speed report.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Bds60 {
    /// Magnetic heading, degrees in [0, 360).
    pub magnetic_heading_deg: Option<f64>,
    /// Indicated airspeed, kt.
    pub ias_kt: Option<f64>,
    /// Mach number.
    pub mach: Option<f64>,
    /// Barometric altitude rate, ft/min.
    pub baro_rate_ft_min: Option<f64>,
    /// Inertial vertical velocity, ft/min.
    pub inertial_rate_ft_min: Option<f64>,
}

/// A Comm-B register as labelled by the ground station.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CommB {
    /// BDS 4,0.
    Bds40(Bds40),
    /// BDS 5,0.
    Bds50(Bds50),
    /// BDS 6,0.
    Bds60(Bds60),
    /// Any other register, undecoded: (BDS1 << 4 | BDS2, 56-bit MB).
    Other(u8, u64),
}

fn angle360(deg: f64) -> f64 {
    deg.rem_euclid(360.0)
}

impl CommB {
    /// Decodes the 56-bit `mb` according to the register number `bds` (e.g. `0x40`).
    /// The register is taken as labelled: the station, not this code, infers it.
    pub fn decode(bds: u8, mb: u64) -> Self {
        match bds {
            0x40 => CommB::Bds40(Bds40 {
                mcp_altitude_ft: status(mb, 1, || bits(mb, 2, 12) as f64 * 16.0),
                fms_altitude_ft: status(mb, 14, || bits(mb, 15, 12) as f64 * 16.0),
                baro_setting_hpa: status(mb, 27, || 800.0 + bits(mb, 28, 12) as f64 * 0.1),
                modes: (bits(mb, 48, 1) == 1).then(|| {
                    (
                        bits(mb, 49, 1) == 1,
                        bits(mb, 50, 1) == 1,
                        bits(mb, 51, 1) == 1,
                    )
                }),
                target_alt_source: (bits(mb, 54, 1) == 1).then(|| bits(mb, 55, 2) as u8),
            }),
            0x50 => CommB::Bds50(Bds50 {
                roll_deg: status(mb, 1, || signed(mb, 2, 10) as f64 * 45.0 / 256.0),
                true_track_deg: status(mb, 12, || {
                    angle360(signed(mb, 13, 11) as f64 * 90.0 / 512.0)
                }),
                ground_speed_kt: status(mb, 24, || bits(mb, 25, 10) as f64 * 2.0),
                track_angle_rate_deg_s: status(mb, 35, || signed(mb, 36, 10) as f64 * 8.0 / 256.0),
                true_airspeed_kt: status(mb, 46, || bits(mb, 47, 10) as f64 * 2.0),
            }),
            0x60 => CommB::Bds60(Bds60 {
                magnetic_heading_deg: status(mb, 1, || {
                    angle360(signed(mb, 2, 11) as f64 * 90.0 / 512.0)
                }),
                ias_kt: status(mb, 13, || bits(mb, 14, 10) as f64),
                mach: status(mb, 24, || bits(mb, 25, 10) as f64 * 2.048 / 512.0),
                baro_rate_ft_min: status(mb, 35, || signed(mb, 36, 10) as f64 * 32.0),
                inertial_rate_ft_min: status(mb, 46, || signed(mb, 47, 10) as f64 * 32.0),
            }),
            other => CommB::Other(other, mb),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failure should stop loudly.
mod tests {
    use super::*;

    fn check(raw: u64, n: u32, expected: &str) {
        assert_eq!(icao_chars(raw, n), expected, "{raw:012x}");
        assert_eq!(icao_encode(expected, n), raw, "{expected:?}");
    }

    #[test]
    fn icao_characters() {
        check(0x10C2_36D4_1820, 8, "DLH65A  ");
        check(0x5086_7951_8820, 8, "THY9TX  ");
        check(0x3B1C_380C_5820, 8, "N108CE  ");
    }

    #[test]
    fn bds_registers_from_the_croatia_sample() {
        // I048/250 [01 C0 78 00 31 BC 00 00 40]: MCP 2063 * 16 ft, baro raw 2270.
        let CommB::Bds40(b) = CommB::decode(0x40, 0x00C0_7800_31BC_0000) else {
            panic!()
        };
        assert_eq!(b.mcp_altitude_ft, Some(33008.0));
        assert_eq!(b.fms_altitude_ft, None);
        assert_eq!(b.baro_setting_hpa, Some(800.0 + 227.0));
        // [F1 19 E9 32 60 04 00 60]... is a BDS 6,0 with heading -239 * 90/512.
        let CommB::Bds60(h) = CommB::decode(0x60, 0x00F1_19E9_3260_0400) else {
            panic!()
        };
        assert!((h.magnetic_heading_deg.unwrap() - (360.0 - 42.0117188)).abs() < 1e-6);
        assert_eq!(h.ias_kt, Some(244.0));
    }
}
