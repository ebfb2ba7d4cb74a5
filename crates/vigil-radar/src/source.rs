//! The source tasks: a UDP socket, a capture replay, a raw block file.

use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TrySendError;
use tokio::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use vigil_asterix::pcap::read_capture;
use vigil_core::{Clock, Observation, SensorId, UnixTime};

use crate::RadarBatch;
use crate::config::{PcapSource, Timestamps, UdpSource};
use crate::convert::Converter;
use crate::stats::{LogOnce, RadarHandle, RadarState};

/// The task must stop: shutdown, or the pipeline has gone.
#[derive(Debug)]
pub(crate) struct Stop;

/// A raw file's observations go to the pipeline in batches of at most this many.
const FILE_BATCH: usize = 1024;

/// What every source task holds.
pub(crate) struct Source {
    pub(crate) sensor: SensorId,
    pub(crate) name: String,
    pub(crate) conv: Converter,
    pub(crate) stats: RadarHandle,
    pub(crate) tx: mpsc::Sender<RadarBatch>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) cancel: CancellationToken,
    pub(crate) logged: LogOnce,
}

impl Source {
    pub(crate) fn set_state(&self, state: RadarState) {
        self.stats.update(|s| s.state = state);
    }

    /// Notes an I/O error on the status page; logs it at `warn` the first time its kind is
    /// seen on this sensor. Returns whether it was the first.
    fn error(&mut self, kind: &'static str, message: String) -> bool {
        let first = self.logged.first(kind);
        self.stats.update(|s| {
            s.counters.error(kind);
            s.last_error = Some(message);
        });
        first
    }

    /// Converts one datagram's blocks, counting everything in one lock.
    fn datagram(&mut self, bytes: &[u8], received: UnixTime) -> Vec<Observation> {
        let now = self.clock.now();
        let mut out = Vec::new();
        self.stats.update(|s| {
            s.last_data = Some(now);
            self.conv.datagram(bytes, received, s, &mut out);
        });
        out
    }

    /// Hands observations to the pipeline without waiting: a UDP sender cannot be slowed
    /// down, so when the pipeline lags the choice is between the kernel dropping datagrams
    /// silently and dropping them here, counted. Here it is.
    fn offer(&mut self, received: UnixTime, observations: Vec<Observation>) -> Result<(), Stop> {
        if observations.is_empty() {
            return Ok(());
        }
        let batch = RadarBatch {
            sensor: self.sensor,
            received,
            observations,
        };
        match self.tx.try_send(batch) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(batch)) => {
                let n = batch.observations.len() as u64;
                self.stats.update(|s| s.counters.dropped_observations += n);
                if self.logged.first("pipeline_full") {
                    tracing::warn!(
                        sensor = %self.name,
                        "the pipeline is not keeping up with this radar: observations are \
                         dropped and counted (dropped_observations; logged once)"
                    );
                }
                Ok(())
            }
            Err(TrySendError::Closed(_)) => Err(Stop),
        }
    }

    /// Hands observations to the pipeline, waiting while it is busy: a file can wait.
    async fn send(
        &mut self,
        received: UnixTime,
        observations: Vec<Observation>,
    ) -> Result<(), Stop> {
        if observations.is_empty() {
            return Ok(());
        }
        let batch = RadarBatch {
            sensor: self.sensor,
            received,
            observations,
        };
        tokio::select! {
            biased;
            _ = self.cancel.cancelled() => Err(Stop),
            sent = self.tx.send(batch) => sent.map_err(|_| Stop),
        }
    }

    async fn sleep_until(&self, t: Instant) -> Result<(), Stop> {
        tokio::select! {
            biased;
            _ = self.cancel.cancelled() => Err(Stop),
            _ = tokio::time::sleep_until(t) => Ok(()),
        }
    }
}

/// Receives datagrams until shutdown.
pub(crate) async fn run_udp(cfg: UdpSource, socket: tokio::net::UdpSocket, mut src: Source) {
    src.set_state(RadarState::Listening);
    tracing::info!(
        sensor = %src.name,
        listen = %cfg.listen,
        group = ?cfg.group,
        interface = ?cfg.interface,
        "receiving ASTERIX over UDP"
    );
    let quiet = Duration::from_secs_f64(cfg.quiet_after_s);
    // The largest UDP payload.
    let mut buf = vec![0u8; 65_536];
    let mut receiving = false;
    loop {
        let read = tokio::select! {
            biased;
            _ = src.cancel.cancelled() => break,
            r = tokio::time::timeout(quiet, src_recv(&socket, &mut buf)) => r,
        };
        match read {
            Err(_) => {
                if receiving || src.stats.snapshot().state == RadarState::Listening {
                    receiving = false;
                    src.set_state(RadarState::Quiet);
                    let message = format!("no datagram for {} s", cfg.quiet_after_s);
                    if src.error("quiet", message.clone()) {
                        tracing::warn!(sensor = %src.name, listen = %cfg.listen, group = ?cfg.group, "{message} (is the radar sending, and to this address? a multicast group needs the right interface)");
                    } else {
                        tracing::debug!(sensor = %src.name, "{message}");
                    }
                }
            }
            Ok(Ok(n)) => {
                if !receiving {
                    receiving = true;
                    src.set_state(RadarState::Receiving);
                }
                let received = src.clock.now();
                let observations = src.datagram(&buf[..n], received);
                if src.offer(received, observations).is_err() {
                    break;
                }
            }
            Ok(Err(e)) => {
                let message = format!("receive error: {e}");
                if src.error("recv", message.clone()) {
                    tracing::warn!(sensor = %src.name, error = %e, "UDP receive error (counted; logged once)");
                }
                // Errors on an unconnected UDP socket are transient (an ICMP report, a full
                // buffer); pause so that a persistent one cannot spin.
                if src
                    .sleep_until(Instant::now() + Duration::from_millis(100))
                    .await
                    .is_err()
                {
                    break;
                }
            }
        }
    }
    src.set_state(RadarState::Stopped);
    tracing::debug!(sensor = %src.name, "UDP source stopped");
}

async fn src_recv(socket: &tokio::net::UdpSocket, buf: &mut [u8]) -> std::io::Result<usize> {
    socket.recv_from(buf).await.map(|(n, _)| n)
}

/// Replays a capture to its end (or shutdown).
pub(crate) async fn run_pcap(cfg: PcapSource, path: PathBuf, mut src: Source) {
    let shown = path.display().to_string();
    let bytes = match tokio::fs::read(&path).await {
        Ok(b) => b,
        Err(e) => return failed(&mut src, "open", format!("cannot read {shown}: {e}")),
    };
    let capture = match read_capture(&bytes) {
        Ok(c) => c,
        Err(e) => return failed(&mut src, "capture", format!("{shown}: {e}")),
    };
    src.set_state(RadarState::Receiving);
    src.stats
        .update(|s| s.counters.other_packets += capture.other_packets as u64);
    if capture.truncated {
        src.error("capture_truncated", format!("{shown} ends inside a packet"));
    }
    tracing::info!(sensor = %src.name, path = %shown, datagrams = capture.datagrams.len(), speed = ?cfg.speed, "replaying capture");
    let mut origin: Option<(UnixTime, Instant)> = None;
    let mut state = RadarState::Finished;
    for dg in &capture.datagrams {
        if src.cancel.is_cancelled() {
            state = RadarState::Stopped;
            break;
        }
        if cfg.port.is_some_and(|p| dg.dst.port() != p) {
            src.stats.update(|s| s.counters.other_packets += 1);
            continue;
        }
        if let Some(speed) = cfg.speed {
            let (t0, i0) = *origin.get_or_insert((dg.timestamp, Instant::now()));
            // A capture that steps back in time is replayed without waiting.
            let ahead = (dg.timestamp.since(t0) / speed).clamp(0.0, 1e9);
            if src
                .sleep_until(i0 + Duration::from_secs_f64(ahead))
                .await
                .is_err()
            {
                state = RadarState::Stopped;
                break;
            }
        }
        let received = match cfg.timestamps {
            Timestamps::Recorded => dg.timestamp,
            Timestamps::Receipt => src.clock.now(),
        };
        let observations = src.datagram(dg.payload, received);
        if src.send(received, observations).await.is_err() {
            state = RadarState::Stopped;
            break;
        }
    }
    finish(&src, state);
}

/// Reads a file of data blocks to its end; its ASTERIX times of day are dated by the clock.
pub(crate) async fn run_raw(path: PathBuf, mut src: Source) {
    let shown = path.display().to_string();
    let bytes = match tokio::fs::read(&path).await {
        Ok(b) => b,
        Err(e) => return failed(&mut src, "open", format!("cannot read {shown}: {e}")),
    };
    src.set_state(RadarState::Receiving);
    tracing::info!(sensor = %src.name, path = %shown, bytes = bytes.len(), "reading ASTERIX block file");
    let received = src.clock.now();
    let now = received;
    let mut observations = Vec::new();
    src.stats.update(|s| {
        s.last_data = Some(now);
        src.conv.blocks(&bytes, received, s, &mut observations);
    });
    let mut state = RadarState::Finished;
    let mut rest = observations.into_iter().peekable();
    while rest.peek().is_some() {
        let chunk: Vec<Observation> = rest.by_ref().take(FILE_BATCH).collect();
        if src.send(received, chunk).await.is_err() {
            state = RadarState::Stopped;
            break;
        }
    }
    finish(&src, state);
}

fn failed(src: &mut Source, kind: &'static str, message: String) {
    tracing::error!(sensor = %src.name, "{message}; this sensor stops");
    src.error(kind, message);
    src.set_state(RadarState::Failed);
}

fn finish(src: &Source, state: RadarState) {
    src.set_state(state);
    let s = src.stats.snapshot();
    tracing::info!(
        sensor = %src.name,
        state = ?state,
        datagrams = s.counters.datagrams,
        blocks = s.counters.blocks,
        records = s.counters.records,
        observations = s.counters.observations,
        errors = s.counters.errors.values().sum::<u64>(),
        "ASTERIX file done"
    );
}
