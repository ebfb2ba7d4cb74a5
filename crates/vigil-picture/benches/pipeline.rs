//! Frame parse + decode + picture update over the real `long_flight.csv` recording, with
//! rs1090 decoding the same frames in the same run as the baseline.
//!
//! Run: `cargo bench -p vigil-picture --bench pipeline`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use vigil_codec::framing::{Framer, beast::BeastFramer};
use vigil_codec::{FeedItem, modes};
use vigil_core::{SensorId, UnixTime};
use vigil_picture::{Picture, PictureConfig};

fn bench(c: &mut Criterion) {
    let Some(recs) = vigil_testdata::long_flight() else {
        eprintln!("no data: benchmark skipped");
        return;
    };
    let stream: Vec<u8> = recs.iter().flat_map(|r| r.escaped()).collect();
    let frames: Vec<Vec<u8>> = recs.iter().map(|r| r.frame().to_vec()).collect();
    let n = frames.len() as u64;
    let t0 = UnixTime(recs[0].ts);

    let mut g = c.benchmark_group("long_flight");
    g.throughput(Throughput::Elements(n));
    g.sample_size(20);

    // The whole hot path as a feed runs it: Beast bytes in, picture out.
    g.bench_function("vigil_beast_frame_decode_picture", |b| {
        b.iter(|| {
            let mut framer = BeastFramer::default();
            let mut picture = Picture::new(PictureConfig::default());
            // Receive time advances with the frames (recorded 12 MHz ticks would do too).
            let mut i = 0u32;
            framer.push(&stream, &mut |item: FeedItem| {
                i += 1;
                picture.ingest(t0.plus(f64::from(i) * 0.04), SensorId(0), &item);
            });
            black_box(picture.len())
        })
    });

    g.bench_function("vigil_fast_decode_only", |b| {
        b.iter(|| {
            let mut ok = 0usize;
            for f in &frames {
                ok += usize::from(modes::decode(black_box(f)).is_ok());
            }
            ok
        })
    });

    g.bench_function("rs1090_decode_only", |b| {
        use rs1090::prelude::*;
        b.iter(|| {
            let mut ok = 0usize;
            for f in &frames {
                ok += usize::from(Message::try_from(black_box(f.as_slice())).is_ok());
            }
            ok
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
