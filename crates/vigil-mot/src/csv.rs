//! MOTChallenge CSV: `frame,id,x,y,w,h,conf[,class,visibility,unused]`.
//!
//! Follows `motmetrics` 1.4.0 `io.loadtxt(fmt='mot15-2D')`: fields separated by commas,
//! tabs or spaces; the first seven fields are required; rows with confidence below
//! `min_confidence` (default −1, so every row of a MOTChallenge file) are dropped; box
//! coordinates are kept as written (`motmetrics` subtracts 1 from x and y for the MATLAB
//! convention, which no distance depends on; the IoU here subtracts it too, so that the
//! rounding is the same). Unlike `motmetrics`, an id repeated within a frame is an error
//! (TrackEval refuses it too; the metrics are undefined).

use std::collections::BTreeMap;
use std::path::Path;

use crate::Object;

/// Why a MOT CSV could not be read. Line numbers start at 1.
#[derive(Debug, thiserror::Error)]
pub enum CsvError {
    /// The file could not be read.
    #[error("reading {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Fewer than the seven required fields.
    #[error("line {line}: {found} fields, need at least 7 (frame,id,x,y,w,h,conf)")]
    TooFewFields {
        /// Line number.
        line: usize,
        /// Fields found.
        found: usize,
    },
    /// A field is not a number (or a frame / id not an integer).
    #[error("line {line}: field {field} ({name}) is not a valid number: {text:?}")]
    BadNumber {
        /// Line number.
        line: usize,
        /// Field index, 1-based.
        field: usize,
        /// Field name.
        name: &'static str,
        /// The text.
        text: String,
    },
    /// The same id twice in one frame.
    #[error("line {line}: id {id} appears twice in frame {frame}")]
    DuplicateId {
        /// Line number.
        line: usize,
        /// Frame.
        frame: i64,
        /// Id.
        id: i64,
    },
}

/// A sequence: the objects of every frame, frames in increasing order, objects in file
/// order within a frame.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Sequence {
    /// Frame number to its objects.
    pub frames: BTreeMap<i64, Vec<Object>>,
}

impl Sequence {
    /// An empty sequence.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one object to frame `frame` (no duplicate check; see [`Sequence::parse`]).
    pub fn push(&mut self, frame: i64, obj: Object) {
        self.frames.entry(frame).or_default().push(obj);
    }

    /// The number of objects over all frames.
    pub fn len(&self) -> usize {
        self.frames.values().map(Vec::len).sum()
    }

    /// Whether there are no objects.
    pub fn is_empty(&self) -> bool {
        self.frames.values().all(Vec::is_empty)
    }

    /// Parses MOTChallenge CSV text, dropping rows with confidence below `min_confidence`
    /// (`motmetrics`' default is −1).
    pub fn parse(text: &str, min_confidence: f64) -> Result<Self, CsvError> {
        const NAMES: [&str; 7] = ["frame", "id", "x", "y", "w", "h", "conf"];
        let mut seq = Self::new();
        for (n, raw) in text.lines().enumerate() {
            let line = n + 1;
            let raw = raw.trim();
            if raw.is_empty() {
                continue;
            }
            let fields: Vec<&str> = raw
                .split([',', '\t', ' '])
                .map(str::trim)
                .filter(|f| !f.is_empty())
                .collect();
            if fields.len() < 7 {
                return Err(CsvError::TooFewFields {
                    line,
                    found: fields.len(),
                });
            }
            let mut v = [0.0f64; 7];
            for (k, slot) in v.iter_mut().enumerate() {
                *slot = fields[k]
                    .parse::<f64>()
                    .ok()
                    .filter(|x| !x.is_nan())
                    .ok_or_else(|| CsvError::BadNumber {
                        line,
                        field: k + 1,
                        name: NAMES[k],
                        text: fields[k].to_string(),
                    })?;
            }
            let int = |k: usize| -> Result<i64, CsvError> {
                let x = v[k];
                if x.fract() == 0.0 && x.abs() < 9.0e15 {
                    Ok(x as i64)
                } else {
                    Err(CsvError::BadNumber {
                        line,
                        field: k + 1,
                        name: NAMES[k],
                        text: fields[k].to_string(),
                    })
                }
            };
            let (frame, id) = (int(0)?, int(1)?);
            // `df[df['Confidence'] >= min_confidence]` (a NaN threshold keeps nothing).
            if !matches!(
                v[6].partial_cmp(&min_confidence),
                Some(std::cmp::Ordering::Greater | std::cmp::Ordering::Equal)
            ) {
                continue;
            }
            let objs = seq.frames.entry(frame).or_default();
            if objs.iter().any(|o| o.id == id) {
                return Err(CsvError::DuplicateId { line, frame, id });
            }
            objs.push(Object {
                id,
                x: v[2],
                y: v[3],
                w: v[4],
                h: v[5],
                conf: v[6],
            });
        }
        Ok(seq)
    }

    /// Reads and parses a MOTChallenge CSV file (see [`Sequence::parse`]).
    pub fn read_file(path: &Path, min_confidence: f64) -> Result<Self, CsvError> {
        let text = std::fs::read_to_string(path).map_err(|source| CsvError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text, min_confidence)
    }

    /// Writes the sequence as MOTChallenge CSV (`frame,id,x,y,w,h,conf,-1,-1,-1`), frames in
    /// order. Values use Rust's shortest round-trip formatting, so reading back is exact.
    pub fn to_csv(&self) -> String {
        let mut s = String::new();
        for (frame, objs) in &self.frames {
            for o in objs {
                s.push_str(&format!(
                    "{frame},{},{},{},{},{},{},-1,-1,-1\n",
                    o.id, o.x, o.y, o.w, o.h, o.conf
                ));
            }
        }
        s
    }
}

/// Reads a MOTChallenge CSV file with `motmetrics`' default confidence filter (−1).
pub fn read_file(path: &Path) -> Result<Sequence, CsvError> {
    Sequence::read_file(path, -1.0)
}

/// A sequence of unit boxes at `(x, 0)` from `(frame, id, x)` rows: the unit tests' points on
/// a line.
#[cfg(test)]
pub(crate) fn points_on_a_line(rows: &[(i64, i64, f64)]) -> Sequence {
    let mut s = Sequence::new();
    for &(f, id, x) in rows {
        s.push(
            f,
            Object {
                id,
                x,
                y: 0.0,
                w: 1.0,
                h: 1.0,
                conf: 1.0,
            },
        );
    }
    s
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_filters() {
        let s = Sequence::parse(
            "1,1,10,20,5,6,1,-1,-1,-1\n\n1 2 1 2 3 4 -1\n2,1,1,1,1,1,0.5",
            0.0,
        )
        .unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s.frames[&1][0].x, 10.0);
        assert_eq!(s.frames[&2][0].conf, 0.5);
        assert_eq!(Sequence::parse("1,2,1 2 3 4 -1", -1.0).unwrap().len(), 1);
    }

    #[test]
    fn errors_name_the_line() {
        let e = Sequence::parse("1,1,1,1,1,1,1\n1,1,2", -1.0).unwrap_err();
        assert!(
            matches!(e, CsvError::TooFewFields { line: 2, found: 3 }),
            "{e}"
        );
        let e = Sequence::parse("1,1,1,1,1,1,1\n\n1.5,1,1,1,1,1,1", -1.0).unwrap_err();
        assert!(
            matches!(
                e,
                CsvError::BadNumber {
                    line: 3,
                    field: 1,
                    ..
                }
            ),
            "{e}"
        );
        let e = Sequence::parse("1,1,1,x,1,1,1", -1.0).unwrap_err();
        assert!(
            matches!(
                e,
                CsvError::BadNumber {
                    line: 1,
                    field: 4,
                    ..
                }
            ),
            "{e}"
        );
        let e = Sequence::parse("1,1,1,1,1,1,1\n1,1,1,1,1,1,1", -1.0).unwrap_err();
        assert!(
            matches!(
                e,
                CsvError::DuplicateId {
                    line: 2,
                    frame: 1,
                    id: 1
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn round_trips() {
        let s = Sequence::parse("3,7,1.25,2.5,3.125,4,0.75\n1,2,0.1,0.2,0.3,0.4,1", -1.0).unwrap();
        assert_eq!(Sequence::parse(&s.to_csv(), -1.0).unwrap(), s);
    }
}
