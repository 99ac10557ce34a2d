"""Redirects followed by hand: chains, loops, limits, and what a redirect means."""

from __future__ import annotations

import dataclasses

import pytest
from servers.scenario import FAST, Scenario, check_all, check_one

from linkcheck.models import Status


def test_permanent_chain_is_redirected_with_the_new_url(servers: Scenario) -> None:
    verdict = check_one(servers.url("a", "/chain/1")).verdict
    final = servers.url("a", "/chain/final")
    assert (verdict.status, verdict.reason, verdict.http_status) == (Status.REDIRECTED, None, 200)
    assert verdict.final_url == final
    assert verdict.redirects == (servers.url("a", "/chain/2"), final)
    assert verdict.attempts == 3
    for path in ("/chain/1", "/chain/2", "/chain/final"):
        assert servers.count("a", path) == 1


def test_temporary_redirect_is_ok_and_records_the_landing_url(servers: Scenario) -> None:
    verdict = check_one(servers.url("a", "/temp")).verdict
    assert (verdict.status, verdict.reason, verdict.http_status) == (Status.OK, None, 200)
    assert verdict.final_url == servers.url("a", "/ok")
    assert verdict.redirects == (servers.url("a", "/ok"),)
    assert servers.count("a", "/temp") == servers.count("a", "/ok") == 1


def test_permanent_then_temporary_suggests_the_end_of_the_permanent_run(servers: Scenario) -> None:
    verdict = check_one(servers.url("a", "/mixed")).verdict
    assert (verdict.status, verdict.reason) == (Status.REDIRECTED, None)
    assert verdict.final_url == servers.url("a", "/mixed-new-302")
    assert verdict.redirects[-1] == servers.url("a", "/mixed-new")
    assert servers.count("a", "/mixed") == servers.count("a", "/mixed-new") == 1


def test_http_to_https_upgrade_of_the_same_url_is_ok(servers: Scenario, ca_bundle: str) -> None:
    config = dataclasses.replace(FAST, ca_bundle=ca_bundle)
    verdict = check_one(servers.url("a", "/upgrade"), config).verdict
    assert (verdict.status, verdict.reason, verdict.http_status) == (Status.OK, None, 200)
    assert verdict.final_url == servers.url("tls", "/upgrade")
    assert servers.count("a", "/upgrade") == servers.count("tls", "/upgrade") == 1


def test_redirect_loop_is_broken(servers: Scenario) -> None:
    verdict = check_one(servers.url("a", "/loop/a")).verdict
    assert (verdict.status, verdict.reason) == (Status.BROKEN, "redirect-loop")
    assert verdict.redirects == (servers.url("a", "/loop/b"), servers.url("a", "/loop/a"))
    assert verdict.attempts == 2
    assert servers.count("a", "/loop/a") == servers.count("a", "/loop/b") == 1


def test_redirect_to_itself_with_a_cookie_is_no_loop(servers: Scenario) -> None:
    verdict = check_one(servers.url("a", "/cookie")).verdict
    assert (verdict.status, verdict.reason, verdict.http_status) == (Status.OK, None, 200)
    assert verdict.title == "Welcome back"
    assert servers.count("a", "/cookie") == 2


def test_too_many_redirects_is_broken_after_max_redirects_hops(servers: Scenario) -> None:
    config = dataclasses.replace(FAST, max_redirects=4)
    verdict = check_one(servers.url("a", "/many/0"), config).verdict
    assert (verdict.status, verdict.reason) == (Status.BROKEN, "too-many-redirects")
    assert len(verdict.redirects) == 4
    assert verdict.attempts == 5  # the first request and four hops
    assert servers.total("a") == 5
    assert servers.count("a", "/many/5") == 0


def test_deep_link_redirected_to_the_root_is_broken(servers: Scenario) -> None:
    same_host = servers.url("a", "/old/annual-report-2019.pdf")
    other_host = servers.url("a", "/old/elsewhere")
    results = check_all([same_host, other_host])
    for url, root in ((same_host, servers.url("a", "/")), (other_host, servers.url("b", "/"))):
        verdict = results[url].verdict
        assert (verdict.status, verdict.reason, verdict.http_status) == (
            Status.BROKEN,
            "redirect-to-root",
            200,
        )
        assert verdict.final_url == root
    assert servers.count("a", "/") == 1 and servers.count("b", "/") == 1
    assert servers.total() == 4  # the two roots are never probed for soft-404s


def test_redirect_to_an_error_path_is_soft_404(servers: Scenario) -> None:
    verdict = check_one(servers.url("a", "/moved-away")).verdict
    assert (verdict.status, verdict.reason) == (Status.BROKEN, "soft-404")
    assert verdict.final_url == servers.url("a", "/404.html")
    assert servers.count("a", "/moved-away") == servers.count("a", "/404.html") == 1


def test_redirect_to_a_login_page_is_blocked_auth_required(servers: Scenario) -> None:
    verdict = check_one(servers.url("a", "/login-wall")).verdict
    assert (verdict.status, verdict.reason) == (Status.BLOCKED, "auth-required")
    assert servers.count("a", "/login-wall") == servers.count("a", "/login?next=/login-wall") == 1


def test_redirect_to_a_metadata_address_is_not_followed(servers: Scenario) -> None:
    verdict = check_one(servers.url("a", "/to-metadata")).verdict
    assert (verdict.status, verdict.reason) == (Status.SKIPPED, "forbidden-address")
    assert verdict.redirects == ("http://169.254.169.254/latest/meta-data/",)
    assert verdict.attempts == 1
    assert servers.total() == 1


def test_redirect_to_another_scheme_is_not_followed(servers: Scenario) -> None:
    verdict = check_one(servers.url("a", "/to-ftp")).verdict
    assert (verdict.status, verdict.reason) == (Status.SKIPPED, "unsupported-scheme")
    assert verdict.attempts == 1
    assert servers.total() == 1


@pytest.mark.parametrize("path", ["/to-bad-ipv6", "/to-bad-port"])
def test_a_redirect_to_a_malformed_url_is_broken_and_not_retried(
    servers: Scenario, path: str
) -> None:
    # Once "ok, 301 without Location" (the target's host did not parse) or "connection-reset"
    # after every retry (httpx refused the Location while preparing the next request).
    verdict = check_one(servers.url("a", path)).verdict
    assert (verdict.status, verdict.reason) == (Status.BROKEN, "error")
    assert verdict.detail is not None and "redirects to an invalid URL" in verdict.detail
    assert verdict.attempts == 1
    assert servers.count("a", path) == 1
