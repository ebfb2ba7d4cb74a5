//! Beast binary framing, as served by readsb / dump1090 on port 30005.
//!
//! A record is `0x1a`, a type byte, a 6-byte big-endian 12 MHz MLAT timestamp, a signal-level
//! byte, then the payload. Inside a record (everything after the type byte) each `0x1a` is
//! sent twice, so a lone `0x1a` can only be the start of a record.
//!
//! | type | payload | what we do |
//! | --- | --- | --- |
//! | `0x31` `'1'` | 2 bytes, Mode A/C | counted in [`FramingStats::mode_ac`], not passed on |
//! | `0x32` `'2'` | 7 bytes, Mode S short | emitted as [`FeedItem::ModeS`] |
//! | `0x33` `'3'` | 14 bytes, Mode S long | emitted as [`FeedItem::ModeS`] |
//! | `0x34` `'4'` | 14 bytes, Radarcape status | framed and dropped silently (not an error: a Radarcape sends one a second) |
//! | other | unknown length | counted in [`FramingStats::unknown_type`]; we resynchronise on the next `0x1a` |
//!
//! The `0x34` payload length (14 bytes, like a long frame) is the one mlat-client and readsb
//! assume; framing it rather than resyncing keeps its body out of the error counters.
//!
//! Errors and how they are counted:
//! - bytes before a record start are [`FramingStats::skipped_bytes`]; so is an escaped pair
//!   `0x1a 0x1a` seen outside a record (we joined the stream mid-record);
//! - a lone `0x1a` inside a record is a [`FramingStats::bad_escape`]: the record is dropped and
//!   that `0x1a` starts the next record (which is what it is in a stream that lost bytes);
//! - a record cut off by the end of the stream is [`FramingStats::truncated`] (by `finish`).
//!
//! The framer keeps only the record being assembled (at most 21 unescaped bytes) in a fixed
//! array: nothing is allocated, and scanning is done a run of bytes at a time, not per byte.

use crate::frame::{FeedItem, ModeSFrame};
use crate::framing::{Framer, FramingStats};

/// Record start and escape byte.
const ESC: u8 = 0x1a;
/// Timestamp (6) and signal (1) bytes before the payload.
const HEADER_LEN: usize = 7;
/// The longest record body after the type byte, unescaped: header and 14 payload bytes.
const MAX_BODY_LEN: usize = HEADER_LEN + 14;

/// The record types we know the length of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `0x31`: Mode A/C reply.
    ModeAc,
    /// `0x32`: Mode S short (56-bit) reply.
    Short,
    /// `0x33`: Mode S long (112-bit) reply.
    Long,
    /// `0x34`: Radarcape status record.
    Status,
}

impl Kind {
    /// The kind a type byte announces, `None` if we do not know it.
    fn from_type(byte: u8) -> Option<Self> {
        match byte {
            0x31 => Some(Self::ModeAc),
            0x32 => Some(Self::Short),
            0x33 => Some(Self::Long),
            0x34 => Some(Self::Status),
            _ => None,
        }
    }

    /// Unescaped length of the record after the type byte.
    fn body_len(self) -> usize {
        HEADER_LEN
            + match self {
                Self::ModeAc => 2,
                Self::Short => 7,
                Self::Long | Self::Status => 14,
            }
    }
}

/// Where the framer is in the byte stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Between records: looking for `0x1a`.
    Idle,
    /// Seen `0x1a`: the next byte is the type.
    Type,
    /// Inside a record's body.
    Body,
    /// Inside a body, just seen `0x1a`: the next byte decides (escape or new record).
    Escape,
}

/// Push parser for Beast.
#[derive(Debug)]
pub struct BeastFramer {
    stats: FramingStats,
    state: State,
    /// Kind of the record being assembled (meaningful in `Body` and `Escape`).
    kind: Kind,
    /// Unescaped body bytes so far (timestamp, signal, payload).
    body: [u8; MAX_BODY_LEN],
    /// How many bytes of `body` are filled; always `< kind.body_len()` between calls.
    len: usize,
}

impl Default for BeastFramer {
    fn default() -> Self {
        Self {
            stats: FramingStats::default(),
            state: State::Idle,
            kind: Kind::Short,
            body: [0; MAX_BODY_LEN],
            len: 0,
        }
    }
}

impl BeastFramer {
    /// A new framer, between records.
    pub fn new() -> Self {
        Self::default()
    }

    /// The body is complete: counts it and hands Mode S frames to the sink.
    fn complete(&mut self, sink: &mut dyn FnMut(FeedItem)) {
        self.state = State::Idle;
        let body = &self.body[..self.len];
        self.len = 0;
        // Every kind's body is longer than the 7-byte header, so both splits succeed.
        let Some((ts, rest)) = body.split_at_checked(6) else {
            return;
        };
        let Some((&signal, data)) = rest.split_first() else {
            return;
        };
        // 48-bit big-endian counter from 6 bytes: cannot overflow a u64.
        let ticks = ts.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
        match self.kind {
            Kind::ModeAc => self.stats.mode_ac += 1,
            Kind::Status => {}
            Kind::Short | Kind::Long => {
                if let Some(frame) = ModeSFrame::new(data, Some(ticks), Some(signal)) {
                    self.stats.frames += 1;
                    if frame.is_long() {
                        self.stats.long_frames += 1;
                    } else {
                        self.stats.short_frames += 1;
                    }
                    sink(FeedItem::ModeS(frame));
                }
            }
        }
    }
}

impl Framer for BeastFramer {
    fn push(&mut self, chunk: &[u8], sink: &mut dyn FnMut(FeedItem)) {
        let mut i = 0;
        while i < chunk.len() {
            match self.state {
                State::Idle => {
                    let rest = &chunk[i..];
                    match rest.iter().position(|&b| b == ESC) {
                        Some(p) => {
                            self.stats.skipped_bytes += p as u64;
                            i += p + 1;
                            self.state = State::Type;
                        }
                        None => {
                            self.stats.skipped_bytes += rest.len() as u64;
                            return;
                        }
                    }
                }
                State::Type => {
                    let byte = chunk[i];
                    i += 1;
                    if let Some(kind) = Kind::from_type(byte) {
                        self.kind = kind;
                        self.len = 0;
                        self.state = State::Body;
                    } else if byte == ESC {
                        // An escaped data byte: we are reading a record we did not see start.
                        self.stats.skipped_bytes += 2;
                        self.state = State::Idle;
                    } else {
                        self.stats.unknown_type += 1;
                        self.state = State::Idle;
                    }
                }
                State::Body => {
                    let need = self.kind.body_len();
                    // Copy the longest run without an escape, up to the end of the body.
                    let avail = &chunk[i..chunk.len().min(i + (need - self.len))];
                    let esc = avail.iter().position(|&b| b == ESC);
                    let run = &avail[..esc.unwrap_or(avail.len())];
                    // `len + run.len() <= need <= MAX_BODY_LEN`: the slice is in bounds.
                    self.body[self.len..self.len + run.len()].copy_from_slice(run);
                    self.len += run.len();
                    i += run.len();
                    if esc.is_some() {
                        i += 1;
                        self.state = State::Escape;
                    } else if self.len == need {
                        self.complete(sink);
                    }
                }
                State::Escape => {
                    if chunk[i] == ESC {
                        i += 1;
                        // Escape is only entered with `len < need`, so there is room.
                        if let Some(slot) = self.body.get_mut(self.len) {
                            *slot = ESC;
                            self.len += 1;
                        }
                        self.state = State::Body;
                        if self.len == self.kind.body_len() {
                            self.complete(sink);
                        }
                    } else {
                        // A lone 0x1a: the record lost bytes and this is the next record's
                        // start. Leave `chunk[i]` to be read as its type byte.
                        self.stats.bad_escape += 1;
                        self.len = 0;
                        self.state = State::Type;
                    }
                }
            }
        }
    }

    fn finish(&mut self) {
        if self.state != State::Idle {
            self.stats.truncated += 1;
        }
        self.state = State::Idle;
        self.len = 0;
    }

    fn stats(&self) -> FramingStats {
        self.stats
    }
}
