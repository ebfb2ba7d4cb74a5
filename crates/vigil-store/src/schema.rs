//! The centre's tables and their versioned migrations.
//!
//! The centre's SQLite file also holds the link and ledger tables, so every table here is
//! prefixed `centre_` and the version is one row (`component = 'centre'`) of the shared
//! `schema_version` table, beside the rows of `link` and `ledger`.
//!
//! A migration is a list of steps: step `i` (0-based) brings the schema from version `i` to
//! `i + 1`. Each step runs in its own `BEGIN IMMEDIATE` transaction together with the update
//! of its version row, so a crash or a concurrent opener never sees half a step, and two
//! processes opening an old file at once apply each step once.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

/// Version 1: raw inputs (with their sensors), the audit record, incident snapshots,
/// alerts, users and configurations.
const V1: &str = "
CREATE TABLE centre_sensors (
    id   INTEGER PRIMARY KEY,
    name TEXT    NOT NULL UNIQUE
);
-- Raw inputs. The sensor name is kept once in centre_sensors: at 100,000 frames/s a
-- repeated name would cost more than the frame itself.
CREATE TABLE centre_raw (
    id        INTEGER PRIMARY KEY, -- insertion order
    recv_time REAL    NOT NULL,    -- Unix seconds
    sensor    INTEGER NOT NULL,    -- centre_sensors.id
    kind      INTEGER NOT NULL,    -- 0 Mode S frame, 1 ASTERIX data block
    bytes     BLOB    NOT NULL,
    exercise  INTEGER NOT NULL
);
CREATE INDEX centre_raw_time ON centre_raw (recv_time);
-- The number of raw rows, kept by the writer in the transactions that add and delete them:
-- count(*) would scan the table (billions of rows at full rate).
CREATE TABLE centre_raw_count (
    one  INTEGER PRIMARY KEY CHECK (one = 1),
    rows INTEGER NOT NULL
);
INSERT INTO centre_raw_count VALUES (1, 0);
-- The audit record: every incident transition, access, ... Never pruned. AUTOINCREMENT:
-- a sequence number is never given twice, whatever is done to the table.
CREATE TABLE centre_audit (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    at       REAL    NOT NULL,
    kind     TEXT    NOT NULL,
    actor    TEXT    NOT NULL,
    json     TEXT    NOT NULL,
    exercise INTEGER NOT NULL
);
CREATE INDEX centre_audit_kind ON centre_audit (kind, seq);
-- The incident engine's state, written in the transaction of the audit records it
-- reflects; seq is the last audit seq it includes. Every snapshot is kept.
CREATE TABLE centre_incident_snapshots (
    id   INTEGER PRIMARY KEY,
    seq  INTEGER NOT NULL,
    json TEXT    NOT NULL
);
CREATE TABLE centre_alerts (
    id       INTEGER PRIMARY KEY, -- the alert's u64 id, bit for bit
    track    INTEGER NOT NULL,    -- u64, bit for bit
    kind     TEXT    NOT NULL,
    raised   REAL    NOT NULL,
    cleared  REAL,
    json     TEXT    NOT NULL,
    exercise INTEGER NOT NULL
);
CREATE TABLE centre_users (
    name          TEXT PRIMARY KEY,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created       REAL NOT NULL
);
CREATE TABLE centre_configs (
    id     INTEGER PRIMARY KEY,
    at     REAL NOT NULL,
    origin TEXT NOT NULL,
    text   TEXT NOT NULL
);
";

/// Version 2: incident snapshots name the desk whose engine they hold (the renegade desk's,
/// as every version 1 snapshot was, or the station's), so each desk resumes its own.
const V2: &str = "
ALTER TABLE centre_incident_snapshots ADD COLUMN desk TEXT NOT NULL DEFAULT 'renegade';
CREATE INDEX centre_incident_snapshots_desk ON centre_incident_snapshots (desk, id);
";

/// The migration steps, in order: `MIGRATIONS[i]` goes from version `i` to `i + 1`.
pub(crate) const MIGRATIONS: &[&str] = &[V1, V2];

/// The centre schema version this code writes and reads.
// The list is a handful of entries: the cast cannot truncate.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Why a migration did not happen.
#[derive(Debug)]
pub(crate) enum MigrateError {
    /// The file was written by a newer binary.
    Newer {
        /// The version in the file.
        found: i64,
    },
    /// SQLite failed.
    Sqlite(rusqlite::Error),
}

impl From<rusqlite::Error> for MigrateError {
    fn from(e: rusqlite::Error) -> Self {
        MigrateError::Sqlite(e)
    }
}

fn centre_version(conn: &Connection) -> rusqlite::Result<i64> {
    Ok(conn
        .query_row(
            "SELECT version FROM schema_version WHERE component = 'centre'",
            [],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(0))
}

/// Brings the centre tables to `steps.len()`, one transaction per step. Returns the version
/// found before. Refuses a file whose version is above `steps.len()` before changing
/// anything.
pub(crate) fn migrate(conn: &mut Connection, steps: &[&str]) -> Result<i64, MigrateError> {
    // The same statement as the ledger's: whichever component opens the file first makes it.
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_version (
             component TEXT PRIMARY KEY, version INTEGER NOT NULL)",
    )?;
    let latest = i64::try_from(steps.len()).unwrap_or(i64::MAX);
    let found = centre_version(conn)?;
    if found > latest {
        return Err(MigrateError::Newer { found });
    }
    for (i, step) in steps.iter().enumerate() {
        let target = i64::try_from(i + 1).unwrap_or(i64::MAX);
        // IMMEDIATE takes the write lock before reading the version: another process
        // migrating the same file waits (busy_timeout) and then sees the step done.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let now = centre_version(&tx)?;
        if now > latest {
            return Err(MigrateError::Newer { found: now });
        }
        if now >= target {
            continue;
        }
        tx.execute_batch(step)?;
        tx.execute(
            "INSERT OR REPLACE INTO schema_version (component, version) VALUES ('centre', ?1)",
            [target],
        )?;
        tx.commit()?;
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    /// A test-only step after this binary's last: the mechanism must carry a file, with its
    /// rows, to the next version.
    const TEST_NEXT: &str =
        "ALTER TABLE centre_users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;";

    #[test]
    fn v1_file_migrates_to_later_steps_keeping_rows() {
        let mut conn = Connection::open_in_memory().unwrap();
        assert_eq!(migrate(&mut conn, &MIGRATIONS[..1]).unwrap(), 0);
        conn.execute(
            "INSERT INTO centre_users VALUES ('anna', 'supervisor', '$argon2id$x', 1.5)",
            [],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO centre_incident_snapshots (seq, json) VALUES (4, '{}')",
            [],
        )
        .unwrap();
        let mut steps = MIGRATIONS.to_vec();
        steps.push(TEST_NEXT);
        assert_eq!(migrate(&mut conn, &steps).unwrap(), 1);
        let last = steps.len() as i64;
        assert_eq!(centre_version(&conn).unwrap(), last);
        // Version 2: a version 1 snapshot is the renegade desk's.
        let desk: String = conn
            .query_row("SELECT desk FROM centre_incident_snapshots", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(desk, "renegade");
        let (name, disabled): (String, i64) = conn
            .query_row("SELECT name, disabled FROM centre_users", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!((name.as_str(), disabled), ("anna", 0));
        // Again: nothing to do, nothing applied twice.
        assert_eq!(migrate(&mut conn, &steps).unwrap(), last);
        // And this binary's list refuses the newer file.
        assert!(matches!(
            migrate(&mut conn, MIGRATIONS),
            Err(MigrateError::Newer { found }) if found == last
        ));
    }

    #[test]
    fn a_failing_step_leaves_the_previous_version() {
        let mut conn = Connection::open_in_memory().unwrap();
        let steps = [
            MIGRATIONS[0],
            "CREATE TABLE centre_x (a); SELECT * FROM no_such_table;",
        ];
        assert!(matches!(
            migrate(&mut conn, &steps),
            Err(MigrateError::Sqlite(_))
        ));
        assert_eq!(centre_version(&conn).unwrap(), 1);
        let x: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = 'centre_x'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(x, 0, "the failed step was rolled back as a whole");
    }

    #[test]
    fn other_components_rows_are_left_alone() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE schema_version (component TEXT PRIMARY KEY, version INTEGER NOT NULL);
             INSERT INTO schema_version VALUES ('ledger', 1), ('link', 1);",
        )
        .unwrap();
        migrate(&mut conn, MIGRATIONS).unwrap();
        let n: i64 = conn
            .query_row(
                "SELECT count(*) FROM schema_version WHERE version = 1",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 2, "the ledger's and the link's rows are as they were");
        assert_eq!(centre_version(&conn).unwrap(), SCHEMA_VERSION);
    }
}
