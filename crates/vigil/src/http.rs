//! The HTTP API: readsb-compatible JSON for tar1090 and friends, a live stream of changes,
//! sensor counters and a health check.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::Path;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use serde_json::json;
use std::convert::Infallible;
use std::sync::Arc;
use tokio::sync::broadcast::error::RecvError;

use crate::access::{Access, Via, Who, refuse};
use crate::live::Live;
use crate::pipeline::{Shared, push_line, snapshot_lines};
use axum::extract::Extension;

/// The routes. `/`, `/ui/*` and `/healthz` are public; everything else passes the login gate
/// ([`crate::access::require_login`]).
pub fn router(
    shared: Arc<Shared>,
    access: Arc<Access>,
    live: Arc<Live>,
    layout: Arc<crate::layout::Layout>,
) -> Router {
    let gated = Router::new()
        .route("/api", get(index))
        .route("/api/login", post(login))
        .route("/api/logout", post(logout))
        .route("/api/me", get(me))
        .route("/ws", get(crate::live::ws))
        .route("/data/aircraft.json", get(aircraft))
        .route("/data/receiver.json", get(receiver))
        .route("/data/sensors.json", get(sensors))
        .route("/data/radar.json", get(radar))
        .route("/data/tracks.json", get(tracks))
        .route("/data/tracks/{id}", get(track_detail))
        .route("/data/layout.json", get(layout_json))
        .route("/data/stream", get(stream))
        .route("/data/alerts.json", get(alerts))
        .route("/data/incidents.json", get(incidents))
        .route("/data/links.json", get(links))
        .route("/data/partner.json", get(partner))
        .route("/data/audit.json", get(audit))
        .route("/data/replay.json", get(replay_status))
        .route("/data/store.json", get(store_stats))
        .route("/api/replay", post(replay_command))
        .route("/api/reports", post(report))
        .route("/api/incidents/{id}/actions", post(incident_action))
        .route("/api/flightplans", post(flightplans))
        .route("/api/links/{link}/checkpoint", post(link_checkpoint))
        .layer(axum::middleware::from_fn_with_state(
            access.clone(),
            crate::access::require_login,
        ));
    Router::new()
        .route("/", get(crate::ui::index))
        .route("/ui/{*path}", get(crate::ui::asset))
        .route("/healthz", get(healthz))
        .merge(gated)
        .layer(Extension(access))
        .layer(Extension(live))
        .layer(Extension(layout))
        .with_state(shared)
}

const INDEX: &str = "Vigil centre API (the operator UI is at /)\n\n\
    POST /api/login           {\"user\":\"...\",\"password\":\"...\"}: a session cookie for the rest\n\
    POST /api/logout, GET /api/me\n\
    GET /ws                   the UI's live feed (WebSocket)\n\
    GET /data/layout.json     sensors, FIRs, restricted and release areas, cities for the map\n\
    GET /data/tracks/ID       one track's details (T<n>, A<hex>, P:<party>/<centre>:<n>)\n\
    GET /data/audit.json      logins and writes (supervisors)\n\
    GET /data/replay.json     a replay's state (404 unless `vigil replay`)\n\
    POST /api/replay          {\"action\":\"pause\"|\"play\"|\"speed\"|\"skip\",\"speed\":N,\"to\":unix_s}\n\
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
    GET /healthz              ok (no login)\n\n\
    Every /data and /api path needs a login (cookie) or `Authorization: Bearer <token>`,\n\
    except /data/* with [http] open_read = true.\n";

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

/// Runs `f` on the desk as the authenticated user, at the present; audits the write.
fn with_desk<F>(shared: &Shared, access: &Access, who: &Who, what: &str, f: F) -> Response
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
    let actor = &who.actor;
    tracing::info!(user = %actor.user, role = %actor.role, "API write");
    match f(desk, actor, now) {
        Ok(v) => {
            engine.rerun_desk(now);
            // Answered only once the transition is committed to the store: an acknowledged
            // action survives a crash.
            if let Err(e) = t.persist(&mut engine) {
                tracing::error!("{e:#}");
                access.record(&actor.user, what, false, format!("not stored: {e:#}"));
                return refuse(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    &format!("the action was taken but could not be stored: {e:#}"),
                );
            }
            drop(engine);
            access.record(&actor.user, what, true, "");
            Json(v).into_response()
        }
        Err(e) => {
            access.record(&actor.user, what, false, e.to_string());
            api_error(e)
        }
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
    Extension(access): Extension<Arc<Access>>,
    Extension(who): Extension<Who>,
    Path(link): Path<String>,
) -> Response {
    tracing::info!(user = %who.actor.user, link = %link, "checkpoint requested");
    access.record(&who.actor.user, &format!("checkpoint {link}"), true, "");
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

async fn report(
    State(shared): State<Arc<Shared>>,
    Extension(access): Extension<Arc<Access>>,
    Extension(who): Extension<Who>,
    body: Bytes,
) -> Response {
    with_desk(&shared, &access, &who, "report", |desk, actor, now| {
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
    Extension(access): Extension<Arc<Access>>,
    Extension(who): Extension<Who>,
    Path(id): Path<u64>,
    body: Bytes,
) -> Response {
    with_desk(
        &shared,
        &access,
        &who,
        &format!("incident {id} action"),
        |desk, actor, now| {
            let b: ActionBody = serde_json::from_slice(&body).map_err(|e| {
            crate::renegade::ApiError::BadRequest(format!(
                "an action is {{\"action\": \"acknowledge\", \"reason\": \"...\", \"level\": 3, \
                 \"remark\": \"...\", \"party\": \"...\"}}: {e}"
            ))
        })?;
            desk.act(actor, id, &b.action, b.args, now)
        },
    )
}

async fn flightplans(
    State(shared): State<Arc<Shared>>,
    Extension(access): Extension<Arc<Access>>,
    Extension(who): Extension<Who>,
    body: Bytes,
) -> Response {
    with_desk(
        &shared,
        &access,
        &who,
        "flight plans",
        |desk, _actor, now| {
            let text = std::str::from_utf8(&body).map_err(|_| {
                crate::renegade::ApiError::BadRequest("flight plans must be UTF-8 text".into())
            })?;
            let (applied, errors) = desk.add_plans(text, Some(now));
            Ok(json!({"applied": applied, "errors": errors}))
        },
    )
}

#[derive(serde::Deserialize)]
struct LoginBody {
    user: String,
    password: String,
}

fn me_json(shared: &Shared, user: &str, role: vigil_incident::Role) -> serde_json::Value {
    json!({
        "user": user,
        "role": role,
        "centre": shared.centre,
        "party": shared.party,
        "exercise": shared.exercise,
    })
}

/// `POST /api/login`: checks the password (Argon2, off the async threads) and sets the
/// session cookie.
async fn login(
    State(shared): State<Arc<Shared>>,
    Extension(access): Extension<Arc<Access>>,
    body: Bytes,
) -> Response {
    let Ok(b) = serde_json::from_slice::<LoginBody>(&body) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "a login is {\"user\": \"...\", \"password\": \"...\"}",
        );
    };
    let a = access.clone();
    let result = tokio::task::spawn_blocking(move || a.login(&b.user, &b.password)).await;
    match result {
        Ok(Ok(l)) => {
            let cookie = access.set_cookie(&l.token);
            (
                [(header::SET_COOKIE, cookie)],
                Json(me_json(
                    &shared,
                    &l.principal.user,
                    crate::access::incident_role(l.principal.role),
                )),
            )
                .into_response()
        }
        Ok(Err(vigil_auth::AuthError::Throttled { retry_after_s })) => (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, retry_after_s.to_string())],
            Json(json!({
                "error": format!("too many failed logins for this user: try again in {retry_after_s} s"),
                "retry_after_s": retry_after_s,
            })),
        )
            .into_response(),
        Ok(Err(e)) => refuse(StatusCode::UNAUTHORIZED, &e.to_string()),
        Err(e) => refuse(StatusCode::INTERNAL_SERVER_ERROR, &format!("login failed: {e}")),
    }
}

/// `POST /api/logout`: ends the session and clears the cookie.
async fn logout(
    Extension(access): Extension<Arc<Access>>,
    Extension(who): Extension<Who>,
) -> Response {
    if let Via::Session(token) = &who.via {
        access.logout(token);
    }
    (
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, access.clear_cookie())],
    )
        .into_response()
}

/// `GET /api/me`: who the session is.
async fn me(State(shared): State<Arc<Shared>>, Extension(who): Extension<Who>) -> Response {
    Json(me_json(&shared, &who.actor.user, who.actor.role)).into_response()
}

/// `GET /data/audit.json`: logins, failed logins, logouts and writes; supervisors only.
async fn audit(Extension(access): Extension<Arc<Access>>, who: Option<Extension<Who>>) -> Response {
    match who {
        Some(Extension(w)) if w.actor.role == vigil_incident::Role::Supervisor => {
            Json(access.audit_json()).into_response()
        }
        _ => refuse(StatusCode::FORBIDDEN, "the audit record is for supervisors"),
    }
}

/// `GET /data/layout.json`: what the map draws beside the tracks.
async fn layout_json(Extension(layout): Extension<Arc<crate::layout::Layout>>) -> Response {
    Json(layout.json.clone()).into_response()
}

/// `GET /data/tracks/{id}`: one track's details. `T<n>` a system track, `A<hex>` an aircraft
/// of the picture, `P:<party>/<centre>:<n>` a partner's track.
async fn track_detail(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let found = if let Some(n) = id.strip_prefix('T').and_then(|n| n.parse::<u64>().ok()) {
        shared.tracks.as_ref().and_then(|t| {
            let now = t.now();
            t.lock().track_detail(n, now)
        })
    } else if let Some(hex) = id.strip_prefix('A') {
        let st = shared.lock();
        let now = shared.now(&st);
        st.picture
            .readsb_json(now)
            .get("aircraft")
            .and_then(serde_json::Value::as_array)
            .and_then(|l| {
                l.iter()
                    .find(|a| a.get("hex").and_then(|h| h.as_str()) == Some(hex))
            })
            .cloned()
    } else if let Some(key) = id.strip_prefix("P:") {
        shared.links.as_ref().and_then(|l| {
            l.picture
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .track_detail(key)
        })
    } else {
        None
    };
    match found {
        Some(mut v) => {
            if let serde_json::Value::Object(o) = &mut v {
                o.insert("id".into(), json!(id));
            }
            Json(v).into_response()
        }
        None => refuse(
            StatusCode::NOT_FOUND,
            &format!("no live track {id:?} (T<n>, A<hex> or P:<party>/<centre>:<n>)"),
        ),
    }
}

fn not_replaying() -> Response {
    refuse(
        StatusCode::NOT_FOUND,
        "this centre is not replaying a recording (start it with `vigil replay`)",
    )
}

/// `GET /data/replay.json`: paused, speed, position, skipping to.
async fn replay_status(State(shared): State<Arc<Shared>>) -> Response {
    match &shared.replay {
        Some(c) => Json(c.status()).into_response(),
        None => not_replaying(),
    }
}

#[derive(serde::Deserialize)]
struct ReplayBody {
    action: String,
    speed: Option<f64>,
    to: Option<f64>,
}

/// `POST /api/replay`: pause, play, set the speed (`null` or 0: as fast as possible), skip
/// ahead to a recorded time. Any logged-in user; audited.
async fn replay_command(
    State(shared): State<Arc<Shared>>,
    Extension(access): Extension<Arc<Access>>,
    Extension(who): Extension<Who>,
    body: Bytes,
) -> Response {
    let Some(c) = &shared.replay else {
        return not_replaying();
    };
    let Ok(b) = serde_json::from_slice::<ReplayBody>(&body) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "a replay command is {\"action\": \"pause\" | \"play\" | \"speed\" | \"skip\", \"speed\": N, \"to\": unix_seconds}",
        );
    };
    let position = c.status().position;
    let done = match (b.action.as_str(), b.speed, b.to) {
        ("pause", _, _) => {
            c.pause();
            Ok(())
        }
        ("play", _, _) => {
            c.play();
            Ok(())
        }
        ("speed", s, _) if s.is_none_or(|s| s.is_finite() && (0.0..=10_000.0).contains(&s)) => {
            c.set_speed(s);
            Ok(())
        }
        ("speed", _, _) => Err("speed must be 0 to 10000 (0 or null: as fast as possible)"),
        ("skip", _, Some(t)) if position.is_none_or(|p| t > p) && t.is_finite() => {
            c.skip_to(vigil_core::UnixTime(t));
            Ok(())
        }
        ("skip", _, Some(_)) => {
            Err("a replay only skips ahead: `to` must be after the present position")
        }
        ("skip", _, None) => Err("skip needs `to`: the recorded time (Unix seconds) to skip to"),
        _ => Err("unknown action: pause, play, speed or skip"),
    };
    let what = format!("replay {}", b.action);
    match done {
        Ok(()) => {
            access.record(&who.actor.user, &what, true, "");
            Json(c.status()).into_response()
        }
        Err(e) => {
            access.record(&who.actor.user, &what, false, e);
            refuse(StatusCode::BAD_REQUEST, e)
        }
    }
}

/// `GET /data/store.json`: the store's counters (404 without `[store]`).
async fn store_stats(State(shared): State<Arc<Shared>>) -> Response {
    match &shared.store {
        Some((s, _)) => Json(json!({
            "path": s.store.path(),
            "exercise": s.exercise,
            "record_raw": s.record_raw,
            "stats": s.store.stats(),
        }))
        .into_response(),
        None => refuse(
            StatusCode::NOT_FOUND,
            "this centre has no store: add [store] path = \"centre.db\" to its configuration",
        ),
    }
}
