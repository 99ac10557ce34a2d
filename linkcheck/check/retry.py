"""When to try a request again, and how long to wait first.

Retried: timeouts, connection resets and protocol errors, and 408/429/500/502/503/504. Not
retried: 404/410 and other definitive answers, DNS and TLS failures, refused connections, bot
walls (asking again does not pass a challenge) and statuses a host rule accepts.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import time
from collections.abc import Awaitable, Callable
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from tenacity import AsyncRetrying, RetryCallState

from linkcheck.check.answer import Answer
from linkcheck.check.botwall import bot_wall
from linkcheck.check.config import CheckConfig
from linkcheck.check.failures import classify_exception

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


def parse_retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds asked for by a Retry-After header: delta-seconds or an HTTP date."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if seconds == seconds else None  # NaN is no answer
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - (now or dt.datetime.now(dt.UTC))).total_seconds())


def retry_after(answer: Answer | None) -> float | None:
    if answer is None or answer.status not in RETRY_STATUSES:
        return None
    return parse_retry_after(answer.headers.get("retry-after"))


def host_accepts(config: CheckConfig, url: str, status: int) -> bool:
    rule = config.rule_for(urlsplit(url).hostname or "")
    return rule is not None and status in rule.accept


def answer_is_retryable(answer: Answer, config: CheckConfig) -> bool:
    if answer.status not in RETRY_STATUSES or host_accepts(config, answer.url, answer.status):
        return False
    return bot_wall(answer.status, answer.headers, answer.body) is None


def backoff(attempt: int, config: CheckConfig, rng: random.Random) -> float:
    """Exponential backoff with additive jitter: base·2^(n-1) + U(0, base), at most max."""
    exponential = config.backoff_base * 2.0 ** min(attempt - 1, 32)
    return min(config.backoff_max, exponential + rng.uniform(0, config.backoff_base))


class Budget:
    """A URL's own time: wall clock since it started, minus time spent queued for a slot.

    Queueing is excluded so that a long queue for a busy host never turns into a false
    "timeout" for the URLs waiting in it.
    """

    def __init__(self, limit: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self._clock = clock
        self._started = clock()
        self._queued = 0.0

    def queued(self, seconds: float) -> None:
        self._queued += seconds

    def used(self) -> float:
        return max(0.0, self._clock() - self._started - self._queued)

    def remaining(self) -> float:
        return self.limit - self.used()


def _answer(state: RetryCallState) -> Answer | None:
    outcome = state.outcome
    if outcome is None or outcome.failed:
        return None
    result = outcome.result()
    return result if isinstance(result, Answer) else None


def make_retrying(
    config: CheckConfig,
    budget: Budget,
    rng: random.Random,
    on_retry_after: Callable[[Answer, float], None] | None = None,
) -> AsyncRetrying:
    """A tenacity policy for one request. When it gives up, the last answer is returned (the
    verdict reads its status) or the last exception re-raised (the verdict classifies it)."""

    def should_retry(state: RetryCallState) -> bool:
        outcome = state.outcome
        if outcome is None:
            return False
        if outcome.failed:
            exception = outcome.exception()
            if exception is None:
                return False
            return classify_exception(exception, None, config.timeout).retryable
        answer = _answer(state)
        return answer is not None and answer_is_retryable(answer, config)

    def wait(state: RetryCallState) -> float:
        asked = retry_after(_answer(state))
        if asked is not None:
            return asked
        return backoff(state.attempt_number, config, rng)

    def stop(state: RetryCallState) -> bool:
        if state.attempt_number > config.retries:
            return True
        asked = retry_after(_answer(state))
        if asked is not None and asked > config.retry_after_cap:
            return True  # the server wants us gone for longer than we wait: report it now
        return state.upcoming_sleep >= budget.remaining()

    def before_sleep(state: RetryCallState) -> None:
        answer = _answer(state)
        asked = retry_after(answer)
        if answer is not None and asked is not None and on_retry_after is not None:
            on_retry_after(answer, asked)

    def give_up(state: RetryCallState) -> Any:
        assert state.outcome is not None
        return state.outcome.result()  # the last answer, or raises the last exception

    return AsyncRetrying(
        stop=stop,
        wait=wait,
        retry=should_retry,
        before_sleep=before_sleep,
        retry_error_callback=give_up,
        sleep=asyncio.sleep,
        reraise=True,
    )


async def with_retries(
    attempt: Callable[[], Awaitable[Answer]],
    config: CheckConfig,
    budget: Budget,
    rng: random.Random,
    on_retry_after: Callable[[Answer, float], None] | None = None,
) -> Answer:
    """`attempt()` under the `make_retrying` policy. The first try runs bare: most requests
    succeed at once, and building a tenacity policy per request was a twentieth of a large
    run's CPU. Only an outcome that may be retried is handed to tenacity, which sees it as
    its own first attempt."""
    try:
        answer = await attempt()
    except Exception as exc:
        first: Answer | Exception = exc
    else:
        if not answer_is_retryable(answer, config):
            return answer
        first = answer
    replayed = False

    async def again() -> Answer:
        nonlocal replayed
        if replayed:
            return await attempt()
        replayed = True
        if isinstance(first, Exception):
            raise first
        return first

    answer = await make_retrying(config, budget, rng, on_retry_after)(again)
    return answer
