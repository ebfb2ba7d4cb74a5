//! Fuzzes the MOTChallenge CSV reader and the metrics behind it: any text must parse or give
//! an error naming its line, never panic; what parses writes back to text that parses to the
//! same sequence; and scoring it (against itself and against its first half, with box IoU and
//! floor distance) never panics, whatever the numbers (infinite, huge, negative sizes).

#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_mot::csv::Sequence;
use vigil_mot::{Similarity, score};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Ok(seq) = Sequence::parse(&text, f64::NEG_INFINITY) else {
        return;
    };
    let again = Sequence::parse(&seq.to_csv(), f64::NEG_INFINITY).expect("own output parses");
    assert_eq!(again, seq);
    // Large sequences make the global ID matching slow, not wrong: keep runs fast.
    if seq.len() > 200 {
        return;
    }
    let half = Sequence {
        frames: seq
            .frames
            .iter()
            .take(seq.frames.len() / 2 + 1)
            .map(|(k, v)| (*k, v.clone()))
            .collect(),
    };
    for sim in [
        Similarity::IOU_05,
        Similarity::Euclidean { max_distance: 2.0 },
    ] {
        let _ = score(&seq, &seq, sim);
        let _ = score(&seq, &half, sim);
    }
});
