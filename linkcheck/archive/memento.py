"""Memento TimeTravel (LANL's aggregator of many web archives) as an optional second source,
asked only when the Wayback Machine has nothing. It is slow: keep it off unless wanted.

archive.today copies it lists are passed over: they are weak sources (see services.py)."""

from __future__ import annotations

import datetime as dt
import email.utils
import json
from typing import Any

import httpx

from linkcheck.archive.config import ArchiveConfig
from linkcheck.archive.ratelimit import ArchiveLimiter
from linkcheck.archive.services import is_weak_archive, strip_fragment
from linkcheck.archive.transport import Failure, send
from linkcheck.archive.values import LookupProblem, LookupResult, timestamp_of
from linkcheck.models import Snapshot


def parse_memento_datetime(value: str) -> dt.datetime | None:
    """ISO 8601 ("2001-09-11T18:15:28Z", as the guide says) or RFC 1123 (as some clients see)."""
    text = value.strip()
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def choose_memento(data: Any, target: dt.datetime) -> tuple[str, dt.datetime] | None:
    """(URI-M, datetime) from a TimeTravel JSON answer: the closest memento if it is at or
    before `target`, else the previous one if there is one, else the closest (after). Within a
    memento, the first URI that is not an archive.today copy."""
    if not isinstance(data, dict):
        return None
    mementos = data.get("mementos")
    if not isinstance(mementos, dict):
        return None
    choices: list[tuple[str, dt.datetime]] = []
    for name in ("closest", "prev", "next"):
        entry = mementos.get(name)
        if not isinstance(entry, dict):
            continue
        moment = parse_memento_datetime(str(entry.get("datetime", "")))
        uris = entry.get("uri")
        uris = [uris] if isinstance(uris, str) else uris
        if moment is None or not isinstance(uris, list):
            continue
        strong = [str(uri) for uri in uris if isinstance(uri, str) and not is_weak_archive(uri)]
        if strong:
            choices.append((strong[0], moment))
    before = [choice for choice in choices if choice[1] <= target]
    if before:
        return max(before, key=lambda choice: choice[1])
    return min(choices, key=lambda choice: choice[1]) if choices else None


async def timetravel_snapshot(
    url: str,
    date: dt.date | None,
    client: httpx.AsyncClient,
    config: ArchiveConfig,
    limiter: ArchiveLimiter,
) -> LookupResult:
    """`GET {timetravel}/api/json/<YYYYMMDDhhmmss>/<url>`; 404 means no memento anywhere."""
    if date is None:
        target = dt.datetime.now(dt.UTC).replace(microsecond=0)
    else:
        target = dt.datetime.combine(date, dt.time(23, 59, 59), tzinfo=dt.UTC)
    endpoint = f"{config.timetravel_base}/api/json/{timestamp_of(target)}/{strip_fragment(url)}"
    answer = await send(client, limiter, "timetravel", "GET", endpoint, follow_redirects=True)
    if isinstance(answer, Failure):
        return LookupProblem(url, answer.reason, answer.detail, stopped=answer.stopped)
    if answer.status == 404:
        return None
    if answer.status != 200:
        return LookupProblem(url, "archive-error", f"TimeTravel answered HTTP {answer.status}")
    try:
        data = json.loads(answer.text())
    except ValueError as error:
        return LookupProblem(url, "bad-response", f"TimeTravel answer unreadable: {error}")
    chosen = choose_memento(data, target)
    if chosen is None:
        return None
    uri, moment = chosen
    return Snapshot(url=uri, timestamp=timestamp_of(moment), source="timetravel")
