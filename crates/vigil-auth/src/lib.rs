//! Operator logins for a centre: users with Argon2id password hashes and a role, browser
//! sessions behind an opaque cookie, and a brake on password guessing.
//!
//! - **Passwords** are never stored, only their Argon2id hash in PHC string form
//!   (`$argon2id$v=19$m=...`), which carries its own salt and parameters ([`hash_password`]).
//! - **Sessions**: a login yields a 256-bit random token for the cookie. The centre keeps only
//!   the token's SHA-256, so a leaked session table does not leak live cookies. A session ends
//!   after [`SessionPolicy::idle_s`] without use, after [`SessionPolicy::max_s`] in all, on
//!   logout, or when the user leaves the configuration.
//! - **Guessing**: after [`SessionPolicy::max_failures`] wrong passwords for one user name,
//!   that name is refused for [`SessionPolicy::lockout_s`] (a `Throttled` answer says how long).
//!   An unknown user name costs the same hash time as a known one, so timing does not say
//!   which names exist.
//!
//! Time is passed in (`now`), never read here, so tests drive it.

use std::collections::HashMap;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use vigil_core::UnixTime;

pub use vigil_core;

/// A human role at the centre. The incident workflow gives each action the role it needs; a
/// supervisor may do everything an operator may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A duty officer.
    Operator,
    /// A supervisor.
    Supervisor,
}

impl Role {
    /// The lowercase name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Operator => "operator",
            Role::Supervisor => "supervisor",
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Role {
    type Err = AuthError;
    fn from_str(s: &str) -> Result<Self, AuthError> {
        match s {
            "operator" => Ok(Role::Operator),
            "supervisor" => Ok(Role::Supervisor),
            other => Err(AuthError::BadRole(other.to_owned())),
        }
    }
}

/// What can go wrong.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum AuthError {
    /// Wrong user name or password (deliberately not saying which).
    #[error("wrong user name or password")]
    BadCredentials,
    /// Too many wrong passwords for this user name.
    #[error("too many failed logins for this user; try again in {retry_after_s} s")]
    Throttled {
        /// Seconds until the next attempt is heard.
        retry_after_s: u64,
    },
    /// No session, or an expired or revoked one.
    #[error("not logged in (or the session has expired): log in again")]
    NoSession,
    /// A role name that is neither `operator` nor `supervisor`.
    #[error("role {0:?} is neither \"operator\" nor \"supervisor\"")]
    BadRole(String),
    /// A configured password hash that is not an Argon2 PHC string.
    #[error(
        "user {user:?}: password_hash is not an Argon2 PHC string ({reason}); make one with `vigil user add`"
    )]
    BadHash {
        /// The user.
        user: String,
        /// Why.
        reason: String,
    },
    /// A user name that is empty, too long, or has characters other than letters, digits,
    /// `.`, `_` and `-`.
    #[error("user name {0:?} must be 1 to 64 letters, digits, '.', '_' or '-'")]
    BadName(String),
    /// Two users with one name.
    #[error("user {0:?} is configured twice")]
    Duplicate(String),
    /// A password too short to hash.
    #[error("a password must have at least {0} characters")]
    ShortPassword(usize),
    /// The operating system's random source failed.
    #[error("no randomness from the operating system: {0}")]
    Random(String),
}

/// The shortest password [`hash_password`] accepts.
pub const MIN_PASSWORD_LEN: usize = 10;

/// Hashes a password with Argon2id (the crate's default parameters: 19 MiB, 2 passes) and a
/// fresh random salt, as a PHC string for the configuration.
pub fn hash_password(password: &str) -> Result<String, AuthError> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(AuthError::ShortPassword(MIN_PASSWORD_LEN));
    }
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| AuthError::Random(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| AuthError::Random(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AuthError::Random(e.to_string()))
}

/// Whether `password` matches the PHC string `hash`.
pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A configured user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserConfig {
    /// Login name.
    pub name: String,
    /// `operator` or `supervisor`.
    pub role: Role,
    /// Argon2 PHC string (`vigil user add` makes one).
    pub password_hash: String,
}

/// Checks a user name: 1 to 64 of letters, digits, `.`, `_`, `-`.
pub fn check_name(name: &str) -> Result<(), AuthError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(AuthError::BadName(name.to_owned()))
    }
}

/// Who a session or a login belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Principal {
    /// User name.
    pub user: String,
    /// Role.
    pub role: Role,
}

/// Session and lockout limits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SessionPolicy {
    /// A session unused for this long ends, seconds.
    pub idle_s: f64,
    /// A session ends this long after login whatever its use, seconds (a shift and a half).
    pub max_s: f64,
    /// Most sessions at once; the oldest goes when a login would pass it.
    pub max_sessions: usize,
    /// Wrong passwords for one name before it is locked.
    pub max_failures: u32,
    /// How long a locked name stays locked, seconds.
    pub lockout_s: f64,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        SessionPolicy {
            idle_s: 2.0 * 3600.0,
            max_s: 12.0 * 3600.0,
            max_sessions: 256,
            max_failures: 5,
            lockout_s: 60.0,
        }
    }
}

#[derive(Debug, Clone)]
struct Session {
    principal: Principal,
    created: UnixTime,
    last_used: UnixTime,
}

#[derive(Debug, Clone, Copy, Default)]
struct Failures {
    count: u32,
    locked_until: Option<UnixTime>,
}

/// The users and live sessions of a centre.
#[derive(Debug)]
pub struct Auth {
    users: HashMap<String, UserConfig>,
    /// By SHA-256 of the token, hex.
    sessions: HashMap<String, Session>,
    failures: HashMap<String, Failures>,
    policy: SessionPolicy,
    /// Verified against when the user name is unknown, so both cost the same.
    decoy: String,
}

/// A fresh login: the cookie value and who it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Login {
    /// The session token for the cookie (the only copy; the centre keeps its hash).
    pub token: String,
    /// Who logged in.
    pub principal: Principal,
}

impl Auth {
    /// Checks and takes the configured users.
    pub fn new(users: Vec<UserConfig>, policy: SessionPolicy) -> Result<Auth, AuthError> {
        let mut map = HashMap::new();
        for u in users {
            check_name(&u.name)?;
            PasswordHash::parse(&u.password_hash, Default::default()).map_err(|e| {
                AuthError::BadHash {
                    user: u.name.clone(),
                    reason: e.to_string(),
                }
            })?;
            if map.contains_key(&u.name) {
                return Err(AuthError::Duplicate(u.name));
            }
            map.insert(u.name.clone(), u);
        }
        // The decoy's password is random and thrown away: nothing can match it.
        let decoy = hash_password(&random_token()?)?;
        Ok(Auth {
            users: map,
            sessions: HashMap::new(),
            failures: HashMap::new(),
            policy,
            decoy,
        })
    }

    /// How many users are configured.
    pub fn user_count(&self) -> usize {
        self.users.len()
    }

    /// How many sessions are live (some may have expired and not been swept yet).
    pub fn session_count(&self) -> usize {
        self.sessions.len()
    }

    /// Checks a password and opens a session. The caller audits the outcome.
    pub fn login(&mut self, user: &str, password: &str, now: UnixTime) -> Result<Login, AuthError> {
        let f = self.failures.get(user).copied().unwrap_or_default();
        if let Some(until) = f.locked_until.filter(|u| now.since(*u) < 0.0) {
            return Err(AuthError::Throttled {
                retry_after_s: until.since(now).ceil().max(1.0) as u64,
            });
        }
        let known = self.users.get(user);
        let hash = known.map_or(self.decoy.as_str(), |u| u.password_hash.as_str());
        let ok = verify_password(hash, password) && known.is_some();
        let Some(u) = known.filter(|_| ok) else {
            // Unknown names are counted too (bounded below), so guessing names is throttled
            // the same way.
            self.note_failure(user, now);
            return Err(AuthError::BadCredentials);
        };
        let principal = Principal {
            user: u.name.clone(),
            role: u.role,
        };
        self.failures.remove(user);
        self.sweep(now);
        if self.sessions.len() >= self.policy.max_sessions
            && let Some(oldest) = self
                .sessions
                .iter()
                .min_by(|a, b| a.1.created.0.total_cmp(&b.1.created.0))
                .map(|(k, _)| k.clone())
        {
            self.sessions.remove(&oldest);
        }
        let token = random_token()?;
        self.sessions.insert(
            token_hash(&token),
            Session {
                principal: principal.clone(),
                created: now,
                last_used: now,
            },
        );
        Ok(Login { token, principal })
    }

    fn note_failure(&mut self, user: &str, now: UnixTime) {
        // A flood of distinct made-up names must not grow the table without bound.
        if self.failures.len() >= 4096 && !self.failures.contains_key(user) {
            self.failures
                .retain(|_, f| f.locked_until.is_some_and(|u| now.since(u) < 0.0));
            if self.failures.len() >= 4096 {
                return;
            }
        }
        let f = self.failures.entry(user.to_owned()).or_default();
        f.count += 1;
        if f.count >= self.policy.max_failures {
            f.count = 0;
            f.locked_until = Some(UnixTime(now.0 + self.policy.lockout_s));
        }
    }

    /// The principal of a session token, refreshing its idle timer.
    pub fn session(&mut self, token: &str, now: UnixTime) -> Result<Principal, AuthError> {
        let key = token_hash(token);
        let policy = self.policy;
        let live = self.sessions.get_mut(&key).filter(|s| {
            now.since(s.last_used) <= policy.idle_s && now.since(s.created) <= policy.max_s
        });
        match live {
            Some(s) => {
                s.last_used = UnixTime(s.last_used.0.max(now.0));
                Ok(s.principal.clone())
            }
            None => {
                self.sessions.remove(&key);
                Err(AuthError::NoSession)
            }
        }
    }

    /// Ends a session; returns who it was, if it was live.
    pub fn logout(&mut self, token: &str) -> Option<Principal> {
        self.sessions
            .remove(&token_hash(token))
            .map(|s| s.principal)
    }

    /// Drops expired sessions.
    pub fn sweep(&mut self, now: UnixTime) {
        let p = self.policy;
        self.sessions
            .retain(|_, s| now.since(s.last_used) <= p.idle_s && now.since(s.created) <= p.max_s);
    }
}

/// 32 random bytes, hex.
fn random_token() -> Result<String, AuthError> {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).map_err(|e| AuthError::Random(e.to_string()))?;
    Ok(hex::encode(b))
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A password of `len` random characters from an unambiguous alphabet (no 0/O, 1/l/I), for a
/// first user made at start.
pub fn random_password(len: usize) -> Result<String, AuthError> {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut b = vec![0u8; len];
    getrandom::fill(&mut b).map_err(|e| AuthError::Random(e.to_string()))?;
    // 256 is not a multiple of 56: the slight bias is irrelevant at these lengths.
    Ok(b.iter()
        .map(|x| char::from(ALPHABET[usize::from(*x) % ALPHABET.len()]))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth() -> Auth {
        let users = vec![
            UserConfig {
                name: "anna".into(),
                role: Role::Operator,
                password_hash: hash_password("correct horse").unwrap(),
            },
            UserConfig {
                name: "boris".into(),
                role: Role::Supervisor,
                password_hash: hash_password("battery staple").unwrap(),
            },
        ];
        Auth::new(users, SessionPolicy::default()).unwrap()
    }

    #[test]
    fn hash_round_trip_and_salted() {
        let a = hash_password("correct horse").unwrap();
        let b = hash_password("correct horse").unwrap();
        assert!(a.starts_with("$argon2id$"), "{a}");
        assert_ne!(a, b, "each hash has its own salt");
        assert!(verify_password(&a, "correct horse"));
        assert!(!verify_password(&a, "correct hors"));
        assert!(!verify_password("not a hash", "correct horse"));
        assert_eq!(hash_password("short"), Err(AuthError::ShortPassword(10)));
    }

    #[test]
    fn login_session_logout() {
        let mut a = auth();
        let t0 = UnixTime(1000.0);
        let l = a.login("anna", "correct horse", t0).unwrap();
        assert_eq!(l.principal.role, Role::Operator);
        assert_eq!(l.token.len(), 64);
        assert_eq!(a.session(&l.token, t0).unwrap().user, "anna");
        assert_eq!(a.session("bogus", t0), Err(AuthError::NoSession));
        assert_eq!(a.logout(&l.token).unwrap().user, "anna");
        assert_eq!(a.session(&l.token, t0), Err(AuthError::NoSession));
        assert_eq!(
            a.login("anna", "wrong password", t0).unwrap_err(),
            AuthError::BadCredentials
        );
        assert_eq!(
            a.login("nobody", "correct horse", t0).unwrap_err(),
            AuthError::BadCredentials
        );
    }

    #[test]
    fn sessions_expire_idle_and_absolute() {
        let mut a = auth();
        let p = SessionPolicy::default();
        let l = a.login("boris", "battery staple", UnixTime(0.0)).unwrap();
        // Used every hour: the idle limit never bites, the absolute one does.
        let mut t = 0.0;
        while t + 3600.0 <= p.max_s {
            t += 3600.0;
            assert!(a.session(&l.token, UnixTime(t)).is_ok(), "at {t}");
        }
        assert!(a.session(&l.token, UnixTime(p.max_s + 1.0)).is_err());
        let l = a.login("boris", "battery staple", UnixTime(0.0)).unwrap();
        assert!(a.session(&l.token, UnixTime(p.idle_s + 1.0)).is_err());
    }

    #[test]
    fn lockout_after_failures_then_recovers() {
        let mut a = auth();
        let p = SessionPolicy::default();
        for i in 0..p.max_failures {
            assert_eq!(
                a.login("anna", "guess", UnixTime(f64::from(i)))
                    .unwrap_err(),
                AuthError::BadCredentials
            );
        }
        // Even the right password is refused while locked.
        let err = a
            .login("anna", "correct horse", UnixTime(10.0))
            .unwrap_err();
        assert!(matches!(err, AuthError::Throttled { retry_after_s } if retry_after_s > 0));
        // Another user is not affected.
        assert!(a.login("boris", "battery staple", UnixTime(10.0)).is_ok());
        let later = UnixTime(f64::from(p.max_failures) + p.lockout_s + 1.0);
        assert!(a.login("anna", "correct horse", later).is_ok());
    }

    #[test]
    fn oldest_session_goes_at_the_limit() {
        let policy = SessionPolicy {
            max_sessions: 3,
            ..SessionPolicy::default()
        };
        let users = vec![UserConfig {
            name: "anna".into(),
            role: Role::Operator,
            password_hash: hash_password("correct horse").unwrap(),
        }];
        let mut a = Auth::new(users, policy).unwrap();
        let tokens: Vec<_> = (0..4)
            .map(|i| {
                a.login("anna", "correct horse", UnixTime(f64::from(i)))
                    .unwrap()
                    .token
            })
            .collect();
        assert_eq!(a.session_count(), 3);
        assert!(a.session(&tokens[0], UnixTime(5.0)).is_err());
        assert!(a.session(&tokens[3], UnixTime(5.0)).is_ok());
    }

    #[test]
    fn bad_configuration_is_refused() {
        let u = |name: &str, hash: &str| UserConfig {
            name: name.into(),
            role: Role::Operator,
            password_hash: hash.into(),
        };
        let good = hash_password("correct horse").unwrap();
        assert!(matches!(
            Auth::new(vec![u("anna", "plain text")], SessionPolicy::default()),
            Err(AuthError::BadHash { .. })
        ));
        assert!(matches!(
            Auth::new(vec![u("an na", &good)], SessionPolicy::default()),
            Err(AuthError::BadName(_))
        ));
        assert!(matches!(
            Auth::new(
                vec![u("anna", &good), u("anna", &good)],
                SessionPolicy::default()
            ),
            Err(AuthError::Duplicate(_))
        ));
        assert_eq!(
            "root".parse::<Role>(),
            Err(AuthError::BadRole("root".into()))
        );
    }

    #[test]
    fn random_passwords_differ() {
        let a = random_password(16).unwrap();
        assert_eq!(a.len(), 16);
        assert_ne!(a, random_password(16).unwrap());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        /// No made-up token ever opens a session, whatever sessions exist.
        #[test]
        fn forged_tokens_never_match(forged in "[0-9a-f]{0,80}") {
            let mut a = Auth::new(Vec::new(), SessionPolicy::default()).unwrap();
            proptest::prop_assert_eq!(a.session(&forged, UnixTime(0.0)), Err(AuthError::NoSession));
        }
    }
}
