//! The renegade desk: the rule engine joined to the incident engine. One incident per
//! renegade aircraft: opened when a track's category reaches COMLOSS, raised by the rules up
//! to SUSPECTED (which notifies the national chain and the partner at the same moment), and
//! from there in the hands of the duty officers (PROBABLE, CONFIRMED, interception,
//! hand-over, close).

use vigil_core::UnixTime;
use vigil_incident::{
    ActionArgs, Actor, AuditRecord, ChannelKind, Evidence, Incident, IncidentEngine, IncidentError,
    IncidentId, Notification, Transition, Workflow, WorkflowError,
};

use crate::engine::{CycleReport, RenegadeEngine};
use crate::indicator::{Alert, Category};
use crate::view::TrackView;

/// The renegade incident workflow (states, actions, roles, the category ladder), as shipped.
pub const WORKFLOW_TOML: &str = vigil_incident::builtin::RENEGADE;

/// The shipped renegade workflow.
pub fn workflow() -> Result<Workflow, WorkflowError> {
    Workflow::from_toml_str(WORKFLOW_TOML)
}

/// The incident subject of a track.
pub fn subject(track: u64) -> String {
    format!("track:{track}")
}

/// The track of an incident subject.
pub fn track_of(subject: &str) -> Option<u64> {
    subject.strip_prefix("track:")?.parse().ok()
}

/// What one desk cycle did.
#[derive(Debug, Clone, Default)]
pub struct DeskReport {
    /// The rules' report.
    pub rules: CycleReport,
    /// Incidents opened this cycle.
    pub opened: Vec<IncidentId>,
    /// Notifications to deliver (national chain and partners), all of one fan-out with one
    /// time.
    pub notifications: Vec<Notification>,
    /// Audit records to persist.
    pub audit: Vec<AuditRecord>,
}

fn evidence(a: &Alert) -> Evidence {
    Evidence {
        kind: a.kind.name().to_owned(),
        started: a.started,
        detail: a.detail.clone(),
        data: serde_json::to_value(a).ok(),
    }
}

/// The rules and the incidents of one centre.
pub struct RenegadeDesk {
    /// The rules.
    pub rules: RenegadeEngine,
    incidents: IncidentEngine,
}

impl RenegadeDesk {
    /// A desk notifying the national chain and these partner parties.
    pub fn new(rules: RenegadeEngine, partners: &[String]) -> Result<Self, WorkflowError> {
        let mut incidents = IncidentEngine::new(workflow()?)?;
        let mut channels = vec![ChannelKind::NationalChain];
        channels.extend(partners.iter().cloned().map(ChannelKind::Partner));
        incidents.set_channels(channels);
        Ok(RenegadeDesk { rules, incidents })
    }

    /// The incidents.
    pub fn incidents(&self) -> &IncidentEngine {
        &self.incidents
    }

    /// Takes the incidents of an engine restored from the store after a restart (its
    /// workflow must be the desk's; the channels stay the desk's configured ones).
    pub fn restore_incidents(&mut self, mut restored: IncidentEngine) {
        restored.set_channels(self.incidents.channels().to_vec());
        self.incidents = restored;
    }

    /// One cycle: rules on every track, then incidents from the categories. The caller
    /// delivers the notifications and persists the audit records.
    pub fn cycle(&mut self, now: UnixTime, views: &[TrackView]) -> DeskReport {
        let rules = self.rules.cycle(now, views);
        let mut out = DeskReport::default();
        // New evidence for tracks with an open incident.
        for a in &rules.raised {
            if let Some(inc) = self.incidents.by_subject(&subject(a.track)) {
                let id = inc.id;
                let level = inc.level;
                // Same level: evidence only (never lowers, never fails on an open incident).
                let _ =
                    self.incidents
                        .auto_level(now, id, level, "new indicator", vec![evidence(a)]);
            }
        }
        for c in &rules.categories {
            if c.to <= Category::None || c.to <= c.from {
                continue;
            }
            let ev: Vec<Evidence> = self.rules.alerts_of(c.track).map(evidence).collect();
            let key = subject(c.track);
            let existed = self.incidents.by_subject(&key).map(|i| i.id);
            let id = self.incidents.open(now, key, c.to.level(), ev);
            if existed.is_none() {
                out.opened.push(id);
            }
        }
        out.rules = rules;
        out.notifications = self.incidents.drain_outbox();
        out.audit = self.incidents.drain_audit();
        out
    }

    /// An operator's action on an incident (the role is checked by the workflow).
    pub fn act(
        &mut self,
        now: UnixTime,
        id: IncidentId,
        actor: &Actor,
        action: &str,
        args: ActionArgs,
    ) -> Result<(Transition, Vec<Notification>, Vec<AuditRecord>), IncidentError> {
        let t = self.incidents.act(now, id, actor, action, args)?;
        Ok((
            t,
            self.incidents.drain_outbox(),
            self.incidents.drain_audit(),
        ))
    }

    /// The open incident of a track.
    pub fn incident_of(&self, track: u64) -> Option<&Incident> {
        self.incidents.by_subject(&subject(track))
    }

    /// The category of a track's incident (an operator's classification included), or the
    /// rules' automatic category when there is none.
    pub fn category(&self, track: u64) -> Category {
        self.incident_of(track)
            .and_then(|i| Category::from_level(i.level))
            .unwrap_or_else(|| self.rules.category(track))
    }
}
