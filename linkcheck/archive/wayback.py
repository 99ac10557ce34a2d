"""Finding the Wayback capture nearest a document's date.

CDX is the source of truth (the Availability API has false negatives and scheme-dependent
answers); Availability is offered only as a cheap hint. The rule is IABot's: the latest good
capture at or before the date, else the earliest one after it; with no date, the latest."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from dataclasses import dataclass

import httpx

from linkcheck.archive.config import ArchiveConfig
from linkcheck.archive.ratelimit import ArchiveLimiter
from linkcheck.archive.services import parse_wayback_path, replay_url, strip_fragment
from linkcheck.archive.transport import Failure, Reply, send
from linkcheck.archive.values import LookupProblem, LookupResult, datetime_of, timestamp_of
from linkcheck.models import Snapshot

log = logging.getLogger("linkcheck.archive")

CDX_FIELDS = ("timestamp", "original", "statuscode", "digest", "mimetype")
GOOD_STATUSES = frozenset({200, 203, 206})  # what IABot accepts as a usable capture
STATUS_FILTER = "statuscode:(200|203|206)"


@dataclass(frozen=True)
class CdxRow:
    timestamp: str
    original: str
    statuscode: int | None
    digest: str | None
    mimetype: str | None

    @property
    def usable(self) -> bool:
        # A revisit row without a resolved status points at a payload we have not seen; an
        # error-status capture is not a copy of the cited page.
        return self.statuscode in GOOD_STATUSES


def parse_cdx_json(text: str) -> list[CdxRow]:
    """CDX `output=json`: a header row of field names, then one row per capture; `[]` when
    there are none. Raises ValueError when the text is not that shape."""
    data = json.loads(text) if text.strip() else []
    if not isinstance(data, list):
        raise ValueError("CDX answer is not a JSON array")
    rows = [row for row in data if row]  # showResumeKey adds an empty row
    if not rows:
        return []
    header = rows[0]
    if not isinstance(header, list) or "timestamp" not in header or "original" not in header:
        raise ValueError("CDX answer has no field-name row")
    index = {name: position for position, name in enumerate(header)}
    result: list[CdxRow] = []
    for row in rows[1:]:
        if not isinstance(row, list) or len(row) != len(header):
            continue  # a resume key, or a truncated line

        def field(name: str, row: list[object] = row) -> str | None:
            position = index.get(name)
            value = row[position] if position is not None else None
            return None if value in (None, "", "-") else str(value)

        timestamp = field("timestamp") or ""
        if not re.fullmatch(r"\d{14}", timestamp):
            continue
        status_text = field("statuscode")
        result.append(
            CdxRow(
                timestamp=timestamp,
                original=field("original") or "",
                statuscode=int(status_text) if status_text and status_text.isdigit() else None,
                digest=field("digest"),
                mimetype=field("mimetype"),
            )
        )
    return result


async def cdx_query(
    url: str,
    client: httpx.AsyncClient,
    config: ArchiveConfig,
    limiter: ArchiveLimiter,
    *,
    from_ts: str | None = None,
    to_ts: str | None = None,
    limit: int | None = None,
) -> list[CdxRow] | LookupProblem | None:
    """Good captures of `url` (exact match), in timestamp order. None when the archive has no
    record of the URL (404); a problem when it could not say."""
    params: list[tuple[str, str]] = [
        ("url", strip_fragment(url)),
        ("output", "json"),
        ("fl", ",".join(CDX_FIELDS)),
        ("filter", STATUS_FILTER),
    ]
    if from_ts:
        params.append(("from", from_ts))
    if to_ts:
        params.append(("to", to_ts))
    if limit is not None:
        bounded = bool(from_ts or to_ts)
        if limit < 0 and bounded:
            # limit=-1 implies fastLatest, whose handling of from/to is undocumented ("some
            # number of latest results"): ask for at least the last two, the documented way.
            limit = min(limit, -2)
        params.append(("limit", str(limit)))
        if limit < 0 and not bounded:
            params.append(("fastLatest", "true"))  # a negative limit is slow without it
    answer = await send(
        client, limiter, "lookup", "GET", f"{config.wayback_base}/cdx/search/cdx", params=params
    )
    if isinstance(answer, Failure):
        return LookupProblem(url, answer.reason, answer.detail, stopped=answer.stopped)
    if answer.status == 404:
        return None
    if answer.status == 403:
        # Excluded on the site owner's request, or blocked by robots: nothing will be replayed.
        return LookupProblem(url, "excluded", _first_line(answer))
    if answer.status != 200:
        return LookupProblem(url, "archive-error", f"CDX answered HTTP {answer.status}")
    try:
        rows = parse_cdx_json(answer.text())
    except ValueError as error:
        return LookupProblem(url, "bad-response", f"CDX answer unreadable: {error}")
    # The server should have filtered already; an older server (or a fast path) may not have.
    low = (from_ts or "").ljust(14, "0")
    high = (to_ts or "").ljust(14, "9")
    kept = (row for row in rows if row.usable and low <= row.timestamp <= high)
    return sorted(kept, key=lambda row: row.timestamp)


def _first_line(reply: Reply) -> str:
    line = reply.text().strip().splitlines()[0] if reply.body.strip() else ""
    return f"HTTP {reply.status}" + (f": {line[:160]}" if line else "")


def snapshot_of(row: CdxRow, config: ArchiveConfig) -> Snapshot:
    return Snapshot(
        url=replay_url(config, row.timestamp, row.original),
        timestamp=row.timestamp,
        status=row.statuscode,
        digest=row.digest,
        source="wayback",
    )


async def closest_snapshot(
    url: str,
    date: dt.date | None,
    client: httpx.AsyncClient,
    config: ArchiveConfig,
    limiter: ArchiveLimiter,
    *,
    validate: bool | None = None,
) -> LookupResult:
    """The capture to cite for `url` as of `date` (see module doc). With validation on, the
    chosen capture's raw bytes are replayed; an error page falls back to the next closest, up to
    `config.max_candidates` captures in all. The "after the date" query is only sent when no
    usable capture stands at or before it."""
    check = config.validate_snapshots if validate is None else validate
    wanted = config.max_candidates if check else 1
    budget = [wanted]  # captures still to try, shared by both passes

    if date is None:
        latest = await cdx_query(url, client, config, limiter, limit=-wanted)
        return await _first_usable(latest, True, check, budget, client, config, limiter)
    end_of_day = dt.datetime.combine(date, dt.time(23, 59, 59))
    before = await cdx_query(
        url, client, config, limiter, to_ts=timestamp_of(end_of_day), limit=-wanted
    )
    found = await _first_usable(before, True, check, budget, client, config, limiter)
    if found is not None or budget[0] <= 0:
        return found
    next_day = dt.datetime.combine(date + dt.timedelta(days=1), dt.time())
    after = await cdx_query(
        url, client, config, limiter, from_ts=timestamp_of(next_day), limit=wanted
    )
    return await _first_usable(after, False, check, budget, client, config, limiter)


async def _first_usable(
    rows: list[CdxRow] | LookupProblem | None,
    newest_first: bool,
    check: bool,
    budget: list[int],
    client: httpx.AsyncClient,
    config: ArchiveConfig,
    limiter: ArchiveLimiter,
) -> LookupResult:
    if rows is None or isinstance(rows, LookupProblem):
        return rows
    for row in sorted(rows, key=lambda row: row.timestamp, reverse=newest_first):
        if not check:
            return snapshot_of(row, config)
        if budget[0] <= 0:
            break
        budget[0] -= 1
        verdict = await validate_capture(row, client, config, limiter)
        if verdict is not None:
            return verdict
        log.info("capture %s of %s is an error page; trying the next", row.timestamp, row.original)
    return None


async def latest_snapshot(
    url: str, client: httpx.AsyncClient, config: ArchiveConfig, limiter: ArchiveLimiter
) -> LookupResult:
    """The latest good capture, unvalidated: enough to decide whether a new one is needed."""
    return await closest_snapshot(url, None, client, config, limiter, validate=False)


_ERROR_TITLE = re.compile(
    r"\b404\b|\bnot\s+found\b|page\s+not\s+found|no\s+encontrad[ao]|p[aá]gina\s+no\s+existe"
    r"|no\s+se\s+(?:ha\s+)?encontr[oó]|error\s+404|page\s+introuvable|seite\s+nicht\s+gefunden"
    r"|does\s+not\s+exist|no\s+longer\s+available",
    re.IGNORECASE,
)
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
_H1 = re.compile(rb"<h1[^>]*>(.*?)</h1\s*>", re.IGNORECASE | re.DOTALL)
_TAGS = re.compile(r"<[^>]+>")


def looks_like_error_page(body: bytes, content_type: str | None) -> bool:
    """An archived page that is itself a "not found" page: its title (or, lacking one, its first
    heading) says so. A cheap, brittle signal, so it is only used to pass over a capture."""
    kind = (content_type or "").lower()
    if kind and "html" not in kind:
        return False
    if not body.strip():
        return True  # an empty "200" capture is no copy of anything
    head = body[:65536]
    for pattern in (_TITLE, _H1):
        match = pattern.search(head)
        if match:
            text = _TAGS.sub(" ", match.group(1).decode("utf-8", errors="replace"))
            return bool(_ERROR_TITLE.search(" ".join(text.split())))
    return False


async def validate_capture(
    row: CdxRow, client: httpx.AsyncClient, config: ArchiveConfig, limiter: ArchiveLimiter
) -> Snapshot | None:
    """Replay the capture's raw bytes (`id_`). None when it is not a usable copy: the archive
    answers with its own error page (no Memento-Datetime), a 4xx, or an error-page body.
    When the archive cannot be asked (network, rate limit, 5xx), the CDX answer stands."""
    snapshot = snapshot_of(row, config)
    answer = await send(
        client,
        limiter,
        "replay",
        "GET",
        replay_url(config, row.timestamp, row.original, "id_"),
        follow_redirects=True,
        max_body=config.max_validation_bytes,
    )
    if isinstance(answer, Failure):
        return snapshot
    if answer.status >= 500:
        return snapshot
    if answer.status >= 400 or "memento-datetime" not in answer.headers:
        return None
    content_type = answer.headers.get("x-archive-orig-content-type") or answer.headers.get(
        "content-type"
    )
    if looks_like_error_page(answer.body, content_type or row.mimetype):
        return None
    # Replay may redirect to another capture when this one cannot be played: cite what played.
    final = parse_wayback_path(answer.url)
    if final is not None and final[0] != row.timestamp and len(final[0]) == 14:
        return Snapshot(
            url=replay_url(config, final[0], final[1]),
            timestamp=final[0],
            status=None,
            digest=None,
            source="wayback",
        )
    return snapshot


async def availability_hint(
    url: str,
    date: dt.date | None,
    client: httpx.AsyncClient,
    config: ArchiveConfig,
    limiter: ArchiveLimiter,
) -> LookupResult:
    """The Availability API's one "closest" capture: a cheap hint only (false negatives are
    known). None on a miss."""
    params = [("url", strip_fragment(url))]
    if date is not None:
        params.append(("timestamp", date.strftime("%Y%m%d")))
    answer = await send(
        client, limiter, "lookup", "GET", f"{config.wayback_base}/wayback/available", params=params
    )
    if isinstance(answer, Failure):
        return LookupProblem(url, answer.reason, answer.detail, stopped=answer.stopped)
    if answer.status != 200:
        return LookupProblem(url, "archive-error", f"Availability answered HTTP {answer.status}")
    try:
        data = json.loads(answer.text())
        closest = data.get("archived_snapshots", {}).get("closest")
    except (ValueError, AttributeError) as error:
        return LookupProblem(url, "bad-response", f"Availability answer unreadable: {error}")
    if not isinstance(closest, dict) or not closest.get("available", True):
        return None
    parsed = parse_wayback_path(str(closest.get("url", "")))
    timestamp = str(closest.get("timestamp") or (parsed[0] if parsed else ""))
    if parsed is None or not re.fullmatch(r"\d{14}", timestamp):
        return LookupProblem(url, "bad-response", "Availability answer has no capture URL")
    status = str(closest.get("status", ""))
    try:
        datetime_of(timestamp)
    except ValueError:
        return LookupProblem(url, "bad-response", "Availability timestamp unreadable")
    return Snapshot(
        url=replay_url(config, timestamp, parsed[1]),
        timestamp=timestamp,
        status=int(status) if status.isdigit() else None,
        digest=None,
        source="wayback",
    )


async def snapshot_content(
    snapshot: Snapshot,
    client: httpx.AsyncClient,
    config: ArchiveConfig,
    limiter: ArchiveLimiter,
    max_body: int,
) -> tuple[bytes, str | None] | None:
    """The bytes a snapshot captured (raw `id_` replay for Wayback, the memento itself for other
    archives) and their original content type; None when the archive cannot give them."""
    parsed = parse_wayback_path(snapshot.url) if snapshot.source != "timetravel" else None
    url = replay_url(config, parsed[0], parsed[1], "id_") if parsed else snapshot.url
    answer = await send(
        client, limiter, "replay", "GET", url, follow_redirects=True, max_body=max_body
    )
    if isinstance(answer, Failure) or answer.status >= 400:
        return None
    content_type = answer.headers.get("x-archive-orig-content-type") or answer.headers.get(
        "content-type"
    )
    return answer.body, content_type
