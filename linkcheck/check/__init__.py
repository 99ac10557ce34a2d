"""The checker stage: fetch each unique URL once, politely, and turn what it shows into a
`Verdict`. See docs/CHECKER.md for the decisions (GET only, the verdict table, retries)."""

from __future__ import annotations

from linkcheck.check.client import make_client
from linkcheck.check.config import DEFAULT_USER_AGENT, CheckConfig, HostRule
from linkcheck.check.engine import CheckResult, check_url, check_urls
from linkcheck.check.verdicts import network_unreachable

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
