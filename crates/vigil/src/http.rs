//! The HTTP API: readsb-compatible JSON for tar1090 and friends, a live stream of changes,
//! sensor counters and a health check.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use serde_json::json;
use std::convert::Infallible;
use std::sync::Arc;
use tokio::sync::broadcast::error::RecvError;

use crate::pipeline::{Shared, push_line, snapshot_lines};

/// The routes.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/healthz", get(healthz))
        .route("/data/aircraft.json", get(aircraft))
        .route("/data/receiver.json", get(receiver))
        .route("/data/sensors.json", get(sensors))
        .route("/data/radar.json", get(radar))
        .route("/data/tracks.json", get(tracks))
        .route("/data/stream", get(stream))
        .with_state(shared)
}

const INDEX: &str = "Vigil air picture\n\n\
    GET /data/aircraft.json   the picture, readsb / dump1090-fa schema (tar1090 reads it)\n\
    GET /data/receiver.json   readsb receiver.json: version, refresh, lat/lon\n\
    GET /data/stream          JSON lines: {\"type\":\"update\"|\"expired\"|\"track\"|\"track_ended\"|\"heartbeat\",...}\n\
    GET /data/sensors.json    per-sensor counters (feeds, radars, CAT062 outputs)\n\
    GET /data/radar.json      recent observations of each ASTERIX sensor, on the map\n\
    GET /data/tracks.json     system tracks fused from every sensor (404 with the tracker off)\n\
    GET /healthz              ok\n";

async fn index() -> &'static str {
    INDEX
}

async fn healthz() -> &'static str {
    "ok\n"
}

async fn aircraft(State(shared): State<Arc<Shared>>) -> Json<serde_json::Value> {
    let st = shared.lock();
    let now = shared.now(&st);
    Json(st.picture.readsb_json(now))
}

async fn receiver(State(shared): State<Arc<Shared>>) -> Json<serde_json::Value> {
    // readsb's receiver.json: tar1090 reads `refresh` (ms between aircraft.json polls),
    // `history` (how many history files exist; none here) and the receiver's position.
    let mut v = json!({
        "version": concat!("vigil ", env!("CARGO_PKG_VERSION")),
        "refresh": shared.refresh_ms,
        "history": 0,
        "centre": shared.centre,
    });
    if let Some(r) = shared.reference {
        v["lat"] = json!(r.lat);
        v["lon"] = json!(r.lon);
    }
    Json(v)
}

async fn sensors(State(shared): State<Arc<Shared>>) -> Json<serde_json::Value> {
    let (now, picture) = {
        let st = shared.lock();
        (shared.now(&st), st.picture.stats())
    };
    let list: Vec<_> = shared.sensors.iter().map(|s| s.snapshot()).collect();
    let (radars, outputs) = shared.radar.counters_json();
    Json(json!({
        "now": now.secs(),
        "picture": picture,
        "sensors": list,
        "radars": radars,
        "outputs": outputs,
    }))
}

async fn radar(State(shared): State<Arc<Shared>>) -> Json<serde_json::Value> {
    let now = {
        let st = shared.lock();
        shared.now(&st)
    };
    Json(json!({"now": now.secs(), "radars": shared.radar.radars_json()}))
}

async fn tracks(State(shared): State<Arc<Shared>>) -> Response {
    match &shared.tracks {
        Some(t) => Json(t.tracks_json()).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            "the tracker is off ([tracker] enabled = false)\n",
        )
            .into_response(),
    }
}

/// The state of one `/data/stream` response.
struct StreamState {
    first: Option<Bytes>,
    rx: tokio::sync::broadcast::Receiver<Bytes>,
    shared: Arc<Shared>,
    done: bool,
    _slot: tokio::sync::OwnedSemaphorePermit,
}

async fn stream(State(shared): State<Arc<Shared>>) -> Response {
    let Ok(slot) = shared.stream_slots.clone().try_acquire_owned() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "too many /data/stream clients; try again later\n",
        )
            .into_response();
    };
    let (first, rx) = {
        // Subscribe and snapshot under the lock: see `pipeline::publish`.
        let st = shared.lock();
        let rx = shared.updates.subscribe();
        (
            Bytes::from(snapshot_lines(
                &st.picture,
                shared.tracks.as_deref(),
                shared.now(&st),
            )),
            rx,
        )
    };
    let state = StreamState {
        first: Some(first),
        rx,
        shared,
        done: false,
        _slot: slot,
    };
    let body = futures::stream::unfold(state, |mut s| async move {
        if s.done {
            return None;
        }
        if let Some(first) = s.first.take().filter(|b| !b.is_empty()) {
            return Some((Ok::<_, Infallible>(first), s));
        }
        let next = tokio::select! {
            biased;
            _ = s.shared.shutdown.cancelled() => return None,
            r = s.rx.recv() => r,
        };
        match next {
            Ok(lines) => Some((Ok(lines), s)),
            Err(RecvError::Lagged(missed)) => {
                // The client fell behind: end its stream with a note; reconnecting gives it a
                // fresh snapshot, which is cheaper than replaying what it missed.
                tracing::debug!(missed, "stream client lagged; closing its stream");
                let mut out = Vec::new();
                push_line(&mut out, &json!({"type": "lagged", "missed": missed}));
                s.done = true;
                Some((Ok(Bytes::from(out)), s))
            }
            Err(RecvError::Closed) => None,
        }
    });
    (
        [
            (header::CONTENT_TYPE, "application/x-ndjson"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        Body::from_stream(body),
    )
        .into_response()
}
