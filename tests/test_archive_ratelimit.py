"""Honouring 429s: wait as told, and stop the whole run before the archive bans the IP."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import time
from collections.abc import Iterator

import httpx
import pytest
from archive_fixtures import fast_config, run_with
from servers.fake_archive import FakeArchive

from linkcheck.archive import (
    RATE_LIMIT_STOP_MESSAGE,
    ArchiveConfig,
    ArchiveItem,
    ArchiveLimiter,
    LookupProblem,
    LookupResult,
    SaveOutcome,
    SaveStatus,
    archive_links,
    closest_snapshot,
    lookup_snapshots,
)
from linkcheck.archive.transport import parse_retry_after
from linkcheck.models import Snapshot

PAGE = "https://example.org/a"
CAPTURES = {
    PAGE: [("20200101000000", 200, "A", "text/html", b"<title>A</title>")],
    "https://example.org/b": [("20200101000000", 200, "B", "text/html", b"<title>B</title>")],
}


@pytest.fixture
def archive() -> Iterator[FakeArchive]:
    with FakeArchive(CAPTURES) as fake:
        yield fake


def test_retry_after_is_honoured_then_the_lookup_succeeds(archive: FakeArchive) -> None:
    archive.fail_next(2, status=429, retry_after="1", path_prefix="/cdx/")
    config = fast_config(archive.url, validate_snapshots=False)
    started = time.monotonic()
    snapshot = run_with(
        config, lambda client, limiter: closest_snapshot(PAGE, None, client, config, limiter)
    )
    elapsed = time.monotonic() - started
    assert isinstance(snapshot, Snapshot) and snapshot.timestamp == "20200101000000"
    assert len(archive.requests_to("/cdx/")) == 3
    assert elapsed >= 1.9  # waited Retry-After: 1 twice


def test_persistent_429_opens_the_breaker_and_nothing_more_is_sent(
    archive: FakeArchive, caplog: pytest.LogCaptureFixture
) -> None:
    archive.fail_next(1000, status=429, retry_after="0")
    # One at a time, so the count is exact (concurrent requests already in flight when the
    # breaker opens still land: at most max_consecutive_429 + concurrency - 1).
    config = fast_config(archive.url, max_consecutive_429=3, concurrency=1)
    urls: list[tuple[str, dt.date | None]] = [
        (PAGE, None),
        ("https://example.org/b", None),
        ("https://example.org/c", dt.date(2020, 1, 1)),
    ]
    limiter = ArchiveLimiter(config)

    async def work(
        client: httpx.AsyncClient, limiter: ArchiveLimiter
    ) -> tuple[dict[str, LookupResult], list[SaveOutcome]]:
        results = await lookup_snapshots(urls, client, config, limiter)
        outcomes = await archive_links(
            [ArchiveItem(PAGE), ArchiveItem("https://example.org/new")], client, config, limiter
        )
        return results, outcomes

    with caplog.at_level("WARNING", logger="linkcheck.archive"):
        results, outcomes = run_with(config, work, limiter=limiter)
    assert len(archive.requests) == 3  # exactly the three 429s, then silence
    assert limiter.stopped() and limiter.stop_message() == RATE_LIMIT_STOP_MESSAGE
    for value in results.values():
        assert isinstance(value, LookupProblem) and value.stopped
        assert value.detail == RATE_LIMIT_STOP_MESSAGE
    assert [outcome.status for outcome in outcomes] == [SaveStatus.SKIPPED, SaveStatus.SKIPPED]
    assert all(outcome.reason == RATE_LIMIT_STOP_MESSAGE for outcome in outcomes)
    assert RATE_LIMIT_STOP_MESSAGE in caplog.text


def test_a_retry_after_longer_than_allowed_stops_at_once(archive: FakeArchive) -> None:
    archive.fail_next(1, status=429, retry_after="3600")
    config = fast_config(archive.url, max_retry_after=60.0)
    limiter = ArchiveLimiter(config)
    result = run_with(
        config,
        lambda client, limiter: closest_snapshot(PAGE, None, client, config, limiter),
        limiter=limiter,
    )
    assert isinstance(result, LookupProblem) and result.stopped
    assert len(archive.requests) == 1


def test_a_success_resets_the_count(archive: FakeArchive) -> None:
    config = fast_config(archive.url, max_consecutive_429=3, validate_snapshots=False)

    async def work(client: httpx.AsyncClient, limiter: ArchiveLimiter) -> list[object]:
        results: list[object] = []
        for _ in range(3):
            archive.fail_next(2, status=429, retry_after="0")
            results.append(await closest_snapshot(PAGE, None, client, config, limiter))
        return results

    results = run_with(config, work)
    assert all(isinstance(result, Snapshot) for result in results)
    assert len(archive.requests) == 9


def test_requests_are_spaced_by_the_rate() -> None:
    config = ArchiveConfig(lookup_rate=600.0)  # one every 0.1 s
    limiter = ArchiveLimiter(config)

    async def work() -> list[float]:
        moments = []
        for _ in range(4):
            assert await limiter.acquire("lookup")
            moments.append(time.monotonic())
        return moments

    moments = asyncio.run(work())
    gaps = [later - earlier for earlier, later in itertools.pairwise(moments)]
    assert all(gap >= 0.09 for gap in gaps)


def test_a_429_pushes_back_every_wayback_gate_but_not_timetravel() -> None:
    slept: list[float] = []
    now = [1000.0]

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    config = ArchiveConfig(lookup_rate=60.0, save_rate_anonymous=60.0, timetravel_rate=60.0)
    limiter = ArchiveLimiter(config, clock=lambda: now[0], sleep=fake_sleep)

    async def work() -> None:
        assert await limiter.acquire("lookup")
        assert limiter.note_429("lookup", 30.0)
        assert await limiter.acquire("save")  # another Wayback endpoint waits too
        assert slept == [30.0]
        assert await limiter.acquire("timetravel")  # another service does not
        assert slept == [30.0]

    asyncio.run(work())


def test_parse_retry_after() -> None:
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    now = dt.datetime(2024, 1, 1, 12, 0, 0, tzinfo=dt.UTC)
    assert parse_retry_after("Mon, 01 Jan 2024 12:00:30 GMT", now) == 30.0


def test_concurrent_lookups_stop_soon_after_the_breaker_opens(archive: FakeArchive) -> None:
    archive.fail_next(1000, status=429, retry_after="0")
    config = fast_config(archive.url, max_consecutive_429=3, concurrency=4)
    urls: list[tuple[str, dt.date | None]] = [(f"https://example.org/{n}", None) for n in range(20)]
    limiter = ArchiveLimiter(config)
    results = run_with(
        config,
        lambda client, limiter: lookup_snapshots(urls, client, config, limiter),
        limiter=limiter,
    )
    assert limiter.stopped()
    assert 3 <= len(archive.requests) <= 3 + 4 - 1
    assert all(isinstance(value, LookupProblem) and value.stopped for value in results.values())
