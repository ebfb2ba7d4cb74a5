//! Avr framing. TODO(framing helper): implement.

use crate::frame::FeedItem;
use crate::framing::{Framer, FramingStats};

/// Push parser for Avr.
#[derive(Debug, Default)]
pub struct AvrFramer {
    stats: FramingStats,
}

impl Framer for AvrFramer {
    fn push(&mut self, _chunk: &[u8], _sink: &mut dyn FnMut(FeedItem)) {}
    fn finish(&mut self) {}
    fn stats(&self) -> FramingStats {
        self.stats
    }
}
