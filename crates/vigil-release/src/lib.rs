//! The outbound release policy of a link between two centres: what may leave, and in what
//! form. Transport-free: the link (gRPC, ledger, delivery) calls it for every message.
//!
//! A [`ReleasePolicy`] is declared per link in TOML (example:
//! `data/warsaw-kaliningrad.toml`): the kinds of data that go out, release areas (polygons,
//! or volumes of the centre's `vigil-airspace` such as the `EPWW-UMKK` release band) with
//! altitude bands, the fields withheld, rate limits of track updates, and whether data that
//! did not originate at this centre may be forwarded, and of which parties.
//!
//! A [`Releaser`] applies it. For each [`Outbound`] message, [`Releaser::release`] returns a
//! [`Decision`]: a redacted copy to send, a deferral (rate limit), or a [`Reason`] to
//! withhold, counted per reason. The rules, in order:
//!
//! 1. **Kind.** Heartbeats always go out (they carry nothing but a time). Anything else only
//!    if its kind is listed.
//! 2. **Origin.** Every track and event subject carries its [`Origin`] (party and centre),
//!    set when it entered the picture. Data whose origin is not this centre is forwarded
//!    only with `forward_partner_data = true` *and* its party in `forward_parties`.
//!    Lineage entries naming another party's sensors are removed unless that party is
//!    forwarded too.
//! 3. **Military.** With `withhold = ["military_tracks"]` a military track, and any alert,
//!    incident transition or hand-over about one, is not sent at all.
//! 4. **Area.** A track goes out only inside a release area, laterally and within its
//!    altitude band (an unknown altitude only where the area says `unknown_altitude =
//!    true`). Alerts, incident transitions and hand-overs carry the position of their
//!    [`Subject`] track and need it inside an area too: an event names a track and says
//!    where it is, so releasing it would leak what the track rule withholds. A policy may
//!    lift this for events with `events_outside_area = true` (e.g. to tell the partner of a
//!    renegade still deep inside own airspace).
//! 5. **Redaction.** Withheld fields ([`Field`]) are removed from the copy: they are
//!    `Option`s or lists in the message model, skipped when serialised, so the copy does not
//!    carry them at all.
//! 6. **Rate limit** (tracks only). A per-track minimum interval and a link-wide rate
//!    (token bucket, one second of burst). An update over the limit becomes its track's
//!    pending update ([`Decision::Deferred`]); a newer update of the same track replaces it
//!    (newest wins: a dropped update is always superseded by a newer one), and
//!    [`Releaser::due`], called every cycle, sends pending updates as the limits allow.
//!    Alerts, incident transitions and hand-overs are never rate limited, and nothing here
//!    drops them for load: the link's delivery layer must keep them.
//!
//! Missile tracks and launch warnings (early warning) pass rules 1, 2 and 5 only: no area
//! applies, because early-warning data is shared wherever the object flies. Station alarms
//! pass rules 1, 2 and 5 and are summaries by construction (no position, no track, no
//! identity).
//!
//! **Architecture invariant:** no I/O and no clock: `now` is an argument. Nothing leaves
//! that the policy does not release: `tests/oracle.rs` checks the whole outbound path
//! against an independent oracle on 10,000 generated pictures and policies.

#![deny(missing_docs)]

mod error;
pub mod message;
pub mod policy;
mod releaser;

pub use error::ReleaseError;
pub use message::{
    AlertOut, HandoverOut, HandoverStage, Heartbeat, Identity, ImpactOut, IncidentOut, Kind,
    LaunchWarningOut, LineageEntry, MissileTrackOut, Origin, Outbound, StateEstimate,
    StationAlarmOut, Subject, TrackOut, Velocity,
};
pub use policy::{AreaPolicy, Field, RateLimit, ReleasePolicy};
pub use releaser::{Counters, Decision, Reason, Releaser};
