//! Conformance against the CroatiaControl decoder's text output for `cat_034_048.pcap`:
//! every block, record, item and printed field value is compared.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failure should stop loudly.

mod common;

use vigil_asterix::cat048::Report;
use vigil_asterix::modes::CommB;
use vigil_asterix::pcap::read_capture;
use vigil_asterix::{DataBlock, Decoder, Leaf, Record};

#[derive(Debug, Default)]
struct ExpBlock {
    cat: u8,
    records: Vec<ExpRecord>,
}

#[derive(Debug, Default)]
struct ExpRecord {
    hex: Vec<u8>,
    items: Vec<ExpItem>,
}

#[derive(Debug, Default)]
struct ExpItem {
    id: String,
    bytes: Vec<u8>,
    fields: Vec<ExpField>,
}

#[derive(Debug)]
struct ExpField {
    label: String,
    /// The text after `label: `, before any parenthesis.
    raw: String,
    /// The number in parentheses, when there is one.
    scaled: Option<f64>,
}

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

fn parse_expected(text: &str) -> Vec<ExpBlock> {
    let mut blocks: Vec<ExpBlock> = Vec::new();
    for line in text.lines() {
        if let Some(c) = line.strip_prefix("Category: ") {
            blocks.push(ExpBlock {
                cat: c.trim().parse().unwrap(),
                ..Default::default()
            });
        } else if line.starts_with("Data Record ") {
            blocks
                .last_mut()
                .unwrap()
                .records
                .push(ExpRecord::default());
        } else if let Some(h) = line.strip_prefix("HexData: ") {
            if let Some(r) = blocks.last_mut().unwrap().records.last_mut() {
                r.hex = hex(h);
            }
        } else if let Some(rest) = line.strip_prefix("Item ") {
            let id = rest.split_whitespace().next().unwrap().to_owned();
            let r = blocks.last_mut().unwrap().records.last_mut().unwrap();
            r.items.push(ExpItem {
                id,
                ..Default::default()
            });
        } else if let Some(b) = line.strip_prefix('[') {
            let it = blocks
                .last_mut()
                .unwrap()
                .records
                .last_mut()
                .unwrap()
                .items
                .last_mut()
                .unwrap();
            it.bytes = hex(b.trim_end_matches(']'));
        } else if let Some(f) = line.strip_prefix('\t') {
            let (label, value) = f.split_once(": ").unwrap();
            let (raw, scaled) = match value.split_once(" (") {
                Some((r, s)) => (
                    r.to_owned(),
                    s.split_whitespace()
                        .next()
                        .and_then(|n| n.trim_end_matches(')').parse().ok()),
                ),
                None => (value.to_owned(), None),
            };
            let it = blocks
                .last_mut()
                .unwrap()
                .records
                .last_mut()
                .unwrap()
                .items
                .last_mut()
                .unwrap();
            it.fields.push(ExpField {
                label: label.to_owned(),
                raw,
                scaled,
            });
        }
    }
    blocks
}

#[derive(Clone, Copy)]
enum Kind {
    /// Decimal raw value (sign-extended for signed fields); scaled value × factor.
    Int(f64),
    /// Decimal raw value; scaled value within the given tolerance.
    Loose(f64),
    /// Hexadecimal raw value.
    Hex,
    /// Text (octal code or characters).
    Text,
}

/// CroatiaControl label → (our path, how to compare), per category and item.
fn mapping(cat: u8, item: &str, label: &str) -> Option<(&'static str, Kind)> {
    use Kind::*;
    let one = Int(1.0);
    Some(match (cat, item, label) {
        (_, "010", "System Area Code") => ("SAC", one),
        (_, "010", "System Identification Code") => ("SIC", one),
        (48, "140", "Time Of Day") => ("", one),
        (48, "020", l) => (
            ["TYP", "SIM", "RDP", "SPI", "RAB"]
                .into_iter()
                .find(|x| *x == l)?,
            one,
        ),
        (48, "040", "RHO") => ("RHO", one),
        (48, "040", "THETA") => ("THETA", one),
        (48, "042", "X component") => ("X", one),
        (48, "042", "Y component") => ("Y", one),
        (48, "070" | "090", "V") => ("V", one),
        (48, "070" | "090", "G") => ("G", one),
        (48, "070", "L") => ("L", one),
        (48, "070", "Mode-3/A reply code") => ("MODE3A", Text),
        (48, "090", "FlightLevel") => ("FL", one),
        (48, "110", "3D_Height") => ("3DH", one),
        (48, "130", "SSR Plot Runlength") => ("SRL", one),
        (48, "130", "SSR-Number of received reply") => ("SRR", one),
        (48, "130", "SSR-Reply amplitude") => ("SAM", one),
        (48, "130", "Primary Plot Runlength") => ("PRL", one),
        (48, "161", "Track Number") => ("TRN", one),
        (48, "170", l) => (
            [
                "CNF", "RAD", "DOU", "MAH", "CDM", "TRE", "GHO", "SUP", "TCC",
            ]
            .into_iter()
            .find(|x| *x == l)?,
            one,
        ),
        // I048/200 ground speed is in NM/s; the reference prints knots.
        (48, "200", "Calculated groundspeed") => ("GSP", Int(3600.0)),
        (48, "200", "Calculated heading") => ("HDG", one),
        (48, "220", "AircraftAddress") => ("", Hex),
        (48, "230", "COM") => ("COM", one),
        (48, "230", "STAT") => ("STAT", one),
        (48, "230", "SI/II Transponder Capability") => ("SI", one),
        (48, "230", "ModeS Specific Service Capability") => ("MSSC", one),
        (48, "230", "Altitude reporting capability") => ("ARC", one),
        (48, "230", "Aircraft identification capability") => ("AIC", one),
        (48, "230", "BDS 1,0 bit 16") => ("B1A", one),
        (48, "230", "BDS 1,0 bits 37/40") => ("B1B", one),
        (48, "240", _) => ("", Text),
        (34, "000", "Message Type") => ("", one),
        (34, "020", "Antenna azimuth") => ("", one),
        (34, "030", "Time of day") => ("", one),
        (34, "041", "Antenna rotation speed") => ("", one),
        (34, "050", l) => (
            match l {
                "Operational Release Status of the System" => "COM/NOGO",
                "Radar Data Processor Chain Selection Status" => "COM/RDPC",
                "Event to signal a reset/restart of the selected Radar Data Processor Chain" => {
                    "COM/RDPR"
                }
                "Radar Data Processor Overload Indicator" => "COM/OVLRDP",
                "Transmission Subsystem Overload Status" => "COM/OVLXMT",
                "Monitoring System Connected Status" => "COM/MSC",
                "Time Source Validity" => "COM/TSV",
                "Selected PSR antenna" => "PSR/ANT",
                "PSR Channel A/B selection status" => "PSR/CHAB",
                "PSSR Overload condition" => "PSR/OVL",
                "PSSR Monitoring System Connected Status" => "PSR/MSC",
                "Selected SSR antenna" => "SSR/ANT",
                "SSR Channel A/B selection status" => "SSR/CHAB",
                "SSR Overload condition" => "SSR/OVL",
                "SSR Monitoring System Connected Status" => "SSR/MSC",
                "Mode S Selected antenna" => "MDS/ANT",
                "Mode S Channel A/B selection status for surveillance" => "MDS/CHAB",
                "Mode S Overload condition" => "MDS/OVLSUR",
                "Mode S Monitoring System Connected Status" => "MDS/MSC",
                "Mode S Channel A/B sellection for Surveillance Co-ordination Function" => {
                    "MDS/SCF"
                }
                "Mode S Channel A/B sellection for Data Link Function" => "MDS/DLF",
                "Mode S Overload in Surveillance Co-ordination Function" => "MDS/OVLSCF",
                "Mode S Overload in Data Link Function" => "MDS/OVLDLF",
                _ => return None,
            },
            one,
        ),
        (34, "060", l) => (
            match l {
                "Reduction Steps in use for an overload of the RDP" => "COM/REDRDP",
                "Reduction Steps in use for an overload of the Transmission subsystem" => {
                    "COM/REDXMT"
                }
                "Reduction Steps in use as result of an overload within the Mode S subsystem" => {
                    "MDS/REDRAD"
                }
                "Cluster State" => "MDS/CLU",
                _ => return None,
            },
            one,
        ),
        (34, "120", l) if l.starts_with("Signed Height") => ("HGT", one),
        // The reference computes 180/2^23 in single precision (off by ~4e-6 degrees, 0.4 m);
        // the raw values are compared exactly.
        (34, "120", "Latitude in WGS-84") => ("LAT", Loose(1e-5)),
        (34, "120", "Longitude in WGS-84") => ("LON", Loose(1e-5)),
        _ => return None,
    })
}

/// Labels that carry no information of their own (FX bits, spares, reserved bits).
fn ignorable(label: &str) -> bool {
    label == "FX" || label.starts_with("spare bit") || label.starts_with("Reserved ")
}

fn close(a: f64, b: f64) -> bool {
    // The reference prints 7 decimals.
    (a - b).abs() <= 1e-6 + 1e-9 * b.abs()
}

fn compare_leaf(leaf: &Leaf, f: &ExpField, kind: Kind) -> Result<(), String> {
    match kind {
        Kind::Loose(tol) => {
            let want: i64 = f
                .raw
                .trim()
                .parse()
                .map_err(|_| format!("unparsable {:?}", f.raw))?;
            let v = leaf.value().unwrap_or(f64::NAN);
            if leaf.signed() != want || !f.scaled.is_some_and(|s| (v - s).abs() <= tol) {
                return Err(format!(
                    "raw {} value {v} vs {want} {:?}",
                    leaf.signed(),
                    f.scaled
                ));
            }
        }
        Kind::Int(factor) => {
            let want: i64 = f
                .raw
                .trim()
                .parse()
                .map_err(|_| format!("unparsable {:?}", f.raw))?;
            if leaf.signed() != want {
                return Err(format!("raw {} != {want}", leaf.signed()));
            }
            if let (Some(s), Some(v)) = (f.scaled, leaf.value())
                && !close(v * factor, s)
            {
                return Err(format!("value {} != {s}", v * factor));
            }
        }
        Kind::Hex => {
            let want = u64::from_str_radix(f.raw.trim(), 16).map_err(|e| e.to_string())?;
            if leaf.raw != want {
                return Err(format!("raw {:X} != {want:X}", leaf.raw));
            }
        }
        Kind::Text => {
            let got = leaf.text().unwrap_or_default();
            if got.trim_end() != f.raw.trim_end() {
                return Err(format!("text {got:?} != {:?}", f.raw));
            }
        }
    }
    Ok(())
}

/// Compares the BDS fields printed for I048/250 with the typed Comm-B decoding.
/// Returns the number of fields compared.
fn compare_comm_b(rec: &Record<'_>, item: &ExpItem, errors: &mut Vec<String>) -> usize {
    let ours = Report::from_record(rec).comm_b;
    // The reference prints each repetition's fields, then "BDS register: XX".
    let mut segments: Vec<Vec<&ExpField>> = vec![Vec::new()];
    for f in &item.fields {
        segments.last_mut().unwrap().push(f);
        if f.label == "BDS register" {
            segments.push(Vec::new());
        }
    }
    segments.pop();
    if segments.len() != ours.len() {
        errors.push(format!(
            "250: {} repetitions expected, {} decoded",
            segments.len(),
            ours.len()
        ));
        return 0;
    }
    let mut n = 0;
    for (seg, cb) in segments.iter().zip(&ours) {
        for f in seg {
            if ignorable(&f.label) {
                continue;
            }
            let raw: i64 = f.raw.trim().parse().unwrap_or(i64::MIN);
            let status = raw == 1;
            let val = |o: Option<f64>| -> bool {
                // With its status bit clear a field is absent, whatever the reference prints.
                o.is_none_or(|v| {
                    f.scaled.is_some_and(|s| {
                        close(v, s)
                            || close((v - s).rem_euclid(360.0), 0.0)
                            || close((v - s).rem_euclid(360.0), 360.0)
                    })
                })
            };
            let ok = match (cb, f.label.as_str()) {
                (_, "BDS register") => {
                    let bds = match cb {
                        CommB::Bds40(_) => 0x40,
                        CommB::Bds50(_) => 0x50,
                        CommB::Bds60(_) => 0x60,
                        CommB::Other(b, _) => *b,
                    };
                    format!("{bds:02X}") == f.raw.trim()
                }
                (CommB::Other(_, mb), "BDS value") => format!("{mb:014X}") == f.raw.trim(),
                (CommB::Bds40(b), l) => match l {
                    "MCP Altitude Status" => b.mcp_altitude_ft.is_some() == status,
                    "MCP/FCU Selected Altitude" => val(b.mcp_altitude_ft),
                    "FMS Altitude Status" => b.fms_altitude_ft.is_some() == status,
                    "FMS Selected Altitude" => val(b.fms_altitude_ft),
                    "Barometric Pressure Status" => b.baro_setting_hpa.is_some() == status,
                    // The reference prints raw × 0.1 and leaves out the 800 hPa offset.
                    "Barometric Pressure" => b
                        .baro_setting_hpa
                        .is_none_or(|v| close(v, 800.0 + raw as f64 * 0.1)),
                    "Status of MCP/FCU Mode Bits" => b.modes.is_some() == status,
                    "VNAV Mode" => b.modes.is_none_or(|m| m.0 == status),
                    "ALT HOLD Mode" => b.modes.is_none_or(|m| m.1 == status),
                    "APPROACH Mode" => b.modes.is_none_or(|m| m.2 == status),
                    "Status of Target ALT source bits" => b.target_alt_source.is_some() == status,
                    "Target ALT source" => b.target_alt_source.is_none_or(|s| i64::from(s) == raw),
                    _ => false,
                },
                (CommB::Bds50(b), l) => match l {
                    "Roll Angle Status" => b.roll_deg.is_some() == status,
                    "Roll Angle" => val(b.roll_deg),
                    "True Track Angle Status" => b.true_track_deg.is_some() == status,
                    "True Track Angle" => val(b.true_track_deg),
                    "Ground Speed Status" => b.ground_speed_kt.is_some() == status,
                    "Ground Speed" => val(b.ground_speed_kt),
                    "Track Angle Rate Status" => b.track_angle_rate_deg_s.is_some() == status,
                    "Track Angle Rate" => val(b.track_angle_rate_deg_s),
                    "True Airspeed Status" => b.true_airspeed_kt.is_some() == status,
                    "True Airspeed" => val(b.true_airspeed_kt),
                    _ => false,
                },
                (CommB::Bds60(b), l) => match l {
                    "Heading Status" => b.magnetic_heading_deg.is_some() == status,
                    "Magnetic Heading" => val(b.magnetic_heading_deg),
                    "Indicated Airspeed Status" => b.ias_kt.is_some() == status,
                    "Indicated Airspeed" => val(b.ias_kt),
                    "Mach Speed Status" => b.mach.is_some() == status,
                    "Mach Speed" => val(b.mach),
                    "Barometric Altitude Rate Status" => b.baro_rate_ft_min.is_some() == status,
                    "Barometric Altitude Rate" => val(b.baro_rate_ft_min),
                    "Inertial Vertical Velocity Status" => {
                        b.inertial_rate_ft_min.is_some() == status
                    }
                    "Inertial Vertical Velocity" => val(b.inertial_rate_ft_min),
                    _ => false,
                },
                _ => false,
            };
            if ok {
                n += 1;
            } else {
                errors.push(format!(
                    "250 {:?} = {:?} ({:?}) vs {cb:?}",
                    f.label, f.raw, f.scaled
                ));
            }
        }
    }
    n
}

#[test]
fn cat_034_048_matches_croatia_control_decoder() {
    let test = "cat_034_048_matches_croatia_control_decoder";
    let (Some(pcap), Some(text)) = (
        common::data(test, "cat_034_048.pcap"),
        common::data(test, "cat_034_048.txt"),
    ) else {
        return;
    };
    let expected = parse_expected(&String::from_utf8_lossy(&text));
    let cap = read_capture(&pcap).unwrap();
    assert_eq!(cap.datagrams.len(), 100, "UDP packets");
    let mut decoder = Decoder::new();
    let blocks: Vec<DataBlock<'_>> = cap
        .datagrams
        .iter()
        .flat_map(|d| decoder.decode(d.payload))
        .map(|b| b.unwrap())
        .collect();
    assert_eq!(blocks.len(), expected.len(), "blocks");
    assert_eq!(blocks.iter().filter(|b| b.category.cat == 48).count(), 86);
    assert_eq!(blocks.iter().filter(|b| b.category.cat == 34).count(), 34);

    let (mut records, mut items, mut fields, mut ignored) = (0, 0, 0, 0);
    let mut errors = Vec::new();
    for (bi, (blk, exp)) in blocks.iter().zip(&expected).enumerate() {
        assert_eq!(blk.category.cat, exp.cat, "block {bi}");
        assert_eq!(
            blk.records.len(),
            exp.records.len(),
            "block {bi} record count"
        );
        for (ri, (rec, er)) in blk.records.iter().zip(&exp.records).enumerate() {
            let at = format!("block {} record {}", bi + 1, ri + 1);
            assert_eq!(rec.bytes, er.hex.as_slice(), "{at} bytes");
            assert_eq!(rec.encode().unwrap(), rec.bytes, "{at} re-encoding");
            let ids: Vec<&str> = rec.items.iter().map(|i| i.def.name).collect();
            let want: Vec<&str> = er.items.iter().map(|i| i.id.as_str()).collect();
            assert_eq!(ids, want, "{at} items");
            records += 1;
            for (it, ei) in rec.items.iter().zip(&er.items) {
                assert_eq!(
                    it.bytes,
                    ei.bytes.as_slice(),
                    "{at} I{:03}/{} bytes",
                    exp.cat,
                    ei.id
                );
                items += 1;
                if exp.cat == 48 && ei.id == "250" {
                    fields += compare_comm_b(rec, ei, &mut errors);
                    ignored += ei.fields.iter().filter(|f| ignorable(&f.label)).count();
                    continue;
                }
                for f in &ei.fields {
                    if ignorable(&f.label) {
                        ignored += 1;
                        continue;
                    }
                    let Some((path, kind)) = mapping(exp.cat, &ei.id, &f.label) else {
                        errors.push(format!(
                            "{at} I{:03}/{}: unmapped label {:?}",
                            exp.cat, ei.id, f.label
                        ));
                        continue;
                    };
                    match it.get(path) {
                        None => errors
                            .push(format!("{at} I{:03}/{}: no field {path:?}", exp.cat, ei.id)),
                        Some(leaf) => match compare_leaf(&leaf, f, kind) {
                            Ok(()) => fields += 1,
                            Err(e) => errors
                                .push(format!("{at} I{:03}/{} {:?}: {e}", exp.cat, ei.id, f.label)),
                        },
                    }
                }
            }
        }
    }
    eprintln!(
        "CroatiaControl conformance: {} blocks, {records} records, {items} items identical; \
         {fields} field values matched, {ignored} FX/spare/reserved lines not compared, {} mismatches",
        blocks.len(),
        errors.len()
    );
    assert!(
        errors.is_empty(),
        "{} mismatches:\n{}",
        errors.len(),
        errors.join("\n")
    );
    assert_eq!(records, 162);
    assert_eq!(decoder.stats.unknown_category_blocks, 0);
}
