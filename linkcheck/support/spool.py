"""Live page texts kept for the drift check, on disk rather than in memory.

The drift check runs after the archive lookups, so the text of every page that failed one of
its claims must wait until then: at 10,000 links that was most of a run's memory (over 500 MB
of text). Here each text is compressed and appended to an anonymous temporary file, and only
its offset and length stay in memory.
"""

from __future__ import annotations

import tempfile
import zlib
from typing import IO


class TextSpool:
    """Texts by key, written once and read back (a few times at most); the file disappears when
    the spool is closed (`contextlib.closing`), or with the process."""

    def __init__(self) -> None:
        self._file: IO[bytes] | None = None
        self._where: dict[str, tuple[int, int]] = {}

    def __contains__(self, key: object) -> bool:
        return key in self._where

    def __len__(self) -> int:
        return len(self._where)

    def put(self, key: str, text: str) -> None:
        if self._file is None:
            # Closed by close(); unlinked at once, so it goes with the process in any case.
            self._file = tempfile.TemporaryFile(prefix="linkcheck-texts-")  # noqa: SIM115
        data = zlib.compress(text.encode("utf-8", "surrogatepass"), 1)
        self._file.seek(0, 2)
        self._where[key] = (self._file.tell(), len(data))
        self._file.write(data)

    def get(self, key: str) -> str | None:
        place = self._where.get(key)
        if place is None or self._file is None:
            return None
        offset, length = place
        self._file.seek(offset)
        return zlib.decompress(self._file.read(length)).decode("utf-8", "surrogatepass")

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        self._where.clear()
