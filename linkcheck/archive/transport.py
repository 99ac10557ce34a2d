"""Sending one archive request through the run's limiter: spacing, Retry-After, bounded
retries for 5xx and network errors. Answers are values; nothing here raises for a bad link.

Headers are never logged (the SPN2 Authorization header carries the keys)."""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import httpx

from linkcheck.archive.config import ArchiveConfig
from linkcheck.archive.ratelimit import SERVICE_OF, ArchiveLimiter, Gate

log = logging.getLogger("linkcheck.archive")

RETRYABLE_STATUSES = frozenset({500, 502, 503, 504, 520, 521, 522, 523, 524})


@dataclass(frozen=True)
class Reply:
    """An archive's answer: status, headers, (possibly truncated) body and the final URL."""

    status: int
    headers: httpx.Headers
    body: bytes
    url: str

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


@dataclass(frozen=True)
class Failure:
    """No answer: the breaker is open (`stopped`), 429s persisted, or the network failed."""

    reason: str  # "rate-limit-stopped", "rate-limited", "network"
    detail: str
    stopped: bool = False


def parse_retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds from a Retry-After header: delta-seconds or an HTTP date."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return max(0.0, (moment - (now or dt.datetime.now(dt.UTC))).total_seconds())


async def send(
    client: httpx.AsyncClient,
    limiter: ArchiveLimiter,
    gate: Gate,
    method: str,
    url: str,
    *,
    params: Sequence[tuple[str, str]] | None = None,
    data: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    follow_redirects: bool = False,
    max_body: int | None = None,
) -> Reply | Failure:
    """One request, retried within bounds. A 5xx that persists comes back as a Reply."""
    config: ArchiveConfig = limiter.config
    service = SERVICE_OF[gate]
    too_many = 0
    failures = 0
    while True:
        if not await limiter.acquire(gate):
            return Failure("rate-limit-stopped", limiter.stop_message(service) or "", stopped=True)
        try:
            reply = await _fetch(
                client,
                method,
                url,
                params,
                data,
                headers,
                follow_redirects,
                max_body,
                config.timeout,
            )
        except httpx.TransportError as error:  # connect, read, timeouts, proxy: worth a retry
            failures += 1
            detail = config.scrub(f"{type(error).__name__}: {error}")
            log.info("archive request failed: %s %s: %s", method, _loggable(url), detail)
            if failures > config.max_retries:
                return Failure("network", detail)
            await limiter.sleep(config.retry_backoff * 2 ** (failures - 1))
            continue
        except (httpx.HTTPError, httpx.InvalidURL, ValueError) as error:
            # Redirect loops, undecodable bodies, URLs httpx refuses: retrying changes nothing.
            detail = config.scrub(f"{type(error).__name__}: {error}")
            log.info("archive request failed: %s %s: %s", method, _loggable(url), detail)
            return Failure("request-error", detail)
        if reply.status == 429:
            too_many += 1
            retry_after = parse_retry_after(reply.headers.get("retry-after"))
            log.info("archive answered 429 (retry after %s s): %s", retry_after, _loggable(url))
            if not limiter.note_429(gate, retry_after):
                return Failure(
                    "rate-limit-stopped", limiter.stop_message(service) or "", stopped=True
                )
            if too_many >= config.max_consecutive_429:
                return Failure("rate-limited", f"HTTP 429 {too_many} times")
            continue
        limiter.note_ok(gate)
        if reply.status in RETRYABLE_STATUSES and failures < config.max_retries:
            failures += 1
            await limiter.sleep(config.retry_backoff * 2 ** (failures - 1))
            continue
        return reply


async def _fetch(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    params: Sequence[tuple[str, str]] | None,
    data: Mapping[str, str] | None,
    headers: Mapping[str, str] | None,
    follow_redirects: bool,
    max_body: int | None,
    timeout: float,
) -> Reply:
    request = client.build_request(
        method,
        url,
        params=list(params) if params else None,
        data=data,
        headers=headers,
        timeout=timeout,
    )
    response = await client.send(request, stream=True, follow_redirects=follow_redirects)
    try:
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body.extend(chunk)
            if max_body is not None and len(body) >= max_body:
                del body[max_body:]
                break
    finally:
        await response.aclose()
    return Reply(response.status_code, response.headers, bytes(body), str(response.url))


def _loggable(url: str) -> str:
    return url if len(url) <= 200 else url[:197] + "..."
