//! Workflow loading and validation, and the station-alarm workflow (a second domain on the
//! same engine, proving it names nothing of its own).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use vigil_core::UnixTime;
use vigil_incident::{
    ActionArgs, Actor, ChannelKind, IncidentEngine, IncidentError, Role, Workflow, WorkflowError,
    builtin,
};

/// A small valid workflow; each case edits one line of it.
const BASE: &str = r#"
name = "w"
states = ["a", "b", "done"]
terminal = ["done"]
levels = ["L0", "L1", "L2"]
auto_max_level = 1
classify_role = "supervisor"
notify_at_level = 2
notify_state = "b"

[[actions]]
name = "go"
from = ["a"]
to = "b"
role = "operator"

[[actions]]
name = "finish"
to = "done"
role = "supervisor"
"#;

fn check(edit: (&str, &str), want: WorkflowError) {
    assert!(BASE.contains(edit.0), "{:?} not in BASE", edit.0);
    let text = BASE.replacen(edit.0, edit.1, 1);
    assert_eq!(Workflow::from_toml_str(&text), Err(want), "{edit:?}");
}

#[test]
fn base_is_valid() {
    let wf = Workflow::from_toml_str(BASE).unwrap();
    assert_eq!(wf.initial_state(), Some("a"));
    assert_eq!(wf.level_index("L2"), Some(2));
}

#[test]
fn invalid_workflows_are_named() {
    use WorkflowError::*;
    let dup = |what: &'static str, name: &str| Duplicate {
        what,
        name: name.into(),
    };
    let cases: Vec<((&str, &str), WorkflowError)> = vec![
        (
            ("states = [\"a\", \"b\", \"done\"]", "states = []"),
            NoStates,
        ),
        (
            ("levels = [\"L0\", \"L1\", \"L2\"]", "levels = []"),
            NoLevels,
        ),
        (
            (
                "states = [\"a\", \"b\", \"done\"]",
                "states = [\"a\", \"b\", \"b\", \"done\"]",
            ),
            dup("state", "b"),
        ),
        (
            (
                "levels = [\"L0\", \"L1\", \"L2\"]",
                "levels = [\"L0\", \"L0\", \"L2\"]",
            ),
            dup("level", "L0"),
        ),
        (("name = \"finish\"", "name = \"go\""), dup("action", "go")),
        (
            ("terminal = [\"done\"]", "terminal = [\"gone\"]"),
            UnknownTerminal("gone".into()),
        ),
        (("terminal = [\"done\"]", "terminal = []"), NoTerminal),
        (
            ("terminal = [\"done\"]", "terminal = [\"a\", \"done\"]"),
            InitialIsTerminal("a".into()),
        ),
        (
            ("from = [\"a\"]", "from = [\"x\"]"),
            UnknownState {
                action: "go".into(),
                state: "x".into(),
            },
        ),
        (
            ("to = \"b\"", "to = \"y\""),
            UnknownState {
                action: "go".into(),
                state: "y".into(),
            },
        ),
        (
            ("from = [\"a\"]", "from = [\"done\"]"),
            FromTerminal {
                action: "go".into(),
                state: "done".into(),
            },
        ),
        (
            ("name = \"finish\"", "name = \"notify\""),
            ReservedAction("notify".into()),
        ),
        (
            ("auto_max_level = 1", "auto_max_level = 3"),
            LevelOutOfRange {
                what: "auto_max_level",
                index: 3,
                levels: 3,
            },
        ),
        (
            ("notify_at_level = 2", "notify_at_level = 7"),
            LevelOutOfRange {
                what: "notify_at_level",
                index: 7,
                levels: 3,
            },
        ),
        (
            ("notify_state = \"b\"", "notify_state = \"z\""),
            UnknownNotifyState("z".into()),
        ),
        (
            ("notify_state = \"b\"", "notify_state = \"done\""),
            NotifyStateTerminal("done".into()),
        ),
        (
            (
                "classify_role = \"supervisor\"",
                "classify_role = \"system\"",
            ),
            ClassifyRoleSystem,
        ),
        (
            ("name = \"w\"", "name = \" \""),
            EmptyName { what: "workflow" },
        ),
        (
            (
                "states = [\"a\", \"b\", \"done\"]",
                "states = [\"a\", \"\", \"b\", \"done\"]",
            ),
            EmptyName { what: "state" },
        ),
    ];
    for (edit, want) in cases {
        check(edit, want);
    }
}

#[test]
fn schema_errors_are_parse_errors() {
    for (from, to) in [
        ("role = \"operator\"", "role = \"admiral\""),
        ("name = \"w\"", "name = \"w\"\ncolour = \"red\""),
        ("auto_max_level = 1", "auto_max_level = -1"),
        ("to = \"b\"", "to = \"b\"\nnotifies = [\"pigeons\"]"),
    ] {
        let text = BASE.replacen(from, to, 1);
        let err = Workflow::from_toml_str(&text).unwrap_err();
        assert!(matches!(err, WorkflowError::Parse(_)), "{to}: {err:?}");
        assert!(err.to_string().starts_with("workflow does not parse"));
    }
}

#[test]
fn engine_validates_too() {
    let mut wf = Workflow::from_toml_str(BASE).unwrap();
    wf.auto_max_level = 9;
    assert!(matches!(
        IncidentEngine::new(wf),
        Err(WorkflowError::LevelOutOfRange { .. })
    ));
}

/// Every shipped workflow file loads.
#[test]
fn shipped_workflows_load() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("workflows");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let text = std::fs::read_to_string(&path).unwrap();
            Workflow::from_toml_str(&text).unwrap_or_else(|e| panic!("{path:?}: {e}"));
            n += 1;
        }
    }
    assert!(n >= 2);
}

fn t(s: f64) -> UnixTime {
    UnixTime(1_700_000_000.0 + s)
}

/// The metro alarm: the detector cues, the operator acknowledges, cannot raise ALARM (the
/// supervisor's), the supervisor does and the police and the neighbour hear it at once.
#[test]
fn station_alarm_short_path() {
    let wf = Workflow::from_toml_str(builtin::STATION_ALARM).unwrap();
    assert_eq!(wf.levels, ["NONE", "CUE", "ALARM"]);
    let mut e = IncidentEngine::new(wf).unwrap();
    e.set_channels(vec![
        ChannelKind::NationalChain,
        ChannelKind::Partner("neighbour".into()),
    ]);
    let op = Actor::new("op1", Role::Operator);
    let sup = Actor::new("sup1", Role::Supervisor);
    let id = e.open(t(0.0), "sensor:platform-2", 2, vec![]);
    let inc = e.get(id).unwrap();
    assert_eq!(
        (inc.state.as_str(), inc.level),
        ("alarm", 1),
        "capped at CUE"
    );
    assert_eq!(inc.proposed_level, Some(2));
    assert!(e.drain_outbox().is_empty());

    e.act(t(3.0), id, &op, "acknowledge", ActionArgs::default())
        .unwrap();
    let raise = |r: &str| ActionArgs {
        level: Some(2),
        reason: Some(r.into()),
        ..ActionArgs::default()
    };
    assert_eq!(
        e.act(t(4.0), id, &op, "classify", raise("trace of TATP")),
        Err(IncidentError::LevelAboveRight {
            level: "ALARM".into(),
            needed: Role::Supervisor,
            actor: Role::Operator,
        })
    );
    // A system action is the machine's alone.
    assert!(matches!(
        e.act(t(4.5), id, &sup, "sensor_reset", ActionArgs::default()),
        Err(IncidentError::RoleTooLow {
            needed: Role::System,
            ..
        })
    ));
    e.act(
        t(4.6),
        id,
        &Actor::system(),
        "sensor_reset",
        ActionArgs::default(),
    )
    .unwrap();

    e.act(
        t(5.0),
        id,
        &sup,
        "classify",
        raise("trace of TATP confirmed"),
    )
    .unwrap();
    let out = e.drain_outbox();
    assert_eq!(out.len(), 2);
    assert!(
        out.iter()
            .all(|n| n.at == t(5.0) && n.level_name == "ALARM")
    );
    assert_eq!(e.get(id).unwrap().state, "acknowledged", "no notify state");

    // Having been set to ALARM by a supervisor, an operator cannot classify it down.
    let down = ActionArgs {
        level: Some(1),
        reason: Some("x".into()),
        ..ActionArgs::default()
    };
    assert!(matches!(
        e.act(t(6.0), id, &op, "classify", down),
        Err(IncidentError::LevelAboveRight { level, .. }) if level == "ALARM"
    ));
    e.act(
        t(7.0),
        id,
        &op,
        "dispatch_team",
        ActionArgs {
            remark: Some("team 3".into()),
            ..ActionArgs::default()
        },
    )
    .unwrap();
    e.act(
        t(600.0),
        id,
        &sup,
        "resolve",
        ActionArgs {
            reason: Some("device removed".into()),
            ..ActionArgs::default()
        },
    )
    .unwrap();
    let inc = e.get(id).unwrap();
    assert_eq!(inc.state, "resolved");
    assert_eq!(inc.timeline.len(), 5);
}
