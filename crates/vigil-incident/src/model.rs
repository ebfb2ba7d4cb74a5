//! The incident, its evidence, transitions, audit records and notifications: plain serde
//! types, so they cross the HTTP API, the store and (later) process boundaries unchanged.

use crate::workflow::Role;
use serde::{Deserialize, Serialize};
use vigil_core::UnixTime;

/// Identifier of an incident, unique within one engine (from 1, never reused).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IncidentId(pub u64);

impl std::fmt::Display for IncidentId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "INC-{}", self.0)
    }
}

/// What an incident is about, e.g. `track:1234` or `sensor:platform-2`. At most one open
/// incident exists per subject.
pub type SubjectKey = String;

/// Who did something: a user name and the role they act in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// User name (`system` for the automatic engine).
    pub user: String,
    /// The role the user acts in.
    pub role: Role,
}

impl Actor {
    /// The automatic engine.
    pub fn system() -> Actor {
        Actor {
            user: "system".into(),
            role: Role::System,
        }
    }

    /// A human or system actor.
    pub fn new(user: impl Into<String>, role: Role) -> Actor {
        Actor {
            user: user.into(),
            role,
        }
    }
}

/// One piece of evidence: an indicator, when it started, a text, and optional structured data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// Indicator name, e.g. `transponder_off` (domain vocabulary; opaque to the engine).
    pub kind: String,
    /// When the indicator started (not when it was reported).
    pub started: UnixTime,
    /// Human-readable detail.
    pub detail: String,
    /// Structured detail for the UI and the store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<serde_json::Value>,
}

impl Evidence {
    /// Evidence without structured data.
    pub fn new(kind: impl Into<String>, started: UnixTime, detail: impl Into<String>) -> Evidence {
        Evidence {
            kind: kind.into(),
            started,
            detail: detail.into(),
            data: None,
        }
    }
}

/// Arguments of an operator action; which are required depends on the action's definition.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionArgs {
    /// New level index, for actions that set the level.
    #[serde(default)]
    pub level: Option<usize>,
    /// Why (kept in the audit trail).
    #[serde(default)]
    pub reason: Option<String>,
    /// Free remark.
    #[serde(default)]
    pub remark: Option<String>,
    /// The other party, e.g. who takes a hand-over, or the partner channel to notify.
    #[serde(default)]
    pub party: Option<String>,
}

/// One change of an incident, by the engine or a human.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transition {
    /// Global sequence number, strictly increasing across the engine; equal to the `seq` of
    /// its [`AuditRecord`].
    pub seq: u64,
    /// The incident.
    pub incident: IncidentId,
    /// When.
    pub at: UnixTime,
    /// Who.
    pub actor: Actor,
    /// The workflow action, or `auto_level` / `notify` for the engine's own transitions.
    pub action: String,
    /// State before.
    pub from_state: String,
    /// State after.
    pub to_state: String,
    /// Level index before.
    pub from_level: usize,
    /// Level index after.
    pub to_level: usize,
    /// Why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Remark.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
    /// The other party named by the action.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub party: Option<String>,
}

/// Where a notification goes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    /// The national chain (own command and control).
    NationalChain,
    /// A partner centre, by party name (e.g. `RU`).
    Partner(String),
}

impl std::fmt::Display for ChannelKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChannelKind::NationalChain => f.write_str("national_chain"),
            ChannelKind::Partner(p) => write!(f, "partner:{p}"),
        }
    }
}

/// A message for one channel. All notifications of one fan-out carry the same `at`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    /// The incident.
    pub incident: IncidentId,
    /// Its subject.
    pub subject: SubjectKey,
    /// The channel.
    pub channel: ChannelKind,
    /// When the engine decided to notify.
    pub at: UnixTime,
    /// Level index at that moment.
    pub level: usize,
    /// Level name at that moment.
    pub level_name: String,
    /// State at that moment (after any move to the workflow's notify state).
    pub state: String,
    /// One line for humans.
    pub summary: String,
}

/// One entry of the audit trail. Every transition, every reason, every piece of evidence and
/// every notification produces one. Sequence numbers are global and strictly increasing.
///
/// The JSON form is stable: an object with `kind` (`opened`, `evidence`, `transition`,
/// `proposed`, `notified`) and the variant's fields flat beside it; times are Unix seconds as numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AuditRecord {
    /// An incident was opened by the engine.
    Opened {
        /// Sequence number.
        seq: u64,
        /// When.
        at: UnixTime,
        /// The new incident.
        incident: IncidentId,
        /// Its subject.
        subject: SubjectKey,
        /// Workflow name.
        workflow: String,
        /// Initial state.
        state: String,
        /// Initial level index.
        level: usize,
    },
    /// Evidence was attached.
    Evidence {
        /// Sequence number.
        seq: u64,
        /// When.
        at: UnixTime,
        /// The incident.
        incident: IncidentId,
        /// The new evidence.
        evidence: Vec<Evidence>,
    },
    /// A transition (its `seq` is the record's).
    Transition(Transition),
    /// The automatic engine asked for a level above its cap; a human must confirm it.
    Proposed {
        /// Sequence number.
        seq: u64,
        /// When.
        at: UnixTime,
        /// The incident.
        incident: IncidentId,
        /// Level index requested.
        level: usize,
        /// The engine's reason.
        reason: String,
    },
    /// A notification was produced for a channel.
    Notified {
        /// Sequence number.
        seq: u64,
        /// When.
        at: UnixTime,
        /// The incident.
        incident: IncidentId,
        /// The channel.
        channel: ChannelKind,
        /// Level index notified.
        level: usize,
        /// State notified.
        state: String,
    },
}

impl AuditRecord {
    /// The record's sequence number.
    pub fn seq(&self) -> u64 {
        match self {
            AuditRecord::Opened { seq, .. }
            | AuditRecord::Evidence { seq, .. }
            | AuditRecord::Proposed { seq, .. }
            | AuditRecord::Notified { seq, .. } => *seq,
            AuditRecord::Transition(t) => t.seq,
        }
    }

    /// When it happened.
    pub fn at(&self) -> UnixTime {
        match self {
            AuditRecord::Opened { at, .. }
            | AuditRecord::Evidence { at, .. }
            | AuditRecord::Proposed { at, .. }
            | AuditRecord::Notified { at, .. } => *at,
            AuditRecord::Transition(t) => t.at,
        }
    }

    /// The incident it is about.
    pub fn incident(&self) -> IncidentId {
        match self {
            AuditRecord::Opened { incident, .. }
            | AuditRecord::Evidence { incident, .. }
            | AuditRecord::Proposed { incident, .. }
            | AuditRecord::Notified { incident, .. } => *incident,
            AuditRecord::Transition(t) => t.incident,
        }
    }

    /// The stable JSON form, one line.
    pub fn to_json(&self) -> String {
        // Serialising these plain types cannot fail: every map key is a string and no
        // custom serialiser returns an error. Non-finite times become `null` (serde_json).
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Parses the JSON form.
    pub fn from_json(text: &str) -> Result<AuditRecord, serde_json::Error> {
        serde_json::from_str(text)
    }
}

/// One incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    /// Identifier.
    pub id: IncidentId,
    /// What it is about.
    pub subject: SubjectKey,
    /// Current state name.
    pub state: String,
    /// Current level index.
    pub level: usize,
    /// When it was opened.
    pub opened: UnixTime,
    /// Last change (transition or evidence).
    pub updated: UnixTime,
    /// When it reached a terminal state.
    #[serde(default)]
    pub closed: Option<UnixTime>,
    /// Evidence, in arrival order (identical repeats are dropped).
    pub evidence: Vec<Evidence>,
    /// Every transition, in order.
    pub timeline: Vec<Transition>,
    /// Every notification produced, per channel, in order.
    pub notified: Vec<(ChannelKind, UnixTime)>,
    /// Highest level a level-triggered fan-out has announced; a later raise above it
    /// announces again.
    #[serde(default)]
    pub notified_level: Option<usize>,
    /// A level above the automatic cap that the engine asked for and no human has yet set
    /// (at or above): the UI shows it as awaiting confirmation.
    #[serde(default)]
    pub proposed_level: Option<usize>,
    /// Per level index: when the level first was at least that high (`None`: never).
    pub level_reached: Vec<Option<UnixTime>>,
}

impl Incident {
    /// When the incident's level first was at least `level` (the ladder is ordered, so
    /// jumping from COMLOSS to PROBABLE also reaches SUSPECTED at that moment). `None` if
    /// never, or if `level` is outside the ladder. Lowering the level later does not erase it.
    pub fn level_since(&self, level: usize) -> Option<UnixTime> {
        self.level_reached.get(level).copied().flatten()
    }

    /// The last transition, if any.
    pub fn last_transition(&self) -> Option<&Transition> {
        self.timeline.last()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// The JSON form is part of the store's format: pin it.
    #[test]
    fn audit_json_is_stable() {
        let cases: Vec<(AuditRecord, &str)> = vec![
            (
                AuditRecord::Opened {
                    seq: 1,
                    at: UnixTime(100.5),
                    incident: IncidentId(7),
                    subject: "track:12".into(),
                    workflow: "renegade".into(),
                    state: "detected".into(),
                    level: 1,
                },
                r#"{"kind":"opened","seq":1,"at":100.5,"incident":7,"subject":"track:12","workflow":"renegade","state":"detected","level":1}"#,
            ),
            (
                AuditRecord::Evidence {
                    seq: 2,
                    at: UnixTime(101.0),
                    incident: IncidentId(7),
                    evidence: vec![Evidence::new("transponder_off", UnixTime(99.0), "no reply")],
                },
                r#"{"kind":"evidence","seq":2,"at":101.0,"incident":7,"evidence":[{"kind":"transponder_off","started":99.0,"detail":"no reply"}]}"#,
            ),
            (
                AuditRecord::Transition(Transition {
                    seq: 3,
                    incident: IncidentId(7),
                    at: UnixTime(102.0),
                    actor: Actor::new("anna", Role::Operator),
                    action: "classify".into(),
                    from_state: "assessed".into(),
                    to_state: "assessed".into(),
                    from_level: 2,
                    to_level: 3,
                    reason: Some("no radio".into()),
                    remark: None,
                    party: None,
                }),
                r#"{"kind":"transition","seq":3,"incident":7,"at":102.0,"actor":{"user":"anna","role":"operator"},"action":"classify","from_state":"assessed","to_state":"assessed","from_level":2,"to_level":3,"reason":"no radio"}"#,
            ),
            (
                AuditRecord::Proposed {
                    seq: 5,
                    at: UnixTime(102.0),
                    incident: IncidentId(7),
                    level: 4,
                    reason: "military escort seen".into(),
                },
                r#"{"kind":"proposed","seq":5,"at":102.0,"incident":7,"level":4,"reason":"military escort seen"}"#,
            ),
            (
                AuditRecord::Notified {
                    seq: 4,
                    at: UnixTime(102.0),
                    incident: IncidentId(7),
                    channel: ChannelKind::Partner("RU".into()),
                    level: 3,
                    state: "notified".into(),
                },
                r#"{"kind":"notified","seq":4,"at":102.0,"incident":7,"channel":{"partner":"RU"},"level":3,"state":"notified"}"#,
            ),
        ];
        for (record, json) in cases {
            assert_eq!(record.to_json(), json);
            assert_eq!(AuditRecord::from_json(json).unwrap(), record);
        }
        assert_eq!(
            serde_json::to_string(&ChannelKind::NationalChain).unwrap(),
            r#""national_chain""#
        );
    }
}
