//! Picture behaviour on real recordings and on crafted replies.

use super::*;

fn reply(h: &str) -> Vec<u8> {
    vigil_testdata_hex(h)
}

fn vigil_testdata_hex(h: &str) -> Vec<u8> {
    (0..h.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap())
        .collect()
}

const S0: SensorId = SensorId(0);

#[test]
fn overlay_address_needs_a_known_aircraft() {
    let mut p = Picture::new(PictureConfig::default());
    // DF4 from 3C6DD0-like overlay: unknown, so ignored.
    assert_eq!(
        p.ingest_reply(UnixTime(1.0), S0, &reply("2000171806A983"), None),
        Ingested::Ignored
    );
    assert_eq!(p.stats().unknown_address, 1);
    assert!(p.is_empty());
}

#[test]
fn identification_and_velocity_build_an_entry() {
    let mut p = Picture::new(PictureConfig::default());
    let t = UnixTime(100.0);
    assert!(matches!(
        p.ingest_reply(t, S0, &reply("8D4840D6202CC371C32CE0576098"), Some(-10.0)),
        Ingested::Updated(_)
    ));
    let a = p.get("4840d6".parse().unwrap()).unwrap();
    assert_eq!(a.callsign.unwrap().value.as_str(), "KLM1023");
    let j = p
        .aircraft_json("4840d6".parse().unwrap(), UnixTime(101.0))
        .unwrap();
    assert_eq!(j["hex"], "4840d6");
    assert_eq!(j["flight"], "KLM1023 ");
    assert_eq!(j["category"], "A0");
    assert_eq!(j["type"], "adsb_icao");
    assert_eq!(j["seen"], 1.0);
    assert_eq!(j["rssi"], -10.0);
}

#[test]
fn bad_crc_is_counted_not_applied() {
    let mut p = Picture::new(PictureConfig::default());
    assert_eq!(
        p.ingest_reply(
            UnixTime(1.0),
            S0,
            &reply("8D4CA251204994B1C36E60A5343D"),
            None
        ),
        Ingested::Rejected
    );
    assert_eq!(p.stats().bad_crc, 1);
    assert_eq!(
        p.ingest_reply(UnixTime(1.0), S0, &[0x8d, 1], None),
        Ingested::Rejected
    );
    assert_eq!(p.stats().bad_length, 1);
}

#[test]
fn expiry_removes_silent_aircraft() {
    let mut p = Picture::new(PictureConfig {
        expire_after_s: 60.0,
        ..PictureConfig::default()
    });
    p.ingest_reply(
        UnixTime(0.0),
        S0,
        &reply("8D4840D6202CC371C32CE0576098"),
        None,
    );
    assert!(p.expire(UnixTime(59.0)).is_empty());
    assert_eq!(p.expire(UnixTime(61.0)).len(), 1);
    assert!(p.is_empty());
    assert_eq!(p.stats().expired, 1);
}

#[test]
fn sbs_lines_update_the_picture() {
    let mut p = Picture::new(PictureConfig::default());
    let m = SbsMessage {
        transmission_type: 3,
        icao: Some("4ca7b6".parse().unwrap()),
        altitude_ft: Some(36000),
        lat: Some(52.2),
        lon: Some(20.9),
        squawk: Some(0o7500),
        ..SbsMessage::default()
    };
    assert!(matches!(
        p.ingest(UnixTime(5.0), S0, &FeedItem::Sbs(m)),
        Ingested::Updated(_)
    ));
    let j = p
        .aircraft_json("4ca7b6".parse().unwrap(), UnixTime(5.0))
        .unwrap();
    assert_eq!(j["squawk"], "7500");
    assert_eq!(j["alt_baro"], 36000);
    assert_eq!(j["lat"], 52.2);
}

#[test]
fn long_flight_builds_thirty_aircraft_with_positions() {
    let Some(recs) = vigil_testdata::long_flight() else {
        return;
    };
    let mut p = Picture::new(PictureConfig {
        expire_after_s: 1e9,
        ..PictureConfig::default()
    });
    for r in &recs {
        p.ingest_reply(UnixTime(r.ts), S0, r.frame(), None);
    }
    let now = UnixTime(recs.last().unwrap().ts);
    let snap = p.snapshot(now);
    let with_pos = snap.aircraft.iter().filter(|a| a.lat.is_some()).count();
    let with_cs = snap.aircraft.iter().filter(|a| a.flight.is_some()).count();
    eprintln!(
        "{} aircraft, {with_pos} with position, {with_cs} with callsign; {:?}",
        snap.aircraft.len(),
        p.stats()
    );
    assert_eq!(snap.aircraft.len(), 30);
    // Of the 30, 15 send extended squitters (12 of them positions, the others only through
    // DF18 or identification); the rest are Mode S only.
    assert!(with_pos >= 12, "{with_pos}");
    assert!(with_cs >= 15, "{with_cs}");
    assert_eq!(p.stats().cpr_implausible, 0);
    // Operational status: 44061c (easyJet) reports ADS-B version 2 with NACp 9 and SIL 3.
    let ezy = snap.aircraft.iter().find(|a| a.hex == "44061c").unwrap();
    assert_eq!(
        (ezy.version, ezy.nac_p, ezy.sil),
        (Some(2), Some(9), Some(3))
    );
    // The recording holds traffic around Toulouse-Blagnac and Amsterdam-Schiphol: every
    // final position lies within 150 km of one of them (surface pairs near Schiphol decode
    // with an automatic reference taken from aircraft near Toulouse).
    let airports = [LatLon::new(43.6291, 1.3638), LatLon::new(52.3086, 4.7639)];
    for a in snap.aircraft.iter().filter(|a| a.lat.is_some()) {
        let p = LatLon::new(a.lat.unwrap(), a.lon.unwrap());
        let d = airports
            .iter()
            .map(|ap| ap.distance_m(&p))
            .fold(f64::MAX, f64::min);
        assert!(d < 150_000.0, "{} at {p:?}", a.hex);
    }
}

#[test]
fn picture_reproduces_every_recorded_position_of_full_flight() {
    let Some(recs) = vigil_testdata::full_flight_short() else {
        return;
    };
    let (lat, lon) = vigil_testdata::LFPG;
    let mut p = Picture::new(PictureConfig {
        reference: Some(LatLon::new(lat, lon)),
        ..PictureConfig::default()
    });
    let icao: IcaoAddress = "393322".parse().unwrap();
    let (mut want, mut ok) = (0, 0);
    for r in &recs {
        let before = p.stats().positions;
        p.ingest_reply(UnixTime(r.ts), S0, &r.frame, None);
        let fixed = p.stats().positions > before;
        let after = p.get(icao).and_then(|a| a.position);
        if let (Some(la), Some(lo)) = (
            r.expected["latitude"].as_f64(),
            r.expected["longitude"].as_f64(),
        ) {
            want += 1;
            if fixed
                && after.is_some_and(|a| {
                    (a.value.lat - la).abs() < 1e-9 && (a.value.lon - lo).abs() < 1e-9
                })
            {
                ok += 1;
            }
        }
    }
    assert_eq!((ok, want), (8_324, 8_324));
}

#[test]
fn replay_is_deterministic() {
    let Some(recs) = vigil_testdata::long_flight() else {
        return;
    };
    let run = || {
        let mut p = Picture::new(PictureConfig::default());
        for r in recs.iter().take(40_000) {
            p.ingest_reply(UnixTime(r.ts), S0, r.frame(), None);
        }
        serde_json::to_string(&p.snapshot(UnixTime(recs[39_999].ts))).unwrap()
    };
    assert_eq!(run(), run());
}

proptest::proptest! {
    #[test]
    fn arbitrary_replies_never_panic(frames in proptest::collection::vec(proptest::collection::vec(proptest::num::u8::ANY, 0..16), 0..50)) {
        let mut p = Picture::new(PictureConfig::default());
        for (i, f) in frames.iter().enumerate() {
            let _ = p.ingest_reply(UnixTime(i as f64), S0, f, None);
        }
        let _ = p.readsb_json(UnixTime(100.0));
    }
}
