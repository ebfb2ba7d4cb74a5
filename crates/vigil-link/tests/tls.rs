//! Mutual TLS between centres: real TLS 1.3 handshakes over loopback TCP (tokio-rustls) with
//! certificates from `certs`, and `identify_peer` deciding which link a client is.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::{TlsAcceptor, TlsConnector};
use vigil_link::certs::{self, CentreCert, CentreName, PartyCa, Validity, write_centre_files};
use vigil_link::tls::{
    self, FixedTime, LinkTrust, OwnIdentity, TlsError, client_config, identify_peer, server_config,
    server_name,
};

const DAY: i64 = 86_400;

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn name(party: &str, centre: &str) -> CentreName {
    CentreName::new(party, centre).unwrap()
}

fn ca(party: &str) -> PartyCa {
    PartyCa::generate(party, Validity::days_from(now(), 30)).unwrap()
}

/// Issues, writes to files and loads back: the path a real centre takes.
fn identity_from(
    dir: &tempfile::TempDir,
    ca: &PartyCa,
    n: &CentreName,
    v: Validity,
) -> (OwnIdentity, CentreCert) {
    let cert = ca.issue(n, v).unwrap();
    (identity_of(dir, &cert), cert)
}

fn identity_of(dir: &tempfile::TempDir, cert: &CentreCert) -> OwnIdentity {
    let paths = write_centre_files(dir.path(), cert).unwrap();
    let own = OwnIdentity::load(&paths.cert, &paths.key).unwrap();
    assert_eq!(own.name, cert.name);
    own
}

fn valid() -> Validity {
    Validity::days_from(now(), 1)
}

fn trust(ca: &PartyCa, expected: &CentreName) -> LinkTrust {
    LinkTrust {
        partner_ca_pem: ca.cert_pem(),
        expected: expected.clone(),
        crls_pem: Vec::new(),
    }
}

fn chain_of(cert: &CentreCert) -> Vec<CertificateDer<'static>> {
    vec![CertificateDer::from_pem_slice(cert.cert_pem.as_bytes()).unwrap()]
}

/// What each side saw.
struct Outcome {
    /// The server: the client's chain after a completed handshake and echo, or the error.
    server: Result<Vec<CertificateDer<'static>>, std::io::Error>,
    /// The client: the echoed bytes and the server's chain, or the error.
    client: Result<(Vec<u8>, Vec<CertificateDer<'static>>), std::io::Error>,
}

/// One connection on 127.0.0.1:0; the client sends `ping` and reads it back.
async fn handshake(
    server: Arc<rustls::ServerConfig>,
    client: Arc<rustls::ClientConfig>,
    dial: &LinkTrust,
) -> Outcome {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let acceptor = TlsAcceptor::from(server);
    let server_task = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await?;
        let mut tls = acceptor.accept(tcp).await?;
        let (_, conn) = tls.get_ref();
        assert_eq!(conn.alpn_protocol(), Some(tls::ALPN_H2));
        let chain = conn.peer_certificates().unwrap_or_default().to_vec();
        let mut buf = [0u8; 4];
        tls.read_exact(&mut buf).await?;
        tls.write_all(&buf).await?;
        tls.flush().await?;
        tls.shutdown().await?;
        Ok::<_, std::io::Error>(chain)
    });
    let connector = TlsConnector::from(client);
    let sni = server_name(dial).unwrap();
    let client = async move {
        let tcp = TcpStream::connect(addr).await?;
        let mut tls = connector.connect(sni, tcp).await?;
        let chain = tls
            .get_ref()
            .1
            .peer_certificates()
            .unwrap_or_default()
            .to_vec();
        tls.write_all(b"ping").await?;
        tls.flush().await?;
        let mut buf = vec![0u8; 4];
        tls.read_exact(&mut buf).await?;
        Ok::<_, std::io::Error>((buf, chain))
    };
    let timeout = Duration::from_secs(5);
    let client = tokio::time::timeout(timeout, client)
        .await
        .expect("client timed out");
    let server = tokio::time::timeout(timeout, server_task)
        .await
        .expect("server timed out")
        .unwrap();
    Outcome { server, client }
}

fn classified(err: &std::io::Error) -> TlsError {
    tls::classify(err).unwrap_or_else(|| panic!("not a TLS error: {err:?}"))
}

/// NATO (brussels) and RU (kaliningrad), each with its own CA.
struct Pair {
    dir: tempfile::TempDir,
    nato_ca: PartyCa,
    ru_ca: PartyCa,
    brussels: CentreName,
    kaliningrad: CentreName,
}

impl Pair {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
            nato_ca: ca("NATO"),
            ru_ca: ca("RU"),
            brussels: name("NATO", "brussels"),
            kaliningrad: name("RU", "kaliningrad"),
        }
    }

    /// Brussels listens with one link to kaliningrad; kaliningrad dials with `client_cert`.
    async fn ru_dials(&self, client_cert: &CentreCert, server_crls: Vec<String>) -> Outcome {
        let (server_own, _) = identity_from(&self.dir, &self.nato_ca, &self.brussels, valid());
        let mut link = trust(&self.ru_ca, &self.kaliningrad);
        link.crls_pem = server_crls;
        let server = server_config(&server_own, &[link]).unwrap();
        let client_own = identity_of(&self.dir, client_cert);
        let dial = trust(&self.nato_ca, &self.brussels);
        let client = client_config(&client_own, &dial).unwrap();
        handshake(server, client, &dial).await
    }

    fn server_links(&self) -> Vec<LinkTrust> {
        vec![trust(&self.ru_ca, &self.kaliningrad)]
    }
}

/// The server refused in the handshake with `want`; the client was refused too.
fn assert_refused(out: &Outcome, want: fn(&TlsError) -> bool) {
    let err = out.server.as_ref().expect_err("server accepted");
    let got = classified(err);
    assert!(want(&got), "server side: {got:?}");
    let client_err = out.client.as_ref().expect_err("client was not refused");
    // The client learns it from the server's alert (or the connection closing).
    if let Some(c) = tls::classify(client_err) {
        assert!(
            matches!(c, TlsError::RefusedByPartner(_)),
            "client side: {c:?}"
        );
    }
}

#[tokio::test]
async fn good_pair_both_ways() {
    let p = Pair::new();
    let (nato_own, nato_cert) = identity_from(&p.dir, &p.nato_ca, &p.brussels, valid());
    let (ru_own, ru_cert) = identity_from(&p.dir, &p.ru_ca, &p.kaliningrad, valid());
    let nato_link = trust(&p.ru_ca, &p.kaliningrad); // NATO's view of RU
    let ru_link = trust(&p.nato_ca, &p.brussels); // RU's view of NATO

    // RU dials NATO, then NATO dials RU.
    for (server_own, server_links, client_own, dial, client_cert, server_cert) in [
        (
            &nato_own, &nato_link, &ru_own, &ru_link, &ru_cert, &nato_cert,
        ),
        (
            &ru_own, &ru_link, &nato_own, &nato_link, &nato_cert, &ru_cert,
        ),
    ] {
        // An unrelated link first, so the index matters.
        let other_ca = ca("FI");
        let links = vec![
            trust(&other_ca, &name("FI", "helsinki")),
            server_links.clone(),
        ];
        let server = server_config(server_own, &links).unwrap();
        let client = client_config(client_own, dial).unwrap();
        let out = handshake(server, client, dial).await;
        let chain = out.server.unwrap();
        let (echo, server_chain) = out.client.unwrap();
        assert_eq!(echo, b"ping");
        assert_eq!(chain, chain_of(client_cert));
        assert_eq!(server_chain, chain_of(server_cert));
        let (index, peer) = identify_peer(&chain, &links, now()).unwrap();
        assert_eq!(index, 1);
        assert_eq!(peer, client_cert.name);
        // The ledger key of the partner is the key of its certificate.
        let vk = certs::verifying_key_from_cert_der(&chain[0]).unwrap();
        let sk = certs::signing_key_from_pem(&client_cert.key_pem).unwrap();
        assert_eq!(vk, sk.verifying_key());
    }
}

#[tokio::test]
async fn client_of_unconfigured_ca_is_refused() {
    let p = Pair::new();
    // Another party's CA (not configured), and a CA with the same name as RU's but another
    // key (an impostor, or RU regenerated its CA without telling NATO).
    let other = ca("FI").issue(&name("FI", "kaliningrad"), valid()).unwrap();
    let impostor = ca("RU").issue(&p.kaliningrad, valid()).unwrap();
    for cert in [other, impostor] {
        let out = p.ru_dials(&cert, Vec::new()).await;
        assert_refused(&out, |e| matches!(e, TlsError::UnknownCa));
        assert!(matches!(
            identify_peer(&chain_of(&cert), &p.server_links(), now()),
            Err(TlsError::UnknownCa)
        ));
        // The client's view: the partner does not know its CA.
        let client_err = out.client.unwrap_err();
        if let Some(TlsError::RefusedByPartner(why)) = tls::classify(&client_err) {
            assert!(why.contains("CA"), "{why}");
        }
    }
}

#[tokio::test]
async fn expired_client_is_refused() {
    let p = Pair::new();
    let past = Validity {
        not_before_unix: now() - 10 * DAY,
        not_after_unix: now() - DAY,
    };
    let cert = p.ru_ca.issue(&p.kaliningrad, past).unwrap();
    let out = p.ru_dials(&cert, Vec::new()).await;
    assert_refused(&out, |e| matches!(e, TlsError::Expired));
    assert!(matches!(
        identify_peer(&chain_of(&cert), &p.server_links(), now()),
        Err(TlsError::Expired)
    ));
    // Valid when it was valid (injected time).
    assert!(identify_peer(&chain_of(&cert), &p.server_links(), now() - 5 * DAY).is_ok());
}

#[tokio::test]
async fn not_yet_valid_client_is_refused() {
    let p = Pair::new();
    let future = Validity {
        not_before_unix: now() + DAY,
        not_after_unix: now() + 10 * DAY,
    };
    let cert = p.ru_ca.issue(&p.kaliningrad, future).unwrap();
    let out = p.ru_dials(&cert, Vec::new()).await;
    assert_refused(&out, |e| matches!(e, TlsError::NotYetValid));
    assert!(matches!(
        identify_peer(&chain_of(&cert), &p.server_links(), now()),
        Err(TlsError::NotYetValid)
    ));
}

#[tokio::test]
async fn revoked_client_is_refused_and_others_are_not() {
    let p = Pair::new();
    let revoked = p.ru_ca.issue(&p.kaliningrad, valid()).unwrap();
    let renewed = p.ru_ca.issue(&p.kaliningrad, valid()).unwrap();
    let crl = p
        .ru_ca
        .revocation_list(
            std::slice::from_ref(&revoked.serial),
            now() - 60,
            now() + DAY,
            1,
        )
        .unwrap();

    let out = p.ru_dials(&revoked, vec![crl.clone()]).await;
    assert_refused(&out, |e| matches!(e, TlsError::Revoked));
    let client_err = out.client.unwrap_err();
    if let Some(TlsError::RefusedByPartner(why)) = tls::classify(&client_err) {
        assert!(why.contains("revoked"), "{why}");
    }

    let mut links = p.server_links();
    links[0].crls_pem = vec![crl.clone()];
    assert!(matches!(
        identify_peer(&chain_of(&revoked), &links, now()),
        Err(TlsError::Revoked)
    ));

    // The renewed certificate is not on the list.
    let out = p.ru_dials(&renewed, vec![crl.clone()]).await;
    out.server.unwrap();
    assert_eq!(out.client.unwrap().0, b"ping");
    assert_eq!(
        identify_peer(&chain_of(&renewed), &links, now()).unwrap(),
        (0, p.kaliningrad.clone())
    );

    // A CRL of another CA is a configuration error, not a silent no-op.
    let (own, _) = identity_from(&p.dir, &p.nato_ca, &p.brussels, valid());
    let nato_crl = p
        .nato_ca
        .revocation_list(&[], now() - 60, now() + DAY, 1)
        .unwrap();
    links[0].crls_pem = vec![nato_crl];
    assert!(matches!(
        server_config(&own, &links),
        Err(TlsError::CrlNotFromPartnerCa { .. })
    ));
}

#[tokio::test]
async fn revoked_server_is_refused_by_the_client() {
    let p = Pair::new();
    let (server_own, server_cert) = identity_from(&p.dir, &p.nato_ca, &p.brussels, valid());
    let (client_own, _) = identity_from(&p.dir, &p.ru_ca, &p.kaliningrad, valid());
    let server = server_config(&server_own, &p.server_links()).unwrap();
    let mut dial = trust(&p.nato_ca, &p.brussels);
    dial.crls_pem = vec![
        p.nato_ca
            .revocation_list(
                std::slice::from_ref(&server_cert.serial),
                now() - 60,
                now() + DAY,
                1,
            )
            .unwrap(),
    ];
    let client = client_config(&client_own, &dial).unwrap();
    let out = handshake(server, client, &dial).await;
    assert!(matches!(
        classified(out.client.as_ref().unwrap_err()),
        TlsError::Revoked
    ));
    assert!(out.server.is_err());
}

#[tokio::test]
async fn wrong_identity_is_refused() {
    let p = Pair::new();
    // Server side: a valid RU centre, but not the one this link is for.
    let sovetsk = p.ru_ca.issue(&name("RU", "sovetsk"), valid()).unwrap();
    let out = p.ru_dials(&sovetsk, Vec::new()).await;
    let chain = out.server.unwrap(); // the handshake only checks the CA
    match identify_peer(&chain, &p.server_links(), now()) {
        Err(TlsError::WrongIdentity { expected, got }) => {
            assert_eq!(expected, "kaliningrad.RU");
            assert!(got.contains("CN=sovetsk"), "{got}");
        }
        other => panic!("{other:?}"),
    }

    // Client side: dialing brussels, but the server is mons.
    let (server_own, _) = identity_from(&p.dir, &p.nato_ca, &name("NATO", "mons"), valid());
    let (client_own, _) = identity_from(&p.dir, &p.ru_ca, &p.kaliningrad, valid());
    let server = server_config(&server_own, &p.server_links()).unwrap();
    let dial = trust(&p.nato_ca, &p.brussels);
    let client = client_config(&client_own, &dial).unwrap();
    let out = handshake(server, client, &dial).await;
    match classified(out.client.as_ref().unwrap_err()) {
        TlsError::WrongIdentity { expected, got } => {
            assert_eq!(expected, "brussels.nato.vigil");
            assert!(got.contains("mons.nato.vigil"), "{got}");
        }
        other => panic!("{other:?}"),
    }
    assert!(out.server.is_err());
}

#[tokio::test]
async fn cross_link_confusion_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let ca_a = ca("A");
    let ca_b = ca("B");
    let a1 = name("A", "a1");
    let b1 = name("B", "b1");
    let links = vec![trust(&ca_a, &a1), trust(&ca_b, &b1)];
    let good_a = ca_a.issue(&a1, valid()).unwrap();
    let good_b = ca_b.issue(&b1, valid()).unwrap();
    assert_eq!(
        identify_peer(&chain_of(&good_a), &links, now()).unwrap(),
        (0, a1.clone())
    );
    assert_eq!(
        identify_peer(&chain_of(&good_b), &links, now()).unwrap(),
        (1, b1.clone())
    );

    // CA A issues a centre named b1 in its own party: passes the handshake (CA A is
    // configured) but is neither a1 nor B's b1.
    let a_b1 = ca_a.issue(&name("A", "b1"), valid()).unwrap();
    let (server_own, _) = identity_from(&dir, &ca_b, &name("B", "server"), valid());
    let client_own = identity_of(&dir, &a_b1);
    let dial = trust(&ca_b, &name("B", "server"));
    let out = handshake(
        server_config(&server_own, &links).unwrap(),
        client_config(&client_own, &dial).unwrap(),
        &dial,
    )
    .await;
    let chain = out.server.unwrap();
    assert!(matches!(
        identify_peer(&chain, &links, now()),
        Err(TlsError::WrongIdentity { .. })
    ));

    // CA A's key forges B's identity exactly (O=B, CN=b1, b1.b.vigil): `issue` refuses, so
    // sign it with rcgen directly. Refused: it does not chain to B's CA, and for A's link it
    // is the wrong name (and outside A's name constraint).
    assert!(ca_a.issue(&b1, valid()).is_err());
    let forged = forge(&ca_a, &b1);
    let err = identify_peer(std::slice::from_ref(&forged), &links, now()).unwrap_err();
    // A's link: outside A's name constraint (`a.vigil`), before the name check.
    assert!(
        matches!(&err, TlsError::BadCertificate(why) if why.contains("NameConstraint")),
        "{err:?}"
    );
    // Only B's link configured: unknown CA.
    assert!(matches!(
        identify_peer(&[forged], &links[1..], now()),
        Err(TlsError::UnknownCa)
    ));

    // Two links to centres of the same party: the name picks the link.
    let a2 = name("A", "a2");
    let two = vec![trust(&ca_a, &a1), trust(&ca_a, &a2)];
    let good_a2 = ca_a.issue(&a2, valid()).unwrap();
    assert_eq!(
        identify_peer(&chain_of(&good_a2), &two, now()).unwrap(),
        (1, a2)
    );
}

/// A certificate for `n` signed by `ca`'s key without `issue`'s party check.
fn forge(ca: &PartyCa, n: &CentreName) -> CertificateDer<'static> {
    let key = rcgen::KeyPair::from_pem(&ca.key_pem()).unwrap();
    let issuer = rcgen::Issuer::from_ca_cert_pem(&ca.cert_pem(), key).unwrap();
    let mut params = rcgen::CertificateParams::new(vec![n.dns_name()]).unwrap();
    let mut dn = rcgen::DistinguishedName::new();
    dn.push(rcgen::DnType::OrganizationName, n.party.as_str());
    dn.push(rcgen::DnType::CommonName, n.centre.as_str());
    params.distinguished_name = dn;
    params.extended_key_usages = vec![
        rcgen::ExtendedKeyUsagePurpose::ServerAuth,
        rcgen::ExtendedKeyUsagePurpose::ClientAuth,
    ];
    params.use_authority_key_identifier_extension = true;
    let leaf = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
    params.signed_by(&leaf, &issuer).unwrap().der().clone()
}

#[tokio::test]
async fn handshake_uses_injected_time() {
    // Certificates of 2031; the handshake runs on a fixed clock, not the system's.
    const T: i64 = 1_940_000_000;
    let dir = tempfile::tempdir().unwrap();
    let nato_ca = PartyCa::generate("NATO", Validity::days_from(T, 30)).unwrap();
    let ru_ca = PartyCa::generate("RU", Validity::days_from(T, 30)).unwrap();
    let brussels = name("NATO", "brussels");
    let kaliningrad = name("RU", "kaliningrad");
    let (server_own, _) = identity_from(&dir, &nato_ca, &brussels, Validity::days_from(T, 2));
    let (client_own, _) = identity_from(&dir, &ru_ca, &kaliningrad, Validity::days_from(T, 2));
    let links = vec![trust(&ru_ca, &kaliningrad)];
    let dial = trust(&nato_ca, &brussels);
    let run = |server_at: i64, client_at: i64| {
        let server =
            tls::server_config_with_time(&server_own, &links, Arc::new(FixedTime(server_at)))
                .unwrap();
        let client =
            tls::client_config_with_time(&client_own, &dial, Arc::new(FixedTime(client_at)))
                .unwrap();
        handshake(server, client, &dial)
    };
    let out = run(T + DAY, T + DAY).await;
    out.server.unwrap();
    out.client.unwrap();
    // Three days later the client's certificate has expired for the server...
    let out = run(T + 3 * DAY, T + DAY).await;
    assert!(matches!(
        classified(out.server.as_ref().unwrap_err()),
        TlsError::Expired
    ));
    // ...and the server's for the client.
    let out = run(T + DAY, T + 3 * DAY).await;
    assert!(matches!(
        classified(out.client.as_ref().unwrap_err()),
        TlsError::Expired
    ));
}

#[test]
fn configuration_errors_say_what_to_do() {
    let p = Pair::new();
    let (own, _) = identity_from(&p.dir, &p.nato_ca, &p.brussels, valid());
    assert!(matches!(server_config(&own, &[]), Err(TlsError::NoLinks)));
    let mut link = p.server_links().remove(0);
    link.partner_ca_pem = "not a certificate".to_owned();
    let err = server_config(&own, &[link.clone()]).unwrap_err();
    assert!(matches!(err, TlsError::BadPem { .. }), "{err:?}");
    assert!(client_config(&own, &link).is_err());
    // A key that is not the certificate's.
    let other = p.nato_ca.issue(&p.brussels, valid()).unwrap();
    let err = OwnIdentity::from_pem(own.cert_chain_pem.clone(), other.key_pem).unwrap_err();
    assert!(err.to_string().contains("does not match"), "{err}");
    // Messages an operator can act on.
    assert!(TlsError::Revoked.to_string().contains("revoked"));
    assert!(TlsError::UnknownCa.to_string().contains("CA"));
}
