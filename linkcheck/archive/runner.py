"""What the orchestrator calls: look up snapshots for many links, and archive many links.

Both run with bounded concurrency over one shared limiter; every request is spaced by it, so
concurrency only overlaps waiting on the network. Links into web archives are never looked up
or submitted."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import replace

import httpx

from linkcheck.archive.cache import SnapshotCache, is_cacheable
from linkcheck.archive.config import ArchiveConfig
from linkcheck.archive.manifest import Manifest
from linkcheck.archive.memento import timetravel_snapshot
from linkcheck.archive.ratelimit import ArchiveLimiter
from linkcheck.archive.save import save_page
from linkcheck.archive.services import is_archive_url, is_weak_archive
from linkcheck.archive.values import (
    ArchiveItem,
    LookupProblem,
    LookupResult,
    SaveOutcome,
    SaveStatus,
    is_recent,
)
from linkcheck.archive.wayback import closest_snapshot, latest_snapshot
from linkcheck.models import Link, Report, Snapshot
from linkcheck.urls import is_checkable, url_host

log = logging.getLogger("linkcheck.archive")


def lacks_recent_capture(
    latest: Snapshot | None, config: ArchiveConfig, now: dt.datetime | None = None
) -> bool:
    """True when `latest` (the newest capture) is missing or older than `config.recent_within`."""
    if latest is None:
        return True
    return not is_recent(latest, config.recent_window, now or dt.datetime.now(dt.UTC))


def _not_for_archiving(url: str, config: ArchiveConfig) -> LookupProblem | None:
    if not is_checkable(url):
        return LookupProblem(url, "unsupported-scheme", "only http(s) pages are archived")
    _, invalid = url_host(url)
    if invalid is not None:
        return LookupProblem(url, "invalid-url", invalid)
    if is_archive_url(url, config):
        detail = "the link is itself an archived copy"
        if is_weak_archive(url):
            detail += " on archive.today, a weak source (deprecated by Wikipedia in 2026)"
        return LookupProblem(url, "archive-url", detail)
    return None


async def lookup_one(
    url: str,
    date: dt.date | None,
    client: httpx.AsyncClient,
    config: ArchiveConfig,
    limiter: ArchiveLimiter,
    cache: SnapshotCache | None = None,
) -> LookupResult:
    """Cache, then Wayback CDX, then (when enabled and Wayback has nothing) TimeTravel."""
    refused = _not_for_archiving(url, config)
    if refused is not None:
        return refused
    if cache is not None:
        cached = cache.get(url, date)
        if cached is not None:
            return cached
    result = await closest_snapshot(url, date, client, config, limiter)
    if result is None and config.use_timetravel and not limiter.stopped("timetravel"):
        result = await timetravel_snapshot(url, date, client, config, limiter)
    if cache is not None and isinstance(result, Snapshot) and is_cacheable(date):
        cache.put(url, date, result)
    return result


async def lookup_snapshots(
    urls_with_dates: Sequence[tuple[str, dt.date | None]],
    client: httpx.AsyncClient,
    config: ArchiveConfig,
    limiter: ArchiveLimiter,
    cache: SnapshotCache | None = None,
) -> dict[str, LookupResult]:
    """The snapshot to cite for each URL (a Snapshot), None when no archive has a usable
    capture, or a LookupProblem. A URL listed twice is looked up once, for its first date.
    Once the rate-limit breaker opens, the remaining URLs come back as stopped problems without
    a request: report `limiter.stop_message()` once for the run."""
    wanted: dict[str, dt.date | None] = {}
    for url, date in urls_with_dates:
        wanted.setdefault(url, date)
    gate = asyncio.Semaphore(config.concurrency)

    async def one(url: str, date: dt.date | None) -> tuple[str, LookupResult]:
        async with gate:
            try:
                return url, await lookup_one(url, date, client, config, limiter, cache)
            except Exception as error:  # a bug must cost one link, not the run's other answers
                log.exception("archive lookup of %s failed", url)
                detail = config.scrub(f"{type(error).__name__}: {error}")
                return url, LookupProblem(url, "internal-error", detail)

    results = await asyncio.gather(*(one(url, date) for url, date in wanted.items()))
    return dict(results)


async def archive_one(
    item: ArchiveItem,
    client: httpx.AsyncClient,
    config: ArchiveConfig,
    limiter: ArchiveLimiter,
    manifest: Manifest | None = None,
    now: dt.datetime | None = None,
) -> SaveOutcome:
    """Archive one link unless the manifest says it is done or a recent capture exists."""
    if manifest is not None:
        record = manifest.get(item.url)
        if record is not None and record.done:
            return record.outcome_value()
    refused = _not_for_archiving(item.url, config)
    if refused is not None:
        return SaveOutcome(
            item.url, SaveStatus.SKIPPED, reason=f"{refused.reason}: {refused.detail}"
        )
    if limiter.stopped():
        outcome = SaveOutcome(
            item.url, SaveStatus.SKIPPED, retryable=True, reason=limiter.stop_message()
        )
    else:
        try:
            outcome = await _capture(item, client, config, limiter, now)
        except Exception as error:  # a bug must cost one link, not the run
            log.exception("archiving %s failed", item.url)
            detail = config.scrub(f"{type(error).__name__}: {error}")
            outcome = SaveOutcome(item.url, SaveStatus.FAILED, reason=f"internal-error: {detail}")
    if manifest is not None:
        manifest.record_outcome(outcome, item.claim)
    return outcome


async def _capture(
    item: ArchiveItem,
    client: httpx.AsyncClient,
    config: ArchiveConfig,
    limiter: ArchiveLimiter,
    now: dt.datetime | None,
) -> SaveOutcome:
    moment = now or dt.datetime.now(dt.UTC)
    latest = item.latest
    if latest is None and config.check_before_save:
        # A CDX lookup is cheap next to a capture (24/min against 3-7/min and a daily quota).
        found = await latest_snapshot(item.url, client, config, limiter)
        if isinstance(found, LookupProblem) and found.stopped:
            return SaveOutcome(item.url, SaveStatus.SKIPPED, reason=found.detail, retryable=True)
        latest = found if isinstance(found, Snapshot) else None
    if latest is not None and not lacks_recent_capture(latest, config, moment):
        return SaveOutcome(
            item.url,
            SaveStatus.RECENT,
            snapshot=latest,
            message=f"captured within {config.recent_within}",
        )
    return await save_page(item.url, client, config, limiter)


async def archive_links(
    items: Sequence[ArchiveItem],
    client: httpx.AsyncClient,
    config: ArchiveConfig,
    limiter: ArchiveLimiter,
    manifest: Manifest | None = None,
) -> list[SaveOutcome]:
    """One outcome per item, in order. The manifest (when given) is read to skip links already
    saved or recently captured, and written after each link, so an interrupted run resumes.
    A URL listed twice is archived once; the later items get the same outcome."""
    gate = asyncio.Semaphore(config.concurrency)
    first: dict[str, ArchiveItem] = {}
    for item in items:
        first.setdefault(item.url, item)

    async def one(item: ArchiveItem) -> tuple[str, SaveOutcome]:
        async with gate:
            return item.url, await archive_one(item, client, config, limiter, manifest)

    done = dict(await asyncio.gather(*(one(item) for item in first.values())))
    return [done[item.url] for item in items]


# --- Glue for the orchestrator's values ------------------------------------------------------


def lookup_requests(report: Report) -> list[tuple[str, dt.date | None]]:
    """(url, date) per link: the earliest date among the documents citing it (a link is cited
    as of the first document that used it); None when no citing document has a date."""
    dates = {document.source: document.date for document in report.documents}
    requests: list[tuple[str, dt.date | None]] = []
    for link in report.links:
        cited = [dates.get(occurrence.location.document) for occurrence in link.occurrences]
        known = [date for date in cited if date is not None]
        requests.append((link.url, min(known) if known else None))
    return requests


def items_from_links(links: Iterable[Link]) -> list[ArchiveItem]:
    """An ArchiveItem per link: its first claim's text, and the snapshot already found."""
    items: list[ArchiveItem] = []
    for link in links:
        claims = link.claims
        items.append(ArchiveItem(link.url, claims[0].text if claims else None, None))
    return items


def with_snapshots(links: Iterable[Link], results: dict[str, LookupResult]) -> tuple[Link, ...]:
    """The links with `archive` set from lookup results (problems and misses leave None)."""
    updated: list[Link] = []
    for link in links:
        found = results.get(link.url)
        updated.append(replace(link, archive=found) if isinstance(found, Snapshot) else link)
    return tuple(updated)
