"""Starting and stopping checking processes (`linkcheck.check.worker`).

Light to import (no HTTP stack): a large run starts its workers first thing, and they load
httpx while this process reads the documents. The command forks them, before its event loop
or any other thread starts (`fork_workers`); elsewhere they are spawned, each a fresh
interpreter (`spawn_worker`). `check.processes` gives them their URLs.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import signal
import site
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from typing import Any, NoReturn, Protocol

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


class WorkerProcess(Protocol):
    """A checking process as a run drives it: asyncio's Process, or a ForkedWorker attached."""

    stdin: asyncio.StreamWriter | None
    stdout: asyncio.StreamReader | None
    stderr: asyncio.StreamReader | None

    @property
    def returncode(self) -> int | None: ...

    async def wait(self) -> int: ...

    def terminate(self) -> None: ...

    def kill(self) -> None: ...


class StartedWorkers:
    """Checking processes started before their URLs are known, while the documents are still
    being read, so that their start-up (importing httpx; for a spawned one, a fresh
    interpreter first: about 0.2 s) overlaps the reading. `check_urls_in_processes` takes
    them before starting any; the owner stops the ones left over with `aclose` (they exit at
    the end of their input)."""

    def __init__(self, workers: list[WorkerProcess]) -> None:
        self._waiting = workers

    @classmethod
    async def start(cls, count: int, forked: Sequence[ForkedWorker] = ()) -> StartedWorkers:
        """`count` workers: those of `forked` first (the others are stopped), then spawned."""
        started = cls([])
        try:
            close_forked(forked[count:])
            for worker in forked[:count]:
                started._waiting.append(await worker.attach())
            with contextlib.suppress(*CANNOT_SPAWN):  # then they are started (or not) later
                while len(started._waiting) < count:
                    started._waiting.append(await spawn_worker())
        except BaseException:  # cancelled meanwhile: none is left waiting for a job
            close_forked(forked)  # (those not attached yet)
            await started.aclose()
            raise
        return started

    @property
    def count(self) -> int:
        """Workers started and not yet taken."""
        return len(self._waiting)

    def take(self) -> WorkerProcess | None:
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
    workers: dict[int, WorkerProcess],
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


def can_fork() -> bool:
    """Whether checking processes may be forked from this one now: on Linux (elsewhere system
    libraries may not outlive a fork), with no other thread running (it might hold a lock
    that the child would wait for forever; threads started outside `threading` count too),
    and with standard input, output and error open (the child's pipes take their places)."""
    if not sys.platform.startswith("linux") or getattr(sys, "frozen", False):
        return False
    try:
        if threading.active_count() != 1 or len(os.listdir("/proc/self/task")) != 1:
            return False
        for fd in (0, 1, 2):
            os.fstat(fd)
    except OSError:  # no /proc: the threads cannot be counted
        return False
    return True


# Held back across a fork: the child leaves them to the parent (Ctrl-C reaches the whole
# process group), and a handler run in the child before it is a worker would go on with the
# parent's code.
_HELD_SIGNALS = {
    getattr(signal, name)
    for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT")
    if hasattr(signal, name)  # (Windows has no SIGHUP or SIGQUIT, and never forks)
}


def fork_workers(count: int) -> list[ForkedWorker]:
    """Up to `count` checking processes forked from this one, which must not have started
    an event loop or another thread (`can_fork`; else none). A forked worker has this
    interpreter and its modules already (it imports httpx and the engine while the job is on
    its way): a spawned one first starts an interpreter and imports all of it, about 0.2 s of
    CPU each, which on a small machine the start of the checks waits for. Fewer come back
    when the system refuses a fork; the run spawns the rest."""
    if count < 1 or not can_fork():
        return []
    for stream in (sys.stdout, sys.stderr):  # nothing buffered here is written twice
        if stream is not None:
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
    forked: list[ForkedWorker] = []
    try:
        for _ in range(count):
            worker = _fork_worker(forked)
            if worker is None:
                break
            forked.append(worker)
    except BaseException:  # interrupted between two forks: none is left behind
        close_forked(forked)
        raise
    return forked


def _fork_worker(siblings: Sequence[ForkedWorker]) -> ForkedWorker | None:
    pipes: list[int] = []
    pid = -1
    try:
        for _pipe in range(3):
            pipes.extend(os.pipe())
        held = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD_SIGNALS)
        try:
            pid = os.fork()
        finally:
            if pid != 0:
                signal.pthread_sigmask(signal.SIG_SETMASK, held)
    except OSError:  # out of processes or descriptors
        for fd in pipes:
            os.close(fd)
        return None
    child_in, to_child, from_child, child_out, err_from_child, child_err = pipes
    if pid == 0:
        theirs = {to_child, from_child, err_from_child}
        for sibling in siblings:  # their parent's ends: each sees EOF once the parent closes
            theirs.update(sibling.fds)
        _be_worker(child_in, child_out, child_err, theirs, held)
    for fd in (child_in, child_out, child_err):
        os.close(fd)
    return ForkedWorker(pid, to_child, from_child, err_from_child)


def _be_worker(
    stdin: int, stdout: int, stderr: int, not_ours: set[int], mask: Iterable[int]
) -> NoReturn:
    """The forked child: a worker on the three pipes, as `python -m linkcheck.check.worker`
    would be. It never returns into the parent's code. (Descriptors the command inherited
    stay open until it exits, as in multiprocessing's forked children: closing them under
    the objects that may hold them is not safe.)"""
    code = 1
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides, and stops it
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        for fd, std in ((stdin, 0), (stdout, 1), (stderr, 2)):
            os.dup2(fd, std)
        for fd in not_ours | {stdin, stdout, stderr}:
            if fd > 2:
                os.close(fd)
        # Fresh objects on the pipes (the parent's may hold buffered text, or be a test's
        # stand-ins), held here until the exit: the worker takes stdout's buffer and then
        # replaces stdout, which must not close it.
        streams = [
            open(fd, mode, closefd=False)  # noqa: SIM115 (held until the exit)
            for fd, mode in ((0, "r"), (1, "w"), (2, "w"))
        ]
        sys.stdin, sys.stdout, sys.stderr = streams
        _leave_working_directory_off_the_path()
        from linkcheck.check.worker import main

        code = main()
        sys.stderr.flush()
    except BaseException:
        with contextlib.suppress(BaseException):
            import traceback

            traceback.print_exc()
            sys.stderr.flush()
    finally:
        os._exit(code)


def close_forked(workers: Sequence[ForkedWorker]) -> None:
    """Stop forked workers that were not attached: each exits as soon as it reads the end of
    its input (after its imports), and is reaped; killed if it has not within STOP_WAIT."""
    waiting = [worker.pid for worker in workers if worker.release()]
    deadline = time.monotonic() + STOP_WAIT
    while waiting:
        for pid in list(waiting):
            try:
                if os.waitpid(pid, os.WNOHANG)[0] == 0:  # still running
                    if time.monotonic() < deadline:
                        continue
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
            except (ChildProcessError, ProcessLookupError):
                pass
            waiting.remove(pid)
        if waiting:
            time.sleep(_ForkedProcess.EXIT_POLL)


def _leave_working_directory_off_the_path() -> None:
    """What `-P` does for a spawned worker: the working directory (the repository being
    audited, in CI) leaves the module path, so that a file there cannot stand in for a module
    the worker has yet to import (httpx, certifi). This copy of linkcheck stays importable."""
    try:
        here = os.getcwd()
    except OSError:  # it was removed: nothing can be imported from it anyway
        return
    sys.path[:] = [entry for entry in sys.path if os.path.abspath(entry or ".") != here]
    entry = worker_path_entry()
    if entry is not None and entry not in sys.path:
        sys.path.insert(0, entry)


class ForkedWorker:
    """A checking process forked by `fork_workers`, seen through the parent's ends of its
    pipes until `attach` (in the event loop) gives it asyncio's Process interface. One not
    attached is stopped with `close_forked`."""

    def __init__(self, pid: int, stdin: int, stdout: int, stderr: int) -> None:
        self.pid = pid
        self.fds = (stdin, stdout, stderr)
        self._owned = True  # the descriptors are ours to close, not yet a transport's

    async def attach(self) -> WorkerProcess:
        if not self._owned:
            raise RuntimeError("this worker was attached or closed already")
        self._owned = False
        try:
            return await _ForkedProcess.connect(self.pid, *self.fds)
        except BaseException:  # cancelled or failed halfway: it will never have a job
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pid, 0)
            raise

    def release(self) -> bool:
        """Close our ends of its pipes, if still ours: whether that was to do."""
        if not self._owned:
            return False
        self._owned = False
        for fd in self.fds:
            os.close(fd)
        return True


def _same(protocol: asyncio.StreamReaderProtocol) -> asyncio.StreamReaderProtocol:
    return protocol


class _ForkedProcess:
    """A forked worker with asyncio's Process interface: its pipes as streams, and its exit
    seen by polling (it is our child, and ends at the end of a run)."""

    # Seconds. A worker that sent everything exits as soon as its stdin is closed, which the
    # end of a run then waits for: 5 ms per look was most of that wait.
    EXIT_POLL = 0.001

    def __init__(
        self,
        pid: int,
        stdin: asyncio.StreamWriter,
        stdout: asyncio.StreamReader,
        stderr: asyncio.StreamReader,
    ) -> None:
        self.pid = pid
        self.stdin: asyncio.StreamWriter | None = stdin
        self.stdout: asyncio.StreamReader | None = stdout
        self.stderr: asyncio.StreamReader | None = stderr
        self._returncode: int | None = None

    @classmethod
    async def connect(cls, pid: int, stdin: int, stdout: int, stderr: int) -> _ForkedProcess:
        """Streams over the pipes, which are theirs from here on: whatever happens on the
        way, none is left open."""
        loop = asyncio.get_running_loop()
        files: list[Any] = []  # each closed by its transport
        transports: list[asyncio.BaseTransport] = []
        try:
            for fd, mode in ((stdin, "wb"), (stdout, "rb"), (stderr, "rb")):
                files.append(open(fd, mode, buffering=0))  # noqa: SIM115
            readers = []
            for pipe in files[1:]:
                reader = asyncio.StreamReader()
                protocol = asyncio.StreamReaderProtocol(reader)
                transport, _ = await loop.connect_read_pipe(
                    functools.partial(_same, protocol), pipe
                )
                transports.append(transport)
                readers.append(reader)
            writing_transport, writing = await loop.connect_write_pipe(
                asyncio.streams.FlowControlMixin, files[0]
            )
        except BaseException:
            for opened in transports:
                opened.close()
            for file in files:
                file.close()  # (again, after its transport: nothing happens)
            for fd in (stdin, stdout, stderr)[len(files) :]:
                os.close(fd)
            raise
        writer = asyncio.StreamWriter(writing_transport, writing, None, loop)
        return cls(pid, writer, readers[0], readers[1])

    @property
    def returncode(self) -> int | None:
        if self._returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:  # reaped elsewhere: its code is lost
                self._returncode = 255
            else:
                if pid:
                    self._returncode = os.waitstatus_to_exitcode(status)
        return self._returncode

    async def wait(self) -> int:
        while (code := self.returncode) is None:
            await asyncio.sleep(self.EXIT_POLL)
        return code

    def terminate(self) -> None:
        self._signal(signal.SIGTERM)

    def kill(self) -> None:
        self._signal(signal.SIGKILL)

    def _signal(self, number: int) -> None:
        if self.returncode is None:  # never a process that took its number since
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, number)
