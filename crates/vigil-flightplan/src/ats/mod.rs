//! ICAO Doc 4444 ATS messages: FPL, CHG, DLA, CNL, DEP, ARR in the bracketed form
//! `(FPL-LOT3917-IS-B738/M-SDFGIRWY/LB1-EPKK0930-N0450F360 DCT SOXER ...-EPGD0105 EPWA-DOF/110607)`.
//!
//! Fields are separated by `-`; line breaks and runs of spaces anywhere inside a message are
//! one separator. Parsers never panic: a bad message gives a [`ParseError`] naming the field
//! and the byte offset where that field starts.
//!
//! [`FlightPlanBook`] applies a stream of messages (file, amend, delay, cancel, depart,
//! arrive) and answers the correlation question: which plans could this track be flying?

mod book;
mod fields;

use std::fmt;

pub use book::{
    BookEntry, BookError, Candidate, FlightPlanBook, PlanId, PlanStatus, TrackIdentity,
};
pub use fields::{AircraftType, Date, Hhmm, Level, OtherInfo, Speed, SsrCode, parse_speed_level};

use vigil_core::{IcaoAddress, UnixTime};

/// Which part of a message an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// The envelope: brackets, the number of fields.
    Message,
    /// Field 3: message type and numbers.
    F3,
    /// Field 7: aircraft identification and SSR code.
    F7,
    /// Field 8: flight rules and type of flight.
    F8,
    /// Field 9: number, type of aircraft, wake turbulence category.
    F9,
    /// Field 10: equipment.
    F10,
    /// Field 13: departure aerodrome and time.
    F13,
    /// Field 15: speed, level, route.
    F15,
    /// Field 16: destination, total EET, alternates.
    F16,
    /// Field 17: arrival aerodrome and time.
    F17,
    /// Field 18: other information.
    F18,
    /// Field 19: supplementary information.
    F19,
    /// Field 22: amendment (CHG).
    F22,
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = match self {
            Field::Message => return f.write_str("message"),
            Field::F3 => 3,
            Field::F7 => 7,
            Field::F8 => 8,
            Field::F9 => 9,
            Field::F10 => 10,
            Field::F13 => 13,
            Field::F15 => 15,
            Field::F16 => 16,
            Field::F17 => 17,
            Field::F18 => 18,
            Field::F19 => 19,
            Field::F22 => 22,
        };
        write!(f, "field {n}")
    }
}

/// A message that could not be parsed: which field, where, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message} (at byte {offset})")]
pub struct ParseError {
    /// The field that is wrong.
    pub field: Field,
    /// Byte offset of the start of that field in the parsed text.
    pub offset: usize,
    /// What is wrong, quoting the offending text.
    pub message: String,
}

/// A filed flight plan (FPL), fields 7 to 19.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlightPlan {
    /// Field 3b/c: message numbers as filed after the type (`A123B456`), if any.
    pub message_number: Option<String>,
    /// Field 7: aircraft identification (callsign), e.g. `LOT3917`.
    pub callsign: String,
    /// Field 7: SSR mode and code, e.g. `A7301`.
    pub ssr: Option<SsrCode>,
    /// Field 8: flight rules, `I`, `V`, `Y` or `Z`.
    pub flight_rules: char,
    /// Field 8: type of flight, `S`, `N`, `G`, `M` or `X`.
    pub flight_type: Option<char>,
    /// Field 9.
    pub aircraft: AircraftType,
    /// Field 10a: radio communication, navigation and approach aid equipment.
    pub equipment: String,
    /// Field 10b: surveillance equipment.
    pub surveillance: String,
    /// Field 13: departure aerodrome (`ZZZZ` with `DEP/` in field 18).
    pub departure: String,
    /// Field 13: estimated off-block time, UTC on the date of flight.
    pub eobt: Hhmm,
    /// Field 15: cruising speed.
    pub speed: Speed,
    /// Field 15: cruising level.
    pub level: Level,
    /// Field 15: the route elements after speed and level, joined by single spaces.
    pub route: String,
    /// Field 16: destination aerodrome (`ZZZZ` with `DEST/`).
    pub destination: String,
    /// Field 16: total estimated elapsed time.
    pub total_eet: Hhmm,
    /// Field 16: up to two destination alternates.
    pub alternates: Vec<String>,
    /// Field 18: other information.
    pub other: OtherInfo,
    /// Field 19: supplementary information as filed.
    pub supplementary: Option<String>,
}

impl FlightPlan {
    /// Parses one FPL message (bracketed or not).
    pub fn parse(text: &str) -> Result<FlightPlan, ParseError> {
        match parse_message(text)? {
            AtsMessage::Fpl(p) => Ok(p),
            other => Err(ParseError {
                field: Field::F3,
                offset: 0,
                message: format!("expected FPL, found {}", other.kind()),
            }),
        }
    }

    /// The date of flight from `DOF/`, if filed.
    pub fn dof(&self) -> Option<Date> {
        self.other.dof()
    }

    /// The 24-bit aircraft address from `CODE/`, if filed.
    pub fn address(&self) -> Option<IcaoAddress> {
        self.other.address()
    }

    /// The key that identifies this plan to CHG, DLA, CNL, DEP and ARR messages.
    pub fn key(&self) -> FlightKey {
        FlightKey {
            callsign: self.callsign.clone(),
            departure: self.departure.clone(),
            destination: Some(self.destination.clone()),
            dof: self.dof(),
            eobt: Some(self.eobt),
        }
    }

    /// EOBT as Unix time: HHMM UTC on the date of flight (`DOF/`) or, without one, on the
    /// UTC day containing `reference_day`. `None` when `reference_day` is not finite.
    pub fn eobt_unix(&self, reference_day: UnixTime) -> Option<UnixTime> {
        let day = day_start(self.dof(), reference_day)?;
        Some(UnixTime(day + self.eobt.seconds()))
    }

    /// Applies one CHG amendment.
    pub fn amend(&mut self, amendment: &Amendment) {
        match amendment.clone() {
            Amendment::Identification { callsign, ssr } => {
                self.callsign = callsign;
                self.ssr = ssr;
            }
            Amendment::Rules { rules, flight_type } => {
                self.flight_rules = rules;
                self.flight_type = flight_type;
            }
            Amendment::Aircraft(a) => self.aircraft = a,
            Amendment::Equipment {
                equipment,
                surveillance,
            } => {
                self.equipment = equipment;
                self.surveillance = surveillance;
            }
            Amendment::Departure { aerodrome, time } => {
                self.departure = aerodrome;
                if let Some(t) = time {
                    self.eobt = t;
                }
            }
            Amendment::Route {
                speed,
                level,
                route,
            } => {
                self.speed = speed;
                self.level = level;
                self.route = route;
            }
            Amendment::Destination {
                aerodrome,
                total_eet,
                alternates,
            } => {
                self.destination = aerodrome;
                if let Some(t) = total_eet {
                    self.total_eet = t;
                }
                self.alternates = alternates;
            }
            Amendment::Other(o) => self.other = o,
            Amendment::Supplementary(s) => self.supplementary = Some(s),
        }
    }
}

/// Start of the UTC day of `dof`, or of the day containing `reference`.
pub(crate) fn day_start(dof: Option<Date>, reference: UnixTime) -> Option<f64> {
    match dof {
        Some(d) => Some(d.days_since_epoch() as f64 * 86_400.0),
        None if reference.0.is_finite() => Some((reference.0 / 86_400.0).floor() * 86_400.0),
        None => None,
    }
}

impl fmt::Display for FlightPlan {
    /// The canonical single-line form, which [`parse_message`] reads back to an equal plan.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(FPL")?;
        if let Some(n) = &self.message_number {
            write!(f, "/{n}")?;
        }
        write!(f, "-{}", self.callsign)?;
        if let Some(s) = self.ssr {
            write!(f, "/{s}")?;
        }
        write!(f, "-{}", self.flight_rules)?;
        if let Some(t) = self.flight_type {
            write!(f, "{t}")?;
        }
        write!(
            f,
            "-{}-{}/{}-{}{}-{}{}",
            self.aircraft,
            self.equipment,
            self.surveillance,
            self.departure,
            self.eobt,
            self.speed,
            self.level
        )?;
        if !self.route.is_empty() {
            write!(f, " {}", self.route)?;
        }
        write!(f, "-{}{}", self.destination, self.total_eet)?;
        for a in &self.alternates {
            write!(f, " {a}")?;
        }
        write!(f, "-{}", self.other)?;
        if let Some(s) = &self.supplementary {
            write!(f, "-{s}")?;
        }
        f.write_str(")")
    }
}

/// Identifies the flight plan a CHG, DLA, CNL, DEP or ARR message applies to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FlightKey {
    /// Aircraft identification (field 7).
    pub callsign: String,
    /// Departure aerodrome (field 13a).
    pub departure: String,
    /// Destination aerodrome (field 16a), absent in ARR without field 16.
    pub destination: Option<String>,
    /// Date of flight, when the message carries `DOF/`.
    pub dof: Option<Date>,
    /// EOBT, when the message's field 13 carries it (FPL, CHG, CNL, ARR).
    pub eobt: Option<Hhmm>,
}

/// The fields 7, 13, 16 and 18 that CHG, DLA, CNL, DEP and ARR share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRef {
    /// Field 3 message numbers, if any.
    pub message_number: Option<String>,
    /// Field 7: aircraft identification.
    pub callsign: String,
    /// Field 7: SSR code, if given.
    pub ssr: Option<SsrCode>,
    /// Field 13a: departure aerodrome.
    pub departure: String,
    /// Field 13b: EOBT (CHG, CNL, ARR), the new EOBT (DLA) or the actual time of departure
    /// (DEP).
    pub time: Option<Hhmm>,
    /// Field 16a: destination aerodrome (absent only in ARR).
    pub destination: Option<String>,
    /// Field 18: other information (usually `DOF/`).
    pub other: OtherInfo,
}

/// One amendment of a CHG message (field 22: `-8/IN`, `-15/N0450F380 ...`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Amendment {
    /// `7/`: new identification and SSR code.
    Identification {
        /// Aircraft identification.
        callsign: String,
        /// SSR code.
        ssr: Option<SsrCode>,
    },
    /// `8/`: flight rules and type of flight.
    Rules {
        /// Flight rules.
        rules: char,
        /// Type of flight.
        flight_type: Option<char>,
    },
    /// `9/`: aircraft.
    Aircraft(AircraftType),
    /// `10/`: equipment.
    Equipment {
        /// 10a.
        equipment: String,
        /// 10b.
        surveillance: String,
    },
    /// `13/`: departure aerodrome and EOBT.
    Departure {
        /// Aerodrome.
        aerodrome: String,
        /// EOBT.
        time: Option<Hhmm>,
    },
    /// `15/`: speed, level and route.
    Route {
        /// Cruising speed.
        speed: Speed,
        /// Cruising level.
        level: Level,
        /// Route elements.
        route: String,
    },
    /// `16/`: destination, total EET, alternates.
    Destination {
        /// Aerodrome.
        aerodrome: String,
        /// Total EET.
        total_eet: Option<Hhmm>,
        /// Alternates.
        alternates: Vec<String>,
    },
    /// `18/`: the whole of field 18.
    Other(OtherInfo),
    /// `19/`: the whole of field 19.
    Supplementary(String),
}

/// One parsed ATS message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AtsMessage {
    /// Filed flight plan.
    Fpl(FlightPlan),
    /// Modification: amendments to a filed plan.
    Chg {
        /// Which plan.
        reference: MessageRef,
        /// The amendments, in order.
        amendments: Vec<Amendment>,
    },
    /// Delay: `reference.time` is the new EOBT.
    Dla(MessageRef),
    /// Cancellation.
    Cnl(MessageRef),
    /// Departure: `reference.time` is the actual time of departure.
    Dep(MessageRef),
    /// Arrival.
    Arr {
        /// Which plan (field 16 present only after a diversion).
        reference: MessageRef,
        /// Field 17: arrival aerodrome.
        arrival_aerodrome: String,
        /// Field 17: actual time of arrival.
        arrival_time: Hhmm,
        /// Field 17: the arrival aerodrome's name when it is `ZZZZ`.
        arrival_name: Option<String>,
    },
}

impl AtsMessage {
    /// The three-letter message type.
    pub fn kind(&self) -> &'static str {
        match self {
            AtsMessage::Fpl(_) => "FPL",
            AtsMessage::Chg { .. } => "CHG",
            AtsMessage::Dla(_) => "DLA",
            AtsMessage::Cnl(_) => "CNL",
            AtsMessage::Dep(_) => "DEP",
            AtsMessage::Arr { .. } => "ARR",
        }
    }

    /// The key of the flight the message is about. The EOBT is included only when field 13
    /// carries it (not for DLA, whose time is the new EOBT, nor DEP, whose time is the ATD).
    pub fn key(&self) -> FlightKey {
        let from_ref = |r: &MessageRef, with_eobt: bool| FlightKey {
            callsign: r.callsign.clone(),
            departure: r.departure.clone(),
            destination: r.destination.clone(),
            dof: r.other.dof(),
            eobt: if with_eobt { r.time } else { None },
        };
        match self {
            AtsMessage::Fpl(p) => p.key(),
            AtsMessage::Chg { reference, .. } | AtsMessage::Cnl(reference) => {
                from_ref(reference, true)
            }
            AtsMessage::Arr { reference, .. } => from_ref(reference, true),
            AtsMessage::Dla(r) | AtsMessage::Dep(r) => from_ref(r, false),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Message parsing.

/// Splits the body of a message at every `-`, giving each field's text and absolute offset.
fn split_fields(body: &str, base: usize) -> Vec<(usize, &str)> {
    let mut out = Vec::with_capacity(12);
    let mut start = 0;
    for (i, b) in body.bytes().enumerate() {
        if b == b'-' {
            out.push((base + start, &body[start..i]));
            start = i + 1;
        }
    }
    out.push((base + start, &body[start..]));
    out
}

/// Parses one message, bracketed `( ... )` or bare. Offsets in errors are from the start of
/// `text`.
pub fn parse_message(text: &str) -> Result<AtsMessage, ParseError> {
    parse_at(text, 0)
}

fn parse_at(text: &str, base: usize) -> Result<AtsMessage, ParseError> {
    let lead = text.len() - text.trim_start().len();
    let t = &text[lead..];
    let (body, body_off) = match t.strip_prefix('(') {
        Some(rest) => match rest.find(')') {
            Some(end) => {
                let trailing = rest[end + 1..].trim();
                if !trailing.is_empty() {
                    return Err(ParseError {
                        field: Field::Message,
                        offset: base + lead + 1 + end + 1,
                        message: format!("text after the closing bracket: '{trailing}'"),
                    });
                }
                (&rest[..end], base + lead + 1)
            }
            None => {
                return Err(ParseError {
                    field: Field::Message,
                    offset: base + lead,
                    message: "no closing bracket ')'".to_owned(),
                });
            }
        },
        None => (t.trim_end(), base + lead),
    };
    let fields = split_fields(body, body_off);
    let (off3, f3) = fields[0];
    let (kind, number) = fields::field3(f3, off3)?;
    let number = number.map(str::to_owned);
    let rest = &fields[1..];
    match kind {
        "FPL" => parse_fpl(number, rest, body_off),
        "CHG" | "DLA" | "CNL" | "DEP" => parse_ref_message(kind, number, rest, body_off),
        "ARR" => parse_arr(number, rest, body_off),
        other => Err(ParseError {
            field: Field::F3,
            offset: off3,
            message: format!("message type '{other}' is not FPL, CHG, DLA, CNL, DEP or ARR"),
        }),
    }
}

fn count_error(kind: &str, expected: &str, got: usize, offset: usize) -> ParseError {
    ParseError {
        field: Field::Message,
        offset,
        message: format!("{kind} needs fields {expected}, found {got} fields after field 3"),
    }
}

fn parse_fpl(
    message_number: Option<String>,
    f: &[(usize, &str)],
    offset: usize,
) -> Result<AtsMessage, ParseError> {
    if !(7..=9).contains(&f.len()) {
        return Err(count_error(
            "FPL",
            "7-8-9-10-13-15-16-18[-19]",
            f.len(),
            offset,
        ));
    }
    let (callsign, ssr) = fields::field7(f[0].1, f[0].0)?;
    let (flight_rules, flight_type) = fields::field8(f[1].1, f[1].0)?;
    let aircraft = fields::field9(f[2].1, f[2].0)?;
    let (equipment, surveillance) = fields::field10(f[3].1, f[3].0)?;
    let (departure, eobt) = fields::field13(f[4].1, f[4].0, true)?;
    let (speed, level, route) = fields::field15(f[5].1, f[5].0)?;
    let (destination, eet, alternates) = fields::field16(f[6].1, f[6].0, true)?;
    // Field 18 is mandatory since 2012 (`0` for none) but older plans omit it; a lone field
    // after 16 is 19 when it starts with a single-letter indicator.
    let (other, supplementary) = match &f[7..] {
        [] => (OtherInfo::default(), None),
        [(o, t)] if fields::looks_like_field19(t) => {
            (OtherInfo::default(), Some(fields::field19(t, *o)?))
        }
        [(o, t)] => (fields::field18(t, *o)?, None),
        [(o18, t18), (o19, t19)] => (
            fields::field18(t18, *o18)?,
            Some(fields::field19(t19, *o19)?),
        ),
        _ => {
            return Err(count_error(
                "FPL",
                "7-8-9-10-13-15-16-18[-19]",
                f.len(),
                offset,
            ));
        }
    };
    let missing = |field, off| ParseError {
        field,
        offset: off,
        message: "time missing".to_owned(),
    };
    Ok(AtsMessage::Fpl(FlightPlan {
        message_number,
        callsign,
        ssr,
        flight_rules,
        flight_type,
        aircraft,
        equipment,
        surveillance,
        departure,
        eobt: eobt.ok_or_else(|| missing(Field::F13, f[4].0))?,
        speed,
        level,
        route,
        destination,
        total_eet: eet.ok_or_else(|| missing(Field::F16, f[6].0))?,
        alternates,
        other,
        supplementary,
    }))
}

fn parse_ref(
    message_number: Option<String>,
    f7: (usize, &str),
    f13: (usize, &str),
    f16: Option<(usize, &str)>,
) -> Result<MessageRef, ParseError> {
    let (callsign, ssr) = fields::field7(f7.1, f7.0)?;
    let (departure, time) = fields::field13(f13.1, f13.0, false)?;
    let destination = match f16 {
        Some((o, t)) => Some(fields::field16(t, o, false)?.0),
        None => None,
    };
    Ok(MessageRef {
        message_number,
        callsign,
        ssr,
        departure,
        time,
        destination,
        other: OtherInfo::default(),
    })
}

fn is_amendment(text: &str) -> bool {
    let t = text.trim_start();
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    (1..=2).contains(&digits) && t.as_bytes().get(digits) == Some(&b'/')
}

fn parse_ref_message(
    kind: &str,
    message_number: Option<String>,
    f: &[(usize, &str)],
    offset: usize,
) -> Result<AtsMessage, ParseError> {
    let expected = if kind == "CHG" {
        "7-13-16[-18]-22..."
    } else {
        "7-13-16[-18]"
    };
    if f.len() < 3 {
        return Err(count_error(kind, expected, f.len(), offset));
    }
    let mut reference = parse_ref(message_number, f[0], f[1], Some(f[2]))?;
    let mut rest = &f[3..];
    if let Some(&(o, t)) = rest.first()
        && !is_amendment(t)
    {
        reference.other = fields::field18(t, o)?;
        rest = &rest[1..];
    }
    if kind != "CHG" {
        if !rest.is_empty() {
            return Err(count_error(kind, expected, f.len(), offset));
        }
        if matches!(kind, "DLA" | "DEP") && reference.time.is_none() {
            return Err(ParseError {
                field: Field::F13,
                offset: f[1].0,
                message: format!(
                    "{kind} needs a time after the departure aerodrome ({})",
                    if kind == "DLA" { "new EOBT" } else { "ATD" }
                ),
            });
        }
        return Ok(match kind {
            "DLA" => AtsMessage::Dla(reference),
            "CNL" => AtsMessage::Cnl(reference),
            _ => AtsMessage::Dep(reference),
        });
    }
    if rest.is_empty() {
        return Err(count_error(kind, expected, f.len(), offset));
    }
    let amendments = rest
        .iter()
        .map(|&(o, t)| parse_amendment(t, o))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(AtsMessage::Chg {
        reference,
        amendments,
    })
}

fn parse_amendment(text: &str, offset: usize) -> Result<Amendment, ParseError> {
    let lead = text.len() - text.trim_start().len();
    let t = &text[lead..];
    let Some((n, body)) = t.split_once('/').filter(|_| is_amendment(t)) else {
        return Err(ParseError {
            field: Field::F22,
            offset,
            message: format!(
                "amendment '{}' is not field number '/' new content",
                t.trim()
            ),
        });
    };
    // The field's own parser reports errors at the content's offset.
    let o = offset + lead + n.len() + 1;
    Ok(match n {
        "7" => {
            let (callsign, ssr) = fields::field7(body, o)?;
            Amendment::Identification { callsign, ssr }
        }
        "8" => {
            let (rules, flight_type) = fields::field8(body, o)?;
            Amendment::Rules { rules, flight_type }
        }
        "9" => Amendment::Aircraft(fields::field9(body, o)?),
        "10" => {
            let (equipment, surveillance) = fields::field10(body, o)?;
            Amendment::Equipment {
                equipment,
                surveillance,
            }
        }
        "13" => {
            let (aerodrome, time) = fields::field13(body, o, false)?;
            Amendment::Departure { aerodrome, time }
        }
        "15" => {
            let (speed, level, route) = fields::field15(body, o)?;
            Amendment::Route {
                speed,
                level,
                route,
            }
        }
        "16" => {
            let (aerodrome, total_eet, alternates) = fields::field16(body, o, false)?;
            Amendment::Destination {
                aerodrome,
                total_eet,
                alternates,
            }
        }
        "18" => Amendment::Other(fields::field18(body, o)?),
        "19" => Amendment::Supplementary(fields::field19(body, o)?),
        other => {
            return Err(ParseError {
                field: Field::F22,
                offset,
                message: format!("amendment of field {other} is not supported"),
            });
        }
    })
}

fn parse_arr(
    message_number: Option<String>,
    f: &[(usize, &str)],
    offset: usize,
) -> Result<AtsMessage, ParseError> {
    let (reference, f17) = match f {
        [f7, f13, f17] => (parse_ref(message_number, *f7, *f13, None)?, *f17),
        [f7, f13, f16, f17] => (parse_ref(message_number, *f7, *f13, Some(*f16))?, *f17),
        _ => return Err(count_error("ARR", "7-13[-16]-17", f.len(), offset)),
    };
    let (arrival_aerodrome, arrival_time, arrival_name) = fields::field17(f17.1, f17.0)?;
    Ok(AtsMessage::Arr {
        reference,
        arrival_aerodrome,
        arrival_time,
        arrival_name,
    })
}

/// Parses a file or stream holding many bracketed messages, with anything between them
/// (AFTN headers, blank lines) ignored. One result per message, in order, so one bad message
/// does not stop the rest; error offsets are from the start of `text`.
pub fn parse_messages(text: &str) -> Vec<Result<AtsMessage, ParseError>> {
    let mut out = Vec::new();
    let mut pos = 0;
    while let Some(open) = text[pos..].find('(').map(|i| pos + i) {
        let after = open + 1;
        let close = text[after..].find(')').map(|i| after + i);
        let next_open = text[after..].find('(').map(|i| after + i);
        match (close, next_open) {
            (Some(c), n) if n.is_none_or(|n| c < n) => {
                out.push(parse_at(&text[open..=c], open));
                pos = c + 1;
            }
            (_, n) => {
                out.push(Err(ParseError {
                    field: Field::Message,
                    offset: open,
                    message: "message has no closing bracket ')'".to_owned(),
                }));
                match n {
                    Some(n) => pos = n,
                    None => break,
                }
            }
        }
    }
    out
}
