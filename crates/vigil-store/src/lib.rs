//! The centre's durable store: one SQLite file per centre (WAL), beside the link and ledger
//! tables of `vigil-link` and `vigil-ledger`.
//!
//! It keeps the raw inputs with their receive time and sensor (the source of replays), the
//! audit record (every incident transition, access, ...) with the incident engine's
//! snapshots, alerts, users and every configuration put in force. Tables are prefixed
//! `centre_`; their version is the `centre` row of the shared `schema_version` table and is
//! migrated step by step on [`Store::open`] (a file from a newer binary is refused).
//!
//! All writes go through **one writer thread** with its own connection, fed by a bounded
//! channel:
//!
//! - **Batched** writes ([`Store::record_raw`], [`Store::upsert_alerts`]) return as soon as
//!   the batch is queued; the writer commits them together, at most `batch_max` rows or
//!   `flush_interval` after the first is queued. The caller waits only when the queue is
//!   full (backpressure: nothing is dropped). A batch that fails to commit (disk full) is
//!   counted and logged, not retried; the next [`Store::flush`] reports it.
//! - **Durable** writes ([`Store::append_audit`], [`Store::record_config`],
//!   [`Store::put_user`], [`Store::remove_user`]) return after the COMMIT that holds them.
//!   Everything queued before them is committed first, so what survives a crash is always a
//!   prefix of what was asked.
//!
//! Reads use separate read-only connections: WAL lets them run beside the writer.
//!
//! Retention: with [`StoreOptions::raw_retention_s`] set, the writer deletes raw rows older
//! than the newest receive time seen minus the retention, at most once per 10 s, in chunks
//! of [`PRUNE_CHUNK`] rows interleaved with the writes. Nothing else is ever pruned.
//!
//! **Durability:** WAL with `synchronous=NORMAL`. A transaction whose COMMIT returned
//! survives the death of the process at any moment (SIGKILL: `tests/crash.rs`); only an
//! operating-system crash or power loss can lose the last transactions before a checkpoint.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, params};

mod schema;
mod writer;

pub use schema::SCHEMA_VERSION;

/// The desk of the renegade (air) incidents, whose snapshots [`Store::append_audit`] keeps.
pub const RENEGADE_DESK: &str = "renegade";
/// The desk of the station alarm incidents.
pub const STATION_DESK: &str = "station";

/// Raw rows deleted per retention transaction: small enough that the writer never stops
/// taking batches for long.
pub const PRUNE_CHUNK: usize = 10_000;

/// How often, at most, the writer starts a retention pass.
pub const PRUNE_EVERY: Duration = Duration::from_secs(10);

/// How long a connection waits for another one's lock before giving up.
const BUSY_TIMEOUT_MS: u32 = 5_000;

/// Read connections kept open between reads.
const READER_POOL: usize = 4;

/// How the store is run.
#[derive(Debug, Clone, PartialEq)]
pub struct StoreOptions {
    /// Keep raw inputs this many seconds behind the newest one received; `None` keeps
    /// them all.
    pub raw_retention_s: Option<f64>,
    /// Capacity of the writer's queue, in batches (each call is one): the hot path waits
    /// when it is full.
    pub queue: usize,
    /// Raw and alert rows per transaction, at most (a single call's batch is never split).
    pub batch_max: usize,
    /// A batched row is committed at most this long after it was queued.
    pub flush_interval: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            raw_retention_s: None,
            queue: 64,
            batch_max: 50_000,
            flush_interval: Duration::from_millis(200),
        }
    }
}

/// What a raw input is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RawKind {
    /// One Mode S frame (2 to 14 bytes).
    ModeS,
    /// One ASTERIX data block.
    Asterix,
}

impl RawKind {
    fn code(self) -> i64 {
        match self {
            RawKind::ModeS => 0,
            RawKind::Asterix => 1,
        }
    }

    fn from_code(code: i64) -> Option<RawKind> {
        match code {
            0 => Some(RawKind::ModeS),
            1 => Some(RawKind::Asterix),
            _ => None,
        }
    }
}

/// One raw input as it was received.
#[derive(Debug, Clone, PartialEq)]
pub struct RawFrame {
    /// The sensor's configured name.
    pub sensor: String,
    /// What the bytes are.
    pub kind: RawKind,
    /// When it was received, Unix seconds (must be finite: other frames are skipped and
    /// counted as errors).
    pub recv_time: f64,
    /// The bytes as received.
    pub bytes: Vec<u8>,
    /// Exercise data.
    pub exercise: bool,
}

/// One audit record.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    /// Global sequence number, assigned by the store (ignored by
    /// [`Store::append_audit`]).
    pub seq: i64,
    /// When it happened, Unix seconds.
    pub at: f64,
    /// What it records: `"incident"`, `"access"`, ...
    pub kind: String,
    /// Who did it (user name, `"system"`, a partner centre).
    pub actor: String,
    /// The record itself, JSON.
    pub json: String,
    /// Exercise data.
    pub exercise: bool,
}

/// One alert, as last written.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRow {
    /// The alert's id (the key: a later row with the same id replaces it).
    pub id: u64,
    /// The track it is about.
    pub track: u64,
    /// The rule that raised it.
    pub kind: String,
    /// When it was raised, Unix seconds.
    pub raised: f64,
    /// When it was cleared, if it was.
    pub cleared: Option<f64>,
    /// The alert with its evidence, JSON.
    pub json: String,
    /// Exercise data.
    pub exercise: bool,
}

/// One operator account.
#[derive(Debug, Clone, PartialEq)]
pub struct UserRow {
    /// Login name (the key).
    pub name: String,
    /// Role (`operator`, `supervisor`).
    pub role: String,
    /// The password's PHC string (Argon2id); never the password.
    pub password_hash: String,
    /// When the account was made, Unix seconds.
    pub created: f64,
}

/// The store's counters since it was opened.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct StoreStats {
    /// Raw rows committed.
    pub raw_written: u64,
    /// Transactions that committed raw rows.
    pub raw_batches: u64,
    /// Raw rows deleted by retention.
    pub raw_pruned: u64,
    /// Audit records committed.
    pub audit_written: u64,
    /// Calls queued and not yet taken by the writer.
    pub queue_depth: usize,
    /// Failures: transactions that did not commit, raw frames skipped as invalid.
    pub errors: u64,
    /// The last failure, as logged.
    pub last_error: Option<String>,
}

/// Why the store refused or failed. Each message names the file and what to do.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The file could not be opened or made.
    #[error("store {path}: cannot open: {source} (check that its folder exists and is writable)")]
    Open {
        /// The file.
        path: PathBuf,
        /// What SQLite said.
        source: rusqlite::Error,
    },
    /// Another connection held the lock longer than the busy timeout.
    #[error("store {path}: the database stayed locked for 5 s: is another vigil using it?")]
    Locked {
        /// The file.
        path: PathBuf,
    },
    /// The file was written by a newer binary.
    #[error(
        "store {path}: centre schema version {found} is newer than this binary's \
         {supported}: run the newer vigil that wrote it, or point the store at another file"
    )]
    NewerSchema {
        /// The file.
        path: PathBuf,
        /// Its centre schema version.
        found: i64,
        /// The version this binary writes.
        supported: i64,
    },
    /// SQLite failed.
    #[error("store {path}: {what}: {source}{hint}", hint = hint(source))]
    Sqlite {
        /// The file.
        path: PathBuf,
        /// What was being done.
        what: &'static str,
        /// What SQLite said.
        source: rusqlite::Error,
    },
    /// Batched writes queued before a flush failed to commit (their rows are lost).
    #[error(
        "store {path}: {failed} batched transaction(s) failed since the last flush \
         (last: {last}); their rows are lost: check free disk space and the log"
    )]
    BatchFailed {
        /// The file.
        path: PathBuf,
        /// How many transactions failed.
        failed: u64,
        /// The last failure.
        last: String,
    },
    /// The writer thread is gone.
    #[error(
        "store {path}: the writer has stopped (the store was closed, or its thread failed: \
         see the log); restart vigil"
    )]
    Closed {
        /// The file.
        path: PathBuf,
    },
    /// The writer thread could not be started.
    #[error("store {path}: cannot start the writer thread: {source}")]
    Spawn {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// A value the store refuses (a non-finite time): nothing was written.
    #[error("store: refused: {0}")]
    Invalid(String),
    /// A stored row cannot be read back (the file was edited or damaged).
    #[error("store {path}: damaged row in {table}: {what}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// The table.
        table: &'static str,
        /// What is wrong.
        what: String,
    },
}

/// What to do about an SQLite failure, when its code says.
fn hint(e: &rusqlite::Error) -> &'static str {
    match e.sqlite_error_code() {
        Some(ErrorCode::DiskFull) => " (the disk is full: free space)",
        Some(ErrorCode::ReadOnly | ErrorCode::PermissionDenied | ErrorCode::CannotOpen) => {
            " (check that the file and its folder are writable)"
        }
        Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => {
            " (the file is damaged or is not a vigil store)"
        }
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
            " (is another vigil using it?)"
        }
        _ => "",
    }
}

/// Wraps an SQLite failure with the file and what was being done; a lock held too long
/// becomes [`StoreError::Locked`].
pub(crate) fn sql_err(path: &Path, what: &'static str, source: rusqlite::Error) -> StoreError {
    match source.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreError::Locked {
            path: path.to_owned(),
        },
        _ => StoreError::Sqlite {
            path: path.to_owned(),
            what,
            source,
        },
    }
}

/// Counters shared by the writer and the handles.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    pub(crate) raw_written: AtomicU64,
    pub(crate) raw_batches: AtomicU64,
    pub(crate) raw_pruned: AtomicU64,
    pub(crate) audit_written: AtomicU64,
    pub(crate) queue_depth: AtomicUsize,
    pub(crate) errors: AtomicU64,
    pub(crate) last_error: Mutex<Option<String>>,
}

impl Shared {
    /// Counts and keeps one failure.
    pub(crate) fn fail(&self, message: String) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        *self.last_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(message);
    }
}

/// The reply half a durable call waits on.
pub(crate) type Reply<T> = SyncSender<Result<T, StoreError>>;

/// What the handles ask of the writer.
pub(crate) enum Cmd {
    Raw(Vec<RawFrame>),
    Alerts(Vec<AlertRow>),
    Audit {
        records: Vec<AuditEntry>,
        /// The desk, and its incident engine's snapshot.
        snapshot: Option<(String, String)>,
        reply: Reply<Vec<i64>>,
    },
    Config {
        at: f64,
        origin: String,
        text: String,
        reply: Reply<()>,
    },
    PutUser(UserRow, Reply<()>),
    RemoveUser(String, Reply<bool>),
    Flush(Reply<()>),
}

/// The centre's store. Cheap to share (`Arc<Store>`): every method takes `&self`.
#[derive(Debug)]
pub struct Store {
    path: PathBuf,
    /// `None` once closed.
    tx: Option<SyncSender<Cmd>>,
    writer: Option<JoinHandle<()>>,
    shared: Arc<Shared>,
    readers: Mutex<Vec<Connection>>,
}

fn check_finite(what: &str, v: f64) -> Result<(), StoreError> {
    if v.is_finite() {
        Ok(())
    } else {
        Err(StoreError::Invalid(format!(
            "{what} is {v}, not a finite time"
        )))
    }
}

/// Converts a stored 64-bit id back: ids are kept bit for bit (SQLite integers are signed).
fn u64_of(v: i64) -> u64 {
    v as u64
}

/// Ids are kept bit for bit: a `u64` above `i64::MAX` is stored negative and read back
/// unchanged by [`u64_of`].
pub(crate) fn i64_of(v: u64) -> i64 {
    v as i64
}

impl Store {
    /// Opens the store at `path`, making the file or migrating its centre tables to
    /// [`SCHEMA_VERSION`], and starts the writer. Refuses a file from a newer binary.
    pub fn open(path: &Path, options: StoreOptions) -> Result<Store, StoreError> {
        if let Some(r) = options.raw_retention_s
            && !(r.is_finite() && r >= 0.0)
        {
            return Err(StoreError::Invalid(format!(
                "raw retention {r} s: give a positive number of seconds, or none to keep all"
            )));
        }
        let mut conn = Connection::open(path).map_err(|source| StoreError::Open {
            path: path.to_owned(),
            source,
        })?;
        conn.busy_timeout(Duration::from_millis(u64::from(BUSY_TIMEOUT_MS)))
            .map_err(|e| sql_err(path, "set busy timeout", e))?;
        // WAL: readers never block the writer. NORMAL: a COMMIT survives a process crash
        // (the WAL is written before COMMIT returns; only its fsync waits for a
        // checkpoint), which is what "acknowledged" promises here.
        let mode: String = conn
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
            .map_err(|e| sql_err(path, "switch to WAL", e))?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(path = %path.display(), mode, "store: WAL refused; durability relies on the rollback journal");
        }
        // 32 MiB of page cache (the default is 2 MiB): the raw table's time index stays
        // in memory where rows are appended, and a retention pass where they are deleted.
        conn.execute_batch("PRAGMA synchronous=NORMAL; PRAGMA cache_size=-32768;")
            .map_err(|e| sql_err(path, "set synchronous", e))?;
        match schema::migrate(&mut conn, schema::MIGRATIONS) {
            Ok(from) if from < SCHEMA_VERSION => {
                tracing::info!(path = %path.display(), from, to = SCHEMA_VERSION, "store: centre schema migrated");
            }
            Ok(_) => {}
            Err(schema::MigrateError::Newer { found }) => {
                return Err(StoreError::NewerSchema {
                    path: path.to_owned(),
                    found,
                    supported: SCHEMA_VERSION,
                });
            }
            Err(schema::MigrateError::Sqlite(e)) => {
                return Err(sql_err(path, "migrate the centre schema", e));
            }
        }
        let shared = Arc::new(Shared::default());
        let w = writer::Writer::new(conn, path.to_owned(), options.clone(), shared.clone())?;
        let reader = open_reader(path)?;
        let (tx, rx) = sync_channel(options.queue.max(1));
        let writer = std::thread::Builder::new()
            .name("vigil-store".into())
            .spawn(move || w.run(rx))
            .map_err(|source| StoreError::Spawn {
                path: path.to_owned(),
                source,
            })?;
        Ok(Store {
            path: path.to_owned(),
            tx: Some(tx),
            writer: Some(writer),
            shared,
            readers: Mutex::new(vec![reader]),
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn closed(&self) -> StoreError {
        StoreError::Closed {
            path: self.path.clone(),
        }
    }

    fn send(&self, cmd: Cmd) -> Result<(), StoreError> {
        let tx = self.tx.as_ref().ok_or_else(|| self.closed())?;
        self.shared.queue_depth.fetch_add(1, Ordering::Relaxed);
        tx.send(cmd).map_err(|_| {
            self.shared.queue_depth.fetch_sub(1, Ordering::Relaxed);
            self.closed()
        })
    }

    /// Sends a durable command and waits for its COMMIT.
    fn call<T>(&self, make: impl FnOnce(Reply<T>) -> Cmd) -> Result<T, StoreError> {
        let (reply, answer) = sync_channel(1);
        self.send(make(reply))?;
        answer.recv().map_err(|_| self.closed())?
    }

    /// Hot path: hands a batch of raw inputs to the writer. Waits only when the writer's
    /// queue is full (backpressure: nothing is dropped). Committed within
    /// `flush_interval`; [`Store::flush`] waits for it.
    pub fn record_raw(&self, frames: Vec<RawFrame>) -> Result<(), StoreError> {
        if frames.is_empty() {
            return Ok(());
        }
        self.send(Cmd::Raw(frames))
    }

    /// Durable: appends audit records, and the incident engine's snapshot when given, in one
    /// transaction; returns after its COMMIT with the records' sequence numbers, in order.
    pub fn append_audit(
        &self,
        records: Vec<AuditEntry>,
        incident_snapshot: Option<String>,
    ) -> Result<Vec<i64>, StoreError> {
        self.append_audit_of(RENEGADE_DESK, records, incident_snapshot)
    }

    /// [`Store::append_audit`] for the incident engine of `desk` ([`RENEGADE_DESK`],
    /// [`STATION_DESK`]): its snapshot is kept apart from the other desks'.
    pub fn append_audit_of(
        &self,
        desk: &str,
        records: Vec<AuditEntry>,
        incident_snapshot: Option<String>,
    ) -> Result<Vec<i64>, StoreError> {
        for r in &records {
            check_finite("audit time", r.at)?;
        }
        if records.is_empty() && incident_snapshot.is_none() {
            return Ok(Vec::new());
        }
        self.call(|reply| Cmd::Audit {
            records,
            snapshot: incident_snapshot.map(|j| (desk.to_owned(), j)),
            reply,
        })
    }

    /// Batched like raw inputs (committed within `flush_interval`): writes alerts, each
    /// replacing the row of the same id.
    pub fn upsert_alerts(&self, alerts: Vec<AlertRow>) -> Result<(), StoreError> {
        for a in &alerts {
            check_finite("alert raised time", a.raised)?;
            if let Some(c) = a.cleared {
                check_finite("alert cleared time", c)?;
            }
        }
        if alerts.is_empty() {
            return Ok(());
        }
        self.send(Cmd::Alerts(alerts))
    }

    /// Durable: records the configuration put in force at `at` (`origin`: its file, or who
    /// changed it), returning after the COMMIT.
    pub fn record_config(&self, at: f64, origin: &str, text: &str) -> Result<(), StoreError> {
        check_finite("configuration time", at)?;
        self.call(|reply| Cmd::Config {
            at,
            origin: origin.to_owned(),
            text: text.to_owned(),
            reply,
        })
    }

    /// Durable: adds the user, or replaces the one of the same name.
    pub fn put_user(&self, user: UserRow) -> Result<(), StoreError> {
        check_finite("user creation time", user.created)?;
        self.call(|reply| Cmd::PutUser(user, reply))
    }

    /// Durable: removes a user; `false` when there was none of that name.
    pub fn remove_user(&self, name: &str) -> Result<bool, StoreError> {
        self.call(|reply| Cmd::RemoveUser(name.to_owned(), reply))
    }

    /// Waits until everything queued before the call is committed. Fails when a batched
    /// transaction failed since the previous flush (its rows are lost).
    pub fn flush(&self) -> Result<(), StoreError> {
        self.call(Cmd::Flush)
    }

    /// Flushes, stops the writer and waits for it (done on drop too, ignoring failures).
    pub fn close(mut self) -> Result<(), StoreError> {
        let flushed = self.flush();
        let joined = self.shutdown();
        flushed.and(joined)
    }

    fn shutdown(&mut self) -> Result<(), StoreError> {
        // Dropping the only sender is the stop signal: the writer drains the queue,
        // commits and returns.
        self.tx = None;
        match self.writer.take() {
            Some(h) => h.join().map_err(|_| self.closed()),
            None => Ok(()),
        }
    }

    /// The counters.
    pub fn stats(&self) -> StoreStats {
        let s = &self.shared;
        StoreStats {
            raw_written: s.raw_written.load(Ordering::Relaxed),
            raw_batches: s.raw_batches.load(Ordering::Relaxed),
            raw_pruned: s.raw_pruned.load(Ordering::Relaxed),
            audit_written: s.audit_written.load(Ordering::Relaxed),
            queue_depth: s.queue_depth.load(Ordering::Relaxed),
            errors: s.errors.load(Ordering::Relaxed),
            last_error: s
                .last_error
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
        }
    }

    /// Runs `f` on a read connection from the pool (a new one when all are busy: a long
    /// replay does not hold up the other readers).
    fn read<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let pooled = self.readers.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let conn = match pooled {
            Some(c) => c,
            None => open_reader(&self.path)?,
        };
        let out = f(&conn);
        let mut pool = self.readers.lock().unwrap_or_else(|p| p.into_inner());
        if pool.len() < READER_POOL {
            pool.push(conn);
        }
        out
    }

    fn q(&self, what: &'static str) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
        move |e| sql_err(&self.path, what, e)
    }

    /// Raw inputs received in `from <= recv_time < to` (either bound open when `None`),
    /// ordered by receive time then insertion, passed to `f` until it returns `false`.
    /// Returns how many were passed.
    pub fn raw_frames(
        &self,
        from: Option<f64>,
        to: Option<f64>,
        mut f: impl FnMut(RawFrame) -> bool,
    ) -> Result<u64, StoreError> {
        let mut sql = String::from(
            "SELECT r.recv_time, s.name, r.kind, r.bytes, r.exercise
             FROM centre_raw r JOIN centre_sensors s ON s.id = r.sensor WHERE 1",
        );
        // Bounds written into the statement only when given, so the time index is used.
        let mut args: Vec<f64> = Vec::new();
        if let Some(a) = from {
            args.push(a);
            sql.push_str(&format!(" AND r.recv_time >= ?{}", args.len()));
        }
        if let Some(b) = to {
            args.push(b);
            sql.push_str(&format!(" AND r.recv_time < ?{}", args.len()));
        }
        sql.push_str(" ORDER BY r.recv_time, r.id");
        self.read(|c| {
            let q = self.q("read raw inputs");
            let mut stmt = c.prepare(&sql).map_err(&q)?;
            let mut rows = stmt
                .query(rusqlite::params_from_iter(args.iter()))
                .map_err(&q)?;
            let mut n = 0u64;
            while let Some(row) = rows.next().map_err(&q)? {
                let kind: i64 = row.get(2).map_err(&q)?;
                let kind = RawKind::from_code(kind).ok_or_else(|| StoreError::Corrupt {
                    path: self.path.clone(),
                    table: "centre_raw",
                    what: format!("unknown kind {kind}"),
                })?;
                let frame = RawFrame {
                    sensor: row.get(1).map_err(&q)?,
                    kind,
                    recv_time: row.get(0).map_err(&q)?,
                    bytes: row.get(3).map_err(&q)?,
                    exercise: row.get(4).map_err(&q)?,
                };
                n += 1;
                if !f(frame) {
                    break;
                }
            }
            Ok(n)
        })
    }

    /// First and last receive time of the raw inputs kept, and their number (`None` when
    /// there are none). Cheap at any size: two index look-ups and a kept count.
    pub fn raw_span(&self) -> Result<Option<(f64, f64, u64)>, StoreError> {
        self.read(|c| {
            let (first, last, n): (Option<f64>, Option<f64>, i64) = c
                .query_row(
                    // Separate sub-queries: each of min and max is then one index
                    // look-up, where together they would scan.
                    "SELECT (SELECT min(recv_time) FROM centre_raw),
                            (SELECT max(recv_time) FROM centre_raw),
                            (SELECT rows FROM centre_raw_count)",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .map_err(self.q("read the raw span"))?;
            Ok(match (first, last) {
                (Some(a), Some(b)) => Some((a, b, u64::try_from(n).unwrap_or(0))),
                _ => None,
            })
        })
    }

    /// Audit records with `seq > after_seq`, of `kind` when given, in sequence order, at
    /// most `limit`.
    pub fn audit(
        &self,
        kind: Option<&str>,
        after_seq: i64,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(|c| {
            let q = self.q("read the audit record");
            let map = |r: &rusqlite::Row<'_>| {
                Ok(AuditEntry {
                    seq: r.get(0)?,
                    at: r.get(1)?,
                    kind: r.get(2)?,
                    actor: r.get(3)?,
                    json: r.get(4)?,
                    exercise: r.get(5)?,
                })
            };
            let rows = match kind {
                Some(k) => c
                    .prepare_cached(
                        "SELECT seq, at, kind, actor, json, exercise FROM centre_audit
                         WHERE kind = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
                    )
                    .map_err(&q)?
                    .query_map(params![k, after_seq, limit], map)
                    .map_err(&q)?
                    .collect::<Result<Vec<_>, _>>(),
                None => c
                    .prepare_cached(
                        "SELECT seq, at, kind, actor, json, exercise FROM centre_audit
                         WHERE seq > ?1 ORDER BY seq LIMIT ?2",
                    )
                    .map_err(&q)?
                    .query_map(params![after_seq, limit], map)
                    .map_err(&q)?
                    .collect::<Result<Vec<_>, _>>(),
            };
            rows.map_err(&q)
        })
    }

    /// The renegade desk's incident engine's last snapshot, with the last audit seq it
    /// includes.
    pub fn latest_incident_snapshot(&self) -> Result<Option<(i64, String)>, StoreError> {
        self.latest_snapshot_of(RENEGADE_DESK)
    }

    /// The last incident snapshot of `desk`, with the last audit seq it includes.
    pub fn latest_snapshot_of(&self, desk: &str) -> Result<Option<(i64, String)>, StoreError> {
        self.read(|c| {
            c.query_row(
                "SELECT seq, json FROM centre_incident_snapshots WHERE desk = ?1
                 ORDER BY id DESC LIMIT 1",
                [desk],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(self.q("read the incident snapshot"))
        })
    }

    /// Every alert as last written, by id (as stored: ids above `i64::MAX` come first).
    pub fn alerts(&self) -> Result<Vec<AlertRow>, StoreError> {
        self.read(|c| {
            let q = self.q("read alerts");
            c.prepare_cached(
                "SELECT id, track, kind, raised, cleared, json, exercise FROM centre_alerts
                 ORDER BY id",
            )
            .map_err(&q)?
            .query_map([], |r| {
                Ok(AlertRow {
                    id: u64_of(r.get(0)?),
                    track: u64_of(r.get(1)?),
                    kind: r.get(2)?,
                    raised: r.get(3)?,
                    cleared: r.get(4)?,
                    json: r.get(5)?,
                    exercise: r.get(6)?,
                })
            })
            .map_err(&q)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(&q)
        })
    }

    /// Every user, by name.
    pub fn users(&self) -> Result<Vec<UserRow>, StoreError> {
        self.read(|c| {
            let q = self.q("read users");
            c.prepare_cached(
                "SELECT name, role, password_hash, created FROM centre_users ORDER BY name",
            )
            .map_err(&q)?
            .query_map([], |r| {
                Ok(UserRow {
                    name: r.get(0)?,
                    role: r.get(1)?,
                    password_hash: r.get(2)?,
                    created: r.get(3)?,
                })
            })
            .map_err(&q)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(&q)
        })
    }

    /// Every configuration recorded, oldest first: `(at, origin, text)`.
    pub fn configs(&self) -> Result<Vec<(f64, String, String)>, StoreError> {
        self.read(|c| {
            let q = self.q("read configurations");
            c.prepare_cached("SELECT at, origin, text FROM centre_configs ORDER BY id")
                .map_err(&q)?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .map_err(&q)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(&q)
        })
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        if let Err(e) = self.shutdown() {
            tracing::error!(error = %e, "store: writer did not stop cleanly");
        }
    }
}

/// A read-only connection to the store (the writer made and migrated the file already).
fn open_reader(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|source| StoreError::Open {
        path: path.to_owned(),
        source,
    })?;
    conn.busy_timeout(Duration::from_millis(u64::from(BUSY_TIMEOUT_MS)))
        .map_err(|e| sql_err(path, "set busy timeout", e))?;
    Ok(conn)
}
