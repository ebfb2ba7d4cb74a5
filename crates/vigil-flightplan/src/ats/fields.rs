//! The field types of ICAO Doc 4444 ATS messages and their parsers, one per field number.
//!
//! Each parser takes the field's text (without the leading `-`) and its byte offset in the
//! input, so an error can say where the bad field starts.

use std::fmt;

use vigil_core::IcaoAddress;

use super::{Field, ParseError};

/// A time of day, `HHMM` UTC (EOBT, ATD, ATA) or a duration in hours and minutes (EET).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Hhmm {
    /// Hours, 0..=23 for a time of day, 0..=99 for a duration.
    pub hour: u8,
    /// Minutes, 0..=59.
    pub minute: u8,
}

impl Hhmm {
    /// A time from hours and minutes.
    pub const fn new(hour: u8, minute: u8) -> Self {
        Self { hour, minute }
    }

    /// Minutes since midnight (or the duration in minutes).
    pub const fn minutes(self) -> u32 {
        self.hour as u32 * 60 + self.minute as u32
    }

    /// Seconds since midnight (or the duration in seconds).
    pub fn seconds(self) -> f64 {
        f64::from(self.minutes()) * 60.0
    }
}

impl fmt::Display for Hhmm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}{:02}", self.hour, self.minute)
    }
}

/// A calendar date (UTC), as in `DOF/YYMMDD`; years are taken as 20YY.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date {
    /// Full year, 2000..=2099.
    pub year: u16,
    /// Month, 1..=12.
    pub month: u8,
    /// Day of month, 1..=31 (checked against the month).
    pub day: u8,
}

impl Date {
    /// The date from `YYMMDD`, or `None` when it is not six digits naming a real date.
    pub fn from_yymmdd(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if b.len() != 6 || !b.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let two = |i: usize| (b[i] - b'0') * 10 + (b[i + 1] - b'0');
        let d = Self {
            year: 2000 + u16::from(two(0)),
            month: two(2),
            day: two(4),
        };
        let valid = (1..=12).contains(&d.month) && d.day >= 1 && d.day <= d.days_in_month();
        valid.then_some(d)
    }

    fn days_in_month(self) -> u8 {
        match self.month {
            4 | 6 | 9 | 11 => 30,
            2 if self.year.is_multiple_of(4)
                && (!self.year.is_multiple_of(100) || self.year.is_multiple_of(400)) =>
            {
                29
            }
            2 => 28,
            _ => 31,
        }
    }

    /// Days since 1970-01-01 (the civil-from-days algorithm of H. Hinnant, exact for any
    /// Gregorian date).
    pub fn days_since_epoch(self) -> i64 {
        let (m, d) = (i64::from(self.month), i64::from(self.day));
        let y = i64::from(self.year) - i64::from(m <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}{:02}{:02}", self.year % 100, self.month, self.day)
    }
}

/// A Mode A (SSR) code as in field 7 (`/A7301`): the mode letter and the code stored with one
/// octal digit per nibble (`0x7301`), as elsewhere in Vigil.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SsrCode {
    /// The SSR mode letter, `A` in practice.
    pub mode: char,
    /// The code, one octal digit per nibble: "7500" is `0x7500`.
    pub code: u16,
}

impl fmt::Display for SsrCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{:04x}", self.mode, self.code)
    }
}

/// Field 15a: cruising speed (true airspeed or Mach).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Speed {
    /// `N0450`: knots.
    Knots(u16),
    /// `K0830`: kilometres per hour.
    Kmh(u16),
    /// `M082`: Mach number in hundredths (82 = Mach 0.82).
    Mach(u16),
}

impl Speed {
    /// The speed of sound assumed for Mach numbers, in knots: ISA at and above the tropopause
    /// (-56.5 °C) gives 573 kt, and Mach speeds are filed only for cruise at those levels,
    /// so converting with it is within a few percent of the true airspeed actually flown.
    pub const MACH_KT: f64 = 573.0;

    /// The speed as true airspeed in knots (Mach converted with [`Speed::MACH_KT`]).
    pub fn knots(self) -> f64 {
        match self {
            Speed::Knots(v) => f64::from(v),
            Speed::Kmh(v) => f64::from(v) / 1.852,
            Speed::Mach(v) => f64::from(v) / 100.0 * Self::MACH_KT,
        }
    }
}

impl fmt::Display for Speed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Speed::Knots(v) => write!(f, "N{v:04}"),
            Speed::Kmh(v) => write!(f, "K{v:04}"),
            Speed::Mach(v) => write!(f, "M{v:03}"),
        }
    }
}

/// Field 15b: cruising level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Level {
    /// `F360`: flight level (hundreds of feet).
    FlightLevel(u16),
    /// `S1130`: standard metric level in tens of metres.
    MetricLevel(u16),
    /// `A045`: altitude in hundreds of feet.
    Altitude(u16),
    /// `M0840`: altitude in tens of metres.
    MetricAltitude(u16),
    /// `VFR`: uncontrolled VFR flight, no planned level.
    Vfr,
}

impl Level {
    /// The level in feet, `None` for VFR. Pressure levels and altitudes are both given as
    /// feet: the difference (QNH) is far below what the corridor's tolerance cares about.
    pub fn feet(self) -> Option<f64> {
        const FT_PER_M: f64 = 1.0 / 0.3048;
        match self {
            Level::FlightLevel(v) | Level::Altitude(v) => Some(f64::from(v) * 100.0),
            Level::MetricLevel(v) | Level::MetricAltitude(v) => {
                Some(f64::from(v) * 10.0 * FT_PER_M)
            }
            Level::Vfr => None,
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Level::FlightLevel(v) => write!(f, "F{v:03}"),
            Level::MetricLevel(v) => write!(f, "S{v:04}"),
            Level::Altitude(v) => write!(f, "A{v:03}"),
            Level::MetricAltitude(v) => write!(f, "M{v:04}"),
            Level::Vfr => f.write_str("VFR"),
        }
    }
}

/// Field 9: number, type and wake turbulence category of aircraft.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AircraftType {
    /// Number of aircraft for a formation (`2F16/M`), `None` for one.
    pub count: Option<u8>,
    /// ICAO type designator (`B738`), or `ZZZZ` with `TYP/` in field 18.
    pub designator: String,
    /// Wake turbulence category: `L`, `M`, `H` or `J`.
    pub wake: char,
}

impl fmt::Display for AircraftType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(n) = self.count {
            write!(f, "{n}")?;
        }
        write!(f, "{}/{}", self.designator, self.wake)
    }
}

/// Field 18: other information, as ordered indicator / value pairs (`DOF/110607`,
/// `REG/SPLWA`). An indicator may repeat; order is kept as filed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct OtherInfo(pub Vec<(String, String)>);

impl OtherInfo {
    /// The first value filed under `indicator` (without the `/`), e.g. `get("REG")`.
    pub fn get(&self, indicator: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == indicator)
            .map(|(_, v)| v.as_str())
    }

    /// `DOF/`: the date of flight.
    pub fn dof(&self) -> Option<Date> {
        self.get("DOF").and_then(Date::from_yymmdd)
    }

    /// `CODE/`: the 24-bit aircraft address.
    pub fn address(&self) -> Option<IcaoAddress> {
        self.get("CODE").and_then(|v| v.parse().ok())
    }

    /// `REG/`: the registration markings.
    pub fn registration(&self) -> Option<&str> {
        self.get("REG")
    }

    /// Whether nothing was filed (`-0`).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for OtherInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("0");
        }
        for (i, (k, v)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{k}/{v}")?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Field parsers.

fn err(field: Field, offset: usize, message: String) -> ParseError {
    ParseError {
        field,
        offset,
        message,
    }
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn all_alnum(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

fn num<T: std::str::FromStr>(s: &str) -> Option<T> {
    if all_digits(s) { s.parse().ok() } else { None }
}

/// Field 3: `FPL`, `FPL/A123B456`: the type designator and any message numbers.
pub(crate) fn field3(text: &str, offset: usize) -> Result<(&str, Option<&str>), ParseError> {
    let t = text.trim();
    let (kind, rest) = match t.get(..3) {
        Some(k) => (k, &t[3..]),
        None => (t, ""),
    };
    if kind.len() != 3 || !kind.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(err(
            Field::F3,
            offset,
            format!("message type '{t}' is not three letters"),
        ));
    }
    let number = rest.strip_prefix('/').unwrap_or(rest).trim();
    if !number.is_empty()
        && !number
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'/')
    {
        return Err(err(
            Field::F3,
            offset,
            format!("message number '{number}' is not letters and digits"),
        ));
    }
    Ok((kind, (!number.is_empty()).then_some(number)))
}

/// Field 7: aircraft identification and optional SSR mode and code.
pub(crate) fn field7(text: &str, offset: usize) -> Result<(String, Option<SsrCode>), ParseError> {
    let t = text.trim();
    let (id, ssr) = match t.split_once('/') {
        Some((id, ssr)) => (id, Some(ssr)),
        None => (t, None),
    };
    if id.len() > 7 || !all_alnum(id) {
        return Err(err(
            Field::F7,
            offset,
            format!("aircraft identification '{id}' is not 1 to 7 letters or digits"),
        ));
    }
    let ssr = match ssr {
        None => None,
        Some(s) => Some(parse_ssr(s).ok_or_else(|| {
            err(
                Field::F7,
                offset,
                format!("SSR code '{s}' is not a mode letter + 4 octal digits"),
            )
        })?),
    };
    Ok((id.to_owned(), ssr))
}

fn parse_ssr(s: &str) -> Option<SsrCode> {
    let b = s.as_bytes();
    if b.len() != 5
        || !b[0].is_ascii_uppercase()
        || !b[1..].iter().all(|c| (b'0'..=b'7').contains(c))
    {
        return None;
    }
    let code = b[1..]
        .iter()
        .fold(0u16, |acc, c| (acc << 4) | u16::from(c - b'0'));
    Some(SsrCode {
        mode: char::from(b[0]),
        code,
    })
}

/// Field 8: flight rules (`I`, `V`, `Y`, `Z`) and optional type of flight (`S`, `N`, `G`,
/// `M`, `X`).
pub(crate) fn field8(text: &str, offset: usize) -> Result<(char, Option<char>), ParseError> {
    let t = text.trim();
    let b = t.as_bytes();
    let ok = matches!(b.len(), 1 | 2)
        && b"IVYZ".contains(&b[0])
        && (b.len() == 1 || b"SNGMX".contains(&b[1]));
    if !ok {
        return Err(err(
            Field::F8,
            offset,
            format!("flight rules '{t}' is not one of I V Y Z + optional S N G M X"),
        ));
    }
    Ok((char::from(b[0]), b.get(1).map(|&c| char::from(c))))
}

/// Field 9: `B738/M`, `2F16/M`.
pub(crate) fn field9(text: &str, offset: usize) -> Result<AircraftType, ParseError> {
    let t = text.trim();
    let bad = || {
        err(
            Field::F9,
            offset,
            format!("aircraft '{t}' is not [number]type/wake (e.g. B738/M)"),
        )
    };
    let (ty, wake) = t.split_once('/').ok_or_else(bad)?;
    let digits = ty.bytes().take_while(u8::is_ascii_digit).count();
    let (count, designator) = ty.split_at(digits);
    let count = match count {
        "" => None,
        c if c.len() <= 2 => Some(num::<u8>(c).ok_or_else(bad)?),
        _ => return Err(bad()),
    };
    if !(2..=4).contains(&designator.len())
        || !all_alnum(designator)
        || !designator.as_bytes()[0].is_ascii_uppercase()
    {
        return Err(bad());
    }
    if !matches!(wake, "L" | "M" | "H" | "J") {
        return Err(err(
            Field::F9,
            offset,
            format!("wake turbulence category '{wake}' is not L, M, H or J"),
        ));
    }
    Ok(AircraftType {
        count,
        designator: designator.to_owned(),
        wake: char::from(wake.as_bytes()[0]),
    })
}

/// Field 10: equipment (10a) `/` surveillance equipment (10b).
pub(crate) fn field10(text: &str, offset: usize) -> Result<(String, String), ParseError> {
    let t = text.trim();
    match t.split_once('/') {
        Some((a, b)) if all_alnum(a) && (b.is_empty() || all_alnum(b)) => {
            Ok((a.to_owned(), b.to_owned()))
        }
        _ => Err(err(
            Field::F10,
            offset,
            format!("equipment '{t}' is not letters/digits '/' letters/digits"),
        )),
    }
}

fn parse_hhmm(s: &str, max_hour: u8) -> Option<Hhmm> {
    let b = s.as_bytes();
    if b.len() != 4 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let hour = (b[0] - b'0') * 10 + (b[1] - b'0');
    let minute = (b[2] - b'0') * 10 + (b[3] - b'0');
    (hour <= max_hour && minute < 60).then_some(Hhmm { hour, minute })
}

fn aerodrome(s: &str) -> bool {
    s.len() == 4 && all_alnum(s)
}

/// An aerodrome designator followed by an optional time, as in fields 13, 16 and 17.
fn aerodrome_time(
    t: &str,
    field: Field,
    offset: usize,
    what: &str,
    need_time: bool,
    max_hour: u8,
) -> Result<(String, Option<Hhmm>), ParseError> {
    let ad = t.get(..4).unwrap_or(t);
    if !aerodrome(ad) {
        return Err(err(
            field,
            offset,
            format!("aerodrome '{ad}' is not a 4-letter location indicator"),
        ));
    }
    let rest = &t[4..];
    if rest.is_empty() && !need_time {
        return Ok((ad.to_owned(), None));
    }
    let time = parse_hhmm(rest, max_hour)
        .ok_or_else(|| err(field, offset, format!("{what} '{rest}' is not HHMM")))?;
    Ok((ad.to_owned(), Some(time)))
}

/// Field 13: departure aerodrome and time (EOBT in FPL, CHG, CNL; new EOBT in DLA; ATD in
/// DEP). The time is required when `need_time`.
pub(crate) fn field13(
    text: &str,
    offset: usize,
    need_time: bool,
) -> Result<(String, Option<Hhmm>), ParseError> {
    let t = text.trim();
    if t.contains(char::is_whitespace) {
        return Err(err(
            Field::F13,
            offset,
            format!("departure '{t}' is not aerodrome + HHMM"),
        ));
    }
    aerodrome_time(t, Field::F13, offset, "time", need_time, 23)
}

/// Field 15 first element: speed and level (`N0450F360`); also used for route changes
/// (`SOXER/N0450F380`).
pub fn parse_speed_level(s: &str) -> Result<(Speed, Level), String> {
    let b = s.as_bytes();
    let slen = match b.first() {
        Some(b'N' | b'K') => 5,
        Some(b'M') => 4,
        _ => {
            return Err(format!(
                "cruise speed in '{s}' is not N/K + 4 digits or M + 3 digits"
            ));
        }
    };
    let (sp, lv) = match s.get(..slen) {
        Some(sp) => (sp, &s[slen..]),
        None => (s, ""),
    };
    let digits = &sp[1..];
    let speed = match (b[0], num::<u16>(digits)) {
        (b'N', Some(v)) if digits.len() == 4 => Speed::Knots(v),
        (b'K', Some(v)) if digits.len() == 4 => Speed::Kmh(v),
        (b'M', Some(v)) if digits.len() == 3 => Speed::Mach(v),
        _ => {
            return Err(format!(
                "cruise speed '{sp}' is not N/K + 4 digits or M + 3 digits"
            ));
        }
    };
    let level = parse_level(lv)?;
    Ok((speed, level))
}

fn parse_level(lv: &str) -> Result<Level, String> {
    if lv == "VFR" {
        return Ok(Level::Vfr);
    }
    let Some(&first) = lv.as_bytes().first() else {
        return Err("cruise level is missing".to_owned());
    };
    let (n, what) = match first {
        b'F' => (3, "F + 3 digits"),
        b'S' => (4, "S + 4 digits"),
        b'A' => (3, "A + 3 digits"),
        b'M' => (4, "M + 4 digits"),
        _ => {
            return Err(format!(
                "cruise level '{lv}' is not F, S, A, M + digits or VFR"
            ));
        }
    };
    // `first` is an ASCII letter here, so byte 1 is a character boundary.
    let digits = &lv[1..];
    match num::<u16>(digits) {
        Some(v) if digits.len() == n => Ok(match first {
            b'F' => Level::FlightLevel(v),
            b'S' => Level::MetricLevel(v),
            b'A' => Level::Altitude(v),
            _ => Level::MetricAltitude(v),
        }),
        _ => Err(format!("cruise level '{lv}' is not {what}")),
    }
}

/// Field 15: speed, level and the route string (elements joined by single spaces).
pub(crate) fn field15(text: &str, offset: usize) -> Result<(Speed, Level, String), ParseError> {
    let mut tokens = text.split_ascii_whitespace();
    let first = tokens.next().unwrap_or("");
    let (speed, level) = parse_speed_level(first).map_err(|m| err(Field::F15, offset, m))?;
    let mut route = String::with_capacity(text.len());
    for tok in tokens {
        if !tok
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'/')
        {
            return Err(err(
                Field::F15,
                offset,
                format!("route element '{tok}' has characters other than letters, digits, '/'"),
            ));
        }
        if !route.is_empty() {
            route.push(' ');
        }
        route.push_str(tok);
    }
    Ok((speed, level, route))
}

/// Field 16: destination aerodrome, total EET (required when `need_eet`) and alternates.
pub(crate) fn field16(
    text: &str,
    offset: usize,
    need_eet: bool,
) -> Result<(String, Option<Hhmm>, Vec<String>), ParseError> {
    let mut tokens = text.split_ascii_whitespace();
    let first = tokens.next().unwrap_or("");
    let (dest, eet) = aerodrome_time(first, Field::F16, offset, "total EET", need_eet, 99)?;
    let mut alternates = Vec::new();
    for alt in tokens {
        if !aerodrome(alt) || alternates.len() == 2 {
            return Err(err(
                Field::F16,
                offset,
                format!("alternate '{alt}' is not a 4-letter location indicator (at most two)"),
            ));
        }
        alternates.push(alt.to_owned());
    }
    Ok((dest, eet, alternates))
}

/// Field 17: arrival aerodrome, time of arrival, and the aerodrome's name for `ZZZZ`.
pub(crate) fn field17(
    text: &str,
    offset: usize,
) -> Result<(String, Hhmm, Option<String>), ParseError> {
    let mut tokens = text.split_ascii_whitespace();
    let first = tokens.next().unwrap_or("");
    let (ad, time) = aerodrome_time(first, Field::F17, offset, "arrival time", true, 23)?;
    let name: Vec<&str> = tokens.collect();
    let name = (!name.is_empty()).then(|| name.join(" "));
    // Invariant: `need_time` is true, so `aerodrome_time` returned a time or an error.
    let time = time.ok_or_else(|| err(Field::F17, offset, "arrival time missing".to_owned()))?;
    Ok((ad, time, name))
}

fn is_indicator(tok: &str) -> Option<(&str, &str)> {
    let (k, v) = tok.split_once('/')?;
    ((2..=4).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_uppercase())).then_some((k, v))
}

/// Field 18: `0` or indicator/value pairs; `DOF/` and `CODE/` are checked.
pub(crate) fn field18(text: &str, offset: usize) -> Result<OtherInfo, ParseError> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut tokens = text.split_ascii_whitespace().peekable();
    if tokens.peek() == Some(&"0") {
        tokens.next();
        if let Some(extra) = tokens.next() {
            return Err(err(
                Field::F18,
                offset,
                format!("'{extra}' follows '0' (no other information)"),
            ));
        }
        return Ok(OtherInfo::default());
    }
    for tok in tokens {
        if let Some((k, v)) = is_indicator(tok) {
            pairs.push((k.to_owned(), v.to_owned()));
        } else if let Some((_, v)) = pairs.last_mut() {
            if !v.is_empty() {
                v.push(' ');
            }
            v.push_str(tok);
        } else {
            return Err(err(
                Field::F18,
                offset,
                format!("'{tok}' is not an indicator such as DOF/ or REG/"),
            ));
        }
    }
    if pairs.is_empty() {
        return Err(err(
            Field::F18,
            offset,
            "other information is empty (use 0 for none)".to_owned(),
        ));
    }
    for (k, v) in &pairs {
        match k.as_str() {
            "DOF" if Date::from_yymmdd(v).is_none() => {
                return Err(err(
                    Field::F18,
                    offset,
                    format!("DOF/ '{v}' is not a date YYMMDD"),
                ));
            }
            "CODE" if v.len() != 6 || !v.bytes().all(|b| b.is_ascii_hexdigit()) => {
                return Err(err(
                    Field::F18,
                    offset,
                    format!("CODE/ '{v}' is not a 24-bit address in 6 hex digits"),
                ));
            }
            _ => {}
        }
    }
    Ok(OtherInfo(pairs))
}

/// Field 19: supplementary information, kept as filed (elements joined by single spaces).
pub(crate) fn field19(text: &str, offset: usize) -> Result<String, ParseError> {
    let mut out = String::with_capacity(text.len());
    for tok in text.split_ascii_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(tok);
    }
    match out.as_bytes() {
        [c, b'/', ..] if c.is_ascii_uppercase() => Ok(out),
        _ => Err(err(
            Field::F19,
            offset,
            format!("supplementary information '{out}' does not start with a letter and '/'"),
        )),
    }
}

/// Whether a field's text looks like field 19 (`E/0230 P/TBN ...`) rather than field 18.
pub(crate) fn looks_like_field19(text: &str) -> bool {
    matches!(text.trim_start().as_bytes(), [c, b'/', ..] if c.is_ascii_uppercase())
}
