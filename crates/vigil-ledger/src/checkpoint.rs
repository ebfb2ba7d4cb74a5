//! Signed checkpoints of a link's chain, exchanged between the two ends.

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use vigil_core::UnixTime;

use crate::encoding::{self, GENESIS};
use crate::entry::{Direction, Entry};

/// A running digest of the messages that crossed a link in one direction, computed only
/// from what both ends know of each message: the sender's sequence number, the kind, the
/// payload hash and length (not the local times nor the other side's chain positions).
///
/// The sender computes it over its sent entries (sender seq = `seq`), the receiver over its
/// received entries (sender seq = `peer_seq`); when the same messages crossed, both get the
/// same value. `digest` starts at 32 zero bytes and each message folds in with
/// [`encoding::exchange_step`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ExchangeDigest {
    /// Messages folded in.
    pub count: u64,
    /// The digest after them.
    pub digest: [u8; 32],
}

impl ExchangeDigest {
    /// The digest of no message.
    pub const EMPTY: ExchangeDigest = ExchangeDigest {
        count: 0,
        digest: GENESIS,
    };

    /// Folds in one message.
    pub fn push(&mut self, sender_seq: u64, kind: &str, payload_sha256: &[u8; 32], len: u64) {
        self.digest = encoding::exchange_step(&self.digest, sender_seq, kind, payload_sha256, len);
        self.count += 1;
    }

    /// Folds in an entry (its [`Entry::sender_seq`], 0 when a received entry lacks one:
    /// verification reports that entry separately).
    pub fn push_entry(&mut self, e: &Entry) {
        let s = e.sender_seq().unwrap_or(0);
        self.push(s, &e.kind, &e.payload_sha256, e.payload_len);
    }

    /// The digests after each prefix of `entries` in the given direction: element `i` is
    /// the digest of the first `i` of them (element 0 is [`ExchangeDigest::EMPTY`]).
    pub fn prefixes<'a>(
        entries: impl IntoIterator<Item = &'a Entry>,
        direction: Direction,
    ) -> Vec<ExchangeDigest> {
        let mut d = ExchangeDigest::EMPTY;
        let mut out = vec![d];
        for e in entries.into_iter().filter(|e| e.direction == direction) {
            d.push_entry(e);
            out.push(d);
        }
        out
    }
}

/// One centre's signed statement about its chain of a link at `seq`.
///
/// `head_hash` lets the signer (and any auditor holding the signer's ledger) prove the
/// chain was not rewritten. The partner cannot recompute it (the chain interleaves the
/// signer's local times and both directions), so the checkpoint also carries the two
/// [`ExchangeDigest`]s, which the partner recomputes from its own chain: the signer's
/// `sent` must equal the partner's received messages with `peer_seq <= seq`, and the
/// signer's `received` must equal the partner's first `received.count` sent messages.
#[derive(Debug, Clone, PartialEq)]
pub struct Checkpoint {
    /// The link's identifier (the same at both ends).
    pub link: String,
    /// The signer's party.
    pub party: String,
    /// The signer's centre.
    pub centre: String,
    /// The signer's chain head sequence number (0 for an empty chain).
    pub seq: u64,
    /// The hash of the signer's entry `seq` (32 zero bytes for an empty chain).
    pub head_hash: [u8; 32],
    /// When it was signed.
    pub time: UnixTime,
    /// Digest of the messages the signer sent on the link up to `seq`.
    pub sent: ExchangeDigest,
    /// Digest of the messages the signer received on the link up to `seq`.
    pub received: ExchangeDigest,
    /// Ed25519 signature over [`encoding::checkpoint_bytes`].
    pub signature: [u8; 64],
}

impl Checkpoint {
    /// Signs the checkpoint in place (replacing `signature`) and returns it.
    pub fn sign(mut self, key: &SigningKey) -> Self {
        self.signature = key.sign(&encoding::checkpoint_bytes(&self)).to_bytes();
        self
    }

    /// Whether `signature` is `key`'s signature of the other fields.
    pub fn verify(&self, key: &VerifyingKey) -> bool {
        let sig = Signature::from_bytes(&self.signature);
        key.verify(&encoding::checkpoint_bytes(self), &sig).is_ok()
    }
}
