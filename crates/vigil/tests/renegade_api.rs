//! The renegade desk of `vigil run` over HTTP, end to end: a centre replaying a real recording
//! with `[renegade]` on, one operator and one supervisor, and a flight-plan file. The read
//! endpoints (`/data/alerts.json`, `/data/incidents.json`), the write API's authentication and
//! its error answers, flight plans posted as ATS text, and a radio-contact-lost report on a
//! real aircraft of the recording that raises an alert and opens a COMLOSS incident, which
//! the duty officers then handle.

#![allow(clippy::expect_used, clippy::unwrap_used)] // tests: a failed expectation is the report

mod common;
use common::poll;

use common::{
    Response, Service, get_json, partner_for, post, project_root, request, start_partner,
    start_service, tempdir, text,
};
use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;

const OPERATOR_TOKEN: &str = "operator-token-of-the-renegade-api-test";
const SUPERVISOR_TOKEN: &str = "supervisor-token-of-the-renegade-api-test";

/// A valid plan: the one in the flight-plan file loaded at start.
const FILED_PLAN: &str = "(FPL-LOT3917-IS-B738/M-SDFGIRWY/LB1-EPKK0930-N0450F360 DCT-EPGD0105-0)";
/// Another valid plan, posted over HTTP.
const POSTED_PLAN: &str = "(FPL-RYR1AB-IS-B738/M-SDFGIRWY/S-EPKT0615-N0440F370 DCT-LIRF0200-0)";
/// Field 15's cruise level is not F + 3 digits.
const BAD_PLAN: &str = "(FPL-DLH4LP-IS-A320/M-S/C-EDDF2345-N0440F3X0 DCT-EDDM0040-0)";

/// A centre replaying long_flight.csv on its recorded time at ten times its pace (the
/// renegade desk cycles once per recorded second, so reports made while the replay runs are
/// evaluated; after the end of a recording its time stands still), with the desk, two users
/// and one filed plan.
fn start_centre(recording: &Path, dir: &Path, links: &str) -> Service {
    std::fs::write(dir.join("plans.txt"), format!("{FILED_PLAN}\n")).expect("write plans");
    let config = dir.join("centre.toml");
    std::fs::write(
        &config,
        format!(
            "[centre]\nname = \"warszawa-lu\"\nparty = \"NATO\"\n\n[http]\nlisten = \"127.0.0.1:0\"\nopen_read = true\n\n\
             [picture]\nexpire_after_s = 86400.0\nreference = {{ lat = 43.6293, lon = 1.3638 }}\n\n\
             [pipeline]\nstatus_interval_s = 0\n\n\
             [[feed]]\ntype = \"file\"\nname = \"long-flight\"\npath = {:?}\nformat = \"csv\"\n\
             speed = 10.0\n\n\
             [renegade]\npartners = [\"RU\"]\nflight_plans = [\"plans.txt\"]\n\n\
             [[renegade.user]]\nname = \"olga\"\nrole = \"operator\"\ntoken_sha256 = \"{}\"\n\n\
             [[renegade.user]]\nname = \"sam\"\nrole = \"supervisor\"\ntoken_sha256 = \"{}\"\n\n{links}",
            recording.to_str().expect("utf-8"),
            vigil::renegade::token_hash(OPERATOR_TOKEN),
            vigil::renegade::token_hash(SUPERVISOR_TOKEN),
        ),
    )
    .expect("write config");
    start_service(&config, &dir.join("stderr.log"))
}

fn error_of(r: &Response) -> String {
    r.json()["error"]
        .as_str()
        .unwrap_or_else(|| panic!("an error message: {}", text(&r.body)))
        .to_owned()
}

/// The read endpoints, the write API's refusals and the flight-plan endpoint.
fn check_reads_refusals_and_plans(addr: &str) {
    let alerts = get_json(addr, "/data/alerts.json");
    assert!(alerts["active"].is_array(), "{alerts}");
    assert!(alerts["cleared"].is_array(), "{alerts}");
    assert!(alerts["stats"].is_object(), "{alerts}");

    let incidents = get_json(addr, "/data/incidents.json");
    assert!(incidents["incidents"].is_array(), "{incidents}");
    assert!(incidents["notifications"].is_array(), "{incidents}");
    assert!(incidents["audit"].is_array(), "{incidents}");
    assert_eq!(incidents["plans"]["filed"], 1, "plans.txt: {incidents}");

    // Authentication: none, a wrong token, another scheme.
    let report = json!({"subject": {"callsign": "NOSUCH1"}, "kind": "radio_contact_lost",
                        "source": "ACC Toulouse"})
    .to_string();
    let r = post(addr, "/api/reports", None, &report);
    assert_eq!(r.status, 401, "{}", text(&r.body));
    let e = error_of(&r);
    assert!(
        e.contains("Authorization: Bearer") && e.contains("vigil token"),
        "the refusal says how to authenticate: {e}"
    );
    let r = post(addr, "/api/reports", Some("not-a-token-of-anyone"), &report);
    assert_eq!(r.status, 401, "{}", text(&r.body));
    let r = request(addr, "POST", "/api/flightplans", None, POSTED_PLAN);
    assert_eq!(r.status, 401, "flight plans need a token too");

    // Authenticated, but about no live track: 400 naming the subject.
    let r = post(addr, "/api/reports", Some(OPERATOR_TOKEN), &report);
    assert_eq!(r.status, 400, "{}", text(&r.body));
    assert!(error_of(&r).contains("NOSUCH1"), "{}", error_of(&r));
    // Not a report at all: 400 saying what one is.
    let r = post(
        addr,
        "/api/reports",
        Some(OPERATOR_TOKEN),
        "{\"subject\":{\"callsign\":\"X\"},\"kind\":\"lost\"}",
    );
    assert_eq!(r.status, 400, "{}", text(&r.body));
    assert!(
        error_of(&r).contains("radio_contact_lost"),
        "{}",
        error_of(&r)
    );

    // Flight plans as ATS text.
    let r = post(addr, "/api/flightplans", Some(OPERATOR_TOKEN), POSTED_PLAN);
    assert_eq!(r.status, 200, "{}", text(&r.body));
    assert_eq!(r.json(), json!({"applied": 1, "errors": []}));
    let r = post(addr, "/api/flightplans", Some(SUPERVISOR_TOKEN), BAD_PLAN);
    assert_eq!(r.status, 200, "{}", text(&r.body));
    let v = r.json();
    assert_eq!(v["applied"], 0, "{v}");
    let errors = v["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 1, "{v}");
    let e = errors[0].as_str().expect("error text");
    assert!(e.contains("field 15") && e.contains("F3X0"), "{e}");
    assert_eq!(
        get_json(addr, "/data/incidents.json")["plans"]["filed"],
        2,
        "the posted plan is in the book"
    );

    // No such incident.
    let r = post(
        addr,
        "/api/incidents/999/actions",
        Some(OPERATOR_TOKEN),
        "{\"action\":\"acknowledge\"}",
    );
    assert_eq!(r.status, 404, "{}", text(&r.body));
    assert!(error_of(&r).contains("999"), "{}", error_of(&r));
}

/// Reports radio contact lost for an aircraft of the replay, by its callsign, as soon as the
/// tracker shows one; returns (track, callsign).
fn report_a_real_aircraft(addr: &str) -> (u64, String) {
    poll(Duration::from_secs(60), "a reportable aircraft", || {
        let tracks = get_json(addr, "/data/tracks.json");
        let candidates = common::reportable(&tracks);
        let Some((t, cs)) = candidates.first() else {
            return Err(format!(
                "no confirmed track with a callsign: {}",
                tracks["stats"]
            ));
        };
        let body = json!({"subject": {"callsign": cs}, "kind": "radio_contact_lost",
                          "source": "ACC Toulouse"})
        .to_string();
        let r = post(addr, "/api/reports", Some(OPERATOR_TOKEN), &body);
        if r.status != 200 {
            // The rules have not seen the track yet (they cycle once a recorded second).
            return Err(format!(
                "report on {cs} (track {}): {}",
                t["track"],
                text(&r.body)
            ));
        }
        let v = r.json();
        assert_eq!(v["applied"], true, "{v}");
        let track = v["track"].as_u64().expect("the report names its track");
        assert_eq!(Some(track), t["track"].as_u64(), "{cs}: {v}");
        Ok((track, cs.clone()))
    })
}

/// The incident of `track` in `/data/incidents.json`.
fn incident_of(addr: &str, track: u64) -> Option<Value> {
    get_json(addr, "/data/incidents.json")["incidents"]
        .as_array()?
        .iter()
        .find(|i| i["track"] == track)
        .cloned()
}

/// The report raises an alert and opens a COMLOSS incident; the duty officers handle it
/// within their roles.
fn check_report_alert_incident(addr: &str) -> (u64, u64) {
    let (track, callsign) = report_a_real_aircraft(addr);
    eprintln!("reported radio contact lost for {callsign} (track {track})");

    let alert = poll(
        Duration::from_secs(20),
        "a radio_contact_lost alert",
        || {
            let a = get_json(addr, "/data/alerts.json");
            a["active"]
                .as_array()
                .and_then(|l| {
                    l.iter()
                        .find(|x| x["track"] == track && x["kind"] == "radio_contact_lost")
                        .cloned()
                })
                .ok_or_else(|| a.to_string())
        },
    );
    assert_eq!(
        alert["callsign"].as_str().map(str::trim),
        Some(callsign.as_str())
    );
    assert!(
        alert["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{alert}"
    );

    let incident = poll(Duration::from_secs(20), "a COMLOSS incident", || {
        incident_of(addr, track)
            .filter(|i| i["category"] == "COMLOSS")
            .ok_or_else(|| get_json(addr, "/data/incidents.json")["incidents"].to_string())
    });
    let inc = &incident["incident"];
    assert_eq!(inc["subject"], format!("track:{track}"), "{incident}");
    assert_eq!(inc["state"], "detected", "{incident}");
    assert_eq!(inc["level"], 1, "COMLOSS is level 1: {incident}");
    assert!(
        inc["evidence"]
            .as_array()
            .is_some_and(|e| e.iter().any(|e| e["kind"] == "radio_contact_lost")),
        "{incident}"
    );
    let id = inc["id"].as_u64().expect("incident id");
    let actions = format!("/api/incidents/{id}/actions");

    // The operator acknowledges: the transition comes back, by that user.
    let r = post(
        addr,
        &actions,
        Some(OPERATOR_TOKEN),
        "{\"action\":\"acknowledge\"}",
    );
    assert_eq!(r.status, 200, "{}", text(&r.body));
    let t = r.json();
    assert_eq!(
        (&t["action"], &t["from_state"], &t["to_state"]),
        (
            &json!("acknowledge"),
            &json!("detected"),
            &json!("assessed")
        ),
        "{t}"
    );
    assert_eq!(t["actor"]["user"], "olga", "{t}");
    // An action the workflow does not know, and one above the operator's role.
    let r = post(
        addr,
        &actions,
        Some(OPERATOR_TOKEN),
        "{\"action\":\"shoot\"}",
    );
    assert_eq!(r.status, 400, "{}", text(&r.body));
    assert!(error_of(&r).contains("shoot"), "{}", error_of(&r));
    let r = post(
        addr,
        &actions,
        Some(OPERATOR_TOKEN),
        "{\"action\":\"close\",\"reason\":\"radio restored\"}",
    );
    assert_eq!(r.status, 400, "{}", text(&r.body));
    assert!(error_of(&r).contains("supervisor"), "{}", error_of(&r));
    // The supervisor closes it, with the outcome.
    let r = post(
        addr,
        &actions,
        Some(SUPERVISOR_TOKEN),
        "{\"action\":\"close\",\"reason\":\"radio contact restored on 132.7\"}",
    );
    assert_eq!(r.status, 200, "{}", text(&r.body));
    assert_eq!(r.json()["to_state"], "resolved");

    let after = incident_of(addr, track).expect("the incident stays listed");
    assert_eq!(after["incident"]["state"], "resolved", "{after}");
    assert!(after["incident"]["closed"].is_number(), "{after}");
    let audit = get_json(addr, "/data/incidents.json")["audit"].to_string();
    assert!(
        audit.contains("olga") && audit.contains("sam"),
        "both users' actions are audited: {audit}"
    );
    (track, id)
}

/// The partner centre received the alert and the incident's transitions over the link,
/// with the duty officers' names withheld by the policy.
fn check_partner_received(partner: &Path, track: u64, incident: u64) {
    poll(
        Duration::from_secs(20),
        "the alert and transitions at the partner",
        || {
            let out = std::process::Command::new(common::VIGIL)
                .args(["link", "inbox", "--config", &partner.to_string_lossy()])
                .output()
                .map_err(|e| e.to_string())?;
            let lines: Vec<Value> = text(&out.stdout)
                .lines()
                .filter_map(|l| serde_json::from_str(l).ok())
                .collect();
            let alert = lines.iter().any(|l| {
                l["message"]["type"] == "alert"
                    && l["message"]["kind"] == "radio_contact_lost"
                    && l["message"]["subject"]["track"] == track
            });
            let actions: Vec<&str> = lines
                .iter()
                .filter(|l| {
                    l["message"]["type"] == "incident_transition"
                        && l["message"]["incident"] == incident
                })
                .filter_map(|l| l["message"]["action"].as_str())
                .collect();
            let named = lines.iter().any(|l| l["message"]["actor"].is_string());
            assert!(
                !named,
                "the policy withholds the operators' names: {lines:?}"
            );
            if alert && actions.contains(&"acknowledge") && actions.contains(&"close") {
                Ok(())
            } else {
                Err(format!("alert {alert}, transitions {actions:?}: {lines:?}"))
            }
        },
    );
}

/// `vigil run` with `[renegade]`: reads, authentication, flight plans, and a report on a
/// real aircraft of the replay through to its incident.
#[test]
fn renegade_desk_over_http_on_a_replayed_recording() {
    let Some(recording) = vigil_testdata::path("adsb/long_flight.csv") else {
        return;
    };
    let dir = tempdir("renegade", "api");
    let (links, partner_cfg) = partner_for(&dir);
    let mut partner = start_partner(&partner_cfg, &dir);
    let svc = start_centre(&recording, &dir, &links);
    check_reads_refusals_and_plans(&svc.addr);
    let (track, incident) = check_report_alert_incident(&svc.addr);
    check_partner_received(&partner_cfg, track, incident);
    let _ = partner.kill();
    let _ = partner.wait();
    drop(svc);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The `[renegade]` section of the example configuration starts a desk (its files load,
/// its rules validate), and its `[renegade.rules]` are the defaults it says they are.
#[test]
fn example_renegade_section_starts_a_desk() {
    // The example points at ../shared/data beside the project (not $VIGIL_SHARED_DATA).
    let firs = project_root().join("../shared/data/aero/eurofirs.json");
    if !firs.is_file() {
        eprintln!("SKIPPED: {} not found", firs.display());
        return;
    }
    let path = project_root().join("config/vigil.example.toml");
    let loaded = vigil::config::load(&path).expect("the example loads");
    let section = &loaded.config.renegade;
    assert!(section.enabled);
    assert_eq!(section.partners, ["RU"]);
    assert_eq!(section.rules, vigil_renegade::RenegadeConfig::default());
    if let Err(e) = vigil::renegade::CentreDesk::new(section, &loaded.base_dir) {
        panic!("the example's [renegade] does not start a desk: {e:#}");
    }
}
