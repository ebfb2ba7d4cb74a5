//! Every worked example of *The 1090 MHz Riddle* (`adsb/riddle_vectors.tsv`) decodes to the
//! book's value: the fast path for the fields the picture uses, CPR for positions, and the
//! rs1090 reference decoder (as `vigil decode` prints it) for the Comm-B registers.

#![allow(clippy::expect_used)] // test helper: a bad vector file should stop the test loudly.

use serde_json::Value;
use vigil_codec::modes::{self, cpr, crc};
use vigil_core::LatLon;

fn frame(h: &str) -> Vec<u8> {
    hex::decode(h).expect("hex in vector file")
}

/// rs1090's JSON of a reply.
fn reference(h: &str) -> Value {
    vigil_codec::reference::decode_json(&frame(h)).unwrap_or(Value::Null)
}

/// The value Vigil gives for `field` of the row, as text comparable with the book's.
fn vigil_value(field: &str, msgs: &[&str], reference_pos: Option<LatLon>) -> Option<String> {
    let f0 = frame(msgs[0]);
    let me = || u64::from_be_bytes([0, f0[4], f0[5], f0[6], f0[7], f0[8], f0[9], f0[10]]);
    let m = modes::decode(&f0).ok();
    let rs = reference(msgs[0]);
    let rsv = |k: &str| -> Option<String> {
        match &rs[k] {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            v => Some(v.to_string()),
        }
    };
    let pair = || -> Option<(modes::CprFields, modes::CprFields)> {
        let a = modes::decode(&frame(msgs[0])).ok()?.cpr?;
        let b = modes::decode(&frame(msgs.get(1)?)).ok()?.cpr?;
        Some(if a.odd { (b, a) } else { (a, b) })
    };
    let s = |v: f64| Some(format!("{v}"));
    match field {
        "df" => Some((f0[0] >> 3).to_string()),
        "capability" => Some((f0[0] & 7).to_string()),
        "icao24" => m.map(|m| m.icao.to_string().to_uppercase()),
        "typecode" => Some((me() >> 51).to_string()),
        "subtype" => Some(((me() >> 48) & 7).to_string()),
        "callsign" => m?.callsign.map(|c| c.to_string()),
        "category" => m?.category.map(|c| (c & 7).to_string()),
        "cpr_format" => m?.cpr.map(|c| u8::from(c.odd).to_string()),
        "cpr_lat_raw" => m?.cpr.map(|c| c.lat.to_string()),
        "cpr_lon_raw" => m?.cpr.map(|c| c.lon.to_string()),
        "altitude_ft" => m?.alt_baro_ft.map(|a| a.to_string()),
        "squawk" => m?.squawk.map(|q| format!("{q:04x}")),
        "groundspeed_kt" if m?.df == 17 => m?.gs_kt.and_then(s),
        "track_deg" if m?.df == 17 => m?.track_deg.and_then(s),
        "heading_deg" if m?.df == 17 => m?.heading_deg.and_then(s),
        "tas_kt" if m?.df == 17 => m?.airspeed.filter(|a| a.tas).map(|a| a.kt.to_string()),
        "airspeed_type" => m?
            .airspeed
            .map(|a| if a.tas { "TAS" } else { "IAS" }.to_string()),
        "vertical_rate_fpm" => m?.vert_rate_fpm.map(|v| v.to_string()),
        "vr_source" => {
            let m = m?;
            m.vert_rate_fpm
                .map(|_| if m.vert_rate_baro { "BARO" } else { "GNSS" }.to_string())
        }
        "gnss_baro_diff_ft" => m?.geom_minus_baro_ft.map(|v| v.to_string()),
        "intent_change" => Some(((me() >> 47) & 1).to_string()),
        "ifr_capability" => Some(((me() >> 46) & 1).to_string()),
        "nuc_v" => Some(((me() >> 43) & 7).to_string()),
        "v_ew_kt" => {
            let raw = ((me() >> 32) & 0x3FF) as i64 - 1;
            Some((if (me() >> 42) & 1 == 1 { -raw } else { raw }).to_string())
        }
        "v_ns_kt" => {
            let raw = ((me() >> 21) & 0x3FF) as i64 - 1;
            Some((if (me() >> 31) & 1 == 1 { -raw } else { raw }).to_string())
        }
        "crc_remainder" => Some(crc::remainder(&f0).to_string()),
        "crc_remainder_hex" => Some(format!("{:06X}", crc::parity(&f0[..f0.len() - 3]))),
        "crc_ok" => Some((crc::remainder(&f0) == 0).to_string()),
        "cpr_nl" => {
            let (e, o) = pair()?;
            let p = cpr::airborne_global(&e, &o, false)
                .or_else(|| cpr::surface_global(&e, &o, false, reference_pos?))?;
            Some(cpr::nl(p.lat).to_string())
        }
        "latitude" | "longitude" => {
            let p = if msgs.len() == 2 {
                let (e, o) = pair()?;
                // The newer frame: even in the airborne example, odd in the surface one
                // (the notes column of the vector file).
                if e.surface {
                    cpr::surface_global(&e, &o, true, reference_pos?)?
                } else {
                    cpr::airborne_global(&e, &o, false)?
                }
            } else {
                cpr::local(&m?.cpr?, reference_pos?)?
            };
            s(if field == "latitude" { p.lat } else { p.lon })
        }
        "latitude_odd" => {
            let (e, o) = pair()?;
            cpr::airborne_global(&e, &o, true).and_then(|p| s(p.lat))
        }
        "latitude_even" => {
            let (e, _) = pair()?;
            cpr::local(&e, reference_pos?).and_then(|p| s(p.lat))
        }
        // The book reads this DF20 as BDS 5,0 to show why it is not: decode it so.
        "bds50_hyp_groundspeed_kt" => Some((((me() >> 22) & 0x3FF) * 2).to_string()),
        "bds50_hyp_tas_kt" => Some(((me() & 0x3FF) * 2).to_string()),
        // Comm-B registers and the rest: the reference decoder.
        _ => reference_field(field, &rs).or_else(|| rsv(field)),
    }
}

/// Comm-B fields from rs1090's JSON (which nests each candidate register under `bdsXY`),
/// under the book's names.
fn reference_field(field: &str, rs: &Value) -> Option<String> {
    let registers: Vec<(&String, &Value)> = rs
        .as_object()?
        .iter()
        .filter(|(k, v)| k.starts_with("bds") && v.is_object())
        .collect();
    let names = || {
        registers
            .iter()
            .map(|(k, _)| k.to_uppercase())
            .collect::<Vec<_>>()
            .join(",")
    };
    match field {
        "bds_inferred" if registers.len() == 1 => return Some(names()),
        // Among several candidates the book prefers BDS 5,0 (pyModeS's tie-break).
        "bds_inferred" => {
            return registers
                .iter()
                .any(|(k, _)| *k == "bds50")
                .then(|| "BDS50".into());
        }
        "bds_candidates" => return Some(names()),
        "bds17_supported" => {
            let b = rs["bds17"].as_object()?;
            let mut v: Vec<String> = b
                .iter()
                .filter(|(k, v)| k.starts_with("bds") && v.as_bool() == Some(true))
                .map(|(k, _)| k.to_uppercase())
                .collect();
            v.sort();
            return Some(v.join(","));
        }
        "figure_of_merit" => {
            let fom = registers
                .iter()
                .find_map(|(_, r)| r["figure_of_merit"].as_str())?;
            let n = ["Invalid", "INS", "GNSS", "DME/DME", "VOR/DME"]
                .iter()
                .position(|s| *s == fom)?;
            return Some(n.to_string());
        }
        "target_altitude_source" => {
            let src = registers
                .iter()
                .find_map(|(_, r)| r["target_source"].as_str())?;
            return Some(if src.contains("Mcu") { "MCP/FCU" } else { src }.to_string());
        }
        // rs1090 leaves out mode flags whose status bit says "not set".
        "vnav_mode" | "alt_hold_mode" | "approach_mode" => {
            let (_, r) = registers.iter().find(|(k, _)| *k == "bds40")?;
            return Some(
                r.get(field)
                    .and_then(Value::as_bool)
                    .unwrap_or(false)
                    .to_string(),
            );
        }
        _ => {}
    }
    // "bds50_groundspeed_kt": a field of one named register.
    let (register, field) = match field.split_once('_') {
        Some((r, f)) if r.starts_with("bds") && r.len() == 5 => (Some(r), f),
        _ => (None, field),
    };
    let key = match field {
        "selected_altitude_mcp_ft" => "selected_mcp",
        "selected_altitude_fms_ft" => "selected_fms",
        "baro_setting_mb" => "barometric_setting",
        "roll_deg" => "roll",
        "track_deg" => "track",
        "track_rate_deg_s" => "track_rate",
        "groundspeed_kt" => "groundspeed",
        "tas_kt" => "TAS",
        "heading_deg" => "heading",
        "ias_kt" => "IAS",
        "mach" => "Mach",
        "baro_vertical_rate_fpm" => "vrate_barometric",
        "inertial_vertical_rate_fpm" => "vrate_inertial",
        "figure_of_merit" => "fom",
        "wind_speed_kt" => "wind_speed",
        "wind_direction_deg" => "wind_direction",
        "static_air_temperature_c" => "temperature",
        "cas_kt" => "IAS",
        "static_pressure_hpa" => "pressure",
        "humidity_pct" => "humidity",
        "bds_inferred" => "bds",
        "altitude_ft" => "altitude",
        _ => return None,
    };
    let text = |v: &Value| match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        v => Some(v.to_string()),
    };
    if let Some(v) = text(&rs[key]) {
        return Some(v);
    }
    registers
        .iter()
        .filter(|(k, _)| register.is_none_or(|r| *k == r))
        .find_map(|(_, r)| {
            text(&r[key]).or_else(|| {
                if key == "temperature" {
                    text(&r["static_temperature"])
                } else {
                    None
                }
            })
        })
}

fn matches(got: Option<&str>, expected: &str, tol: f64) -> bool {
    match (got, expected) {
        (None, "null") => true,
        (None, _) => false,
        (Some(g), e) => {
            if let (Ok(a), Ok(b)) = (g.parse::<f64>(), e.parse::<f64>()) {
                (a - b).abs() <= tol.max(1e-12)
            } else {
                g.trim().eq_ignore_ascii_case(e.trim())
                    || g.trim_start_matches("BDS")
                        .eq_ignore_ascii_case(e.trim_start_matches("BDS"))
            }
        }
    }
}

#[test]
fn every_riddle_vector_decodes_to_the_book_value() {
    let Some(p) = vigil_testdata::path("adsb/riddle_vectors.tsv") else {
        return;
    };
    let text = std::fs::read_to_string(p).expect("read vectors");
    let (mut total, mut failed) = (0, Vec::new());
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("id\t"))
    {
        let c: Vec<&str> = line.split('\t').collect();
        let (id, msgs, field, expected) = (c[0], c[2], c[5], c[6]);
        let tol: f64 = c[7].parse().unwrap_or(0.0);
        let reference_pos = match (c[3].parse::<f64>(), c[4].parse::<f64>()) {
            (Ok(lat), Ok(lon)) => Some(LatLon::new(lat, lon)),
            _ => None,
        };
        let msgs: Vec<&str> = msgs.split('+').collect();
        let got = vigil_value(field, &msgs, reference_pos);
        total += 1;
        if !matches(got.as_deref(), expected, tol) {
            failed.push(format!(
                "{id} {field}: expected {expected}, got {got:?} (rs1090 {})",
                reference(msgs[0])
            ));
        }
    }
    for f in &failed {
        eprintln!("{f}");
    }
    assert!(total >= 125, "only {total} vectors read");
    assert!(
        failed.is_empty(),
        "{} of {total} vectors failed",
        failed.len()
    );
}
