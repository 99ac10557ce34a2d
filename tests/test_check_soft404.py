"""Soft-404s (by the page's words, by the random-path probe) and #fragments."""

from __future__ import annotations

import dataclasses
import re

from servers.scenario import FAST, Scenario, check_all, check_one

from linkcheck.models import Status

PROBE = re.compile(r"^/[a-z]{25}$")


def probes(servers: Scenario, listener: str) -> int:
    return sum(1 for seen in servers.seen(listener) if PROBE.match(seen.target))


def test_soft_404_by_english_title(servers: Scenario) -> None:
    verdict = check_one(servers.url("a", "/soft-en")).verdict
    assert (verdict.status, verdict.reason, verdict.http_status) == (Status.BROKEN, "soft-404", 200)
    assert verdict.title == "Page Not Found | Ministry of Examples"
    assert servers.count("a", "/soft-en") == 1
    assert probes(servers, "a") == 0  # the title settled it: no probe needed


def test_soft_404_by_spanish_title_in_latin_1(servers: Scenario) -> None:
    result = check_one(servers.url("a", "/soft-es"))
    verdict = result.verdict
    assert (verdict.status, verdict.reason) == (Status.BROKEN, "soft-404")
    assert verdict.title == "Página no encontrada - Secretaría"
    assert result.body is None and result.charset is None  # no claim is supported by it
    assert servers.count("a", "/soft-es") == 1


def test_live_latin_1_page_keeps_its_body_and_charset(servers: Scenario) -> None:
    result = check_one(servers.url("a", "/latin1"))
    assert (result.verdict.status, result.verdict.reason) == (Status.OK, None)
    assert result.verdict.title == "Informe anual de la Secretaría"
    assert result.charset == "iso-8859-1"
    assert result.body is not None and "Años".encode("iso-8859-1") in result.body
    assert servers.count("a", "/latin1") == 1


def test_soft_404_by_spanish_heading(servers: Scenario) -> None:
    verdict = check_one(servers.url("a", "/soft-es-h1")).verdict
    assert (verdict.status, verdict.reason) == (Status.BROKEN, "soft-404")
    assert verdict.title == "Secretaría de Ejemplos"
    assert servers.count("a", "/soft-es-h1") == 1


def test_catch_all_host_is_soft_404_by_one_probe_per_host(servers: Scenario) -> None:
    urls = [servers.url("catchall", p) for p in ("/reports/2019.html", "/a/b/c", "/data?id=7")]
    results = check_all(urls)
    for url in urls:
        verdict = results[url].verdict
        assert (verdict.status, verdict.reason, verdict.http_status) == (
            Status.BROKEN,
            "soft-404",
            200,
        )
        assert verdict.attempts == 1  # the shared probe is not this URL's request
    assert probes(servers, "catchall") == 1
    assert servers.total("catchall") == len(urls) + 1


def test_root_url_is_never_probed_nor_soft_404(servers: Scenario) -> None:
    verdict = check_one(servers.url("catchall", "/")).verdict
    assert (verdict.status, verdict.reason) == (Status.OK, None)
    assert servers.total("catchall") == 1


def test_honest_host_answers_404_to_the_probe(servers: Scenario) -> None:
    verdict = check_one(servers.url("c", "/ok")).verdict
    assert (verdict.status, verdict.reason) == (Status.OK, None)
    assert probes(servers, "c") == 1
    assert servers.total("c") == 2


def test_probe_can_be_turned_off(servers: Scenario) -> None:
    config = dataclasses.replace(FAST, soft404_probe=False)
    verdict = check_one(servers.url("catchall", "/reports/2019.html"), config).verdict
    assert (verdict.status, verdict.reason) == (Status.OK, None)
    assert servers.total("catchall") == 1


def test_fragment_present_missing_and_not_checked(servers: Scenario) -> None:
    base = servers.url("a", "/anchors")
    present, by_name, missing = base + "#findings", base + "#annex-2", base + "#nowhere"
    text_fragment, app_route = base + "#:~:text=annual", base + "#/route/7"
    urls = [present, by_name, missing, text_fragment, app_route]
    results = check_all(urls)
    for url in (present, by_name, text_fragment, app_route):
        assert (results[url].verdict.status, results[url].verdict.reason) == (Status.OK, None)
    verdict = results[missing].verdict
    assert (verdict.status, verdict.reason) == (Status.OK, "fragment-missing")
    assert verdict.detail is not None and "#nowhere" in verdict.detail
    # The fragment is not sent: five URLs of one page cost one GET.
    assert servers.count("a", "/anchors") == 1


def test_fragments_are_not_checked_in_pdfs_or_when_disabled(servers: Scenario) -> None:
    pdf = servers.url("a", "/paper.pdf#page=2")
    verdict = check_one(pdf).verdict
    assert (verdict.status, verdict.reason, verdict.content_type) == (
        Status.OK,
        None,
        "application/pdf",
    )
    servers.reset()
    config = dataclasses.replace(FAST, check_fragments=False)
    verdict = check_one(servers.url("a", "/anchors#nowhere"), config).verdict
    assert (verdict.status, verdict.reason) == (Status.OK, None)
    assert servers.count("a", "/anchors") == 1
