//! ATS message parsing: a table of real-looking messages per type, every documented error,
//! the flight-plan book, and proptests (no panics; Display → parse round-trips).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use vigil_core::{IcaoAddress, UnixTime};
use vigil_flightplan::ats::{
    Amendment, AtsMessage, Date, Field, FlightPlan, FlightPlanBook, Hhmm, Level, PlanStatus, Speed,
    TrackIdentity, parse_message, parse_messages,
};

const LOT: &str = "(FPL-LOT3917-IS -B738/M-SDFGIRWY/LB1 -EPKK0930 -N0450F360 DCT SOXER L621 \
                   GRUDA DCT -EPGD0105 EPWA -PBN/A1B1 DOF/110607 REG/SPLWA CODE/48AF01)";

fn fpl(text: &str) -> FlightPlan {
    match parse_message(text) {
        Ok(AtsMessage::Fpl(p)) => p,
        other => panic!("not an FPL: {other:?}"),
    }
}

#[test]
fn fpl_fields_are_typed() {
    let p = fpl(LOT);
    assert_eq!(p.callsign, "LOT3917");
    assert_eq!(p.ssr, None);
    assert_eq!((p.flight_rules, p.flight_type), ('I', Some('S')));
    assert_eq!(p.aircraft.designator, "B738");
    assert_eq!(p.aircraft.wake, 'M');
    assert_eq!(
        (p.equipment.as_str(), p.surveillance.as_str()),
        ("SDFGIRWY", "LB1")
    );
    assert_eq!((p.departure.as_str(), p.eobt), ("EPKK", Hhmm::new(9, 30)));
    assert_eq!(
        (p.speed, p.level),
        (Speed::Knots(450), Level::FlightLevel(360))
    );
    assert_eq!(p.route, "DCT SOXER L621 GRUDA DCT");
    assert_eq!(
        (p.destination.as_str(), p.total_eet),
        ("EPGD", Hhmm::new(1, 5))
    );
    assert_eq!(p.alternates, vec!["EPWA".to_owned()]);
    assert_eq!(p.other.get("PBN"), Some("A1B1"));
    assert_eq!(p.other.registration(), Some("SPLWA"));
    assert_eq!(p.address(), Some(IcaoAddress::new(0x48af01)));
    assert_eq!(
        p.dof(),
        Some(Date {
            year: 2011,
            month: 6,
            day: 7
        })
    );
    // 2011-06-07 09:30 UTC.
    assert_eq!(p.eobt_unix(UnixTime(0.0)), Some(UnixTime(1_307_439_000.0)));
}

#[test]
fn eobt_without_dof_uses_the_reference_day() {
    let p = fpl("(FPL-DLH4LP/A2101-IN-A320/M-S/C-EDDF2345-N0440F350 DCT-EDDM0040-0)");
    assert_eq!(p.ssr.map(|s| s.code), Some(0x2101));
    let day = 1_700_000_000.0_f64;
    let midnight = (day / 86_400.0).floor() * 86_400.0;
    assert_eq!(
        p.eobt_unix(UnixTime(day)),
        Some(UnixTime(midnight + 23.0 * 3600.0 + 45.0 * 60.0))
    );
    assert_eq!(p.eobt_unix(UnixTime(f64::NAN)), None);
}

/// One FPL per shape of each field, as filed in practice.
#[test]
fn fpl_table() {
    let cases: &[(&str, &str)] = &[
        // Line breaks anywhere, message numbers, field 19.
        (
            "(FPL/A123B456-BAW286/A4621-IS\n-B77W/H-SDE2E3FGHIJ3J4J5M1RWXYZ/LB1D1\n-EGLL1100\n\
             -N0488F350 DET L6 DVR UL9 KONAN UL607 SPI UZ315 ADUXO\n-KSFO1052 KOAK\n\
             -PBN/A1B1C1D1L1O1S2 DOF/240115 REG/GSTBA EET/EGTT0012 EBUR0025\n-E/1245 P/TBN R/UVE)",
            "BAW286 B77W EGLL KSFO",
        ),
        // Formation, Mach, metric level, VFR part.
        (
            "(FPL-NATO01-IM-2F16/M-S/C-EPKS0800-M085S1130 DCT 52N020E DCT 5220N02100E VFR-EPKS0130-STS/STATE)",
            "NATO01 F16 EPKS EPKS",
        ),
        // km/h and metric altitude; ZZZZ with DEP/ DEST/.
        (
            "(FPL-SPABC-VG-C172/L-V/C-ZZZZ0600-K0200M0150 VFR-ZZZZ0200-DEP/5220N02100E DEST/EPMO)",
            "SPABC C172 ZZZZ ZZZZ",
        ),
        // Altitude level, no field 18 at all (pre-2012 form).
        (
            "(FPL-ABC12-VG-PA28/L-V/N-EPBC0700-N0100A045 DCT-EPLL0045)",
            "ABC12 PA28 EPBC EPLL",
        ),
        // `0` for no other information.
        (
            "(FPL-RYR1AB-IS-B738/M-SDFGIRWY/S-EPKT0615-N0440F370 DCT-LIRF0200-0)",
            "RYR1AB B738 EPKT LIRF",
        ),
    ];
    for (text, want) in cases {
        let p = fpl(text);
        let got = format!(
            "{} {} {} {}",
            p.callsign, p.aircraft.designator, p.departure, p.destination
        );
        assert_eq!(&got, want, "{text}");
        // The canonical form parses back to the same plan.
        assert_eq!(fpl(&p.to_string()), p, "{text}");
    }
    let p = fpl(cases[0].0);
    assert_eq!(p.message_number.as_deref(), Some("A123B456"));
    assert_eq!(p.supplementary.as_deref(), Some("E/1245 P/TBN R/UVE"));
    assert_eq!(p.other.get("EET"), Some("EGTT0012 EBUR0025"));
    let p = fpl(cases[1].0);
    assert_eq!(
        (p.aircraft.count, p.speed, p.level),
        (Some(2), Speed::Mach(85), Level::MetricLevel(1130))
    );
    let p = fpl(cases[2].0);
    assert_eq!(
        (p.speed, p.level),
        (Speed::Kmh(200), Level::MetricAltitude(150))
    );
    assert_eq!(p.other.get("DEP"), Some("5220N02100E"));
    assert_eq!(fpl(cases[3].0).level, Level::Altitude(45));
    assert!(fpl(cases[4].0).other.is_empty());
}

#[test]
fn other_messages_table() {
    let chg = parse_message(
        "(CHG-LOT3917-EPKK0930-EPGD-DOF/110607-8/IN-15/N0450F380 DCT SOXER DCT-18/DOF/110607 REG/SPLWB)",
    )
    .unwrap();
    let AtsMessage::Chg {
        reference,
        amendments,
    } = &chg
    else {
        panic!("{chg:?}")
    };
    assert_eq!(reference.callsign, "LOT3917");
    assert_eq!(reference.time, Some(Hhmm::new(9, 30)));
    assert_eq!(reference.other.get("DOF"), Some("110607"));
    assert_eq!(amendments.len(), 3);
    assert_eq!(
        amendments[0],
        Amendment::Rules {
            rules: 'I',
            flight_type: Some('N')
        }
    );
    assert!(
        matches!(&amendments[1], Amendment::Route { level: Level::FlightLevel(380), route, .. } if route == "DCT SOXER DCT")
    );
    assert_eq!(chg.key().eobt, Some(Hhmm::new(9, 30)));

    let dla = parse_message("(DLA-LOT3917-EPKK1015-EPGD-DOF/110607)").unwrap();
    assert!(matches!(&dla, AtsMessage::Dla(r) if r.time == Some(Hhmm::new(10, 15))));
    assert_eq!(
        dla.key().eobt,
        None,
        "a DLA's time is the new EOBT, not a key"
    );

    let cnl = parse_message("(CNL-LOT3917-EPKK0930-EPGD-0)").unwrap();
    assert!(matches!(cnl, AtsMessage::Cnl(_)));

    let dep = parse_message("(DEP-LOT3917/A7301-EPKK0942-EPGD-DOF/110607)").unwrap();
    assert!(
        matches!(&dep, AtsMessage::Dep(r) if r.time == Some(Hhmm::new(9, 42)) && r.ssr.unwrap().code == 0x7301)
    );

    let arr = parse_message("(ARR-LOT3917-EPKK0930-EPGD1047)").unwrap();
    let AtsMessage::Arr {
        arrival_aerodrome,
        arrival_time,
        reference,
        ..
    } = &arr
    else {
        panic!()
    };
    assert_eq!(
        (arrival_aerodrome.as_str(), *arrival_time),
        ("EPGD", Hhmm::new(10, 47))
    );
    assert_eq!(reference.destination, None);
    // Diverted: field 16 is the planned destination, 17 where it landed (ZZZZ with a name).
    let arr = parse_message("(ARR-LOT3917-EPKK0930-EPGD-ZZZZ1055 MALBORK)").unwrap();
    assert!(
        matches!(&arr, AtsMessage::Arr { arrival_name: Some(n), reference, .. }
        if n == "MALBORK" && reference.destination.as_deref() == Some("EPGD"))
    );
}

/// Every documented error names its field and the offset where the field starts.
#[test]
fn error_table() {
    let base = "(FPL-LOT3917-IS-B738/M-SDFGIRWY/LB1-EPKK0930-N0450F360 DCT-EPGD0105-0)";
    let cases: &[(&str, &str, Field, &str)] = &[
        ("FPL", "FXL", Field::F3, "message type 'FXL'"),
        (
            "LOT3917",
            "LOT39170",
            Field::F7,
            "aircraft identification 'LOT39170'",
        ),
        ("LOT3917", "LOT3917/A7381", Field::F7, "SSR code 'A7381'"),
        ("-IS-", "-QS-", Field::F8, "flight rules 'QS'"),
        (
            "B738/M",
            "B738/Q",
            Field::F9,
            "wake turbulence category 'Q'",
        ),
        ("B738/M", "B738", Field::F9, "aircraft 'B738'"),
        (
            "SDFGIRWY/LB1",
            "SDFGIRWY",
            Field::F10,
            "equipment 'SDFGIRWY'",
        ),
        (
            "EPKK0930",
            "EPKK2530",
            Field::F13,
            "time '2530' is not HHMM",
        ),
        ("EPKK0930", "EPK!0930", Field::F13, "aerodrome 'EPK!'"),
        (
            "N0450F360",
            "N0450F3X0",
            Field::F15,
            "cruise level 'F3X0' is not F + 3 digits",
        ),
        ("N0450F360", "N450F360", Field::F15, "cruise speed 'N450F'"),
        ("N0450F360", "M82F360", Field::F15, "cruise speed 'M82F'"),
        (
            "F360 DCT",
            "F360 DCT s0xer",
            Field::F15,
            "route element 's0xer'",
        ),
        ("EPGD0105", "EPGD01X5", Field::F16, "total EET '01X5'"),
        (
            "-0)",
            "-DOF/110632)",
            Field::F18,
            "DOF/ '110632' is not a date YYMMDD",
        ),
        ("-0)", "-CODE/48AG01)", Field::F18, "CODE/ '48AG01'"),
        (
            "-0)",
            "-garbage)",
            Field::F18,
            "'garbage' is not an indicator",
        ),
        ("-0)", "-0-E/0100-X)", Field::Message, "FPL needs fields"),
        (")", "", Field::Message, "no closing bracket"),
    ];
    for (from, to, field, msg) in cases {
        let text = base.replacen(from, to, 1);
        let e = parse_message(&text).expect_err(&text);
        assert_eq!(e.field, *field, "{text}: {e}");
        assert!(e.message.contains(msg), "{text}: {e}");
        assert!(e.offset <= text.len(), "{text}: {e}");
        assert!(e.to_string().starts_with(&format!("{field}: ")), "{e}");
    }
    // The offset points at the field: field 15 starts after "...EPKK0930-".
    let text = base.replacen("N0450F360", "N0450F3X0", 1);
    let e = parse_message(&text).unwrap_err();
    assert!(
        text[e.offset..].starts_with("N0450F3X0"),
        "{}",
        &text[e.offset..]
    );
    assert_eq!(
        e.to_string(),
        format!(
            "field 15: cruise level 'F3X0' is not F + 3 digits (at byte {})",
            e.offset
        )
    );
    // Other message types.
    for (text, field) in [
        ("(CHG-LOT3917-EPKK0930-EPGD-5/XX)", Field::F22),
        ("(CHG-LOT3917-EPKK0930-EPGD-15/N0450F3X0 DCT)", Field::F15),
        ("(CHG-LOT3917-EPKK0930-EPGD)", Field::Message),
        ("(DLA-LOT3917-EPKK-EPGD)", Field::F13),
        ("(ARR-LOT3917-EPKK0930-EPGD)", Field::F17),
        ("(XYZ-LOT3917)", Field::F3),
    ] {
        assert_eq!(parse_message(text).unwrap_err().field, field, "{text}");
    }
}

#[test]
fn a_stream_of_messages_survives_a_bad_one() {
    let text = format!(
        "ZCZC ABC123 1234\nFF EPWWZQZX\n071200 EPKKZPZX\n{LOT}\nNNNN\n\n\
         (FPL-BAD-XX-B738/M-S/C-EPKK0930-N0450F360 DCT-EPGD0105-0)\n\
         (DLA-LOT3917-EPKK1015-EPGD-DOF/110607)\n(CNL-LOT3917-EPKK1015-EPGD\n\
         (DEP-LOT3917-EPKK1020-EPGD-DOF/110607)"
    );
    let out = parse_messages(&text);
    assert_eq!(out.len(), 5);
    assert!(matches!(out[0], Ok(AtsMessage::Fpl(_))));
    let e = out[1].as_ref().unwrap_err();
    assert_eq!(e.field, Field::F8);
    assert!(
        text[e.offset..].starts_with("XX"),
        "offsets are into the whole stream"
    );
    assert!(matches!(out[2], Ok(AtsMessage::Dla(_))));
    assert_eq!(
        out[3].as_ref().unwrap_err().field,
        Field::Message,
        "unclosed CNL"
    );
    assert!(matches!(out[4], Ok(AtsMessage::Dep(_))));
}

#[test]
fn book_applies_messages_in_order() {
    let mut book = FlightPlanBook::new();
    let stream = format!(
        "{LOT}
        (FPL-LOT3917-IS-B738/M-S/C-EPKK1930-N0450F360 DCT-EPGD0105-DOF/110607)
        (FPL-RYR1AB/A2201-IS-B738/M-S/C-EPKT0615-N0440F370 DCT-LIRF0200-0)
        (DLA-LOT3917-EPKK1000-EPGD-DOF/110607)
        (CHG-LOT3917-EPKK1000-EPGD-DOF/110607-7/LOT3917/A7301-15/N0440F340 DCT SOXER DCT)
        (DEP-LOT3917-EPKK1012-EPGD-DOF/110607)"
    );
    let mut ids = Vec::new();
    for m in parse_messages(&stream) {
        ids.push(book.apply(m.unwrap()).unwrap());
    }
    assert_eq!(book.len(), 3);
    assert_eq!(
        ids[3], ids[0],
        "the DLA goes to the 0930 plan, nearest the new EOBT"
    );
    let e = book.get(ids[0]).unwrap();
    assert_eq!(e.plan.eobt, Hhmm::new(10, 0));
    assert_eq!(e.plan.level, Level::FlightLevel(340));
    assert_eq!(e.status, PlanStatus::Departed);
    assert_eq!(e.atd, Some(Hhmm::new(10, 12)));
    assert_eq!(book.by_ssr(0x7301).count(), 1);
    assert_eq!(book.by_address(IcaoAddress::new(0x48af01)).count(), 1);
    assert_eq!(book.by_callsign("LOT3917").count(), 2);

    // Correlation at 10:30 on the date of flight: the airborne one, by address first.
    let t = UnixTime(1_307_439_000.0 + 3_600.0);
    let id = TrackIdentity {
        callsign: Some("LOT3917 "),
        ssr: Some(0x7301),
        address: Some(IcaoAddress::new(0x48af01)),
    };
    let c = book.candidates(&id, t);
    assert_eq!(c.len(), 1, "the 1930 plan is outside its window: {c:?}");
    assert_eq!((c[0].id, c[0].score), (ids[0], 7));
    assert!(
        (c[0].since_start_s - 18.0 * 60.0).abs() < 1e-6,
        "since ATD 10:12"
    );
    // A day without DOF: RYR1AB has none, matched on the SSR code around 07:00 any day.
    let t = UnixTime(1_700_000_000.0_f64.div_euclid(86_400.0) * 86_400.0 + 7.0 * 3_600.0);
    let c = book.candidates(
        &TrackIdentity {
            ssr: Some(0x2201),
            ..Default::default()
        },
        t,
    );
    assert_eq!((c.len(), c[0].score), (1, 1));

    // CNL closes; ARR after that finds nothing.
    book.apply(parse_message("(CNL-RYR1AB-EPKT0615-LIRF-0)").unwrap())
        .unwrap();
    assert!(
        book.candidates(
            &TrackIdentity {
                ssr: Some(0x2201),
                ..Default::default()
            },
            t
        )
        .is_empty()
    );
    let e = book
        .apply(parse_message("(ARR-RYR1AB-EPKT0615-LIRF0810)").unwrap())
        .unwrap_err();
    assert!(e.to_string().contains("no open flight plan"), "{e}");
    book.apply(parse_message("(ARR-LOT3917-EPKK1000-EPGD1101)").unwrap())
        .unwrap();
    assert_eq!(book.get(ids[0]).unwrap().status, PlanStatus::Arrived);
}

fn ident() -> impl Strategy<Value = String> {
    "[A-Z][A-Z0-9]{1,6}"
}

fn aerodrome() -> impl Strategy<Value = String> {
    "[A-Z]{4}"
}

prop_compose! {
    fn plan()(
        callsign in ident(),
        ssr in proptest::option::of(0u16..0o10000),
        rules in proptest::sample::select(vec!['I', 'V', 'Y', 'Z']),
        ftype in proptest::option::of(proptest::sample::select(vec!['S', 'N', 'G', 'M', 'X'])),
        count in proptest::option::of(2u8..99),
        designator in "[A-Z][A-Z0-9]{1,3}",
        wake in proptest::sample::select(vec!['L', 'M', 'H', 'J']),
        equipment in "[A-Z0-9]{1,12}",
        surveillance in "[A-Z0-9]{0,6}",
        departure in aerodrome(),
        eobt in (0u8..24, 0u8..60),
        speed in prop_oneof![
            (0u16..10000).prop_map(Speed::Knots),
            (0u16..10000).prop_map(Speed::Kmh),
            (0u16..1000).prop_map(Speed::Mach),
        ],
        level in prop_oneof![
            (0u16..1000).prop_map(Level::FlightLevel),
            (0u16..10000).prop_map(Level::MetricLevel),
            (0u16..1000).prop_map(Level::Altitude),
            (0u16..10000).prop_map(Level::MetricAltitude),
            Just(Level::Vfr),
        ],
        route in proptest::collection::vec("[A-Z0-9]{1,7}(/N0[0-9]{3}F[0-9]{3})?", 0..12),
        destination in aerodrome(),
        eet in (0u8..100, 0u8..60),
        alternates in proptest::collection::vec(aerodrome(), 0..3),
        other in proptest::collection::vec(("[A-Z]{3,4}", "([A-Z0-9]{1,8}( [A-Z0-9]{1,8})?)?"), 0..5),
        dof in proptest::option::of((0u8..100, 1u8..13, 1u8..29)),
        supplementary in proptest::option::of("[EPRSJDAN]/[A-Z0-9]{1,6}( [A-Z0-9]{1,6})?"),
        number in proptest::option::of("[A-Z0-9]{1,8}"),
    ) -> FlightPlan {
        let ssr = ssr.map(|c| {
            let code = (c & 7) | ((c >> 3) & 7) << 4 | ((c >> 6) & 7) << 8 | ((c >> 9) & 7) << 12;
            vigil_flightplan::ats::SsrCode { mode: 'A', code }
        });
        let mut other: Vec<(String, String)> = other
            .into_iter()
            .filter(|(k, _)| k != "DOF" && k != "CODE")
            .collect();
        if let Some((y, m, d)) = dof {
            other.push(("DOF".into(), format!("{y:02}{m:02}{d:02}")));
        }
        FlightPlan {
            message_number: number,
            callsign,
            ssr,
            flight_rules: rules,
            flight_type: ftype,
            aircraft: vigil_flightplan::ats::AircraftType { count, designator, wake },
            equipment,
            surveillance,
            departure,
            eobt: Hhmm::new(eobt.0, eobt.1),
            speed,
            level,
            route: route.join(" "),
            destination,
            total_eet: Hhmm::new(eet.0, eet.1),
            alternates,
            other: vigil_flightplan::ats::OtherInfo(other),
            supplementary,
        }
    }
}

proptest! {
    #[test]
    fn display_then_parse_round_trips(p in plan()) {
        let text = p.to_string();
        prop_assert_eq!(parse_message(&text), Ok(AtsMessage::Fpl(p)), "{}", text);
    }

    #[test]
    fn arbitrary_text_never_panics(s in "\\PC{0,300}") {
        let _ = parse_messages(&s);
        let _ = parse_message(&s);
    }

    #[test]
    fn mutated_messages_never_panic(cut in 0usize..200, insert in "[-()/ A-Z0-9\n]{0,6}") {
        let mut text = LOT.to_owned();
        let at = (0..=cut.min(text.len())).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
        text.insert_str(at, &insert);
        let _ = parse_messages(&text);
        let _ = parse_message(&text[..at]);
    }
}
