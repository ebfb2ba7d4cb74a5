"""Stone Soup's multi-target tracker on vigil-track's simulated observations: the baseline.

Usage: stonesoup_tracker.py DETECTIONS.csv EVAL_START EVAL_STEP EVAL_END OUT_TRACKS.csv

DETECTIONS.csv has a header and rows `scan,end,time,x,y,vxx,vxy,vyy`: one row per observation,
as a horizontal position in the tracking frame (metres) with its covariance (m²), grouped in
scans (one per sensor batch, in processing order, `end` the batch's end time). Radar plots were converted from range and
azimuth to positions by vigil-track, at the reported altitude (3,000 m when there is none);
identities and reported velocities are withheld (Stone Soup's tracker does not use them).

The tracker is Stone Soup's own MultiTargetTracker: a Kalman filter with a nearly-constant-
velocity model, a Mahalanobis distance hypothesiser, global nearest neighbour (2-D
assignment), a multi-measurement (3 updates) initiator and a time-since-update deleter.

Before processing the first scan at or after each evaluation time (EVAL_START + k EVAL_STEP
< EVAL_END), every track is predicted to that time and written to OUT_TRACKS.csv as
`time,kind,id,x,y` (kind `track`). Prints one JSON line: {"tracking_s": wall time spent in
the tracker, "scans": n, "detections": n}.
Run by tests/baseline.rs through $VIGIL_PY; never linked into the product.
"""

import csv
import datetime
import json
import sys
import time as clock
from collections import defaultdict

import numpy as np
from stonesoup.dataassociator.neighbour import GNNWith2DAssignment
from stonesoup.deleter.time import UpdateTimeDeleter
from stonesoup.hypothesiser.distance import DistanceHypothesiser
from stonesoup.initiator.simple import MultiMeasurementInitiator
from stonesoup.measures import Mahalanobis
from stonesoup.models.measurement.linear import LinearGaussian
from stonesoup.models.transition.linear import (
    CombinedLinearGaussianTransitionModel, ConstantVelocity)
from stonesoup.predictor.kalman import KalmanPredictor
from stonesoup.tracker.simple import MultiTargetTracker
from stonesoup.types.detection import Detection
from stonesoup.types.state import GaussianState
from stonesoup.updater.kalman import KalmanUpdater

# Process noise of the nearly-constant-velocity model, m²/s³ per axis: airliners turn at up
# to 3°/s at 250 m/s, about 13 m/s² of lateral acceleration.
Q = 5.0
GATE = 4.0  # Mahalanobis distance beyond which a detection is not a candidate
DELETE_AFTER_S = 20.0
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def ts(t):
    return EPOCH + datetime.timedelta(seconds=t)


def main():
    path, start, step, end, out_path = sys.argv[1:6]
    start, step, end = float(start), float(step), float(end)
    scans = defaultdict(list)
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            scans[int(row["scan"])].append(row)

    default_model = LinearGaussian(ndim_state=4, mapping=(0, 2), noise_covar=np.eye(2) * 1e4)
    transition = CombinedLinearGaussianTransitionModel(
        [ConstantVelocity(Q), ConstantVelocity(Q)])
    predictor = KalmanPredictor(transition)
    updater = KalmanUpdater(default_model)
    hypothesiser = DistanceHypothesiser(predictor, updater, measure=Mahalanobis(),
                                        missed_distance=GATE)
    associator = GNNWith2DAssignment(hypothesiser)
    initiator = MultiMeasurementInitiator(
        prior_state=GaussianState(np.zeros((4, 1)), np.diag([0.0, 300.0**2, 0.0, 300.0**2])),
        measurement_model=default_model,
        deleter=UpdateTimeDeleter(datetime.timedelta(seconds=6)),
        data_associator=GNNWith2DAssignment(hypothesiser),
        updater=updater,
        min_points=3,
    )
    deleter = UpdateTimeDeleter(datetime.timedelta(seconds=DELETE_AFTER_S))
    tracker = MultiTargetTracker(initiator=initiator, deleter=deleter, detector=None,
                                 data_associator=associator, updater=updater)

    # Detections built before timing: parsing is not tracking.
    prepared = []
    for k in sorted(scans):
        rows = scans[k]
        detections = set()
        latest = float(rows[0]["end"])
        for r in rows:
            t = float(r["time"])
            cov = np.array([[float(r["vxx"]), float(r["vxy"])],
                            [float(r["vxy"]), float(r["vyy"])]])
            model = LinearGaussian(ndim_state=4, mapping=(0, 2), noise_covar=cov)
            detections.add(Detection(np.array([[float(r["x"])], [float(r["y"])]]),
                                     timestamp=ts(t), measurement_model=model))
        prepared.append((latest, detections))

    out = open(out_path, "w", newline="")
    out.write("time,kind,id,x,y\n")
    ids = {}
    next_eval = start
    spent = 0.0
    n_det = 0
    for latest, detections in prepared:
        while next_eval <= latest and next_eval < end:
            for track in tracker.tracks:
                p = predictor.predict(track.state, timestamp=ts(next_eval))
                tid = ids.setdefault(id(track), len(ids))
                out.write(f"{next_eval!r},track,{tid},{float(p.state_vector[0, 0])!r},"
                          f"{float(p.state_vector[2, 0])!r}\n")
            next_eval += step
        t0 = clock.perf_counter()
        tracker.update_tracker(ts(latest), detections)
        spent += clock.perf_counter() - t0
        n_det += len(detections)
    out.close()
    print(json.dumps({"tracking_s": spent, "scans": len(prepared), "detections": n_det}))


if __name__ == "__main__":
    main()
