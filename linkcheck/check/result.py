"""What checking a URL yields, and what a run's results say together.

Light to import (no HTTP stack): the process that hands URLs to checking workers and collects
their results needs these, not the client.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from linkcheck.models import Status, Verdict

# Failure reasons that mean no network path exists (as opposed to a host that is down).
NO_NETWORK_REASONS = frozenset({"dns", "unreachable-network"})
_BEFORE_HTTP_REASONS = NO_NETWORK_REASONS | {"connect-timeout"}


@dataclass(frozen=True)
class CheckResult:
    url: str
    verdict: Verdict
    body: bytes | None  # bounded prefix of the final page when it is live (ok or redirected)
    charset: str | None  # of that body, as the server declared it (header, BOM or <meta>)


def host_of(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:  # e.g. an unbalanced "[" in the host: precheck reports it
        return ""


def network_unreachable(verdicts: Iterable[Verdict]) -> bool:
    """True when at least one URL was checked and every checked one failed before HTTP: on a
    name lookup, a missing route, or a connection that never came up. The machine is offline,
    the links are not dead. A refused connection or any HTTP answer (a redirect included)
    proves the network works. Connection time-outs alone prove it only across several URLs,
    so one firewalled host is reported as unreachable, not as an offline machine."""
    checked = 0
    lookups_failed = False
    for v in verdicts:  # (one pass, ended by the first proof: most runs' first verdict)
        if v.status is Status.SKIPPED or v.status is Status.UNCHECKED:
            continue
        before_http = (
            v.status is Status.UNREACHABLE
            and v.reason in _BEFORE_HTTP_REASONS
            and v.http_status is None
            and not v.redirects
        )
        if not before_http:
            return False
        checked += 1
        lookups_failed = lookups_failed or v.reason in NO_NETWORK_REASONS
    return checked > 0 and (lookups_failed or checked >= 3)
