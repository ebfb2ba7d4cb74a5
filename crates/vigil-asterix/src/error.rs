//! Typed errors for decoding and encoding.

/// Why a record could not be decoded. Decoding stops at the first error of a block, because
/// records carry no length of their own: the next record's start is unknown.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// The FSPEC's FX chain runs past the end of the block.
    #[error("FSPEC runs past the end of the block")]
    FspecOverrun,
    /// The FSPEC announces no item at all (zero padding is not a record).
    #[error("empty FSPEC")]
    EmptyFspec,
    /// The FSPEC announces an item the UAP does not define.
    #[error("FSPEC bit for FRN {frn}, which the UAP does not define")]
    UnknownItem {
        /// Field reference number (1-based).
        frn: usize,
    },
    /// An item needs more bytes than the block has left.
    #[error("item {item} truncated: needs {need} more bytes, {available} left")]
    Truncated {
        /// Item name.
        item: &'static str,
        /// Bytes the next part needs.
        need: usize,
        /// Bytes left in the block.
        available: usize,
    },
    /// An extended item sets FX on its last defined octet.
    #[error("item {item}: FX set on the last extension the specification defines")]
    ExtendedOverrun {
        /// Item name.
        item: &'static str,
    },
    /// A compound item's primary subfield announces an undefined subitem.
    #[error("item {item}: primary subfield announces undefined subitem {slot}")]
    UnknownSubitem {
        /// Item name.
        item: &'static str,
        /// Slot index (0-based) in the primary subfield.
        slot: usize,
    },
    /// An explicit item's length octet is 0 (it counts itself, so it is at least 1).
    #[error("item {item}: explicit length 0")]
    ExplicitLength {
        /// Item name.
        item: &'static str,
    },
    /// The table itself is inconsistent (a non-octet-aligned fixed item): a bug in the tables.
    #[error("item {item}: specification table is not octet aligned")]
    BadSpec {
        /// Item name.
        item: &'static str,
    },
}

/// Why a data block could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlockError {
    /// Fewer than 3 bytes remain, so there is no complete CAT + LEN header.
    #[error("truncated block header: {available} bytes left, a header needs 3")]
    TruncatedHeader {
        /// Bytes left.
        available: usize,
    },
    /// LEN is smaller than the header itself.
    #[error("CAT{cat:03} block length {declared} is shorter than its 3-byte header")]
    LengthTooShort {
        /// Category octet.
        cat: u8,
        /// Declared LEN.
        declared: usize,
    },
    /// LEN is larger than the bytes available.
    #[error("CAT{cat:03} block declares {declared} bytes but only {available} remain")]
    LengthMismatch {
        /// Category octet.
        cat: u8,
        /// Declared LEN.
        declared: usize,
        /// Bytes available from the block start.
        available: usize,
    },
    /// A record inside the block is malformed; records before it decoded fine.
    #[error("CAT{cat:03} record {index} at block offset {offset}: {source}")]
    Record {
        /// Category.
        cat: u8,
        /// 0-based record index within the block.
        index: usize,
        /// Offset of the record within the block.
        offset: usize,
        /// What went wrong.
        #[source]
        source: RecordError,
    },
}

/// Why values could not be encoded.
// Not `Eq`: `OutOfRange` carries the offending physical value, an `f64`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EncodeError {
    /// The value's shape does not match the item's layout.
    #[error("item {item}: value does not match the item layout")]
    Shape {
        /// Item name.
        item: &'static str,
    },
    /// A raw value does not fit its element.
    #[error("item {item}: value {value} does not fit in {bits} bits")]
    TooWide {
        /// Item name.
        item: &'static str,
        /// The value.
        value: u64,
        /// Element width.
        bits: u8,
    },
    /// Too many repetitions, or explicit data too long, for a one-octet count.
    #[error("item {item}: {len} does not fit the one-octet count")]
    TooLong {
        /// Item name.
        item: &'static str,
        /// Count or length.
        len: usize,
    },
    /// The UAP has no item at this FRN, or items are not in increasing FRN order.
    #[error("FRN {frn} is not a defined item or is out of order")]
    BadFrn {
        /// Field reference number.
        frn: usize,
    },
    /// A record needs at least one item.
    #[error("a record needs at least one item")]
    EmptyRecord,
    /// The block would exceed the 16-bit length field.
    #[error("block of {len} bytes exceeds 65535")]
    BlockTooLong {
        /// Total length.
        len: usize,
    },
    /// A physical value is not finite or outside what its field can carry.
    #[error("item {item} {field}: {value} is outside {min}..={max}")]
    OutOfRange {
        /// Item name.
        item: &'static str,
        /// Field name within the item.
        field: &'static str,
        /// The value given, in the unit of the writer's API.
        value: f64,
        /// Smallest value accepted.
        min: f64,
        /// Largest value accepted.
        max: f64,
    },
    /// Text that the field's character set cannot carry, or too long for it.
    #[error(
        "item {item} {field}: {text:?} is not up to {max_chars} characters of A-Z, 0-9 and space"
    )]
    BadText {
        /// Item name.
        item: &'static str,
        /// Field name within the item.
        field: &'static str,
        /// The text given.
        text: String,
        /// Characters the field holds.
        max_chars: usize,
    },
    /// One record plus the 3-octet block header does not fit the block size limit.
    #[error("record of {len} bytes does not fit a block of at most {max_block} bytes")]
    RecordTooLong {
        /// Record length.
        len: usize,
        /// The block size limit.
        max_block: usize,
    },
    /// A block size limit outside 4..=65535 (a header and at least one octet).
    #[error("block size limit {max_block} is outside 4..=65535")]
    BadBlockLimit {
        /// The limit asked for.
        max_block: usize,
    },
}
