//! Evaluation on real trajectories: 20 minutes of the `quickstart` traffic over Paris, seen by
//! simulated ADS-B and three radars, with one aircraft switching its transponder off halfway.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{pick_silent, rms, run, truth};
use vigil_track::metrics::{gospa, ospa};

const START_OFFSET: f64 = 5_400.0;
const DURATION: f64 = 1_200.0;
const OSPA_C: f64 = 5_000.0;

#[test]
fn tracker_beats_raw_measurements_and_keeps_the_silent_aircraft() {
    let Some(truth) = truth() else { return };
    let t0 = truth
        .iter()
        .filter_map(|t| t.span())
        .map(|s| s.0)
        .fold(f64::INFINITY, f64::min)
        .floor();
    let start = t0 + START_OFFSET;
    let silent = pick_silent(&truth, start, start + DURATION);
    let off_at = start + DURATION / 2.0;
    let out = run(&truth, start, DURATION, Some((silent, off_at)), 10.0, 60.0);

    // Position accuracy: GOSPA's localisation part over assigned pairs is the mean squared
    // horizontal error of the tracks that match a truth.
    let (mut loc, mut pairs, mut ospa_sum, mut gospa_sum, mut missed, mut false_tracks) =
        (0.0, 0usize, 0.0, 0.0, 0.0, 0.0);
    for s in &out.snapshots {
        let est: Vec<_> = s.tracks.iter().map(|t| t.1).collect();
        let tru: Vec<_> = s.truths.iter().map(|t| t.1).collect();
        let g = gospa(&est, &tru, OSPA_C, 2.0);
        loc += g.localisation;
        pairs += g.assigned;
        missed += g.missed / (OSPA_C * OSPA_C / 2.0);
        false_tracks += g.false_tracks / (OSPA_C * OSPA_C / 2.0);
        gospa_sum += g.distance;
        ospa_sum += ospa(&est, &tru, OSPA_C, 2.0);
    }
    let n = out.snapshots.len() as f64;
    let track_rms = (loc / pairs as f64).sqrt();
    let raw_rms = rms(&out.adsb_errors);
    let stats = out.tracker.stats();
    eprintln!(
        "evaluation: {} snapshots, {} truth-track pairs; track RMS {:.1} m vs raw ADS-B RMS \
         {:.1} m; mean OSPA(c={OSPA_C}, p=2) {:.1} m; mean GOSPA {:.1}; missed {:.2} and \
         false {:.2} per snapshot; {} observations, {} updates, {} tracks initiated, {} \
         confirmed, {} live at the end; rejected {:?}",
        out.snapshots.len(),
        pairs,
        track_rms,
        raw_rms,
        ospa_sum / n,
        gospa_sum / n,
        missed / n,
        false_tracks / n,
        stats.observations,
        stats.updates,
        stats.initiated,
        stats.confirmed,
        out.tracker.len(),
        stats.rejected,
    );
    assert!(
        track_rms < 0.6 * raw_rms,
        "track RMS {track_rms} m not well below raw {raw_rms} m"
    );
    // Nearly every aircraft tracked, few false tracks.
    assert!(missed / n < 1.0, "missed per snapshot {}", missed / n);
    assert!(
        false_tracks / n < 1.0,
        "false tracks per snapshot {}",
        false_tracks / n
    );

    // The silent aircraft: one track number from before the switch-off to the end, flagged
    // "transponder lost" once primary plots alone feed it, and still close to the truth.
    let before: Vec<_> = out.silent_track.iter().filter(|s| s.0 < off_at).collect();
    let after: Vec<_> = out
        .silent_track
        .iter()
        .filter(|s| s.0 > off_at + 60.0)
        .collect();
    let id = before
        .last()
        .and_then(|s| s.1)
        .expect("silent aircraft tracked before");
    for s in &after {
        assert_eq!(
            s.1,
            Some(id),
            "track number changed at {}: {s:?}",
            s.0 - off_at
        );
        assert!(s.2, "not flagged transponder lost at +{} s", s.0 - off_at);
        assert!(
            s.3 < 1_500.0,
            "silent track {} m off at +{} s",
            s.3,
            s.0 - off_at
        );
    }
    let errors: Vec<f64> = after.iter().map(|s| s.3).collect();
    eprintln!(
        "silent aircraft {silent}: track {:?} kept for {} snapshots after switch-off, primary-only \
         RMS error {:.0} m",
        id,
        after.len(),
        rms(&errors)
    );
}
