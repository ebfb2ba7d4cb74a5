//! Locating the shared real data.

#![allow(dead_code)]

use std::path::PathBuf;

pub mod generate;

/// `shared/data/asterix/<name>`, or `None` (with a message) when the shared data is absent.
pub fn data(test: &str, name: &str) -> Option<Vec<u8>> {
    let base = match std::env::var_os("VIGIL_SHARED_DATA") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
    };
    let path = base.join("asterix").join(name);
    match std::fs::read(&path) {
        Ok(b) => Some(b),
        Err(e) => {
            eprintln!(
                "SKIP {test}: cannot read {} ({e}); set VIGIL_SHARED_DATA",
                path.display()
            );
            None
        }
    }
}
