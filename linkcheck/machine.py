"""What a process of linkcheck's own asks of the machine: how many helper processes to start,
how often to collect garbage (plain functions; the library calls neither by itself), and a
background thread's scheduling policy (`BackgroundThread`, for the library's own threads)."""

from __future__ import annotations

import contextlib
import os
import threading
import time

# Helper processes a stage starts at most (PDF page readers, checking workers): beyond four,
# each one's start-up and memory cost more than the cores it would use bring.
MAX_PROCESSES = 4


def default_processes() -> int:
    """One per core this process may run on (containers and taskset included), at most
    MAX_PROCESSES."""
    if hasattr(os, "sched_getaffinity"):
        cores = len(os.sched_getaffinity(0))
    else:
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_PROCESSES))


def tune_collector() -> None:
    """For a process that runs linkcheck and nothing else (the command, a checking worker).

    A run allocates millions of short-lived objects (responses, headers, page text), and the
    collector ran every 700 of them. Every 10,000: about 5 % less CPU on 3,000 links, the same
    peak memory on 10,000 (docs/PERFORMANCE.md). The library leaves the collector alone."""
    import gc

    gc.set_threshold(10_000, 10, 10)


# A background thread whose run time over a watch's interval is below this share of it is
# starved (or blocked).
STARVED_SHARE = 0.2


class BackgroundThread:
    """A thread that can be run at Linux's SCHED_IDLE policy (`lower`): it then gets a core
    only when no other thread wants one, and gives it up the moment one wakes. Reading a large
    document beside the checking workers, on two cores, slowed their checks by a tenth; a lower
    nice value does not help (a busy thread at nice 19 slowed them as much as at nice 0).

    Only a thread that can be put back is lowered (an unprivileged thread may leave SCHED_IDLE
    only if RLIMIT_NICE allows nice 0; CAP_SYS_NICE may), and only where its run time can be
    read (/proc/self/task/<id>/schedstat): a thread starved by other work on the machine would
    hold up the run, and `starved` tells. Elsewhere, and after `give_up`, it does nothing."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._thread: int | None = None  # native id, from `attach` to `detach`
        self._lowered = False
        self._given_up = False
        self._ran = 0  # run time (ns) and clock (s) at the last look
        self._looked = 0.0

    def attach(self) -> None:
        """Called in the thread, before it may be lowered. Never raises: a thread that cannot
        be watched or put back (or a probe thread that cannot start) is never lowered."""
        thread = threading.get_native_id()
        ran = _run_time(thread)
        try:
            if ran is None or not _idle_policy_reversible():
                return
        except RuntimeError:  # no thread to be had for the probe
            return
        with self._lock:
            self._thread, self._ran, self._looked = thread, ran, time.monotonic()

    def detach(self) -> None:
        """Called in the thread when its work is done: back to the normal policy, for good."""
        with self._lock:
            self._given_up = True
            self._set(False)
            self._thread = None

    def lower(self, lowered: bool = True) -> None:
        """To SCHED_IDLE, or back with False (from any thread; a policy it has: nothing)."""
        with self._lock:
            self._set(lowered)

    def give_up(self) -> None:
        """Back to the normal policy, and never lowered again (one step: a `lower` from
        another thread cannot come in between)."""
        with self._lock:
            self._given_up = True
            self._set(False)

    def _set(self, lowered: bool) -> None:  # (the lock held)
        if self._thread is None or lowered == self._lowered or (lowered and self._given_up):
            return
        if _set_policy(self._thread, "SCHED_IDLE" if lowered else "SCHED_OTHER"):
            self._lowered = lowered

    def starved(self) -> bool:
        """Whether the thread ran less than STARVED_SHARE of the time since the last look
        (from any thread): other work keeps the cores busy, or the thread is blocked."""
        with self._lock:
            ran = _run_time(self._thread) if self._thread is not None else None
            if ran is None:  # not attached, or ended
                return False
            now = time.monotonic()
            share = (ran - self._ran) / 1e9 / max(now - self._looked, 1e-9)
            self._ran, self._looked = ran, now
            return share < STARVED_SHARE


def leave_idle_policy() -> None:
    """For a helper process started from a lowered thread (Linux children inherit SCHED_IDLE,
    and a reset-on-fork flag resets only real-time policies): back to the normal policy, where
    it may (it may wherever a thread was lowered: see BackgroundThread)."""
    with contextlib.suppress(AttributeError, OSError):  # (no SCHED_IDLE here: nothing to do)
        if os.sched_getscheduler(0) == os.SCHED_IDLE:
            _set_policy(0, "SCHED_OTHER")


def _run_time(thread: int) -> int | None:
    """Nanoseconds the thread has run on a core (None where that cannot be read)."""
    try:
        with open(f"/proc/self/task/{thread}/schedstat", "rb") as stats:
            return int(stats.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _set_policy(thread: int, policy: str) -> bool:
    if not hasattr(os, policy):
        return False
    try:
        os.sched_setscheduler(thread, getattr(os, policy), os.sched_param(0))
    except OSError:
        return False
    return True


def _idle_policy_reversible() -> bool:
    """Whether a thread of this process can go to SCHED_IDLE and back: tried in a thread of
    its own, which ends either way."""
    reversible: list[bool] = []

    def attempt() -> None:
        thread = threading.get_native_id()
        reversible.append(_set_policy(thread, "SCHED_IDLE") and _set_policy(thread, "SCHED_OTHER"))

    attempt_thread = threading.Thread(target=attempt, name="linkcheck-policy-probe")
    attempt_thread.start()
    attempt_thread.join()
    return reversible == [True]
