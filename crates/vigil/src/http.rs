//! The HTTP API: readsb-compatible JSON for tar1090 and friends, a live stream of changes,
//! sensor counters and a health check.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::Path;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
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
        .route("/data/alerts.json", get(alerts))
        .route("/data/incidents.json", get(incidents))
        .route("/data/links.json", get(links))
        .route("/data/partner.json", get(partner))
        .route("/api/reports", post(report))
        .route("/api/incidents/{id}/actions", post(incident_action))
        .route("/api/flightplans", post(flightplans))
        .route("/api/links/{link}/checkpoint", post(link_checkpoint))
        .with_state(shared)
}

const INDEX: &str = "Vigil air picture\n\n\
    GET /data/aircraft.json   the picture, readsb / dump1090-fa schema (tar1090 reads it)\n\
    GET /data/receiver.json   readsb receiver.json: version, refresh, lat/lon\n\
    GET /data/stream          JSON lines: {\"type\":\"update\"|\"expired\"|\"track\"|\"track_ended\"|\"heartbeat\",...}\n\
    GET /data/sensors.json    per-sensor counters (feeds, radars, CAT062 outputs)\n\
    GET /data/radar.json      recent observations of each ASTERIX sensor, on the map\n\
    GET /data/tracks.json     system tracks fused from every sensor (404 with the tracker off)\n\
    GET /data/alerts.json     renegade indicators: active and recently cleared alerts\n\
    GET /data/incidents.json  incidents, their timelines, notifications, audit, geometry\n\
    POST /api/reports         {\"subject\":{\"callsign\":\"LOT3917\"},\"kind\":\"radio_contact_lost\",\"source\":\"ACC\"} (bearer token)\n\
    POST /api/incidents/ID/actions  {\"action\":\"acknowledge\",\"reason\":...,\"level\":3} (bearer token)\n\
    POST /api/flightplans     ICAO ATS messages as text (bearer token)\n\
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

fn desk_off() -> Response {
    (
        StatusCode::NOT_FOUND,
        "the renegade desk is off (it needs [tracker] and [renegade] enabled)\n",
    )
        .into_response()
}

fn api_error(e: crate::renegade::ApiError) -> Response {
    use crate::renegade::ApiError;
    let status = match e {
        ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
        ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
        ApiError::NotFound(_) => StatusCode::NOT_FOUND,
    };
    (status, Json(json!({"error": e.to_string()}))).into_response()
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// Runs `f` on the desk with the authenticated actor and the present.
fn with_desk<F>(shared: &Shared, headers: &HeaderMap, f: F) -> Response
where
    F: FnOnce(
        &mut crate::renegade::CentreDesk,
        &vigil_incident::Actor,
        vigil_core::UnixTime,
    ) -> Result<serde_json::Value, crate::renegade::ApiError>,
{
    let Some(t) = &shared.tracks else {
        return desk_off();
    };
    let now = t.now().unwrap_or(vigil_core::UnixTime(0.0));
    let mut engine = t.lock();
    let Some(desk) = engine.desk.as_mut() else {
        return desk_off();
    };
    let actor = match desk.authenticate(bearer(headers)) {
        Ok(a) => a,
        Err(e) => return api_error(e),
    };
    tracing::info!(user = %actor.user, role = %actor.role, "API write");
    match f(desk, &actor, now) {
        Ok(v) => {
            engine.rerun_desk(now);
            Json(v).into_response()
        }
        Err(e) => api_error(e),
    }
}

async fn alerts(State(shared): State<Arc<Shared>>) -> Response {
    match &shared.tracks {
        Some(t) => match t.lock().desk.as_ref() {
            Some(d) => Json(d.alerts_json()).into_response(),
            None => desk_off(),
        },
        None => desk_off(),
    }
}

/// `/data/links.json`: the links' states (404 when the centre has none).
async fn links(State(shared): State<Arc<Shared>>) -> Response {
    match &shared.links {
        Some(l) => Json(l.json()).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            "this centre has no links: add [links] and [[links.link]] to its configuration\n",
        )
            .into_response(),
    }
}

/// `POST /api/links/{link}/checkpoint`: sign the link's ledger head now and send it to the
/// partner (after what is already queued). Any API user may ask; it is logged.
async fn link_checkpoint(
    State(shared): State<Arc<Shared>>,
    Path(link): Path<String>,
    headers: HeaderMap,
) -> Response {
    let auth = with_desk(&shared, &headers, |_desk, actor, _now| {
        tracing::info!(user = %actor.user, link = %link, "checkpoint requested");
        Ok(json!({}))
    });
    if !auth.status().is_success() {
        return auth;
    }
    let Some(handle) = shared
        .links
        .as_ref()
        .and_then(|l| l.handles.iter().find(|h| h.name() == link))
    else {
        return (StatusCode::NOT_FOUND, format!("no link named {link:?}\n")).into_response();
    };
    match handle.checkpoint_now().await {
        Ok(()) => (
            StatusCode::ACCEPTED,
            Json(json!({"link": link, "checkpoint": "requested"})),
        )
            .into_response(),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, format!("{e}\n")).into_response(),
    }
}

/// `/data/partner.json`: what partner centres sent (tracks and events, with origin).
async fn partner(State(shared): State<Arc<Shared>>) -> Response {
    match &shared.links {
        Some(l) => Json(l.partner_json()).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            "this centre has no links: add [links] and [[links.link]] to its configuration\n",
        )
            .into_response(),
    }
}

async fn incidents(State(shared): State<Arc<Shared>>) -> Response {
    match &shared.tracks {
        Some(t) => match t.lock().desk.as_ref() {
            Some(d) => Json(d.incidents_json()).into_response(),
            None => desk_off(),
        },
        None => desk_off(),
    }
}

async fn report(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    with_desk(&shared, &headers, |desk, actor, now| {
        let r: vigil_renegade::Report = serde_json::from_slice(&body).map_err(|e| {
            crate::renegade::ApiError::BadRequest(format!(
                "a report is {{\"subject\": {{\"track\": N}} | {{\"callsign\": \"...\"}} | \
                 {{\"icao\": \"hex\"}}, \"kind\": \"radio_contact_lost\" | \
                 \"radio_contact_restored\" | \"not_following_atc\" | \"following_atc\", \
                 \"source\": \"...\"}}: {e}"
            ))
        })?;
        let track = desk.report(actor, &r, now)?;
        Ok(json!({"track": track, "applied": true}))
    })
}

#[derive(serde::Deserialize)]
struct ActionBody {
    action: String,
    #[serde(flatten)]
    args: vigil_incident::ActionArgs,
}

async fn incident_action(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<u64>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    with_desk(&shared, &headers, |desk, actor, now| {
        let b: ActionBody = serde_json::from_slice(&body).map_err(|e| {
            crate::renegade::ApiError::BadRequest(format!(
                "an action is {{\"action\": \"acknowledge\", \"reason\": \"...\", \"level\": 3, \
                 \"remark\": \"...\", \"party\": \"...\"}}: {e}"
            ))
        })?;
        desk.act(actor, id, &b.action, b.args, now)
    })
}

async fn flightplans(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    with_desk(&shared, &headers, |desk, _actor, now| {
        let text = std::str::from_utf8(&body).map_err(|_| {
            crate::renegade::ApiError::BadRequest("flight plans must be UTF-8 text".into())
        })?;
        let (applied, errors) = desk.add_plans(text, Some(now));
        Ok(json!({"applied": applied, "errors": errors}))
    })
}
