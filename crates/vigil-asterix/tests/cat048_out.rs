//! The CAT048 plot writer: what it writes decodes, with the generic engine and with the fast
//! `ReportDecoder`, in both carried editions, to the values it was given (within each
//! field's resolution); its fast layout is byte-identical to the generic encoder's; a
//! primary plot carries no identity; values it cannot carry are typed errors; blocks stay
//! under the size limit; and an independent decoder (CroatiaControl `asterix_decoder`, GPL,
//! run as a separate process through `VIGIL_PY`) reads the same values.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failure should stop loudly.

#[path = "support/peer.rs"]
mod peer;

use proptest::prelude::*;
use serde_json::Value as Json;
use vigil_asterix::cat048::{
    CommsCapability, DescriptorOut, FlightLevel, ModeCode, PlotCharacteristics, PlotKind, PlotOut,
    Report, ReportDecoder,
};
use vigil_asterix::pcap::read_capture;
use vigil_asterix::{
    BlockWriter, Decoder, EncodeError, Record, cat048, encode_record, split_blocks, tables,
};
use vigil_core::IcaoAddress;

/// Float noise on top of half an LSB.
const EPS: f64 = 1e-9;
const HALF_TIME_LSB: f64 = 1.0 / 256.0 + EPS;
const HALF_RHO_LSB: f64 = 1.0 / 512.0 + EPS;
const HALF_ANGLE_LSB: f64 = 180.0 / 65_536.0 + EPS;
const HALF_GSP_LSB_KT: f64 = 1800.0 / 16_384.0 + EPS;

fn close(what: &str, got: Option<f64>, want: Option<f64>, tol: f64) {
    match (got, want) {
        (Some(g), Some(w)) => assert!((g - w).abs() <= tol, "{what}: got {g}, want {w} ± {tol}"),
        (g, w) => assert_eq!(g.is_some(), w.is_some(), "{what}: got {g:?}, want {w:?}"),
    }
}

/// Distance between two values on a circle of circumference `period`.
fn wrapped(a: f64, b: f64, period: f64) -> f64 {
    let d = (a - b).rem_euclid(period);
    d.min(period - d)
}

/// The editions the writer's output must decode with: 1.32 (the default) and 1.27.
fn editions() -> [&'static vigil_asterix::spec::Category; 2] {
    [tables::CAT048, &tables::cat048_1_27::CATEGORY]
}

/// Encodes `p` both ways, decodes with both editions and both decoders, and checks every
/// value against what was given. Returns the record.
fn round_trip(p: &PlotOut<'_>) -> Vec<u8> {
    let bytes = p.encode().unwrap();
    let items = p.items().unwrap();
    let generic = encode_record(tables::CAT048, items.iter().map(|(f, v)| (*f, v))).unwrap();
    assert_eq!(
        bytes, generic,
        "fast layout differs from the generic encoder"
    );
    let mut appended = vec![0xee];
    p.encode_into(&mut appended).unwrap();
    assert_eq!(appended[1..], bytes[..], "encode_into appends");

    let mut reports = Vec::new();
    for cat in editions() {
        let (rec, used) = Record::decode(cat, &bytes).unwrap();
        assert_eq!(used, bytes.len(), "{}", cat.edition);
        assert_eq!(rec.encode().unwrap(), bytes, "{} re-encoding", cat.edition);
        let engine = Report::from_record(&rec);
        let (fast, used) = ReportDecoder::new(cat).decode(&bytes).unwrap();
        assert_eq!(used, bytes.len());
        assert_eq!(
            fast, engine,
            "{}: fast path differs from the engine",
            cat.edition
        );
        // MI is not in the typed report: read it from the engine's tree.
        let mi = rec.leaf("020", "MI").map(|l| l.raw != 0);
        assert_eq!(
            mi.unwrap_or(false),
            p.descriptor.military_identification,
            "MI"
        );
        reports.push(engine);
    }
    let (new, old) = (&reports[0], &reports[1]);
    // 1.27 reads FL as unsigned: the editions agree except on a negative flight level.
    let negative_fl = new.flight_level.is_some_and(|f| f.fl < 0.0);
    if negative_fl {
        assert_eq!(
            Report {
                flight_level: None,
                ..new.clone()
            },
            Report {
                flight_level: None,
                ..old.clone()
            }
        );
    } else {
        assert_eq!(new, old, "1.27 and 1.32 read the record the same");
    }
    check(new, p);
    bytes
}

/// Checks a decoded report against the plot that was written.
fn check(r: &Report, p: &PlotOut<'_>) {
    assert_eq!(r.sac_sic, Some((p.sac, p.sic)));
    let tod = r.time_of_day_s.unwrap();
    assert!(
        wrapped(tod, p.time_of_day_s, 86_400.0) <= HALF_TIME_LSB,
        "time {tod} vs {}",
        p.time_of_day_s
    );
    let d = r.descriptor.unwrap();
    let w = &p.descriptor;
    assert_eq!(
        (
            d.typ,
            d.simulated,
            d.rdp_chain_2,
            d.spi,
            d.field_monitor,
            d.test.unwrap_or(false),
            d.military_emergency.unwrap_or(false),
        ),
        (
            p.kind.typ(),
            p.simulated,
            w.rdp_chain_2,
            w.spi,
            w.field_monitor,
            w.test,
            w.military_emergency,
        )
    );
    assert_eq!(PlotKind::from_typ(d.typ), Some(p.kind));
    let (rho, theta) = r.polar.unwrap();
    assert!((rho - p.rho_nm).abs() <= HALF_RHO_LSB, "rho {rho}");
    assert!(
        wrapped(theta, p.theta_deg, 360.0) <= HALF_ANGLE_LSB,
        "theta {theta} vs {}",
        p.theta_deg
    );

    if p.kind == PlotKind::Psr {
        // A primary radar sees no transponder: no identity, whatever the plot held.
        assert_eq!(
            (r.mode3a, r.flight_level, r.address, &r.callsign, r.comms),
            (None, None, None, &None, None),
            "PSR plot with identity"
        );
    } else {
        assert_eq!(r.mode3a, p.mode3a);
        match (r.flight_level, p.flight_level) {
            (Some(g), Some(w)) => {
                assert!(
                    (g.fl - w.fl).abs() <= 0.125 + EPS,
                    "FL {} vs {}",
                    g.fl,
                    w.fl
                );
                assert_eq!((g.validated, g.garbled), (w.validated, w.garbled));
            }
            (g, w) => assert_eq!(g.is_some(), w.is_some(), "I090"),
        }
        assert_eq!(r.address, p.address);
        assert_eq!(r.callsign, p.callsign.map(|c| format!("{c:<8}")));
        assert_eq!(r.comms, p.comms);
    }

    let sent_plot = p.plot.filter(|c| *c != PlotCharacteristics::default());
    match (r.plot, sent_plot) {
        (Some(g), Some(w)) => {
            let rl = 180.0 / 8192.0 + EPS;
            close("SRL", g.ssr_runlength_deg, w.ssr_runlength_deg, rl);
            assert_eq!(g.ssr_replies, w.ssr_replies, "SRR");
            close("SAM", g.ssr_amplitude_dbm, w.ssr_amplitude_dbm, 0.5 + EPS);
            close("PRL", g.psr_runlength_deg, w.psr_runlength_deg, rl);
            close("PAM", g.psr_amplitude_dbm, w.psr_amplitude_dbm, 0.5 + EPS);
            close("RPD", g.range_diff_nm, w.range_diff_nm, HALF_RHO_LSB);
            let apd = 180.0 / 16_384.0 + EPS;
            close("APD", g.azimuth_diff_deg, w.azimuth_diff_deg, apd);
        }
        (g, w) => assert_eq!(g.is_some(), w.is_some(), "I130: {g:?} vs {w:?}"),
    }
    assert_eq!(r.track_number, p.track_number);
    match (r.velocity, p.velocity) {
        (Some((gs, hdg)), Some((ws, wh))) => {
            assert!((gs - ws).abs() <= HALF_GSP_LSB_KT, "GSP {gs} vs {ws}");
            assert!(
                wrapped(hdg, wh, 360.0) <= HALF_ANGLE_LSB,
                "HDG {hdg} vs {wh}"
            );
        }
        (g, w) => assert_eq!(g.is_some(), w.is_some(), "I200"),
    }
    // Nothing else is written.
    assert!(r.comm_b.is_empty());
    assert_eq!(
        (r.cartesian, r.track_status, r.height_3d_ft),
        (None, None, None)
    );
}

fn comms() -> CommsCapability {
    CommsCapability {
        com: 1,
        stat: 0,
        ii_capable: false,
        mssc: true,
        alt_25ft: true,
        aic: true,
        b1a: 0,
        b1b: 3,
    }
}

/// A Mode S roll-call plot with every item.
fn sample(callsign: &str) -> PlotOut<'_> {
    PlotOut {
        simulated: true,
        mode3a: Some(ModeCode::new(0o4276)),
        flight_level: Some(FlightLevel::new(157.25)),
        plot: Some(PlotCharacteristics {
            ssr_runlength_deg: Some(0.615),
            ssr_replies: Some(9),
            ssr_amplitude_dbm: Some(-72.0),
            ..PlotCharacteristics::default()
        }),
        address: Some(IcaoAddress::new(0x4ca1f3)),
        callsign: Some(callsign),
        track_number: Some(2101),
        velocity: Some((412.0, 271.5)),
        comms: Some(comms()),
        ..PlotOut::new(25, 100, 30_911.664, PlotKind::ModeSRollCall, 81.37, 212.4)
    }
}

#[test]
fn a_full_plot_round_trips_and_a_minimal_one_is_as_specified() {
    let bytes = round_trip(&sample("RYR4GK"));
    // FSPEC: I010 I140 I020 I040 I070 I090 I130 | I220 I240 I161 I200 | I230.
    assert_eq!(&bytes[..3], &[0xff, 0b1101_0101, 0b0000_0010]);

    let minimal = PlotOut::new(1, 2, 1.0, PlotKind::Ssr, 1.5, 90.0);
    assert_eq!(
        round_trip(&minimal),
        [
            0b1111_0000, // FSPEC: I010, I140, I020, I040
            1,
            2, // I010
            0,
            0,
            128,         // I140: 1 s
            0b0100_0000, // I020: TYP 2, real, no extension
            0x01,
            0x80, // RHO 1.5 NM
            0x40,
            0x00, // THETA 90°
        ]
    );
}

#[test]
fn descriptor_flags_and_extension() {
    for kind in PlotKind::ALL {
        let mut p = PlotOut::new(0, 0, 0.0, kind, 0.0, 0.0);
        let bytes = round_trip(&p);
        assert_eq!(bytes[6], kind.typ() << 5, "{kind:?}: no FX without flags");
        p.simulated = true;
        p.descriptor = DescriptorOut {
            test: true,
            military_emergency: true,
            military_identification: true,
            ..DescriptorOut::default()
        };
        let bytes = round_trip(&p);
        assert_eq!(
            &bytes[6..8],
            &[(kind.typ() << 5) | 0x10 | 1, 0x80 | 0x10 | 0x08]
        );
    }
    assert_eq!(PlotKind::from_typ(0), None);
    assert_eq!(PlotKind::from_typ(8), None);
}

#[test]
fn a_primary_plot_carries_no_identity() {
    let p = PlotOut {
        kind: PlotKind::Psr,
        plot: Some(PlotCharacteristics {
            psr_runlength_deg: Some(1.2),
            psr_amplitude_dbm: Some(-80.0),
            ..PlotCharacteristics::default()
        }),
        ..sample("HIJACK1")
    };
    let bytes = round_trip(&p);
    // I010 I140 I020 I040 I130 | I161 I200: no I070/I090/I220/I240/I230.
    assert_eq!(&bytes[..2], &[0b1111_0011, 0b0001_0100]);
    // Identity fields are still checked, so the same plot fails the same way as SSR.
    let bad = PlotOut {
        callsign: Some("hijack"),
        ..p
    };
    assert!(matches!(bad.encode(), Err(EncodeError::BadText { .. })));
}

#[test]
fn edges_wrap_or_fit() {
    // Midnight and north wrap to 0.
    let p = PlotOut {
        velocity: Some((0.0, 359.999_9)),
        ..PlotOut::new(0, 0, 86_399.999, PlotKind::Psr, 255.996, 360.0)
    };
    let bytes = round_trip(&p);
    let (r, _) = Report::decode(&bytes).unwrap();
    assert_eq!(r.time_of_day_s, Some(0.0));
    assert_eq!(r.polar.map(|p| p.1), Some(0.0));
    assert_eq!(r.velocity.map(|v| v.1), Some(0.0));
    // The extremes of every field.
    let p = PlotOut {
        mode3a: Some(ModeCode {
            code: 0o7777,
            validated: false,
            garbled: true,
            not_extracted: true,
        }),
        flight_level: Some(FlightLevel {
            fl: -2048.0,
            validated: false,
            garbled: true,
        }),
        plot: Some(PlotCharacteristics {
            ssr_runlength_deg: Some(255.0 * 360.0 / 8192.0),
            ssr_replies: Some(255),
            ssr_amplitude_dbm: Some(-128.0),
            psr_runlength_deg: Some(0.0),
            psr_amplitude_dbm: Some(127.0),
            range_diff_nm: Some(-0.5),
            azimuth_diff_deg: Some(127.0 * 360.0 / 16_384.0),
        }),
        address: Some(IcaoAddress::new(0xff_ffff)),
        callsign: Some("ZZ99 9  "),
        track_number: Some(4095),
        velocity: Some((65_535.0 * 3600.0 / 16_384.0, 0.0)),
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
        ..PlotOut::new(255, 255, 0.0, PlotKind::ModeSRollCallPsr, 0.0, 0.0)
    };
    round_trip(&p);
    round_trip(&PlotOut {
        flight_level: Some(FlightLevel::new(2047.75)),
        callsign: Some(""),
        ..p
    });
    // An I130 with no subfield is left out rather than sent empty.
    let base = PlotOut::new(1, 1, 10.0, PlotKind::SsrPsr, 10.0, 10.0);
    let empty = PlotOut {
        plot: Some(PlotCharacteristics::default()),
        ..base.clone()
    };
    assert_eq!(empty.encode().unwrap(), base.encode().unwrap());
}

#[test]
fn values_it_cannot_carry_are_typed_errors() {
    let base = || PlotOut::new(1, 1, 100.0, PlotKind::ModeSRollCall, 50.0, 45.0);
    let out_of_range = |p: PlotOut<'_>, item: &str, field: &str| {
        let mut buf = vec![0xaa];
        match p.encode_into(&mut buf) {
            Err(EncodeError::OutOfRange {
                item: i, field: f, ..
            }) => assert_eq!((i, f), (item, field)),
            other => panic!("{item}/{field}: {other:?}"),
        }
        assert_eq!(buf, [0xaa], "nothing written on error");
        assert!(p.items().is_err());
    };
    let plot = |c: PlotCharacteristics| PlotOut {
        plot: Some(c),
        ..base()
    };
    let pc = PlotCharacteristics::default;
    let cases: Vec<(PlotOut<'_>, &str, &str)> = vec![
        (
            PlotOut {
                time_of_day_s: -0.01,
                ..base()
            },
            "140",
            "",
        ),
        (
            PlotOut {
                time_of_day_s: 86_400.01,
                ..base()
            },
            "140",
            "",
        ),
        (
            PlotOut {
                time_of_day_s: f64::NAN,
                ..base()
            },
            "140",
            "",
        ),
        (
            PlotOut {
                rho_nm: 256.0,
                ..base()
            },
            "040",
            "RHO",
        ),
        (
            PlotOut {
                rho_nm: -0.1,
                ..base()
            },
            "040",
            "RHO",
        ),
        (
            PlotOut {
                theta_deg: -1.0,
                ..base()
            },
            "040",
            "THETA",
        ),
        (
            PlotOut {
                theta_deg: f64::INFINITY,
                ..base()
            },
            "040",
            "THETA",
        ),
        (
            PlotOut {
                mode3a: Some(ModeCode::new(0o10000)),
                ..base()
            },
            "070",
            "MODE3A",
        ),
        (
            PlotOut {
                flight_level: Some(FlightLevel::new(2048.0)),
                ..base()
            },
            "090",
            "FL",
        ),
        (
            PlotOut {
                flight_level: Some(FlightLevel::new(-2048.2)),
                ..base()
            },
            "090",
            "FL",
        ),
        (
            plot(PlotCharacteristics {
                ssr_runlength_deg: Some(12.0),
                ..pc()
            }),
            "130",
            "SRL",
        ),
        (
            plot(PlotCharacteristics {
                ssr_amplitude_dbm: Some(-129.0),
                ..pc()
            }),
            "130",
            "SAM",
        ),
        (
            plot(PlotCharacteristics {
                psr_runlength_deg: Some(-1.0),
                ..pc()
            }),
            "130",
            "PRL",
        ),
        (
            plot(PlotCharacteristics {
                psr_amplitude_dbm: Some(128.0),
                ..pc()
            }),
            "130",
            "PAM",
        ),
        (
            plot(PlotCharacteristics {
                range_diff_nm: Some(0.5),
                ..pc()
            }),
            "130",
            "RPD",
        ),
        (
            plot(PlotCharacteristics {
                azimuth_diff_deg: Some(-3.0),
                ..pc()
            }),
            "130",
            "APD",
        ),
        (
            PlotOut {
                track_number: Some(4096),
                ..base()
            },
            "161",
            "TRN",
        ),
        (
            PlotOut {
                velocity: Some((14_400.0, 0.0)),
                ..base()
            },
            "200",
            "GSP",
        ),
        (
            PlotOut {
                velocity: Some((100.0, 360.1)),
                ..base()
            },
            "200",
            "HDG",
        ),
        (
            PlotOut {
                comms: Some(CommsCapability { com: 8, ..comms() }),
                ..base()
            },
            "230",
            "COM",
        ),
        (
            PlotOut {
                comms: Some(CommsCapability { stat: 8, ..comms() }),
                ..base()
            },
            "230",
            "STAT",
        ),
        (
            PlotOut {
                comms: Some(CommsCapability { b1a: 2, ..comms() }),
                ..base()
            },
            "230",
            "B1A",
        ),
        (
            PlotOut {
                comms: Some(CommsCapability { b1b: 16, ..comms() }),
                ..base()
            },
            "230",
            "B1B",
        ),
    ];
    for (p, item, field) in cases {
        out_of_range(p, item, field);
    }
    for bad in ["ryr123", "ABCDEFGHI", "AB-12", "ÄB", "A_B"] {
        let r = PlotOut {
            callsign: Some(bad),
            ..base()
        }
        .encode();
        assert!(
            matches!(r, Err(EncodeError::BadText { item: "240", .. })),
            "{bad}: {r:?}"
        );
    }
}

#[test]
fn blocks_stay_under_the_datagram_limit_and_decode_in_order() {
    let mut w = BlockWriter::new(48, 1_400).unwrap();
    let callsigns: Vec<String> = (0..600).map(|i| format!("TST{i:04}")).collect();
    for (i, cs) in callsigns.iter().enumerate() {
        let p = PlotOut {
            track_number: Some(i as u16),
            kind: PlotKind::ALL[i % 7],
            ..sample(cs)
        };
        w.push_with(|out| p.encode_into(out)).unwrap();
    }
    assert_eq!(w.record_count(), 600);
    assert!(w.block_count() > 1);
    let fast = ReportDecoder::new(tables::CAT048);
    let mut decoder = Decoder::new();
    let mut next = 0u16;
    for block in w.blocks() {
        assert!(block.len() <= 1_400, "{}", block.len());
        let reports: Vec<Report> = fast.reports(block).map(Result::unwrap).collect();
        let mut engine = Vec::new();
        for b in decoder.decode(block) {
            engine.extend(b.unwrap().records.iter().map(Report::from_record));
        }
        assert_eq!(reports, engine);
        for r in &reports {
            assert_eq!(r.track_number, Some(next));
            let identity = r.callsign.is_some();
            let psr = r.descriptor.map(|d| d.typ) == Some(1);
            assert_eq!(identity, !psr, "only PSR plots lack identity");
            next += 1;
        }
    }
    assert_eq!(next, 600);
    assert_eq!(decoder.stats.errors, 0);
    // A writer error leaves the blocks as they were.
    let before = w.as_bytes().to_vec();
    let bad = PlotOut {
        rho_nm: 300.0,
        ..sample("X")
    };
    assert!(w.push_with(|out| bad.encode_into(out)).is_err());
    assert_eq!(w.as_bytes(), &before[..]);
}

/// The plot a real report describes, in the items the writer knows; `None` for a report
/// without detection (TYP 0) or without one of the items every plot carries.
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

/// Every real CAT048 plot, written again from its decoded values, decodes to exactly the
/// same values: real values sit on the fields' grids, so nothing is lost to rounding.
#[test]
fn real_plots_rewritten_decode_to_the_same_values() {
    let Some(pcap) = vigil_testdata::path("asterix/cat_034_048.pcap") else {
        return;
    };
    let Some(raw) = vigil_testdata::path("asterix/cat048.raw") else {
        return;
    };
    let pcap = std::fs::read(pcap).unwrap();
    let mut streams: Vec<Vec<u8>> = read_capture(&pcap)
        .unwrap()
        .datagrams
        .iter()
        .map(|d| d.payload.to_vec())
        .collect();
    streams.push(std::fs::read(raw).unwrap());
    let decoder = ReportDecoder::new(tables::CAT048);
    let (mut rewritten, mut skipped) = (0, 0);
    let mut kinds = std::collections::BTreeMap::new();
    for stream in &streams {
        for block in split_blocks(stream) {
            let (cat, block) = block.unwrap();
            if cat != 48 {
                continue;
            }
            for report in decoder.reports(block) {
                let report = report.unwrap();
                let Some(plot) = plot_of(&report) else {
                    skipped += 1;
                    continue;
                };
                *kinds.entry(format!("{:?}", plot.kind)).or_insert(0) += 1;
                let bytes = round_trip(&plot);
                let (again, _) = decoder.decode(&bytes).unwrap();
                let psr = plot.kind == PlotKind::Psr;
                let keep = |on: bool| !psr && on;
                let d = report.descriptor.map(|d| {
                    let ext = d.test == Some(true) || d.military_emergency == Some(true);
                    cat048::Descriptor {
                        test: ext.then_some(d.test == Some(true)),
                        military_emergency: ext.then_some(d.military_emergency == Some(true)),
                        ..d
                    }
                });
                let want = Report {
                    descriptor: d,
                    mode3a: report.mode3a.filter(|_| keep(true)),
                    flight_level: report.flight_level.filter(|_| keep(true)),
                    address: report.address.filter(|_| keep(true)),
                    callsign: report.callsign.clone().filter(|_| keep(true)),
                    comms: report.comms.filter(|_| keep(true)),
                    plot: report.plot.filter(|p| *p != PlotCharacteristics::default()),
                    comm_b: Vec::new(),
                    cartesian: None,
                    track_status: None,
                    height_3d_ft: None,
                    ..report.clone()
                };
                assert_eq!(again, want);
                rewritten += 1;
            }
        }
    }
    eprintln!(
        "real CAT048 plots rewritten: {rewritten} ({kinds:?}); {skipped} skipped (TYP 0 or no position)"
    );
    assert!(rewritten > 100, "{rewritten}");
}

fn kind() -> impl Strategy<Value = PlotKind> {
    (0usize..7).prop_map(|i| PlotKind::ALL[i])
}

fn descriptor() -> impl Strategy<Value = DescriptorOut> {
    any::<[bool; 6]>().prop_map(|b| DescriptorOut {
        rdp_chain_2: b[0],
        spi: b[1],
        field_monitor: b[2],
        test: b[3],
        military_emergency: b[4],
        military_identification: b[5],
    })
}

fn mode_code() -> impl Strategy<Value = ModeCode> {
    (0u16..=0o7777, any::<[bool; 3]>()).prop_map(|(code, b)| ModeCode {
        code,
        validated: b[0],
        garbled: b[1],
        not_extracted: b[2],
    })
}

fn flight_level() -> impl Strategy<Value = FlightLevel> {
    (-2048.0..2047.8f64, any::<[bool; 2]>()).prop_map(|(fl, b)| FlightLevel {
        fl,
        validated: b[0],
        garbled: b[1],
    })
}

fn plot_characteristics() -> impl Strategy<Value = PlotCharacteristics> {
    let o = |lo: f64, hi: f64| proptest::option::of(lo..hi);
    (
        o(0.0, 11.2),
        proptest::option::of(any::<u8>()),
        o(-128.4, 127.4),
        o(0.0, 11.2),
        o(-128.4, 127.4),
        o(-0.5, 0.496),
        o(-2.8125, 2.79),
    )
        .prop_map(|(srl, srr, sam, prl, pam, rpd, apd)| PlotCharacteristics {
            ssr_runlength_deg: srl,
            ssr_replies: srr,
            ssr_amplitude_dbm: sam,
            psr_runlength_deg: prl,
            psr_amplitude_dbm: pam,
            range_diff_nm: rpd,
            azimuth_diff_deg: apd,
        })
}

fn comms_capability() -> impl Strategy<Value = CommsCapability> {
    (0u8..8, 0u8..8, any::<[bool; 4]>(), 0u8..2, 0u8..16).prop_map(|(com, stat, b, b1a, b1b)| {
        CommsCapability {
            com,
            stat,
            ii_capable: b[0],
            mssc: b[1],
            alt_25ft: b[2],
            aic: b[3],
            b1a,
            b1b,
        }
    })
}

/// Everything a plot can be, as owned values (the callsign is borrowed by `PlotOut`).
#[derive(Debug, Clone)]
struct Generated {
    head: (u8, u8, f64, PlotKind, bool, DescriptorOut, f64, f64),
    mode3a: Option<ModeCode>,
    flight_level: Option<FlightLevel>,
    plot: Option<PlotCharacteristics>,
    address: Option<u32>,
    callsign: Option<String>,
    track_number: Option<u16>,
    velocity: Option<(f64, f64)>,
    comms: Option<CommsCapability>,
}

impl Generated {
    fn plot(&self) -> PlotOut<'_> {
        let (sac, sic, time, kind, simulated, descriptor, rho, theta) = self.head;
        PlotOut {
            simulated,
            descriptor,
            mode3a: self.mode3a,
            flight_level: self.flight_level,
            plot: self.plot,
            address: self.address.map(IcaoAddress::new),
            callsign: self.callsign.as_deref(),
            track_number: self.track_number,
            velocity: self.velocity,
            comms: self.comms,
            ..PlotOut::new(sac, sic, time, kind, rho, theta)
        }
    }
}

fn generated() -> impl Strategy<Value = Generated> {
    (
        (
            any::<u8>(),
            any::<u8>(),
            0.0..=86_400.0f64,
            kind(),
            any::<bool>(),
            descriptor(),
            0.0..255.99f64,
            0.0..=360.0f64,
        ),
        proptest::option::of(mode_code()),
        proptest::option::of(flight_level()),
        proptest::option::of(plot_characteristics()),
        proptest::option::of(0u32..0x100_0000),
        proptest::option::of("[A-Z0-9 ]{0,8}"),
        proptest::option::of(0u16..4096),
        proptest::option::of((0.0..14_399.0f64, 0.0..=360.0f64)),
        proptest::option::of(comms_capability()),
    )
        .prop_map(
            |(
                head,
                mode3a,
                flight_level,
                plot,
                address,
                callsign,
                track_number,
                velocity,
                comms,
            )| {
                Generated {
                    head,
                    mode3a,
                    flight_level,
                    plot,
                    address,
                    callsign,
                    track_number,
                    velocity,
                    comms,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, failure_persistence: None, ..ProptestConfig::default() })]

    /// Any plot within the fields' ranges round-trips through the writer and both decoders.
    #[test]
    fn any_plot_round_trips(g in generated()) {
        round_trip(&g.plot());
    }
}

// ---- The independent decoder ----

/// `rec[item][field]...["val"]`.
fn val<'a>(rec: &'a Json, path: &[&str]) -> Option<&'a Json> {
    path.iter()
        .try_fold(rec, |j, k| j.get(*k))
        .and_then(|j| j.get("val"))
}

struct Compare {
    /// Values compared (present in what was sent or in what was decoded).
    fields: usize,
    mismatches: Vec<String>,
}

impl Compare {
    fn num(&mut self, at: &str, rec: &Json, path: &[&str], want: Option<f64>, tol: f64) {
        let got = val(rec, path).and_then(Json::as_f64);
        self.fields += usize::from(got.is_some() || want.is_some());
        let ok = match (got, want) {
            (Some(g), Some(w)) => (g - w).abs() <= tol,
            (g, w) => g.is_none() && w.is_none(),
        };
        if !ok {
            self.mismatches.push(format!(
                "{at} {}: decoded {got:?}, sent {want:?} ± {tol}",
                path.join("/")
            ));
        }
    }

    fn flag(&mut self, at: &str, rec: &Json, path: &[&str], want: Option<bool>) {
        self.num(at, rec, path, want.map(|b| f64::from(u8::from(b))), 0.0);
    }

    fn text(&mut self, at: &str, rec: &Json, path: &[&str], want: Option<String>) {
        let got = val(rec, path).map(|v| match v {
            Json::String(s) => s.clone(),
            other => other.to_string(),
        });
        self.fields += usize::from(got.is_some() || want.is_some());
        if got != want {
            self.mismatches.push(format!(
                "{at} {}: decoded {got:?}, sent {want:?}",
                path.join("/")
            ));
        }
    }
}

/// Compares what the peer decoded with what was written. Angles are sent wrapped, so the
/// expected value is the one the wire carries (360° is 0°, midnight is 0 s).
fn compare(c: &mut Compare, i: usize, p: &PlotOut<'_>, rec: &Json) {
    let at = format!("record {i} ({:?})", p.kind);
    if rec.get("category").and_then(Json::as_u64) != Some(48) {
        c.mismatches.push(format!("{at}: not CAT048: {rec}"));
        return;
    }
    let wrap = |v: f64, period: f64, lsb: f64| {
        let q = (v / lsb).round() * lsb;
        if q >= period { q - period } else { q }
    };
    c.num(&at, rec, &["I010", "SAC"], Some(p.sac.into()), 0.0);
    c.num(&at, rec, &["I010", "SIC"], Some(p.sic.into()), 0.0);
    let tod = wrap(p.time_of_day_s, 86_400.0, 1.0 / 128.0);
    c.num(&at, rec, &["I140", "ToD"], Some(tod), EPS);
    c.num(&at, rec, &["I020", "TYP"], Some(p.kind.typ().into()), 0.0);
    c.flag(&at, rec, &["I020", "SIM"], Some(p.simulated));
    let d = &p.descriptor;
    c.flag(&at, rec, &["I020", "RDP"], Some(d.rdp_chain_2));
    c.flag(&at, rec, &["I020", "SPI"], Some(d.spi));
    c.flag(&at, rec, &["I020", "RAB"], Some(d.field_monitor));
    let ext = d.test || d.military_emergency || d.military_identification;
    c.flag(&at, rec, &["I020", "TST"], ext.then_some(d.test));
    c.flag(
        &at,
        rec,
        &["I020", "ME"],
        ext.then_some(d.military_emergency),
    );
    c.flag(
        &at,
        rec,
        &["I020", "MI"],
        ext.then_some(d.military_identification),
    );
    c.num(&at, rec, &["I040", "RHO"], Some(p.rho_nm), HALF_RHO_LSB);
    let theta = wrap(p.theta_deg, 360.0, 360.0 / 65_536.0);
    c.num(&at, rec, &["I040", "THETA"], Some(theta), EPS);
    let ssr = p.kind.has_transponder();
    let m = p.mode3a.filter(|_| ssr);
    c.text(
        &at,
        rec,
        &["I070", "Mode3A"],
        m.map(|m| format!("{:04o}", m.code)),
    );
    c.flag(&at, rec, &["I070", "V"], m.map(|m| !m.validated));
    c.flag(&at, rec, &["I070", "G"], m.map(|m| m.garbled));
    c.flag(&at, rec, &["I070", "L"], m.map(|m| m.not_extracted));
    let fl = p.flight_level.filter(|_| ssr);
    c.num(&at, rec, &["I090", "FL"], fl.map(|f| f.fl), 0.125 + EPS);
    c.flag(&at, rec, &["I090", "V"], fl.map(|f| !f.validated));
    c.flag(&at, rec, &["I090", "G"], fl.map(|f| f.garbled));
    let pc = p.plot.unwrap_or_default();
    let rl = 180.0 / 8192.0 + EPS;
    c.num(&at, rec, &["I130", "SRLP", "SRL"], pc.ssr_runlength_deg, rl);
    let srr = pc.ssr_replies.map(f64::from);
    c.num(&at, rec, &["I130", "SRRP", "SRR"], srr, 0.0);
    let half_db = 0.5 + EPS;
    c.num(
        &at,
        rec,
        &["I130", "SAMP", "SAM"],
        pc.ssr_amplitude_dbm,
        half_db,
    );
    c.num(&at, rec, &["I130", "PRLP", "PRL"], pc.psr_runlength_deg, rl);
    c.num(
        &at,
        rec,
        &["I130", "PAMP", "PAM"],
        pc.psr_amplitude_dbm,
        half_db,
    );
    c.num(
        &at,
        rec,
        &["I130", "RPDP", "RPD"],
        pc.range_diff_nm,
        HALF_RHO_LSB,
    );
    let apd = 180.0 / 16_384.0 + EPS;
    c.num(&at, rec, &["I130", "APDP", "APD"], pc.azimuth_diff_deg, apd);
    let address = p.address.filter(|_| ssr);
    c.text(
        &at,
        rec,
        &["I220", "ACAddr"],
        address.map(|a| format!("{:06X}", a.value())),
    );
    let callsign = p.callsign.filter(|_| ssr);
    c.text(
        &at,
        rec,
        &["I240", "TId"],
        callsign.map(|s| format!("{s:<8}")),
    );
    c.num(
        &at,
        rec,
        &["I161", "Tn"],
        p.track_number.map(f64::from),
        0.0,
    );
    let v = p.velocity;
    c.num(&at, rec, &["I200", "CGS"], v.map(|v| v.0), HALF_GSP_LSB_KT);
    let hdg = v.map(|v| wrap(v.1, 360.0, 360.0 / 65_536.0));
    c.num(&at, rec, &["I200", "CHdg"], hdg, EPS);
    let cm = p.comms.filter(|_| ssr);
    let n = |f: fn(&CommsCapability) -> u8| cm.as_ref().map(|c| f64::from(f(c)));
    c.num(&at, rec, &["I230", "COM"], n(|c| c.com), 0.0);
    c.num(&at, rec, &["I230", "STAT"], n(|c| c.stat), 0.0);
    c.num(&at, rec, &["I230", "SI"], n(|c| c.ii_capable.into()), 0.0);
    c.num(&at, rec, &["I230", "ModeSSSC"], n(|c| c.mssc.into()), 0.0);
    c.num(&at, rec, &["I230", "ARC"], n(|c| c.alt_25ft.into()), 0.0);
    c.num(&at, rec, &["I230", "AIC"], n(|c| c.aic.into()), 0.0);
    c.num(&at, rec, &["I230", "BDS16"], n(|c| c.b1a), 0.0);
    c.num(&at, rec, &["I230", "BDS37"], n(|c| c.b1b), 0.0);
}

/// Deterministic plots covering every kind, flag and optional item (a small linear
/// congruential generator: the peer run must be reproducible).
fn peer_plots() -> Vec<Generated> {
    let mut s = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        s = s
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        s >> 11
    };
    let mut unit = move || next() as f64 / (1u64 << 53) as f64;
    let mut plots = Vec::new();
    for i in 0..1_200usize {
        let mut u = || unit();
        let some = |u: f64| u < 0.7;
        let b = |u: f64| u < 0.3;
        let kind = PlotKind::ALL[i % 7];
        let callsign = format!("VGL{:04}", i % 10_000);
        let head = (
            25,
            (i / 100) as u8,
            u() * 86_400.0,
            kind,
            b(u()),
            DescriptorOut {
                rdp_chain_2: b(u()),
                spi: b(u()),
                field_monitor: b(u()),
                test: b(u()),
                military_emergency: b(u()),
                military_identification: b(u()),
            },
            u() * 255.99,
            u() * 360.0,
        );
        let mode3a = some(u()).then(|| ModeCode {
            code: (u() * 4096.0) as u16 & 0o7777,
            validated: !b(u()),
            garbled: b(u()),
            not_extracted: b(u()),
        });
        // The peer reads 1.21, whose FL is signed like 1.32.
        let flight_level = some(u()).then(|| FlightLevel {
            fl: -12.0 + u() * 1282.0,
            validated: !b(u()),
            garbled: b(u()),
        });
        let opt = |u: f64, v: f64| (u < 0.5).then_some(v);
        let plot = some(u()).then(|| PlotCharacteristics {
            ssr_runlength_deg: opt(u(), u() * 11.0),
            ssr_replies: opt(u(), (u() * 255.0).round()).map(|v| v as u8),
            ssr_amplitude_dbm: opt(u(), -100.0 + u() * 100.0),
            psr_runlength_deg: opt(u(), u() * 11.0),
            psr_amplitude_dbm: opt(u(), -100.0 + u() * 100.0),
            range_diff_nm: opt(u(), -0.49 + u() * 0.98),
            azimuth_diff_deg: opt(u(), -2.7 + u() * 5.4),
        });
        let address = some(u()).then(|| (u() * 16_777_215.0) as u32);
        let callsign = some(u()).then_some(callsign);
        let track_number = some(u()).then(|| (u() * 4095.0) as u16);
        let velocity = some(u()).then(|| (u() * 1_200.0, u() * 360.0));
        let comms = some(u()).then(|| CommsCapability {
            com: (u() * 8.0) as u8 & 7,
            stat: (u() * 8.0) as u8 & 7,
            ii_capable: b(u()),
            mssc: b(u()),
            alt_25ft: b(u()),
            aic: b(u()),
            b1a: u8::from(b(u())),
            b1b: (u() * 16.0) as u8 & 15,
        });
        plots.push(Generated {
            head,
            mode3a,
            flight_level,
            plot,
            address,
            callsign,
            track_number,
            velocity,
            comms,
        });
    }
    plots
}

#[test]
fn plots_match_asterix_decoder() {
    let plots = peer_plots();
    let mut blocks = BlockWriter::new(48, 1_400).unwrap();
    for g in &plots {
        let p = g.plot();
        round_trip(&p);
        blocks.push_with(|out| p.encode_into(out)).unwrap();
    }
    let Some((decoded, stderr)) = peer::decode_with_peer(blocks.as_bytes(), "cat048-out") else {
        return;
    };
    assert_eq!(decoded.len(), plots.len(), "records decoded by the peer");
    let mut c = Compare {
        fields: 0,
        mismatches: Vec::new(),
    };
    for (i, (g, rec)) in plots.iter().zip(&decoded).enumerate() {
        compare(&mut c, i, &g.plot(), rec);
    }
    eprintln!(
        "asterix_decoder peer ({}): {} CAT048 records in {} blocks of at most 1,400 bytes; \
         {} field values compared, {} mismatches",
        stderr.trim(),
        plots.len(),
        blocks.block_count(),
        c.fields,
        c.mismatches.len()
    );
    let shown: Vec<&String> = c.mismatches.iter().take(40).collect();
    assert!(c.mismatches.is_empty(), "mismatches (first 40): {shown:#?}");
}
