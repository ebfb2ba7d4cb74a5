//! Two centres of two parties with real certificates, for the link tests and benchmarks.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::too_many_arguments,
    missing_docs
)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use vigil_core::{Clock, LatLon, SystemClock, UnixTime};
use vigil_ledger::CentreId;
use vigil_link::certs::{CentreName, PartyCa, Validity};
use vigil_link::link::{Delivered, LinkSettings};
use vigil_link::net::{CentreLinks, CentreLinksConfig, LinkSpec};
use vigil_link::store::LinkStore;
use vigil_link::tls::{LinkTrust, OwnIdentity};
use vigil_release::{
    AlertOut, HandoverOut, HandoverStage, Identity, IncidentOut, Origin, Outbound, ReleasePolicy,
    Releaser, Subject, TrackOut,
};

/// Certificates of two parties in a directory.
pub struct Pki {
    pub dir: PathBuf,
    pub nato_ca: PartyCa,
    pub ru_ca: PartyCa,
}

pub const LINK: &str = "warszawa-kaliningrad";

pub fn now_unix() -> i64 {
    SystemClock.now().0 as i64
}

impl Pki {
    pub fn new(dir: &Path) -> Pki {
        let v = Validity::days_from(now_unix() - 3_600, 30);
        let nato_ca = PartyCa::generate("NATO", v).unwrap();
        let ru_ca = PartyCa::generate("RU", v).unwrap();
        std::fs::write(dir.join("nato-ca.crt"), nato_ca.cert_pem()).unwrap();
        std::fs::write(dir.join("ru-ca.crt"), ru_ca.cert_pem()).unwrap();
        Pki {
            dir: dir.to_owned(),
            nato_ca,
            ru_ca,
        }
    }

    pub fn identity(&self, ca: &PartyCa, centre: &str) -> OwnIdentity {
        let name = CentreName::new(ca.party(), centre).unwrap();
        let cert = ca
            .issue(&name, Validity::days_from(now_unix() - 3_600, 30))
            .unwrap();
        OwnIdentity {
            cert_chain_pem: cert.cert_pem.clone(),
            key_pem: cert.key_pem.clone(),
            name,
        }
    }
}

/// A policy releasing everything everywhere (the release path is tested in vigil-release;
/// these tests are about delivery).
pub fn open_policy() -> Releaser {
    let p = ReleasePolicy::from_toml_str(
        r#"
link = "test"
kinds = ["tracks", "alerts", "incidents", "handovers"]
events_outside_area = true
[[area]]
name = "everywhere"
polygon = [[-89.0, -179.0], [-89.0, 179.0], [89.0, 179.0], [89.0, -179.0]]
lower_ft = -2000
upper_ft = 100000
unknown_altitude = true
"#,
    )
    .unwrap();
    Releaser::new(p, "NATO", "warszawa-lu", None).unwrap()
}

pub struct Centre {
    pub links: CentreLinks,
    pub delivered: mpsc::Receiver<Delivered>,
    pub store: Arc<Mutex<LinkStore>>,
    pub shutdown: CancellationToken,
}

pub async fn start_centre(
    own: OwnIdentity,
    partner: CentreName,
    partner_ca_pem: String,
    db: &Path,
    listen: bool,
    dial: Option<String>,
    releaser: Releaser,
    tune: impl FnOnce(&mut LinkSettings),
) -> Centre {
    let store = Arc::new(Mutex::new(
        LinkStore::open(
            db,
            CentreId {
                party: own.name.party.clone(),
                centre: own.name.centre.clone(),
            },
        )
        .unwrap(),
    ));
    let mut settings = LinkSettings::new(LINK, own.name.clone(), partner.clone());
    tune(&mut settings);
    let cfg = CentreLinksConfig {
        own,
        listen: listen.then(|| "127.0.0.1:0".parse().unwrap()),
        links: vec![LinkSpec {
            settings,
            trust: LinkTrust {
                partner_ca_pem,
                expected: partner,
                crls_pem: vec![],
            },
            dial,
            releaser,
        }],
    };
    let shutdown = CancellationToken::new();
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let (links, delivered) = CentreLinks::start(cfg, store.clone(), clock, shutdown.clone())
        .await
        .unwrap();
    Centre {
        links,
        delivered,
        store,
        shutdown,
    }
}

pub fn track(id: u64, t: f64) -> Outbound {
    Outbound::Track(TrackOut {
        id,
        time: UnixTime(t),
        lat: 54.5 + (id % 100) as f64 * 0.001,
        lon: 20.5,
        alt_ft: Some(35_000.0),
        velocity: None,
        identity: Identity::default(),
        military: false,
        origin: Origin::new("NATO", "warszawa-lu"),
        lineage: vec![],
        transponder_lost: None,
        category: None,
    })
}

pub fn subject(track: u64) -> Subject {
    Subject {
        track,
        lat: 54.5,
        lon: 20.5,
        alt_ft: Some(35_000.0),
        identity: Identity::default(),
        military: false,
        origin: Origin::new("NATO", "warszawa-lu"),
    }
}

/// Event number `n` (alerts, incident transitions and hand-overs in turn), numbered by
/// its id so the receiver can count each exactly once.
pub fn event(n: u64, t: f64) -> Outbound {
    match n % 3 {
        0 => Outbound::Alert(AlertOut {
            id: n,
            subject: subject(n),
            kind: vigil_renegade::IndicatorKind::Squawk7500,
            started: UnixTime(t),
            raised: UnixTime(t),
            cleared: None,
            value: None,
            detail: None,
        }),
        1 => Outbound::IncidentTransition(IncidentOut {
            incident: vigil_incident::IncidentId(n),
            seq: n,
            at: UnixTime(t),
            action: "acknowledge".into(),
            from_state: "detected".into(),
            to_state: "assessed".into(),
            from_level: 0,
            to_level: 1,
            actor: None,
            reason: None,
            remark: None,
            subject: subject(n),
        }),
        _ => Outbound::Handover(HandoverOut {
            id: n,
            subject: subject(n),
            at: UnixTime(t),
            stage: HandoverStage::Request,
            from_party: "NATO".into(),
            to_party: "RU".into(),
            point: Some(LatLon::new(54.4, 19.6)),
            remark: None,
        }),
    }
}

/// The event number of a delivered event.
pub fn event_number(msg: &Outbound) -> Option<u64> {
    match msg {
        Outbound::Alert(a) => Some(a.id),
        Outbound::IncidentTransition(i) => Some(i.seq),
        Outbound::Handover(h) => Some(h.id),
        _ => None,
    }
}
