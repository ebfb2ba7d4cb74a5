//! `[links]`: the centre's links to partner centres (vigil-link), from configuration to a
//! running [`CentreLinks`]; what the centre keeps of what partners send; the link drill
//! (synthetic traffic to commission a link, and the tests' and benchmarks' load).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use vigil_airspace::Airspace;
use vigil_core::{Clock, UnixTime};
use vigil_ledger::{CentreId, Keys};
use vigil_link::certs::{self, CentreName};
use vigil_link::link::{Delivered, LinkHandle, LinkSettings};
use vigil_link::net::{CentreLinksConfig, LinkSpec};
use vigil_link::store::LinkStore;
use vigil_link::tls::{LinkTrust, OwnIdentity};
use vigil_release::{Outbound, ReleasePolicy, Releaser};

/// `[links]`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
pub struct LinksSection {
    /// This centre's certificate (PEM), issued by its party's CA (`vigil certs issue`).
    pub cert: Option<PathBuf>,
    /// Its private key (PEM, Ed25519). It also signs the ledger's checkpoints.
    pub key: Option<PathBuf>,
    /// The centre's store (SQLite): the link ledgers, outbound buffers and inboxes.
    #[serde(default = "default_store")]
    pub store: PathBuf,
    /// Where partners that dial this centre connect (omit when this centre only dials).
    pub listen: Option<SocketAddr>,
    /// The links: one `[[links.link]]` table each.
    #[serde(default, rename = "link")]
    pub links: Vec<LinkConfig>,
}

fn default_store() -> PathBuf {
    PathBuf::from("vigil.db")
}

/// `[[links.link]]`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LinkConfig {
    /// The link's name, the same in both centres' configurations (`[A-Za-z0-9_-]`).
    pub name: String,
    /// The partner centre's party, as its certificate names it.
    pub partner_party: String,
    /// The partner centre, as its certificate names it.
    pub partner_centre: String,
    /// The partner party's CA certificate (PEM).
    pub partner_ca: PathBuf,
    /// Revocation lists (PEM) of the partner's CA: certificates listed are refused.
    #[serde(default)]
    pub crls: Vec<PathBuf>,
    /// The partner's address when this centre dials (`host:port`); omit when it dials us.
    #[serde(default)]
    pub dial: Option<String>,
    /// The release policy file (vigil-release TOML) of what this centre sends on the link.
    pub policy: PathBuf,
    /// Heartbeat period, seconds.
    #[serde(default = "default_heartbeat")]
    pub heartbeat_s: f64,
    /// Period of the signed ledger checkpoints, seconds.
    #[serde(default = "default_checkpoint")]
    pub checkpoint_s: f64,
    /// Messages sent and not yet acknowledged beyond which track updates wait (newest
    /// wins); alerts, incidents and hand-overs always go.
    #[serde(default = "default_window")]
    pub window: usize,
}

fn default_heartbeat() -> f64 {
    3.0
}
fn default_checkpoint() -> f64 {
    60.0
}
fn default_window() -> usize {
    32_768
}

fn resolve(p: &Path, base: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_owned()
    } else {
        base.join(p)
    }
}

fn read(p: &Path, what: &str) -> Result<String> {
    std::fs::read_to_string(p).with_context(|| format!("cannot read {what} {}", p.display()))
}

impl LinksSection {
    /// Whether any link is configured.
    pub fn enabled(&self) -> bool {
        !self.links.is_empty()
    }

    /// Checks what needs no file.
    pub fn validate(&self) -> Result<()> {
        if self.links.is_empty() {
            return Ok(());
        }
        if self.cert.is_none() || self.key.is_none() {
            bail!(
                "[links] needs cert and key: this centre's certificate and key \
                 (make them with `vigil certs ca` and `vigil certs issue`)"
            );
        }
        let mut names = std::collections::HashSet::new();
        for l in &self.links {
            if !names.insert(&l.name) {
                bail!("[[links.link]] {:?} is configured twice", l.name);
            }
            CentreName::new(&l.partner_party, &l.partner_centre)
                .with_context(|| format!("[[links.link]] {:?}: partner", l.name))?;
            if !(l.heartbeat_s > 0.0 && l.heartbeat_s.is_finite()) {
                bail!("[[links.link]] {:?}: heartbeat_s must be > 0", l.name);
            }
            if !(l.checkpoint_s > 0.0 && l.checkpoint_s.is_finite()) {
                bail!("[[links.link]] {:?}: checkpoint_s must be > 0", l.name);
            }
            if l.window == 0 {
                bail!("[[links.link]] {:?}: window must be at least 1", l.name);
            }
        }
        if self.listen.is_none() && self.links.iter().any(|l| l.dial.is_none()) {
            bail!(
                "[links] has a link without `dial` (the partner dials this centre) but no \
                 `listen` address: set [links] listen = \"0.0.0.0:7400\", or give the link a dial address"
            );
        }
        Ok(())
    }

    /// The store path, relative to the configuration's directory.
    pub fn store_path(&self, base: &Path) -> PathBuf {
        resolve(&self.store, base)
    }

    /// Opens the centre's store.
    pub fn open_store(&self, base: &Path, party: &str, centre: &str) -> Result<LinkStore> {
        let p = self.store_path(base);
        LinkStore::open(
            &p,
            CentreId {
                party: party.to_owned(),
                centre: centre.to_owned(),
            },
        )
        .with_context(|| format!("cannot open the centre's store {}", p.display()))
    }

    /// This centre's identity from its certificate and key.
    pub fn identity(&self, base: &Path) -> Result<OwnIdentity> {
        let (Some(cert), Some(key)) = (&self.cert, &self.key) else {
            bail!("[links] needs cert and key");
        };
        let (cert, key) = (resolve(cert, base), resolve(key, base));
        OwnIdentity::load(&cert, &key).with_context(|| {
            format!(
                "cannot load this centre's certificate {} and key {}",
                cert.display(),
                key.display()
            )
        })
    }

    /// The running configuration: identities, trust, policies. `party`/`centre` are this
    /// centre's (they must match its certificate).
    pub fn build(
        &self,
        base: &Path,
        party: &str,
        centre: &str,
        exercise: bool,
        airspace: Option<&Airspace>,
    ) -> Result<CentreLinksConfig> {
        self.validate()?;
        let own = self.identity(base)?;
        if own.name.party != party || own.name.centre != centre {
            bail!(
                "[centre] says this is {centre}.{party} but the certificate names {}: \
                 fix [centre] name/party or use the centre's own certificate",
                own.name
            );
        }
        let mut links = Vec::new();
        for l in &self.links {
            let policy_path = resolve(&l.policy, base);
            let policy = ReleasePolicy::from_toml_str(&read(&policy_path, "release policy")?)
                .with_context(|| format!("release policy {}", policy_path.display()))?;
            let releaser = Releaser::new(policy, party, centre, airspace).with_context(|| {
                format!(
                    "release policy {} (a policy naming an airspace volume needs [renegade] \
                     eurofirs/airspace)",
                    policy_path.display()
                )
            })?;
            let partner = CentreName::new(&l.partner_party, &l.partner_centre)?;
            let mut crls = Vec::new();
            for c in &l.crls {
                crls.push(read(&resolve(c, base), "revocation list")?);
            }
            let mut settings = LinkSettings::new(&l.name, own.name.clone(), partner.clone());
            settings.heartbeat = std::time::Duration::from_secs_f64(l.heartbeat_s);
            settings.checkpoint_every = std::time::Duration::from_secs_f64(l.checkpoint_s);
            settings.window = l.window;
            settings.exercise = exercise;
            links.push(LinkSpec {
                settings,
                trust: LinkTrust {
                    partner_ca_pem: read(&resolve(&l.partner_ca, base), "partner CA certificate")?,
                    expected: partner,
                    crls_pem: crls,
                },
                dial: l.dial.clone(),
                releaser,
            });
        }
        Ok(CentreLinksConfig {
            own,
            listen: self.listen,
            links,
        })
    }
}

/// The keys that verify a centre's ledger: its own (from its certificate) and each
/// partner's (from the certificate the partner presented, kept in the store).
pub fn ledger_keys(store: &LinkStore, own_cert_pem: &str) -> Result<Keys> {
    let der = first_cert_der(own_cert_pem)?;
    let mut keys =
        Keys::new(certs::verifying_key_from_cert_der(&der).context("this centre's certificate")?);
    for p in store.peers()? {
        let key = certs::verifying_key_from_cert_der(&p.cert_der).with_context(|| {
            format!(
                "the certificate {}.{} presented on {}",
                p.centre, p.party, p.link
            )
        })?;
        keys = keys.with_partner(&p.link, key);
    }
    Ok(keys)
}

fn first_cert_der(pem: &str) -> Result<Vec<u8>> {
    use rustls_pki_types::pem::PemObject;
    let der = rustls_pki_types::CertificateDer::pem_slice_iter(pem.as_bytes())
        .next()
        .context("no certificate in the PEM")?
        .context("bad PEM certificate")?;
    Ok(der.to_vec())
}

/// What the centre keeps of what partners sent: the latest track of each origin, and
/// the events (alerts, incident transitions, hand-overs).
#[derive(Debug, Default)]
pub struct PartnerPicture {
    tracks: BTreeMap<(String, String, u64), (UnixTime, Delivered)>,
    events: std::collections::VecDeque<Delivered>,
    received: u64,
}

/// Partner events kept in memory for the API (the store keeps them all).
const KEEP_EVENTS: usize = 10_000;

impl PartnerPicture {
    /// The UI map's view of the partner tracks: id `P:<party>/<centre>:<n>` (the origin's).
    pub fn ui_rows(&self) -> Vec<(String, crate::live::UiRow)> {
        self.tracks
            .iter()
            .filter_map(|((party, centre, n), (_, d))| {
                let Outbound::Track(t) = &d.msg else {
                    return None;
                };
                let (gs, trk) = t.velocity.as_ref().map_or((None, None), |v| {
                    (
                        Some((v.east_mps.hypot(v.north_mps) * 3600.0 / 1852.0).round()),
                        Some(
                            v.east_mps
                                .atan2(v.north_mps)
                                .to_degrees()
                                .rem_euclid(360.0)
                                .round(),
                        ),
                    )
                });
                let mut flags = crate::live::PARTNER;
                if t.transponder_lost == Some(true) {
                    flags |= crate::live::TRANSPONDER_LOST;
                }
                if t.category.is_some_and(|c| c as u8 > 0) {
                    flags |= crate::live::FLAGGED;
                }
                let row = crate::live::UiRow {
                    lat: (t.lat * 1e5).round() / 1e5,
                    lon: (t.lon * 1e5).round() / 1e5,
                    alt_ft: t.alt_ft.map(|a| (a / 10.0).round() * 10.0),
                    gs_kt: gs,
                    track_deg: trk,
                    squawk: t.identity.squawk.map(|q| format!("{q:04x}")),
                    callsign: t.identity.callsign.as_ref().map(ToString::to_string),
                    flags,
                };
                Some((format!("P:{party}/{centre}:{n}"), row))
            })
            .collect()
    }

    /// `/data/tracks/P:<party>/<centre>:<n>`: the partner's message as kept, labelled.
    pub fn track_detail(&self, key: &str) -> Option<Value> {
        let (origin, n) = key.rsplit_once(':')?;
        let (party, centre) = origin.split_once('/')?;
        let n: u64 = n.parse().ok()?;
        let (_, d) = self.tracks.get(&(party.to_owned(), centre.to_owned(), n))?;
        let mut v = serde_json::to_value(&d.msg).ok()?;
        if let Value::Object(o) = &mut v {
            o.insert("link".into(), json!(d.link));
            o.insert("from".into(), json!(d.from.to_string()));
            o.insert("exercise".into(), json!(d.exercise));
            o.insert("received".into(), json!(d.received.0));
        }
        Some(v)
    }

    /// Takes in one delivered message.
    pub fn add(&mut self, d: Delivered) {
        self.received += 1;
        match &d.msg {
            Outbound::Track(t) => {
                let key = (t.origin.party.clone(), t.origin.centre.clone(), t.id);
                self.tracks.insert(key, (d.received, d));
            }
            Outbound::Heartbeat(_) => {}
            _ => {
                if self.events.len() == KEEP_EVENTS {
                    self.events.pop_front();
                }
                self.events.push_back(d);
            }
        }
    }

    /// Drops tracks not updated for `max_age_s`.
    pub fn expire(&mut self, now: UnixTime, max_age_s: f64) {
        self.tracks.retain(|_, (t, _)| now.since(*t) <= max_age_s);
    }

    /// `/data/partner.json`: partner tracks and events, each labelled with its link,
    /// sending centre and origin.
    pub fn json(&self) -> Value {
        let label = |d: &Delivered| {
            let mut v = serde_json::to_value(&d.msg).unwrap_or(Value::Null);
            if let Value::Object(o) = &mut v {
                o.insert("link".into(), json!(d.link));
                o.insert("from".into(), json!(d.from.to_string()));
                o.insert("link_seq".into(), json!(d.seq));
                o.insert("exercise".into(), json!(d.exercise));
                o.insert("received".into(), json!(d.received.0));
            }
            v
        };
        json!({
            "received": self.received,
            "tracks": self.tracks.values().map(|(_, d)| label(d)).collect::<Vec<_>>(),
            "events": self.events.iter().map(label).collect::<Vec<_>>(),
        })
    }
}

/// What the API and the centre's tasks share of the links.
#[derive(Debug)]
pub struct LinksShared {
    /// The links.
    pub handles: Vec<LinkHandle>,
    /// What partners sent.
    pub picture: Mutex<PartnerPicture>,
    /// Connections refused at the TLS layer.
    pub refused: Arc<AtomicU64>,
}

impl LinksShared {
    /// `/data/links.json`: each link's state, heartbeat, lag, counters and checkpoints.
    pub fn json(&self) -> Value {
        json!({
            "refused_connections": self.refused.load(Ordering::Relaxed),
            "links": self.handles.iter().map(|h| h.status()).collect::<Vec<_>>(),
        })
    }

    /// `/data/partner.json`.
    pub fn partner_json(&self) -> Value {
        self.picture
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .json()
    }
}

/// Offers what the renegade desk collected (tracks, alerts, incident transitions,
/// hand-overs) to every link, twice a second. Each link's release policy decides what
/// goes. Waits when a link's input is full rather than drop an event.
pub async fn run_outbound(
    tracker: Arc<crate::tracking::TrackerShared>,
    links: Arc<LinksShared>,
    shutdown: CancellationToken,
) {
    let mut tick = tokio::time::interval(std::time::Duration::from_millis(500));
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = tick.tick() => {}
        }
        let out = {
            let mut engine = tracker.lock();
            engine
                .desk
                .as_mut()
                .map(|d| d.drain_outbound())
                .unwrap_or_default()
        };
        for msg in out {
            for h in &links.handles {
                if h.offer(msg.clone()).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// Keeps what partners send in the partner picture, and offers it to the centre's other
/// links: their policies forward it only where `forward_partner_data` names its party.
pub async fn run_inbound(mut delivered: mpsc::Receiver<Delivered>, links: Arc<LinksShared>) {
    while let Some(d) = delivered.recv().await {
        for h in links.handles.iter().filter(|h| h.name() != d.link) {
            let _ = h.offer(d.msg.clone()).await;
        }
        let now = d.received;
        let mut p = links.picture.lock().unwrap_or_else(|p| p.into_inner());
        p.add(d);
        p.expire(now, PARTNER_TRACK_MAX_AGE_S);
    }
}

/// A partner track not updated for this long leaves the partner picture.
const PARTNER_TRACK_MAX_AGE_S: f64 = 60.0;

/// Decodes the inbox rows of a store into JSON lines (`vigil link inbox`).
pub fn inbox_json(store: &LinkStore) -> Result<Vec<Value>> {
    let mut out = Vec::new();
    for row in store.inbox(None)? {
        let kind = match row.kind.as_str() {
            "alert" => vigil_link::wire::pb::Kind::Alert,
            "incident" => vigil_link::wire::pb::Kind::Incident,
            "handover" => vigil_link::wire::pb::Kind::Handover,
            "missile_track" => vigil_link::wire::pb::Kind::MissileTrack,
            "launch_warning" => vigil_link::wire::pb::Kind::LaunchWarning,
            "station_alarm" => vigil_link::wire::pb::Kind::StationAlarm,
            _ => vigil_link::wire::pb::Kind::Track,
        };
        let msg = vigil_link::wire::decode_data(kind as i32, &row.payload)
            .map(|m| serde_json::to_value(m).unwrap_or(Value::Null))
            .unwrap_or_else(|e| json!({ "undecodable": e.to_string() }));
        out.push(json!({
            "link": row.link,
            "seq": row.peer_seq,
            "kind": row.kind,
            "received": row.time.0,
            "exercise": row.exercise,
            "refused": row.refused,
            "message": msg,
        }));
    }
    Ok(out)
}

/// The clock the links run on.
pub fn clock() -> Arc<dyn Clock> {
    Arc::new(vigil_core::SystemClock)
}
