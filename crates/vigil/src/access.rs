//! Who may use the centre's API and UI, and the record of what they did.
//!
//! Every `/data/*` and `/api/*` request (and the UI's WebSocket) passes [`require_login`]:
//! a session cookie from `POST /api/login` (operators at the UI), or a bearer token of
//! `[[renegade.user]]` (scripts, ATC systems). Read-only `/data/*` may be opened with
//! `[http] open_read` for readsb clients. Cookie requests that change something must come from
//! the centre's own pages: the cookie is `SameSite=Strict`, and an `Origin` header, when the
//! browser sends one, must name this host.
//!
//! Logins, failed logins, logouts and every write are audit records: in memory for
//! `/data/audit.json` (supervisors), and on the log under the `audit` target.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use vigil_auth::{Auth, AuthError, SessionPolicy, UserConfig};
use vigil_core::UnixTime;
use vigil_incident::{Actor, Role};

use crate::renegade::ApiUser;

/// The session cookie's name.
pub const COOKIE: &str = "vigil_session";

/// Audit records kept in memory (the store keeps them all once it lands).
const KEEP_AUDIT: usize = 10_000;

/// How a request was authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// A browser session; the token is the cookie's value.
    Session(String),
    /// A bearer token of `[[renegade.user]]`.
    Bearer,
}

/// The authenticated user of a request (an axum extension set by [`require_login`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Who {
    /// The user and role, as the incident workflow sees them.
    pub actor: Actor,
    /// How.
    pub via: Via,
}

/// One audit record.
#[derive(Debug, Clone, Serialize)]
pub struct AccessRecord {
    /// Wall-clock time, Unix seconds.
    pub at: f64,
    /// The user name given (for a failed login, the name tried).
    pub user: String,
    /// What: `login`, `login_failed`, `logout`, `POST /api/...`.
    pub action: String,
    /// Whether it was allowed and succeeded.
    pub ok: bool,
    /// Details: the answer's status, the reason of a refusal.
    pub detail: String,
}

/// Users, sessions, bearer tokens and the audit record.
#[derive(Debug)]
pub struct Access {
    auth: Mutex<Auth>,
    tokens: Vec<ApiUser>,
    /// `[http] open_read`.
    pub open_read: bool,
    secure_cookie: bool,
    audit: Mutex<VecDeque<AccessRecord>>,
    /// Where audit records are kept for good.
    store: Option<Arc<crate::store::CentreStore>>,
}

/// The wall clock (sessions expire in real time, whatever time the picture runs on).
pub fn wall_now() -> UnixTime {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    UnixTime(d.as_secs_f64())
}

impl Access {
    /// From the configured users and API tokens.
    pub fn new(
        users: Vec<UserConfig>,
        tokens: Vec<ApiUser>,
        open_read: bool,
        secure_cookie: bool,
    ) -> Result<Access, AuthError> {
        Ok(Access {
            auth: Mutex::new(Auth::new(users, SessionPolicy::default())?),
            tokens,
            open_read,
            secure_cookie,
            audit: Mutex::new(VecDeque::new()),
            store: None,
        })
    }

    /// Keeps the audit records in the centre's store too.
    pub fn with_store(mut self, store: Option<Arc<crate::store::CentreStore>>) -> Self {
        self.store = store;
        self
    }

    fn auth(&self) -> MutexGuard<'_, Auth> {
        // The session table stays consistent between calls; a panic elsewhere while it was
        // held leaves it usable.
        self.auth.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds an audit record (and logs it).
    pub fn record(&self, user: &str, action: &str, ok: bool, detail: impl Into<String>) {
        let detail = detail.into();
        tracing::info!(target: "audit", user, action, ok, detail = %detail, "audit");
        let mut a = self.audit.lock().unwrap_or_else(|p| p.into_inner());
        if a.len() == KEEP_AUDIT {
            a.pop_front();
        }
        let record = AccessRecord {
            at: wall_now().secs(),
            user: user.to_owned(),
            action: action.to_owned(),
            ok,
            detail,
        };
        if let Some(s) = &self.store {
            let entry = vigil_store::AuditEntry {
                seq: 0,
                at: record.at,
                kind: "access".into(),
                actor: record.user.clone(),
                json: serde_json::to_string(&record).unwrap_or_default(),
                exercise: s.exercise,
            };
            if let Err(e) = s.store.append_audit(vec![entry], None) {
                tracing::error!("cannot store an audit record: {e}");
            }
        }
        a.push_back(record);
    }

    /// The audit records, oldest first.
    pub fn audit_json(&self) -> serde_json::Value {
        let a = self.audit.lock().unwrap_or_else(|p| p.into_inner());
        json!({"records": a.iter().collect::<Vec<_>>()})
    }

    /// Checks a password (Argon2 costs tens of milliseconds: call it off the async threads).
    pub fn login(&self, user: &str, password: &str) -> Result<vigil_auth::Login, AuthError> {
        let r = self.auth().login(user, password, wall_now());
        match &r {
            Ok(_) => self.record(user, "login", true, ""),
            Err(e) => self.record(user, "login_failed", false, e.to_string()),
        }
        r
    }

    /// Ends a session.
    pub fn logout(&self, token: &str) {
        if let Some(p) = self.auth().logout(token) {
            self.record(&p.user, "logout", true, "");
        }
    }

    /// Whether a session is still live (the UI's WebSocket checks now and then).
    pub fn session_alive(&self, token: &str) -> bool {
        self.auth().session(token, wall_now()).is_ok()
    }

    /// The request's user, from its session cookie or bearer token.
    pub fn who(&self, headers: &HeaderMap) -> Option<Who> {
        if let Some(token) = cookie(headers, COOKIE)
            && let Ok(p) = self.auth().session(token, wall_now())
        {
            return Some(Who {
                actor: Actor::new(p.user, incident_role(p.role)),
                via: Via::Session(token.to_owned()),
            });
        }
        let token = bearer(headers)?;
        let h = hex::encode(Sha256::digest(token.as_bytes()));
        self.tokens
            .iter()
            .find(|u| constant_time_eq(u.token_sha256.as_bytes(), h.as_bytes()))
            .map(|u| Who {
                actor: Actor::new(u.name.clone(), u.role),
                via: Via::Bearer,
            })
    }

    /// The `Set-Cookie` value that opens a session.
    pub fn set_cookie(&self, token: &str) -> String {
        let secure = if self.secure_cookie { "; Secure" } else { "" };
        format!("{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/{secure}")
    }

    /// The `Set-Cookie` value that clears it.
    pub fn clear_cookie(&self) -> String {
        let secure = if self.secure_cookie { "; Secure" } else { "" };
        format!("{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0{secure}")
    }
}

/// The incident workflow's role for a login role.
pub fn incident_role(r: vigil_auth::Role) -> Role {
    match r {
        vigil_auth::Role::Operator => Role::Operator,
        vigil_auth::Role::Supervisor => Role::Supervisor,
    }
}

/// A cookie's value from the `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, v)| *k == name && !v.is_empty())
        .map(|(_, v)| v)
}

/// The token of an `Authorization: Bearer` header.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Whether the `Origin` header, when present, names this host: a cross-site page cannot make
/// the browser act with the operator's cookie (belt and braces beside `SameSite=Strict`).
pub fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .is_some_and(|o| o == host)
}

/// Refusal with a JSON body that says what to do.
pub fn refuse(status: StatusCode, msg: &str) -> Response {
    (status, axum::Json(json!({"error": msg}))).into_response()
}

/// The login gate for `/data/*`, `/api/*` and `/ws`.
pub async fn require_login(
    State(access): State<Arc<Access>>,
    mut req: Request<Body>,
    next: Next,
) -> Response {
    let path = req.uri().path();
    if path == "/api/login" || path == "/api" {
        return next.run(req).await;
    }
    let read = matches!(*req.method(), Method::GET | Method::HEAD);
    match access.who(req.headers()) {
        Some(who) => {
            if matches!(who.via, Via::Session(_))
                && (!read || path == "/ws")
                && !same_origin(req.headers())
            {
                access.record(
                    &who.actor.user,
                    &format!("{} {}", req.method(), path),
                    false,
                    "refused: cross-origin request",
                );
                return refuse(
                    StatusCode::FORBIDDEN,
                    "cross-origin request refused: use the centre's own pages",
                );
            }
            req.extensions_mut().insert(who);
            next.run(req).await
        }
        None if read && access.open_read && path.starts_with("/data/") => next.run(req).await,
        None => refuse(
            StatusCode::UNAUTHORIZED,
            "log in first (POST /api/login, or the UI at /), or send `Authorization: Bearer \
             <token>` for a [[renegade.user]] (make a token with `vigil token`)",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn cookie_and_origin_parsing() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; vigil_session=abc; b=2"),
        );
        assert_eq!(cookie(&h, COOKIE), Some("abc"));
        assert_eq!(cookie(&h, "c"), None);
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8080"));
        assert!(same_origin(&h));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://127.0.0.1:8080"),
        );
        assert!(same_origin(&h));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://evil.example"),
        );
        assert!(!same_origin(&h));
    }
}
