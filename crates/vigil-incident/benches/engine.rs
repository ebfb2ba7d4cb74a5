//! Engine calls with many open incidents: each is O(log n) in the number of incidents, so the
//! time per call should barely move from 1,000 to 100,000 open incidents.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use vigil_core::UnixTime;
use vigil_incident::{
    ActionArgs, Actor, ChannelKind, Evidence, IncidentEngine, IncidentId, Role, Workflow, builtin,
};

fn engine(n: u64) -> IncidentEngine {
    let wf = Workflow::from_toml_str(builtin::RENEGADE).unwrap();
    let mut e = IncidentEngine::new(wf).unwrap();
    e.set_channels(vec![
        ChannelKind::NationalChain,
        ChannelKind::Partner("RU".into()),
    ]);
    for i in 0..n {
        let ev = vec![Evidence::new("comloss", UnixTime(0.0), "no reply")];
        e.open(UnixTime(0.0), format!("track:{i:06x}"), 1, ev);
    }
    e.drain_audit();
    e
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("incident");
    for n in [1_000u64, 100_000] {
        let mut e = engine(n);
        let op = Actor::new("anna", Role::Operator);
        let mut k = 0u64;
        g.bench_function(BenchmarkId::new("act_add_note", n), |b| {
            b.iter(|| {
                // Spread over the incidents so lookups are not always the same cache line.
                k = (k + 7919) % n;
                let args = ActionArgs {
                    remark: Some("still no reply".into()),
                    ..ActionArgs::default()
                };
                let t = e
                    .act(UnixTime(1.0), IncidentId(k + 1), &op, "add_note", args)
                    .unwrap();
                black_box(t);
                // Keep the buffers (and timelines' growth) from dominating.
                if k.is_multiple_of(1024) {
                    e.drain_audit();
                }
            });
        });
        e.drain_audit();
        g.bench_function(BenchmarkId::new("auto_level_no_change", n), |b| {
            b.iter(|| {
                k = (k + 7919) % n;
                black_box(
                    e.auto_level(UnixTime(2.0), IncidentId(k + 1), 1, "comloss", vec![])
                        .unwrap(),
                );
            });
        });
        g.bench_function(BenchmarkId::new("open_existing_subject", n), |b| {
            b.iter(|| {
                k = (k + 7919) % n;
                black_box(e.open(UnixTime(3.0), format!("track:{k:06x}"), 1, vec![]));
            });
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
