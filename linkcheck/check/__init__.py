"""The checker stage: fetch each unique URL once, politely, and turn what it shows into a
`Verdict`. See docs/CHECKER.md for the decisions (GET only, the verdict table, retries).

The names below load on first use: reading a run's configuration (`check.config`) must not
import the HTTP stack, so that checking processes can start while it loads."""

from __future__ import annotations

from typing import TYPE_CHECKING

from linkcheck.lazy import lazy_exports

if TYPE_CHECKING:
    from linkcheck.check.client import make_client
    from linkcheck.check.config import DEFAULT_USER_AGENT, CheckConfig, HostRule
    from linkcheck.check.engine import check_url, check_urls
    from linkcheck.check.result import CheckResult, network_unreachable

__all__ = [
    "DEFAULT_USER_AGENT",
    "CheckConfig",
    "CheckResult",
    "HostRule",
    "check_url",
    "check_urls",
    "make_client",
    "network_unreachable",
]

__getattr__ = lazy_exports(
    __name__,
    {
        "linkcheck.check.client": {"make_client"},
        "linkcheck.check.config": {"DEFAULT_USER_AGENT", "CheckConfig", "HostRule"},
        "linkcheck.check.engine": {"check_url", "check_urls"},
        "linkcheck.check.result": {"CheckResult", "network_unreachable"},
    },
)
