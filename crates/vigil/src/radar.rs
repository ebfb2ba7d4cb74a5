//! The ASTERIX sensors' side of the pipeline: observations in, kept per sensor for
//! `/data/radar.json`, and handed on to the tracker task.
//!
//! A task of its own with a lock of its own: radar observations do not touch the Mode S
//! picture, so the two do not contend.

use serde_json::json;
use std::sync::{Mutex, MutexGuard};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use vigil_core::Geodetic;
use vigil_radar::{OutputHandle, RadarBatch, RadarHandle, RecentObservations, StoreLimits};

/// What the HTTP handlers read about the ASTERIX sensors and outputs.
pub struct RadarShared {
    store: Mutex<RecentObservations>,
    /// Every radar's counters, in configuration order.
    pub sensors: Vec<RadarHandle>,
    /// Every CAT062 output's counters.
    pub outputs: Mutex<Vec<OutputHandle>>,
}

impl Default for RadarShared {
    fn default() -> Self {
        Self::new(StoreLimits::default(), Vec::new())
    }
}

impl RadarShared {
    /// Shared state for running sensors, each with its configured antenna position (shown
    /// before the first plot).
    pub fn new(limits: StoreLimits, sensors: Vec<(RadarHandle, Option<Geodetic>)>) -> Self {
        let store = RecentObservations::new(
            limits,
            sensors.iter().map(|(h, origin)| {
                let s = h.snapshot();
                (s.id, s.name, *origin)
            }),
        );
        Self {
            store: Mutex::new(store),
            sensors: sensors.into_iter().map(|(h, _)| h).collect(),
            outputs: Mutex::new(Vec::new()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, RecentObservations> {
        // A panic while holding this lock would leave at worst a half-pruned list of plots:
        // keep serving it.
        self.store
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Registers a running CAT062 output.
    pub fn add_output(&self, handle: OutputHandle) {
        self.outputs
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(handle);
    }

    /// `/data/radar.json`'s `radars`.
    pub fn radars_json(&self) -> serde_json::Value {
        json!(self.lock().sensors())
    }

    /// `/data/sensors.json`'s `radars` and `outputs`.
    pub fn counters_json(&self) -> (serde_json::Value, serde_json::Value) {
        let radars: Vec<_> = self.sensors.iter().map(RadarHandle::snapshot).collect();
        let outputs: Vec<_> = self
            .outputs
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .iter()
            .map(OutputHandle::snapshot)
            .collect();
        (json!(radars), json!(outputs))
    }
}

/// Takes observations until shutdown or until every ASTERIX source has ended; with
/// `tracker`, hands each batch on (waiting when the tracker is behind).
pub async fn run(
    shared: std::sync::Arc<RadarShared>,
    mut rx: mpsc::Receiver<RadarBatch>,
    tracker: Option<mpsc::Sender<crate::tracking::Input>>,
    shutdown: CancellationToken,
) {
    loop {
        let batch = tokio::select! {
            biased;
            _ = shutdown.cancelled() => break,
            b = rx.recv() => b,
        };
        match batch {
            Some(b) => {
                shared.lock().push(b.sensor, &b.observations);
                if let Some(tx) = &tracker {
                    // An error only means the tracker has stopped (shutdown).
                    let _ = tx.send(crate::tracking::Input::Radar(b)).await;
                }
            }
            None => break,
        }
    }
    tracing::debug!("radar observation task stopped");
}
