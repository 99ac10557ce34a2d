"""The checker's only stateful part: one engine per run, driving the pure rules.

Each unique URL is fetched once: duplicates share its task, and URLs that differ only by
"#fragment" share one GET (a fragment is never sent to the server). Results are yielded as they
finish. No exception about one link escapes: each becomes a `Verdict`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import random
from collections import OrderedDict, deque
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Coroutine,
    Iterable,
    Sequence,
)
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx

from linkcheck.check.answer import Answer, Fetch
from linkcheck.check.config import CheckConfig
from linkcheck.check.failures import (
    BudgetExceeded,
    Failure,
    classify_exception,
    redirect_to_invalid_url,
)
from linkcheck.check.fragments import check_fragment, fragment_of
from linkcheck.check.hosts import Limits
from linkcheck.check.page import parse_page
from linkcheck.check.redirects import REDIRECT_STATUSES
from linkcheck.check.result import CheckResult, host_of
from linkcheck.check.retry import Budget, host_accepts, with_retries
from linkcheck.check.safety import resolved_rule
from linkcheck.check.soft404 import compare_with_probe, origin, probe_url
from linkcheck.check.verdicts import (
    apply_fragment,
    apply_probe,
    precheck,
    probe_applies,
    verdict_for_fetch,
)
from linkcheck.models import Status, Verdict

K = TypeVar("K")
T = TypeVar("T")

REDIRECT_BODY_BYTES = 65536  # a redirect's body is only read so the connection can be reused
# While more URLs may still arrive, a page whose citing URLs have all been answered is kept
# (most recent first, up to this many body bytes), so that "page#b" found after "page#a" was
# checked reuses the GET instead of repeating it.
KEPT_WHILE_FEEDING_BYTES = 2_000_000


# Called with every exchange the engine makes and the body prefix it read (e.g. a WARC writer).
Recorder = Callable[[httpx.Request, httpx.Response, bytes], None]

# What a closed response's stream is replaced with (see Engine._attempt).
_SPENT_STREAM = httpx.ByteStream(b"")


class _Attempts:
    def __init__(self) -> None:
        self.count = 0


async def read_prefix(response: httpx.Response, limit: int) -> tuple[bytes, bool]:
    """At most `limit` bytes of the (decoded) body, and whether that was all of it. The caller
    closes the response, which drops the rest unread: a 200 MB file costs `limit` bytes."""
    if limit <= 0:
        return b"", False
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in response.aiter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                return b"".join(chunks)[:limit], False
    except httpx.DecodingError:  # a broken gzip stream: keep what decoded
        return b"".join(chunks)[:limit], False
    return b"".join(chunks), True


class Engine:
    """Owns a run's limits and caches: created per `check_urls` call, never shared."""

    def __init__(
        self, client: httpx.AsyncClient, config: CheckConfig, recorder: Recorder | None = None
    ) -> None:
        self.client = client
        self.config = config
        self.recorder = recorder
        self.limits = Limits(config.concurrency, config.host_concurrency, config.host_interval)
        self.rng = random.Random()  # probe names and jitter; its own, not the global one
        self._fetches: dict[str, asyncio.Future[Fetch]] = {}
        self._probes: dict[str, asyncio.Future[Fetch]] = {}
        self._addresses: dict[tuple[str, int], asyncio.Future[tuple[str, str] | None]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()  # running ones only: done tasks are dropped
        self._page_users: dict[str, int] = {}  # URLs (fragments apart) still to use each page
        self._anchored: set[str] = set()  # pages cited with a "#fragment": their ids are read
        # Pages released while URLs may still arrive (see KEPT_WHILE_FEEDING_BYTES).
        self._kept: OrderedDict[str, asyncio.Future[Fetch]] = OrderedDict()
        self._kept_bytes = 0
        self._feeding = False

    def _shared(
        self,
        cache: dict[K, asyncio.Future[T]],
        key: K,
        factory: Callable[[], Coroutine[Any, Any, T]],
    ) -> Awaitable[T]:
        """One in-flight task per key; waiters are shielded so that one cancelled waiter
        cannot cancel the work the others wait for."""
        task = cache.get(key)
        if task is None:
            task = asyncio.get_running_loop().create_task(factory())
            cache[key] = task
            self._track(task)
        return asyncio.shield(task)

    def _track(self, task: asyncio.Task[Any]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def run(
        self, urls: Iterable[str], more: AsyncIterator[Sequence[str]] | None = None
    ) -> AsyncGenerator[CheckResult, None]:
        """Results in the order they finish. Each is handed over through a queue and then
        forgotten: nothing here keeps a finished result (or its body) alive. `more`: further
        URLs, batch by batch, while the documents are still being read; the run ends when it
        is exhausted and every URL has its result.

        Checks are started as room frees up, at most `host_window` per host and `window` in
        all, rather than all at once: 10,000 waiting tasks were a million objects that every
        full garbage collection walked, and a fifth of a large run's memory. Per-host room
        keeps a busy host from holding the window while other hosts have nothing to do."""
        seen: set[str] = set()
        waiting: dict[str, deque[str]] = {}  # host → URLs not started yet, in document order
        config = self.config
        host_window = 2 * config.host_concurrency  # a slot freed finds the next URL waiting
        window = max(2 * config.concurrency, host_window)
        live: dict[str, int] = {}  # host → checks started and not yet handed out
        # Finished checks, (host, task); and with `more`, its batches ("", URLs) and its end
        # ("", None).
        done: asyncio.Queue[tuple[str, asyncio.Task[CheckResult] | Sequence[str] | None]]
        done = asyncio.Queue()
        loop = asyncio.get_running_loop()

        def add(batch: Iterable[str]) -> int:
            added = 0
            for url in batch:
                if url in seen:
                    continue
                seen.add(url)
                added += 1
                page, _, fragment = url.partition("#")
                self._page_users[page] = self._page_users.get(page, 0) + 1
                self._keep_using(page)
                if fragment:
                    self._anchored.add(page)
                waiting.setdefault(host_of(url), deque()).append(url)
            return added

        def hand_over(host: str) -> Callable[[asyncio.Task[CheckResult]], None]:
            return lambda task: done.put_nowait((host, task))

        def start_more(running: int) -> int:
            # Hosts at their limit are passed over; there are at most `window` of them, so a
            # run over thousands of hosts does not rescan them all for every result.
            emptied = []
            for host, queue in waiting.items():
                while queue and live.get(host, 0) < host_window and running < window:
                    task = loop.create_task(self.check(queue.popleft()))
                    self._track(task)
                    task.add_done_callback(hand_over(host))
                    live[host] = live.get(host, 0) + 1
                    running += 1
                if not queue:
                    emptied.append(host)
                if running >= window:
                    break
            for host in emptied:
                del waiting[host]
            return running

        outstanding = add(urls)  # URLs without a result yet
        feeding = more is not None
        feeder = None
        if more is not None:
            self._feeding = True
            feeder = loop.create_task(_feed(more, done))
        try:
            running = start_more(0)
            while outstanding or feeding:
                host, item = await done.get()
                if isinstance(item, asyncio.Task):
                    outstanding -= 1
                    live[host] -= 1
                    running = start_more(running - 1)
                    yield item.result()
                elif item is None:  # no more URLs will come: keep no page for them
                    feeding = self._feeding = False
                    self._kept.clear()
                    self._kept_bytes = 0
                else:
                    outstanding += add(item)
                    running = start_more(running)
            if feeder is not None:
                await feeder  # an error in `more` is the caller's to see
        finally:
            if feeder is not None and not feeder.done():
                feeder.cancel()
                await asyncio.gather(feeder, return_exceptions=True)
            await self.aclose()

    async def aclose(self) -> None:
        """Cancel whatever is still running (the consumer stopped early) and wait for it."""
        pending = [task for task in self._tasks if not task.done()]
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)

    async def check(self, url: str) -> CheckResult:
        try:
            return await self._check(url)
        except Exception as exc:  # the last resort: a bug on one link must not lose the others
            detail = f"internal error: {type(exc).__name__}: {exc}"
            return CheckResult(url, Verdict(Status.UNREACHABLE, "error", detail=detail), None, None)

    async def _check(self, url: str) -> CheckResult:
        config = self.config
        early = precheck(url, config)
        if early is not None:
            return CheckResult(url, early, None, None)
        page_url = url.partition("#")[0]  # the fragment is never sent to the server
        refused = await self._address_rule(page_url)
        if refused is not None:
            reason, detail = refused
            return CheckResult(url, Verdict(Status.SKIPPED, reason, detail=detail), None, None)
        fragment = fragment_of(url)
        anchors = config.check_fragments and bool(fragment or page_url in self._anchored)
        fetch = await self._shared(
            self._fetches, page_url, lambda: self._fetch(page_url, anchors=anchors)
        )
        if fragment and config.check_fragments and not fetch.ids_read:
            fetch = self._with_ids(page_url, fetch)
        self._release_page(page_url)
        verdict = verdict_for_fetch(fetch, config)
        if config.soft404_probe and probe_applies(verdict, fetch):
            landing = fetch.landing_url
            probe = await self._shared(
                self._probes,
                origin(landing),
                lambda: self._fetch(probe_url(landing, self.rng), probe=True),
            )
            verdict = apply_probe(verdict, compare_with_probe(fetch, probe))
        if config.check_fragments and fragment:
            complete = fetch.answer.complete if fetch.answer is not None else True
            verdict = apply_fragment(verdict, check_fragment(fragment, fetch.page, complete))
        # Only a live page's text is worth handing on: an error or challenge page supports
        # no claim, and dropping it keeps a large run's memory to the pages that matter.
        live = verdict.status in (Status.OK, Status.REDIRECTED)
        if not live or fetch.answer is None:
            return CheckResult(url, verdict, None, None)
        charset = fetch.page.charset if fetch.page is not None else None
        return CheckResult(url, verdict, fetch.answer.body, charset)

    def _release_page(self, page_url: str) -> None:
        """Forget a fetched page once every URL citing it (fragments apart) has it, so a
        large run holds only the pages still being judged."""
        left = self._page_users.get(page_url, 1) - 1
        if left > 0:
            self._page_users[page_url] = left
            return
        self._page_users.pop(page_url, None)
        fetched = self._fetches.pop(page_url, None)
        if fetched is None or not self._feeding or not fetched.done():
            return
        self._kept[page_url] = fetched
        self._kept_bytes += _body_size(fetched)
        while self._kept_bytes > KEPT_WHILE_FEEDING_BYTES and self._kept:
            self._kept_bytes -= _body_size(self._kept.popitem(last=False)[1])

    def _keep_using(self, page_url: str) -> None:
        """A page kept after its last use is wanted again (a URL arrived late): back in use."""
        kept = self._kept.pop(page_url, None)
        if kept is not None:
            self._kept_bytes -= _body_size(kept)
            self._fetches[page_url] = kept

    def _with_ids(self, page_url: str, fetch: Fetch) -> Fetch:
        """The fetch with the page's ids read: it was started before any URL citing the page
        with a "#fragment" arrived (URLs fed while the documents are read)."""
        if fetch.answer is None or fetch.page is None:
            return fetch
        shared = self._fetches.get(page_url)
        done = _completed(shared) if shared is not None else None
        if done is not None and done.ids_read and done.answer is fetch.answer:
            return done  # another citer, waiting on the same GET, read them first
        answer = fetch.answer
        page = parse_page(answer.body, answer.content_type, anchors=True, tokens=False)
        fetch = dataclasses.replace(fetch, page=page, ids_read=True)
        if shared is not None:  # later citers use these ids too
            future: asyncio.Future[Fetch] = asyncio.get_running_loop().create_future()
            future.set_result(fetch)
            self._fetches[page_url] = future
        return fetch

    async def _address_rule(self, url: str) -> tuple[str, str] | None:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
        timeout = min(self.config.timeout, 10.0)
        return await self._shared(
            self._addresses, (host, port), lambda: resolved_rule(host, port, self.config, timeout)
        )

    async def _fetch(self, url: str, probe: bool = False, anchors: bool = False) -> Fetch:
        """GET `url` and follow its redirects by hand, each hop with its own retries.

        A soft-404 probe does not queue behind the host's pages: every live page of the host
        waits for it (holding its body), so a probe at the back of the queue would hold them
        all until the end. `anchors`: collect the page's ids (a cited URL has a fragment)."""
        config = self.config
        budget = Budget(config.max_url_seconds)
        attempts = _Attempts()
        hops: list[tuple[int, str]] = []
        visits = {url: 1}
        current = url
        answer: Answer | None = None
        failure: Failure | None = None
        try:
            while True:
                answer = await self._request(current, budget, attempts, probe)
                target = answer.location
                if answer.status not in REDIRECT_STATUSES or host_accepts(
                    config, answer.url, answer.status
                ):
                    break
                if target is None:
                    invalid = answer.invalid_location
                    if invalid is not None:  # (no Location at all is judged as an answer)
                        detail = redirect_to_invalid_url(invalid)
                        failure = Failure(Status.BROKEN, "error", detail, False)
                    break
                if len(hops) >= config.max_redirects:
                    detail = f"more than {config.max_redirects} redirects (next: {target})"
                    failure = Failure(Status.BROKEN, "too-many-redirects", detail, False)
                    break
                hops.append((answer.status, target))
                seen = visits.get(target, 0)
                # Revisiting a URL is a loop, unless the hop set a cookie: "set a cookie and
                # come back" is a common (and finite) dance.
                if seen and (seen >= 2 or not answer.sets_cookie):
                    chain = " → ".join([url, *(hop for _, hop in hops)])
                    failure = Failure(
                        Status.BROKEN, "redirect-loop", f"redirect loop: {chain}", False
                    )
                    break
                visits[target] = seen + 1
                refused = await self._refuse_target(target)
                if refused is not None:
                    failure = refused
                    break
                current = target
        except Exception as exc:  # every transport problem becomes a Failure value
            failure = classify_exception(exc, current, config.timeout)
        page = None
        if answer is not None and failure is None:
            page = parse_page(answer.body, answer.content_type, anchors=anchors, tokens=probe)
        return Fetch(
            url, tuple(hops), answer, failure, page, attempts.count, budget.used(), anchors
        )

    async def _refuse_target(self, target: str) -> Failure | None:
        """A redirect may not lead where a cited URL may not (metadata services, other schemes)."""
        verdict = precheck(target, self.config, patterns=False)
        if verdict is not None:
            detail = f"redirects to {target}: {verdict.detail}"
            return Failure(verdict.status, verdict.reason or "error", detail, False)
        refused = await self._address_rule(target)
        if refused is not None:
            reason, why = refused
            return Failure(Status.SKIPPED, reason, f"redirects to {target}: {why}", False)
        return None

    async def _request(
        self, url: str, budget: Budget, attempts: _Attempts, probe: bool = False
    ) -> Answer:
        return await with_retries(
            lambda: self._attempt(url, budget, attempts, probe),
            self.config,
            budget,
            self.rng,
            self._hold_off,
        )

    def _hold_off(self, answer: Answer, seconds: float) -> None:
        self.limits.hold_off(urlsplit(answer.url).hostname or "", seconds)

    async def _attempt(
        self, url: str, budget: Budget, attempts: _Attempts, probe: bool = False
    ) -> Answer:
        config = self.config
        host = urlsplit(url).hostname or ""
        given_up = f"no verdict within max_url_seconds ({config.max_url_seconds:g} s)"
        if budget.remaining() <= 0:
            raise BudgetExceeded(given_up)
        async with self.limits.slot(host, priority=probe) as waited:
            budget.queued(waited)
            remaining = budget.remaining()
            if remaining <= 0:
                raise BudgetExceeded(given_up)
            attempts.count += 1
            rule = config.rule_for(host)
            headers = dict(rule.headers) if rule is not None and rule.headers else None
            limit = min(config.timeout, remaining)
            connected = False

            async def trace(event: str, info: object) -> None:
                # httpcore's trace events: a TCP connection came up (or a pooled one is in use).
                nonlocal connected
                if event == "connection.connect_tcp.complete" or event.startswith("http"):
                    connected = True

            try:
                # One deadline for the whole request, never later than the client's timeouts
                # for each step would fire: so the request carries none (timeout=None), and
                # its connect, writes and reads start no timers of their own (one or two
                # per step, set and cancelled: 3 % of a worker's CPU).
                async with (
                    asyncio.timeout(limit),
                    self.client.stream(
                        "GET", url, headers=headers, extensions={"trace": trace}, timeout=None
                    ) as response,
                ):
                    size = config.max_body_bytes
                    if "pdf" in response.headers.get("content-type", "").lower():
                        size = max(size, config.max_pdf_bytes)
                    if response.status_code in REDIRECT_STATUSES:
                        size = min(size, REDIRECT_BODY_BYTES)
                    body, complete = await read_prefix(response, size)
                    if self.recorder is not None:
                        self.recorder(response.request, response, body)
                # Closed: its stream has set `elapsed` and is done with. httpx's stream and the
                # response refer to each other (encode/httpx#3733), so each response with its
                # request and headers, about 30 objects, was left to the cyclic collector: a
                # 4-8 ms pause of the worker's loop every 300-odd responses.
                response.stream = _SPENT_STREAM
            except TimeoutError as exc:
                if limit < config.timeout:
                    raise BudgetExceeded(given_up) from exc
                if not connected:
                    # Still resolving or connecting: no server has answered, which is what an
                    # offline machine (or a resolver that drops queries) looks like.
                    raise httpx.ConnectTimeout(f"no connection within {limit:g} s") from exc
                raise
            return Answer(
                url=url,
                status=response.status_code,
                headers=response.headers,
                body=body,
                complete=complete,
                reason_phrase=response.reason_phrase,
            )


async def _feed(
    more: AsyncIterator[Sequence[str]],
    done: asyncio.Queue[tuple[str, asyncio.Task[CheckResult] | Sequence[str] | None]],
) -> None:
    """Pass each batch of `more` to the engine's queue, then its end (also when it fails)."""
    try:
        async for batch in more:
            done.put_nowait(("", batch))
    finally:
        done.put_nowait(("", None))


def _completed(fetched: asyncio.Future[Fetch]) -> Fetch | None:
    """The fetch a future holds, or None while it runs or if it was cancelled or failed."""
    if not fetched.done() or fetched.cancelled() or fetched.exception() is not None:
        return None
    return fetched.result()


def _body_size(fetched: asyncio.Future[Fetch]) -> int:
    fetch = _completed(fetched)
    return len(fetch.answer.body) if fetch is not None and fetch.answer is not None else 0


async def check_urls(
    urls: Iterable[str],
    client: httpx.AsyncClient,
    config: CheckConfig,
    *,
    recorder: Recorder | None = None,
    more: AsyncIterator[Sequence[str]] | None = None,
) -> AsyncGenerator[CheckResult, None]:
    """Check every unique URL once; yield each result as soon as it is known. `more`: URLs
    still being found (batch by batch) while the first ones are checked; a URL seen before
    is not checked again.

    A consumer that may stop early should wrap the iterator in `contextlib.aclosing` so the
    checks still running are cancelled at once rather than when the generator is collected.
    """
    engine = Engine(client, config, recorder)
    async with contextlib.aclosing(engine.run(urls, more)) as results:
        async for result in results:
            yield result


async def check_url(url: str, client: httpx.AsyncClient, config: CheckConfig) -> CheckResult:
    engine = Engine(client, config)
    try:
        return await engine.check(url)
    finally:
        await engine.aclose()
