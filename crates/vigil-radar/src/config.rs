//! Configuration: one `[[radar]]` table per ASTERIX sensor and one `[[cat062_out]]` table per
//! CAT062 output, typed and strict (unknown keys are errors).

use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use vigil_asterix::spec::Category;
use vigil_asterix::tables;
use vigil_core::{Geodetic, LatLon};

use crate::RadarError;

/// One ASTERIX sensor: a radar (CAT048 plots, CAT034 service messages), a surveillance data
/// processing system (CAT062 tracks, CAT065 status) or an ADS-B ground station (CAT021).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RadarConfig {
    /// The sensor's name, unique among all sensors of the centre.
    pub name: String,
    /// The antenna's position. Needed to turn CAT048 polar plots into observations; without
    /// it the position the radar sends in CAT034 I120 is used, once one has arrived.
    #[serde(default)]
    pub position: Option<SensorPosition>,
    /// Standard deviation of measured (slant) range, metres.
    #[serde(default = "default_sigma_range_m")]
    pub sigma_range_m: f64,
    /// Standard deviation of measured azimuth, degrees.
    #[serde(default = "default_sigma_azimuth_deg")]
    pub sigma_azimuth_deg: f64,
    /// Standard deviation of a reported position (CAT062 without I500, CAT021 without a
    /// usable NACp / NIC), metres, per axis.
    #[serde(default = "default_sigma_position_m")]
    pub sigma_position_m: f64,
    /// Standard deviation of a reported velocity (CAT062 without I500 ATV, CAT021 without
    /// NACv), m/s, per axis.
    #[serde(default = "default_sigma_velocity_mps")]
    pub sigma_velocity_mps: f64,
    /// Keep only records whose I010 has this System Area Code (several sources often share
    /// one multicast group).
    #[serde(default)]
    pub sac: Option<u8>,
    /// Keep only records whose I010 has this System Identification Code.
    #[serde(default)]
    pub sic: Option<u8>,
    /// Category editions to decode with, where the default is not the one the sensor sends.
    #[serde(default)]
    pub editions: Editions,
    /// Exercise mode: take CAT048 plots flagged simulated (I048/020 SIM) as targets. Off, they
    /// are the radar's own test targets and are skipped (counted as `simulated`).
    #[serde(default)]
    pub exercise: bool,
    /// Where the data comes from.
    pub source: SourceConfig,
}

fn default_sigma_range_m() -> f64 {
    40.0
}
fn default_sigma_azimuth_deg() -> f64 {
    0.08
}
fn default_sigma_position_m() -> f64 {
    150.0
}
fn default_sigma_velocity_mps() -> f64 {
    3.0
}

/// A sensor's position on the WGS-84 ellipsoid.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SensorPosition {
    /// Latitude, degrees north.
    pub lat: f64,
    /// Longitude, degrees east.
    pub lon: f64,
    /// Height of the antenna above the WGS-84 ellipsoid, metres.
    #[serde(default)]
    pub height_m: f64,
}

impl SensorPosition {
    /// As the core type.
    pub fn geodetic(self) -> Geodetic {
        Geodetic {
            pos: LatLon::new(self.lat, self.lon),
            height_m: self.height_m,
        }
    }
}

/// Category editions (`"1.27"`, `"0.26"`, ...); absent keys take the crate defaults
/// (CAT021 2.6, CAT048 1.32, CAT062 1.21).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Editions {
    /// CAT021 edition: `"2.6"` or `"0.26"`.
    #[serde(default)]
    pub cat021: Option<String>,
    /// CAT048 edition: `"1.32"` or `"1.27"`.
    #[serde(default)]
    pub cat048: Option<String>,
    /// CAT062 edition: `"1.21"` or `"1.18"`.
    #[serde(default)]
    pub cat062: Option<String>,
}

impl Editions {
    /// The table to decode category `cat` with: the configured edition or the default.
    pub fn table(&self, cat: u8) -> Result<Option<&'static Category>, String> {
        let chosen = match cat {
            21 => self.cat021.as_deref(),
            48 => self.cat048.as_deref(),
            62 => self.cat062.as_deref(),
            _ => None,
        };
        match chosen {
            None => Ok(tables::default_for(cat)),
            Some(ed) => tables::edition(cat, ed).map(Some).ok_or_else(|| {
                let carried: Vec<&str> = tables::ALL
                    .iter()
                    .filter(|c| c.cat == cat)
                    .map(|c| c.edition)
                    .collect();
                format!("`editions.cat{cat:03} = {ed:?}` is not carried; use one of {carried:?}")
            }),
        }
    }
}

/// Where a sensor's ASTERIX comes from. The `type` key picks the kind.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum SourceConfig {
    /// UDP datagrams, unicast or multicast, each holding one or more data blocks.
    Udp(UdpSource),
    /// A pcap or pcapng capture of such datagrams, replayed.
    Pcap(PcapSource),
    /// A file of data blocks back to back, replayed.
    Raw(RawSource),
}

impl SourceConfig {
    /// `"udp"`, `"pcap"` or `"raw"`.
    pub fn kind(&self) -> &'static str {
        match self {
            SourceConfig::Udp(_) => "udp",
            SourceConfig::Pcap(_) => "pcap",
            SourceConfig::Raw(_) => "raw",
        }
    }
}

/// A UDP socket.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct UdpSource {
    /// Local address and port to receive on, e.g. `"0.0.0.0:8600"`. With `group`, only the
    /// port is used (the socket is bound to the group address, so that only that group's
    /// datagrams arrive on it).
    pub listen: SocketAddr,
    /// IPv4 multicast group to join, e.g. `"239.1.1.1"`.
    #[serde(default)]
    pub group: Option<Ipv4Addr>,
    /// Local IPv4 address of the interface to join the group on; absent: the kernel picks
    /// the interface by route.
    #[serde(default)]
    pub interface: Option<Ipv4Addr>,
    /// Kernel receive buffer (SO_RCVBUF), bytes; absent: the system default. A radar sends
    /// a burst per sector, so a larger buffer avoids drops when the pipeline is busy.
    #[serde(default)]
    pub recv_buffer_bytes: Option<usize>,
    /// The sensor shows `quiet` (and a warning is logged) after this many seconds without a
    /// datagram.
    #[serde(default = "default_quiet_after_s")]
    pub quiet_after_s: f64,
}

fn default_quiet_after_s() -> f64 {
    30.0
}

/// Which time gives a replayed capture's datagrams their date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Timestamps {
    /// The capture's own time stamps (a deterministic replay on the recorded day).
    #[default]
    Recorded,
    /// The clock's time when the datagram is read (the replay appears live, today).
    Receipt,
}

/// A capture replay.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PcapSource {
    /// The capture; a relative path is taken from the configuration file's directory.
    pub path: PathBuf,
    /// Which time dates the ASTERIX times of day.
    #[serde(default)]
    pub timestamps: Timestamps,
    /// Replay pace on the capture's time stamps: 1.0 is real time. Absent: as fast as the
    /// pipeline takes it.
    #[serde(default)]
    pub speed: Option<f64>,
    /// Only datagrams sent to this UDP port (a capture often holds several streams).
    #[serde(default)]
    pub port: Option<u16>,
}

/// A file of concatenated data blocks (`.raw`, `.ast`), dated by the clock.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawSource {
    /// The file; a relative path is taken from the configuration file's directory.
    pub path: PathBuf,
}

/// A path taken from `base_dir` when relative.
pub(crate) fn resolve(path: &Path, base_dir: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_owned()
    } else {
        base_dir.join(path)
    }
}

fn positive(v: f64) -> bool {
    v.is_finite() && v > 0.0
}

impl RadarConfig {
    /// Checks what can be checked without I/O.
    pub fn validate(&self) -> Result<(), RadarError> {
        let invalid = |reason: String| RadarError::InvalidConfig {
            sensor: self.name.clone(),
            reason,
        };
        if self.name.trim().is_empty() {
            return Err(invalid("`name` must not be empty".into()));
        }
        let bad_position =
            |p: &SensorPosition| !LatLon::new(p.lat, p.lon).is_valid() || !p.height_m.is_finite();
        if let Some(p) = self.position.filter(bad_position) {
            return Err(invalid(format!(
                "`position` must be lat in -90..=90, lon in -180..=180 and a finite height_m, \
                 got {}, {}, {}",
                p.lat, p.lon, p.height_m
            )));
        }
        for (key, v) in [
            ("sigma_range_m", self.sigma_range_m),
            ("sigma_azimuth_deg", self.sigma_azimuth_deg),
            ("sigma_position_m", self.sigma_position_m),
            ("sigma_velocity_mps", self.sigma_velocity_mps),
        ] {
            if !positive(v) {
                return Err(invalid(format!(
                    "`{key}` must be a positive number, got {v}"
                )));
            }
        }
        for cat in [21, 48, 62] {
            self.editions.table(cat).map_err(invalid)?;
        }
        match &self.source {
            SourceConfig::Udp(u) => {
                if !positive(u.quiet_after_s) {
                    return Err(invalid(format!(
                        "`source.quiet_after_s` must be a positive number of seconds, got {}",
                        u.quiet_after_s
                    )));
                }
                if let Some(g) = u.group {
                    if !g.is_multicast() {
                        return Err(invalid(format!(
                            "`source.group` = {g} is not a multicast address (224.0.0.0/4)"
                        )));
                    }
                    if !u.listen.is_ipv4() {
                        return Err(invalid(format!(
                            "`source.listen` = {} must be IPv4 to join the IPv4 group {g}",
                            u.listen
                        )));
                    }
                }
                if let Some(i) = u.interface {
                    if u.group.is_none() {
                        return Err(invalid(
                            "`source.interface` only applies with `source.group` (multicast)"
                                .into(),
                        ));
                    }
                    if i.is_multicast() {
                        return Err(invalid(format!(
                            "`source.interface` = {i} must be the local address of an interface, \
                             not a multicast group"
                        )));
                    }
                }
                if u.listen.ip().is_multicast() {
                    return Err(invalid(format!(
                        "`source.listen` = {} is a multicast address: put the group in \
                         `source.group` and listen on \"0.0.0.0:{}\"",
                        u.listen,
                        u.listen.port()
                    )));
                }
            }
            SourceConfig::Pcap(p) => {
                if p.path.as_os_str().is_empty() {
                    return Err(invalid("`source.path` must not be empty".into()));
                }
                if let Some(speed) = p.speed.filter(|s| !positive(*s)) {
                    return Err(invalid(format!(
                        "`source.speed` must be a positive number (1.0 = real time), got {speed}"
                    )));
                }
            }
            SourceConfig::Raw(r) => {
                if r.path.as_os_str().is_empty() {
                    return Err(invalid("`source.path` must not be empty".into()));
                }
            }
        }
        Ok(())
    }

    /// The configured sensor position.
    pub fn origin(&self) -> Option<Geodetic> {
        self.position.map(SensorPosition::geodetic)
    }

    /// Where it reads from: `host:port` (and group) or the path as configured.
    pub fn source_label(&self, base_dir: &Path) -> String {
        match &self.source {
            SourceConfig::Udp(u) => match u.group {
                Some(g) => format!(
                    "udp {g}:{} on {}",
                    u.listen.port(),
                    u.interface
                        .map_or("the default interface".to_owned(), |i| i.to_string())
                ),
                None => format!("udp {}", u.listen),
            },
            SourceConfig::Pcap(p) => resolve(&p.path, base_dir).display().to_string(),
            SourceConfig::Raw(r) => resolve(&r.path, base_dir).display().to_string(),
        }
    }
}

/// Checks every sensor and that names are unique.
pub fn validate_all(radars: &[RadarConfig]) -> Result<(), RadarError> {
    let mut names = HashSet::new();
    for r in radars {
        r.validate()?;
        if !names.insert(r.name.as_str()) {
            return Err(RadarError::InvalidConfig {
                sensor: r.name.clone(),
                reason: "two [[radar]] tables have this name; each sensor needs its own".into(),
            });
        }
    }
    Ok(())
}

/// One CAT062 output: the centre's picture sent as system tracks over UDP.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Cat062OutConfig {
    /// The output's name (logs, `/data/sensors.json`).
    pub name: String,
    /// Where to send: a unicast `host:port` or a multicast `group:port`.
    pub destination: SocketAddr,
    /// Local address to send from; absent: any address, any port.
    #[serde(default)]
    pub bind: Option<SocketAddr>,
    /// Multicast: local IPv4 address of the interface to send on; absent: by route.
    #[serde(default)]
    pub interface: Option<Ipv4Addr>,
    /// Multicast: time-to-live (router hops); 0 keeps the datagrams on this host.
    #[serde(default = "default_ttl")]
    pub ttl: u32,
    /// Seconds between two updates of the whole picture.
    #[serde(default = "default_period_s")]
    pub period_s: f64,
    /// I010 System Area Code of this centre.
    pub sac: u8,
    /// I010 System Identification Code of this centre.
    pub sic: u8,
    /// I015 service identification, when the receivers expect one.
    #[serde(default)]
    pub service_id: Option<u8>,
    /// Largest data block (= UDP payload), bytes: keep it under the path MTU.
    #[serde(default = "default_max_block_bytes")]
    pub max_block_bytes: usize,
    /// Aircraft whose last position is older than this many seconds are not sent (their
    /// track ends).
    #[serde(default = "default_max_position_age_s")]
    pub max_position_age_s: f64,
}

fn default_ttl() -> u32 {
    1
}
fn default_period_s() -> f64 {
    4.0
}
fn default_max_block_bytes() -> usize {
    1400
}
fn default_max_position_age_s() -> f64 {
    20.0
}

impl Cat062OutConfig {
    /// Checks what can be checked without I/O.
    pub fn validate(&self) -> Result<(), RadarError> {
        let invalid = |reason: String| RadarError::InvalidConfig {
            sensor: self.name.clone(),
            reason,
        };
        if self.name.trim().is_empty() {
            return Err(invalid("`name` must not be empty".into()));
        }
        for (key, v) in [
            ("period_s", self.period_s),
            ("max_position_age_s", self.max_position_age_s),
        ] {
            if !positive(v) {
                return Err(invalid(format!(
                    "`{key}` must be a positive number of seconds, got {v}"
                )));
            }
        }
        // A block must hold its header and at least one full track record (about 60 octets);
        // above 65,507 octets a UDP datagram cannot carry it.
        if !(64..=65_507).contains(&self.max_block_bytes) {
            return Err(invalid(format!(
                "`max_block_bytes` must be in 64..=65507 (1400 keeps under a 1500-byte MTU), got {}",
                self.max_block_bytes
            )));
        }
        if self.destination.port() == 0 {
            return Err(invalid("`destination` needs a port".into()));
        }
        if self.ttl > 255 {
            return Err(invalid(format!("`ttl` must be 0..=255, got {}", self.ttl)));
        }
        if let Some(i) = self.interface {
            if !matches!(self.destination.ip(), IpAddr::V4(d) if d.is_multicast()) {
                return Err(invalid(
                    "`interface` only applies to an IPv4 multicast `destination`".into(),
                ));
            }
            if i.is_multicast() {
                return Err(invalid(format!(
                    "`interface` = {i} must be a local interface address"
                )));
            }
        }
        Ok(())
    }
}

/// Checks every output and that names are unique.
pub fn validate_outputs(outputs: &[Cat062OutConfig]) -> Result<(), RadarError> {
    let mut names = HashSet::new();
    for o in outputs {
        o.validate()?;
        if !names.insert(o.name.as_str()) {
            return Err(RadarError::InvalidConfig {
                sensor: o.name.clone(),
                reason: "two [[cat062_out]] tables have this name".into(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::unwrap_used)] // tests: a failed expectation is the report
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Wrapper {
        #[serde(default)]
        radar: Vec<RadarConfig>,
        #[serde(default)]
        cat062_out: Vec<Cat062OutConfig>,
    }

    fn parse(text: &str) -> Result<Wrapper, String> {
        toml::from_str::<Wrapper>(text).map_err(|e| e.to_string())
    }

    #[test]
    fn parses_udp_multicast_pcap_and_raw_with_defaults() {
        let w = parse(
            r#"
            [[radar]]
            name = "north"
            position = { lat = 45.5, lon = 16.0, height_m = 300.0 }
            sigma_range_m = 30.0
            sac = 25
            sic = 201
            [radar.source]
            type = "udp"
            listen = "0.0.0.0:8600"
            group = "239.1.1.1"
            interface = "127.0.0.1"

            [[radar]]
            name = "replay"
            editions = { cat048 = "1.27" }
            source = { type = "pcap", path = "cat_034_048.pcap", speed = 2.0 }

            [[radar]]
            name = "blocks"
            source = { type = "raw", path = "cat062cat065.raw" }

            [[cat062_out]]
            name = "partner"
            destination = "127.0.0.1:8601"
            sac = 25
            sic = 100
            "#,
        )
        .expect("parses");
        validate_all(&w.radar).expect("valid");
        validate_outputs(&w.cat062_out).expect("valid");
        let r = &w.radar[0];
        assert_eq!(r.sigma_azimuth_deg, 0.08);
        assert_eq!((r.sac, r.sic), (Some(25), Some(201)));
        let SourceConfig::Udp(u) = &r.source else {
            panic!("udp")
        };
        assert_eq!(u.group, Some(Ipv4Addr::new(239, 1, 1, 1)));
        assert_eq!(u.quiet_after_s, 30.0);
        assert_eq!(
            w.radar[1].editions.table(48).unwrap().unwrap().edition,
            "1.27"
        );
        assert!(matches!(&w.radar[2].source, SourceConfig::Raw(_)));
        let o = &w.cat062_out[0];
        assert_eq!(
            (o.period_s, o.ttl, o.max_block_bytes, o.max_position_age_s),
            (4.0, 1, 1400, 20.0)
        );
    }

    #[test]
    fn unknown_keys_are_rejected_with_their_name() {
        let err = parse(
            "[[radar]]\nname = \"a\"\nsource = { type = \"raw\", path = \"x\", speed = 1.0 }\n",
        )
        .expect_err("speed on raw");
        assert!(err.contains("speed"), "{err}");
        let err = parse(
            "[[radar]]\nname = \"a\"\nsigma_rng = 1\nsource = { type = \"raw\", path = \"x\" }\n",
        )
        .expect_err("typo");
        assert!(err.contains("sigma_rng"), "{err}");
        let err = parse("[[radar]]\nname = \"a\"\nsource = { type = \"tcp\", path = \"x\" }\n")
            .expect_err("kind");
        assert!(err.contains("tcp"), "{err}");
    }

    #[test]
    fn validation_says_what_to_change() {
        let check = |text: &str, want: &str| {
            let w = parse(text).expect("parses");
            let err = validate_all(&w.radar)
                .and_then(|()| validate_outputs(&w.cat062_out))
                .expect_err("invalid")
                .to_string();
            assert!(err.contains(want), "{err:?} should mention {want:?}");
        };
        let raw = "source = { type = \"raw\", path = \"x\" }";
        check(
            &format!("[[radar]]\nname = \"a\"\nposition = {{ lat = 95.0, lon = 0.0 }}\n{raw}\n"),
            "position",
        );
        check(
            &format!("[[radar]]\nname = \"a\"\nsigma_azimuth_deg = 0.0\n{raw}\n"),
            "sigma_azimuth_deg",
        );
        check(
            &format!("[[radar]]\nname = \"a\"\neditions = {{ cat048 = \"9.9\" }}\n{raw}\n"),
            "1.32",
        );
        check(
            "[[radar]]\nname = \"a\"\nsource = { type = \"udp\", listen = \"0.0.0.0:1\", group = \"10.0.0.1\" }\n",
            "multicast",
        );
        check(
            "[[radar]]\nname = \"a\"\nsource = { type = \"udp\", listen = \"239.1.1.1:1\" }\n",
            "source.group",
        );
        check(
            "[[radar]]\nname = \"a\"\nsource = { type = \"udp\", listen = \"0.0.0.0:1\", interface = \"127.0.0.1\" }\n",
            "only applies",
        );
        check(
            &format!("[[radar]]\nname = \"a\"\n{raw}\n[[radar]]\nname = \"a\"\n{raw}\n"),
            "two [[radar]]",
        );
        check(
            "[[cat062_out]]\nname = \"o\"\ndestination = \"127.0.0.1:9\"\nsac = 1\nsic = 2\nperiod_s = 0.0\n",
            "period_s",
        );
        check(
            "[[cat062_out]]\nname = \"o\"\ndestination = \"127.0.0.1:9\"\nsac = 1\nsic = 2\nmax_block_bytes = 10\n",
            "max_block_bytes",
        );
        check(
            "[[cat062_out]]\nname = \"o\"\ndestination = \"127.0.0.1:9\"\nsac = 1\nsic = 2\ninterface = \"127.0.0.1\"\n",
            "multicast",
        );
    }
}
