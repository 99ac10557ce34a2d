"""Checking in several processes: whole hosts per worker, the same verdicts as one process,
bodies only where asked, and a dead or abandoned worker costing nothing but its own URLs."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import json
import os
import pickle
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from servers.scenario import FAST, Scenario, check_all, paced

from linkcheck import pipeline
from linkcheck.cache import CheckStore
from linkcheck.check import CheckConfig, CheckResult, make_client
from linkcheck.check import processes as processes_module
from linkcheck.check import spawn as spawn_module
from linkcheck.check import worker as worker_module
from linkcheck.check.processes import (
    HostDealer,
    check_urls_in_processes,
    process_count,
    share_of_concurrency,
    split_by_host,
)
from linkcheck.check.spawn import (
    PARALLEL_MIN_JUDGED,
    PARALLEL_MIN_URLS,
    StartedWorkers,
    processes_ahead,
)
from linkcheck.check.worker import FRAME_HEADER, Job, frame, read_frame
from linkcheck.cli import main
from linkcheck.extract import markdown as markdown_module
from linkcheck.machine import default_processes
from linkcheck.models import Claim, Location, Status, SupportVerdict, Verdict
from linkcheck.pipeline import run_sync
from linkcheck.report import json as report_json
from linkcheck.report.json import PreparedJson
from linkcheck.support.live import LivePage, judge_page
from linkcheck.support.spool import TextSpool

MIXED = ["/ok", "/gone", "/chain/1", "/temp", "/soft-en", "/anchors#findings", "/anchors#nope"]


def in_processes(
    urls: list[str],
    config: CheckConfig = FAST,
    processes: int = 2,
    bodies_for: tuple[str, ...] = (),
) -> dict[str, CheckResult]:
    async def collect() -> dict[str, CheckResult]:
        # This process's own client is for groups no worker can take; the user agent is the
        # workers' business (one test gives them one that httpx cannot send).
        async with make_client(dataclasses.replace(config, user_agent=FAST.user_agent)) as client:
            results = check_urls_in_processes(
                urls, config, client, processes=processes, bodies_for=bodies_for
            )
            async with contextlib.aclosing(results):
                return {result.url: result async for result, _ in results}

    return run_sync(collect())


def worker_pids() -> list[int]:
    """This process's live children that are checking workers."""
    pids = []
    for task in os.listdir(f"/proc/{os.getpid()}/task"):
        with (
            contextlib.suppress(FileNotFoundError),
            open(f"/proc/{os.getpid()}/task/{task}/children") as handle,
        ):  # a thread may end in between
            pids.extend(int(word) for word in handle.read().split())
    return [pid for pid in pids if b"linkcheck.check.worker" in _cmdline(pid)]


def _cmdline(pid: int) -> bytes:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read()
    except OSError:
        return b""


# --- dealing out hosts ---------------------------------------------------------------------


def test_hosts_stay_whole_and_the_groups_are_balanced() -> None:
    urls = [f"http://big.org/{i}" for i in range(6)]
    urls += [f"http://mid.org/{i}" for i in range(4)]
    urls += [f"http://small{i}.org/" for i in range(3)]
    groups = split_by_host([*urls, urls[0]], 2)  # a duplicate counts once
    assert sorted(len(group) for group in groups) == [6, 7]
    hosts = [{url.split("/")[2] for url in group} for group in groups]
    assert not hosts[0] & hosts[1]
    assert sorted(url for group in groups for url in group) == sorted(urls)
    for group in groups:  # document order is kept within a group
        assert group == [url for url in urls if url in group]


def test_sibling_hosts_are_dealt_together_so_their_redirects_meet_one_limit() -> None:
    # http://example.org/a redirecting to https://www.example.org/a, cited beside links to
    # www.example.org: dealt apart, www.example.org would see one host_concurrency per worker.
    urls = [
        "http://example.org/1",
        "https://www.example.org/2",
        "https://data.census.gov/table",
        "https://www.census.gov/library",
        "https://www.bbc.co.uk/news",
        "https://news.bbc.co.uk/1/hi",
        "https://www.gov.uk/guidance",
        "http://127.0.0.1/a",
        "http://127.0.0.2/b",
        "http://[::1]:8080/c",
    ]
    groups = split_by_host(urls, 10)
    assert sorted(groups) == sorted(
        [
            ["http://example.org/1", "https://www.example.org/2"],
            ["https://data.census.gov/table", "https://www.census.gov/library"],
            ["https://www.bbc.co.uk/news", "https://news.bbc.co.uk/1/hi"],
            ["https://www.gov.uk/guidance"],
            ["http://127.0.0.1/a"],  # an address is a site of its own
            ["http://127.0.0.2/b"],
            ["http://[::1]:8080/c"],
        ]
    )
    assert process_count(CheckConfig(processes=8), urls) == 7  # no more workers than sites


def test_more_parts_than_hosts_gives_one_group_per_host() -> None:
    urls = ["http://a.org/1", "http://a.org/2", "http://B.org/1"]
    assert split_by_host(urls, 4) == [["http://a.org/1", "http://a.org/2"], ["http://B.org/1"]]


def test_concurrency_is_shared_in_proportion_and_never_exceeded() -> None:
    assert share_of_concurrency(64, [5000, 5000]) == [32, 32]
    assert share_of_concurrency(10, [700, 200, 100]) == [7, 2, 1]
    shares = share_of_concurrency(7, [1, 1, 1])
    assert sum(shares) == 7 and min(shares) >= 2
    assert share_of_concurrency(3, [1000, 1, 1]) == [1, 1, 1]  # at least one each


def test_how_many_processes() -> None:
    many = [f"http://host{i % 8}.org/{i}" for i in range(PARALLEL_MIN_URLS)]
    few = many[: PARALLEL_MIN_URLS - 1]
    auto = CheckConfig(concurrency=64)
    assert process_count(auto, few) == 1  # not worth a process's start-up
    assert 1 <= process_count(auto, many) <= 4
    assert process_count(dataclasses.replace(auto, processes=3), few) == 3
    assert process_count(dataclasses.replace(auto, processes=16), few) == 8  # one per host
    assert process_count(CheckConfig(concurrency=2, processes=4), many) == 2
    one_host = [f"http://one.org/{i}" for i in range(PARALLEL_MIN_URLS)]
    assert process_count(auto, one_host) == 1
    with pytest.raises(ValueError, match="processes"):
        CheckConfig(processes=0)


def test_pages_to_judge_make_workers_worth_their_start_up_sooner() -> None:
    urls = [f"http://host{i % 8}.org/{i}" for i in range(PARALLEL_MIN_JUDGED)]
    auto = CheckConfig(concurrency=64)
    assert process_count(auto, urls) == 1
    assert process_count(auto, urls, judged=PARALLEL_MIN_JUDGED - 1) == 1
    assert process_count(auto, urls, judged=PARALLEL_MIN_JUDGED) == min(default_processes(), 8)
    assert processes_ahead(auto, PARALLEL_MIN_JUDGED, judging=False) == 0
    ahead = processes_ahead(auto, PARALLEL_MIN_JUDGED, judging=True)
    assert ahead == (default_processes() if default_processes() > 1 else 0)


def test_how_many_processes_to_start_ahead() -> None:
    auto = CheckConfig(concurrency=64)
    assert processes_ahead(auto, PARALLEL_MIN_URLS - 1) == 0
    assert processes_ahead(dataclasses.replace(auto, processes=3), PARALLEL_MIN_URLS) == 3
    assert processes_ahead(dataclasses.replace(auto, processes=1), 10 * PARALLEL_MIN_URLS) == 0
    assert processes_ahead(CheckConfig(concurrency=2, processes=4), PARALLEL_MIN_URLS) == 2


# --- against the scenario servers ----------------------------------------------------------


def test_workers_reach_the_same_verdicts_as_one_process(servers: Scenario) -> None:
    urls = [servers.url(host, path) for host in ("a", "b", "c") for path in MIXED]
    alone = check_all(urls)
    requests_alone = servers.total()
    servers.reset()
    spread = in_processes(urls, processes=3)
    assert set(spread) == set(urls)
    for url in urls:
        timed = dataclasses.replace(alone[url].verdict, elapsed=spread[url].verdict.elapsed)
        assert spread[url].verdict == timed, url
    # One GET per page (fragments share it), hops and one soft-404 probe per host, as alone.
    assert servers.total() == requests_alone
    assert servers.count("b", "/anchors") == 1
    assert spread[servers.url("a", "/gone")].verdict.status is Status.BROKEN
    assert spread[servers.url("c", "/anchors#nope")].verdict.reason == "fragment-missing"


def test_bodies_come_back_only_where_asked(servers: Scenario) -> None:
    wanted = servers.url("a", "/latin1")
    other = servers.url("b", "/ok")
    results = in_processes([wanted, other], bodies_for=(wanted,))
    assert results[wanted].body is not None and b"Secretar" in results[wanted].body
    assert results[wanted].charset == "iso-8859-1"
    assert results[other].verdict.status is Status.OK
    assert results[other].body is None


def test_a_host_keeps_its_limits_in_its_worker(servers: Scenario) -> None:
    config = dataclasses.replace(FAST, host_concurrency=1, soft404_probe=False)
    urls = [servers.url("c", f"/slow?s=0.2&n={i}") for i in range(3)]
    urls += [servers.url("a", "/ok")]
    results = in_processes(urls, config)
    assert all(r.verdict.status is Status.OK for r in results.values())
    starts = sorted(seen.at for seen in servers.seen("c"))
    assert len(starts) == 3
    assert all(later - earlier >= 0.18 for earlier, later in itertools.pairwise(starts))


def test_a_worker_that_dies_costs_only_its_own_urls(servers: Scenario) -> None:
    quick = [servers.url("a", path) for path in ("/ok", "/gone", "/temp")]
    stuck = [servers.url("b", f"/hang?s=3&n={i}") for i in range(2)]

    async def run() -> dict[str, CheckResult]:
        found: dict[str, CheckResult] = {}
        client = make_client(FAST)
        results = check_urls_in_processes([*quick, *stuck], FAST, client, processes=2)
        async with client, contextlib.aclosing(results):
            async for result, _ in results:
                found[result.url] = result
                if set(quick) <= set(found) and not set(stuck) & set(found):
                    for pid in worker_pids():  # host b's worker is still waiting
                        with contextlib.suppress(ProcessLookupError):
                            os.kill(pid, 9)
        return found

    found = run_sync(run())
    assert set(found) == set(quick + stuck)
    assert found[servers.url("a", "/gone")].verdict.status is Status.BROKEN
    for url in stuck:
        verdict = found[url].verdict
        assert (verdict.status, verdict.reason) == (Status.UNREACHABLE, "error")
        assert verdict.detail is not None and "exited with code -9" in verdict.detail


def test_stopping_early_stops_the_workers(servers: Scenario) -> None:
    urls = [servers.url("a", "/ok")] + [servers.url("b", f"/hang?s=3&n={i}") for i in range(3)]

    async def first_then_stop() -> tuple[str, list[int]]:
        client = make_client(FAST)
        results = check_urls_in_processes(urls, FAST, client, processes=2)
        async with client, contextlib.aclosing(results):
            async for result, _ in results:
                running = worker_pids()
                return result.url, running
        raise AssertionError("no result")

    url, running = run_sync(first_then_stop())
    assert url == servers.url("a", "/ok")
    assert running  # at least host b's worker was alive when we stopped
    assert worker_pids() == []  # stopped and reaped, not left behind


def test_a_worker_that_cannot_start_its_job_reports_why(
    servers: Scenario, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A user agent httpx cannot send (a caller of the library, past the checks of the command
    # line and the configuration file): making the client fails in each worker, and every URL
    # still gets a verdict that says what happened.
    config = dataclasses.replace(FAST, user_agent="linkcheck \N{CHECK MARK}")
    urls = [servers.url("a", "/ok"), servers.url("b", "/ok")]
    results = in_processes(urls, config)
    for url in urls:
        verdict = results[url].verdict
        assert (verdict.status, verdict.reason) == (Status.UNREACHABLE, "error")
        assert verdict.detail is not None and "failed" in verdict.detail
        assert "UnicodeEncodeError" in verdict.detail
    assert servers.total() == 0


def test_a_worker_that_speaks_nonsense_costs_its_urls_not_the_run(
    servers: Scenario, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Something that is not our worker (another version, say) answers with a frame that does
    # not unpickle: its URLs get an error, and the run ends rather than waiting forever.
    impostor = tmp_path / "python"
    impostor.write_text("#!/bin/sh\nprintf '\\0\\0\\0\\0\\0\\0\\0\\5junk!'\ncat >/dev/null\n")
    impostor.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(impostor))
    urls = [servers.url("a", "/ok"), servers.url("b", "/ok")]

    found: list[dict[str, CheckResult]] = []
    run = threading.Thread(target=lambda: found.append(in_processes(urls)), daemon=True)
    run.start()
    run.join(30)  # a daemon thread: a regression that waits forever fails here, not hangs
    assert found, "the run did not end"
    results = found[0]
    for url in urls:
        verdict = results[url].verdict
        assert (verdict.status, verdict.reason) == (Status.UNREACHABLE, "error")
        assert verdict.detail is not None and "unreadable result" in verdict.detail
    assert servers.total() == 0


def test_a_module_in_the_working_directory_cannot_stand_in_for_the_workers_own(
    servers: Scenario, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The working directory is the audited repository in CI: it must not be on the path.
    (tmp_path / "certifi.py").write_text("raise ImportError('shadowed certifi')\n")
    monkeypatch.chdir(tmp_path)
    urls = [servers.url("a", "/ok"), servers.url("b", "/gone")]
    results = in_processes(urls)
    assert results[urls[0]].verdict.status is Status.OK
    assert results[urls[1]].verdict.status is Status.BROKEN


@contextlib.contextmanager
def _worker_given(job: Job) -> Iterator[subprocess.Popen[bytes]]:
    """A worker process started by hand with `job` on its stdin (kept open); killed at the end
    if it is still running."""
    worker = subprocess.Popen(
        [sys.executable, "-P", "-m", "linkcheck.check.worker"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert worker.stdin is not None
        worker.stdin.write(frame(job))
        worker.stdin.flush()
        yield worker
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()


def test_a_worker_stops_when_its_parent_is_gone(servers: Scenario) -> None:
    # Its stdin stays open while the parent lives; at its end the worker exits, even with
    # checks still waiting (here: hanging pages, one at a time, 2 s each).
    config = dataclasses.replace(FAST, host_concurrency=1, retries=0)
    job = Job(tuple(servers.url("b", f"/hang?s=3&n={i}") for i in range(6)), config, frozenset())
    with _worker_given(job) as worker:
        assert worker.stdin is not None
        deadline = time.monotonic() + 10
        while not servers.seen("b") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert servers.seen("b"), "the worker never started checking"
        worker.stdin.close()
        assert worker.wait(timeout=5) == 0  # well before its six checks could end
        assert servers.total("b") <= 2


def test_a_worker_that_has_sent_everything_exits_by_itself_and_cleanly(
    servers: Scenario,
) -> None:
    # The parent keeps the worker's stdin open until the worker has exited, and waits for
    # that exit before its report is done: the exit must not wait on the stdin watcher
    # (which used to hold the input's lock: a 1 s wait, then a fatal error and SIGABRT).
    job = Job((servers.url("a", "/ok"), servers.url("b", "/gone")), FAST, frozenset())
    with _worker_given(job) as worker:
        assert worker.stdout is not None
        frames = []
        while True:
            (size,) = FRAME_HEADER.unpack(worker.stdout.read(FRAME_HEADER.size))
            frames.append(pickle.loads(worker.stdout.read(size)))
            if frames[-1] is None:
                break
        sent_everything = time.monotonic()
        assert worker.wait(timeout=5) == 0
        assert time.monotonic() - sent_everything < 0.5
        assert sorted(result.url for batch in frames[:-1] for result, _ in batch) == sorted(
            job.urls
        )
        assert worker.stderr is not None and b"Fatal" not in worker.stderr.read()


SUPPORTED_CLAIM = Claim(
    "brief.md#1",
    "The ministry publishes its annual report on regional trade, migration and water agreements.",
    Location("brief.md", 1, 3, 1),
)
UNSUPPORTED_CLAIM = Claim(
    "brief.md#2",
    "Remittances to the region reached 63.3 billion dollars in 2023.",
    Location("brief.md", 1, 5, 1),
)


@pytest.mark.parametrize("executable", [None, "/nonexistent/python"])
def test_claims_are_judged_where_the_page_arrives_and_the_page_stays_there(
    servers: Scenario, monkeypatch: pytest.MonkeyPatch, executable: str | None
) -> None:
    # Judged by the worker that fetched the page (or, without subprocesses, here): the same
    # judgement as in one process, the page's text sent only where a claim was not supported
    # (drift needs it), and no body at all.
    ok_a, ok_b, gone = servers.url("a", "/ok"), servers.url("b", "/ok"), servers.url("b", "/gone")
    claims = {
        ok_a: (SUPPORTED_CLAIM, None),
        ok_b: (UNSUPPORTED_CLAIM,),
        gone: (SUPPORTED_CLAIM,),
    }
    if executable is not None:
        monkeypatch.setattr(sys, "executable", executable)

    async def collect() -> dict[str, tuple[CheckResult, LivePage | None]]:
        async with make_client(FAST) as client:
            results = check_urls_in_processes(
                [ok_a, ok_b, gone], FAST, client, processes=2, claims=claims
            )
            async with contextlib.aclosing(results):
                return {result.url: (result, live) async for result, live in results}

    found = run_sync(collect())
    alone = check_all([ok_a, ok_b])
    for url in (ok_a, ok_b):
        result, live = found[url]
        assert result.body is None and live is not None
        body = alone[url].body
        assert body is not None
        expected = judge_page(claims[url], body, "text/html", alone[url].charset)
        assert live == expected
    live_a, live_b = found[ok_a][1], found[ok_b][1]
    assert live_a is not None and live_b is not None
    assert live_a.supports[0] is not None and live_a.supports[1] is None
    assert live_a.supports[0].verdict is SupportVerdict.SUPPORTED and live_a.text is None
    assert live_b.supports[0] is not None
    assert live_b.supports[0].verdict is not SupportVerdict.SUPPORTED
    assert live_b.text is not None and "regional trade" in live_b.text
    assert found[gone][1] is None  # no page: judged later, from the archive if any


def _count_spawns(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Each worker process started from now on adds to the returned list."""
    spawned: list[int] = []
    original = spawn_module.spawn_worker

    async def counting() -> asyncio.subprocess.Process:
        spawned.append(1)
        return await original()

    monkeypatch.setattr(spawn_module, "spawn_worker", counting)
    return spawned


def test_workers_started_ahead_are_used_before_any_new_one(
    servers: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    urls = [servers.url(host, path) for host in ("a", "b") for path in MIXED]
    alone = check_all(urls)
    servers.reset()

    async def main() -> tuple[dict[str, CheckResult], int]:
        started = await StartedWorkers.start(2)
        spawned = _count_spawns(monkeypatch)
        async with make_client(FAST) as client:
            results = check_urls_in_processes(urls, FAST, client, processes=2, started=started)
            async with contextlib.aclosing(results):
                found = {result.url: result async for result, _ in results}
        await started.aclose()
        return found, len(spawned)

    results, spawned_later = run_sync(main())
    assert spawned_later == 0
    for url in urls:
        timed = dataclasses.replace(alone[url].verdict, elapsed=results[url].verdict.elapsed)
        assert results[url].verdict == timed, url
    assert worker_pids() == []


def test_workers_started_ahead_and_not_needed_exit_cleanly() -> None:
    async def main() -> list[tuple[int | None, bytes]]:
        started = await StartedWorkers.start(2)
        workers = list(started._waiting)
        await started.aclose()
        return [(w.returncode, await w.stderr.read() if w.stderr else b"") for w in workers]

    assert run_sync(main()) == [(0, b""), (0, b"")]
    assert worker_pids() == []


def test_workers_started_ahead_are_stopped_when_the_start_is_cancelled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spawn = spawn_module.spawn_worker
    spawned: list[asyncio.subprocess.Process] = []

    async def first_then_cancelled() -> asyncio.subprocess.Process:
        if spawned:
            raise asyncio.CancelledError  # Ctrl-C while the second one starts
        spawned.append(await spawn())
        return spawned[0]

    monkeypatch.setattr(spawn_module, "spawn_worker", first_then_cancelled)

    async def main() -> None:
        with contextlib.suppress(asyncio.CancelledError):
            await StartedWorkers.start(2)

    run_sync(main())
    assert len(spawned) == 1 and spawned[0].returncode == 0
    assert worker_pids() == []


def _workers_from(urls: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs of this many URLs count as large: workers, started ahead, check them."""
    monkeypatch.setattr(processes_module, "PARALLEL_MIN_URLS", urls)
    monkeypatch.setattr(spawn_module, "PARALLEL_MIN_URLS", urls)


def test_an_audit_of_many_links_starts_its_workers_while_reading(
    servers: Scenario,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _workers_from(8, monkeypatch)
    spawned = _count_spawns(monkeypatch)
    spawned_before_reading: list[int] = []
    read_sources = pipeline.read_sources

    def reading(*args: Any, **kwargs: Any) -> Any:
        spawned_before_reading.append(len(spawned))
        return read_sources(*args, **kwargs)

    monkeypatch.setattr(pipeline, "read_sources", reading)
    urls = [servers.url(host, f"/ok?n={n}") for host in ("a", "b") for n in range(5)]
    document = tmp_path / "list.md"
    common = ["audit", str(document), "-q", "-f", "json", "--archive", "none", "--no-cache"]
    common += ["--host-interval", "0", "--timeout", "5", "--processes", "2", "--no-support"]
    document.write_text("".join(f"- <{url}>\n" for url in urls), encoding="utf-8")
    assert main(common) == 0
    report = json.loads(capsys.readouterr().out)
    assert {link["url"] for link in report["links"] if link["status"] == "ok"} == set(urls)
    assert spawned_before_reading == [2] and len(spawned) == 2  # both ahead, none after
    assert worker_pids() == []

    # Fewer than PARALLEL_MIN_URLS: none ahead, and, with --processes, started when needed.
    spawned.clear()
    spawned_before_reading.clear()
    document.write_text("".join(f"- <{url}>\n" for url in urls[3:7]), encoding="utf-8")
    assert main(common) == 0
    assert len(json.loads(capsys.readouterr().out)["links"]) == 4
    assert spawned_before_reading == [0] and len(spawned) == 2


@pytest.mark.parametrize("executable", ["/nonexistent/python", None])
def test_without_subprocesses_the_groups_are_checked_here(
    servers: Scenario, monkeypatch: pytest.MonkeyPatch, executable: str | None
) -> None:
    urls = [servers.url(host, path) for host in ("a", "b") for path in MIXED]
    alone = check_all(urls)
    requests_alone = servers.total()
    servers.reset()
    monkeypatch.setattr(sys, "executable", executable)  # no process can start
    here = in_processes(urls)
    assert worker_pids() == []
    for url in urls:
        timed = dataclasses.replace(alone[url].verdict, elapsed=here[url].verdict.elapsed)
        assert here[url].verdict == timed, url
    assert servers.total() == requests_alone


# --- the command line ----------------------------------------------------------------------


def test_audit_with_processes_writes_the_same_report(
    servers: Scenario, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [
        f"The ministry's report on trade is at [{path}]({servers.url(host, path)})."
        for host in ("a", "b", "c")
        for path in MIXED
    ]
    document = tmp_path / "brief.md"
    document.write_text("\n\n".join(lines) + "\n", encoding="utf-8")
    common = ["audit", str(document), "-q", "-f", "json", "--archive", "none", "--no-cache"]
    common += ["--host-interval", "0", "--timeout", "5", "--retries", "0"]
    reports = []
    for processes in ("1", "3"):
        code = main([*common, "--processes", processes])
        assert code == 1  # the 404s fail the run, either way
        reports.append(json.loads(capsys.readouterr().out))
    one, three = ({link["url"]: link for link in report["links"]} for report in reports)
    assert one.keys() == three.keys() and len(one) == len(MIXED) * 3
    for url, link in one.items():
        assert {k: v for k, v in three[url].items() if k != "elapsed"} == {
            k: v for k, v in link.items() if k != "elapsed"
        }, url
    # Support was judged from the bodies the workers sent back.
    supports = [o["support"] for link in three.values() for o in link["occurrences"]]
    assert any(s is not None and s["verdict"] for s in supports)


def test_processes_must_be_positive(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    document = tmp_path / "brief.md"
    document.write_text("No links.\n", encoding="utf-8")
    assert main(["audit", str(document), "--processes", "0"]) == 2
    config = tmp_path / "linkcheck.toml"
    config.write_text("[check]\nprocesses = 0\n", encoding="utf-8")
    code = main(["audit", str(document), "--config", str(config)])
    assert code == 2
    assert "processes" in capsys.readouterr().err


def test_run_sync_returns_the_value_and_raises_the_error() -> None:
    async def value() -> list[int]:
        await asyncio.sleep(0)
        return [1, 2]

    async def fails() -> None:
        raise LookupError("nope")

    assert run_sync(value()) == [1, 2]
    with pytest.raises(LookupError, match="nope"):
        run_sync(fails())


@pytest.mark.parametrize("processes", ["1", "2"])
def test_without_an_archive_no_page_text_waits_for_a_drift_check(
    servers: Scenario,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    processes: str,
) -> None:
    # With --archive none there is no snapshot to compare a page with: the texts of pages
    # that failed their claims are not kept (nor, from workers, sent: see below).
    kept: list[str] = []
    monkeypatch.setattr(TextSpool, "put", lambda self, key, text: kept.append(key))
    document = tmp_path / "brief.md"
    lines = [
        f"Remittances reached 63.3 billion dollars, says [{path}]({servers.url(host, path)})."
        for host in ("a", "b")
        for path in ("/ok", "/anchors")
    ]
    document.write_text("\n\n".join(lines) + "\n", encoding="utf-8")
    common = ["audit", str(document), "-q", "-f", "json", "--no-cache", "--timeout", "5"]
    main([*common, "--archive", "none", "--processes", processes])
    report = json.loads(capsys.readouterr().out)
    supports = [o["support"] for link in report["links"] for o in link["occurrences"]]
    assert len(supports) == 4 and all(s and s["verdict"] == "not-found" for s in supports)
    assert kept == []


def test_workers_send_no_page_text_unless_asked(servers: Scenario) -> None:
    url = servers.url("b", "/ok")

    async def collect() -> LivePage | None:
        async with make_client(FAST) as client:
            results = check_urls_in_processes(
                [url, servers.url("a", "/ok")],
                FAST,
                client,
                processes=2,
                claims={url: (UNSUPPORTED_CLAIM,)},
                keep_texts=False,
            )
            async with contextlib.aclosing(results):
                return {result.url: live async for result, live in results}[url]

    live = run_sync(collect())
    assert live is not None and live.supports[0] is not None and live.text is None
    assert live.supports[0].verdict is not SupportVerdict.SUPPORTED


def test_a_dealer_keeps_each_host_with_its_group_across_batches() -> None:
    dealer = HostDealer(2)
    first = dealer.deal(["http://a.org/1", "http://a.org/2", "http://b.org/1"])
    assert first == [["http://a.org/1", "http://a.org/2"], ["http://b.org/1"]]
    # a.org stays in group 0 however heavy it gets; the new host goes to the lighter group.
    second = dealer.deal(["http://c.org/1", "http://a.org/3", "http://B.org/2"])
    assert second == [["http://a.org/3"], ["http://c.org/1", "http://B.org/2"]]
    assert dealer.deal([]) == [[], []]


def fed_run(
    first: list[str],
    more: Callable[[list[tuple[CheckResult, float]]], AsyncIterator[list[str]]],
    out: list[tuple[CheckResult, float]] | None = None,
) -> list[tuple[CheckResult, float]]:
    """check_urls_in_processes on 2 workers: `first`, then what `more(out)` feeds (it sees the
    results so far); each result with its seconds since the start, in `out` as they come."""
    out = [] if out is None else out

    async def collect() -> list[tuple[CheckResult, float]]:
        start = time.monotonic()
        async with make_client(FAST) as client:
            results = check_urls_in_processes(first, FAST, client, processes=2, more=more(out))
            async with contextlib.aclosing(results):
                async for result, _ in results:
                    out.append((result, time.monotonic() - start))
        return out

    return run_sync(asyncio.wait_for(collect(), 30))


def fed_in_processes(
    first: list[str], batches: list[list[str]], pause: float = 0.2
) -> list[CheckResult]:
    """check_urls_in_processes with `batches` fed after `first`, `pause` seconds apart."""
    return [result for result, _ in fed_run(first, lambda _: paced(batches, pause))]


async def answered(out: list[tuple[CheckResult, float]], urls: list[str]) -> None:
    """Until every one of `urls` has its result in `out`."""
    while not set(urls) <= {result.url for result, _ in out}:
        await asyncio.sleep(0.02)


def test_urls_fed_to_workers_reach_the_same_verdicts_once_each(servers: Scenario) -> None:
    urls = [servers.url(host, path) for host in ("a", "b", "c") for path in MIXED]
    alone = check_all(urls)
    requests_alone = servers.total()
    servers.reset()
    # Pages before their fragments, duplicates across batches, a batch with nothing new.
    fed = fed_in_processes(urls[:3], [urls[3:10], urls[:5], urls[10:], []])
    assert sorted(result.url for result in fed) == sorted(urls)  # one result per URL
    for result in fed:
        timed = dataclasses.replace(alone[result.url].verdict, elapsed=result.verdict.elapsed)
        assert result.verdict == timed, result.url
    assert servers.total() == requests_alone
    assert servers.count("b", "/anchors") == 1
    assert worker_pids() == []


def test_urls_fed_to_workers_that_died_get_an_error_and_the_run_ends(servers: Scenario) -> None:
    early = [servers.url("a", "/ok"), servers.url("b", "/ok")]
    late = [servers.url("a", "/gone"), servers.url("b", "/temp"), servers.url("c", "/ok")]

    async def more(out: list[tuple[CheckResult, float]]) -> AsyncIterator[list[str]]:
        await answered(out, early)
        for pid in worker_pids():
            os.kill(pid, 9)
        while worker_pids():
            await asyncio.sleep(0.05)
        yield late

    found = {result.url: result for result, _ in fed_run(early, more)}
    assert set(found) == set(early + late)
    assert all(found[url].verdict.status is Status.OK for url in early)
    for url in late:  # no worker is left to check them
        verdict = found[url].verdict
        assert (verdict.status, verdict.reason) == (Status.UNREACHABLE, "error"), url
        assert verdict.detail is not None and "exited with code -9" in verdict.detail


def test_fed_urls_are_checked_here_when_no_process_can_start(
    servers: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "executable", None)
    urls = [servers.url(host, path) for host in ("a", "b") for path in ("/ok", "/gone")]
    fed = fed_in_processes(urls[:1], [urls[1:3], urls[3:]])
    assert {r.url: r.verdict.status for r in fed} == {
        urls[0]: Status.OK,
        urls[1]: Status.BROKEN,
        urls[2]: Status.OK,
        urls[3]: Status.BROKEN,
    }
    assert servers.total("a") >= 2 and servers.count("a", "/ok") == 1


def test_the_reading_is_lowered_only_while_it_finds_urls_and_many_wait() -> None:
    lowered = pipeline.reading_lowered
    assert [lowered(waiting, 128, True) for waiting in (0, 127, 128, 255, 256, 9000)] == [
        False,
        False,
        None,  # between the two marks: as it is
        None,
        True,
        True,
    ]
    assert lowered(9000, 128, False) is False  # no URL found lately: the workers will want some

    async def finding() -> list[bool]:
        queue: asyncio.Queue[list[str] | None] = asyncio.Queue()
        found = pipeline.FoundUrls(asyncio.get_running_loop(), queue)
        seen = [found.finding(0.1)]  # nothing found yet
        found(["http://a.example/1"])
        seen.append(found.finding(0.1))
        await asyncio.sleep(0.15)
        seen += [found.finding(0.1), found.finding(1.0)]
        found.end()  # all found: nothing more to wait for
        seen.append(found.finding(0.1))
        return seen

    assert asyncio.run(finding()) == [False, True, False, True, True]


def test_urls_found_all_at_once_go_out_first_as_a_small_batch() -> None:
    # A plain-text document (a list of 10,000 URLs) tells all its URLs when it has been read:
    # its first few go out alone, so checking starts before the rest are dealt.
    urls = [f"http://Host{n % 7}.example:80/p{n}" for n in range(600)]

    async def batches() -> list[list[str]]:
        queue: asyncio.Queue[list[str] | None] = asyncio.Queue()
        found = pipeline.FoundUrls(asyncio.get_running_loop(), queue)
        found(urls)
        found(urls[:10])  # told again: nothing new
        found.end()
        await asyncio.sleep(0)
        told = []
        while (batch := queue.get_nowait()) is not None:
            told.append(batch)
        return told

    told = asyncio.run(batches())
    assert len(told[0]) == 16
    assert all(len(batch) <= 256 for batch in told)
    assert [url for batch in told for url in batch] == [
        f"http://host{n % 7}.example/p{n}" for n in range(600)
    ]


def test_a_look_ahead_goes_out_whole_and_urls_told_block_by_block_gather() -> None:
    # Markdown's early look tells its 158 URLs at once: all go out then, not once the blocks
    # read next have told 256 (the workers would run dry meanwhile). URLs told one block at a
    # time gather into batches of FOUND_BATCH.
    look = [f"http://h{n % 8}.example/look{n}" for n in range(158)]
    blocks = [f"http://h{n % 8}.example/block{n}" for n in range(600)]

    async def batches() -> tuple[list[int], list[int]]:
        queue: asyncio.Queue[list[str] | None] = asyncio.Queue()
        found = pipeline.FoundUrls(asyncio.get_running_loop(), queue)
        found(look)
        await asyncio.sleep(0)
        after_look = [len(queue.get_nowait()) for _ in range(queue.qsize())]
        for url in blocks:
            found([url])
        found(blocks[:20])  # told again: nothing new, and nothing sent
        await asyncio.sleep(0)
        after_blocks = [len(queue.get_nowait()) for _ in range(queue.qsize())]
        return after_look, after_blocks

    after_look, after_blocks = asyncio.run(batches())
    assert after_look == [pipeline.FOUND_AT_ONCE, 158 - pipeline.FOUND_AT_ONCE]
    assert after_blocks == [pipeline.FOUND_BATCH, pipeline.FOUND_BATCH]  # 88 wait for more


def test_links_made_while_checking_serve_only_for_the_verdict_they_carry(tmp_path: Path) -> None:
    document = tmp_path / "a.md"
    document.write_text("".join(f"Claim {n}: [see](http://h{n}.example/).\n\n" for n in range(4)))
    read = pipeline.assemble(*pipeline.read_documents([str(document)], pipeline.ExtractOptions()))
    a, b, c, d = (link.url for link in read.links)
    verdicts = {a: Verdict(Status.OK), b: Verdict(Status.BROKEN, reason="http-404")}
    cached: set[str] = set()
    made = pipeline.LinksAhead(verdicts, cached)
    made.read(read)  # a and b are made now, c as it is checked
    verdicts[c] = Verdict(Status.OK, http_status=200)
    made.checked(c)
    verdicts[b] = Verdict(Status.OK, reason="unconfirmed")  # changed since (the history rule)
    verdicts[d] = Verdict(Status.OK)  # reused from the store
    cached.add(d)

    final = pipeline.with_verdicts(read, verdicts, cached, made)
    assert final == pipeline.with_verdicts(read, verdicts, cached)
    assert [link.verdict for link in final.links] == [verdicts[url] for url in (a, b, c, d)]
    assert [link.cached for link in final.links] == [False, False, False, True]
    assert final.links[0] is made.link(read.links[0], verdicts[a], False)
    assert final.links[2] is made.link(read.links[2], verdicts[c], False)
    assert made.link(read.links[1], verdicts[b], False) is None  # made for the old verdict
    assert made.link(read.links[3], verdicts[d], True) is None
    # Made for other links read (another report with equal links): not used.
    other = pipeline.assemble(*pipeline.read_documents([str(document)], pipeline.ExtractOptions()))
    assert other == read
    assert made.link(other.links[0], verdicts[a], False) is None


def test_a_large_audit_checks_links_while_reading_with_the_same_report(
    servers: Scenario,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _workers_from(8, monkeypatch)
    first, second = tmp_path / "a.md", tmp_path / "b.md"
    pages = [servers.url(host, path) for host in ("a", "b", "c") for path in MIXED]
    first.write_text(
        "".join(f"Claim {n} is cited [here]({url}).\n\n" for n, url in enumerate(pages[:12]))
        + "Mail [us](mailto:x@example.org) or see [the annex](annex.html).\n",
        encoding="utf-8",
    )
    second.write_text("".join(f"- Again <{url}>\n" for url in pages[6:]), encoding="utf-8")
    (tmp_path / "c.pdf").write_bytes(b"%PDF-1.4 broken")
    read_at: dict[str, float] = {}
    read_one = pipeline.read_one

    def slow_second(source: Any, *args: Any) -> Any:
        if source.name.endswith("b.md"):
            time.sleep(2.0)  # a long document: the first one's links are being checked
        extraction = read_one(source, *args)
        read_at[Path(source.name).name] = time.monotonic()
        return extraction

    monkeypatch.setattr(pipeline, "read_one", slow_second)
    # The JSON's occurrences and claims are rendered while the links are checked, and used.
    fitted: list[bool] = []
    fits = PreparedJson.fits

    def noted(prepared: PreparedJson, report: Any) -> bool:
        fitted.append(fits(prepared, report))
        return fitted[-1]

    monkeypatch.setattr(PreparedJson, "fits", noted)
    # And each verdict as it arrives: once per link, none again when the report is written.
    rendered: list[str] = []
    verdict_json = report_json._verdict_json

    def counted(verdict: Any) -> str:
        rendered.append(verdict_json(verdict))
        return rendered[-1]

    monkeypatch.setattr(report_json, "_verdict_json", counted)
    common = ["audit", str(first), str(second), str(tmp_path / "c.pdf"), "-q", "-f", "json"]
    common += ["--archive", "none", "--no-cache", "--no-support", "--host-interval", "0"]
    common += ["--timeout", "5"]

    def audit(processes: str) -> dict[str, Any]:
        rendered.clear()
        main([*common, "--processes", processes])
        report = json.loads(capsys.readouterr().out)
        assert len(rendered) == len(report["links"])
        for link in report["links"]:
            link.pop("elapsed", None)
        report.pop("generated_at", None)
        return report

    alone = audit("1")
    requests_alone = servers.total()
    servers.reset()
    while_reading = audit("2")
    assert while_reading == alone
    assert fitted == [True, True]
    assert servers.total() == requests_alone
    # Read first, nothing would be asked before b.md was read: here a.md's links were asked
    # while b.md was (a 2 s margin for a slow machine).
    assert min(seen.at for seen in servers.seen()) < read_at["b.md"]
    assert worker_pids() == []


def _slow_list_then_one_link(
    servers: Scenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, Path]:
    """For a test of the reading's scheduling policy (skipped where SCHED_IDLE cannot be left
    again), checked by workers: a.md, 24 URLs that take 6 s to check at a concurrency of 2;
    b.md, one link."""
    from linkcheck.machine import _idle_policy_reversible

    if not _idle_policy_reversible():
        pytest.skip("SCHED_IDLE cannot be left here (RLIMIT_NICE, no CAP_SYS_NICE)")
    _workers_from(8, monkeypatch)
    first, second = tmp_path / "a.md", tmp_path / "b.md"
    urls = [servers.url(host, f"/slow?s=0.5&n={n}") for host in ("a", "b") for n in range(12)]
    first.write_text("".join(f"- <{url}>\n" for url in urls), encoding="utf-8")
    second.write_text("- <" + servers.url("c", "/ok") + ">\n", encoding="utf-8")
    return first, second


@pytest.mark.skipif(not hasattr(os, "SCHED_IDLE"), reason="Linux's SCHED_IDLE")
def test_the_reading_is_lowered_while_it_finds_urls_and_many_wait_and_put_back_when_starved(
    servers: Scenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Looks less often than the workers take to start (the reading is starved meanwhile).
    monkeypatch.setattr(pipeline, "READING_WATCH", 0.6)
    first, second = _slow_list_then_one_link(servers, tmp_path, monkeypatch)
    phase = ["reading a.md"]
    seen: set[tuple[str, int]] = set()  # (phase, the reading thread's policy)
    reader: list[int] = []
    more = itertools.count()

    def observe() -> None:  # a thread of the normal policy: a lowered reader may not run
        while phase[0] != "done":
            with contextlib.suppress(OSError):
                if reader:
                    seen.add((phase[0], os.sched_getscheduler(reader[0])))
            time.sleep(0.005)

    def reading(found: Any, seconds: float, pause: float) -> None:
        """Finds a URL every 20 ms for `seconds`, busy or asleep between them."""
        found_at, deadline = 0.0, time.monotonic() + seconds
        while time.monotonic() < deadline:
            if time.monotonic() - found_at > 0.02:
                found([servers.url("c", f"/ok?more={next(more)}")])
                found.flush()
                found_at = time.monotonic()
                time.sleep(pause)

    read_one = pipeline.read_one

    def watched(source: Any, options: Any, found: Any = None) -> Any:
        if source.name.endswith("b.md"):
            # a.md's 24 URLs wait (6 s of checks at a concurrency of 2). While URLs are
            # found, the busy reading is lowered; mostly asleep, it counts as starved and is
            # put back for good.
            reader.append(threading.get_native_id())
            phase[0] = "busy"
            reading(found, 0.6, 0)
            phase[0] = "starved"
            reading(found, 1.5, 0.05)
            phase[0] = "busy again"
            reading(found, 0.3, 0)
            phase[0] = "done"
        return read_one(source, options, found)

    monkeypatch.setattr(pipeline, "read_one", watched)
    options = pipeline.AuditOptions(
        check=dataclasses.replace(FAST, host_interval=0, concurrency=2), support=False
    )
    observer = threading.Thread(target=observe)
    observer.start()
    try:
        result = asyncio.run(
            asyncio.wait_for(
                pipeline.audit_documents(
                    [str(first), str(second)], pipeline.ExtractOptions(), options
                ),
                60,
            )
        )
    finally:
        phase[0] = "done"
        observer.join(10)
    assert ("busy", os.SCHED_IDLE) in seen
    assert ("starved", os.SCHED_OTHER) in seen  # put back while it was still finding URLs
    assert {policy for name, policy in seen if name == "busy again"} == {os.SCHED_OTHER}
    assert all(link.verdict.status is Status.OK for link in result.report.links)
    assert len(result.report.links) == 25  # (the URLs found on the side are no document's)
    assert worker_pids() == []


@pytest.mark.skipif(not hasattr(os, "SCHED_IDLE"), reason="Linux's SCHED_IDLE")
def test_a_lowered_reading_is_put_back_for_good_when_the_event_loop_falls_behind(
    servers: Scenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Lowered, the reading holds the GIL when it loses its core, and the loop waits for it:
    # a loop that wakes far too late puts it back, without waiting for the starvation look.
    monkeypatch.setattr(pipeline, "READING_WATCH", 60.0)
    monkeypatch.setattr(pipeline, "READING_STALL_LOOK", 0.05)
    monkeypatch.setattr(pipeline, "READING_STALL", 0.2)
    first, second = _slow_list_then_one_link(servers, tmp_path, monkeypatch)
    policies: list[tuple[str, int]] = []
    more = itertools.count()
    loops: list[asyncio.AbstractEventLoop] = []
    read_one = pipeline.read_one

    def finding(found: Any, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            found([servers.url("c", f"/ok?more={next(more)}")])
            found.flush()
            time.sleep(0.01)

    def watched(source: Any, options: Any, found: Any = None) -> Any:
        if source.name.endswith("b.md"):
            deadline = time.monotonic() + 5
            while os.sched_getscheduler(0) != os.SCHED_IDLE and time.monotonic() < deadline:
                finding(found, 0.05)
            policies.append(("finding", os.sched_getscheduler(0)))
            loops[0].call_soon_threadsafe(time.sleep, 0.5)  # the loop held up half a second
            finding(found, 1.0)
            policies.append(("after the stall", os.sched_getscheduler(0)))
        return read_one(source, options, found)

    monkeypatch.setattr(pipeline, "read_one", watched)
    options = pipeline.AuditOptions(
        check=dataclasses.replace(FAST, host_interval=0, concurrency=2), support=False
    )

    async def audit() -> pipeline.AuditResult:
        loops.append(asyncio.get_running_loop())
        return await pipeline.audit_documents(
            [str(first), str(second)], pipeline.ExtractOptions(), options
        )

    result = asyncio.run(asyncio.wait_for(audit(), 60))
    assert policies == [("finding", os.SCHED_IDLE), ("after the stall", os.SCHED_OTHER)]
    assert len(result.report.links) == 25
    assert worker_pids() == []


def test_a_reading_that_fails_as_it_starts_ends_the_run_with_its_error(
    servers: Scenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The end of the URLs must be told whatever happens in the reading thread: a failure
    # before the reading proper used to leave the run waiting for URLs forever.
    from linkcheck import machine

    _workers_from(8, monkeypatch)
    document = tmp_path / "a.md"
    urls = [servers.url(host, f"/ok?n={n}") for host in ("a", "b") for n in range(6)]
    document.write_text("".join(f"- <{url}>\n" for url in urls), encoding="utf-8")

    def broken(self: Any) -> None:
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(machine.BackgroundThread, "attach", broken)
    options = pipeline.AuditOptions(check=dataclasses.replace(FAST, host_interval=0), support=False)
    started = time.monotonic()
    with pytest.raises(RuntimeError, match="can't start new thread"):
        asyncio.run(
            asyncio.wait_for(
                pipeline.audit_documents([str(document)], pipeline.ExtractOptions(), options), 30
            )
        )
    # At once, not after the guard's 30 s (whose cancel would also let the error out).
    assert time.monotonic() - started < 10
    assert worker_pids() == []


def test_a_run_stopped_while_reading_stops_the_reading_too(
    servers: Scenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Ctrl-C (the main task cancelled) used to wait for the reading thread to read every
    # document to its end. It now stops at the next URLs the thread finds.
    _workers_from(8, monkeypatch)
    first, second = tmp_path / "a.md", tmp_path / "b.md"
    urls = [servers.url(host, f"/ok?n={n}") for host in ("a", "b") for n in range(5)]
    first.write_text("".join(f"- <{url}>\n" for url in urls), encoding="utf-8")
    second.write_text("A long document.\n", encoding="utf-8")
    fed: list[str] = []
    read_one = pipeline.read_one

    def long_second(source: Any, options: Any, found: Any = None) -> Any:
        if source.name.endswith("b.md"):
            for n in range(100):  # 10 s, found a URL at a time
                found([servers.url("c", f"/ok?late={n}")])
                fed.append(source.name)
                time.sleep(0.1)
        return read_one(source, options, found)

    monkeypatch.setattr(pipeline, "read_one", long_second)
    options = pipeline.AuditOptions(check=dataclasses.replace(FAST, host_interval=0), support=False)

    async def stopped_while_reading() -> None:
        audit = asyncio.ensure_future(
            pipeline.audit_documents([str(first), str(second)], pipeline.ExtractOptions(), options)
        )
        while len(fed) < 3:  # the second document is being read, the first one's links checked
            await asyncio.sleep(0.05)
        audit.cancel()
        with pytest.raises(asyncio.CancelledError):
            await audit

    asyncio.run(asyncio.wait_for(stopped_while_reading(), 30))
    assert 3 <= len(fed) < 10
    assert worker_pids() == []


def test_checking_while_reading_keeps_to_its_shard_and_reuses_the_check_store(
    servers: Scenario,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _workers_from(8, monkeypatch)
    urls = [servers.url(host, f"/ok?n={n}") for host in ("a", "b", "c") for n in range(6)]
    document = tmp_path / "list.md"
    document.write_text("".join(f"- <{url}>\n" for url in urls), encoding="utf-8")
    common = ["audit", str(document), "-q", "-f", "json", "--archive", "none", "--no-support"]
    common += ["--host-interval", "0", "--timeout", "5", "--cache", str(tmp_path / "c.db")]

    def statuses(*extra: str) -> dict[str, tuple[str, bool]]:
        main([*common, *extra])
        links = json.loads(capsys.readouterr().out)["links"]
        return {link["url"]: (link["status"], "cached" in link["flags"]) for link in links}

    def requested() -> set[str]:  # the cited pages asked for (soft-404 probes apart)
        return {servers.url(s.listener, s.target) for s in servers.seen() if "/ok?n=" in s.target}

    sharded = statuses("--shard", "1/2", "--processes", "2")
    checked = {url for url, (status, _) in sharded.items() if status == "ok"}
    assert 0 < len(checked) < len(urls)
    assert requested() == checked  # the other shard's URLs are left unchecked
    assert statuses("--shard", "1/2", "--processes", "1") == {
        url: (status, url in checked) for url, (status, _) in sharded.items()
    }
    servers.reset()
    everything = statuses("--processes", "2")
    assert all(status == "ok" for status, _ in everything.values())
    assert {url for url, (_, cached) in everything.items() if cached} == checked
    assert requested() == set(urls) - checked  # what the store held fresh was not asked again


def _spawned(monkeypatch: pytest.MonkeyPatch) -> list[asyncio.subprocess.Process]:
    """The workers started from now on, in order."""
    spawned: list[asyncio.subprocess.Process] = []
    original = spawn_module.spawn_worker

    async def recording() -> asyncio.subprocess.Process:
        spawned.append(await original())
        return spawned[-1]

    monkeypatch.setattr(spawn_module, "spawn_worker", recording)
    return spawned


def test_a_new_host_found_after_a_worker_died_goes_to_a_live_worker(
    servers: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    spawned = _spawned(monkeypatch)
    early = [servers.url("a", "/ok"), servers.url("b", "/ok")]  # one host per worker
    late = [servers.url("c", "/ok"), servers.url("a", "/gone")]  # a new host; a's again

    async def more(out: list[tuple[CheckResult, float]]) -> AsyncIterator[list[str]]:
        await answered(out, early)
        spawned[0].kill()
        await spawned[0].wait()
        await asyncio.sleep(0.3)  # the parent has seen the death
        yield late

    found = {result.url: result for result, _ in fed_run(early, more)}
    assert found[late[0]].verdict.status is Status.OK
    assert found[late[1]].verdict.status is Status.BROKEN  # its host moved to the live worker


def test_a_failing_feed_fails_the_workers_run_with_its_error(servers: Scenario) -> None:
    ok = servers.url("a", "/ok")

    async def more(out: list[tuple[CheckResult, float]]) -> AsyncIterator[list[str]]:
        yield [ok]
        raise RuntimeError("reading broke")

    out: list[tuple[CheckResult, float]] = []
    with pytest.raises(RuntimeError, match="reading broke"):
        fed_run([], more, out)
    assert [result.url for result, _ in out] == [ok]
    assert worker_pids() == []


def test_a_worker_sends_its_results_while_the_feed_is_still_open(servers: Scenario) -> None:
    # Four citers of one page finish together; none may wait for the end of the reading.
    page = servers.url("b", "/anchors")
    urls = [page, page + "#findings", page + "#annex-2", page + "#nope"]

    async def more(out: list[tuple[CheckResult, float]]) -> AsyncIterator[list[str]]:
        yield urls
        await asyncio.sleep(4)  # the rest of a long document is being read

    at = {result.url: seconds for result, seconds in fed_run([], more)}
    assert set(at) == set(urls)
    assert max(at.values()) < 3, at


def test_checking_while_reading_reports_problems_in_the_same_order_and_records_only_reported_links(
    servers: Scenario,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _workers_from(8, monkeypatch)

    def broken(self: Any, token: Any) -> None:
        raise RuntimeError("extractor bug")  # after the document's first links were found

    monkeypatch.setattr(markdown_module._Walker, "_html_block", broken)
    good, bad = tmp_path / "good.md", tmp_path / "bad.md"
    good.write_text(
        "".join(f"- <{servers.url(h, f'/ok?n={n}')}>\n" for h in "ab" for n in range(5))
    )
    bad_urls = [servers.url("c", f"/ok?n={n}") for n in range(5)]
    bad.write_text("".join(f"- <{url}>\n" for url in bad_urls) + "\n<div>x</div>\n")
    (tmp_path / "c.pdf").write_bytes(b"%PDF-1.4 broken")
    documents = [str(good), str(bad), str(tmp_path / "c.pdf"), servers.url("a", "/gone")]
    common = ["audit", *documents, "-q", "-f", "json", "--archive", "none", "--no-support"]
    common += ["--host-interval", "0", "--timeout", "5"]

    def problems(*extra: str) -> list[tuple[str, str]]:
        main([*common, *extra])
        report = json.loads(capsys.readouterr().out)
        return [(p["document"], p["code"]) for p in report["problems"]]

    alone = problems("--processes", "1", "--no-cache")
    assert len(alone) == 3  # bad.md, c.pdf, the web document that is gone
    store = tmp_path / "store.db"
    assert problems("--processes", "2", "--cache", str(store)) == alone
    with CheckStore(store) as kept:
        assert kept.count() == 10  # good.md's links; bad.md's, though checked, are not kept
        assert all(kept.fresh(url, 3600, 3600) is None for url in bad_urls)


def test_a_worker_sends_results_in_batches_and_none_waits_long() -> None:
    # A frame per result or two (5,400 frames for 10,000 links) cost a thread hand-off, a
    # write and a parent's read each; a batch now goes when full or SEND_WITHIN after its first.
    read_end, write_end = os.pipe()
    frames: list[list[str]] = []

    def reader() -> None:
        while (message := read_frame(read_end)) is not None:
            assert isinstance(message, list)
            frames.append([result.url for result, _ in message])

    listening = threading.Thread(target=reader)
    listening.start()

    def checked(n: int) -> tuple[CheckResult, None]:
        return CheckResult(f"https://example.org/{n}", Verdict(Status.OK), None, None), None

    async def send() -> tuple[int, int]:
        with (
            os.fdopen(write_end, "wb") as out,
            ThreadPoolExecutor(max_workers=1) as thread,
        ):
            sender = worker_module._Sender(out, thread)
            for n in range(200):  # a millisecond apart: each write is done before the next
                sender.add(checked(n))
                sender.send()
                await asyncio.sleep(0.001)
            await asyncio.sleep(worker_module.SEND_WITHIN * 25)
            burst = len(frames)
            sender.add(checked(200))  # a lone result, with nothing after it for a while
            sender.send()
            await asyncio.sleep(worker_module.SEND_WITHIN * 25)
            lone = len(frames) - burst
            await sender.close()
            worker_module.write_frame(out, None)
        return burst, lone

    burst, lone = run_sync(asyncio.wait_for(send(), 10))
    listening.join(10)
    assert [url for batch in frames for url in batch] == [
        f"https://example.org/{n}" for n in range(201)
    ]
    assert burst < 60  # not a frame per result (about one per SEND_WITHIN)
    assert lone == 1  # sent within SEND_WITHIN, not held for the next result or the end


def test_a_failed_result_write_is_raised_by_the_worker_not_logged_by_a_timer() -> None:
    # The parent is gone: its end of the pipe is closed, and the worker's writes fail.
    read_end, write_end = os.pipe()
    os.close(read_end)
    handled: list[dict[str, Any]] = []

    async def send() -> None:
        asyncio.get_running_loop().set_exception_handler(lambda _, context: handled.append(context))
        unbuffered = os.fdopen(write_end, "wb", buffering=0)  # nothing left to fail at close
        with unbuffered as out, ThreadPoolExecutor(max_workers=1) as thread:
            sender = worker_module._Sender(out, thread)
            for n in range(2):  # each goes alone, after its own wait
                url = f"https://example.org/{n}"
                sender.add((CheckResult(url, Verdict(Status.OK), None, None), None))
                sender.send()
                await asyncio.sleep(worker_module.SEND_WITHIN * 10)
            with pytest.raises(BrokenPipeError):
                await sender.close()

    run_sync(asyncio.wait_for(send(), 10))
    assert handled == []
