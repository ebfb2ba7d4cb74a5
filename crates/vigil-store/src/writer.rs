//! The writer thread: the only connection that writes the centre tables.
//!
//! Batched rows (raw inputs, alerts) wait in memory until `batch_max` rows or
//! `flush_interval` and are committed in one transaction. A durable command first commits
//! what is waiting (so the file always holds a prefix of what was asked), then runs in its
//! own transaction and answers after its COMMIT. Retention deletes run in chunks between
//! commands.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Instant;

use rusqlite::{Connection, Transaction, params};

use crate::{
    AlertRow, AuditEntry, Cmd, PRUNE_CHUNK, PRUNE_EVERY, RawFrame, Shared, StoreError,
    StoreOptions, UserRow, i64_of, sql_err,
};

/// The writer's state; moved into its thread.
pub(crate) struct Writer {
    conn: Connection,
    path: PathBuf,
    options: StoreOptions,
    shared: Arc<Shared>,
    /// Sensor name to `centre_sensors.id`, as committed.
    sensors: HashMap<String, i64>,
    pending_raw: Vec<Vec<RawFrame>>,
    pending_rows: usize,
    pending_alerts: Vec<AlertRow>,
    /// When the oldest waiting row was queued.
    pending_since: Option<Instant>,
    /// Batched transactions failed since the last flush, and the last failure.
    failed_since_flush: u64,
    last_failure: String,
    /// Newest receive time committed.
    newest: Option<f64>,
    /// Newest receive time when the last retention pass started, and when it started.
    pruned_basis: Option<f64>,
    last_prune: Option<Instant>,
    /// The cutoff of the retention pass in progress.
    prune_cutoff: Option<f64>,
}

impl Writer {
    /// Takes the migrated connection and loads what the writer keeps in memory.
    pub(crate) fn new(
        conn: Connection,
        path: PathBuf,
        options: StoreOptions,
        shared: Arc<Shared>,
    ) -> Result<Writer, StoreError> {
        let sensors = load_sensors(&conn).map_err(|e| sql_err(&path, "read sensors", e))?;
        let newest: Option<f64> = conn
            .query_row("SELECT max(recv_time) FROM centre_raw", [], |r| r.get(0))
            .map_err(|e| sql_err(&path, "read the newest raw input", e))?;
        Ok(Writer {
            conn,
            path,
            options,
            shared,
            sensors,
            pending_raw: Vec::new(),
            pending_rows: 0,
            pending_alerts: Vec::new(),
            pending_since: None,
            failed_since_flush: 0,
            last_failure: String::new(),
            newest,
            pruned_basis: None,
            last_prune: None,
            prune_cutoff: None,
        })
    }

    /// Serves commands until every sender is gone, then commits what is waiting.
    pub(crate) fn run(mut self, rx: Receiver<Cmd>) {
        loop {
            self.schedule_prune();
            let got = match self.wait_until() {
                None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
                Some(t) => rx.recv_timeout(t.saturating_duration_since(Instant::now())),
            };
            match got {
                Ok(cmd) => {
                    self.shared.queue_depth.fetch_sub(1, Ordering::Relaxed);
                    self.handle(cmd);
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
            if self.pending_rows >= self.options.batch_max
                || self
                    .pending_since
                    .is_some_and(|t| t.elapsed() >= self.options.flush_interval)
            {
                self.commit_pending();
            }
            if self.prune_cutoff.is_some() {
                self.prune_chunk();
            }
        }
        self.commit_pending();
    }

    /// When the loop must wake up even without a command: `None` waits for one.
    fn wait_until(&self) -> Option<Instant> {
        let now = Instant::now();
        if self.prune_cutoff.is_some() {
            // A retention pass is in progress: keep deleting while idle.
            return Some(now);
        }
        let flush = self.pending_since.map(|t| t + self.options.flush_interval);
        let prune = self.prune_due();
        match (flush, prune) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// When the next retention pass may start, if one has anything new to do.
    fn prune_due(&self) -> Option<Instant> {
        self.options.raw_retention_s?;
        let newest = self.newest?;
        if self.pruned_basis.is_some_and(|b| b >= newest) {
            return None;
        }
        Some(
            self.last_prune
                .map_or_else(Instant::now, |t| t + PRUNE_EVERY),
        )
    }

    fn schedule_prune(&mut self) {
        if self.prune_cutoff.is_some() {
            return;
        }
        let (Some(retention), Some(due), Some(newest)) =
            (self.options.raw_retention_s, self.prune_due(), self.newest)
        else {
            return;
        };
        if Instant::now() >= due {
            self.prune_cutoff = Some(newest - retention);
            self.pruned_basis = Some(newest);
            self.last_prune = Some(Instant::now());
        }
    }

    /// Deletes one chunk of raw rows older than the cutoff; ends the pass when fewer
    /// remained.
    fn prune_chunk(&mut self) {
        let Some(cutoff) = self.prune_cutoff else {
            return;
        };
        let chunk = i64::try_from(PRUNE_CHUNK).unwrap_or(i64::MAX);
        let res = self.conn.transaction().and_then(|tx| {
            let n = tx.execute(
                "DELETE FROM centre_raw WHERE id IN (
                     SELECT id FROM centre_raw WHERE recv_time < ?1 ORDER BY recv_time LIMIT ?2)",
                params![cutoff, chunk],
            )?;
            tx.execute(
                "UPDATE centre_raw_count SET rows = rows - ?1",
                [i64::try_from(n).unwrap_or(i64::MAX)],
            )?;
            tx.commit()?;
            Ok(n)
        });
        match res {
            Ok(n) => {
                self.shared
                    .raw_pruned
                    .fetch_add(n as u64, Ordering::Relaxed);
                if n < PRUNE_CHUNK {
                    self.prune_cutoff = None;
                }
            }
            Err(e) => {
                // Tried again at the next pass, not in a loop.
                self.prune_cutoff = None;
                let e = sql_err(&self.path, "delete old raw inputs", e);
                tracing::error!(error = %e, "store: retention pass failed");
                self.shared.fail(e.to_string());
            }
        }
    }

    fn handle(&mut self, cmd: Cmd) {
        match cmd {
            Cmd::Raw(batch) => {
                self.pending_rows += batch.len();
                self.pending_raw.push(batch);
                self.pending_since.get_or_insert_with(Instant::now);
            }
            Cmd::Alerts(alerts) => {
                self.pending_rows += alerts.len();
                self.pending_alerts.extend(alerts);
                self.pending_since.get_or_insert_with(Instant::now);
            }
            Cmd::Audit {
                records,
                snapshot,
                reply,
            } => {
                self.commit_pending();
                let r = self.durable("append audit records", |tx| {
                    append_audit(
                        tx,
                        &records,
                        snapshot.as_ref().map(|(d, j)| (d.as_str(), j.as_str())),
                    )
                });
                if r.is_ok() {
                    self.shared
                        .audit_written
                        .fetch_add(records.len() as u64, Ordering::Relaxed);
                }
                // The caller may have gone (its thread ended): nothing to tell then.
                let _ = reply.send(r);
            }
            Cmd::Config {
                at,
                origin,
                text,
                reply,
            } => {
                self.commit_pending();
                let r = self.durable("record the configuration", |tx| {
                    tx.execute(
                        "INSERT INTO centre_configs (at, origin, text) VALUES (?1, ?2, ?3)",
                        params![at, origin, text],
                    )
                    .map(|_| ())
                });
                let _ = reply.send(r);
            }
            Cmd::PutUser(user, reply) => {
                self.commit_pending();
                let r = self.durable("write a user", |tx| put_user(tx, &user));
                let _ = reply.send(r);
            }
            Cmd::RemoveUser(name, reply) => {
                self.commit_pending();
                let r = self.durable("remove a user", |tx| {
                    tx.execute("DELETE FROM centre_users WHERE name = ?1", [&name])
                        .map(|n| n > 0)
                });
                let _ = reply.send(r);
            }
            Cmd::Flush(reply) => {
                self.commit_pending();
                let r = if self.failed_since_flush == 0 {
                    Ok(())
                } else {
                    Err(StoreError::BatchFailed {
                        path: self.path.clone(),
                        failed: self.failed_since_flush,
                        last: std::mem::take(&mut self.last_failure),
                    })
                };
                self.failed_since_flush = 0;
                let _ = reply.send(r);
            }
        }
    }

    /// Runs `f` in one transaction; the result is known committed when `Ok`.
    fn durable<T>(
        &mut self,
        what: &'static str,
        f: impl FnOnce(&Transaction<'_>) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        let r = self.conn.transaction().and_then(|tx| {
            let v = f(&tx)?;
            tx.commit()?;
            Ok(v)
        });
        r.map_err(|e| {
            let e = sql_err(&self.path, what, e);
            tracing::error!(error = %e, "store: durable write failed");
            self.shared.fail(e.to_string());
            e
        })
    }

    /// Commits the waiting raw inputs and alerts in one transaction.
    fn commit_pending(&mut self) {
        if self.pending_raw.is_empty() && self.pending_alerts.is_empty() {
            return;
        }
        let raw = std::mem::take(&mut self.pending_raw);
        let alerts = std::mem::take(&mut self.pending_alerts);
        let rows = self.pending_rows;
        self.pending_rows = 0;
        self.pending_since = None;
        let mut skipped = 0u64;
        let mut written = 0u64;
        let mut newest = self.newest;
        let sensors = &mut self.sensors;
        let r = self.conn.transaction().and_then(|tx| {
            insert_raw(&tx, sensors, &raw, &mut skipped, &mut written, &mut newest)?;
            if written > 0 {
                tx.execute(
                    "UPDATE centre_raw_count SET rows = rows + ?1",
                    [i64::try_from(written).unwrap_or(i64::MAX)],
                )?;
            }
            upsert_alerts(&tx, &alerts)?;
            tx.commit()
        });
        if skipped > 0 {
            let msg = format!(
                "{} skipped {skipped} raw input(s) with a non-finite receive time",
                self.path.display()
            );
            tracing::warn!(path = %self.path.display(), skipped, "store: raw inputs with a non-finite receive time skipped");
            self.shared.errors.fetch_add(skipped - 1, Ordering::Relaxed);
            self.shared.fail(msg);
        }
        match r {
            Ok(()) => {
                self.newest = newest;
                if written > 0 {
                    self.shared
                        .raw_written
                        .fetch_add(written, Ordering::Relaxed);
                    self.shared.raw_batches.fetch_add(1, Ordering::Relaxed);
                }
            }
            Err(e) => {
                let e = sql_err(&self.path, "commit raw inputs and alerts", e);
                tracing::error!(error = %e, rows, "store: batch lost (not retried)");
                self.failed_since_flush += 1;
                self.last_failure = e.to_string();
                self.shared.fail(e.to_string());
                // Sensors added in the rolled-back transaction are not in the file.
                match load_sensors(&self.conn) {
                    Ok(s) => self.sensors = s,
                    Err(_) => self.sensors.clear(),
                }
            }
        }
    }
}

fn load_sensors(conn: &Connection) -> rusqlite::Result<HashMap<String, i64>> {
    let mut stmt = conn.prepare("SELECT name, id FROM centre_sensors")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}

fn insert_raw(
    tx: &Transaction<'_>,
    sensors: &mut HashMap<String, i64>,
    raw: &[Vec<RawFrame>],
    skipped: &mut u64,
    written: &mut u64,
    newest: &mut Option<f64>,
) -> rusqlite::Result<()> {
    if raw.is_empty() {
        return Ok(());
    }
    let mut insert = tx.prepare_cached(
        "INSERT INTO centre_raw (recv_time, sensor, kind, bytes, exercise)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    // Cache of the last sensor: a batch is usually one sensor's.
    let mut last: Option<(&str, i64)> = None;
    for f in raw.iter().flatten() {
        if !f.recv_time.is_finite() {
            // SQLite would store NaN as NULL and refuse the whole batch: skip the one.
            *skipped += 1;
            continue;
        }
        let sensor = match last {
            Some((name, id)) if name == f.sensor => id,
            _ => {
                let id = match sensors.get(&f.sensor) {
                    Some(&id) => id,
                    None => {
                        tx.execute("INSERT INTO centre_sensors (name) VALUES (?1)", [&f.sensor])?;
                        let id = tx.last_insert_rowid();
                        sensors.insert(f.sensor.clone(), id);
                        id
                    }
                };
                last = Some((&f.sensor, id));
                id
            }
        };
        insert.execute(params![
            f.recv_time,
            sensor,
            f.kind.code(),
            f.bytes,
            f.exercise
        ])?;
        *written += 1;
        if newest.is_none_or(|n| f.recv_time > n) {
            *newest = Some(f.recv_time);
        }
    }
    Ok(())
}

fn upsert_alerts(tx: &Transaction<'_>, alerts: &[AlertRow]) -> rusqlite::Result<()> {
    if alerts.is_empty() {
        return Ok(());
    }
    let mut stmt = tx.prepare_cached(
        "INSERT INTO centre_alerts (id, track, kind, raised, cleared, json, exercise)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (id) DO UPDATE SET track = excluded.track, kind = excluded.kind,
             raised = excluded.raised, cleared = excluded.cleared, json = excluded.json,
             exercise = excluded.exercise",
    )?;
    for a in alerts {
        stmt.execute(params![
            i64_of(a.id),
            i64_of(a.track),
            a.kind,
            a.raised,
            a.cleared,
            a.json,
            a.exercise
        ])?;
    }
    Ok(())
}

fn append_audit(
    tx: &Transaction<'_>,
    records: &[AuditEntry],
    snapshot: Option<(&str, &str)>,
) -> rusqlite::Result<Vec<i64>> {
    let mut seqs = Vec::with_capacity(records.len());
    {
        let mut stmt = tx.prepare_cached(
            "INSERT INTO centre_audit (at, kind, actor, json, exercise)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for r in records {
            stmt.execute(params![r.at, r.kind, r.actor, r.json, r.exercise])?;
            seqs.push(tx.last_insert_rowid());
        }
    }
    if let Some((desk, json)) = snapshot {
        let seq = match seqs.last() {
            Some(&s) => s,
            None => tx.query_row("SELECT coalesce(max(seq), 0) FROM centre_audit", [], |r| {
                r.get(0)
            })?,
        };
        tx.execute(
            "INSERT INTO centre_incident_snapshots (seq, json, desk) VALUES (?1, ?2, ?3)",
            params![seq, json, desk],
        )?;
    }
    Ok(seqs)
}

fn put_user(tx: &Transaction<'_>, u: &UserRow) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO centre_users (name, role, password_hash, created) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (name) DO UPDATE SET role = excluded.role,
             password_hash = excluded.password_hash, created = excluded.created",
        params![u.name, u.role, u.password_hash, u.created],
    )?;
    Ok(())
}
