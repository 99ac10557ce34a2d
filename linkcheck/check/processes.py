"""Checking a large run in several processes, each owning whole hosts.

One Python process spends about a millisecond of CPU per request (the HTTP client, page
analysis) and tens of milliseconds per page whose claims are judged, so a large run can be
CPU-bound on one core before the network is the limit. Here the hosts are dealt out to worker
processes, each running the ordinary engine (`check_urls`) with its own client and its share
of the concurrency, and judging the claims of the pages it fetched. A host never spans two
processes, so its per-host limits, interval, soft-404 probe and Retry-After hold as in one
process, and a page cited with several fragments is still fetched once.

Results stream back in small batches as they finish. A worker that dies costs only its own
URLs not yet reported: each gets an "error" verdict; nothing escapes as an exception.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import pickle
import site
import sys
from collections.abc import AsyncGenerator, Collection, Mapping, Sequence

import httpx

from linkcheck.check.config import CheckConfig
from linkcheck.check.engine import CheckResult, check_urls, host_of
from linkcheck.check.worker import FRAME_HEADER, Checked, Job, judged
from linkcheck.machine import default_processes
from linkcheck.models import Claim, Status, Verdict

# Fewer URLs than this are checked in this process: a worker costs about half a second of
# CPU to start (a fresh interpreter importing httpx), which a short run does not win back.
PARALLEL_MIN_URLS = 1000
# Reading a page's text and judging its claims costs tens of milliseconds, so from this many
# pages to judge, workers win back their start-up.
PARALLEL_MIN_JUDGED = 50
_STOP_WAIT = 5.0  # seconds a worker gets to exit before it is killed
_ERROR_TAIL_BYTES = 4096  # of a worker's standard error, kept to explain its death
_QUEUED_BATCHES = 4  # result batches received and not yet consumed, all workers together
# No subprocesses here (a sandbox; an event loop without them, as Windows' selector loop; no
# interpreter to start).
_CANNOT_SPAWN = (OSError, NotImplementedError, RuntimeError, TypeError, ValueError)


def process_count(config: CheckConfig, urls: Sequence[str], judged: int = 0) -> int:
    """How many processes check `urls`: `config.processes` when set, else one per core (at
    most four: `default_processes`) for a run of at least PARALLEL_MIN_URLS, or with at
    least PARALLEL_MIN_JUDGED pages whose claims the workers judge (`judged`). Never more
    than there are hosts, nor than the concurrency allows (each needs one request in
    flight)."""
    asked = config.processes
    if asked is None:
        if len(urls) < PARALLEL_MIN_URLS and judged < PARALLEL_MIN_JUDGED:
            return 1
        asked = default_processes()
    hosts = len({host_of(url) for url in urls})
    return max(1, min(asked, hosts, config.concurrency))


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
            with contextlib.suppress(*_CANNOT_SPAWN):  # then they are started (or not) later
                for _ in range(count):
                    started._waiting.append(await _spawn_worker())
        except BaseException:  # cancelled meanwhile: none is left waiting for a job
            await started.aclose()
            raise
        return started

    def take(self) -> asyncio.subprocess.Process | None:
        return self._waiting.pop(0) if self._waiting else None

    async def aclose(self) -> None:
        waiting, self._waiting = self._waiting, []
        await _stop(dict(enumerate(waiting)), list(range(len(waiting))), [])


def split_by_host(urls: Sequence[str], parts: int) -> list[list[str]]:
    """Deal whole hosts out to `parts` groups with URL counts as even as possible (largest
    host first, each to the lightest group). Each group keeps the document order; empty
    groups are dropped."""
    host_by_url = {url: host_of(url) for url in urls}  # each URL once, in document order
    by_host: dict[str, list[str]] = {}
    for url, host in host_by_url.items():
        by_host.setdefault(host, []).append(url)
    loads = [0] * max(1, parts)
    owner: dict[str, int] = {}
    for host, host_urls in sorted(by_host.items(), key=lambda item: -len(item[1])):
        lightest = loads.index(min(loads))
        owner[host] = lightest
        loads[lightest] += len(host_urls)
    groups: list[list[str]] = [[] for _ in loads]
    for url, host in host_by_url.items():
        groups[owner[host]].append(url)
    return [group for group in groups if group]


def share_of_concurrency(total: int, sizes: Sequence[int]) -> list[int]:
    """Split `total` requests in flight over groups in proportion to their sizes, at least
    one each, and never more than `total` in all when there are no more groups than that."""
    whole = sum(sizes) or 1
    shares = [max(1, total * size // whole) for size in sizes]
    # Hand what rounding left over to the largest groups first; take back what the minimum of
    # one each added, from the largest shares.
    for index in sorted(range(len(sizes)), key=lambda i: -sizes[i]):
        if sum(shares) >= total:
            break
        shares[index] += 1
    while sum(shares) > total and max(shares) > 1:
        shares[shares.index(max(shares))] -= 1
    return shares


_Message = list[Checked] | str | None  # a batch; why the worker failed; the end


async def check_urls_in_processes(
    urls: Sequence[str],
    config: CheckConfig,
    client: httpx.AsyncClient,
    *,
    processes: int,
    bodies_for: Collection[str] = (),
    claims: Mapping[str, tuple[Claim | None, ...]] | None = None,
    keep_texts: bool = True,
    started: StartedWorkers | None = None,
) -> AsyncGenerator[Checked, None]:
    """Check every unique URL once, in up to `processes` worker processes; yield each result
    as it arrives, with its claims judged against the page by the worker for the URLs in
    `claims` (LivePage, with the page's text where a claim failed if `keep_texts`; else
    None). Bodies come back only for the URLs in `bodies_for` (the caller reads those pages;
    sending every body across would cost more than checking it).

    Each worker makes its own client from `config` and this process's environment (proxies
    included), or is one of `started`, taken first. `client` checks a group here when its
    process cannot be started (a sandbox without subprocesses, say). Wrap the iterator in
    `contextlib.aclosing` when stopping early: the workers are stopped at once rather than
    when the generator is collected."""
    groups = split_by_host(urls, processes)
    shares = share_of_concurrency(config.concurrency, [len(group) for group in groups])
    wanted = set(bodies_for)
    # Bounded: a consumer slower than the workers (judging claims, say) holds them back
    # rather than letting their results and bodies pile up here.
    queue: asyncio.Queue[tuple[int, _Message]] = asyncio.Queue(maxsize=_QUEUED_BATCHES)
    workers: dict[int, asyncio.subprocess.Process] = {}
    tasks: list[asyncio.Task[None]] = []
    errors = [bytearray() for _ in groups]
    missing = [dict.fromkeys(group) for group in groups]  # not yet reported, in order
    try:
        for index, (group, share) in enumerate(zip(groups, shares, strict=True)):
            job = Job(
                urls=tuple(group),
                config=dataclasses.replace(config, concurrency=share, processes=1),
                bodies_for=frozenset(url for url in group if url in wanted),
                claims={url: claims[url] for url in group if url in claims} if claims else {},
                keep_texts=keep_texts,
            )
            worker = started.take() if started is not None else None
            try:
                if worker is None:
                    worker = await _spawn_worker()
            except _CANNOT_SPAWN:  # this group is checked in this process instead
                tasks.append(asyncio.create_task(_check_here(job, client, index, queue)))
                continue
            workers[index] = worker  # known before anything can interrupt us: _stop ends it
            assert worker.stdin is not None and worker.stdout is not None
            assert worker.stderr is not None
            # Not awaited: each worker reads its job once it has started, and they start
            # side by side. stdin stays open: its end tells the worker that we are gone.
            worker.stdin.write(pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL))
            tasks.append(asyncio.create_task(_read_frames(worker.stdout, index, queue)))
            tasks.append(asyncio.create_task(_keep_tail(worker.stderr, errors[index])))
        running = len(groups)
        while running:
            index, message = await queue.get()
            if isinstance(message, list):
                for checked in message:
                    missing[index].pop(checked[0].url, None)
                    yield checked
                continue
            running -= 1
            if missing[index]:  # the worker ended before it reported everything
                why = await _why_stopped(workers.get(index), message, errors[index])
                lost = Verdict(Status.UNREACHABLE, "error", detail=why)
                for url in missing[index]:
                    yield CheckResult(url, lost, None, None), None
                missing[index].clear()
    finally:
        finished = [index for index, left in enumerate(missing) if not left]
        await _stop(workers, finished, tasks)


def _worker_path_entry() -> str | None:
    """The directory to put on a worker's PYTHONPATH so that it imports this copy of
    linkcheck: none when linkcheck is installed in site-packages (adding that directory to
    PYTHONPATH would put it before the standard library); this checkout's root otherwise."""
    import linkcheck

    root = os.path.dirname(os.path.dirname(os.path.abspath(linkcheck.__file__)))
    installed = {os.path.abspath(path) for path in site.getsitepackages()}
    installed.add(os.path.abspath(site.getusersitepackages()))
    return None if root in installed else root


async def _spawn_worker() -> asyncio.subprocess.Process:
    """`python -P -m linkcheck.check.worker` with this process's interpreter and environment.
    -P: the working directory (the repository being audited, in CI) is not on its path, so
    a file there cannot stand in for a module the worker imports."""
    if not sys.executable or getattr(sys, "frozen", False):
        raise RuntimeError("no Python interpreter to start")
    env = dict(os.environ)
    entry = _worker_path_entry()
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


async def _read_frames(
    stream: asyncio.StreamReader, index: int, queue: asyncio.Queue[tuple[int, _Message]]
) -> None:
    """Hand each frame a worker writes to the queue, ending with its last word: None (done),
    a string (why it failed: its own message, or a frame that cannot be read), or None at an
    early end of file (its exit code will tell). The last word is always given, so the
    parent never waits for a worker that is gone."""
    last: _Message = None
    try:
        while True:
            header = await stream.readexactly(FRAME_HEADER.size)
            message = pickle.loads(await stream.readexactly(FRAME_HEADER.unpack(header)[0]))
            if not isinstance(message, list):
                last = message
                break
            await queue.put((index, message))
    except asyncio.IncompleteReadError:
        last = None
    except Exception as exc:  # a frame that does not unpickle: a foreign or broken worker
        last = f"unreadable result ({type(exc).__name__}: {exc})"
    # Every way out but cancellation (which only _stop does) ends here.
    await queue.put((index, last))


async def _keep_tail(stream: asyncio.StreamReader, tail: bytearray) -> None:
    """Drain a worker's standard error (so it never blocks on a full pipe), keeping the end."""
    while chunk := await stream.read(65536):
        tail += chunk
        del tail[:-_ERROR_TAIL_BYTES]


async def _why_stopped(
    worker: asyncio.subprocess.Process | None, message: _Message, stderr_tail: bytearray
) -> str:
    if isinstance(message, str):
        return f"internal error: the checking process failed: {message}"
    if worker is None:
        return "internal error: checking stopped early"
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(worker.wait(), _STOP_WAIT)
    lines = stderr_tail.decode("utf-8", "replace").strip().splitlines()
    said = f": {lines[-1]}" if lines else ""
    return f"internal error: the checking process exited with code {worker.returncode}{said}"


async def _stop(
    workers: dict[int, asyncio.subprocess.Process],
    finished: list[int],
    tasks: list[asyncio.Task[None]],
) -> None:
    """A worker that reported everything is given _STOP_WAIT to exit by itself (it does so
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
            await asyncio.wait_for(worker.wait(), _STOP_WAIT)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                worker.kill()
            await worker.wait()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def _check_here(
    job: Job, client: httpx.AsyncClient, index: int, queue: asyncio.Queue[tuple[int, _Message]]
) -> None:
    """A group checked in this process, reported like a worker's (one result per batch)."""
    # The engine gives every URL a verdict; should it fail anyway, the URLs it did not
    # report get theirs from the caller ("checking stopped early").
    with contextlib.suppress(Exception):
        async with contextlib.aclosing(check_urls(job.urls, client, job.config)) as results:
            async for result in results:
                await queue.put((index, [judged(result, job)]))
    await queue.put((index, None))
