//! Timestamped recordings: `unix_ts,hex` CSV and `{"timestamp":…,"frame":"hex"}` JSON lines.
//!
//! A push parser like the codec's framers (any chunking, never panics), except that each item
//! comes out with the time it was recorded, so a replay runs on recorded time.

use serde::Deserialize;
use vigil_codec::framing::FramingStats;
use vigil_codec::{FeedItem, ModeSFrame};
use vigil_core::UnixTime;

/// Longest line accepted. A Beast long record is 46 hex digits; a `decode1090` JSON line with
/// every field is well under 2 KiB. Past this the line is dropped as malformed so that a file
/// without newlines cannot grow the buffer without bound.
const MAX_LINE: usize = 16 * 1024;

/// Which recording format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordingFormat {
    /// `unix_ts,hex` lines.
    Csv,
    /// JSON lines with `timestamp` (Unix seconds) and `frame` (hex).
    Jsonl,
}

/// Push parser for a timestamped recording.
#[derive(Debug)]
pub struct RecordingParser {
    format: RecordingFormat,
    line: Vec<u8>,
    /// Set while skipping the rest of an over-long line.
    discarding: bool,
    lines_seen: u64,
    stats: FramingStats,
}

impl RecordingParser {
    /// A parser for `format`.
    pub fn new(format: RecordingFormat) -> Self {
        Self {
            format,
            line: Vec::new(),
            discarding: false,
            lines_seen: 0,
            stats: FramingStats::default(),
        }
    }

    /// Feeds the next chunk; calls `sink` once per complete record, in order.
    pub fn push(&mut self, chunk: &[u8], sink: &mut dyn FnMut(UnixTime, FeedItem)) {
        let mut rest = chunk;
        while !rest.is_empty() {
            match rest.iter().position(|&b| b == b'\n') {
                Some(i) => {
                    let (head, tail) = rest.split_at(i);
                    rest = &tail[1..];
                    if self.discarding {
                        self.discarding = false;
                        continue;
                    }
                    if self.line.is_empty() {
                        // Common case: the whole line is in this chunk; no copy.
                        self.parse_line(head, sink);
                    } else {
                        self.line.extend_from_slice(head);
                        let line = std::mem::take(&mut self.line);
                        self.parse_line(&line, sink);
                        self.line = line;
                        self.line.clear();
                    }
                }
                None => {
                    if !self.discarding {
                        self.line.extend_from_slice(rest);
                        if self.line.len() > MAX_LINE {
                            self.stats.malformed += 1;
                            self.line.clear();
                            self.discarding = true;
                        }
                    }
                    rest = &[];
                }
            }
        }
    }

    /// End of input: a last line without a newline is still a line (files often end so).
    pub fn finish(&mut self, sink: &mut dyn FnMut(UnixTime, FeedItem)) {
        if !self.line.is_empty() && !self.discarding {
            let line = std::mem::take(&mut self.line);
            self.parse_line(&line, sink);
        }
        self.line.clear();
        self.discarding = false;
    }

    /// Counters so far (`malformed` counts bad lines).
    pub fn stats(&self) -> FramingStats {
        self.stats
    }

    fn parse_line(&mut self, raw: &[u8], sink: &mut dyn FnMut(UnixTime, FeedItem)) {
        self.lines_seen += 1;
        let line = raw.trim_ascii();
        if line.is_empty() || line.starts_with(b"#") {
            return;
        }
        let parsed = match self.format {
            RecordingFormat::Csv => {
                // A header line (`timestamp,hex` or similar) is allowed first.
                if self.lines_seen == 1 && line.first().is_some_and(u8::is_ascii_alphabetic) {
                    return;
                }
                parse_csv(line)
            }
            RecordingFormat::Jsonl => parse_jsonl(line),
        };
        match parsed {
            Some((t, Record::Frame(frame))) => {
                self.stats.frames += 1;
                if frame.is_long() {
                    self.stats.long_frames += 1;
                } else {
                    self.stats.short_frames += 1;
                }
                sink(t, FeedItem::ModeS(frame));
            }
            Some((_, Record::ModeAc)) => self.stats.mode_ac += 1,
            Some((_, Record::UnknownType)) => self.stats.unknown_type += 1,
            None => self.stats.malformed += 1,
        }
    }
}

enum Record {
    Frame(ModeSFrame),
    ModeAc,
    UnknownType,
}

fn parse_csv(line: &[u8]) -> Option<(UnixTime, Record)> {
    let comma = line.iter().position(|&b| b == b',')?;
    let t = parse_time(std::str::from_utf8(&line[..comma]).ok()?.trim())?;
    let hex = line[comma + 1..].trim_ascii();
    // Tolerate extra columns after the hex.
    let hex = hex.split(|&b| b == b',').next().unwrap_or(hex).trim_ascii();
    Some((t, parse_record(hex)?))
}

#[derive(Deserialize)]
struct JsonLine<'a> {
    timestamp: f64,
    #[serde(borrow)]
    frame: &'a str,
}

fn parse_jsonl(line: &[u8]) -> Option<(UnixTime, Record)> {
    let l: JsonLine<'_> = serde_json::from_slice(line).ok()?;
    let t = valid_time(l.timestamp)?;
    Some((t, parse_record(l.frame.as_bytes())?))
}

fn parse_time(s: &str) -> Option<UnixTime> {
    valid_time(s.parse::<f64>().ok()?)
}

fn valid_time(t: f64) -> Option<UnixTime> {
    (t.is_finite() && t >= 0.0).then_some(UnixTime(t))
}

/// A hex record: a Beast record without escaping (`1a` type, 6 bytes MLAT ticks, 1 byte
/// signal, the reply), or a bare 7- or 14-byte Mode S reply.
fn parse_record(hex: &[u8]) -> Option<Record> {
    let mut buf = [0u8; 32];
    let bytes = decode_hex(hex, &mut buf)?;
    match bytes {
        // A bare reply. 0x1a cannot start one that matters (it would be DF3, unassigned), and
        // the lengths differ from Beast records anyway.
        b if b.len() == 7 || b.len() == 14 => {
            Some(Record::Frame(ModeSFrame::new(unpad(b), None, None)?))
        }
        [0x1a, kind, rest @ ..] if rest.len() >= 7 => {
            let (ticks, rest) = rest.split_at(6);
            let mlat = ticks.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
            let (signal, reply) = (rest[0], &rest[1..]);
            match (kind, reply.len()) {
                (0x32, 7) | (0x33, 14) => Some(Record::Frame(ModeSFrame::new(
                    reply,
                    Some(mlat),
                    Some(signal),
                )?)),
                (0x31, 2) => Some(Record::ModeAc),
                (0x31..=0x33, _) => None,
                _ => Some(Record::UnknownType),
            }
        }
        _ => None,
    }
}

/// Some recorders (the one behind `full_flight_short.jsonl`, for one) write every reply as
/// 112 bits, padding the 56-bit ones. The first bit of the downlink format tells the real
/// length: DF 0..=15 are 56-bit replies, DF 16..=24 are 112-bit. Keep the real reply, so its
/// parity checks.
fn unpad(frame: &[u8]) -> &[u8] {
    if frame.len() == 14 && frame[0] & 0x80 == 0 {
        &frame[..7]
    } else {
        frame
    }
}

/// Decodes hex digits into `buf`; `None` on an odd count, a bad digit or more than fits.
fn decode_hex<'b>(hex: &[u8], buf: &'b mut [u8; 32]) -> Option<&'b [u8]> {
    if hex.len() % 2 == 1 || hex.len() / 2 > buf.len() {
        return None;
    }
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    let n = hex.len() / 2;
    for (i, pair) in hex.chunks_exact(2).enumerate() {
        buf[i] = (nibble(pair[0])? << 4) | nibble(pair[1])?;
    }
    Some(&buf[..n])
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::unwrap_used)] // tests: a failed expectation is the report
mod tests {
    use super::*;

    fn parse_all(
        format: RecordingFormat,
        input: &[u8],
        chunk: usize,
    ) -> (Vec<(f64, FeedItem)>, FramingStats) {
        let mut p = RecordingParser::new(format);
        let mut out = Vec::new();
        for c in input.chunks(chunk.max(1)) {
            p.push(c, &mut |t, item| out.push((t.secs(), item)));
        }
        p.finish(&mut |t, item| out.push((t.secs(), item)));
        (out, p.stats())
    }

    fn frame(item: &FeedItem) -> &ModeSFrame {
        match item {
            FeedItem::ModeS(f) => f,
            FeedItem::Sbs(_) => panic!("expected a Mode S frame"),
        }
    }

    /// One line of each kind from long_flight.csv: a short and a long Beast record.
    const CSV: &[u8] = b"1698140962.119813,1a32000023b1dda011210000bd6b441a\n\
        1698140962.171425,1a33000023bb50f025903907dbc1b50fca1ad701efd570\n";

    #[test]
    fn csv_beast_records_keep_time_ticks_and_signal() {
        for chunk in [1, 3, 7, 64, 4096] {
            let (items, stats) = parse_all(RecordingFormat::Csv, CSV, chunk);
            assert_eq!(items.len(), 2, "chunk {chunk}");
            assert_eq!(items[0].0, 1698140962.119813);
            let f = frame(&items[0].1);
            assert_eq!(f.data(), [0x21, 0x00, 0x00, 0xbd, 0x6b, 0x44, 0x1a]);
            assert_eq!(f.mlat_ticks, Some(0x0000_23b1_dda0));
            assert_eq!(f.signal, Some(0x11));
            let g = frame(&items[1].1);
            assert!(g.is_long());
            assert_eq!(g.data()[0], 0x90, "DF18");
            assert_eq!(
                (
                    stats.frames,
                    stats.short_frames,
                    stats.long_frames,
                    stats.malformed
                ),
                (2, 1, 1, 0)
            );
        }
    }

    #[test]
    fn csv_counts_bad_lines_and_keeps_going() {
        let input = b"timestamp,hex\n\
            1.5,8d4840d6202cc371c32ce0576098\n\
            nope,8d4840d6202cc371c32ce0576098\n\
            2.0,8d4840d6202cc371c32ce05760\n\
            2.5,zz\n\
            3.0,1a31000023b1dda0110203\n\
            3.5,1a99000023b1dda011210000bd6b44\n\
            \n\
            4.0,02e197b00a7b1c";
        let (items, stats) = parse_all(RecordingFormat::Csv, input, 5);
        assert_eq!(items.iter().map(|i| i.0).collect::<Vec<_>>(), [1.5, 4.0]);
        assert_eq!(stats.malformed, 3);
        assert_eq!(stats.mode_ac, 1);
        assert_eq!(stats.unknown_type, 1);
    }

    #[test]
    fn jsonl_reads_timestamp_and_frame_and_ignores_other_fields() {
        let input = br#"{"timestamp":1720248189.525094,"frame":"8f393322384a02aea63afc43dcba","df":"17","icao24":"393322"}
{"timestamp":1720248190.012853,"frame":"212800bf40f1ef7e5817e9cc428d"}
{"frame":"212800bf40f1ef7e5817e9cc428d"}
not json
"#;
        let (items, stats) = parse_all(RecordingFormat::Jsonl, input, 17);
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].0, 1720248189.525094);
        assert_eq!(frame(&items[1].1).data()[0], 0x21);
        assert_eq!(stats.malformed, 2);
    }

    #[test]
    fn short_replies_padded_to_112_bits_are_unpadded() {
        // From full_flight_short.jsonl: a DF4 reply written as 28 hex digits.
        let input = b"{\"timestamp\":1.0,\"frame\":\"212800bf40f1ef7e5817e9cc428d\"}\n";
        let (items, stats) = parse_all(RecordingFormat::Jsonl, input, 64);
        assert_eq!(
            frame(&items[0].1).data(),
            [0x21, 0x28, 0x00, 0xbf, 0x40, 0xf1, 0xef]
        );
        assert_eq!((stats.short_frames, stats.long_frames), (1, 0));
        // A real long reply (DF17) is kept whole.
        let (items, _) = parse_all(
            RecordingFormat::Csv,
            b"1.0,8d4840d6202cc371c32ce0576098\n",
            64,
        );
        assert!(frame(&items[0].1).is_long());
    }

    #[test]
    fn a_line_without_end_is_dropped_once_too_long() {
        let mut input = b"1.0,".to_vec();
        input.extend(std::iter::repeat_n(b'a', MAX_LINE * 2));
        input.extend_from_slice(b"\n2.0,8d4840d6202cc371c32ce0576098\n");
        let (items, stats) = parse_all(RecordingFormat::Csv, &input, 1000);
        assert_eq!(items.len(), 1);
        assert_eq!(stats.malformed, 1);
    }
}
