//! Typed decoding of the single raw sample blocks, and decode → encode on every record of
//! every sample file.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failure should stop loudly.

mod common;

use vigil_asterix::modes::{Bds40, CommB};
use vigil_asterix::pcap::read_capture;
use vigil_asterix::{
    DataBlock, Decoder, cat021, cat034, cat048, cat062, cat065, expansion, tables,
};
use vigil_core::{IcaoAddress, LatLon};

fn blocks<'a>(test: &str, bytes: &'a [u8]) -> Vec<DataBlock<'a>> {
    let mut d = Decoder::new();
    let out: Vec<DataBlock<'a>> = d.decode(bytes).into_iter().map(|b| b.unwrap()).collect();
    assert_eq!(d.stats.errors, 0, "{test}");
    out
}

fn check<T: PartialEq + std::fmt::Debug>(what: &str, got: T, expected: T) {
    assert_eq!(got, expected, "{what}");
}

#[test]
fn cat048_raw_typed_report() {
    let Some(bytes) = common::data("cat048_raw_typed_report", "cat048.raw") else {
        return;
    };
    let b = blocks("cat048.raw", &bytes);
    let r = cat048::Report::from_record(&b[0].records[0]);
    let (gs, hdg) = r.velocity.unwrap();
    assert!((gs - 434.3994141).abs() < 1e-6 && (hdg - 124.0026855).abs() < 1e-6);
    let expected = cat048::Report {
        sac_sic: Some((25, 201)),
        time_of_day_s: Some(27354.6015625),
        descriptor: Some(cat048::Descriptor {
            typ: 5,
            simulated: false,
            rdp_chain_2: false,
            spi: false,
            field_monitor: false,
            test: None,
            military_emergency: None,
        }),
        polar: Some((50607.0 / 256.0, 61920.0 * 360.0 / 65536.0)),
        mode3a: Some(cat048::ModeCode {
            code: 0o1000,
            validated: true,
            garbled: false,
            not_extracted: false,
        }),
        flight_level: Some(cat048::FlightLevel {
            fl: 330.0,
            validated: true,
            garbled: false,
        }),
        plot: None,
        address: Some(IcaoAddress::new(0x3C660C)),
        callsign: Some("DLH65A  ".into()),
        comm_b: vec![CommB::Bds40(Bds40 {
            mcp_altitude_ft: Some(33008.0),
            fms_altitude_ft: None,
            baro_setting_hpa: Some(1027.0),
            modes: None,
            target_alt_source: None,
        })],
        track_number: Some(3563),
        cartesian: None,
        velocity: r.velocity,
        track_status: Some(cat048::TrackStatus {
            confirmed: true,
            rad: 2,
            doubtful: false,
            manoeuvre: false,
            climb_descent: 0,
            end_of_track: Some(false),
            ghost: Some(false),
        }),
        height_3d_ft: None,
        comms: Some(cat048::CommsCapability {
            com: 1,
            stat: 0,
            ii_capable: false,
            mssc: true,
            alt_25ft: true,
            aic: true,
            b1a: 1,
            b1b: 5,
        }),
    };
    check("cat048.raw", r, expected);
}

#[test]
fn cat034_raw_typed_message() {
    let Some(bytes) = common::data("cat034_raw_typed_message", "cat034.raw") else {
        return;
    };
    let b = blocks("cat034.raw", &bytes);
    let m = cat034::Message::from_record(&b[0].records[0]);
    let expected = cat034::Message {
        sac_sic: Some((25, 14)),
        message_type: Some(cat034::MessageType::SectorCrossing),
        time_of_day_s: Some(3828011.0 / 128.0),
        sector_deg: Some(90.0),
        rotation_period_s: None,
        status: Some(cat034::SystemStatus {
            operational: true,
            rdp_chain_2: true,
            rdp_reset: false,
            rdp_overload: false,
            transmission_overload: false,
            monitoring_disconnected: false,
            time_source_invalid: false,
        }),
        position: None,
    };
    check("cat034.raw", m, expected);
}

#[test]
fn cat062_cat065_raw_typed_tracks() {
    let Some(bytes) = common::data("cat062_cat065_raw_typed_tracks", "cat062cat065.raw") else {
        return;
    };
    let b = blocks("cat062cat065.raw", &bytes);
    assert_eq!(b.len(), 2);
    let t0 = cat062::Track::from_record(&b[0].records[0]);
    let t1 = cat062::Track::from_record(&b[0].records[1]);
    let cases: Vec<(&str, String, String)> = vec![
        (
            "sac_sic",
            format!("{:?}", t0.sac_sic),
            format!("{:?}", Some((25u8, 100u8))),
        ),
        (
            "service",
            format!("{:?}", t0.service_id),
            format!("{:?}", Some(4u8)),
        ),
        (
            "time",
            format!("{:?}", t0.time_of_track_s),
            format!("{:?}", Some(3956693.0 / 128.0)),
        ),
        (
            "position",
            format!("{:?}", t0.position),
            format!(
                "{:?}",
                Some(LatLon::new(
                    8339099.0 * 180.0 / 33554432.0,
                    2431117.0 * 180.0 / 33554432.0,
                ))
            ),
        ),
        (
            "cartesian",
            format!("{:?}", t0.cartesian_m),
            format!("{:?}", Some((-239083.0, -106114.0))),
        ),
        (
            "velocity",
            format!("{:?}", t0.velocity_m_s),
            format!("{:?}", Some((-51.25, 170.0))),
        ),
        (
            "mode3a",
            format!("{:?}", t0.mode3a.map(|m| format!("{:04o}", m.code))),
            format!("{:?}", Some("4276".to_owned())),
        ),
        (
            "track number",
            format!("{:?}", t0.track_number),
            format!("{:?}", Some(4980u16)),
        ),
        (
            "measured fl",
            format!("{:?}", t0.measured_fl),
            format!("{:?}", Some(157.0)),
        ),
        (
            "geometric alt",
            format!("{:?}", t0.geometric_altitude_ft),
            format!("{:?}", Some(43300.0)),
        ),
        (
            "rate of climb",
            format!("{:?}", t0.rate_of_climb_ft_min),
            format!("{:?}", Some(-443.75)),
        ),
        (
            "ages",
            format!("{:?}", t0.ages.map(|a| (a.psr, a.ssr, a.mode_s))),
            format!("{:?}", Some((Some(7.25), Some(0.0), Some(63.75)))),
        ),
        (
            "status",
            format!(
                "{:?}",
                t0.status.map(|s| (s.multisensor, s.confirmed, s.coasting))
            ),
            format!("{:?}", Some((true, true, Some(false)))),
        ),
        (
            "adr",
            format!("{:?}", t1.aircraft.as_ref().and_then(|a| a.address)),
            format!("{:?}", Some(IcaoAddress::new(0x3C0A55))),
        ),
        (
            "acid",
            format!(
                "{:?}",
                t1.aircraft.as_ref().and_then(|a| a.callsign.clone())
            ),
            format!("{:?}", Some("SXD4723 ".to_owned())),
        ),
        (
            "flight plan",
            format!("{:?}", t1.flight_plan.clone()),
            format!(
                "{:?}",
                Some(cat062::FlightPlan {
                    callsign: Some("SXD4723".into()),
                    aircraft_type: Some("B738".into()),
                    wake_category: Some("M".into()),
                    departure: Some("EDDL".into()),
                    destination: Some("HELX".into()),
                    cleared_fl: Some(350.0),
                })
            ),
        ),
    ];
    for (what, got, expected) in cases {
        check(what, got, expected);
    }
    let m = cat065::Message::from_record(&b[1].records[0]);
    let expected = cat065::Message {
        sac_sic: Some((25, 100)),
        message_type: Some(2),
        service_id: Some(4),
        time_of_day_s: Some(0x3C6087 as f64 / 128.0),
        batch_number: Some(24),
        nogo: None,
    };
    check("cat065", m, expected);
}

#[test]
fn cat021_with_reserved_expansion_field() {
    let Some(bytes) = common::data("cat021_with_reserved_expansion_field", "cat21_re.ast") else {
        return;
    };
    let b = blocks("cat21_re.ast", &bytes);
    assert_eq!(b.len(), 2);
    let cases = [
        (
            0,
            0x000001,
            2864958,
            16410042,
            [
                ("SGV/STP", 1),
                ("SGV/HTS", 1),
                ("SGV/HTT", 1),
                ("SGV/HRD", 1),
                ("SGV/GSS", 0),
                ("SGV/HGT", 49),
            ],
        ),
        (
            1,
            0x000002,
            2864954,
            16410035,
            [
                ("SGV/STP", 0),
                ("SGV/HTS", 1),
                ("SGV/HTT", 1),
                ("SGV/HRD", 1),
                ("SGV/GSS", 120),
                ("SGV/HGT", 32),
            ],
        ),
    ];
    for (i, addr, lat, lon, re) in cases {
        let rec = &b[i].records[0];
        let r = cat021::Report::from_record(rec);
        check("address", r.address, Some(IcaoAddress::new(addr)));
        let lon = lon as i64 - (1 << 24);
        check(
            "position",
            r.position,
            Some(LatLon::new(
                lat as f64 * 180.0 / 8388608.0,
                lon as f64 * 180.0 / 8388608.0,
            )),
        );
        let re_item = rec.item("RE").unwrap();
        let (_, leaves) = expansion(rec, re_item).unwrap().unwrap();
        let got: Vec<(&str, u64)> = leaves.iter().map(|l| (l.path.as_str(), l.raw)).collect();
        check("RE", got, re.to_vec());
    }
}

/// Every record of every sample decodes and re-encodes to the same octets, with the default
/// editions and with the older ones.
#[test]
fn every_sample_record_round_trips() {
    let mut payloads: Vec<Vec<u8>> = Vec::new();
    for f in [
        "cat048.raw",
        "cat034.raw",
        "cat062cat065.raw",
        "cat21_re.ast",
    ] {
        let Some(b) = common::data("every_sample_record_round_trips", f) else {
            return;
        };
        payloads.push(b);
    }
    for f in ["cat_034_048.pcap", "cat_062_065.pcap"] {
        let Some(b) = common::data("every_sample_record_round_trips", f) else {
            return;
        };
        payloads.extend(
            read_capture(&b)
                .unwrap()
                .datagrams
                .iter()
                .map(|d| d.payload.to_vec()),
        );
    }
    let older = Decoder::new()
        .with_category(&tables::cat048_1_27::CATEGORY)
        .with_category(&tables::cat062_1_18::CATEGORY);
    let mut per_cat = std::collections::BTreeMap::<u8, usize>::new();
    for mut decoder in [Decoder::new(), older] {
        for p in &payloads {
            for block in decoder.decode(p) {
                let block = block.unwrap();
                assert_eq!(block.encode().unwrap(), block.bytes);
                for r in &block.records {
                    assert_eq!(r.encode().unwrap(), r.bytes);
                    *per_cat.entry(block.category.cat).or_default() += 1;
                }
            }
        }
    }
    eprintln!("round trip (two edition sets): records per category {per_cat:?}");
    assert_eq!(per_cat.get(&48), Some(&(2 * 129)));
    assert_eq!(per_cat.get(&62), Some(&(2 * 4)));
}

/// CAT001/002 have no tables here: their blocks are skipped and counted, never an error.
/// The capture wraps each block in an ORADIS frame (u16 length, 4 more octets, the block).
#[test]
fn unknown_categories_are_skipped_and_counted() {
    let Some(b) = common::data(
        "unknown_categories_are_skipped_and_counted",
        "cat_001_002.pcap",
    ) else {
        return;
    };
    let cap = read_capture(&b).unwrap();
    let mut d = Decoder::new();
    let mut frames = 0;
    for dg in &cap.datagrams {
        let mut rest = dg.payload;
        while rest.len() >= 6 {
            let len = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
            let block = &rest[6..len.min(rest.len())];
            assert!(
                d.decode(block).is_empty(),
                "CAT{:03} has no table",
                block[0]
            );
            rest = &rest[len.max(6).min(rest.len())..];
            frames += 1;
        }
    }
    eprintln!("cat_001_002.pcap: {frames} ORADIS frames, {:?}", d.stats);
    assert!(frames > 0);
    assert_eq!(d.stats.unknown_category_blocks, frames);
    assert_eq!(d.stats.errors, 0);
    // Without the ORADIS framing the first octets are not a block header: a typed error.
    let mut raw = Decoder::new();
    assert!(
        raw.decode(cap.datagrams[0].payload)
            .iter()
            .all(|b| b.is_err())
            || raw.stats.unknown_category_blocks > 0
    );
}
