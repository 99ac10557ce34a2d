"""The checker's per-origin connection pools: proxies from the environment, bounded pools."""

from __future__ import annotations

import asyncio
import dataclasses
import ssl

import httpx
import pytest
from servers.fake_archive import ForwardProxy
from servers.scenario import FAST, Scenario, check_all

from linkcheck.check import make_client
from linkcheck.check.pools import OriginPools, proxy_for
from linkcheck.models import Status

NO_PROBE = dataclasses.replace(FAST, soft404_probe=False)


@pytest.mark.parametrize(
    ("url", "proxies", "expected"),
    [
        ("http://example.org/a", {"http": "http://p:3128"}, "http://p:3128"),
        ("https://example.org/a", {"http": "http://p:3128"}, None),
        ("https://example.org/a", {"https": "http://s:3128"}, "http://s:3128"),
        ("https://example.org/a", {"all": "socks5://s:1080"}, "socks5://s:1080"),
        ("http://example.org/a", {"http": "p:3128"}, "http://p:3128"),  # no scheme: http
        ("http://example.org/a", {"http": "http://p", "no": "example.org"}, None),
        ("http://www.example.org/a", {"http": "http://p", "no": ".example.org"}, None),
        ("http://example.com/a", {"http": "http://p", "no": "example.org"}, "http://p"),
        ("http://anything.test/a", {"http": "http://p", "no": "*"}, None),
        ("http://notexample.org/a", {"http": "http://p", "no": "example.org"}, "http://p"),
        ("http://10.1.2.3/a", {"http": "http://p", "no": "localhost, 10.0.0.0/8"}, None),
        ("http://11.1.2.3/a", {"http": "http://p", "no": "10.0.0.0/8"}, "http://p"),
        ("http://[::1]:8080/a", {"http": "http://p", "no": "::1"}, None),
        ("http://example.org/a", {}, None),
    ],
)
def test_proxy_for_follows_the_environment_rules(
    url: str, proxies: dict[str, str], expected: str | None
) -> None:
    assert proxy_for(httpx.URL(url), proxies) == expected


def test_checks_go_through_http_proxy_unless_no_proxy_says_otherwise(
    servers: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = servers.url("b", "/ok")
    with ForwardProxy() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", "localhost")
        result = check_all([url], NO_PROBE)[url]
        assert result.verdict.status is Status.OK
        assert proxy.forwarded == [url]
        assert servers.total("b") == 1

        monkeypatch.setenv("NO_PROXY", "127.0.0.2")
        result = check_all([url], NO_PROBE)[url]
        assert result.verdict.status is Status.OK
        assert proxy.forwarded == [url]  # straight to the server this time
        assert servers.total("b") == 2


def _pools(max_pools: int) -> OriginPools:
    return OriginPools(
        ssl_context=ssl.create_default_context(),
        http2=False,
        per_origin=2,
        max_pools=max_pools,
        proxies={},
    )


def test_idle_pools_beyond_the_bound_are_closed_and_busy_ones_kept(servers: Scenario) -> None:
    async def main() -> tuple[list[int], bytes]:
        transport = _pools(max_pools=1)
        open_counts = []
        async with httpx.AsyncClient(transport=transport) as client:
            async with client.stream("GET", servers.url("a", "/ok")) as held:
                open_counts.append(transport.open_pools)
                # a's response is still open: its pool must survive the other origins.
                for name in ("b", "c"):
                    response = await client.get(servers.url(name, "/ok"))
                    assert response.status_code == 200
                    open_counts.append(transport.open_pools)
                body = await held.aread()
            await client.get(servers.url("b", "/ok"))
            open_counts.append(transport.open_pools)
        return open_counts, body

    open_counts, body = asyncio.run(main())
    assert body  # the held response was still readable after the others came and went
    # a (held) + b; then b (idle) is closed for c; then a and c (both idle) make way for b.
    assert open_counts == [1, 2, 2, 1]


def test_one_origin_reuses_its_connections(servers: Scenario) -> None:
    async def main() -> None:
        async with make_client(NO_PROBE, proxies={}) as client:
            for _ in range(5):
                response = await client.get(servers.url("c", "/ok"))
                assert response.status_code == 200

    asyncio.run(main())
    assert servers.total("c") == 5
    assert servers.connections("c") == 1


def test_a_tls_context_that_cannot_be_made_fails_https_once_and_never_plain_http(
    servers: Scenario,
) -> None:
    # The bundle vanished after the run's checks of it: HTTPS connections fail (each a TLS
    # failure, the context tried once), and plain HTTP, direct or through a proxy, is not
    # held back by a context it does not use.
    tries: list[str] = []

    def vanished() -> ssl.SSLContext:
        tries.append("made")
        raise FileNotFoundError(2, "No such file or directory")

    async def main(proxy_url: str) -> tuple[list[int], list[str]]:
        transport = OriginPools(
            ssl_context=vanished,
            http2=False,
            per_origin=2,
            max_pools=8,
            proxies={"http": proxy_url, "no": "127.0.0.1"},
        )
        statuses, failures = [], []
        async with httpx.AsyncClient(transport=transport, timeout=5) as client:
            for url in (servers.url("a", "/ok"), servers.url("b", "/ok")):  # direct, proxied
                statuses.append((await client.get(url)).status_code)
            for _ in range(2):
                with pytest.raises(OSError) as raised:  # (the engine makes it a verdict)
                    await client.get(servers.url("tls", "/ok"))
                failures.append(type(raised.value).__name__)
        return statuses, failures

    with ForwardProxy() as proxy:
        statuses, failures = asyncio.run(main(proxy.url))
        assert proxy.forwarded == [servers.url("b", "/ok")]
    assert statuses == [200, 200]
    assert failures == ["FileNotFoundError"] * 2
    assert tries == ["made"]
