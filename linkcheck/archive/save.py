"""Save Page Now: asking the Wayback Machine to capture a link.

With keys, SPN2: `POST /save` gives a job id, `GET /save/status/<job>` is polled until success
or error. Some errors arrive as HTTP 200 with `status_ext` and no job id. Without keys, the
anonymous `GET /save/<url>` answers with the capture's location in `Content-Location` (else a
`Link: <...>; rel="memento"` header). Every request goes through the run's limiter, so 429s are
honoured and the circuit breaker stops all saves once the archive keeps refusing."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from typing import Any

import httpx

from linkcheck.archive.config import ArchiveConfig
from linkcheck.archive.ratelimit import ArchiveLimiter
from linkcheck.archive.services import parse_wayback_path, replay_url, strip_fragment
from linkcheck.archive.transport import Failure, Reply, send
from linkcheck.archive.values import (
    SaveOutcome,
    SaveStatus,
    datetime_of,
)
from linkcheck.models import Snapshot

log = logging.getLogger("linkcheck.archive")

# IABot's list: worth another try after a pause.
RETRYABLE_STATUS_EXT = frozenset(
    {
        "error:user-session-limit",
        "error:soft-time-limit-exceeded",
        "error:proxy-error",
        "error:browsing-timeout",
        "error:no-browsers-available",
        "error:redis-error",
        "error:capture-location-error",
        "error:celery",
    }
)
# Limits and overload: nothing wrong with the link; a later run may succeed.
LATER_STATUS_EXT = frozenset(
    {
        "error:too-many-daily-captures",
        "error:bandwidth-limit-exceeded",
        "error:max-daily-bandwidth",
        "error:max-daily-bandwidth-from-ip",
        "error:max-daily-bandwidth-host",
        "error:cannot-fetch",
        "error:service-unavailable",
        "error:gateway-timeout",
        "error:bad-gateway",
        "error:internal-server-error",
        "error:read-timeout",
        "error:too-many-requests",
    }
)
_REUSED = re.compile(
    r"had been made|already (?:been )?(?:archived|captured)|recent capture", re.IGNORECASE
)
# A capture older than this when the job finishes was reused, not made for us.
_REUSE_MARGIN = dt.timedelta(minutes=10)


def _retryable(status_ext: str) -> bool:
    return status_ext in RETRYABLE_STATUS_EXT


async def save_page(
    url: str,
    client: httpx.AsyncClient,
    config: ArchiveConfig,
    limiter: ArchiveLimiter,
) -> SaveOutcome:
    """Capture `url` now: SPN2 with keys, the anonymous GET without. Never raises for the link's
    sake; the outcome says saved, recent-capture-exists, failed (reason) or skipped."""
    target = strip_fragment(url)
    if limiter.stopped():
        return _skipped(url, limiter)
    if config.authenticated:
        outcome = await _save_spn2(url, target, client, config, limiter)
    else:
        outcome = await _save_anonymous(url, target, client, config, limiter)
    log.info(
        "save %s: %s%s", url, outcome.status.value, f" ({outcome.reason})" if outcome.reason else ""
    )
    return outcome


def _skipped(url: str, limiter: ArchiveLimiter) -> SaveOutcome:
    return SaveOutcome(
        url, SaveStatus.SKIPPED, reason=limiter.stop_message() or "stopped", retryable=True
    )


def _failure_outcome(url: str, failure: Failure, limiter: ArchiveLimiter) -> SaveOutcome:
    if failure.stopped:
        return _skipped(url, limiter)
    return SaveOutcome(
        url, SaveStatus.FAILED, reason=f"{failure.reason}: {failure.detail}", retryable=True
    )


def _json(reply: Reply) -> dict[str, Any] | None:
    try:
        data = json.loads(reply.text())
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


async def _save_spn2(
    url: str,
    target: str,
    client: httpx.AsyncClient,
    config: ArchiveConfig,
    limiter: ArchiveLimiter,
) -> SaveOutcome:
    authorization = config.authorization() or ""
    headers = {"Accept": "application/json", "Authorization": authorization}
    form = {
        "url": target,
        # Seconds: unambiguous to SPN2, which also reads "3d 5h" forms.
        "if_not_archived_within": str(int(config.recent_window.total_seconds())),
        "skip_first_archive": "1",
    }
    if config.capture_outlinks:
        form["capture_outlinks"] = "1"
    last: SaveOutcome | None = None
    for attempt in range(config.save_attempts):
        if attempt:
            await limiter.sleep(config.save_retry_delay)
        submitted = dt.datetime.now(dt.UTC)
        answer = await send(
            client,
            limiter,
            "save",
            "POST",
            f"{config.wayback_base}/save",
            data=form,
            headers=headers,
        )
        if isinstance(answer, Failure):
            return _failure_outcome(url, answer, limiter)
        if answer.status in (401, 403):
            return SaveOutcome(
                url,
                SaveStatus.FAILED,
                reason=f"unauthorized: HTTP {answer.status}"
                " (check the SPN2 access and secret keys)",
            )
        data = _json(answer)
        if answer.status != 200 or data is None:
            return SaveOutcome(
                url,
                SaveStatus.FAILED,
                retryable=answer.status >= 500,
                reason=f"archive-error: SPN2 answered HTTP {answer.status}",
            )
        message = _text(data.get("message"), config)
        job_id = data.get("job_id")
        if not isinstance(job_id, str) or not job_id:
            # An error as HTTP 200: {"status":"error","status_ext":"error:...","message":...}
            status_ext = _text(data.get("status_ext"), config) or "error:unknown"
            last = SaveOutcome(
                url,
                SaveStatus.FAILED,
                reason=status_ext,
                message=message,
                retryable=_retryable(status_ext) or status_ext in LATER_STATUS_EXT,
            )
            if _retryable(status_ext):
                continue
            return last
        result = await _poll(url, job_id, message, submitted, client, config, limiter, headers)
        if result.status == SaveStatus.FAILED and result.reason and _retryable(result.reason):
            last = result
            continue
        return result
    assert last is not None  # the loop ran at least once and only continues after setting it
    return last


async def _poll(
    url: str,
    job_id: str,
    message: str | None,
    submitted: dt.datetime,
    client: httpx.AsyncClient,
    config: ArchiveConfig,
    limiter: ArchiveLimiter,
    headers: dict[str, str],
) -> SaveOutcome:
    status_url = f"{config.wayback_base}/save/status/{job_id}"
    for _ in range(config.max_polls):
        await limiter.sleep(config.poll_interval)
        answer = await send(client, limiter, "status", "GET", status_url, headers=headers)
        if isinstance(answer, Failure):
            return _failure_outcome(url, answer, limiter)
        data = _json(answer)
        if data is None:
            if answer.status >= 500:
                continue  # the status service hiccups; the job goes on
            return SaveOutcome(
                url,
                SaveStatus.FAILED,
                reason=f"archive-error: status answered HTTP {answer.status}",
            )
        status = data.get("status")
        if status == "pending":
            continue
        if status == "success":
            timestamp = str(data.get("timestamp", ""))
            original = str(data.get("original_url") or url)
            if not re.fullmatch(r"\d{14}", timestamp):
                return SaveOutcome(
                    url, SaveStatus.FAILED, reason="bad-response: success without a timestamp"
                )
            snapshot = Snapshot(
                url=replay_url(config, timestamp, original),
                timestamp=timestamp,
                source="save-page-now",
            )
            reused = bool(message and _REUSED.search(message)) or (
                datetime_of(timestamp) < submitted - _REUSE_MARGIN
            )
            return SaveOutcome(
                url,
                SaveStatus.RECENT if reused else SaveStatus.SAVED,
                snapshot=snapshot,
                message=message,
            )
        status_ext = _text(data.get("status_ext"), config) or "error:unknown"
        return SaveOutcome(
            url,
            SaveStatus.FAILED,
            reason=status_ext,
            message=_text(data.get("message"), config),
            retryable=_retryable(status_ext) or status_ext in LATER_STATUS_EXT,
        )
    return SaveOutcome(
        url,
        SaveStatus.FAILED,
        retryable=True,
        reason=f"timeout: capture still pending after {config.max_polls} polls",
    )


def _text(value: object, config: ArchiveConfig) -> str | None:
    if value is None:
        return None
    return config.scrub(str(value))[:300]


_LINK_MEMENTO = re.compile(r"<([^>]+)>\s*;[^,<]*?rel=\"?[^\",;]*\bmemento\b", re.IGNORECASE)


def memento_from_link_header(value: str) -> str | None:
    """The first `rel="memento"` (or "first memento", "last memento") target in a Link header."""
    for match in _LINK_MEMENTO.finditer(value):
        return match.group(1)
    return None


async def _save_anonymous(
    url: str,
    target: str,
    client: httpx.AsyncClient,
    config: ArchiveConfig,
    limiter: ArchiveLimiter,
) -> SaveOutcome:
    answer = await send(client, limiter, "save", "GET", f"{config.wayback_base}/save/{target}")
    if isinstance(answer, Failure):
        return _failure_outcome(url, answer, limiter)
    runtime_error = answer.headers.get("x-archive-wayback-runtime-error")
    if runtime_error:
        return SaveOutcome(
            url, SaveStatus.FAILED, reason=f"refused: {_text(runtime_error, config)}"
        )
    location = (
        answer.headers.get("content-location")
        or memento_from_link_header(answer.headers.get("link", ""))
        or (answer.headers.get("location") if 300 <= answer.status < 400 else None)
    )
    parsed = parse_wayback_path(location) if location else None
    if answer.status >= 400 or parsed is None:
        return SaveOutcome(
            url,
            SaveStatus.FAILED,
            retryable=answer.status >= 500,
            reason=f"archive-error: save answered HTTP {answer.status}"
            + ("" if answer.status >= 400 else " without a capture location"),
        )
    timestamp, original = parsed
    if not re.fullmatch(r"\d{14}", timestamp):
        return SaveOutcome(url, SaveStatus.FAILED, reason="bad-response: partial timestamp")
    snapshot = Snapshot(
        url=replay_url(config, timestamp, original), timestamp=timestamp, source="save-page-now"
    )
    cached = answer.headers.get("x-page-cache", "").strip().upper() == "HIT"
    return SaveOutcome(
        url,
        SaveStatus.RECENT if cached else SaveStatus.SAVED,
        snapshot=snapshot,
        message="the archive returned a recent capture" if cached else None,
    )
