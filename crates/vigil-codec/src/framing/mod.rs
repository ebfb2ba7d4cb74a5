//! Framing: byte streams in, frames out.
//!
//! Every framer is a push parser: hand it chunks of a stream as they arrive (any split, even
//! one byte at a time), and it calls the sink once per complete item. Bytes it cannot frame
//! are counted in [`FramingStats`] and skipped; it resynchronises on the next frame start and
//! never panics. Frames are checked for shape only here; parity is the decoder's job.

pub mod avr;
pub mod beast;
pub mod sbs;

use crate::frame::FeedItem;
use serde::Serialize;

/// The wire formats a feed may speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FeedFormat {
    /// Beast binary (readsb / dump1090 port 30005).
    Beast,
    /// AVR raw hex, `*…;` and `@…;` lines (port 30002).
    Avr,
    /// SBS BaseStation CSV, `MSG,1..8` (port 30003).
    Sbs,
}

/// What a framer has seen, for the per-sensor counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct FramingStats {
    /// Items framed and handed to the sink.
    pub frames: u64,
    /// Of those, short (56-bit) Mode S replies.
    pub short_frames: u64,
    /// Of those, long (112-bit) Mode S replies.
    pub long_frames: u64,
    /// Beast Mode A/C (0x31) records seen (not passed on: no Mode S content).
    pub mode_ac: u64,
    /// Bytes skipped while looking for the next frame start.
    pub skipped_bytes: u64,
    /// Frames dropped because of a bad escape (a lone 0x1a inside a Beast record).
    pub bad_escape: u64,
    /// Records of an unknown type (Beast type byte, AVR prefix, SBS message type).
    pub unknown_type: u64,
    /// Lines or records that were malformed (bad hex, wrong length, bad field).
    pub malformed: u64,
    /// Records cut short by the end of the stream (counted by `finish`).
    pub truncated: u64,
}

impl FramingStats {
    /// Total of all error counters.
    pub fn errors(&self) -> u64 {
        self.bad_escape + self.unknown_type + self.malformed + self.truncated
    }
}

/// A push parser for one wire format.
pub trait Framer: Send {
    /// Feeds the next chunk of the stream; calls `sink` once per complete item in order.
    fn push(&mut self, chunk: &[u8], sink: &mut dyn FnMut(FeedItem));
    /// The stream has ended: counts a partial record left in the buffer as truncated.
    fn finish(&mut self);
    /// Counters so far.
    fn stats(&self) -> FramingStats;
}

/// A new framer for `format`.
pub fn framer(format: FeedFormat) -> Box<dyn Framer> {
    match format {
        FeedFormat::Beast => Box::new(beast::BeastFramer::default()),
        FeedFormat::Avr => Box::new(avr::AvrFramer::default()),
        FeedFormat::Sbs => Box::new(sbs::SbsFramer::default()),
    }
}
