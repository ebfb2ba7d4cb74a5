//! Invariants under random sequences of opens, automatic raises and actions by random roles,
//! on both shipped workflows.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use std::collections::BTreeSet;
use vigil_core::UnixTime;
use vigil_incident::{
    ActionArgs, Actor, AuditRecord, ChannelKind, Evidence, IncidentEngine, IncidentError,
    IncidentId, Role, Workflow, builtin,
};

#[derive(Debug, Clone)]
enum Op {
    Open {
        subject: u8,
        level: usize,
    },
    Auto {
        incident: u64,
        level: usize,
    },
    Act {
        incident: u64,
        role: Role,
        action: usize,
        level: usize,
        level_mode: u8,
        reason: bool,
        remark: bool,
        party: bool,
    },
}

fn role() -> impl Strategy<Value = Role> {
    prop_oneof![
        Just(Role::System),
        Just(Role::Operator),
        Just(Role::Supervisor)
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => (0u8..4, 0usize..7).prop_map(|(subject, level)| Op::Open { subject, level }),
        1 => (0u64..16, 0usize..7).prop_map(|(incident, level)| Op::Auto { incident, level }),
        4 => (
            0u64..16,
            role(),
            0usize..64,
            0usize..7,
            0u8..4,
            any::<bool>(),
            any::<bool>(),
            any::<bool>()
        )
            .prop_map(|(incident, role, action, level, level_mode, reason, remark, party)| Op::Act {
                incident,
                role,
                action,
                level,
                level_mode,
                reason,
                remark,
                party,
            }),
    ]
}

/// The incident an op targets: mostly one that exists (`pick` indexes the held incidents),
/// sometimes (0) one that does not.
fn target(e: &IncidentEngine, pick: u64) -> IncidentId {
    let ids: Vec<IncidentId> = e.all().map(|i| i.id).collect();
    if pick == 0 || ids.is_empty() {
        IncidentId(999)
    } else {
        ids[pick as usize % ids.len()]
    }
}

/// The action an op names (one in `len + 1` is unknown) and its level argument: mode 0 none,
/// mode 1 always, otherwise only when the action sets the level.
fn call(wf: &Workflow, action: usize, level: usize, level_mode: u8) -> (String, Option<usize>) {
    match wf.actions.get(action % (wf.actions.len() + 1)) {
        None => ("no_such_action".into(), (level_mode == 1).then_some(level)),
        Some(def) => {
            let with = match level_mode {
                0 => false,
                1 => true,
                _ => def.sets_level,
            };
            (def.name.clone(), with.then_some(level))
        }
    }
}

fn run(text: &str, ops: &[Op]) -> Result<(), TestCaseError> {
    let wf = Workflow::from_toml_str(text).unwrap();
    let cap = wf.auto_max_level;
    let mut e = IncidentEngine::new(wf.clone()).unwrap();
    e.set_channels(vec![
        ChannelKind::NationalChain,
        ChannelKind::Partner("RU".into()),
    ]);
    let mut audit: Vec<AuditRecord> = Vec::new();
    let mut now = 0.0;
    for op in ops {
        now += 1.0;
        let at = UnixTime(now);
        let before_closed: BTreeSet<IncidentId> = e
            .all()
            .filter(|i| i.closed.is_some())
            .map(|i| i.id)
            .collect();
        let snapshot_closed: Vec<_> = e.all().filter(|i| i.closed.is_some()).cloned().collect();
        match op {
            Op::Open { subject, level } => {
                let ev = vec![Evidence::new("k", at, "d")];
                let id = e.open(at, format!("s{subject}"), *level, ev);
                let inc = e.get(id).unwrap();
                prop_assert!(inc.closed.is_none());
            }
            Op::Auto { incident, level } => {
                let id = target(&e, *incident);
                let r = e.auto_level(at, id, *level, "rule", vec![]);
                if let Ok(Some(t)) = &r {
                    prop_assert!(t.to_level <= cap);
                }
                if before_closed.contains(&id) {
                    let closed = matches!(r, Err(IncidentError::IncidentClosed { .. }));
                    prop_assert!(closed);
                }
            }
            Op::Act {
                incident,
                role,
                action,
                level,
                level_mode,
                reason,
                remark,
                party,
            } => {
                let (name, level) = call(&wf, *action, *level, *level_mode);
                let args = ActionArgs {
                    level,
                    reason: reason.then(|| "why".to_owned()),
                    remark: remark.then(|| "note".to_owned()),
                    party: party.then(|| "RU".to_owned()),
                };
                let actor = Actor::new("u", *role);
                let id = target(&e, *incident);
                let r = e.act(at, id, &actor, &name, args);
                if before_closed.contains(&id) {
                    let closed = matches!(r, Err(IncidentError::IncidentClosed { .. }));
                    prop_assert!(closed);
                }
                if let Ok(t) = &r {
                    prop_assert_eq!(&t.actor, &actor);
                }
            }
        }
        // Closed incidents never change.
        for c in &snapshot_closed {
            prop_assert_eq!(e.get(c.id), Some(c));
        }
        // Notifications of one call share its time.
        for n in e.drain_outbox() {
            prop_assert_eq!(n.at, at);
        }
        audit.extend(e.drain_audit());
    }

    // Sequence numbers strictly increase across the whole trail.
    prop_assert!(audit.windows(2).all(|w| w[0].seq() < w[1].seq()));
    // The engine opens at most at its cap.
    for r in &audit {
        if let AuditRecord::Opened { level, .. } = r {
            prop_assert!(*level <= cap);
        }
    }
    let in_audit: BTreeSet<u64> = audit
        .iter()
        .filter_map(|r| match r {
            AuditRecord::Transition(t) => Some(t.seq),
            _ => None,
        })
        .collect();
    let mut subjects_open = BTreeSet::new();
    for inc in e.all() {
        // Every transition has its audit record; timelines are ordered.
        for t in &inc.timeline {
            prop_assert!(in_audit.contains(&t.seq));
            prop_assert!(audit.contains(&AuditRecord::Transition(t.clone())));
        }
        prop_assert!(inc.timeline.windows(2).all(|w| w[0].seq < w[1].seq));
        // Above the cap only through a human, and nothing after a terminal state.
        for t in &inc.timeline {
            if t.to_level > cap && t.to_level != t.from_level {
                prop_assert!(t.actor.role.is_human(), "{t:?}");
            }
        }
        if let Some(pos) = inc.timeline.iter().position(|t| e.is_terminal(&t.to_state)) {
            prop_assert_eq!(pos, inc.timeline.len() - 1);
        }
        prop_assert!(inc.level < wf.levels.len());
        // level_since is monotone down the ladder and set up to the current level.
        for l in 0..=inc.level {
            prop_assert!(inc.level_since(l).is_some());
        }
        for l in 1..wf.levels.len() {
            if let Some(hi) = inc.level_since(l) {
                prop_assert!(inc.level_since(l - 1).is_some_and(|lo| lo <= hi));
            }
        }
        // At most one open incident per subject.
        if inc.closed.is_none() {
            prop_assert!(subjects_open.insert(inc.subject.clone()));
            prop_assert_eq!(e.by_subject(&inc.subject).map(|i| i.id), Some(inc.id));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn renegade_random_sequences(ops in proptest::collection::vec(op(), 1..80)) {
        run(builtin::RENEGADE, &ops)?;
    }

    #[test]
    fn station_random_sequences(ops in proptest::collection::vec(op(), 1..80)) {
        run(builtin::STATION_ALARM, &ops)?;
    }

    /// Replaying the same calls gives the same audit trail and notifications (determinism).
    #[test]
    fn replay_is_identical(ops in proptest::collection::vec(op(), 1..40)) {
        let go = || {
            let wf = Workflow::from_toml_str(builtin::RENEGADE).unwrap();
            let mut e = IncidentEngine::new(wf).unwrap();
            e.set_channels(vec![ChannelKind::NationalChain, ChannelKind::Partner("RU".into())]);
            let mut out = Vec::new();
            for (i, op) in ops.iter().enumerate() {
                let at = UnixTime(i as f64);
                match op {
                    Op::Open { subject, level } => {
                        e.open(at, format!("s{subject}"), *level, vec![]);
                    }
                    Op::Auto { incident, level } => {
                        let id = target(&e, *incident);
                        let _ = e.auto_level(at, id, *level, "r", vec![]);
                    }
                    Op::Act { incident, role, action, level, level_mode, reason, remark, party } => {
                        let (name, level) = call(e.workflow(), *action, *level, *level_mode);
                        let args = ActionArgs {
                            level,
                            reason: reason.then(|| "r".into()),
                            remark: remark.then(|| "n".into()),
                            party: party.then(|| "RU".into()),
                        };
                        let id = target(&e, *incident);
                        let _ = e.act(at, id, &Actor::new("u", *role), &name, args);
                    }
                }
            }
            out.extend(e.drain_audit().iter().map(AuditRecord::to_json));
            out.extend(e.drain_outbox().iter().map(|n| serde_json::to_string(n).unwrap()));
            out
        };
        prop_assert_eq!(go(), go());
    }
}
