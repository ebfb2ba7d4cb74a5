//! A stateful front end: picks the edition per category and counts what it saw.

use crate::error::BlockError;
use crate::record::{DataBlock, split_blocks};
use crate::spec::Category;
use crate::tables;

/// Counters kept by a [`Decoder`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DecodeStats {
    /// Blocks whose header was valid.
    pub blocks: u64,
    /// Records decoded.
    pub records: u64,
    /// Blocks of categories with no table, skipped.
    pub unknown_category_blocks: u64,
    /// Blocks (or framing) that failed to decode.
    pub errors: u64,
}

/// Decodes datagrams of concatenated data blocks with one edition per category.
#[derive(Debug, Clone)]
pub struct Decoder {
    categories: [Option<&'static Category>; 256],
    /// What the decoder has seen so far.
    pub stats: DecodeStats,
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new()
    }
}

impl Decoder {
    /// A decoder with this crate's default editions (see [`tables::default_for`]).
    pub fn new() -> Self {
        let mut categories = [None; 256];
        for (cat, slot) in categories.iter_mut().enumerate() {
            *slot = u8::try_from(cat).ok().and_then(tables::default_for);
        }
        Self {
            categories,
            stats: DecodeStats::default(),
        }
    }

    /// Uses `category` for its category number from now on.
    pub fn with_category(mut self, category: &'static Category) -> Self {
        self.categories[usize::from(category.cat)] = Some(category);
        self
    }

    /// Stops decoding category `cat` (its blocks are then skipped and counted).
    pub fn without_category(mut self, cat: u8) -> Self {
        self.categories[usize::from(cat)] = None;
        self
    }

    /// Decodes every block of `datagram`. Blocks of unknown categories are skipped and counted;
    /// a malformed block gives its error and decoding goes on with the next block when the
    /// block's length was usable.
    pub fn decode<'a>(&mut self, datagram: &'a [u8]) -> Vec<Result<DataBlock<'a>, BlockError>> {
        let mut out = Vec::new();
        for framed in split_blocks(datagram) {
            let (cat, block) = match framed {
                Ok(b) => b,
                Err(e) => {
                    self.stats.errors += 1;
                    out.push(Err(e));
                    continue;
                }
            };
            self.stats.blocks += 1;
            let Some(category) = self.categories[usize::from(cat)] else {
                self.stats.unknown_category_blocks += 1;
                continue;
            };
            let decoded = DataBlock::decode(category, block);
            match &decoded {
                Ok(b) => self.stats.records += b.records.len() as u64,
                Err(_) => self.stats.errors += 1,
            }
            out.push(decoded);
        }
        out
    }
}
