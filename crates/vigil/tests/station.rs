//! The metro-station desk end to end (STANDEX, issue 10): a centre with `[station]` runs the
//! crowd exercise on a virtual clock (20x), linked over mutual TLS to a partner centre
//! (`vigil run`, its own process) with `station_alarms` released.
//!
//! The carrier is alarmed (an incident opens, the alarm's position within 2 m of the carrier,
//! from the exercise debrief); an operator acknowledges and dispatches the response team to the
//! predicted position; the operator may not resolve (a supervisor's action) and a supervisor
//! does. The partner receives each transition as a summary only (no x, y, position, track),
//! labelled exercise, and lists them in its `/data/station.json`. The access audit has the
//! actions; the alarm's evidence is pruned once older than `retention_s`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[allow(dead_code)] // shared with the other tests; this one uses a part
mod common;

use common::{Service, VIGIL, demo_certs, poll, post, project_root, request, tempdir, text};
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

const OPERATOR: &str = "station-operator-token";
const SUPERVISOR: &str = "station-supervisor-token";
/// Virtual seconds per wall second.
const SPEED: f64 = 20.0;
/// Evidence kept this long after an alarm, virtual seconds (6 s of the test's time at 20x).
const RETENTION_S: f64 = 120.0;

fn token_users() -> String {
    let hash = |t: &str| vigil::renegade::token_hash(t);
    format!(
        "[[renegade.user]]\nname = \"olga\"\nrole = \"operator\"\ntoken_sha256 = \"{}\"\n\n\
         [[renegade.user]]\nname = \"sam\"\nrole = \"supervisor\"\ntoken_sha256 = \"{}\"\n",
        hash(OPERATOR),
        hash(SUPERVISOR)
    )
}

fn start(config: &Path, dir: &Path, name: &str) -> Service {
    let stderr = dir.join(format!("{name}.log"));
    let child = Command::new(VIGIL)
        .args(["run", "--config", &config.to_string_lossy()])
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&stderr).expect("log"))
        .spawn()
        .expect("vigil run");
    Service::from_child(child, &stderr)
}

fn get_as(addr: &str, path: &str, token: &str) -> Value {
    let r = request(addr, "GET", path, Some(token), "");
    assert_eq!(r.status, 200, "GET {path}: {}", text(&r.body));
    r.json()
}

/// The alarm `id` of a `/data/station.json`.
fn alarm_of(station: &Value, id: u64) -> Option<Value> {
    station["alarms"]
        .as_array()?
        .iter()
        .find(|a| a["id"] == id)
        .cloned()
}

/// Who acted on an alarm, in order.
fn actors(alarm: &Value) -> Vec<String> {
    alarm["timeline"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["actor"]["user"].as_str().map(str::to_owned))
        .collect()
}

/// Every key of a JSON value, at any depth.
fn keys(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(o) => {
            for (k, x) in o {
                out.push(k.clone());
                keys(x, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| keys(x, out)),
        _ => {}
    }
}

#[test]
fn carrier_alarmed_worked_shared_as_summary_and_pruned() {
    let dir = tempdir("station", "e2e");
    demo_certs(&dir);
    // The centre releases station alarm summaries only; the partner sends nothing back.
    std::fs::write(
        dir.join("policy.toml"),
        "link = \"to-partner\"\nkinds = [\"station_alarms\"]\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("partner-policy.toml"),
        "link = \"to-partner\"\nkinds = []\n",
    )
    .unwrap();
    let link_port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let dead_port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let users = token_users();
    // The partner: a centre with a receiver that is not there (it retries quietly) and the
    // link; it watches no station of its own.
    let partner = dir.join("partner.toml");
    std::fs::write(
        &partner,
        format!(
            "[centre]\nname = \"kaliningrad-lu\"\nparty = \"RU\"\n\n[http]\nlisten = \"127.0.0.1:0\"\n\n\
             [[feed]]\ntype = \"tcp\"\nname = \"absent\"\naddress = \"127.0.0.1:{dead_port}\"\nformat = \"beast\"\n\n\
             [links]\ncert = \"certs/kaliningrad-lu.RU.crt\"\nkey = \"certs/kaliningrad-lu.RU.key\"\n\
             store = \"partner.db\"\nlisten = \"127.0.0.1:{link_port}\"\n\n[[links.link]]\n\
             name = \"to-partner\"\npartner_party = \"NATO\"\npartner_centre = \"warszawa-lu\"\n\
             partner_ca = \"certs/nato-ca.crt\"\npolicy = \"partner-policy.toml\"\n\n{users}"
        ),
    )
    .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let station_file = project_root().join("config/stations/example.toml");
    let centre = dir.join("centre.toml");
    std::fs::write(
        &centre,
        format!(
            "[centre]\nname = \"warszawa-lu\"\nparty = \"NATO\"\nexercise = true\n\n\
             [http]\nlisten = \"127.0.0.1:0\"\n\n[clock]\nstart = {now}\nspeed = {SPEED:.1}\n\n\
             [station]\nfile = {station:?}\nstandex_file = {standex:?}\nshare_alarms = true\n\
             retention_s = {RETENTION_S:.1}\n\n\
             [station.exercise]\nseed = 3\ninitial_people = 5\narrival_scale = 0.15\n\
             carrier_entry_s = [2.0]\ndebrief = true\n\n\
             [links]\ncert = \"certs/warszawa-lu.NATO.crt\"\nkey = \"certs/warszawa-lu.NATO.key\"\n\
             store = \"centre.db\"\n\n[store]\npath = \"centre.db\"\n\n\
             [[links.link]]\nname = \"to-partner\"\n\
             partner_party = \"RU\"\npartner_centre = \"kaliningrad-lu\"\n\
             partner_ca = \"certs/ru-ca.crt\"\ndial = \"127.0.0.1:{link_port}\"\npolicy = \"policy.toml\"\n\n{users}",
            station = station_file.to_string_lossy(),
            standex = project_root()
                .join("crates/vigil-standex/config/example.toml")
                .to_string_lossy(),
        ),
    )
    .unwrap();
    let partner = start(&partner, &dir, "partner");
    let centre = start(&centre, &dir, "centre");

    // The plan, people and sensors come at once; the carrier's alarm within a few virtual
    // minutes.
    let first = get_as(&centre.addr, "/data/station.json", OPERATOR);
    assert_eq!(first["exercise"], true);
    assert!(first["plan"]["zones"].as_array().unwrap().len() >= 5);
    assert_eq!(first["plan"]["cameras"].as_array().unwrap().len(), 20);
    assert!(
        first["plan"]["cameras"][0]["coverage"]
            .as_array()
            .unwrap()
            .len()
            >= 3
    );
    // Every stand-off sensor of the station file is there.
    let declared = std::fs::read_to_string(&station_file)
        .expect("example station")
        .lines()
        .filter(|l| l.trim() == "[[sensor]]")
        .count();
    assert!(declared >= 10);
    assert_eq!(first["sensors"].as_array().unwrap().len(), declared);
    let alarm = poll(Duration::from_secs(45), "the carrier's alarm", || {
        let s = get_as(&centre.addr, "/data/station.json", OPERATOR);
        // The carrier's alarm (the exercise debrief knows where the carrier truly was); a
        // false alarm on someone else would not stop the test.
        s["alarms"]
            .as_array()
            .and_then(|a| {
                a.iter()
                    .find(|a| a["nearest_carrier_m"].as_f64().is_some_and(|d| d < 2.0))
                    .cloned()
            })
            .ok_or_else(|| {
                format!(
                    "sim_t {} counters {} alarms {}",
                    s["sim_t"], s["counters"], s["alarms"]
                )
            })
    });
    eprintln!("alarm: {alarm:#}");
    let id = alarm["id"].as_u64().unwrap();
    assert_eq!(alarm["state"], "alarm");
    assert_eq!(
        alarm["level_name"], "CUE",
        "the system raises a CUE; ALARM is proposed"
    );
    assert_eq!(alarm["proposed_level"], 2);
    let d = alarm["nearest_carrier_m"].as_f64().unwrap();
    assert!(d < 2.0, "the alarm is {d} m from the carrier");
    assert!(alarm["evidence"]["position"].is_array());
    assert!(!alarm["evidence"]["chain"].as_array().unwrap().is_empty());
    assert!(!alarm["sensor_kinds"].as_array().unwrap().is_empty());
    let s = get_as(&centre.addr, "/data/station.json", OPERATOR);
    let track = alarm["evidence"]["track"].as_u64().unwrap();
    assert!(
        s["people"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["id"] == track && p["alarmed"] == true),
        "the alarmed person is flagged among the people"
    );

    // The workflow, with roles.
    let act = |token: &str, body: &str| {
        post(
            &centre.addr,
            &format!("/api/station/alarms/{id}/actions"),
            Some(token),
            body,
        )
    };
    let r = act(OPERATOR, r#"{"action":"acknowledge"}"#);
    assert_eq!(r.status, 200, "{}", text(&r.body));
    let r = act(OPERATOR, r#"{"action":"dispatch_team"}"#);
    assert_eq!(
        r.status,
        400,
        "a dispatch needs a remark: {}",
        text(&r.body)
    );
    let r = act(
        OPERATOR,
        r#"{"action":"dispatch_team","remark":"team 2 from the gate line"}"#,
    );
    assert_eq!(r.status, 200, "{}", text(&r.body));
    let team = r.json()["team_target"].clone();
    let (tx, ty) = (team["x"].as_f64().unwrap(), team["y"].as_f64().unwrap());
    let (px, py) = (
        alarm["evidence"]["position"][0].as_f64().unwrap(),
        alarm["evidence"]["position"][1].as_f64().unwrap(),
    );
    assert!(
        (tx - px).hypot(ty - py) < 60.0,
        "the team goes where the person is heading: ({tx}, {ty}) from ({px}, {py})"
    );
    let r = act(OPERATOR, r#"{"action":"resolve","reason":"cleared"}"#);
    assert_eq!(
        r.status,
        400,
        "resolving is the supervisor's: {}",
        text(&r.body)
    );
    let r = act(
        SUPERVISOR,
        r#"{"action":"resolve","reason":"device found and made safe"}"#,
    );
    assert_eq!(r.status, 200, "{}", text(&r.body));
    let r = request(
        &centre.addr,
        "POST",
        &format!("/api/station/alarms/{id}/actions"),
        None,
        r#"{"action":"acknowledge"}"#,
    );
    assert_eq!(r.status, 401, "no login, no action");

    // The partner: summaries only, every transition, labelled exercise.
    let summaries = poll(
        Duration::from_secs(30),
        "the summaries at the partner",
        || {
            let p = get_as(&partner.addr, "/data/station.json", OPERATOR);
            let list = p["partner_alarms"].as_array().cloned().unwrap_or_default();
            let states: Vec<&str> = list.iter().filter_map(|e| e["state"].as_str()).collect();
            if ["alarm", "acknowledged", "team_dispatched", "resolved"]
                .iter()
                .all(|s| states.contains(s))
            {
                Ok(list)
            } else {
                Err(format!("{states:?}"))
            }
        },
    );
    for e in &summaries {
        let mut k = Vec::new();
        keys(e, &mut k);
        for bad in [
            "x",
            "y",
            "position",
            "predicted",
            "track",
            "evidence",
            "chain",
            "lat",
            "lon",
        ] {
            assert!(
                !k.iter().any(|x| x == bad),
                "{bad} in a partner summary: {e}"
            );
        }
        assert_eq!(e["exercise"], true, "{e}");
        assert_eq!(e["station"], "Example metro station");
        assert_eq!(e["origin"]["centre"], "warszawa-lu");
        assert!(e["zone"].is_string());
    }
    let dispatched = summaries
        .iter()
        .find(|e| e["state"] == "team_dispatched")
        .unwrap();
    assert_eq!(dispatched["remark"], "team 2 from the gate line");

    // The access audit has the actions, refused ones too.
    let audit = get_as(&centre.addr, "/data/audit.json", SUPERVISOR);
    let actions: Vec<String> = audit["records"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| {
            r["action"]
                .as_str()
                .unwrap_or("")
                .starts_with("station alarm")
        })
        .map(|r| format!("{} {} {}", r["user"], r["action"], r["ok"]))
        .collect();
    for want in [
        format!("\"olga\" \"station alarm {id} action acknowledge\" true"),
        format!("\"olga\" \"station alarm {id} action dispatch_team\" true"),
        format!("\"olga\" \"station alarm {id} action resolve\" false"),
        format!("\"sam\" \"station alarm {id} action resolve\" true"),
    ] {
        assert!(actions.contains(&want), "{want} not in {actions:#?}");
    }
    let s = get_as(&centre.addr, "/data/station.json", OPERATOR);
    let a = alarm_of(&s, id).unwrap();
    assert_eq!(a["state"], "resolved");
    assert_eq!(actors(&a), ["olga", "olga", "sam"]);

    // Retention: the evidence goes once the alarm is older than retention_s.
    let pruned = poll(Duration::from_secs(40), "the evidence pruned", || {
        let s = get_as(&centre.addr, "/data/station.json", OPERATOR);
        let a = alarm_of(&s, id).unwrap();
        if a["evidence"].is_null() {
            Ok((a, s))
        } else {
            Err(format!("sim_t {}", s["sim_t"]))
        }
    });
    let (a, s) = pruned;
    assert!(a["pruned_at"].as_f64().unwrap() - a["at"].as_f64().unwrap() >= RETENTION_S);
    assert!(s["counters"]["evidence_pruned"].as_u64().unwrap() >= 1);
    assert_eq!(a["state"], "resolved", "the incident itself stays");
    assert!(
        !s["people"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["id"] == track && p["alarmed"] == true)
    );

    // A restart (killed, not stopped: what was acknowledged was committed with the action)
    // resumes the station's incidents: the resolved alarm, its timeline and its pruned
    // evidence, marked as from the run before. The exercise's crowd starts afresh.
    drop(centre);
    let centre = start(&dir.join("centre.toml"), &dir, "centre-again");
    let s = get_as(&centre.addr, "/data/station.json", OPERATOR);
    let a = alarm_of(&s, id)
        .unwrap_or_else(|| panic!("alarm {id} resumed after the restart: {}", s["alarms"]));
    assert_eq!(a["state"], "resolved", "{a}");
    assert_eq!(a["previous_run"], true, "{a}");
    assert!(
        a["evidence"].is_null(),
        "the pruned evidence stays pruned: {a}"
    );
    assert_eq!(actors(&a), ["olga", "olga", "sam"]);
    let log = std::fs::read_to_string(dir.join("centre-again.log")).unwrap_or_default();
    assert!(
        log.contains("incidents resumed from the store"),
        "the restart says so: {log}"
    );
    drop(centre);
    drop(partner);
    let _ = std::fs::remove_dir_all(&dir);
}
