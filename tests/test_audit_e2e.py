"""`linkcheck audit` end to end, against a loopback policy site and a fake Wayback Machine."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from servers.demo import brief, demo_world
from servers.fake_archive import FakeArchive
from warcio.archiveiterator import ArchiveIterator

from linkcheck.check import CheckConfig
from linkcheck.cli import main
from linkcheck.pipeline import AuditOptions, ExtractOptions, audit_documents

# The public archive's rate limits are real limits; the fake archive has none, so every audit
# here reads a configuration file that lifts them.
_CONFIG = Path(__file__).resolve().parent / "fixtures" / "fast-archive.toml"
FAST = [
    "--timeout", "5", "--retries", "0", "--host-interval", "0", "--no-cache", "-q",
    "--config", str(_CONFIG),
]  # fmt: skip


@pytest.fixture(scope="module")
def world() -> Iterator[tuple[str, FakeArchive]]:
    with demo_world() as running:
        yield running


@pytest.fixture(scope="module")
def audited(
    world: tuple[str, FakeArchive], tmp_path_factory: pytest.TempPathFactory
) -> tuple[int, dict[str, Any], Path]:
    site, archive = world
    folder = tmp_path_factory.mktemp("audit")
    document = folder / "brief.md"
    document.write_text(brief(site), encoding="utf-8")
    report = folder / "report.json"
    warc = folder / "fetches.warc.gz"
    args = ["audit", str(document), "--wayback-url", archive.url, "--warc", str(warc)]
    code = main([*args, *FAST, "--output", f"json:{report}"])
    return code, json.loads(report.read_text()), warc


def by_path(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {link["url"].split("/", 3)[-1]: link for link in report["links"]}


def test_verdicts_for_every_kind_of_link(audited: tuple[int, dict[str, Any], Path]) -> None:
    code, report, _ = audited
    links = by_path(report)
    got = {path: (link["status"], link["reason"]) for path, link in links.items()}
    assert got == {
        "reports/overdose-deaths-record": ("ok", None),
        "border/encounters-per-day": ("ok", None),
        "trade/letters-usmca": ("ok", None),
        "cartels/territory-control": ("ok", None),
        "press/journalists-killed": ("broken", "http-404"),
        "press/archive-lost": ("broken", "http-410"),
        "old/trade-report": ("redirected", None),
        "news/2021/senate-letter": ("broken", "redirect-to-root"),
        "data/homicides": ("broken", "soft-404"),
        "protected/fentanyl-seizures": ("blocked", "bot-challenge"),
        "mailto:office@example.org": ("skipped", "unsupported-scheme"),
    }
    assert links["old/trade-report"]["final_url"].endswith("/new/trade-report")
    assert code == 1  # broken links fail the run by default


def test_archive_snapshots_nearest_the_brief_date(
    audited: tuple[int, dict[str, Any], Path], world: tuple[str, FakeArchive]
) -> None:
    _, report, _ = audited
    links = by_path(report)
    snapshot = links["press/journalists-killed"]["archive"]
    assert snapshot["timestamp"] == "20220601120000"
    assert snapshot["url"].startswith(world[1].url + "/web/20220601120000/")
    assert snapshot["source"] == "wayback"
    assert links["press/archive-lost"]["archive"] is None


def test_support_and_drift_for_each_claim(audited: tuple[int, dict[str, Any], Path]) -> None:
    _, report, _ = audited
    support = {
        path: link["occurrences"][0]["support"]
        for path, link in by_path(report).items()
        if link["occurrences"][0]["support"]
    }
    assert support["reports/overdose-deaths-record"]["verdict"] == "supported"
    assert "nearly 106,000" in support["reports/overdose-deaths-record"]["facts_found"]
    assert support["border/encounters-per-day"]["verdict"] == "partial"
    assert support["trade/letters-usmca"]["verdict"] == "not-found"
    drifted = support["cartels/territory-control"]
    assert (drifted["verdict"], drifted["source"]) == ("drifted", "archive")
    assert "30-35 percent" in drifted["archive_passage"]
    assert drifted["similarity"] is not None and drifted["similarity"] < 0.5
    dead = support["press/journalists-killed"]
    assert (dead["verdict"], dead["source"]) == ("drifted", "archive")
    assert support["press/archive-lost"]["verdict"] == "unknown"
    assert report["summary"]["by_support"]["drifted"] == 2


def test_every_fetch_is_in_the_warc(audited: tuple[int, dict[str, Any], Path]) -> None:
    _, _, warc = audited
    with warc.open("rb") as stream:
        records = [
            (r.rec_type, r.rec_headers.get_header("WARC-Target-URI"))
            for r in ArchiveIterator(stream)
        ]
    responses = {uri for kind, uri in records if kind == "response"}
    requests = {uri for kind, uri in records if kind == "request"}
    assert any(uri.endswith("/reports/overdose-deaths-record") for uri in responses)
    assert any(uri.endswith("/press/journalists-killed") for uri in responses)
    assert responses == requests


@pytest.mark.parametrize(
    ("fail_on", "expected"),
    [("none", 0), ("broken", 1), ("blocked", 1), ("drifted", 1), ("redirected", 1)],
)
def test_fail_on_decides_the_exit_code(
    fail_on: str, expected: int, world: tuple[str, FakeArchive], tmp_path: Path
) -> None:
    site, archive = world
    document = tmp_path / "brief.md"
    document.write_text(brief(site), encoding="utf-8")
    args = ["audit", str(document), "--wayback-url", archive.url, "--fail-on", fail_on]
    assert main([*args, *FAST, "-f", "json", "-o", str(tmp_path / "r.json")]) == expected


def test_only_ok_links_exit_0(world: tuple[str, FakeArchive], tmp_path: Path) -> None:
    site, _ = world
    document = tmp_path / "ok.md"
    document.write_text(f"Deaths rose ([data]({site}/reports/overdose-deaths-record)).\n")
    assert main(["audit", str(document), "--archive", "none", *FAST]) == 0


def test_offline_machine_exits_3_and_calls_nothing_broken(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = tmp_path / "offline.md"
    document.write_text(
        "One [a](https://nowhere.invalid/a). Two [b](https://also.invalid/b).\n", encoding="utf-8"
    )
    code = main(["audit", str(document), *FAST, "-f", "json"])
    captured = capsys.readouterr()
    assert code == 3
    assert "could not check: the network is unreachable" in captured.err
    statuses = {link["status"] for link in json.loads(captured.out)["links"]}
    assert statuses == {"unreachable"}


def test_a_document_given_by_its_web_address(
    world: tuple[str, FakeArchive], capsys: pytest.CaptureFixture[str]
) -> None:
    site, _ = world
    code = main(
        ["audit", f"{site}/brief.md", "--archive", "none", "--no-support", *FAST, "-f", "json"]
    )
    report = json.loads(capsys.readouterr().out)
    assert code == 1
    assert report["documents"][0]["source"] == f"{site}/brief.md"
    assert report["documents"][0]["format"] == "markdown"
    assert len(report["links"]) == 11


def test_progress_streams_every_result(world: tuple[str, FakeArchive], tmp_path: Path) -> None:
    site, _ = world
    document = tmp_path / "brief.md"
    document.write_text(brief(site), encoding="utf-8")
    calls: list[tuple[int, int]] = []
    options = AuditOptions(check=CheckConfig(timeout=5, retries=0, host_interval=0), support=False)
    result = asyncio.run(
        audit_documents(
            [str(document)], ExtractOptions(), options,
            progress=lambda done, total, url: calls.append((done, total)),
        )
    )  # fmt: skip
    checkable = sum(1 for link in result.report.links if link.url.startswith("http"))
    assert calls[0] == (0, checkable)
    assert [done for done, _ in calls] == list(range(checkable + 1))


def test_the_python_api_audits_like_the_cli(world: tuple[str, FakeArchive], tmp_path: Path) -> None:
    import linkcheck
    from linkcheck.archive import ArchiveConfig

    site, archive = world
    document = tmp_path / "brief.md"
    document.write_text(brief(site), encoding="utf-8")
    report = linkcheck.audit(
        [str(document)],
        check=CheckConfig(timeout=5, retries=0, host_interval=0),
        archive=ArchiveConfig(wayback_url=archive.url, lookup_rate=60000),
    )
    statuses = {link.url.rsplit("/", 1)[-1]: link.verdict.status for link in report.links}
    assert statuses["journalists-killed"] is linkcheck.Status.BROKEN
    dead = next(link for link in report.links if link.url.endswith("journalists-killed"))
    assert dead.archive is not None and dead.archive.timestamp == "20220601120000"


def test_the_terminal_summary_groups_by_status_and_shows_problems_with_their_claims(
    world: tuple[str, FakeArchive], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site, archive = world
    document = tmp_path / "brief.md"
    document.write_text(brief(site), encoding="utf-8")
    args = ["audit", str(document), "--wayback-url", archive.url, "-o", f"json:{tmp_path / 'r'}"]
    main([*args, *(flag for flag in FAST if flag != "-q")])
    err = capsys.readouterr().err
    assert "11 links in 1 document(s)" in err
    assert "claim support: " in err and "2 drifted" in err
    assert "broken http-404" in err  # a problem, then where it is cited and its claim
    assert "At least 7 journalists were killed in Mexico in 2021" in err
    assert "archived: " in err  # the dead link's replacement


def test_the_progress_bar_shows_checked_of_total_and_current_hosts() -> None:
    import io

    from rich.console import Console

    from linkcheck.report.terminal import progress_bar

    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=120, no_color=True)
    with progress_bar(console) as progress:
        assert progress is not None
        progress(0, 3, "")
        progress(1, 3, "https://a.example/x")
        progress(2, 3, "https://b.example/y")
        progress(3, 4, "http://[draft/notes")  # malformed: reported broken, not a crash here
    shown = buffer.getvalue()  # the last frame is drawn when the bar closes
    assert "3/4" in shown
    assert "a.example b.example" in shown
    plain = Console(file=io.StringIO(), force_terminal=False)
    with progress_bar(plain) as nothing:
        assert nothing is None  # not a terminal: plain output, no bar
