//! Packing encoded records into data blocks under a size limit (one UDP datagram each).

use crate::error::EncodeError;

/// Packs records of one category into data blocks of at most `max_block` octets each.
///
/// ASTERIX over UDP sends one or more blocks per datagram and receivers drop datagrams that
/// IP fragmentation mangled, so a writer keeps every block below the path MTU (1,400 octets
/// is a common choice) and starts a new block when the next record would not fit. Records
/// are never split: they carry no length of their own, so a receiver could not join them.
///
/// All blocks live in one buffer, and each record is written straight into it (see
/// [`BlockWriter::push_with`]): packing allocates only when the buffer grows, not per record.
/// The LEN field of the last (open) block is kept current, so [`BlockWriter::blocks`] always
/// yields valid blocks.
#[derive(Debug, Clone)]
pub struct BlockWriter {
    cat: u8,
    max_block: usize,
    buf: Vec<u8>,
    /// Start offsets of the blocks in `buf`; the last one is open.
    starts: Vec<usize>,
    records: usize,
}

/// The largest block the 16-bit LEN field can describe.
const MAX_LEN: usize = u16::MAX as usize;

impl BlockWriter {
    /// A writer for category `cat` whose blocks are at most `max_block` octets (4..=65535).
    pub fn new(cat: u8, max_block: usize) -> Result<Self, EncodeError> {
        if !(4..=MAX_LEN).contains(&max_block) {
            return Err(EncodeError::BadBlockLimit { max_block });
        }
        Ok(Self {
            cat,
            max_block,
            buf: Vec::new(),
            starts: Vec::new(),
            records: 0,
        })
    }

    /// Appends one encoded record.
    pub fn push(&mut self, record: &[u8]) -> Result<(), EncodeError> {
        self.push_with(|out| {
            out.extend_from_slice(record);
            Ok(())
        })
    }

    /// Appends the record that `write` appends to the buffer it is given (and nothing else).
    /// When `write` fails, or the record cannot fit any block, the buffer is left as before.
    pub fn push_with<F>(&mut self, write: F) -> Result<(), EncodeError>
    where
        F: FnOnce(&mut Vec<u8>) -> Result<(), EncodeError>,
    {
        let mark = self.buf.len();
        let fresh = self.starts.is_empty();
        if fresh {
            self.open_block();
        }
        let at = self.buf.len();
        let undo = |w: &mut Self| {
            w.buf.truncate(mark);
            if fresh {
                w.starts.pop();
            }
        };
        if let Err(e) = write(&mut self.buf) {
            undo(self);
            return Err(e);
        }
        let len = self.buf.len() - at;
        if len == 0 || len + 3 > self.max_block {
            undo(self);
            return Err(EncodeError::RecordTooLong {
                len,
                max_block: self.max_block,
            });
        }
        let start = self.starts.last().copied().unwrap_or(0);
        if self.buf.len() - start > self.max_block {
            // The record overflows the open block: move it behind the header of a new one.
            // The open block had at least one record (a fresh block always takes one, as
            // checked above), so closing it never leaves an empty block.
            let end = self.buf.len();
            self.buf.extend_from_slice(&[0; 3]);
            self.buf.copy_within(at..end, at + 3);
            self.buf[at..at + 3].copy_from_slice(&[self.cat, 0, 0]);
            self.starts.push(at);
        }
        self.records += 1;
        self.patch_len();
        Ok(())
    }

    fn open_block(&mut self) {
        self.starts.push(self.buf.len());
        self.buf.extend_from_slice(&[self.cat, 0, 0]);
    }

    /// Writes the open block's current length into its LEN field.
    fn patch_len(&mut self) {
        if let Some(&start) = self.starts.last() {
            // `max_block` ≤ 65535 bounds every block, so the conversion cannot fail.
            let len = u16::try_from(self.buf.len() - start).unwrap_or(u16::MAX);
            self.buf[start + 1..start + 3].copy_from_slice(&len.to_be_bytes());
        }
    }

    /// The blocks written so far, in order, each starting with its CAT and LEN.
    pub fn blocks(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.starts.iter().enumerate().map(|(i, &s)| {
            let end = self.starts.get(i + 1).copied().unwrap_or(self.buf.len());
            &self.buf[s..end]
        })
    }

    /// Every block written so far, back to back (a stream or file of blocks).
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// Number of blocks.
    pub fn block_count(&self) -> usize {
        self.starts.len()
    }

    /// Number of records pushed.
    pub fn record_count(&self) -> usize {
        self.records
    }

    /// Forgets the blocks but keeps the buffer, for the next update cycle.
    pub fn clear(&mut self) {
        self.buf.clear();
        self.starts.clear();
        self.records = 0;
    }

    /// The blocks as separate buffers (one datagram each).
    pub fn into_blocks(self) -> Vec<Vec<u8>> {
        self.blocks().map(<[u8]>::to_vec).collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failure should stop loudly.
mod tests {
    use super::*;

    #[test]
    fn packs_under_the_limit_and_never_splits_a_record() {
        let mut w = BlockWriter::new(62, 10).unwrap();
        for r in [&[1u8, 2, 3][..], &[4, 5], &[6, 7, 8, 9], &[10]] {
            w.push(r).unwrap();
        }
        let blocks: Vec<&[u8]> = w.blocks().collect();
        assert_eq!(
            blocks,
            vec![
                &[62, 0, 8, 1, 2, 3, 4, 5][..],
                &[62, 0, 8, 6, 7, 8, 9, 10][..]
            ]
        );
        assert_eq!(w.record_count(), 4);
        assert_eq!(w.as_bytes().len(), 16);
    }

    #[test]
    fn refuses_what_cannot_fit_and_leaves_the_buffer_alone() {
        let mut w = BlockWriter::new(62, 6).unwrap();
        assert!(matches!(
            w.push(&[1, 2, 3, 4]),
            Err(EncodeError::RecordTooLong { len: 4, .. })
        ));
        assert_eq!(w.block_count(), 0);
        w.push(&[1, 2, 3]).unwrap();
        assert!(w.push(&[]).is_err());
        let failing = w.push_with(|out| {
            out.push(9);
            Err(EncodeError::EmptyRecord)
        });
        assert_eq!(failing, Err(EncodeError::EmptyRecord));
        assert_eq!(w.as_bytes(), &[62, 0, 6, 1, 2, 3]);
        assert!(BlockWriter::new(62, 3).is_err());
        assert!(BlockWriter::new(62, 65_536).is_err());
    }
}
