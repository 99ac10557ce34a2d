"""Status mapping against a real server: one route per behaviour, request counts asserted."""

from __future__ import annotations

import dataclasses

from servers.scenario import FAST, Scenario, check_all, check_one

from linkcheck.check import HostRule
from linkcheck.models import Status


def test_ok_page_costs_one_get_and_one_probe_per_host(servers: Scenario) -> None:
    urls = [servers.url("b", "/ok"), servers.url("b", "/anchors"), servers.url("b", "/chain/final")]
    results = check_all(urls)
    for url in urls:
        verdict = results[url].verdict
        assert (verdict.status, verdict.reason, verdict.http_status) == (Status.OK, None, 200)
        assert verdict.attempts == 1
        assert servers.count("b", urlpath(url)) == 1
    # GET only, never HEAD; the soft-404 probe is sent once for the host, not once per URL.
    assert servers.total("b", "HEAD") == 0
    assert servers.total("b") == len(urls) + 1
    body = results[urls[0]].body
    assert body is not None and b"<title>Report /ok</title>" in body
    assert results[urls[0]].verdict.title == "Report /ok"
    assert results[urls[0]].verdict.content_type == "text/html"
    assert results[urls[0]].charset == "utf-8"


def test_head_405_is_irrelevant_because_only_get_is_sent(servers: Scenario) -> None:
    result = check_one(servers.url("a", "/head-405"))
    assert (result.verdict.status, result.verdict.reason) == (Status.OK, None)
    assert servers.count("a", "/head-405", "GET") == 1
    assert servers.count("a", "/head-405", "HEAD") == 0


def test_404_and_410_are_broken_without_retry(servers: Scenario) -> None:
    missing, gone = servers.url("a", "/missing"), servers.url("a", "/gone")
    results = check_all([missing, gone])
    assert (results[missing].verdict.status, results[missing].verdict.reason) == (
        Status.BROKEN,
        "http-404",
    )
    assert results[missing].verdict.http_status == 404
    assert results[missing].verdict.detail == "HTTP 404 Not Found"
    assert (results[gone].verdict.status, results[gone].verdict.reason) == (
        Status.BROKEN,
        "http-410",
    )
    assert results[missing].verdict.attempts == results[gone].verdict.attempts == 1
    assert servers.count("a", "/missing") == servers.count("a", "/gone") == 1


def test_other_4xx_is_broken_with_its_status(servers: Scenario) -> None:
    verdict = check_one(servers.url("a", "/teapot")).verdict
    assert (verdict.status, verdict.reason, verdict.http_status) == (Status.BROKEN, "http-4xx", 418)
    assert servers.count("a", "/teapot") == 1


def test_plain_403_is_broken_http_403(servers: Scenario) -> None:
    verdict = check_one(servers.url("a", "/forbidden")).verdict
    assert (verdict.status, verdict.reason, verdict.http_status) == (Status.BROKEN, "http-403", 403)
    assert servers.count("a", "/forbidden") == 1


def test_cloudflare_challenge_is_blocked_not_broken(servers: Scenario) -> None:
    challenge, challenge_503 = servers.url("a", "/cf"), servers.url("a", "/cf-503")
    results = check_all([challenge, challenge_503])
    verdict = results[challenge].verdict
    assert (verdict.status, verdict.reason, verdict.http_status) == (
        Status.BLOCKED,
        "bot-challenge",
        403,
    )
    assert verdict.detail is not None and "Cloudflare" in verdict.detail
    # A challenge on a 503 is not retried: asking again does not pass a challenge.
    verdict = results[challenge_503].verdict
    assert (verdict.status, verdict.reason, verdict.attempts) == (
        Status.BLOCKED,
        "bot-challenge",
        1,
    )
    assert servers.count("a", "/cf") == servers.count("a", "/cf-503") == 1


def test_aws_waf_challenge_on_202_is_blocked(servers: Scenario) -> None:
    verdict = check_one(servers.url("a", "/waf")).verdict
    assert (verdict.status, verdict.reason, verdict.http_status) == (
        Status.BLOCKED,
        "bot-challenge",
        202,
    )
    assert servers.count("a", "/waf") == 1


def test_401_is_blocked_auth_required(servers: Scenario) -> None:
    verdict = check_one(servers.url("a", "/auth")).verdict
    assert (verdict.status, verdict.reason, verdict.http_status) == (
        Status.BLOCKED,
        "auth-required",
        401,
    )
    assert servers.count("a", "/auth") == 1


def test_999_is_blocked_non_standard_status(servers: Scenario) -> None:
    verdict = check_one(servers.url("a", "/linkedin")).verdict
    assert (verdict.status, verdict.reason, verdict.http_status) == (
        Status.BLOCKED,
        "non-standard-status",
        999,
    )
    assert servers.count("a", "/linkedin") == 1


def test_persistent_500_is_broken_after_retries(servers: Scenario) -> None:
    verdict = check_one(servers.url("a", "/error500")).verdict
    assert (verdict.status, verdict.reason, verdict.http_status) == (Status.BROKEN, "http-5xx", 500)
    assert verdict.attempts == FAST.retries + 1
    assert servers.count("a", "/error500") == FAST.retries + 1


def test_flaky_503_then_200_is_ok(servers: Scenario) -> None:
    verdict = check_one(servers.url("a", "/flaky?fail=2")).verdict
    assert (verdict.status, verdict.reason, verdict.http_status) == (Status.OK, None, 200)
    assert verdict.attempts == 3
    assert servers.count("a", "/flaky?fail=2") == 3


def test_flaky_beyond_the_retry_budget_is_http_5xx(servers: Scenario) -> None:
    verdict = check_one(servers.url("a", "/flaky?fail=9")).verdict
    assert (verdict.status, verdict.reason, verdict.http_status) == (Status.BROKEN, "http-5xx", 503)
    assert servers.count("a", "/flaky?fail=9") == verdict.attempts == FAST.retries + 1


def test_429_with_retry_after_one_second_is_honoured(servers: Scenario) -> None:
    verdict = check_one(servers.url("a", "/rate-once")).verdict
    assert (verdict.status, verdict.reason, verdict.http_status) == (Status.OK, None, 200)
    assert verdict.attempts == 2
    assert verdict.elapsed >= 0.95  # it did wait the second it was asked to
    requests = [s for s in servers.seen("a") if s.target == "/rate-once"]
    assert len(requests) == 2
    assert requests[1].at - requests[0].at >= 0.95


def test_429_forever_is_blocked_rate_limited(servers: Scenario) -> None:
    verdict = check_one(servers.url("a", "/rate-forever")).verdict
    assert (verdict.status, verdict.reason, verdict.http_status) == (
        Status.BLOCKED,
        "rate-limited",
        429,
    )
    assert servers.count("a", "/rate-forever") == verdict.attempts == FAST.retries + 1


def test_retry_after_above_the_cap_stops_retrying_at_once(servers: Scenario) -> None:
    seconds, date = servers.url("a", "/rate-long"), servers.url("a", "/rate-date")
    results = check_all([seconds, date])
    for url in (seconds, date):
        verdict = results[url].verdict
        assert (verdict.status, verdict.reason, verdict.attempts) == (
            Status.BLOCKED,
            "rate-limited",
            1,
        )
        assert verdict.detail is not None and "cap" in verdict.detail
        assert verdict.elapsed < 1.0
    assert servers.count("a", "/rate-long") == servers.count("a", "/rate-date") == 1


def test_host_rule_headers_are_sent_to_that_host_only(servers: Scenario) -> None:
    rule = HostRule("127.0.0.2", headers=(("X-Api-Key", "secret"),))
    config = dataclasses.replace(FAST, host_rules=(rule,), soft404_probe=False)
    with_key, without = servers.url("b", "/needs-key"), servers.url("c", "/needs-key")
    results = check_all([with_key, without], config)
    assert (results[with_key].verdict.status, results[with_key].verdict.reason) == (Status.OK, None)
    assert (results[without].verdict.status, results[without].verdict.reason) == (
        Status.BROKEN,
        "http-403",
    )
    assert servers.count("b", "/needs-key") == servers.count("c", "/needs-key") == 1


def test_host_rule_accept_makes_a_status_ok_for_that_host_only(servers: Scenario) -> None:
    rule = HostRule("127.0.0.*3", accept=frozenset({403}))
    config = dataclasses.replace(FAST, host_rules=(rule,))
    accepted, elsewhere = servers.url("c", "/forbidden"), servers.url("b", "/forbidden")
    results = check_all([accepted, elsewhere], config)
    verdict = results[accepted].verdict
    assert (verdict.status, verdict.reason, verdict.http_status) == (Status.OK, None, 403)
    assert verdict.detail is not None and "accepted" in verdict.detail
    assert (results[elsewhere].verdict.status, results[elsewhere].verdict.reason) == (
        Status.BROKEN,
        "http-403",
    )
    assert servers.total("c") == 1  # an accepted non-2xx is not probed for soft-404s
    assert servers.count("b", "/forbidden") == 1


def urlpath(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def test_host_rule_accepting_a_redirect_stops_there(servers: Scenario) -> None:
    # lychee#2308's DOI case: "the resolver answers 302" is the whole check for that host.
    rule = HostRule("127.0.0.2", accept=frozenset({302}))
    config = dataclasses.replace(FAST, host_rules=(rule,), max_redirects=0)
    verdict = check_one(servers.url("b", "/temp"), config).verdict
    assert (verdict.status, verdict.reason, verdict.http_status) == (Status.OK, None, 302)
    assert verdict.redirects == ()
    assert servers.total("b") == 1
