//! Tracker behaviour on synthetic scenarios: identity, continuity across sensors, the
//! transponder-lost flag, M-of-N, deletion, partner fusion, bad input, determinism.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use nalgebra::Vector3;
use proptest::prelude::*;
use vigil_core::{
    Geodetic, IcaoAddress, Identity, LatLon, Measurement, Observation, SensorId, UnixTime,
    VelocityEnu, Vertical,
};
use vigil_track::measurement::RadarSite;
use vigil_track::{
    Batch, Coverage, LocalFrame, PartyId, Reject, SensorKind, SensorSpec, TrackStatus, Tracker,
    TrackerConfig,
};

const ADSB: SensorId = SensorId(1);
const RADAR: SensorId = SensorId(2);
const PARTNER: SensorId = SensorId(9);
const T0: f64 = 1_700_000_000.0;

fn geo(lat: f64, lon: f64, h: f64) -> Geodetic {
    Geodetic {
        pos: LatLon::new(lat, lon),
        height_m: h,
    }
}

fn radar_site() -> Geodetic {
    geo(48.7, 2.2, 100.0)
}

fn config() -> TrackerConfig {
    TrackerConfig {
        origin: geo(48.9, 2.4, 0.0),
        ..TrackerConfig::default()
    }
}

fn sensors() -> Vec<SensorSpec> {
    vec![
        SensorSpec {
            id: ADSB,
            party: PartyId(1),
            kind: SensorKind::Adsb,
            max_range_m: 400e3,
        },
        SensorSpec {
            id: RADAR,
            party: PartyId(1),
            kind: SensorKind::Radar { site: radar_site() },
            max_range_m: 250e3,
        },
        SensorSpec {
            id: PARTNER,
            party: PartyId(7),
            kind: SensorKind::Partner,
            max_range_m: 1_000e3,
        },
    ]
}

fn tracker() -> Tracker {
    Tracker::new(config(), &sensors()).unwrap()
}

/// A straight flight at 10 km, 230 m/s north-east, in the tracker's frame.
fn truth(t: f64) -> Vector3<f64> {
    Vector3::new(-30e3 + 160.0 * t, -20e3 + 165.0 * t, 10_000.0)
}

/// Deterministic pseudo-noise in [-1, 1].
fn wiggle(k: f64) -> f64 {
    (k * 12.989_8).sin() * 0.7 + (k * 4.1414).cos() * 0.3
}

fn adsb(frame: &LocalFrame, t: f64, icao: u32) -> Observation {
    let p = truth(t) + Vector3::new(wiggle(t) * 30.0, wiggle(t + 0.5) * 30.0, 0.0);
    let g = frame.enu_to_geodetic(&p);
    Observation {
        time: UnixTime(T0 + t),
        sensor: ADSB,
        measurement: Measurement::Position {
            pos: g.pos,
            cov_en_m2: [[900.0, 0.0], [0.0, 900.0]],
        },
        vertical: Vertical {
            baro_ft: Some(g.height_m / 0.3048),
            geom_m: None,
        },
        velocity: None,
        identity: Identity {
            icao: Some(IcaoAddress::new(icao)),
            mode3a: Some(0x4621),
            callsign: Some("TEST12".into()),
            sensor_track: None,
        },
    }
}

fn plot(frame: &LocalFrame, t: f64, p: Vector3<f64>, identity: Identity) -> Observation {
    let site = RadarSite::new(frame, radar_site()).unwrap();
    let pol = site.polar(&p).unwrap();
    let with_id = identity.icao.is_some();
    Observation {
        time: UnixTime(T0 + t),
        sensor: RADAR,
        measurement: Measurement::Polar {
            origin: radar_site(),
            range_m: pol.range_m + wiggle(t) * 40.0,
            azimuth_rad: pol.azimuth_rad + wiggle(t + 0.3) * 0.001,
            elevation_rad: None,
            sigma_range_m: 40.0,
            sigma_azimuth_rad: 0.001,
            sigma_elevation_rad: None,
        },
        vertical: Vertical {
            baro_ft: with_id.then(|| frame.enu_to_geodetic(&p).height_m / 0.3048),
            geom_m: None,
        },
        velocity: None,
        identity,
    }
}

fn mode_s(icao: u32) -> Identity {
    Identity {
        icao: Some(IcaoAddress::new(icao)),
        mode3a: Some(0x4621),
        callsign: None,
        sensor_track: None,
    }
}

fn feed(tr: &mut Tracker, sensor: SensorId, obs: Vec<Observation>) {
    tr.process(&Batch {
        sensor,
        coverage: if sensor == PARTNER {
            Coverage::None
        } else {
            Coverage::Full
        },
        observations: &obs,
    });
}

/// ADS-B, then the receiver fails and a Mode S radar alone carries the track: one track
/// number throughout, lineage showing who fed it.
#[test]
fn track_number_survives_a_change_of_sensors() {
    let mut tr = tracker();
    let frame = *tr.frame();
    for k in 0..20 {
        feed(&mut tr, ADSB, vec![adsb(&frame, f64::from(k), 0x4b1234)]);
    }
    assert_eq!(tr.len(), 1);
    let id = tr.tracks().next().unwrap().id();
    assert_eq!(tr.track(id).unwrap().status(), TrackStatus::Confirmed);
    assert!(tr.track(id).unwrap().lineage().has_sensor(ADSB));
    for k in 0..15 {
        let t = 20.0 + 4.0 * f64::from(k);
        feed(
            &mut tr,
            RADAR,
            vec![plot(&frame, t, truth(t), mode_s(0x4b1234))],
        );
    }
    assert_eq!(tr.len(), 1);
    let track = tr.track(id).expect("same track number");
    let lineage = track.lineage().contributions();
    assert_eq!(
        lineage.len(),
        1,
        "ADS-B fell out of the lineage window: {lineage:?}"
    );
    assert_eq!(lineage[0].sensor, RADAR);
    assert!(!track.transponder_lost());
    let err = (tr.predict(track, UnixTime(T0 + 76.0)).position() - truth(76.0)).norm();
    assert!(err < 150.0, "radar-only error {err} m");
}

/// The transponder goes silent: primary plots keep the track, which is flagged after the
/// configured time, and unflagged when the transponder comes back.
#[test]
fn silent_transponder_is_flagged_and_the_track_continues() {
    let mut tr = tracker();
    let frame = *tr.frame();
    for k in 0..20 {
        feed(&mut tr, ADSB, vec![adsb(&frame, f64::from(k), 0x4b1234)]);
    }
    let id = tr.tracks().next().unwrap().id();
    let mut flagged_at = None;
    for k in 0..20 {
        let t = 22.0 + 4.0 * f64::from(k);
        feed(
            &mut tr,
            RADAR,
            vec![plot(&frame, t, truth(t), Identity::default())],
        );
        assert_eq!(tr.len(), 1, "a second track appeared at {t}");
        if flagged_at.is_none() && tr.track(id).unwrap().transponder_lost() {
            flagged_at = Some(t);
        }
    }
    let flagged_at = flagged_at.expect("flagged");
    assert!(
        (39.0..=46.0).contains(&flagged_at),
        "flagged at {flagged_at}"
    );
    let track = tr.track(id).unwrap();
    assert_eq!(track.identity().icao, Some(IcaoAddress::new(0x4b1234)));
    // The transponder comes back.
    feed(&mut tr, ADSB, vec![adsb(&frame, 103.0, 0x4b1234)]);
    assert!(!tr.track(id).unwrap().transponder_lost());
    assert_eq!(tr.len(), 1);
}

/// Mode 3/A associates only while exactly one track has the code.
#[test]
fn mode3a_identity_only_when_unique() {
    let mut tr = tracker();
    let frame = *tr.frame();
    let code_only = |code| Identity {
        icao: None,
        mode3a: Some(code),
        callsign: None,
        sensor_track: None,
    };
    // Two aircraft 40 km apart known from SSR Mode A/C plots only.
    let other = |t: f64| truth(t) + Vector3::new(40e3, 0.0, 0.0);
    for k in 0..6 {
        let t = 4.0 * f64::from(k);
        feed(
            &mut tr,
            RADAR,
            vec![
                plot(&frame, t, truth(t), code_only(0x4621)),
                plot(&frame, t + 0.1, other(t + 0.1), code_only(0x5110)),
            ],
        );
    }
    assert_eq!(tr.len(), 2);
    let by_code = tr.stats().identity_updates;
    feed(
        &mut tr,
        RADAR,
        vec![plot(&frame, 24.0, truth(24.0), code_only(0x4621))],
    );
    assert!(
        tr.stats().identity_updates > by_code,
        "unique code used as identity"
    );
    // Now the second aircraft squawks the same code: the code is ambiguous and ignored for
    // identity, kinematics still associate both correctly.
    let updates = tr.stats().updates;
    feed(
        &mut tr,
        RADAR,
        vec![
            plot(&frame, 28.0, truth(28.0), code_only(0x4621)),
            plot(&frame, 28.1, other(28.1), code_only(0x4621)),
        ],
    );
    assert_eq!(tr.stats().updates, updates + 2);
    assert_eq!(tr.len(), 2);
    feed(
        &mut tr,
        RADAR,
        vec![
            plot(&frame, 32.0, truth(32.0), code_only(0x4621)),
            plot(&frame, 32.1, other(32.1), code_only(0x4621)),
        ],
    );
    assert_eq!(tr.len(), 2, "no duplicate tracks from an ambiguous code");
}

/// A single false plot makes a tentative track that dies after N opportunities without
/// confirmation.
#[test]
fn clutter_tracks_fail_m_of_n() {
    let mut tr = tracker();
    let frame = *tr.frame();
    feed(
        &mut tr,
        RADAR,
        vec![plot(
            &frame,
            0.0,
            Vector3::new(10e3, 5e3, 3e3),
            Identity::default(),
        )],
    );
    assert_eq!(tr.tracks().next().unwrap().status(), TrackStatus::Tentative);
    // Empty scans of the radar (the real aircraft elsewhere keeps time moving).
    for k in 1..8 {
        let t = 4.0 * f64::from(k);
        feed(
            &mut tr,
            RADAR,
            vec![plot(&frame, t, truth(t), mode_s(0x111111))],
        );
    }
    assert_eq!(tr.stats().deleted_tentative, 1);
    assert!(tr.tracks().all(|t| t.identity().icao.is_some()));
}

/// A confirmed track coasts, loses quality, and is deleted by age; another by covariance.
#[test]
fn coasting_and_deletion() {
    let mut tr = tracker();
    let frame = *tr.frame();
    for k in 0..10 {
        feed(&mut tr, ADSB, vec![adsb(&frame, f64::from(k), 0xaaaaaa)]);
    }
    let id = tr.track_by_icao(IcaoAddress::new(0xaaaaaa)).unwrap().id();
    let q0 = tr.quality(tr.track(id).unwrap(), UnixTime(T0 + 9.0));
    assert!(q0.score > 0.8, "{q0:?}");
    // Another aircraft keeps time moving.
    let mut deleted_at = None;
    for k in 10..80 {
        let t = f64::from(k);
        let mut o = adsb(&frame, t, 0xbbbbbb);
        if let Measurement::Position { pos, .. } = &mut o.measurement {
            pos.lat += 0.5;
        }
        feed(&mut tr, ADSB, vec![o]);
        match tr.track(id) {
            Some(track) => {
                let q = tr.quality(track, UnixTime(T0 + t));
                assert!(q.score <= q0.score);
                assert_eq!(track.is_coasting(UnixTime(T0 + t), 15.0), t - 9.0 > 15.0);
            }
            None => {
                deleted_at.get_or_insert(t);
            }
        }
    }
    let at = deleted_at.expect("deleted");
    assert!((45.0..=60.0).contains(&at), "deleted at {at}");
    assert_eq!(tr.stats().deleted_age, 1);

    // Deletion by covariance: a tight threshold.
    let mut tr = Tracker::new(
        TrackerConfig {
            max_sigma_m: 300.0,
            delete_after_s: 1_000.0,
            ..config()
        },
        &sensors(),
    )
    .unwrap();
    for k in 0..10 {
        feed(&mut tr, ADSB, vec![adsb(&frame, f64::from(k), 0xaaaaaa)]);
    }
    for k in 10..200 {
        let mut o = adsb(&frame, f64::from(k), 0xbbbbbb);
        if let Measurement::Position { pos, .. } = &mut o.measurement {
            pos.lat += 0.5;
        }
        feed(&mut tr, ADSB, vec![o]);
    }
    assert!(tr.track_by_icao(IcaoAddress::new(0xaaaaaa)).is_none());
    assert_eq!(tr.stats().deleted_covariance, 1);
}

/// Time-only maintenance deletes a track whose sensors went quiet, by age or by covariance,
/// without any batch, and keeps it while it is young enough.
#[test]
fn maintain_deletes_without_observations() {
    let mut tr = tracker();
    let frame = *tr.frame();
    for k in 0..10 {
        feed(&mut tr, ADSB, vec![adsb(&frame, f64::from(k), 0xaaaaaa)]);
    }
    let id = tr.track_by_icao(IcaoAddress::new(0xaaaaaa)).unwrap().id();
    let last = T0 + 9.0;
    let delete_after = tr.config().delete_after_s;
    // Coasting, not deleted.
    assert_eq!(tr.maintain(UnixTime(last + 20.0)), 0);
    let track = tr.track(id).unwrap();
    assert!(track.is_coasting(UnixTime(last + 20.0), tr.config().coast_after_s));
    assert_eq!(tr.maintain(UnixTime(f64::NAN)), 0);
    assert_eq!(tr.maintain(UnixTime(last + delete_after - 1.0)), 0);
    assert!(tr.track(id).is_some());
    // Too old: deleted, counted, and the observation time has not moved.
    assert_eq!(tr.maintain(UnixTime(last + delete_after + 1.0)), 1);
    assert!(tr.track(id).is_none() && tr.track_by_icao(IcaoAddress::new(0xaaaaaa)).is_none());
    assert_eq!(tr.stats().deleted_age, 1);
    assert_eq!(tr.now(), Some(UnixTime(last)));
    assert!(tr.is_empty());

    // By covariance: a tight threshold, reached while coasting.
    let mut tr = Tracker::new(
        TrackerConfig {
            max_sigma_m: 300.0,
            delete_after_s: 1_000.0,
            ..config()
        },
        &sensors(),
    )
    .unwrap();
    for k in 0..10 {
        feed(&mut tr, ADSB, vec![adsb(&frame, f64::from(k), 0xaaaaaa)]);
    }
    assert_eq!(tr.maintain(UnixTime(last + 1.0)), 0);
    assert_eq!(tr.maintain(UnixTime(last + 200.0)), 1);
    assert_eq!(tr.stats().deleted_covariance, 1);
}

/// A partner's system track fuses by covariance intersection: the party shows in the
/// lineage, and the same partner estimate sent again and again does not make the track more
/// and more confident (no double counting).
#[test]
fn partner_tracks_fuse_without_double_counting() {
    let mut tr = tracker();
    let frame = *tr.frame();
    for k in 0..6 {
        let t = 4.0 * f64::from(k);
        feed(
            &mut tr,
            RADAR,
            vec![plot(&frame, t, truth(t), mode_s(0x3c0001))],
        );
    }
    let id = tr.tracks().next().unwrap().id();
    let partner_obs = |t: f64| {
        let g = frame.enu_to_geodetic(&truth(t));
        Observation {
            time: UnixTime(T0 + t),
            sensor: PARTNER,
            measurement: Measurement::Position {
                pos: g.pos,
                cov_en_m2: [[2500.0, 0.0], [0.0, 2500.0]],
            },
            vertical: Vertical::default(),
            velocity: Some(VelocityEnu {
                east_mps: 160.0,
                north_mps: 165.0,
                up_mps: None,
                sigma_mps: 5.0,
            }),
            identity: Identity {
                icao: Some(IcaoAddress::new(0x3c0001)),
                mode3a: None,
                callsign: None,
                sensor_track: Some(77),
            },
        }
    };
    let before = tr.track(id).unwrap().estimate().p;
    feed(&mut tr, PARTNER, vec![partner_obs(21.0)]);
    let once = tr.track(id).unwrap().estimate().p;
    assert!(once[(0, 0)] < before[(0, 0)] + 1e-6 || once.determinant() < before.determinant());
    assert!(tr.track(id).unwrap().lineage().has_party(PartyId(7)));
    for _ in 0..10 {
        feed(&mut tr, PARTNER, vec![partner_obs(21.0)]);
    }
    let many = tr.track(id).unwrap().estimate().p;
    // Shared information counted once: ten repeats change the determinant by < 1 %.
    assert!(
        many.determinant() > 0.99 * once.determinant(),
        "{} vs {}",
        many.determinant(),
        once.determinant()
    );
    assert_eq!(tr.len(), 1);
}

/// Data-driven: each kind of bad input is refused with its counted reason and leaves the
/// track as it was.
#[test]
fn bad_input_is_refused_with_a_reason() {
    let mut base = tracker();
    let frame = *base.frame();
    for k in 0..10 {
        feed(&mut base, ADSB, vec![adsb(&frame, f64::from(k), 0x4b1234)]);
    }
    let good_plot = plot(&frame, 10.0, truth(10.0), mode_s(0x4b1234));
    let polar = |f: &dyn Fn(&mut Observation)| {
        let mut o = good_plot.clone();
        f(&mut o);
        (RADAR, o)
    };
    let pos = |f: &dyn Fn(&mut Observation)| {
        let mut o = adsb(&frame, 10.0, 0x4b1234);
        f(&mut o);
        (ADSB, o)
    };
    let set_polar = |o: &mut Observation, k: usize, v: f64| {
        if let Measurement::Polar {
            range_m,
            azimuth_rad,
            sigma_range_m,
            sigma_azimuth_rad,
            origin,
            ..
        } = &mut o.measurement
        {
            match k {
                0 => *range_m = v,
                1 => *azimuth_rad = v,
                2 => *sigma_range_m = v,
                3 => *sigma_azimuth_rad = v,
                _ => origin.pos.lat += v,
            }
        }
    };
    let set_pos = |o: &mut Observation, k: usize, v: f64| {
        if let Measurement::Position { pos, cov_en_m2 } = &mut o.measurement {
            match k {
                0 => pos.lat = v,
                1 => cov_en_m2[0][0] = v,
                _ => cov_en_m2[0][1] = v,
            }
        }
    };
    let cases: Vec<(&str, (SensorId, Observation), Reject)> = vec![
        (
            "NaN range",
            polar(&|o| set_polar(o, 0, f64::NAN)),
            Reject::NonFinite,
        ),
        (
            "infinite azimuth",
            polar(&|o| set_polar(o, 1, f64::INFINITY)),
            Reject::NonFinite,
        ),
        (
            "NaN latitude",
            pos(&|o| set_pos(o, 0, f64::NAN)),
            Reject::NonFinite,
        ),
        (
            "infinite covariance",
            pos(&|o| set_pos(o, 1, f64::INFINITY)),
            Reject::NonFinite,
        ),
        (
            "NaN time",
            pos(&|o| o.time = UnixTime(f64::NAN)),
            Reject::NonFinite,
        ),
        (
            "NaN altitude",
            pos(&|o| o.vertical.baro_ft = Some(f64::NAN)),
            Reject::NonFinite,
        ),
        (
            "time far back",
            pos(&|o| o.time = UnixTime(T0 - 3_600.0)),
            Reject::TimeBackwards,
        ),
        (
            "zero range sigma",
            polar(&|o| set_polar(o, 2, 0.0)),
            Reject::AbsurdNoise,
        ),
        (
            "negative azimuth sigma",
            polar(&|o| set_polar(o, 3, -0.001)),
            Reject::AbsurdNoise,
        ),
        (
            "absurd azimuth sigma",
            polar(&|o| set_polar(o, 3, 1.0)),
            Reject::AbsurdNoise,
        ),
        (
            "covariance not positive",
            pos(&|o| set_pos(o, 2, 1e6)),
            Reject::AbsurdNoise,
        ),
        (
            "radar at the wrong place",
            polar(&|o| set_polar(o, 4, 0.01)),
            Reject::SensorMismatch,
        ),
        (
            "range beyond reach",
            polar(&|o| set_polar(o, 0, 2e6)),
            Reject::OutOfRange,
        ),
        (
            "latitude out of range",
            pos(&|o| set_pos(o, 0, 95.0)),
            Reject::OutOfRange,
        ),
        (
            "position from a radar",
            (RADAR, {
                let mut o = adsb(&frame, 10.0, 1);
                o.sensor = RADAR;
                o
            }),
            Reject::SensorMismatch,
        ),
        (
            "wrong sensor in batch",
            (ADSB, good_plot.clone()),
            Reject::WrongSensor,
        ),
        (
            "unknown sensor",
            (SensorId(55), {
                let mut o = good_plot.clone();
                o.sensor = SensorId(55);
                o
            }),
            Reject::UnknownSensor,
        ),
        (
            "absurd velocity noise",
            pos(&|o| {
                o.velocity = Some(VelocityEnu {
                    east_mps: 1.0,
                    north_mps: 1.0,
                    up_mps: None,
                    sigma_mps: 0.0,
                })
            }),
            Reject::AbsurdNoise,
        ),
        (
            "supersonic nonsense",
            pos(&|o| {
                o.velocity = Some(VelocityEnu {
                    east_mps: 1e5,
                    north_mps: 1.0,
                    up_mps: None,
                    sigma_mps: 1.0,
                })
            }),
            Reject::OutOfRange,
        ),
    ];
    for (name, (sensor, obs), reason) in cases {
        let mut tr = Tracker::new(config(), &sensors()).unwrap();
        for k in 0..10 {
            feed(&mut tr, ADSB, vec![adsb(&frame, f64::from(k), 0x4b1234)]);
        }
        let before: Vec<_> = tr.tracks().map(|t| (t.id(), t.estimate())).collect();
        let report = tr.process(&Batch {
            sensor,
            coverage: Coverage::None,
            observations: std::slice::from_ref(&obs),
        });
        assert_eq!(report.rejected, 1, "{name}: {report:?}");
        assert_eq!(
            tr.stats().rejected(reason),
            1,
            "{name}: {:?}",
            tr.stats().rejected
        );
        let after: Vec<_> = tr.tracks().map(|t| (t.id(), t.estimate())).collect();
        assert_eq!(before, after, "{name} changed a track");
    }
    // And the untouched original still accepts the good plot.
    assert_eq!(
        base.process(&Batch {
            sensor: RADAR,
            coverage: Coverage::Full,
            observations: &[good_plot]
        })
        .updated,
        1
    );
}

fn scenario() -> Vec<(SensorId, Vec<Observation>)> {
    let frame = LocalFrame::new(config().origin).unwrap();
    let mut out = Vec::new();
    for k in 0..60 {
        let t = f64::from(k);
        out.push((ADSB, vec![adsb(&frame, t, 0x4b1234)]));
        if k % 4 == 0 {
            out.push((
                RADAR,
                vec![
                    plot(&frame, t + 0.5, truth(t + 0.5), mode_s(0x4b1234)),
                    plot(
                        &frame,
                        t + 0.6,
                        Vector3::new(5e3 * wiggle(t), 8e3, 2e3),
                        Identity::default(),
                    ),
                ],
            ));
        }
    }
    out
}

/// Same input, same tracks, bit for bit.
#[test]
fn replay_is_deterministic() {
    let run = || {
        let mut tr = tracker();
        for (s, obs) in scenario() {
            feed(&mut tr, s, obs);
        }
        tr.tracks()
            .map(|t| (t.id(), t.estimate(), t.status(), t.identity().clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(run(), run());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Whatever the observations (garbage included), no panic and every track's filter
    /// stays finite with symmetric positive definite covariances.
    #[test]
    fn tracks_stay_valid_under_arbitrary_input(
        obs in proptest::collection::vec(
            (0.0f64..120.0, -3e5f64..3e5, -3e5f64..3e5, -1e3f64..2e4,
             prop_oneof![Just(1.0f64), Just(f64::NAN), Just(1e-9), Just(1e12), 0.1f64..1e4],
             any::<bool>(), 0u32..4),
            1..80),
    ) {
        let mut tr = tracker();
        let frame = *tr.frame();
        let mut obs = obs;
        obs.sort_by(|a, b| a.0.total_cmp(&b.0));
        for (t, e, n, u, noise, radar, who) in obs {
            let p = Vector3::new(e, n, u);
            let o = if radar {
                let site = RadarSite::new(&frame, radar_site()).unwrap();
                let Some(pol) = site.polar(&p) else { continue };
                Observation {
                    time: UnixTime(T0 + t),
                    sensor: RADAR,
                    measurement: Measurement::Polar {
                        origin: radar_site(),
                        range_m: pol.range_m,
                        azimuth_rad: pol.azimuth_rad,
                        elevation_rad: None,
                        sigma_range_m: noise * 40.0,
                        sigma_azimuth_rad: noise * 0.001,
                        sigma_elevation_rad: None,
                    },
                    vertical: Vertical::default(),
                    velocity: None,
                    identity: if who > 0 { mode_s(who) } else { Identity::default() },
                }
            } else {
                let g = frame.enu_to_geodetic(&p);
                Observation {
                    time: UnixTime(T0 + t),
                    sensor: ADSB,
                    measurement: Measurement::Position {
                        pos: g.pos,
                        cov_en_m2: [[noise * 900.0, 0.0], [0.0, noise * 900.0]],
                    },
                    vertical: Vertical { baro_ft: Some(u / 0.3048), geom_m: None },
                    velocity: None,
                    identity: if who > 0 { mode_s(who) } else { Identity::default() },
                }
            };
            feed(&mut tr, o.sensor, vec![o]);
            for track in tr.tracks() {
                prop_assert!(track.state().is_valid(), "{:?}", track.estimate());
            }
        }
    }
}
