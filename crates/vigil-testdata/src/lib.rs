//! Test support: finds the real data beside the project (`../shared/data`, or the folder
//! named by `VIGIL_SHARED_DATA`) and loads the recordings tests and benchmarks share.
//!
//! Every loader returns `None` after printing why when the data is absent (a user's fresh
//! clone), so tests skip with a clear message instead of failing; CI always has the data.

#![allow(clippy::expect_used)] // test support: a malformed shipped recording is a bug to see.

use std::path::PathBuf;

/// The shared data folder, if present.
pub fn dir() -> Option<PathBuf> {
    let d = match std::env::var_os("VIGIL_SHARED_DATA") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
    };
    d.is_dir().then_some(d)
}

/// The path of `rel` inside the shared data folder; prints a skip notice and returns `None`
/// when it is absent.
pub fn path(rel: &str) -> Option<PathBuf> {
    match dir().map(|d| d.join(rel)) {
        Some(p) if p.exists() => Some(p),
        _ => {
            eprintln!(
                "SKIP: real data {rel} not found (expected ../shared/data beside the project, \
                 or set VIGIL_SHARED_DATA); this test runs in CI where the data is present"
            );
            None
        }
    }
}

/// One line of `adsb/long_flight.csv`: receive time and the unescaped Beast record
/// (`1a 32|33`, 6-byte 12 MHz timestamp, signal byte, Mode S reply).
#[derive(Debug, Clone)]
pub struct BeastRecord {
    /// Unix seconds when the receiver logged it.
    pub ts: f64,
    /// The record bytes, unescaped.
    pub record: Vec<u8>,
}

impl BeastRecord {
    /// The Mode S reply inside the record.
    pub fn frame(&self) -> &[u8] {
        &self.record[9..]
    }

    /// The record as it travels on a Beast stream: every 0x1a after the leading one doubled.
    pub fn escaped(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.record.len() + 4);
        out.push(0x1a);
        for &b in &self.record[1..] {
            out.push(b);
            if b == 0x1a {
                out.push(0x1a);
            }
        }
        out
    }
}

/// `adsb/long_flight.csv`: 172,432 Mode S frames of 30 aircraft.
pub fn long_flight() -> Option<Vec<BeastRecord>> {
    let p = path("adsb/long_flight.csv")?;
    let text = std::fs::read_to_string(p).expect("read long_flight.csv");
    Some(
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let (ts, hex) = l.split_once(',').expect("ts,hex");
                BeastRecord {
                    ts: ts.parse().expect("timestamp"),
                    record: hex::decode(hex.trim()).expect("hex"),
                }
            })
            .collect(),
    )
}

/// `adsb/long_flight.csv` as one escaped Beast byte stream, as a receiver would send it.
pub fn long_flight_beast_stream() -> Option<Vec<u8>> {
    Some(long_flight()?.iter().flat_map(|r| r.escaped()).collect())
}

/// One line of `adsb/full_flight_short.jsonl`: the raw reply and rs1090's decode of it.
#[derive(Debug, Clone)]
pub struct GoldenRecord {
    /// Unix seconds.
    pub ts: f64,
    /// The Mode S reply.
    pub frame: Vec<u8>,
    /// The whole JSON object as recorded (rs1090's fields, including positions).
    pub expected: serde_json::Value,
}

/// `adsb/full_flight_short.jsonl`: 57,793 frames of one flight with rs1090's decode.
pub fn full_flight_short() -> Option<Vec<GoldenRecord>> {
    let p = path("adsb/full_flight_short.jsonl")?;
    let text = std::fs::read_to_string(p).expect("read full_flight_short.jsonl");
    Some(
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).expect("json line");
                GoldenRecord {
                    ts: v["timestamp"].as_f64().expect("timestamp"),
                    frame: hex::decode(v["frame"].as_str().expect("frame")).expect("hex"),
                    expected: v,
                }
            })
            .collect(),
    )
}

/// Reference position given with `full_flight_short.jsonl` (Paris-CDG, LFPG).
pub const LFPG: (f64, f64) = (49.0097, 2.5479);
