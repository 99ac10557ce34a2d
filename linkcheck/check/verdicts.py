"""Observations in, `Verdict`s out. Every function here is pure.

The table (also in docs/CHECKER.md):
- 2xx → ok (redirect rules and soft-404 signals may say otherwise); a host-accepted status → ok
- 301/308 first hop ending live → redirected (final_url = the suggested new URL)
- 404 → broken http-404; 410 → broken http-410; 403 → broken http-403; other 4xx → http-4xx
- 401/407 → blocked auth-required; bot-wall fingerprints → blocked bot-challenge
- 429 after retries → blocked rate-limited; 408 after retries → unreachable timeout
- 5xx after retries → broken http-5xx; status outside 100-599 (LinkedIn's 999) → blocked
- no HTTP answer → unreachable: dns, refused, unreachable-network, timeout, tls, connection-reset
"""

from __future__ import annotations

import dataclasses
from http import HTTPStatus
from urllib.parse import urlsplit

from linkcheck.check.answer import Answer, Fetch
from linkcheck.check.botwall import bot_wall
from linkcheck.check.config import CheckConfig
from linkcheck.check.fragments import FragmentCheck, FragmentFinding
from linkcheck.check.redirects import classify_chain, is_root_like
from linkcheck.check.retry import host_accepts, retry_after
from linkcheck.check.safety import host_rule
from linkcheck.check.soft404 import ProbeComparison, ProbeFinding, says_missing
from linkcheck.models import Status, Verdict
from linkcheck.urls import CHECKED_SCHEMES, scheme_of, url_host


def _phrase(answer: Answer) -> str:
    try:
        return HTTPStatus(answer.status).phrase
    except ValueError:
        return answer.reason_phrase.strip()


def _status_line(answer: Answer) -> str:
    phrase = _phrase(answer)
    return f"HTTP {answer.status} {phrase}".rstrip()


def precheck(url: str, config: CheckConfig, *, patterns: bool = True) -> Verdict | None:
    """The verdict of a URL that must not be requested at all, or None to go ahead.
    `patterns=False` for redirect targets: include/exclude patterns apply to cited URLs."""
    scheme = scheme_of(url)
    if scheme not in CHECKED_SCHEMES:
        what = f"{scheme}: links" if scheme else "links without a scheme"
        return Verdict(Status.SKIPPED, "unsupported-scheme", detail=f"{what} are not checked")
    host, invalid = url_host(url)
    if invalid is not None:
        return Verdict(Status.BROKEN, "error", detail=invalid)
    if patterns and config.is_excluded(url):
        return Verdict(Status.SKIPPED, "excluded", detail="matches an exclude pattern")
    refused = host_rule(host, config)
    if refused is not None:
        reason, detail = refused
        return Verdict(Status.SKIPPED, reason, detail=detail)
    return None


def verdict_for_fetch(fetch: Fetch, config: CheckConfig) -> Verdict:
    """The verdict of a fetch before the soft-404 probe and the fragment check."""
    answer = fetch.answer
    page = fetch.page
    base = Verdict(
        Status.UNCHECKED,
        redirects=fetch.redirects,
        attempts=fetch.attempts,
        elapsed=round(fetch.elapsed, 3),
        final_url=fetch.landing_url if fetch.hops else None,
    )
    if fetch.failure is not None:
        failure = fetch.failure
        detail = failure.detail
        if failure.retryable and fetch.attempts > 1:
            detail += f" ({fetch.attempts} attempts)"
        # The redirect that broke the chain is worth showing; a transport failure has none.
        shown = (
            answer.status
            if answer is not None and failure.status is not Status.UNREACHABLE
            else None
        )
        return dataclasses.replace(
            base, status=failure.status, reason=failure.reason, detail=detail, http_status=shown
        )
    if answer is None:  # cannot happen: a fetch has an answer or a failure
        return dataclasses.replace(base, status=Status.UNREACHABLE, reason="error")
    status = answer.status
    base = dataclasses.replace(
        base,
        http_status=status,
        content_type=answer.media_type,
        title=page.title if page is not None else None,
    )
    host = urlsplit(answer.url).hostname or ""
    if host_accepts(config, answer.url, status):
        if 200 <= status < 300:
            return _live(base, fetch)
        detail = f"{_status_line(answer)} accepted for {host} by a host rule"
        return dataclasses.replace(base, status=Status.OK, detail=detail)
    wall = bot_wall(status, answer.headers, answer.body)
    if wall is not None:
        detail = f"{wall}: {host} refused an automated check ({_status_line(answer)})"
        return dataclasses.replace(
            base, status=Status.BLOCKED, reason="bot-challenge", detail=detail
        )
    if not 100 <= status <= 599:
        detail = f"non-standard HTTP status {status} (a bot wall, like LinkedIn's 999)"
        return dataclasses.replace(
            base, status=Status.BLOCKED, reason="non-standard-status", detail=detail
        )
    if 200 <= status < 400:
        return _live(base, fetch)
    line = _status_line(answer)
    if fetch.attempts > 1:
        line += f" after {fetch.attempts} attempts"
    if status in (401, 407):
        return dataclasses.replace(base, status=Status.BLOCKED, reason="auth-required", detail=line)
    if status == 429:
        asked = retry_after(answer)
        if asked is not None and asked > config.retry_after_cap:
            line += f"; asked to wait {asked:g} s, more than the {config.retry_after_cap:g} s cap"
        return dataclasses.replace(base, status=Status.BLOCKED, reason="rate-limited", detail=line)
    if status == 408:
        return dataclasses.replace(base, status=Status.UNREACHABLE, reason="timeout", detail=line)
    if status in (403, 404, 410):
        reason = f"http-{status}"
    elif 400 <= status < 500:
        reason = "http-4xx"
    elif 500 <= status < 600:
        reason = "http-5xx"
    else:  # 1xx as a final answer
        return dataclasses.replace(base, status=Status.UNREACHABLE, reason="error", detail=line)
    return dataclasses.replace(base, status=Status.BROKEN, reason=reason, detail=line)


def _live(base: Verdict, fetch: Fetch) -> Verdict:
    """A page that answered (2xx, or a 3xx that is no redirect): redirect rules, then the
    page's own words."""
    chain = classify_chain(fetch.url, fetch.hops)
    verdict = dataclasses.replace(
        base,
        status=chain.status,
        reason=chain.reason,
        final_url=chain.final_url if fetch.hops else None,
        detail=chain.detail,
    )
    answer = fetch.answer
    if answer is not None and 300 <= answer.status < 400 and verdict.detail is None:
        verdict = dataclasses.replace(verdict, detail=f"{_status_line(answer)} without Location")
    if chain.status in (Status.OK, Status.REDIRECTED) and fetch.page is not None:
        missing = says_missing(fetch.page, fetch.landing_url)
        if missing is not None:
            return dataclasses.replace(
                verdict,
                status=Status.BROKEN,
                reason="soft-404",
                detail=f"the page says it is missing: “{missing}”",
            )
    return verdict


def probe_applies(verdict: Verdict, fetch: Fetch) -> bool:
    """The probe is only worth a request for a deep link that answered 200."""
    return (
        verdict.status in (Status.OK, Status.REDIRECTED)
        and fetch.answer is not None
        and 200 <= fetch.answer.status < 300
        and not is_root_like(fetch.url)
        and not is_root_like(fetch.landing_url)
    )


def apply_probe(verdict: Verdict, comparison: ProbeComparison) -> Verdict:
    if comparison.finding is ProbeFinding.SAME:
        return dataclasses.replace(
            verdict, status=Status.BROKEN, reason="soft-404", detail=comparison.detail
        )
    if comparison.finding is ProbeFinding.APP_SHELL and verdict.detail is None:
        return dataclasses.replace(verdict, detail=comparison.detail)
    return verdict


def apply_fragment(verdict: Verdict, check: FragmentCheck) -> Verdict:
    """A missing anchor leaves the page live: status stays, reason says "fragment-missing"."""
    if verdict.status not in (Status.OK, Status.REDIRECTED):
        return verdict
    if check.finding is FragmentFinding.MISSING:
        return dataclasses.replace(verdict, reason="fragment-missing", detail=check.detail)
    if check.detail and verdict.detail is None:
        return dataclasses.replace(verdict, detail=check.detail)
    return verdict
