//! Locating the shared real data.

#![allow(dead_code)]

pub mod generate;

/// `shared/data/asterix/<name>`, or `None` (with a message) when the shared data is absent.
pub fn data(test: &str, name: &str) -> Option<Vec<u8>> {
    let path = vigil_testdata::path(&format!("asterix/{name}"))?;
    match std::fs::read(&path) {
        Ok(b) => Some(b),
        Err(e) => {
            eprintln!("SKIP {test}: cannot read {} ({e})", path.display());
            None
        }
    }
}
