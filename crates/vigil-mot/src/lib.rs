//! Multi-object tracking metrics.
//!
//! - [`csv`]: MOTChallenge CSV (`frame,id,x,y,w,h,conf,...`) into a [`Sequence`], rows kept
//!   or dropped as `motmetrics` 1.4.0 `io.loadtxt(fmt='mot15-2D')` does.
//! - [`clear`]: CLEAR MOT (MOTA, MOTP, switches, fragmentations, FP, FN, mostly tracked /
//!   lost) and the identity metrics (IDF1, IDP, IDR) exactly as `motmetrics` computes them
//!   (its `MOTAccumulator` event rules and its global ID assignment).
//! - [`hota`](mod@hota): HOTA with DetA, AssA and LocA as TrackEval computes it (19 thresholds
//!   `alpha = 0.05, 0.10, ..., 0.95`, per-frame matching on the global alignment score).
//! - [`lap`]: the minimum-cost rectangular assignment on `f64` costs (the shortest augmenting
//!   path Hungarian method, exact on floats rather than on scaled integers, since MOTP and
//!   HOTA are sums of the matched similarities and the reference values are given to 1e-6).
//!
//! Similarity is either the box IoU (image boxes) or the Euclidean distance between the
//! `(x, y)` points (floor positions in metres), see [`Similarity`].
//!
//! **Architecture invariant:** pure: no I/O except [`csv::read_file`], no clock; the same
//! inputs give the same numbers. Checked against `motmetrics` (and the published TrackEval
//! HOTA) on the TUD sequences (`tests/`).

pub mod clear;
pub mod csv;
pub mod hota;
pub mod lap;
#[cfg(feature = "peer")]
pub mod peer;

pub use clear::{ClearMot, clear_mot};
pub use csv::{CsvError, Sequence};
pub use hota::{Hota, hota};

/// One object (ground truth) or hypothesis (tracker output) in one frame.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Object {
    /// Track id.
    pub id: i64,
    /// Box left (or the point's x for [`Similarity::Euclidean`]).
    pub x: f64,
    /// Box top (or the point's y).
    pub y: f64,
    /// Box width (unused for points).
    pub w: f64,
    /// Box height (unused for points).
    pub h: f64,
    /// Confidence column as read.
    pub conf: f64,
}

/// How objects and hypotheses are compared.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Similarity {
    /// Boxes: CLEAR/ID distance `1 - IoU`, pairs farther than `max_distance` (0.5 in the
    /// MOTChallenge convention: IoU at least 0.5) cannot match; HOTA similarity is the IoU.
    Iou {
        /// Largest `1 - IoU` that can match.
        max_distance: f64,
    },
    /// Points `(x, y)`: CLEAR/ID distance is the Euclidean distance, pairs farther than
    /// `max_distance` cannot match (`motmetrics` `'euc'`); HOTA similarity is
    /// `max(0, 1 - d / max_distance)` (TrackEval's Euclidean similarity with its zero
    /// distance).
    Euclidean {
        /// Distance (same unit as x, y) beyond which pairs cannot match.
        max_distance: f64,
    },
}

impl Similarity {
    /// The MOTChallenge image convention: IoU at least 0.5.
    pub const IOU_05: Self = Self::Iou { max_distance: 0.5 };
}

/// Every metric of one sequence.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Scores {
    /// CLEAR MOT and identity metrics.
    pub clear: ClearMot,
    /// HOTA and its parts.
    pub hota: Hota,
}

/// Scores `ts` (tracker output) against `gt` (ground truth).
pub fn score(gt: &Sequence, ts: &Sequence, sim: Similarity) -> Scores {
    Scores {
        clear: clear_mot(gt, ts, sim),
        hota: hota(gt, ts, sim),
    }
}
