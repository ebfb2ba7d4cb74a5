//! TCP client feeds: connect, read, reconnect with backoff, detect stalls.

use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio::time::Duration;

use crate::TcpFeed;
use crate::emit::{Emitter, Stop};
use crate::format::{StreamDecoder, StreamFormat};
use crate::stats::SensorState;

/// Read buffer size; receivers send a few kB per second, so reads are much smaller.
const CHUNK: usize = 16 * 1024;

/// Reconnection delays: `initial`, doubling on each failure up to `max`, back to `initial`
/// after a successful connection (one that delivered data: a receiver that accepts and
/// closes at once, e.g. at its client limit, is not up, and keeps backing off). No jitter: delays are deterministic, so the behaviour can
/// be tested and reasoned about; one process has few feeds, so there is no herd to spread.
#[derive(Debug, Clone)]
pub struct Backoff {
    initial: Duration,
    max: Duration,
    next: Duration,
}

impl Backoff {
    /// Delays from `initial` doubling up to `max`.
    pub fn new(initial: Duration, max: Duration) -> Self {
        let initial = initial.min(max);
        Self {
            initial,
            max,
            next: initial,
        }
    }

    /// The delay to wait now; the one after it doubles.
    pub fn next_delay(&mut self) -> Duration {
        let d = self.next;
        self.next = self.next.saturating_mul(2).min(self.max);
        d
    }

    /// A connection succeeded: start again from the initial delay.
    pub fn reset(&mut self) {
        self.next = self.initial;
    }
}

/// Why a connection ended.
enum Ended {
    Closed,
    Stalled,
    Error(std::io::Error),
}

/// Connects and reads until shutdown, reconnecting as long as it takes.
pub(crate) async fn run(feed: TcpFeed, mut out: Emitter) {
    let mut backoff = Backoff::new(
        Duration::from_secs_f64(feed.reconnect_initial_s),
        Duration::from_secs_f64(feed.reconnect_max_s),
    );
    let stall = Duration::from_secs_f64(feed.stall_timeout_s);
    let connect_timeout = Duration::from_secs_f64(feed.connect_timeout_s);
    let format = StreamFormat::Raw(feed.format);
    let mut buf = vec![0u8; CHUNK];
    // Log "connected" at info on the first connection and on recovery from failed attempts;
    // a receiver that keeps closing its connections would otherwise fill the log.
    let mut announce = true;
    loop {
        out.set_state(SensorState::Connecting);
        let attempt = tokio::select! {
            biased;
            _ = out.cancel.cancelled() => break,
            r = tokio::time::timeout(connect_timeout, TcpStream::connect(&feed.address)) => r,
        };
        let stream = match attempt {
            Ok(Ok(stream)) => Some(stream),
            Ok(Err(e)) => {
                announce = true;
                connect_failed(&mut out, &feed, &backoff, e.to_string());
                None
            }
            Err(_) => {
                announce = true;
                connect_failed(
                    &mut out,
                    &feed,
                    &backoff,
                    format!("no answer within {connect_timeout:?}"),
                );
                None
            }
        };
        if let Some(stream) = stream {
            // Receivers send small records continuously; do not let Nagle batch our (rare)
            // writes. Failing to set it changes nothing for a read-only client.
            let _ = stream.set_nodelay(true);
            out.stats.update(|s| s.connects += 1);
            out.set_state(SensorState::Receiving);
            if std::mem::take(&mut announce) {
                tracing::info!(sensor = %feed.name, address = %feed.address, format = %format, "connected to receiver");
            } else {
                tracing::debug!(sensor = %feed.name, address = %feed.address, "reconnected to receiver");
            }
            let bytes_before = out.stats.snapshot().bytes;
            let mut decoder = StreamDecoder::new(format);
            let ended = read_connection(stream, &mut decoder, &mut buf, stall, &mut out).await;
            decoder.finish(&mut out.sink());
            out.close_framing(decoder.stats());
            if out.flush().await.is_err() {
                break;
            }
            let ended = match ended {
                Ok(ended) => ended,
                Err(Stop) => break,
            };
            if out.stats.snapshot().bytes > bytes_before {
                backoff.reset();
            }
            out.stats.update(|s| {
                s.disconnects += 1;
                if matches!(ended, Ended::Stalled) {
                    s.stalls += 1;
                }
            });
            let (kind, message) = match &ended {
                Ended::Closed => ("closed", "receiver closed the connection".to_owned()),
                Ended::Stalled => (
                    "stalled",
                    format!(
                        "no data for {} s (stall_timeout_s): reconnecting",
                        feed.stall_timeout_s
                    ),
                ),
                Ended::Error(e) => ("read", format!("read error: {e}")),
            };
            let retry_in = backoff.clone().next_delay();
            if out.error(kind, message.clone()) {
                tracing::warn!(sensor = %feed.name, address = %feed.address, retry_in_s = retry_in.as_secs_f64(), "{message}; will reconnect");
            } else {
                tracing::debug!(sensor = %feed.name, address = %feed.address, retry_in_s = retry_in.as_secs_f64(), "{message}; will reconnect");
            }
        }
        out.set_state(SensorState::Backoff);
        if out.sleep(backoff.next_delay()).await.is_err() {
            break;
        }
    }
    out.set_state(SensorState::Stopped);
    tracing::debug!(sensor = %feed.name, "tcp feed stopped");
}

fn connect_failed(out: &mut Emitter, feed: &TcpFeed, backoff: &Backoff, error: String) {
    out.stats.update(|s| s.connect_failures += 1);
    let retry_in = backoff.clone().next_delay().as_secs_f64();
    let message = format!("cannot connect to {}: {error}", feed.address);
    if out.error("connect", message) {
        tracing::warn!(
            sensor = %feed.name,
            address = %feed.address,
            error = %error,
            retry_in_s = retry_in,
            backoff = format!("{} s doubling to {} s", feed.reconnect_initial_s, feed.reconnect_max_s),
            "cannot connect to receiver; will keep retrying with backoff (is it running, and \
             is the port right? readsb: Beast 30005, AVR 30002, SBS 30003)"
        );
    } else {
        tracing::debug!(sensor = %feed.name, address = %feed.address, error = %error, retry_in_s = retry_in, "connect failed again");
    }
}

async fn read_connection(
    mut stream: TcpStream,
    decoder: &mut StreamDecoder,
    buf: &mut [u8],
    stall: Duration,
    out: &mut Emitter,
) -> Result<Ended, Stop> {
    loop {
        let read = tokio::select! {
            biased;
            _ = out.cancel.cancelled() => return Err(Stop),
            r = tokio::time::timeout(stall, stream.read(buf)) => r,
        };
        match read {
            Err(_) => return Ok(Ended::Stalled),
            Ok(Ok(0)) => return Ok(Ended::Closed),
            Ok(Ok(n)) => {
                out.got_bytes(n);
                decoder.push(&buf[..n], &mut out.sink());
                out.framing(decoder.stats());
                out.flush().await?;
            }
            Ok(Err(e)) => return Ok(Ended::Error(e)),
        }
    }
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::unwrap_used)] // tests: a failed expectation is the report
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_the_cap_and_resets() {
        let mut b = Backoff::new(Duration::from_millis(500), Duration::from_secs(30));
        let secs: Vec<f64> = (0..9).map(|_| b.next_delay().as_secs_f64()).collect();
        assert_eq!(secs, [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]);
        b.reset();
        assert_eq!(b.next_delay(), Duration::from_millis(500));
    }

    #[test]
    fn backoff_initial_above_max_is_capped() {
        let mut b = Backoff::new(Duration::from_secs(60), Duration::from_secs(30));
        assert_eq!(b.next_delay(), Duration::from_secs(30));
    }
}
