"""Save Page Now (SPN2 with keys, the anonymous GET without), the resumable manifest, and
keeping the keys out of every output."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from archive_fixtures import fast_config, run_with
from servers.fake_archive import FakeArchive

from linkcheck.archive import (
    ArchiveConfig,
    ArchiveItem,
    ArchiveLimiter,
    Manifest,
    ManifestError,
    SaveOutcome,
    SaveStatus,
    archive_links,
    keys_from_env,
    parse_duration,
    save_page,
)
from linkcheck.archive.save import memento_from_link_header
from linkcheck.models import Snapshot

ACCESS = "AKfakeaccess1234"
SECRET = "SKfakesecret5678"
PAGE = "https://example.org/report"


@pytest.fixture
def archive() -> Iterator[FakeArchive]:
    with FakeArchive({}, access_key=ACCESS, secret_key=SECRET) as fake:
        yield fake


def keyed(archive: FakeArchive, **settings: object) -> ArchiveConfig:
    return fast_config(archive.url, access_key=ACCESS, secret_key=SECRET, **settings)


def save(config: ArchiveConfig, url: str = PAGE) -> SaveOutcome:
    return run_with(config, lambda client, limiter: save_page(url, client, config, limiter))


def test_spn2_submits_then_polls_until_success(archive: FakeArchive) -> None:
    archive.spn_pending_polls = 3
    outcome = save(keyed(archive))
    assert outcome.status == SaveStatus.SAVED
    capture = archive.captures(PAGE)[-1]
    assert outcome.snapshot == Snapshot(
        url=f"{archive.url}/web/{capture.timestamp}/{PAGE}",
        timestamp=capture.timestamp,
        source="save-page-now",
    )
    posts = archive.requests_to("/save", "POST")
    assert len(posts) == 1
    post = posts[0]
    assert post.headers["authorization"] == f"LOW {ACCESS}:{SECRET}"
    assert post.headers["accept"] == "application/json"
    form = dict(pair.split("=", 1) for pair in post.body.decode().split("&"))
    assert form["url"] == "https%3A%2F%2Fexample.org%2Freport"
    assert form["if_not_archived_within"] == str(30 * 86400)
    assert len(archive.requests_to("/save/status/")) == 4  # three pending, one success


def test_spn2_error_as_http_200_is_a_failed_outcome(archive: FakeArchive) -> None:
    archive.spn_submit_errors[PAGE] = ["error:too-many-daily-captures"]
    outcome = save(keyed(archive))
    assert outcome.status == SaveStatus.FAILED
    assert outcome.reason == "error:too-many-daily-captures"
    assert outcome.retryable  # a limit, not the link's fault
    assert archive.requests_to("/save/status/") == []  # no job id, nothing to poll


def test_spn2_retryable_error_is_tried_again(archive: FakeArchive) -> None:
    archive.spn_submit_errors[PAGE] = ["error:user-session-limit", "error:no-browsers-available"]
    outcome = save(keyed(archive))
    assert outcome.status == SaveStatus.SAVED
    assert len(archive.requests_to("/save", "POST")) == 3


def test_spn2_final_error_in_the_job_status(archive: FakeArchive) -> None:
    archive.spn_job_errors[PAGE] = "error:not-found"
    outcome = save(keyed(archive))
    assert outcome.status == SaveStatus.FAILED and outcome.reason == "error:not-found"
    assert not outcome.retryable
    assert len(archive.requests_to("/save", "POST")) == 1


def test_spn2_gives_up_after_the_poll_budget(archive: FakeArchive) -> None:
    archive.spn_pending_polls = 100
    outcome = save(keyed(archive, max_polls=5))
    assert outcome.status == SaveStatus.FAILED and outcome.retryable
    assert outcome.reason is not None and outcome.reason.startswith("timeout")
    assert len(archive.requests_to("/save/status/")) == 5


def test_spn2_reused_recent_capture(archive: FakeArchive) -> None:
    archive.add_capture(PAGE, "20240101000000")
    archive.spn_reuse.add(PAGE)
    outcome = save(keyed(archive))
    assert outcome.status == SaveStatus.RECENT
    assert outcome.snapshot is not None and outcome.snapshot.timestamp == "20240101000000"
    assert outcome.message is not None and "had been made" in outcome.message


def test_wrong_keys_fail_without_echoing_them(archive: FakeArchive) -> None:
    config = fast_config(archive.url, access_key="WRONGKEY123", secret_key="WRONGSECRET456")
    outcome = save(config)
    assert outcome.status == SaveStatus.FAILED and outcome.reason is not None
    assert "unauthorized" in outcome.reason
    assert "WRONG" not in repr(outcome)


def test_anonymous_get_reads_content_location() -> None:
    with FakeArchive({}) as fake:
        config = fast_config(fake.url)
        outcome = save(config)
        assert outcome.status == SaveStatus.SAVED
        capture = fake.captures(PAGE)[-1]
        assert outcome.snapshot is not None
        assert outcome.snapshot.url == f"{fake.url}/web/{capture.timestamp}/{PAGE}"
        (request,) = fake.requests
        assert request.method == "GET" and request.path == f"/save/{PAGE}"
        assert "authorization" not in request.headers


def test_anonymous_get_falls_back_to_the_link_header_and_sees_cache_hits() -> None:
    with FakeArchive({PAGE: [("20240301000000", 200, "D", "text/html", b"x")]}) as fake:
        fake.anonymous_location = "link"
        fake.page_cache_hit.add(PAGE)
        outcome = save(fast_config(fake.url))
        assert outcome.status == SaveStatus.RECENT
        assert outcome.snapshot is not None and outcome.snapshot.timestamp == "20240301000000"


def test_anonymous_get_reports_the_archives_refusal() -> None:
    with FakeArchive({}) as fake:
        fake.save_runtime_error[PAGE] = "RobotAccessControlException: Blocked By Robots"
        outcome = save(fast_config(fake.url))
        assert outcome.status == SaveStatus.FAILED
        assert outcome.reason == "refused: RobotAccessControlException: Blocked By Robots"


def test_link_header_parsing() -> None:
    value = (
        '<https://a.org/>; rel="original", '
        '<https://web.archive.org/web/20240101000000/https://a.org/>; rel="memento"; '
        'datetime="Mon, 01 Jan 2024 00:00:00 GMT"'
    )
    assert memento_from_link_header(value) == (
        "https://web.archive.org/web/20240101000000/https://a.org/"
    )
    assert memento_from_link_header('<https://a.org/>; rel="original"') is None


def test_a_recent_capture_spares_the_save(archive: FakeArchive, tmp_path: Path) -> None:
    recent = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
    archive.add_capture(PAGE, recent.strftime("%Y%m%d%H%M%S"))
    archive.add_capture("https://example.org/old", "20150101000000")
    manifest = Manifest(tmp_path / "manifest.json")
    config = keyed(archive)
    outcomes = run_with(
        config,
        lambda client, limiter: archive_links(
            [ArchiveItem(PAGE, "Claim one."), ArchiveItem("https://example.org/old", "Two.")],
            client,
            config,
            limiter,
            manifest,
        ),
    )
    assert [outcome.status for outcome in outcomes] == [SaveStatus.RECENT, SaveStatus.SAVED]
    posts = archive.requests_to("/save", "POST")
    assert [dict(p.split("=", 1) for p in r.body.decode().split("&"))["url"] for r in posts] == [
        "https%3A%2F%2Fexample.org%2Fold"
    ]


def test_a_resumed_run_sends_no_save_requests(tmp_path: Path) -> None:
    items = [
        ArchiveItem("https://example.org/a", "Exports rose 5% in 2022."),
        ArchiveItem("https://example.org/b", "The treaty was signed in 1848."),
        ArchiveItem("https://web.archive.org/web/2020/https://example.org/c", "Archived."),
        ArchiveItem("https://example.org/a", "Listed twice."),
    ]
    path = tmp_path / "archive-manifest.json"
    with FakeArchive({}) as fake:
        config = fast_config(fake.url, check_before_save=False)
        first = run_with(
            config,
            lambda client, limiter: archive_links(items, client, config, limiter, Manifest(path)),
        )
        assert [o.status for o in first] == [
            SaveStatus.SAVED,
            SaveStatus.SAVED,
            SaveStatus.SKIPPED,
            SaveStatus.SAVED,
        ]
        assert first[0] == first[3]
        assert len(fake.requests_to("/save/")) == 2
        before = len(fake.requests)

        second = run_with(
            config,
            lambda client, limiter: archive_links(items, client, config, limiter, Manifest(path)),
        )
        assert len(fake.requests) == before  # zero requests of any kind on the rerun
        assert [o.status for o in second] == [o.status for o in first]
        assert all(o.resumed for o in second if o.status == SaveStatus.SAVED)
        assert [o.snapshot for o in second] == [o.snapshot for o in first]

    data = json.loads(path.read_text())
    assert data["version"] == 1
    (record,) = [r for r in data["records"] if r["url"] == "https://example.org/a"]
    assert record["claim"] == "Exports rose 5% in 2022."
    assert record["outcome"] == "saved" and record["source"] == "save-page-now"
    assert record["archive_url"].startswith(fake.url + "/web/")
    assert record["capture_time"].endswith("Z") and record["updated_at"].endswith("Z")


def test_an_interrupted_run_keeps_what_it_learned(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    with FakeArchive({}) as fake:
        # The second save fails for good: the first is in the manifest all the same.
        fake.save_runtime_error["https://example.org/b"] = "LiveDocumentNotAvailableException"
        config = fast_config(fake.url, check_before_save=False)
        items = [ArchiveItem("https://example.org/a"), ArchiveItem("https://example.org/b")]
        run_with(
            config,
            lambda client, limiter: archive_links(items, client, config, limiter, Manifest(path)),
        )
        manifest = Manifest(path)
        assert manifest.is_done("https://example.org/a")
        assert not manifest.is_done("https://example.org/b")
        # A rerun tries only the failed one again.
        del fake.save_runtime_error["https://example.org/b"]
        before = len(fake.requests_to("/save/"))
        run_with(
            config,
            lambda client, limiter: archive_links(items, client, config, limiter, manifest),
        )
        assert [r.path for r in fake.requests_to("/save/")[before:]] == [
            "/save/https://example.org/b"
        ]
    assert not list(tmp_path.glob("*.tmp"))  # atomic writes leave no temporaries


def test_a_corrupt_manifest_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_text("{not json")
    with pytest.raises(ManifestError):
        Manifest(path)


def test_keys_never_leave_the_process(
    archive: FakeArchive, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    environ = {"LINKCHECK_IA_ACCESS_KEY": ACCESS, "LINKCHECK_IA_SECRET_KEY": SECRET}
    config = dataclasses.replace(fast_config(archive.url), validate_snapshots=False)
    config = config.with_keys_from(environ)
    assert config.authenticated
    archive.spn_submit_errors["https://example.org/err"] = ["error:invalid-url-syntax"]
    archive.spn_job_errors["https://example.org/job"] = "error:no-access"
    archive.fail_next(1, status=429, retry_after="0", path_prefix="/save")
    manifest = Manifest(tmp_path / "manifest.json")
    items = [
        ArchiveItem("https://example.org/ok", "A claim."),
        ArchiveItem("https://example.org/err", "Another."),
        ArchiveItem("https://example.org/job", "Third."),
    ]

    async def work(client: httpx.AsyncClient, limiter: ArchiveLimiter) -> list[SaveOutcome]:
        return await archive_links(items, client, config, limiter, manifest)

    with caplog.at_level(logging.DEBUG):
        outcomes = run_with(config, work)
    manifest.export_csv(tmp_path / "manifest.csv")

    # The key did reach the archive, in the header and only there.
    assert {r.headers.get("authorization") for r in archive.requests_to("/save")} == {
        f"LOW {ACCESS}:{SECRET}"
    }
    outputs = [
        repr(config),
        str(config),
        repr(outcomes),
        (tmp_path / "manifest.json").read_text(),
        (tmp_path / "manifest.csv").read_text(),
        caplog.text,
        "\n".join(record.getMessage() for record in caplog.records),
    ]
    for text in outputs:
        assert ACCESS not in text and SECRET not in text
    assert [o.status for o in outcomes] == [SaveStatus.SAVED, SaveStatus.FAILED, SaveStatus.FAILED]
    assert "access_key" not in repr(config)


def test_keys_from_env() -> None:
    assert keys_from_env({}) == (None, None)
    assert keys_from_env({"IA_ACCESS_KEY": "a", "IA_SECRET_KEY": "s"}) == ("a", "s")
    both = {
        "IA_ACCESS_KEY": "a",
        "IA_SECRET_KEY": "s",
        "LINKCHECK_IA_ACCESS_KEY": "la",
        "LINKCHECK_IA_SECRET_KEY": "ls",
    }
    assert keys_from_env(both) == ("la", "ls")
    assert keys_from_env({"LINKCHECK_IA_ACCESS_KEY": " ", "IA_ACCESS_KEY": "a"}) == ("a", None)
    assert not ArchiveConfig(access_key="a").authenticated
    assert ArchiveConfig(access_key="a", secret_key="s").save_rate == 7.0
    assert ArchiveConfig().save_rate == 3.0


def test_durations() -> None:
    assert parse_duration("30d") == dt.timedelta(days=30)
    assert parse_duration("3d 5h 20m") == dt.timedelta(days=3, hours=5, minutes=20)
    assert parse_duration("3600") == dt.timedelta(hours=1)
    for bad in ("", "soon", "3x", "d"):
        with pytest.raises(ValueError):
            parse_duration(bad)
    with pytest.raises(ValueError):
        ArchiveConfig(recent_within="whenever")


def test_network_failures_do_not_carry_the_keys() -> None:
    import socket

    with socket.socket() as probe:  # a loopback port with nobody listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = fast_config(f"http://127.0.0.1:{port}", access_key=ACCESS, secret_key=SECRET)
    outcome = save(config)
    assert outcome.status == SaveStatus.FAILED and outcome.retryable
    assert outcome.reason is not None and outcome.reason.startswith("network: ConnectError")
    assert ACCESS not in repr(outcome) and SECRET not in repr(outcome)

    from linkcheck.archive import closest_snapshot

    problem = run_with(
        config, lambda client, limiter: closest_snapshot(PAGE, None, client, config, limiter)
    )
    assert ACCESS not in repr(problem) and SECRET not in repr(problem)
