//! Shared harness of the fuzz targets.

use vigil_codec::FeedItem;
use vigil_codec::framing::{self, FeedFormat, FramingStats};

/// Feeds `chunks` to a new framer for `format`, finishes it, and returns what came out.
fn run<'a>(
    format: FeedFormat,
    chunks: impl IntoIterator<Item = &'a [u8]>,
) -> (Vec<FeedItem>, FramingStats) {
    let mut framer = framing::framer(format);
    let mut items = Vec::new();
    for chunk in chunks {
        framer.push(chunk, &mut |item| items.push(item));
    }
    framer.finish();
    (items, framer.stats())
}

/// Fuzzes one framer. The first two input bytes choose a split point in the rest, which is
/// fed whole, in two parts split there, and (when short) one byte at a time: the framer must
/// not panic and must frame all three alike. Its counters must add up.
pub fn split_feed(format: FeedFormat, data: &[u8]) {
    let (cut, stream) = match data {
        [a, b, rest @ ..] => (
            usize::from(u16::from_le_bytes([*a, *b])) % (rest.len() + 1),
            rest,
        ),
        _ => (0, data),
    };
    let whole = run(format, [stream]);
    let (head, tail) = stream.split_at(cut);
    assert_eq!(
        run(format, [head, tail]),
        whole,
        "split at {cut} differs from whole"
    );
    if stream.len() <= 512 {
        assert_eq!(
            run(format, stream.chunks(1)),
            whole,
            "byte-wise differs from whole"
        );
    }
    let (items, stats) = &whole;
    assert_eq!(items.len() as u64, stats.frames);
    if format != FeedFormat::Sbs {
        assert_eq!(stats.frames, stats.short_frames + stats.long_frames);
    }
}
