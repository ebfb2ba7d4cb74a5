//! The fast path against pyModeS (a second, independent peer decoder) on every extended
//! squitter of `long_flight.csv`. pyModeS runs as a separate process from the test-only
//! virtual environment that `.ci/run` creates (`VIGIL_PY`); without it the test skips.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;
use vigil_codec::modes;

#[test]
fn fast_path_agrees_with_pymodes_on_long_flight() {
    let Some(recs) = vigil_testdata::long_flight() else {
        return;
    };
    let Some(py) = std::env::var_os("VIGIL_PY") else {
        eprintln!("SKIP: VIGIL_PY not set (bash .ci/run creates .venv with pyModeS)");
        return;
    };
    let frames: Vec<&[u8]> = recs
        .iter()
        .map(|r| r.frame())
        .filter(|f| f[0] >> 3 == 17)
        .collect();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/peers/pymodes_decode.py");
    let mut child = Command::new(py)
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start pyModeS");
    let mut input = String::new();
    for f in &frames {
        input.push_str(&hex::encode(f));
        input.push('\n');
    }
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("pyModeS output");
    writer.join().expect("writer").expect("write frames");
    assert!(out.status.success(), "pyModeS failed");
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(lines.len(), frames.len());

    let (mut compared, mut mismatches) = (0usize, Vec::new());
    for (f, py) in frames.iter().zip(&lines) {
        let Ok(m) = modes::decode(f) else {
            assert_ne!(
                py["crc_valid"],
                true,
                "pyModeS accepts what vigil rejects: {}",
                hex::encode(f)
            );
            continue;
        };
        let mut check = |what: &str, ok: bool| {
            compared += 1;
            if !ok {
                mismatches.push(format!(
                    "{} {what}: vigil {m:?} pyModeS {py}",
                    hex::encode(f)
                ));
            }
        };
        check(
            "icao",
            py["icao"].as_str().map(str::to_lowercase) == Some(m.icao.to_string()),
        );
        if let Some(cs) = py["callsign"].as_str() {
            check(
                "callsign",
                m.callsign.map(|c| c.to_string()).as_deref()
                    == Some(cs.trim_end_matches(['_', ' '])),
            );
        }
        if let Some(alt) = py["altitude"].as_i64() {
            let ours = if m.tc >= 20 {
                m.alt_geom_ft
            } else {
                m.alt_baro_ft
            };
            check("altitude", ours.map(i64::from) == Some(alt));
        }
        if m.tc == 19 {
            if let Some(gs) = py["groundspeed"].as_f64() {
                // pyModeS truncates ground speed to whole knots.
                check(
                    "groundspeed",
                    m.gs_kt.is_some_and(|g| g >= gs && g - gs < 1.0),
                );
            }
            if let Some(trk) = py["track"].as_f64() {
                check("track", m.track_deg.is_some_and(|t| (t - trk).abs() < 1e-6));
            }
            if let Some(vr) = py["vertical_rate"].as_i64() {
                check("vertical_rate", m.vert_rate_fpm.map(i64::from) == Some(vr));
            }
        }
    }
    eprintln!(
        "pyModeS: {} extended squitters, {compared} fields compared, {} mismatches",
        frames.len(),
        mismatches.len()
    );
    for m in mismatches.iter().take(20) {
        eprintln!("  {m}");
    }
    assert!(compared > 50_000, "{compared}");
    assert!(mismatches.is_empty());
}
