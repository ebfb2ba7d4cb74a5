//! The pipeline: feed batches in, the air picture updated, changes published.
//!
//! One task owns the ingest loop. The picture sits behind a mutex shared with the HTTP
//! handlers, which hold it only to render JSON. Time: each item carries its own (recorded,
//! or the injected clock's at receipt); on recorded time, expiry follows the recording; on
//! the clock, it follows the clock. The pipeline itself never sleeps or reads the wall clock
//! except through the injected [`Clock`].

use axum::body::Bytes;
use serde_json::json;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::{Semaphore, broadcast, mpsc};
use tokio::time::{Duration, Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;
use vigil_core::{Clock, IcaoAddress, LatLon, Observation, UnixTime};
use vigil_feed::{FeedBatch, SensorHandle, TimeBase};
use vigil_picture::{Ingested, Picture};

use crate::radar::RadarShared;
use crate::tracking;

/// An ADS-B emergency / priority status decoded: the address, the status and when.
type EmergencyReport = (
    vigil_core::IcaoAddress,
    vigil_renegade::EmergencyStatus,
    UnixTime,
);

/// What the HTTP handlers share with the pipeline.
pub struct Shared {
    state: Mutex<PictureState>,
    /// Coalesced update lines for `/data/stream`, one message per flush.
    pub updates: broadcast::Sender<Bytes>,
    /// Every sensor's counters, indexed by sensor id.
    pub sensors: Vec<SensorHandle>,
    /// The injected clock.
    pub clock: Arc<dyn Clock>,
    /// Which time the picture runs on.
    pub time_base: TimeBase,
    /// The centre's name.
    pub centre: String,
    /// The reference position, if configured.
    pub reference: Option<LatLon>,
    /// How often stream lines are flushed, in milliseconds (readsb's `refresh`).
    pub refresh_ms: u64,
    /// Limits concurrent `/data/stream` clients.
    pub stream_slots: Arc<Semaphore>,
    /// The one shutdown signal.
    pub shutdown: CancellationToken,
    /// The ASTERIX sensors and CAT062 outputs.
    pub radar: Arc<RadarShared>,
    /// The system tracks, when the tracker runs.
    pub tracks: Option<Arc<tracking::TrackerShared>>,
    /// The centre's links, when it has any.
    pub links: Option<Arc<crate::links::LinksShared>>,
    /// The centre's party (`[centre] party`).
    pub party: String,
    /// Every feed has ended and the picture has taken all they sent.
    pub feeds_ended: std::sync::atomic::AtomicBool,
    /// The replay's control, when the centre replays recordings (`vigil replay`).
    pub replay: Option<Arc<vigil_feed::ReplayControl>>,
    /// The centre's store, and the feeds' names for its raw rows.
    pub store: Option<(Arc<crate::store::CentreStore>, Vec<String>)>,
    /// Whether the centre runs an exercise (`[centre] exercise`).
    pub exercise: bool,
}

/// The picture and its time.
pub struct PictureState {
    /// The air picture.
    pub picture: Picture,
    /// The latest recorded time ingested (recorded-time replays).
    latest: Option<UnixTime>,
    /// Items ingested since start.
    pub items: u64,
}

impl Shared {
    /// Shared state around a fresh picture.
    #[allow(clippy::too_many_arguments)] // plain wiring, called once
    pub fn new(
        picture: Picture,
        sensors: Vec<SensorHandle>,
        clock: Arc<dyn Clock>,
        time_base: TimeBase,
        centre: String,
        refresh_ms: u64,
        max_stream_clients: usize,
        shutdown: CancellationToken,
    ) -> Self {
        let reference = picture.config().reference;
        // A slow client may fall this many flushes behind before it is cut off (it then
        // reconnects and starts again from a snapshot).
        let (updates, _) = broadcast::channel(64);
        Self {
            state: Mutex::new(PictureState {
                picture,
                latest: None,
                items: 0,
            }),
            updates,
            sensors,
            clock,
            time_base,
            centre,
            reference,
            refresh_ms,
            stream_slots: Arc::new(Semaphore::new(max_stream_clients)),
            shutdown,
            radar: Arc::new(RadarShared::default()),
            tracks: None,
            links: None,
            party: String::new(),
            feeds_ended: std::sync::atomic::AtomicBool::new(false),
            replay: None,
            store: None,
            exercise: false,
        }
    }

    /// With the ASTERIX sensors' shared state.
    pub fn with_radar(mut self, radar: Arc<RadarShared>) -> Self {
        self.radar = radar;
        self
    }

    /// With the centre's links.
    pub fn with_links(mut self, links: Option<Arc<crate::links::LinksShared>>) -> Self {
        self.links = links;
        self
    }

    /// With the centre's store; `names` are the feeds' names by sensor id.
    pub fn with_store(
        mut self,
        store: Option<Arc<crate::store::CentreStore>>,
        names: Vec<String>,
    ) -> Self {
        self.store = store.map(|s| (s, names));
        self
    }

    /// With a replay's control (`vigil replay`).
    pub fn with_replay(mut self, control: Option<Arc<vigil_feed::ReplayControl>>) -> Self {
        self.replay = control;
        self
    }

    /// With the centre's party and exercise flag.
    pub fn with_identity(mut self, party: String, exercise: bool) -> Self {
        self.party = party;
        self.exercise = exercise;
        self
    }

    /// With the tracker's shared state.
    pub fn with_tracks(mut self, tracks: Option<Arc<tracking::TrackerShared>>) -> Self {
        self.tracks = tracks;
        self
    }

    /// Locks the picture. Held only for ingesting a batch or rendering JSON.
    pub fn lock(&self) -> MutexGuard<'_, PictureState> {
        // A panic inside the picture while locked would be a bug there; the state is still
        // the best picture there is, so keep serving it rather than failing every request.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The picture's present time: the latest recorded time on a replay, the clock otherwise.
    pub fn now(&self, state: &PictureState) -> UnixTime {
        match (self.time_base, state.latest) {
            (TimeBase::Recorded, Some(t)) => t,
            _ => self.clock.now(),
        }
    }
}

/// One `/data/stream` update line for an aircraft, or `None` if it is not in the picture.
pub fn update_line(picture: &Picture, icao: IcaoAddress, now: UnixTime, out: &mut Vec<u8>) {
    if let Some(aircraft) = picture.aircraft_json(icao, now) {
        push_line(
            out,
            &json!({"type": "update", "now": now.secs(), "aircraft": aircraft}),
        );
    }
}

/// Appends `value` and a newline.
pub fn push_line(out: &mut Vec<u8>, value: &serde_json::Value) {
    // Writing a Value to a Vec cannot fail (no I/O, string keys only).
    let _ = serde_json::to_writer(&mut *out, value);
    out.push(b'\n');
}

/// Update lines for every aircraft in the picture, then a `track` line for every system
/// track: what a new stream client starts from.
pub fn snapshot_lines(
    picture: &Picture,
    tracks: Option<&tracking::TrackerShared>,
    now: UnixTime,
) -> Vec<u8> {
    let mut out = Vec::new();
    let all = picture.readsb_json(now);
    if let Some(list) = all.get("aircraft").and_then(|a| a.as_array()) {
        for aircraft in list {
            push_line(
                &mut out,
                &json!({"type": "update", "now": now.secs(), "aircraft": aircraft}),
            );
        }
    }
    for line in tracks
        .map(tracking::TrackerShared::snapshot_lines)
        .unwrap_or_default()
    {
        push_line(&mut out, &line);
    }
    out
}

/// What changed since the last flush.
#[derive(Debug, Default)]
struct Changes {
    updated: BTreeSet<IcaoAddress>,
    expired: BTreeSet<IcaoAddress>,
}

impl Changes {
    fn is_empty(&self) -> bool {
        self.updated.is_empty() && self.expired.is_empty()
    }
    fn update(&mut self, icao: IcaoAddress) {
        self.expired.remove(&icao);
        self.updated.insert(icao);
    }
    fn expire(&mut self, icao: IcaoAddress) {
        self.updated.remove(&icao);
        self.expired.insert(icao);
    }
}

/// Pipeline timing.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Expiry check period, in picture-time seconds.
    pub expire_interval_s: f64,
    /// Stream flush period.
    pub flush: Duration,
    /// Heartbeat period on the stream.
    pub heartbeat: Duration,
    /// Status log period; `None` for none.
    pub status: Option<Duration>,
    /// The tracker's input: each fresh position becomes an ADS-B observation; `None` when
    /// the tracker is off.
    pub tracker: Option<mpsc::Sender<tracking::Input>>,
}

/// Runs until shutdown: ingests batches, expires aircraft, publishes changes.
pub async fn run(shared: Arc<Shared>, mut rx: mpsc::Receiver<FeedBatch>, settings: Settings) {
    let mut changes = Changes::default();
    let mut last_expire: Option<UnixTime> = None;
    let mut flush = tokio::time::interval(settings.flush);
    flush.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let status_period = settings.status.unwrap_or(Duration::from_secs(3600));
    let mut status = tokio::time::interval_at(Instant::now() + status_period, status_period);
    status.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut last_sent = Instant::now();
    let mut feeds_open = true;
    let mut status_mark = (Instant::now(), 0u64);

    loop {
        tokio::select! {
            biased;
            _ = shared.shutdown.cancelled() => break,
            batch = rx.recv(), if feeds_open => match batch {
                Some(batch) => {
                    if let Some((store, names)) = &shared.store {
                        let name = names.get(usize::from(batch.sensor.0)).map_or("?", String::as_str);
                        // Waits only when the store's queue is full (it writes in batches off
                        // this task); an error is counted in the store's stats and logged there.
                        let _ = store.record_batch(name, &batch);
                    }
                    let mut observations = Vec::new();
                    let mut emergencies = Vec::new();
                    let wanted = settings.tracker.is_some().then_some((&mut observations, &mut emergencies));
                    let now = ingest(&shared, &batch, &settings, &mut last_expire, &mut changes, wanted);
                    if let Some(tx) = &settings.tracker {
                        // Waits when the tracker is behind: feeds then wait too, nothing is
                        // dropped and a replay stays deterministic. An error only means the
                        // tracker has stopped (shutdown).
                        let _ = tx.send(tracking::Input::Adsb { now, observations, emergencies }).await;
                    }
                }
                None => {
                    feeds_open = false;
                    if let Some(tx) = &settings.tracker {
                        let _ = tx.send(tracking::Input::FeedsEnded).await;
                    }
                    shared.feeds_ended.store(true, std::sync::atomic::Ordering::Release);
                    let st = shared.lock();
                    tracing::info!(
                        aircraft = st.picture.len(),
                        items = st.items,
                        "every feed has ended; serving the picture as it stands"
                    );
                }
            },
            _ = flush.tick() => {
                if shared.time_base == TimeBase::Receipt {
                    let now = shared.clock.now();
                    if due(last_expire, now, settings.expire_interval_s) {
                        last_expire = Some(now);
                        for icao in shared.lock().picture.expire(now) {
                            changes.expire(icao);
                        }
                    }
                }
                let heartbeat = last_sent.elapsed() >= settings.heartbeat;
                let tracks = shared.tracks.is_some();
                if (!changes.is_empty() || heartbeat || tracks) && publish(&shared, &mut changes, heartbeat) {
                    last_sent = Instant::now();
                }
            }
            _ = status.tick(), if settings.status.is_some() => {
                let (aircraft, items, stats) = {
                    let st = shared.lock();
                    (st.picture.len(), st.items, st.picture.stats())
                };
                let (t0, n0) = status_mark;
                let rate = (items - n0) as f64 / t0.elapsed().as_secs_f64().max(1e-3);
                status_mark = (Instant::now(), items);
                let receiving = shared
                    .sensors
                    .iter()
                    .filter(|s| s.snapshot().state == vigil_feed::SensorState::Receiving)
                    .count();
                tracing::info!(
                    aircraft,
                    frames_per_s = (rate * 10.0).round() / 10.0,
                    items,
                    accepted = stats.accepted,
                    positions = stats.positions,
                    feeds_receiving = receiving,
                    feeds = shared.sensors.len(),
                    "status"
                );
            }
        }
    }
    tracing::debug!("pipeline stopped");
}

fn due(last: Option<UnixTime>, now: UnixTime, interval_s: f64) -> bool {
    last.is_none_or(|l| now.since(l) >= interval_s || now.since(l) < 0.0)
}

/// Ingests a batch; with `observations`, adds an ADS-B observation for each fresh position.
/// Returns the picture's time after it.
fn ingest(
    shared: &Shared,
    batch: &FeedBatch,
    settings: &Settings,
    last_expire: &mut Option<UnixTime>,
    changes: &mut Changes,
    mut observations: Option<(&mut Vec<Observation>, &mut Vec<EmergencyReport>)>,
) -> UnixTime {
    let mut st = shared.lock();
    let recorded = batch.time_base == TimeBase::Recorded && shared.time_base == TimeBase::Recorded;
    for item in &batch.items {
        let positions = st.picture.stats().positions;
        if let Ingested::Updated(icao) = st.picture.ingest(item.time, batch.sensor, &item.item) {
            changes.update(icao);
            if let Some((out, emergencies)) = observations.as_mut() {
                if let Some(e) = st.picture.get(icao).and_then(|a| a.emergency)
                    && e.at == item.time
                {
                    emergencies.push((icao, crate::exercise::emergency_status(e.value), e.at));
                }
                // A fresh position: a Mode S reply that decoded one (counted), or an SBS line
                // that carried one (set at this item's time).
                let fresh = st.picture.stats().positions != positions
                    || matches!(&item.item, vigil_codec::FeedItem::Sbs(m) if m.lat.is_some() && m.lon.is_some());
                if fresh
                    && let Some(a) = st.picture.get(icao)
                    && a.position.is_some_and(|p| p.at == item.time)
                    && let Some(o) = tracking::adsb_observation(a, batch.sensor)
                {
                    out.push(o);
                }
            }
        }
        if recorded {
            // A recording may step back a little (several receivers merged); the picture
            // clock does not.
            let latest = st
                .latest
                .map_or(item.time, |l| if item.time > l { item.time } else { l });
            st.latest = Some(latest);
            if due(*last_expire, latest, settings.expire_interval_s) {
                *last_expire = Some(latest);
                for icao in st.picture.expire(latest) {
                    changes.expire(icao);
                }
            }
        }
    }
    st.items += batch.items.len() as u64;
    shared.now(&st)
}

/// Sends the pending changes as one message of lines. Returns whether anything was sent.
fn publish(shared: &Shared, changes: &mut Changes, heartbeat: bool) -> bool {
    let pending = std::mem::take(changes);
    if shared.updates.receiver_count() == 0 {
        // Nobody listens: skip rendering. New clients start from a snapshot anyway.
        return false;
    }
    // Render and send under the lock, so that a client subscribing (also under the lock)
    // sees every change exactly once: in its snapshot or in a later message.
    let st = shared.lock();
    let now = shared.now(&st);
    let mut out = Vec::new();
    for icao in &pending.expired {
        push_line(
            &mut out,
            &json!({"type": "expired", "now": now.secs(), "hex": icao.to_string()}),
        );
    }
    for &icao in &pending.updated {
        update_line(&st.picture, icao, now, &mut out);
    }
    if let Some(tracks) = &shared.tracks {
        // Under the picture lock too (the tracker task never takes it): see above.
        for line in tracks.stream_lines() {
            push_line(&mut out, &line);
        }
    }
    if out.is_empty() {
        if !heartbeat {
            return false;
        }
        push_line(&mut out, &json!({"type": "heartbeat", "now": now.secs()}));
    }
    // An error only means every receiver has just gone.
    shared.updates.send(Bytes::from(out)).is_ok()
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::unwrap_used)] // tests: a failed expectation is the report
mod tests {
    use super::*;
    use vigil_codec::{FeedItem, ModeSFrame};
    use vigil_core::{ManualClock, SensorId};
    use vigil_feed::TimedItem;
    use vigil_picture::PictureConfig;

    fn shared(time_base: TimeBase) -> Arc<Shared> {
        let picture = Picture::new(PictureConfig {
            expire_after_s: 60.0,
            ..PictureConfig::default()
        });
        let clock = Arc::new(ManualClock::new(UnixTime(1000.0)));
        Arc::new(Shared::new(
            picture,
            Vec::new(),
            clock,
            time_base,
            "t".into(),
            1000,
            4,
            CancellationToken::new(),
        ))
    }

    /// KLM1023's identification (DF17, 4840d6), a real frame from the ADS-B literature.
    fn ident(t: f64) -> FeedBatch {
        let data = [
            0x8d, 0x48, 0x40, 0xd6, 0x20, 0x2c, 0xc3, 0x71, 0xc3, 0x2c, 0xe0, 0x57, 0x60, 0x98,
        ];
        let frame = ModeSFrame::new(&data, None, None).expect("14 bytes");
        FeedBatch {
            sensor: SensorId(0),
            time_base: TimeBase::Recorded,
            items: vec![TimedItem {
                time: UnixTime(t),
                item: FeedItem::ModeS(frame),
            }],
        }
    }

    fn lines(bytes: &Bytes) -> Vec<serde_json::Value> {
        bytes
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| serde_json::from_slice(l).unwrap())
            .collect()
    }

    #[test]
    fn changes_are_coalesced_per_aircraft_and_expiry_follows_recorded_time() {
        let shared = shared(TimeBase::Recorded);
        let mut rx = shared.updates.subscribe();
        let settings = Settings {
            expire_interval_s: 1.0,
            flush: Duration::from_secs(1),
            heartbeat: Duration::from_secs(15),
            status: None,
            tracker: None,
        };
        let (mut last_expire, mut changes) = (None, Changes::default());
        for t in [5000.0, 5000.5, 5001.0] {
            ingest(
                &shared,
                &ident(t),
                &settings,
                &mut last_expire,
                &mut changes,
                None,
            );
        }
        assert_eq!(
            shared.now(&shared.lock()),
            UnixTime(5001.0),
            "picture time is the recording's"
        );
        assert!(publish(&shared, &mut changes, false));
        let sent = lines(&rx.try_recv().expect("one message per flush"));
        assert_eq!(
            sent.len(),
            1,
            "three messages, one aircraft, one line: {sent:?}"
        );
        assert_eq!(sent[0]["type"], "update");
        assert_eq!(sent[0]["now"], 5001.0);
        assert_eq!(sent[0]["aircraft"]["hex"], "4840d6");
        assert!(
            !publish(&shared, &mut changes, false),
            "nothing new, no heartbeat due"
        );

        // 61 recorded seconds later any frame moves time on (this one even fails its parity
        // check): 4840d6 expires.
        let mut later = ident(5062.0);
        let other = [0x5d, 0x3c, 0x64, 0x8a, 0x00, 0x00, 0x00]; // DF11, bad parity
        later.items[0].item =
            FeedItem::ModeS(ModeSFrame::new(&other, None, None).expect("7 bytes"));
        ingest(
            &shared,
            &later,
            &settings,
            &mut last_expire,
            &mut changes,
            None,
        );
        publish(&shared, &mut changes, false);
        let sent = lines(&rx.try_recv().expect("expiry is published"));
        assert_eq!(sent[0]["type"], "expired");
        assert_eq!(sent[0]["hex"], "4840d6");
    }

    #[test]
    fn a_heartbeat_when_quiet_and_nothing_rendered_without_listeners() {
        let shared = shared(TimeBase::Receipt);
        let mut changes = Changes::default();
        changes.update(IcaoAddress::new(0x4840d6));
        assert!(
            !publish(&shared, &mut changes, true),
            "no subscriber: nothing sent"
        );
        assert!(
            changes.is_empty(),
            "changes are dropped: new subscribers start from a snapshot"
        );
        let mut rx = shared.updates.subscribe();
        assert!(publish(&shared, &mut changes, true));
        let sent = lines(&rx.try_recv().expect("heartbeat"));
        assert_eq!(sent[0]["type"], "heartbeat");
        assert_eq!(
            sent[0]["now"], 1000.0,
            "on the clock, now is the injected clock's"
        );
    }
}
