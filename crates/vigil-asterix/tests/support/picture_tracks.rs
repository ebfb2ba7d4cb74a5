//! CAT062 tracks from a real air picture: `long_flight.csv` replayed through `vigil-picture`,
//! with every aircraft that has a recent position taken as a system track every
//! `SNAPSHOT_S` seconds of recording time. Shared by the oracle test and the benchmark
//! (included with `#[path]`).

use std::collections::HashMap;

use vigil_asterix::cat062::{AgesOut, StatusOut, TrackOut};
use vigil_core::{IcaoAddress, SensorId, UnixTime};
use vigil_picture::{Aircraft, Picture, PictureConfig};

/// Seconds of recording time between two snapshots of the picture.
pub const SNAPSHOT_S: f64 = 5.0;

/// Positions older than this are not sent (the picture keeps an aircraft for 300 s).
const MAX_POSITION_AGE_S: f64 = 60.0;

/// m/s per knot.
const M_S_PER_KT: f64 = 1852.0 / 3600.0;

/// One track: the writer's values, and the callsign the writer borrows.
pub struct PictureTrack {
    /// Everything but the callsign.
    pub out: TrackOut<'static>,
    /// I380/ID text, when the aircraft sent a valid one.
    pub callsign: Option<String>,
}

impl PictureTrack {
    /// The values for the writer.
    pub fn track(&self) -> TrackOut<'_> {
        TrackOut {
            callsign: self.callsign.as_deref(),
            ..self.out.clone()
        }
    }
}

/// A squawk in the picture's nibble form (one octal digit per nibble) as the 12 code bits.
pub fn squawk_bits(nibbles: u16) -> u16 {
    (0..4).fold(0, |acc, i| acc | (((nibbles >> (4 * i)) & 7) << (3 * i)))
}

fn seconds_of_day(t: UnixTime) -> f64 {
    t.secs().rem_euclid(86_400.0)
}

fn track_of(ac: &Aircraft, now: UnixTime, track_number: u16) -> Option<PictureTrack> {
    let pos = ac.position?;
    let age = now.secs() - pos.at.secs();
    if age > MAX_POSITION_AGE_S {
        return None;
    }
    let velocity_m_s = match (ac.gs_kt, ac.track_deg) {
        (Some(gs), Some(trk)) => {
            let (s, c) = trk.value.to_radians().sin_cos();
            let v = gs.value * M_S_PER_KT;
            Some((v * s, v * c))
        }
        _ => None,
    };
    let callsign = ac
        .callsign
        .filter(|c| c.value.is_valid())
        .map(|c| c.value.as_str().trim_end().to_owned());
    let out = TrackOut {
        velocity_m_s,
        mode3a: ac.squawk.map(|s| squawk_bits(s.value)),
        address: Some(IcaoAddress::new(ac.icao.value())),
        measured_altitude_ft: ac.alt_baro_ft.map(|a| f64::from(a.value)),
        geometric_altitude_ft: ac.alt_geom_ft.map(|a| f64::from(a.value)),
        rate_of_climb_ft_min: ac.vert_rate.map(|v| f64::from(v.value.0)),
        status: StatusOut {
            monosensor: true,
            // No position this cycle: the track coasts on its last one.
            coasting: age > SNAPSHOT_S,
            ..StatusOut::default()
        },
        ages: Some(AgesOut {
            track: Some(now.secs() - ac.last_seen.secs()),
            es: Some(age),
            ..AgesOut::default()
        }),
        ..TrackOut::new(0x19, 0x64, track_number, seconds_of_day(pos.at), pos.value)
    };
    Some(PictureTrack { out, callsign })
}

/// Replays the recording and returns the tracks of every snapshot, in order; `None` (after a
/// SKIP notice) when the shared data is absent.
pub fn picture_tracks() -> Option<Vec<PictureTrack>> {
    let recs = vigil_testdata::long_flight()?;
    let mut picture = Picture::new(PictureConfig::default());
    let mut numbers: HashMap<u32, u16> = HashMap::new();
    let mut tracks = Vec::new();
    let mut next_snapshot = recs.first()?.ts + SNAPSHOT_S;
    for r in &recs {
        while r.ts >= next_snapshot {
            let now = UnixTime(next_snapshot);
            let mut aircraft: Vec<&Aircraft> = picture.iter().collect();
            // Map order is not stable; tracks go out in address order.
            aircraft.sort_by_key(|a| a.icao);
            for ac in aircraft {
                let n = numbers.len() as u16;
                let tn = *numbers.entry(ac.icao.value()).or_insert(n);
                tracks.extend(track_of(ac, now, tn));
            }
            next_snapshot += SNAPSHOT_S;
        }
        picture.ingest_reply(UnixTime(r.ts), SensorId(0), r.frame(), None);
    }
    Some(tracks)
}
