"""Starting and stopping checking processes (`linkcheck.check.worker`).

Light to import (no HTTP stack): a large run starts its workers first thing, and they load
httpx while this process reads the documents. `check.processes` gives them their URLs.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import site
import sys

from linkcheck.check.config import CheckConfig
from linkcheck.machine import default_processes

# Fewer URLs than this are checked in this process: a worker costs about half a second of
# CPU to start (a fresh interpreter importing httpx), which a short run does not win back.
PARALLEL_MIN_URLS = 1000
# Reading a page's text and judging its claims costs tens of milliseconds, so from this many
# pages to judge, workers win back their start-up.
PARALLEL_MIN_JUDGED = 50
STOP_WAIT = 5.0  # seconds a worker gets to exit before it is killed

# No subprocesses here (a sandbox; an event loop without them, as Windows' selector loop; no
# interpreter to start).
CANNOT_SPAWN = (OSError, NotImplementedError, RuntimeError, TypeError, ValueError)


def processes_ahead(config: CheckConfig, links_estimate: int, *, judging: bool = False) -> int:
    """How many workers to start before the URLs are known, for a run expected to hold
    about `links_estimate` links (their claims judged by the workers when `judging`): what
    `process_count` will likely choose, or 0 where a run that small is checked in this
    process."""
    if links_estimate < (PARALLEL_MIN_JUDGED if judging else PARALLEL_MIN_URLS):
        return 0
    count = min(config.processes or default_processes(), config.concurrency)
    return count if count > 1 else 0


class StartedWorkers:
    """Checking processes started before their URLs are known, while the documents are still
    being read, so that their start-up (a fresh interpreter importing httpx, about 0.2 s)
    overlaps the reading. `check_urls_in_processes` takes them before starting any; the
    owner stops the ones left over with `aclose` (they exit at the end of their input)."""

    def __init__(self, workers: list[asyncio.subprocess.Process]) -> None:
        self._waiting = workers

    @classmethod
    async def start(cls, count: int) -> StartedWorkers:
        started = cls([])
        try:
            with contextlib.suppress(*CANNOT_SPAWN):  # then they are started (or not) later
                for _ in range(count):
                    started._waiting.append(await spawn_worker())
        except BaseException:  # cancelled meanwhile: none is left waiting for a job
            await started.aclose()
            raise
        return started

    @property
    def count(self) -> int:
        """Workers started and not yet taken."""
        return len(self._waiting)

    def take(self) -> asyncio.subprocess.Process | None:
        return self._waiting.pop(0) if self._waiting else None

    async def aclose(self) -> None:
        waiting, self._waiting = self._waiting, []
        await stop_workers(dict(enumerate(waiting)), list(range(len(waiting))), [])


def worker_path_entry() -> str | None:
    """The directory to put on a worker's PYTHONPATH so that it imports this copy of
    linkcheck: none when linkcheck is installed in site-packages (adding that directory to
    PYTHONPATH would put it before the standard library); this checkout's root otherwise."""
    import linkcheck

    root = os.path.dirname(os.path.dirname(os.path.abspath(linkcheck.__file__)))
    installed = {os.path.abspath(path) for path in site.getsitepackages()}
    installed.add(os.path.abspath(site.getusersitepackages()))
    return None if root in installed else root


async def spawn_worker() -> asyncio.subprocess.Process:
    """`python -P -m linkcheck.check.worker` with this process's interpreter and environment.
    -P: the working directory (the repository being audited, in CI) is not on its path, so
    a file there cannot stand in for a module the worker imports."""
    if not sys.executable or getattr(sys, "frozen", False):
        raise RuntimeError("no Python interpreter to start")
    env = dict(os.environ)
    entry = worker_path_entry()
    if entry is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [entry, env.get("PYTHONPATH")]))
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-P",
        "-m",
        "linkcheck.check.worker",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )


async def stop_workers(
    workers: dict[int, asyncio.subprocess.Process],
    finished: list[int],
    tasks: list[asyncio.Task[None]],
) -> None:
    """A worker that reported everything is given STOP_WAIT to exit by itself (it does so
    right after its last frame); any other one (the run was stopped early) is terminated at
    once. Either is killed if it outlives that, and waited for, so none is left behind."""
    for index, worker in workers.items():
        if worker.stdin is not None:
            worker.stdin.close()
        if index not in finished and worker.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                worker.terminate()
    for worker in workers.values():
        try:
            await asyncio.wait_for(worker.wait(), STOP_WAIT)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                worker.kill()
            await worker.wait()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
