//! Sources end to end: real recordings replayed from files, and TCP receivers served from
//! 127.0.0.1 (port 0) that close, stall, send garbage or are not there at all.

#![allow(clippy::expect_used, clippy::unwrap_used)] // tests: a failed expectation is the report

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use vigil_core::{ManualClock, UnixTime};
use vigil_feed::{FeedBatch, FeedConfig, Feeds, SensorState, SensorStats, TimeBase};

const CLOCK_T: f64 = 1_700_000_000.0;

fn feeds_from_toml(toml_text: &str) -> Vec<FeedConfig> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Wrapper {
        feed: Vec<FeedConfig>,
    }
    toml::from_str::<Wrapper>(toml_text)
        .expect("test config parses")
        .feed
}

struct Running {
    feeds: Feeds,
    rx: mpsc::Receiver<FeedBatch>,
    cancel: CancellationToken,
}

fn start(toml_text: &str) -> Running {
    let configs = feeds_from_toml(toml_text);
    let prepared = vigil_feed::prepare(&configs, Path::new("/")).expect("feeds prepare");
    let (tx, rx) = mpsc::channel(16);
    let cancel = CancellationToken::new();
    let clock = Arc::new(ManualClock::new(UnixTime(CLOCK_T)));
    let feeds = Feeds::spawn(prepared, tx, clock, cancel.clone());
    Running { feeds, rx, cancel }
}

/// Receives every batch until all sources have ended.
async fn drain_to_end(rx: &mut mpsc::Receiver<FeedBatch>) -> Vec<FeedBatch> {
    let mut out = Vec::new();
    let deadline = tokio::time::sleep(Duration::from_secs(120));
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            b = rx.recv() => match b { Some(b) => out.push(b), None => return out },
            _ = &mut deadline => panic!("sources did not finish within 120 s"),
        }
    }
}

/// Receives batches until `done(stats)` holds for sensor 0, or panics after `limit`.
async fn drain_until(
    run: &mut Running,
    limit: Duration,
    done: impl Fn(&SensorStats) -> bool,
) -> (Vec<FeedBatch>, SensorStats) {
    let start = Instant::now();
    let mut out = Vec::new();
    loop {
        let stats = run.feeds.sensors()[0].snapshot();
        if done(&stats) {
            while let Ok(b) = run.rx.try_recv() {
                out.push(b);
            }
            return (out, run.feeds.sensors()[0].snapshot());
        }
        assert!(
            start.elapsed() < limit,
            "condition not reached within {limit:?}; stats: {stats:#?}"
        );
        if let Ok(Some(b)) = tokio::time::timeout(Duration::from_millis(20), run.rx.recv()).await {
            out.push(b);
        }
    }
}

fn item_count(batches: &[FeedBatch]) -> usize {
    batches.iter().map(|b| b.items.len()).sum()
}

async fn stop(run: Running) -> Vec<SensorStats> {
    run.cancel.cancel();
    let Running { feeds, mut rx, .. } = run;
    let sensors: Vec<_> = feeds.sensors().to_vec();
    // Keep draining so that no source is blocked on a full channel while stopping.
    let drain = tokio::spawn(async move { while rx.recv().await.is_some() {} });
    tokio::time::timeout(Duration::from_secs(5), feeds.join())
        .await
        .expect("sources stop within 5 s of shutdown");
    let _ = drain.await;
    sensors.iter().map(|s| s.snapshot()).collect()
}

#[tokio::test]
async fn csv_recording_replays_every_frame_on_recorded_time() {
    let Some(path) = vigil_testdata::path("adsb/long_flight.csv") else {
        return;
    };
    let mut run = start(&format!(
        "[[feed]]\ntype = \"file\"\nname = \"rec\"\npath = {:?}\n",
        path
    ));
    let batches = drain_to_end(&mut run.rx).await;
    assert_eq!(item_count(&batches), 172_432);
    assert!(batches.iter().all(|b| b.time_base == TimeBase::Recorded));
    let first = &batches[0].items[0];
    assert_eq!(first.time, UnixTime(1698140962.119813));
    let last = batches.last().and_then(|b| b.items.last()).expect("items");
    assert_eq!(last.time, UnixTime(1698148026.729228));
    let s = run.feeds.sensors()[0].snapshot();
    assert_eq!(s.state, SensorState::Finished);
    assert_eq!(s.items, 172_432);
    assert_eq!(s.framing.frames, 172_432);
    assert_eq!(s.framing.malformed, 0);
    assert_eq!(s.bytes, std::fs::metadata(&path).expect("stat").len());
    assert_eq!(
        s.last_data,
        Some(UnixTime(CLOCK_T)),
        "last_data comes from the injected clock"
    );
}

#[tokio::test]
async fn jsonl_recording_replays_every_frame() {
    let Some(path) = vigil_testdata::path("adsb/full_flight_short.jsonl") else {
        return;
    };
    let mut run = start(&format!(
        "[[feed]]\ntype = \"file\"\nname = \"cdg\"\npath = {:?}\n",
        path
    ));
    let batches = drain_to_end(&mut run.rx).await;
    assert_eq!(item_count(&batches), 57_793);
    assert_eq!(batches[0].items[0].time, UnixTime(1720248189.525094));
    assert_eq!(run.feeds.sensors()[0].snapshot().framing.malformed, 0);
}

#[tokio::test]
async fn receipt_timestamps_use_the_injected_clock() {
    let dir = tempdir();
    let path = dir.join("two.csv");
    std::fs::write(
        &path,
        "1.0,8d4840d6202cc371c32ce0576098\n2.0,8d4840d6202cc371c32ce0576098\n",
    )
    .expect("write");
    let mut run = start(&format!(
        "[[feed]]\ntype = \"file\"\nname = \"r\"\npath = {path:?}\ntimestamps = \"receipt\"\n"
    ));
    let batches = drain_to_end(&mut run.rx).await;
    assert_eq!(item_count(&batches), 2);
    assert!(batches.iter().all(|b| b.time_base == TimeBase::Receipt));
    assert!(
        batches
            .iter()
            .flat_map(|b| &b.items)
            .all(|i| i.time == UnixTime(CLOCK_T))
    );
}

#[tokio::test]
async fn speed_paces_a_recording_and_default_is_as_fast_as_possible() {
    let dir = tempdir();
    let path = dir.join("paced.csv");
    // Four frames over 0.6 recorded seconds.
    let text: String = [0.0, 0.2, 0.4, 0.6]
        .iter()
        .map(|dt| format!("{},8d4840d6202cc371c32ce0576098\n", 1000.0 + dt))
        .collect();
    std::fs::write(&path, text).expect("write");
    let elapsed = |speed: &str| {
        let cfg = format!("[[feed]]\ntype = \"file\"\nname = \"p\"\npath = {path:?}\n{speed}");
        async move {
            let t0 = Instant::now();
            let mut run = start(&cfg);
            assert_eq!(item_count(&drain_to_end(&mut run.rx).await), 4);
            t0.elapsed()
        }
    };
    let real_time = elapsed("speed = 1.0").await;
    assert!(
        real_time >= Duration::from_millis(550),
        "speed 1.0 took {real_time:?}"
    );
    let fast = elapsed("speed = 6.0").await;
    assert!(fast < Duration::from_millis(400), "speed 6.0 took {fast:?}");
    let unpaced = elapsed("").await;
    assert!(
        unpaced < Duration::from_millis(200),
        "no speed took {unpaced:?}"
    );
}

#[tokio::test]
async fn garbage_lines_in_a_recording_are_counted_not_fatal() {
    let dir = tempdir();
    let path = dir.join("garbage.csv");
    let mut text = String::from("1.0,8d4840d6202cc371c32ce0576098\n");
    text.push_str("\u{1}\u{2}garbage,,,\nzz,yy\n1.5,1a33ff\n");
    text.push_str("2.0,8d4840d6202cc371c32ce0576098\n");
    std::fs::write(&path, text).expect("write");
    let mut run = start(&format!(
        "[[feed]]\ntype = \"file\"\nname = \"g\"\npath = {path:?}\nformat = \"csv\"\n"
    ));
    let batches = drain_to_end(&mut run.rx).await;
    assert_eq!(item_count(&batches), 2);
    let s = run.feeds.sensors()[0].snapshot();
    assert_eq!(s.framing.malformed, 3);
    assert_eq!(s.state, SensorState::Finished);
}

/// Needs the Beast framer (vigil-codec).
#[tokio::test]
async fn beast_file_frames_the_dump1090_sample() {
    let Some(path) = vigil_testdata::path("adsb/sample_dump1090.bin") else {
        return;
    };
    let mut run = start(&format!(
        "[[feed]]\ntype = \"file\"\nname = \"b\"\npath = {path:?}\n"
    ));
    let batches = drain_to_end(&mut run.rx).await;
    let s = run.feeds.sensors()[0].snapshot();
    assert_eq!(s.format, "beast");
    assert_eq!(s.bytes, 4218);
    assert!(batches.iter().all(|b| b.time_base == TimeBase::Receipt));
    assert_eq!(
        (s.framing.short_frames, s.framing.long_frames),
        (185, 54),
        "the sample holds 185 short and 54 long frames (needs the Beast framer)"
    );
    assert_eq!(item_count(&batches), 239);
}

fn tcp_feed(port: u16, format: &str, extra: &str) -> String {
    format!(
        "[[feed]]\ntype = \"tcp\"\nname = \"rx\"\naddress = \"127.0.0.1:{port}\"\nformat = \"{format}\"\n\
         reconnect_initial_s = 0.05\nreconnect_max_s = 0.2\n{extra}"
    )
}

/// Serves `payload` to each of the first `times` connections, then closes each.
async fn serve_then_close(payload: Vec<u8>, times: usize) -> (u16, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let server = tokio::spawn(async move {
        for _ in 0..times {
            let (mut sock, _) = listener.accept().await.expect("accept");
            // Odd-sized writes so that records straddle reads.
            for chunk in payload.chunks(333) {
                sock.write_all(chunk).await.expect("write");
            }
            sock.shutdown().await.expect("shutdown");
        }
        // Keep listening without accepting: later attempts wait in the backlog.
        std::future::pending::<()>().await;
    });
    (port, server)
}

#[tokio::test]
async fn tcp_beast_stream_is_read_then_reconnected_after_close() {
    let Some(path) = vigil_testdata::path("adsb/sample_dump1090.bin") else {
        return;
    };
    let bytes = std::fs::read(&path).expect("read sample");
    let (port, server) = serve_then_close(bytes.clone(), 2).await;
    let mut run = start(&tcp_feed(port, "beast", ""));
    let (batches, s) = drain_until(&mut run, Duration::from_secs(10), |s| s.disconnects >= 2).await;
    // A third connection may already be up: the listener stays open after two.
    assert!((2..=3).contains(&s.connects), "{s:#?}");
    assert_eq!(s.disconnects, 2);
    assert_eq!(s.stalls, 0);
    assert_eq!(s.bytes, 2 * bytes.len() as u64);
    assert!(s.last_data.is_some());
    assert!(batches.iter().all(|b| b.time_base == TimeBase::Receipt));
    assert!(
        batches
            .iter()
            .flat_map(|b| &b.items)
            .all(|i| i.time == UnixTime(CLOCK_T))
    );
    let all = stop(run).await;
    assert_eq!(all[0].state, SensorState::Stopped);
    server.abort();
    // Needs the Beast framer (vigil-codec): 185 short + 54 long frames per connection.
    assert_eq!(
        s.framing.frames,
        2 * 239,
        "framing counts (needs the Beast framer)"
    );
    assert_eq!(item_count(&batches), 2 * 239);
}

#[tokio::test]
async fn tcp_stalled_receiver_is_counted_and_reconnected() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let server = tokio::spawn(async move {
        let mut held = Vec::new();
        loop {
            let (mut sock, _) = listener.accept().await.expect("accept");
            // A few bytes, then silence with the connection left open.
            let _ = sock.write_all(b"*8d4840d6202cc371c32ce0576098;\n").await;
            held.push(sock);
        }
    });
    let mut run = start(&tcp_feed(port, "avr", "stall_timeout_s = 0.2\n"));
    let (_, s) = drain_until(&mut run, Duration::from_secs(10), |s| s.stalls >= 2).await;
    assert!(s.connects >= 2, "reconnected after the stall: {s:#?}");
    assert!(s.disconnects >= 2);
    assert_eq!(s.connect_failures, 0);
    assert!(
        s.last_error.as_deref().unwrap_or("").contains("no data"),
        "{s:#?}"
    );
    stop(run).await;
    server.abort();
}

#[tokio::test]
async fn tcp_garbage_is_skipped_and_the_feed_goes_on() {
    // Deterministic noise (an LCG), then a valid Beast long frame from the dump1090 sample.
    let mut x: u32 = 12345;
    let mut payload: Vec<u8> = (0..20_000)
        .map(|_| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (x >> 16) as u8
        })
        .collect();
    let frame = [
        0x1a, 0x33, 0, 0, 0, 0, 0, 1, 0x80, 0x8d, 0x48, 0x40, 0xd6, 0x20, 0x2c, 0xc3, 0x71, 0xc3,
        0x2c, 0xe0, 0x57, 0x60, 0x98,
    ];
    payload.extend_from_slice(&frame);
    payload.extend_from_slice(&frame);
    let (port, server) = serve_then_close(payload.clone(), 1).await;
    let mut run = start(&tcp_feed(port, "beast", ""));
    let (batches, s) = drain_until(&mut run, Duration::from_secs(10), |s| s.disconnects >= 1).await;
    assert_eq!(s.bytes, payload.len() as u64);
    assert!((1..=2).contains(&s.connects), "{s:#?}");
    stop(run).await;
    server.abort();
    // Needs the Beast framer (vigil-codec).
    assert!(
        s.framing.skipped_bytes > 0 || s.framing.errors() > 0,
        "garbage shows up in the framing counters (needs the Beast framer): {:#?}",
        s.framing
    );
    assert!(
        item_count(&batches) >= 1,
        "the valid frames after the garbage come through"
    );
}

#[tokio::test]
async fn tcp_unreachable_receiver_is_retried_with_backoff() {
    // A port with nothing listening: bind, note it, close.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let mut run = start(&tcp_feed(port, "sbs", ""));
    let t0 = Instant::now();
    let (_, s) = drain_until(&mut run, Duration::from_secs(10), |s| {
        s.connect_failures >= 4
    })
    .await;
    // Waits are 0.05, 0.1, 0.2 (capped): three waits before the fourth attempt.
    assert!(
        t0.elapsed() >= Duration::from_millis(340),
        "backoff waited: {:?}",
        t0.elapsed()
    );
    assert_eq!(s.connects, 0);
    assert!(
        s.last_error
            .as_deref()
            .unwrap_or("")
            .contains("cannot connect"),
        "{s:#?}"
    );
    let t1 = Instant::now();
    let all = stop(run).await;
    assert!(
        t1.elapsed() < Duration::from_secs(1),
        "shutdown interrupts the backoff wait"
    );
    assert_eq!(all[0].state, SensorState::Stopped);
}

#[tokio::test]
async fn one_shutdown_stops_several_feeds_at_once() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let server = tokio::spawn(async move {
        let mut held = Vec::new();
        loop {
            let (sock, _) = listener.accept().await.expect("accept");
            held.push(sock);
        }
    });
    let dir = tempdir();
    let path = dir.join("slow.csv");
    std::fs::write(
        &path,
        "1000.0,8d4840d6202cc371c32ce0576098\n1100.0,8d4840d6202cc371c32ce0576098\n",
    )
    .expect("write");
    let cfg = format!(
        "{}\n[[feed]]\ntype = \"tcp\"\nname = \"silent\"\naddress = \"127.0.0.1:{port}\"\nformat = \"beast\"\n\n\
         [[feed]]\ntype = \"file\"\nname = \"slow\"\npath = {path:?}\nspeed = 1.0\n",
        tcp_feed(1, "avr", "")
    );
    let run = start(&cfg);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let t0 = Instant::now();
    let all = stop(run).await;
    assert!(t0.elapsed() < Duration::from_secs(2));
    assert_eq!(all.len(), 3);
    for s in &all {
        assert_eq!(s.state, SensorState::Stopped, "{s:#?}");
    }
    assert_eq!(all[1].connects, 1);
    assert_eq!(
        all[2].items, 1,
        "the second frame is 100 s later at speed 1.0"
    );
    server.abort();
}

fn tempdir() -> PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "vigil-feed-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}
