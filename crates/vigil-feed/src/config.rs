//! Feed configuration: one `[[feed]]` table per sensor, typed and strict.

use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use vigil_codec::framing::FeedFormat;

use crate::FeedError;

/// One feed (one sensor). The `type` key picks the kind: `file` or `tcp`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum FeedConfig {
    /// Replay of a file: a raw receiver stream or a timestamped recording.
    File(FileFeed),
    /// A TCP client connection to a receiver (readsb, dump1090, ...).
    Tcp(TcpFeed),
}

impl FeedConfig {
    /// The sensor's name, as configured.
    pub fn name(&self) -> &str {
        match self {
            FeedConfig::File(f) => &f.name,
            FeedConfig::Tcp(t) => &t.name,
        }
    }

    /// `"file"` or `"tcp"`.
    pub fn kind(&self) -> &'static str {
        match self {
            FeedConfig::File(_) => "file",
            FeedConfig::Tcp(_) => "tcp",
        }
    }

    /// Checks what can be checked without I/O.
    pub fn validate(&self) -> Result<(), FeedError> {
        let invalid = |reason: String| FeedError::InvalidConfig {
            feed: self.name().to_owned(),
            reason,
        };
        if self.name().trim().is_empty() {
            return Err(invalid("`name` must not be empty".into()));
        }
        match self {
            FeedConfig::File(f) => {
                if f.path.as_os_str().is_empty() {
                    return Err(invalid("`path` must not be empty".into()));
                }
                if let Some(speed) = f.speed {
                    if !(speed.is_finite() && speed > 0.0) {
                        return Err(invalid(format!(
                            "`speed` must be a positive number (1.0 = real time), got {speed}"
                        )));
                    }
                    if !f.format.has_timestamps() {
                        return Err(invalid(format!(
                            "`speed` needs a timestamped recording (format \"csv\" or \"jsonl\"); \
                             a {:?} file has no times to pace by: remove `speed`",
                            f.format
                        )));
                    }
                }
            }
            FeedConfig::Tcp(t) => {
                match t.address.rsplit_once(':') {
                    Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => {}
                    _ => {
                        return Err(invalid(format!(
                            "`address` must be host:port (e.g. \"127.0.0.1:30005\"), got {:?}",
                            t.address
                        )));
                    }
                }
                for (key, v) in [
                    ("stall_timeout_s", t.stall_timeout_s),
                    ("reconnect_initial_s", t.reconnect_initial_s),
                    ("reconnect_max_s", t.reconnect_max_s),
                    ("connect_timeout_s", t.connect_timeout_s),
                ] {
                    if !(v.is_finite() && v > 0.0) {
                        return Err(invalid(format!(
                            "`{key}` must be a positive number of seconds, got {v}"
                        )));
                    }
                }
                if t.reconnect_initial_s > t.reconnect_max_s {
                    return Err(invalid(format!(
                        "`reconnect_initial_s` ({}) must not exceed `reconnect_max_s` ({})",
                        t.reconnect_initial_s, t.reconnect_max_s
                    )));
                }
            }
        }
        Ok(())
    }
}

/// Checks every feed and that names are unique and few enough to index with a `SensorId`.
pub fn validate_all(feeds: &[FeedConfig]) -> Result<(), FeedError> {
    if feeds.len() > usize::from(u16::MAX) {
        return Err(FeedError::InvalidConfig {
            feed: String::new(),
            reason: format!(
                "{} feeds configured; at most {} are supported",
                feeds.len(),
                u16::MAX
            ),
        });
    }
    let mut names = HashSet::new();
    for feed in feeds {
        feed.validate()?;
        if !names.insert(feed.name()) {
            return Err(FeedError::InvalidConfig {
                feed: feed.name().to_owned(),
                reason: "two feeds have this name; each sensor needs its own".into(),
            });
        }
    }
    Ok(())
}

/// A file replay.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FileFeed {
    /// The sensor's name.
    pub name: String,
    /// The file; a relative path is taken from the configuration file's directory.
    pub path: PathBuf,
    /// What the file holds; `auto` guesses from the extension, then the first bytes.
    #[serde(default)]
    pub format: FileFormat,
    /// For timestamped recordings (`csv`, `jsonl`): use the recorded times (`recorded`, the
    /// default: a deterministic replay) or the time each item is read (`receipt`).
    #[serde(default)]
    pub timestamps: Timestamps,
    /// Replay pace for timestamped recordings: 1.0 is real time, 10.0 ten times faster.
    /// Absent: as fast as the pipeline takes it.
    #[serde(default)]
    pub speed: Option<f64>,
}

impl FileFeed {
    /// The file's path, relative paths taken from `base_dir`.
    pub fn resolved_path(&self, base_dir: &Path) -> PathBuf {
        if self.path.is_absolute() {
            self.path.clone()
        } else {
            base_dir.join(&self.path)
        }
    }
}

/// A TCP client feed.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TcpFeed {
    /// The sensor's name.
    pub name: String,
    /// `host:port` of the receiver's output (readsb: Beast 30005, AVR 30002, SBS 30003).
    pub address: String,
    /// What the receiver sends on that port.
    pub format: FeedFormat,
    /// Reconnect when no byte arrived for this many seconds (counted as a stall).
    #[serde(default = "default_stall_timeout_s")]
    pub stall_timeout_s: f64,
    /// First wait before reconnecting; it doubles on each failure up to `reconnect_max_s`,
    /// and starts again from here once a connection has delivered data.
    #[serde(default = "default_reconnect_initial_s")]
    pub reconnect_initial_s: f64,
    /// Longest wait between reconnection attempts.
    #[serde(default = "default_reconnect_max_s")]
    pub reconnect_max_s: f64,
    /// Give up on one connection attempt after this many seconds.
    #[serde(default = "default_connect_timeout_s")]
    pub connect_timeout_s: f64,
}

fn default_stall_timeout_s() -> f64 {
    60.0
}
fn default_reconnect_initial_s() -> f64 {
    0.5
}
fn default_reconnect_max_s() -> f64 {
    30.0
}
fn default_connect_timeout_s() -> f64 {
    10.0
}

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FileFormat {
    /// Guess from the extension, then from the first bytes.
    #[default]
    Auto,
    /// Beast binary, as dump1090 writes it (`.bin`).
    Beast,
    /// AVR raw hex lines.
    Avr,
    /// SBS BaseStation lines.
    Sbs,
    /// `unix_ts,hex` lines, the hex a Beast record (unescaped) or a bare Mode S frame.
    Csv,
    /// JSON lines with `timestamp` and `frame` (hex), like rs1090's `decode1090` output.
    Jsonl,
}

impl FileFormat {
    /// Whether every item of this format carries a recorded time. `Auto` may resolve to one
    /// that does; it counts as timestamped so that `speed` is not rejected before the guess.
    pub fn has_timestamps(self) -> bool {
        matches!(self, FileFormat::Csv | FileFormat::Jsonl | FileFormat::Auto)
    }
}

/// Which time the items of a timestamped recording carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Timestamps {
    /// The time written in the recording.
    #[default]
    Recorded,
    /// The time the item was read, from the injected clock.
    Receipt,
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::unwrap_used)] // tests: a failed expectation is the report
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Wrapper {
        feed: Vec<FeedConfig>,
    }

    fn parse(text: &str) -> Result<Vec<FeedConfig>, String> {
        toml::from_str::<Wrapper>(text)
            .map(|w| w.feed)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn parses_file_and_tcp_feeds_with_defaults() {
        let feeds = parse(
            r#"
            [[feed]]
            type = "file"
            name = "replay"
            path = "long_flight.csv"

            [[feed]]
            type = "tcp"
            name = "roof"
            address = "127.0.0.1:30005"
            format = "beast"
            "#,
        )
        .expect("parses");
        assert_eq!(feeds.len(), 2);
        let FeedConfig::File(f) = &feeds[0] else {
            panic!("file feed")
        };
        assert_eq!(
            (f.format, f.timestamps, f.speed),
            (FileFormat::Auto, Timestamps::Recorded, None)
        );
        let FeedConfig::Tcp(t) = &feeds[1] else {
            panic!("tcp feed")
        };
        assert_eq!(t.format, FeedFormat::Beast);
        assert_eq!(
            (t.stall_timeout_s, t.reconnect_initial_s, t.reconnect_max_s),
            (60.0, 0.5, 30.0)
        );
        validate_all(&feeds).expect("valid");
    }

    #[test]
    fn unknown_fields_and_types_are_rejected_with_their_name() {
        let err = parse("[[feed]]\ntype = \"tcp\"\nname = \"a\"\naddress = \"h:1\"\nformat = \"beast\"\nstall = 3\n")
            .expect_err("unknown field");
        assert!(err.contains("unknown field `stall`"), "{err}");
        let err = parse("[[feed]]\ntype = \"udp\"\nname = \"a\"\n").expect_err("unknown type");
        assert!(err.contains("udp"), "{err}");
        let err = parse(
            "[[feed]]\ntype = \"tcp\"\nname = \"a\"\naddress = \"h:1\"\nformat = \"asterix\"\n",
        )
        .expect_err("unknown format");
        assert!(err.contains("asterix"), "{err}");
    }

    #[test]
    fn validation_says_what_to_change() {
        let check = |text: &str, want: &str| {
            let feeds = parse(text).expect("parses");
            let err = validate_all(&feeds).expect_err("invalid").to_string();
            assert!(err.contains(want), "{err:?} should mention {want:?}");
        };
        check(
            "[[feed]]\ntype = \"tcp\"\nname = \"a\"\naddress = \"localhost\"\nformat = \"avr\"\n",
            "host:port",
        );
        check(
            "[[feed]]\ntype = \"file\"\nname = \"a\"\npath = \"x.bin\"\nformat = \"beast\"\nspeed = 1.0\n",
            "speed",
        );
        check(
            "[[feed]]\ntype = \"file\"\nname = \"a\"\npath = \"x.csv\"\nspeed = 0.0\n",
            "positive",
        );
        check(
            "[[feed]]\ntype = \"tcp\"\nname = \"a\"\naddress = \"h:1\"\nformat = \"avr\"\nreconnect_initial_s = 60.0\n",
            "reconnect_max_s",
        );
        check(
            "[[feed]]\ntype = \"file\"\nname = \"a\"\npath = \"x.csv\"\n[[feed]]\ntype = \"file\"\nname = \"a\"\npath = \"y.csv\"\n",
            "two feeds",
        );
        check(
            "[[feed]]\ntype = \"file\"\nname = \" \"\npath = \"x.csv\"\n",
            "name",
        );
    }
}
