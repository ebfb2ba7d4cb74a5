//! A centre's link database: the ledger of every link, the outbound buffer of messages
//! sequenced but not yet acknowledged, the inbox of events received, and the partners'
//! certificates. One SQLite file per centre (WAL), shared by all its links.
//!
//! **Invariant:** a message is ledgered as sent in the same transaction that puts its
//! payload in the outbound buffer, and ledgered as received in the same transaction that
//! puts it in the inbox. So after any crash the buffer holds every sent message the
//! partner has not acknowledged (it is resent), and the inbox holds every event whose
//! receipt the ledger records (it is never delivered twice: the ledger's last received
//! sequence number is the duplicate filter).

use std::path::Path;

use rusqlite::{OptionalExtension, params};
use vigil_core::UnixTime;
use vigil_ledger::{
    CentreId, Checkpoint, Direction, Keys, Ledger, LedgerError, Message, SigningKey, SqliteStore,
    VerifyReport, VerifyingKey,
};

/// Errors of the link database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed.
    #[error("link store: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The ledger refused or failed.
    #[error("link ledger: {0}")]
    Ledger(#[from] LedgerError),
    /// The ledger's store failed.
    #[error("link ledger store: {0}")]
    LedgerStore(#[from] vigil_ledger::StoreError),
    /// A stored outbound batch does not parse (the file was edited or damaged).
    #[error("link store: outbound buffer of link '{link}' is damaged at seq {seq}: {what}")]
    Corrupt {
        /// The link.
        link: String,
        /// The batch's first sequence number.
        seq: u64,
        /// What is wrong.
        what: &'static str,
    },
}

/// Schema of the link tables (component `link` in `schema_version`).
const MIGRATION_1: &str = "
CREATE TABLE IF NOT EXISTS link_outbox (
    link TEXT NOT NULL,
    first_seq INTEGER NOT NULL,
    last_seq INTEGER NOT NULL,
    batch BLOB NOT NULL,
    PRIMARY KEY (link, first_seq)
);
CREATE TABLE IF NOT EXISTS link_acked (
    link TEXT PRIMARY KEY,
    acked INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS link_inbox (
    link TEXT NOT NULL,
    peer_seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    time REAL NOT NULL,
    exercise INTEGER NOT NULL,
    payload BLOB NOT NULL,
    refused TEXT,
    PRIMARY KEY (link, peer_seq)
);
CREATE TABLE IF NOT EXISTS link_peers (
    link TEXT PRIMARY KEY,
    party TEXT NOT NULL,
    centre TEXT NOT NULL,
    cert_der BLOB NOT NULL,
    seen REAL NOT NULL
);
";

/// One sequenced message waiting for the partner's acknowledgement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sequenced {
    /// Its wire (and ledger) sequence number.
    pub seq: u64,
    /// Its kind code (`wire::pb::Kind as u8`).
    pub kind: u8,
    /// The payload bytes as sent.
    pub payload: Vec<u8>,
}

/// One data message to ledger as received.
#[derive(Debug, Clone, Copy)]
pub struct Received<'a> {
    /// The sender's sequence number.
    pub seq: u64,
    /// Ledger kind name.
    pub kind: &'a str,
    /// Payload bytes as received.
    pub payload: &'a [u8],
    /// Kept in the inbox (events) or only ledgered (track updates: superseded anyway).
    pub keep: bool,
    /// Exercise data.
    pub exercise: bool,
    /// Why it was refused, when the receiver's checks refused it (it is ledgered and kept
    /// for the record, not delivered).
    pub refused: Option<&'a str>,
}

/// One event kept in the inbox.
#[derive(Debug, Clone, PartialEq)]
pub struct InboxRow {
    /// The link.
    pub link: String,
    /// The sender's sequence number.
    pub peer_seq: u64,
    /// Ledger kind name.
    pub kind: String,
    /// When it was received.
    pub time: UnixTime,
    /// Exercise data.
    pub exercise: bool,
    /// Payload bytes.
    pub payload: Vec<u8>,
    /// Why the receiver refused it (`None`: delivered).
    pub refused: Option<String>,
}

/// The certificate a partner presented on a link (its key verifies the partner's
/// checkpoints).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    /// The link.
    pub link: String,
    /// The partner's party.
    pub party: String,
    /// The partner centre.
    pub centre: String,
    /// Its certificate, DER.
    pub cert_der: Vec<u8>,
}

/// A centre's link database.
#[derive(Debug)]
pub struct LinkStore {
    ledger: Ledger<SqliteStore>,
}

fn to_i64(v: u64) -> i64 {
    // Sequence numbers stay far below 2^63; saturate rather than wrap.
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

/// Appends one record to an outbound batch: `u64 seq, u8 kind, u32 len, payload`.
fn push_record(batch: &mut Vec<u8>, seq: u64, kind: u8, payload: &[u8]) {
    batch.extend_from_slice(&seq.to_be_bytes());
    batch.push(kind);
    // Payloads are at most wire::MAX_ENVELOPE_BYTES; a u32 length cannot truncate.
    batch.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    batch.extend_from_slice(payload);
}

fn parse_batch(
    link: &str,
    first: u64,
    mut b: &[u8],
    out: &mut Vec<Sequenced>,
) -> Result<(), StoreError> {
    let corrupt = |what| StoreError::Corrupt {
        link: link.to_owned(),
        seq: first,
        what,
    };
    while !b.is_empty() {
        if b.len() < 13 {
            return Err(corrupt("truncated record header"));
        }
        let (head, rest) = b.split_at(13);
        let mut seq = [0u8; 8];
        seq.copy_from_slice(&head[..8]);
        let mut len = [0u8; 4];
        len.copy_from_slice(&head[9..13]);
        let len = u32::from_be_bytes(len) as usize;
        if rest.len() < len {
            return Err(corrupt("truncated payload"));
        }
        let (payload, rest) = rest.split_at(len);
        out.push(Sequenced {
            seq: u64::from_be_bytes(seq),
            kind: head[8],
            payload: payload.to_vec(),
        });
        b = rest;
    }
    Ok(())
}

impl LinkStore {
    /// Opens (creating) the centre's database at `path` for centre `id`.
    pub fn open(path: impl AsRef<Path>, id: CentreId) -> Result<LinkStore, StoreError> {
        let store = SqliteStore::open(path)?;
        Self::from_store(store, id)
    }

    /// A store in memory (tests).
    pub fn open_in_memory(id: CentreId) -> Result<LinkStore, StoreError> {
        Self::from_store(SqliteStore::open_in_memory()?, id)
    }

    fn from_store(store: SqliteStore, id: CentreId) -> Result<LinkStore, StoreError> {
        let conn = store.connection();
        // NORMAL is durable in WAL mode across process crashes (only an OS crash or power
        // loss can lose the last transactions); the link acknowledges after commit.
        conn.execute_batch("PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;")?;
        let version: Option<i64> = conn
            .query_row(
                "SELECT version FROM schema_version WHERE component = 'link'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        if version.unwrap_or(0) < 1 {
            conn.execute_batch(&format!(
                "BEGIN; {MIGRATION_1}
                 INSERT OR REPLACE INTO schema_version (component, version) VALUES ('link', 1);
                 COMMIT;"
            ))?;
        }
        Ok(LinkStore {
            ledger: Ledger::open(store, id)?,
        })
    }

    /// The ledger (verification, reports, checkpoints).
    pub fn ledger(&self) -> &Ledger<SqliteStore> {
        &self.ledger
    }

    /// Sequences messages on `link`: ledgers them as sent at `time` and keeps them in the
    /// outbound buffer, in one transaction. Returns them with their sequence numbers.
    pub fn sequence(
        &mut self,
        link: &str,
        time: UnixTime,
        msgs: &[(u8, &'static str, Vec<u8>)],
    ) -> Result<Vec<Sequenced>, StoreError> {
        if msgs.is_empty() {
            return Ok(Vec::new());
        }
        let ledger_msgs: Vec<Message<'_>> = msgs
            .iter()
            .map(|(_, kind, payload)| Message {
                link,
                direction: Direction::Sent,
                time,
                kind,
                payload,
                peer_seq: None,
            })
            .collect();
        let mut out = Vec::with_capacity(msgs.len());
        self.ledger.append_batch_with(&ledger_msgs, |tx, entries| {
            let mut batch = Vec::new();
            for (e, (code, _, payload)) in entries.iter().zip(msgs) {
                push_record(&mut batch, e.seq, *code, payload);
            }
            let first = entries.first().map(|e| e.seq).unwrap_or(0);
            let last = entries.last().map(|e| e.seq).unwrap_or(0);
            tx.prepare_cached(
                "INSERT INTO link_outbox (link, first_seq, last_seq, batch) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![link, to_i64(first), to_i64(last), batch])?;
            Ok(())
        })
        .map(|entries| {
            for (e, (code, _, payload)) in entries.iter().zip(msgs) {
                out.push(Sequenced {
                    seq: e.seq,
                    kind: *code,
                    payload: payload.clone(),
                });
            }
        })?;
        Ok(out)
    }

    /// Records the partner's acknowledgement of everything up to `acked` on `link`: the
    /// outbound batches entirely at or below it are dropped.
    pub fn ack(&mut self, link: &str, acked: u64) -> Result<(), StoreError> {
        let conn = self.ledger.store().connection();
        conn.execute_batch("BEGIN")?;
        let r = (|| -> rusqlite::Result<()> {
            conn.prepare_cached(
                "INSERT INTO link_acked (link, acked) VALUES (?1, ?2)
                 ON CONFLICT(link) DO UPDATE SET acked = max(acked, excluded.acked)",
            )?
            .execute(params![link, to_i64(acked)])?;
            conn.prepare_cached("DELETE FROM link_outbox WHERE link = ?1 AND last_seq <= ?2")?
                .execute(params![link, to_i64(acked)])?;
            Ok(())
        })();
        match r {
            Ok(()) => conn.execute_batch("COMMIT")?,
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                return Err(e.into());
            }
        }
        Ok(())
    }

    /// The highest sequence number the partner acknowledged on `link` (0 before any).
    pub fn acked(&self, link: &str) -> Result<u64, StoreError> {
        let v: Option<i64> = self
            .ledger
            .store()
            .connection()
            .prepare_cached("SELECT acked FROM link_acked WHERE link = ?1")?
            .query_row(params![link], |r| r.get(0))
            .optional()?;
        Ok(v.map(to_u64).unwrap_or(0))
    }

    /// The sequenced messages of `link` above `after`, in order (what to resend).
    pub fn unacked(&self, link: &str, after: u64) -> Result<Vec<Sequenced>, StoreError> {
        let conn = self.ledger.store().connection();
        let mut st = conn.prepare_cached(
            "SELECT first_seq, batch FROM link_outbox WHERE link = ?1 AND last_seq > ?2
             ORDER BY first_seq",
        )?;
        let mut rows = st.query(params![link, to_i64(after)])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let first: i64 = r.get(0)?;
            let batch: Vec<u8> = r.get(1)?;
            parse_batch(link, to_u64(first), &batch, &mut out)?;
        }
        out.retain(|m| m.seq > after);
        Ok(out)
    }

    /// Ledgers messages received on `link` at `time` and keeps the events in the inbox,
    /// in one transaction. The caller has dropped duplicates (`seq` at or below
    /// [`LinkStore::last_received`]) and passes the rest in increasing `seq`.
    pub fn receive(
        &mut self,
        link: &str,
        time: UnixTime,
        msgs: &[Received<'_>],
    ) -> Result<(), StoreError> {
        if msgs.is_empty() {
            return Ok(());
        }
        let ledger_msgs: Vec<Message<'_>> = msgs
            .iter()
            .map(|m| Message {
                link,
                direction: Direction::Received,
                time,
                kind: m.kind,
                payload: m.payload,
                peer_seq: Some(m.seq),
            })
            .collect();
        self.ledger.append_batch_with(&ledger_msgs, |tx, _| {
            let mut st = tx.prepare_cached(
                "INSERT INTO link_inbox (link, peer_seq, kind, time, exercise, payload, refused)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for m in msgs.iter().filter(|m| m.keep) {
                st.execute(params![
                    link,
                    to_i64(m.seq),
                    m.kind,
                    time.0,
                    m.exercise,
                    m.payload,
                    m.refused
                ])?;
            }
            Ok(())
        })?;
        Ok(())
    }

    /// The highest partner sequence number received and stored on `link` (0 before any).
    pub fn last_received(&self, link: &str) -> u64 {
        self.ledger.last_peer_seq(link).unwrap_or(0)
    }

    /// The highest sequence number sent on `link` (0 before any).
    pub fn last_sent(&self, link: &str) -> Result<u64, StoreError> {
        let v: Option<i64> = self
            .ledger
            .store()
            .connection()
            .prepare_cached(
                "SELECT max(seq) FROM ledger_entries WHERE link = ?1 AND direction = 0",
            )?
            .query_row(params![link], |r| r.get(0))?;
        Ok(v.map(to_u64).unwrap_or(0))
    }

    /// The events received on `link` (every link when `None`), in link and sequence order.
    pub fn inbox(&self, link: Option<&str>) -> Result<Vec<InboxRow>, StoreError> {
        let conn = self.ledger.store().connection();
        let mut st = conn.prepare_cached(
            "SELECT link, peer_seq, kind, time, exercise, payload, refused FROM link_inbox
             WHERE ?1 IS NULL OR link = ?1 ORDER BY link, peer_seq",
        )?;
        let rows = st.query_map(params![link], |r| {
            Ok(InboxRow {
                link: r.get(0)?,
                peer_seq: to_u64(r.get(1)?),
                kind: r.get(2)?,
                time: UnixTime(r.get(3)?),
                exercise: r.get(4)?,
                payload: r.get(5)?,
                refused: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Signs the head of `link` and keeps the checkpoint (to send to the partner).
    pub fn checkpoint(
        &mut self,
        link: &str,
        key: &SigningKey,
        time: UnixTime,
    ) -> Result<Checkpoint, StoreError> {
        Ok(self.ledger.checkpoint(link, key, time)?)
    }

    /// Keeps a checkpoint from the partner (signature checked). `Some` when it disagrees
    /// with this centre's chain.
    pub fn partner_checkpoint(
        &mut self,
        cp: &Checkpoint,
        key: &VerifyingKey,
    ) -> Result<Option<vigil_ledger::verify::Divergence>, StoreError> {
        Ok(self.ledger.record_partner_checkpoint(cp, key)?)
    }

    /// Remembers the partner's certificate of `link` (its key verifies the partner's
    /// checkpoints offline, in `vigil ledger verify`).
    pub fn remember_peer(
        &mut self,
        link: &str,
        party: &str,
        centre: &str,
        cert_der: &[u8],
        time: UnixTime,
    ) -> Result<(), StoreError> {
        self.ledger
            .store()
            .connection()
            .prepare_cached(
                "INSERT OR REPLACE INTO link_peers (link, party, centre, cert_der, seen)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![link, party, centre, cert_der, time.0])?;
        Ok(())
    }

    /// The partner certificates remembered, one per link.
    pub fn peers(&self) -> Result<Vec<Peer>, StoreError> {
        let conn = self.ledger.store().connection();
        let mut st = conn
            .prepare_cached("SELECT link, party, centre, cert_der FROM link_peers ORDER BY link")?;
        let rows = st.query_map([], |r| {
            Ok(Peer {
                link: r.get(0)?,
                party: r.get(1)?,
                centre: r.get(2)?,
                cert_der: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Verifies the whole ledger with these keys.
    pub fn verify(&self, keys: &Keys) -> Result<VerifyReport, StoreError> {
        Ok(self.ledger.verify(keys)?)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn id(c: &str) -> CentreId {
        CentreId {
            party: "NATO".into(),
            centre: c.into(),
        }
    }

    #[test]
    fn sequence_ack_resend_and_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        {
            let mut s = LinkStore::open(&path, id("a")).unwrap();
            let a = s
                .sequence(
                    "l",
                    UnixTime(1.0),
                    &[(1, "track", vec![1, 2]), (2, "alert", vec![3])],
                )
                .unwrap();
            assert_eq!(a.iter().map(|m| m.seq).collect::<Vec<_>>(), vec![1, 2]);
            let b = s
                .sequence("l", UnixTime(2.0), &[(3, "incident", vec![])])
                .unwrap();
            assert_eq!(b[0].seq, 3);
            s.ack("l", 2).unwrap();
            // The first batch is gone; the second stays.
            assert_eq!(s.unacked("l", 0).unwrap(), b);
            assert_eq!(s.unacked("l", 3).unwrap(), vec![]);
        }
        let s = LinkStore::open(&path, id("a")).unwrap();
        assert_eq!(s.acked("l").unwrap(), 2);
        assert_eq!(s.unacked("l", 2).unwrap().len(), 1);
        assert_eq!(s.last_sent("l").unwrap(), 3);
    }

    #[test]
    fn receive_keeps_events_and_resumes_after_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        {
            let mut s = LinkStore::open(&path, id("b")).unwrap();
            let msgs = [
                Received {
                    seq: 4,
                    kind: "track",
                    payload: &[9],
                    keep: false,
                    exercise: false,
                    refused: None,
                },
                Received {
                    seq: 7,
                    kind: "alert",
                    payload: &[1, 1],
                    keep: true,
                    exercise: true,
                    refused: None,
                },
            ];
            s.receive("l", UnixTime(5.0), &msgs).unwrap();
        }
        let mut s = LinkStore::open(&path, id("b")).unwrap();
        assert_eq!(s.last_received("l"), 7);
        let inbox = s.inbox(None).unwrap();
        assert_eq!(inbox.len(), 1);
        assert_eq!(inbox[0].peer_seq, 7);
        assert!(inbox[0].exercise);
        // A replayed duplicate is refused by the ledger (the link filters it first).
        let dup = [Received {
            seq: 7,
            kind: "alert",
            payload: &[1, 1],
            keep: true,
            exercise: true,
            refused: None,
        }];
        assert!(s.receive("l", UnixTime(6.0), &dup).is_err());
        assert_eq!(s.inbox(Some("l")).unwrap().len(), 1);
    }

    #[test]
    fn damaged_batch_is_reported() {
        let mut s = LinkStore::open_in_memory(id("a")).unwrap();
        s.sequence("l", UnixTime(1.0), &[(1, "track", vec![1, 2, 3])])
            .unwrap();
        s.ledger
            .store()
            .connection()
            .execute("UPDATE link_outbox SET batch = x'0001'", [])
            .unwrap();
        assert!(matches!(s.unacked("l", 0), Err(StoreError::Corrupt { .. })));
    }
}
