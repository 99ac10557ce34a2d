"""Choosing the capture nearest a document's date, against a real loopback fake of the
Wayback Machine (CDX, replay, Availability) and of Memento TimeTravel."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from archive_fixtures import fast_config, run_with
from servers.fake_archive import FakeArchive

from linkcheck.archive import (
    JsonFileCache,
    LookupProblem,
    MemoryCache,
    availability_hint,
    closest_snapshot,
    lookup_snapshots,
    timetravel_snapshot,
)
from linkcheck.archive.wayback import looks_like_error_page, parse_cdx_json
from linkcheck.models import Snapshot

PAGE = "https://example.org/report"
OK_BODY = b"<html><head><title>Annual report</title></head><body>Numbers.</body></html>"
NOT_FOUND_BODY = b"<html><head><title>404 - Page not found</title></head><body>Gone</body></html>"
SPANISH_404 = "<html><title>Página no encontrada</title><body>Lo sentimos</body></html>".encode()

CAPTURES = {
    PAGE: [
        ("20190301120000", 200, "AAA", "text/html", OK_BODY),
        ("20200115080000", 200, "BBB", "text/html", OK_BODY),
        ("20200601000000", 404, "CCC", "text/html", NOT_FOUND_BODY),  # an error capture
        ("20210710000000", 200, "DDD", "text/html", OK_BODY),
        ("20220505000000", 200, "EEE", "text/html", OK_BODY),
    ],
    "https://example.org/new": [
        ("20230101000000", 200, "FFF", "text/html", OK_BODY),
        ("20230601000000", 200, "GGG", "text/html", OK_BODY),
    ],
    "https://example.org/soft404": [
        ("20200101000000", 200, "HHH", "text/html", OK_BODY),
        ("20210101000000", 200, "III", "text/html", SPANISH_404),
        ("20210301000000", 200, "JJJ", "text/html", NOT_FOUND_BODY),
    ],
}


@pytest.fixture
def archive() -> Iterator[FakeArchive]:
    with FakeArchive(CAPTURES) as fake:
        yield fake


def closest(archive: FakeArchive, url: str, date: dt.date | None, **settings: object) -> object:
    config = fast_config(archive.url, **settings)
    return run_with(
        config, lambda client, limiter: closest_snapshot(url, date, client, config, limiter)
    )


def test_prefers_the_latest_capture_at_or_before_the_date(archive: FakeArchive) -> None:
    snapshot = closest(archive, PAGE, dt.date(2021, 1, 1))
    # 2020-06-01 is nearer but a 404 capture; 2021-07-10 is nearer than 2020-01-15 but after.
    assert snapshot == Snapshot(
        url=f"{archive.url}/web/20200115080000/{PAGE}",
        timestamp="20200115080000",
        status=200,
        digest="BBB",
        source="wayback",
    )


def test_a_capture_on_the_date_itself_counts_as_before(archive: FakeArchive) -> None:
    snapshot = closest(archive, PAGE, dt.date(2021, 7, 10))
    assert isinstance(snapshot, Snapshot) and snapshot.timestamp == "20210710000000"


def test_nothing_before_the_date_takes_the_earliest_after(archive: FakeArchive) -> None:
    snapshot = closest(archive, "https://example.org/new", dt.date(2022, 12, 1))
    assert isinstance(snapshot, Snapshot) and snapshot.timestamp == "20230101000000"
    cdx = archive.requests_to("/cdx/search/cdx")
    assert len(cdx) == 2  # the "before" query found nothing, then one "after" query
    assert cdx[0].query["to"] == ["20221201235959"] and cdx[0].query["limit"] == ["-3"]
    assert cdx[1].query["from"] == ["20221202000000"] and cdx[1].query["limit"] == ["3"]
    assert cdx[0].query["filter"] == ["statuscode:(200|203|206)"]
    assert cdx[0].query["output"] == ["json"]


def test_no_date_takes_the_latest(archive: FakeArchive) -> None:
    snapshot = closest(archive, PAGE, None)
    assert isinstance(snapshot, Snapshot) and snapshot.timestamp == "20220505000000"
    assert len(archive.requests_to("/cdx/search/cdx")) == 1


def test_a_date_before_every_capture_gets_the_first_one(archive: FakeArchive) -> None:
    snapshot = closest(archive, PAGE, dt.date(2010, 1, 1))
    assert isinstance(snapshot, Snapshot) and snapshot.timestamp == "20190301120000"


def test_scheme_and_www_do_not_matter_to_the_index(archive: FakeArchive) -> None:
    snapshot = closest(archive, "http://www.example.org/report", dt.date(2021, 1, 1))
    assert isinstance(snapshot, Snapshot) and snapshot.timestamp == "20200115080000"
    # The replay URL names the URL the archive recorded.
    assert snapshot.url.endswith(f"/web/20200115080000/{PAGE}")


def test_error_page_captures_are_passed_over(archive: FakeArchive) -> None:
    # Both captures before the date are "200" pages that say "not found" (one in Spanish).
    snapshot = closest(archive, "https://example.org/soft404", dt.date(2021, 6, 1))
    assert isinstance(snapshot, Snapshot) and snapshot.timestamp == "20200101000000"
    replays = archive.requests_to("/web/")
    assert [request.path.split("/")[2] for request in replays] == [
        "20210301000000id_",
        "20210101000000id_",
        "20200101000000id_",
    ]


def test_without_validation_the_cdx_answer_stands(archive: FakeArchive) -> None:
    snapshot = closest(
        archive, "https://example.org/soft404", dt.date(2021, 6, 1), validate_snapshots=False
    )
    assert isinstance(snapshot, Snapshot) and snapshot.timestamp == "20210301000000"
    assert archive.requests_to("/web/") == []


def test_validation_gives_up_after_max_candidates(archive: FakeArchive) -> None:
    snapshot = closest(
        archive, "https://example.org/soft404", dt.date(2021, 6, 1), max_candidates=2
    )
    assert snapshot is None
    assert len(archive.requests_to("/web/")) == 2


def test_unknown_url_is_none(archive: FakeArchive) -> None:
    assert closest(archive, "https://example.org/never", dt.date(2021, 1, 1)) is None
    assert archive.requests_to("/web/") == []


def test_cdx_404_is_none_and_5xx_is_a_problem(archive: FakeArchive) -> None:
    archive.cdx_status["https://example.org/missing"] = 404
    archive.cdx_status["https://example.org/down"] = 503
    assert closest(archive, "https://example.org/missing", None) is None
    problem = closest(archive, "https://example.org/down", None)
    assert isinstance(problem, LookupProblem)
    assert problem.reason == "archive-error" and "503" in problem.detail
    # 5xx is retried a bounded number of times (max_retries=2): three requests in all.
    down = [r for r in archive.requests_to("/cdx/") if r.query["url"] == [problem.url]]
    assert len(down) == 3


def test_parse_cdx_json_shapes() -> None:
    assert parse_cdx_json("[]") == []
    assert parse_cdx_json("") == []
    rows = parse_cdx_json(
        '[["timestamp","original","statuscode","digest","mimetype"],'
        '["20200101000000","http://a.org/","200","X","text/html"],'
        '["20200102000000","http://a.org/","-","Y","warc/revisit"]]'
    )
    assert [row.usable for row in rows] == [True, False]
    assert rows[1].statuscode is None
    with pytest.raises(ValueError):
        parse_cdx_json('{"not": "cdx"}')


def test_error_page_detection() -> None:
    assert looks_like_error_page(NOT_FOUND_BODY, "text/html")
    assert looks_like_error_page(SPANISH_404, "text/html; charset=utf-8")
    assert looks_like_error_page(b"<h1>Page Not Found</h1>", None)
    assert looks_like_error_page(b"", "text/html")
    assert not looks_like_error_page(OK_BODY, "text/html")
    assert not looks_like_error_page(b"%PDF-1.7 not found", "application/pdf")


def test_replay_of_an_inexact_timestamp_redirects_to_the_nearest(archive: FakeArchive) -> None:
    import httpx

    response = httpx.get(f"{archive.url}/web/2020id_/{PAGE}", follow_redirects=True)
    assert response.status_code == 200
    assert "memento-datetime" in response.headers
    assert "/web/20200115080000id_/" in str(response.url)


def test_availability_hint(archive: FakeArchive) -> None:
    config = fast_config(archive.url)
    hint = run_with(
        config,
        lambda client, limiter: availability_hint(
            PAGE, dt.date(2021, 7, 1), client, config, limiter
        ),
    )
    assert isinstance(hint, Snapshot) and hint.timestamp == "20210710000000"
    assert hint.url.startswith(archive.url)  # rebuilt on the configured base
    miss = run_with(
        config,
        lambda client, limiter: availability_hint(
            "https://example.org/never", None, client, config, limiter
        ),
    )
    assert miss is None


def test_timetravel_second_source() -> None:
    mementos = {
        "https://gov.example/page": [
            ("2018-05-01T10:00:00Z", ["https://archive.ph/abcde"]),
            ("2019-03-01T10:00:00Z", ["https://webarchive.loc.gov/all/20190301100000/x"]),
            ("2020-02-01T10:00:00Z", ["https://arquivo.pt/wayback/20200201100000/x"]),
        ]
    }
    with FakeArchive({}, timetravel=mementos) as fake:
        config = fast_config(fake.url, use_timetravel=True)
        before = run_with(
            config,
            lambda client, limiter: timetravel_snapshot(
                "https://gov.example/page", dt.date(2020, 1, 1), client, config, limiter
            ),
        )
        assert before == Snapshot(
            url="https://webarchive.loc.gov/all/20190301100000/x",
            timestamp="20190301100000",
            source="timetravel",
        )
        # Only an archive.today copy before the date: it is a weak source, so the next one.
        early = run_with(
            config,
            lambda client, limiter: timetravel_snapshot(
                "https://gov.example/page", dt.date(2018, 6, 1), client, config, limiter
            ),
        )
        assert isinstance(early, Snapshot) and early.timestamp == "20190301100000"
        none = run_with(
            config,
            lambda client, limiter: timetravel_snapshot(
                "https://gov.example/other", None, client, config, limiter
            ),
        )
        assert none is None
        # The runner asks TimeTravel only when Wayback has nothing.
        results = run_with(
            config,
            lambda client, limiter: lookup_snapshots(
                [("https://gov.example/page", dt.date(2020, 1, 1))], client, config, limiter
            ),
        )
        assert results["https://gov.example/page"] == before
        assert len(fake.requests_to("/cdx/")) == 2 and len(fake.requests_to("/api/json/")) == 4


def test_lookup_snapshots_caches_past_dates_and_skips_archive_urls(
    archive: FakeArchive, tmp_path: Path
) -> None:
    config = fast_config(archive.url)
    cache = JsonFileCache(tmp_path / "snapshots.json")
    urls = [
        (PAGE, dt.date(2021, 1, 1)),
        ("https://example.org/new", None),
        ("https://web.archive.org/web/2019/https://example.org/", dt.date(2021, 1, 1)),
        ("https://archive.ph/abcde", None),
        ("mailto:someone@example.org", None),
        (PAGE, dt.date(2030, 1, 1)),  # listed twice: the first date wins
    ]
    first = run_with(
        config, lambda client, limiter: lookup_snapshots(urls, client, config, limiter, cache)
    )
    page = first[PAGE]
    assert isinstance(page, Snapshot) and page.timestamp == "20200115080000"
    latest = first["https://example.org/new"]
    assert isinstance(latest, Snapshot) and latest.timestamp == "20230601000000"
    wayback_link = first["https://web.archive.org/web/2019/https://example.org/"]
    assert isinstance(wayback_link, LookupProblem) and wayback_link.reason == "archive-url"
    weak = first["https://archive.ph/abcde"]
    assert isinstance(weak, LookupProblem) and "weak source" in weak.detail
    mailto = first["mailto:someone@example.org"]
    assert isinstance(mailto, LookupProblem) and mailto.reason == "unsupported-scheme"
    asked = len(archive.requests)
    assert asked > 0

    # A second run: the past-date answer comes from the file; "latest" is asked again.
    reloaded = JsonFileCache(tmp_path / "snapshots.json")
    assert len(reloaded) == 1
    second = run_with(
        config, lambda client, limiter: lookup_snapshots(urls, client, config, limiter, reloaded)
    )
    assert second == first
    new_requests = archive.requests[asked:]
    assert {r.query.get("url", [""])[0] for r in new_requests if r.path.startswith("/cdx")} == {
        "https://example.org/new"
    }


def test_memory_cache_round_trip() -> None:
    cache = MemoryCache()
    snapshot = Snapshot(url="u", timestamp="20200101000000")
    assert cache.get("https://a.org/", dt.date(2020, 1, 1)) is None
    cache.put("https://a.org/", dt.date(2020, 1, 1), snapshot)
    assert cache.get("https://a.org/", dt.date(2020, 1, 1)) == snapshot
    assert cache.get("https://a.org/", None) is None


def test_bounded_queries_avoid_fast_latest_and_check_bounds_themselves(
    archive: FakeArchive,
) -> None:
    snapshot = closest(archive, PAGE, dt.date(2021, 1, 1), validate_snapshots=False)
    assert isinstance(snapshot, Snapshot) and snapshot.timestamp == "20200115080000"
    (query,) = [r.query for r in archive.requests_to("/cdx/")]
    assert query["limit"] == ["-2"] and "fastLatest" not in query
    # A server that ignores from/to answers with the last (then first) rows overall: they are
    # out of bounds and dropped, rather than cited as "the capture before the date".
    archive.cdx_ignore_bounds = True
    assert closest(archive, PAGE, dt.date(2021, 1, 1), validate_snapshots=False) is None
    latest = closest(archive, PAGE, None, validate_snapshots=False)
    assert isinstance(latest, Snapshot) and latest.timestamp == "20220505000000"
    assert archive.requests_to("/cdx/")[-1].query["fastLatest"] == ["true"]


def test_glue_for_the_orchestrator() -> None:
    from linkcheck.archive import (
        ArchiveConfig,
        items_from_links,
        lacks_recent_capture,
        lookup_requests,
        with_snapshots,
    )
    from linkcheck.models import (
        Claim,
        ClaimMatch,
        Document,
        Format,
        Link,
        Location,
        MatchMethod,
        Occurrence,
        OccurrenceKind,
        Report,
    )

    old = Document("old.md", Format.MARKDOWN, date=dt.date(2019, 5, 1))
    new = Document("new.md", Format.MARKDOWN, date=dt.date(2022, 5, 1))
    undated = Document("x.txt", Format.TEXT)
    claim = Claim("new.md#1", "Exports rose.", Location("new.md", 1, 1, 1))

    def occurrence(document: str, with_claim: bool = False) -> Occurrence:
        match = ClaimMatch(claim, 1.0, MatchMethod.ANCHOR) if with_claim else None
        return Occurrence(Location(document, 1, 1, 1), OccurrenceKind.INLINE, None, match)

    shared = Link(PAGE, (occurrence("new.md", True), occurrence("old.md")))
    lonely = Link("https://a.org/", (occurrence("x.txt"),))
    report = Report((old, new, undated), (claim,), (shared, lonely))
    assert lookup_requests(report) == [(PAGE, dt.date(2019, 5, 1)), ("https://a.org/", None)]
    items = items_from_links(report.links)
    assert [(i.url, i.claim) for i in items] == [(PAGE, "Exports rose."), ("https://a.org/", None)]
    snap = Snapshot(url="https://web.archive.org/web/20190401000000/x", timestamp="20190401000000")
    updated = with_snapshots(report.links, {PAGE: snap, "https://a.org/": None})
    assert updated[0].archive == snap and updated[1].archive is None

    config = ArchiveConfig(recent_within="30d")
    now = dt.datetime(2019, 4, 20, tzinfo=dt.UTC)
    assert not lacks_recent_capture(snap, config, now)
    assert lacks_recent_capture(snap, config, now + dt.timedelta(days=40))
    assert lacks_recent_capture(None, config, now)
