"""A checking process: `python -m linkcheck.check.worker`, started by `check.processes`.

It reads one job from standard input (a frame: an 8-byte length, then a pickle of the URLs,
the CheckConfig, the URLs whose bodies the parent wants and the claims to judge here), and,
when the parent is still reading its documents, further frames of URLs ending with None. It
checks the URLs with the ordinary engine as they come, and writes the results to standard
output in frames of the same kind, each a pickled list of (CheckResult, LivePage or None). A
frame holding None ends the stream; a frame holding a string reports why the worker failed.
Only the two processes read these pickles, each from the other it started or was started by.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import pickle
import signal
import struct
import sys
import threading
from collections.abc import AsyncGenerator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, BinaryIO, cast

from linkcheck.check.config import CheckConfig
from linkcheck.check.result import CheckResult
from linkcheck.machine import tune_collector
from linkcheck.models import Claim

if TYPE_CHECKING:
    from linkcheck.support.live import LivePage

FRAME_HEADER = struct.Struct(">Q")
# Results (or bytes of their bodies and kept texts) waiting to be sent before the worker stops
# to let the parent catch up.
_MAX_BATCH = 256
_MAX_BATCH_BYTES = 4_000_000
# A batch goes once it holds this many results, or this long after its first one: a frame per
# result or two (as when each write went as soon as the last was done) was 5,400 frames for
# 10,000 links, each a thread hand-off, a write and a read in the parent.
_SEND_AT = 64
SEND_WITHIN = 0.02  # seconds


@dataclasses.dataclass(frozen=True)
class Job:
    urls: tuple[str, ...]
    config: CheckConfig
    bodies_for: frozenset[str]  # results for other URLs are sent without their body
    # Judged here against the page when it arrives: each URL's claims, one per occurrence.
    claims: Mapping[str, tuple[Claim | None, ...]] = dataclasses.field(default_factory=dict)
    keep_texts: bool = True  # send a judged page's text where a claim failed (for drift)
    # Further URLs follow on stdin, a frame per batch (a tuple of URLs) and None at their end:
    # the parent is still reading the documents.
    more: bool = False


Checked = tuple[CheckResult, "LivePage | None"]  # a result, and its claims judged if asked


def judged(result: CheckResult, job: Job) -> Checked:
    """The result as it leaves the worker: its claims judged when the job asks, and its body
    dropped unless the job asks for it."""
    live = None
    claims = job.claims.get(result.url)
    if claims is not None:
        from linkcheck.support.live import judge_result

        live = judge_result(result, claims, keep_text=job.keep_texts)
    if result.body is not None and result.url not in job.bodies_for:
        result = dataclasses.replace(result, body=None, charset=None)
    return result, live


def frame(message: object) -> bytes:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return FRAME_HEADER.pack(len(data)) + data


def write_frame(stream: BinaryIO, message: object) -> None:
    stream.write(frame(message))
    stream.flush()


def read_frame(fd: int) -> object:
    """The next frame on `fd`, read with os.read (see _exit_at_end_of_input); EOFError at the
    end of the input, also in the middle of a frame (the parent is gone)."""
    (size,) = FRAME_HEADER.unpack(_read_exactly(fd, FRAME_HEADER.size))
    return pickle.loads(_read_exactly(fd, size))


def _read_exactly(fd: int, size: int) -> bytes:
    parts = []
    while size:
        part = os.read(fd, min(size, 1 << 20))
        if not part:
            raise EOFError
        parts.append(part)
        size -= len(part)
    return b"".join(parts)


async def _more_urls(fd: int) -> AsyncGenerator[Sequence[str], None]:
    """The batches of URLs the parent sends after the job, read by a thread (which then
    watches for the end of the input, as in `main`)."""
    loop = asyncio.get_running_loop()
    batches: asyncio.Queue[Sequence[str] | None] = asyncio.Queue()

    def read() -> None:
        try:
            while (batch := read_frame(fd)) is not None:
                loop.call_soon_threadsafe(batches.put_nowait, cast(Sequence[str], batch))
        except EOFError:  # the parent is gone mid-feed: nobody will read what we check
            os._exit(0)
        loop.call_soon_threadsafe(batches.put_nowait, None)
        _exit_at_end_of_input(fd)

    threading.Thread(target=read, daemon=True).start()
    async for batch in until_none(batches):
        yield batch


async def until_none(
    queue: asyncio.Queue[Sequence[str] | None],
) -> AsyncGenerator[Sequence[str], None]:
    """The batches put in `queue`, up to the None that ends them."""
    while (batch := await queue.get()) is not None:
        yield batch


class _Sender:
    """Results out in batches from one writing thread, so the event loop never waits on the
    pipe. A batch goes once the previous write is done and it holds _SEND_AT results or its
    first has waited SEND_WITHIN: never later (not when a later result arrives: while URLs
    are still being fed, that may be much later)."""

    def __init__(self, out: BinaryIO, thread: ThreadPoolExecutor) -> None:
        self._out, self._thread = out, thread
        self._batch: list[Checked] = []
        self._bytes = 0  # of the bodies and texts in the batch
        self.writing: asyncio.Future[None] | None = None
        self._timer: asyncio.TimerHandle | None = None  # SEND_WITHIN after the batch's first
        self._time_up = False

    def add(self, checked: Checked) -> None:
        result, live = checked
        if not self._batch:
            self._timer = asyncio.get_running_loop().call_later(SEND_WITHIN, self._waited)
        self._batch.append(checked)
        self._bytes += len(result.body or b"")
        if live is not None and live.text:
            self._bytes += len(live.text)

    def _waited(self) -> None:
        self._time_up = True
        # A failed write is raised where the worker next sends or ends, not in this timer's
        # callback, where asyncio would only log it.
        writing = self.writing
        if writing is None or not writing.done() or writing.exception() is None:
            self.send()

    @property
    def _full(self) -> bool:
        return len(self._batch) >= _SEND_AT or self._bytes >= _MAX_BATCH_BYTES

    @property
    def behind(self) -> bool:
        """A write is under way and the next batch is full: the parent is not keeping up."""
        full = len(self._batch) >= _MAX_BATCH or self._bytes >= _MAX_BATCH_BYTES
        return full and self.writing is not None and not self.writing.done()

    def send(self) -> None:
        """Start writing the batch if it is due, unless a write is under way (which sends it
        when done)."""
        if not self._batch or (self.writing is not None and not self.writing.done()):
            return
        if not (self._time_up or self._full):
            return  # its timer sends it
        if self.writing is not None:
            self.writing.result()  # a broken pipe ends the worker here
        if self._timer is not None:
            self._timer.cancel()
        self._timer, self._time_up = None, False
        loop = asyncio.get_running_loop()
        self.writing = loop.run_in_executor(self._thread, write_frame, self._out, self._batch)
        self.writing.add_done_callback(self._written)
        self._batch, self._bytes = [], 0

    def _written(self, writing: asyncio.Future[None]) -> None:
        if not writing.cancelled() and writing.exception() is None:
            self.send()  # (a failed write is raised where the worker next sends or ends)

    async def close(self) -> None:
        """Send what is left, and wait until all of it is written."""
        while True:
            if self.writing is not None and not self.writing.done():
                await self.writing  # (its callback may start the next write)
            elif self._batch:
                self._time_up = True
                self.send()
            else:
                break
        if self.writing is not None:
            self.writing.result()


async def _check_and_send(job: Job, out: BinaryIO, stdin: int) -> None:
    from linkcheck.check.client import make_client
    from linkcheck.check.engine import check_urls

    more = _more_urls(stdin) if job.more else None
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="linkcheck-send") as thread:
        sender = _Sender(out, thread)
        async with make_client(job.config) as client:
            async with contextlib.aclosing(
                check_urls(job.urls, client, job.config, more=more)
            ) as results:
                async for found in results:
                    result, live = judged(found, job)
                    if live is not None:
                        # Judging takes a while: let the connections waiting on the loop move on.
                        await asyncio.sleep(0)
                    sender.add((result, live))
                    if sender.behind and sender.writing is not None:
                        await sender.writing  # hold the engine back, not memory
                    sender.send()
            # Everything is sent, and the end said, before the connections are closed: the
            # parent, which stops waiting here, then closes our stdin and we exit at once.
            await sender.close()
            write_frame(out, None)


def _exit_at_end_of_input(fd: int) -> None:
    # os.read, not sys.stdin: a thread blocked inside the buffered reader holds its lock,
    # and the interpreter's shutdown then waits a second for it and aborts.
    while os.read(fd, 65536):
        pass
    os._exit(0)


def main() -> int:
    # Ctrl-C reaches the whole process group: the parent decides, and stops its workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    tune_collector()
    out = sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing else may write into the frames
    stdin = sys.stdin.fileno()
    # The HTTP stack is loaded while the job is on its way: the parent starts workers before
    # it has URLs for them, and importing httpx and the engine is most of a worker's start.
    import linkcheck.check.client
    import linkcheck.check.engine  # noqa: F401

    try:
        # (Not an isinstance test: run as __main__, this module's Job is not the one pickled.)
        job = cast(Job, read_frame(stdin))
    except EOFError:  # started ahead of need, and not needed after all
        return 0
    # The parent keeps our stdin open while it runs: its end means the parent has finished
    # with us or is gone (killed, say), and either way no one will read what we check.
    if not job.more:  # else the thread reading the URLs watches, once they have all come
        threading.Thread(target=_exit_at_end_of_input, args=(stdin,), daemon=True).start()
    try:
        asyncio.run(_check_and_send(job, out, stdin))
    except BrokenPipeError:  # the parent is gone: nobody is listening
        return 1
    except Exception as exc:  # reported to the parent, which gives the URLs their verdicts
        with contextlib.suppress(OSError):
            write_frame(out, f"{type(exc).__name__}: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    code = main()
    # The parent waits for this exit before it reports: everything is sent and flushed, so
    # the interpreter's teardown of the run's objects is skipped.
    sys.stderr.flush()
    os._exit(code)
