//! The link ledger: a tamper-evident record of every message that crossed a link between
//! two centres (of one party, or of NATO and a partner), that both sides can verify.
//!
//! - Every message sent or received on a link is an [`Entry`] appended to that link's
//!   SHA-256 hash chain ([`Ledger::append`]).
//! - Periodically and on demand each side signs its chain head with ed25519
//!   ([`Ledger::checkpoint`]) and sends the [`Checkpoint`] to the other, which keeps it
//!   ([`Ledger::record_partner_checkpoint`]).
//! - [`Ledger::verify`] checks the ledger end to end and against both sides' signed
//!   checkpoints and names the first [`Divergence`] (link, sequence, time, message kind);
//!   [`compare`] cross-checks a sender's chain against the receiver's.
//! - [`Ledger::report`] gives the reciprocity figures: counts and bytes sent and received
//!   per link, UTC day and kind ([`Reciprocity`]).
//!
//! Storage is behind [`LedgerStore`]: [`MemoryStore`] and [`SqliteStore`] (WAL, tables
//! `ledger_entries` and `ledger_checkpoints`, version row `ledger` in `schema_version`).
//!
//! **Architecture invariant:** transport-free, synchronous and deterministic: no clock
//! (times are arguments), no network, no async; the only I/O is the SQLite store.
//!
//! # What is proven, and how
//!
//! A link's chain interleaves what this centre sent and received, in the order it did so.
//! Editing, inserting or deleting a stored entry breaks the chain at that entry (its hash,
//! the next `prev`, or the sequence numbering), which [`verify_chain`] names exactly.
//! Rewriting the chain consistently from some entry on, or cutting its tail, is caught by
//! the checkpoints signed since: this centre's own (their `head_hash`) and the partner's.
//!
//! The partner cannot recompute this centre's `head_hash` (it holds neither our local
//! times nor our interleaving), so each checkpoint also carries two [`ExchangeDigest`]s
//! over what both ends know of each message: the sender's sequence number, the kind, the
//! payload's SHA-256 and length. The signer's `sent` digest up to its seq `S` must equal
//! the digest of our received entries with `peer_seq <= S` (the link delivers in order
//! and the checkpoint travels after the messages it covers); the signer's `received`
//! digest over `n` messages must equal the digest of our first `n` sent entries. Both
//! ledgers thus prove, in both directions, what was sent and received. A checkpoint
//! proves a prefix as a whole: a disagreement is reported at the first entry after the
//! last checkpoint that agreed (exactly, when a message was received that the partner
//! never signed as sent).
//!
//! Sequence numbers are per link from 1 without gaps; a sent entry's `seq` is the wire
//! sequence number of the message, which the receiver records as `peer_seq`. Received
//! entries are ledgered once, after the link's duplicate suppression, in increasing
//! `peer_seq`.
//!
//! # Canonical encodings, version 1 (for a partner's own implementation)
//!
//! Integers are unsigned big-endian; `str(x)` is a `u32` byte length then the UTF-8 bytes;
//! `time` is the IEEE 754 binary64 bit pattern of the Unix seconds as a `u64`; `[32]` is
//! 32 raw bytes. Each encoding starts with its tag written as `str(tag)`.
//!
//! Entry: `hash = SHA-256(str("vigil-ledger/entry/v1") str(link) u64(seq) u8(direction:
//! 0 sent, 1 received) u64(time bits) str(kind) (u8(0) | u8(1) u64(peer_seq))
//! [32](payload_sha256) u64(payload_len) [32](prev))`; `prev` of seq 1 is 32 zero bytes.
//!
//! Exchange digest: `d0` is 32 zero bytes; `d(i) = SHA-256(str("vigil-ledger/exchange/v1")
//! [32](d(i-1)) u64(sender_seq) str(kind) [32](payload_sha256) u64(payload_len))`, over
//! the messages of one direction in order (sender seq = `seq` when sent, `peer_seq` when
//! received).
//!
//! Checkpoint: the ed25519 signature (RFC 8032, pure) is over `str("vigil-ledger/
//! checkpoint/v1") str(link) str(party) str(centre) u64(seq) [32](head_hash) u64(time
//! bits) u64(sent.count) [32](sent.digest) u64(received.count) [32](received.digest)`.
//! `seq` 0 with a zero `head_hash` is the checkpoint of an empty chain.
//!
//! A later version changes the tag; verifiers dispatch on it.

#![deny(missing_docs)]

pub mod checkpoint;
pub mod encoding;
pub mod entry;
pub mod ledger;
pub mod report;
pub mod sqlite;
pub mod store;
pub mod verify;

pub use checkpoint::{Checkpoint, ExchangeDigest};
pub use ed25519_dalek::{SigningKey, VerifyingKey};
pub use entry::{Direction, Entry};
pub use ledger::{CentreId, Head, Keys, Ledger, LedgerError, Message, VerifyReport};
pub use report::{Reciprocity, ReciprocityRow, UtcDay, Volume};
pub use sqlite::SqliteStore;
pub use store::{LedgerStore, MemoryStore, Origin, StoreError};
pub use verify::{
    Divergence, DivergenceReason, check_own_checkpoints, check_partner_checkpoints, compare,
    verify_chain,
};
