//! The UI's live feed: `GET /ws`, a WebSocket of JSON messages.
//!
//! One task ([`run`]) builds the map's view once a second: a compact row per track (own
//! system tracks, or the picture's aircraft when the tracker is off, and partner-released
//! tracks), compared with the last second's, so that only what changed goes out (`upd`,
//! `del`). Alerts, incidents and link states go out whole, and only when they changed. Each
//! result is one [`Frame`] on a broadcast channel; a client that falls behind gets a fresh
//! snapshot instead of the frames it missed. Messages are serialised once for all clients.
//!
//! Messages: `hello` (who, centre, workflow), `tracks` (`full` snapshot or delta), `alerts`,
//! `incidents`, `links`, `replay` (a replay's state). The shapes are in docs/http-api.md.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::sync::{Semaphore, broadcast};
use tokio_util::sync::CancellationToken;

use crate::access::{Access, Via, Who};
use crate::pipeline::Shared;

/// Row flag: the track is coasting (no update lately).
pub const COASTING: u8 = 1;
/// Row flag: the tracker flags "transponder lost" (primary radar only).
pub const TRANSPONDER_LOST: u8 = 2;
/// Row flag: a partner released it.
pub const PARTNER: u8 = 4;
/// Row flag: an active alert or open incident.
pub const FLAGGED: u8 = 8;

/// One track as the map draws it.
#[derive(Debug, Clone, PartialEq)]
pub struct UiRow {
    /// Degrees.
    pub lat: f64,
    /// Degrees.
    pub lon: f64,
    /// Feet.
    pub alt_ft: Option<f64>,
    /// Knots.
    pub gs_kt: Option<f64>,
    /// Degrees from north.
    pub track_deg: Option<f64>,
    /// Four octal digits.
    pub squawk: Option<String>,
    /// Callsign.
    pub callsign: Option<String>,
    /// [`COASTING`] | [`TRANSPONDER_LOST`] | [`PARTNER`] | [`FLAGGED`].
    pub flags: u8,
}

impl UiRow {
    fn json(&self, id: &str) -> Value {
        json!([
            id,
            self.lat,
            self.lon,
            self.alt_ft,
            self.gs_kt,
            self.track_deg,
            self.squawk,
            self.callsign,
            self.flags
        ])
    }
}

/// One second's messages, already serialised.
#[derive(Debug)]
pub struct Frame {
    seq: u64,
    messages: Vec<Arc<str>>,
}

#[derive(Debug, Default)]
struct State_ {
    seq: u64,
    now: Option<f64>,
    rows: HashMap<String, UiRow>,
    /// The last `alerts`, `incidents`, `links` and `replay` messages.
    others: [Option<Arc<str>>; 4],
    /// What they said, without their clock and counters (a message goes out when this
    /// changes, not every second because its `now` moved).
    said: [String; 4],
}

/// The feed every UI client reads.
#[derive(Debug)]
pub struct Live {
    state: Mutex<State_>,
    tx: broadcast::Sender<Arc<Frame>>,
    slots: Arc<Semaphore>,
    /// Frames built, messages sent: counters for the status log and tests.
    pub frames: std::sync::atomic::AtomicU64,
}

impl Live {
    /// A feed for at most `max_clients` WebSockets at once.
    pub fn new(max_clients: usize) -> Live {
        // A client more than 8 s behind is better served by a fresh snapshot.
        let (tx, _) = broadcast::channel(8);
        Live {
            state: Mutex::new(State_::default()),
            tx,
            slots: Arc::new(Semaphore::new(max_clients)),
            frames: std::sync::atomic::AtomicU64::new(0),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State_> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The present picture as messages (a `full` tracks message first), the frame number it
    /// stands at, and a receiver of the frames after it. Subscribing under the lock means no
    /// frame falls between the snapshot and the receiver.
    fn subscribe(&self) -> (Vec<Arc<str>>, u64, broadcast::Receiver<Arc<Frame>>) {
        let st = self.state();
        let rx = self.tx.subscribe();
        let upd: Vec<Value> = st.rows.iter().map(|(id, r)| r.json(id)).collect();
        let mut msgs: Vec<Arc<str>> = vec![
            json!({"type": "tracks", "now": st.now, "full": true, "upd": upd, "del": []})
                .to_string()
                .into(),
        ];
        msgs.extend(st.others.iter().flatten().cloned());
        (msgs, st.seq, rx)
    }

    /// Takes one second's view: publishes what changed.
    pub fn publish(
        &self,
        now: Option<f64>,
        rows: Vec<(String, UiRow)>,
        others: [Option<Value>; 4],
    ) {
        let mut st = self.state();
        let mut upd = Vec::new();
        let mut next = HashMap::with_capacity(rows.len());
        for (id, row) in rows {
            if st.rows.get(&id) != Some(&row) {
                upd.push(row.json(&id));
            }
            next.insert(id, row);
        }
        let del: Vec<&String> = st.rows.keys().filter(|k| !next.contains_key(*k)).collect();
        let mut messages: Vec<Arc<str>> = Vec::new();
        if !upd.is_empty() || !del.is_empty() {
            messages.push(
                json!({"type": "tracks", "now": now, "full": false, "upd": upd, "del": del})
                    .to_string()
                    .into(),
            );
        }
        for (slot, kind, v) in [0, 1, 2, 3]
            .into_iter()
            .zip(["alerts", "incidents", "links", "replay"])
            .zip(others)
            .map(|((i, k), v)| (i, k, v))
        {
            let Some(Value::Object(mut o)) = v else {
                continue;
            };
            o.insert("type".into(), json!(kind));
            let mut gist = o.clone();
            gist.remove("now");
            gist.remove("stats");
            let gist = Value::Object(gist).to_string();
            if st.said[slot] != gist {
                let text: Arc<str> = Value::Object(o).to_string().into();
                st.others[slot] = Some(text.clone());
                st.said[slot] = gist;
                messages.push(text);
            }
        }
        st.rows = next;
        st.now = now;
        st.seq += 1;
        self.frames
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if !messages.is_empty() {
            // No receiver is fine: nobody is watching.
            let _ = self.tx.send(Arc::new(Frame {
                seq: st.seq,
                messages,
            }));
        }
    }
}

/// Builds the feed once a second until shutdown.
pub async fn run(shared: Arc<Shared>, live: Arc<Live>, shutdown: CancellationToken) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = tick.tick() => {}
        }
        let s = shared.clone();
        // Building 5,000 rows takes a few milliseconds under the engine's lock: off the
        // async threads.
        let built = tokio::task::spawn_blocking(move || view(&s)).await;
        match built {
            Ok((now, rows, others)) => live.publish(now, rows, others),
            Err(e) => tracing::error!("UI feed: building the view failed: {e}"),
        }
    }
}

type View = (Option<f64>, Vec<(String, UiRow)>, [Option<Value>; 4]);

fn view(shared: &Shared) -> View {
    let (mut rows, now, alerts, incidents) = match &shared.tracks {
        Some(t) => {
            let now = t.now();
            let e = t.lock();
            let now = now.or_else(|| e.tracker().and_then(vigil_track::Tracker::now));
            let desk = e.desk.as_ref();
            (
                e.ui_rows(now),
                now.map(vigil_core::UnixTime::secs),
                desk.map(crate::renegade::CentreDesk::alerts_json),
                desk.map(crate::renegade::CentreDesk::incidents_json),
            )
        }
        None => {
            let st = shared.lock();
            let now = shared.now(&st);
            (
                picture_rows(&st.picture.readsb_json(now)),
                Some(now.secs()),
                None,
                None,
            )
        }
    };
    let links = shared.links.as_ref().map(|l| {
        let p = l.picture.lock().unwrap_or_else(|p| p.into_inner());
        rows.extend(p.ui_rows());
        drop(p);
        l.json()
    });
    let replay = shared
        .replay
        .as_ref()
        .and_then(|c| serde_json::to_value(c.status()).ok());
    (now, rows, [alerts, incidents, links, replay])
}

/// Rows from the picture's readsb JSON (a centre without the tracker).
fn picture_rows(v: &Value) -> Vec<(String, UiRow)> {
    let Some(list) = v.get("aircraft").and_then(Value::as_array) else {
        return Vec::new();
    };
    list.iter()
        .filter_map(|a| {
            let hex = a.get("hex")?.as_str()?;
            let lat = a.get("lat")?.as_f64()?;
            let lon = a.get("lon")?.as_f64()?;
            let s = |k: &str| {
                a.get(k)
                    .and_then(Value::as_str)
                    .map(|x| x.trim().to_owned())
                    .filter(|x| !x.is_empty())
            };
            Some((
                format!("A{hex}"),
                UiRow {
                    lat,
                    lon,
                    alt_ft: a.get("alt_baro").and_then(Value::as_f64),
                    gs_kt: a.get("gs").and_then(Value::as_f64).map(f64::round),
                    track_deg: a.get("track").and_then(Value::as_f64).map(f64::round),
                    squawk: s("squawk"),
                    callsign: s("flight"),
                    flags: 0,
                },
            ))
        })
        .collect()
}

/// `GET /ws` (behind the login gate).
pub async fn ws(
    State(shared): State<Arc<Shared>>,
    Extension(live): Extension<Arc<Live>>,
    Extension(access): Extension<Arc<Access>>,
    Extension(who): Extension<Who>,
    upgrade: WebSocketUpgrade,
) -> Response {
    let Ok(slot) = live.slots.clone().try_acquire_owned() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "too many UI clients; try again later ([http] max_ui_clients)\n",
        )
            .into_response();
    };
    let hello = hello(&shared, &who);
    upgrade.on_upgrade(move |socket| async move {
        client(socket, hello, live, access, who, shared.shutdown.clone()).await;
        drop(slot);
    })
}

fn hello(shared: &Shared, who: &Who) -> Arc<str> {
    let workflow = shared.tracks.as_ref().and_then(|t| {
        t.lock()
            .desk
            .as_ref()
            .map(crate::renegade::CentreDesk::workflow_json)
    });
    json!({
        "type": "hello",
        "user": who.actor.user,
        "role": who.actor.role,
        "centre": shared.centre,
        "party": shared.party,
        "exercise": shared.exercise,
        "now": crate::access::wall_now().secs(),
        "workflow": workflow,
    })
    .to_string()
    .into()
}

/// A client that does not take a message within this long is dropped.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

async fn send(socket: &mut WebSocket, text: &Arc<str>) -> bool {
    matches!(
        tokio::time::timeout(SEND_TIMEOUT, socket.send(Message::text(&**text))).await,
        Ok(Ok(()))
    )
}

async fn client(
    mut socket: WebSocket,
    hello: Arc<str>,
    live: Arc<Live>,
    access: Arc<Access>,
    who: Who,
    shutdown: CancellationToken,
) {
    if !send(&mut socket, &hello).await {
        return;
    }
    let (first, mut at, mut rx) = live.subscribe();
    for m in &first {
        if !send(&mut socket, m).await {
            return;
        }
    }
    // A logged-out or expired session ends its WebSocket within this long.
    let mut check = tokio::time::interval(Duration::from_secs(5));
    let close = |code: u16, reason: &'static str| {
        Message::Close(Some(CloseFrame {
            code,
            reason: reason.into(),
        }))
    };
    loop {
        tokio::select! {
            () = shutdown.cancelled() => {
                let _ = socket.send(close(1001, "centre stopping")).await;
                return;
            }
            _ = check.tick() => {
                if let Via::Session(token) = &who.via && !access.session_alive(token) {
                    let _ = socket.send(close(4401, "session ended: log in again")).await;
                    return;
                }
            }
            frame = rx.recv() => match frame {
                Ok(f) if f.seq <= at => {}
                Ok(f) => {
                    at = f.seq;
                    for m in &f.messages {
                        if !send(&mut socket, m).await {
                            return;
                        }
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    let (snapshot, seq, fresh) = live.subscribe();
                    (at, rx) = (seq, fresh);
                    for m in &snapshot {
                        if !send(&mut socket, m).await {
                            return;
                        }
                    }
                }
                Err(broadcast::error::RecvError::Closed) => return,
            },
            incoming = socket.recv() => match incoming {
                // The client says nothing the centre needs; pings are answered by the socket.
                Some(Ok(Message::Close(_)) | Err(_)) | None => return,
                Some(Ok(_)) => {}
            },
        }
    }
}
