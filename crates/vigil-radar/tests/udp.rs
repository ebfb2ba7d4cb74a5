//! UDP on this machine only: a radar source on 127.0.0.1 fed the datagrams of a real capture,
//! the same over a multicast group kept on the loopback interface (TTL 0), and the CAT062
//! output of a real picture received and decoded back.

#![allow(clippy::expect_used, clippy::unwrap_used)] // tests: a failed expectation is the report

use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use vigil_asterix::cat062::Track;
use vigil_asterix::pcap::read_capture;
use vigil_asterix::{DataBlock, tables};
use vigil_codec::{FeedItem, ModeSFrame};
use vigil_core::{ManualClock, Measurement, Observation, SensorId, UnixTime};
use vigil_picture::{Picture, PictureConfig};
use vigil_radar::config::{SensorPosition, SourceConfig, UdpSource};
use vigil_radar::{
    Cat062OutConfig, Converter, RadarBatch, RadarConfig, RadarState, RadarStats, Radars,
};

const SPLIT: SensorPosition = SensorPosition {
    lat: 43.571_022_0,
    lon: 16.406_062_4,
    height_m: 780.0,
};

fn udp_radar(listen: SocketAddr, group: Option<Ipv4Addr>) -> RadarConfig {
    RadarConfig {
        name: "split-udp".into(),
        position: Some(SPLIT),
        sigma_range_m: 40.0,
        sigma_azimuth_deg: 0.08,
        sigma_position_m: 150.0,
        sigma_velocity_mps: 3.0,
        sac: Some(25),
        sic: Some(12),
        editions: Default::default(),
        exercise: false,
        source: SourceConfig::Udp(UdpSource {
            listen,
            group,
            interface: group.map(|_| Ipv4Addr::LOCALHOST),
            recv_buffer_bytes: Some(1 << 20),
            quiet_after_s: 30.0,
        }),
    }
}

/// The capture's datagrams and the observations converting them directly gives.
fn capture() -> Option<(Vec<Vec<u8>>, Vec<Observation>)> {
    let path = vigil_testdata::path("asterix/cat_034_048.pcap")?;
    let bytes = std::fs::read(path).unwrap();
    let cap = read_capture(&bytes).unwrap();
    let payloads: Vec<Vec<u8>> = cap.datagrams.iter().map(|d| d.payload.to_vec()).collect();
    let cfg = udp_radar("127.0.0.1:0".parse().unwrap(), None);
    let mut conv = Converter::new(SensorId(0), &cfg).unwrap();
    let mut stats = RadarStats::new(SensorId(0), "x", "udp", String::new());
    let mut expected = Vec::new();
    for p in &payloads {
        conv.datagram(p, UnixTime(1_462_433_756.0), &mut stats, &mut expected);
    }
    Some((payloads, expected))
}

/// Receives batches until `want` observations came, or a few seconds passed.
async fn collect(rx: &mut mpsc::Receiver<RadarBatch>, want: usize) -> Vec<Observation> {
    let mut got = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while got.len() < want {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(b)) => got.extend(b.observations),
            _ => break,
        }
    }
    got
}

/// Sends with a pause every few datagrams, so that the receiver's buffer never overflows
/// on a loaded machine.
async fn send_all(socket: &UdpSocket, payloads: &[Vec<u8>], to: SocketAddr) {
    for (i, p) in payloads.iter().enumerate() {
        socket.send_to(p, to).unwrap();
        if i % 10 == 9 {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
}

fn same_plots(got: &[Observation], expected: &[Observation]) {
    assert_eq!(got.len(), expected.len());
    for (g, e) in got.iter().zip(expected) {
        assert_eq!(g.measurement, e.measurement);
        assert_eq!(g.identity, e.identity);
        assert_eq!(g.vertical, e.vertical);
        assert_eq!(g.sensor, SensorId(5));
    }
}

#[tokio::test]
async fn a_udp_radar_on_loopback_receives_the_captures_datagrams() {
    let Some((payloads, expected)) = capture() else {
        return;
    };
    let cfg = udp_radar("127.0.0.1:0".parse().unwrap(), None);
    let prepared = vigil_radar::prepare(&[cfg], 5, std::path::Path::new(".")).unwrap();
    let addr = prepared[0].local_addr().expect("bound");
    assert_ne!(addr.port(), 0);
    let (tx, mut rx) = mpsc::channel(256);
    let clock = Arc::new(ManualClock::new(UnixTime(1_462_433_756.0)));
    let shutdown = CancellationToken::new();
    let radars = Radars::spawn(prepared, tx, clock, shutdown.clone());

    let sender = UdpSocket::bind("127.0.0.1:0").unwrap();
    send_all(&sender, &payloads, addr).await;
    let got = collect(&mut rx, expected.len()).await;
    same_plots(&got, &expected);
    // The date comes from the (manual) clock at receipt: the capture's day.
    assert!(
        got.iter()
            .all(|o| (o.time.secs() - 1_462_433_756.0).abs() < 10.0)
    );

    let handle = radars.sensors()[0].clone();
    let s = handle.snapshot();
    assert_eq!(s.state, RadarState::Receiving);
    assert_eq!(s.counters.datagrams, payloads.len() as u64);
    assert_eq!(s.counters.observations, expected.len() as u64);
    assert_eq!(s.counters.dropped_observations, 0);
    shutdown.cancel();
    radars.join().await;
    assert_eq!(handle.snapshot().state, RadarState::Stopped);
}

#[tokio::test]
async fn a_udp_radar_joins_a_multicast_group_on_loopback() {
    let Some((payloads, expected)) = capture() else {
        return;
    };
    // An administratively scoped group, joined and sent to on the loopback interface only,
    // with TTL 0: nothing leaves this host.
    let group = Ipv4Addr::new(239, 255, 42, 17);
    let probe = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = probe.local_addr().unwrap().port();
    drop(probe);
    let cfg = udp_radar(SocketAddr::from(([0, 0, 0, 0], port)), Some(group));
    let prepared = match vigil_radar::prepare(&[cfg], 5, std::path::Path::new(".")) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("SKIP: cannot join a multicast group on loopback here: {e}");
            return;
        }
    };
    let (tx, mut rx) = mpsc::channel(256);
    let clock = Arc::new(ManualClock::new(UnixTime(1_462_433_756.0)));
    let shutdown = CancellationToken::new();
    let radars = Radars::spawn(prepared, tx, clock, shutdown.clone());

    let sender = socket2::Socket::new(
        socket2::Domain::IPV4,
        socket2::Type::DGRAM,
        Some(socket2::Protocol::UDP),
    )
    .unwrap();
    sender.set_multicast_if_v4(&Ipv4Addr::LOCALHOST).unwrap();
    sender.set_multicast_ttl_v4(0).unwrap();
    sender.set_multicast_loop_v4(true).unwrap();
    sender
        .bind(&SocketAddr::from((Ipv4Addr::LOCALHOST, 0)).into())
        .unwrap();
    let sender: UdpSocket = sender.into();
    send_all(&sender, &payloads, SocketAddr::from((group, port))).await;
    let got = collect(&mut rx, expected.len()).await;
    shutdown.cancel();
    radars.join().await;
    if got.is_empty() {
        eprintln!(
            "SKIP: joined {group} on loopback but no multicast datagram arrived (no multicast \
             route on lo in this sandbox)"
        );
        return;
    }
    same_plots(&got, &expected);
}

/// A picture built from the first part of the real ADS-B recording.
fn real_picture() -> Option<(Picture, UnixTime)> {
    let recs = vigil_testdata::long_flight()?;
    let mut picture = Picture::new(PictureConfig::default());
    let mut now = UnixTime(0.0);
    for r in &recs {
        let Some(frame) = ModeSFrame::new(r.frame(), None, None) else {
            continue;
        };
        now = UnixTime(r.ts);
        picture.ingest(now, SensorId(0), &FeedItem::ModeS(frame));
    }
    Some((picture, now))
}

#[tokio::test]
async fn the_picture_goes_out_as_cat062_and_decodes_back_to_the_same_aircraft() {
    let Some((picture, now)) = real_picture() else {
        return;
    };
    let tracks = vigil_radar::tracks_from_picture(&picture, now, 300.0);
    assert!(tracks.len() >= 3, "a real picture: {} tracks", tracks.len());

    let receiver = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let config = Cat062OutConfig {
        name: "partner".into(),
        destination: receiver.local_addr().unwrap(),
        bind: None,
        interface: None,
        ttl: 1,
        period_s: 0.2,
        sac: 25,
        sic: 100,
        service_id: None,
        max_block_bytes: 1400,
        max_position_age_s: 300.0,
    };
    let prepared = vigil_radar::prepare_output(&config).unwrap();
    let shutdown = CancellationToken::new();
    let snapshot_tracks = tracks.clone();
    let output = vigil_radar::spawn_output(
        prepared,
        move || (now, snapshot_tracks.clone()),
        shutdown.clone(),
    )
    .unwrap();

    // The first cycle: every track once (start of track), in one or more datagrams.
    let mut decoded: Vec<Track> = Vec::new();
    let mut observations = Vec::new();
    let sdps = RadarConfig {
        sac: Some(25),
        sic: Some(100),
        ..udp_radar("127.0.0.1:0".parse().unwrap(), None)
    };
    let mut conv = Converter::new(SensorId(9), &sdps).unwrap();
    let mut stats = RadarStats::new(SensorId(9), "in", "udp", String::new());
    let mut buf = vec![0u8; 65_536];
    while decoded.len() < tracks.len() {
        let n = tokio::time::timeout(Duration::from_secs(5), receiver.recv(&mut buf))
            .await
            .expect("a datagram within 5 s")
            .unwrap();
        let block = DataBlock::decode(tables::CAT062, &buf[..n]).expect("a valid CAT062 block");
        assert_eq!(block.bytes.len(), n, "one block per datagram");
        decoded.extend(block.records.iter().map(Track::from_record));
        conv.datagram(&buf[..n], now, &mut stats, &mut observations);
    }
    shutdown.cancel();
    output.task.await.unwrap();
    assert_eq!(decoded.len(), tracks.len());

    for (t, d) in tracks.iter().zip(&decoded) {
        let ctx = format!("{t:?}\n{d:?}");
        assert_eq!(d.sac_sic, Some((25, 100)));
        let p = d.position.unwrap();
        // I105 LSB is 180/2^25 degrees, about 0.6 m.
        assert!(
            (p.lat - t.position.lat).abs() <= 180.0 / 33_554_432.0,
            "{ctx}"
        );
        assert!(
            (p.lon - t.position.lon).abs() <= 180.0 / 33_554_432.0,
            "{ctx}"
        );
        // I380 is left out when there is neither address nor callsign (non-ICAO).
        let a = d.aircraft.clone().unwrap_or_default();
        assert_eq!(a.address, t.address, "{ctx}");
        assert_eq!(
            a.callsign.as_deref().map(str::trim),
            t.callsign.as_deref(),
            "{ctx}"
        );
        assert_eq!(d.mode3a.map(|m| m.code), t.mode3a, "{ctx}");
        assert_eq!(d.measured_fl.map(|fl| fl * 100.0), t.alt_baro_ft, "{ctx}");
        let tod = t.position_time.secs().rem_euclid(86_400.0);
        assert!(
            (d.time_of_track_s.unwrap() - tod).abs() <= 1.0 / 256.0,
            "{ctx}"
        );
        assert_eq!(d.status.unwrap().start_of_track, Some(true));
    }
    // And Vigil's own CAT062 reader takes it back as observations of the same aircraft.
    assert_eq!(observations.len(), tracks.len());
    for (t, o) in tracks.iter().zip(&observations) {
        assert_eq!(o.identity.icao, t.address);
        let Measurement::Position { pos, .. } = o.measurement else {
            panic!("position")
        };
        assert!(pos.distance_m(&t.position) < 1.0);
    }
    let s = output.stats.snapshot();
    assert!(s.cycles >= 1 && s.records as usize >= tracks.len(), "{s:?}");
    assert_eq!(s.send_errors, 0);
}

/// A UDP radar that goes silent shows `quiet` after `quiet_after_s` (on tokio's paused
/// clock), and `receiving` again with the next datagram.
#[tokio::test(start_paused = true)]
async fn a_silent_udp_radar_shows_quiet() {
    let cfg = udp_radar("127.0.0.1:0".parse().unwrap(), None);
    let prepared = vigil_radar::prepare(&[cfg], 0, std::path::Path::new(".")).unwrap();
    let addr = prepared[0].local_addr().unwrap();
    let (tx, mut rx) = mpsc::channel(8);
    let clock = Arc::new(ManualClock::new(UnixTime(1_462_433_756.0)));
    let shutdown = CancellationToken::new();
    let radars = Radars::spawn(prepared, tx, clock, shutdown.clone());
    let handle = radars.sensors()[0].clone();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(handle.snapshot().state, RadarState::Listening);
    tokio::time::sleep(Duration::from_secs(31)).await;
    let s = handle.snapshot();
    assert_eq!(s.state, RadarState::Quiet);
    assert_eq!(s.counters.errors.get("quiet"), Some(&1));

    // A CAT034 north marker of SAC 25 / SIC 12: service counters, no observation.
    // FSPEC: I010, I000, I030.
    let north = [0x22, 0x00, 0x0a, 0xe0, 25, 12, 1, 0x35, 0x6d, 0x4d];
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .send_to(&north, addr)
        .unwrap();
    let t0 = std::time::Instant::now();
    while handle.snapshot().counters.datagrams == 0 {
        assert!(
            t0.elapsed() < Duration::from_secs(5),
            "datagram not received"
        );
        tokio::task::yield_now().await;
        std::thread::sleep(Duration::from_millis(5));
    }
    let s = handle.snapshot();
    assert_eq!(s.state, RadarState::Receiving);
    assert_eq!(s.counters.service.north_markers, 1, "{s:?}");
    assert_eq!(s.counters.errors.len(), 1, "only the quiet episode: {s:?}");
    assert!(
        rx.try_recv().is_err(),
        "a service message is no observation"
    );
    shutdown.cancel();
    radars.join().await;
}
