//! The Station view in a real browser (Debian's Chromium driven by Playwright running
//! `ui/tests/station.mjs`): a centre with `[station]` runs the crowd exercise at 20x; the
//! operator signs in, opens the Station view, sees the people and the carrier's alarm and
//! acknowledges it. The screenshot goes to `target/ui-test-output/ui-station.png`; the
//! access audit then holds the acknowledgement.
//!
//! Without node, Chromium or `npm ci --prefix ui` the test says what is missing and passes,
//! except under CI (`CI` set), where their absence fails.

#![allow(clippy::expect_used, clippy::unwrap_used)] // tests: a failed expectation is the report

#[allow(dead_code)] // shared with the other tests; this one uses a part
mod common;

use common::{
    Service, VIGIL, browser, output_dir, project_root, request, run_script, tempdir, text,
};
use std::process::{Command, Stdio};

const SUPERVISOR_TOKEN: &str = "station-ui-supervisor-token";

#[test]
fn operator_sees_the_station_and_acknowledges_the_alarm() {
    let Some(ui) = browser() else { return };
    let dir = tempdir("ui-station", "e2e");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let password = "station-operator-password";
    let config = dir.join("centre.toml");
    std::fs::write(
        &config,
        format!(
            "[centre]\nname = \"metro-control\"\nexercise = true\n\n[http]\nlisten = \"127.0.0.1:0\"\n\n\
             [clock]\nstart = {now}\nspeed = 20.0\n\n[station]\nfile = {file:?}\nstandex_file = {standex:?}\n\n\
             [station.exercise]\nseed = 3\ninitial_people = 5\narrival_scale = 0.15\n\
             carrier_entry_s = [2.0]\n\n\
             [[user]]\nname = \"olga\"\nrole = \"operator\"\npassword_hash = \"{hash}\"\n\n\
             [[renegade.user]]\nname = \"sam\"\nrole = \"supervisor\"\ntoken_sha256 = \"{token}\"\n",
            file = project_root()
                .join("config/stations/example.toml")
                .to_string_lossy(),
            standex = project_root()
                .join("crates/vigil-standex/config/example.toml")
                .to_string_lossy(),
            hash = vigil_auth::hash_password(password).unwrap(),
            token = vigil::renegade::token_hash(SUPERVISOR_TOKEN),
        ),
    )
    .unwrap();
    let stderr = dir.join("centre.log");
    let child = Command::new(VIGIL)
        .args(["run", "--config", &config.to_string_lossy()])
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&stderr).unwrap())
        .spawn()
        .unwrap();
    let centre = Service::from_child(child, &stderr);
    let out = output_dir();
    let summary = run_script(
        &ui,
        "station.mjs",
        &[
            ("VIGIL_URL", format!("http://{}", centre.addr)),
            ("VIGIL_OPERATOR", "olga".into()),
            ("VIGIL_OPERATOR_PASSWORD", password.into()),
            ("VIGIL_OUT", out.display().to_string()),
        ],
        Some(&stderr),
    );
    assert_eq!(summary["ok"], true);
    assert!(summary["people"].as_u64().unwrap() > 5);
    assert!(out.join("ui-station.png").is_file());

    // The acknowledgement went through the API as the operator's session, and is audited.
    let id = summary["alarm"].as_u64().unwrap();
    let r = request(
        &centre.addr,
        "GET",
        "/data/audit.json",
        Some(SUPERVISOR_TOKEN),
        "",
    );
    assert_eq!(r.status, 200, "{}", text(&r.body));
    let want = format!("station alarm {id} action acknowledge");
    assert!(
        r.json()["records"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["user"] == "olga" && a["action"] == want.as_str() && a["ok"] == true),
        "{want} by olga not in the audit"
    );
    let r = request(
        &centre.addr,
        "GET",
        "/data/station.json",
        Some(SUPERVISOR_TOKEN),
        "",
    );
    let s = r.json();
    let a = s["alarms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == id)
        .cloned()
        .unwrap();
    assert_eq!(a["state"], "acknowledged");
    drop(centre);
    let _ = std::fs::remove_dir_all(&dir);
}
