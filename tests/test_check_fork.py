"""Checking processes forked by the command before its event loop starts: the same report as
spawned ones, none left behind, never where another thread runs, and a child that never goes
back into its parent's code."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from servers.scenario import Scenario

from linkcheck.check import processes as processes_module
from linkcheck.check import spawn as spawn_module
from linkcheck.cli import main

MIXED = ["/ok", "/gone", "/chain/1", "/temp", "/soft-en", "/anchors#findings", "/anchors#nope"]

pytestmark = pytest.mark.skipif(not spawn_module.sys.platform.startswith("linux"), reason="Linux")

# Run in a fresh interpreter, where no other thread runs: the command as installed, with runs
# of 8 URLs (or 8 pages to judge) counted as large, so that it wants workers; how they came about
# recorded (forked, spawned, and children left once it has finished).
COMMAND = textwrap.dedent(
    """
    import json, os, sys
    from linkcheck import cli
    from linkcheck.check import processes, spawn

    processes.PARALLEL_MIN_URLS = spawn.PARALLEL_MIN_URLS = 8
    processes.PARALLEL_MIN_JUDGED = spawn.PARALLEL_MIN_JUDGED = 8
    seen = {"forked": 0, "spawned": 0}
    fork_workers, spawn_worker = spawn.fork_workers, spawn.spawn_worker

    def forking(count):
        forked = fork_workers(count)
        seen["forked"] += len(forked)
        return forked

    async def spawning():
        seen["spawned"] += 1
        return await spawn_worker()

    spawn.fork_workers, spawn.spawn_worker = forking, spawning
    code = cli.main(sys.argv[1:])
    try:
        os.waitpid(-1, os.WNOHANG)
        seen["children_left"] = True
    except ChildProcessError:
        seen["children_left"] = False
    print(json.dumps(seen), file=sys.stderr)
    sys.exit(code)
    """
)


def _in_a_fresh_process(
    script: str, cwd: Path, arguments: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[bytes]:
    """`script` run by a fresh interpreter (in which no other thread runs), bounded."""
    return subprocess.run(
        [sys.executable, "-c", script, *arguments], cwd=cwd, capture_output=True, timeout=60
    )


def _audit_in_a_fresh_process(arguments: list[str], cwd: Path) -> tuple[int, dict[str, Any]]:
    done = _in_a_fresh_process(COMMAND, cwd, tuple(arguments))
    seen = json.loads(done.stderr.decode().strip().splitlines()[-1])
    return done.returncode, seen


def _report(path: Path) -> dict[str, Any]:
    report = json.loads(path.read_text(encoding="utf-8"))
    report.pop("generated_at", None)
    for link in report["links"]:
        link.pop("elapsed", None)
    return report


@pytest.mark.parametrize("support", ["--no-support", "--support"])
def test_the_command_forks_its_workers_and_reports_as_with_spawned_ones(
    servers: Scenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, support: str
) -> None:
    # Checking while reading (no claims to judge), and the workers judging claims.
    for module in (processes_module, spawn_module):
        monkeypatch.setattr(module, "PARALLEL_MIN_URLS", 8)
        monkeypatch.setattr(module, "PARALLEL_MIN_JUDGED", 8)
    pages = [servers.url(host, path) for host in ("a", "b", "c") for path in MIXED]
    document = tmp_path / "brief.md"
    document.write_text(
        "".join(
            f"The ministry's annual report {n} is cited [here]({url}).\n\n"
            for n, url in enumerate(pages)
        ),
        encoding="utf-8",
    )
    common = ["audit", str(document), "-q", "-f", "json", "--archive", "none", "--no-cache"]
    common += [support, "--host-interval", "0", "--timeout", "5"]

    code, seen = _audit_in_a_fresh_process([*common, "-o", "forked.json"], tmp_path)
    assert seen == {"forked": 2, "spawned": 0, "children_left": False}
    requests_forked = servers.total()
    servers.reset()
    # The same run where a thread is running (this one's servers): workers are spawned.
    assert main([*common, "-o", str(tmp_path / "spawned.json")]) == code
    assert _report(tmp_path / "forked.json") == _report(tmp_path / "spawned.json")
    assert servers.total() == requests_forked
    links = _report(tmp_path / "forked.json")["links"]
    assert {link["status"] for link in links} >= {"ok", "broken", "redirected"}
    judged = {
        o["support"]["verdict"] for link in links for o in link["occurrences"] if o["support"]
    }
    assert bool(judged) is (support == "--support"), judged


def test_a_module_in_the_working_directory_cannot_stand_in_for_a_forked_workers_own(
    servers: Scenario, tmp_path: Path
) -> None:
    # As for a spawned worker (`python -P`): the working directory is the audited repository
    # in CI, and the command started as `python -c`/`-m` has it on its module path.
    (tmp_path / "certifi.py").write_text("raise ImportError('shadowed certifi')\n")
    (tmp_path / "h11.py").write_text("raise ImportError('shadowed h11')\n")
    urls = [servers.url(host, f"/ok?n={n}") for host in ("a", "b") for n in range(5)]
    document = tmp_path / "list.md"
    document.write_text("".join(f"- <{url}>\n" for url in urls), encoding="utf-8")
    common = ["audit", str(document), "-q", "-f", "json", "-o", "out.json", "--archive", "none"]
    code, seen = _audit_in_a_fresh_process([*common, "--no-cache", "--no-support"], tmp_path)
    assert (code, seen) == (0, {"forked": 2, "spawned": 0, "children_left": False})
    statuses = {link["url"]: link["status"] for link in _report(tmp_path / "out.json")["links"]}
    assert statuses == dict.fromkeys(urls, "ok")


def test_no_worker_is_forked_for_a_run_that_will_not_want_one(
    servers: Scenario, tmp_path: Path
) -> None:
    document = tmp_path / "short.md"
    document.write_text(f"One [link]({servers.url('a', '/ok')}).\n", encoding="utf-8")
    common = ["audit", str(document), "-q", "-f", "json", "--archive", "none", "--no-cache"]
    code, seen = _audit_in_a_fresh_process([*common, "--no-support"], tmp_path)
    assert (code, seen) == (0, {"forked": 0, "spawned": 0, "children_left": False})
    # Many links, but none checked: none forked either.
    document.write_text(
        "".join(f"- <{servers.url('a', f'/ok?n={n}')}>\n" for n in range(20)), encoding="utf-8"
    )
    code, seen = _audit_in_a_fresh_process([*common, "--offline"], tmp_path)
    assert (code, seen) == (0, {"forked": 0, "spawned": 0, "children_left": False})


def test_forked_workers_not_taken_exit_at_the_end_of_their_input(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import os, sys, time
        from linkcheck.check import spawn

        forked = spawn.fork_workers(2)
        started = time.monotonic()
        spawn.close_forked(forked)
        spawn.close_forked(forked)  # twice: nothing more happens
        took = time.monotonic() - started
        try:
            os.waitpid(-1, os.WNOHANG)
            left = "children left"
        except ChildProcessError:
            left = "none left"
        print(len(forked), left, took < spawn.STOP_WAIT)
        """
    )
    done = _in_a_fresh_process(script, tmp_path)
    assert done.stdout.decode().split() == ["2", "none", "left", "True"], done.stderr


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("raise RuntimeError('no job for you')", "1 True 1"),  # its error on stderr
        ("return 7", "7 False 0"),  # its own exit code, and nothing said
    ],
)
def test_a_forked_worker_ends_as_its_main_does_and_never_runs_its_parents_code(
    tmp_path: Path, body: str, expected: str
) -> None:
    script = textwrap.dedent(
        f"""
        import asyncio, sys
        from linkcheck.check import spawn, worker

        def main():
            {body}

        worker.main = main
        forked = spawn.fork_workers(1)
        print("after the fork", flush=True)  # the parent's code: once, not in the child

        async def outcome():
            process = await forked[0].attach()
            return await process.wait(), await process.stderr.read()

        code, said = asyncio.run(outcome())
        print(code, b"RuntimeError: no job for you" in said, said.count(b"Traceback"))
        """
    )
    done = _in_a_fresh_process(script, tmp_path)
    assert done.stdout.decode().splitlines() == ["after the fork", expected], done.stderr


def test_nothing_is_forked_while_another_thread_runs() -> None:
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert not spawn_module.can_fork()
        assert spawn_module.fork_workers(2) == []
    finally:
        stop.set()
        other.join()
    deadline = time.monotonic() + 5
    while threading.active_count() > 1 and time.monotonic() < deadline:
        time.sleep(0.01)  # (a thread of an earlier test may still be ending)
    if threading.active_count() == 1:
        assert spawn_module.can_fork()


def test_a_ctrl_c_as_a_worker_is_forked_never_runs_the_parents_code_in_it(tmp_path: Path) -> None:
    # Ctrl-C reaches the whole process group: here it reaches the child the moment the fork
    # returns, before it is a worker. It is held back until the child ignores it.
    script = textwrap.dedent(
        """
        import asyncio, atexit, os, signal
        from linkcheck.check import spawn, worker

        atexit.register(lambda: print("the parent's exit", flush=True))
        worker.main = lambda: 7
        fork = os.fork

        def interrupted_fork():
            pid = fork()
            if pid == 0:
                os.kill(os.getpid(), signal.SIGINT)
            return pid

        os.fork = interrupted_fork
        forked = spawn.fork_workers(1)
        os.fork = fork

        async def code():
            return await (await forked[0].attach()).wait()

        print(asyncio.run(code()), flush=True)
        """
    )
    done = _in_a_fresh_process(script, tmp_path)
    assert done.stdout.decode().splitlines() == ["7", "the parent's exit"], done.stderr


def test_forked_workers_whose_start_is_cancelled_are_all_reaped_and_closed(
    tmp_path: Path,
) -> None:
    # Ctrl-C (a cancellation) at any point of attaching them: no child, no descriptor left
    # (those attached or attaching are the start's to stop, the others start_audit's).
    script = textwrap.dedent(
        """
        import asyncio, os
        from linkcheck.check import spawn

        async def cancelled_after(turns):
            forked = spawn.fork_workers(2)
            try:
                task = asyncio.ensure_future(spawn.StartedWorkers.start(2, forked))
                for _ in range(turns):
                    await asyncio.sleep(0)
                if task.done():
                    await task.result().aclose()
                    return "started"
                task.cancel()
                try:
                    await task
                except asyncio.CancelledError:
                    return "cancelled"
            finally:
                spawn.close_forked(forked)  # as start_audit does: those never attached

        open_before = len(os.listdir("/proc/self/fd"))
        outcomes = set()
        for turns in range(40):
            outcomes.add(asyncio.run(cancelled_after(turns)))
            try:
                os.waitpid(-1, os.WNOHANG)
                print("a child is left after", turns, "turns")
            except ChildProcessError:
                pass
            if len(os.listdir("/proc/self/fd")) != open_before:
                print("descriptors left after", turns, "turns")
        print(sorted(outcomes))
        """
    )
    done = _in_a_fresh_process(script, tmp_path)
    assert done.stdout.decode().splitlines() == ["['cancelled', 'started']"], done.stderr


def test_the_module_loads_where_there_is_no_sighup_or_sigquit(tmp_path: Path) -> None:
    # As on Windows, which never forks but imports check.spawn for every large run.
    script = textwrap.dedent(
        """
        import signal
        del signal.SIGHUP, signal.SIGQUIT
        from linkcheck.check import spawn
        print(sorted(int(number) for number in spawn._HELD_SIGNALS))
        """
    )
    done = _in_a_fresh_process(script, tmp_path)
    assert done.stdout.decode().split() == [f"[{int(signal.SIGINT)},", f"{int(signal.SIGTERM)}]"]
