//! Reciprocity figures: counts and volumes sent and received per link, kind and UTC day.

use std::collections::BTreeMap;
use std::fmt;

use vigil_core::UnixTime;

use crate::entry::{Direction, Entry};

/// A UTC calendar day, as days since 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UtcDay(pub i64);

impl UtcDay {
    /// The UTC day of a time.
    pub fn of(t: UnixTime) -> Self {
        // `as` saturates (and maps NaN to 0): a time that far out cannot be in a ledger.
        UtcDay((t.secs() / 86_400.0).floor() as i64)
    }

    /// (year, month 1-12, day 1-31), proleptic Gregorian (H. Hinnant's civil_from_days).
    pub fn ymd(self) -> (i64, u32, u32) {
        let z = self.0 + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let y = yoe + era * 400 + i64::from(m <= 2);
        (y, m, d)
    }
}

impl fmt::Display for UtcDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

/// A number of messages and their payload bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Volume {
    /// Messages.
    pub count: u64,
    /// Payload bytes.
    pub bytes: u64,
}

impl Volume {
    fn add(&mut self, bytes: u64) {
        self.count += 1;
        self.bytes += bytes;
    }
}

/// One line of the reciprocity report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReciprocityRow {
    /// The link.
    pub link: String,
    /// The UTC day.
    pub day: UtcDay,
    /// The message kind.
    pub kind: String,
    /// What this centre sent.
    pub sent: Volume,
    /// What this centre received.
    pub received: Volume,
}

/// Counts and volumes sent and received, per link, UTC day and kind, in that order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Reciprocity {
    /// The rows, sorted by (link, day, kind).
    pub rows: Vec<ReciprocityRow>,
}

impl Reciprocity {
    /// The report over some entries (of any links).
    pub fn from_entries<'a>(entries: impl IntoIterator<Item = &'a Entry>) -> Self {
        let mut acc: BTreeMap<(&str, UtcDay, &str), (Volume, Volume)> = BTreeMap::new();
        for e in entries {
            let v = acc
                .entry((e.link.as_str(), UtcDay::of(e.time), e.kind.as_str()))
                .or_default();
            match e.direction {
                Direction::Sent => v.0.add(e.payload_len),
                Direction::Received => v.1.add(e.payload_len),
            }
        }
        let rows = acc
            .into_iter()
            .map(|((link, day, kind), (sent, received))| ReciprocityRow {
                link: link.to_owned(),
                day,
                kind: kind.to_owned(),
                sent,
                received,
            })
            .collect();
        Reciprocity { rows }
    }

    /// Merges another report in (rows of other links).
    pub fn extend(&mut self, other: Reciprocity) {
        self.rows.extend(other.rows);
        self.rows
            .sort_by(|a, b| (&a.link, a.day, &a.kind).cmp(&(&b.link, b.day, &b.kind)));
    }

    /// (sent, received) totals of one link.
    pub fn totals(&self, link: &str) -> (Volume, Volume) {
        let mut t = (Volume::default(), Volume::default());
        for r in self.rows.iter().filter(|r| r.link == link) {
            t.0.count += r.sent.count;
            t.0.bytes += r.sent.bytes;
            t.1.count += r.received.count;
            t.1.bytes += r.received.bytes;
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_days() {
        let check = |secs: f64, expected: &str| {
            assert_eq!(UtcDay::of(UnixTime(secs)).to_string(), expected, "{secs}")
        };
        check(0.0, "1970-01-01");
        check(-0.5, "1969-12-31");
        check(951_782_400.0, "2000-02-29");
        check(1_772_409_599.999, "2026-03-01");
        check(1_772_409_600.0, "2026-03-02");
        check(4_107_542_400.0, "2100-03-01");
    }
}
