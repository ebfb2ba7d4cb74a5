"""Decode a file of raw ASTERIX data blocks with the CroatiaControl `asterix_decoder`
package and print one JSON object per record on stdout.

Used by `tests/oracle_asterix_decoder.rs` as an independent decoder. The package is GPL, so
it runs only as this separate process (from a virtual environment); Vigil never links it.

Usage: python asterix_decoder.py BLOCKS_FILE
Exit status 3 (with a message on stderr) when the package is not installed.
"""

import json
import sys

try:
    import asterix
except ImportError as e:  # the Rust test turns this into a SKIP
    print(f"asterix_decoder is not installed: {e}", file=sys.stderr)
    sys.exit(3)


def main() -> None:
    with open(sys.argv[1], "rb") as f:
        data = f.read()
    version = getattr(getattr(asterix, "version", None), "__version__", "?")
    print(f"asterix_decoder {version}", file=sys.stderr)
    for rec in asterix.parse(data, verbose=False):
        # Receive time and checksum are the parser's own; only the decoded items matter.
        for key in ("ts", "crc", "hexdata"):
            rec.pop(key, None)
        print(json.dumps(rec, sort_keys=True))


if __name__ == "__main__":
    main()
