"""Caching lookups. The capture nearest a past date does not change, so such answers are kept
forever; answers about "now" (no date, or a date within the indexing lag) and misses are not
cached, since a capture may appear later. Errors are never cached."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict
from pathlib import Path
from typing import Protocol

from linkcheck.archive.files import write_atomic
from linkcheck.models import Snapshot

# New captures take a while to reach the CDX index: a date this close to today is not "past".
INDEXING_LAG = dt.timedelta(days=3)


class SnapshotCache(Protocol):
    """What a lookup cache offers. `get` returns None on a miss."""

    def get(self, url: str, date: dt.date | None) -> Snapshot | None: ...

    def put(self, url: str, date: dt.date | None, snapshot: Snapshot) -> None: ...


def cache_key(url: str, date: dt.date | None) -> str:
    return f"{date.isoformat() if date else 'latest'} {url}"


def is_cacheable(date: dt.date | None, today: dt.date | None = None) -> bool:
    """Whether an answer for `date` stays true: only for dates safely in the past."""
    if date is None:
        return False
    today = today or dt.datetime.now(dt.UTC).date()
    return date <= today - INDEXING_LAG


class MemoryCache:
    """A dict, for one run."""

    def __init__(self) -> None:
        self._entries: dict[str, Snapshot] = {}

    def get(self, url: str, date: dt.date | None) -> Snapshot | None:
        return self._entries.get(cache_key(url, date))

    def put(self, url: str, date: dt.date | None, snapshot: Snapshot) -> None:
        self._entries[cache_key(url, date)] = snapshot

    def __len__(self) -> int:
        return len(self._entries)


class JsonFileCache:
    """A JSON file kept between runs: `{"version": 1, "entries": {key: snapshot}}`, rewritten
    atomically after each put. An unreadable file is treated as empty (it is only a cache)."""

    VERSION = 1

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._entries: dict[str, Snapshot] = {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        if isinstance(data, dict) and data.get("version") == self.VERSION:
            for key, value in dict(data.get("entries", {})).items():
                try:
                    self._entries[str(key)] = Snapshot(**value)
                except TypeError:
                    continue

    def get(self, url: str, date: dt.date | None) -> Snapshot | None:
        return self._entries.get(cache_key(url, date))

    def put(self, url: str, date: dt.date | None, snapshot: Snapshot) -> None:
        self._entries[cache_key(url, date)] = snapshot
        payload = {
            "version": self.VERSION,
            "entries": {key: asdict(value) for key, value in sorted(self._entries.items())},
        }
        write_atomic(self.path, json.dumps(payload, indent=1, ensure_ascii=False) + "\n")

    def __len__(self) -> int:
        return len(self._entries)
