//! The incident engine: opens incidents, applies automatic level raises and human actions
//! under the workflow's rules, fans notifications out, and writes the audit trail.
//!
//! Synchronous and deterministic: time is an argument, maps are `BTreeMap`s, nothing random.
//! Each call is O(log n) in the number of incidents (plus the size of its own arguments and
//! the configured channels).

use crate::model::{
    ActionArgs, Actor, AuditRecord, ChannelKind, Evidence, Incident, IncidentId, Notification,
    SubjectKey, Transition,
};
use crate::workflow::{ChannelSelect, Compiled, Role, Workflow, WorkflowError};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use vigil_core::UnixTime;

/// Why an action or a level change was refused. Nothing changes when one is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IncidentError {
    /// No incident has this id (or it was evicted).
    #[error("unknown incident {0}")]
    UnknownIncident(IncidentId),
    /// The incident is in a terminal state and accepts no transition.
    #[error("incident {id} is closed (state {state:?})")]
    IncidentClosed {
        /// The incident.
        id: IncidentId,
        /// Its terminal state.
        state: String,
    },
    /// The workflow has no such action.
    #[error("unknown action {0:?}")]
    UnknownAction(String),
    /// The action is not allowed from the current state.
    #[error("action {action:?} is not allowed in state {current:?} (allowed from {allowed:?})")]
    WrongState {
        /// The action.
        action: String,
        /// The incident's state.
        current: String,
        /// States the action is allowed from.
        allowed: Vec<String>,
    },
    /// The actor's role does not permit the action (see [`Role::permits`]).
    #[error("action {action:?} needs role {needed}; actor acts as {actor}")]
    RoleTooLow {
        /// The action.
        action: String,
        /// Role the action needs.
        needed: Role,
        /// The actor's role.
        actor: Role,
    },
    /// The action needs a reason and none (or an empty one) was given.
    #[error("action {action:?} needs a reason")]
    ReasonMissing {
        /// The action.
        action: String,
    },
    /// The action needs another argument that is missing or empty.
    #[error("action {action:?} needs a {arg}")]
    ArgumentMissing {
        /// The action.
        action: String,
        /// `remark` or `party`.
        arg: &'static str,
    },
    /// The action sets the level and no level was given.
    #[error("action {action:?} needs a level")]
    LevelMissing {
        /// The action.
        action: String,
    },
    /// The action does not set the level but a level was given.
    #[error("action {action:?} does not set the level")]
    LevelNotAccepted {
        /// The action.
        action: String,
    },
    /// The level index is outside the ladder.
    #[error("level {level} is out of range (the ladder has {levels} levels)")]
    LevelOutOfRange {
        /// The index given.
        level: usize,
        /// How many levels there are.
        levels: usize,
    },
    /// Setting (or changing from) this level needs the workflow's classify role.
    #[error("level {level} needs role {needed}; actor acts as {actor}")]
    LevelAboveRight {
        /// Name of the level concerned (the requested one, or the current one when lowering).
        level: String,
        /// Role needed.
        needed: Role,
        /// The actor's role.
        actor: Role,
    },
    /// The action notifies channels but none of the configured channels matches.
    #[error("action {action:?} notifies, but no configured channel matches")]
    NoChannel {
        /// The action.
        action: String,
    },
}

/// Why a snapshot could not be restored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotError {
    /// The workflow in the snapshot is invalid.
    #[error(transparent)]
    Workflow(#[from] WorkflowError),
    /// An incident does not fit the workflow or the counters.
    #[error("incident {id}: {problem}")]
    Incident {
        /// The incident.
        id: IncidentId,
        /// What is wrong.
        problem: String,
    },
}

/// Everything the engine holds except the undrained outbox and audit (drain those first),
/// for persistence and restart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EngineSnapshot {
    /// The workflow.
    pub workflow: Workflow,
    /// Configured channels.
    pub channels: Vec<ChannelKind>,
    /// All incidents held, by id.
    pub incidents: Vec<Incident>,
    /// Next incident id.
    pub next_id: u64,
    /// Next sequence number.
    pub next_seq: u64,
}

/// The incident engine for one workflow.
///
/// Outputs accumulate in two buffers the owner drains after each call:
/// [`IncidentEngine::drain_outbox`] (notifications to deliver) and
/// [`IncidentEngine::drain_audit`] (records to persist). They are not bounded by the engine:
/// the owner drains them, as the centre's incident task does after every call.
#[derive(Debug, Clone)]
pub struct IncidentEngine {
    wf: Compiled,
    channels: Vec<ChannelKind>,
    incidents: BTreeMap<IncidentId, Incident>,
    open_by_subject: BTreeMap<SubjectKey, IncidentId>,
    open_ids: BTreeSet<IncidentId>,
    next_id: u64,
    next_seq: u64,
    outbox: Vec<Notification>,
    audit: Vec<AuditRecord>,
}

/// The parts of the engine a change to one incident writes to, borrowed apart from the
/// incident itself.
struct Ctx<'a> {
    wf: &'a Compiled,
    channels: &'a [ChannelKind],
    next_seq: &'a mut u64,
    outbox: &'a mut Vec<Notification>,
    audit: &'a mut Vec<AuditRecord>,
}

impl IncidentEngine {
    /// An engine for `workflow` (validated here), with no channels configured.
    pub fn new(workflow: Workflow) -> Result<Self, WorkflowError> {
        Ok(Self {
            wf: workflow.compile()?,
            channels: Vec::new(),
            incidents: BTreeMap::new(),
            open_by_subject: BTreeMap::new(),
            open_ids: BTreeSet::new(),
            next_id: 1,
            next_seq: 1,
            outbox: Vec::new(),
            audit: Vec::new(),
        })
    }

    /// The workflow.
    pub fn workflow(&self) -> &Workflow {
        &self.wf.wf
    }

    /// Sets the channels a level-triggered fan-out notifies (duplicates are dropped, order kept).
    pub fn set_channels(&mut self, channels: Vec<ChannelKind>) {
        let mut seen = BTreeSet::new();
        self.channels = channels
            .into_iter()
            .filter(|c| seen.insert(c.clone()))
            .collect();
    }

    /// The configured channels.
    pub fn channels(&self) -> &[ChannelKind] {
        &self.channels
    }

    /// Opens an incident on `subject` for the automatic engine, or, if one is already open on
    /// it, appends the evidence and raises its level as [`IncidentEngine::auto_level`] would.
    /// Returns the incident's id.
    ///
    /// The level is the system's: it is capped at the workflow's `auto_max_level` (a higher
    /// request is kept as the incident's `proposed_level` for a human to confirm), and an index
    /// beyond the ladder is taken as its top.
    pub fn open(
        &mut self,
        now: UnixTime,
        subject: impl Into<SubjectKey>,
        level: usize,
        evidence: Vec<Evidence>,
    ) -> IncidentId {
        let subject = subject.into();
        let top = self.wf.wf.levels.len() - 1; // validated: levels is not empty
        let level = level.min(top);
        if let Some(&id) = self.open_by_subject.get(&subject) {
            // An open incident is never terminal, so this cannot fail; the id is returned either
            // way.
            let _ = self.auto_level(now, id, level, "raised on open", evidence);
            return id;
        }

        let id = IncidentId(self.next_id);
        self.next_id += 1;
        let start = level.min(self.wf.wf.auto_max_level);
        let mut level_reached = vec![None; top + 1];
        for slot in level_reached.iter_mut().take(start + 1) {
            *slot = Some(now);
        }
        let state = self.wf.wf.states[0].clone(); // validated: states is not empty
        let mut inc = Incident {
            id,
            subject: subject.clone(),
            state: state.clone(),
            level: start,
            opened: now,
            updated: now,
            closed: None,
            evidence: Vec::new(),
            timeline: Vec::new(),
            notified: Vec::new(),
            notified_level: None,
            proposed_level: None,
            level_reached,
        };
        let mut ctx = Ctx {
            wf: &self.wf,
            channels: &self.channels,
            next_seq: &mut self.next_seq,
            outbox: &mut self.outbox,
            audit: &mut self.audit,
        };
        let seq = ctx.seq();
        ctx.audit.push(AuditRecord::Opened {
            seq,
            at: now,
            incident: id,
            subject: subject.clone(),
            workflow: ctx.wf.wf.name.clone(),
            state,
            level: start,
        });
        ctx.add_evidence(&mut inc, now, evidence);
        ctx.propose(&mut inc, now, level, "requested on open");
        ctx.level_fanout(&mut inc, now);
        self.incidents.insert(id, inc);
        self.open_by_subject.insert(subject, id);
        self.open_ids.insert(id);
        id
    }

    /// A raise by the automatic engine, capped at the workflow's `auto_max_level`. Returns the
    /// transition, or `None` when the (capped) level is not above the current one.
    ///
    /// The system never lowers a level: an indicator that clears does not undo a human's or the
    /// engine's assessment; an operator classifies down or closes the incident. A request above
    /// the cap is recorded as `proposed_level` (with an audit record of the reason) for a human
    /// to confirm with the workflow's classify action. Evidence is appended in every case.
    pub fn auto_level(
        &mut self,
        now: UnixTime,
        id: IncidentId,
        level: usize,
        reason: &str,
        evidence: Vec<Evidence>,
    ) -> Result<Option<Transition>, IncidentError> {
        let levels = self.wf.wf.levels.len();
        let (inc, mut ctx) = self.split(id)?;
        if level >= levels {
            return Err(IncidentError::LevelOutOfRange { level, levels });
        }
        ctx.add_evidence(inc, now, evidence);
        ctx.propose(inc, now, level, reason);
        let capped = level.min(ctx.wf.wf.auto_max_level);
        if capped <= inc.level {
            return Ok(None);
        }
        let state = ctx.state_idx(inc);
        let t = ctx.transition(
            inc,
            now,
            Actor::system(),
            "auto_level",
            state,
            capped,
            Some(reason.to_owned()),
            None,
            None,
        );
        ctx.level_fanout(inc, now);
        Ok(Some(t))
    }

    /// A human (or system) action from the workflow. Everything is checked before anything
    /// changes; on success the returned transition is the action's own (an automatic move to
    /// the notify state, if the action's level triggers one, follows it in the timeline).
    pub fn act(
        &mut self,
        now: UnixTime,
        id: IncidentId,
        actor: &Actor,
        action: &str,
        args: ActionArgs,
    ) -> Result<Transition, IncidentError> {
        let (inc, mut ctx) = self.split(id)?;
        let wf = ctx.wf;
        let ai = *wf
            .action_index
            .get(action)
            .ok_or_else(|| IncidentError::UnknownAction(action.to_owned()))?;
        let def = &wf.wf.actions[ai];
        let cur = ctx.state_idx(inc);
        if let Some(from) = &wf.action_from[ai]
            && !from.contains(&cur)
        {
            return Err(IncidentError::WrongState {
                action: def.name.clone(),
                current: inc.state.clone(),
                allowed: from.iter().map(|&i| wf.wf.states[i].clone()).collect(),
            });
        }
        if !actor.role.permits(def.role) {
            return Err(IncidentError::RoleTooLow {
                action: def.name.clone(),
                needed: def.role,
                actor: actor.role,
            });
        }
        if def.needs_reason && is_blank(&args.reason) {
            return Err(IncidentError::ReasonMissing {
                action: def.name.clone(),
            });
        }
        for (needed, value, arg) in [
            (def.needs_remark, &args.remark, "remark"),
            (def.needs_party, &args.party, "party"),
        ] {
            if needed && is_blank(value) {
                return Err(IncidentError::ArgumentMissing {
                    action: def.name.clone(),
                    arg,
                });
            }
        }
        let to_level = match (def.sets_level, args.level) {
            (false, None) => inc.level,
            (false, Some(_)) => {
                return Err(IncidentError::LevelNotAccepted {
                    action: def.name.clone(),
                });
            }
            (true, None) => {
                return Err(IncidentError::LevelMissing {
                    action: def.name.clone(),
                });
            }
            (true, Some(l)) => {
                let levels = wf.wf.levels.len();
                if l >= levels {
                    return Err(IncidentError::LevelOutOfRange { level: l, levels });
                }
                let cap = wf.wf.auto_max_level;
                // Setting a level above the automatic cap, or changing one that a human put
                // above it, is a classification: it needs the classify role.
                let concerned = if l > cap {
                    Some(l)
                } else if inc.level > cap && l != inc.level {
                    Some(inc.level)
                } else {
                    None
                };
                if let Some(c) = concerned
                    && !actor.role.permits(wf.wf.classify_role)
                {
                    return Err(IncidentError::LevelAboveRight {
                        level: wf.wf.levels[c].clone(),
                        needed: wf.wf.classify_role,
                        actor: actor.role,
                    });
                }
                l
            }
        };
        let targets = ctx.select(&def.notifies, args.party.as_deref());
        if !def.notifies.is_empty() && targets.is_empty() {
            return Err(IncidentError::NoChannel {
                action: def.name.clone(),
            });
        }

        // Checked: apply.
        let to_state = match &def.to {
            Some(s) => wf.state_idx(s).unwrap_or(cur), // validated: `to` names a state
            None => cur,
        };
        let t = ctx.transition(
            inc,
            now,
            actor.clone(),
            &def.name,
            to_state,
            to_level,
            non_blank(args.reason),
            non_blank(args.remark),
            non_blank(args.party),
        );
        if def.sets_level && inc.proposed_level.is_some_and(|p| to_level >= p) {
            // A human has decided at or above what the system proposed.
            inc.proposed_level = None;
        }
        if !targets.is_empty() && !wf.terminal[to_state] {
            ctx.notify(inc, now, &targets);
        }
        ctx.level_fanout(inc, now);
        let closed_subject = wf.terminal[to_state].then(|| inc.subject.clone());
        if let Some(subject) = closed_subject {
            self.open_by_subject.remove(&subject);
            self.open_ids.remove(&id);
        }
        Ok(t)
    }

    /// The incident with this id.
    pub fn get(&self, id: IncidentId) -> Option<&Incident> {
        self.incidents.get(&id)
    }

    /// Open (non-terminal) incidents, oldest first.
    pub fn open_incidents(&self) -> impl Iterator<Item = &Incident> + '_ {
        self.open_ids.iter().filter_map(|id| self.incidents.get(id))
    }

    /// The open incident on `subject`, if any.
    pub fn by_subject(&self, subject: &str) -> Option<&Incident> {
        self.open_by_subject
            .get(subject)
            .and_then(|id| self.incidents.get(id))
    }

    /// Every incident held (open and closed), by id.
    pub fn all(&self) -> impl Iterator<Item = &Incident> + '_ {
        self.incidents.values()
    }

    /// Whether the named state is terminal (unknown names are not).
    pub fn is_terminal(&self, state: &str) -> bool {
        self.wf
            .state_idx(state)
            .is_some_and(|i| self.wf.terminal[i])
    }

    /// Notifications produced since the last drain, in order.
    pub fn drain_outbox(&mut self) -> Vec<Notification> {
        std::mem::take(&mut self.outbox)
    }

    /// Audit records produced since the last drain, in sequence order.
    pub fn drain_audit(&mut self) -> Vec<AuditRecord> {
        std::mem::take(&mut self.audit)
    }

    /// Removes and returns the closed incidents that closed before `before` (the store keeps
    /// them through the audit trail); this bounds the memory of a long-running centre.
    pub fn evict_closed(&mut self, before: UnixTime) -> Vec<Incident> {
        let ids: Vec<IncidentId> = self
            .incidents
            .values()
            .filter(|i| i.closed.is_some_and(|c| c < before))
            .map(|i| i.id)
            .collect();
        ids.iter()
            .filter_map(|id| self.incidents.remove(id))
            .collect()
    }

    /// The engine's state for persistence (drain the outbox and audit first: they are not in it).
    pub fn snapshot(&self) -> EngineSnapshot {
        EngineSnapshot {
            workflow: self.wf.wf.clone(),
            channels: self.channels.clone(),
            incidents: self.incidents.values().cloned().collect(),
            next_id: self.next_id,
            next_seq: self.next_seq,
        }
    }

    /// An engine from a snapshot, checking it against its workflow.
    pub fn restore(snapshot: EngineSnapshot) -> Result<Self, SnapshotError> {
        let mut engine = IncidentEngine::new(snapshot.workflow)?;
        engine.set_channels(snapshot.channels);
        engine.next_id = snapshot.next_id;
        engine.next_seq = snapshot.next_seq;
        for inc in snapshot.incidents {
            let bad = |problem: String| SnapshotError::Incident {
                id: inc.id,
                problem,
            };
            let Some(state) = engine.wf.state_idx(&inc.state) else {
                return Err(bad(format!("unknown state {:?}", inc.state)));
            };
            let levels = engine.wf.wf.levels.len();
            if inc.level >= levels || inc.level_reached.len() != levels {
                return Err(bad(format!("level {} outside the ladder", inc.level)));
            }
            if inc.id.0 >= snapshot.next_id {
                return Err(bad(format!("id not below next_id {}", snapshot.next_id)));
            }
            if inc
                .timeline
                .last()
                .is_some_and(|t| t.seq >= snapshot.next_seq)
            {
                return Err(bad(format!("seq not below next_seq {}", snapshot.next_seq)));
            }
            if !engine.wf.terminal[state] {
                if engine.open_by_subject.contains_key(&inc.subject) {
                    return Err(bad(format!("second open incident on {:?}", inc.subject)));
                }
                engine.open_by_subject.insert(inc.subject.clone(), inc.id);
                engine.open_ids.insert(inc.id);
            }
            engine.incidents.insert(inc.id, inc);
        }
        Ok(engine)
    }

    /// The incident (open) and the rest of the engine, borrowed apart.
    fn split(&mut self, id: IncidentId) -> Result<(&mut Incident, Ctx<'_>), IncidentError> {
        let inc = self
            .incidents
            .get_mut(&id)
            .ok_or(IncidentError::UnknownIncident(id))?;
        if inc.closed.is_some() {
            return Err(IncidentError::IncidentClosed {
                id,
                state: inc.state.clone(),
            });
        }
        Ok((
            inc,
            Ctx {
                wf: &self.wf,
                channels: &self.channels,
                next_seq: &mut self.next_seq,
                outbox: &mut self.outbox,
                audit: &mut self.audit,
            },
        ))
    }
}

impl Ctx<'_> {
    fn seq(&mut self) -> u64 {
        let s = *self.next_seq;
        *self.next_seq += 1;
        s
    }

    fn state_idx(&self, inc: &Incident) -> usize {
        // Incident states are only ever set from the workflow's names (and checked on restore).
        self.wf.state_idx(&inc.state).unwrap_or(0)
    }

    /// Appends the evidence not already held (identical repeats are dropped so a rule that
    /// re-reports each second does not grow the incident), with one audit record.
    fn add_evidence(&mut self, inc: &mut Incident, at: UnixTime, evidence: Vec<Evidence>) {
        let mut fresh = Vec::new();
        for e in evidence {
            if !inc.evidence.contains(&e) && !fresh.contains(&e) {
                fresh.push(e);
            }
        }
        if fresh.is_empty() {
            return;
        }
        inc.evidence.extend(fresh.iter().cloned());
        inc.updated = at;
        let seq = self.seq();
        self.audit.push(AuditRecord::Evidence {
            seq,
            at,
            incident: inc.id,
            evidence: fresh,
        });
    }

    /// Records a system request above the automatic cap, if higher than any pending one.
    fn propose(&mut self, inc: &mut Incident, at: UnixTime, level: usize, reason: &str) {
        let cap = self.wf.wf.auto_max_level;
        if level <= cap || level <= inc.level || inc.proposed_level.is_some_and(|p| p >= level) {
            return;
        }
        inc.proposed_level = Some(level);
        let seq = self.seq();
        self.audit.push(AuditRecord::Proposed {
            seq,
            at,
            incident: inc.id,
            level,
            reason: reason.to_owned(),
        });
    }

    #[allow(clippy::too_many_arguments)] // one transition's fields, named at each call
    fn transition(
        &mut self,
        inc: &mut Incident,
        at: UnixTime,
        actor: Actor,
        action: &str,
        to_state: usize,
        to_level: usize,
        reason: Option<String>,
        remark: Option<String>,
        party: Option<String>,
    ) -> Transition {
        let t = Transition {
            seq: self.seq(),
            incident: inc.id,
            at,
            actor,
            action: action.to_owned(),
            from_state: inc.state.clone(),
            to_state: self.wf.wf.states[to_state].clone(),
            from_level: inc.level,
            to_level,
            reason,
            remark,
            party,
        };
        for slot in inc.level_reached.iter_mut().take(to_level + 1) {
            slot.get_or_insert(at);
        }
        inc.state.clone_from(&t.to_state);
        inc.level = to_level;
        inc.updated = at;
        if self.wf.terminal[to_state] {
            inc.closed = Some(at);
        }
        inc.timeline.push(t.clone());
        self.audit.push(AuditRecord::Transition(t.clone()));
        t
    }

    /// Configured channels an action's selectors match, in configured order, once each.
    fn select(&self, selectors: &[ChannelSelect], party: Option<&str>) -> Vec<ChannelKind> {
        let party = party.map(str::trim).filter(|p| !p.is_empty());
        self.channels
            .iter()
            .filter(|c| {
                selectors.iter().any(|s| match (s, c) {
                    (ChannelSelect::All, _) => true,
                    (ChannelSelect::NationalChain, ChannelKind::NationalChain) => true,
                    (ChannelSelect::Partners, ChannelKind::Partner(p)) => {
                        party.is_none_or(|want| want == p)
                    }
                    _ => false,
                })
            })
            .cloned()
            .collect()
    }

    /// One notification per target, all with the same `at`, each with an audit record.
    fn notify(&mut self, inc: &mut Incident, at: UnixTime, targets: &[ChannelKind]) {
        let level_name = self.wf.wf.levels[inc.level].clone();
        let summary = format!(
            "{} {} on {}: {} ({})",
            self.wf.wf.name, inc.id, inc.subject, level_name, inc.state
        );
        for ch in targets {
            self.outbox.push(Notification {
                incident: inc.id,
                subject: inc.subject.clone(),
                channel: ch.clone(),
                at,
                level: inc.level,
                level_name: level_name.clone(),
                state: inc.state.clone(),
                summary: summary.clone(),
            });
            inc.notified.push((ch.clone(), at));
            let seq = self.seq();
            self.audit.push(AuditRecord::Notified {
                seq,
                at,
                incident: inc.id,
                channel: ch.clone(),
                level: inc.level,
                state: inc.state.clone(),
            });
        }
    }

    /// The level-triggered fan-out: when the level is at or above the workflow's notify level
    /// and above any level already announced this way, every configured channel is notified in
    /// this call with the same time, after moving the incident to the notify state if it is
    /// still before it. With no channel configured nothing is announced (and the incident does
    /// not claim to be notified); the next change after channels are set announces.
    fn level_fanout(&mut self, inc: &mut Incident, at: UnixTime) {
        let Some(at_level) = self.wf.wf.notify_at_level else {
            return;
        };
        if inc.closed.is_some()
            || inc.level < at_level
            || inc.notified_level.is_some_and(|n| n >= inc.level)
            || self.channels.is_empty()
        {
            return;
        }
        if let Some(ns) = self.wf.notify_state
            && self.state_idx(inc) < ns
        {
            let reason = format!("notified at level {}", self.wf.wf.levels[inc.level]);
            let level = inc.level;
            self.transition(
                inc,
                at,
                Actor::system(),
                "notify",
                ns,
                level,
                Some(reason),
                None,
                None,
            );
        }
        let targets = self.channels.to_vec();
        self.notify(inc, at, &targets);
        inc.notified_level = Some(inc.level);
    }
}

fn is_blank(s: &Option<String>) -> bool {
    s.as_deref().is_none_or(|s| s.trim().is_empty())
}

fn non_blank(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.trim().is_empty())
}
