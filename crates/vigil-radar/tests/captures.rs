//! The real captures of `../shared/data/asterix` turned into observations, checked against
//! the peer decoders' outputs shipped with them (CroatiaControl's text for CAT034/048, its
//! JSON for CAT062/065), and replayed through the source tasks.

#![allow(clippy::expect_used, clippy::unwrap_used)] // tests: a failed expectation is the report

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use vigil_asterix::pcap::read_capture;
use vigil_core::{IcaoAddress, ManualClock, Measurement, Observation, SensorId, UnixTime};
use vigil_radar::config::{PcapSource, RawSource, SensorPosition, SourceConfig, Timestamps};
use vigil_radar::{Converter, RadarBatch, RadarConfig, RadarState, RadarStats, Radars};

fn config(name: &str, position: Option<SensorPosition>, source: SourceConfig) -> RadarConfig {
    RadarConfig {
        name: name.into(),
        position,
        sigma_range_m: 40.0,
        sigma_azimuth_deg: 0.08,
        sigma_position_m: 150.0,
        sigma_velocity_mps: 3.0,
        sac: None,
        sic: None,
        editions: Default::default(),
        exercise: false,
        source,
    }
}

fn raw(path: &Path) -> SourceConfig {
    SourceConfig::Raw(RawSource {
        path: path.to_owned(),
    })
}

/// The radar of `cat_034_048.pcap` as it reports itself in CAT034 I120 (CroatiaControl's
/// decode: 43.5710220°, 16.4060624°, 780 m).
const SPLIT: SensorPosition = SensorPosition {
    lat: 43.571_022_0,
    lon: 16.406_062_4,
    height_m: 780.0,
};

/// One record of CroatiaControl's text output: (item, field label) → (raw text, scaled).
type Fields = HashMap<(String, String), (String, Option<f64>)>;

/// The CAT048 records of `cat_034_048.txt`, in order.
fn croatia_cat048(text: &str) -> Vec<Fields> {
    let mut records = Vec::new();
    let mut cat = 0;
    let mut item = String::new();
    for line in text.lines() {
        if let Some(c) = line.strip_prefix("Category: ") {
            cat = c.trim().parse().unwrap();
        } else if line.starts_with("Data Record ") {
            if cat == 48 {
                records.push(Fields::new());
            }
        } else if let Some(rest) = line.strip_prefix("Item ") {
            item = rest.split_whitespace().next().unwrap().to_owned();
        } else if let Some(f) = line.strip_prefix('\t') {
            if cat != 48 {
                continue;
            }
            let (label, value) = f.split_once(": ").unwrap();
            let (raw, scaled) = match value.split_once(" (") {
                Some((r, s)) => (
                    r.to_owned(),
                    s.split_whitespace().next().and_then(|n| n.parse().ok()),
                ),
                None => (value.to_owned(), None),
            };
            records
                .last_mut()
                .unwrap()
                .insert((item.clone(), label.to_owned()), (raw, scaled));
        }
    }
    records
}

fn convert_capture(bytes: &[u8], cfg: &RadarConfig) -> (Vec<Observation>, RadarStats, Converter) {
    let cap = read_capture(bytes).expect("capture");
    let mut conv = Converter::new(SensorId(7), cfg).unwrap();
    let mut stats = RadarStats::new(SensorId(7), &cfg.name, "pcap", String::new());
    let mut out = Vec::new();
    for dg in &cap.datagrams {
        conv.datagram(dg.payload, dg.timestamp, &mut stats, &mut out);
    }
    (out, stats, conv)
}

/// The capture carries seven radars (SAC 25, SIC 11, 12, 13, 14, 201, 204, 205); only SIC 12
/// (near Split) sends its position. A centre configures one [[radar]] per radar, each with
/// its SAC/SIC.
const SICS: [u8; 7] = [11, 12, 13, 14, 201, 204, 205];

#[test]
fn every_cat048_plot_of_cat_034_048_becomes_a_polar_observation() {
    let (Some(pcap), Some(txt)) = (
        vigil_testdata::path("asterix/cat_034_048.pcap"),
        vigil_testdata::path("asterix/cat_034_048.txt"),
    ) else {
        return;
    };
    let expected = croatia_cat048(&std::fs::read_to_string(txt).unwrap());
    assert_eq!(expected.len(), 128, "CAT048 records in the peer's output");
    let bytes = std::fs::read(pcap).unwrap();
    let field = |r: &Fields, item: &str, label: &str| r.get(&(item.into(), label.into())).cloned();
    let sic_of = |r: &Fields| -> u8 {
        field(r, "010", "System Identification Code")
            .unwrap()
            .0
            .parse()
            .unwrap()
    };
    let elsewhere = SensorPosition {
        lat: 45.0,
        lon: 15.0,
        height_m: 100.0,
    };
    let mut total = 0;
    for sic in SICS {
        let position = if sic == 12 { SPLIT } else { elsewhere };
        let mut cfg = config(
            &format!("sic{sic}"),
            Some(position),
            raw(Path::new("unused")),
        );
        cfg.sac = Some(25);
        cfg.sic = Some(sic);
        let (obs, stats, _) = convert_capture(&bytes, &cfg);
        let with_plot: Vec<&Fields> = expected
            .iter()
            .filter(|r| sic_of(r) == sic && field(r, "040", "RHO").is_some())
            .collect();
        assert_eq!(
            obs.len(),
            with_plot.len(),
            "SIC {sic}: one observation per plot"
        );
        total += obs.len();
        for (i, (o, r)) in obs.iter().zip(&with_plot).enumerate() {
            let ctx = format!("SIC {sic} plot {i}: {o:?}");
            let Measurement::Polar {
                origin,
                range_m,
                azimuth_rad,
                sigma_range_m,
                sigma_azimuth_rad,
                ..
            } = o.measurement
            else {
                panic!("{ctx}: not polar")
            };
            assert_eq!(origin, position.geodetic(), "{ctx}");
            let rho_nm = field(r, "040", "RHO").unwrap().1.unwrap();
            let theta = field(r, "040", "THETA").unwrap().1.unwrap();
            assert!(
                (range_m - rho_nm * 1852.0).abs() < 1e-3,
                "{ctx}: rho {rho_nm} NM"
            );
            assert!(
                (azimuth_rad.to_degrees() - theta).abs() < 1e-6,
                "{ctx}: theta {theta}"
            );
            assert_eq!(sigma_range_m, 40.0);
            assert!((sigma_azimuth_rad - 0.08f64.to_radians()).abs() < 1e-15);

            // Time: the peer's time of day, on the capture's day (2016-05-05).
            let tod = field(r, "140", "Time Of Day").unwrap().1.unwrap();
            assert_eq!(o.time, UnixTime(1_462_406_400.0 + tod), "{ctx}");

            let address = field(r, "220", "AircraftAddress")
                .map(|(hex, _)| IcaoAddress::new(u32::from_str_radix(&hex, 16).unwrap()));
            assert_eq!(o.identity.icao, address, "{ctx}");
            let squawk = field(r, "070", "Mode-3/A reply code")
                .filter(|_| field(r, "070", "V").unwrap().0 == "0")
                .filter(|_| field(r, "070", "G").unwrap().0 == "0")
                .map(|(octal, _)| u16::from_str_radix(&octal, 16).unwrap());
            assert_eq!(o.identity.mode3a, squawk, "{ctx}");
            let callsign = field(
                r,
                "240",
                "Characters 1-8 (coded on 6 bits each) defining target identification",
            )
            .map(|(c, _)| c.trim().to_owned())
            .filter(|c| !c.is_empty());
            assert_eq!(o.identity.callsign, callsign, "{ctx}");
            let track = field(r, "161", "Track Number").map(|(n, _)| n.parse::<u32>().unwrap());
            assert_eq!(o.identity.sensor_track, track, "{ctx}");
            let fl = field(r, "090", "FlightLevel")
                .filter(|_| field(r, "090", "V").unwrap().0 == "0")
                .filter(|_| field(r, "090", "G").unwrap().0 == "0")
                .map(|(_, scaled)| scaled.unwrap() * 100.0);
            assert_eq!(o.vertical.baro_ft, fl, "{ctx}");
            assert_eq!(o.sensor, SensorId(7));
        }

        let c = &stats.counters;
        // Every record is decoded (and counted); other radars' are dropped after.
        assert_eq!(c.records_by_category.get(&48), Some(&128));
        assert_eq!(c.records_by_category.get(&34), Some(&34));
        assert_eq!(c.observations, obs.len() as u64);
        assert!(c.errors.is_empty(), "{:?}", c.errors);
        assert!(c.unknown_categories.is_empty());
        assert_eq!(c.datagrams, 100);
        if sic == 12 {
            let s = &c.service;
            assert!(s.north_markers + s.sector_crossings > 0, "{s:?}");
            let reported = s.reported_position.expect("CAT034 I120");
            assert!(reported.pos.distance_m(&SPLIT.geodetic().pos) < 1.0);
            assert_eq!(reported.height_m, 780.0);
            assert!(
                s.rotation_period_s.is_some() || s.last_sector_deg.is_some(),
                "{s:?}"
            );
        }
    }
    assert_eq!(total, 126, "every plot of the capture, once");
}

#[test]
fn one_sensor_takes_one_radar_of_a_shared_stream() {
    let Some(pcap) = vigil_testdata::path("asterix/cat_034_048.pcap") else {
        return;
    };
    let bytes = std::fs::read(pcap).unwrap();
    // No SAC/SIC configured: the first radar seen is this sensor's, the others are dropped
    // and counted rather than measured from the wrong antenna.
    let cfg = config("any", Some(SPLIT), raw(Path::new("unused")));
    let (obs, stats, conv) = convert_capture(&bytes, &cfg);
    let (sac, sic) = conv.radar_source().expect("locked on the first radar");
    assert_eq!(sac, 25);
    assert!(SICS.contains(&sic));
    let c = &stats.counters;
    assert!(c.other_sources > 0);
    assert!(!obs.is_empty() && obs.len() < 126);
    assert_eq!(c.observations, obs.len() as u64);
}

#[test]
fn without_a_configured_position_the_radars_own_report_is_used() {
    let Some(pcap) = vigil_testdata::path("asterix/cat_034_048.pcap") else {
        return;
    };
    let bytes = std::fs::read(pcap).unwrap();
    let mut cfg = config("split", None, raw(Path::new("unused")));
    cfg.sac = Some(25);
    cfg.sic = Some(12);
    let (obs, stats, conv) = convert_capture(&bytes, &cfg);
    let skipped = stats.counters.skipped.get("no_radar_position").copied();
    assert!(
        skipped.is_some_and(|n| n > 0),
        "plots before the first CAT034 I120 cannot be placed: {skipped:?}"
    );
    assert_eq!(obs.len() as u64 + skipped.unwrap(), 38, "SIC 12's plots");
    let origin = conv.origin().expect("learned from CAT034");
    assert!(origin.pos.distance_m(&SPLIT.geodetic().pos) < 1.0);
    assert!(
        obs.iter()
            .all(|o| matches!(o.measurement, Measurement::Polar { origin: g, .. } if g == origin))
    );
}

#[test]
fn cat062_tracks_of_cat_062_065_become_positions_like_the_peer_decodes_them() {
    let (Some(pcap), Some(json)) = (
        vigil_testdata::path("asterix/cat_062_065.pcap"),
        vigil_testdata::path("asterix/cat_062_065_json.txt"),
    ) else {
        return;
    };
    let expected: Vec<serde_json::Value> = std::fs::read_to_string(json)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|v: &serde_json::Value| v["cat"] == 62)
        .collect();
    assert!(!expected.is_empty());
    let bytes = std::fs::read(pcap).unwrap();
    let cfg = config("sdps", None, raw(Path::new("unused")));
    let (obs, stats, _) = convert_capture(&bytes, &cfg);
    assert_eq!(obs.len(), expected.len());
    for (o, e) in obs.iter().zip(&expected) {
        let t = &e["CAT062"];
        let ctx = format!("{o:?}\n{t}");
        let Measurement::Position { pos, cov_en_m2 } = o.measurement else {
            panic!("{ctx}")
        };
        let f = |v: &serde_json::Value| v.as_f64().unwrap();
        assert!((pos.lat - f(&t["I105"]["Lat"])).abs() < 1e-6, "{ctx}");
        assert!((pos.lon - f(&t["I105"]["Lon"])).abs() < 1e-6, "{ctx}");
        // No I500 in these tracks: the configured 150 m.
        assert_eq!(cov_en_m2, [[22_500.0, 0.0], [0.0, 22_500.0]]);
        let v = o.velocity.expect("I185");
        assert_eq!(v.east_mps, f(&t["I185"]["Vx"]), "{ctx}");
        assert_eq!(v.north_mps, f(&t["I185"]["Vy"]), "{ctx}");
        assert_eq!(v.up_mps, Some(f(&t["I220"]["RoC"]) * 0.3048 / 60.0));
        let adr = t["I380"]["ADR"]["ADR"].as_str().unwrap();
        assert_eq!(
            o.identity.icao,
            Some(IcaoAddress::new(u32::from_str_radix(adr, 16).unwrap()))
        );
        let id = t["I380"]["ID"]["ACID"].as_str().unwrap().trim();
        assert_eq!(o.identity.callsign.as_deref(), Some(id));
        let squawk = t["I060"]["Mode3A"].as_str().unwrap();
        assert_eq!(
            o.identity.mode3a,
            Some(u16::from_str_radix(squawk, 16).unwrap())
        );
        assert_eq!(
            o.identity.sensor_track,
            Some(t["I040"]["TrkN"].as_u64().unwrap() as u32)
        );
        let tod = f(&t["I070"]["ToT"]);
        assert!(
            (o.time.secs().rem_euclid(86_400.0) - tod).abs() < 1e-6,
            "{ctx}"
        );
        // The peer prints I136 in feet.
        assert_eq!(o.vertical.baro_ft, Some(f(&t["I136"]["MFL"])));
        assert!((o.vertical.geom_m.unwrap() - f(&t["I130"]["Alt"]) * 0.3048).abs() < 1e-9);
    }
    let c = &stats.counters;
    assert_eq!(c.records_by_category.get(&65), Some(&1));
    assert_eq!(c.service.sdps_messages, 1);
    assert_eq!(c.service.end_of_batch, 1);
    assert_eq!(c.service.last_batch_number, Some(1));
    assert!(c.errors.is_empty(), "{:?}", c.errors);
}

fn channel() -> (mpsc::Sender<RadarBatch>, mpsc::Receiver<RadarBatch>) {
    mpsc::channel(8)
}

async fn run_to_end(configs: Vec<RadarConfig>, base: &Path) -> (Vec<RadarBatch>, Vec<RadarStats>) {
    let prepared = vigil_radar::prepare(&configs, 2, base).expect("prepare");
    let clock = Arc::new(ManualClock::new(UnixTime(1_714_550_400.0)));
    let (tx, mut rx) = channel();
    let radars = Radars::spawn(prepared, tx, clock, CancellationToken::new());
    let handles = radars.sensors().to_vec();
    let mut batches = Vec::new();
    // Files end by themselves: the channel closes when every task has dropped its sender.
    while let Some(b) = rx.recv().await {
        batches.push(b);
    }
    radars.join().await;
    (batches, handles.iter().map(|h| h.snapshot()).collect())
}

fn data_dir() -> Option<PathBuf> {
    vigil_testdata::path("asterix").map(|p| p.to_owned())
}

#[tokio::test]
async fn raw_block_files_and_a_capture_replay_through_the_source_tasks() {
    let Some(dir) = data_dir() else { return };
    let mut split = config(
        "split-pcap",
        Some(SPLIT),
        SourceConfig::Pcap(PcapSource {
            path: "cat_034_048.pcap".into(),
            timestamps: Timestamps::Recorded,
            speed: None,
            port: None,
        }),
    );
    split.sac = Some(25);
    split.sic = Some(12);
    let configs = vec![
        split,
        config("sdps-raw", None, raw(Path::new("cat062cat065.raw"))),
        config("adsb-raw", None, raw(Path::new("cat21_re.ast"))),
        config("radar-raw", Some(SPLIT), raw(Path::new("cat048.raw"))),
        config("service-raw", None, raw(Path::new("cat034.raw"))),
    ];
    let (batches, stats) = run_to_end(configs, &dir).await;
    let count = |id: u16| -> usize {
        batches
            .iter()
            .filter(|b| b.sensor == SensorId(id))
            .map(|b| b.observations.len())
            .sum()
    };
    // Ids follow the Mode S feeds: here from 2.
    assert_eq!(count(2), 38, "SIC 12's plots");
    assert!(
        stats.iter().all(|s| s.state == RadarState::Finished),
        "{stats:#?}"
    );
    assert_eq!(stats[0].counters.datagrams, 100);
    assert!(
        batches.iter().filter(|b| b.sensor == SensorId(2)).all(|b| b
            .observations
            .iter()
            .all(|o| o.time.since(b.received).abs() < 5.0)),
        "plots are dated by the capture's day"
    );

    let sdps = &stats[1].counters;
    assert_eq!(count(3) as u64, sdps.observations);
    assert!(sdps.records_by_category.get(&62).is_some_and(|&n| n > 0));
    assert!(sdps.records_by_category.contains_key(&65));
    assert!(sdps.errors.is_empty(), "{sdps:?}");

    // cat21_re.ast: two ADS-B reports (addresses 000001, 000002), with their RE field.
    let adsb: Vec<&Observation> = batches
        .iter()
        .filter(|b| b.sensor == SensorId(4))
        .flat_map(|b| &b.observations)
        .collect();
    assert_eq!(adsb.len(), 2);
    assert_eq!(adsb[0].identity.icao, Some(IcaoAddress::new(1)));
    let Measurement::Position { pos, .. } = adsb[0].measurement else {
        panic!("position")
    };
    assert!((pos.lat - 2_864_958.0 * 180.0 / 8_388_608.0).abs() < 1e-9);

    assert_eq!(count(5), 1, "cat048.raw: one plot");
    let service = &stats[4].counters;
    assert_eq!(service.records_by_category.get(&34), Some(&1));
    assert_eq!(service.observations, 0);
}

#[test]
fn every_sample_file_decodes_without_errors() {
    let Some(dir) = data_dir() else { return };
    for (file, pcap) in [
        ("cat_034_048.pcap", true),
        ("cat_062_065.pcap", true),
        ("cat062cat065.raw", false),
        ("cat21_re.ast", false),
        ("cat034.raw", false),
        ("cat048.raw", false),
    ] {
        let bytes = std::fs::read(dir.join(file)).unwrap();
        let cfg = config(file, Some(SPLIT), raw(Path::new(file)));
        let mut conv = Converter::new(SensorId(0), &cfg).unwrap();
        let mut stats = RadarStats::new(SensorId(0), file, "raw", String::new());
        let mut out = Vec::new();
        if pcap {
            for dg in &read_capture(&bytes).unwrap().datagrams {
                conv.datagram(dg.payload, dg.timestamp, &mut stats, &mut out);
            }
        } else {
            conv.blocks(&bytes, UnixTime(1_714_550_400.0), &mut stats, &mut out);
        }
        let c = &stats.counters;
        assert!(c.errors.is_empty(), "{file}: {:?}", c.errors);
        assert!(c.records > 0, "{file}");
        eprintln!(
            "{file}: {} blocks, {} records {:?}, {} observations, skipped {:?}",
            c.blocks, c.records, c.records_by_category, c.observations, c.skipped
        );
    }
}

/// `speed` paces a capture on its own time stamps (here ten times slower: the capture spans
/// under half a second; on tokio's paused clock, so the test takes no real time).
#[tokio::test(start_paused = true)]
async fn a_capture_replays_at_its_recorded_pace() {
    let Some(dir) = data_dir() else { return };
    let bytes = std::fs::read(dir.join("cat_034_048.pcap")).unwrap();
    let cap = read_capture(&bytes).unwrap();
    let first = cap.datagrams.first().unwrap().timestamp;
    let last = cap.datagrams.last().unwrap().timestamp;
    let span = last.since(first);
    assert!(span > 0.1, "the capture spans {span} s");
    let mut cfg = config(
        "paced",
        Some(SPLIT),
        SourceConfig::Pcap(PcapSource {
            path: "cat_034_048.pcap".into(),
            timestamps: Timestamps::Recorded,
            speed: Some(0.1),
            port: None,
        }),
    );
    cfg.sic = Some(12);
    let t0 = tokio::time::Instant::now();
    let (batches, stats) = run_to_end(vec![cfg], &dir).await;
    let elapsed = t0.elapsed().as_secs_f64();
    assert!(
        (elapsed - span / 0.1).abs() < 0.1,
        "replayed in {elapsed} s, the capture spans {span} s at speed 0.1"
    );
    assert_eq!(stats[0].state, RadarState::Finished);
    assert_eq!(
        batches.iter().map(|b| b.observations.len()).sum::<usize>(),
        38
    );
}
