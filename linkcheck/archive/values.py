"""The values the archive stage hands back. Per-link problems are values, never exceptions."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum

from linkcheck.models import Snapshot

RATE_LIMIT_STOP_MESSAGE = "archive rate limit: stopped to avoid a ban"


@dataclass(frozen=True)
class LookupProblem:
    """Why no answer could be had for one link. `stopped` means the run's rate-limit circuit
    breaker is open: no request was (or will be) sent for this link."""

    url: str
    reason: str  # "rate-limit-stopped", "rate-limited", "network", "archive-error",
    # "bad-response", "excluded", "archive-url", "unsupported-scheme", "invalid-url"
    detail: str = ""
    stopped: bool = False


LookupResult = Snapshot | LookupProblem | None


class SaveStatus(StrEnum):
    SAVED = "saved"
    RECENT = "recent-capture-exists"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class SaveOutcome:
    """What archiving one link came to."""

    url: str
    status: SaveStatus
    snapshot: Snapshot | None = None
    reason: str | None = None  # SPN2 status_ext ("error:...") or a short code, for failed/skipped
    retryable: bool = False  # a later run may succeed (rate limits, overload, timeouts)
    message: str | None = None  # the archive's own message, e.g. that a recent capture was reused
    resumed: bool = False  # taken from the manifest of an earlier run: no request was made

    @property
    def done(self) -> bool:
        return self.status in (SaveStatus.SAVED, SaveStatus.RECENT)


@dataclass(frozen=True)
class ArchiveItem:
    """A link to archive, with the claim it supports (for the manifest) and, when the caller
    already looked it up, its latest capture (spares the pre-save lookup)."""

    url: str
    claim: str | None = None
    latest: Snapshot | None = None


_TIMESTAMP = re.compile(r"\d{14}")


def timestamp_of(moment: dt.datetime) -> str:
    """A 14-digit UTC timestamp, as the Wayback Machine writes them."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
    return moment.strftime("%Y%m%d%H%M%S")


def pad_timestamp(timestamp: str) -> str:
    """A 1-14 digit timestamp padded to 14 digits at the start of its period."""
    digits = timestamp[:14]
    lower = "00000101000000"
    return digits + lower[len(digits) :]


def datetime_of(timestamp: str) -> dt.datetime:
    """The UTC moment of a (possibly partial) Wayback timestamp. Raises ValueError."""
    padded = pad_timestamp(timestamp)
    if not _TIMESTAMP.fullmatch(padded):
        raise ValueError(f"not a timestamp: {timestamp!r}")
    return dt.datetime.strptime(padded, "%Y%m%d%H%M%S").replace(tzinfo=dt.UTC)


def iso_of(timestamp: str) -> str:
    """ "20220601123000" -> "2022-06-01T12:30:00Z" (Robust Links and the manifest use this)."""
    return datetime_of(timestamp).strftime("%Y-%m-%dT%H:%M:%SZ")


def is_recent(snapshot: Snapshot, window: dt.timedelta, now: dt.datetime) -> bool:
    """Whether `snapshot` was captured within `window` before `now`."""
    try:
        return now - datetime_of(snapshot.timestamp) <= window
    except ValueError:
        return False
