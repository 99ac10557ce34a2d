"""The background thread's scheduling policy (Linux's SCHED_IDLE), on this machine's kernel."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from linkcheck.machine import BackgroundThread, _idle_policy_reversible, _run_time

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
