"""The background thread's scheduling policy (Linux's SCHED_IDLE), on this machine's kernel."""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor

import pytest

from linkcheck import machine
from linkcheck.machine import (
    BackgroundThread,
    _idle_policy_reversible,
    _run_time,
    leave_idle_policy,
)

pytestmark = pytest.mark.skipif(
    not hasattr(os, "SCHED_IDLE") or _run_time(threading.get_native_id()) is None,
    reason="no SCHED_IDLE or no schedstat here",
)


reversible = pytest.mark.skipif(
    not (hasattr(os, "SCHED_IDLE") and _idle_policy_reversible()),
    reason="SCHED_IDLE cannot be left here (RLIMIT_NICE, no CAP_SYS_NICE)",
)


@pytest.fixture
def attached() -> Iterator[tuple[BackgroundThread, Callable[[], int], threading.Event]]:
    """A thread attached to a BackgroundThread, spinning until told to stop; its policy."""
    background = BackgroundThread()
    ready, stop = threading.Event(), threading.Event()
    native: list[int] = []

    def spin() -> None:
        background.attach()
        native.append(threading.get_native_id())
        ready.set()
        deadline = time.monotonic() + 20
        while not stop.is_set() and time.monotonic() < deadline:
            pass
        background.detach()

    thread = threading.Thread(target=spin)
    thread.start()
    ready.wait(10)
    yield background, lambda: os.sched_getscheduler(native[0]), stop
    stop.set()
    thread.join(30)


@reversible
def test_a_background_thread_is_lowered_and_put_back_from_another_thread(
    attached: tuple[BackgroundThread, Callable[[], int], threading.Event],
) -> None:
    background, policy, _ = attached
    assert policy() == os.SCHED_OTHER
    background.lower()
    assert policy() == os.SCHED_IDLE
    background.lower(False)
    assert policy() == os.SCHED_OTHER
    background.lower()
    background.give_up()
    assert policy() == os.SCHED_OTHER
    background.lower()  # given up: never lowered again
    assert policy() == os.SCHED_OTHER


@reversible
def test_a_busy_thread_is_not_starved_and_a_blocked_one_is(
    attached: tuple[BackgroundThread, Callable[[], int], threading.Event],
) -> None:
    background, _, stop = attached
    time.sleep(0.3)
    assert not background.starved()  # it spun (the test's thread sleeps meanwhile)
    stop.set()  # it ends: no run time to read, and nothing to put back
    time.sleep(0.3)
    assert not background.starved()

    blocked = BackgroundThread()
    release = threading.Event()

    def wait() -> None:
        blocked.attach()
        release.wait(20)
        blocked.detach()

    thread = threading.Thread(target=wait)
    thread.start()
    time.sleep(0.3)
    assert blocked.starved()
    release.set()
    thread.join(30)


def test_a_thread_not_attached_is_left_alone() -> None:
    background = BackgroundThread()
    background.lower()
    background.give_up()
    assert not background.starved()
    assert os.sched_getscheduler(0) == os.SCHED_OTHER


def test_a_thread_whose_probe_cannot_start_is_never_lowered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_thread() -> bool:
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(machine, "_idle_policy_reversible", no_thread)
    background = BackgroundThread()
    background.attach()  # does not raise: a reading that starts must end (and say it has)
    background.lower()
    assert os.sched_getscheduler(0) == os.SCHED_OTHER
    background.detach()


def _policy() -> int:
    return os.sched_getscheduler(0)


@reversible
def test_helper_processes_started_from_a_lowered_thread_run_at_the_normal_policy() -> None:
    # Linux children inherit SCHED_IDLE: a PDF's page readers started by the lowered reading
    # thread would have run at it for their whole life.
    context = multiprocessing.get_context("spawn")
    seen: dict[str, int] = {}

    def lowered_thread() -> None:
        background = BackgroundThread()
        background.attach()
        background.lower()
        try:
            for name, initializer in (("inherited", None), ("left", leave_idle_policy)):
                with ProcessPoolExecutor(1, mp_context=context, initializer=initializer) as pool:
                    seen[name] = pool.submit(_policy).result(timeout=60)
        finally:
            background.detach()

    thread = threading.Thread(target=lowered_thread)
    thread.start()
    thread.join(120)
    assert seen == {"inherited": os.SCHED_IDLE, "left": os.SCHED_OTHER}
