"""Helpers shared by the archive tests: a fast config pointed at the fake archive, and a way to
run a coroutine with a real httpx client (no mocking: every request reaches a loopback server)."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any, TypeVar

import httpx

from linkcheck.archive import ArchiveConfig, ArchiveLimiter

T = TypeVar("T")

# Limits and waits scaled down so the whole archive suite runs in seconds.
FAST: dict[str, Any] = {
    "lookup_rate": 600_000.0,
    "replay_rate": 600_000.0,
    "save_rate_authenticated": 600_000.0,
    "save_rate_anonymous": 600_000.0,
    "status_rate": 600_000.0,
    "timetravel_rate": 600_000.0,
    "retry_after_default": 0.05,
    "retry_backoff": 0.01,
    "poll_interval": 0.01,
    "save_retry_delay": 0.01,
    "timeout": 5.0,
}


# One TLS context for every client: building one per test costs more than the test itself.
_TLS = ssl.create_default_context()


def fast_config(base_url: str, **settings: Any) -> ArchiveConfig:
    config = ArchiveConfig(wayback_url=base_url, timetravel_url=base_url, **FAST)
    return replace(config, **settings) if settings else config


def run_with(
    config: ArchiveConfig,
    work: Callable[[httpx.AsyncClient, ArchiveLimiter], Awaitable[T]],
    *,
    limiter: ArchiveLimiter | None = None,
    trust_env: bool = False,
) -> T:
    """Run `work(client, limiter)` in a fresh event loop with a real client."""

    async def main() -> T:
        async with httpx.AsyncClient(trust_env=trust_env, timeout=5.0, verify=_TLS) as client:
            return await work(client, limiter or ArchiveLimiter(config))

    return asyncio.run(main())
