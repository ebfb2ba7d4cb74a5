//! Conformance against the CroatiaControl decoder's JSON output for `cat_062_065.pcap`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failure should stop loudly.

mod common;

use serde_json::Value as Json;
use vigil_asterix::pcap::read_capture;
use vigil_asterix::{Decoder, Record, RecordItem};

/// Reference JSON name → our path within the item, and the factor from our unit to theirs.
fn mapping(cat: u64, item: &str, path: &str) -> Option<(String, f64)> {
    let p = |s: &str| Some((s.to_owned(), 1.0));
    match (cat, item, path) {
        (_, _, p) if p.ends_with("FX") || p.ends_with("spare") => None,
        (62, "I015", "SID") | (65, "I015", "SID") => p(""),
        (62, "I070", "ToT") | (62, "I040", "TrkN") | (62, "I130", "Alt") | (62, "I220", "RoC") => {
            p("")
        }
        // I062/136 and I135 are in flight levels; the reference prints feet.
        (62, "I136", "MFL") => Some((String::new(), 100.0)),
        (62, "I135", "CTBA") => Some(("CTB".into(), 100.0)),
        (62, "I060", "Mode3A") => p("MODE3A"),
        (62, "I200", x) => p(x.trim_end_matches('A')),
        (62, "I340", "MDC/CV") => p("MDC/V"),
        (62, "I340", "MDC/CG") => p("MDC/G"),
        (62, "I340", "MDC/ModeC") => p("MDC/LMC"),
        (62, "I340", "MDA/Mode3A") => p("MDA/MODE3A"),
        (62, "I380", "ADR/ADR") => p("ADR"),
        (62, "I380", "ID/ACID") => p("ID"),
        (62, "I290" | "I295", x) => p(x.split('/').next().unwrap_or(x)),
        (65, "I000", "Typ") | (65, "I030", "ToD") | (65, "I020", "BTN") => p(""),
        (_, _, x) => p(&x.to_uppercase()),
    }
}

fn flatten(prefix: &str, v: &Json, out: &mut Vec<(String, Json)>) {
    match v {
        Json::Object(m) => {
            for (k, v) in m {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}/{k}")
                };
                flatten(&p, v, out);
            }
        }
        other => out.push((prefix.to_owned(), other.clone())),
    }
}

fn compare(item: &RecordItem<'_>, path: &str, factor: f64, want: &Json) -> Result<(), String> {
    let leaf = item.get(path).ok_or_else(|| format!("no field {path:?}"))?;
    match want {
        Json::String(s) => {
            let got = leaf.text().unwrap_or_else(|| format!("{:X}", leaf.raw));
            (got.trim_end() == s.trim_end())
                .then_some(())
                .ok_or(format!("{got:?} != {s:?}"))
        }
        Json::Number(n) => {
            let n = n.as_f64().unwrap_or(f64::NAN);
            let got = leaf.value().map_or(leaf.signed() as f64, |v| v * factor);
            // The reference prints 7 decimals.
            ((got - n).abs() <= 1e-6 * n.abs().max(1.0))
                .then_some(())
                .ok_or(format!("{got} != {n}"))
        }
        other => Err(format!("unexpected {other}")),
    }
}

fn check_record(rec: &Record<'_>, json: &Json) -> (usize, Vec<String>) {
    let cat = json["cat"].as_u64().unwrap_or(0);
    let hexdata = json["hexdata"].as_str().unwrap_or("");
    let mut errors = Vec::new();
    let ours: String = rec.bytes.iter().map(|b| format!("{b:02X}")).collect();
    if ours != hexdata {
        errors.push(format!("record bytes {ours} != {hexdata}"));
    }
    let items = &json[format!("CAT{cat:03}")];
    let Some(items) = items.as_object() else {
        return (0, vec!["no items".into()]);
    };
    let mut names: Vec<String> = rec
        .items
        .iter()
        .map(|i| format!("I{}", i.def.name))
        .collect();
    let mut want: Vec<String> = items.keys().cloned().collect();
    names.sort();
    want.sort();
    if names != want {
        errors.push(format!("items {names:?} != {want:?}"));
    }
    let mut n = 0;
    for (name, v) in items {
        let Some(item) = rec.item(name.trim_start_matches('I')) else {
            continue;
        };
        let mut flat = Vec::new();
        flatten("", v, &mut flat);
        for (path, want) in flat {
            let Some((ours, factor)) = mapping(cat, name, &path) else {
                continue;
            };
            match compare(item, &ours, factor, &want) {
                Ok(()) => n += 1,
                Err(e) => errors.push(format!("CAT{cat:03}/{name} {path}: {e}")),
            }
        }
    }
    (n, errors)
}

#[test]
fn cat_062_065_matches_croatia_control_json() {
    let test = "cat_062_065_matches_croatia_control_json";
    let (Some(pcap), Some(text)) = (
        common::data(test, "cat_062_065.pcap"),
        common::data(test, "cat_062_065_json.txt"),
    ) else {
        return;
    };
    let expected: Vec<Json> = String::from_utf8_lossy(&text)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let cap = read_capture(&pcap).unwrap();
    let mut decoder = Decoder::new();
    let records: Vec<Record<'_>> = cap
        .datagrams
        .iter()
        .flat_map(|d| decoder.decode(d.payload))
        .flat_map(|b| b.unwrap().records)
        .collect();
    assert_eq!(records.len(), expected.len());
    let mut fields = 0;
    let mut errors = Vec::new();
    for (i, (rec, json)) in records.iter().zip(&expected).enumerate() {
        assert_eq!(u64::from(rec.category.cat), json["cat"].as_u64().unwrap());
        assert_eq!(rec.encode().unwrap(), rec.bytes, "record {i} re-encoding");
        let (n, e) = check_record(rec, json);
        fields += n;
        errors.extend(e.into_iter().map(|e| format!("record {i}: {e}")));
    }
    eprintln!(
        "CAT062/065 JSON conformance: {} records, {fields} field values matched, {} mismatches",
        records.len(),
        errors.len()
    );
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    assert!(fields > 150, "only {fields} fields compared");
}
