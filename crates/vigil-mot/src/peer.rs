//! Test support (feature `peer`): the Python peers as separate processes.
//!
//! `tests/py/score.py` runs `motmetrics` 1.4.0 (environment `VIGIL_PY_MOT`, default
//! `<workspace>/.venv-mot/bin/python`) or TrackEval 1.3.0 (`VIGIL_PY_TRACKEVAL`, default
//! `<workspace>/.venv-trackeval/bin/python`; two environments because motmetrics 1.4.0 needs
//! `numpy<2` and TrackEval 1.3.0 on Python 3.11 needs `numpy>=2.3`). A missing peer makes the
//! caller skip with a message, except under CI (`CI=true`), where it is an error so that CI
//! cannot silently skip the cross-check.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A Python peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peer {
    /// `motmetrics` 1.4.0.
    Motmetrics,
    /// TrackEval 1.3.0 (`trackeval` on PyPI).
    TrackEval,
}

impl Peer {
    fn env_var(self) -> &'static str {
        match self {
            Peer::Motmetrics => "VIGIL_PY_MOT",
            Peer::TrackEval => "VIGIL_PY_TRACKEVAL",
        }
    }
    fn venv(self) -> &'static str {
        match self {
            Peer::Motmetrics => ".venv-mot",
            Peer::TrackEval => ".venv-trackeval",
        }
    }
    fn mode(self) -> &'static str {
        match self {
            Peer::Motmetrics => "motmetrics",
            Peer::TrackEval => "trackeval",
        }
    }
}

/// Why a peer could not give its scores.
#[derive(Debug, thiserror::Error)]
pub enum PeerError {
    /// No interpreter with the peer (skip locally; fail under CI).
    #[error("{0}")]
    Missing(String),
    /// The peer ran and failed, or printed something unreadable.
    #[error("{0}")]
    Failed(String),
}

/// The script's path.
pub fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/py/score.py")
}

/// Whether tests run under CI, where a missing peer must fail.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// The interpreter for `peer`, if it exists.
pub fn python(peer: Peer) -> Result<PathBuf, PeerError> {
    let py = match std::env::var_os(peer.env_var()) {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(peer.venv())
            .join("bin/python"),
    };
    // Only the interpreter's presence is checked here (importing the peer costs seconds);
    // a missing module is recognised from the script's error in [`scores`].
    if py.is_file() {
        Ok(py)
    } else {
        Err(PeerError::Missing(format!(
            "{} peer not available: no {} (set {} or create {}; see .ci/run)",
            peer.mode(),
            py.display(),
            peer.env_var(),
            peer.venv()
        )))
    }
}

/// Runs `score.py` with `peer` on the two files and returns its JSON.
pub fn scores(
    peer: Peer,
    gt: &Path,
    ts: &Path,
    euclidean: Option<f64>,
) -> Result<serde_json::Value, PeerError> {
    let py = python(peer)?;
    let mut cmd = Command::new(py);
    cmd.arg(script()).arg(peer.mode()).arg(gt).arg(ts);
    if let Some(th) = euclidean {
        cmd.arg("--euclidean").arg(th.to_string());
    }
    let out = cmd
        .output()
        .map_err(|e| PeerError::Failed(format!("running score.py: {e}")))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        if stderr.contains("ModuleNotFoundError") {
            return Err(PeerError::Missing(format!(
                "{} peer not installed in {}: {}",
                peer.mode(),
                peer.venv(),
                stderr.lines().last().unwrap_or_default()
            )));
        }
        return Err(PeerError::Failed(format!(
            "score.py {} failed: {}",
            peer.mode(),
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    serde_json::from_slice(&out.stdout)
        .map_err(|e| PeerError::Failed(format!("score.py output: {e}")))
}

/// For tests: the peer's scores, or `None` after printing a SKIP notice when the peer is
/// missing outside CI. Panics (fails the test) when the peer fails, or is missing under CI.
#[allow(clippy::panic)]
pub fn scores_or_skip(
    peer: Peer,
    gt: &Path,
    ts: &Path,
    euclidean: Option<f64>,
) -> Option<serde_json::Value> {
    match scores(peer, gt, ts, euclidean) {
        Ok(v) => Some(v),
        Err(PeerError::Missing(m)) if !in_ci() => {
            eprintln!("SKIP: {m}");
            None
        }
        Err(e) => panic!("peer {peer:?}: {e}"),
    }
}
