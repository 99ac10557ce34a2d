"""Checking a large run in several processes, each owning whole hosts (whole sites, in fact).

One Python process spends about a millisecond of CPU per request (the HTTP client, page
analysis) and tens of milliseconds per page whose claims are judged, so a large run can be
CPU-bound on one core before the network is the limit. Here the sites (`site_of`: a host with
its sibling hosts, as www.example.org with example.org) are dealt out to worker processes,
each running the ordinary engine (`check_urls`) with its own client and its share of the
concurrency, and judging the claims of the pages it fetched. A host never spans two
processes, so its per-host limits, interval, soft-404 probe and Retry-After hold as in one
process, also for the redirects between sibling hosts, and a page cited with several fragments
is still fetched once.

Results stream back in small batches as they finish. A worker that dies costs only its own
URLs not yet reported: each gets an "error" verdict; nothing escapes as an exception.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import pickle
from collections.abc import AsyncGenerator, AsyncIterator, Collection, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from linkcheck.check import spawn
from linkcheck.check.config import CheckConfig
from linkcheck.check.result import CheckResult, host_of
from linkcheck.check.spawn import PARALLEL_MIN_JUDGED, PARALLEL_MIN_URLS, StartedWorkers
from linkcheck.check.worker import FRAME_HEADER, Checked, Job, frame, judged, until_none
from linkcheck.machine import default_processes
from linkcheck.models import Claim, Status, Verdict

if TYPE_CHECKING:  # loaded only where a group is checked in this process
    import httpx

_ERROR_TAIL_BYTES = 4096  # of a worker's standard error, kept to explain its death
_QUEUED_BATCHES = 4  # result batches received and not yet consumed, all workers together


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
    sites = len({site_of(host_of(url)) for url in urls})
    return max(1, min(asked, sites, config.concurrency))


def site_of(host: str) -> str:
    """The site a host belongs to, for dealing. The hosts that most often redirect to each
    other (example.org and www.example.org, data.census.gov and www.census.gov) share one, so
    that a single worker's per-host limits see every request to either. Coarse on purpose:
    the last two labels, or three under a country code's short second level (bbc.co.uk); a
    site too large only puts more hosts in one worker, and a host is never split. An IP
    address is a site of its own."""
    if ":" in host or host.replace(".", "").isdigit():
        return host
    labels = host.rstrip(".").split(".")
    keep = 3 if len(labels) >= 3 and len(labels[-1]) == 2 and len(labels[-2]) <= 3 else 2
    return ".".join(labels[-keep:])


class HostDealer:
    """Deals whole sites (`site_of`) out to `parts` groups, URL counts as even as possible:
    each batch's new sites, largest first, go to the group with the fewest URLs so far; a
    site already dealt stays with its group."""

    def __init__(self, parts: int) -> None:
        self.loads: list[float] = [0] * max(1, parts)
        self.owner: dict[str, int] = {}  # site → group

    def deal(self, urls: Iterable[str]) -> list[list[str]]:
        """`urls` by group (empty lists included), each in the order given."""
        site_by_url = {url: site_of(host_of(url)) for url in urls}  # each URL once, in order
        counts: dict[str, int] = {}
        for site in site_by_url.values():
            counts[site] = counts.get(site, 0) + 1
        loads, owner = self.loads, self.owner
        for site, count in sorted(counts.items(), key=lambda item: -item[1]):
            group = owner.get(site)
            if group is None:
                group = owner[site] = loads.index(min(loads))
            loads[group] += count
        groups: list[list[str]] = [[] for _ in loads]
        for url, site in site_by_url.items():
            groups[owner[site]].append(url)
        return groups

    def retire(self, group: int) -> None:
        """The group has ended (its worker died, say): its sites, no longer checked anywhere,
        go to the other groups when they come up again, and no new site goes to it unless
        every group has ended."""
        self.loads[group] = float("inf")
        self.owner = {site: owner for site, owner in self.owner.items() if owner != group}


def split_by_host(urls: Sequence[str], parts: int) -> list[list[str]]:
    """Deal whole sites (and so whole hosts) out to `parts` groups with URL counts as even as
    possible (largest first, each to the lightest group). Each group keeps the document order;
    empty groups are dropped."""
    return [group for group in HostDealer(parts).deal(urls) if group]


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
    client: httpx.AsyncClient | None,
    *,
    processes: int,
    bodies_for: Collection[str] = (),
    claims: Mapping[str, tuple[Claim | None, ...]] | None = None,
    keep_texts: bool = True,
    started: StartedWorkers | None = None,
    more: AsyncIterator[Sequence[str]] | None = None,
) -> AsyncGenerator[Checked, None]:
    """Check every unique URL once, in up to `processes` worker processes; yield each result
    as it arrives, with its claims judged against the page by the worker for the URLs in
    `claims` (LivePage, with the page's text where a claim failed if `keep_texts`; else
    None). Bodies come back only for the URLs in `bodies_for` (the caller reads those pages;
    sending every body across would cost more than checking it).

    `more`: further URLs, batch by batch, while the documents are still being read (no
    claims or bodies for them); each goes to the worker that owns its host, and the run ends
    when `more` is exhausted and every URL has its result. With `more`, all `processes`
    workers start at once, each with an even share of the concurrency (how the URLs will
    spread over hosts is not known yet).

    Each worker makes its own client from `config` and this process's environment (proxies
    included), or is one of `started`, taken first. `client` (or, when None, one made here)
    checks a group here when its process cannot be started (a sandbox without subprocesses,
    say). Wrap the iterator in `contextlib.aclosing` when stopping early: the workers are
    stopped at once rather than when the generator is collected."""
    dealer = HostDealer(processes)
    groups = dealer.deal(urls)
    if more is None:
        groups = [group for group in groups if group]
        shares = share_of_concurrency(config.concurrency, [len(group) for group in groups])
    else:
        shares = share_of_concurrency(config.concurrency, [1] * len(groups))
    wanted = set(bodies_for)
    # Bounded: a consumer slower than the workers (judging claims, say) holds them back
    # rather than letting their results and bodies pile up here.
    queue: asyncio.Queue[tuple[int, _Message]] = asyncio.Queue(maxsize=_QUEUED_BATCHES)
    workers: dict[int, spawn.WorkerProcess] = {}
    here: dict[int, asyncio.Queue[Sequence[str] | None]] = {}  # more URLs for groups checked here
    tasks: list[asyncio.Task[None]] = []
    errors = [bytearray() for _ in groups]
    missing = [dict.fromkeys(group) for group in groups]  # not yet reported, in order
    lost: dict[int, Verdict] = {}  # groups whose worker ended early, and their URLs' verdict
    try:
        for index, (group, share) in enumerate(zip(groups, shares, strict=True)):
            job = Job(
                urls=tuple(group),
                config=dataclasses.replace(config, concurrency=share, processes=1),
                bodies_for=frozenset(url for url in group if url in wanted),
                claims={url: claims[url] for url in group if url in claims} if claims else {},
                keep_texts=keep_texts,
                more=more is not None,
            )
            worker = started.take() if started is not None else None
            try:
                if worker is None:
                    worker = await spawn.spawn_worker()
            except spawn.CANNOT_SPAWN:  # this group is checked in this process instead
                feed: asyncio.Queue[Sequence[str] | None] | None = None
                if more is not None:
                    feed = here[index] = asyncio.Queue()
                tasks.append(asyncio.create_task(_check_here(job, client, index, queue, feed)))
                continue
            workers[index] = worker  # known before anything can interrupt us: _stop ends it
            assert worker.stdin is not None and worker.stdout is not None
            assert worker.stderr is not None
            # Not awaited: each worker reads its job once it has started, and they start
            # side by side. stdin stays open: its end tells the worker that we are gone.
            worker.stdin.write(frame(job))
            tasks.append(asyncio.create_task(_read_frames(worker.stdout, index, queue)))
            tasks.append(asyncio.create_task(_keep_tail(worker.stderr, errors[index])))
        if more is not None:
            deal = _Deal(dealer, workers, here, missing, lost, queue)
            dealing = asyncio.create_task(deal.feed(more))
            tasks.append(dealing)
        running = len(groups)
        while running:
            index, message = await queue.get()
            if isinstance(message, list):
                for checked in message:
                    missing[index].pop(checked[0].url, None)
                    yield checked
                continue
            running -= 1
            feeding = more is not None and not deal.finished.is_set()
            if more is not None:
                deal.dealer.retire(index)
            # Why it ended matters only for URLs it left, or may yet be dealt (it died while
            # URLs were still coming); a worker that finished is not waited for here.
            if missing[index] or feeding:
                why = await _why_stopped(workers.get(index), message, errors[index])
                lost[index] = Verdict(Status.UNREACHABLE, "error", detail=why)
            for url in missing[index]:  # the worker ended before it reported everything
                yield CheckResult(url, lost[index], None, None), None
            missing[index].clear()
            if more is not None and not running:
                running += await deal.orphans()
        if more is not None:
            await dealing  # an error in `more` is the caller's to see
    finally:
        finished = [index for index, left in enumerate(missing) if not left]
        await spawn.stop_workers(workers, finished, tasks)


class _Deal:
    """Hands each batch of further URLs to the groups owning their hosts: a worker's stdin
    (a frame), or the queue of a group checked here; then the end (None) to every group.
    URLs dealt to a group that has ended come back with its verdict (`orphans`)."""

    def __init__(
        self,
        dealer: HostDealer,
        workers: Mapping[int, spawn.WorkerProcess],
        here: Mapping[int, asyncio.Queue[Sequence[str] | None]],
        missing: list[dict[str, None]],
        lost: Mapping[int, Verdict],
        queue: asyncio.Queue[tuple[int, _Message]],
    ) -> None:
        self.dealer, self.workers, self.here = dealer, workers, here
        self.missing, self.lost, self.queue = missing, lost, queue
        self.late: list[tuple[int, list[str]]] = []  # dealt to a group that had ended
        self.sent = {url for group in missing for url in group}  # each URL is dealt once
        self.finished = asyncio.Event()

    async def feed(self, more: AsyncIterator[Sequence[str]]) -> None:
        try:
            async for batch in more:
                new = [url for url in batch if url not in self.sent]
                self.sent.update(new)
                for index, urls in enumerate(self.dealer.deal(new)):
                    if urls:
                        self._send(index, urls)
        finally:
            for index in range(len(self.missing)):
                self._send(index, None)
            self.finished.set()

    def _send(self, index: int, urls: list[str] | None) -> None:
        if urls is not None:
            if index in self.lost:
                self.late.append((index, urls))
                return
            self.missing[index].update(dict.fromkeys(urls))
        worker = self.workers.get(index)
        if worker is None:
            self.here[index].put_nowait(urls)
        elif worker.stdin is not None and not worker.stdin.is_closing():
            worker.stdin.write(frame(tuple(urls) if urls is not None else None))

    async def orphans(self) -> int:
        """Once every group has ended: the URLs dealt to ended ones, as a last message."""
        await self.finished.wait()
        if not self.late:
            return 0
        index = self.late[0][0]
        lost: list[Checked] = [
            (CheckResult(url, self.lost[group], None, None), None)
            for group, urls in self.late
            for url in urls
        ]
        self.late.clear()
        await self.queue.put((index, lost))
        await self.queue.put((index, None))
        return 1


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
    worker: spawn.WorkerProcess | None, message: _Message, stderr_tail: bytearray
) -> str:
    if isinstance(message, str):
        return f"internal error: the checking process failed: {message}"
    if worker is None:
        return "internal error: checking stopped early"
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(worker.wait(), spawn.STOP_WAIT)
    lines = stderr_tail.decode("utf-8", "replace").strip().splitlines()
    said = f": {lines[-1]}" if lines else ""
    return f"internal error: the checking process exited with code {worker.returncode}{said}"


async def _check_here(
    job: Job,
    client: httpx.AsyncClient | None,
    index: int,
    queue: asyncio.Queue[tuple[int, _Message]],
    feed: asyncio.Queue[Sequence[str] | None] | None = None,
) -> None:
    """A group checked in this process, reported like a worker's (one result per batch), with
    `client` or one of its own; `feed` brings its further URLs."""
    from linkcheck.check.client import make_client
    from linkcheck.check.engine import check_urls

    more = until_none(feed) if feed is not None else None
    # The engine gives every URL a verdict; should it fail anyway, the URLs it did not
    # report get theirs from the caller ("checking stopped early").
    with contextlib.suppress(Exception):
        async with contextlib.AsyncExitStack() as stack:
            if client is None:
                client = await stack.enter_async_context(make_client(job.config))
            checked = check_urls(job.urls, client, job.config, more=more)
            results = await stack.enter_async_context(contextlib.aclosing(checked))
            async for result in results:
                await queue.put((index, [judged(result, job)]))
    await queue.put((index, None))
