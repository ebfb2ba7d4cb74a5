//! Adapters to the station model (`vigil-station`) and the people tracker (`vigil-people`).

use vigil_people::{FloorDetection, PeopleTracker};
use vigil_station::{CameraDetection, PersonTruth, StandoffSensor, Station, ZoneKind};

use crate::{
    BodyLocation, Capacity, Error, SensingConfig, SensorKind, SensorSpec, StandexConfig, TrackView,
    TruthPerson, ZoneMap,
};

impl ZoneMap for Station {
    fn zone_at(&self, x: f64, y: f64) -> Option<String> {
        Station::zone_at(self, [x, y]).map(|z| self.zone(z).id.clone())
    }

    /// The station's routes (shortest over the zone graph, through the openings' middles)
    /// from the person's zone to every platform and every entrance: people go to a train
    /// or out. Routes whose first opening lies behind a moving person are left out (they
    /// are not going back); a person standing still may take any.
    fn paths_ahead(&self, from: [f64; 2], velocity: [f64; 2], out: &mut Vec<Vec<[f64; 2]>>) {
        let Some(z) = Station::zone_at(self, from) else {
            return;
        };
        // Below a slow shuffle the velocity says nothing about the way they will go.
        let moving = velocity[0].hypot(velocity[1]) > 0.3;
        let goals = self
            .zones_of(ZoneKind::Platform)
            .chain(self.zones_of(ZoneKind::Entrance));
        for goal in goals {
            if goal == z {
                continue;
            }
            let Some(route) = self.route(z, goal) else {
                continue;
            };
            let mut way: Vec<[f64; 2]> = route
                .portals
                .iter()
                .filter_map(|&k| self.portals().get(k).map(|p| p.mid()))
                .collect();
            way.push(self.zone(goal).centroid);
            let ahead = (way[0][0] - from[0]) * velocity[0] + (way[0][1] - from[1]) * velocity[1];
            if moving && ahead <= 0.0 {
                continue;
            }
            out.push(way);
        }
    }
}

/// The station's stand-off sensors as STANDEX sensors: completed with the capacity and
/// reading noise of `cfg.sensing` (which the station file does not hold), then corrected by
/// `cfg.sensor_overrides`. Order is kept: reading indices refer to it. An override naming no
/// sensor is an error (a typo would otherwise silently change nothing).
pub fn sensors_from_site(
    sensors: &[StandoffSensor],
    cfg: &StandexConfig,
) -> Result<Vec<SensorSpec>, Error> {
    let mut out = base_sensors(sensors, &cfg.sensing);
    for o in &cfg.sensor_overrides {
        let s = out
            .iter_mut()
            .find(|s| s.id == o.id)
            .ok_or_else(|| Error::Config(format!("sensor_override: no sensor {:?}", o.id)))?;
        o.apply(s);
        s.validate()?;
    }
    Ok(out)
}

/// The station's stand-off sensors completed with `sensing`, without overrides.
pub fn base_sensors(sensors: &[StandoffSensor], sensing: &SensingConfig) -> Vec<SensorSpec> {
    sensors
        .iter()
        .map(|s| {
            let kind = s.kind;
            let (capacity, sigma_m) = match kind {
                SensorKind::ActiveMmw => (
                    Capacity::PerSecond(sensing.active_mmw_per_s),
                    sensing.wide_sigma_m,
                ),
                SensorKind::PassiveMmw => (
                    Capacity::PerSecond(sensing.passive_mmw_per_s),
                    sensing.wide_sigma_m,
                ),
                SensorKind::Infrared => (
                    Capacity::PerSecond(sensing.infrared_per_s),
                    sensing.wide_sigma_m,
                ),
                SensorKind::StandoffRaman => (Capacity::OneAtATime, sensing.pointed_sigma_m),
            };
            SensorSpec {
                id: format!("{}-{}", kind_name(kind), s.id),
                kind,
                x: s.position[0],
                y: s.position[1],
                heading_deg: s.direction_rad.to_degrees(),
                half_angle_deg: s.half_angle_rad.to_degrees(),
                range_m: s.max_range_m,
                min_range_m: s.min_range_m,
                dwell_s: s.dwell_s,
                pd: s.pd,
                pfa: s.pfa,
                always_on: s.always_on,
                body_resolving: s.body_location,
                capacity,
                sigma_m,
                beam_radius_m: sensing.beam_radius_m,
            }
        })
        .collect()
}

/// Short name of a kind, used in sensor identifiers.
pub fn kind_name(kind: SensorKind) -> &'static str {
    match kind {
        SensorKind::ActiveMmw => "ammw",
        SensorKind::PassiveMmw => "pmmw",
        SensorKind::Infrared => "ir",
        SensorKind::StandoffRaman => "raman",
    }
}

/// Body location from the station's vocabulary. The engine uses the station's type itself
/// (see [`crate::sensor`]), so this is the identity; kept for callers written against the
/// former, separate type.
pub fn body_from_station(b: vigil_station::BodyLocation) -> BodyLocation {
    b
}

/// The simulated people as the sensing simulator needs them (appended to `out`).
pub fn truth_people(people: &[PersonTruth], out: &mut Vec<TruthPerson>) {
    out.extend(people.iter().map(|p| TruthPerson {
        id: u64::from(p.id.0),
        x: p.position[0],
        y: p.position[1],
        carries: p.carrier.map(|c| body_from_station(c.body)),
    }));
}

/// Camera detections as the people tracker's floor detections (appended to `out`). The
/// simulator's truth label is dropped here: the tracker never sees it.
pub fn floor_detections(dets: &[CameraDetection], out: &mut Vec<FloorDetection>) {
    out.extend(dets.iter().map(|d| FloorDetection {
        camera: d.camera,
        t: d.t,
        x: d.floor[0],
        y: d.floor[1],
        sigma_m: d.sigma_m,
        confidence: d.confidence as f32,
    }));
}

/// The tracker's confirmed tracks as the engine's track views (appended to `out`).
/// Tentative tracks are left out: a reading given to a track that is about to be dropped as
/// clutter would be evidence lost.
pub fn track_views(tracker: &PeopleTracker, out: &mut Vec<TrackView>) {
    out.extend(tracker.tracks().filter(|t| t.confirmed).map(|t| TrackView {
        id: t.id.0,
        t: t.t,
        x: t.x,
        y: t.y,
        vx: t.vx,
        vy: t.vy,
        pos_cov: t.pos_cov,
    }));
}
