//! CAT048 writing: the real plots of `asterix/cat_034_048.pcap` (127 records of a real
//! Mode S radar with a detection), decoded once, then written again per iteration by
//! `cat048::PlotOut` into 1,400-byte blocks (a reused `BlockWriter`, as a simulator sending
//! one datagram per sector would), and through the generic encoder for comparison.
//!
//! Run: `cargo bench -p vigil-asterix --bench cat048_out`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use vigil_asterix::cat048::{DescriptorOut, PlotKind, PlotOut, Report, ReportDecoder};
use vigil_asterix::pcap::read_capture;
use vigil_asterix::{BlockWriter, encode_record, split_blocks, tables};

/// Every report of the capture's CAT048 blocks.
fn reports() -> Option<Vec<Report>> {
    let pcap = std::fs::read(vigil_testdata::path("asterix/cat_034_048.pcap")?).ok()?;
    let cap = read_capture(&pcap).ok()?;
    let decoder = ReportDecoder::new(tables::CAT048);
    Some(
        cap.datagrams
            .iter()
            .flat_map(|d| split_blocks(d.payload))
            .filter_map(Result::ok)
            .filter(|(cat, _)| *cat == 48)
            .flat_map(|(_, b)| {
                decoder
                    .reports(b)
                    .filter_map(Result::ok)
                    .collect::<Vec<_>>()
            })
            .collect(),
    )
}

/// The plot a report describes (as `tests/cat048_out.rs` builds it).
fn plot_of(r: &Report) -> Option<PlotOut<'_>> {
    let d = r.descriptor?;
    let (sac, sic) = r.sac_sic?;
    let (rho, theta) = r.polar?;
    Some(PlotOut {
        simulated: d.simulated,
        descriptor: DescriptorOut {
            rdp_chain_2: d.rdp_chain_2,
            spi: d.spi,
            field_monitor: d.field_monitor,
            test: d.test.unwrap_or(false),
            military_emergency: d.military_emergency.unwrap_or(false),
            military_identification: false,
        },
        mode3a: r.mode3a,
        flight_level: r.flight_level,
        plot: r.plot,
        address: r.address,
        callsign: r.callsign.as_deref(),
        track_number: r.track_number,
        velocity: r.velocity,
        comms: r.comms,
        ..PlotOut::new(
            sac,
            sic,
            r.time_of_day_s?,
            PlotKind::from_typ(d.typ)?,
            rho,
            theta,
        )
    })
}

fn encode(c: &mut Criterion) {
    let Some(reports) = reports() else {
        eprintln!("no data: CAT048 encode benchmark skipped");
        return;
    };
    let plots: Vec<PlotOut<'_>> = reports.iter().filter_map(plot_of).collect();
    let mut g = c.benchmark_group("cat048_encode");
    g.throughput(Throughput::Elements(plots.len() as u64));

    let mut writer = BlockWriter::new(48, 1_400).unwrap_or_else(|e| panic!("{e}"));
    g.bench_function("plot_out_into_blocks", |b| {
        b.iter(|| {
            writer.clear();
            for p in &plots {
                let _ = writer.push_with(|out| black_box(p).encode_into(out));
            }
            writer.block_count()
        })
    });

    g.bench_function("generic_encoder", |b| {
        b.iter(|| {
            let mut n = 0;
            for p in &plots {
                if let Ok(items) = black_box(p).items() {
                    let rec = encode_record(tables::CAT048, items.iter().map(|(f, v)| (*f, v)));
                    n += rec.map_or(0, |r| r.len());
                }
            }
            n
        })
    });
    g.finish();
}

criterion_group!(benches, encode);
criterion_main!(benches);
