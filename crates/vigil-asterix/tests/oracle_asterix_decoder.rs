//! Oracle: CAT062 tracks written by `TrackOut` from a real air picture are decoded by an
//! independent decoder, the CroatiaControl `asterix_decoder` Python package, to the values
//! the writer was given (within each field's resolution).
//!
//! The package is GPL: it runs as a separate process from a virtual environment
//! (`tests/peers/asterix_decoder.py`) and is never linked. CI sets `VIGIL_PY` to that
//! environment's interpreter; without it, or without the package, the test prints SKIP.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failure should stop loudly.

#[path = "support/peer.rs"]
mod peer;

#[path = "support/picture_tracks.rs"]
mod picture_tracks;

use serde_json::Value as Json;
use vigil_asterix::BlockWriter;
use vigil_asterix::cat062::TrackOut;

/// Tolerances: half the LSB of each field, plus float noise.
const EPS: f64 = 1e-9;
const HALF_LATLON_LSB: f64 = 90.0 / 33_554_432.0 + EPS;

/// `rec[item][field]["val"]`; subfields of compound items are one level deeper
/// (`rec["I290"]["ES"]["ES"]`, `rec["I380"]["ID"]["ACID"]`).
fn val<'a>(rec: &'a Json, path: &[&str]) -> Option<&'a Json> {
    path.iter()
        .try_fold(rec, |j, k| j.get(*k))
        .and_then(|j| j.get("val"))
}

struct Compare {
    /// Values compared (present in what was sent or in what was decoded).
    fields: usize,
    mismatches: Vec<String>,
}

impl Compare {
    /// Counts a compared value; an item absent on both sides is not counted.
    fn count(&mut self, present: bool) {
        self.fields += usize::from(present);
    }

    fn num(&mut self, at: &str, rec: &Json, path: &[&str], want: Option<f64>, tol: f64) {
        let got = val(rec, path).and_then(Json::as_f64);
        self.count(got.is_some() || want.is_some());
        let ok = match (got, want) {
            (Some(g), Some(w)) => (g - w).abs() <= tol,
            (g, w) => g.is_none() && w.is_none(),
        };
        if !ok {
            self.mismatches.push(format!(
                "{at} {}: decoded {got:?}, sent {want:?} ± {tol}",
                path.join("/")
            ));
        }
    }

    fn text(&mut self, at: &str, rec: &Json, path: &[&str], want: Option<String>) {
        let got = val(rec, path).map(|v| match v {
            Json::String(s) => s.trim_end().to_owned(),
            other => other.to_string(),
        });
        self.count(got.is_some() || want.is_some());
        if got != want {
            self.mismatches.push(format!(
                "{at} {}: decoded {got:?}, sent {want:?}",
                path.join("/")
            ));
        }
    }
}

fn compare(c: &mut Compare, i: usize, t: &TrackOut<'_>, rec: &Json) {
    let at = format!("record {i} (track {})", t.track_number);
    if rec.get("category").and_then(Json::as_u64) != Some(62) {
        c.mismatches.push(format!("{at}: not CAT062: {rec}"));
        return;
    }
    c.num(&at, rec, &["I010", "SAC"], Some(t.sac.into()), 0.0);
    c.num(&at, rec, &["I010", "SIC"], Some(t.sic.into()), 0.0);
    c.num(
        &at,
        rec,
        &["I040", "TrkN"],
        Some(t.track_number.into()),
        0.0,
    );
    c.num(
        &at,
        rec,
        &["I070", "ToT"],
        Some(t.time_of_track_s),
        1.0 / 256.0 + EPS,
    );
    c.num(
        &at,
        rec,
        &["I105", "Lat"],
        Some(t.position.lat),
        HALF_LATLON_LSB,
    );
    c.num(
        &at,
        rec,
        &["I105", "Lon"],
        Some(t.position.lon),
        HALF_LATLON_LSB,
    );
    let v = t.velocity_m_s;
    c.num(&at, rec, &["I185", "Vx"], v.map(|v| v.0), 0.125 + EPS);
    c.num(&at, rec, &["I185", "Vy"], v.map(|v| v.1), 0.125 + EPS);
    let squawk = t.mode3a.map(|m| format!("{m:04o}"));
    c.text(&at, rec, &["I060", "Mode3A"], squawk);
    // The package prints I136 in feet (its LSB is 25 ft).
    c.num(
        &at,
        rec,
        &["I136", "MFL"],
        t.measured_altitude_ft,
        12.5 + EPS,
    );
    c.num(
        &at,
        rec,
        &["I130", "Alt"],
        t.geometric_altitude_ft,
        3.125 + EPS,
    );
    c.num(
        &at,
        rec,
        &["I220", "RoC"],
        t.rate_of_climb_ft_min,
        3.125 + EPS,
    );
    let adr = t.address.map(|a| a.value());
    let got_adr = val(rec, &["I380", "ADR", "ADR"]).map(|v| match v {
        Json::String(s) => u32::from_str_radix(s, 16).ok(),
        other => other.as_u64().and_then(|n| u32::try_from(n).ok()),
    });
    c.count(got_adr.is_some() || adr.is_some());
    if got_adr != adr.map(Some) {
        c.mismatches.push(format!(
            "{at} I380/ADR: decoded {got_adr:?}, sent {adr:06x?}"
        ));
    }
    c.text(
        &at,
        rec,
        &["I380", "ID", "ACID"],
        t.callsign.map(str::to_owned),
    );
    c.num(
        &at,
        rec,
        &["I080", "MON"],
        Some(f64::from(u8::from(t.status.monosensor))),
        0.0,
    );
    // CST is in I080's fourth octet, sent only when set.
    let cst = t.status.coasting.then_some(1.0);
    c.num(&at, rec, &["I080", "CST"], cst, 0.0);
    let ages = t.ages.unwrap_or_default();
    let sat = |a: Option<f64>| a.map(|a| a.min(63.75));
    c.num(
        &at,
        rec,
        &["I290", "TRK", "TRK"],
        sat(ages.track),
        0.125 + EPS,
    );
    c.num(&at, rec, &["I290", "ES", "ES"], sat(ages.es), 0.125 + EPS);
}

#[test]
fn cat062_from_a_real_picture_matches_asterix_decoder() {
    let Some(tracks) = picture_tracks::picture_tracks() else {
        return;
    };
    let mut blocks = BlockWriter::new(62, 1_400).unwrap();
    for t in &tracks {
        blocks.push_with(|out| t.track().encode_into(out)).unwrap();
    }
    let Some((decoded, stderr)) = peer::decode_with_peer(blocks.as_bytes(), "oracle") else {
        return;
    };
    assert_eq!(decoded.len(), tracks.len(), "records decoded by the peer");
    let mut c = Compare {
        fields: 0,
        mismatches: Vec::new(),
    };
    for (i, (t, rec)) in tracks.iter().zip(&decoded).enumerate() {
        compare(&mut c, i, &t.track(), rec);
    }
    let with = |f: fn(&TrackOut<'_>) -> bool| tracks.iter().filter(|t| f(&t.track())).count();
    eprintln!(
        "asterix_decoder oracle ({}): {} CAT062 records in {} blocks of at most 1,400 bytes \
         ({} aircraft; {} with callsign, {} with Mode 3/A, {} with velocity, {} coasting); \
         {} field values compared, {} mismatches",
        stderr.trim(),
        tracks.len(),
        blocks.block_count(),
        tracks
            .iter()
            .map(|t| t.out.track_number)
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        with(|t| t.callsign.is_some()),
        with(|t| t.mode3a.is_some()),
        with(|t| t.velocity_m_s.is_some()),
        with(|t| t.status.coasting),
        c.fields,
        c.mismatches.len()
    );
    let shown: Vec<&String> = c.mismatches.iter().take(40).collect();
    assert!(c.mismatches.is_empty(), "mismatches (first 40): {shown:#?}");
}
