//! ASTERIX data blocks to observations, per sensor. Pure: bytes and the receive time in,
//! observations and counters out; no I/O, no clock.
//!
//! - CAT048 target reports: the measured polar position (I040) becomes a
//!   [`Measurement::Polar`] from the radar's antenna, with the range and azimuth noise of the
//!   configuration; I090 gives the barometric altitude, I220 / I070 / I240 / I161 the
//!   identity. Decoded on the allocation-free fast path ([`cat048::ReportDecoder`]).
//! - CAT062 system tracks: I105 becomes a [`Measurement::Position`], with the covariance of
//!   I500 when sent, else of the configuration; I185 the velocity.
//! - CAT021 ADS-B reports: the position with a covariance from NACp (or NIC), velocity with
//!   NACv.
//! - CAT034 / CAT065 service messages only update the sensor's service status.
//!
//! Times: ASTERIX sends the time of day; the date is the receive time's (the capture's
//! time stamp on a replay), see [`vigil_asterix::time_of_day_to_unix`].

use std::collections::HashSet;
use std::sync::Arc;
use vigil_asterix::spec::Category;
use vigil_asterix::{
    BlockError, Record, RecordError, cat021, cat034, cat048, cat062, cat065, split_blocks, tables,
    time_of_day_to_unix,
};
use vigil_core::{
    Geodetic, Identity, LatLon, Measurement, Observation, SensorId, UnixTime, VelocityEnu, Vertical,
};

use crate::RadarError;
use crate::config::RadarConfig;
use crate::geo::{east_north, metres_per_degree};
use crate::stats::{LogOnce, RadarStats};

/// Metres per nautical mile.
const M_PER_NM: f64 = 1852.0;
/// Metres per foot.
const M_PER_FT: f64 = 0.3048;
/// m/s per knot.
const MPS_PER_KT: f64 = M_PER_NM / 3600.0;
/// m/s per ft/min.
const MPS_PER_FT_MIN: f64 = M_PER_FT / 60.0;
/// The radius of a circle holding 95 % of a circular two-dimensional normal distribution, in
/// standard deviations: sqrt(-2 ln 0.05). ADS-B accuracy categories are 95 % bounds.
const CIRCULAR_95: f64 = 2.447_746_830_680_816;

/// Turns one sensor's ASTERIX into observations and counters.
#[derive(Debug)]
pub struct Converter {
    sensor: SensorId,
    name: String,
    origin: Option<Geodetic>,
    /// The data source whose plots and service messages this sensor takes: the configured
    /// SAC/SIC, else the first seen in a CAT048 or CAT034 record. Plots are polar from one
    /// antenna, so those of another radar sharing the stream must not be read from this one.
    radar_source: Option<(u8, u8)>,
    /// The positions radars report in CAT034 I120, by data source; the radar source's is
    /// used when no position is configured.
    reported: Vec<((u8, u8), Geodetic)>,
    sigma_range_m: f64,
    sigma_azimuth_rad: f64,
    sigma_position_m: f64,
    sigma_velocity_mps: f64,
    sac: Option<u8>,
    sic: Option<u8>,
    /// Exercise mode: plots flagged simulated are the exercise's aircraft, not radar checks.
    accept_simulated: bool,
    cat021: &'static Category,
    /// The fast CAT048 decoder, prepared once from the edition's table. Shared so that a
    /// block's reports can be read while `self` is updated.
    cat048: Arc<cat048::ReportDecoder>,
    cat062: &'static Category,
    logged: LogOnce,
    unknown_logged: HashSet<u8>,
}

impl Converter {
    /// A converter for the sensor `sensor` configured by `config`.
    pub fn new(sensor: SensorId, config: &RadarConfig) -> Result<Self, RadarError> {
        let table = |cat: u8| {
            config
                .editions
                .table(cat)
                .map_err(|reason| RadarError::InvalidConfig {
                    sensor: config.name.clone(),
                    reason,
                })?
                // Every category asked for here has a default table.
                .ok_or_else(|| RadarError::InvalidConfig {
                    sensor: config.name.clone(),
                    reason: format!("no table for CAT{cat:03}"),
                })
        };
        Ok(Self {
            sensor,
            name: config.name.clone(),
            origin: config.origin(),
            radar_source: config.sac.zip(config.sic),
            reported: Vec::new(),
            sigma_range_m: config.sigma_range_m,
            sigma_azimuth_rad: config.sigma_azimuth_deg.to_radians(),
            sigma_position_m: config.sigma_position_m,
            sigma_velocity_mps: config.sigma_velocity_mps,
            sac: config.sac,
            sic: config.sic,
            accept_simulated: config.exercise,
            cat021: table(21)?,
            cat048: Arc::new(cat048::ReportDecoder::new(table(48)?)),
            cat062: table(62)?,
            logged: LogOnce::default(),
            unknown_logged: HashSet::new(),
        })
    }

    /// The sensor's id.
    pub fn sensor(&self) -> SensorId {
        self.sensor
    }

    /// The antenna position plots are measured from: the configured one, else the one the
    /// radar reported in CAT034.
    pub fn origin(&self) -> Option<Geodetic> {
        self.origin.or_else(|| {
            let source = self.radar_source?;
            self.reported
                .iter()
                .find(|(s, _)| *s == source)
                .map(|(_, g)| *g)
        })
    }

    /// The data source (SAC, SIC) whose plots this sensor takes, once known.
    pub fn radar_source(&self) -> Option<(u8, u8)> {
        self.radar_source
    }

    /// One UDP datagram (one or more data blocks) received at `received`.
    pub fn datagram(
        &mut self,
        bytes: &[u8],
        received: UnixTime,
        stats: &mut RadarStats,
        out: &mut Vec<Observation>,
    ) {
        stats.counters.datagrams += 1;
        self.blocks(bytes, received, stats, out);
    }

    /// Data blocks back to back (a datagram's payload, or a whole file). After a block whose
    /// header is unusable nothing more can be framed: that is counted and the rest dropped.
    pub fn blocks(
        &mut self,
        bytes: &[u8],
        received: UnixTime,
        stats: &mut RadarStats,
        out: &mut Vec<Observation>,
    ) {
        stats.counters.bytes += bytes.len() as u64;
        let before = out.len();
        for framed in split_blocks(bytes) {
            match framed {
                Ok((cat, block)) => {
                    stats.counters.blocks += 1;
                    self.block(cat, block, received, stats, out);
                }
                Err(e) => self.malformed(&e, stats),
            }
        }
        stats.counters.observations += (out.len() - before) as u64;
    }

    fn block(
        &mut self,
        cat: u8,
        block: &[u8],
        received: UnixTime,
        stats: &mut RadarStats,
        out: &mut Vec<Observation>,
    ) {
        let table = match cat {
            48 => {
                let decoder = Arc::clone(&self.cat048);
                for report in decoder.reports(block) {
                    match report {
                        Ok(r) => {
                            count_record(stats, 48);
                            self.plot(&r, received, stats, out);
                        }
                        Err(e) => self.malformed(&e, stats),
                    }
                }
                return;
            }
            21 => self.cat021,
            62 => self.cat062,
            34 => tables::CAT034,
            65 => tables::CAT065,
            _ => {
                *stats.counters.unknown_categories.entry(cat).or_default() += 1;
                if self.unknown_logged.insert(cat) {
                    tracing::info!(
                        sensor = %self.name,
                        category = cat,
                        "skipping ASTERIX blocks of a category this sensor does not read \
                         (counted in /data/sensors.json; logged once)"
                    );
                }
                return;
            }
        };
        // Record by record, so that the records before a malformed one are kept.
        let mut pos = 3;
        let mut index = 0;
        while pos < block.len() {
            match Record::decode(table, &block[pos..]) {
                Ok((rec, used)) => {
                    count_record(stats, cat);
                    match cat {
                        21 => self.adsb(&rec, received, stats, out),
                        62 => self.track(&rec, received, stats, out),
                        34 => self.radar_service(&rec, received, stats),
                        _ => self.sdps_service(&rec, stats),
                    }
                    pos += used;
                    index += 1;
                }
                Err(source) => {
                    let e = BlockError::Record {
                        cat,
                        index,
                        offset: pos,
                        source,
                    };
                    self.malformed(&e, stats);
                    return;
                }
            }
        }
    }

    fn malformed(&mut self, e: &BlockError, stats: &mut RadarStats) {
        let kind = error_kind(e);
        stats.counters.error(kind);
        stats.last_error = Some(e.to_string());
        if self.logged.first(kind) {
            tracing::warn!(
                sensor = %self.name,
                error = %e,
                "malformed ASTERIX: the block's remaining records are dropped, the next block \
                 is read (counted in /data/sensors.json; logged once per kind)"
            );
        } else {
            tracing::debug!(sensor = %self.name, error = %e, "malformed ASTERIX");
        }
    }

    /// Whether a record from data source `sac_sic` is one this sensor takes (the configured
    /// SAC / SIC filter).
    fn accept(&self, sac_sic: Option<(u8, u8)>, stats: &mut RadarStats) -> bool {
        if let Some(source) = sac_sic {
            *stats.counters.data_sources.entry(source).or_default() += 1;
        }
        let wanted = |want: Option<u8>, got: Option<u8>| want.is_none() || want == got;
        let ok = wanted(self.sac, sac_sic.map(|s| s.0)) && wanted(self.sic, sac_sic.map(|s| s.1));
        if !ok {
            stats.counters.other_sources += 1;
        }
        ok
    }

    /// [`Converter::accept`] for the radar categories (CAT048, CAT034): also only the one
    /// radar this sensor is, the first seen unless configured.
    fn accept_radar(&mut self, sac_sic: Option<(u8, u8)>, stats: &mut RadarStats) -> bool {
        if !self.accept(sac_sic, stats) {
            return false;
        }
        let Some(source) = sac_sic else {
            // No I010: nothing says it is another radar's.
            return true;
        };
        match self.radar_source {
            None => {
                self.radar_source = Some(source);
                true
            }
            Some(mine) if mine == source => true,
            Some(mine) => {
                stats.counters.other_sources += 1;
                if self.logged.first("several_radars") {
                    tracing::warn!(
                        sensor = %self.name,
                        taken = format!("{}/{}", mine.0, mine.1),
                        dropped = format!("{}/{}", source.0, source.1),
                        "radar data of several data sources (SAC/SIC) arrive on this sensor; its \
                         plots are measured from one antenna, so only the first source's are \
                         taken (counted in other_sources). Add a [[radar]] with `sac` and `sic` \
                         for each radar of the stream"
                    );
                }
                false
            }
        }
    }

    fn skip(&mut self, stats: &mut RadarStats, reason: &'static str) {
        stats.counters.skip(reason);
    }

    /// A CAT048 target report.
    fn plot(
        &mut self,
        r: &cat048::Report,
        received: UnixTime,
        stats: &mut RadarStats,
        out: &mut Vec<Observation>,
    ) {
        if !self.accept_radar(r.sac_sic, stats) {
            return;
        }
        if let Some(d) = r.descriptor {
            // Simulated and test targets are the radar's own checks, not aircraft.
            if d.simulated && !self.accept_simulated {
                return self.skip(stats, "simulated");
            }
            if d.test == Some(true) {
                return self.skip(stats, "test_target");
            }
        }
        // Track-only reports (TYP 0, no detection this scan) carry no I040: nothing measured.
        let Some((rho_nm, theta_deg)) = r.polar else {
            return self.skip(stats, "no_polar_position");
        };
        // The antenna turns: a plot's time is its own (I140), never the datagram's.
        let Some(tod) = r.time_of_day_s else {
            return self.skip(stats, "no_time_of_day");
        };
        let Some(origin) = self.origin() else {
            if self.logged.first("no_radar_position") {
                tracing::warn!(
                    sensor = %self.name,
                    "CAT048 plots arrive but the radar's position is unknown: plots are dropped \
                     and counted until the radar reports it in CAT034 I120, or set `position` \
                     in its [[radar]] table"
                );
            }
            return self.skip(stats, "no_radar_position");
        };
        let baro_ft = r
            .flight_level
            .filter(|f| f.validated && !f.garbled)
            .map(|f| f.fl * 100.0);
        out.push(Observation {
            time: time_of_day_to_unix(tod, received),
            sensor: self.sensor,
            measurement: Measurement::Polar {
                origin,
                range_m: rho_nm * M_PER_NM,
                azimuth_rad: theta_deg.to_radians(),
                elevation_rad: None,
                sigma_range_m: self.sigma_range_m,
                sigma_azimuth_rad: self.sigma_azimuth_rad,
                sigma_elevation_rad: None,
            },
            // I110 (3-D radar height) is above mean sea level, not the ellipsoid, and most
            // secondary radars send 0: not used.
            vertical: Vertical {
                baro_ft,
                geom_m: None,
            },
            // I200 is the radar tracker's estimate, made from these same plots: handing it to
            // our tracker too would count the plots twice.
            velocity: None,
            identity: Identity {
                icao: r.address,
                mode3a: r
                    .mode3a
                    .filter(|m| m.validated && !m.garbled)
                    .map(|m| octal_nibbles(m.code)),
                callsign: callsign(r.callsign.as_deref()),
                sensor_track: r.track_number.map(u32::from),
            },
        });
    }

    /// A CAT062 system track.
    fn track(
        &mut self,
        rec: &Record<'_>,
        received: UnixTime,
        stats: &mut RadarStats,
        out: &mut Vec<Observation>,
    ) {
        let t = cat062::Track::from_record(rec);
        if !self.accept(t.sac_sic, stats) {
            return;
        }
        if let Some(s) = t.status {
            if s.simulated == Some(true) {
                return self.skip(stats, "simulated");
            }
            // A coasting track was extrapolated, not updated by any sensor: a prediction,
            // not an observation.
            if s.coasting == Some(true) {
                return self.skip(stats, "coasting");
            }
        }
        let Some(pos) = t.position else {
            return self.skip(stats, "no_wgs84_position");
        };
        let Some(tod) = t.time_of_track_s else {
            return self.skip(stats, "no_time_of_day");
        };
        let accuracy = I500::read(rec, pos);
        let sigma_v = accuracy.velocity_mps.unwrap_or(self.sigma_velocity_mps);
        let aircraft = t.aircraft.as_ref();
        out.push(Observation {
            time: time_of_day_to_unix(tod, received),
            sensor: self.sensor,
            measurement: Measurement::Position {
                pos,
                cov_en_m2: accuracy
                    .cov_en_m2
                    .unwrap_or_else(|| isotropic(self.sigma_position_m)),
            },
            vertical: Vertical {
                baro_ft: t.measured_fl.or(t.barometric_fl).map(|fl| fl * 100.0),
                geom_m: t.geometric_altitude_ft.map(|ft| ft * M_PER_FT),
            },
            // I185 is in the system's stereographic plane, whose axes are east and north at
            // its centre: close enough to the local frame over a centre's area.
            velocity: t.velocity_m_s.map(|(vx, vy)| VelocityEnu {
                east_mps: vx,
                north_mps: vy,
                up_mps: t.rate_of_climb_ft_min.map(|r| r * MPS_PER_FT_MIN),
                sigma_mps: sigma_v,
            }),
            identity: Identity {
                icao: aircraft.and_then(|a| a.address),
                mode3a: t
                    .mode3a
                    .filter(|m| m.validated && !m.garbled)
                    .map(|m| octal_nibbles(m.code)),
                callsign: callsign(aircraft.and_then(|a| a.callsign.as_deref())).or_else(|| {
                    callsign(t.flight_plan.as_ref().and_then(|f| f.callsign.as_deref()))
                }),
                sensor_track: t.track_number.map(u32::from),
            },
        });
    }

    /// A CAT021 ADS-B report.
    fn adsb(
        &mut self,
        rec: &Record<'_>,
        received: UnixTime,
        stats: &mut RadarStats,
        out: &mut Vec<Observation>,
    ) {
        let r = cat021::Report::from_record(rec);
        if !self.accept(r.sac_sic, stats) {
            return;
        }
        let Some(pos) = r.position else {
            return self.skip(stats, "no_wgs84_position");
        };
        let Some(tod) = r.time_of_day_s else {
            return self.skip(stats, "no_time_of_day");
        };
        let quality = AdsbQuality::read(rec);
        let sigma_pos = quality.sigma_position_m().unwrap_or(self.sigma_position_m);
        let sigma_v = quality
            .sigma_velocity_mps()
            .unwrap_or(self.sigma_velocity_mps);
        out.push(Observation {
            time: time_of_day_to_unix(tod, received),
            sensor: self.sensor,
            measurement: Measurement::Position {
                pos,
                cov_en_m2: isotropic(sigma_pos),
            },
            vertical: Vertical {
                baro_ft: r.flight_level.map(|fl| fl * 100.0),
                geom_m: r.geometric_height_ft.map(|ft| ft * M_PER_FT),
            },
            velocity: r.ground_vector.map(|(gs_kt, track_deg)| {
                let (e, n) = east_north(gs_kt * MPS_PER_KT, track_deg);
                VelocityEnu {
                    east_mps: e,
                    north_mps: n,
                    up_mps: None,
                    sigma_mps: sigma_v,
                }
            }),
            identity: Identity {
                icao: r.address,
                mode3a: rec
                    .leaf("070", "MODE3A")
                    .map(|l| octal_nibbles((l.raw & 0o7777) as u16)),
                callsign: callsign(r.callsign.as_deref()),
                sensor_track: r.track_number.map(u32::from),
            },
        });
    }

    /// A CAT034 radar service message.
    fn radar_service(&mut self, rec: &Record<'_>, received: UnixTime, stats: &mut RadarStats) {
        let m = cat034::Message::from_record(rec);
        if !self.accept_radar(m.sac_sic, stats) {
            return;
        }
        let t = m
            .time_of_day_s
            .map(|tod| time_of_day_to_unix(tod, received));
        let s = &mut stats.counters.service;
        // Intervals longer than this are gaps in reception, not a scan period.
        const MAX_INTERVAL_S: f64 = 120.0;
        let interval = |prev: Option<UnixTime>| match (t, prev) {
            (Some(t), Some(p)) => Some(t.since(p)).filter(|d| *d > 0.0 && *d < MAX_INTERVAL_S),
            _ => None,
        };
        match m.message_type {
            Some(cat034::MessageType::NorthMarker) => {
                s.north_markers += 1;
                if let Some(d) = interval(s.last_north_marker) {
                    s.measured_scan_period_s = Some(d);
                }
                s.last_north_marker = t.or(s.last_north_marker);
            }
            Some(cat034::MessageType::SectorCrossing) => {
                s.sector_crossings += 1;
                if let Some(d) = interval(s.last_sector_time) {
                    s.sector_interval_s = Some(d);
                }
                s.last_sector_time = t.or(s.last_sector_time);
                s.last_sector_deg = m.sector_deg.or(s.last_sector_deg);
            }
            _ => {}
        }
        if let Some(p) = m.rotation_period_s {
            s.rotation_period_s = Some(p);
        }
        if let Some(st) = m.status {
            s.operational = Some(st.operational);
            s.overload = Some(st.rdp_overload || st.transmission_overload);
            s.time_source_invalid = Some(st.time_source_invalid);
        }
        if let Some((pos, height_m)) = m.position {
            let reported = Geodetic { pos, height_m };
            s.reported_position = Some(reported);
            if let Some(source) = m.sac_sic {
                self.learn_position(source, reported);
            }
        }
    }

    fn learn_position(&mut self, source: (u8, u8), reported: Geodetic) {
        if !reported.pos.is_valid() {
            return;
        }
        match self.origin {
            Some(conf) => {
                // A configured position far from the radar's own report is a typo worth
                // knowing about: every plot would be misplaced by about that distance.
                let off = conf.pos.distance_m(&reported.pos);
                if off > 500.0 && self.logged.first("position_mismatch") {
                    tracing::warn!(
                        sensor = %self.name,
                        configured = ?conf,
                        reported = ?reported,
                        distance_m = off.round(),
                        "the radar reports (CAT034 I120) a position far from the configured one; \
                         the configured one is used"
                    );
                }
            }
            None => {
                if self.logged.first("position_from_radar") {
                    tracing::info!(
                        sensor = %self.name,
                        lat = reported.pos.lat,
                        lon = reported.pos.lon,
                        height_m = reported.height_m,
                        "no position configured: using the one the radar reports (CAT034 I120)"
                    );
                }
            }
        }
        match self.reported.iter_mut().find(|(s, _)| *s == source) {
            Some(slot) => slot.1 = reported,
            None => self.reported.push((source, reported)),
        }
    }

    /// A CAT065 SDPS service status message.
    fn sdps_service(&mut self, rec: &Record<'_>, stats: &mut RadarStats) {
        let m = cat065::Message::from_record(rec);
        if !self.accept(m.sac_sic, stats) {
            return;
        }
        let s = &mut stats.counters.service;
        s.sdps_messages += 1;
        if m.message_type == Some(2) {
            s.end_of_batch += 1;
        }
        if let Some(n) = m.nogo {
            s.sdps_nogo = Some(n);
        }
        if let Some(b) = m.batch_number {
            s.last_batch_number = Some(b);
        }
    }
}

fn count_record(stats: &mut RadarStats, cat: u8) {
    stats.counters.records += 1;
    *stats.counters.records_by_category.entry(cat).or_default() += 1;
}

/// The counter name of a malformed block.
pub fn error_kind(e: &BlockError) -> &'static str {
    match e {
        BlockError::TruncatedHeader { .. } => "truncated_header",
        BlockError::LengthTooShort { .. } => "length_too_short",
        BlockError::LengthMismatch { .. } => "length_mismatch",
        BlockError::Record { source, .. } => match source {
            RecordError::FspecOverrun => "fspec_overrun",
            RecordError::EmptyFspec => "empty_fspec",
            RecordError::UnknownItem { .. } => "unknown_item",
            RecordError::Truncated { .. } => "truncated_item",
            RecordError::ExtendedOverrun { .. } => "extended_overrun",
            RecordError::UnknownSubitem { .. } => "unknown_subitem",
            RecordError::ExplicitLength { .. } => "explicit_length",
            RecordError::BadSpec { .. } => "bad_spec",
        },
    }
}

/// A 12-bit Mode 3/A code (`0o7500`) as four octal digits one per nibble (`0x7500`), the
/// form [`Identity::mode3a`] and the picture use.
pub fn octal_nibbles(code: u16) -> u16 {
    (0..4).fold(0, |acc, i| acc | (((code >> (3 * i)) & 7) << (4 * i)))
}

/// The inverse of [`octal_nibbles`]; `None` when a nibble is not an octal digit.
pub fn from_octal_nibbles(nibbles: u16) -> Option<u16> {
    (0..4).try_fold(0u16, |acc, i| {
        let d = (nibbles >> (4 * i)) & 0xf;
        (d <= 7).then_some(acc | (d << (3 * i)))
    })
}

/// A callsign without its padding; `None` when blank.
fn callsign(text: Option<&str>) -> Option<String> {
    let t = text?.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// Covariance of a position known to `sigma` metres on each axis.
fn isotropic(sigma: f64) -> [[f64; 2]; 2] {
    [[sigma * sigma, 0.0], [0.0, sigma * sigma]]
}

/// CAT062 I500 estimated accuracies.
struct I500 {
    cov_en_m2: Option<[[f64; 2]; 2]>,
    velocity_mps: Option<f64>,
}

impl I500 {
    fn read(rec: &Record<'_>, pos: LatLon) -> Self {
        let v = |path: &str| rec.leaf("500", path).and_then(|l| l.value());
        // A zero accuracy is not a perfect track but an unset field: ignore it, or the
        // tracker would be handed a singular covariance.
        let sd = |path: &str| v(path).filter(|s| *s > 0.0);
        let cov_en_m2 = match (sd("APC/X"), sd("APC/Y")) {
            (Some(x), Some(y)) => {
                // COV is sign(cov) * sqrt(|cov|) (I062/500 note 2).
                let c = v("COV").map_or(0.0, |c| c.signum() * c * c);
                Some([[x * x, c], [c, y * y]])
            }
            _ => match (sd("APW/LAT"), sd("APW/LON")) {
                (Some(lat), Some(lon)) => {
                    let (m_lat, m_lon) = metres_per_degree(pos.lat);
                    let (e, n) = (lon * m_lon, lat * m_lat);
                    Some([[e * e, 0.0], [0.0, n * n]])
                }
                _ => None,
            },
        };
        let velocity_mps = match (sd("ATV/X"), sd("ATV/Y")) {
            (Some(x), Some(y)) => Some(x.max(y)),
            _ => None,
        };
        Self {
            cov_en_m2,
            velocity_mps,
        }
    }
}

/// CAT021 I090 quality indicators.
struct AdsbQuality {
    nacp: Option<u64>,
    nic: Option<u64>,
    nacv: Option<u64>,
}

impl AdsbQuality {
    fn read(rec: &Record<'_>) -> Self {
        let raw = |path: &str| rec.leaf("090", path).map(|l| l.raw);
        Self {
            // 2.x: NACp in the first extension; 0.26: PA (figure of merit) in its place.
            nacp: raw("NACP").or_else(|| raw("PA")),
            nic: raw("NUCPNIC"),
            nacv: raw("NUCRNACV"),
        }
    }

    /// σ per axis from NACp's 95 % accuracy bound (DO-260B table 2-71), else from NIC's
    /// containment radius (an integrity bound, so pessimistic).
    fn sigma_position_m(&self) -> Option<f64> {
        const NACP_EPU_M: [f64; 12] = [
            f64::NAN,
            18_520.0,
            7_408.0,
            3_704.0,
            1_852.0,
            926.0,
            555.6,
            185.2,
            92.6,
            30.0,
            10.0,
            3.0,
        ];
        const NIC_RC_M: [f64; 12] = [
            f64::NAN,
            37_040.0,
            14_816.0,
            7_408.0,
            3_704.0,
            1_852.0,
            1_111.2,
            370.4,
            185.2,
            75.0,
            25.0,
            7.5,
        ];
        // 0 means "unknown", which the configured default covers better than a guess.
        let bound = |table: &[f64; 12], v: Option<u64>| {
            v.and_then(|v| table.get(usize::try_from(v).ok()?).copied())
                .filter(|b| b.is_finite())
        };
        bound(&NACP_EPU_M, self.nacp)
            .or_else(|| bound(&NIC_RC_M, self.nic))
            .map(|b| b / CIRCULAR_95)
    }

    /// σ per axis from NACv's 95 % bound on horizontal velocity error.
    fn sigma_velocity_mps(&self) -> Option<f64> {
        const NACV_MPS: [f64; 5] = [f64::NAN, 10.0, 3.0, 1.0, 0.3];
        self.nacv
            .and_then(|v| NACV_MPS.get(usize::try_from(v).ok()?).copied())
            .filter(|b| b.is_finite())
            .map(|b| b / 1.96)
    }
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::unwrap_used)] // tests: a failed expectation is the report
mod tests {
    use super::*;
    use crate::config::{RawSource, SensorPosition, SourceConfig};

    pub(crate) fn config(position: Option<SensorPosition>) -> RadarConfig {
        RadarConfig {
            name: "test".into(),
            position,
            sigma_range_m: 40.0,
            sigma_azimuth_deg: 0.1,
            sigma_position_m: 150.0,
            sigma_velocity_mps: 3.0,
            sac: None,
            sic: None,
            editions: Default::default(),
            exercise: false,
            source: SourceConfig::Raw(RawSource { path: "x".into() }),
        }
    }

    /// The first record of `cat_034_048.pcap` (CroatiaControl's decode: DLH65A, 3C660C,
    /// rho 197.6835938 NM, theta 340.1367188°, FL 330, Mode 3/A 1000, track 3563).
    const DLH65A: &str = "300030FDF70219C9356D4DA0C5AFF1E0020005283C660C10C236D4182001C0780031BC0000400DEB07B9582E410020F5";

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len() / 2)
            .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
            .collect()
    }

    fn stats() -> RadarStats {
        RadarStats::new(SensorId(3), "test", "raw", String::new())
    }

    #[test]
    fn a_cat048_plot_becomes_a_polar_observation() {
        let origin = SensorPosition {
            lat: 45.8,
            lon: 16.0,
            height_m: 150.0,
        };
        let mut conv = Converter::new(SensorId(3), &config(Some(origin))).unwrap();
        let (mut st, mut out) = (stats(), Vec::new());
        // 2024-05-01 08:00 UTC; the plot's time of day is 27354.6 s (07:35:54.6).
        let received = UnixTime(1_714_550_400.0);
        conv.datagram(&hex(DLH65A), received, &mut st, &mut out);
        assert_eq!(out.len(), 1);
        let o = &out[0];
        assert_eq!(o.sensor, SensorId(3));
        assert_eq!(o.time, UnixTime(1_714_521_600.0 + 27_354.601_562_5));
        let Measurement::Polar {
            origin: g,
            range_m,
            azimuth_rad,
            sigma_range_m,
            sigma_azimuth_rad,
            ..
        } = o.measurement
        else {
            panic!("polar")
        };
        assert_eq!(g, origin.geodetic());
        assert!((range_m - 197.683_593_8 * 1852.0).abs() < 1e-3);
        assert!((azimuth_rad.to_degrees() - 340.136_718_8).abs() < 1e-6);
        assert_eq!(sigma_range_m, 40.0);
        assert!((sigma_azimuth_rad - 0.1f64.to_radians()).abs() < 1e-15);
        assert_eq!(o.vertical.baro_ft, Some(33_000.0));
        assert_eq!(
            o.identity.icao,
            Some(vigil_core::IcaoAddress::new(0x3c660c))
        );
        assert_eq!(o.identity.mode3a, Some(0x1000));
        assert_eq!(o.identity.callsign.as_deref(), Some("DLH65A"));
        assert_eq!(o.identity.sensor_track, Some(3563));
        assert_eq!(o.velocity, None);
        let c = &st.counters;
        assert_eq!(
            (c.datagrams, c.blocks, c.records, c.observations),
            (1, 1, 1, 1)
        );
        assert_eq!(c.data_sources.get(&(25, 201)), Some(&1));
    }

    #[test]
    fn without_a_position_plots_are_counted_not_guessed() {
        let mut conv = Converter::new(SensorId(0), &config(None)).unwrap();
        let (mut st, mut out) = (stats(), Vec::new());
        conv.datagram(&hex(DLH65A), UnixTime(0.0), &mut st, &mut out);
        assert!(out.is_empty());
        assert_eq!(st.counters.skipped.get("no_radar_position"), Some(&1));
    }

    #[test]
    fn another_data_source_is_dropped_and_counted() {
        let mut cfg = config(Some(SensorPosition {
            lat: 45.0,
            lon: 16.0,
            height_m: 0.0,
        }));
        cfg.sic = Some(1);
        let mut conv = Converter::new(SensorId(0), &cfg).unwrap();
        let (mut st, mut out) = (stats(), Vec::new());
        conv.datagram(&hex(DLH65A), UnixTime(0.0), &mut st, &mut out);
        assert!(out.is_empty());
        assert_eq!(st.counters.other_sources, 1);
    }

    #[test]
    fn a_lying_length_is_an_error_and_the_next_datagram_still_decodes() {
        let mut conv = Converter::new(
            SensorId(0),
            &config(Some(SensorPosition {
                lat: 45.0,
                lon: 16.0,
                height_m: 0.0,
            })),
        )
        .unwrap();
        let (mut st, mut out) = (stats(), Vec::new());
        let good = hex(DLH65A);
        let mut bad = good.clone();
        bad[2] = 0x40; // LEN 64 > 48 bytes present
        conv.datagram(&bad, UnixTime(0.0), &mut st, &mut out);
        let mut truncated = good.clone();
        truncated[2] = 0x20; // LEN 32: the record runs past its block
        truncated.truncate(32);
        conv.datagram(&truncated, UnixTime(0.0), &mut st, &mut out);
        conv.datagram(&[1, 0, 4, 0, 0x22], UnixTime(0.0), &mut st, &mut out);
        conv.datagram(&good, UnixTime(0.0), &mut st, &mut out);
        assert_eq!(out.len(), 1);
        let c = &st.counters;
        assert_eq!(c.errors.get("length_mismatch"), Some(&1));
        assert_eq!(c.errors.get("truncated_item"), Some(&1));
        assert_eq!(c.unknown_categories.get(&1), Some(&1));
        assert_eq!(c.errors.get("truncated_header"), Some(&1), "{c:?}");
        assert!(st.last_error.is_some());
    }

    #[test]
    fn mode_3a_codes_convert_between_bits_and_nibbles() {
        assert_eq!(octal_nibbles(0o7500), 0x7500);
        assert_eq!(octal_nibbles(0o1275), 0x1275);
        assert_eq!(from_octal_nibbles(0x7700), Some(0o7700));
        assert_eq!(from_octal_nibbles(0x1800), None);
        for code in 0..=0o7777 {
            assert_eq!(from_octal_nibbles(octal_nibbles(code)), Some(code));
        }
    }

    #[test]
    fn adsb_accuracy_from_nacp_then_nic() {
        let q = AdsbQuality {
            nacp: Some(8),
            nic: Some(7),
            nacv: Some(2),
        };
        assert!((q.sigma_position_m().unwrap() - 92.6 / CIRCULAR_95).abs() < 1e-9);
        assert!((q.sigma_velocity_mps().unwrap() - 3.0 / 1.96).abs() < 1e-9);
        let q = AdsbQuality {
            nacp: Some(0),
            nic: Some(8),
            nacv: Some(0),
        };
        assert!((q.sigma_position_m().unwrap() - 185.2 / CIRCULAR_95).abs() < 1e-9);
        assert_eq!(q.sigma_velocity_mps(), None);
        let q = AdsbQuality {
            nacp: None,
            nic: Some(15),
            nacv: None,
        };
        assert_eq!(q.sigma_position_m(), None);
    }
}
