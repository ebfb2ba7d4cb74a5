"""SIAP metrics by Stone Soup, the reference for vigil-track's `siap` module.

Usage: stonesoup_siap.py PATHS.csv THRESHOLD [CONFIRM MISSES]

PATHS.csv has a header and rows `time,kind,id,x,y` (kind `track` or `truth`, time in
seconds). Tracks and truths are associated by Stone Soup's TrackToTruth (Euclidean distance
below THRESHOLD for CONFIRM consecutive steps, ended after MISSES; defaults 3 and 2) and
scored by SIAPMetrics. Prints one JSON object with the time-range figures.
Run by tests/stonesoup_peer.rs through $VIGIL_PY; never linked into the product.
"""

import csv
import datetime
import json
import sys
from collections import defaultdict

import numpy as np
from stonesoup.dataassociator.tracktotrack import TrackToTruth
from stonesoup.measures import Euclidean
from stonesoup.metricgenerator.manager import MultiManager
from stonesoup.metricgenerator.tracktotruthmetrics import SIAPMetrics
from stonesoup.types.groundtruth import GroundTruthPath, GroundTruthState
from stonesoup.types.state import State
from stonesoup.types.track import Track


def load(path):
    rows = defaultdict(list)
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            rows[(row["kind"], row["id"])].append(
                (float(row["time"]), float(row["x"]), float(row["y"])))
    tracks, truths = [], []
    for (kind, _), pts in sorted(rows.items()):
        pts.sort(key=lambda p: p[0])
        ts = [datetime.datetime.fromtimestamp(t, tz=datetime.timezone.utc) for t, _, _ in pts]
        if kind == "track":
            tracks.append(Track([State(np.array([[x], [y]]), timestamp=s)
                                 for s, (_, x, y) in zip(ts, pts)]))
        else:
            truths.append(GroundTruthPath([GroundTruthState(np.array([[x], [y]]), timestamp=s)
                                           for s, (_, x, y) in zip(ts, pts)]))
    return tracks, truths


def main():
    path, threshold = sys.argv[1], float(sys.argv[2])
    confirm = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    misses = int(sys.argv[4]) if len(sys.argv) > 4 else 2
    tracks, truths = load(path)
    measure = Euclidean(mapping=[0, 1])
    siap = SIAPMetrics(position_measure=measure, velocity_measure=measure)
    associator = TrackToTruth(association_threshold=threshold,
                              consec_pairs_confirm=confirm, consec_misses_end=misses)
    manager = MultiManager([siap], associator)
    manager.add_data({"tracks": set(tracks), "groundtruth_paths": set(truths)})
    metrics = manager.generate_metrics()["siap_generator"]
    value = lambda title: float(metrics[title].value)
    print(json.dumps({
        "completeness": value("SIAP Completeness"),
        "ambiguity": value("SIAP Ambiguity"),
        "spuriousness": value("SIAP Spuriousness"),
        "positional_accuracy": value("SIAP Position Accuracy"),
        "track_number_change_rate": value("SIAP Rate of Track Number Change"),
        "longest_track_segment": value("SIAP Longest Track Segment"),
        "associations": len(manager.association_set),
    }))


if __name__ == "__main__":
    main()
