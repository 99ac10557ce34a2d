"""One rate limiter per run, shared by every archive request, with a 429 circuit breaker.

Each kind of request has its own interval gate (IA limits CDX, replay and captures separately),
but a 429 from any Wayback endpoint pushes back every Wayback gate: the ban IA applies is per
IP, not per endpoint. After `max_consecutive_429` 429s in a row, or a Retry-After longer than
`max_retry_after`, the service is stopped for the rest of the run.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Literal

from linkcheck.archive.config import ArchiveConfig
from linkcheck.archive.values import RATE_LIMIT_STOP_MESSAGE

log = logging.getLogger("linkcheck.archive")

Gate = Literal["lookup", "replay", "save", "status", "timetravel"]
Service = Literal["wayback", "timetravel"]

SERVICE_OF: dict[Gate, Service] = {
    "lookup": "wayback",
    "replay": "wayback",
    "save": "wayback",
    "status": "wayback",
    "timetravel": "timetravel",
}

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class _Interval:
    """Requests at least `60 / per_minute` seconds apart. The first goes at once."""

    def __init__(self, per_minute: float) -> None:
        self.interval = 60.0 / per_minute
        self.next_at = float("-inf")
        self.hold_until = float("-inf")  # a Retry-After in force
        self.lock = asyncio.Lock()

    def reserve(self, now: float) -> float:
        """Book the next slot; returns how long to wait for it."""
        start = max(now, self.next_at)
        self.next_at = start + self.interval
        return start - now

    def defer(self, until: float) -> None:
        self.next_at = max(self.next_at, until)
        self.hold_until = max(self.hold_until, until)


class ArchiveLimiter:
    """Spacing and the circuit breaker for one run. Create one per run and pass it to every
    lookup and save; it holds no connection and no keys."""

    def __init__(
        self,
        config: ArchiveConfig,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.config = config
        self.clock = clock
        self.sleep = sleep
        rates: dict[Gate, float] = {
            "lookup": config.lookup_rate,
            "replay": config.replay_rate,
            "save": config.save_rate,
            "status": config.status_rate,
            "timetravel": config.timetravel_rate,
        }
        self._gates = {name: _Interval(rate) for name, rate in rates.items()}
        self._consecutive_429: dict[Service, int] = {"wayback": 0, "timetravel": 0}
        self._stopped: dict[Service, str] = {}
        self.total_429 = 0

    def stopped(self, service: Service = "wayback") -> bool:
        return service in self._stopped

    def stop_message(self, service: Service = "wayback") -> str | None:
        """The one line to report when the run stopped asking `service`."""
        return self._stopped.get(service)

    def stop(self, service: Service, message: str) -> None:
        if service not in self._stopped:
            self._stopped[service] = message
            log.warning("%s (%s)", message, service)

    async def acquire(self, gate: Gate) -> bool:
        """Wait for `gate`'s next slot. False when the service is stopped: send nothing."""
        service = SERVICE_OF[gate]
        interval = self._gates[gate]
        async with interval.lock:  # one waiter books at a time, so slots stay spaced
            if self.stopped(service):
                return False
            wait = interval.reserve(self.clock())
            if wait > 0:
                await self.sleep(wait)
            # A 429 that arrived while we slept holds the gate longer; each wait is for a
            # Retry-After and the breaker caps how many there can be.
            for _ in range(self.config.max_consecutive_429 + 1):
                remaining = interval.hold_until - self.clock()
                if remaining <= 0 or self.stopped(service):
                    break
                await self.sleep(remaining)
        return not self.stopped(service)

    def note_ok(self, gate: Gate) -> None:
        self._consecutive_429[SERVICE_OF[gate]] = 0

    def note_429(self, gate: Gate, retry_after: float | None) -> bool:
        """Record a 429. Returns True when the request may be retried (after `acquire`), False
        when the breaker has opened."""
        service = SERVICE_OF[gate]
        self.total_429 += 1
        self._consecutive_429[service] += 1
        wait = self.config.retry_after_default if retry_after is None else max(0.0, retry_after)
        if self._consecutive_429[service] >= self.config.max_consecutive_429:
            self.stop(service, _stop_text(service))
            return False
        if wait > self.config.max_retry_after:
            self.stop(service, _stop_text(service))
            return False
        until = self.clock() + wait
        for name, interval in self._gates.items():
            if SERVICE_OF[name] == service:
                interval.defer(until)
        return True


def _stop_text(service: Service) -> str:
    if service == "wayback":
        return RATE_LIMIT_STOP_MESSAGE
    return f"{service} rate limit: stopped asking it for this run"
