//! Runs the independent ASTERIX decoder (the CroatiaControl `asterix_decoder` package, GPL)
//! as a separate process from the test venv (`VIGIL_PY`) on encoded blocks, and returns its
//! records as JSON. `None` (with a SKIP notice) when the peer is not available.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value as Json;

/// The records the peer decodes from `blocks` (written to a temp file named with `tag`), and
/// what it said on stderr (its version).
pub fn decode_with_peer(blocks: &[u8], tag: &str) -> Option<(Vec<Json>, String)> {
    let Some(python) = std::env::var_os("VIGIL_PY") else {
        eprintln!(
            "SKIP: VIGIL_PY is not set (point it at a Python with the asterix_decoder package, \
             e.g. .venv/bin/python after `pip install asterix_decoder==0.7.11`)"
        );
        return None;
    };
    let file = std::env::temp_dir().join(format!("vigil-asterix-{tag}-{}.ast", std::process::id()));
    std::fs::write(&file, blocks).unwrap();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers/asterix_decoder.py");
    let out = Command::new(&python).arg(&script).arg(&file).output();
    let _ = std::fs::remove_file(&file);
    let out = match out {
        Ok(o) => o,
        Err(e) => {
            eprintln!(
                "SKIP: cannot run VIGIL_PY={}: {e}",
                PathBuf::from(&python).display()
            );
            return None;
        }
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.code() == Some(3) {
        eprintln!("SKIP: {}", stderr.trim());
        return None;
    }
    assert!(out.status.success(), "peer decoder failed: {stderr}");
    let records = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    Some((records, stderr.into_owned()))
}
