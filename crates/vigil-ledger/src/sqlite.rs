//! The SQLite store: one table of entries, one of checkpoints, in WAL mode.
//!
//! The centre's store will keep every table of a centre in one SQLite file, so the tables
//! are prefixed `ledger_` and the schema version is one row (`component = 'ledger'`) of a
//! shared `schema_version` table.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};
use vigil_core::UnixTime;

use crate::checkpoint::{Checkpoint, ExchangeDigest};
use crate::entry::{Direction, Entry};
use crate::store::{LedgerStore, Origin, StoreError};

/// The ledger schema version this code writes and reads.
pub const SCHEMA_VERSION: i64 = 1;

/// Migration 1: the entry and checkpoint tables.
const MIGRATION_1: &str = "
CREATE TABLE ledger_entries (
    link           TEXT    NOT NULL,
    seq            INTEGER NOT NULL,
    direction      INTEGER NOT NULL, -- 0 sent, 1 received
    time           REAL    NOT NULL, -- Unix seconds
    kind           TEXT    NOT NULL,
    peer_seq       INTEGER,
    payload_sha256 BLOB    NOT NULL,
    payload_len    INTEGER NOT NULL,
    prev           BLOB    NOT NULL,
    hash           BLOB    NOT NULL,
    PRIMARY KEY (link, seq)
) WITHOUT ROWID;
CREATE TABLE ledger_checkpoints (
    id              INTEGER PRIMARY KEY,
    link            TEXT    NOT NULL,
    origin          INTEGER NOT NULL, -- 0 own, 1 partner
    party           TEXT    NOT NULL,
    centre          TEXT    NOT NULL,
    seq             INTEGER NOT NULL,
    head_hash       BLOB    NOT NULL,
    time            REAL    NOT NULL,
    sent_count      INTEGER NOT NULL,
    sent_digest     BLOB    NOT NULL,
    received_count  INTEGER NOT NULL,
    received_digest BLOB    NOT NULL,
    signature       BLOB    NOT NULL
);
CREATE INDEX ledger_checkpoints_link ON ledger_checkpoints (link, origin, id);
";

/// A ledger in a SQLite database (a file, or in memory for tests).
#[derive(Debug)]
pub struct SqliteStore {
    conn: Connection,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path`, in WAL mode, and brings the ledger
    /// schema to [`SCHEMA_VERSION`].
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::from_connection(Connection::open(path)?)
    }

    /// A store in a private in-memory database.
    pub fn open_in_memory() -> Result<Self, StoreError> {
        Self::from_connection(Connection::open_in_memory()?)
    }

    /// Takes an open connection (the centre's shared database) and migrates it.
    pub fn from_connection(conn: Connection) -> Result<Self, StoreError> {
        // WAL: readers (`vigil ledger verify` on a running centre) do not block the writer.
        // An in-memory database answers "memory", which is fine.
        let _mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_version (
                 component TEXT PRIMARY KEY, version INTEGER NOT NULL)",
        )?;
        let version: Option<i64> = conn
            .query_row(
                "SELECT version FROM schema_version WHERE component = 'ledger'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        let mut store = SqliteStore { conn };
        if version.unwrap_or(0) < 1 {
            let tx = store.conn.transaction()?;
            tx.execute_batch(MIGRATION_1)?;
            tx.execute(
                "INSERT OR REPLACE INTO schema_version (component, version) VALUES ('ledger', 1)",
                [],
            )?;
            tx.commit()?;
        }
        Ok(store)
    }

    /// The underlying connection (the centre's other tables, inspection, tampering tests).
    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}

fn to_i64(v: u64) -> i64 {
    // Sequence numbers and lengths stay far below 2^63; saturate rather than wrap so a
    // corrupt value can never alias a valid one.
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn blob32(v: Vec<u8>) -> Result<[u8; 32], String> {
    <[u8; 32]>::try_from(v.as_slice()).map_err(|_| format!("blob of {} bytes, not 32", v.len()))
}

fn nonneg(v: i64, what: &str) -> Result<u64, String> {
    u64::try_from(v).map_err(|_| format!("negative {what}"))
}

/// One entry row as SQLite returns it, before the checks that make it an [`Entry`].
type RawEntry = (
    i64,
    i64,
    f64,
    String,
    Option<i64>,
    Vec<u8>,
    i64,
    Vec<u8>,
    Vec<u8>,
);

fn entry_from_raw(link: &str, raw: RawEntry) -> Result<Entry, StoreError> {
    let (seq, dir, time, kind, peer, sha, len, prev, hash) = raw;
    let corrupt = |what: String| StoreError::Corrupt {
        link: link.to_owned(),
        seq: u64::try_from(seq).unwrap_or(0),
        what,
    };
    let direction = match dir {
        0 => Direction::Sent,
        1 => Direction::Received,
        d => return Err(corrupt(format!("direction code {d}"))),
    };
    Ok(Entry {
        link: link.to_owned(),
        seq: nonneg(seq, "seq").map_err(corrupt)?,
        direction,
        time: UnixTime(time),
        kind,
        peer_seq: peer
            .map(|p| nonneg(p, "peer_seq"))
            .transpose()
            .map_err(corrupt)?,
        payload_sha256: blob32(sha).map_err(corrupt)?,
        payload_len: nonneg(len, "payload_len").map_err(corrupt)?,
        prev: blob32(prev).map_err(corrupt)?,
        hash: blob32(hash).map_err(corrupt)?,
    })
}

impl SqliteStore {
    /// Appends entries and runs `with` in the same transaction (see
    /// [`crate::Ledger::append_batch_with`]).
    pub fn append_entries_with<F>(&mut self, entries: &[Entry], with: F) -> Result<(), StoreError>
    where
        F: FnOnce(&rusqlite::Transaction<'_>, &[Entry]) -> rusqlite::Result<()>,
    {
        let tx = self.conn.transaction()?;
        insert_entries(&tx, entries)?;
        with(&tx, entries)?;
        tx.commit()?;
        Ok(())
    }
}

/// Rows per multi-row INSERT: one statement per 32 entries rather than per entry (binding
/// and stepping a statement costs more than the row itself at link rates; 320 parameters
/// stay far below SQLite's limit).
const ROWS_PER_INSERT: usize = 32;

fn insert_sql(rows: usize) -> String {
    let mut sql = String::from(
        "INSERT INTO ledger_entries (link, seq, direction, time, kind, peer_seq,
             payload_sha256, payload_len, prev, hash) VALUES ",
    );
    for i in 0..rows {
        if i > 0 {
            sql.push(',');
        }
        sql.push_str("(?,?,?,?,?,?,?,?,?,?)");
    }
    sql
}

fn insert_entries(tx: &rusqlite::Transaction<'_>, entries: &[Entry]) -> rusqlite::Result<()> {
    let mut chunks = entries.chunks_exact(ROWS_PER_INSERT);
    if entries.len() >= ROWS_PER_INSERT {
        let mut st = tx.prepare_cached(&insert_sql(ROWS_PER_INSERT))?;
        for chunk in chunks.by_ref() {
            bind_rows(&mut st, chunk)?;
            st.raw_execute()?;
        }
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut st = tx.prepare_cached(&insert_sql(1))?;
        for e in rest {
            bind_rows(&mut st, std::slice::from_ref(e))?;
            st.raw_execute()?;
        }
    }
    Ok(())
}

fn bind_rows(st: &mut rusqlite::CachedStatement<'_>, rows: &[Entry]) -> rusqlite::Result<()> {
    for (i, e) in rows.iter().enumerate() {
        let at = i * 10;
        st.raw_bind_parameter(at + 1, &e.link)?;
        st.raw_bind_parameter(at + 2, to_i64(e.seq))?;
        st.raw_bind_parameter(
            at + 3,
            match e.direction {
                Direction::Sent => 0,
                Direction::Received => 1,
            },
        )?;
        st.raw_bind_parameter(at + 4, e.time.0)?;
        st.raw_bind_parameter(at + 5, &e.kind)?;
        st.raw_bind_parameter(at + 6, e.peer_seq.map(to_i64))?;
        st.raw_bind_parameter(at + 7, &e.payload_sha256[..])?;
        st.raw_bind_parameter(at + 8, to_i64(e.payload_len))?;
        st.raw_bind_parameter(at + 9, &e.prev[..])?;
        st.raw_bind_parameter(at + 10, &e.hash[..])?;
    }
    Ok(())
}

impl LedgerStore for SqliteStore {
    fn append_entries(&mut self, entries: &[Entry]) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        insert_entries(&tx, entries)?;
        tx.commit()?;
        Ok(())
    }

    fn entries(&self, link: &str) -> Result<Vec<Entry>, StoreError> {
        let mut st = self.conn.prepare_cached(
            "SELECT seq, direction, time, kind, peer_seq, payload_sha256, payload_len, prev, hash
             FROM ledger_entries WHERE link = ?1 ORDER BY seq",
        )?;
        let mut rows = st.query(params![link])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let seq: i64 = r.get(0).unwrap_or(-1);
            // A row whose columns have the wrong SQLite type (a tampered NULL or text) is
            // reported against its seq rather than failing the whole read.
            let raw: Result<RawEntry, rusqlite::Error> = (|| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                ))
            })();
            match raw {
                Ok(raw) => out.push(entry_from_raw(link, raw)?),
                Err(e) => {
                    return Err(StoreError::Corrupt {
                        link: link.to_owned(),
                        seq: u64::try_from(seq).unwrap_or(0),
                        what: e.to_string(),
                    });
                }
            }
        }
        Ok(out)
    }

    fn links(&self) -> Result<Vec<String>, StoreError> {
        let mut st = self.conn.prepare_cached(
            "SELECT link FROM ledger_entries UNION SELECT link FROM ledger_checkpoints ORDER BY 1",
        )?;
        let links = st
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(links)
    }

    fn put_checkpoint(&mut self, origin: Origin, cp: &Checkpoint) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO ledger_checkpoints (link, origin, party, centre, seq, head_hash, time,
                 sent_count, sent_digest, received_count, received_digest, signature)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            params![
                cp.link,
                origin_code(origin),
                cp.party,
                cp.centre,
                to_i64(cp.seq),
                &cp.head_hash[..],
                cp.time.0,
                to_i64(cp.sent.count),
                &cp.sent.digest[..],
                to_i64(cp.received.count),
                &cp.received.digest[..],
                &cp.signature[..],
            ],
        )?;
        Ok(())
    }

    fn checkpoints(&self, link: &str, origin: Origin) -> Result<Vec<Checkpoint>, StoreError> {
        let mut st = self.conn.prepare_cached(
            "SELECT party, centre, seq, head_hash, time, sent_count, sent_digest,
                    received_count, received_digest, signature
             FROM ledger_checkpoints WHERE link = ?1 AND origin = ?2 ORDER BY id",
        )?;
        let mut rows = st.query(params![link, origin_code(origin)])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let corrupt = |what: String| StoreError::CorruptCheckpoint {
                link: link.to_owned(),
                what,
            };
            let sig: Vec<u8> = r.get(9)?;
            let signature = <[u8; 64]>::try_from(sig.as_slice())
                .map_err(|_| corrupt(format!("signature of {} bytes", sig.len())))?;
            out.push(Checkpoint {
                link: link.to_owned(),
                party: r.get(0)?,
                centre: r.get(1)?,
                seq: nonneg(r.get(2)?, "seq").map_err(corrupt)?,
                head_hash: blob32(r.get(3)?).map_err(corrupt)?,
                time: UnixTime(r.get(4)?),
                sent: ExchangeDigest {
                    count: nonneg(r.get(5)?, "sent_count").map_err(corrupt)?,
                    digest: blob32(r.get(6)?).map_err(corrupt)?,
                },
                received: ExchangeDigest {
                    count: nonneg(r.get(7)?, "received_count").map_err(corrupt)?,
                    digest: blob32(r.get(8)?).map_err(corrupt)?,
                },
                signature,
            });
        }
        Ok(out)
    }
}

fn origin_code(o: Origin) -> i64 {
    match o {
        Origin::Own => 0,
        Origin::Partner => 1,
    }
}
