//! The zero-allocation paths agree with the generic engine: `RawItems` finds the same items
//! as `Record::decode`, and `cat048::ReportDecoder` gives the same report as
//! `Report::from_record`, on every real record and on random ones.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failure should stop loudly.

mod common;

use common::generate::{Rng, gen_record};
use proptest::prelude::*;
use vigil_asterix::pcap::read_capture;
use vigil_asterix::spec::Category;
use vigil_asterix::{RawItems, Record, RecordError, cat048, encode_record, split_blocks, tables};

/// Checks that both paths agree on the record at the start of `buf`; returns its length
/// when it decodes.
fn check_record(cat: &'static Category, buf: &[u8]) -> Result<usize, RecordError> {
    let generic = Record::decode(cat, buf);
    let raw: Result<(Vec<_>, usize), RecordError> = RawItems::new(cat, buf).and_then(|mut it| {
        let items = it.by_ref().collect::<Result<Vec<_>, _>>()?;
        Ok((items, it.position()))
    });
    match (&generic, &raw) {
        (Ok((rec, used)), Ok((items, pos))) => {
            assert_eq!(used, pos, "CAT{:03} {} record length", cat.cat, cat.edition);
            let want: Vec<_> = rec.items.iter().map(|i| (i.frn, i.def, i.bytes)).collect();
            let got: Vec<_> = items.iter().map(|i| (i.frn, i.def, i.bytes)).collect();
            assert_eq!(got, want, "CAT{:03} {} items", cat.cat, cat.edition);
        }
        (Err(a), Err(b)) => assert_eq!(a, b, "CAT{:03} {} error", cat.cat, cat.edition),
        _ => panic!(
            "CAT{:03} {}: engine {:?} but RawItems {:?}",
            cat.cat,
            cat.edition,
            generic.as_ref().map(|r| r.1),
            raw.as_ref().map(|r| r.1)
        ),
    }
    if cat.cat == 48 {
        let decoder = cat048::ReportDecoder::new(cat);
        let fast = decoder.decode(buf);
        // Into a report left over from another record: nothing of it may remain.
        let mut reused = leftover();
        match decoder.decode_into(buf, &mut reused) {
            Ok(used) => assert_eq!(fast.as_ref().ok(), Some(&(reused, used))),
            Err(e) => assert_eq!(fast.as_ref().err(), Some(&e)),
        }
        let slow = generic
            .as_ref()
            .map(|(r, used)| (cat048::Report::from_record(r), *used))
            .map_err(Clone::clone);
        assert_eq!(fast, slow, "CAT048 {} report", cat.edition);
    }
    generic.map(|(_, used)| used)
}

/// A report with every field set, as a reused report would be after some other record.
fn leftover() -> cat048::Report {
    use cat048::*;
    let code = ModeCode {
        code: 0o7777,
        validated: false,
        garbled: true,
        not_extracted: true,
    };
    Report {
        sac_sic: Some((9, 9)),
        time_of_day_s: Some(1.0),
        descriptor: Some(Descriptor {
            typ: 7,
            simulated: true,
            rdp_chain_2: true,
            spi: true,
            field_monitor: true,
            test: Some(true),
            military_emergency: Some(true),
        }),
        polar: Some((1.0, 1.0)),
        mode3a: Some(code),
        flight_level: Some(FlightLevel {
            fl: 1.0,
            validated: false,
            garbled: true,
        }),
        plot: Some(PlotCharacteristics {
            ssr_replies: Some(1),
            ..PlotCharacteristics::default()
        }),
        address: Some(vigil_core::IcaoAddress::new(1)),
        callsign: Some("LEFTOVER".to_owned()),
        comm_b: vec![vigil_asterix::modes::CommB::decode(0x40, 0)],
        track_number: Some(1),
        cartesian: Some((1.0, 1.0)),
        velocity: Some((1.0, 1.0)),
        track_status: Some(TrackStatus {
            confirmed: false,
            rad: 3,
            doubtful: true,
            manoeuvre: true,
            climb_descent: 3,
            end_of_track: Some(true),
            ghost: Some(true),
        }),
        height_3d_ft: Some(1.0),
        comms: Some(CommsCapability {
            com: 7,
            stat: 7,
            ii_capable: true,
            mssc: true,
            alt_25ft: true,
            aic: true,
            b1a: 1,
            b1b: 15,
        }),
    }
}

/// Every record of every block of `bytes` (a stream of blocks), with every carried edition of
/// its category. Returns the number of (record, edition) pairs checked.
fn check_stream(bytes: &[u8]) -> usize {
    let mut n = 0;
    for block in split_blocks(bytes) {
        let (cat, block) = block.unwrap();
        for edition in tables::ALL.iter().filter(|c| c.cat == cat) {
            let mut pos = 3;
            // A block may not decode with every edition; the paths must agree either way,
            // and an error ends the block.
            while let Some(rest) = block.get(pos..).filter(|r| !r.is_empty()) {
                match check_record(edition, rest) {
                    Ok(used) => pos += used,
                    Err(_) => break,
                }
                n += 1;
            }
        }
    }
    n
}

#[test]
fn fast_paths_agree_with_the_engine_on_every_real_record() {
    let mut records = 0;
    for name in ["cat_034_048.pcap", "cat_062_065.pcap"] {
        let Some(pcap) = common::data("fast_paths", name) else {
            return;
        };
        for d in read_capture(&pcap).unwrap().datagrams {
            records += check_stream(d.payload);
        }
    }
    for name in [
        "cat048.raw",
        "cat034.raw",
        "cat062cat065.raw",
        "cat21_re.ast",
    ] {
        let Some(raw) = common::data("fast_paths", name) else {
            return;
        };
        records += check_stream(&raw);
    }
    eprintln!("fast paths: {records} (record, edition) pairs agree with the generic engine");
    assert!(records > 250, "{records}");
}

#[test]
fn cat048_reports_iterates_a_block_like_the_engine() {
    let Some(pcap) = common::data("cat048_reports", "cat_034_048.pcap") else {
        return;
    };
    let decoder = cat048::ReportDecoder::new(tables::CAT048);
    let mut n = 0;
    for d in read_capture(&pcap).unwrap().datagrams {
        for block in split_blocks(d.payload) {
            let (cat, block) = block.unwrap();
            if cat != 48 {
                continue;
            }
            let slow = vigil_asterix::DataBlock::decode(tables::CAT048, block).unwrap();
            let fast: Vec<_> = decoder.reports(block).collect::<Result<_, _>>().unwrap();
            let want: Vec<_> = slow
                .records
                .iter()
                .map(cat048::Report::from_record)
                .collect();
            assert_eq!(fast, want);
            n += fast.len();
        }
    }
    assert_eq!(n, 128);
    // A bad header is reported once; a truncated record ends the block with its error.
    assert_eq!(decoder.reports(&[48, 0]).count(), 1);
    let errs: Vec<_> = decoder.reports(&[48, 0, 5, 0x80, 1]).collect();
    assert!(matches!(errs.as_slice(), [Err(_)]), "{errs:?}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    /// Arbitrary octets: both paths accept the same records, with the same items, and refuse
    /// the rest with the same error.
    #[test]
    fn fast_paths_agree_on_arbitrary_bytes(data in proptest::collection::vec(any::<u8>(), 0..200)) {
        for cat in tables::ALL {
            let _ = check_record(cat, &data);
        }
    }

    /// Records generated from the tables (every item shape, every edition), whole and with
    /// one bit flipped.
    #[test]
    fn fast_paths_agree_on_generated_records(seed in any::<u64>()) {
        let mut rng = Rng(seed | 1);
        for cat in tables::ALL {
            let items = gen_record(cat, &mut rng);
            let bytes = encode_record(cat, items.iter().map(|(f, v)| (*f, v))).unwrap();
            prop_assert_eq!(check_record(cat, &bytes), Ok(bytes.len()));
            let mut bad = bytes.clone();
            let i = rng.below(bad.len() as u64) as usize;
            bad[i] ^= 1 << rng.below(8);
            let _ = check_record(cat, &bad);
        }
    }
}
