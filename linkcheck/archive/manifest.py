"""The resumable archive manifest: one record per URL, rewritten atomically after every link,
so a rerun skips what is done and a crash keeps what was learned.

JSON: `{"version": 1, "records": [{url, claim, archive_url, capture_time, source, outcome,
reason, updated_at}, ...]}`; `export_csv` writes the same columns. Only URLs, claim text and
the archive's answers go in: never keys or request headers."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from linkcheck.archive.files import write_atomic
from linkcheck.archive.values import SaveOutcome, SaveStatus, iso_of
from linkcheck.models import Snapshot

DONE_OUTCOMES = frozenset({SaveStatus.SAVED.value, SaveStatus.RECENT.value})


class ManifestError(ValueError):
    """The manifest file exists but cannot be read: a run-level problem, reported once."""


@dataclass(frozen=True)
class ManifestRecord:
    url: str
    claim: str | None
    archive_url: str | None
    capture_time: str | None  # ISO 8601 UTC, e.g. "2024-05-01T10:20:30Z"
    source: str | None  # "wayback", "save-page-now", "timetravel"
    outcome: str  # a SaveStatus value
    updated_at: str  # ISO 8601 UTC
    reason: str | None = None

    @property
    def done(self) -> bool:
        return self.outcome in DONE_OUTCOMES

    def snapshot(self) -> Snapshot | None:
        if not self.archive_url or not self.capture_time:
            return None
        moment = dt.datetime.fromisoformat(self.capture_time.replace("Z", "+00:00"))
        return Snapshot(
            url=self.archive_url,
            timestamp=moment.strftime("%Y%m%d%H%M%S"),
            source=self.source or "wayback",
        )

    def outcome_value(self) -> SaveOutcome:
        """The record as this run's outcome for the link, marked as resumed."""
        return SaveOutcome(
            self.url,
            SaveStatus(self.outcome),
            snapshot=self.snapshot(),
            reason=self.reason,
            resumed=True,
        )


COLUMNS = tuple(field.name for field in fields(ManifestRecord))


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Manifest:
    """Records by URL, in first-seen order, backed by a JSON file."""

    VERSION = 1

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._records: dict[str, ManifestRecord] = {}
        if self.path.exists():
            self._load()

    def _load(self) -> None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if not isinstance(data, dict) or data.get("version") != self.VERSION:
                raise ManifestError(f"{self.path}: not a version-{self.VERSION} manifest")
            for entry in data.get("records", []):
                record = ManifestRecord(**{name: entry.get(name) for name in COLUMNS})
                SaveStatus(record.outcome)  # an unknown outcome makes the file suspect
                self._records[record.url] = record
        except (OSError, ValueError, TypeError, AttributeError) as error:
            if isinstance(error, ManifestError):
                raise
            raise ManifestError(f"{self.path}: unreadable manifest ({error})") from None

    def get(self, url: str) -> ManifestRecord | None:
        return self._records.get(url)

    def is_done(self, url: str) -> bool:
        record = self._records.get(url)
        return record is not None and record.done

    def records(self) -> list[ManifestRecord]:
        return list(self._records.values())

    def __len__(self) -> int:
        return len(self._records)

    def put(self, record: ManifestRecord) -> None:
        """Add or replace the record for its URL and write the file (atomically)."""
        self._records[record.url] = record
        self.save()

    def record_outcome(self, outcome: SaveOutcome, claim: str | None = None) -> ManifestRecord:
        """Store what archiving `outcome.url` came to. A failure after an earlier success keeps
        the earlier capture (a capture that exists stays the best answer)."""
        previous = self._records.get(outcome.url)
        if previous is not None and previous.done and not outcome.done:
            return previous
        snapshot = outcome.snapshot
        record = ManifestRecord(
            url=outcome.url,
            claim=claim if claim is not None else (previous.claim if previous else None),
            archive_url=snapshot.url if snapshot else None,
            capture_time=iso_of(snapshot.timestamp) if snapshot else None,
            source=snapshot.source if snapshot else None,
            outcome=outcome.status.value,
            updated_at=_now(),
            reason=outcome.reason,
        )
        self.put(record)
        return record

    def to_json(self) -> str:
        payload = {
            "version": self.VERSION,
            "records": [asdict(record) for record in self._records.values()],
        }
        return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"

    def save(self) -> None:
        write_atomic(self.path, self.to_json())

    def to_csv(self) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(COLUMNS)
        for record in self._records.values():
            row = asdict(record)
            writer.writerow(["" if row[name] is None else row[name] for name in COLUMNS])
        return buffer.getvalue()

    def export_csv(self, path: Path | str) -> None:
        write_atomic(Path(path), self.to_csv())
