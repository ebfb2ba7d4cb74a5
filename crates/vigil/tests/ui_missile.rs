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

use common::{browser, output_dir, project_root, run_script, start_service, tempdir};

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
    let out = output_dir();
    let summary = run_script(
        &ui,
        "missile.mjs",
        &[
            ("VIGIL_URL", format!("http://{}", centre.addr)),
            ("VIGIL_OPERATOR", "duty".into()),
            ("VIGIL_OPERATOR_PASSWORD", password.into()),
            ("VIGIL_OUT", out.display().to_string()),
        ],
        Some(&dir.join("centre.log")),
    );
    eprintln!("{summary}");
    assert_eq!(summary["ok"], true);
    assert!(out.join("ui-missile.png").is_file());
}
