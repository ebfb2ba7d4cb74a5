//! Unit vectors for the fast path (book values; the real-data agreement lives in tests/).

use super::*;

fn dec(h: &str) -> ModeS {
    decode(&hex::decode(h).unwrap()).unwrap()
}

#[test]
fn identification() {
    let m = dec("8D4840D6202CC371C32CE0576098");
    assert_eq!(m.df, 17);
    assert_eq!(m.icao.to_string(), "4840d6");
    assert_eq!(m.tc, 4);
    assert_eq!(m.callsign.unwrap().as_str(), "KLM1023");
    assert_eq!(m.category, Some(0xA0));
}

#[test]
fn airborne_position_altitude() {
    let m = dec("8D40621D58C382D690C8AC2863A7");
    assert_eq!(m.alt_baro_ft, Some(38000));
    assert_eq!(
        m.cpr,
        Some(CprFields {
            odd: false,
            lat: 93000,
            lon: 51372,
            surface: false
        })
    );
}

#[test]
fn velocity_ground_speed() {
    let m = dec("8D485020994409940838175B284F");
    assert!((m.gs_kt.unwrap() - 159.20).abs() < 0.005);
    assert!((m.track_deg.unwrap() - 182.88).abs() < 0.005);
    assert_eq!(m.vert_rate_fpm, Some(-832));
    assert!(!m.vert_rate_baro);
    assert_eq!(m.geom_minus_baro_ft, Some(550));
}

#[test]
fn velocity_airspeed() {
    let m = dec("8DA05F219B06B6AF189400CBC33F");
    assert!((m.heading_deg.unwrap() - 243.98).abs() < 0.005);
    assert_eq!(m.airspeed, Some(Airspeed { kt: 375, tas: true }));
    assert_eq!(m.vert_rate_fpm, Some(-2304));
    assert!(m.vert_rate_baro);
    assert_eq!(m.geom_minus_baro_ft, None);
}

#[test]
fn surface_movement_and_track() {
    let m = dec("8C4841753A9A153237AEF0F275BE");
    assert_eq!(m.gs_kt, Some(17.0));
    assert!((m.track_deg.unwrap() - 92.8125).abs() < 1e-9);
    assert_eq!(m.on_ground, Some(true));
}

#[test]
fn surveillance_replies() {
    let m = dec("2000171806A983");
    assert_eq!(m.alt_baro_ft, Some(36000));
    assert_eq!(m.address, AddressKind::Overlay);
    let m = dec("2A00516D492B80");
    assert_eq!(m.squawk, Some(0x0356));
    let m = dec("5D484FDEA248F5");
    assert_eq!(m.icao.to_string(), "484fde");
    assert_eq!(m.address, AddressKind::Checked);
}

#[test]
fn comm_b_identification() {
    let m = dec("A000083E202CC371C31DE0AA1CCF");
    assert_eq!(m.callsign.unwrap().as_str(), "KLM1017");
}

#[test]
fn bad_crc_and_lengths_are_errors() {
    let bad = hex::decode("8D4CA251204994B1C36E60A5343D").unwrap();
    assert!(matches!(
        decode(&bad),
        Err(DecodeError::BadCrc { df: 17, .. })
    ));
    assert!(matches!(
        decode(&[0x8D, 0, 0]),
        Err(DecodeError::BadLength { .. })
    ));
    assert!(matches!(decode(&[]), Err(DecodeError::BadLength { .. })));
}

proptest::proptest! {
    #[test]
    fn never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..20)) {
        let _ = decode(&bytes);
    }

    #[test]
    fn callsign_text_round_trip(s in "[A-Z0-9]{1,8}") {
        let cs = Callsign::from_text(&s);
        proptest::prop_assert_eq!(cs.as_str(), s.as_str());
    }
}
