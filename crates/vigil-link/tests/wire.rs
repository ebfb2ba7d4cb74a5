//! The wire schema: exact round trips of every data message, deterministic payloads, every
//! refusal with its own error, no panic on any bytes, and checkpoints that still verify
//! after crossing the wire.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use prost::Message as _;
use vigil_core::{IcaoAddress, LatLon, UnixTime};
use vigil_incident::IncidentId;
use vigil_ledger::{Checkpoint, ExchangeDigest, SigningKey};
use vigil_link::wire::{self, Inbound, MAX_ENVELOPE_BYTES, WireError, pb};
use vigil_release::{
    AlertOut, HandoverOut, HandoverStage, Heartbeat, Identity, ImpactOut, IncidentOut,
    LaunchWarningOut, LineageEntry, MissileTrackOut, Origin, Outbound, StateEstimate,
    StationAlarmOut, Subject, TrackOut, Velocity,
};
use vigil_renegade::indicator::ALL_KINDS;
use vigil_renegade::{Callsign, Category, IndicatorKind};

// ---------------------------------------------------------------------------------------
// Generators of valid messages.

/// proto3 does not write a plain `double` equal to zero, so its sign is lost: plain fields
/// are generated without `-0.0` (see the module docs of `wire`).
fn plain(x: f64) -> f64 {
    if x == 0.0 { 0.0 } else { x }
}

fn time() -> impl Strategy<Value = UnixTime> {
    prop_oneof![
        (0.0..4.0e9f64).prop_map(|t| UnixTime(plain(t))),
        any::<f64>()
            .prop_filter("finite", |t| t.is_finite())
            .prop_map(|t| UnixTime(plain(t))),
    ]
}

fn lat() -> impl Strategy<Value = f64> {
    prop_oneof![(-90.0..=90.0f64).prop_map(plain), Just(90.0), Just(-90.0)]
}

fn lon() -> impl Strategy<Value = f64> {
    prop_oneof![
        (-180.0..=180.0f64).prop_map(plain),
        Just(180.0),
        Just(-180.0)
    ]
}

/// Optional fields keep the sign of zero, so `-0.0` is generated there.
fn alt() -> impl Strategy<Value = Option<f64>> {
    proptest::option::of(prop_oneof![
        -2_000.0..=100_000.0f64,
        Just(-0.0),
        Just(-2_000.0),
        Just(100_000.0)
    ])
}

fn text(max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!(".{{0,{max}}}")).unwrap()
}

fn callsign() -> impl Strategy<Value = Callsign> {
    "[A-Z0-9]{1,8}".prop_map(|s| Callsign::new(&s).unwrap())
}

fn identity() -> impl Strategy<Value = Identity> {
    (
        proptest::option::of(0u32..=0xFF_FFFF),
        proptest::option::of(
            (0u16..=7, 0u16..=7, 0u16..=7, 0u16..=7)
                .prop_map(|(a, b, c, d)| a << 12 | b << 8 | c << 4 | d),
        ),
        proptest::option::of(callsign()),
    )
        .prop_map(|(icao, squawk, callsign)| Identity {
            icao: icao.map(IcaoAddress::new),
            squawk,
            callsign,
        })
}

fn origin() -> impl Strategy<Value = Origin> {
    (text(20), text(20)).prop_map(|(p, c)| Origin::new(p, c))
}

fn velocity() -> impl Strategy<Value = Velocity> {
    // Each component under 1,100 m/s keeps the speed under 2,000.
    (
        -1_100.0..1_100.0f64,
        -1_100.0..1_100.0f64,
        -1_100.0..1_100.0f64,
    )
        .prop_map(|(e, n, u)| Velocity {
            east_mps: plain(e),
            north_mps: plain(n),
            up_mps: plain(u),
        })
}

fn subject() -> impl Strategy<Value = Subject> {
    (
        any::<u64>(),
        lat(),
        lon(),
        alt(),
        identity(),
        any::<bool>(),
        origin(),
    )
        .prop_map(
            |(track, lat, lon, alt_ft, identity, military, origin)| Subject {
                track,
                lat,
                lon,
                alt_ft,
                identity,
                military,
                origin,
            },
        )
}

fn track() -> impl Strategy<Value = TrackOut> {
    (
        (any::<u64>(), time(), lat(), lon(), alt()),
        (
            proptest::option::of(velocity()),
            identity(),
            any::<bool>(),
            origin(),
        ),
        (
            lineage(),
            proptest::option::of(any::<bool>()),
            proptest::option::of(proptest::sample::select(Category::LADDER.to_vec())),
        ),
    )
        .prop_map(
            |(
                (id, time, lat, lon, alt_ft),
                (velocity, identity, military, origin),
                (lineage, transponder_lost, category),
            )| TrackOut {
                id,
                time,
                lat,
                lon,
                alt_ft,
                velocity,
                identity,
                military,
                origin,
                lineage,
                transponder_lost,
                category,
            },
        )
}

fn alert() -> impl Strategy<Value = AlertOut> {
    (
        any::<u64>(),
        subject(),
        proptest::sample::select(ALL_KINDS.to_vec()),
        (time(), time(), proptest::option::of(time())),
        proptest::option::of(any::<f64>().prop_filter("finite", |v| v.is_finite())),
        proptest::option::of(text(200)),
    )
        .prop_map(
            |(id, subject, kind, (started, raised, cleared), value, detail)| AlertOut {
                id,
                subject,
                kind,
                started,
                raised,
                cleared,
                value,
                detail,
            },
        )
}

fn incident() -> impl Strategy<Value = IncidentOut> {
    (
        (any::<u64>(), any::<u64>(), time()),
        (text(16), text(16), text(16), 0usize..8, 0usize..8),
        (
            proptest::option::of(text(16)),
            proptest::option::of(text(100)),
            proptest::option::of(text(100)),
        ),
        subject(),
    )
        .prop_map(
            |(
                (incident, seq, at),
                (action, from_state, to_state, from_level, to_level),
                (actor, reason, remark),
                subject,
            )| IncidentOut {
                incident: IncidentId(incident),
                seq,
                at,
                action,
                from_state,
                to_state,
                from_level,
                to_level,
                actor,
                reason,
                remark,
                subject,
            },
        )
}

const STAGES: [HandoverStage; 4] = [
    HandoverStage::Request,
    HandoverStage::Accept,
    HandoverStage::Refuse,
    HandoverStage::Complete,
];

fn handover() -> impl Strategy<Value = HandoverOut> {
    (
        (any::<u64>(), subject(), time()),
        proptest::sample::select(STAGES.to_vec()),
        (text(12), text(12)),
        // The point's coordinates are `optional`: `-0.0` survives there.
        proptest::option::of(
            (
                prop_oneof![-90.0..=90.0f64, Just(-0.0)],
                prop_oneof![-180.0..=180.0f64, Just(-0.0)],
            )
                .prop_map(|(la, lo)| LatLon::new(la, lo)),
        ),
        proptest::option::of(text(100)),
    )
        .prop_map(
            |((id, subject, at), stage, (from_party, to_party), point, remark)| HandoverOut {
                id,
                subject,
                at,
                stage,
                from_party,
                to_party,
                point,
                remark,
            },
        )
}

fn lineage() -> impl Strategy<Value = Vec<LineageEntry>> {
    proptest::collection::vec(
        (text(12), text(12)).prop_map(|(sensor, party)| LineageEntry { sensor, party }),
        0..4,
    )
}

fn missile() -> impl Strategy<Value = MissileTrackOut> {
    let estimate = proptest::option::of(
        (
            proptest::array::uniform6(-1.0e7..1.0e7f64),
            proptest::array::uniform21(-1.0e9..1.0e9f64),
        )
            .prop_map(|(ecef, cov_upper)| StateEstimate { ecef, cov_upper }),
    );
    let impact = proptest::option::of(
        (
            lat(),
            lon(),
            time(),
            0.0..1.0e6f64,
            0.0..1.0e6f64,
            -180.0..180.0f64,
        )
            .prop_map(|(lat, lon, time, a, b, o)| ImpactOut {
                lat,
                lon,
                time,
                semi_major_m: plain(a),
                semi_minor_m: plain(b),
                orientation_deg: plain(o),
            }),
    );
    // Components under 6,900 m/s keep the speed under the 12,000 m/s limit.
    let velocity = proptest::option::of(
        (
            -6_900.0..6_900.0f64,
            -6_900.0..6_900.0f64,
            -6_900.0..6_900.0f64,
        )
            .prop_map(|(e, n, u)| Velocity {
                east_mps: plain(e),
                north_mps: plain(n),
                up_mps: plain(u),
            }),
    );
    (
        (any::<u64>(), time(), origin(), text(10), text(10)),
        (lat(), lon(), -1_000.0..5.0e6f64, velocity),
        (
            estimate,
            impact,
            proptest::option::of((lat(), lon())),
            lineage(),
        ),
    )
        .prop_map(
            |(
                (id, time, origin, object, phase),
                (lat, lon, alt_m, velocity),
                (estimate, impact, launch, lineage),
            )| MissileTrackOut {
                id,
                time,
                origin,
                object,
                phase,
                lat,
                lon,
                alt_m: plain(alt_m),
                velocity,
                estimate,
                impact,
                launch: launch.map(|(a, o)| LatLon::new(a, o)),
                lineage,
            },
        )
}

fn launch_warning() -> impl Strategy<Value = LaunchWarningOut> {
    (
        (any::<u64>(), time(), origin(), time()),
        (
            lat(),
            lon(),
            0.0..1.0e6f64,
            proptest::option::of(-360.0..=360.0f64),
        ),
    )
        .prop_map(
            |((id, time, origin, launch_time), (lat, lon, r, azimuth_deg))| LaunchWarningOut {
                id,
                time,
                origin,
                launch_time,
                lat,
                lon,
                radius_m: plain(r),
                azimuth_deg,
            },
        )
}

fn station_alarm() -> impl Strategy<Value = StationAlarmOut> {
    (
        (any::<u64>(), any::<u64>(), time(), origin()),
        (text(20), text(20), text(12), text(8)),
        (
            proptest::option::of(text(10)),
            proptest::collection::vec(text(12), 0..4),
            proptest::option::of(text(60)),
        ),
    )
        .prop_map(
            |(
                (alarm, seq, time, origin),
                (station, zone, state, level),
                (body_location, sensor_kinds, remark),
            )| StationAlarmOut {
                alarm,
                seq,
                time,
                origin,
                station,
                zone,
                state,
                level,
                body_location,
                sensor_kinds,
                remark,
            },
        )
}

fn data_message() -> impl Strategy<Value = Outbound> {
    prop_oneof![
        track().prop_map(Outbound::Track),
        alert().prop_map(Outbound::Alert),
        incident().prop_map(Outbound::IncidentTransition),
        handover().prop_map(Outbound::Handover),
        missile().prop_map(Outbound::MissileTrack),
        launch_warning().prop_map(Outbound::LaunchWarning),
        station_alarm().prop_map(Outbound::StationAlarm),
    ]
}

/// Equal, and bit for bit: serde_json prints every finite float in its shortest exact
/// form (sign of zero included), so equal JSON means equal bits.
fn assert_exact(got: &Outbound, want: &Outbound) {
    assert_eq!(got, want);
    assert_eq!(
        serde_json::to_string(got).unwrap(),
        serde_json::to_string(want).unwrap()
    );
}

proptest! {
    #[test]
    fn data_round_trips_exactly(msg in data_message()) {
        let (kind, payload) = wire::encode_data(&msg).unwrap();
        let back = wire::decode_data(kind.into(), &payload).unwrap();
        assert_exact(&back, &msg);
    }

    #[test]
    fn envelope_round_trips_exactly(
        msg in data_message(),
        seq in 1u64..,
        ack in any::<u64>(),
        exercise in any::<bool>(),
    ) {
        let (kind, payload) = wire::encode_data(&msg).unwrap();
        let bytes = wire::data_envelope(seq, ack, kind, payload.clone(), exercise).encode_to_vec();
        match wire::decode_envelope(&bytes).unwrap() {
            Inbound::Data { seq: s, ack: a, kind: k, exercise: e, payload: p, msg: m } => {
                prop_assert_eq!((s, a, k, e), (seq, ack, kind, exercise));
                prop_assert_eq!(p, payload);
                assert_exact(&m, &msg);
            }
            other => panic!("expected data, got {other:?}"),
        }
    }

    /// The ledger hashes payloads: the same message must always give the same bytes, and
    /// what arrives re-encodes to exactly what was sent.
    #[test]
    fn encoding_is_deterministic(msg in data_message()) {
        let (k1, a) = wire::encode_data(&msg).unwrap();
        let (k2, b) = wire::encode_data(&msg.clone()).unwrap();
        prop_assert_eq!(k1, k2);
        prop_assert_eq!(&a, &b);
        let back = wire::decode_data(k1.into(), &a).unwrap();
        prop_assert_eq!(wire::encode_data(&back).unwrap().1, a);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..1024)) {
        let _ = wire::decode_envelope(&bytes);
    }

    /// Random bytes rarely get past the outer framing; edits of valid envelopes reach the
    /// payload checks.
    #[test]
    fn edited_envelopes_never_panic(
        msg in data_message(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
    ) {
        let (kind, payload) = wire::encode_data(&msg).unwrap();
        let mut bytes = wire::data_envelope(7, 3, kind, payload, false).encode_to_vec();
        for (at, b) in edits {
            let i = at.index(bytes.len());
            bytes[i] = b;
        }
        if let Ok(Inbound::Data { kind, msg, .. }) = wire::decode_envelope(&bytes) {
            // Whatever got through is valid: it re-encodes and decodes to itself.
            let (k, again) = wire::encode_data(&msg).unwrap();
            prop_assert_eq!(k, kind);
            prop_assert_eq!(wire::decode_data(k.into(), &again).unwrap(), msg);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Fixed examples.

fn origin_pl() -> Origin {
    Origin::new("NATO/PL", "warszawa-lu")
}

fn sample_subject() -> Subject {
    Subject {
        track: 42,
        lat: 54.5,
        lon: 20.25,
        alt_ft: Some(35_000.0),
        identity: Identity {
            icao: Some(IcaoAddress::new(0x48_4a_bc)),
            squawk: Some(0x7500),
            callsign: Callsign::new("LOT123"),
        },
        military: false,
        origin: origin_pl(),
    }
}

fn sample_track() -> TrackOut {
    TrackOut {
        id: 42,
        time: UnixTime(1_700_000_000.5),
        lat: 54.5,
        lon: 20.25,
        alt_ft: Some(35_000.0),
        velocity: Some(Velocity {
            east_mps: 200.0,
            north_mps: -30.0,
            up_mps: -5.0,
        }),
        identity: sample_subject().identity,
        military: false,
        origin: origin_pl(),
        lineage: vec![LineageEntry {
            sensor: "adsb-gdansk".into(),
            party: "NATO/PL".into(),
        }],
        transponder_lost: Some(false),
        category: Some(Category::Suspected),
    }
}

fn sample_alert() -> AlertOut {
    AlertOut {
        id: 7,
        subject: sample_subject(),
        kind: IndicatorKind::Squawk7500,
        started: UnixTime(1_700_000_000.0),
        raised: UnixTime(1_700_000_005.0),
        cleared: None,
        value: Some(7500.0),
        detail: Some("squawk 7500 for 5 s".into()),
    }
}

fn sample_handover() -> HandoverOut {
    HandoverOut {
        id: 3,
        subject: sample_subject(),
        at: UnixTime(1_700_000_100.0),
        stage: HandoverStage::Request,
        from_party: "NATO/PL".into(),
        to_party: "RU".into(),
        point: Some(LatLon::new(54.9, 19.8)),
        remark: None,
    }
}

/// A medium-range missile seen by the Armavir radar, mid-course.
fn sample_missile() -> MissileTrackOut {
    MissileTrackOut {
        id: 9,
        time: UnixTime(1_700_000_300.0),
        origin: Origin::new("RU", "armavir-ewc"),
        object: "rv".into(),
        phase: "midcourse".into(),
        lat: 36.2,
        lon: 44.1,
        alt_m: 412_000.0,
        velocity: Some(Velocity {
            east_mps: -2_100.0,
            north_mps: 1_500.0,
            up_mps: -300.0,
        }),
        estimate: Some(StateEstimate {
            ecef: [3.9e6, 3.8e6, 3.8e6, -1_900.0, 1_200.0, 900.0],
            cov_upper: [
                900.0, 10.0, 5.0, 1.0, 0.1, 0.1, 800.0, 4.0, 0.1, 1.0, 0.1, 700.0, 0.1, 0.1, 1.0,
                25.0, 0.5, 0.2, 20.0, 0.3, 16.0,
            ],
        }),
        impact: Some(ImpactOut {
            lat: 41.0,
            lon: 28.9,
            time: UnixTime(1_700_000_900.0),
            semi_major_m: 12_000.0,
            semi_minor_m: 3_000.0,
            orientation_deg: 301.0,
        }),
        launch: Some(LatLon::new(32.5, 53.0)),
        lineage: vec![LineageEntry {
            sensor: "armavir".into(),
            party: "RU".into(),
        }],
    }
}

fn sample_launch_warning() -> LaunchWarningOut {
    LaunchWarningOut {
        id: 1,
        time: UnixTime(1_700_000_060.0),
        origin: Origin::new("NATO", "ramstein-dfc"),
        launch_time: UnixTime(1_700_000_000.0),
        lat: 32.5,
        lon: 53.0,
        radius_m: 50_000.0,
        azimuth_deg: Some(300.0),
    }
}

fn sample_station_alarm() -> StationAlarmOut {
    StationAlarmOut {
        alarm: 4,
        seq: 17,
        time: UnixTime(1_700_000_100.0),
        origin: Origin::new("NATO/PL", "metro-control"),
        station: "example".into(),
        zone: "corridor".into(),
        state: "team_dispatched".into(),
        level: "ALARM".into(),
        body_location: Some("torso".into()),
        sensor_kinds: vec!["passive_mmw".into(), "active_mmw".into()],
        remark: Some("team 2 on the way".into()),
    }
}

fn sample_incident() -> IncidentOut {
    IncidentOut {
        incident: IncidentId(9),
        seq: 12,
        at: UnixTime(1_700_000_050.0),
        action: "raise".into(),
        from_state: "open".into(),
        to_state: "suspected".into(),
        from_level: 1,
        to_level: 2,
        actor: Some("system".into()),
        reason: Some("two criteria".into()),
        remark: None,
        subject: sample_subject(),
    }
}

fn payload_of<M: prost::Message + Default>(msg: &Outbound) -> M {
    M::decode(wire::encode_data(msg).unwrap().1.as_slice()).unwrap()
}

/// A data envelope (seq 1) around a sample payload after `edit`.
fn data_bytes<M: prost::Message + Default>(
    kind: pb::Kind,
    sample: &Outbound,
    edit: impl FnOnce(&mut M),
) -> Vec<u8> {
    let mut m: M = payload_of(sample);
    edit(&mut m);
    wire::data_envelope(1, 0, kind, m.encode_to_vec(), false).encode_to_vec()
}

fn track_bytes(edit: impl FnOnce(&mut pb::TrackUpdate)) -> Vec<u8> {
    data_bytes(pb::Kind::Track, &Outbound::Track(sample_track()), edit)
}

fn alert_bytes(edit: impl FnOnce(&mut pb::Alert)) -> Vec<u8> {
    data_bytes(pb::Kind::Alert, &Outbound::Alert(sample_alert()), edit)
}

fn incident_bytes(edit: impl FnOnce(&mut pb::IncidentTransition)) -> Vec<u8> {
    data_bytes(
        pb::Kind::Incident,
        &Outbound::IncidentTransition(sample_incident()),
        edit,
    )
}

fn handover_bytes(edit: impl FnOnce(&mut pb::Handover)) -> Vec<u8> {
    data_bytes(
        pb::Kind::Handover,
        &Outbound::Handover(sample_handover()),
        edit,
    )
}

fn envelope_bytes(seq: u64, body: Option<pb::envelope::Body>) -> Vec<u8> {
    pb::Envelope { seq, ack: 0, body }.encode_to_vec()
}

fn hello_bytes(edit: impl FnOnce(&mut pb::Hello)) -> Vec<u8> {
    let mut env = wire::hello("warszawa-kaliningrad", "NATO/PL", "warszawa-lu", 0, false);
    if let Some(pb::envelope::Body::Hello(h)) = env.body.as_mut() {
        edit(h);
    }
    env.encode_to_vec()
}

fn sample_checkpoint() -> Checkpoint {
    let key = SigningKey::from_bytes(&[7; 32]);
    Checkpoint {
        link: "warszawa-kaliningrad".into(),
        party: "NATO/PL".into(),
        centre: "warszawa-lu".into(),
        seq: 10,
        head_hash: [0xab; 32],
        time: UnixTime(1_700_000_200.25),
        sent: ExchangeDigest {
            count: 6,
            digest: [1; 32],
        },
        received: ExchangeDigest {
            count: 4,
            digest: [2; 32],
        },
        signature: [0; 64],
    }
    .sign(&key)
}

fn checkpoint_bytes(edit: impl FnOnce(&mut pb::Checkpoint)) -> Vec<u8> {
    let mut cp = wire::checkpoint_to_pb(&sample_checkpoint());
    edit(&mut cp);
    envelope_bytes(0, Some(pb::envelope::Body::Checkpoint(cp)))
}

fn out_of_range(field: &'static str, value: f64) -> WireError {
    WireError::OutOfRange { field, value }
}

fn too_long(field: &'static str, len: usize, max: usize) -> WireError {
    WireError::TooLong { field, len, max }
}

/// Every malformed envelope or payload, with the exact error it must give.
#[test]
fn malformed_inputs_give_their_error() {
    use pb::envelope::Body;
    let big = "x".repeat(257);
    let cases: Vec<(&str, Vec<u8>, WireError)> = vec![
        (
            "too large",
            vec![0; MAX_ENVELOPE_BYTES + 1],
            WireError::TooLarge {
                len: MAX_ENVELOPE_BYTES + 1,
            },
        ),
        ("no body", envelope_bytes(0, None), WireError::MissingBody),
        (
            "data with seq 0",
            wire::data_envelope(0, 0, pb::Kind::Track, Vec::new(), false).encode_to_vec(),
            WireError::DataSeqZero,
        ),
        (
            "hello with a seq",
            {
                let mut e = wire::hello("l", "p", "c", 0, false);
                e.seq = 5;
                e.encode_to_vec()
            },
            WireError::ControlSeq {
                body: "hello",
                seq: 5,
            },
        ),
        (
            "heartbeat with a seq",
            envelope_bytes(
                1,
                Some(Body::Heartbeat(pb::Heartbeat {
                    time: 1.0,
                    last_sent: 0,
                })),
            ),
            WireError::ControlSeq {
                body: "heartbeat",
                seq: 1,
            },
        ),
        (
            "checkpoint with a seq",
            {
                let mut e = wire::checkpoint_envelope(0, &sample_checkpoint());
                e.seq = 2;
                e.encode_to_vec()
            },
            WireError::ControlSeq {
                body: "checkpoint",
                seq: 2,
            },
        ),
        (
            "unspecified kind",
            wire::data_envelope(1, 0, pb::Kind::Unspecified, Vec::new(), false).encode_to_vec(),
            WireError::UnknownKind(0),
        ),
        (
            "unknown kind",
            envelope_bytes(
                1,
                Some(Body::Data(pb::Data {
                    kind: 9,
                    payload: Vec::new(),
                    exercise: false,
                })),
            ),
            WireError::UnknownKind(9),
        ),
        (
            "track without origin",
            track_bytes(|t| t.origin = None),
            WireError::Missing("origin"),
        ),
        (
            "alert without subject",
            alert_bytes(|a| a.subject = None),
            WireError::Missing("subject"),
        ),
        (
            "incident without subject",
            incident_bytes(|i| i.subject = None),
            WireError::Missing("subject"),
        ),
        (
            "subject without origin",
            handover_bytes(|h| h.subject.as_mut().unwrap().origin = None),
            WireError::Missing("subject.origin"),
        ),
        (
            "latitude above 90",
            track_bytes(|t| t.lat = 90.5),
            out_of_range("lat", 90.5),
        ),
        (
            "longitude below -180",
            track_bytes(|t| t.lon = -180.25),
            out_of_range("lon", -180.25),
        ),
        (
            "latitude NaN",
            track_bytes(|t| t.lat = f64::NAN),
            WireError::NotFinite("lat"),
        ),
        (
            "subject longitude infinite",
            alert_bytes(|a| a.subject.as_mut().unwrap().lon = f64::INFINITY),
            WireError::NotFinite("subject.lon"),
        ),
        (
            "track time infinite",
            track_bytes(|t| t.time = f64::NEG_INFINITY),
            WireError::NotFinite("time"),
        ),
        (
            "alert cleared NaN",
            alert_bytes(|a| a.cleared = Some(f64::NAN)),
            WireError::NotFinite("cleared"),
        ),
        (
            "alert value infinite",
            alert_bytes(|a| a.value = Some(f64::INFINITY)),
            WireError::NotFinite("value"),
        ),
        (
            "incident time NaN",
            incident_bytes(|i| i.at = f64::NAN),
            WireError::NotFinite("at"),
        ),
        (
            "altitude above 100,000 ft",
            track_bytes(|t| t.alt_ft = Some(100_001.0)),
            out_of_range("alt_ft", 100_001.0),
        ),
        (
            "subject altitude below -2,000 ft",
            incident_bytes(|i| i.subject.as_mut().unwrap().alt_ft = Some(-2_001.0)),
            out_of_range("subject.alt_ft", -2_001.0),
        ),
        (
            "velocity NaN",
            track_bytes(|t| t.velocity.as_mut().unwrap().up_mps = f64::NAN),
            WireError::NotFinite("velocity.up_mps"),
        ),
        (
            "velocity 2,000 m/s",
            track_bytes(|t| {
                t.velocity = Some(pb::Velocity {
                    east_mps: 1_200.0,
                    north_mps: 1_600.0,
                    up_mps: 0.0,
                })
            }),
            out_of_range("velocity", 2_000.0),
        ),
        (
            "velocity overflowing to an infinite speed",
            track_bytes(|t| {
                t.velocity = Some(pb::Velocity {
                    east_mps: f64::MAX,
                    north_mps: 0.0,
                    up_mps: 0.0,
                })
            }),
            out_of_range("velocity", f64::INFINITY),
        ),
        (
            "origin party too long",
            track_bytes(|t| t.origin.as_mut().unwrap().party = big.clone()),
            too_long("origin.party", 257, 256),
        ),
        (
            "lineage sensor too long",
            track_bytes(|t| t.lineage[0].sensor = big.clone()),
            too_long("lineage.sensor", 257, 256),
        ),
        (
            "incident action too long",
            incident_bytes(|i| i.action = big.clone()),
            too_long("action", 257, 256),
        ),
        (
            "alert detail too long",
            alert_bytes(|a| a.detail = Some("d".repeat(2_049))),
            too_long("detail", 2_049, 2_048),
        ),
        (
            "hand-over remark too long",
            handover_bytes(|h| h.remark = Some("r".repeat(2_049))),
            too_long("remark", 2_049, 2_048),
        ),
        (
            "incident reason too long",
            incident_bytes(|i| i.reason = Some("r".repeat(2_049))),
            too_long("reason", 2_049, 2_048),
        ),
        (
            "category in another case",
            track_bytes(|t| t.category = Some("suspected".into())),
            WireError::UnknownCategory("suspected".into()),
        ),
        (
            "indicator by its Rust name",
            alert_bytes(|a| a.kind = "Squawk7500".into()),
            WireError::UnknownIndicator("Squawk7500".into()),
        ),
        (
            "empty indicator",
            alert_bytes(|a| a.kind = String::new()),
            WireError::UnknownIndicator(String::new()),
        ),
        (
            "unknown stage",
            handover_bytes(|h| h.stage = "abort".into()),
            WireError::UnknownStage("abort".into()),
        ),
        (
            "hand-over point without longitude",
            handover_bytes(|h| h.point_lon = None),
            WireError::Missing("point_lon"),
        ),
        (
            "hand-over point latitude out of range",
            handover_bytes(|h| h.point_lat = Some(-91.0)),
            out_of_range("point_lat", -91.0),
        ),
        (
            "ICAO address over 24 bits",
            track_bytes(|t| t.identity.as_mut().unwrap().icao = Some(0x100_0000)),
            WireError::IcaoRange(0x100_0000),
        ),
        (
            "squawk with a digit over 7",
            alert_bytes(|a| {
                a.subject
                    .as_mut()
                    .unwrap()
                    .identity
                    .as_mut()
                    .unwrap()
                    .squawk = Some(0x7580)
            }),
            WireError::SquawkRange(0x7580),
        ),
        (
            "lower-case callsign",
            track_bytes(|t| t.identity.as_mut().unwrap().callsign = Some("lot123".into())),
            WireError::BadCallsign("lot123".into()),
        ),
        (
            "callsign of nine characters",
            track_bytes(|t| t.identity.as_mut().unwrap().callsign = Some("ABCDEFGHI".into())),
            WireError::BadCallsign("ABCDEFGHI".into()),
        ),
        (
            "empty callsign",
            track_bytes(|t| t.identity.as_mut().unwrap().callsign = Some(String::new())),
            WireError::BadCallsign(String::new()),
        ),
        (
            "hello of schema version 2",
            hello_bytes(|h| h.schema_version = 2),
            WireError::SchemaVersion { offered: 2 },
        ),
        (
            "hello of schema version 0 (absent)",
            hello_bytes(|h| h.schema_version = 0),
            WireError::SchemaVersion { offered: 0 },
        ),
        (
            "hello link with a space",
            hello_bytes(|h| h.link = "warszawa kaliningrad".into()),
            WireError::BadName {
                field: "hello.link",
                value: "warszawa kaliningrad".into(),
            },
        ),
        (
            "hello centre empty",
            hello_bytes(|h| h.centre = String::new()),
            WireError::BadName {
                field: "hello.centre",
                value: String::new(),
            },
        ),
        (
            "hello centre with a slash",
            hello_bytes(|h| h.centre = "a/b".into()),
            WireError::BadName {
                field: "hello.centre",
                value: "a/b".into(),
            },
        ),
        (
            "hello party of 65 bytes",
            hello_bytes(|h| h.party = "p".repeat(65)),
            WireError::BadName {
                field: "hello.party",
                value: "p".repeat(65),
            },
        ),
        (
            "hello party not ASCII",
            hello_bytes(|h| h.party = "NATO/PŁ".into()),
            WireError::BadName {
                field: "hello.party",
                value: "NATO/PŁ".into(),
            },
        ),
        (
            "heartbeat time NaN",
            envelope_bytes(
                0,
                Some(Body::Heartbeat(pb::Heartbeat {
                    time: f64::NAN,
                    last_sent: 0,
                })),
            ),
            WireError::NotFinite("heartbeat.time"),
        ),
        (
            "checkpoint head hash of 31 bytes",
            checkpoint_bytes(|c| c.head_hash.truncate(31)),
            WireError::BadLength {
                field: "checkpoint.head_hash",
                len: 31,
                expected: 32,
            },
        ),
        (
            "checkpoint sent digest empty",
            checkpoint_bytes(|c| c.sent_digest.clear()),
            WireError::BadLength {
                field: "checkpoint.sent_digest",
                len: 0,
                expected: 32,
            },
        ),
        (
            "checkpoint received digest of 33 bytes",
            checkpoint_bytes(|c| c.received_digest.push(0)),
            WireError::BadLength {
                field: "checkpoint.received_digest",
                len: 33,
                expected: 32,
            },
        ),
        (
            "checkpoint signature of 63 bytes",
            checkpoint_bytes(|c| c.signature.truncate(63)),
            WireError::BadLength {
                field: "checkpoint.signature",
                len: 63,
                expected: 64,
            },
        ),
        (
            "checkpoint time infinite",
            checkpoint_bytes(|c| c.time = f64::INFINITY),
            WireError::NotFinite("checkpoint.time"),
        ),
        (
            "checkpoint link with a dot",
            checkpoint_bytes(|c| c.link = "a.b".into()),
            WireError::BadName {
                field: "checkpoint.link",
                value: "a.b".into(),
            },
        ),
    ];
    let mut failures = Vec::new();
    for (label, bytes, want) in cases {
        match wire::decode_envelope(&bytes) {
            Err(got) if got == want => {}
            other => failures.push(format!("{label}: expected {want:?}, got {other:?}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn protobuf_errors_are_decode_errors() {
    for bytes in [&[0xff][..], &[0x0a, 0x05, 0x01], &[0x5a, 0x02, 0x08]] {
        let err = wire::decode_envelope(bytes).unwrap_err();
        assert_eq!(err.name(), "decode", "{bytes:?}: {err}");
    }
    // A payload that is not its kind's message.
    let bytes = wire::data_envelope(
        1,
        0,
        pb::Kind::Alert,
        vec![0x1a, 0x03, 0xff, 0xfe, 0xfd],
        false,
    )
    .encode_to_vec();
    assert_eq!(wire::decode_envelope(&bytes).unwrap_err().name(), "decode");
}

#[test]
fn limits_are_inclusive() {
    let ok = [
        track_bytes(|t| t.lat = 90.0),
        track_bytes(|t| t.lon = -180.0),
        track_bytes(|t| t.alt_ft = Some(-2_000.0)),
        track_bytes(|t| t.alt_ft = Some(100_000.0)),
        track_bytes(|t| t.identity.as_mut().unwrap().icao = Some(0xFF_FFFF)),
        track_bytes(|t| t.identity.as_mut().unwrap().squawk = Some(0x7777)),
        track_bytes(|t| t.origin.as_mut().unwrap().party = "x".repeat(256)),
        alert_bytes(|a| a.detail = Some("d".repeat(2_048))),
        hello_bytes(|h| h.party = "p".repeat(64)),
        hello_bytes(|h| h.link = "A-z_09".into()),
    ];
    for (i, bytes) in ok.iter().enumerate() {
        assert!(wire::decode_envelope(bytes).is_ok(), "case {i}");
    }
}

#[test]
fn samples_round_trip_and_are_labelled() {
    let samples = [
        (Outbound::Track(sample_track()), pb::Kind::Track, "track"),
        (Outbound::Alert(sample_alert()), pb::Kind::Alert, "alert"),
        (
            Outbound::IncidentTransition(sample_incident()),
            pb::Kind::Incident,
            "incident",
        ),
        (
            Outbound::Handover(sample_handover()),
            pb::Kind::Handover,
            "handover",
        ),
        (
            Outbound::MissileTrack(sample_missile()),
            pb::Kind::MissileTrack,
            "missile_track",
        ),
        (
            Outbound::LaunchWarning(sample_launch_warning()),
            pb::Kind::LaunchWarning,
            "launch_warning",
        ),
        (
            Outbound::StationAlarm(sample_station_alarm()),
            pb::Kind::StationAlarm,
            "station_alarm",
        ),
    ];
    for (msg, kind, name) in samples {
        let (k, payload) = wire::encode_data(&msg).unwrap();
        assert_eq!(k, kind);
        assert_eq!(wire::kind_name(k), name);
        assert_exact(&wire::decode_data(k.into(), &payload).unwrap(), &msg);
    }
    assert_eq!(
        wire::encode_data(&Outbound::Heartbeat(Heartbeat {
            time: UnixTime(1.0)
        })),
        None
    );
}

/// The wire's enum names are the serde names, so the JSON API and the link agree.
#[test]
fn enum_names_match_serde() {
    let json = |v: serde_json::Value| v.as_str().unwrap().to_owned();
    for kind in ALL_KINDS {
        let mut a = sample_alert();
        a.kind = kind;
        let p: pb::Alert = payload_of(&Outbound::Alert(a));
        assert_eq!(p.kind, json(serde_json::to_value(kind).unwrap()));
    }
    for cat in Category::LADDER {
        let mut t = sample_track();
        t.category = Some(cat);
        let p: pb::TrackUpdate = payload_of(&Outbound::Track(t));
        assert_eq!(
            p.category.unwrap(),
            json(serde_json::to_value(cat).unwrap())
        );
    }
    for stage in STAGES {
        let mut h = sample_handover();
        h.stage = stage;
        let p: pb::Handover = payload_of(&Outbound::Handover(h));
        assert_eq!(p.stage, json(serde_json::to_value(stage).unwrap()));
    }
}

#[test]
fn control_envelopes_decode() {
    let hello = wire::hello("warszawa-kaliningrad", "NATO/PL", "warszawa-lu", 17, true);
    match wire::decode_envelope(&hello.encode_to_vec()).unwrap() {
        Inbound::Hello { ack, hello } => {
            assert_eq!(ack, 17);
            assert_eq!(hello.schema_version, wire::SCHEMA_VERSION);
            assert_eq!(hello.last_received, 17);
            assert!(hello.exercise);
            assert_eq!(
                (
                    hello.link.as_str(),
                    hello.party.as_str(),
                    hello.centre.as_str()
                ),
                ("warszawa-kaliningrad", "NATO/PL", "warszawa-lu")
            );
        }
        other => panic!("{other:?}"),
    }
    let hb = wire::heartbeat_envelope(4, UnixTime(1_700_000_000.125), 9);
    assert_eq!(
        wire::check(hb).unwrap(),
        Inbound::Heartbeat {
            ack: 4,
            time: UnixTime(1_700_000_000.125),
            last_sent: 9
        }
    );
    let err = wire::decode_envelope(&hello_bytes(|h| h.schema_version = 3)).unwrap_err();
    assert!(err.to_string().contains('3'), "{err}");
}

#[test]
fn check_refuses_oversized_envelopes() {
    let env = wire::data_envelope(1, 0, pb::Kind::Track, vec![0; MAX_ENVELOPE_BYTES], false);
    assert_eq!(wire::check(env).unwrap_err().name(), "too_large");
}

#[test]
fn checkpoint_still_verifies_after_the_wire() {
    let key = SigningKey::from_bytes(&[7; 32]);
    let cp = sample_checkpoint();
    assert!(cp.verify(&key.verifying_key()));
    let back = wire::checkpoint_from_pb(wire::checkpoint_to_pb(&cp)).unwrap();
    assert_eq!(back, cp);
    assert!(back.verify(&key.verifying_key()));

    let bytes = wire::checkpoint_envelope(5, &cp).encode_to_vec();
    match wire::decode_envelope(&bytes).unwrap() {
        Inbound::Checkpoint { ack, checkpoint } => {
            assert_eq!(ack, 5);
            assert!(checkpoint.verify(&key.verifying_key()));
            assert_eq!(checkpoint, cp);
        }
        other => panic!("{other:?}"),
    }
    // A field changed on the way no longer verifies: the signature covers what crossed.
    let mut pb_cp = wire::checkpoint_to_pb(&cp);
    pb_cp.sent_count += 1;
    let tampered = wire::checkpoint_from_pb(pb_cp).unwrap();
    assert!(!tampered.verify(&key.verifying_key()));
}

/// The fuzz target's seeds (`fuzz/seeds/link`) are valid envelopes.
#[test]
fn fuzz_seeds_decode() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds/link");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("SKIP: no {}", dir.display());
        return;
    };
    let mut n = 0;
    for e in entries {
        let path = e.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        assert!(wire::decode_envelope(&bytes).is_ok(), "{}", path.display());
        n += 1;
    }
    assert!(n > 0);
}

/// Writes the fuzz seeds; run with `VIGIL_WRITE_LINK_SEEDS=1` after a schema change.
#[test]
fn write_fuzz_seeds() {
    if std::env::var_os("VIGIL_WRITE_LINK_SEEDS").is_none() {
        return;
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds/link");
    std::fs::create_dir_all(&dir).unwrap();
    let mut seeds = vec![
        (
            "hello",
            wire::hello("warszawa-kaliningrad", "NATO/PL", "warszawa-lu", 3, false),
        ),
        (
            "heartbeat",
            wire::heartbeat_envelope(3, UnixTime(1_700_000_000.0), 5),
        ),
        (
            "checkpoint",
            wire::checkpoint_envelope(3, &sample_checkpoint()),
        ),
    ];
    for (name, msg) in [
        ("track", Outbound::Track(sample_track())),
        ("alert", Outbound::Alert(sample_alert())),
        ("incident", Outbound::IncidentTransition(sample_incident())),
        ("handover", Outbound::Handover(sample_handover())),
        ("missile_track", Outbound::MissileTrack(sample_missile())),
        (
            "launch_warning",
            Outbound::LaunchWarning(sample_launch_warning()),
        ),
        (
            "station_alarm",
            Outbound::StationAlarm(sample_station_alarm()),
        ),
    ] {
        let (kind, payload) = wire::encode_data(&msg).unwrap();
        seeds.push((name, wire::data_envelope(5, 3, kind, payload, true)));
    }
    for (name, env) in seeds {
        std::fs::write(dir.join(name), env.encode_to_vec()).unwrap();
    }
}

/// Early-warning and station messages are checked like the others: a state without its
/// covariance, a speed above escape velocity, half a launch point or an over-long list is
/// refused with its own error; a missile's 7 km/s is not.
#[test]
fn early_warning_and_station_refusals() {
    let missile = |edit: &dyn Fn(&mut pb::MissileTrack)| {
        let msg = Outbound::MissileTrack(sample_missile());
        let mut m: pb::MissileTrack = payload_of(&msg);
        edit(&mut m);
        wire::decode_data(pb::Kind::MissileTrack.into(), &m.encode_to_vec())
    };
    assert!(missile(&|_| {}).is_ok());
    assert!(
        missile(&|m| {
            m.velocity = Some(pb::Velocity {
                east_mps: 7_000.0,
                north_mps: 0.0,
                up_mps: 0.0,
            })
        })
        .is_ok()
    );
    assert_eq!(
        missile(&|m| m.cov_upper.truncate(20)).unwrap_err(),
        out_of_range("state_ecef/cov_upper length", 6.0)
    );
    assert_eq!(
        missile(&|m| m.state_ecef[2] = f64::NAN).unwrap_err(),
        WireError::NotFinite("state_ecef")
    );
    assert_eq!(
        missile(&|m| {
            m.velocity = Some(pb::Velocity {
                east_mps: 12_000.0,
                north_mps: 0.0,
                up_mps: 0.0,
            })
        })
        .unwrap_err(),
        out_of_range("velocity", 12_000.0)
    );
    assert_eq!(
        missile(&|m| m.launch_lon = None).unwrap_err(),
        WireError::Missing("launch_lat/launch_lon")
    );
    assert_eq!(
        missile(&|m| m.alt_m = 6.0e6).unwrap_err(),
        out_of_range("alt_m", 6.0e6)
    );
    assert_eq!(
        missile(&|m| m.impact.as_mut().unwrap().semi_major_m = -1.0).unwrap_err(),
        out_of_range("impact.semi_major_m", -1.0)
    );
    let alarm = Outbound::StationAlarm(sample_station_alarm());
    let mut a: pb::StationAlarm = payload_of(&alarm);
    a.sensor_kinds = vec!["x".into(); 65];
    assert_eq!(
        wire::decode_data(pb::Kind::StationAlarm.into(), &a.encode_to_vec()).unwrap_err(),
        too_long("sensor_kinds", 65, 64)
    );
    let warning = Outbound::LaunchWarning(sample_launch_warning());
    let mut w: pb::LaunchWarning = payload_of(&warning);
    w.radius_m = f64::INFINITY;
    assert_eq!(
        wire::decode_data(pb::Kind::LaunchWarning.into(), &w.encode_to_vec()).unwrap_err(),
        WireError::NotFinite("radius_m")
    );
}
