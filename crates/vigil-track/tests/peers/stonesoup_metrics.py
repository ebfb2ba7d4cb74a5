"""OSPA and GOSPA by Stone Soup, the reference for vigil-track's metrics.

Usage: stonesoup_metrics.py POINTS.csv C P

POINTS.csv has a header and rows `time,kind,id,x,y` with kind `track` or `truth`. For every
time with at least one point, prints one JSON line:
{"time": t, "ospa": d, "gospa": d, "localisation": l, "missed": m, "false": f}
Run by tests/stonesoup_peer.rs through $VIGIL_PY; never linked into the product.
"""

import csv
import datetime
import json
import sys
from collections import defaultdict

import numpy as np
from stonesoup.measures import Euclidean
from stonesoup.metricgenerator.ospametric import GOSPAMetric, OSPAMetric
from stonesoup.types.state import State


def main():
    path, c, p = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
    points = defaultdict(lambda: {"track": [], "truth": []})
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            points[float(row["time"])][row["kind"]].append(
                (float(row["x"]), float(row["y"])))
    ospa = OSPAMetric(c=c, p=p, measure=Euclidean())
    gospa = GOSPAMetric(c=c, p=p, measure=Euclidean())
    for t in sorted(points):
        ts = datetime.datetime.fromtimestamp(t, tz=datetime.timezone.utc)
        states = {
            kind: [State(np.array([[x], [y]]), timestamp=ts) for x, y in pts]
            for kind, pts in points[t].items()
        }
        if not states["track"] and not states["truth"]:
            continue
        o = ospa.compute_OSPA_distance(states["track"], states["truth"]).value
        g, _ = gospa.compute_gospa_metric(states["track"], states["truth"])
        print(json.dumps({
            "time": t,
            "ospa": float(o),
            "gospa": float(g.value["distance"]),
            "localisation": float(g.value["localisation"]),
            "missed": float(g.value["missed"]),
            "false": float(g.value["false"]),
        }))


if __name__ == "__main__":
    main()
