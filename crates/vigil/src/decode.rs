//! `vigil decode`: a recording or capture in, one JSON line per message out, like rs1090's
//! `decode1090`.

use anyhow::{Context, Result, bail};
use serde_json::{Map, Value, json};
use std::io::{Read, Write};
use std::path::Path;
use vigil_codec::framing::sbs::SbsMessage;
use vigil_codec::{FeedItem, ModeSFrame};
use vigil_core::{IcaoAddress, LatLon, SensorId, UnixTime};
use vigil_feed::{FileFormat, StreamDecoder};
use vigil_picture::{Ingested, Picture, PictureConfig};

/// What `decode` counted, for the summary on stderr.
#[derive(Debug, Default)]
pub struct Summary {
    /// The format the file was read as.
    pub format: String,
    /// Items framed.
    pub items: u64,
    /// Lines written.
    pub written: u64,
    /// Mode S replies rs1090 could not decode (not written).
    pub undecodable: u64,
    /// Lines written with a position from the picture's CPR decoding.
    pub positions: u64,
    /// Framing counters (bad lines, skipped bytes, ...).
    pub framing: vigil_codec::framing::FramingStats,
}

/// The 12 MHz Beast / AVR timestamp clock.
const MLAT_HZ: f64 = 12e6;

/// Decodes `path` to `out`. Fails only if the file cannot be read or its format told.
pub fn run(
    path: &Path,
    format: FileFormat,
    reference: Option<LatLon>,
    out: &mut dyn Write,
) -> Result<Summary> {
    let mut file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut head = [0u8; 512];
    let n = read_head(&mut file, &mut head)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let Some(stream_format) = vigil_feed::format::resolve_format(format, path, &head[..n]) else {
        bail!(
            "cannot tell the format of {} from its name or first bytes; pass --format \
             (beast, avr, sbs, csv or jsonl)",
            path.display()
        );
    };
    tracing::debug!(path = %path.display(), format = %stream_format, "decoding");

    let mut decoder = StreamDecoder::new(stream_format);
    let mut picture = Picture::new(PictureConfig {
        reference,
        ..PictureConfig::default()
    });
    let mut summary = Summary {
        format: stream_format.to_string(),
        ..Summary::default()
    };
    let mut last_time = UnixTime(0.0);
    let mut items = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut chunk: &[u8] = &head[..n];
    loop {
        decoder.push(chunk, &mut |t, item| items.push((t, item)));
        for (t, item) in items.drain(..) {
            summary.items += 1;
            if let Some(line) = line_for(&mut picture, t, &item, &mut last_time, &mut summary) {
                out.write_all(&line)?;
                summary.written += 1;
            }
        }
        let read = file
            .read(&mut buf)
            .with_context(|| format!("cannot read {}", path.display()))?;
        if read == 0 {
            break;
        }
        chunk = &buf[..read];
    }
    decoder.finish(&mut |t, item| items.push((t, item)));
    for (t, item) in items.drain(..) {
        summary.items += 1;
        if let Some(line) = line_for(&mut picture, t, &item, &mut last_time, &mut summary) {
            out.write_all(&line)?;
            summary.written += 1;
        }
    }
    out.flush()?;
    summary.framing = decoder.stats();
    Ok(summary)
}

fn read_head(file: &mut std::fs::File, head: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < head.len() {
        match file.read(&mut head[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// The JSON line for one item, newline included: `timestamp` (recordings only) and `frame`
/// first, as `decode1090` prints them, then the decoded fields. `None` for a reply rs1090
/// cannot decode.
fn line_for(
    picture: &mut Picture,
    recorded: Option<UnixTime>,
    item: &FeedItem,
    last_time: &mut UnixTime,
    summary: &mut Summary,
) -> Option<Vec<u8>> {
    // The picture needs a time for CPR pairing and ages: the recorded one, else the
    // receiver's 12 MHz counter (a relative clock, good enough to pair even/odd frames),
    // else the last one seen.
    let time = match (recorded, item) {
        (Some(t), _) => t,
        (
            None,
            FeedItem::ModeS(ModeSFrame {
                mlat_ticks: Some(ticks),
                ..
            }),
        ) => UnixTime(*ticks as f64 / MLAT_HZ),
        _ => *last_time,
    };
    *last_time = time;
    let ingested = picture.ingest(time, SensorId(0), item);
    let mut head: Vec<(&str, Value)> = Vec::with_capacity(2);
    if let Some(t) = recorded {
        head.push(("timestamp", json!(t.secs())));
    }
    let fields = match item {
        FeedItem::ModeS(frame) => {
            head.push(("frame", json!(hex(frame.data()))));
            let Some(Value::Object(mut decoded)) =
                vigil_codec::reference::decode_json(frame.data())
            else {
                summary.undecodable += 1;
                return None;
            };
            let position = match ingested {
                Ingested::Updated(icao) if !decoded.contains_key("latitude") => {
                    position_from_picture(picture, icao, time, &decoded)
                }
                _ => None,
            };
            if let Some(pos) = position {
                decoded.insert("latitude".into(), json!(pos.lat));
                decoded.insert("longitude".into(), json!(pos.lon));
                summary.positions += 1;
            }
            decoded
        }
        FeedItem::Sbs(msg) => {
            let mut m = Map::new();
            m.insert("sbs".into(), sbs_json(msg));
            m
        }
    };
    Some(join_objects(&head, &fields))
}

/// `{head…, fields…}\n`, the `head` keys first and in order (serde_json's map would sort
/// them among the others).
fn join_objects(head: &[(&str, Value)], fields: &Map<String, Value>) -> Vec<u8> {
    let mut out = vec![b'{'];
    for (i, (k, v)) in head.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        // Writing JSON values to memory cannot fail.
        let _ = serde_json::to_writer(&mut out, k);
        out.push(b':');
        let _ = serde_json::to_writer(&mut out, v);
    }
    let rest = serde_json::to_vec(fields).unwrap_or_else(|_| b"{}".to_vec());
    if rest.len() > 2 {
        if !head.is_empty() {
            out.push(b',');
        }
        out.extend_from_slice(&rest[1..rest.len() - 1]);
    }
    out.extend_from_slice(b"}\n");
    out
}

/// Position hook: the position this message gave the aircraft, from the picture's CPR
/// decoding (rs1090's stateless decode has only `lat_cpr` / `lon_cpr`, and `decode1090`'s
/// `latitude` / `longitude` come from its own stateful decoder).
///
/// A position message that the picture turned into a fix leaves the aircraft's position
/// stamped with this message's time; anything else (a frame that did not pair, or one rejected
/// as implausible) gets no position, as in `decode1090`.
fn position_from_picture(
    picture: &Picture,
    icao: IcaoAddress,
    now: UnixTime,
    decoded: &Map<String, Value>,
) -> Option<LatLon> {
    if !decoded.contains_key("lat_cpr") {
        return None;
    }
    let fix = picture.get(icao)?.position?;
    (fix.at == now && fix.value.is_valid()).then_some(fix.value)
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// An SBS message's fields, named like rs1090's where they mean the same.
fn sbs_json(m: &SbsMessage) -> Value {
    let mut v = Map::new();
    v.insert("transmission_type".into(), json!(m.transmission_type));
    let mut put = |k: &str, x: Option<Value>| {
        if let Some(x) = x {
            v.insert(k.into(), x);
        }
    };
    put("icao24", m.icao.map(|i| json!(i.to_string())));
    put("generated", m.generated.map(|x| json!(x)));
    put("callsign", m.callsign.as_ref().map(|x| json!(x)));
    put("altitude", m.altitude_ft.map(|x| json!(x)));
    put("groundspeed", m.ground_speed_kt.map(|x| json!(x)));
    put("track", m.track_deg.map(|x| json!(x)));
    put("latitude", m.lat.map(|x| json!(x)));
    put("longitude", m.lon.map(|x| json!(x)));
    put("vertical_rate", m.vertical_rate_fpm.map(|x| json!(x)));
    put("squawk", m.squawk.map(|x| json!(format!("{x:04o}"))));
    put("alert", m.alert.map(|x| json!(x)));
    put("emergency", m.emergency.map(|x| json!(x)));
    put("spi", m.spi.map(|x| json!(x)));
    put("on_ground", m.on_ground.map(|x| json!(x)));
    Value::Object(v)
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::unwrap_used)] // tests: a failed expectation is the report
mod tests {
    use super::*;

    fn decode_text(name: &str, text: &[u8], format: FileFormat) -> (Vec<Value>, Summary, String) {
        let dir = std::env::temp_dir().join(format!("vigil-decode-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join(name);
        std::fs::write(&path, text).expect("write");
        let mut out = Vec::new();
        let summary = run(&path, format, None, &mut out).expect("decodes");
        let lines = out
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| serde_json::from_slice(l).expect("json line"))
            .collect();
        (lines, summary, String::from_utf8(out).expect("utf-8"))
    }

    #[test]
    fn csv_lines_decode_to_rs1090_fields_with_timestamp_and_frame() {
        let (lines, s, raw) = decode_text(
            "one.csv",
            b"1698140962.171425,1a33000023bb50f025903907dbc1b50fca1ad701efd570\nbad line\n",
            FileFormat::Auto,
        );
        assert_eq!(lines.len(), 1);
        let l = &lines[0];
        assert!(
            raw.starts_with("{\"timestamp\":1698140962.171425,\"frame\":\"9039"),
            "{raw}"
        );
        assert_eq!(l["timestamp"], json!(1698140962.171425));
        assert_eq!(l["frame"], json!("903907dbc1b50fca1ad701efd570"));
        assert_eq!(l["df"], json!("18"));
        assert_eq!(s.framing.malformed, 1);
        assert_eq!((s.items, s.written), (1, 1));
    }

    #[test]
    fn squawk_is_shown_as_four_octal_digits() {
        let m = SbsMessage {
            transmission_type: 6,
            squawk: Some(0o7500),
            ..SbsMessage::default()
        };
        assert_eq!(sbs_json(&m)["squawk"], json!("7500"));
    }
}
