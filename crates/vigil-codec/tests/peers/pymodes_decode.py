"""Decode Mode S replies (hex, one per line on stdin) with pyModeS; print one JSON per line.

Test oracle only: run by tests/pymodes.rs from the test virtual environment (.venv).
"""
import json
import sys

import pyModeS

for line in sys.stdin:
    h = line.strip()
    try:
        d = pyModeS.decode(h)
    except Exception as e:  # noqa: BLE001 - any failure is reported, not fatal
        d = {"error": type(e).__name__}
    print(json.dumps(d, default=str))
