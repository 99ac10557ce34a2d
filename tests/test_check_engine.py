"""The engine: one fetch per unique URL, streaming results, politeness, no escaping errors."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import itertools
import socket
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from servers.scenario import FAST, Scenario, check_all, paced

from linkcheck.check import CheckConfig, CheckResult, check_url, check_urls, make_client
from linkcheck.check import engine as engine_module
from linkcheck.check import network_unreachable as offline
from linkcheck.models import Status, Verdict


def test_same_url_five_times_is_one_request_and_one_result(servers: Scenario) -> None:
    url = servers.url("a", "/ok")
    results = check_all([url] * 5)
    assert list(results) == [url]
    assert results[url].verdict.status is Status.OK
    assert servers.count("a", "/ok") == 1


def test_urls_differing_by_fragment_share_one_in_flight_request(servers: Scenario) -> None:
    urls = [servers.url("a", "/slow?s=0.3") + f"#part-{i}" for i in range(4)]
    results = check_all(urls)
    assert set(results) == set(urls)
    assert all(r.verdict.status is Status.OK for r in results.values())
    assert servers.count("a", "/slow?s=0.3") == 1


def test_a_page_cited_bare_first_still_has_its_anchors_for_later_fragments(
    servers: Scenario,
) -> None:
    # The shared fetch starts for the bare URL; the ids must be read for the fragments after it.
    page = servers.url("b", "/anchors")
    results = check_all([page, page + "#findings", page + "#annex-2", page + "#nope"])
    reasons = {url.partition("#")[2]: r.verdict.reason for url, r in results.items()}
    assert reasons == {"": None, "findings": None, "annex-2": None, "nope": "fragment-missing"}
    assert servers.count("b", "/anchors") == 1


def test_results_stream_as_they_finish(servers: Scenario) -> None:
    slow, fast = servers.url("a", "/slow?s=1.0"), servers.url("b", "/ok")

    async def main() -> list[tuple[str, float]]:
        arrivals: list[tuple[str, float]] = []
        started = time.monotonic()
        async with make_client(FAST) as client:
            async for result in check_urls([slow, fast], client, FAST):
                arrivals.append((result.url, time.monotonic() - started))
        return arrivals

    arrivals = asyncio.run(main())
    assert [url for url, _ in arrivals] == [fast, slow]
    assert arrivals[0][1] < 0.7  # the fast result did not wait for the slow one
    assert arrivals[1][1] >= 1.0
    assert servers.count("a", "/slow?s=1.0") == servers.count("b", "/ok") == 1


def test_per_host_interval_spaces_request_starts(servers: Scenario) -> None:
    config = dataclasses.replace(FAST, host_concurrency=1, host_interval=0.2, soft404_probe=False)
    urls = [servers.url("c", f"/ok?n={i}") for i in range(5)] + [servers.url("b", "/ok")]
    results = check_all(urls, config)
    assert all((r.verdict.status, r.verdict.reason) == (Status.OK, None) for r in results.values())
    starts = sorted(seen.at for seen in servers.seen("c"))
    assert len(starts) == 5
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    # The client spaces its starts exactly; the server sees the first request late by the TCP
    # connect (the others reuse the connection), so that one gap gets a looser bound.
    assert gaps[0] >= 0.12, gaps
    assert min(gaps[1:]) >= 0.18, gaps
    assert starts[-1] - starts[0] >= 4 * 0.2 - 0.05
    # Another host is not held back by host c's pacing.
    assert servers.seen("b")[0].at - starts[0] < 0.15
    assert servers.total("b") == 1


def test_host_concurrency_one_serialises_a_host(servers: Scenario) -> None:
    config = dataclasses.replace(FAST, host_concurrency=1, soft404_probe=False)
    urls = [servers.url("c", f"/slow?s=0.2&n={i}") for i in range(3)]
    started = time.monotonic()
    results = check_all(urls, config)
    assert time.monotonic() - started >= 0.6
    assert all((r.verdict.status, r.verdict.reason) == (Status.OK, None) for r in results.values())
    assert servers.total("c") == 3


def test_global_concurrency_caps_requests_in_flight(servers: Scenario) -> None:
    config = dataclasses.replace(FAST, concurrency=1, soft404_probe=False)
    urls = [servers.url(name, "/slow?s=0.2") for name in ("a", "b", "c")]
    started = time.monotonic()
    results = check_all(urls, config)
    assert time.monotonic() - started >= 0.6
    assert all((r.verdict.status, r.verdict.reason) == (Status.OK, None) for r in results.values())
    assert servers.total() == 3


def test_a_long_queue_for_one_host_does_not_hold_back_another(servers: Scenario) -> None:
    # 40 slow pages on host c, cited first, and one page on host b cited last: b is asked at
    # once, not after c's queue (which takes 40 x 0.2 s / 2 = 4 s) has drained.
    config = dataclasses.replace(FAST, concurrency=4, host_concurrency=2, soft404_probe=False)
    urls = [servers.url("c", f"/slow?s=0.2&n={i}") for i in range(40)] + [servers.url("b", "/ok")]
    results = check_all(urls, config)
    assert all((r.verdict.status, r.verdict.reason) == (Status.OK, None) for r in results.values())
    first_c = min(seen.at for seen in servers.seen("c"))
    assert servers.seen("b")[0].at - first_c < 0.5
    assert servers.total("c") == 40


def test_checks_start_as_room_frees_up_not_all_at_once(servers: Scenario) -> None:
    # Every waiting check used to be a task from the start: 10,000 links, 10,000 tasks.
    config = dataclasses.replace(FAST, concurrency=4, host_concurrency=2, soft404_probe=False)
    urls = [servers.url(name, f"/ok?n={i}") for i in range(100) for name in ("a", "b")]

    async def main() -> tuple[int, int]:
        most = 0
        count = 0
        async with make_client(config) as client:
            async for _ in check_urls(urls, client, config):
                count += 1
                most = max(most, len(asyncio.all_tasks()))
        return count, most

    count, most = asyncio.run(main())
    assert count == 200
    # The checks in the window (2 x concurrency), each with its shared fetch and address
    # lookup, and this coroutine: far fewer than 200.
    assert most <= 3 * 2 * config.concurrency + 1, most


def test_stopping_early_cancels_the_rest(servers: Scenario) -> None:
    urls = [servers.url("b", "/ok"), servers.url("a", "/hang?s=3")]

    async def main() -> tuple[CheckResult, float]:
        async with make_client(FAST) as client:
            async with contextlib.aclosing(check_urls(urls, client, FAST)) as results:
                first = await anext(results)
            return first, time.monotonic()  # the hanging check is already cancelled here

    started = time.monotonic()
    first, closed = asyncio.run(main())
    assert first.url == urls[0]
    assert closed - started < 1.0
    assert servers.count("a", "/hang?s=3") == 1


def test_checked_responses_are_freed_without_the_cyclic_collector(servers: Scenario) -> None:
    # httpx's response and its stream refer to each other: left so, every response (with its
    # request and headers) waits for a collection, which pauses the loop for milliseconds.
    urls = [servers.url("a", f"/ok?n={i}") for i in range(20)]
    urls += [servers.url("b", "/chain/1"), servers.url("b", "/gone"), servers.url("b", "/anchors")]

    async def main() -> list[object]:
        async with make_client(FAST) as client:
            gc.collect()
            gc.disable()
            gc.set_debug(gc.DEBUG_SAVEALL)
            try:
                results = [r async for r in check_urls(urls, client, FAST)]
                assert len(results) == len(urls)
                gc.collect()
                return [o for o in gc.garbage if isinstance(o, httpx.Response | httpx.Request)]
            finally:
                gc.set_debug(0)
                gc.garbage.clear()
                gc.enable()

    assert asyncio.run(main()) == []


def test_no_exception_escapes_even_with_a_closed_client(servers: Scenario) -> None:
    async def main() -> list[CheckResult]:
        client = make_client(FAST)
        await client.aclose()
        return [r async for r in check_urls([servers.url("a", "/ok")], client, FAST)]

    [result] = asyncio.run(main())
    assert (result.verdict.status, result.verdict.reason) == (Status.UNREACHABLE, "error")
    assert result.verdict.detail
    assert servers.total() == 0


def test_check_url_checks_one(servers: Scenario) -> None:
    async def main() -> CheckResult:
        async with make_client(FAST) as client:
            return await check_url(servers.url("a", "/gone"), client, FAST)

    result = asyncio.run(main())
    assert (result.verdict.status, result.verdict.reason) == (Status.BROKEN, "http-410")
    assert servers.count("a", "/gone") == 1


def test_network_unreachable_on_real_failures(servers: Scenario) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        refused = f"http://127.0.0.1:{sock.getsockname()[1]}/"
    dns = ["http://nonexistent.invalid/a", "https://also-missing.invalid/b"]
    only_dns = check_all([*dns, "mailto:x@example.org"])
    assert offline(r.verdict for r in only_dns.values())
    with_refused = check_all([*dns, refused])
    assert not offline(r.verdict for r in with_refused.values())
    with_http = check_all([*dns, servers.url("a", "/missing")])
    assert not offline(r.verdict for r in with_http.values())
    assert servers.total() == 1


def test_network_unreachable_rules() -> None:
    dns = Verdict(Status.UNREACHABLE, "dns")
    no_route = Verdict(Status.UNREACHABLE, "unreachable-network")
    skipped = Verdict(Status.SKIPPED, "excluded")
    assert offline([dns, no_route, skipped])
    assert not offline([])
    assert not offline([skipped])
    assert not offline([dns, Verdict(Status.UNREACHABLE, "refused")])
    assert not offline([dns, Verdict(Status.UNREACHABLE, "timeout")])
    assert not offline([dns, Verdict(Status.BROKEN, "http-404", http_status=404)])
    # Connections that never came up: offline across several URLs, one firewalled host alone not.
    stalled = Verdict(Status.UNREACHABLE, "connect-timeout")
    assert offline([stalled, stalled, stalled])
    assert offline([dns, stalled])
    assert not offline([stalled])
    assert not offline([stalled, stalled, Verdict(Status.UNREACHABLE, "timeout")])
    # A redirect was an HTTP answer, even if its target then failed to resolve.
    assert not offline([dns, Verdict(Status.UNREACHABLE, "dns", redirects=("http://x.invalid/",))])


def test_default_config_is_for_the_real_internet() -> None:
    config = CheckConfig()
    assert (config.timeout, config.concurrency, config.host_concurrency) == (20.0, 32, 2)
    assert (config.retries, config.max_redirects, config.max_body_bytes) == (3, 10, 1_000_000)
    assert config.user_agent.startswith("linkcheck/")
    assert "https://github.com/linkcheck-dev/linkcheck" in config.user_agent


def test_a_priority_slot_skips_the_hosts_queue_but_not_the_global_cap() -> None:
    from linkcheck.check.hosts import Limits

    async def scenario() -> list[str]:
        limits = Limits(concurrency=3, host_concurrency=1, host_interval=0.0)
        order: list[str] = []

        async def request(name: str, priority: bool = False) -> None:
            async with limits.slot("a.example", priority=priority):
                order.append(name)
                await asyncio.sleep(0.05)

        first = asyncio.create_task(request("page-1"))
        await asyncio.sleep(0.01)  # page-1 holds the host's only slot
        queued = [asyncio.create_task(request(f"page-{n}")) for n in (2, 3)]
        await asyncio.sleep(0.01)
        probe = asyncio.create_task(request("probe", priority=True))
        await asyncio.gather(first, *queued, probe)
        return order

    assert asyncio.run(scenario()) == ["page-1", "probe", "page-2", "page-3"]


def _check_fed(
    first: list[str], batches: list[list[str]], config: CheckConfig = FAST, pause: float = 0.3
) -> list[CheckResult]:
    """Check `first`, then each of `batches` fed `pause` seconds apart (the documents are
    still being read), as `check_urls(..., more=...)` does."""

    async def main() -> list[CheckResult]:
        more = paced(batches, pause)
        async with make_client(config) as client:
            return [result async for result in check_urls(first, client, config, more=more)]

    return asyncio.run(main())


def test_urls_fed_while_checking_are_each_checked_once(servers: Scenario) -> None:
    ok, gone, slow = (
        servers.url("a", "/ok"),
        servers.url("b", "/gone"),
        servers.url("a", "/slow?s=0.2"),
    )
    results = _check_fed([ok], [[gone, ok], [], [slow, gone]])
    assert sorted(r.url for r in results) == sorted([ok, gone, slow])  # one result per URL
    statuses = {r.url: r.verdict.status for r in results}
    assert statuses == {ok: Status.OK, gone: Status.BROKEN, slow: Status.OK}
    assert servers.count("a", "/ok") == servers.count("b", "/gone") == 1
    assert servers.count("a", "/slow?s=0.2") == 1


def test_a_fragment_fed_after_its_page_was_checked_reuses_the_get_and_reads_its_ids(
    servers: Scenario,
) -> None:
    # "/anchors" is answered and released before its fragments arrive: the page is kept while
    # URLs may still come, and its ids are read from the kept body (it was fetched without).
    page = servers.url("b", "/anchors")
    results = _check_fed([page], [[page + "#findings"], [page + "#nope", page + "#annex-2"]])
    reasons = {r.url.partition("#")[2]: r.verdict.reason for r in results}
    assert reasons == {"": None, "findings": None, "annex-2": None, "nope": "fragment-missing"}
    assert servers.count("b", "/anchors") == 1


def test_a_page_kept_while_feeding_is_dropped_beyond_the_byte_cap(
    servers: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With no room to keep pages, a fragment arriving late costs a second GET, and is still
    # judged right.
    monkeypatch.setattr(engine_module, "KEPT_WHILE_FEEDING_BYTES", 0)
    page = servers.url("b", "/anchors")
    results = _check_fed([page], [[page + "#findings", page + "#nope"]])
    reasons = {r.url.partition("#")[2]: r.verdict.reason for r in results}
    assert reasons == {"": None, "findings": None, "nope": "fragment-missing"}
    assert servers.count("b", "/anchors") == 2


def test_a_feed_that_fails_still_ends_the_run_with_its_error(servers: Scenario) -> None:
    ok = servers.url("a", "/ok")

    async def more() -> AsyncIterator[list[str]]:
        yield [ok]
        raise RuntimeError("reading broke")

    async def main() -> list[str]:
        seen: list[str] = []
        async with make_client(FAST) as client:
            with pytest.raises(RuntimeError, match="reading broke"):
                async for result in check_urls([], client, FAST, more=more()):
                    seen.append(result.url)
        return seen

    assert asyncio.run(asyncio.wait_for(main(), 10)) == [ok]


def test_fragments_arriving_while_their_page_is_fetched_without_ids_each_get_the_ids(
    servers: Scenario,
) -> None:
    # The page's GET starts for the bare URL (no ids read); two fragments join it in flight
    # and both must be checked against the ids read afterwards from the body.
    page = servers.url("b", "/anchors?s=0.5")
    results = _check_fed(
        [page], [[page + "#findings", page + "#annex-2", page + "#nope"]], pause=0.1
    )
    reasons = {r.url.partition("#")[2]: r.verdict.reason for r in results}
    assert reasons == {"": None, "findings": None, "annex-2": None, "nope": "fragment-missing"}
    assert servers.count("b", "/anchors?s=0.5") == 1
