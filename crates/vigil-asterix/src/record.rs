//! Data blocks and records: the generic engine driven by a category's UAP.

use crate::error::{BlockError, EncodeError, RecordError};
use crate::spec::{Category, Item};
use crate::value::{self, Cursor, Leaf, Value};

/// One decoded data item of a record.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordItem<'a> {
    /// Field reference number (1-based position in the UAP).
    pub frn: usize,
    /// The item's definition.
    pub def: &'static Item,
    /// The item's octets as received.
    pub bytes: &'a [u8],
    /// The decoded value.
    pub value: Value,
}

impl RecordItem<'_> {
    /// Every element of the item, with name paths (`"SAC"`, `"ADR/ADR"`, `"[0]/MBDATA"`).
    pub fn leaves(&self) -> Vec<Leaf> {
        let mut out = Vec::new();
        value::leaves(&self.def.var, &self.value, "", &mut out);
        out
    }

    /// The element at `path` (`""` for an item that is a single element).
    pub fn get(&self, path: &str) -> Option<Leaf> {
        self.leaves().into_iter().find(|l| l.path == path)
    }

    /// The repetitions of a repetitive item (each is shaped like the repeated variation).
    pub fn repetitions(&self) -> &[Value] {
        match &self.value {
            Value::Repetitive(r) => r,
            _ => &[],
        }
    }
}

/// One decoded record.
#[derive(Debug, Clone, PartialEq)]
pub struct Record<'a> {
    /// The category edition it was decoded with.
    pub category: &'static Category,
    /// The record's octets, FSPEC included.
    pub bytes: &'a [u8],
    /// The items present, in FRN order.
    pub items: Vec<RecordItem<'a>>,
    /// Octets of the FSPEC as received (see [`encode_record_with`]).
    pub fspec_octets: usize,
}

impl<'a> Record<'a> {
    /// Decodes the record at the start of `buf`; returns it and the bytes it used.
    pub fn decode(
        category: &'static Category,
        buf: &'a [u8],
    ) -> Result<(Self, usize), RecordError> {
        let mut cur = Cursor { buf, pos: 0 };
        let slots = cur.fspec()?;
        let fspec_octets = cur.pos;
        if slots.is_empty() {
            return Err(RecordError::EmptyFspec);
        }
        let mut items = Vec::with_capacity(slots.len());
        for slot in slots {
            let frn = slot + 1;
            let def = category
                .item_at(frn)
                .ok_or(RecordError::UnknownItem { frn })?;
            let start = cur.pos;
            let value = value::decode(&def.var, &mut cur, def.name)?;
            items.push(RecordItem {
                frn,
                def,
                bytes: &buf[start..cur.pos],
                value,
            });
        }
        Ok((
            Self {
                category,
                bytes: &buf[..cur.pos],
                items,
                fspec_octets,
            },
            cur.pos,
        ))
    }

    /// The item called `name` (`"010"`, `"RE"`), if present.
    pub fn item(&self, name: &str) -> Option<&RecordItem<'a>> {
        self.items.iter().find(|i| i.def.name == name)
    }

    /// Shortcut for `self.item(item)?.get(path)`.
    pub fn leaf(&self, item: &str, path: &str) -> Option<Leaf> {
        self.item(item)?.get(path)
    }

    /// Encodes the record again from its decoded values (not from the received octets).
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        encode_record_with(
            self.category,
            self.items.iter().map(|i| (i.frn, &i.value)),
            self.fspec_octets,
        )
    }
}

/// One item of a record located by [`RawItems`]: its octets, not decoded.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RawItem<'a> {
    /// Field reference number (1-based position in the UAP).
    pub frn: usize,
    /// The item's definition.
    pub def: &'static Item,
    /// The item's octets.
    pub bytes: &'a [u8],
}

/// The items of one record, located without decoding them and without allocating: the
/// zero-allocation path for readers that want a few items of many records (the typed fast
/// decoders, filters on I010 or a track number). It accepts and rejects exactly what
/// [`Record::decode`] does, with the same errors.
#[derive(Debug, Clone)]
pub struct RawItems<'a> {
    category: &'static Category,
    buf: &'a [u8],
    /// FSPEC octets.
    fspec: usize,
    /// Next FSPEC bit to look at (octet × 8 + bit, FX bits skipped).
    bit: usize,
    pos: usize,
    failed: bool,
}

impl<'a> RawItems<'a> {
    /// Reads the FSPEC of the record at the start of `buf`.
    pub fn new(category: &'static Category, buf: &'a [u8]) -> Result<Self, RecordError> {
        let mut fspec = 0;
        let mut any = false;
        loop {
            let b = *buf.get(fspec).ok_or(RecordError::FspecOverrun)?;
            fspec += 1;
            any |= b & 0xfe != 0;
            if b & 1 == 0 {
                break;
            }
        }
        if !any {
            return Err(RecordError::EmptyFspec);
        }
        Ok(Self {
            category,
            buf,
            fspec,
            bit: 0,
            pos: fspec,
            failed: false,
        })
    }

    /// Octets used so far: the FSPEC and the items returned. After the last item, the length
    /// of the record.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Steps over the remaining items and returns the record's length.
    pub fn record_len(mut self) -> Result<usize, RecordError> {
        for item in self.by_ref() {
            item?;
        }
        Ok(self.pos)
    }

    /// The next FRN whose FSPEC bit is set, advancing past it.
    fn next_frn(&mut self) -> Option<usize> {
        while self.bit < self.fspec * 8 {
            let octet = self.bit / 8;
            let shift = self.bit % 8;
            // Bits of this octet at or after `shift`, FX (bit 0) excluded.
            let rest = (self.buf[octet] & 0xfe) << shift;
            if rest == 0 {
                self.bit = (octet + 1) * 8;
                continue;
            }
            let at = shift + rest.leading_zeros() as usize;
            self.bit = octet * 8 + at + 1;
            return Some(octet * 7 + at + 1);
        }
        None
    }
}

impl<'a> Iterator for RawItems<'a> {
    type Item = Result<RawItem<'a>, RecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let frn = self.next_frn()?;
        let Some(def) = self.category.item_at(frn) else {
            self.failed = true;
            return Some(Err(RecordError::UnknownItem { frn }));
        };
        let mut cur = Cursor {
            buf: self.buf,
            pos: self.pos,
        };
        match value::skip(&def.var, &mut cur, def.name) {
            Ok(()) => {
                let bytes = &self.buf[self.pos..cur.pos];
                self.pos = cur.pos;
                Some(Ok(RawItem { frn, def, bytes }))
            }
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

/// Encodes a record from `(frn, value)` pairs in increasing FRN order, with a minimal FSPEC.
pub fn encode_record<'v>(
    category: &'static Category,
    items: impl IntoIterator<Item = (usize, &'v Value)>,
) -> Result<Vec<u8>, EncodeError> {
    encode_record_with(category, items, 0)
}

/// Like [`encode_record`], with an FSPEC of at least `fspec_octets` octets: some encoders
/// send trailing empty FSPEC octets, and keeping them makes decode → encode exact.
pub fn encode_record_with<'v>(
    category: &'static Category,
    items: impl IntoIterator<Item = (usize, &'v Value)>,
    fspec_octets: usize,
) -> Result<Vec<u8>, EncodeError> {
    if fspec_octets > value::MAX_FSPEC_OCTETS {
        return Err(EncodeError::BadFrn {
            frn: fspec_octets.saturating_mul(7),
        });
    }
    let items: Vec<(usize, &Value)> = items.into_iter().collect();
    // The decoder rejects an empty FSPEC, so the encoder never writes one.
    if items.is_empty() {
        return Err(EncodeError::EmptyRecord);
    }
    let mut slots = Vec::with_capacity(items.len());
    for (frn, _) in &items {
        let ok = *frn >= 1
            && slots.last().is_none_or(|&s| s + 1 < *frn)
            && category.item_at(*frn).is_some();
        if !ok {
            return Err(EncodeError::BadFrn { frn: *frn });
        }
        slots.push(frn - 1);
    }
    let mut out = Vec::new();
    value::write_fspec(&slots, fspec_octets, &mut out);
    for (frn, v) in items {
        let def = category.item_at(frn).ok_or(EncodeError::BadFrn { frn })?;
        value::encode(&def.var, v, &mut out, def.name)?;
    }
    Ok(out)
}

/// Wraps encoded records into a data block (CAT, LEN, records).
pub fn encode_block(cat: u8, records: &[Vec<u8>]) -> Result<Vec<u8>, EncodeError> {
    let len = 3 + records.iter().map(Vec::len).sum::<usize>();
    let len16 = u16::try_from(len).map_err(|_| EncodeError::BlockTooLong { len })?;
    let mut out = Vec::with_capacity(len);
    out.push(cat);
    out.extend_from_slice(&len16.to_be_bytes());
    for r in records {
        out.extend_from_slice(r);
    }
    Ok(out)
}

/// A decoded data block.
#[derive(Debug, Clone, PartialEq)]
pub struct DataBlock<'a> {
    /// The category edition used.
    pub category: &'static Category,
    /// The block's octets, header included.
    pub bytes: &'a [u8],
    /// The records, in order.
    pub records: Vec<Record<'a>>,
}

impl<'a> DataBlock<'a> {
    /// Decodes exactly one block (`bytes` starts at CAT; octets past LEN are ignored) with
    /// `category`, whatever the CAT octet says.
    pub fn decode(category: &'static Category, bytes: &'a [u8]) -> Result<Self, BlockError> {
        let (cat, block) = block_header(bytes)?;
        let mut records = Vec::new();
        let mut pos = 3;
        while pos < block.len() {
            let (rec, used) =
                Record::decode(category, &block[pos..]).map_err(|source| BlockError::Record {
                    cat,
                    index: records.len(),
                    offset: pos,
                    source,
                })?;
            records.push(rec);
            pos += used;
        }
        Ok(Self {
            category,
            bytes: block,
            records,
        })
    }

    /// Encodes the block again from the decoded values.
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        let records = self
            .records
            .iter()
            .map(Record::encode)
            .collect::<Result<Vec<_>, _>>()?;
        encode_block(self.category.cat, &records)
    }
}

/// Checks the header at the start of `bytes`: returns the CAT octet and the block's octets.
pub fn block_header(bytes: &[u8]) -> Result<(u8, &[u8]), BlockError> {
    let [cat, hi, lo, ..] = *bytes else {
        return Err(BlockError::TruncatedHeader {
            available: bytes.len(),
        });
    };
    let declared = usize::from(u16::from_be_bytes([hi, lo]));
    if declared < 3 {
        return Err(BlockError::LengthTooShort { cat, declared });
    }
    let block = bytes.get(..declared).ok_or(BlockError::LengthMismatch {
        cat,
        declared,
        available: bytes.len(),
    })?;
    Ok((cat, block))
}

/// Splits a datagram or file into blocks by their headers. After a header error the rest of
/// the input cannot be framed, so the iterator yields that error and stops.
pub fn split_blocks(bytes: &[u8]) -> SplitBlocks<'_> {
    SplitBlocks { rest: bytes }
}

/// Iterator returned by [`split_blocks`].
#[derive(Debug, Clone)]
pub struct SplitBlocks<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for SplitBlocks<'a> {
    type Item = Result<(u8, &'a [u8]), BlockError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        match block_header(self.rest) {
            Ok((cat, block)) => {
                self.rest = &self.rest[block.len()..];
                Some(Ok((cat, block)))
            }
            Err(e) => {
                self.rest = &[];
                Some(Err(e))
            }
        }
    }
}
