//! The renegade workflow (`workflows/renegade.toml`) driven through the engine: the happy
//! path, each refusal, the simultaneous fan-out at SUSPECTED, the automatic cap, reopening.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use vigil_core::UnixTime;
use vigil_incident::{
    ActionArgs, Actor, AuditRecord, ChannelKind, Evidence, IncidentEngine, IncidentError,
    IncidentId, Role, Workflow, builtin,
};

const NONE: usize = 0;
const COMLOSS: usize = 1;
const SUSPECTED: usize = 2;
const PROBABLE: usize = 3;
const CONFIRMED: usize = 4;

fn engine() -> IncidentEngine {
    let wf = Workflow::from_toml_str(builtin::RENEGADE).unwrap();
    let mut e = IncidentEngine::new(wf).unwrap();
    e.set_channels(vec![
        ChannelKind::NationalChain,
        ChannelKind::Partner("RU".into()),
    ]);
    e
}

fn op() -> Actor {
    Actor::new("anna", Role::Operator)
}

fn sup() -> Actor {
    Actor::new("boris", Role::Supervisor)
}

fn t(s: f64) -> UnixTime {
    UnixTime(1_700_000_000.0 + s)
}

fn args() -> ActionArgs {
    ActionArgs::default()
}

fn reason(r: &str) -> ActionArgs {
    ActionArgs {
        reason: Some(r.into()),
        ..ActionArgs::default()
    }
}

fn level(l: usize, r: &str) -> ActionArgs {
    ActionArgs {
        level: Some(l),
        reason: Some(r.into()),
        ..ActionArgs::default()
    }
}

fn party(p: &str) -> ActionArgs {
    ActionArgs {
        party: Some(p.into()),
        ..ActionArgs::default()
    }
}

fn comloss_evidence(at: UnixTime) -> Vec<Evidence> {
    vec![Evidence::new(
        "comloss",
        at,
        "no reply to three radio calls",
    )]
}

#[test]
fn workflow_matches_the_issue() {
    let wf = Workflow::from_toml_str(builtin::RENEGADE).unwrap();
    assert_eq!(
        wf.states,
        [
            "detected",
            "assessed",
            "notified",
            "interception_coordinated",
            "handed_over",
            "resolved",
            "false_alarm"
        ]
    );
    assert_eq!(wf.terminal, ["resolved", "false_alarm"]);
    assert_eq!(
        wf.levels,
        ["NONE", "COMLOSS", "SUSPECTED", "PROBABLE", "CONFIRMED"]
    );
    assert_eq!(wf.level_name(wf.auto_max_level), Some("SUSPECTED"));
    assert_eq!(wf.classify_role, Role::Operator);
    // (action, role, to)
    let expected = [
        ("acknowledge", Role::Operator, Some("assessed")),
        ("classify", Role::Operator, None),
        ("notify_national_chain", Role::Operator, Some("notified")),
        ("notify_partner", Role::Operator, Some("notified")),
        (
            "request_interception",
            Role::Supervisor,
            Some("interception_coordinated"),
        ),
        ("propose_handover", Role::Operator, None),
        ("accept_handover", Role::Operator, Some("handed_over")),
        ("close", Role::Supervisor, Some("resolved")),
        ("false_alarm", Role::Operator, Some("false_alarm")),
        ("add_note", Role::Operator, None),
    ];
    assert_eq!(wf.actions.len(), expected.len());
    for (name, role, to) in expected {
        let a = wf.action(name).unwrap();
        assert_eq!(a.role, role, "{name}");
        assert_eq!(a.to.as_deref(), to, "{name}");
    }
}

/// detected -> assessed -> (SUSPECTED: notified) -> PROBABLE -> interception -> hand-over
/// proposed and accepted -> resolved; every step checked for state, level and actor.
#[test]
fn happy_path() {
    let mut e = engine();
    let id = e.open(t(0.0), "track:4ca7b3", COMLOSS, comloss_evidence(t(-30.0)));
    // (time, actor, action, args, expected state, expected level)
    let steps: Vec<(f64, Actor, &str, ActionArgs, &str, usize)> = vec![
        (5.0, op(), "acknowledge", args(), "assessed", COMLOSS),
        (
            20.0,
            op(),
            "add_note",
            ActionArgs {
                remark: Some("called on 121.5, no answer".into()),
                ..args()
            },
            "assessed",
            COMLOSS,
        ),
        (
            60.0,
            op(),
            "classify",
            level(PROBABLE, "squawk 7500 and off route"),
            "notified",
            PROBABLE,
        ),
        (
            90.0,
            sup(),
            "request_interception",
            reason("PROBABLE renegade heading to the capital"),
            "interception_coordinated",
            PROBABLE,
        ),
        (
            300.0,
            op(),
            "propose_handover",
            party("RU"),
            "interception_coordinated",
            PROBABLE,
        ),
        (
            320.0,
            Actor::new("ivan", Role::Operator),
            "accept_handover",
            ActionArgs {
                party: Some("RU".into()),
                remark: Some("RU ref 2024-117".into()),
                ..args()
            },
            "handed_over",
            PROBABLE,
        ),
        (
            900.0,
            sup(),
            "close",
            reason("landed at destination under escort"),
            "resolved",
            PROBABLE,
        ),
    ];
    for (at, actor, action, a, state, lvl) in steps {
        let tr = e.act(t(at), id, &actor, action, a).unwrap();
        assert_eq!(tr.action, action);
        assert_eq!(tr.actor, actor);
        let inc = e.get(id).unwrap();
        assert_eq!(inc.state, state, "after {action}");
        assert_eq!(inc.level, lvl, "after {action}");
        assert_eq!(inc.updated, t(at));
    }
    let inc = e.get(id).unwrap();
    assert_eq!(inc.closed, Some(t(900.0)));
    assert!(e.by_subject("track:4ca7b3").is_none());
    assert_eq!(e.open_incidents().count(), 0);
    // The classify to PROBABLE crossed SUSPECTED: the engine moved the incident to notified
    // (its own transition, right after the classification) and notified both channels.
    let actions: Vec<&str> = inc.timeline.iter().map(|t| t.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "acknowledge",
            "add_note",
            "classify",
            "notify",
            "request_interception",
            "propose_handover",
            "accept_handover",
            "close"
        ]
    );
    assert_eq!(inc.timeline[3].actor, Actor::system());
    assert_eq!(inc.level_since(SUSPECTED), Some(t(60.0)));
    assert_eq!(inc.level_since(PROBABLE), Some(t(60.0)));
    assert_eq!(inc.level_since(COMLOSS), Some(t(0.0)));
    assert_eq!(inc.level_since(CONFIRMED), None);
    assert_eq!(inc.evidence.len(), 1);
    assert_eq!(inc.timeline[6].party.as_deref(), Some("RU"));
}

/// Each refusal, with the error naming the problem; a refused action changes nothing.
#[test]
fn each_error_kind() {
    let mut e = engine();
    let id = e.open(t(0.0), "track:1", COMLOSS, vec![]);
    let closed = e.open(t(0.0), "track:2", COMLOSS, vec![]);
    e.act(t(1.0), closed, &op(), "false_alarm", reason("radio fixed"))
        .unwrap();
    e.drain_audit();

    let cases: Vec<(IncidentId, Actor, &str, ActionArgs, IncidentError)> = vec![
        (
            IncidentId(99),
            op(),
            "acknowledge",
            args(),
            IncidentError::UnknownIncident(IncidentId(99)),
        ),
        (
            closed,
            sup(),
            "add_note",
            ActionArgs {
                remark: Some("x".into()),
                ..args()
            },
            IncidentError::IncidentClosed {
                id: closed,
                state: "false_alarm".into(),
            },
        ),
        (
            id,
            op(),
            "shoot_down",
            args(),
            IncidentError::UnknownAction("shoot_down".into()),
        ),
        (
            id,
            op(),
            "accept_handover",
            party("RU"),
            IncidentError::WrongState {
                action: "accept_handover".into(),
                current: "detected".into(),
                allowed: vec!["notified".into(), "interception_coordinated".into()],
            },
        ),
        (
            id,
            op(),
            "close",
            reason("done"),
            IncidentError::RoleTooLow {
                action: "close".into(),
                needed: Role::Supervisor,
                actor: Role::Operator,
            },
        ),
        (
            id,
            Actor::system(),
            "acknowledge",
            args(),
            IncidentError::RoleTooLow {
                action: "acknowledge".into(),
                needed: Role::Operator,
                actor: Role::System,
            },
        ),
        (
            id,
            op(),
            "false_alarm",
            reason("   "),
            IncidentError::ReasonMissing {
                action: "false_alarm".into(),
            },
        ),
        (
            id,
            op(),
            "add_note",
            args(),
            IncidentError::ArgumentMissing {
                action: "add_note".into(),
                arg: "remark",
            },
        ),
        (
            id,
            op(),
            "classify",
            reason("why"),
            IncidentError::LevelMissing {
                action: "classify".into(),
            },
        ),
        (
            id,
            op(),
            "classify",
            level(5, "beyond"),
            IncidentError::LevelOutOfRange {
                level: 5,
                levels: 5,
            },
        ),
        (
            id,
            op(),
            "acknowledge",
            ActionArgs {
                level: Some(SUSPECTED),
                ..args()
            },
            IncidentError::LevelNotAccepted {
                action: "acknowledge".into(),
            },
        ),
    ];
    for (inc, actor, action, a, want) in cases {
        let before = e.get(id).cloned();
        let got = e.act(t(2.0), inc, &actor, action, a).unwrap_err();
        assert_eq!(got, want, "{action}");
        assert!(!got.to_string().is_empty());
        assert_eq!(e.get(id).cloned(), before, "{action} changed the incident");
    }
    assert!(e.drain_audit().is_empty());
    assert!(e.drain_outbox().is_empty());

    // Error messages name the problem.
    let msg = IncidentError::WrongState {
        action: "accept_handover".into(),
        current: "detected".into(),
        allowed: vec!["notified".into()],
    }
    .to_string();
    assert!(
        msg.contains("detected") && msg.contains("notified"),
        "{msg}"
    );
    let msg = IncidentError::RoleTooLow {
        action: "close".into(),
        needed: Role::Supervisor,
        actor: Role::Operator,
    }
    .to_string();
    assert!(msg.contains("supervisor"), "{msg}");

    // auto_level's refusals.
    assert_eq!(
        e.auto_level(t(3.0), id, 5, "x", vec![]),
        Err(IncidentError::LevelOutOfRange {
            level: 5,
            levels: 5
        })
    );
    assert_eq!(
        e.auto_level(t(3.0), closed, SUSPECTED, "x", vec![]),
        Err(IncidentError::IncidentClosed {
            id: closed,
            state: "false_alarm".into()
        })
    );
    assert_eq!(
        e.auto_level(t(3.0), IncidentId(42), SUSPECTED, "x", vec![]),
        Err(IncidentError::UnknownIncident(IncidentId(42)))
    );
}

/// Reaching SUSPECTED notifies the national chain and the partner in the same call with the
/// same time, moves the incident to notified, and audits each notification.
#[test]
fn suspected_notifies_every_channel_at_the_same_moment() {
    let mut e = engine();
    let id = e.open(t(0.0), "track:abc", COMLOSS, comloss_evidence(t(0.0)));
    assert!(e.drain_outbox().is_empty(), "COMLOSS does not notify");
    e.drain_audit();

    let tr = e
        .auto_level(t(1.5), id, SUSPECTED, "transponder off over 60 s", vec![])
        .unwrap()
        .unwrap();
    assert_eq!((tr.from_level, tr.to_level), (COMLOSS, SUSPECTED));
    let out = e.drain_outbox();
    let channels: Vec<&ChannelKind> = out.iter().map(|n| &n.channel).collect();
    assert_eq!(
        channels,
        [
            &ChannelKind::NationalChain,
            &ChannelKind::Partner("RU".into())
        ]
    );
    assert!(out.iter().all(|n| n.at == t(1.5)));
    assert!(
        out.iter()
            .all(|n| n.level == SUSPECTED && n.level_name == "SUSPECTED")
    );
    assert!(out.iter().all(|n| n.state == "notified"));
    let inc = e.get(id).unwrap();
    assert_eq!(inc.state, "notified");
    assert_eq!(
        inc.notified,
        [
            (ChannelKind::NationalChain, t(1.5)),
            (ChannelKind::Partner("RU".into()), t(1.5))
        ]
    );
    // SUSPECTED within 2 s of opening.
    assert!(inc.level_since(SUSPECTED).unwrap().since(inc.opened) <= 2.0);

    let audit = e.drain_audit();
    let kinds: Vec<String> = audit
        .iter()
        .map(|r| match r {
            AuditRecord::Transition(t) => format!("transition:{}", t.action),
            AuditRecord::Notified { channel, at, .. } => {
                assert_eq!(*at, t(1.5));
                format!("notified:{channel}")
            }
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "transition:auto_level",
            "transition:notify",
            "notified:national_chain",
            "notified:partner:RU"
        ]
    );

    // Re-raising to the same level announces nothing; a human raise to CONFIRMED announces
    // again to everyone, without moving the state back.
    assert_eq!(
        e.auto_level(t(2.0), id, SUSPECTED, "again", vec![]),
        Ok(None)
    );
    assert!(e.drain_outbox().is_empty());
    e.act(
        t(10.0),
        id,
        &op(),
        "classify",
        level(CONFIRMED, "visual: hijack"),
    )
    .unwrap();
    let out = e.drain_outbox();
    assert_eq!(out.len(), 2);
    assert!(out.iter().all(|n| n.at == t(10.0) && n.level == CONFIRMED));
    assert_eq!(e.get(id).unwrap().state, "notified");
}

/// Opening directly at SUSPECTED notifies in the opening call.
#[test]
fn open_at_suspected_notifies() {
    let mut e = engine();
    let id = e.open(t(0.0), "track:1", SUSPECTED, vec![]);
    let out = e.drain_outbox();
    assert_eq!(out.len(), 2);
    assert!(out.iter().all(|n| n.at == t(0.0) && n.incident == id));
    assert_eq!(e.get(id).unwrap().state, "notified");
}

/// No channel configured: nothing claims to be notified; the manual notify actions refuse.
#[test]
fn no_channels_no_claim() {
    let wf = Workflow::from_toml_str(builtin::RENEGADE).unwrap();
    let mut e = IncidentEngine::new(wf).unwrap();
    let id = e.open(t(0.0), "track:1", SUSPECTED, vec![]);
    assert!(e.drain_outbox().is_empty());
    let inc = e.get(id).unwrap();
    assert_eq!(inc.state, "detected");
    assert!(inc.notified.is_empty());
    assert_eq!(
        e.act(t(1.0), id, &op(), "notify_partner", args()),
        Err(IncidentError::NoChannel {
            action: "notify_partner".into()
        })
    );
    // Once channels exist, the next change announces the pending level.
    e.set_channels(vec![ChannelKind::NationalChain]);
    e.act(t(2.0), id, &op(), "acknowledge", args()).unwrap();
    let out = e.drain_outbox();
    assert_eq!(out.len(), 1);
    assert_eq!(e.get(id).unwrap().state, "notified");
}

/// The manual notify actions reach only their channels; `party` narrows the partners.
#[test]
fn manual_notifications() {
    let mut e = engine();
    e.set_channels(vec![
        ChannelKind::NationalChain,
        ChannelKind::Partner("RU".into()),
        ChannelKind::Partner("NO".into()),
    ]);
    let id = e.open(t(0.0), "track:1", COMLOSS, vec![]);
    e.act(t(1.0), id, &op(), "notify_national_chain", args())
        .unwrap();
    let out = e.drain_outbox();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].channel, ChannelKind::NationalChain);
    assert_eq!(out[0].level_name, "COMLOSS");
    assert_eq!(e.get(id).unwrap().state, "notified");

    e.act(t(2.0), id, &op(), "notify_partner", party("NO"))
        .unwrap();
    let out = e.drain_outbox();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].channel, ChannelKind::Partner("NO".into()));

    e.act(t(3.0), id, &op(), "notify_partner", args()).unwrap();
    let out = e.drain_outbox();
    assert_eq!(out.len(), 2);
    assert!(out.iter().all(|n| n.at == t(3.0)));

    assert_eq!(
        e.act(t(4.0), id, &op(), "notify_partner", party("XX")),
        Err(IncidentError::NoChannel {
            action: "notify_partner".into()
        })
    );
}

/// The rules stop at SUSPECTED; a higher request waits as the proposed level until a human
/// classifies. The system may not classify at all.
#[test]
fn automatic_cap_and_human_classification() {
    let mut e = engine();
    let id = e.open(t(0.0), "track:1", COMLOSS, vec![]);
    let tr = e
        .auto_level(t(1.0), id, CONFIRMED, "fighter escort seen", vec![])
        .unwrap()
        .unwrap();
    assert_eq!(tr.to_level, SUSPECTED);
    assert_eq!(tr.actor.role, Role::System);
    let inc = e.get(id).unwrap();
    assert_eq!(inc.level, SUSPECTED);
    assert_eq!(inc.proposed_level, Some(CONFIRMED));
    assert!(e.drain_audit().iter().any(|r| matches!(
        r,
        AuditRecord::Proposed { level, reason, .. } if *level == CONFIRMED && reason == "fighter escort seen"
    )));

    // The engine's actor cannot classify (it is an operator action).
    assert_eq!(
        e.act(
            t(2.0),
            id,
            &Actor::system(),
            "classify",
            level(PROBABLE, "x")
        ),
        Err(IncidentError::RoleTooLow {
            action: "classify".into(),
            needed: Role::Operator,
            actor: Role::System,
        })
    );
    // The system never lowers.
    assert_eq!(e.auto_level(t(3.0), id, NONE, "cleared", vec![]), Ok(None));
    assert_eq!(e.get(id).unwrap().level, SUSPECTED);

    // An operator (the classify role) confirms; a supervisor may too.
    e.act(
        t(4.0),
        id,
        &op(),
        "classify",
        level(PROBABLE, "confirmed by radar"),
    )
    .unwrap();
    assert_eq!(e.get(id).unwrap().proposed_level, Some(CONFIRMED));
    e.act(t(5.0), id, &sup(), "classify", level(CONFIRMED, "visual"))
        .unwrap();
    let inc = e.get(id).unwrap();
    assert_eq!(inc.level, CONFIRMED);
    assert_eq!(inc.proposed_level, None);
    // And classifies down: the operator's way to lower a level.
    e.act(
        t(6.0),
        id,
        &op(),
        "classify",
        level(COMLOSS, "radio contact regained"),
    )
    .unwrap();
    let inc = e.get(id).unwrap();
    assert_eq!(inc.level, COMLOSS);
    // First-reached times survive lowering.
    assert_eq!(inc.level_since(CONFIRMED), Some(t(5.0)));
}

/// Closing frees the subject: the next open on it is a new incident; opening an open subject
/// again returns it, appends evidence (once) and raises.
#[test]
fn reopening() {
    let mut e = engine();
    let a = e.open(t(0.0), "track:7", COMLOSS, comloss_evidence(t(0.0)));
    let same = e.open(
        t(1.0),
        "track:7",
        SUSPECTED,
        [
            comloss_evidence(t(0.0)),
            vec![Evidence::new(
                "off_route",
                t(0.5),
                "12 NM off the filed route",
            )],
        ]
        .concat(),
    );
    assert_eq!(a, same);
    let inc = e.get(a).unwrap();
    assert_eq!(inc.evidence.len(), 2, "the repeat is dropped");
    assert_eq!(inc.level, SUSPECTED);
    assert_eq!(inc.timeline[0].reason.as_deref(), Some("raised on open"));

    e.act(t(2.0), a, &sup(), "close", reason("comms restored"))
        .unwrap();
    let b = e.open(t(3.0), "track:7", COMLOSS, vec![]);
    assert_ne!(a, b);
    assert_eq!(e.by_subject("track:7").unwrap().id, b);
    assert_eq!(e.get(b).unwrap().state, "detected");
    assert_eq!(e.all().count(), 2);
    assert_eq!(e.open_incidents().map(|i| i.id).collect::<Vec<_>>(), [b]);

    // Evicting the closed one leaves the open one.
    let gone = e.evict_closed(t(10.0));
    assert_eq!(gone.len(), 1);
    assert_eq!(gone[0].id, a);
    assert!(e.get(a).is_none());
    assert!(e.get(b).is_some());
}

/// Terminal states accept nothing: a false alarm is final.
#[test]
fn terminal_accepts_nothing() {
    let mut e = engine();
    let id = e.open(t(0.0), "track:1", COMLOSS, vec![]);
    e.act(t(1.0), id, &op(), "false_alarm", reason("radio fault"))
        .unwrap();
    let wf = e.workflow().clone();
    for a in &wf.actions {
        for actor in [op(), sup(), Actor::system()] {
            let r = e.act(
                t(2.0),
                id,
                &actor,
                &a.name,
                ActionArgs {
                    level: Some(1),
                    reason: Some("r".into()),
                    remark: Some("r".into()),
                    party: Some("RU".into()),
                },
            );
            assert!(
                matches!(r, Err(IncidentError::IncidentClosed { .. })),
                "{}: {r:?}",
                a.name
            );
        }
    }
    // After an interception request the operator can no longer declare a false alarm.
    let id = e.open(t(3.0), "track:2", SUSPECTED, vec![]);
    e.act(t(4.0), id, &sup(), "request_interception", reason("r"))
        .unwrap();
    assert!(matches!(
        e.act(t(5.0), id, &op(), "false_alarm", reason("r")),
        Err(IncidentError::WrongState { .. })
    ));
}

/// Sequence numbers are global and strictly increasing; each transition has its audit record,
/// and the audit trail survives a JSON round trip.
#[test]
fn audit_trail() {
    let mut e = engine();
    let a = e.open(t(0.0), "track:1", COMLOSS, comloss_evidence(t(0.0)));
    let b = e.open(t(0.5), "track:2", NONE, vec![]);
    e.auto_level(t(1.0), a, SUSPECTED, "r", vec![]).unwrap();
    e.act(t(2.0), b, &op(), "acknowledge", args()).unwrap();
    e.act(t(3.0), a, &sup(), "close", reason("ok")).unwrap();
    let audit = e.drain_audit();
    assert!(audit.windows(2).all(|w| w[0].seq() < w[1].seq()));
    for inc in e.all() {
        for tr in &inc.timeline {
            assert!(audit.contains(&AuditRecord::Transition(tr.clone())));
        }
    }
    for r in &audit {
        let back = AuditRecord::from_json(&r.to_json()).unwrap();
        assert_eq!(&back, r);
    }
    assert!(e.drain_audit().is_empty());
}

/// A snapshot restores to an engine that continues the same sequence.
#[test]
fn snapshot_round_trip() {
    let mut e = engine();
    let a = e.open(t(0.0), "track:1", SUSPECTED, vec![]);
    e.drain_audit();
    e.drain_outbox();
    let json = serde_json::to_string(&e.snapshot()).unwrap();
    let mut r = IncidentEngine::restore(serde_json::from_str(&json).unwrap()).unwrap();
    assert_eq!(r.get(a), e.get(a));
    assert_eq!(r.by_subject("track:1").map(|i| i.id), Some(a));
    let t1 = e.act(
        t(1.0),
        a,
        &op(),
        "add_note",
        ActionArgs {
            remark: Some("x".into()),
            ..args()
        },
    );
    let t2 = r.act(
        t(1.0),
        a,
        &op(),
        "add_note",
        ActionArgs {
            remark: Some("x".into()),
            ..args()
        },
    );
    assert_eq!(t1, t2);
    assert_eq!(r.open(t(2.0), "track:9", NONE, vec![]), IncidentId(2));
}
