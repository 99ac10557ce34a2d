"""The extractor alone, without the CLI and the claim stage: `extract_source` on one file,
timed in-process. Prints one JSON line: seconds, links, pages.

    bench/.venv/bin/python bench/extract_stages.py FILE

`linkcheck extract` also segments the document into claims and ties each link to one
(linkcheck.claims); the difference between the two timings is that stage plus start-up.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from linkcheck.extract.sources import Source, extract_source


def main() -> None:
    path = Path(sys.argv[1])
    data = path.read_bytes()
    started = time.perf_counter()
    extraction = extract_source(Source(str(path), data))
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "seconds": round(seconds, 3),
                "links": len(extraction.links),
                "pages": len(extraction.pages),
            }
        )
    )


if __name__ == "__main__":
    main()
