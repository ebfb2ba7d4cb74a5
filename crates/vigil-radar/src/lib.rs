//! ASTERIX sensors for Vigil: radars (CAT048 plots, CAT034 service messages), surveillance
//! data processing systems (CAT062 tracks, CAT065 status) and ADS-B ground stations (CAT021),
//! read from UDP (unicast or multicast), pcap / pcapng captures or raw block files, and turned
//! into [`Observation`]s; and the centre's picture sent out as CAT062.
//!
//! - [`config`]: the typed `[[radar]]` and `[[cat062_out]]` configuration.
//! - [`convert`]: ASTERIX to observations, per sensor (pure).
//! - [`geo`]: plots on the map, for display.
//! - [`store`]: each sensor's recent observations, for `/data/radar.json`.
//! - [`sink`]: the picture as CAT062 over UDP.
//! - [`stats`]: per-sensor and per-output counters.
//!
//! Each configured [`RadarConfig`] is one sensor with its own [`SensorId`] and one tokio task,
//! which sends a [`RadarBatch`] per datagram over a bounded channel. One
//! [`CancellationToken`] stops every task.
//!
//! **Architecture invariant:** like `vigil-feed`, all I/O and waiting happen in the tasks
//! here; [`convert`], [`store`] and [`sink::Cat062Encoder`] are synchronous and take time as
//! an argument. Sockets are opened by [`prepare`] / [`sink::prepare_output`], before anything
//! starts, so that a port in use or a group that cannot be joined stops the start-up with its
//! reason.

pub mod config;
pub mod convert;
pub mod geo;
pub mod sink;
pub mod stats;
pub mod store;

mod source;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use vigil_core::{Clock, Observation, SensorId, UnixTime};

pub use config::{Cat062OutConfig, RadarConfig, SourceConfig, validate_all, validate_outputs};
pub use convert::Converter;
pub use sink::{PreparedOutput, SystemTrack, prepare_output, spawn_output, tracks_from_picture};
pub use stats::{OutputHandle, OutputStats, RadarHandle, RadarState, RadarStats};
pub use store::{RecentObservations, StoreLimits};

/// What went wrong setting up a sensor or an output.
#[derive(Debug, thiserror::Error)]
pub enum RadarError {
    /// A value in the configuration is not usable.
    #[error("radar {sensor:?}: {reason}")]
    InvalidConfig {
        /// The sensor's (or output's) name.
        sensor: String,
        /// What to change.
        reason: String,
    },
    /// The file could not be opened or read.
    #[error("radar {sensor:?}: cannot read {}: {source}", path.display())]
    Unreadable {
        /// The sensor's name.
        sensor: String,
        /// The resolved path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A socket could not be set up.
    #[error("{sensor:?}: {what}: {source}")]
    Socket {
        /// The sensor's (or output's) name.
        sensor: String,
        /// What was being done.
        what: String,
        /// Why it failed.
        source: std::io::Error,
    },
}

/// The observations from one datagram (or part of a file) of one sensor.
#[derive(Debug, Clone, PartialEq)]
pub struct RadarBatch {
    /// Which sensor.
    pub sensor: SensorId,
    /// When the datagram arrived (the capture's time stamp on a recorded replay).
    pub received: UnixTime,
    /// The observations, in record order (never empty).
    pub observations: Vec<Observation>,
}

/// A sensor checked, its file found or its socket bound, ready to spawn.
#[derive(Debug)]
pub struct PreparedRadar {
    /// The sensor's id.
    pub id: SensorId,
    /// Its configuration.
    pub config: RadarConfig,
    /// Where it reads from, for the status page.
    pub source: String,
    path: Option<PathBuf>,
    socket: Option<std::net::UdpSocket>,
}

impl PreparedRadar {
    /// The address a UDP sensor's socket is bound to (port 0 in the configuration picks one).
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.socket.as_ref().and_then(|s| s.local_addr().ok())
    }
}

/// Checks one sensor; opens its file to check it is readable (a capture's magic number too),
/// or binds its socket and joins its multicast group.
pub fn prepare_one(
    id: SensorId,
    config: &RadarConfig,
    base_dir: &Path,
) -> Result<PreparedRadar, RadarError> {
    config.validate()?;
    // Editions are checked again when the converter is built; failing here is earlier.
    Converter::new(id, config)?;
    let source = config.source_label(base_dir);
    let (path, socket) = match &config.source {
        SourceConfig::Udp(u) => (None, Some(bind_udp(&config.name, u)?)),
        SourceConfig::Pcap(p) => {
            let path = config::resolve(&p.path, base_dir);
            let head = read_head(&config.name, &path)?;
            // The first 64 bytes hold the file header: enough to tell a capture.
            if let Err(e) = vigil_asterix::pcap::read_capture(&head) {
                return Err(RadarError::InvalidConfig {
                    sensor: config.name.clone(),
                    reason: format!(
                        "{}: {e}; for a file of data blocks use `type = \"raw\"`",
                        path.display()
                    ),
                });
            }
            (Some(path), None)
        }
        SourceConfig::Raw(r) => {
            let path = config::resolve(&r.path, base_dir);
            read_head(&config.name, &path)?;
            (Some(path), None)
        }
    };
    // Logs and the status page show the plain path, not `config/../../…`.
    let path = path.map(|p| std::fs::canonicalize(&p).unwrap_or(p));
    Ok(PreparedRadar {
        id,
        config: config.clone(),
        source: path.as_ref().map_or(source, |p| p.display().to_string()),
        path,
        socket,
    })
}

fn read_head(name: &str, path: &Path) -> Result<Vec<u8>, RadarError> {
    use std::io::Read;
    let mut head = Vec::with_capacity(64);
    std::fs::File::open(path)
        .and_then(|f| f.take(64).read_to_end(&mut head))
        .map_err(|source| RadarError::Unreadable {
            sensor: name.to_owned(),
            path: path.to_owned(),
            source,
        })?;
    Ok(head)
}

/// Binds a UDP socket for `u`, joining its multicast group when it has one.
fn bind_udp(name: &str, u: &config::UdpSource) -> Result<std::net::UdpSocket, RadarError> {
    use socket2::{Domain, Protocol, Socket, Type};
    let fail = |what: String, e: std::io::Error| RadarError::Socket {
        sensor: name.to_owned(),
        what,
        source: e,
    };
    let domain = if u.listen.is_ipv4() {
        Domain::IPV4
    } else {
        Domain::IPV6
    };
    let socket = Socket::new(domain, Type::DGRAM, Some(Protocol::UDP))
        .map_err(|e| fail("socket".into(), e))?;
    let bind = match u.group {
        Some(group) => {
            // Several receivers on one host (two sensors on one group, or another tool
            // listening too) each bind the group's port.
            socket
                .set_reuse_address(true)
                .map_err(|e| fail("cannot set SO_REUSEADDR".into(), e))?;
            // On Linux, binding the group address (not 0.0.0.0) keeps other groups' datagrams
            // to the same port off this socket.
            if cfg!(target_os = "linux") {
                SocketAddr::from((group, u.listen.port()))
            } else {
                SocketAddr::from((Ipv4Addr::UNSPECIFIED, u.listen.port()))
            }
        }
        None => u.listen,
    };
    if let Some(size) = u.recv_buffer_bytes {
        socket
            .set_recv_buffer_size(size)
            .map_err(|e| fail(format!("cannot set a {size}-byte receive buffer"), e))?;
    }
    socket.bind(&bind.into()).map_err(|e| {
        fail(
            format!("cannot bind {bind} (is another program using the port?)"),
            e,
        )
    })?;
    if let Some(group) = u.group {
        let interface = u.interface.unwrap_or(Ipv4Addr::UNSPECIFIED);
        socket.join_multicast_v4(&group, &interface).map_err(|e| {
            fail(
                format!(
                    "cannot join multicast group {group} on interface {interface} (is \
                     `source.interface` the address of a local interface with multicast?)"
                ),
                e,
            )
        })?;
    }
    socket
        .set_nonblocking(true)
        .map_err(|e| fail("cannot make the socket non-blocking".into(), e))?;
    Ok(socket.into())
}

/// Checks every sensor (unique names included) and prepares each in order, with ids from
/// `first_id` on (after the Mode S feeds, which take the ids from 0).
pub fn prepare(
    configs: &[RadarConfig],
    first_id: u16,
    base_dir: &Path,
) -> Result<Vec<PreparedRadar>, RadarError> {
    validate_all(configs)?;
    configs
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let id = u16::try_from(i)
                .ok()
                .and_then(|i| first_id.checked_add(i))
                .ok_or_else(|| RadarError::InvalidConfig {
                    sensor: c.name.clone(),
                    reason: format!("too many sensors: at most {} in all", u16::MAX),
                })?;
            prepare_one(SensorId(id), c, base_dir)
        })
        .collect()
}

/// Running sensors.
#[derive(Debug)]
pub struct Radars {
    sensors: Vec<RadarHandle>,
    tasks: Vec<JoinHandle<()>>,
}

impl Radars {
    /// Starts one task per sensor on the current tokio runtime. Observations go to `tx`
    /// (files wait when it is full; UDP sources drop and count, see
    /// [`stats::Counters::dropped_observations`]). `shutdown` stops every task.
    pub fn spawn(
        radars: Vec<PreparedRadar>,
        tx: mpsc::Sender<RadarBatch>,
        clock: Arc<dyn Clock>,
        shutdown: CancellationToken,
    ) -> Self {
        let mut sensors = Vec::with_capacity(radars.len());
        let mut tasks = Vec::with_capacity(radars.len());
        for radar in radars {
            let handle = RadarHandle::new(RadarStats::new(
                radar.id,
                &radar.config.name,
                radar.config.source.kind(),
                radar.source.clone(),
            ));
            sensors.push(handle.clone());
            let conv = match Converter::new(radar.id, &radar.config) {
                Ok(c) => c,
                Err(e) => {
                    // prepare_one built one already, so this does not happen.
                    handle.update(|s| {
                        s.state = RadarState::Failed;
                        s.last_error = Some(e.to_string());
                    });
                    continue;
                }
            };
            let src = source::Source {
                sensor: radar.id,
                name: radar.config.name.clone(),
                conv,
                stats: handle.clone(),
                tx: tx.clone(),
                clock: clock.clone(),
                cancel: shutdown.clone(),
                logged: stats::LogOnce::default(),
            };
            let task = match (&radar.config.source, radar.socket, radar.path) {
                (SourceConfig::Udp(u), Some(socket), _) => {
                    match tokio::net::UdpSocket::from_std(socket) {
                        Ok(socket) => tokio::spawn(source::run_udp(u.clone(), socket, src)),
                        Err(e) => {
                            tracing::error!(sensor = %radar.config.name, error = %e, "cannot use the UDP socket");
                            handle.update(|s| {
                                s.state = RadarState::Failed;
                                s.last_error = Some(format!("cannot use the socket: {e}"));
                            });
                            continue;
                        }
                    }
                }
                (SourceConfig::Pcap(p), _, Some(path)) => {
                    tokio::spawn(source::run_pcap(p.clone(), path, src))
                }
                (SourceConfig::Raw(_), _, Some(path)) => tokio::spawn(source::run_raw(path, src)),
                _ => {
                    // prepare_one gives every UDP sensor a socket and every file a path.
                    handle.update(|s| {
                        s.state = RadarState::Failed;
                        s.last_error = Some("not prepared".into());
                    });
                    continue;
                }
            };
            tasks.push(task);
        }
        Self { sensors, tasks }
    }

    /// Handles on every sensor's counters, in configuration order.
    pub fn sensors(&self) -> &[RadarHandle] {
        &self.sensors
    }

    /// Waits for every task to end (files at their end, everything on shutdown).
    pub async fn join(self) {
        for task in self.tasks {
            if let Err(e) = task.await {
                tracing::error!(error = %e, "radar task ended abnormally");
            }
        }
    }
}
