//! One ledger entry: a message sent or received on a link.

use vigil_core::UnixTime;

use crate::encoding;

/// Which way a message crossed the link, seen from the centre keeping the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Direction {
    /// This centre sent it.
    Sent,
    /// This centre received it from the partner.
    Received,
}

impl Direction {
    /// `"sent"` or `"received"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Sent => "sent",
            Direction::Received => "received",
        }
    }
}

/// One message in a link's hash chain.
///
/// `hash` is SHA-256 over the canonical encoding of every other field
/// ([`encoding::entry_bytes`]); `prev` is the `hash` of the entry before it on the same link
/// (32 zero bytes for the first). Changing any stored field therefore breaks either this
/// entry's hash or the next entry's `prev`.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The link's identifier, the same at both ends (from the link configuration).
    pub link: String,
    /// Position in this link's chain: 1, 2, 3... with no gaps. For a sent message it is
    /// also the sequence number the message carries on the wire.
    pub seq: u64,
    /// Sent or received.
    pub direction: Direction,
    /// When it was sent or received (injected time).
    pub time: UnixTime,
    /// Message kind: `track_update`, `alert`, `incident_transition`, `handover`,
    /// `heartbeat`, `checkpoint`...
    pub kind: String,
    /// For a received message, the sender's `seq` of it (the wire sequence number);
    /// `None` for a sent message.
    pub peer_seq: Option<u64>,
    /// SHA-256 of the payload bytes as they crossed the link.
    pub payload_sha256: [u8; 32],
    /// Payload length in bytes.
    pub payload_len: u64,
    /// `hash` of the previous entry of this link, or 32 zero bytes.
    pub prev: [u8; 32],
    /// SHA-256 of the canonical encoding of all the fields above.
    pub hash: [u8; 32],
}

impl Entry {
    /// The hash this entry's fields give (what `hash` must equal).
    pub fn compute_hash(&self) -> [u8; 32] {
        encoding::entry_hash(self)
    }

    /// The sender's sequence number of the message: `seq` when sent, `peer_seq` when
    /// received.
    pub fn sender_seq(&self) -> Option<u64> {
        match self.direction {
            Direction::Sent => Some(self.seq),
            Direction::Received => self.peer_seq,
        }
    }
}
