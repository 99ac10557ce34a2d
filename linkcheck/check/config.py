"""How the checker behaves: one frozen value passed to every function that needs it."""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from functools import lru_cache

from linkcheck import __version__

PROJECT_URL = "https://github.com/linkcheck-dev/linkcheck"

# An honest bot UA that says who we are and where to complain: faking a browser gets IPs
# banned and triggers login/consent redirect loops (see docs/CHECKER.md, "user agent").
# (The package's own version, not importlib.metadata's: that import is 18 ms of every start.)
DEFAULT_USER_AGENT = f"linkcheck/{__version__} (+{PROJECT_URL})"


def ca_bundle_problem(path: str) -> str | None:
    """Why `path` cannot serve as a bundle of CA certificates (PEM), or None if it can: said
    before the run, rather than as a TLS failure of every HTTPS link. Loaded as the checker
    will load it (`make_ssl_context`)."""
    import ssl

    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cafile=path)
    except FileNotFoundError:
        return "no such file"
    except ssl.SSLError:
        return "no PEM certificate in it"
    except OSError as error:  # a directory, no permission
        return (error.strerror or str(error)).lower()
    return None


def header_value_problem(value: str) -> str | None:
    """Why `value` cannot be sent as an HTTP header's value, or None if it can."""
    if any(c in value for c in "\r\n\0"):
        # A line break in a header value would inject headers into the request.
        return "header values must not contain line breaks"
    if not value.isascii():
        return "header values must be ASCII (httpx sends them so)"
    return None


@lru_cache(maxsize=64)
def _compiled(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(pattern) for pattern in patterns)


@dataclass(frozen=True)
class HostRule:
    """Per-host settings. `pattern` is a glob on the host name ("*.example.org")."""

    pattern: str
    headers: tuple[tuple[str, str], ...] = ()
    accept: frozenset[int] = frozenset()  # statuses treated as ok for this host

    def matches(self, host: str) -> bool:
        return fnmatch.fnmatchcase(host.lower(), self.pattern.lower())


@dataclass(frozen=True)
class CheckConfig:
    timeout: float = 20.0  # seconds per request, connect to last body byte
    concurrency: int = 32  # requests in flight, all hosts together
    host_concurrency: int = 2  # requests in flight to one host
    host_interval: float = 0.25  # minimum seconds between request starts to one host
    retries: int = 3  # extra attempts after the first, per request
    max_redirects: int = 10
    max_body_bytes: int = 1_000_000  # bounded streamed prefix kept of each page
    # A PDF cannot be read from a prefix, and the support check reads it: a larger bound.
    max_pdf_bytes: int = 20_000_000
    retry_after_cap: float = 60.0  # a longer Retry-After stops retrying
    max_url_seconds: float = 120.0  # total per URL, retries and backoff included
    backoff_base: float = 1.0
    backoff_max: float = 30.0
    user_agent: str = DEFAULT_USER_AGENT
    include: tuple[str, ...] = ()  # regexes; a match is checked even if excluded
    exclude: tuple[str, ...] = ()  # regexes; a match is skipped ("excluded")
    host_rules: tuple[HostRule, ...] = ()
    allow_link_local: bool = False
    exclude_private: bool = False
    ca_bundle: str | None = None
    check_fragments: bool = True
    soft404_probe: bool = True
    # Processes that check a run (whole hosts each): None for one per core on a large run.
    processes: int | None = None

    def __post_init__(self) -> None:
        # A bad pattern fails here, at construction, not in the middle of a run.
        _compiled(self.include)
        _compiled(self.exclude)
        if self.concurrency < 1 or self.host_concurrency < 1:
            raise ValueError("concurrency and host_concurrency must be at least 1")
        if self.processes is not None and self.processes < 1:
            raise ValueError("processes must be at least 1")
        if self.retries < 0 or self.max_redirects < 0 or self.max_body_bytes < 0:
            raise ValueError("retries, max_redirects and max_body_bytes must not be negative")

    def is_excluded(self, url: str) -> bool:
        """Include wins over exclude (as in lychee): an included URL is always checked."""
        if any(p.search(url) for p in _compiled(self.include)):
            return False
        return any(p.search(url) for p in _compiled(self.exclude))

    def rule_for(self, host: str) -> HostRule | None:
        """The first matching rule wins, like a routing table: order rules specific first."""
        for rule in self.host_rules:
            if rule.matches(host):
                return rule
        return None
