"""Politeness: a global cap on requests in flight, and per host a cap and a minimum interval
between request starts. One `Limits` belongs to one engine run; nothing is global."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field


@dataclass
class _Host:
    semaphore: asyncio.Semaphore
    next_start: float = 0.0  # monotonic time before which no new request may start


@dataclass
class Limits:
    concurrency: int
    host_concurrency: int
    host_interval: float
    clock: Callable[[], float] = time.monotonic
    _global: asyncio.Semaphore = field(init=False)
    _hosts: dict[str, _Host] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self._global = asyncio.Semaphore(self.concurrency)

    def _host(self, host: str) -> _Host:
        key = host.lower()
        state = self._hosts.get(key)
        if state is None:
            state = self._hosts[key] = _Host(asyncio.Semaphore(self.host_concurrency))
        return state

    def hold_off(self, host: str, seconds: float) -> None:
        """Delay every next request to `host` (it asked us to, with Retry-After): retrying one
        URL while its siblings keep hammering the host helps nobody."""
        state = self._host(host)
        state.next_start = max(state.next_start, self.clock() + seconds)

    @asynccontextmanager
    async def slot(self, host: str, priority: bool = False) -> AsyncIterator[float]:
        """Hold a request slot for `host`; yields the seconds spent waiting for it.

        The host's own slot is taken first so that a busy host's queue never holds global slots
        while it waits; the interval is paced after the global slot so starts stay spaced.
        """
        state = self._host(host)
        began = self.clock()
        # A priority request (the host's one soft-404 probe of the run) skips the host's
        # queue; it still takes a global slot and keeps the host's interval.
        host_gate = contextlib.nullcontext() if priority else state.semaphore
        async with host_gate, self._global:
            now = self.clock()
            start = max(now, state.next_start)
            state.next_start = start + self.host_interval
            if start > now:
                await asyncio.sleep(start - now)
            yield self.clock() - began
