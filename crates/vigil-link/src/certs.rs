//! Party CAs and centre certificates (`vigil certs`).
//!
//! Each party runs its own certificate authority. A centre's certificate names its party and
//! centre (subject `O=<party>, CN=<centre>`, one DNS name `<centre>.<party>.vigil`), carries an
//! **Ed25519** key that is usable for TLS as server and client, and that same key signs the
//! centre's ledger checkpoints: a partner's ledger verifying key is the public key of the
//! partner's certificate ([`verifying_key_from_cert_der`]).
//!
//! Times are Unix seconds: nothing here reads the clock.

use std::fmt;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey};
use ed25519_dalek::{SigningKey, VerifyingKey};
use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, DistinguishedName,
    DnType, ExtendedKeyUsagePurpose, GeneralSubtree, IsCa, Issuer, KeyIdMethod, KeyPair,
    KeyUsagePurpose, NameConstraints, RevokedCertParams, SanType, SerialNumber,
};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, CertificateRevocationListDer};
use time::OffsetDateTime;

/// The DNS suffix of every centre name: `<centre>.<party>.vigil`.
pub const DNS_SUFFIX: &str = "vigil";

/// How far [`Validity::days_from`] backdates `not_before`, so that a partner whose clock runs a
/// little behind ours still accepts a certificate issued a moment ago.
pub const CLOCK_SKEW_ALLOWANCE_S: i64 = 3600;

/// Longest party or centre name: one DNS label.
const MAX_NAME_LEN: usize = 63;

/// Errors of certificate generation, loading and parsing.
#[derive(Debug, thiserror::Error)]
pub enum CertError {
    /// A party or centre name breaks the naming rule.
    #[error(
        "invalid {what} name {value:?}: {reason} (use 1 to 63 letters, digits or '-', not starting or ending with '-')"
    )]
    InvalidName {
        /// `"party"` or `"centre"`.
        what: &'static str,
        /// The refused name.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A CA was asked to issue a certificate for another party's centre.
    #[error(
        "the {ca_party} CA cannot issue a certificate for {requested}: a party's CA issues only its own centres' certificates (use the {requested_party} CA)"
    )]
    PartyMismatch {
        /// The party of the CA.
        ca_party: String,
        /// The requested centre name (`centre.party`).
        requested: String,
        /// The party of the requested centre.
        requested_party: String,
    },
    /// A validity period or CRL date is empty or out of range.
    #[error("invalid validity period {not_before}..{not_after} (Unix seconds): {reason}")]
    InvalidValidity {
        /// Start, Unix seconds.
        not_before: i64,
        /// End, Unix seconds.
        not_after: i64,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// rcgen refused to build a certificate, key or CRL.
    #[error("cannot generate {what}: {source}")]
    Generate {
        /// What was being generated.
        what: &'static str,
        /// The rcgen error.
        #[source]
        source: rcgen::Error,
    },
    /// A file could not be read or written.
    #[error("{action} {path}: {source} (check the path and its permissions)")]
    Io {
        /// `"cannot read"`, `"cannot write"`, ...
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A PEM text does not hold the expected block.
    #[error(
        "{what}: no valid PEM {label} block ({detail}); expected a file starting with -----BEGIN {label}-----"
    )]
    Pem {
        /// What was being read.
        what: String,
        /// The expected PEM label.
        label: &'static str,
        /// The parser's complaint.
        detail: String,
    },
    /// A certificate or CRL could not be parsed as X.509.
    #[error("{what} is not a valid X.509 structure: {detail}")]
    X509 {
        /// What was being parsed.
        what: &'static str,
        /// The parser's complaint.
        detail: String,
    },
    /// A certificate does not carry the Vigil naming (O=party, CN=centre).
    #[error(
        "certificate subject has no {field}: Vigil certificates name the party in O= and the centre in CN= (issue it with `vigil certs`)"
    )]
    MissingSubjectField {
        /// `"O"` or `"CN"`.
        field: &'static str,
    },
    /// A key or certificate is not Ed25519.
    #[error(
        "{what} is not an Ed25519 key: {detail} (Vigil centre keys are Ed25519; issue them with `vigil certs`)"
    )]
    NotEd25519 {
        /// What was being read.
        what: &'static str,
        /// The decoder's complaint.
        detail: String,
    },
    /// A private key does not belong to its certificate.
    #[error(
        "the {what} key does not match the {what} certificate's public key (load the key issued with this certificate)"
    )]
    KeyMismatch {
        /// `"CA"` or `"centre"`.
        what: &'static str,
    },
}

/// A centre's identity: its party and its own name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CentreName {
    /// The party, e.g. `NATO`, `RU`.
    pub party: String,
    /// The centre within the party, e.g. `kaliningrad`.
    pub centre: String,
}

impl CentreName {
    /// Validates both names: 1 to 63 of `[A-Za-z0-9-]`, not starting or ending with `-`
    /// (each becomes one DNS label of [`CentreName::dns_name`]).
    pub fn new(party: &str, centre: &str) -> Result<Self, CertError> {
        validate_label("party", party)?;
        validate_label("centre", centre)?;
        Ok(Self {
            party: party.to_owned(),
            centre: centre.to_owned(),
        })
    }

    /// `<centre>.<party>.vigil`, lowercase: the DNS name in the centre's certificate and the
    /// TLS server name dialled.
    pub fn dns_name(&self) -> String {
        format!("{}.{}.{DNS_SUFFIX}", self.centre, self.party).to_ascii_lowercase()
    }

    /// Whether `other` names the same centre. Case-insensitive, as DNS names are, so that the
    /// server's check of a client and the client's check of a server (by DNS name) agree.
    pub fn matches(&self, other: &CentreName) -> bool {
        self.party.eq_ignore_ascii_case(&other.party)
            && self.centre.eq_ignore_ascii_case(&other.centre)
    }
}

impl fmt::Display for CentreName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.centre, self.party)
    }
}

fn validate_label(what: &'static str, value: &str) -> Result<(), CertError> {
    let reason = if value.is_empty() {
        Some("empty")
    } else if value.len() > MAX_NAME_LEN {
        Some("longer than 63 characters")
    } else if !value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        Some("contains a character other than a letter, digit or '-'")
    } else if value.starts_with('-') || value.ends_with('-') {
        Some("starts or ends with '-'")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(CertError::InvalidName {
            what,
            value: value.to_owned(),
            reason,
        }),
        None => Ok(()),
    }
}

/// A validity period in Unix seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validity {
    /// First second of validity.
    pub not_before_unix: i64,
    /// Last second of validity.
    pub not_after_unix: i64,
}

impl Validity {
    /// Valid from `now_unix` (backdated by [`CLOCK_SKEW_ALLOWANCE_S`]) for `days` days.
    pub fn days_from(now_unix: i64, days: i64) -> Self {
        Self {
            not_before_unix: now_unix.saturating_sub(CLOCK_SKEW_ALLOWANCE_S),
            not_after_unix: now_unix.saturating_add(days.saturating_mul(86_400)),
        }
    }

    fn to_times(self) -> Result<(OffsetDateTime, OffsetDateTime), CertError> {
        two_times(self.not_before_unix, self.not_after_unix)
    }
}

fn two_times(start: i64, end: i64) -> Result<(OffsetDateTime, OffsetDateTime), CertError> {
    let err = |reason| CertError::InvalidValidity {
        not_before: start,
        not_after: end,
        reason,
    };
    if end <= start {
        return Err(err("the end is not after the start"));
    }
    let a = OffsetDateTime::from_unix_timestamp(start).map_err(|_| err("start out of range"))?;
    let b = OffsetDateTime::from_unix_timestamp(end).map_err(|_| err("end out of range"))?;
    Ok((a, b))
}

/// A party's certificate authority: its certificate and Ed25519 key. Issues centre certificates
/// and revocation lists.
pub struct PartyCa {
    party: String,
    cert_pem: String,
    key_pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl fmt::Debug for PartyCa {
    // The key stays out of logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PartyCa")
            .field("party", &self.party)
            .finish_non_exhaustive()
    }
}

impl PartyCa {
    /// A new self-signed CA for `party` (subject `O=<party>, CN=<party> Vigil CA`). It may sign
    /// only end-entity certificates (path length 0) and only names under `<party>.vigil`
    /// (a name constraint, so a stolen CA key cannot impersonate another party's centres to
    /// anyone honouring constraints).
    pub fn generate(party: &str, validity: Validity) -> Result<PartyCa, CertError> {
        validate_label("party", party)?;
        let (not_before, not_after) = validity.to_times()?;
        let mut params = CertificateParams::default();
        params.not_before = not_before;
        params.not_after = not_after;
        params.distinguished_name = ca_distinguished_name(party);
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        params.name_constraints = Some(NameConstraints {
            permitted_subtrees: vec![GeneralSubtree::DnsName(
                format!("{party}.{DNS_SUFFIX}").to_ascii_lowercase(),
            )],
            excluded_subtrees: Vec::new(),
        });
        params.key_identifier_method = KeyIdMethod::Sha256;
        let key =
            KeyPair::generate_for(&rcgen::PKCS_ED25519).map_err(|source| CertError::Generate {
                what: "the CA key",
                source,
            })?;
        let cert = params
            .self_signed(&key)
            .map_err(|source| CertError::Generate {
                what: "the CA certificate",
                source,
            })?;
        Ok(PartyCa {
            party: party.to_owned(),
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            issuer: Issuer::new(params, key),
        })
    }

    /// Loads a CA written earlier (to issue more certificates or revocation lists).
    pub fn load(cert_pem_path: &Path, key_pem_path: &Path) -> Result<PartyCa, CertError> {
        let cert_pem = read_text(cert_pem_path)?;
        let key_pem = read_text(key_pem_path)?;
        Self::from_pem(&cert_pem, &key_pem)
    }

    /// Same as [`PartyCa::load`] from PEM texts.
    pub fn from_pem(cert_pem: &str, key_pem: &str) -> Result<PartyCa, CertError> {
        let der = first_cert_der("CA certificate", cert_pem)?;
        let (party, spki) = {
            let cert = parse_cert(&der)?;
            let party = subject_field(&cert, Field::O)?;
            (party, cert.public_key().raw.to_vec())
        };
        validate_label("party", &party)?;
        let key = KeyPair::from_pem(key_pem).map_err(|e| CertError::NotEd25519 {
            what: "the CA key",
            detail: e.to_string(),
        })?;
        if key.algorithm() != &rcgen::PKCS_ED25519 {
            return Err(CertError::NotEd25519 {
                what: "the CA key",
                detail: "another algorithm".to_owned(),
            });
        }
        if rcgen::PublicKeyData::subject_public_key_info(&key) != spki {
            return Err(CertError::KeyMismatch { what: "CA" });
        }
        let issuer = Issuer::from_ca_cert_der(&der, key).map_err(|source| CertError::Generate {
            what: "an issuer from the CA certificate",
            source,
        })?;
        Ok(PartyCa {
            party,
            cert_pem: cert_pem.to_owned(),
            key_pem: key_pem.to_owned(),
            issuer,
        })
    }

    /// The CA certificate, PEM: what partners configure as this party's CA.
    pub fn cert_pem(&self) -> String {
        self.cert_pem.clone()
    }

    /// The CA private key (PKCS#8 PEM): keep it offline.
    pub fn key_pem(&self) -> String {
        self.key_pem.clone()
    }

    /// The party this CA certifies.
    pub fn party(&self) -> &str {
        &self.party
    }

    /// Issues a centre certificate with a fresh Ed25519 key: subject `O=<party>, CN=<centre>`,
    /// DNS name [`CentreName::dns_name`], usable as TLS server and client. Refuses a centre of
    /// another party.
    pub fn issue(&self, name: &CentreName, validity: Validity) -> Result<CentreCert, CertError> {
        if name.party != self.party {
            return Err(CertError::PartyMismatch {
                ca_party: self.party.clone(),
                requested: name.to_string(),
                requested_party: name.party.clone(),
            });
        }
        validate_label("centre", &name.centre)?;
        let (not_before, not_after) = validity.to_times()?;
        let mut params = CertificateParams::default();
        params.not_before = not_before;
        params.not_after = not_after;
        let mut dn = DistinguishedName::new();
        dn.push(DnType::OrganizationName, name.party.as_str());
        dn.push(DnType::CommonName, name.centre.as_str());
        params.distinguished_name = dn;
        let dns = name
            .dns_name()
            .try_into()
            .map_err(|source| CertError::Generate {
                what: "the centre's DNS name",
                source,
            })?;
        params.subject_alt_names = vec![SanType::DnsName(dns)];
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        params.use_authority_key_identifier_extension = true;
        let key =
            KeyPair::generate_for(&rcgen::PKCS_ED25519).map_err(|source| CertError::Generate {
                what: "the centre key",
                source,
            })?;
        let cert = params
            .signed_by(&key, &self.issuer)
            .map_err(|source| CertError::Generate {
                what: "the centre certificate",
                source,
            })?;
        let serial = parse_cert(cert.der())?.raw_serial().to_vec();
        Ok(CentreCert {
            name: name.clone(),
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            serial,
        })
    }

    /// A CRL (PEM) revoking the given serial numbers (as in [`CentreCert::serial`]), signed by
    /// this CA. `crl_number` must grow with each list the CA publishes.
    pub fn revocation_list(
        &self,
        revoked_serials: &[Vec<u8>],
        this_update_unix: i64,
        next_update_unix: i64,
        crl_number: u64,
    ) -> Result<String, CertError> {
        let (this_update, next_update) = two_times(this_update_unix, next_update_unix)?;
        let params = CertificateRevocationListParams {
            this_update,
            next_update,
            crl_number: SerialNumber::from_slice(&crl_number.to_be_bytes()),
            issuing_distribution_point: None,
            revoked_certs: revoked_serials
                .iter()
                .map(|serial| RevokedCertParams {
                    serial_number: SerialNumber::from_slice(serial),
                    revocation_time: this_update,
                    reason_code: None,
                    invalidity_date: None,
                })
                .collect(),
            key_identifier_method: KeyIdMethod::Sha256,
        };
        let crl = params
            .signed_by(&self.issuer)
            .map_err(|source| CertError::Generate {
                what: "the revocation list",
                source,
            })?;
        crl.pem().map_err(|source| CertError::Generate {
            what: "the revocation list PEM",
            source,
        })
    }
}

fn ca_distinguished_name(party: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, party);
    dn.push(DnType::CommonName, format!("{party} Vigil CA"));
    dn
}

/// A centre certificate just issued, with its key.
#[derive(Clone)]
pub struct CentreCert {
    /// The centre it names.
    pub name: CentreName,
    /// The certificate, PEM.
    pub cert_pem: String,
    /// The Ed25519 private key, PKCS#8 PEM.
    pub key_pem: String,
    /// The serial number: the DER content octets of the certificate's serialNumber (what a
    /// CRL lists).
    pub serial: Vec<u8>,
}

impl fmt::Debug for CentreCert {
    // The key stays out of logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CentreCert")
            .field("name", &self.name)
            .field("serial", &hex::encode(&self.serial))
            .finish_non_exhaustive()
    }
}

/// Where [`write_centre_files`] put a centre's files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CentrePaths {
    /// The certificate (PEM).
    pub cert: PathBuf,
    /// The private key (PEM, mode 0600).
    pub key: PathBuf,
}

/// Writes `<dir>/<centre>.<party>.crt` and `.key` (the key with mode 0600), creating `dir`.
pub fn write_centre_files(dir: &Path, cert: &CentreCert) -> Result<CentrePaths, CertError> {
    write_pair(dir, &cert.name.to_string(), &cert.cert_pem, &cert.key_pem)
}

/// Writes `<dir>/<party>-ca.crt` and `<party>-ca.key` (the key with mode 0600), creating `dir`.
pub fn write_ca_files(dir: &Path, ca: &PartyCa) -> Result<CentrePaths, CertError> {
    write_pair(dir, &format!("{}-ca", ca.party), &ca.cert_pem, &ca.key_pem)
}

fn write_pair(dir: &Path, stem: &str, cert: &str, key: &str) -> Result<CentrePaths, CertError> {
    fs::create_dir_all(dir).map_err(|source| CertError::Io {
        action: "cannot create directory",
        path: dir.to_owned(),
        source,
    })?;
    let paths = CentrePaths {
        cert: dir.join(format!("{stem}.crt")),
        key: dir.join(format!("{stem}.key")),
    };
    write_file(&paths.cert, cert, false)?;
    write_file(&paths.key, key, true)?;
    Ok(paths)
}

fn write_file(path: &Path, text: &str, secret: bool) -> Result<(), CertError> {
    let io = |source| CertError::Io {
        action: "cannot write",
        path: path.to_owned(),
        source,
    };
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = secret;
    let mut file = options.open(path).map_err(io)?;
    // `mode` applies only when the file is created: tighten an existing key file too.
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(fs::Permissions::from_mode(0o600))
            .map_err(io)?;
    }
    file.write_all(text.as_bytes()).map_err(io)?;
    file.sync_all().map_err(io)
}

pub(crate) fn read_text(path: &Path) -> Result<String, CertError> {
    fs::read_to_string(path).map_err(|source| CertError::Io {
        action: "cannot read",
        path: path.to_owned(),
        source,
    })
}

/// The serial number (DER content octets) of the first certificate in `pem`: what
/// `vigil certs revoke` puts in a CRL.
pub fn serial_of_cert_pem(pem: &str) -> Result<Vec<u8>, CertError> {
    let der = first_cert_der("certificate", pem)?;
    Ok(parse_cert(&der)?.raw_serial().to_vec())
}

/// The centre named by a certificate (subject `O=` party, `CN=` centre), validated.
pub fn centre_name_of_cert_der(der: &[u8]) -> Result<CentreName, CertError> {
    let cert = parse_cert(der)?;
    let party = subject_field(&cert, Field::O)?;
    let centre = subject_field(&cert, Field::Cn)?;
    CentreName::new(&party, &centre)
}

/// The centre's Ed25519 signing key from its PKCS#8 PEM key file (the key that signs its
/// ledger checkpoints).
pub fn signing_key_from_pem(pem: &str) -> Result<SigningKey, CertError> {
    SigningKey::from_pkcs8_pem(pem).map_err(|e| CertError::NotEd25519 {
        what: "the centre key",
        detail: e.to_string(),
    })
}

/// The Ed25519 verifying key of a certificate (DER): a partner's ledger verifying key.
pub fn verifying_key_from_cert_der(der: &[u8]) -> Result<VerifyingKey, CertError> {
    let cert = parse_cert(der)?;
    VerifyingKey::from_public_key_der(cert.public_key().raw).map_err(|e| CertError::NotEd25519 {
        what: "the certificate's public key",
        detail: e.to_string(),
    })
}

/// [`verifying_key_from_cert_der`] of the first certificate in `pem`.
pub fn verifying_key_from_cert_pem(pem: &str) -> Result<VerifyingKey, CertError> {
    verifying_key_from_cert_der(&first_cert_der("certificate", pem)?)
}

/// What a revocation list says, read back (for `vigil certs revoke`, which adds to it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrlInfo {
    /// Revoked serial numbers (DER content octets), in list order.
    pub revoked_serials: Vec<Vec<u8>>,
    /// The CRL number, if present and at most 64 bits.
    pub crl_number: Option<u64>,
    /// thisUpdate, Unix seconds.
    pub this_update_unix: i64,
    /// nextUpdate, Unix seconds, if present.
    pub next_update_unix: Option<i64>,
}

/// Reads the first CRL of a PEM text.
pub fn read_crl_pem(pem: &str) -> Result<CrlInfo, CertError> {
    let der = CertificateRevocationListDer::from_pem_slice(pem.as_bytes()).map_err(|e| {
        CertError::Pem {
            what: "revocation list".to_owned(),
            label: "X509 CRL",
            detail: e.to_string(),
        }
    })?;
    let (_, crl) = x509_parser::parse_x509_crl(&der).map_err(|e| CertError::X509 {
        what: "the revocation list",
        detail: e.to_string(),
    })?;
    let crl_number = crl.crl_number().and_then(|n| match n.to_u64_digits()[..] {
        [] => Some(0),
        [d] => Some(d),
        _ => None,
    });
    Ok(CrlInfo {
        revoked_serials: crl
            .iter_revoked_certificates()
            .map(|r| r.raw_serial().to_vec())
            .collect(),
        crl_number,
        this_update_unix: crl.last_update().timestamp(),
        next_update_unix: crl.next_update().map(|t| t.timestamp()),
    })
}

/// The first certificate of a PEM text.
pub(crate) fn first_cert_der(what: &str, pem: &str) -> Result<CertificateDer<'static>, CertError> {
    CertificateDer::from_pem_slice(pem.as_bytes()).map_err(|e| CertError::Pem {
        what: what.to_owned(),
        label: "CERTIFICATE",
        detail: e.to_string(),
    })
}

pub(crate) fn parse_cert(
    der: &[u8],
) -> Result<x509_parser::certificate::X509Certificate<'_>, CertError> {
    x509_parser::parse_x509_certificate(der)
        .map(|(_, cert)| cert)
        .map_err(|e| CertError::X509 {
            what: "the certificate",
            detail: e.to_string(),
        })
}

#[derive(Clone, Copy)]
pub(crate) enum Field {
    O,
    Cn,
}

/// The first `O=` or `CN=` of a certificate's subject, as text.
pub(crate) fn subject_field(
    cert: &x509_parser::certificate::X509Certificate<'_>,
    field: Field,
) -> Result<String, CertError> {
    let subject = cert.subject();
    let (mut iter, name): (Box<dyn Iterator<Item = _>>, _) = match field {
        Field::O => (Box::new(subject.iter_organization()), "O"),
        Field::Cn => (Box::new(subject.iter_common_name()), "CN"),
    };
    iter.next()
        .and_then(|attr| attr.as_str().ok())
        .map(str::to_owned)
        .ok_or(CertError::MissingSubjectField { field: name })
}

/// The DNS names of a certificate's subjectAltName.
pub(crate) fn dns_names(cert: &x509_parser::certificate::X509Certificate<'_>) -> Vec<String> {
    match cert.subject_alternative_name() {
        Ok(Some(san)) => san
            .value
            .general_names
            .iter()
            .filter_map(|n| match n {
                x509_parser::extensions::GeneralName::DNSName(d) => Some((*d).to_owned()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, Verifier};

    const NOW: i64 = 1_780_000_000;

    #[test]
    fn names_are_validated() {
        for (party, centre, ok) in [
            ("NATO", "brussels", true),
            ("RU", "kaliningrad-1", true),
            ("", "x", false),
            ("NATO", "", false),
            ("NA TO", "x", false),
            ("NATO", "a.b", false),
            ("NATO", "-a", false),
            ("NATO", "a-", false),
            ("NATO", "å", false),
            ("NATO", &"a".repeat(63), true),
            ("NATO", &"a".repeat(64), false),
        ] {
            assert_eq!(
                CentreName::new(party, centre).is_ok(),
                ok,
                "{party:?} {centre:?}"
            );
        }
        let n = CentreName::new("NATO", "Brussels").unwrap();
        assert_eq!(n.dns_name(), "brussels.nato.vigil");
        assert_eq!(n.to_string(), "Brussels.NATO");
        assert!(n.matches(&CentreName::new("nato", "BRUSSELS").unwrap()));
        assert!(!n.matches(&CentreName::new("RU", "Brussels").unwrap()));
    }

    #[test]
    fn issue_checks_party_and_validity() {
        let ca = PartyCa::generate("NATO", Validity::days_from(NOW, 10)).unwrap();
        let ru = CentreName::new("RU", "kaliningrad").unwrap();
        let err = ca.issue(&ru, Validity::days_from(NOW, 1)).unwrap_err();
        assert!(matches!(err, CertError::PartyMismatch { .. }), "{err}");
        assert!(err.to_string().contains("use the RU CA"), "{err}");
        let name = CentreName::new("NATO", "brussels").unwrap();
        let bad = Validity {
            not_before_unix: NOW,
            not_after_unix: NOW,
        };
        assert!(matches!(
            ca.issue(&name, bad),
            Err(CertError::InvalidValidity { .. })
        ));
    }

    #[test]
    fn issued_cert_names_its_centre_and_serial() {
        let ca = PartyCa::generate("NATO", Validity::days_from(NOW, 10)).unwrap();
        let name = CentreName::new("NATO", "Brussels").unwrap();
        let cert = ca.issue(&name, Validity::days_from(NOW, 1)).unwrap();
        let der = first_cert_der("t", &cert.cert_pem).unwrap();
        assert_eq!(centre_name_of_cert_der(&der).unwrap(), name);
        let parsed = parse_cert(&der).unwrap();
        assert_eq!(dns_names(&parsed), vec!["brussels.nato.vigil".to_owned()]);
        assert_eq!(serial_of_cert_pem(&cert.cert_pem).unwrap(), cert.serial);
        assert_eq!(
            parsed.validity().not_before.timestamp(),
            NOW - CLOCK_SKEW_ALLOWANCE_S
        );
        assert_eq!(parsed.validity().not_after.timestamp(), NOW + 86_400);
        // Two issues for the same name get different keys and serials.
        let again = ca.issue(&name, Validity::days_from(NOW, 1)).unwrap();
        assert_ne!(again.serial, cert.serial);
    }

    #[test]
    fn signing_key_matches_certificate_key() {
        let ca = PartyCa::generate("RU", Validity::days_from(NOW, 10)).unwrap();
        let cert = ca
            .issue(
                &CentreName::new("RU", "kaliningrad").unwrap(),
                Validity::days_from(NOW, 1),
            )
            .unwrap();
        let signing = signing_key_from_pem(&cert.key_pem).unwrap();
        let verifying = verifying_key_from_cert_pem(&cert.cert_pem).unwrap();
        assert_eq!(signing.verifying_key(), verifying);
        let sig = signing.sign(b"checkpoint");
        assert!(verifying.verify(b"checkpoint", &sig).is_ok());
        assert!(signing_key_from_pem(&cert.cert_pem).is_err());
    }

    #[test]
    fn crl_round_trip() {
        let ca = PartyCa::generate("NATO", Validity::days_from(NOW, 10)).unwrap();
        let serials: Vec<Vec<u8>> = (0..3)
            .map(|i| {
                ca.issue(
                    &CentreName::new("NATO", &format!("c{i}")).unwrap(),
                    Validity::days_from(NOW, 1),
                )
                .unwrap()
                .serial
            })
            .collect();
        let pem = ca
            .revocation_list(&serials[..2], NOW, NOW + 86_400, 7)
            .unwrap();
        let info = read_crl_pem(&pem).unwrap();
        assert_eq!(info.revoked_serials, serials[..2].to_vec());
        assert_eq!(info.crl_number, Some(7));
        assert_eq!(info.this_update_unix, NOW);
        assert_eq!(info.next_update_unix, Some(NOW + 86_400));
        // webpki finds exactly the revoked ones.
        let der = CertificateRevocationListDer::from_pem_slice(pem.as_bytes()).unwrap();
        let crl = webpki::CertRevocationList::from(
            webpki::BorrowedCertRevocationList::from_der(&der).unwrap(),
        );
        assert!(crl.find_serial(&serials[0]).unwrap().is_some());
        assert!(crl.find_serial(&serials[1]).unwrap().is_some());
        assert!(crl.find_serial(&serials[2]).unwrap().is_none());
        assert!(ca.revocation_list(&serials, NOW, NOW, 8).is_err());
    }

    #[test]
    fn ca_round_trips_through_files() {
        let dir = tempfile::tempdir().unwrap();
        let ca = PartyCa::generate("NATO", Validity::days_from(NOW, 10)).unwrap();
        let paths = write_ca_files(dir.path(), &ca).unwrap();
        let loaded = PartyCa::load(&paths.cert, &paths.key).unwrap();
        assert_eq!(loaded.party(), "NATO");
        assert_eq!(loaded.cert_pem(), ca.cert_pem());
        let name = CentreName::new("NATO", "brussels").unwrap();
        let cert = loaded.issue(&name, Validity::days_from(NOW, 1)).unwrap();
        let centre = write_centre_files(dir.path(), &cert).unwrap();
        assert_eq!(centre.cert, dir.path().join("brussels.NATO.crt"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&centre.key).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // The loaded CA's issuer name is the original's: webpki chains the new cert to it.
        let parsed_ca = parse_cert_pem_owned(&ca.cert_pem());
        let ee = parse_cert_pem_owned(&cert.cert_pem);
        let (_, ca_x) = x509_parser::parse_x509_certificate(&parsed_ca).unwrap();
        let (_, ee_x) = x509_parser::parse_x509_certificate(&ee).unwrap();
        assert_eq!(ca_x.subject().as_raw(), ee_x.issuer().as_raw());
        // A key of another CA is refused.
        let other = PartyCa::generate("NATO", Validity::days_from(NOW, 10)).unwrap();
        assert!(matches!(
            PartyCa::from_pem(&ca.cert_pem(), &other.key_pem()),
            Err(CertError::KeyMismatch { .. })
        ));
    }

    fn parse_cert_pem_owned(pem: &str) -> Vec<u8> {
        first_cert_der("t", pem).unwrap().to_vec()
    }
}
