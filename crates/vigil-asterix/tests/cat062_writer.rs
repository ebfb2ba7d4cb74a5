//! The CAT062 track writer: what it writes decodes (with either edition) to the values it was
//! given, within each field's resolution; its fast layout is byte-identical to the generic
//! encoder's; values it cannot carry are typed errors; blocks stay under the size limit.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failure should stop loudly.

use proptest::prelude::*;
use vigil_asterix::cat062::{AgesOut, StatusOut, Track, TrackOut};
use vigil_asterix::{BlockWriter, Decoder, EncodeError, Record, encode_record, tables};
use vigil_core::{IcaoAddress, LatLon};

/// Half an LSB of I105 (180 / 2^25 degrees), plus float noise.
const HALF_LATLON_LSB: f64 = 90.0 / 33_554_432.0 + 1e-12;

fn close(what: &str, got: Option<f64>, want: Option<f64>, tol: f64) {
    match (got, want) {
        (Some(g), Some(w)) => assert!((g - w).abs() <= tol, "{what}: got {g}, want {w} ± {tol}"),
        (g, w) => assert_eq!(g.is_some(), w.is_some(), "{what}: got {g:?}, want {w:?}"),
    }
}

/// Encodes `t` both ways, decodes with both CAT062 editions, and checks every value.
fn round_trip(t: &TrackOut<'_>) -> Vec<u8> {
    let bytes = t.encode().unwrap();
    let items = t.items().unwrap();
    let generic = encode_record(tables::CAT062, items.iter().map(|(f, v)| (*f, v))).unwrap();
    assert_eq!(
        bytes, generic,
        "fast layout differs from the generic encoder"
    );

    let mut decoded = Vec::new();
    for cat in [tables::CAT062, &tables::cat062_1_18::CATEGORY] {
        let (rec, used) = Record::decode(cat, &bytes).unwrap();
        assert_eq!(used, bytes.len());
        assert_eq!(rec.encode().unwrap(), bytes, "{} re-encoding", cat.edition);
        decoded.push(Track::from_record(&rec));
    }
    assert_eq!(
        decoded[0], decoded[1],
        "1.18 and 1.21 read the record the same"
    );
    let d = &decoded[0];

    assert_eq!(d.sac_sic, Some((t.sac, t.sic)));
    assert_eq!(d.service_id, t.service_id);
    assert_eq!(d.track_number, Some(t.track_number));
    let tot = d.time_of_track_s.unwrap();
    let dt = (tot - t.time_of_track_s).rem_euclid(86_400.0);
    assert!(
        dt.min(86_400.0 - dt) <= 1.0 / 256.0 + 1e-9,
        "time {tot} vs {}",
        t.time_of_track_s
    );
    let p = d.position.unwrap();
    assert!((p.lat - t.position.lat).abs() <= HALF_LATLON_LSB, "lat");
    assert!((p.lon - t.position.lon).abs() <= HALF_LATLON_LSB, "lon");
    close(
        "x",
        d.cartesian_m.map(|c| c.0),
        t.cartesian_m.map(|c| c.0),
        0.25,
    );
    close(
        "y",
        d.cartesian_m.map(|c| c.1),
        t.cartesian_m.map(|c| c.1),
        0.25,
    );
    close(
        "vx",
        d.velocity_m_s.map(|v| v.0),
        t.velocity_m_s.map(|v| v.0),
        0.125,
    );
    close(
        "vy",
        d.velocity_m_s.map(|v| v.1),
        t.velocity_m_s.map(|v| v.1),
        0.125,
    );
    match (d.mode3a, t.mode3a) {
        (Some(m), Some(code)) => {
            assert_eq!(m.code, code);
            assert!(m.validated && !m.garbled && !m.not_extracted);
        }
        (m, c) => assert_eq!(m.is_some(), c.is_some()),
    }
    let fl = |ft: Option<f64>| ft.map(|f| f / 100.0);
    close("I136", d.measured_fl, fl(t.measured_altitude_ft), 0.125);
    close("I135", d.barometric_fl, fl(t.barometric_altitude_ft), 0.125);
    close(
        "I130",
        d.geometric_altitude_ft,
        t.geometric_altitude_ft,
        3.125,
    );
    close(
        "I220",
        d.rate_of_climb_ft_min,
        t.rate_of_climb_ft_min,
        3.125,
    );

    let s = d.status.unwrap();
    let w = t.status;
    assert_eq!(
        (s.multisensor, s.spi, s.altitude_source, s.confirmed),
        (!w.monosensor, w.spi, w.altitude_source, !w.tentative)
    );
    // Extensions without a set flag are not sent; receivers read them as zeros.
    let off = |f: Option<bool>| f.unwrap_or(false);
    assert_eq!(
        (
            off(s.simulated),
            off(s.end_of_track),
            off(s.start_of_track),
            off(s.flight_plan_correlated),
            off(s.coasting)
        ),
        (
            w.simulated,
            w.end_of_track,
            w.start_of_track,
            w.flight_plan_correlated,
            w.coasting
        )
    );

    let sent_ages = t.ages.filter(|a| {
        [a.track, a.psr, a.ssr, a.mode_s, a.es, a.mlat]
            .iter()
            .any(Option::is_some)
    });
    match (d.ages, sent_ages) {
        (Some(g), Some(a)) => {
            let sat = |v: Option<f64>| v.map(|v| v.min(63.75));
            close("TRK", g.track, sat(a.track), 0.125);
            close("PSR", g.psr, sat(a.psr), 0.125);
            close("SSR", g.ssr, sat(a.ssr), 0.125);
            close("MDS", g.mode_s, sat(a.mode_s), 0.125);
            close("ES", g.es, sat(a.es), 0.125);
            close("MLT", g.mlat, sat(a.mlat), 0.125);
            assert_eq!((g.ads_c, g.psr.is_some()), (None, a.psr.is_some()));
        }
        (g, a) => assert_eq!(g.is_some(), a.is_some(), "I290"),
    }
    match (&d.aircraft, t.address.is_some() || t.callsign.is_some()) {
        (Some(ac), true) => {
            assert_eq!(ac.address, t.address);
            assert_eq!(ac.callsign, t.callsign.map(|c| format!("{c:<8}")));
        }
        (ac, sent) => assert_eq!(ac.is_some(), sent, "I380"),
    }
    bytes
}

fn sample(callsign: &str) -> TrackOut<'_> {
    TrackOut {
        service_id: Some(4),
        cartesian_m: Some((-239_083.0, -106_114.0)),
        velocity_m_s: Some((-51.25, 170.0)),
        mode3a: Some(0o4276),
        address: Some(IcaoAddress::new(0x4ca1f3)),
        callsign: Some(callsign),
        measured_altitude_ft: Some(15_700.0),
        geometric_altitude_ft: Some(16_300.0),
        barometric_altitude_ft: Some(15_700.0),
        rate_of_climb_ft_min: Some(-443.75),
        status: StatusOut {
            altitude_source: 4,
            coasting: true,
            ..StatusOut::default()
        },
        ages: Some(AgesOut {
            psr: Some(7.25),
            ssr: Some(0.0),
            mode_s: Some(100.0),
            mlat: Some(1.5),
            ..AgesOut::default()
        }),
        ..TrackOut::new(25, 100, 4980, 30_911.664, LatLon::new(44.734413, 13.041528))
    }
}

#[test]
fn a_full_track_round_trips() {
    let bytes = round_trip(&sample("RYR4GK"));
    // FSPEC (three octets), then items in UAP order; the I290 primary subfield needs two
    // octets for MLT.
    assert_eq!(&bytes[..3], &[0b1011_1111, 0b0101_1111, 0b0011_1100]);
    let minimal = TrackOut::new(1, 2, 3, 0.0, LatLon::new(0.0, 0.0));
    assert_eq!(
        round_trip(&minimal),
        [
            0b1001_1001,
            0b0000_1100, // FSPEC: I010, I070, I105 | I040, I080
            1,
            2, // I010
            0,
            0,
            0, // I070
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0, // I105
            0,
            3, // I040
            0, // I080: confirmed multisensor, no extension
        ]
    );
}

#[test]
fn midnight_wraps_and_extremes_fit() {
    let t = TrackOut::new(0, 0, u16::MAX, 86_399.999, LatLon::new(-90.0, 180.0));
    let bytes = round_trip(&t);
    let (rec, _) = Record::decode(tables::CAT062, &bytes).unwrap();
    assert_eq!(Track::from_record(&rec).time_of_track_s, Some(0.0));
    round_trip(&TrackOut::new(0, 0, 0, 0.0, LatLon::new(90.0, -180.0)));
}

#[test]
fn values_it_cannot_carry_are_typed_errors() {
    let base = || TrackOut::new(1, 1, 1, 100.0, LatLon::new(50.0, 5.0));
    let out_of_range = |t: TrackOut<'_>, item: &str, field: &str| {
        let mut buf = vec![0xaa];
        match t.encode_into(&mut buf) {
            Err(EncodeError::OutOfRange {
                item: i, field: f, ..
            }) => {
                assert_eq!((i, f), (item, field));
            }
            other => panic!("{item}/{field}: {other:?}"),
        }
        assert_eq!(buf, [0xaa], "nothing written on error");
    };
    out_of_range(
        TrackOut {
            time_of_track_s: -1.0,
            ..base()
        },
        "070",
        "ToT",
    );
    out_of_range(
        TrackOut {
            time_of_track_s: f64::NAN,
            ..base()
        },
        "070",
        "ToT",
    );
    out_of_range(
        TrackOut {
            time_of_track_s: 86_401.0,
            ..base()
        },
        "070",
        "ToT",
    );
    out_of_range(
        TrackOut {
            position: LatLon::new(90.1, 0.0),
            ..base()
        },
        "105",
        "LAT",
    );
    out_of_range(
        TrackOut {
            position: LatLon::new(0.0, f64::INFINITY),
            ..base()
        },
        "105",
        "LON",
    );
    out_of_range(
        TrackOut {
            cartesian_m: Some((0.0, 5e6)),
            ..base()
        },
        "100",
        "Y",
    );
    out_of_range(
        TrackOut {
            velocity_m_s: Some((9000.0, 0.0)),
            ..base()
        },
        "185",
        "VX",
    );
    out_of_range(
        TrackOut {
            mode3a: Some(0o10000),
            ..base()
        },
        "060",
        "MODE3A",
    );
    out_of_range(
        TrackOut {
            measured_altitude_ft: Some(1e7),
            ..base()
        },
        "136",
        "MFL",
    );
    out_of_range(
        TrackOut {
            barometric_altitude_ft: Some(-5e5),
            ..base()
        },
        "135",
        "CTB",
    );
    out_of_range(
        TrackOut {
            geometric_altitude_ft: Some(3e5),
            ..base()
        },
        "130",
        "ALT",
    );
    out_of_range(
        TrackOut {
            rate_of_climb_ft_min: Some(f64::NAN),
            ..base()
        },
        "220",
        "ROC",
    );
    let ages = Some(AgesOut {
        es: Some(-0.5),
        ..AgesOut::default()
    });
    out_of_range(TrackOut { ages, ..base() }, "290", "ES");
    let status = StatusOut {
        altitude_source: 8,
        ..StatusOut::default()
    };
    out_of_range(TrackOut { status, ..base() }, "080", "SRC");
    for bad in ["ryr123", "ABCDEFGHI", "AB-12", "ÄB"] {
        let r = TrackOut {
            callsign: Some(bad),
            ..base()
        }
        .encode();
        assert!(
            matches!(r, Err(EncodeError::BadText { .. })),
            "{bad}: {r:?}"
        );
    }
    // An I290 with no age is left out rather than sent empty.
    let t = TrackOut {
        ages: Some(AgesOut::default()),
        ..base()
    };
    assert_eq!(t.encode().unwrap(), base().encode().unwrap());
}

#[test]
fn blocks_stay_under_the_datagram_limit_and_decode_in_order() {
    let mut w = BlockWriter::new(62, 1_400).unwrap();
    let callsigns: Vec<String> = (0..500).map(|i| format!("TST{i:04}")).collect();
    for (i, cs) in callsigns.iter().enumerate() {
        let t = TrackOut {
            track_number: i as u16,
            ..sample(cs)
        };
        w.push_with(|out| t.encode_into(out)).unwrap();
    }
    assert_eq!(w.record_count(), 500);
    assert!(w.block_count() > 1);
    let mut decoder = Decoder::new();
    let mut next = 0u16;
    for block in w.blocks() {
        assert!(block.len() <= 1_400, "{}", block.len());
        for b in decoder.decode(block) {
            for r in &b.unwrap().records {
                assert_eq!(Track::from_record(r).track_number, Some(next));
                next += 1;
            }
        }
    }
    assert_eq!(next, 500);
    assert_eq!(decoder.stats.errors, 0);
    // The same blocks back to back are a valid stream too.
    assert_eq!(Decoder::new().decode(w.as_bytes()).len(), w.block_count());
}

fn status() -> impl Strategy<Value = StatusOut> {
    (any::<[bool; 8]>(), 0u8..8).prop_map(|(b, src)| StatusOut {
        monosensor: b[0],
        spi: b[1],
        altitude_source: src,
        tentative: b[2],
        simulated: b[3],
        end_of_track: b[4],
        start_of_track: b[5],
        flight_plan_correlated: b[6],
        coasting: b[7],
    })
}

fn ages() -> impl Strategy<Value = Option<AgesOut>> {
    let age = || proptest::option::of(0.0..100.0f64);
    proptest::option::of((age(), age(), age(), age(), age(), age()).prop_map(
        |(track, psr, ssr, mode_s, es, mlat)| AgesOut {
            track,
            psr,
            ssr,
            mode_s,
            es,
            mlat,
        },
    ))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    /// Any track within the fields' ranges round-trips through the writer and the decoder.
    #[test]
    fn any_track_round_trips(
        ids in (any::<u8>(), any::<u8>(), proptest::option::of(any::<u8>()), any::<u16>()),
        time in 0.0..86_400.0f64,
        pos in (-90.0..=90.0f64, -180.0..=180.0f64),
        cart in proptest::option::of((-4.0e6..4.0e6f64, -4.0e6..4.0e6f64)),
        vel in proptest::option::of((-8000.0..8000.0f64, -8000.0..8000.0f64)),
        code in proptest::option::of(0u16..=0o7777),
        address in proptest::option::of(0u32..0x100_0000),
        callsign in proptest::option::of("[A-Z0-9 ]{0,8}"),
        alts in (
            proptest::option::of(-1500.0..150_000.0f64),
            proptest::option::of(-1500.0..150_000.0f64),
            proptest::option::of(-1500.0..150_000.0f64),
            proptest::option::of(-20_000.0..20_000.0f64),
        ),
        status in status(),
        ages in ages(),
    ) {
        let t = TrackOut {
            service_id: ids.2,
            cartesian_m: cart,
            velocity_m_s: vel,
            mode3a: code,
            address: address.map(IcaoAddress::new),
            callsign: callsign.as_deref(),
            measured_altitude_ft: alts.0,
            geometric_altitude_ft: alts.1,
            barometric_altitude_ft: alts.2,
            rate_of_climb_ft_min: alts.3,
            status,
            ages,
            ..TrackOut::new(ids.0, ids.1, ids.3, time, LatLon::new(pos.0, pos.1))
        };
        round_trip(&t);
    }
}
