"""`linkcheck archive`: snapshots near the document date, new captures, a resumable manifest,
archived copies, WARC capture, and keys that never reach an output."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from servers.demo import World, brief, demo_world_counted
from warcio.archiveiterator import ArchiveIterator

from linkcheck.cli import main

# The public services' rate limits are real limits; the fake archive has none.
FAST_ARCHIVE = Path(__file__).resolve().parent / "fixtures" / "fast-archive.toml"


@pytest.fixture
def world() -> Iterator[World]:
    with demo_world_counted() as running:
        running.archive.spn_pending_polls = 0
        yield running


@pytest.fixture
def config() -> Path:
    return FAST_ARCHIVE


def saves(world: World) -> list[str]:
    return [r.path for r in world.archive.recorded if r.path.startswith("/save")]


def test_archive_saves_each_link_once_and_a_rerun_resumes(
    world: World, config: Path, tmp_path: Path
) -> None:
    document = tmp_path / "brief.md"
    document.write_text(brief(world.site), encoding="utf-8")
    out = tmp_path / "out"
    args = ["archive", str(document), "--out-dir", str(out), "--config", str(config)]
    assert main([*args, "--wayback-url", world.archive.url, "-q"]) == 0
    first = saves(world)
    assert len(first) == 10  # every http(s) link, once; mailto: is not archived
    manifest = json.loads((out / "manifest.json").read_text())
    outcomes = {record["url"]: record["outcome"] for record in manifest["records"]}
    assert set(outcomes.values()) == {"saved"}
    assert (out / "manifest.csv").read_text().startswith("url,claim,archive_url")
    # a second run reads the manifest: nothing is asked again
    assert main([*args, "--wayback-url", world.archive.url, "-q"]) == 0
    assert saves(world) == first


def test_archived_markdown_copy_carries_the_snapshots(
    world: World, config: Path, tmp_path: Path
) -> None:
    document = tmp_path / "brief.md"
    document.write_text(brief(world.site), encoding="utf-8")
    out = tmp_path / "out"
    args = ["archive", str(document), "--out-dir", str(out), "--no-save", "--config", str(config)]
    assert main([*args, "--wayback-url", world.archive.url, "-q"]) == 0
    copy = (out / "brief.archived.md").read_text()
    snapshot = f"{world.archive.url}/web/20220601120000/{world.site}/cartels/territory-control"
    assert f"[archived 2022-06-01](<{snapshot}>)" in copy
    assert saves(world) == []  # --no-save: lookups only


def test_archived_html_copy_has_robust_links_attributes(
    world: World, config: Path, tmp_path: Path
) -> None:
    document = tmp_path / "brief.html"
    target = f"{world.site}/press/journalists-killed"
    document.write_text(
        "<html><head><meta name='citation_publication_date' content='2022-06-08'></head><body>"
        f"<p>Seven journalists were killed in 2021 (<a href='{target}'>data</a>).</p>"
        "</body></html>",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    args = ["archive", str(document), "--out-dir", str(out), "--no-save", "--config", str(config)]
    assert main([*args, "--wayback-url", world.archive.url, "-q"]) == 0
    anchor = BeautifulSoup((out / "brief.archived.html").read_text(), "html.parser").find("a")
    assert anchor is not None
    assert anchor["href"] == target
    assert anchor["data-originalurl"] == target
    assert anchor["data-versiondate"] == "2022-06-08"
    assert str(anchor["data-versionurl"]).startswith(
        f"{world.archive.url}/web/20220601120000/{target}"
    )


def test_warc_holds_our_own_fetches(world: World, config: Path, tmp_path: Path) -> None:
    document = tmp_path / "brief.md"
    document.write_text(brief(world.site), encoding="utf-8")
    warc = tmp_path / "pages.warc.gz"
    args = ["archive", str(document), "--out-dir", str(tmp_path / "out"), "--no-save"]
    assert main([*args, "--config", str(config), "--wayback-url", world.archive.url,
                 "--warc", str(warc), "-q"]) == 0  # fmt: skip
    with warc.open("rb") as stream:
        kinds = [
            (r.rec_type, r.rec_headers.get_header("WARC-Target-URI"))
            for r in ArchiveIterator(stream)
        ]
    assert ("response", f"{world.site}/reports/overdose-deaths-record") in kinds
    assert ("request", f"{world.site}/reports/overdose-deaths-record") in kinds


def test_keys_come_from_the_environment_and_reach_no_output(
    world: World,
    config: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("LINKCHECK_IA_ACCESS_KEY", "ACCESS-k3y")
    monkeypatch.setenv("LINKCHECK_IA_SECRET_KEY", "SECRET-s3cr3t")
    document = tmp_path / "one.md"
    document.write_text(f"Deaths rose ([data]({world.site}/reports/overdose-deaths-record)).\n")
    out = tmp_path / "out"
    args = ["archive", str(document), "--out-dir", str(out), "--config", str(config)]
    assert main([*args, "--wayback-url", world.archive.url]) == 0
    posts = [r for r in world.archive.recorded if r.method == "POST" and r.path == "/save"]
    assert posts and posts[0].headers["authorization"] == "LOW ACCESS-k3y:SECRET-s3cr3t"
    printed = capsys.readouterr()
    for text in (printed.out, printed.err, *(p.read_text() for p in out.iterdir())):
        assert "SECRET-s3cr3t" not in text and "ACCESS-k3y" not in text


def test_malformed_links_are_reported_and_never_sent_to_the_archive(
    world: World, config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A link with a broken host ("http://[x/") once ended both commands with an internal error.
    document = tmp_path / "brief.md"
    malformed = ("http://[draft/notes", "http://editor@/tracked")
    extra = "".join(f"\nSee also [the draft]({url})." for url in malformed)
    document.write_text(brief(world.site) + extra, encoding="utf-8")
    out = tmp_path / "out"
    args = ["archive", str(document), "--out-dir", str(out), "--config", str(config)]
    assert main([*args, "--wayback-url", world.archive.url, "-q"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    recorded = {record["url"] for record in manifest["records"]}
    assert not recorded & set(malformed)
    assert len(saves(world)) == 10  # the brief's own links, as without the malformed ones
    asked = " ".join(f"{r.path}?{r.query}" for r in world.archive.requests)
    assert "draft" not in asked and "editor" not in asked
    capsys.readouterr()
    short = tmp_path / "short.md"  # the brief's own links take seconds to check (slow routes)
    short.write_text(f"Our [home]({world.site}/).{extra}", encoding="utf-8")
    audit = ["audit", str(short), "--config", str(config), "--no-cache", "-f", "json", "-q"]
    assert main([*audit, "--wayback-url", world.archive.url]) == 1
    links = {link["url"]: link for link in json.loads(capsys.readouterr().out)["links"]}
    assert links[f"{world.site}/"]["status"] == "ok"
    for url in malformed:
        assert (links[url]["status"], links[url]["reason"]) == ("broken", "error")
        assert links[url]["detail"].startswith("invalid URL: ")
        assert links[url]["archive"] is None
