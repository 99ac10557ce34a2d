"""The orchestrator: documents in, a Report out.

Extraction and claim matching are plain functions; checking is the one async stage. Nothing
here holds global state: the HTTP client, endpoints and limits are passed in.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import math
import time
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Callable,
    Container,
    Coroutine,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from linkcheck.errors import InputError
from linkcheck.extract.sources import Source, extract_source, gather_sources
from linkcheck.models import (
    ArchiveMode,
    Claim,
    Document,
    Extraction,
    Format,
    InputProblem,
    Link,
    Occurrence,
    Report,
    Snapshot,
    Status,
    Support,
    Verdict,
)
from linkcheck.urls import is_checkable, normalize_url, scheme_of

if TYPE_CHECKING:  # the network stack loads only when a run checks links
    import asyncio

    import httpx

    from linkcheck.archive import ArchiveConfig, ArchiveLimiter, Manifest, SaveOutcome
    from linkcheck.cache import CheckStore
    from linkcheck.check.config import CheckConfig
    from linkcheck.check.engine import Recorder
    from linkcheck.check.result import CheckResult
    from linkcheck.check.spawn import ForkedWorker, StartedWorkers
    from linkcheck.support import Scorer
    from linkcheck.support.live import LivePage
    from linkcheck.support.spool import TextSpool

T = TypeVar("T")


@dataclass(frozen=True)
class ExtractOptions:
    """What the offline stages need to know beyond the documents themselves."""

    input_format: Format | None = None
    base_url: str | None = None
    date: dt.date | None = None


def read_documents(
    paths: Sequence[str], options: ExtractOptions, *, stdin: bytes | None = None
) -> tuple[list[Extraction], list[InputProblem]]:
    """Extract every document; the ones that cannot be read become problems, the rest go on."""
    sources, problems = gather_sources(paths, stdin=stdin, format=options.input_format)
    return read_sources(sources, options, problems)


def read_sources(
    sources: Sequence[Source],
    options: ExtractOptions,
    problems: Sequence[InputProblem] = (),
    found: FoundUrls | None = None,
) -> tuple[list[Extraction], list[InputProblem]]:
    """Extract every source; `found` hears of the links' URLs as they are found."""
    extractions = []
    problems = list(problems)
    for source in sources:
        extraction = read_one(source, options, found)
        if found is not None:
            found.flush()
        if isinstance(extraction, InputProblem):
            problems.append(extraction)
        else:
            extractions.append(extraction)
    return extractions, problems


def read_one(
    source: Source, options: ExtractOptions, found: FoundUrls | None = None
) -> Extraction | InputProblem:
    try:
        return extract_source(source, base_url=options.base_url, date=options.date, found=found)
    except InputError as error:
        return InputProblem(source.name, error.code, error.message)
    except Exception as error:  # an extractor bug must not sink the other documents
        return InputProblem(source.name, "corrupt", f"{source.name}: could not be read ({error})")


class ReadingStopped(BaseException):
    """Raised in the reading thread by FoundUrls once the run wants no more of its URLs (it
    was stopped: Ctrl-C, an error). A BaseException: no extractor takes it for its own."""


# The first batch of URLs found, sent alone so that checking starts at once; and from how
# many new URLs told in one call they are sent at its end. Later batches: FOUND_BATCH.
FOUND_AT_ONCE = 16
FOUND_BATCH = 256


class FoundUrls:
    """The URLs an extracting thread finds, normalized and each once, handed to the event
    loop's `queue` in batches: the first small, so that checking starts at once, then larger
    (fewer wake-ups of the loop). `end` puts None after the last. `normalized` is
    `normalize_url` for the same thread, without normalizing a URL twice. After `stop`, the
    next batch found raises ReadingStopped in the reading thread, which the run awaits."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[list[str] | None]
    ) -> None:
        self._loop, self._queue = loop, queue
        self._batch: list[str] = []
        self._size = FOUND_AT_ONCE
        self._normal: dict[str, str] = {}  # each URL as found → as normalized
        self._told: set[str] = set()
        self._stopped = False
        self._last = -math.inf  # when URLs were last found (time.monotonic)
        self._ended = False

    def stop(self) -> None:
        self._stopped = True

    def finding(self, within: float) -> bool:
        """Whether URLs were found in the last `within` seconds, or all of them have been (a
        parser's first pass over a long document finds none for a while)."""
        return self._ended or time.monotonic() - self._last < within

    def normalized(self, raw: str) -> str:
        url = self._normal.get(raw)
        if url is None:
            url = self._normal[raw] = normalize_url(raw)
        return url

    def __call__(self, urls: Sequence[str]) -> None:
        if self._stopped:
            raise ReadingStopped
        self._last = time.monotonic()
        new = 0
        for raw in urls:
            url = self.normalized(raw)
            if url not in self._told:
                self._told.add(url)
                self._batch.append(url)
                new += 1
                if len(self._batch) >= self._size:  # (a document told all at once, too)
                    self.flush()
        if new >= FOUND_AT_ONCE:
            # A look ahead or a whole document: all of it goes now, not once the next URLs,
            # told block by block, fill the batch (the workers would wait for them meanwhile).
            self.flush()

    def flush(self) -> None:
        if self._batch:
            self._loop.call_soon_threadsafe(self._queue.put_nowait, self._batch)
            self._batch, self._size = [], FOUND_BATCH

    def end(self) -> None:
        self._ended = True
        self.flush()
        self._loop.call_soon_threadsafe(self._queue.put_nowait, None)


def assemble(
    extractions: Iterable[Extraction],
    problems: Sequence[InputProblem] = (),
    normalize: Callable[[str], str] = normalize_url,
) -> Report:
    """Claims for every document, and occurrences grouped into one Link per unique URL."""
    # (Loaded here: a large run forks its workers before, and they have no use for it.)
    from linkcheck.claims import claims_and_occurrences

    documents: list[Document] = []
    claims: list[Claim] = []
    grouped: dict[str, list[Occurrence]] = {}
    for extraction in extractions:
        documents.append(extraction.document)
        document_claims, occurrences = claims_and_occurrences(extraction)
        claims.extend(document_claims)
        for raw, occurrence in zip(extraction.links, occurrences, strict=True):
            grouped.setdefault(normalize(raw.url), []).append(occurrence)
    links = tuple(Link(url, tuple(found), _offline_verdict(url)) for url, found in grouped.items())
    return Report(tuple(documents), tuple(claims), links, tuple(problems))


def _offline_verdict(url: str) -> Verdict:
    """What is known before any request: links that are not web pages are skipped, not lost."""
    if is_checkable(url):
        return Verdict(Status.UNCHECKED)
    scheme = scheme_of(url)
    detail = f"{scheme}: links are not checked" if scheme else "relative link with no base URL"
    return Verdict(Status.SKIPPED, reason="unsupported-scheme", detail=detail)


def with_verdicts(
    report: Report,
    verdicts: dict[str, Verdict],
    cached: frozenset[str] | set[str] = frozenset(),
    made: LinksAhead | None = None,
) -> Report:
    """The report with these verdicts set; those in `cached` came from the check store.
    `made`: links already made with their verdicts set, used where they are the same."""

    def with_verdict(link: Link) -> Link:
        verdict = verdicts.get(link.url)
        if verdict is None:
            return link
        if made is not None and (ready := made.link(link, verdict, link.url in cached)):
            return ready
        return dataclasses.replace(link, verdict=verdict, cached=link.url in cached)

    return dataclasses.replace(report, links=tuple(map(with_verdict, report.links)))


class LinksAhead:
    """A report's links with their verdicts set as the checks end, once the documents have
    been read: made while the other checks run, they are not made after the last one (10,000
    links took `with_verdicts` 20-45 ms at the end of the run)."""

    def __init__(self, verdicts: Mapping[str, Verdict], cached: Container[str]) -> None:
        self._verdicts, self._cached = verdicts, cached
        self._read: dict[str, Link] | None = None
        self._made: dict[str, tuple[Link, Link]] = {}  # URL → (link as read, with its verdict)

    def read(self, report: Report) -> None:
        """The report as read; links are made for the verdicts known so far, and the next."""
        self._read = {link.url: link for link in report.links}
        for url in self._verdicts:
            self.checked(url)

    def checked(self, url: str) -> None:
        link = self._read.get(url) if self._read is not None else None
        if link is not None and url not in self._cached:
            verdict = self._verdicts[url]
            self._made[url] = (link, dataclasses.replace(link, verdict=verdict, cached=False))

    def link(self, read: Link, verdict: Verdict, cached: bool) -> Link | None:
        """The link made for `read` with this very verdict, if there is one."""
        made = self._made.get(read.url)
        if made is None or made[0] is not read or made[1].verdict is not verdict or cached:
            return None
        return made[1]


ProgressCallback = Callable[[int, int, str], None]
# Called once, in a thread of its own and while the checks run, with the report as read from
# the documents (no verdicts yet): where output that the checks do not change is prepared.
AssembledCallback = Callable[["Report"], None]
# Called in the event loop as each URL's check ends, with its verdict (which the run may still
# change: history, shards); quick, as the progress callback.
CheckedCallback = Callable[[str, Verdict], None]


def run_sync(work: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(work)`, with the event loop's main task ending on nothing. On the way out
    Python 3.11 formats that task's repr, its result in full, while it restores the Ctrl-C
    handler: for a report of 10,000 links that was 30 MB and a second spent on a string that
    is thrown away."""
    import asyncio

    box: list[T] = []

    async def main() -> None:
        box.append(await work)

    asyncio.run(main())
    return box[0]


@dataclass(frozen=True)
class AuditOptions:
    """What `audit` does beyond the offline stages. `check=None` keeps links unchecked."""

    check: CheckConfig | None = None
    archive: ArchiveConfig | None = None
    archive_mode: ArchiveMode = ArchiveMode.ALL
    support: bool = True
    semantic: bool = False  # add the embedding scorer (the `semantic` extra) to support
    snapshot_cache: Path | None = None  # archive answers for past dates, kept between runs
    warc: Path | None = None  # write every fetch as WARC request/response records
    ttl_ok: float = 7 * 86400.0  # with a check store: reuse an ok check this long (seconds)
    ttl_failed: float = 3600.0  # … and a failed one this long
    fail_after_checks: int = 1  # the history rule: a failure fails the run once it has failed
    fail_after_days: float = 0.0  # this many consecutive checks spanning this many days
    shard: tuple[int, int] | None = None  # (k, n): check only the k-th of n URL partitions

    @property
    def archiving(self) -> bool:
        """Whether the run consults an archive for its links."""
        return self.archive is not None and self.archive_mode is not ArchiveMode.NONE


@dataclass(frozen=True)
class AuditResult:
    report: Report
    offline: bool = False  # every check failed before HTTP: the network is unreachable
    notes: tuple[str, ...] = ()  # one line each, for people (e.g. an archive that stopped us)


# Statuses whose live page is gone: its snapshot is the evidence, and a supporting snapshot
# means the citation drifted.
_DEAD = frozenset({Status.BROKEN, Status.UNREACHABLE})


async def run_audit(
    report: Report,
    options: AuditOptions,
    progress: ProgressCallback | None = None,
    store: CheckStore | None = None,
    workers: StartedWorkers | None = None,
    *,
    checked: CheckedCallback | None = None,
) -> AuditResult:
    """Check, archive and judge support; the one async orchestrator of a run. With a check
    store, fresh checks are reused, every check is recorded, and the history rule applies.
    `workers`: checking processes started ahead (the caller stops those left unused).
    `checked`: told each fresh check's verdict as it ends."""
    if options.check is None:
        return AuditResult(report)
    from linkcheck.check import make_client

    scorer = _scorer(options)
    async with make_client(options.check) as client, contextlib.AsyncExitStack() as stack:
        # Page texts wait (on disk) for the drift check only when there will be snapshots to
        # compare them with.
        texts = None
        if options.archiving and options.support:
            from linkcheck.support.spool import TextSpool

            texts = stack.enter_context(contextlib.closing(TextSpool()))
        with _warc_recorder(options.warc) as recorder:
            done = await _check(
                report, options, client, progress, recorder, store, scorer, workers, texts, checked
            )
        return await _archive_and_judge(done, options, client, scorer, texts)


async def _archive_and_judge(
    checked: _Checked,
    options: AuditOptions,
    client: httpx.AsyncClient | None,
    scorer: Scorer | None,
    texts: TextSpool | None,
) -> AuditResult:
    """What follows the checks: snapshots, then each claim's support (`client` may be None
    when neither is asked for)."""
    report = checked.report
    notes: list[str] = []
    if checked.offline:
        return AuditResult(report, offline=True)
    snapshots_for_support: dict[str, Snapshot] = {}
    limiter = None
    if options.archiving:
        from linkcheck.archive import ArchiveLimiter

        assert options.archive is not None and client is not None
        limiter = ArchiveLimiter(options.archive)
        report = await _archive(report, options, client, limiter)
        stopped = limiter.stop_message()
        if stopped:
            notes.append(stopped)
        snapshots_for_support = {
            link.url: link.archive for link in report.links if link.archive is not None
        }
    if options.support:
        assert client is not None
        report = await _judge_support(
            report,
            checked.judged,
            texts,
            snapshots_for_support,
            client,
            options,
            limiter,
            scorer,
        )
    return AuditResult(report, offline=False, notes=tuple(notes))


@dataclass(frozen=True)
class _Checked:
    report: Report
    offline: bool
    judged: dict[str, tuple[Support | None, ...]]  # live support per occurrence, by URL


async def _check(
    report: Report,
    options: AuditOptions,
    client: httpx.AsyncClient,
    progress: ProgressCallback | None,
    recorder: Recorder | None,
    store: CheckStore | None,
    scorer: Scorer | None = None,
    workers: StartedWorkers | None = None,
    texts: TextSpool | None = None,
    checked: CheckedCallback | None = None,
) -> _Checked:
    """Check every unique URL once; judge live support as each page arrives, so a page's
    body is dropped as soon as it has been read (memory stays flat however many links).
    `texts` receives the live text of each page that failed a claim, for the drift check."""
    assert options.check is not None
    links = {link.url: link for link in report.links}
    pending = _to_check([link.url for link in report.links], options)
    verdicts: dict[str, Verdict] = {}
    judged: dict[str, tuple[Support | None, ...]] = {}
    cached = _reuse_fresh(pending, links, options, store, verdicts, judged)
    to_fetch = [url for url in pending if url not in cached]
    if progress is not None:
        progress(len(cached), len(pending), "")
    claims = (
        {url: _occurrence_claims(links[url]) for url in to_fetch if links[url].claims}
        if options.support
        else {}
    )
    # Where several processes check, each judges the pages it fetched; with an embedding
    # scorer (one model, loaded here) the pages cross to this process instead.
    results = _check_results(
        to_fetch,
        client,
        options.check,
        recorder,
        claims,
        workers,
        judge_here=scorer is not None,
        keep_texts=texts is not None,
    )
    async with contextlib.aclosing(results):
        async for result, live in results:
            verdicts[result.url] = result.verdict
            if checked is not None:
                checked(result.url, result.verdict)
            if live is None and result.url in claims:
                from linkcheck.support.live import judge_result

                live = judge_result(result, claims[result.url], scorer, keep_text=texts is not None)
            if live is not None:
                judged[result.url] = live.supports
                if live.text and texts is not None:
                    texts.put(result.url, live.text)
            if progress is not None:
                progress(len(verdicts), len(pending), result.url)
    return _apply_checks(report, verdicts, cached, judged, options, store)


def _apply_checks(
    report: Report,
    verdicts: dict[str, Verdict],
    cached: set[str],
    judged: dict[str, tuple[Support | None, ...]],
    options: AuditOptions,
    store: CheckStore | None,
    made: LinksAhead | None = None,
) -> _Checked:
    """The report with its verdicts (`cached`: those reused from the store; `made`: see
    `with_verdicts`), the fresh ones recorded and the history rule applied, unless the network
    was unreachable."""
    from linkcheck.check import network_unreachable

    fresh = {url: verdict for url, verdict in verdicts.items() if url not in cached}
    offline = bool(fresh) and network_unreachable(fresh.values())
    report = with_verdicts(report, verdicts, cached, made)
    if store is not None and not offline:
        report = _record_and_apply_history(report, fresh, judged, options, store)
    return _Checked(report, offline, judged)


def _occurrence_claims(link: Link) -> tuple[Claim | None, ...]:
    return tuple(o.claim.claim if o.claim is not None else None for o in link.occurrences)


async def _check_results(
    urls: list[str],
    client: httpx.AsyncClient,
    config: CheckConfig,
    recorder: Recorder | None,
    claims: dict[str, tuple[Claim | None, ...]],
    workers: StartedWorkers | None = None,
    *,
    judge_here: bool = False,
    keep_texts: bool = True,
) -> AsyncGenerator[tuple[CheckResult, LivePage | None], None]:
    """Each result, with its claims judged (LivePage) where a worker judged them. A large run,
    or one with many pages to judge, is checked by several processes, each owning whole
    hosts; a small one, or one whose exchanges are recorded (the WARC writer must see each),
    by this one, which leaves the judging to the caller."""
    from linkcheck.check import check_urls
    from linkcheck.check.processes import check_urls_in_processes, process_count

    judged_there = 0 if judge_here else len(claims)
    processes = 1 if recorder is not None else process_count(config, urls, judged_there)
    if processes > 1:
        checked = check_urls_in_processes(
            urls,
            config,
            client,
            processes=processes,
            bodies_for=claims if judge_here else (),
            claims=None if judge_here else claims,
            keep_texts=keep_texts,
            started=workers,
        )
        async with contextlib.aclosing(checked):
            async for item in checked:
                yield item
        return
    async with contextlib.aclosing(check_urls(urls, client, config, recorder=recorder)) as one:
        async for result in one:
            yield result, None


def _reuse_fresh(
    pending: list[str],
    links: dict[str, Link],
    options: AuditOptions,
    store: CheckStore | None,
    verdicts: dict[str, Verdict],
    judged: dict[str, tuple[Support | None, ...]],
) -> set[str]:
    """Fill in the checks the store still holds fresh (no request), with their evidence."""
    if store is None:
        return set()
    reused: set[str] = set()
    for url in pending:
        entry = store.fresh_entry(url, options.ttl_ok, options.ttl_failed)
        if entry is None:
            continue
        verdict, checked_at = entry
        verdicts[url] = verdict
        reused.add(url)
        if options.support:
            kept = store.supports(url, checked_at)
            judged[url] = tuple(
                kept.get(o.claim.claim.text) if o.claim is not None else None
                for o in links[url].occurrences
            )
    return reused


def _record_and_apply_history(
    report: Report,
    fresh: dict[str, Verdict],
    judged: dict[str, tuple[Support | None, ...]],
    options: AuditOptions,
    store: CheckStore,
) -> Report:
    """Record this run's checks (and their evidence), then mark failures the history rule has
    not confirmed yet: one bad minute of a remote server must not turn a build red."""
    import time

    from linkcheck.cache import CONFIRMING, confirmed_failure

    now = time.time()
    store.record_many(fresh.items(), checked_at=now)
    by_url = {link.url: link for link in report.links}
    for url, supports in judged.items():
        if url in fresh:
            pairs = [
                (o.claim.claim.text, s)
                for o, s in zip(by_url[url].occurrences, supports, strict=True)
                if o.claim is not None and s is not None
            ]
            store.record_supports(url, pairs, now)
    if options.fail_after_checks <= 1 and options.fail_after_days <= 0:
        return report
    links = []
    for link in report.links:
        if link.verdict.status in CONFIRMING:
            history = store.history(link.url, limit=max(50, options.fail_after_checks))
            confirmed = confirmed_failure(
                history, checks=options.fail_after_checks, days=options.fail_after_days
            )
            link = dataclasses.replace(link, unconfirmed=not confirmed)
        links.append(link)
    return dataclasses.replace(report, links=tuple(links))


def _scorer(options: AuditOptions) -> Scorer | None:
    """The optional embedding scorer, loaded once per run (None without the extra)."""
    if not (options.support and options.semantic):
        return None
    from linkcheck.support import load_scorer

    return load_scorer()


async def _archive(
    report: Report, options: AuditOptions, client: httpx.AsyncClient, limiter: ArchiveLimiter
) -> Report:
    """The snapshot nearest each document's date (all links, or only the failed ones)."""
    from linkcheck.archive import JsonFileCache, MemoryCache, lookup_requests, lookup_snapshots
    from linkcheck.archive import with_snapshots as attach

    assert options.archive is not None
    wanted = {
        link.url
        for link in report.links
        if is_checkable(link.url)
        and (options.archive_mode is ArchiveMode.ALL or link.verdict.status in _DEAD)
    }
    requests = [(url, date) for url, date in lookup_requests(report) if url in wanted]
    cache = JsonFileCache(options.snapshot_cache) if options.snapshot_cache else MemoryCache()
    results = await lookup_snapshots(requests, client, options.archive, limiter, cache)
    return dataclasses.replace(report, links=attach(report.links, results))


async def _judge_support(
    report: Report,
    judged: dict[str, tuple[Support | None, ...]],
    texts: TextSpool | None,
    snapshots: dict[str, Snapshot],
    client: httpx.AsyncClient,
    options: AuditOptions,
    limiter: ArchiveLimiter | None,
    scorer: Scorer | None = None,
) -> Report:
    """Live judgements, then the snapshot where the live page fails the claim or is gone:
    a snapshot that supports what the live page no longer does is drift."""
    from linkcheck.support import judge, judge_with_archive

    links = []
    for link in report.links:
        supports = list(judged.get(link.url, (None,) * len(link.occurrences)))
        # The snapshot is read where the live page is gone or refused us, or where its text
        # (kept only when a claim was not supported) failed a claim. A cached check has no
        # text: its recorded evidence stands.
        live_text = texts.get(link.url) if texts is not None else None
        needs_archive = bool(link.claims) and (
            link.verdict.status in _DEAD | {Status.BLOCKED} or live_text is not None
        )
        snapshot = snapshots.get(link.url)
        archive_text = None
        if needs_archive and snapshot is not None and limiter is not None:
            archive_text = await _snapshot_text(snapshot, client, options, limiter)
        for index, occurrence in enumerate(link.occurrences):
            if occurrence.claim is None:
                continue
            claim = occurrence.claim.claim
            if link.verdict.status is Status.BLOCKED and archive_text is not None:
                # The live page refused us: judge the snapshot, but nothing says it drifted.
                supports[index] = judge(claim, archive_text, "archive", scorer=scorer)
            elif archive_text is not None:
                supports[index] = judge_with_archive(claim, live_text, archive_text, scorer=scorer)
            elif supports[index] is None:
                supports[index] = judge(claim, None, "live")  # nothing to judge: unknown
        occurrences = tuple(
            dataclasses.replace(o, support=s)
            for o, s in zip(link.occurrences, supports, strict=True)
        )
        links.append(dataclasses.replace(link, occurrences=occurrences))
    return dataclasses.replace(report, links=tuple(links))


async def _snapshot_text(
    snapshot: Snapshot, client: httpx.AsyncClient, options: AuditOptions, limiter: ArchiveLimiter
) -> str | None:
    from linkcheck.archive.wayback import snapshot_content

    assert options.archive is not None and options.check is not None
    content = await snapshot_content(
        snapshot, client, options.archive, limiter, options.check.max_body_bytes
    )
    if content is None:
        return None
    body, content_type = content
    from linkcheck.support.live import bounded_page_text

    return bounded_page_text(body, content_type, None)


@contextlib.contextmanager
def _warc_recorder(path: Path | None) -> Iterator[Recorder | None]:
    if path is None:
        yield None
        return
    from linkcheck.archive import WarcRecorder

    with WarcRecorder(path) as warc:

        def record(request: httpx.Request, response: httpx.Response, body: bytes) -> None:
            warc.record(
                request.method,
                str(request.url),
                request.headers,
                response.status_code,
                response.headers,
                body,
                response.http_version,
            )

        yield record


@dataclass(frozen=True)
class AuditStart:
    """What a caller with no event loop or thread running yet prepares for `audit_documents`
    (`start_audit`): the local documents read, and the checking processes forked for them."""

    sources: tuple[Source, ...]
    problems: tuple[InputProblem, ...]
    processes: int = 0  # workers the run wants before the documents are read (_processes_ahead)
    forked: tuple[ForkedWorker, ...] = ()  # as many of them as could be forked


@contextlib.contextmanager
def start_audit(
    paths: Sequence[str],
    extract_options: ExtractOptions,
    options: AuditOptions,
    *,
    stdin: bytes | None = None,
) -> Iterator[AuditStart]:
    """For the command, before it starts any thread or event loop: the local documents of
    `paths` read, and the checking processes their audit will want forked from this process
    where it can be (`check.spawn.fork_workers`: a worker then needs no interpreter of its
    own started), for `audit_documents(start=...)`. Forked workers the audit did not take
    are stopped on the way out."""
    sources, problems = gather_sources(
        [path for path in paths if not _is_web_address(path)],
        stdin=stdin,
        format=extract_options.input_format,
    )
    forked: list[ForkedWorker] = []
    count = _processes_ahead(sources, options)
    if count:
        from linkcheck.check.spawn import fork_workers

        forked = fork_workers(count)
    try:
        yield AuditStart(tuple(sources), tuple(problems), count, tuple(forked))
    finally:
        from linkcheck.check.spawn import close_forked

        close_forked(forked)  # those the audit did not take


async def audit_documents(
    paths: Sequence[str],
    extract_options: ExtractOptions,
    options: AuditOptions,
    *,
    stdin: bytes | None = None,
    progress: ProgressCallback | None = None,
    store: CheckStore | None = None,
    assembled: AssembledCallback | None = None,
    checked: CheckedCallback | None = None,
    start: AuditStart | None = None,
) -> AuditResult:
    """Read the documents (local paths, or web addresses downloaded first) and audit them.
    `assembled` and `checked`: see AssembledCallback and CheckedCallback. `start`: the
    local documents already read from `paths`, and workers forked for them (`start_audit`)."""
    remote = [path for path in paths if _is_web_address(path)]
    if start is None:
        local = [path for path in paths if not _is_web_address(path)]
        sources, problems = gather_sources(local, stdin=stdin, format=extract_options.input_format)
    else:
        sources, problems = list(start.sources), list(start.problems)
    async with _workers_ahead(sources, options, start) as workers:
        if workers is not None and workers.count > 1 and not options.support:
            failed: list[InputProblem] = []
            if remote:
                fetched, failed = await fetch_documents(remote, options)
                sources = [*sources, *fetched]
            return await _audit_while_reading(
                sources,
                extract_options,
                problems,
                failed,
                options,
                workers,
                progress,
                store,
                assembled,
                checked,
            )
        extractions, problems = read_sources(sources, extract_options, problems)
        if remote:
            fetched, failed = await fetch_documents(remote, options)
            more, unreadable = read_sources(fetched, extract_options)
            extractions += more
            problems += [*unreadable, *failed]
        report = assemble(extractions, problems)
        if assembled is None:
            return await run_audit(report, options, progress, store, workers, checked=checked)
        import asyncio

        telling = asyncio.ensure_future(asyncio.to_thread(assembled, report))
        try:
            return await run_audit(report, options, progress, store, workers, checked=checked)
        finally:
            await telling  # a thread: it cannot be stopped midway


async def _audit_while_reading(
    sources: Sequence[Source],
    extract_options: ExtractOptions,
    problems: Sequence[InputProblem],
    not_fetched: Sequence[InputProblem],
    options: AuditOptions,
    workers: StartedWorkers,
    progress: ProgressCallback | None,
    store: CheckStore | None,
    assembled: AssembledCallback | None,
    checked: CheckedCallback | None,
) -> AuditResult:
    """`audit_documents` for a large run without claims to judge: the documents are read in a
    thread while `workers` check each URL as soon as it is found (the claims are matched once
    the reading is done; no check needs them). `not_fetched`: web documents that could not
    be downloaded, reported after those that could not be read, as `audit_documents` does."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from linkcheck.check.processes import check_urls_in_processes
    from linkcheck.machine import BackgroundThread

    assert options.check is not None
    loop = asyncio.get_running_loop()
    found_urls: asyncio.Queue[list[str] | None] = asyncio.Queue()
    found = FoundUrls(loop, found_urls)

    # While the workers have URLs enough waiting, the reading (and what follows it there) only
    # takes the cores their checks leave: see BackgroundThread. It stops being lowered if it
    # starves, or when the run waits only on it.
    background = BackgroundThread()
    ahead = READING_AHEAD * options.check.concurrency

    def read() -> Report:
        try:
            try:
                background.attach()
                extractions, unread = read_sources(sources, extract_options, problems, found)
            except ReadingStopped:  # the run is being stopped: nothing of this reading is used
                return Report((), (), (), ())
            finally:
                found.end()
            # While the last checks run; each URL was normalized as it was found.
            report = assemble(extractions, [*unread, *not_fetched], found.normalized)
            if assembled is not None:
                assembled(report)
            return report
        finally:
            background.detach()

    def pace_reading() -> None:
        waiting = len(pending) - len(verdicts)  # URLs found and not checked yet
        lowered = reading_lowered(waiting, ahead, found.finding(READING_QUIET))
        if lowered is not None:
            background.lower(lowered)

    async def watch_reading() -> None:
        # A lowered reading holds the GIL when the kernel takes its core away: on a machine
        # busy with other work this loop, and so the checks' results, then wait for it too.
        # Woken that late, or finding it starved, it is put back for good.
        next_look = loop.time() + READING_WATCH
        while not reading.done():
            due = loop.time() + READING_STALL_LOOK
            await asyncio.sleep(READING_STALL_LOOK)
            now = loop.time()
            looking = now >= next_look
            if now - due > READING_STALL or (looking and background.starved()):
                background.give_up()
                return
            if looking:
                next_look = now + READING_WATCH

    verdicts: dict[str, Verdict] = {}
    cached: set[str] = set()
    pending: list[str] = []  # URLs to check or reused, in the order found

    async def to_check() -> AsyncGenerator[list[str], None]:
        while (batch := await found_urls.get()) is not None:  # normalized, each URL once
            new = _to_check(batch, options)
            pending.extend(new)
            cached.update(_reuse_fresh(new, {}, options, store, verdicts, {}))
            if progress is not None:
                progress(len(verdicts), len(pending), "")
            new = [url for url in new if url not in cached]
            pace_reading()
            if new:
                yield new

    # A thread of its own, which ends with the reading: its scheduling policy is its own too.
    reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="linkcheck-read")
    reading = loop.run_in_executor(reader, read)
    reader.shutdown(wait=False)
    watching = asyncio.ensure_future(watch_reading())
    made = LinksAhead(verdicts, cached)

    def read_done(done: asyncio.Future[Report]) -> None:
        if not done.cancelled() and done.exception() is None:
            made.read(done.result())

    reading.add_done_callback(read_done)
    # No client here: the workers make their own, and this process loads the HTTP stack only
    # if it must check a group itself or consult an archive.
    checks = check_urls_in_processes(
        (), options.check, None, processes=workers.count, started=workers, more=to_check()
    )
    try:
        async with contextlib.aclosing(checks):
            async for result, _ in checks:
                verdicts[result.url] = result.verdict
                made.checked(result.url)
                pace_reading()
                if checked is not None:
                    checked(result.url, result.verdict)
                if progress is not None:
                    progress(len(verdicts), len(pending), result.url)
    finally:
        # A thread: it cannot be stopped midway, but it stops at the next URLs it finds. (When
        # the checks ended by themselves, it has found everything already.)
        found.stop()
        watching.cancel()
        background.give_up()
        report = await reading
    # A document that failed after some of its links were found has no links in the report:
    # their checks are neither reported nor recorded.
    reported = {link.url for link in report.links}
    verdicts = {url: verdict for url, verdict in verdicts.items() if url in reported}
    done = _apply_checks(report, verdicts, cached, {}, options, store, made)
    if not options.archiving:
        return await _archive_and_judge(done, options, None, None, None)
    from linkcheck.check import make_client

    async with make_client(options.check) as client:
        return await _archive_and_judge(done, options, client, None, None)


# A run checking while it reads lowers the reading while this many times its concurrency
# of URLs found wait to be checked, twice as many to start (see _audit_while_reading); and
# looks this often whether the reading starves (seconds: long enough for its own workers'
# start-up, which leaves it no core for a moment).
READING_AHEAD = 2
READING_WATCH = 1.0
# And every READING_STALL_LOOK seconds whether the event loop was held up over READING_STALL.
READING_STALL_LOOK = 0.1
READING_STALL = 0.25
# Nor while it has found no URL for this long (seconds): markdown-it's first pass over a long
# document finds none until its end, and the workers would run out meanwhile.
READING_QUIET = 0.1


def reading_lowered(waiting: int, ahead: int, finding: bool) -> bool | None:
    """Whether a reading that has found URLs `waiting` to be checked should be lowered (True),
    put back (False: the workers will want URLs it has yet to find), or left as it is. `ahead`:
    how many may wait before it is lowered (twice as many) or put back (fewer); `finding`:
    whether it found URLs lately, or has found them all."""
    if waiting < ahead or not finding:
        return False
    if waiting >= 2 * ahead:
        return True
    return None


def _to_check(urls: list[str], options: AuditOptions) -> list[str]:
    """The URLs a run checks: web addresses, in its shard."""
    urls = [url for url in urls if is_checkable(url)]
    if options.shard is not None:
        from linkcheck.shard import in_shard

        urls = [url for url in urls if in_shard(url, *options.shard)]
    return urls


def _processes_ahead(sources: Sequence[Source], options: AuditOptions) -> int:
    """How many checking processes to start before the documents are read: several if they
    look long enough (counting "://" is a rough guess; workers left unused are stopped)."""
    if options.check is None or options.warc is not None:
        return 0
    from linkcheck.check.spawn import processes_ahead

    return processes_ahead(
        options.check,
        sum(source.data.count(b"://") for source in sources),
        judging=options.support and not options.semantic,  # see _check: who judges the pages
    )


@contextlib.asynccontextmanager
async def _workers_ahead(
    sources: Sequence[Source], options: AuditOptions, start: AuditStart | None = None
) -> AsyncIterator[StartedWorkers | None]:
    """Checking processes started now (those `start` forked first), to be ready when the
    documents have been read. (`start` has counted them already.)"""
    count = start.processes if start is not None else _processes_ahead(sources, options)
    if not count:
        yield None
        return
    from linkcheck.check.spawn import StartedWorkers

    workers = await StartedWorkers.start(count, start.forked if start is not None else ())
    try:
        yield workers
    finally:
        await workers.aclose()


def _is_web_address(path: str) -> bool:
    return path.lower().startswith(("http://", "https://"))


MAX_REMOTE_DOCUMENT_BYTES = 100 * 1024 * 1024


async def fetch_documents(
    urls: Sequence[str], options: AuditOptions
) -> tuple[list[Source], list[InputProblem]]:
    """Download documents given by their web address (`linkcheck audit https://…/brief.pdf`)."""
    import httpx

    from linkcheck.check import CheckConfig, make_client

    config = options.check or CheckConfig()
    sources: list[Source] = []
    problems: list[InputProblem] = []
    async with make_client(config) as client:
        for url in urls:
            try:
                response = await client.get(url, follow_redirects=True)
            except httpx.HTTPError as error:
                problems.append(InputProblem(url, "unreadable", f"{url}: cannot download: {error}"))
                continue
            if response.status_code >= 400:
                message = f"{url}: cannot download: HTTP {response.status_code}"
                problems.append(InputProblem(url, "unreadable", message))
                continue
            if len(response.content) > MAX_REMOTE_DOCUMENT_BYTES:
                problems.append(InputProblem(url, "too-large", f"{url}: larger than 100 MB"))
                continue
            format = _format_from_content_type(response.headers.get("content-type"))
            sources.append(Source(url, response.content, format))
    return sources, problems


def _format_from_content_type(content_type: str | None) -> Format | None:
    media = (content_type or "").split(";")[0].strip().lower()
    return {
        "application/pdf": Format.PDF,
        "text/html": Format.HTML,
        "application/xhtml+xml": Format.HTML,
        "text/markdown": Format.MARKDOWN,
        "text/plain": Format.TEXT,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document": Format.DOCX,
    }.get(media)


@dataclass(frozen=True)
class ArchiveRun:
    """What `linkcheck archive` did: the report with snapshots, and each link's save outcome."""

    report: Report
    outcomes: tuple[SaveOutcome, ...]
    notes: tuple[str, ...] = ()


async def archive_report(
    report: Report,
    archive: ArchiveConfig,
    manifest: Manifest,
    *,
    save: bool = True,
    check: CheckConfig | None = None,
    warc: Path | None = None,
) -> ArchiveRun:
    """Snapshot generation: the capture nearest each document's date, a new capture for each
    link that lacks a recent one (resumable through the manifest), and with `warc` our own
    fetch of every cited page as WARC records."""
    from linkcheck.archive import ArchiveLimiter, archive_links, items_from_links
    from linkcheck.check import CheckConfig, make_client

    check = check or CheckConfig()
    async with make_client(check) as client:
        if warc is not None:
            with _warc_recorder(warc) as recorder:
                report = (await _check(report, AuditOptions(check=check, support=False),
                                       client, None, recorder, None)).report  # fmt: skip
        limiter = ArchiveLimiter(archive)
        options = AuditOptions(check=check, archive=archive, archive_mode=ArchiveMode.ALL)
        report = await _archive(report, options, client, limiter)
        outcomes: list[SaveOutcome] = []
        if save:
            items = [item for item in items_from_links(report.links) if is_checkable(item.url)]
            outcomes = await archive_links(items, client, archive, limiter, manifest)
        stopped = limiter.stop_message()
    return ArchiveRun(report, tuple(outcomes), (stopped,) if stopped else ())
