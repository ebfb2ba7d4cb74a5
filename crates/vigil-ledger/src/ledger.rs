//! The [`Ledger`]: appends, heads, checkpoints, verification and reports over a store.

use std::collections::BTreeMap;

use ed25519_dalek::{SigningKey, VerifyingKey};
use vigil_core::UnixTime;

use crate::checkpoint::{Checkpoint, ExchangeDigest};
use crate::encoding::{self, GENESIS};
use crate::entry::{Direction, Entry};
use crate::report::Reciprocity;
use crate::store::{LedgerStore, Origin, StoreError};
use crate::verify::{self, Divergence, DivergenceReason};

/// A ledger failure (verification findings are not errors: they are [`Divergence`]s).
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A time that is not a finite number cannot be ledgered.
    #[error("link {link}: time {time} is not finite")]
    BadTime {
        /// The link.
        link: String,
        /// The time given.
        time: f64,
    },
    /// A received message needs the sender's sequence number, a sent one has none.
    #[error("link {link}: a {direction} message {expectation}")]
    PeerSeq {
        /// The link.
        link: String,
        /// `sent` or `received`.
        direction: &'static str,
        /// What was wrong.
        expectation: &'static str,
    },
    /// A received message whose sender sequence number is not above the last one received
    /// on the link: a duplicate (the link suppresses them before the ledger) or a reorder.
    #[error("link {link}: received peer seq {got} after {previous}")]
    PeerSeqNotIncreasing {
        /// The link.
        link: String,
        /// The last peer seq ledgered.
        previous: u64,
        /// The one given.
        got: u64,
    },
    /// A partner checkpoint whose signature does not verify (not recorded).
    #[error("link {link}: partner checkpoint at seq {seq} has a bad signature")]
    BadSignature {
        /// The link.
        link: String,
        /// The checkpoint's seq.
        seq: u64,
    },
}

/// Who keeps this ledger: named in the checkpoints it signs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CentreId {
    /// The party.
    pub party: String,
    /// The centre.
    pub centre: String,
}

/// The keys verification needs, from configuration (never from the store, which an
/// attacker who edits entries could also edit).
#[derive(Debug, Clone)]
pub struct Keys {
    /// This centre's verifying key (its own checkpoints).
    pub own: VerifyingKey,
    /// The partner's verifying key, per link.
    pub partners: BTreeMap<String, VerifyingKey>,
}

impl Keys {
    /// Keys with this centre's key and no partner yet.
    pub fn new(own: VerifyingKey) -> Self {
        Keys {
            own,
            partners: BTreeMap::new(),
        }
    }

    /// Adds the partner key of a link.
    pub fn with_partner(mut self, link: &str, key: VerifyingKey) -> Self {
        self.partners.insert(link.to_owned(), key);
        self
    }
}

/// One message to ledger (see [`Ledger::append`]).
#[derive(Debug, Clone, Copy)]
pub struct Message<'a> {
    /// The link.
    pub link: &'a str,
    /// Sent or received.
    pub direction: Direction,
    /// When.
    pub time: UnixTime,
    /// Message kind.
    pub kind: &'a str,
    /// The payload as it crossed the link.
    pub payload: &'a [u8],
    /// The sender's sequence number, for a received message.
    pub peer_seq: Option<u64>,
}

/// A link's chain head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// The last entry's seq (0 when the link has none).
    pub seq: u64,
    /// The last entry's hash (32 zero bytes when none).
    pub hash: [u8; 32],
}

/// What [`Ledger::verify`] found.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct VerifyReport {
    /// Entries checked.
    pub entries: u64,
    /// Links checked.
    pub links: usize,
    /// Own checkpoints checked.
    pub own_checkpoints: usize,
    /// Partner checkpoints checked.
    pub partner_checkpoints: usize,
    /// The first divergence of each link that has one, in link name order.
    pub divergences: Vec<Divergence>,
    /// The first of `divergences` (the ledger is proven when `None`).
    pub first_divergence: Option<Divergence>,
}

/// The per-link state appends need, rebuilt from the store on open.
#[derive(Debug, Clone, Copy)]
struct LinkState {
    head: Head,
    sent: ExchangeDigest,
    received: ExchangeDigest,
    last_peer_seq: Option<u64>,
}

impl Default for LinkState {
    fn default() -> Self {
        LinkState {
            head: Head {
                seq: 0,
                hash: GENESIS,
            },
            sent: ExchangeDigest::EMPTY,
            received: ExchangeDigest::EMPTY,
            last_peer_seq: None,
        }
    }
}

impl LinkState {
    fn advance(&mut self, e: &Entry) {
        self.head = Head {
            seq: e.seq,
            hash: e.hash,
        };
        match e.direction {
            Direction::Sent => self.sent.push_entry(e),
            Direction::Received => {
                self.received.push_entry(e);
                self.last_peer_seq = e.peer_seq.or(self.last_peer_seq);
            }
        }
    }
}

/// A centre's ledger of every link: one hash chain per link, its own signed checkpoints and
/// the partner's, over a [`LedgerStore`].
///
/// Synchronous and deterministic: every time is an argument.
#[derive(Debug)]
pub struct Ledger<S> {
    store: S,
    id: CentreId,
    links: BTreeMap<String, LinkState>,
}

impl<S: LedgerStore> Ledger<S> {
    /// A ledger over `store`, kept by centre `id`. Reads every stored entry once to
    /// rebuild the chain heads and exchange digests (appends then continue the chains as
    /// stored; [`Ledger::verify`] says whether they hold).
    pub fn open(store: S, id: CentreId) -> Result<Self, LedgerError> {
        let mut links = BTreeMap::new();
        for link in store.links()? {
            let mut st = LinkState::default();
            for e in store.entries(&link)? {
                st.advance(&e);
            }
            links.insert(link, st);
        }
        Ok(Ledger { store, id, links })
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The store, mutable (tampering tests; appends must go through the ledger).
    pub fn store_mut(&mut self) -> &mut S {
        &mut self.store
    }

    /// Gives the store back.
    pub fn into_store(self) -> S {
        self.store
    }

    /// Appends one message sent or received on `link` and returns its entry.
    ///
    /// A received message needs `peer_seq`, strictly above the last one received on the
    /// link (duplicates are suppressed by the link before the ledger); a sent one has
    /// none (its `seq` is its wire sequence number).
    pub fn append(
        &mut self,
        link: &str,
        direction: Direction,
        time: UnixTime,
        kind: &str,
        payload: &[u8],
        peer_seq: Option<u64>,
    ) -> Result<Entry, LedgerError> {
        let msg = Message {
            link,
            direction,
            time,
            kind,
            payload,
            peer_seq,
        };
        let mut st = self.links.get(link).copied().unwrap_or_default();
        let e = make_entry(&st, &msg)?;
        self.store.append_entries(std::slice::from_ref(&e))?;
        st.advance(&e);
        match self.links.get_mut(link) {
            Some(s) => *s = st,
            None => {
                self.links.insert(link.to_owned(), st);
            }
        }
        Ok(e)
    }

    /// Appends several messages (of any links) in one store transaction: all are stored
    /// or none, and the ledger is unchanged on error.
    pub fn append_batch(&mut self, msgs: &[Message<'_>]) -> Result<Vec<Entry>, LedgerError> {
        let (entries, staged) = self.stage(msgs)?;
        self.store.append_entries(&entries)?;
        self.commit_staged(staged);
        Ok(entries)
    }

    /// The entries `msgs` would append and the link states after them, without storing.
    fn stage<'m>(
        &self,
        msgs: &[Message<'m>],
    ) -> Result<(Vec<Entry>, BTreeMap<&'m str, LinkState>), LedgerError> {
        let mut staged: BTreeMap<&str, LinkState> = BTreeMap::new();
        let mut entries = Vec::with_capacity(msgs.len());
        for m in msgs {
            let st = match staged.get_mut(m.link) {
                Some(st) => st,
                None => staged
                    .entry(m.link)
                    .or_insert(self.links.get(m.link).copied().unwrap_or_default()),
            };
            let e = make_entry(st, m)?;
            st.advance(&e);
            entries.push(e);
        }
        Ok((entries, staged))
    }

    fn commit_staged(&mut self, staged: BTreeMap<&str, LinkState>) {
        for (link, st) in staged {
            self.links.insert(link.to_owned(), st);
        }
    }

    /// The highest sender sequence number received on `link` (`None` before the first).
    pub fn last_peer_seq(&self, link: &str) -> Option<u64> {
        self.links.get(link).and_then(|st| st.last_peer_seq)
    }

    /// The number of messages sent and received on `link` so far.
    pub fn counts(&self, link: &str) -> (u64, u64) {
        self.links
            .get(link)
            .map(|st| (st.sent.count, st.received.count))
            .unwrap_or((0, 0))
    }

    /// The head of a link's chain (seq 0 and zero hash when it has no entry).
    pub fn head(&self, link: &str) -> Head {
        self.links.get(link).copied().unwrap_or_default().head
    }

    /// Signs the head of `link` with this centre's key at `time`, keeps the checkpoint as
    /// an own checkpoint and returns it (for the link to send to the partner).
    pub fn checkpoint(
        &mut self,
        link: &str,
        key: &SigningKey,
        time: UnixTime,
    ) -> Result<Checkpoint, LedgerError> {
        let st = self.links.get(link).copied().unwrap_or_default();
        let cp = Checkpoint {
            link: link.to_owned(),
            party: self.id.party.clone(),
            centre: self.id.centre.clone(),
            seq: st.head.seq,
            head_hash: st.head.hash,
            time,
            sent: st.sent,
            received: st.received,
            signature: [0; 64],
        }
        .sign(key);
        self.store.put_checkpoint(Origin::Own, &cp)?;
        self.links.entry(link.to_owned()).or_insert(st);
        Ok(cp)
    }

    /// Keeps a checkpoint received from the partner after checking its signature with
    /// `partner_key` (a bad one is refused and not kept). Returns how it compares with
    /// this centre's chain now: `Some` divergence when it disagrees (the checkpoint is
    /// kept all the same: it is the partner's signed word). In O(1) when it agrees with
    /// the running digests (the live link's case); the chain is read only on a
    /// disagreement. A `received` digest shorter than what this centre sent is not
    /// compared here (the messages in flight); [`Ledger::verify`] checks it.
    pub fn record_partner_checkpoint(
        &mut self,
        cp: &Checkpoint,
        partner_key: &VerifyingKey,
    ) -> Result<Option<Divergence>, LedgerError> {
        if !cp.verify(partner_key) {
            return Err(LedgerError::BadSignature {
                link: cp.link.clone(),
                seq: cp.seq,
            });
        }
        self.store.put_checkpoint(Origin::Partner, cp)?;
        let st = *self.links.entry(cp.link.clone()).or_default();
        // The fast path, O(1), for a live link: the checkpoint travels after every message
        // it covers, so the partner's `sent` must equal what we have received so far; its
        // `received` can be compared with our `sent` only when it has received all of it
        // (otherwise the prefix is left to `verify`, which reads the chain).
        let sent_agrees = cp.sent == st.received;
        let received_agrees = cp.received.count < st.sent.count || cp.received == st.sent;
        if sent_agrees && received_agrees {
            return Ok(None);
        }
        // Something disagrees (or the checkpoint is not the latest word): check all the
        // link's partner checkpoints against the chain, so the disagreement is named after
        // the last one that agreed. This reads the link's entries (O(entries)).
        let entries = self.store.entries(&cp.link)?;
        let cps = self.store.checkpoints(&cp.link, Origin::Partner)?;
        Ok(verify::check_partner_checkpoints(
            &cp.link,
            &entries,
            &cps,
            Some(partner_key),
        ))
    }

    /// Checks the whole ledger: every link's chain, this centre's own checkpoints (with
    /// `keys.own`) and the partner's (with `keys.partners[link]`). Per link one divergence
    /// is reported: the chain's own (exact) if it is broken, else the checkpoint finding
    /// with the lowest sequence number.
    pub fn verify(&self, keys: &Keys) -> Result<VerifyReport, LedgerError> {
        let mut report = VerifyReport::default();
        for link in self.store.links()? {
            report.links += 1;
            let entries = match self.store.entries(&link) {
                Ok(entries) => entries,
                Err(StoreError::Corrupt { link, seq, what }) => {
                    report.divergences.push(Divergence {
                        link,
                        seq,
                        time: None,
                        kind: None,
                        reason: DivergenceReason::Unreadable { what },
                    });
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            report.entries += entries.len() as u64;
            let own = self.store.checkpoints(&link, Origin::Own)?;
            let partner = self.store.checkpoints(&link, Origin::Partner)?;
            report.own_checkpoints += own.len();
            report.partner_checkpoints += partner.len();
            // A broken chain is named exactly; a checkpoint only bounds a window, and over
            // a broken chain it mostly reports the same break less precisely. So the
            // chain's finding wins, then the lowest-seq checkpoint finding.
            let found = verify::verify_chain(&link, &entries).or_else(|| {
                let own = verify::check_own_checkpoints(&link, &entries, &own, &keys.own);
                let partner = verify::check_partner_checkpoints(
                    &link,
                    &entries,
                    &partner,
                    keys.partners.get(&link),
                );
                own.into_iter().chain(partner).min_by_key(|d| d.seq)
            });
            report.divergences.extend(found);
        }
        report.first_divergence = report.divergences.first().cloned();
        Ok(report)
    }

    /// The reciprocity figures over every link.
    pub fn report(&self) -> Result<Reciprocity, LedgerError> {
        let mut all = Reciprocity::default();
        for link in self.store.links()? {
            all.extend(Reciprocity::from_entries(&self.store.entries(&link)?));
        }
        Ok(all)
    }
}

/// The next entry of a link from its state and a message, after checking the message.
fn make_entry(st: &LinkState, m: &Message<'_>) -> Result<Entry, LedgerError> {
    if !m.time.0.is_finite() {
        return Err(LedgerError::BadTime {
            link: m.link.to_owned(),
            time: m.time.0,
        });
    }
    let peer_err = |expectation| LedgerError::PeerSeq {
        link: m.link.to_owned(),
        direction: m.direction.as_str(),
        expectation,
    };
    match (m.direction, m.peer_seq) {
        (Direction::Sent, Some(_)) => return Err(peer_err("has no peer seq")),
        (Direction::Received, None) => return Err(peer_err("needs the sender's seq")),
        (Direction::Received, Some(got)) => {
            if let Some(previous) = st.last_peer_seq.filter(|&p| got <= p) {
                return Err(LedgerError::PeerSeqNotIncreasing {
                    link: m.link.to_owned(),
                    previous,
                    got,
                });
            }
        }
        (Direction::Sent, None) => {}
    }
    let mut e = Entry {
        link: m.link.to_owned(),
        seq: st.head.seq + 1,
        direction: m.direction,
        time: m.time,
        kind: m.kind.to_owned(),
        peer_seq: m.peer_seq,
        payload_sha256: encoding::sha256(m.payload),
        payload_len: m.payload.len() as u64,
        prev: st.head.hash,
        hash: GENESIS,
    };
    e.hash = e.compute_hash();
    Ok(e)
}

impl Ledger<crate::SqliteStore> {
    /// Appends `msgs` like [`Ledger::append_batch`] and runs `with` in the same SQLite
    /// transaction, so the link's own rows (its outbound buffer, its inbox) are stored
    /// together with the entries or not at all: a crash can never leave a message ledgered
    /// as sent without the copy the link must resend, or delivered without its entry.
    pub fn append_batch_with<F>(
        &mut self,
        msgs: &[Message<'_>],
        with: F,
    ) -> Result<Vec<Entry>, LedgerError>
    where
        F: FnOnce(&rusqlite::Transaction<'_>, &[Entry]) -> rusqlite::Result<()>,
    {
        let (entries, staged) = self.stage(msgs)?;
        self.store.append_entries_with(&entries, with)?;
        self.commit_staged(staged);
        Ok(entries)
    }
}
