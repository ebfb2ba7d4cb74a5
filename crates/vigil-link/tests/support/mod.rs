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
use vigil_core::{Clock, SystemClock, UnixTime};
use vigil_ledger::CentreId;
use vigil_link::certs::{CentreName, PartyCa, Validity};
use vigil_link::drill::Drill;
use vigil_link::link::{Delivered, LinkSettings};
use vigil_link::net::{CentreLinks, CentreLinksConfig, LinkSpec};
use vigil_link::store::LinkStore;
use vigil_link::tls::{LinkTrust, OwnIdentity};
use vigil_release::{Origin, Outbound, ReleasePolicy, Releaser};

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
    listen: Option<&str>,
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
        listen: listen.map(|a| a.parse().unwrap()),
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

/// The drill the tests offer: track ids as given (a million distinct), events numbered.
const DRILL: Drill = Drill {
    tracks: 1_000_000,
    track_rate: 0.0,
    events: 0,
    event_rate: 0.0,
    area: (54.6, 20.5),
};

fn origin() -> Origin {
    Origin::new("NATO", "warszawa-lu")
}

/// An update of track `id` at time `t`.
pub fn track(id: u64, t: f64) -> Outbound {
    DRILL.track(id, UnixTime(t), &origin())
}

/// Event number `n` (alerts, incident transitions and hand-overs in turn).
pub fn event(n: u64, t: f64) -> Outbound {
    DRILL.event(n, UnixTime(t), &origin())
}

#[allow(unused_imports)] // the delivery tests use it, the benchmark does not
pub use vigil_link::drill::event_number;

/// Warszawa (NATO, `a`) dialing Kaliningrad (RU, `b`, listening on a free port), each with
/// its own store in `dir` and a policy releasing everything.
pub struct Pair {
    pub pki: Pki,
    pub a: Centre,
    pub b: Centre,
    pub a_id: OwnIdentity,
    pub b_id: OwnIdentity,
}

pub fn nato() -> CentreName {
    CentreName::new("NATO", "warszawa-lu").unwrap()
}

pub fn ru() -> CentreName {
    CentreName::new("RU", "kaliningrad-lu").unwrap()
}

pub async fn start_pair(dir: &Path) -> Pair {
    let pki = Pki::new(dir);
    let a_id = pki.identity(&pki.nato_ca, "warszawa-lu");
    let b_id = pki.identity(&pki.ru_ca, "kaliningrad-lu");
    let b = start_centre(
        b_id.clone(),
        nato(),
        pki.nato_ca.cert_pem(),
        &dir.join("b.db"),
        Some("127.0.0.1:0"),
        None,
        open_policy(),
        |_| {},
    )
    .await;
    let addr = b.links.local_addr().unwrap();
    let a = start_centre(
        a_id.clone(),
        ru(),
        pki.ru_ca.cert_pem(),
        &dir.join("a.db"),
        None,
        Some(addr.to_string()),
        open_policy(),
        |_| {},
    )
    .await;
    Pair {
        pki,
        a,
        b,
        a_id,
        b_id,
    }
}
