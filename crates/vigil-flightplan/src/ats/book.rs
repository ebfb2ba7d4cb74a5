//! The flight-plan book: plans filed, amended, delayed, cancelled, departed and arrived, with
//! lookups for correlating tracks by callsign, SSR code and 24-bit address.

use rustc_hash::FxHashMap;
use vigil_core::{IcaoAddress, UnixTime};

use super::{AtsMessage, FlightKey, FlightPlan, Hhmm, day_start};

/// Index of a plan in its [`FlightPlanBook`]; stable for the book's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PlanId(pub usize);

/// Where a plan is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PlanStatus {
    /// Filed (possibly amended or delayed), not yet departed.
    Filed,
    /// A DEP was received.
    Departed,
    /// A CNL was received: no longer a candidate.
    Cancelled,
    /// An ARR was received: closed.
    Arrived,
}

impl PlanStatus {
    /// Whether the plan is still open (filed or airborne).
    pub fn is_open(self) -> bool {
        matches!(self, PlanStatus::Filed | PlanStatus::Departed)
    }
}

/// One plan and what happened to it.
#[derive(Debug, Clone, PartialEq)]
pub struct BookEntry {
    /// The plan, with every CHG and DLA applied.
    pub plan: FlightPlan,
    /// Its state.
    pub status: PlanStatus,
    /// Actual time of departure from DEP.
    pub atd: Option<Hhmm>,
    /// Arrival aerodrome and time from ARR.
    pub arrival: Option<(String, Hhmm)>,
    /// Messages applied after the FPL (CHG, DLA, ...).
    pub updates: u32,
}

impl BookEntry {
    /// The time the flight starts being a candidate for a track: the ATD when known, else the
    /// EOBT, on the date of flight or the day of `reference_day`.
    pub fn start_unix(&self, reference_day: UnixTime) -> Option<UnixTime> {
        let t = self.atd.unwrap_or(self.plan.eobt);
        let day = day_start(self.plan.dof(), reference_day)?;
        Some(UnixTime(day + t.seconds()))
    }
}

/// A message could not be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BookError {
    /// No open plan matches the message's flight key.
    #[error("{kind} for {key:?}: no open flight plan matches")]
    NoMatchingPlan {
        /// The message type.
        kind: &'static str,
        /// What was looked for.
        key: FlightKey,
    },
}

/// What a track is known by, for [`FlightPlanBook::candidates`].
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TrackIdentity<'a> {
    /// Callsign as transmitted (trailing spaces and case ignored).
    pub callsign: Option<&'a str>,
    /// Mode 3/A code, one octal digit per nibble.
    pub ssr: Option<u16>,
    /// 24-bit address.
    pub address: Option<IcaoAddress>,
}

/// A plan that could be the one a track flies, with what matched.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    /// The plan.
    pub id: PlanId,
    /// The 24-bit address matches `CODE/`.
    pub address: bool,
    /// The callsign matches field 7.
    pub callsign: bool,
    /// The SSR code matches field 7.
    pub ssr: bool,
    /// Seconds from the plan's start (ATD or EOBT) to the query time.
    pub since_start_s: f64,
    /// Address 4, callsign 2, SSR code 1: the SSR code is the weakest, being reassigned and
    /// shared (7000, 2000) far more than addresses and callsigns.
    pub score: u8,
}

/// Plans applied from a stream of ATS messages, indexed by callsign, SSR code and address.
#[derive(Debug, Clone, Default)]
pub struct FlightPlanBook {
    entries: Vec<BookEntry>,
    by_callsign: FxHashMap<String, Vec<usize>>,
    by_ssr: FxHashMap<u16, Vec<usize>>,
    by_address: FxHashMap<IcaoAddress, Vec<usize>>,
}

/// A plan is a candidate from this long before its EOBT (early departures) ...
const EARLY_S: f64 = 1_800.0;
/// ... to this long after EOBT + total EET (delays without a DLA, holding).
const LATE_S: f64 = 3.0 * 3_600.0;

fn remove_from<K: std::hash::Hash + Eq>(map: &mut FxHashMap<K, Vec<usize>>, key: &K, i: usize) {
    if let Some(v) = map.get_mut(key) {
        v.retain(|&x| x != i);
        if v.is_empty() {
            map.remove(key);
        }
    }
}

impl FlightPlanBook {
    /// An empty book.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of plans ever filed (including closed ones).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no plan was filed.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// One plan.
    pub fn get(&self, id: PlanId) -> Option<&BookEntry> {
        self.entries.get(id.0)
    }

    /// Every plan with its id, in filing order.
    pub fn entries(&self) -> impl Iterator<Item = (PlanId, &BookEntry)> {
        self.entries.iter().enumerate().map(|(i, e)| (PlanId(i), e))
    }

    fn index(&mut self, i: usize) {
        let p = &self.entries[i].plan;
        self.by_callsign
            .entry(p.callsign.clone())
            .or_default()
            .push(i);
        if let Some(s) = p.ssr {
            self.by_ssr.entry(s.code).or_default().push(i);
        }
        if let Some(a) = p.address() {
            self.by_address.entry(a).or_default().push(i);
        }
    }

    fn unindex(&mut self, i: usize) {
        let p = &self.entries[i].plan;
        let (cs, ssr, addr) = (p.callsign.clone(), p.ssr, p.address());
        remove_from(&mut self.by_callsign, &cs, i);
        if let Some(s) = ssr {
            remove_from(&mut self.by_ssr, &s.code, i);
        }
        if let Some(a) = addr {
            remove_from(&mut self.by_address, &a, i);
        }
    }

    /// The open plan a message's key designates: same callsign and departure, same
    /// destination and date of flight when both sides give them; among several, the one whose
    /// EOBT equals (or is nearest to) the message's time.
    pub fn find(&self, key: &FlightKey) -> Option<PlanId> {
        self.find_near(key, key.eobt)
    }

    fn find_near(&self, key: &FlightKey, time: Option<Hhmm>) -> Option<PlanId> {
        let ids = self.by_callsign.get(&key.callsign)?;
        ids.iter()
            .copied()
            .filter(|&i| {
                let e = &self.entries[i];
                let p = &e.plan;
                e.status.is_open()
                    && p.departure == key.departure
                    && key.destination.as_ref().is_none_or(|d| *d == p.destination)
                    && match (key.dof, p.dof()) {
                        (Some(a), Some(b)) => a == b,
                        _ => true,
                    }
            })
            .min_by_key(|&i| {
                let eobt = self.entries[i].plan.eobt.minutes();
                // Circular distance in minutes: an EOBT of 2350 is near a time of 0005.
                time.map_or(0, |t| {
                    let d = eobt.abs_diff(t.minutes());
                    d.min(1_440 - d.min(1_440))
                })
            })
            .map(PlanId)
    }

    /// Applies one message. An FPL whose key matches an open plan replaces it (a re-filing);
    /// the others change the plan their key designates.
    pub fn apply(&mut self, message: AtsMessage) -> Result<PlanId, BookError> {
        let key = message.key();
        if let AtsMessage::Fpl(plan) = message {
            if let Some(PlanId(i)) = self.find(&key).filter(|id| {
                self.entries[id.0].plan.eobt == plan.eobt
                    && self.entries[id.0].status == PlanStatus::Filed
            }) {
                self.unindex(i);
                self.entries[i].plan = plan;
                self.entries[i].updates += 1;
                self.index(i);
                return Ok(PlanId(i));
            }
            self.entries.push(BookEntry {
                plan,
                status: PlanStatus::Filed,
                atd: None,
                arrival: None,
                updates: 0,
            });
            let i = self.entries.len() - 1;
            self.index(i);
            return Ok(PlanId(i));
        }
        let time = match &message {
            AtsMessage::Dla(r) | AtsMessage::Dep(r) => r.time,
            _ => key.eobt,
        };
        let Some(PlanId(i)) = self.find_near(&key, time) else {
            return Err(BookError::NoMatchingPlan {
                kind: message.kind(),
                key,
            });
        };
        self.unindex(i);
        let e = &mut self.entries[i];
        e.updates += 1;
        match message {
            AtsMessage::Fpl(_) => {}
            AtsMessage::Chg { amendments, .. } => {
                for a in &amendments {
                    e.plan.amend(a);
                }
            }
            AtsMessage::Dla(r) => {
                if let Some(t) = r.time {
                    e.plan.eobt = t;
                }
            }
            AtsMessage::Cnl(_) => e.status = PlanStatus::Cancelled,
            AtsMessage::Dep(r) => {
                e.status = PlanStatus::Departed;
                e.atd = r.time;
            }
            AtsMessage::Arr {
                arrival_aerodrome,
                arrival_time,
                ..
            } => {
                e.status = PlanStatus::Arrived;
                e.arrival = Some((arrival_aerodrome, arrival_time));
            }
        }
        self.index(i);
        Ok(PlanId(i))
    }

    /// Plans filed under `callsign` (exact, upper case as filed).
    pub fn by_callsign(&self, callsign: &str) -> impl Iterator<Item = (PlanId, &BookEntry)> {
        self.lookup(self.by_callsign.get(callsign))
    }

    /// Plans with this SSR code (one octal digit per nibble).
    pub fn by_ssr(&self, code: u16) -> impl Iterator<Item = (PlanId, &BookEntry)> {
        self.lookup(self.by_ssr.get(&code))
    }

    /// Plans with this 24-bit address in `CODE/`.
    pub fn by_address(&self, address: IcaoAddress) -> impl Iterator<Item = (PlanId, &BookEntry)> {
        self.lookup(self.by_address.get(&address))
    }

    fn lookup<'a>(
        &'a self,
        ids: Option<&'a Vec<usize>>,
    ) -> impl Iterator<Item = (PlanId, &'a BookEntry)> + 'a {
        ids.into_iter()
            .flatten()
            .map(|&i| (PlanId(i), &self.entries[i]))
    }

    /// Open plans that a track with this identity, seen at `time`, could be flying: any
    /// identity matches, and `time` lies between 30 min before the plan's start (ATD, else
    /// EOBT) and 3 h after start + total EET. Plans without `DOF/` are tried on the UTC day of
    /// `time` and the days either side, so flights across midnight match. Best score first.
    pub fn candidates(&self, identity: &TrackIdentity<'_>, time: UnixTime) -> Vec<Candidate> {
        let callsign = identity
            .callsign
            .map(|c| c.trim())
            .filter(|c| !c.is_empty())
            .map(|c| c.to_ascii_uppercase());
        let mut ids: Vec<usize> = Vec::new();
        if let Some(c) = &callsign {
            ids.extend(self.by_callsign.get(c).into_iter().flatten());
        }
        if let Some(s) = identity.ssr {
            ids.extend(self.by_ssr.get(&s).into_iter().flatten());
        }
        if let Some(a) = identity.address {
            ids.extend(self.by_address.get(&a).into_iter().flatten());
        }
        ids.sort_unstable();
        ids.dedup();
        let mut out: Vec<Candidate> = ids
            .into_iter()
            .filter_map(|i| {
                let e = &self.entries[i];
                if !e.status.is_open() {
                    return None;
                }
                let since = self.since_start(e, time)?;
                let p = &e.plan;
                let address = identity.address.is_some() && identity.address == p.address();
                let cs = callsign.as_deref() == Some(p.callsign.as_str());
                let ssr = identity.ssr.is_some() && identity.ssr == p.ssr.map(|s| s.code);
                let score = 4 * u8::from(address) + 2 * u8::from(cs) + u8::from(ssr);
                Some(Candidate {
                    id: PlanId(i),
                    address,
                    callsign: cs,
                    ssr,
                    since_start_s: since,
                    score,
                })
            })
            .collect();
        out.sort_by(|a, b| {
            b.score
                .cmp(&a.score)
                .then(a.since_start_s.abs().total_cmp(&b.since_start_s.abs()))
        });
        out
    }

    /// Seconds since the plan's start if `time` is inside its window, trying the day of `time`
    /// and its neighbours when the plan has no date of flight.
    fn since_start(&self, e: &BookEntry, time: UnixTime) -> Option<f64> {
        let eet = e.plan.total_eet.seconds();
        let days: &[f64] = if e.plan.dof().is_some() {
            &[0.0]
        } else {
            &[0.0, -86_400.0, 86_400.0]
        };
        days.iter()
            .filter_map(|d| {
                let start = e.start_unix(UnixTime(time.0 + d))?;
                let since = time.since(start);
                (since >= -EARLY_S && since <= eet + LATE_S).then_some(since)
            })
            .min_by(|a, b| a.abs().total_cmp(&b.abs()))
    }
}
