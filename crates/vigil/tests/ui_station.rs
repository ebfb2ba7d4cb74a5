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

use common::{Service, VIGIL, project_root, request, tempdir, text};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const SUPERVISOR_TOKEN: &str = "station-ui-supervisor-token";

fn browser() -> Option<PathBuf> {
    let ui = project_root().join("ui");
    let chromium = std::env::var("VIGIL_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let missing = if Command::new("node").arg("--version").output().is_err() {
        Some("node (apt install nodejs npm)".to_owned())
    } else if !Path::new(&chromium).exists() {
        Some(format!("{chromium} (apt install chromium)"))
    } else if !ui.join("node_modules/playwright-core").is_dir() {
        Some("ui/node_modules (npm ci --prefix ui)".to_owned())
    } else {
        None
    };
    match missing {
        None => Some(ui),
        Some(m) if std::env::var_os("CI").is_some() => {
            panic!("the browser test needs {m}; .ci/run installs it")
        }
        Some(m) => {
            eprintln!("SKIPPED: the browser test needs {m}");
            None
        }
    }
}

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
    let out = project_root().join("target/ui-test-output");
    std::fs::create_dir_all(&out).unwrap();

    let run = Command::new("node")
        .arg(ui.join("tests/station.mjs"))
        .current_dir(&ui)
        .env("VIGIL_URL", format!("http://{}", centre.addr))
        .env("VIGIL_OPERATOR", "olga")
        .env("VIGIL_OPERATOR_PASSWORD", password)
        .env("VIGIL_OUT", &out)
        .output()
        .expect("node runs");
    let stdout = text(&run.stdout);
    assert!(
        run.status.success(),
        "station.mjs failed:\n--- stdout\n{stdout}\n--- stderr\n{}\n--- centre\n{}",
        text(&run.stderr),
        std::fs::read_to_string(&stderr).unwrap_or_default()
    );
    eprintln!("{stdout}");
    let summary: Value = stdout
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str(l.trim()).ok())
        .expect("a JSON summary line");
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
