//! The centre's store (`[store]`, crate `vigil-store`): what the running centre writes there
//! and reads back after a restart.
//!
//! - Every Mode S frame the feeds deliver, with its receive time and sensor (raw inputs,
//!   batched off the hot path; pruned after `raw_retention_s`).
//! - Every incident audit record, with the incident engine's snapshot in the same
//!   transaction. An operator's action is answered only after that commit, so an
//!   acknowledged transition survives any crash; at start the desk resumes from the last
//!   snapshot.
//! - Logins, failed logins, logouts and writes (`access` records), the alerts, the
//!   configuration in force at each start, and users added with `vigil user add --store`.
//!
//! Every row carries the centre's exercise flag.

use std::path::PathBuf;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use vigil_store::{AlertRow, AuditEntry, RawFrame, RawKind, Store, StoreOptions};

use crate::renegade::CentreDesk;

/// `[store]`: the centre's SQLite file.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreSection {
    /// The file (relative: to the configuration's folder); none: nothing is stored.
    pub path: Option<PathBuf>,
    /// Record every Mode S frame the feeds deliver (for `vigil replay --store`).
    pub record_raw: bool,
    /// Raw frames older than this (seconds, by their receive time) are deleted; none: kept.
    /// Incidents, audit records, alerts and the ledger are always kept.
    pub raw_retention_s: Option<f64>,
}

impl Default for StoreSection {
    fn default() -> Self {
        StoreSection {
            path: None,
            record_raw: true,
            raw_retention_s: Some(7.0 * 86_400.0),
        }
    }
}

/// The open store and what the centre labels its rows with.
#[derive(Debug)]
pub struct CentreStore {
    /// The store.
    pub store: Store,
    /// The centre runs an exercise.
    pub exercise: bool,
    /// Whether raw frames are recorded.
    pub record_raw: bool,
}

impl CentreStore {
    /// Opens (or creates and migrates) the store.
    pub fn open(
        section: &StoreSection,
        base_dir: &std::path::Path,
        exercise: bool,
    ) -> Result<Option<CentreStore>> {
        let Some(path) = &section.path else {
            return Ok(None);
        };
        let path = if path.is_absolute() {
            path.clone()
        } else {
            base_dir.join(path)
        };
        let options = StoreOptions {
            raw_retention_s: section.raw_retention_s,
            ..StoreOptions::default()
        };
        let store = Store::open(&path, options)
            .with_context(|| format!("cannot open the store {}", path.display()))?;
        Ok(Some(CentreStore {
            store,
            exercise,
            record_raw: section.record_raw,
        }))
    }

    /// Writes the desk's new audit records and its snapshot, durably; returns once committed.
    pub fn persist_desk(&self, desk: &mut CentreDesk) -> Result<()> {
        let records = desk.take_unsaved();
        if records.is_empty() {
            return Ok(());
        }
        let entries = records
            .iter()
            .map(|r| {
                let v = serde_json::to_value(r).unwrap_or_default();
                AuditEntry {
                    seq: 0,
                    at: v["at"].as_f64().unwrap_or(0.0),
                    kind: "incident".into(),
                    actor: v["actor"]["user"].as_str().unwrap_or("system").to_owned(),
                    json: v.to_string(),
                    exercise: self.exercise,
                }
            })
            .collect();
        self.store
            .append_audit(entries, desk.incidents_snapshot())
            .context("cannot store the incident audit records")?;
        Ok(())
    }

    /// Resumes the desk from the store's last snapshot; returns the incidents restored.
    pub fn restore_desk(&self, desk: &mut CentreDesk) -> Result<usize> {
        let Some((_, snapshot)) = self.store.latest_incident_snapshot()? else {
            return Ok(0);
        };
        let mut audit = Vec::new();
        let mut after = 0;
        loop {
            let page = self.store.audit(Some("incident"), after, 5_000)?;
            let Some(last) = page.last() else { break };
            after = last.seq;
            audit.extend(
                page.iter()
                    .filter_map(|e| serde_json::from_str(&e.json).ok()),
            );
        }
        let keep = audit.len().saturating_sub(10_000);
        desk.restore(&snapshot, audit.split_off(keep))
    }

    /// Keeps the desk's alerts (active and recently cleared), batched.
    pub fn alerts(&self, desk: &CentreDesk) -> Result<()> {
        let v = desk.alerts_json();
        let rows: Vec<AlertRow> = ["active", "cleared"]
            .iter()
            .flat_map(|k| v[*k].as_array().cloned().unwrap_or_default())
            .filter_map(|a| {
                Some(AlertRow {
                    id: a["id"].as_u64()?,
                    track: a["track"].as_u64().unwrap_or(0),
                    kind: a["kind"].as_str().unwrap_or("").to_owned(),
                    raised: a["raised"].as_f64().unwrap_or(0.0),
                    cleared: a["cleared"].as_f64(),
                    json: a.to_string(),
                    exercise: self.exercise,
                })
            })
            .collect();
        if !rows.is_empty() {
            self.store.upsert_alerts(rows)?;
        }
        Ok(())
    }

    /// Records a feed batch's Mode S frames (SBS lines carry no frame and are not kept).
    pub fn record_batch(&self, sensor: &str, batch: &vigil_feed::FeedBatch) -> Result<()> {
        if !self.record_raw {
            return Ok(());
        }
        let frames: Vec<RawFrame> = batch
            .items
            .iter()
            .filter_map(|i| match &i.item {
                vigil_codec::FeedItem::ModeS(f) => Some(RawFrame {
                    sensor: sensor.to_owned(),
                    kind: RawKind::ModeS,
                    recv_time: i.time.secs(),
                    bytes: f.data().to_vec(),
                    exercise: self.exercise,
                }),
                vigil_codec::FeedItem::Sbs(_) => None,
            })
            .collect();
        if frames.is_empty() {
            return Ok(());
        }
        self.store.record_raw(frames)?;
        Ok(())
    }
}
