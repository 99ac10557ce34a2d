"""Web archives: find the snapshot nearest a document's date, capture links with Save Page
Now, keep a resumable manifest, write WARCs, and produce Robust Links output.

Nothing here keeps global state: the httpx client, the config (endpoints, limits, keys), the
run's limiter, the cache and the manifest are all passed in. See docs/ARCHIVE.md.

The names below load on first use: reading a run's configuration (ArchiveConfig) must not
import the HTTP stack."""

from __future__ import annotations

from typing import TYPE_CHECKING

from linkcheck.lazy import lazy_exports

if TYPE_CHECKING:
    from linkcheck.archive.cache import JsonFileCache, MemoryCache, SnapshotCache
    from linkcheck.archive.config import ArchiveConfig, keys_from_env, parse_duration
    from linkcheck.archive.manifest import Manifest, ManifestError, ManifestRecord
    from linkcheck.archive.memento import timetravel_snapshot
    from linkcheck.archive.ratelimit import ArchiveLimiter
    from linkcheck.archive.robust import (
        SnapshotRow,
        robustify_html,
        robustify_markdown,
        rows_from_links,
        snapshot_table_html,
        snapshot_table_markdown,
    )
    from linkcheck.archive.runner import (
        archive_links,
        items_from_links,
        lacks_recent_capture,
        lookup_requests,
        lookup_snapshots,
        with_snapshots,
    )
    from linkcheck.archive.save import save_page
    from linkcheck.archive.services import is_archive_url, is_weak_archive
    from linkcheck.archive.values import (
        RATE_LIMIT_STOP_MESSAGE,
        ArchiveItem,
        LookupProblem,
        LookupResult,
        SaveOutcome,
        SaveStatus,
    )
    from linkcheck.archive.warc import WarcRecorder
    from linkcheck.archive.wayback import availability_hint, closest_snapshot, latest_snapshot

__all__ = [
    "RATE_LIMIT_STOP_MESSAGE",
    "ArchiveConfig",
    "ArchiveItem",
    "ArchiveLimiter",
    "JsonFileCache",
    "LookupProblem",
    "LookupResult",
    "Manifest",
    "ManifestError",
    "ManifestRecord",
    "MemoryCache",
    "SaveOutcome",
    "SaveStatus",
    "SnapshotCache",
    "SnapshotRow",
    "WarcRecorder",
    "archive_links",
    "availability_hint",
    "closest_snapshot",
    "is_archive_url",
    "is_weak_archive",
    "items_from_links",
    "keys_from_env",
    "lacks_recent_capture",
    "latest_snapshot",
    "lookup_requests",
    "lookup_snapshots",
    "parse_duration",
    "robustify_html",
    "robustify_markdown",
    "rows_from_links",
    "save_page",
    "snapshot_table_html",
    "snapshot_table_markdown",
    "timetravel_snapshot",
    "with_snapshots",
]

__getattr__ = lazy_exports(
    __name__,
    {
        "linkcheck.archive.cache": {"JsonFileCache", "MemoryCache", "SnapshotCache"},
        "linkcheck.archive.config": {"ArchiveConfig", "keys_from_env", "parse_duration"},
        "linkcheck.archive.manifest": {"Manifest", "ManifestError", "ManifestRecord"},
        "linkcheck.archive.memento": {"timetravel_snapshot"},
        "linkcheck.archive.ratelimit": {"ArchiveLimiter"},
        "linkcheck.archive.robust": {
            "SnapshotRow",
            "robustify_html",
            "robustify_markdown",
            "rows_from_links",
            "snapshot_table_html",
            "snapshot_table_markdown",
        },
        "linkcheck.archive.runner": {
            "archive_links",
            "items_from_links",
            "lacks_recent_capture",
            "lookup_requests",
            "lookup_snapshots",
            "with_snapshots",
        },
        "linkcheck.archive.save": {"save_page"},
        "linkcheck.archive.services": {"is_archive_url", "is_weak_archive"},
        "linkcheck.archive.values": {
            "RATE_LIMIT_STOP_MESSAGE",
            "ArchiveItem",
            "LookupProblem",
            "LookupResult",
            "SaveOutcome",
            "SaveStatus",
        },
        "linkcheck.archive.warc": {"WarcRecorder"},
        "linkcheck.archive.wayback": {"availability_hint", "closest_snapshot", "latest_snapshot"},
    },
)
