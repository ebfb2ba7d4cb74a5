//! ASTERIX decode and encode over real data, one core.
//!
//! * CAT048: every CAT048 block of `asterix/cat_034_048.pcap` (86 blocks, 128 records of a
//!   real Mode S radar), decoded once per iteration by each path: the generic engine (value
//!   tree), the generic engine plus the typed `Report`, the zero-allocation item cursor
//!   alone, and the typed fast path (`cat048::ReportDecoder`), returning a report per record
//!   and decoding into one reused report.
//! * CAT062: system tracks taken from the real picture of `adsb/long_flight.csv` (see
//!   `tests/support/picture_tracks.rs`), written by `TrackOut` into 1,400-byte blocks, and
//!   through the generic encoder for comparison.
//!
//! Run: `cargo bench -p vigil-asterix --bench asterix`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use vigil_asterix::pcap::read_capture;
use vigil_asterix::{
    BlockWriter, DataBlock, RawItems, cat048, encode_record, split_blocks, tables,
};

#[path = "../tests/support/picture_tracks.rs"]
mod picture_tracks;

fn cat048_blocks() -> Option<Vec<Vec<u8>>> {
    let pcap = std::fs::read(vigil_testdata::path("asterix/cat_034_048.pcap")?).ok()?;
    let cap = read_capture(&pcap).ok()?;
    Some(
        cap.datagrams
            .iter()
            .flat_map(|d| split_blocks(d.payload))
            .filter_map(Result::ok)
            .filter(|(cat, _)| *cat == 48)
            .map(|(_, b)| b.to_vec())
            .collect(),
    )
}

fn decode(c: &mut Criterion) {
    let Some(blocks) = cat048_blocks() else {
        eprintln!("no data: CAT048 benchmark skipped");
        return;
    };
    let decoder = cat048::ReportDecoder::new(tables::CAT048);
    let records: usize = blocks.iter().map(|b| decoder.reports(b).count()).sum();
    let mut g = c.benchmark_group("cat048_decode");
    g.throughput(Throughput::Elements(records as u64));

    g.bench_function("generic_tree", |b| {
        b.iter(|| {
            let mut n = 0;
            for block in &blocks {
                n += DataBlock::decode(tables::CAT048, black_box(block))
                    .map_or(0, |d| d.records.len());
            }
            n
        })
    });

    g.bench_function("generic_tree_then_report", |b| {
        b.iter(|| {
            let mut n = 0u64;
            for block in &blocks {
                if let Ok(d) = DataBlock::decode(tables::CAT048, black_box(block)) {
                    for r in &d.records {
                        let rep = cat048::Report::from_record(r);
                        n += u64::from(rep.track_number.unwrap_or(0));
                    }
                }
            }
            n
        })
    });

    g.bench_function("raw_items_cursor", |b| {
        b.iter(|| {
            let mut n = 0;
            for block in &blocks {
                let mut pos = 3;
                while pos < block.len() {
                    match RawItems::new(tables::CAT048, black_box(&block[pos..]))
                        .and_then(RawItems::record_len)
                    {
                        Ok(len) => pos += len,
                        Err(_) => break,
                    }
                    n += 1;
                }
            }
            n
        })
    });

    g.bench_function("fast_report", |b| {
        b.iter(|| {
            let mut n = 0u64;
            for block in &blocks {
                for rep in decoder.reports(black_box(block)).flatten() {
                    n += u64::from(rep.track_number.unwrap_or(0));
                }
            }
            n
        })
    });
    // The allocation-free loop: one report reused for every record.
    g.bench_function("fast_report_reused", |b| {
        let mut rep = cat048::Report::default();
        b.iter(|| {
            let mut n = 0u64;
            for block in &blocks {
                let mut pos = 3;
                while pos < block.len() {
                    match decoder.decode_into(black_box(&block[pos..]), &mut rep) {
                        Ok(used) => pos += used,
                        Err(_) => break,
                    }
                    n += u64::from(rep.track_number.unwrap_or(0));
                }
            }
            n
        })
    });
    g.finish();
}

fn encode(c: &mut Criterion) {
    let Some(tracks) = picture_tracks::picture_tracks() else {
        eprintln!("no data: CAT062 benchmark skipped");
        return;
    };
    let mut g = c.benchmark_group("cat062_encode");
    g.throughput(Throughput::Elements(tracks.len() as u64));

    // One update cycle's writer, reused as a sender would.
    let mut writer = BlockWriter::new(62, 1_400).unwrap_or_else(|e| panic!("{e}"));
    g.bench_function("track_out_into_blocks", |b| {
        b.iter(|| {
            writer.clear();
            for t in &tracks {
                let t = t.track();
                let _ = writer.push_with(|out| black_box(&t).encode_into(out));
            }
            writer.block_count()
        })
    });

    g.bench_function("generic_encoder", |b| {
        b.iter(|| {
            let mut n = 0;
            for t in &tracks {
                if let Ok(items) = black_box(t.track()).items() {
                    let rec = encode_record(tables::CAT062, items.iter().map(|(f, v)| (*f, v)));
                    n += rec.map_or(0, |r| r.len());
                }
            }
            n
        })
    });
    g.finish();
}

criterion_group!(benches, decode, encode);
criterion_main!(benches);
