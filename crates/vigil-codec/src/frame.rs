//! Framed items as they come out of a receiver feed.

use crate::framing::sbs::SbsMessage;

/// One Mode S reply (56 or 112 bits), with what the receiver said about it.
///
/// Plain `Copy` data: framing a stream allocates nothing per frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModeSFrame {
    bytes: [u8; 14],
    len: u8,
    /// The receiver's 48-bit 12 MHz timestamp (Beast, AVR `@`), if it sent one.
    pub mlat_ticks: Option<u64>,
    /// The receiver's signal level byte (Beast: 0..=255, RSSI = 10·log10((level/255)²) dBFS).
    pub signal: Option<u8>,
}

impl ModeSFrame {
    /// A frame from its 7 (short) or 14 (long) bytes; `None` for any other length.
    pub fn new(data: &[u8], mlat_ticks: Option<u64>, signal: Option<u8>) -> Option<Self> {
        if data.len() != 7 && data.len() != 14 {
            return None;
        }
        let mut bytes = [0u8; 14];
        bytes[..data.len()].copy_from_slice(data);
        Some(Self {
            bytes,
            len: data.len() as u8,
            mlat_ticks,
            signal,
        })
    }

    /// The reply's bytes: 7 or 14 of them.
    pub fn data(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    /// Whether this is a long (112-bit) reply.
    pub fn is_long(&self) -> bool {
        self.len == 14
    }

    /// The signal level in dBFS, as readsb reports `rssi`.
    pub fn rssi_dbfs(&self) -> Option<f64> {
        self.signal.map(|s| {
            let level = f64::from(s) / 255.0;
            10.0 * (level * level).max(1e-12).log10()
        })
    }
}

/// What a framer yields: a raw Mode S reply (Beast, AVR) or an already decoded SBS line.
#[derive(Debug, Clone, PartialEq)]
pub enum FeedItem {
    /// A raw Mode S reply, still to be decoded.
    ModeS(ModeSFrame),
    /// A BaseStation message, decoded by the receiver.
    Sbs(SbsMessage),
}
