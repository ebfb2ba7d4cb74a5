//! Resolving a file's format, and one decoder type over raw streams and recordings.

use std::path::Path;
use vigil_codec::FeedItem;
use vigil_codec::framing::{self, FeedFormat, Framer, FramingStats};
use vigil_core::UnixTime;

use crate::config::FileFormat;
use crate::recording::{RecordingFormat, RecordingParser};

/// A concrete stream format: a receiver's raw output or a timestamped recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StreamFormat {
    /// Beast, AVR or SBS as a receiver sends it; items have no recorded time.
    Raw(FeedFormat),
    /// A recording whose items carry the time they were received.
    Recording(RecordingFormat),
}

impl StreamFormat {
    /// Whether items come with a recorded time.
    pub fn has_timestamps(self) -> bool {
        matches!(self, StreamFormat::Recording(_))
    }

    /// Lower-case name, as in configuration files.
    pub fn name(self) -> &'static str {
        match self {
            StreamFormat::Raw(FeedFormat::Beast) => "beast",
            StreamFormat::Raw(FeedFormat::Avr) => "avr",
            StreamFormat::Raw(FeedFormat::Sbs) => "sbs",
            StreamFormat::Recording(RecordingFormat::Csv) => "csv",
            StreamFormat::Recording(RecordingFormat::Jsonl) => "jsonl",
        }
    }
}

impl std::fmt::Display for StreamFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The concrete format of `format` for a file at `path` starting with `head` (its first few
/// hundred bytes). `Auto` looks at the extension first, then at the bytes. `None` when
/// neither tells.
pub fn resolve_format(format: FileFormat, path: &Path, head: &[u8]) -> Option<StreamFormat> {
    Some(match format {
        FileFormat::Beast => StreamFormat::Raw(FeedFormat::Beast),
        FileFormat::Avr => StreamFormat::Raw(FeedFormat::Avr),
        FileFormat::Sbs => StreamFormat::Raw(FeedFormat::Sbs),
        FileFormat::Csv => StreamFormat::Recording(RecordingFormat::Csv),
        FileFormat::Jsonl => StreamFormat::Recording(RecordingFormat::Jsonl),
        FileFormat::Auto => return by_extension(path).or_else(|| sniff(head)),
    })
}

fn by_extension(path: &Path) -> Option<StreamFormat> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    Some(match ext.as_str() {
        "bin" | "beast" => StreamFormat::Raw(FeedFormat::Beast),
        "avr" => StreamFormat::Raw(FeedFormat::Avr),
        "sbs" => StreamFormat::Raw(FeedFormat::Sbs),
        "csv" => StreamFormat::Recording(RecordingFormat::Csv),
        "jsonl" | "ndjson" => StreamFormat::Recording(RecordingFormat::Jsonl),
        _ => return None,
    })
}

/// Guesses from the first bytes of a stream.
pub fn sniff(head: &[u8]) -> Option<StreamFormat> {
    if head.first() == Some(&0x1a) {
        return Some(StreamFormat::Raw(FeedFormat::Beast));
    }
    let text = head.trim_ascii_start();
    let first_line = text.split(|&b| b == b'\n').next().unwrap_or(text);
    match first_line.first()? {
        b'*' | b'@' | b'%' | b'<' | b':' => Some(StreamFormat::Raw(FeedFormat::Avr)),
        b'{' => Some(StreamFormat::Recording(RecordingFormat::Jsonl)),
        b'0'..=b'9' if first_line.contains(&b',') => {
            Some(StreamFormat::Recording(RecordingFormat::Csv))
        }
        _ if [&b"MSG,"[..], b"SEL,", b"ID,", b"AIR,", b"STA,", b"CLK,"]
            .iter()
            .any(|p| first_line.starts_with(p)) =>
        {
            Some(StreamFormat::Raw(FeedFormat::Sbs))
        }
        _ => None,
    }
}

/// One push decoder over any [`StreamFormat`]: the codec's framers for raw streams, the
/// recording parser for recordings.
pub enum StreamDecoder {
    /// A raw receiver stream.
    Raw(Box<dyn Framer>),
    /// A timestamped recording.
    Recording(RecordingParser),
}

impl std::fmt::Debug for StreamDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StreamDecoder::Raw(_) => f.write_str("StreamDecoder::Raw"),
            StreamDecoder::Recording(p) => {
                f.debug_tuple("StreamDecoder::Recording").field(p).finish()
            }
        }
    }
}

impl StreamDecoder {
    /// A fresh decoder for `format`.
    pub fn new(format: StreamFormat) -> Self {
        match format {
            StreamFormat::Raw(f) => StreamDecoder::Raw(framing::framer(f)),
            StreamFormat::Recording(f) => StreamDecoder::Recording(RecordingParser::new(f)),
        }
    }

    /// Feeds the next chunk; `sink` gets each item with its recorded time, if any.
    pub fn push(&mut self, chunk: &[u8], sink: &mut dyn FnMut(Option<UnixTime>, FeedItem)) {
        match self {
            StreamDecoder::Raw(f) => f.push(chunk, &mut |item| sink(None, item)),
            StreamDecoder::Recording(p) => p.push(chunk, &mut |t, item| sink(Some(t), item)),
        }
    }

    /// End of the stream.
    pub fn finish(&mut self, sink: &mut dyn FnMut(Option<UnixTime>, FeedItem)) {
        match self {
            StreamDecoder::Raw(f) => f.finish(),
            StreamDecoder::Recording(p) => p.finish(&mut |t, item| sink(Some(t), item)),
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> FramingStats {
        match self {
            StreamDecoder::Raw(f) => f.stats(),
            StreamDecoder::Recording(p) => p.stats(),
        }
    }
}

/// `a + b`, field by field (per-connection framers are summed into a sensor's totals).
pub fn add_stats(a: FramingStats, b: FramingStats) -> FramingStats {
    FramingStats {
        frames: a.frames + b.frames,
        short_frames: a.short_frames + b.short_frames,
        long_frames: a.long_frames + b.long_frames,
        mode_ac: a.mode_ac + b.mode_ac,
        skipped_bytes: a.skipped_bytes + b.skipped_bytes,
        bad_escape: a.bad_escape + b.bad_escape,
        unknown_type: a.unknown_type + b.unknown_type,
        malformed: a.malformed + b.malformed,
        truncated: a.truncated + b.truncated,
    }
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::unwrap_used)] // tests: a failed expectation is the report
mod tests {
    use super::*;

    #[test]
    fn sniffs_each_format_from_its_first_bytes() {
        let check = |head: &[u8], want: Option<&str>| {
            assert_eq!(
                sniff(head).map(StreamFormat::name),
                want,
                "{:?}",
                String::from_utf8_lossy(head)
            );
        };
        check(b"\x1a\x32\x00\x00", Some("beast"));
        check(b"*8d4840d6202cc371c32ce0576098;\n", Some("avr"));
        check(b"@0000000000008d4840d6202cc371c32ce0576098;\n", Some("avr"));
        check(b"MSG,3,1,1,4840D6,1,2024/01/01,...", Some("sbs"));
        check(b"{\"timestamp\":1.0,\"frame\":\"00\"}\n", Some("jsonl"));
        check(
            b"1698140962.119813,1a32000023b1dda011210000bd6b441a\n",
            Some("csv"),
        );
        check(b"hello world", None);
        check(b"", None);
    }

    #[test]
    fn extension_wins_over_content_and_explicit_format_wins_over_both() {
        let p = Path::new("x/long_flight.csv");
        assert_eq!(
            resolve_format(FileFormat::Auto, p, b"\x1a").map(StreamFormat::name),
            Some("csv")
        );
        assert_eq!(
            resolve_format(FileFormat::Beast, p, b"").map(StreamFormat::name),
            Some("beast")
        );
        let q = Path::new("capture.txt");
        assert_eq!(
            resolve_format(FileFormat::Auto, q, b"*8d;").map(StreamFormat::name),
            Some("avr")
        );
    }
}
