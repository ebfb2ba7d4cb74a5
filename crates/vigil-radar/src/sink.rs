//! The centre's picture out as CAT062 system tracks over UDP.
//!
//! [`tracks_from_picture`] takes what is worth sending from the air picture,
//! [`Cat062Encoder`] (pure) gives each aircraft a stable track number and writes a cycle's
//! records into datagram-sized data blocks, and [`spawn_output`] sends a cycle every
//! `period_s` seconds.
//!
//! Track life cycle, as receivers expect it: the first record of a track has TSB (start of
//! track) set; a track that leaves the picture (or whose position is too old) gets one last
//! record with TSE (end of track), after which its number goes to the back of a queue of free
//! numbers, so that a number is reused as late as possible. A track whose position has not
//! changed since the previous cycle is sent with CST (coasting).

use std::collections::{BTreeMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use vigil_asterix::BlockWriter;
use vigil_asterix::EncodeError;
use vigil_asterix::cat062::{AgesOut, StatusOut, TrackOut};
use vigil_core::{IcaoAddress, LatLon, UnixTime};
use vigil_picture::Picture;

use crate::RadarError;
use crate::config::Cat062OutConfig;
use crate::convert::from_octal_nibbles;
use crate::geo::east_north;
use crate::stats::{OutputHandle, OutputStats};

/// One aircraft of the picture as a system track: plain values, so that the picture lock is
/// held only while they are copied.
#[derive(Debug, Clone, PartialEq)]
pub struct SystemTrack {
    /// Stable key: the address, bit 24 set for a non-ICAO address.
    pub key: u32,
    /// The ICAO address (none for non-ICAO addresses, which receivers would misread).
    pub address: Option<IcaoAddress>,
    /// Position.
    pub position: LatLon,
    /// When the position was received.
    pub position_time: UnixTime,
    /// When the aircraft was last heard.
    pub last_seen: UnixTime,
    /// Barometric altitude, feet.
    pub alt_baro_ft: Option<f64>,
    /// Geometric altitude, feet.
    pub alt_geom_ft: Option<f64>,
    /// Vertical rate, ft/min.
    pub vert_rate_ft_min: Option<f64>,
    /// Ground speed (kt) and track over ground (degrees).
    pub ground_vector: Option<(f64, f64)>,
    /// Mode 3/A code, 12 bits (`0o7500`).
    pub mode3a: Option<u16>,
    /// Callsign (A-Z, 0-9, space; at most 8).
    pub callsign: Option<String>,
    /// How many sensors contributed.
    pub sensors: usize,
}

/// The aircraft of `picture` with a position at most `max_age_s` old at `now`, ordered by
/// key (so that a cycle's output does not depend on hash order).
pub fn tracks_from_picture(picture: &Picture, now: UnixTime, max_age_s: f64) -> Vec<SystemTrack> {
    let mut tracks: Vec<SystemTrack> = picture
        .iter()
        .filter_map(|a| {
            let pos = a.position?;
            if now.since(pos.at) > max_age_s || !pos.value.is_valid() {
                return None;
            }
            let callsign = a
                .callsign
                .map(|c| c.value.as_str().trim().to_owned())
                .filter(|c| {
                    !c.is_empty()
                        && c.len() <= 8
                        && c.bytes()
                            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b' ')
                });
            Some(SystemTrack {
                key: a.icao.value() | (u32::from(a.non_icao) << 24),
                address: (!a.non_icao).then_some(a.icao),
                position: pos.value,
                position_time: pos.at,
                last_seen: a.last_seen,
                alt_baro_ft: a.alt_baro_ft.map(|v| f64::from(v.value)),
                alt_geom_ft: a.alt_geom_ft.map(|v| f64::from(v.value)),
                vert_rate_ft_min: a.vert_rate.map(|v| f64::from(v.value.0)),
                ground_vector: a.gs_kt.zip(a.track_deg).map(|(g, t)| (g.value, t.value)),
                mode3a: a.squawk.and_then(|s| from_octal_nibbles(s.value)),
                callsign,
                sensors: a.sensors.len(),
            })
        })
        .collect();
    tracks.sort_by_key(|t| t.key);
    tracks
}

/// Track numbers: fresh ones first, then the longest-released.
#[derive(Debug, Clone)]
struct TrackNumbers {
    next: u32,
    released: VecDeque<u16>,
}

impl TrackNumbers {
    fn allocate(&mut self) -> Option<u16> {
        match u16::try_from(self.next) {
            Ok(n) => {
                self.next += 1;
                Some(n)
            }
            Err(_) => self.released.pop_front(),
        }
    }

    fn release(&mut self, n: u16) {
        self.released.push_back(n);
    }

    /// Gives back a number that was allocated but never sent: it is as good as new.
    fn unallocate(&mut self, n: u16) {
        if u32::from(n) + 1 == self.next {
            self.next -= 1;
        } else {
            self.released.push_front(n);
        }
    }
}

#[derive(Debug, Clone)]
struct Active {
    number: u16,
    last: SystemTrack,
}

/// What one cycle wrote.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CycleReport {
    /// Records written (end-of-track ones included).
    pub records: usize,
    /// End-of-track records.
    pub ended: usize,
    /// Tracks alive after the cycle.
    pub active: usize,
    /// Aircraft not written, with the reason.
    pub errors: Vec<(u32, String)>,
}

/// Writes the picture as CAT062 records, cycle after cycle, keeping track numbers stable.
#[derive(Debug, Clone)]
pub struct Cat062Encoder {
    sac: u8,
    sic: u8,
    service_id: Option<u8>,
    numbers: TrackNumbers,
    active: BTreeMap<u32, Active>,
    writer: BlockWriter,
}

impl Cat062Encoder {
    /// An encoder for `config`'s SAC/SIC, service and block size.
    pub fn new(config: &Cat062OutConfig) -> Result<Self, RadarError> {
        let writer = BlockWriter::new(62, config.max_block_bytes).map_err(|e| {
            RadarError::InvalidConfig {
                sensor: config.name.clone(),
                reason: e.to_string(),
            }
        })?;
        Ok(Self {
            sac: config.sac,
            sic: config.sic,
            service_id: config.service_id,
            numbers: TrackNumbers {
                next: 1,
                released: VecDeque::new(),
            },
            active: BTreeMap::new(),
            writer,
        })
    }

    /// The track number given to `key`, while its track lives.
    pub fn track_number(&self, key: u32) -> Option<u16> {
        self.active.get(&key).map(|a| a.number)
    }

    /// Writes one cycle: every track of `tracks` (which must be ordered by key), then an
    /// end-of-track record for each track of the previous cycle that is gone. The blocks are
    /// then in [`Cat062Encoder::blocks`] until the next cycle.
    pub fn cycle(&mut self, now: UnixTime, tracks: &[SystemTrack]) -> CycleReport {
        self.writer.clear();
        let mut report = CycleReport::default();
        let mut alive = std::collections::BTreeSet::new();
        for t in tracks {
            alive.insert(t.key);
            let (number, new, coasting) = match self.active.get(&t.key) {
                Some(a) => (a.number, false, t.position_time <= a.last.position_time),
                None => match self.numbers.allocate() {
                    Some(n) => (n, true, false),
                    None => {
                        report
                            .errors
                            .push((t.key, "no free track number".to_owned()));
                        continue;
                    }
                },
            };
            let status = StatusOut {
                monosensor: t.sensors <= 1,
                altitude_source: if t.alt_geom_ft.is_some() { 1 } else { 0 },
                start_of_track: new,
                coasting,
                ..StatusOut::default()
            };
            match self.write(now, t, number, status) {
                Ok(()) => {
                    report.records += 1;
                    self.active.insert(
                        t.key,
                        Active {
                            number,
                            last: t.clone(),
                        },
                    );
                }
                Err(e) => {
                    if new {
                        self.numbers.unallocate(number);
                    }
                    report.errors.push((t.key, error_name(&e)));
                }
            }
        }
        let gone: Vec<u32> = self
            .active
            .keys()
            .filter(|k| !alive.contains(k))
            .copied()
            .collect();
        for key in gone {
            let Some(a) = self.active.remove(&key) else {
                continue;
            };
            let status = StatusOut {
                monosensor: a.last.sensors <= 1,
                altitude_source: if a.last.alt_geom_ft.is_some() { 1 } else { 0 },
                end_of_track: true,
                coasting: true,
                ..StatusOut::default()
            };
            match self.write(now, &a.last, a.number, status) {
                Ok(()) => {
                    report.records += 1;
                    report.ended += 1;
                }
                Err(e) => report.errors.push((key, error_name(&e))),
            }
            self.numbers.release(a.number);
        }
        report.active = self.active.len();
        report
    }

    fn write(
        &mut self,
        now: UnixTime,
        t: &SystemTrack,
        number: u16,
        status: StatusOut,
    ) -> Result<(), EncodeError> {
        let mut out = TrackOut::new(
            self.sac,
            self.sic,
            number,
            t.position_time.secs().rem_euclid(86_400.0),
            t.position,
        );
        out.service_id = self.service_id;
        out.velocity_m_s = t
            .ground_vector
            .map(|(gs_kt, track_deg)| east_north(gs_kt * 1852.0 / 3600.0, track_deg));
        out.mode3a = t.mode3a;
        out.address = t.address;
        out.callsign = t.callsign.as_deref();
        out.measured_altitude_ft = t.alt_baro_ft;
        out.geometric_altitude_ft = t.alt_geom_ft;
        out.rate_of_climb_ft_min = t.vert_rate_ft_min;
        out.status = status;
        // Ages of the data the track holds: the position from extended squitter, the
        // aircraft last heard in any Mode S reply.
        out.ages = Some(AgesOut {
            es: Some(now.since(t.position_time).max(0.0)),
            mode_s: Some(now.since(t.last_seen).max(0.0)),
            ..AgesOut::default()
        });
        self.writer.push_with(|buf| out.encode_into(buf))
    }

    /// The data blocks of the last cycle, one datagram each.
    pub fn blocks(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.writer.blocks()
    }
}

/// A short counter name for an encoding error.
fn error_name(e: &EncodeError) -> String {
    match e {
        EncodeError::OutOfRange { item, field, .. } => format!("I062/{item} {field} out of range"),
        EncodeError::BadText { item, field, .. } => format!("I062/{item} {field} not encodable"),
        EncodeError::RecordTooLong { .. } => "record longer than max_block_bytes".to_owned(),
        other => other.to_string(),
    }
}

/// An output with its socket bound.
#[derive(Debug)]
pub struct PreparedOutput {
    /// The configuration.
    pub config: Cat062OutConfig,
    socket: std::net::UdpSocket,
}

impl PreparedOutput {
    /// The local address datagrams are sent from.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.socket.local_addr()
    }
}

/// Opens the output's socket: bound, with the multicast interface and TTL set.
pub fn prepare_output(config: &Cat062OutConfig) -> Result<PreparedOutput, RadarError> {
    config.validate()?;
    let fail = |what: &str, e: std::io::Error| RadarError::Socket {
        sensor: config.name.clone(),
        what: format!("{what} (destination {})", config.destination),
        source: e,
    };
    use socket2::{Domain, Protocol, Socket, Type};
    let domain = if config.destination.is_ipv4() {
        Domain::IPV4
    } else {
        Domain::IPV6
    };
    let socket =
        Socket::new(domain, Type::DGRAM, Some(Protocol::UDP)).map_err(|e| fail("socket", e))?;
    let bind = config.bind.unwrap_or(if config.destination.is_ipv4() {
        SocketAddr::from(([0, 0, 0, 0], 0))
    } else {
        SocketAddr::from((std::net::Ipv6Addr::UNSPECIFIED, 0))
    });
    socket
        .bind(&bind.into())
        .map_err(|e| fail(&format!("cannot bind {bind}"), e))?;
    match config.destination.ip() {
        IpAddr::V4(group) if group.is_multicast() => {
            socket
                .set_multicast_ttl_v4(config.ttl)
                .map_err(|e| fail("cannot set the multicast TTL", e))?;
            if let Some(interface) = config.interface {
                socket
                    .set_multicast_if_v4(&interface)
                    .map_err(|e| fail(&format!("cannot send multicast on {interface}"), e))?;
            }
        }
        _ => {}
    }
    socket
        .set_nonblocking(true)
        .map_err(|e| fail("cannot make the socket non-blocking", e))?;
    Ok(PreparedOutput {
        config: config.clone(),
        socket: socket.into(),
    })
}

/// A running output.
#[derive(Debug)]
pub struct Output {
    /// Its counters.
    pub stats: OutputHandle,
    /// The task.
    pub task: JoinHandle<()>,
}

/// Starts sending: every `period_s`, `snapshot` gives the picture's time and tracks (see
/// [`tracks_from_picture`]), which are encoded and sent. Stops on `shutdown`.
pub fn spawn_output<F>(
    prepared: PreparedOutput,
    snapshot: F,
    shutdown: CancellationToken,
) -> Result<Output, RadarError>
where
    F: FnMut() -> (UnixTime, Vec<SystemTrack>) + Send + 'static,
{
    let config = prepared.config;
    let socket =
        tokio::net::UdpSocket::from_std(prepared.socket).map_err(|e| RadarError::Socket {
            sensor: config.name.clone(),
            what: "cannot register the socket with the runtime".into(),
            source: e,
        })?;
    let encoder = Cat062Encoder::new(&config)?;
    let stats = OutputHandle::new(OutputStats::new(
        &config.name,
        config.destination.to_string(),
    ));
    let task = tokio::spawn(run_output(
        config,
        socket,
        encoder,
        snapshot,
        stats.clone(),
        shutdown,
    ));
    Ok(Output { stats, task })
}

async fn run_output<F>(
    config: Cat062OutConfig,
    socket: tokio::net::UdpSocket,
    mut encoder: Cat062Encoder,
    mut snapshot: F,
    stats: OutputHandle,
    shutdown: CancellationToken,
) where
    F: FnMut() -> (UnixTime, Vec<SystemTrack>) + Send + 'static,
{
    let mut tick = tokio::time::interval(Duration::from_secs_f64(config.period_s));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut logged = crate::stats::LogOnce::default();
    tracing::info!(
        output = %config.name,
        destination = %config.destination,
        period_s = config.period_s,
        sac = config.sac,
        sic = config.sic,
        "sending the picture as CAT062"
    );
    loop {
        tokio::select! {
            biased;
            _ = shutdown.cancelled() => break,
            _ = tick.tick() => {}
        }
        let (now, tracks) = snapshot();
        let report = encoder.cycle(now, &tracks);
        if let Some((key, reason)) = report.errors.first().filter(|_| logged.first("encode")) {
            tracing::warn!(output = %config.name, track = format!("{key:07x}"), %reason, "an aircraft could not be written as CAT062 (counted; logged once)");
        }
        let (mut datagrams, mut bytes, mut send_errors, mut last_error) = (0u64, 0u64, 0u64, None);
        for block in encoder.blocks() {
            match socket.send_to(block, config.destination).await {
                Ok(n) => {
                    datagrams += 1;
                    bytes += n as u64;
                }
                Err(e) => {
                    send_errors += 1;
                    if logged.first("send") {
                        tracing::warn!(output = %config.name, destination = %config.destination, error = %e, "cannot send CAT062 (counted; logged once)");
                    }
                    last_error = Some(format!("send to {}: {e}", config.destination));
                }
            }
        }
        stats.update(|s| {
            s.cycles += 1;
            s.records += report.records as u64;
            s.ended_tracks += report.ended as u64;
            s.datagrams += datagrams;
            s.bytes += bytes;
            s.send_errors += send_errors;
            s.active_tracks = report.active;
            s.last_cycle = Some(now);
            for (_, reason) in &report.errors {
                *s.encode_errors.entry(reason.clone()).or_default() += 1;
            }
            if last_error.is_some() {
                s.last_error = last_error;
            }
        });
    }
    tracing::debug!(output = %config.name, "CAT062 output stopped");
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::unwrap_used)] // tests: a failed expectation is the report
mod tests {
    use super::*;
    use vigil_asterix::{DataBlock, cat062::Track, tables};

    fn config() -> Cat062OutConfig {
        Cat062OutConfig {
            name: "out".into(),
            destination: "127.0.0.1:9".parse().unwrap(),
            bind: None,
            interface: None,
            ttl: 1,
            period_s: 1.0,
            sac: 25,
            sic: 100,
            service_id: Some(1),
            max_block_bytes: 200,
            max_position_age_s: 20.0,
        }
    }

    fn track(key: u32, t: f64) -> SystemTrack {
        SystemTrack {
            key,
            address: Some(IcaoAddress::new(key)),
            position: LatLon::new(45.0 + f64::from(key % 100) * 0.01, 16.0),
            position_time: UnixTime(t),
            last_seen: UnixTime(t),
            alt_baro_ft: Some(35_000.0),
            alt_geom_ft: None,
            vert_rate_ft_min: Some(-625.0),
            ground_vector: Some((450.0, 90.0)),
            mode3a: Some(0o1275),
            callsign: Some("RYR174C".into()),
            sensors: 2,
        }
    }

    fn decode(enc: &Cat062Encoder) -> Vec<Track> {
        enc.blocks()
            .flat_map(|b| {
                DataBlock::decode(tables::CAT062, b)
                    .expect("valid block")
                    .records
                    .iter()
                    .map(Track::from_record)
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    #[test]
    fn numbers_are_stable_tracks_start_coast_and_end() {
        let mut enc = Cat062Encoder::new(&config()).unwrap();
        let r = enc.cycle(
            UnixTime(100.0),
            &[track(0x4ca7a8, 99.0), track(0x3c660c, 99.5)],
        );
        assert_eq!((r.records, r.ended, r.active), (2, 0, 2));
        let first = decode(&enc);
        assert_eq!(first.len(), 2);
        assert!(
            first
                .iter()
                .all(|t| t.status.unwrap().start_of_track == Some(true))
        );
        let n = enc.track_number(0x4ca7a8).unwrap();

        // Next cycle: 4ca7a8 has a new position, 3c660c has not (coasting).
        enc.cycle(
            UnixTime(104.0),
            &[track(0x4ca7a8, 103.0), track(0x3c660c, 99.5)],
        );
        let second = decode(&enc);
        assert_eq!(enc.track_number(0x4ca7a8), Some(n), "stable number");
        let by_addr = |a: u32| {
            second
                .iter()
                .find(|t| t.aircraft.as_ref().unwrap().address == Some(IcaoAddress::new(a)))
                .unwrap()
                .clone()
        };
        let moving = by_addr(0x4ca7a8);
        assert_eq!(moving.track_number, Some(n));
        assert_ne!(moving.status.unwrap().start_of_track, Some(true));
        assert_ne!(moving.status.unwrap().coasting, Some(true));
        assert_eq!(by_addr(0x3c660c).status.unwrap().coasting, Some(true));

        // 3c660c leaves: one end-of-track record, its number is freed (reused last).
        let r = enc.cycle(UnixTime(108.0), &[track(0x4ca7a8, 107.0)]);
        assert_eq!((r.records, r.ended, r.active), (2, 1, 1));
        let third = decode(&enc);
        let ended = third
            .iter()
            .find(|t| t.status.unwrap().end_of_track == Some(true))
            .unwrap();
        assert_eq!(
            ended.aircraft.as_ref().unwrap().address,
            Some(IcaoAddress::new(0x3c660c))
        );
        assert_eq!(enc.track_number(0x3c660c), None);
        enc.cycle(
            UnixTime(112.0),
            &[track(0x4ca7a8, 111.0), track(0x123456, 111.0)],
        );
        assert_eq!(
            enc.track_number(0x123456),
            Some(3),
            "fresh numbers before reuse"
        );
    }

    #[test]
    fn values_survive_the_round_trip() {
        let mut enc = Cat062Encoder::new(&config()).unwrap();
        let t = track(0x4ca7a8, 45_827.398_437_5);
        enc.cycle(UnixTime(45_828.0), std::slice::from_ref(&t));
        let d = &decode(&enc)[0];
        assert_eq!(d.sac_sic, Some((25, 100)));
        assert_eq!(d.service_id, Some(1));
        assert_eq!(d.time_of_track_s, Some(45_827.398_437_5));
        let p = d.position.unwrap();
        assert!((p.lat - t.position.lat).abs() < 1e-5 && (p.lon - 16.0).abs() < 1e-5);
        assert_eq!(d.mode3a.unwrap().code, 0o1275);
        let a = d.aircraft.as_ref().unwrap();
        assert_eq!(a.callsign.as_deref().map(str::trim), Some("RYR174C"));
        assert_eq!(d.measured_fl, Some(350.0));
        assert_eq!(d.rate_of_climb_ft_min, Some(-625.0));
        let (vx, vy) = d.velocity_m_s.unwrap();
        assert!((vx - 450.0 * 1852.0 / 3600.0).abs() < 0.2 && vy.abs() < 0.2);
    }

    #[test]
    fn many_tracks_are_split_into_blocks_under_the_limit() {
        let mut enc = Cat062Encoder::new(&config()).unwrap();
        let tracks: Vec<SystemTrack> = (1..=40).map(|k| track(k, 10.0)).collect();
        let r = enc.cycle(UnixTime(11.0), &tracks);
        assert_eq!(r.records, 40);
        assert!(enc.blocks().count() > 1);
        assert!(enc.blocks().all(|b| b.len() <= 200));
        assert_eq!(decode(&enc).len(), 40);
    }

    #[test]
    fn a_value_out_of_range_skips_that_track_only() {
        let mut enc = Cat062Encoder::new(&config()).unwrap();
        let mut bad = track(2, 10.0);
        bad.alt_baro_ft = Some(1e9);
        let r = enc.cycle(UnixTime(11.0), &[track(1, 10.0), bad]);
        assert_eq!(r.records, 1);
        assert_eq!(r.errors.len(), 1);
        assert!(r.errors[0].1.contains("136"), "{:?}", r.errors);
        assert_eq!(enc.track_number(2), None);
        enc.cycle(UnixTime(12.0), &[track(1, 11.0), track(3, 11.0)]);
        assert_eq!(
            enc.track_number(3),
            Some(2),
            "the failed track's number was freed"
        );
    }
}
