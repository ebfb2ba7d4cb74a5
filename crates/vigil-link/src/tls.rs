//! Mutual TLS for links.
//!
//! A link trusts exactly one partner: its party's CA, the partner centre's identity, and the
//! revocation lists the operator configured ([`LinkTrust`]). The dialing centre checks the
//! server in the handshake ([`client_config`]). The listening centre may serve several links
//! with different partner CAs: the handshake accepts a client of any configured CA
//! ([`server_config`]), then [`identify_peer`] decides which link the peer is by verifying it
//! again against each link's CA alone, so a certificate from party A's CA can never take link
//! B's partner identity.
//!
//! TLS 1.3 only, ALPN `h2` (gRPC), the *ring* provider passed explicitly (no process default).
//! The handshake checks validity periods against the configuration's [`TimeProvider`]: the
//! system clock by default, an injected one with the `_with_time` constructors
//! ([`FixedTime`] for tests and replays).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{
    CertificateDer, CertificateRevocationListDer, PrivateKeyDer, ServerName, UnixTime,
};
use rustls::server::WebPkiClientVerifier;
use rustls::time_provider::{DefaultTimeProvider, TimeProvider};
use rustls::{AlertDescription, CertificateError, RootCertStore};

use crate::certs::{self, CentreName, CertError};

/// The ALPN protocol of a link: gRPC runs over HTTP/2.
pub const ALPN_H2: &[u8] = b"h2";

/// Why a link's TLS was refused or could not be configured.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The peer's certificate does not chain to a configured partner CA.
    /// Also when a CA of the same name signed it (a bad signature): another CA, e.g. the
    /// partner's regenerated one or an impostor.
    #[error(
        "refused: certificate not issued by a configured partner CA (configure the partner party's current CA certificate for this link; a CA of the same name but another key does not count)"
    )]
    UnknownCa,
    /// The peer's certificate has expired.
    #[error(
        "refused: certificate expired (the partner must issue a new one with `vigil certs issue`; check both clocks)"
    )]
    Expired,
    /// The peer's certificate is not valid yet.
    #[error(
        "refused: certificate not yet valid (check the clocks of both centres, or wait for its start date)"
    )]
    NotYetValid,
    /// The peer's certificate is listed in a configured revocation list.
    #[error(
        "refused: certificate revoked by its CA's revocation list (the partner must use a newly issued certificate)"
    )]
    Revoked,
    /// The peer is a valid centre of a configured CA, but not the expected one.
    #[error(
        "refused: wrong identity: expected {expected}, certificate names {got} (fix the link's partner name or the partner's certificate)"
    )]
    WrongIdentity {
        /// The expected centre(s).
        expected: String,
        /// What the certificate names.
        got: String,
    },
    /// The partner refused our certificate (a TLS alert from the other side).
    #[error("the partner refused our certificate: {0}")]
    RefusedByPartner(String),
    /// The peer presented no certificate.
    #[error("refused: the peer presented no certificate")]
    NoCertificate,
    /// The peer's certificate is unusable for another reason (encoding, key usage, signature).
    #[error("refused: bad certificate: {0}")]
    BadCertificate(String),
    /// A PEM text could not be read.
    #[error("{what}: no valid PEM {label} block ({detail})")]
    BadPem {
        /// What was being read.
        what: String,
        /// The expected PEM label.
        label: &'static str,
        /// The parser's complaint.
        detail: String,
    },
    /// A configured revocation list is not issued by the link's partner CA.
    #[error(
        "revocation list #{index} of the link to {partner} is not issued by its partner CA (configure the partner CA's own CRL)"
    )]
    CrlNotFromPartnerCa {
        /// The link's expected partner.
        partner: String,
        /// Position in [`LinkTrust::crls_pem`].
        index: usize,
    },
    /// [`server_config`] was given no link.
    #[error("no link configured: a listening centre needs at least one partner CA")]
    NoLinks,
    /// Reading or parsing a certificate or key.
    #[error(transparent)]
    Cert(#[from] CertError),
    /// Any other TLS failure.
    #[error("TLS: {0}")]
    Rustls(#[from] rustls::Error),
}

/// One link's view of its partner.
#[derive(Debug, Clone)]
pub struct LinkTrust {
    /// The partner party's CA certificate(s), PEM.
    pub partner_ca_pem: String,
    /// The partner centre's identity.
    pub expected: CentreName,
    /// Revocation lists (PEM, each may hold several CRLs), issued by the partner CA.
    pub crls_pem: Vec<String>,
}

/// This centre's own certificate chain and key.
#[derive(Clone)]
pub struct OwnIdentity {
    /// The centre certificate first, then any intermediates, PEM.
    pub cert_chain_pem: String,
    /// The Ed25519 private key, PKCS#8 PEM.
    pub key_pem: String,
    /// The name the certificate gives this centre.
    pub name: CentreName,
}

impl std::fmt::Debug for OwnIdentity {
    // The key stays out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OwnIdentity")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl OwnIdentity {
    /// Loads the certificate chain and key files; the name is read from the certificate.
    pub fn load(cert: &Path, key: &Path) -> Result<Self, TlsError> {
        let cert_chain_pem = certs::read_text(cert)?;
        let key_pem = certs::read_text(key)?;
        Self::from_pem(cert_chain_pem, key_pem)
    }

    /// Same as [`OwnIdentity::load`] from PEM texts.
    pub fn from_pem(cert_chain_pem: String, key_pem: String) -> Result<Self, TlsError> {
        let der = certs::first_cert_der("own certificate", &cert_chain_pem)?;
        let name = certs::centre_name_of_cert_der(&der)?;
        // Fail now, not at the first handshake, if the key is unreadable or not this cert's.
        let key = certs::signing_key_from_pem(&key_pem)?;
        if key.verifying_key() != certs::verifying_key_from_cert_der(&der)? {
            return Err(CertError::KeyMismatch { what: "centre" }.into());
        }
        Ok(Self {
            cert_chain_pem,
            key_pem,
            name,
        })
    }

    fn chain_and_key(
        &self,
    ) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), TlsError> {
        let chain = parse_certs("own certificate chain", &self.cert_chain_pem)?;
        let key = PrivateKeyDer::from_pem_slice(self.key_pem.as_bytes()).map_err(|e| {
            TlsError::BadPem {
                what: "own key".to_owned(),
                label: "PRIVATE KEY",
                detail: e.to_string(),
            }
        })?;
        Ok((chain, key))
    }
}

/// A [`TimeProvider`] that always says the same Unix second: handshakes on injected time.
#[derive(Debug, Clone, Copy)]
pub struct FixedTime(pub i64);

impl TimeProvider for FixedTime {
    fn current_time(&self) -> Option<UnixTime> {
        unix_time(self.0)
    }
}

fn unix_time(secs: i64) -> Option<UnixTime> {
    u64::try_from(secs)
        .ok()
        .map(|s| UnixTime::since_unix_epoch(Duration::from_secs(s)))
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Client side (the dialing centre), on the system clock: see [`client_config_with_time`].
pub fn client_config(
    own: &OwnIdentity,
    trust: &LinkTrust,
) -> Result<Arc<rustls::ClientConfig>, TlsError> {
    client_config_with_time(own, trust, Arc::new(DefaultTimeProvider))
}

/// Client side (the dialing centre): verifies the server's chain against the partner CA only,
/// its validity period at `time`, the link's CRLs, and that its DNS name is
/// `trust.expected.dns_name()` (dial with [`server_name`]); presents our certificate.
pub fn client_config_with_time(
    own: &OwnIdentity,
    trust: &LinkTrust,
    time: Arc<dyn TimeProvider>,
) -> Result<Arc<rustls::ClientConfig>, TlsError> {
    let provider = provider();
    let roots = Arc::new(root_store(std::slice::from_ref(trust))?);
    let crls = link_crls(trust)?;
    let verifier = WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
        .with_crls(crls)
        .only_check_end_entity_revocation()
        // The link's CRLs are checked to come from its CA (`link_crls`); a partner CA without
        // a configured CRL simply has nothing revoked.
        .allow_unknown_revocation_status()
        .build()
        .map_err(|e| TlsError::Rustls(rustls::Error::General(e.to_string())))?;
    let (chain, key) = own.chain_and_key()?;
    let mut config = rustls::ClientConfig::builder_with_details(provider, time)
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_webpki_verifier(verifier)
        .with_client_auth_cert(chain, key)?;
    config.alpn_protocols = vec![ALPN_H2.to_vec()];
    Ok(Arc::new(config))
}

/// The TLS server name to dial: `trust.expected.dns_name()`.
pub fn server_name(trust: &LinkTrust) -> Result<ServerName<'static>, TlsError> {
    ServerName::try_from(trust.expected.dns_name()).map_err(|e| {
        TlsError::BadCertificate(format!(
            "{} is not a valid DNS name: {e}",
            trust.expected.dns_name()
        ))
    })
}

/// Server side (the listening centre), on the system clock: see [`server_config_with_time`].
pub fn server_config(
    own: &OwnIdentity,
    links: &[LinkTrust],
) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    server_config_with_time(own, links, Arc::new(DefaultTimeProvider))
}

/// Server side (the listening centre, possibly serving several links with different partner
/// CAs): requires a client certificate chaining to one of the CAs of `links` (the union),
/// valid at `time`, not revoked by any configured CRL. Which link the client is, and whether
/// its name is the expected one, is [`identify_peer`]'s job after the handshake.
pub fn server_config_with_time(
    own: &OwnIdentity,
    links: &[LinkTrust],
    time: Arc<dyn TimeProvider>,
) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    if links.is_empty() {
        return Err(TlsError::NoLinks);
    }
    let provider = provider();
    let roots = Arc::new(root_store(links)?);
    let mut crls = Vec::new();
    for link in links {
        crls.extend(link_crls(link)?);
    }
    let verifier = WebPkiClientVerifier::builder_with_provider(roots, provider.clone())
        .with_crls(crls)
        .only_check_end_entity_revocation()
        // Links whose CA has no configured CRL must still be accepted.
        .allow_unknown_revocation_status()
        .build()
        .map_err(|e| TlsError::Rustls(rustls::Error::General(e.to_string())))?;
    let (chain, key) = own.chain_and_key()?;
    let mut config = rustls::ServerConfig::builder_with_details(provider, time)
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)?;
    config.alpn_protocols = vec![ALPN_H2.to_vec()];
    Ok(Arc::new(config))
}

fn parse_certs(what: &str, pem: &str) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let bad = |detail: String| TlsError::BadPem {
        what: what.to_owned(),
        label: "CERTIFICATE",
        detail,
    };
    let certs = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(e.to_string()))?;
    if certs.is_empty() {
        return Err(bad("none found".to_owned()));
    }
    Ok(certs)
}

fn partner_cas(link: &LinkTrust) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    parse_certs(
        &format!("partner CA of {}", link.expected),
        &link.partner_ca_pem,
    )
}

fn root_store(links: &[LinkTrust]) -> Result<RootCertStore, TlsError> {
    let mut roots = RootCertStore::empty();
    for link in links {
        for ca in partner_cas(link)? {
            roots.add(ca)?;
        }
    }
    Ok(roots)
}

/// The link's CRLs, each checked to be issued by (have the subject of) one of its partner CAs.
fn link_crls(link: &LinkTrust) -> Result<Vec<CertificateRevocationListDer<'static>>, TlsError> {
    let subjects = partner_cas(link)?
        .iter()
        .map(|ca| certs::parse_cert(ca).map(|c| c.subject().as_raw().to_vec()))
        .collect::<Result<Vec<_>, _>>()?;
    let mut out = Vec::new();
    for (index, pem) in link.crls_pem.iter().enumerate() {
        let crls = CertificateRevocationListDer::pem_slice_iter(pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| TlsError::BadPem {
                what: format!("revocation list #{index} of the link to {}", link.expected),
                label: "X509 CRL",
                detail: e.to_string(),
            })?;
        if crls.is_empty() {
            return Err(TlsError::BadPem {
                what: format!("revocation list #{index} of the link to {}", link.expected),
                label: "X509 CRL",
                detail: "none found".to_owned(),
            });
        }
        for crl in crls {
            let parsed = webpki::BorrowedCertRevocationList::from_der(&crl)
                .map(webpki::CertRevocationList::from)
                .map_err(|e| TlsError::BadPem {
                    what: format!("revocation list #{index} of the link to {}", link.expected),
                    label: "X509 CRL",
                    detail: format!("{e:?}"),
                })?;
            // webpki's issuer() is the Name's contents, without its SEQUENCE header.
            let issuer = parsed.issuer().to_vec();
            if !subjects.iter().any(|s| strip_sequence(s) == issuer) {
                return Err(TlsError::CrlNotFromPartnerCa {
                    partner: link.expected.to_string(),
                    index,
                });
            }
            out.push(crl);
        }
    }
    Ok(out)
}

/// The contents of a DER SEQUENCE (its header removed); the input itself if it is not one.
fn strip_sequence(der: &[u8]) -> &[u8] {
    if der.first() != Some(&0x30) {
        return der;
    }
    let Some(&len0) = der.get(1) else { return der };
    let header = if len0 < 0x80 {
        2
    } else {
        2 + usize::from(len0 & 0x7f)
    };
    der.get(header..).unwrap_or(der)
}

/// After the handshake, on the server: which configured link the peer is. Verifies the peer's
/// certificate against each link's CA alone (so a certificate of party A's CA cannot take
/// link B's partner identity), at `now_unix`, with that link's CRLs, then its name (subject
/// O/CN and DNS name) against the link's `expected`. Returns the first matching link's index
/// and the peer's name; otherwise the most telling refusal (revoked, expired, not yet valid,
/// wrong identity, before unknown CA).
pub fn identify_peer(
    peer_chain: &[CertificateDer<'_>],
    links: &[LinkTrust],
    now_unix: i64,
) -> Result<(usize, CentreName), TlsError> {
    let Some((ee_der, intermediates)) = peer_chain.split_first() else {
        return Err(TlsError::NoCertificate);
    };
    let ee = webpki::EndEntityCert::try_from(ee_der)
        .map_err(|e| TlsError::BadCertificate(format!("{e:?}")))?;
    let parsed = certs::parse_cert(ee_der)?;
    let subject_o = certs::subject_field(&parsed, certs::Field::O).unwrap_or_default();
    let subject_cn = certs::subject_field(&parsed, certs::Field::Cn).unwrap_or_default();
    let dns = certs::dns_names(&parsed);
    let got = format!("O={subject_o} CN={subject_cn} DNS={}", dns.join(","));
    let peer_name = CentreName::new(&subject_o, &subject_cn).ok();
    let time = unix_time(now_unix).ok_or_else(|| {
        TlsError::Rustls(rustls::Error::General(format!(
            "time {now_unix} before 1970"
        )))
    })?;
    let algs = rustls::crypto::ring::default_provider()
        .signature_verification_algorithms
        .all;

    let mut refusals: Vec<TlsError> = Vec::new();
    let mut wrong_expected: Vec<String> = Vec::new();
    for (index, link) in links.iter().enumerate() {
        let cas = partner_cas(link)?;
        let anchors = cas
            .iter()
            .map(|ca| {
                webpki::anchor_from_trusted_cert(ca)
                    .map_err(|e| TlsError::BadCertificate(format!("partner CA: {e:?}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let crl_ders = link_crls(link)?;
        let crls = crl_ders
            .iter()
            .map(|der| {
                webpki::BorrowedCertRevocationList::from_der(der)
                    .map(webpki::CertRevocationList::from)
                    .map_err(|e| TlsError::BadCertificate(format!("revocation list: {e:?}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let crl_refs: Vec<&webpki::CertRevocationList<'_>> = crls.iter().collect();
        let revocation = webpki::RevocationOptionsBuilder::new(&crl_refs)
            .ok()
            .map(|b| {
                b.with_depth(webpki::RevocationCheckDepth::EndEntity)
                    .with_status_policy(webpki::UnknownStatusPolicy::Allow)
                    .build()
            });
        let verified = ee.verify_for_usage(
            algs,
            &anchors,
            intermediates,
            time,
            webpki::KeyUsage::client_auth(),
            revocation,
            None,
        );
        if let Err(e) = verified {
            refusals.push(from_webpki(&e));
            continue;
        }
        let name_ok = peer_name
            .as_ref()
            .is_some_and(|n| n.matches(&link.expected))
            && ServerName::try_from(link.expected.dns_name())
                .ok()
                .is_some_and(|sn| ee.verify_is_valid_for_subject_name(&sn).is_ok());
        match (&peer_name, name_ok) {
            (Some(name), true) => return Ok((index, name.clone())),
            _ => wrong_expected.push(link.expected.to_string()),
        }
    }
    if !wrong_expected.is_empty() {
        refusals.push(TlsError::WrongIdentity {
            expected: wrong_expected.join(" or "),
            got,
        });
    }
    Err(refusals
        .into_iter()
        .min_by_key(refusal_rank)
        .unwrap_or(TlsError::UnknownCa))
}

/// Lower is more telling: a CA recognised the certificate and said why it is refused.
fn refusal_rank(e: &TlsError) -> u8 {
    match e {
        TlsError::Revoked => 0,
        TlsError::Expired | TlsError::NotYetValid => 1,
        TlsError::WrongIdentity { .. } => 2,
        TlsError::UnknownCa => 4,
        _ => 3,
    }
}

fn from_webpki(e: &webpki::Error) -> TlsError {
    match e {
        webpki::Error::UnknownIssuer | webpki::Error::InvalidSignatureForPublicKey => {
            TlsError::UnknownCa
        }
        webpki::Error::CertExpired { .. } => TlsError::Expired,
        webpki::Error::CertNotValidYet { .. } => TlsError::NotYetValid,
        webpki::Error::CertRevoked => TlsError::Revoked,
        other => TlsError::BadCertificate(format!("{other:?}")),
    }
}

/// Maps a handshake error (as tokio-rustls returns it) to a [`TlsError`] an operator can act
/// on; `None` if the error is not a TLS one (e.g. the connection dropped).
pub fn classify(err: &std::io::Error) -> Option<TlsError> {
    err.get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .map(classify_rustls)
}

/// Maps a rustls error: our verifier's refusals to their variants, the partner's alerts to
/// [`TlsError::RefusedByPartner`], anything else to [`TlsError::Rustls`].
pub fn classify_rustls(err: &rustls::Error) -> TlsError {
    match err {
        rustls::Error::InvalidCertificate(cert) => match cert {
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                TlsError::Expired
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                TlsError::NotYetValid
            }
            CertificateError::Revoked => TlsError::Revoked,
            // A bad signature on a chain that builds by name: the issuer is a CA with the
            // configured CA's name but another key.
            #[allow(deprecated)]
            CertificateError::UnknownIssuer | CertificateError::BadSignature => TlsError::UnknownCa,
            CertificateError::NotValidForNameContext {
                expected,
                presented,
            } => TlsError::WrongIdentity {
                expected: expected.to_str().into_owned(),
                got: format!("DNS={}", presented.join(",")),
            },
            CertificateError::NotValidForName => TlsError::WrongIdentity {
                expected: "the configured partner".to_owned(),
                got: "another name".to_owned(),
            },
            other => TlsError::BadCertificate(other.to_string()),
        },
        rustls::Error::NoCertificatesPresented => TlsError::NoCertificate,
        rustls::Error::AlertReceived(alert) => {
            let why = match alert {
                AlertDescription::CertificateRevoked => {
                    "our certificate is revoked (issue a new one with `vigil certs issue`)"
                }
                AlertDescription::CertificateExpired => {
                    "our certificate is expired or not yet valid (check its dates and both clocks)"
                }
                AlertDescription::UnknownCA => {
                    "our CA is unknown to the partner (send them our party's CA certificate)"
                }
                // rustls answers a bad certificate signature with decrypt_error: the partner
                // holds a CA certificate of our party's name but with another key.
                AlertDescription::DecryptError => {
                    "our certificate's signature does not verify with the CA certificate the partner holds (send them our party's current CA certificate)"
                }
                AlertDescription::BadCertificate => {
                    "bad certificate (the partner may expect another centre name)"
                }
                AlertDescription::CertificateRequired => "it requires a client certificate",
                _ => return TlsError::RefusedByPartner(format!("TLS alert {alert:?}")),
            };
            TlsError::RefusedByPartner(why.to_owned())
        }
        other => TlsError::Rustls(other.clone()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn classify_maps_verifier_errors() {
        use rustls::Error as E;
        let check = |err: E, want: &str| {
            let io = std::io::Error::new(std::io::ErrorKind::InvalidData, err);
            let got = classify(&io).unwrap();
            assert!(format!("{got:?}").starts_with(want), "{got:?} vs {want}");
        };
        check(E::InvalidCertificate(CertificateError::Expired), "Expired");
        check(
            E::InvalidCertificate(CertificateError::NotValidYet),
            "NotYetValid",
        );
        check(E::InvalidCertificate(CertificateError::Revoked), "Revoked");
        check(
            E::InvalidCertificate(CertificateError::UnknownIssuer),
            "UnknownCa",
        );
        check(
            E::InvalidCertificate(CertificateError::NotValidForName),
            "WrongIdentity",
        );
        check(
            E::AlertReceived(AlertDescription::CertificateRevoked),
            "RefusedByPartner",
        );
        check(E::HandshakeNotComplete, "Rustls");
        assert!(classify(&std::io::Error::other("reset")).is_none());
    }

    #[test]
    fn strip_sequence_handles_long_lengths() {
        assert_eq!(strip_sequence(&[0x30, 2, 1, 2]), &[1, 2]);
        let mut long = vec![0x30, 0x81, 0x80];
        long.extend(std::iter::repeat_n(7, 0x80));
        assert_eq!(strip_sequence(&long).len(), 0x80);
        assert_eq!(strip_sequence(&[4, 1]), &[4, 1]);
    }
}
