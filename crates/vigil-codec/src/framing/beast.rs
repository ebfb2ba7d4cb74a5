//! Beast framing. TODO(framing helper): implement.

use crate::frame::FeedItem;
use crate::framing::{Framer, FramingStats};

/// Push parser for Beast.
#[derive(Debug, Default)]
pub struct BeastFramer {
    stats: FramingStats,
}

impl Framer for BeastFramer {
    fn push(&mut self, _chunk: &[u8], _sink: &mut dyn FnMut(FeedItem)) {}
    fn finish(&mut self) {}
    fn stats(&self) -> FramingStats {
        self.stats
    }
}
