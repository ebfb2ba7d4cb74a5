//! Real-time budget of the whole STANDEX cycle: 2,000 people seen by the example station's
//! 20 cameras at 10 Hz with its 12 stand-off sensors, on one core. Per scan: people tracking
//! (vigil-people on the camera detections), sensing, association, evidence, cascade, alarms.
//! The crowd simulation and the cameras' detections are made beforehand (not timed).
//!
//! `cargo bench -p vigil-standex --bench realtime -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use vigil_people::{FloorDetection, PeopleConfig, PeopleTracker};
use vigil_standex::site::{floor_detections, sensors_from_site, track_views, truth_people};
use vigil_standex::{Reading, SensorSim, Standex, TrackView, TruthPerson};
use vigil_station::{CameraDetection, Crowd, Site};

const PEOPLE: usize = 2000;
const WARM_SCANS: usize = 30;
const SCANS: usize = 50;

struct Scan {
    t: f64,
    floor: Vec<FloorDetection>,
    truth: Vec<TruthPerson>,
}

fn scans() -> Option<(Site, Vec<Scan>)> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../config/stations/example.toml");
    let site = match Site::load(&path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("SKIP: example station not loadable: {e}");
            return None;
        }
    };
    let mut sc = site.scenario.clone()?;
    sc.initial_people = 0;
    sc.carrier.clear();
    sc.duration_s = 3600.0;
    let mut crowd = Crowd::new(&site.station, &sc).ok()?;
    crowd.populate(PEOPLE);
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut cams: Vec<CameraDetection> = Vec::new();
    let mut out = Vec::new();
    for _ in 0..WARM_SCANS + SCANS {
        crowd.step(sc.dt_s);
        cams.clear();
        crowd.detect_all(&site.cameras, &mut rng, &mut cams);
        let mut floor = Vec::new();
        floor_detections(&cams, &mut floor);
        let mut truth = Vec::new();
        truth_people(crowd.people(), &mut truth);
        // One person in fifty carries: the cascade is busy.
        for p in truth.iter_mut().filter(|p| p.id % 50 == 0) {
            p.carries = Some(vigil_standex::BodyLocation::Torso);
        }
        out.push(Scan {
            t: crowd.time(),
            floor,
            truth,
        });
    }
    Some((site, out))
}

struct Chain {
    tracker: PeopleTracker,
    engine: Standex,
    sim: SensorSim,
    tracks: Vec<TrackView>,
    readings: Vec<Reading>,
}

impl Chain {
    fn scan(&mut self, s: &Scan, site: &Site) -> usize {
        self.tracker.process(s.t, &s.floor);
        self.tracks.clear();
        track_views(&self.tracker, &mut self.tracks);
        self.readings.clear();
        self.sim.sense(
            s.t,
            &s.truth,
            self.engine.sensor_states(),
            &mut self.readings,
        );
        let out = self
            .engine
            .step(s.t, &self.tracks, &self.readings, &site.station);
        out.alarms.len() + self.tracks.len()
    }
}

fn bench(c: &mut Criterion) {
    let Some((site, scans)) = scans() else { return };
    let Ok(cfg) = vigil_standex::example_config() else {
        return;
    };
    let Ok(sensors) = sensors_from_site(&site.sensors, &cfg) else {
        return;
    };
    let Ok(engine) = Standex::new(cfg, sensors.clone()) else {
        return;
    };
    let mut warm = Chain {
        tracker: PeopleTracker::new(PeopleConfig::default()),
        engine,
        sim: SensorSim::new(sensors, 3),
        tracks: Vec::new(),
        readings: Vec::new(),
    };
    for s in &scans[..WARM_SCANS] {
        warm.scan(s, &site);
    }
    let dets: usize = scans.iter().map(|s| s.floor.len()).sum::<usize>() / scans.len();
    eprintln!(
        "{} people, {} cameras, {} stand-off sensors, {} detections per scan, {} confirmed tracks after warm-up",
        PEOPLE,
        site.cameras.len(),
        site.sensors.len(),
        dets,
        warm.tracks.len()
    );
    let mut g = c.benchmark_group("standex");
    g.sample_size(10);
    g.bench_function(
        format!("{SCANS}_scans_2000_people_20_cameras_12_sensors"),
        |b| {
            b.iter_batched(
                || Chain {
                    tracker: warm.tracker.clone(),
                    engine: warm.engine.clone(),
                    sim: warm.sim.clone(),
                    tracks: Vec::new(),
                    readings: Vec::new(),
                },
                |mut ch| {
                    let mut n = 0;
                    for s in &scans[WARM_SCANS..] {
                        n += ch.scan(s, &site);
                    }
                    black_box(n)
                },
                BatchSize::LargeInput,
            )
        },
    );
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
