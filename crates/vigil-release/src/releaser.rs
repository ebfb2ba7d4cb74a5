//! The outbound filter: one [`Releaser`] per link applies its [`ReleasePolicy`] to every
//! message, redacts what goes out and rate-limits track updates.

use rustc_hash::FxHashMap;
use vigil_airspace::{Airspace, AirspaceConfig, ReleaseConfig, Volume};
use vigil_core::{LatLon, UnixTime};

use crate::ReleaseError;
use crate::message::{Identity, Kind, LineageEntry, Origin, Outbound, Subject, TrackOut};
use crate::policy::{Field, ReleasePolicy};

/// Why a message was not released. The checks run in this order; the first that fails is
/// the reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reason {
    /// The policy does not release this kind.
    KindNotReleased,
    /// The data did not originate at this centre and the policy does not forward its party.
    PartnerData,
    /// A military track (or an event about one) under `withhold = ["military_tracks"]`.
    MilitaryTrack,
    /// Outside every release area laterally.
    OutsideArea,
    /// Laterally inside an area, altitude unknown, and no such area takes unknown altitudes.
    AltitudeUnknown,
    /// Laterally inside an area but outside its altitude band.
    OutsideBand,
    /// A track update older than (or as old as) one already sent, or a deferred update
    /// replaced by a newer one of the same track: newest wins.
    Superseded,
}

impl Reason {
    /// Every reason, in counter order.
    pub const ALL: [Reason; 7] = [
        Reason::KindNotReleased,
        Reason::PartnerData,
        Reason::MilitaryTrack,
        Reason::OutsideArea,
        Reason::AltitudeUnknown,
        Reason::OutsideBand,
        Reason::Superseded,
    ];

    /// Short name for logs and metrics.
    pub fn name(self) -> &'static str {
        match self {
            Reason::KindNotReleased => "kind_not_released",
            Reason::PartnerData => "partner_data",
            Reason::MilitaryTrack => "military_track",
            Reason::OutsideArea => "outside_area",
            Reason::AltitudeUnknown => "altitude_unknown",
            Reason::OutsideBand => "outside_band",
            Reason::Superseded => "superseded",
        }
    }
}

/// What the releaser decided for one message.
// Not boxed: the released copy moves on to the link at once, and a box would cost an
// allocation per released message for no saving (decisions are not stored).
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Send this redacted copy (withheld fields removed).
    Release(Outbound),
    /// A track update held back by the rate limit: it is now the track's pending update
    /// (already checked and redacted) and goes out from [`Releaser::due`] unless a newer
    /// update of the same track replaces it first.
    Deferred,
    /// Not sent.
    Withhold(Reason),
}

/// Counters of one releaser.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counters {
    released: [u64; Kind::ALL.len()],
    heartbeats: u64,
    withheld: [u64; Reason::ALL.len()],
    deferred: u64,
    released_late: u64,
}

impl Counters {
    /// Messages of a kind released (at once or later from [`Releaser::due`]).
    pub fn released(&self, kind: Kind) -> u64 {
        self.released[kind as usize]
    }

    /// Heartbeats released.
    pub fn heartbeats(&self) -> u64 {
        self.heartbeats
    }

    /// Messages withheld for a reason (superseded deferred updates count here too).
    pub fn withheld(&self, reason: Reason) -> u64 {
        self.withheld[reason as usize]
    }

    /// Track updates deferred by the rate limit.
    pub fn deferred(&self) -> u64 {
        self.deferred
    }

    /// Deferred track updates released later by [`Releaser::due`].
    pub fn released_late(&self) -> u64 {
        self.released_late
    }
}

/// A resolved release area: its lateral shape (a volume) and the effective band.
#[derive(Debug, Clone)]
struct Area {
    volume: Volume,
    lower_ft: f64,
    upper_ft: f64,
    unknown_altitude: bool,
}

/// A token bucket holding one second's worth of updates.
#[derive(Debug, Clone)]
struct Bucket {
    rate: f64,
    capacity: f64,
    tokens: f64,
    last: f64,
}

impl Bucket {
    fn new(rate: f64) -> Bucket {
        let capacity = rate.max(1.0);
        Bucket {
            rate,
            capacity,
            tokens: capacity,
            last: f64::NAN,
        }
    }

    fn refill(&mut self, now: f64) {
        if self.last.is_nan() {
            self.last = now;
        }
        // A clock that steps back refills nothing (and does not drain either).
        let dt = (now - self.last).max(0.0);
        self.tokens = (self.tokens + dt * self.rate).min(self.capacity);
        self.last = self.last.max(now);
    }

    fn take(&mut self, now: f64) -> bool {
        self.refill(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Rate-limiting state of one track.
#[derive(Debug, Clone)]
struct Slot {
    /// Release time (the `now` of the send) of the last update sent; NaN: none yet.
    sent_at: f64,
    /// Estimate time of the last update sent; NaN: none yet.
    sent_time: f64,
    /// The newest update held back.
    pending: Option<TrackOut>,
}

impl Slot {
    fn interval_ok(&self, now: f64, min_interval: f64) -> bool {
        self.sent_at.is_nan() || now - self.sent_at >= min_interval
    }
}

/// Idle per-track state is dropped after this long (or twice the minimum interval if
/// longer): an update older than one sent that long ago is not expected any more.
const SLOT_IDLE_S: f64 = 60.0;

#[derive(Debug, Clone)]
struct RateState {
    min_interval: f64,
    bucket: Option<Bucket>,
    slots: FxHashMap<u64, Slot>,
    scratch: Vec<(f64, u64)>,
}

/// The outbound filter of one link.
///
/// Synchronous and deterministic: time is the `now` argument (the sending centre's clock,
/// injected), never read.
#[derive(Debug, Clone)]
pub struct Releaser {
    policy: ReleasePolicy,
    own: Origin,
    areas: Vec<Area>,
    rate: Option<RateState>,
    counters: Counters,
}

impl Releaser {
    /// A releaser for a centre (`own_party`, `own_centre`: the origin label of its own data)
    /// with a validated policy. Areas naming a volume need the centre's airspace.
    pub fn new(
        policy: ReleasePolicy,
        own_party: &str,
        own_centre: &str,
        airspace: Option<&Airspace>,
    ) -> Result<Releaser, ReleaseError> {
        policy.validate()?;
        let mut areas = Vec::with_capacity(policy.areas.len());
        for (i, a) in policy.areas.iter().enumerate() {
            let label = a.label(i);
            let area = if let Some(id) = &a.volume {
                let volume = airspace
                    .and_then(|s| s.volume(id))
                    .cloned()
                    .ok_or_else(|| ReleaseError::UnknownVolume {
                        area: label.clone(),
                        volume: id.clone(),
                    })?;
                Area {
                    volume,
                    lower_ft: a.lower_ft.unwrap_or(f64::NEG_INFINITY),
                    upper_ft: a.upper_ft.unwrap_or(f64::INFINITY),
                    unknown_altitude: a.unknown_altitude,
                }
            } else {
                // validate() guarantees a polygon with both limits here.
                let (Some(polygon), Some(lower_ft), Some(upper_ft)) =
                    (&a.polygon, a.lower_ft, a.upper_ft)
                else {
                    return Err(ReleaseError::area(&label, "incomplete polygon area"));
                };
                Area {
                    volume: polygon_volume(&label, polygon, lower_ft, upper_ft)?,
                    lower_ft,
                    upper_ft,
                    unknown_altitude: a.unknown_altitude,
                }
            };
            areas.push(area);
        }
        let rl = policy.rate_limit;
        let rate =
            (rl.tracks_per_s.is_some() || rl.track_min_interval_s.is_some()).then(|| RateState {
                min_interval: rl.track_min_interval_s.unwrap_or(0.0),
                bucket: rl.tracks_per_s.map(Bucket::new),
                slots: FxHashMap::default(),
                scratch: Vec::new(),
            });
        Ok(Releaser {
            policy,
            own: Origin::new(own_party, own_centre),
            areas,
            rate,
            counters: Counters::default(),
        })
    }

    /// The policy.
    pub fn policy(&self) -> &ReleasePolicy {
        &self.policy
    }

    /// The own origin label.
    pub fn own(&self) -> &Origin {
        &self.own
    }

    /// The counters so far.
    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// Track updates currently deferred.
    pub fn pending(&self) -> usize {
        self.rate.as_ref().map_or(0, |r| {
            r.slots.values().filter(|s| s.pending.is_some()).count()
        })
    }

    /// Forgets a track (it ended): its deferred update, if any, is dropped (counted as
    /// superseded: the track's end supersedes it).
    pub fn forget(&mut self, track: u64) {
        if let Some(r) = &mut self.rate
            && let Some(slot) = r.slots.remove(&track)
            && slot.pending.is_some()
        {
            self.counters.withheld[Reason::Superseded as usize] += 1;
        }
    }

    /// Decides one message at `now`.
    pub fn release(&mut self, msg: &Outbound, now: UnixTime) -> Decision {
        let d = self.decide(msg, now);
        match &d {
            Decision::Release(m) => match m.kind() {
                Some(k) => self.counters.released[k as usize] += 1,
                None => self.counters.heartbeats += 1,
            },
            Decision::Deferred => self.counters.deferred += 1,
            Decision::Withhold(r) => self.counters.withheld[*r as usize] += 1,
        }
        d
    }

    fn decide(&mut self, msg: &Outbound, now: UnixTime) -> Decision {
        let Some(kind) = msg.kind() else {
            // A heartbeat carries only the time.
            return Decision::Release(msg.clone());
        };
        if !self.policy.releases(kind) {
            return Decision::Withhold(Reason::KindNotReleased);
        }
        match msg {
            Outbound::Track(t) => {
                if let Err(r) = self.admit(&t.origin, t.military, t.lat, t.lon, t.alt_ft, true) {
                    return Decision::Withhold(r);
                }
                let copy = self.redact_track(t);
                self.rate_limit(copy, now)
            }
            Outbound::Alert(a) => self.event(&a.subject, || {
                let mut c = a.clone();
                if self.policy.withholds(Field::Evidence) {
                    c.value = None;
                    c.detail = None;
                }
                self.redact_identity(&mut c.subject.identity);
                Outbound::Alert(c)
            }),
            Outbound::IncidentTransition(i) => self.event(&i.subject, || {
                let mut c = i.clone();
                if self.policy.withholds(Field::Operator) {
                    c.actor = None;
                }
                if self.policy.withholds(Field::Remarks) {
                    c.reason = None;
                    c.remark = None;
                }
                self.redact_identity(&mut c.subject.identity);
                Outbound::IncidentTransition(c)
            }),
            Outbound::Handover(h) => self.event(&h.subject, || {
                let mut c = h.clone();
                if self.policy.withholds(Field::Remarks) {
                    c.remark = None;
                }
                self.redact_identity(&mut c.subject.identity);
                Outbound::Handover(c)
            }),
            Outbound::Heartbeat(_) => Decision::Release(msg.clone()),
            // Early warning: origin and redaction, no area (see the crate docs).
            Outbound::MissileTrack(m) => {
                if let Err(r) = self.admit(&m.origin, false, m.lat, m.lon, None, false) {
                    return Decision::Withhold(r);
                }
                let mut c = m.clone();
                if self.policy.withholds(Field::Velocity) {
                    c.velocity = None;
                }
                if self.policy.withholds(Field::Estimate) {
                    c.estimate = None;
                }
                self.redact_lineage(&mut c.lineage);
                Decision::Release(Outbound::MissileTrack(c))
            }
            Outbound::LaunchWarning(w) => {
                match self.admit(&w.origin, false, w.lat, w.lon, None, false) {
                    Ok(()) => Decision::Release(msg.clone()),
                    Err(r) => Decision::Withhold(r),
                }
            }
            Outbound::StationAlarm(a) => {
                if a.origin != self.own && !self.forwards(&a.origin.party) {
                    return Decision::Withhold(Reason::PartnerData);
                }
                let mut c = a.clone();
                if self.policy.withholds(Field::Evidence) {
                    c.body_location = None;
                    c.sensor_kinds.clear();
                }
                if self.policy.withholds(Field::Remarks) {
                    c.remark = None;
                }
                Decision::Release(Outbound::StationAlarm(c))
            }
        }
    }

    /// An alert, incident transition or hand-over: the subject track must pass what a track
    /// passes (origin, military, and, unless `events_outside_area`, the areas). Never rate
    /// limited.
    fn event(&self, s: &Subject, redacted: impl FnOnce() -> Outbound) -> Decision {
        let in_area = !self.policy.events_outside_area;
        match self.admit(&s.origin, s.military, s.lat, s.lon, s.alt_ft, in_area) {
            Ok(()) => Decision::Release(redacted()),
            Err(r) => Decision::Withhold(r),
        }
    }

    fn admit(
        &self,
        origin: &Origin,
        military: bool,
        lat: f64,
        lon: f64,
        alt_ft: Option<f64>,
        check_area: bool,
    ) -> Result<(), Reason> {
        if *origin != self.own && !self.forwards(&origin.party) {
            return Err(Reason::PartnerData);
        }
        if military && self.policy.withholds(Field::MilitaryTracks) {
            return Err(Reason::MilitaryTrack);
        }
        if check_area {
            self.area_check(lat, lon, alt_ft)?;
        }
        Ok(())
    }

    /// Whether data of this (not own) origin party may be forwarded.
    fn forwards(&self, party: &str) -> bool {
        self.policy.forward_partner_data && self.policy.forward_parties.contains(party)
    }

    fn area_check(&self, lat: f64, lon: f64, alt_ft: Option<f64>) -> Result<(), Reason> {
        let pos = LatLon::new(lat, lon);
        if !pos.is_valid() {
            return Err(Reason::OutsideArea);
        }
        let alt = alt_ft.filter(|h| h.is_finite());
        let mut lateral = false;
        for a in &self.areas {
            if !a.volume.contains_lateral(pos) {
                continue;
            }
            lateral = true;
            match alt {
                Some(h) => {
                    if a.volume.in_band(h) && h >= a.lower_ft && h <= a.upper_ft {
                        return Ok(());
                    }
                }
                None => {
                    if a.unknown_altitude {
                        return Ok(());
                    }
                }
            }
        }
        Err(match (lateral, alt) {
            (false, _) => Reason::OutsideArea,
            (true, None) => Reason::AltitudeUnknown,
            (true, Some(_)) => Reason::OutsideBand,
        })
    }

    fn redact_identity(&self, id: &mut Identity) {
        let p = &self.policy;
        if p.withholds(Field::Callsign) {
            id.callsign = None;
        }
        if p.withholds(Field::Squawk) {
            id.squawk = None;
        }
        if p.withholds(Field::Icao) {
            id.icao = None;
        }
    }

    fn redact_track(&self, t: &TrackOut) -> TrackOut {
        let p = &self.policy;
        let mut c = t.clone();
        self.redact_identity(&mut c.identity);
        if p.withholds(Field::Velocity) {
            c.velocity = None;
        }
        if p.withholds(Field::Category) {
            c.category = None;
        }
        if p.withholds(Field::TransponderLost) {
            c.transponder_lost = None;
        }
        self.redact_lineage(&mut c.lineage);
        c
    }

    fn redact_lineage(&self, lineage: &mut Vec<LineageEntry>) {
        if self.policy.withholds(Field::Lineage) {
            lineage.clear();
        } else {
            // Lineage names sensors; another party's sensors are that party's data and go
            // out only where its data may be forwarded.
            lineage.retain(|e| e.party == self.own.party || self.forwards(&e.party));
        }
    }

    /// Newest-wins rate limiting of one checked, redacted track update.
    fn rate_limit(&mut self, t: TrackOut, now: UnixTime) -> Decision {
        let Some(r) = &mut self.rate else {
            return Decision::Release(Outbound::Track(t));
        };
        let now = now.secs();
        let slot = r.slots.entry(t.id).or_insert(Slot {
            sent_at: f64::NAN,
            sent_time: f64::NAN,
            pending: None,
        });
        let newer_pending = slot
            .pending
            .as_ref()
            .is_some_and(|p| p.time.secs() > t.time.secs());
        if t.time.secs() <= slot.sent_time || newer_pending {
            return Decision::Withhold(Reason::Superseded);
        }
        let send =
            slot.interval_ok(now, r.min_interval) && r.bucket.as_mut().is_none_or(|b| b.take(now));
        if send {
            if slot.pending.take().is_some() {
                self.counters.withheld[Reason::Superseded as usize] += 1;
            }
            slot.sent_at = now;
            slot.sent_time = t.time.secs();
            Decision::Release(Outbound::Track(t))
        } else {
            if slot.pending.replace(t).is_some() {
                self.counters.withheld[Reason::Superseded as usize] += 1;
            }
            Decision::Deferred
        }
    }

    /// Releases the deferred track updates whose interval has passed, as many as the link
    /// rate allows, least recently sent track first; appends them to `out`. Call it
    /// regularly (every cycle): a deferred update leaves only through here. Also drops idle
    /// per-track state.
    pub fn due(&mut self, now: UnixTime, out: &mut Vec<Outbound>) {
        let Some(r) = &mut self.rate else {
            return;
        };
        let now = now.secs();
        r.scratch.clear();
        for (&id, s) in &r.slots {
            if s.pending.is_some() && s.interval_ok(now, r.min_interval) {
                let key = if s.sent_at.is_nan() {
                    f64::NEG_INFINITY
                } else {
                    s.sent_at
                };
                r.scratch.push((key, id));
            }
        }
        r.scratch
            .sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        for &(_, id) in &r.scratch {
            if let Some(b) = &mut r.bucket
                && !b.take(now)
            {
                break;
            }
            let Some(slot) = r.slots.get_mut(&id) else {
                continue;
            };
            if let Some(t) = slot.pending.take() {
                slot.sent_at = now;
                slot.sent_time = t.time.secs();
                out.push(Outbound::Track(t));
                self.counters.released[Kind::Track as usize] += 1;
                self.counters.released_late += 1;
            }
        }
        let idle = SLOT_IDLE_S.max(2.0 * r.min_interval);
        r.slots
            .retain(|_, s| s.pending.is_some() || now - s.sent_at < idle);
    }
}

/// A polygon area as a volume, built by `vigil-airspace` so polygons here follow the same
/// conventions (lon/lat plane, even-odd rule) and get its grid index.
fn polygon_volume(
    label: &str,
    polygon: &[[f64; 2]],
    lower_ft: f64,
    upper_ft: f64,
) -> Result<Volume, ReleaseError> {
    let id = "release-policy-area".to_string();
    let config = AirspaceConfig {
        release: vec![ReleaseConfig {
            id: id.clone(),
            name: label.to_string(),
            party: None,
            polygon: Some(polygon.to_vec()),
            between: None,
            within_nm: None,
            boundary_tolerance_km: 10.0,
            clip_to_firs: false,
            lower_ft,
            upper_ft,
        }],
        ..AirspaceConfig::default()
    };
    let airspace = Airspace::from_parts(Vec::new(), &config)
        .map_err(|e| ReleaseError::area(label, e.to_string()))?;
    airspace
        .volume(&id)
        .cloned()
        .ok_or_else(|| ReleaseError::area(label, "polygon not built"))
}
