"""Peer scores for vigil-mot's cross-check tests (run as a separate process).

    python score.py motmetrics GT.txt TEST.txt [--euclidean TH]   (needs motmetrics 1.4.0)
    python score.py trackeval  GT.txt TEST.txt                    (needs trackeval 1.3.0)

Prints one JSON object of metrics. motmetrics: `io.loadtxt(fmt='mot15-2D')` and
`utils.compare_to_groundtruth(gt, ts, 'iou', distth=0.5)` (or 'euc' on X, Y), then every
metric of `metrics.motchallenge_metrics` plus the counts. trackeval: the MotChallenge2DBox
dataset (benchmark MOT15, so no preprocessing) in a temporary folder, HOTA averaged over alpha.
"""
import json
import os
import sys
import tempfile
import time


def run_motmetrics(gt_path, ts_path, euclidean):
    import motmetrics as mm

    t0 = time.perf_counter()
    gt = mm.io.loadtxt(gt_path, fmt="mot15-2D")
    ts = mm.io.loadtxt(ts_path, fmt="mot15-2D")
    if euclidean is None:
        acc = mm.utils.compare_to_groundtruth(gt, ts, "iou", distth=0.5)
    else:
        acc = mm.utils.compare_to_groundtruth(
            gt, ts, "euc", distfields=["X", "Y"], distth=euclidean
        )
    names = [
        "num_frames", "num_objects", "num_predictions", "num_unique_objects",
        "num_matches", "num_switches", "num_detections", "num_false_positives",
        "num_misses", "num_fragmentations", "num_transfer", "num_ascend", "num_migrate",
        "mostly_tracked", "partially_tracked", "mostly_lost", "mota", "motp", "precision",
        "recall", "idtp", "idfp", "idfn", "idp", "idr", "idf1",
    ]
    summary = mm.metrics.create().compute(acc, metrics=names, name="seq")
    elapsed = time.perf_counter() - t0
    out = {n: float(summary[n].iloc[0]) for n in names}
    out["seconds"] = elapsed
    return out


def run_trackeval(gt_path, ts_path):
    import numpy as np
    import trackeval

    def max_frame(path):
        m = 0
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line:
                    m = max(m, int(float(line.replace("\t", ",").replace(" ", ",").split(",")[0])))
        return m

    n = max(max_frame(gt_path), max_frame(ts_path))
    with tempfile.TemporaryDirectory() as d:
        seq = "SEQ"
        os.makedirs(os.path.join(d, "gt", seq, "gt"))
        os.makedirs(os.path.join(d, "trackers", "vigil", "data"))
        with open(gt_path) as src, open(os.path.join(d, "gt", seq, "gt", "gt.txt"), "w") as dst:
            dst.write(src.read())
        with open(ts_path) as src, open(os.path.join(d, "trackers", "vigil", "data", seq + ".txt"), "w") as dst:
            dst.write(src.read())
        eval_config = trackeval.Evaluator.get_default_eval_config()
        eval_config.update({"USE_PARALLEL": False, "PRINT_RESULTS": False, "PRINT_CONFIG": False,
                            "OUTPUT_SUMMARY": False, "OUTPUT_DETAILED": False, "PLOT_CURVES": False,
                            "PRINT_ONLY_COMBINED": False, "TIME_PROGRESS": False,
                            "OUTPUT_EMPTY_CLASSES": False, "DISPLAY_LESS_PROGRESS": True})
        ds_config = trackeval.datasets.MotChallenge2DBox.get_default_dataset_config()
        ds_config.update({"GT_FOLDER": os.path.join(d, "gt"), "TRACKERS_FOLDER": os.path.join(d, "trackers"),
                          "BENCHMARK": "MOT15", "SKIP_SPLIT_FOL": True, "SEQ_INFO": {seq: n},
                          "PRINT_CONFIG": False, "TRACKERS_TO_EVAL": ["vigil"]})
        evaluator = trackeval.Evaluator(eval_config)
        dataset = trackeval.datasets.MotChallenge2DBox(ds_config)
        metric = trackeval.metrics.HOTA({"PRINT_CONFIG": False, "THRESHOLD": 0.5})
        import contextlib, io
        with contextlib.redirect_stdout(io.StringIO()):
            res, _ = evaluator.evaluate([dataset], [metric])
    h = res["MotChallenge2DBox"]["vigil"][seq]["pedestrian"]["HOTA"]
    keys = {"HOTA": "hota", "DetA": "det_a", "AssA": "ass_a", "DetRe": "det_re",
            "DetPr": "det_pr", "AssRe": "ass_re", "AssPr": "ass_pr", "LocA": "loc_a"}
    out = {v: float(np.mean(h[k])) for k, v in keys.items()}
    out["hota_per_alpha"] = [float(x) for x in h["HOTA"]]
    return out


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    mode, gt_path, ts_path = sys.argv[1:4]
    euclidean = None
    if "--euclidean" in sys.argv:
        euclidean = float(sys.argv[sys.argv.index("--euclidean") + 1])
    if mode == "motmetrics":
        out = run_motmetrics(gt_path, ts_path, euclidean)
    elif mode == "trackeval":
        out = run_trackeval(gt_path, ts_path)
    else:
        sys.exit("unknown mode " + mode)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
