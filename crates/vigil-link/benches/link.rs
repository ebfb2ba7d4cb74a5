//! One link between two centres in one process: real mutual TLS over loopback, real
//! SQLite stores (WAL, `synchronous=NORMAL`) in a temporary directory, the system clock, a
//! tokio multi-thread runtime with 2 workers, default link settings (window 32,768, batch
//! 4,096) and a release policy that releases everything (`tests/support`).
//!
//! * `link/track_throughput`: each iteration offers 50,000 track updates with distinct
//!   ids (none coalesce) from a task and measures until the receiving centre has had all
//!   of them delivered (released, sequenced and ledgered, sent, ledgered as received,
//!   delivered; acknowledgements flow meanwhile). Elements = updates.
//! * `link/alert_latency_10k_bg`: a background task offers 10,000 track updates/s (100
//!   every 10 ms, a fleet of 5,000 tracks); each iteration offers one alert and measures
//!   from the offer to its delivery at the receiving centre. Every sample (warm-up
//!   included) is kept and p50/p95/p99/max are printed at the end.
//!
//! The throughput benchmark also prints the process's CPU time per update (the machine may
//! be shared: that figure compares runs better than wall time). `VIGIL_LINK_BENCH_PRAGMAS`
//! (e.g. `cache_size=-65536;wal_autocheckpoint=16384`) applies SQLite pragmas to both
//! stores, for experiments.
//!
//! Run: `cargo bench -p vigil-link --bench link`

// A benchmark: a failure to set the centres up is a bug to see at once.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use support::*;
use tokio::sync::{mpsc, watch};
use vigil_core::{Clock, SystemClock};
use vigil_link::link::{LinkHandle, LinkState};
use vigil_release::Outbound;

/// Track updates per throughput iteration.
const K: u64 = 50_000;
/// Background load of the latency benchmark: updates per tick, tick period.
const BG_PER_TICK: u64 = 100;
const BG_TICK: Duration = Duration::from_millis(10);
/// Tracks of the background fleet (each updated every half second).
const BG_FLEET: u64 = 5_000;
/// Track ids of the background fleet start here (the throughput ids stay below).
const BG_BASE: u64 = 1 << 40;

/// Two centres linked, and what the receiving one has had delivered.
struct Bench {
    _dir: tempfile::TempDir,
    _a: Centre,
    b_shutdown: tokio_util::sync::CancellationToken,
    a_shutdown: tokio_util::sync::CancellationToken,
    link: LinkHandle,
    /// Track updates delivered at B so far.
    tracks: watch::Receiver<u64>,
    /// Alerts delivered at B: (alert id, when).
    alerts: mpsc::UnboundedReceiver<(u64, Instant)>,
    /// Next unused track id of the throughput benchmark.
    next_id: u64,
    /// Next alert id.
    next_alert: u64,
}

async fn setup() -> Bench {
    let dir = tempfile::tempdir().unwrap();
    let Pair { a, b, .. } = start_pair(dir.path()).await;
    // Experiments: extra SQLite pragmas on both stores (e.g. `cache_size=-65536`).
    if let Ok(pragmas) = std::env::var("VIGIL_LINK_BENCH_PRAGMAS") {
        for store in [&a.store, &b.store] {
            let s = store.lock().unwrap();
            for p in pragmas.split(';').filter(|p| !p.trim().is_empty()) {
                s.ledger()
                    .store()
                    .connection()
                    .execute_batch(&format!("PRAGMA {p};"))
                    .unwrap();
            }
        }
        eprintln!("pragmas on both stores: {pragmas}");
    }
    let link = a.links.links()[0].clone();
    for _ in 0..400 {
        if link.status().state == LinkState::Up {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(link.status().state, LinkState::Up, "link up");

    // B's consumer: counts track updates, stamps alerts as they arrive.
    let (count_tx, tracks) = watch::channel(0u64);
    let (alert_tx, alerts) = mpsc::unbounded_channel();
    let Centre {
        links: b_links,
        mut delivered,
        shutdown: b_shutdown,
        ..
    } = b;
    tokio::spawn(async move {
        let _keep = b_links;
        let mut buf = Vec::with_capacity(1_024);
        let mut n = 0u64;
        while delivered.recv_many(&mut buf, 1_024).await > 0 {
            let now = Instant::now();
            for d in buf.drain(..) {
                match d.msg {
                    Outbound::Track(_) => n += 1,
                    Outbound::Alert(a) => {
                        let _ = alert_tx.send((a.id, now));
                    }
                    _ => {}
                }
            }
            count_tx.send_replace(n);
        }
    });
    Bench {
        _dir: dir,
        a_shutdown: a.shutdown.clone(),
        _a: a,
        b_shutdown,
        link,
        tracks,
        alerts,
        next_id: 0,
        next_alert: 0,
    }
}

impl Bench {
    /// Offers `k` fresh track updates from a task; returns the time until B has had them
    /// all delivered.
    async fn throughput_once(&mut self, k: u64) -> Duration {
        let target = *self.tracks.borrow() + k;
        let first = self.next_id;
        self.next_id += k;
        let link = self.link.clone();
        let t = SystemClock.now().0;
        let start = Instant::now();
        let producer = tokio::spawn(async move {
            for id in first..first + k {
                link.offer(track(id, t)).await.unwrap();
            }
        });
        self.tracks
            .wait_for(|&n| n >= target)
            .await
            .expect("B's consumer runs");
        let elapsed = start.elapsed();
        producer.await.unwrap();
        elapsed
    }

    /// Offers one alert; returns the time from the offer to its delivery at B.
    async fn alert_once(&mut self) -> Duration {
        let id = self.next_alert;
        self.next_alert += 1;
        let msg = event(id * 3, SystemClock.now().0);
        let start = Instant::now();
        self.link.offer(msg).await.unwrap();
        loop {
            let (got, at) = self.alerts.recv().await.expect("B's consumer runs");
            if got == id * 3 {
                return at.duration_since(start);
            }
        }
    }
}

/// Offers 10,000 track updates per second until stopped; returns how many it offered.
async fn background(link: LinkHandle, stop: Arc<AtomicU64>) -> u64 {
    let mut tick = tokio::time::interval(BG_TICK);
    let mut n = 0u64;
    while stop.load(Ordering::Relaxed) == 0 {
        tick.tick().await;
        let t = SystemClock.now().0;
        for _ in 0..BG_PER_TICK {
            link.offer(track(BG_BASE + n % BG_FLEET, t)).await.unwrap();
            n += 1;
        }
    }
    n
}

/// CPU time (user + system) this process has used so far, from `/proc/self/stat` (the
/// machine is shared: CPU per update compares runs better than wall time does).
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    // USER_HZ is 100 on Linux.
    Some(Duration::from_millis(ticks * 10))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let bench = Arc::new(tokio::sync::Mutex::new(rt.block_on(setup())));

    let mut g = c.benchmark_group("link");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(10));

    let cpu0 = cpu_time();
    let (wall0, delivered0) = (
        Instant::now(),
        rt.block_on(async { *bench.lock().await.tracks.borrow() }),
    );
    g.throughput(Throughput::Elements(K));
    g.bench_function("track_throughput", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let mut bench = bench.lock().await;
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    total += bench.throughput_once(K).await;
                }
                total
            })
        });
    });

    let delivered = rt.block_on(async { *bench.lock().await.tracks.borrow() }) - delivered0;
    if let (Some(c0), Some(c1)) = (cpu0, cpu_time())
        && delivered > 0
    {
        let wall = wall0.elapsed().as_secs_f64();
        let cpu = (c1 - c0).as_secs_f64();
        eprintln!(
            "link/track_throughput: {delivered} updates delivered (warm-up included), \
             {:.0} updates/s overall, process CPU {:.2} us/update ({:.2} of 2 cores busy)",
            delivered as f64 / wall,
            cpu * 1e6 / delivered as f64,
            cpu / wall,
        );
    }

    // Let the link settle (everything acknowledged) before the latency benchmark.
    rt.block_on(async {
        let bench = bench.lock().await;
        for _ in 0..400 {
            if bench.link.status().unacked == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    });

    let samples: Arc<std::sync::Mutex<Vec<Duration>>> = Arc::default();
    let stop = Arc::new(AtomicU64::new(0));
    let link = rt.block_on(async { bench.lock().await.link.clone() });
    let bg_start = Instant::now();
    let bg = rt.spawn(background(link, stop.clone()));
    g.throughput(Throughput::Elements(1));
    g.sample_size(20);
    g.bench_function("alert_latency_10k_bg", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let mut bench = bench.lock().await;
                let mut total = Duration::ZERO;
                let mut mine = Vec::with_capacity(iters as usize);
                for _ in 0..iters {
                    let d = bench.alert_once().await;
                    mine.push(d);
                    total += d;
                }
                samples.lock().unwrap().extend(mine);
                total
            })
        });
    });
    g.finish();
    stop.store(1, Ordering::Relaxed);
    let offered = rt.block_on(bg).unwrap();
    let bg_rate = offered as f64 / bg_start.elapsed().as_secs_f64();

    let mut s = samples.lock().unwrap().clone();
    s.sort();
    if !s.is_empty() {
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        eprintln!(
            "link/alert_latency_10k_bg: {} alerts, background {:.0} track updates/s offered: \
             p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            s.len(),
            bg_rate,
            ms(percentile(&s, 0.50)),
            ms(percentile(&s, 0.95)),
            ms(percentile(&s, 0.99)),
            ms(s[s.len() - 1]),
        );
    }
    rt.block_on(async {
        let bench = bench.lock().await;
        let st = bench.link.status();
        eprintln!(
            "link status at the end: sent {}, unacked {}, waiting tracks {}, state {:?}",
            st.last_sent, st.unacked, st.waiting_tracks, st.state
        );
        bench.a_shutdown.cancel();
        bench.b_shutdown.cancel();
    });
}

criterion_group!(link, benches);
criterion_main!(link);
