//! The canonical byte encodings (version 1) that are hashed and signed.
//!
//! Every field is written in a fixed order; integers are unsigned big-endian, strings are a
//! `u32` big-endian byte length followed by their UTF-8 bytes, times are the IEEE 754
//! binary64 bits of the Unix seconds as a `u64` (so the hash covers the exact value stored),
//! and each encoding starts with a length-prefixed domain tag naming its version, so an
//! entry can never be mistaken for a checkpoint or an exchange step. The crate
//! documentation restates the layouts for a partner who re-implements them.

use sha2::{Digest, Sha256};

use crate::checkpoint::{Checkpoint, ExchangeDigest};
use crate::entry::{Direction, Entry};

/// Domain tag of an entry hash, version 1.
pub const ENTRY_TAG: &str = "vigil-ledger/entry/v1";
/// Domain tag of one step of an exchange digest, version 1.
pub const EXCHANGE_TAG: &str = "vigil-ledger/exchange/v1";
/// Domain tag of the signed bytes of a checkpoint, version 1.
pub const CHECKPOINT_TAG: &str = "vigil-ledger/checkpoint/v1";

/// The `prev` of the first entry of a link, and the digest of an empty exchange.
pub const GENESIS: [u8; 32] = [0; 32];

/// A writer of the canonical encoding into a byte buffer.
struct Canon(Vec<u8>);

impl Canon {
    fn new(tag: &str) -> Self {
        let mut c = Canon(Vec::with_capacity(160));
        c.str(tag);
        c
    }
    fn str(&mut self, s: &str) {
        // Strings longer than 4 GiB cannot be ledgered: the length saturates, and such a
        // string could not have crossed a link anyway.
        let len = u32::try_from(s.len()).unwrap_or(u32::MAX);
        self.0.extend_from_slice(&len.to_be_bytes());
        self.0.extend_from_slice(s.as_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_be_bytes());
    }
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn bytes32(&mut self, b: &[u8; 32]) {
        self.0.extend_from_slice(b);
    }
}

/// The canonical bytes of an entry: every field except `hash`.
pub fn entry_bytes(e: &Entry) -> Vec<u8> {
    let mut c = Canon::new(ENTRY_TAG);
    c.str(&e.link);
    c.u64(e.seq);
    c.u8(match e.direction {
        Direction::Sent => 0,
        Direction::Received => 1,
    });
    c.u64(e.time.0.to_bits());
    c.str(&e.kind);
    match e.peer_seq {
        None => c.u8(0),
        Some(p) => {
            c.u8(1);
            c.u64(p);
        }
    }
    c.bytes32(&e.payload_sha256);
    c.u64(e.payload_len);
    c.bytes32(&e.prev);
    c.0
}

/// SHA-256 of [`entry_bytes`]: what `Entry::hash` must hold.
pub fn entry_hash(e: &Entry) -> [u8; 32] {
    Sha256::digest(entry_bytes(e)).into()
}

/// SHA-256 of a payload.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// One step of an exchange digest: the digest after one more message, given the digest
/// before it and what both ends of the link know of the message (the sender's sequence
/// number, the kind, the payload's hash and length).
pub fn exchange_step(
    prev: &[u8; 32],
    sender_seq: u64,
    kind: &str,
    payload_sha256: &[u8; 32],
    payload_len: u64,
) -> [u8; 32] {
    let mut c = Canon::new(EXCHANGE_TAG);
    c.bytes32(prev);
    c.u64(sender_seq);
    c.str(kind);
    c.bytes32(payload_sha256);
    c.u64(payload_len);
    Sha256::digest(c.0).into()
}

/// The bytes a checkpoint's signature covers: every field except `signature`.
pub fn checkpoint_bytes(cp: &Checkpoint) -> Vec<u8> {
    let mut c = Canon::new(CHECKPOINT_TAG);
    c.str(&cp.link);
    c.str(&cp.party);
    c.str(&cp.centre);
    c.u64(cp.seq);
    c.bytes32(&cp.head_hash);
    c.u64(cp.time.0.to_bits());
    let mut digest = |d: &ExchangeDigest| {
        c.u64(d.count);
        c.bytes32(&d.digest);
    };
    digest(&cp.sent);
    digest(&cp.received);
    c.0
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    //! Golden vectors, computed by an independent implementation of the encodings as the
    //! crate documentation states them (a few lines of Python `hashlib` + `struct`): a
    //! partner's implementation must give the same bytes.

    use super::*;
    use crate::checkpoint::ExchangeDigest;
    use vigil_core::UnixTime;

    fn hex(b: &[u8; 32]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn entry_and_exchange_golden_vectors() {
        let payload = b"alert payload";
        let mut e1 = Entry {
            link: "nato-partner".into(),
            seq: 1,
            direction: Direction::Sent,
            time: UnixTime(1_772_409_540.25),
            kind: "alert".into(),
            peer_seq: None,
            payload_sha256: sha256(payload),
            payload_len: payload.len() as u64,
            prev: GENESIS,
            hash: GENESIS,
        };
        e1.hash = entry_hash(&e1);
        assert_eq!(
            hex(&e1.hash),
            "ca9148f3bdb3a833237c85780399e53495d04a39196404eb80f1cd3275321946"
        );
        let mut e2 = Entry {
            seq: 2,
            direction: Direction::Received,
            time: UnixTime(1_772_409_541.5),
            kind: "heartbeat".into(),
            peer_seq: Some(7),
            payload_sha256: sha256(b""),
            payload_len: 0,
            prev: e1.hash,
            ..e1.clone()
        };
        e2.hash = entry_hash(&e2);
        assert_eq!(
            hex(&e2.hash),
            "8323c324d505dd7af78423cff9024964c8c357a496a592f0ae6d417c34d433d8"
        );
        let mut d = ExchangeDigest::EMPTY;
        d.push_entry(&e1);
        assert_eq!(d.count, 1);
        assert_eq!(
            hex(&d.digest),
            "6605303158fc9bca63d63a4034d18f122c18935c90eab84dcc25eb8e6ca5ff2a"
        );
    }
}
