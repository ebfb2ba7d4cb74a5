//! AVR raw hex framing, as served by readsb / dump1090 on port 30002.
//!
//! A record is a prefix character, hex digits (either case) and `;`. What we accept, following
//! `decodeHexMessage` in readsb and dump1090-fa (`ts` = 12 hex digits of the 48-bit 12 MHz
//! MLAT counter, `ss` = 2 hex digits of signal level, `frame` = 14 or 28 hex digits):
//!
//! | record | meaning |
//! | --- | --- |
//! | `*frame;` | raw frame, no timestamp |
//! | `:frame;` | the same (readsb accepts it too) |
//! | `@ts frame;` | timestamp and frame (dump1090 `--net-ro` with MLAT timestamps) |
//! | `%ts frame;` | the same; in dump1090 `%` marks a frame whose CRC the sender checked |
//! | `%ts ss frame;` | timestamp, signal level and frame, as some emitters send `%` |
//! | `<ts ss frame;` | timestamp, signal level and frame (readsb) |
//!
//! (shown with spaces for reading; on the wire the fields run together). The two `%` forms
//! have different lengths (26/40 against 28/42 hex digits), so both are unambiguous.
//! A 4-digit payload in place of `frame` is a Mode A/C reply: counted in
//! [`FramingStats::mode_ac`], not passed on.
//!
//! Records end at `;`, so line ends are optional: CR, LF, NUL, spaces and tabs between
//! records are ignored, and spaces or tabs inside a record are skipped. Rejected:
//! - a record whose payload is not one of the lengths above, holds a non-hex character, or
//!   is cut by a line end before its `;`: [`FramingStats::malformed`];
//! - a record that runs past 42 hex digits (the longest valid payload): counted
//!   [`FramingStats::malformed`] at once, and the rest of it, up to the next `;` or line
//!   end, is dropped as [`FramingStats::skipped_bytes`], so the buffer never grows;
//! - a line starting with any other character: [`FramingStats::unknown_type`], dropped up to
//!   the next `;` or line end (as skipped bytes);
//! - a prefix character inside a record: the record is malformed (it lost its end) and the
//!   prefix starts the next one.
//!
//! Not accepted: readsb's Aerobits suffix `;(sigs,sigq,ts)`: the bracket starts a record of
//! unknown type. Nothing is allocated: the hex digits are kept in a fixed array.

use crate::frame::{FeedItem, ModeSFrame};
use crate::framing::{Framer, FramingStats};

/// Longest payload we accept, in hex digits: `<`, timestamp, signal and a long frame.
const MAX_DIGITS: usize = 12 + 2 + 28;
/// Hex digits of the MLAT timestamp.
const TS_DIGITS: usize = 12;

/// Where the framer is in the character stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Between records.
    Idle,
    /// Inside a record with a known prefix, collecting hex digits.
    Record,
    /// Dropping the rest of a rejected record, up to `;` or a line end.
    Discard,
}

/// Push parser for AVR.
#[derive(Debug)]
pub struct AvrFramer {
    stats: FramingStats,
    state: State,
    /// Prefix of the record being collected.
    prefix: u8,
    /// Nibble values of the hex digits collected so far.
    digits: [u8; MAX_DIGITS],
    /// How many of `digits` are filled.
    len: usize,
}

impl Default for AvrFramer {
    fn default() -> Self {
        Self {
            stats: FramingStats::default(),
            state: State::Idle,
            prefix: b'*',
            digits: [0; MAX_DIGITS],
            len: 0,
        }
    }
}

/// Whether `c` starts a record we understand.
fn is_prefix(c: u8) -> bool {
    matches!(c, b'*' | b':' | b'@' | b'%' | b'<')
}

/// The value of a hex digit, `None` for any other character.
fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Packs nibbles pairwise into `out`, returning the filled part (`digits.len()` is even).
fn pack<'a>(digits: &[u8], out: &'a mut [u8; 14]) -> &'a [u8] {
    let n = (digits.len() / 2).min(out.len());
    for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        *byte = (pair[0] << 4) | pair[1];
    }
    &out[..n]
}

/// The value of a run of nibbles, big-endian (at most 16 of them fit a u64).
fn value(digits: &[u8]) -> u64 {
    digits
        .iter()
        .fold(0u64, |acc, &d| (acc << 4) | u64::from(d))
}

/// A parsed record: the payload digits and what came before them.
struct Parts<'a> {
    ticks: Option<u64>,
    signal: Option<u8>,
    payload: &'a [u8],
}

/// Splits a record's digits by its prefix; `None` if the lengths fit no accepted form.
fn split(prefix: u8, digits: &[u8]) -> Option<Parts<'_>> {
    /// Whether `n` digits make a Mode A/C code or a Mode S frame.
    fn is_payload(n: usize) -> bool {
        matches!(n, 4 | 14 | 28)
    }
    match prefix {
        b'*' | b':' => Some(Parts {
            ticks: None,
            signal: None,
            payload: digits,
        }),
        b'@' | b'%' | b'<' => {
            let (ts, rest) = digits.split_at_checked(TS_DIGITS)?;
            let ticks = Some(value(ts));
            // `%` comes with or without a signal byte; the length says which.
            let with_signal = prefix == b'<' || (prefix == b'%' && !is_payload(rest.len()));
            if with_signal {
                let (ss, payload) = rest.split_at_checked(2)?;
                Some(Parts {
                    ticks,
                    signal: Some(value(ss) as u8),
                    payload,
                })
            } else {
                Some(Parts {
                    ticks,
                    signal: None,
                    payload: rest,
                })
            }
        }
        _ => None,
    }
}

impl AvrFramer {
    /// A new framer, between records.
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts collecting a record with prefix `c`.
    fn start(&mut self, c: u8) {
        self.prefix = c;
        self.len = 0;
        self.state = State::Record;
    }

    /// The record's `;` has arrived: checks it and hands a frame to the sink.
    fn complete(&mut self, sink: &mut dyn FnMut(FeedItem)) {
        self.state = State::Idle;
        let digits = &self.digits[..self.len];
        let Some(parts) = split(self.prefix, digits) else {
            self.stats.malformed += 1;
            return;
        };
        let mut bytes = [0u8; 14];
        match parts.payload.len() {
            4 => self.stats.mode_ac += 1,
            14 | 28 => {
                let data = pack(parts.payload, &mut bytes);
                match ModeSFrame::new(data, parts.ticks, parts.signal) {
                    Some(frame) => {
                        self.stats.frames += 1;
                        if frame.is_long() {
                            self.stats.long_frames += 1;
                        } else {
                            self.stats.short_frames += 1;
                        }
                        sink(FeedItem::ModeS(frame));
                    }
                    None => self.stats.malformed += 1,
                }
            }
            _ => self.stats.malformed += 1,
        }
    }
}

impl Framer for AvrFramer {
    fn push(&mut self, chunk: &[u8], sink: &mut dyn FnMut(FeedItem)) {
        for &c in chunk {
            match self.state {
                State::Idle => match c {
                    b' ' | b'\t' | b'\r' | b'\n' | 0 => {}
                    b';' => self.stats.skipped_bytes += 1,
                    _ if is_prefix(c) => self.start(c),
                    _ => {
                        self.stats.unknown_type += 1;
                        self.state = State::Discard;
                    }
                },
                State::Record => {
                    if let Some(v) = nibble(c) {
                        if let Some(slot) = self.digits.get_mut(self.len) {
                            *slot = v;
                            self.len += 1;
                        } else {
                            // Longer than any valid record: give up on it now, so that a
                            // garbage line cannot grow anything.
                            self.stats.malformed += 1;
                            self.stats.skipped_bytes += 1;
                            self.state = State::Discard;
                        }
                    } else {
                        match c {
                            b';' => self.complete(sink),
                            b' ' | b'\t' => {}
                            b'\r' | b'\n' | 0 => {
                                self.stats.malformed += 1;
                                self.state = State::Idle;
                            }
                            _ if is_prefix(c) => {
                                self.stats.malformed += 1;
                                self.start(c);
                            }
                            _ => {
                                self.stats.malformed += 1;
                                self.stats.skipped_bytes += 1;
                                self.state = State::Discard;
                            }
                        }
                    }
                }
                State::Discard => match c {
                    b';' | b'\r' | b'\n' | 0 => self.state = State::Idle,
                    _ => self.stats.skipped_bytes += 1,
                },
            }
        }
    }

    fn finish(&mut self) {
        if self.state == State::Record {
            self.stats.truncated += 1;
        }
        self.state = State::Idle;
        self.len = 0;
    }

    fn stats(&self) -> FramingStats {
        self.stats
    }
}
