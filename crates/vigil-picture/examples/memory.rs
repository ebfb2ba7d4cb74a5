//! Builds a picture and stays alive so its peak memory can be read by `/usr/bin/time -v`.
//!
//! `cargo run --release -p vigil-picture --example memory -- long_flight`
//! `cargo run --release -p vigil-picture --example memory -- synthetic 10000`
//! `cargo run --release -p vigil-picture --example memory -- baseline`

use vigil_codec::modes::crc;
use vigil_core::{SensorId, UnixTime};
use vigil_picture::{Picture, PictureConfig};

/// A DF17 reply with a valid parity for `icao` and the 56-bit `me`.
fn df17(icao: u32, me: u64) -> [u8; 14] {
    let mut f = [0u8; 14];
    f[0] = 0x8D;
    f[1..4].copy_from_slice(&icao.to_be_bytes()[1..]);
    f[4..11].copy_from_slice(&me.to_be_bytes()[1..]);
    let p = crc::parity(&f[..11]);
    f[11..].copy_from_slice(&p.to_be_bytes()[1..]);
    f
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mode = args.get(1).map(String::as_str).unwrap_or("baseline");
    // Load the input before measuring nothing else: the frames are part of the baseline.
    let mut p = Picture::new(PictureConfig {
        expire_after_s: 1e12,
        ..PictureConfig::default()
    });
    match mode {
        "long_flight" => {
            let recs = vigil_testdata::long_flight().unwrap_or_default();
            for r in &recs {
                p.ingest_reply(UnixTime(r.ts), SensorId(0), r.frame(), Some(-20.0));
            }
        }
        "synthetic" => {
            let n: u32 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(10_000);
            for i in 0..n {
                let icao = 0x100000 + i;
                // Identification "VGL0001" (TC4), then an even and an odd airborne position.
                let ident = (4u64 << 51) | (3u64 << 48) | 0x58_71_8C_30_C7_20;
                p.ingest_reply(UnixTime(0.0), SensorId(0), &df17(icao, ident), Some(-20.0));
                let lat = u64::from(i * 7 % 131_072);
                let alt = 0x3A5u64; // Q-bit altitude
                for (t, odd) in [(1.0, 0u64), (2.0, 1u64)] {
                    let me = (11u64 << 51) | (alt << 36) | (odd << 34) | (lat << 17) | 40_000;
                    p.ingest_reply(UnixTime(t), SensorId(0), &df17(icao, me), Some(-20.0));
                }
            }
        }
        _ => {}
    }
    println!("{mode}: {} aircraft, stats {:?}", p.len(), p.stats());
}
