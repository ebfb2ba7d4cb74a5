//! Domain-neutral incident engine: workflows as data, roles, audited transitions, severity
//! levels and notification at the same moment to every channel.
//!
//! A domain (renegade aircraft, metro-station explosives alarm, submarine rescue) describes its
//! workflow in TOML ([`Workflow`]): states, terminal states, the ordered severity ladder, how
//! far the automatic engine may raise it, the role needed above that, and the actions with
//! their allowed states, roles and required arguments. The [`IncidentEngine`] applies it:
//!
//! - [`IncidentEngine::open`] and [`IncidentEngine::auto_level`] are the automatic engine's
//!   (rules'), capped at the workflow's `auto_max_level`; they never lower a level.
//! - [`IncidentEngine::act`] is a human's (or a `system` action's), checked against the
//!   workflow: state, role ([`Role::permits`]), arguments, and the right to classify.
//! - Reaching the workflow's `notify_at_level` notifies every configured channel in the same
//!   call with the same time; the owner drains [`IncidentEngine::drain_outbox`] and delivers
//!   with [`dispatch`] to [`NotificationSink`]s.
//! - Every change is an [`AuditRecord`] with a global, strictly increasing sequence number,
//!   drained with [`IncidentEngine::drain_audit`] for the store.
//!
//! **Architecture invariant:** nothing here names a domain state, action or level; no I/O, no
//! clock (times are arguments), no randomness, `BTreeMap` order throughout, so a replay of the
//! same calls gives the same incidents, notifications and audit trail.

mod engine;
mod model;
mod sink;
mod workflow;

pub use engine::{EngineSnapshot, IncidentEngine, IncidentError, SnapshotError};
pub use model::{
    ActionArgs, Actor, AuditRecord, ChannelKind, Evidence, Incident, IncidentId, Notification,
    SubjectKey, Transition,
};
pub use sink::{DeliveryError, DeliveryFailure, NotificationSink, SinkError, dispatch};
pub use workflow::{ActionDef, ChannelSelect, RESERVED_ACTIONS, Role, Workflow, WorkflowError};

/// Workflow files shipped with the crate (data, not code: each domain may load its own).
pub mod builtin {
    /// The renegade-aircraft workflow (`workflows/renegade.toml`).
    pub const RENEGADE: &str = include_str!("../workflows/renegade.toml");
    /// The metro-station explosives alarm workflow (`workflows/station_alarm.toml`).
    pub const STATION_ALARM: &str = include_str!("../workflows/station_alarm.toml");
}
