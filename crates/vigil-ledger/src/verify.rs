//! Verification: a link's chain on its own, against this centre's and the partner's signed
//! checkpoints, and the sender's chain against the receiver's ([`compare`]).
//!
//! Every check names the first entry where the ledger stops being provable, as a
//! [`Divergence`]. Chain checks are exact (the entry whose field changed, or the missing
//! sequence number). A checkpoint proves a whole prefix at once, so when one disagrees the
//! divergence names the first entry after the last checkpoint that agreed: checkpoints
//! signed often narrow the window.

use std::fmt;

use ed25519_dalek::VerifyingKey;
use vigil_core::UnixTime;

use crate::checkpoint::{Checkpoint, ExchangeDigest};
use crate::encoding::GENESIS;
use crate::entry::{Direction, Entry};

/// Where a ledger stops being provable, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Divergence {
    /// The link.
    pub link: String,
    /// The sequence number of the first entry concerned (in this centre's chain; 0 when
    /// the problem is not tied to an entry, such as a missing partner key).
    pub seq: u64,
    /// That entry's time, when the entry exists.
    pub time: Option<UnixTime>,
    /// That entry's message kind, when the entry exists.
    pub kind: Option<String>,
    /// What is wrong.
    pub reason: DivergenceReason,
}

/// What a [`Divergence`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DivergenceReason {
    /// Entry `expected` is missing: the next entry stored is `found` (or none).
    SeqGap {
        /// The sequence number that should come next.
        expected: u64,
        /// The sequence number stored there instead.
        found: Option<u64>,
    },
    /// An entry stored under this link names another link.
    LinkMismatch {
        /// The link the entry names.
        found: String,
    },
    /// The entry's fields do not hash to its stored `hash`: the entry was edited.
    HashMismatch,
    /// The entry's `prev` is not the previous entry's `hash`.
    PrevMismatch,
    /// A received entry without `peer_seq`, or a sent one with it.
    BadPeerSeq,
    /// A received entry whose `peer_seq` does not exceed the previous received one's
    /// (a duplicate or a reordering).
    PeerSeqNotIncreasing {
        /// The previous received entry's `peer_seq`.
        previous: u64,
    },
    /// The store holds a row here that cannot be read as an entry.
    Unreadable {
        /// What is wrong with it.
        what: String,
    },
    /// One of this centre's own checkpoints does not verify with its key.
    OwnCheckpointSignature {
        /// The checkpoint's `seq`.
        checkpoint_seq: u64,
    },
    /// One of this centre's own checkpoints names a head the chain does not have (the
    /// chain was rewritten or truncated after signing).
    OwnCheckpointHead {
        /// The checkpoint's `seq`.
        checkpoint_seq: u64,
    },
    /// There are partner checkpoints but no partner key to check them with.
    NoPartnerKey,
    /// A partner checkpoint does not verify with the partner's key.
    PartnerCheckpointSignature {
        /// The checkpoint's `seq` (in the partner's chain).
        checkpoint_seq: u64,
    },
    /// The messages the partner signed as sent up to its `checkpoint_seq` are not the ones
    /// this centre received with `peer_seq <= checkpoint_seq`.
    PartnerSentDiffers {
        /// The checkpoint's `seq` (in the partner's chain).
        checkpoint_seq: u64,
        /// Messages the partner signed as sent.
        theirs: u64,
        /// Messages this centre holds as received from them.
        ours: u64,
    },
    /// The messages the partner signed as received are not the first ones this centre
    /// sent.
    PartnerReceivedDiffers {
        /// The checkpoint's `seq` (in the partner's chain).
        checkpoint_seq: u64,
        /// Messages the partner signed as received.
        theirs: u64,
        /// Messages this centre sent.
        ours: u64,
    },
    /// ([`compare`]) The receiver's message at this position differs from the sender's
    /// (sequence number, kind, payload hash or length).
    ExchangeDiffers {
        /// The receiver's entry `seq`.
        their_seq: u64,
    },
    /// ([`compare`]) A message sent that the receiver has not recorded.
    NotReceived,
    /// ([`compare`]) The receiver recorded a message the sender never sent.
    ReceivedNotSent {
        /// The receiver's entry `seq`.
        their_seq: u64,
    },
}

impl fmt::Display for Divergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "link {} seq {}", self.link, self.seq)?;
        if let Some(t) = self.time {
            write!(f, " time {:.6}", t.secs())?;
        }
        if let Some(k) = &self.kind {
            write!(f, " kind {k}")?;
        }
        write!(f, ": {:?}", self.reason)
    }
}

fn at(link: &str, e: &Entry, reason: DivergenceReason) -> Divergence {
    Divergence {
        link: link.to_owned(),
        seq: e.seq,
        time: Some(e.time),
        kind: Some(e.kind.clone()),
        reason,
    }
}

fn bare(link: &str, seq: u64, reason: DivergenceReason) -> Divergence {
    Divergence {
        link: link.to_owned(),
        seq,
        time: None,
        kind: None,
        reason,
    }
}

/// Checks one link's chain on its own: sequence numbers 1, 2, 3... without gaps, every
/// entry's hash, every `prev`, and that received entries carry strictly increasing
/// `peer_seq` (sent ones none). Returns the first failure.
///
/// A truncated tail (the last entries deleted) leaves a valid shorter chain: only a
/// checkpoint signed later proves it ([`check_own_checkpoints`], and the partner's).
pub fn verify_chain(link: &str, entries: &[Entry]) -> Option<Divergence> {
    let mut prev = GENESIS;
    let mut last_peer: Option<u64> = None;
    for (i, e) in entries.iter().enumerate() {
        let expected = i as u64 + 1;
        if e.seq != expected {
            let found = Some(e.seq);
            return Some(bare(
                link,
                expected,
                DivergenceReason::SeqGap { expected, found },
            ));
        }
        if e.link != link {
            let found = e.link.clone();
            return Some(at(link, e, DivergenceReason::LinkMismatch { found }));
        }
        if e.compute_hash() != e.hash {
            return Some(at(link, e, DivergenceReason::HashMismatch));
        }
        if e.prev != prev {
            return Some(at(link, e, DivergenceReason::PrevMismatch));
        }
        match (e.direction, e.peer_seq) {
            (Direction::Sent, None) => {}
            (Direction::Received, Some(p)) => {
                if let Some(previous) = last_peer.filter(|&q| p <= q) {
                    return Some(at(
                        link,
                        e,
                        DivergenceReason::PeerSeqNotIncreasing { previous },
                    ));
                }
                last_peer = Some(p);
            }
            _ => return Some(at(link, e, DivergenceReason::BadPeerSeq)),
        }
        prev = e.hash;
    }
    None
}

/// The entry with sequence number `seq` (entries are normally at index `seq - 1`).
fn find(entries: &[Entry], seq: u64) -> Option<&Entry> {
    let i = usize::try_from(seq).ok()?.checked_sub(1)?;
    match entries.get(i) {
        Some(e) if e.seq == seq => Some(e),
        _ => entries.iter().find(|e| e.seq == seq),
    }
}

/// The divergence naming the entry at `seq` if it exists, else a bare one.
fn at_seq(link: &str, entries: &[Entry], seq: u64, reason: DivergenceReason) -> Divergence {
    match find(entries, seq) {
        Some(e) => at(link, e, reason),
        None => bare(link, seq, reason),
    }
}

/// Checks this centre's own checkpoints of a link against its chain: each signature with
/// `key`, and each `head_hash` against the entry at the checkpoint's `seq`. A failing
/// checkpoint is reported at the first entry after the last checkpoint that agreed.
pub fn check_own_checkpoints(
    link: &str,
    entries: &[Entry],
    checkpoints: &[Checkpoint],
    key: &VerifyingKey,
) -> Option<Divergence> {
    let mut cps: Vec<&Checkpoint> = checkpoints.iter().collect();
    cps.sort_by_key(|c| c.seq);
    let mut last_ok = 0u64;
    for cp in cps {
        let checkpoint_seq = cp.seq;
        if !cp.verify(key) {
            let reason = DivergenceReason::OwnCheckpointSignature { checkpoint_seq };
            return Some(at_seq(link, entries, cp.seq.max(1), reason));
        }
        let head = if cp.seq == 0 {
            Some(GENESIS)
        } else {
            find(entries, cp.seq).map(|e| e.hash)
        };
        if head != Some(cp.head_hash) {
            let reason = DivergenceReason::OwnCheckpointHead { checkpoint_seq };
            return Some(at_seq(link, entries, last_ok + 1, reason));
        }
        last_ok = cp.seq;
    }
    None
}

/// Checks the partner's signed checkpoints of a link against this centre's chain.
///
/// For a partner checkpoint at the partner's `seq = S`:
/// - its `sent` digest must equal the exchange digest of this centre's received entries
///   with `peer_seq <= S` (the link delivers in order, and the checkpoint travels after
///   the messages it covers, so all of them are here);
/// - its `received` digest must equal the exchange digest of this centre's first
///   `received.count` sent entries (the partner received a prefix of what was sent).
///
/// `key` is the partner's verifying key (from the link configuration); `None` when it is
/// not configured, which is itself reported when there are checkpoints.
pub fn check_partner_checkpoints(
    link: &str,
    entries: &[Entry],
    checkpoints: &[Checkpoint],
    key: Option<&VerifyingKey>,
) -> Option<Divergence> {
    if checkpoints.is_empty() {
        return None;
    }
    let Some(key) = key else {
        return Some(bare(link, 0, DivergenceReason::NoPartnerKey));
    };
    let received: Vec<&Entry> = entries
        .iter()
        .filter(|e| e.direction == Direction::Received)
        .collect();
    let sent: Vec<&Entry> = entries
        .iter()
        .filter(|e| e.direction == Direction::Sent)
        .collect();
    let rx_prefix = ExchangeDigest::prefixes(received.iter().copied(), Direction::Received);
    let tx_prefix = ExchangeDigest::prefixes(sent.iter().copied(), Direction::Sent);
    let next_seq = entries.last().map_or(1, |e| e.seq + 1);
    // The entry a failure in `list` from position `from` is reported at: that entry, or
    // the next sequence number when this centre holds none (a message never recorded).
    let name = |list: &[&Entry], from: usize, reason: DivergenceReason| match list.get(from) {
        Some(e) => at(link, e, reason),
        None => bare(link, next_seq, reason),
    };

    let mut cps: Vec<&Checkpoint> = checkpoints.iter().collect();
    cps.sort_by_key(|c| c.seq);
    let (mut rx_ok, mut tx_ok) = (0usize, 0usize);
    for cp in cps {
        let checkpoint_seq = cp.seq;
        if !cp.verify(key) {
            let reason = DivergenceReason::PartnerCheckpointSignature { checkpoint_seq };
            return Some(name(&received, rx_ok, reason));
        }
        // Their sent messages up to S against ours received with peer_seq <= S.
        let ours = received.partition_point(|e| e.peer_seq.unwrap_or(0) <= cp.seq);
        let theirs = usize::try_from(cp.sent.count).unwrap_or(usize::MAX);
        if ours != theirs || rx_prefix.get(ours).map(|d| d.digest) != Some(cp.sent.digest) {
            let reason = DivergenceReason::PartnerSentDiffers {
                checkpoint_seq,
                theirs: cp.sent.count,
                ours: ours as u64,
            };
            // When their messages are a prefix of ours, the first extra one is exact.
            let from = if theirs < ours && rx_prefix.get(theirs) == Some(&cp.sent) {
                theirs
            } else {
                rx_ok
            };
            return Some(name(&received, from, reason));
        }
        rx_ok = ours;
        // Their received messages against our first sent ones.
        let n = usize::try_from(cp.received.count).unwrap_or(usize::MAX);
        if tx_prefix.get(n) != Some(&cp.received) {
            let reason = DivergenceReason::PartnerReceivedDiffers {
                checkpoint_seq,
                theirs: cp.received.count,
                ours: sent.len() as u64,
            };
            let from = if n > sent.len() { sent.len() } else { tx_ok };
            return Some(name(&sent, from, reason));
        }
        tx_ok = n;
    }
    None
}

/// Cross-checks the sender's chain of a link against the receiver's (both centres'
/// ledgers exported side by side): the sender's sent entries and the receiver's received
/// entries must be the same messages in the same order, agreeing on sender sequence
/// number (`seq` against `peer_seq`), kind, payload hash and length.
///
/// The divergence is named in the sender's chain (`ours`); a message the receiver has
/// not recorded yet is reported as [`DivergenceReason::NotReceived`] (it may be in
/// flight: the caller decides).
pub fn compare(ours: &[Entry], theirs: &[Entry]) -> Option<Divergence> {
    let link = ours
        .first()
        .or(theirs.first())
        .map_or("", |e| e.link.as_str());
    let mut sent = ours.iter().filter(|e| e.direction == Direction::Sent);
    let mut recv = theirs.iter().filter(|e| e.direction == Direction::Received);
    let next_seq = ours.last().map_or(1, |e| e.seq + 1);
    loop {
        match (sent.next(), recv.next()) {
            (None, None) => return None,
            (Some(s), None) => return Some(at(link, s, DivergenceReason::NotReceived)),
            (None, Some(r)) => {
                let reason = DivergenceReason::ReceivedNotSent { their_seq: r.seq };
                return Some(Divergence {
                    time: Some(r.time),
                    kind: Some(r.kind.clone()),
                    ..bare(link, next_seq, reason)
                });
            }
            (Some(s), Some(r)) => {
                let same = r.peer_seq == Some(s.seq)
                    && r.kind == s.kind
                    && r.payload_sha256 == s.payload_sha256
                    && r.payload_len == s.payload_len;
                if !same {
                    let reason = DivergenceReason::ExchangeDiffers { their_seq: r.seq };
                    return Some(at(link, s, reason));
                }
            }
        }
    }
}
