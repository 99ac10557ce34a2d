"""Settings for the archive stage: endpoints, rate limits, timeouts and the SPN2 keys.

Every endpoint and limit is configuration: the Internet Archive changes its published limits
(the SPN2 doc's 2025-10-22 revision says 12 captures/min authenticated and 4 anonymous, a
2026-07-22 revision 7 and 3), and tests point the endpoints at a loopback fake with tiny delays.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

ACCESS_KEY_VARS = ("LINKCHECK_IA_ACCESS_KEY", "IA_ACCESS_KEY")
SECRET_KEY_VARS = ("LINKCHECK_IA_SECRET_KEY", "IA_SECRET_KEY")

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([wdhms]?)", re.IGNORECASE)
_DURATION_UNITS = {"w": 604800.0, "d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0, "": 1.0}


def parse_duration(text: str) -> dt.timedelta:
    """ "30d", "3d 5h 20m", "90m" or plain seconds ("3600"), as SPN2's `if_not_archived_within`
    accepts them. Raises ValueError for anything else."""
    stripped = text.strip()
    if not stripped:
        raise ValueError("empty duration")
    total = 0.0
    position = 0
    for match in _DURATION_PART.finditer(stripped):
        if stripped[position : match.start()].strip():
            raise ValueError(f"not a duration: {text!r}")
        total += float(match.group(1)) * _DURATION_UNITS[match.group(2).lower()]
        position = match.end()
    if position == 0 or stripped[position:].strip():
        raise ValueError(f"not a duration: {text!r}")
    return dt.timedelta(seconds=total)


def keys_from_env(environ: Mapping[str, str]) -> tuple[str | None, str | None]:
    """The SPN2 access and secret keys: LINKCHECK_IA_* first, then the IA_* names other IA tools
    use. Empty values count as absent."""

    def first(names: tuple[str, ...]) -> str | None:
        for name in names:
            value = environ.get(name, "").strip()
            if value:
                return value
        return None

    return first(ACCESS_KEY_VARS), first(SECRET_KEY_VARS)


@dataclass(frozen=True)
class ArchiveConfig:
    """How the archive stage talks to the Wayback Machine (and optionally Memento TimeTravel).

    Rates are requests per minute. Durations are seconds unless the name says otherwise.
    `access_key`/`secret_key` are kept out of repr; use `scrub()` on any text that leaves the
    process."""

    wayback_url: str = "https://web.archive.org"
    timetravel_url: str = "http://timetravel.mementoweb.org"
    use_timetravel: bool = False

    # IA gave EDGI a hard limit of 30 CDX requests/min; 0.8 of it leaves room for other tools on
    # the same IP. Availability API calls count against the same budget.
    lookup_rate: float = 24.0
    # Replay (`/web/<ts>id_/`) is limited separately, 600/min; EDGI's client defaults to 8/s.
    replay_rate: float = 480.0
    # SPN captures/min: the most conservative published figures (2026-07 revision).
    save_rate_authenticated: float = 7.0
    save_rate_anonymous: float = 3.0
    # Polls of /save/status/<job>; each job also waits `poll_interval` between its polls.
    status_rate: float = 30.0
    timetravel_rate: float = 30.0

    # IA blocks an IP at the firewall for an hour (doubling after) when 429s are ignored for
    # more than a minute: after this many 429s in a row, stop every archive request of the run.
    max_consecutive_429: int = 3
    retry_after_default: float = 60.0  # a 429 without Retry-After
    max_retry_after: float = 600.0  # asked to wait longer than this: stop instead of waiting
    max_retries: int = 2  # 5xx and network errors, per request
    retry_backoff: float = 5.0  # first 5xx/network backoff; doubles per retry

    timeout: float = 30.0  # per request
    concurrency: int = 4

    validate_snapshots: bool = True  # replay the chosen capture's raw bytes and check them
    max_candidates: int = 3  # captures tried when validation rejects the closest
    max_validation_bytes: int = 512 * 1024

    # A link "lacks a recent capture" when its latest capture is older than this.
    recent_within: str = "30d"
    check_before_save: bool = True  # a CDX lookup (cheap) before a capture (scarce)
    capture_outlinks: bool = False
    poll_interval: float = 5.0
    max_polls: int = 30  # SPN2 gives a capture 2 minutes in all
    save_attempts: int = 3  # for retryable SPN2 errors (user-session-limit, ...)
    save_retry_delay: float = 10.0

    access_key: str | None = field(default=None, repr=False)
    secret_key: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        parse_duration(self.recent_within)  # fail at start-up, not half-way through a run
        for name in (
            "lookup_rate",
            "replay_rate",
            "save_rate_authenticated",
            "save_rate_anonymous",
            "status_rate",
            "timetravel_rate",
        ):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if self.max_consecutive_429 < 1 or self.concurrency < 1 or self.max_candidates < 1:
            raise ValueError("max_consecutive_429, concurrency and max_candidates must be >= 1")
        if self.max_polls < 1 or self.save_attempts < 1 or self.max_retries < 0:
            raise ValueError("max_polls and save_attempts must be >= 1, max_retries >= 0")

    def with_keys_from(self, environ: Mapping[str, str]) -> ArchiveConfig:
        """This config with the SPN2 keys read from the environment (see `keys_from_env`)."""
        access, secret = keys_from_env(environ)
        return replace(self, access_key=access, secret_key=secret)

    @property
    def authenticated(self) -> bool:
        return bool(self.access_key and self.secret_key)

    @property
    def save_rate(self) -> float:
        return self.save_rate_authenticated if self.authenticated else self.save_rate_anonymous

    @property
    def recent_window(self) -> dt.timedelta:
        return parse_duration(self.recent_within)

    @property
    def wayback_base(self) -> str:
        return self.wayback_url.rstrip("/")

    @property
    def timetravel_base(self) -> str:
        return self.timetravel_url.rstrip("/")

    def authorization(self) -> str | None:
        """The SPN2 header value. Only ever put into a request header."""
        if not self.authenticated:
            return None
        return f"LOW {self.access_key}:{self.secret_key}"

    def scrub(self, text: str) -> str:
        """`text` with the keys masked: a safety net for messages built from server answers."""
        for secret in (self.secret_key, self.access_key):
            if secret:
                text = text.replace(secret, "***")
        return text
