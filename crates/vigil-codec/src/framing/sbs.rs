//! SBS BaseStation CSV (`MSG,1..8`), as served on port 30003 by dump1090 / readsb.
//!
//! One message per line (CR, LF or CRLF; empty lines are ignored):
//!
//! ```text
//! MSG,3,1,1,4CA2D6,1,2015/10/15,17:03:51.473,2015/10/15,17:03:51.473,,37000,,,53.21196,-2.43066,,,0,0,0,0
//! ```
//!
//! The 22 fields are: `MSG`, transmission type 1..=8, session, aircraft id, hex ident, flight
//! id, date and time generated, date and time logged, callsign, altitude, ground speed, track,
//! latitude, longitude, vertical rate, squawk, alert, emergency, SPI, on-ground. Empty fields
//! become `None`. What we accept beyond the letter of the format, and why:
//! - flags are `0` (false) and `1` or `-1` (true): BaseStation and readsb write `-1`;
//!   fields 19 and 20 may also hold other integers, which readsb writes there for MLAT
//!   results (receiver count, error estimate): those are read as "no flag", not an error;
//! - an `H` after altitude or vertical rate (readsb's GNSS-height option) is dropped: the
//!   number is still in feet;
//! - integer fields may be written as decimals (`37000.0`), rounded;
//! - a `~` before the hex ident (readsb's mark for a non-ICAO address) is dropped;
//! - dates may use `-` instead of `/`; the time may carry any number of fraction digits;
//! - fields after the 22nd are ignored (some emitters append their own).
//!
//! Rejected lines: a `MSG` line with fewer than 22 fields, a field that does not parse (bad
//! number, non-finite float, latitude/longitude out of range, non-octal squawk, impossible
//! date or time) or text that is not UTF-8 counts [`FramingStats::malformed`]. Other record
//! types (`SEL`, `ID`, `AIR`, `STA`, `CLK`, or anything else) and `MSG` with a transmission
//! type outside 1..=8 count [`FramingStats::unknown_type`]. A line longer than 512 bytes is
//! malformed; only its first 512 bytes are ever buffered. Session, aircraft and flight ids and
//! the "logged" date and time are not checked (receivers fill them with placeholders).

use crate::frame::FeedItem;
use crate::framing::{Framer, FramingStats};
use vigil_core::IcaoAddress;

/// One `MSG` line, with the fields BaseStation defines for its transmission type.
/// Empty fields are `None`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SbsMessage {
    /// Transmission type 1..=8.
    pub transmission_type: u8,
    /// The aircraft's address (field 5, hex ident).
    pub icao: Option<IcaoAddress>,
    /// Date and time the message was generated (fields 7 and 8), as Unix seconds, UTC assumed.
    pub generated: Option<f64>,
    /// Callsign (field 11), trimmed.
    pub callsign: Option<String>,
    /// Barometric altitude in feet (field 12).
    pub altitude_ft: Option<i32>,
    /// Ground speed in knots (field 13).
    pub ground_speed_kt: Option<f64>,
    /// Track over ground in degrees (field 14).
    pub track_deg: Option<f64>,
    /// Latitude (field 15).
    pub lat: Option<f64>,
    /// Longitude (field 16).
    pub lon: Option<f64>,
    /// Vertical rate in ft/min (field 17).
    pub vertical_rate_fpm: Option<i32>,
    /// Mode 3/A code (field 18) as four octal digits, e.g. 7500 = 0o7500.
    pub squawk: Option<u16>,
    /// Squawk changed flag (field 19).
    pub alert: Option<bool>,
    /// Emergency flag (field 20).
    pub emergency: Option<bool>,
    /// Ident / SPI flag (field 21).
    pub spi: Option<bool>,
    /// On-ground flag (field 22).
    pub on_ground: Option<bool>,
}

/// Longest line we buffer, in bytes. BaseStation lines are under 200 bytes.
pub const MAX_LINE_LEN: usize = 512;
/// Fields in a `MSG` line.
const FIELDS: usize = 22;

/// Push parser for SBS lines.
#[derive(Debug, Default)]
pub struct SbsFramer {
    stats: FramingStats,
    /// The start of a line whose end has not arrived yet (at most `MAX_LINE_LEN` bytes).
    line: Vec<u8>,
    /// The current line has outgrown `MAX_LINE_LEN`: it is being dropped.
    overlong: bool,
}

impl SbsFramer {
    /// A new framer, at the start of a line.
    pub fn new() -> Self {
        Self::default()
    }

    /// A whole line (without its end) has arrived: parses it and counts the outcome.
    fn line(stats: &mut FramingStats, line: &[u8], sink: &mut dyn FnMut(FeedItem)) {
        match parse_line(line) {
            Ok(Some(msg)) => {
                stats.frames += 1;
                sink(FeedItem::Sbs(msg));
            }
            Ok(None) => {}
            Err(Reject::Unknown) => stats.unknown_type += 1,
            Err(Reject::Malformed) => stats.malformed += 1,
        }
    }
}

impl Framer for SbsFramer {
    fn push(&mut self, chunk: &[u8], sink: &mut dyn FnMut(FeedItem)) {
        let mut rest = chunk;
        while !rest.is_empty() {
            let Some(end) = rest.iter().position(|&b| b == b'\n' || b == b'\r') else {
                // No line end yet: keep what fits, remember if it did not.
                if self.line.len() + rest.len() > MAX_LINE_LEN {
                    self.overlong = true;
                    self.line.clear();
                }
                if !self.overlong {
                    self.line.extend_from_slice(rest);
                }
                return;
            };
            let (head, tail) = rest.split_at(end);
            rest = &tail[1..];
            if self.overlong || self.line.len() + head.len() > MAX_LINE_LEN {
                self.stats.malformed += 1;
            } else if self.line.is_empty() {
                // The whole line is in this chunk: parse it in place, no copy.
                Self::line(&mut self.stats, head, sink);
            } else {
                self.line.extend_from_slice(head);
                Self::line(&mut self.stats, &self.line, sink);
            }
            self.line.clear();
            self.overlong = false;
        }
    }

    fn finish(&mut self) {
        if self.overlong || !self.line.is_empty() {
            self.stats.truncated += 1;
        }
        self.line.clear();
        self.overlong = false;
    }

    fn stats(&self) -> FramingStats {
        self.stats
    }
}

/// Why a line was not passed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reject {
    /// Not a `MSG` line, or an unknown transmission type.
    Unknown,
    /// A `MSG` line with a bad field.
    Malformed,
}

/// A field that did not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct BadField;

impl From<BadField> for Reject {
    fn from(_: BadField) -> Self {
        Reject::Malformed
    }
}

/// Parses one line: `Ok(None)` for a blank line.
fn parse_line(line: &[u8]) -> Result<Option<SbsMessage>, Reject> {
    let text = std::str::from_utf8(line)
        .map_err(|_| Reject::Malformed)?
        .trim();
    if text.is_empty() {
        return Ok(None);
    }
    let mut fields = [""; FIELDS];
    let mut count = 0;
    for (slot, field) in fields.iter_mut().zip(text.split(',')) {
        *slot = field.trim();
        count += 1;
    }
    if fields[0] != "MSG" {
        return Err(Reject::Unknown);
    }
    if count < FIELDS {
        return Err(Reject::Malformed);
    }
    let transmission_type: u8 = fields[1].parse().map_err(|_| Reject::Malformed)?;
    if !(1..=8).contains(&transmission_type) {
        return Err(Reject::Unknown);
    }
    let msg = SbsMessage {
        transmission_type,
        icao: opt(fields[4], parse_icao)?,
        generated: generated(fields[6], fields[7])?,
        callsign: opt(fields[10], |s| Ok(s.to_owned()))?,
        altitude_ft: opt(fields[11], parse_feet)?,
        ground_speed_kt: opt(fields[12], parse_float)?,
        track_deg: opt(fields[13], parse_float)?,
        lat: opt(fields[14], |s| parse_range(s, 90.0))?,
        lon: opt(fields[15], |s| parse_range(s, 180.0))?,
        vertical_rate_fpm: opt(fields[16], parse_feet)?,
        squawk: opt(fields[17], parse_squawk)?,
        alert: opt(fields[18], parse_flag_or_count)?.flatten(),
        emergency: opt(fields[19], parse_flag_or_count)?.flatten(),
        spi: opt(fields[20], parse_flag)?,
        on_ground: opt(fields[21], parse_flag)?,
    };
    Ok(Some(msg))
}

/// `None` for an empty field, else the parsed value.
fn opt<T>(s: &str, parse: impl Fn(&str) -> Result<T, BadField>) -> Result<Option<T>, BadField> {
    if s.is_empty() {
        Ok(None)
    } else {
        parse(s).map(Some)
    }
}

/// Six hex digits, optionally after readsb's non-ICAO mark `~`.
fn parse_icao(s: &str) -> Result<IcaoAddress, BadField> {
    let hex = s.strip_prefix('~').unwrap_or(s);
    // Check the digits ourselves: `from_str_radix` would also take a sign.
    if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(BadField);
    }
    u32::from_str_radix(hex, 16)
        .map(IcaoAddress::new)
        .map_err(|_| BadField)
}

/// A finite float. Rust's parser takes `inf` and `NaN`, which no receiver means.
fn parse_float(s: &str) -> Result<f64, BadField> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(BadField),
    }
}

/// A finite float within `-limit..=limit` (latitude, longitude).
fn parse_range(s: &str, limit: f64) -> Result<f64, BadField> {
    let v = parse_float(s)?;
    if v.abs() <= limit {
        Ok(v)
    } else {
        Err(BadField)
    }
}

/// Feet or feet per minute: an integer (or a decimal, rounded), with readsb's optional `H`.
fn parse_feet(s: &str) -> Result<i32, BadField> {
    let s = s.strip_suffix('H').unwrap_or(s);
    if let Ok(v) = s.parse::<i32>() {
        return Ok(v);
    }
    let v = parse_float(s)?.round();
    if v >= f64::from(i32::MIN) && v <= f64::from(i32::MAX) {
        // In range and integral after the check above: the cast is exact.
        Ok(v as i32)
    } else {
        Err(BadField)
    }
}

/// One to four octal digits, e.g. `7500` -> `0o7500`.
fn parse_squawk(s: &str) -> Result<u16, BadField> {
    if s.is_empty() || s.len() > 4 || !s.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        return Err(BadField);
    }
    u16::from_str_radix(s, 8).map_err(|_| BadField)
}

/// `0` is false; `1` and `-1` (BaseStation's true) are true.
fn parse_flag(s: &str) -> Result<bool, BadField> {
    match s {
        "0" => Ok(false),
        "1" | "-1" => Ok(true),
        _ => Err(BadField),
    }
}

/// A flag, or another integer (readsb's MLAT receiver count or error estimate): `None`.
fn parse_flag_or_count(s: &str) -> Result<Option<bool>, BadField> {
    match parse_flag(s) {
        Ok(flag) => Ok(Some(flag)),
        Err(_) if s.parse::<i64>().is_ok() => Ok(None),
        Err(e) => Err(e),
    }
}

/// Date `yyyy/mm/dd` and time `hh:mm:ss[.fff]` as Unix seconds (UTC). Either empty: `None`.
fn generated(date: &str, time: &str) -> Result<Option<f64>, BadField> {
    if date.is_empty() || time.is_empty() {
        return Ok(None);
    }
    let days = parse_date(date)?;
    let (second_of_day, fraction) = parse_time(time)?;
    // Whole seconds first, exactly in integers (|days| < 4e6 for 4-digit years), so the only
    // rounding is the final addition of the fraction.
    Ok(Some(
        (days * 86_400 + i64::from(second_of_day)) as f64 + fraction,
    ))
}

/// A run of 1..=`max` ASCII digits as a number.
fn digits(s: &str, max: usize) -> Result<u32, BadField> {
    if s.is_empty() || s.len() > max || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(BadField);
    }
    s.parse().map_err(|_| BadField)
}

/// `yyyy/mm/dd` (or with `-`) as days since 1970-01-01.
fn parse_date(s: &str) -> Result<i64, BadField> {
    let sep = if s.contains('/') { '/' } else { '-' };
    let mut parts = s.split(sep);
    let (Some(y), Some(m), Some(d), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(BadField);
    };
    let (year, month, day) = (i64::from(digits(y, 4)?), digits(m, 2)?, digits(d, 2)?);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return Err(BadField);
    }
    Ok(days_from_civil(year, month, day))
}

/// `hh:mm:ss[.fff]` as whole seconds since midnight and a fraction. A leap second (`:60`)
/// is let through.
fn parse_time(s: &str) -> Result<(u32, f64), BadField> {
    let mut parts = s.split(':');
    let (Some(h), Some(m), Some(sec), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(BadField);
    };
    let (whole, frac) = match sec.split_once('.') {
        Some((whole, frac)) => (whole, frac),
        None => (sec, ""),
    };
    let (hour, minute, second) = (digits(h, 2)?, digits(m, 2)?, digits(whole, 2)?);
    if hour > 23 || minute > 59 || second > 60 {
        return Err(BadField);
    }
    let fraction = if frac.is_empty() {
        0.0
    } else {
        parse_fraction(frac)?
    };
    Ok((hour * 3600 + minute * 60 + second, fraction))
}

/// The digits after the decimal point as a fraction of a second.
fn parse_fraction(frac: &str) -> Result<f64, BadField> {
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(BadField);
    }
    // Nine digits (nanoseconds) are more than any receiver's clock resolves; reading no more
    // keeps the integer in range however long the field.
    let kept = &frac[..frac.len().min(9)];
    let n: u32 = kept.parse().map_err(|_| BadField)?;
    Ok(f64::from(n) / 10f64.powi(kept.len() as i32))
}

/// Whether `year` is a Gregorian leap year.
fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Days in `month` (1..=12) of `year`.
fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's `days_from_civil`):
/// count in 400-year eras of 146 097 days, with years starting in March so that the leap day
/// falls at the end.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400; // 0..=399
    let month_from_march = i64::from((month + 9) % 12); // March = 0
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
        // 2023-10-24 10:29:22 UTC = 1698143362 (long_flight.csv's recording day).
        assert_eq!(
            days_from_civil(2023, 10, 24) * 86_400 + 10 * 3600 + 29 * 60 + 22,
            1_698_143_362
        );
        assert_eq!(parse_date("2024/02/29"), Ok(days_from_civil(2024, 2, 29)));
        assert_eq!(parse_date("2023/02/29"), Err(BadField));
        assert_eq!(parse_date("1900-02-29"), Err(BadField));
    }

    #[test]
    fn overlong_line_does_not_grow_the_buffer() {
        let mut framer = SbsFramer::new();
        let junk = vec![b'7'; 10_000];
        for _ in 0..100 {
            framer.push(&junk, &mut |_| {});
        }
        assert!(
            framer.line.capacity() <= 2 * MAX_LINE_LEN,
            "{}",
            framer.line.capacity()
        );
        framer.push(b"\n", &mut |_| {});
        assert_eq!(framer.stats().malformed, 1);
    }
}
