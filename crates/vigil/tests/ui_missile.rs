//! The missile early-warning overlay in a real browser (Debian's Chromium through
//! `playwright-core`, script `ui/tests/missile.mjs`): a centre with `[missile]` plays the
//! example scenario on a virtual clock with its own radars; the operator signs in and sees
//! the threats panel (track, time to impact, threatened cities, advice) and the map's radar
//! fans, track and impact ellipse. Screenshot: `target/ui-test-output/ui-missile.png`.
//!
//! Without node, Chromium or `npm ci --prefix ui` the test says what is missing and passes,
//! except under CI (`CI` set), where their absence fails.

#![allow(clippy::expect_used, clippy::unwrap_used)] // tests: a failed expectation is the report

#[allow(dead_code)] // shared with the other tests; this one uses a part
mod common;

use common::{project_root, start_service, tempdir, text};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

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
            panic!("the browser tests need {m}; .ci/run installs it")
        }
        Some(m) => {
            eprintln!("SKIPPED: the browser tests need {m}");
            None
        }
    }
}

#[test]
fn operator_sees_missile_track_ellipse_and_radar_fans() {
    let Some(ui) = browser() else { return };
    let dir = tempdir("missile", "ui");
    let password = "missile-ui-test-password";
    let start = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as f64;
    let config = format!(
        "[centre]\nname = \"nato-cc\"\nparty = \"NATO\"\nexercise = true\n\n\
         [http]\nlisten = \"127.0.0.1:0\"\n\n[clock]\nstart = {start:.1}\nspeed = 20.0\n\n\
         [missile]\nscenario = \"{m}/scenario.toml\"\nseed = 7\nepoch = {start:.1}\n\
         cities = \"{m}/cities.toml\"\ninterceptors = \"{m}/interceptors.toml\"\n\n[missile.tracker]\nimpact_interval_s = 10.0\n\n\
         [[user]]\nname = \"duty\"\nrole = \"operator\"\npassword_hash = \"{}\"\n",
        vigil_auth::hash_password(password).expect("hash"),
        m = project_root().join("config/missile").display(),
    );
    std::fs::write(dir.join("centre.toml"), config).expect("config");
    let centre = start_service(&dir.join("centre.toml"), &dir.join("centre.log"));
    let out = project_root().join("target/ui-test-output");
    std::fs::create_dir_all(&out).expect("output dir");
    let run = Command::new("node")
        .arg(ui.join("tests/missile.mjs"))
        .current_dir(&ui)
        .env("VIGIL_URL", format!("http://{}", centre.addr))
        .env("VIGIL_OPERATOR", "duty")
        .env("VIGIL_OPERATOR_PASSWORD", password)
        .env("VIGIL_OUT", out.display().to_string())
        .output()
        .expect("node runs");
    let stdout = text(&run.stdout);
    assert!(
        run.status.success(),
        "missile.mjs failed:\n--- stdout\n{stdout}\n--- stderr\n{}\n--- centre\n{}",
        text(&run.stderr),
        std::fs::read_to_string(dir.join("centre.log")).unwrap_or_default()
    );
    let summary: Value = stdout
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str(l.trim()).ok())
        .expect("a JSON summary");
    eprintln!("{summary}");
    assert_eq!(summary["ok"], true);
    assert!(out.join("ui-missile.png").is_file());
}
