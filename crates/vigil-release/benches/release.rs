//! Release decisions per second on 10,000 tracks: one update of every track through the
//! example Warsaw-Kaliningrad policy (the real EPWW-UMKK band when `../shared/data` is
//! present, else a polygon over the same region), with and without the rate limit.
#![allow(clippy::expect_used)] // a bench: a broken shipped policy is a bug to see at once.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use vigil_airspace::{Airspace, AirspaceConfig};
use vigil_core::{IcaoAddress, UnixTime};
use vigil_release::{
    Decision, Identity, LineageEntry, Origin, Outbound, RateLimit, ReleasePolicy, Releaser,
    TrackOut,
};
use vigil_renegade::Callsign;

const N: u64 = 10_000;
const POLICY: &str = include_str!("../data/warsaw-kaliningrad.toml");

/// 10,000 tracks spread over 52..57 N, 16..24 E (some inside the band, most outside), one in
/// ten military, one in five from another centre.
fn tracks() -> Vec<Outbound> {
    (0..N)
        .map(|i| {
            // A cheap deterministic spread (golden-ratio sequences).
            let u = (i as f64 * 0.618_033_988_75).fract();
            let v = (i as f64 * 0.754_877_666_25).fract();
            let origin = if i % 5 == 0 {
                Origin::new("NATO/LT", "vilnius-cc")
            } else {
                Origin::new("NATO/PL", "warszawa-lu")
            };
            Outbound::Track(TrackOut {
                id: i,
                time: UnixTime(0.0),
                lat: 52.0 + 5.0 * u,
                lon: 16.0 + 8.0 * v,
                alt_ft: Some(((i % 40) * 1000) as f64),
                velocity: None,
                identity: Identity {
                    icao: Some(IcaoAddress::new(0x48_0000 + i as u32)),
                    squawk: Some(0o2000),
                    callsign: Callsign::new("LOT1"),
                },
                military: i % 10 == 3,
                origin,
                lineage: vec![LineageEntry {
                    sensor: "radar-gdansk".into(),
                    party: "NATO/PL".into(),
                }],
                transponder_lost: Some(false),
                category: None,
            })
        })
        .collect()
}

fn releaser(rate: bool) -> Releaser {
    let mut policy = ReleasePolicy::from_toml_str(POLICY).expect("example policy");
    if !rate {
        policy.rate_limit = RateLimit::default();
    }
    match vigil_testdata::path("aero/eurofirs.json") {
        Some(p) => {
            let config = AirspaceConfig::from_toml_str(include_str!(
                "../../vigil-airspace/data/airspace.toml"
            ))
            .expect("shipped airspace config");
            let airspace = Airspace::load(&p, &config).expect("airspace");
            Releaser::new(policy, "NATO/PL", "warszawa-lu", Some(&airspace)).expect("releaser")
        }
        None => {
            policy.areas[0].volume = None;
            policy.areas[0].polygon =
                Some(vec![[53.0, 17.5], [53.0, 23.0], [56.2, 23.0], [56.2, 17.5]]);
            Releaser::new(policy, "NATO/PL", "warszawa-lu", None).expect("releaser")
        }
    }
}

fn bench(c: &mut Criterion) {
    let mut msgs = tracks();
    let mut g = c.benchmark_group("release");
    g.throughput(Throughput::Elements(N));
    for (name, rate) in [
        ("10k_tracks_no_rate_limit", false),
        ("10k_tracks_rate_limited", true),
    ] {
        let mut r = releaser(rate);
        let mut now = 0.0;
        let mut due = Vec::new();
        g.bench_function(name, |b| {
            b.iter(|| {
                // One cycle a second: every track updates, then the deferred ones are due.
                now += 1.0;
                let mut released = 0usize;
                for m in msgs.iter_mut() {
                    if let Outbound::Track(t) = m {
                        t.time = UnixTime(now);
                    }
                    if let Decision::Release(_) = r.release(black_box(m), UnixTime(now)) {
                        released += 1;
                    }
                }
                due.clear();
                r.due(UnixTime(now), &mut due);
                black_box(released + due.len())
            });
        });
        eprintln!("{name}: {:?}", r.counters());
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
