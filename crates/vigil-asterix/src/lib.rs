//! EUROCONTROL ASTERIX decoding and encoding for Vigil.
//!
//! # Design
//!
//! * **Tables, not code, describe categories.** [`spec`] says what an item layout can be
//!   (element, group, extended, repetitive, explicit, compound); [`tables`] holds the
//!   layouts of CAT021 (0.26, 2.6), CAT034 (1.29), CAT048 (1.27, 1.32), CAT062 (1.18, 1.21)
//!   and CAT065 (1.6), generated from the structured `asterix-specs` definitions by
//!   `tests/codegen.rs` (which also checks the committed file is current).
//! * **One generic engine.** [`DataBlock::decode`] and [`Record::decode`] walk the FSPEC and
//!   the UAP and produce a [`Value`] tree per item that keeps every raw bit (spares included).
//!   [`Record::encode`] writes the tree back: decode → encode gives the received octets
//!   (FSPEC lengths are remembered, since real encoders send trailing empty FSPEC octets),
//!   which the tests check on every record of the real sample data.
//!   Items that the tables do not describe in detail (SP, RE) are explicit items and are
//!   skipped by their length; RE contents can be decoded with [`expansion`].
//! * **Typed views for the tracker.** [`cat048`], [`cat034`], [`cat062`], [`cat065`] and
//!   [`cat021`] read the generic tree by item/field name into plain structs with physical
//!   units; [`modes`] decodes 6-bit ICAO text and Comm-B registers BDS 4,0/5,0/6,0.
//! * **Zero-allocation paths where volume needs them, checked against the engine.**
//!   [`RawItems`] locates a record's items from the table without decoding or allocating;
//!   [`cat048::ReportDecoder`] goes from octets to a [`cat048::Report`] without the value tree
//!   (radar feeds: millions of records per second). Both accept, reject and produce exactly
//!   what the generic engine does, on every real record and on random ones
//!   (`tests/fast_paths.rs`). Everything else goes through the engine.
//! * **Writing.** [`cat062::TrackOut`] writes a system track record from plain values (the
//!   generic encoder gives the same octets, tested), and [`BlockWriter`] packs records into
//!   data blocks under a datagram size. An independent decoder (the CroatiaControl
//!   `asterix_decoder` package, run as a separate process) reads them back in
//!   `tests/oracle_asterix_decoder.rs`.
//! * [`pcap`] extracts UDP payloads from classic pcap and pcapng byte buffers.
//!
//! # Invariants
//!
//! * Pure: no I/O, no clock, no global state. Input is a byte slice handed in by the caller.
//! * Never panics, whatever the bytes (fuzzed and property-tested): malformed input gives a
//!   typed [`BlockError`] / [`RecordError`] for that block or record. Records have no length
//!   of their own, so a bad record ends its block; the next block is still decoded when the
//!   block length was sound. Blocks of categories without a table are skipped and counted
//!   ([`DecodeStats::unknown_category_blocks`]).

mod bits;
mod block;
pub mod cat021;
pub mod cat034;
pub mod cat048;
pub mod cat062;
pub mod cat065;
mod decoder;
mod encode_fields;
mod error;
pub mod modes;
pub mod pcap;
mod record;
pub mod spec;
pub mod tables;
mod value;
mod view;

pub use block::BlockWriter;
pub use decoder::{DecodeStats, Decoder};
pub use error::{BlockError, EncodeError, RecordError};
pub use record::{
    DataBlock, RawItem, RawItems, Record, RecordItem, SplitBlocks, block_header, encode_block,
    encode_record, encode_record_with, split_blocks,
};
pub use value::{Leaf, Value};

/// Decodes the contents of a Reserved Expansion Field item with its category's expansion
/// table: `None` when the category has none or `item` is not an RE item.
pub fn expansion(
    record: &Record<'_>,
    item: &RecordItem<'_>,
) -> Option<Result<(Value, Vec<Leaf>), RecordError>> {
    let (spec::Variation::Explicit(spec::ExplicitKind::Re), Value::Explicit(bytes)) =
        (&item.def.var, &item.value)
    else {
        return None;
    };
    let var = record.category.re_expansion?;
    let mut cur = value::Cursor { buf: bytes, pos: 0 };
    Some(value::decode(var, &mut cur, "RE").map(|v| {
        let mut leaves = Vec::new();
        value::leaves(var, &v, "", &mut leaves);
        (v, leaves)
    }))
}

/// Converts an ASTERIX time of day (seconds since UTC midnight) to the Unix time nearest to
/// `reference`: the day is taken from the receiver's clock, which may straddle midnight.
pub fn time_of_day_to_unix(
    time_of_day_s: f64,
    reference: vigil_core::UnixTime,
) -> vigil_core::UnixTime {
    const DAY: f64 = 86_400.0;
    let midnight = (reference.secs() / DAY).floor() * DAY;
    let candidates = [midnight - DAY, midnight, midnight + DAY].map(|m| m + time_of_day_s);
    let best = candidates
        .into_iter()
        .min_by(|a, b| {
            (a - reference.secs())
                .abs()
                .total_cmp(&(b - reference.secs()).abs())
        })
        .unwrap_or(midnight + time_of_day_s);
    vigil_core::UnixTime(best)
}
