//! File replay.

use std::path::PathBuf;
use tokio::io::AsyncReadExt;

use crate::FileFeed;
use crate::emit::{Emitter, Stop};
use crate::format::{StreamDecoder, StreamFormat};
use crate::stats::SensorState;

/// Read size. Large enough that a 10 MB recording is a few hundred reads, small enough that
/// a batch is a few thousand items.
const CHUNK: usize = 64 * 1024;

/// Reads the file to its end (or until shutdown), sending what it frames.
pub(crate) async fn run(feed: FileFeed, path: PathBuf, format: StreamFormat, mut out: Emitter) {
    let shown = path.display().to_string();
    out.set_state(SensorState::Connecting);
    let mut file = match tokio::fs::File::open(&path).await {
        Ok(f) => f,
        Err(e) => {
            tracing::error!(sensor = %feed.name, path = %shown, error = %e, "cannot open feed file");
            out.error("open", format!("cannot open {shown}: {e}"));
            out.set_state(SensorState::Failed);
            return;
        }
    };
    out.stats.update(|s| s.connects += 1);
    out.set_state(SensorState::Receiving);
    tracing::info!(sensor = %feed.name, path = %shown, %format, speed = ?feed.speed, "replaying file");

    let mut decoder = StreamDecoder::new(format);
    let mut buf = vec![0u8; CHUNK];
    let state = loop {
        let read = tokio::select! {
            biased;
            _ = out.cancel.cancelled() => break SensorState::Stopped,
            r = file.read(&mut buf) => r,
        };
        match read {
            Ok(0) => {
                decoder.finish(&mut out.sink());
                out.framing(decoder.stats());
                if out.flush().await.is_err() {
                    break SensorState::Stopped;
                }
                break SensorState::Finished;
            }
            Ok(n) => {
                out.got_bytes(n);
                decoder.push(&buf[..n], &mut out.sink());
                out.framing(decoder.stats());
                if let Err(Stop) = out.flush().await {
                    break SensorState::Stopped;
                }
            }
            Err(e) => {
                tracing::error!(sensor = %feed.name, path = %shown, error = %e, "error reading feed file; stopping this feed");
                out.error("read", format!("error reading {shown}: {e}"));
                break SensorState::Failed;
            }
        }
    };
    out.set_state(state);
    let stats = out.stats.snapshot();
    tracing::info!(
        sensor = %feed.name,
        state = ?state,
        bytes = stats.bytes,
        items = stats.items,
        frames = stats.framing.frames,
        errors = stats.framing.errors(),
        "file feed done"
    );
}
