"""One small connection pool per origin, with proxies taken from the environment.

httpcore scans its whole pool on every request start and every response close. With one pool
for a run (a connection per request in flight, and more), those scans were a quarter of the
checker's CPU. The engine's semaphores already bound the requests to each host, so a pool per
(scheme, host, port) stays as small as that bound, and its scans stay short.

Passing a transport to httpx turns off its own reading of HTTP_PROXY and friends, so this
module reads them itself, the way httpx does: HTTP_PROXY, HTTPS_PROXY, ALL_PROXY (upper or
lower case; a proxy without a scheme is "http://"), and NO_PROXY: a comma list of host names
(each also covers its subdomains), IP addresses or networks ("10.0.0.0/8"), or "*" for all.
"""

from __future__ import annotations

import ipaddress
import ssl
import urllib.request
from collections import OrderedDict
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass

import httpx

ProxyTable = Mapping[str, str]  # "http" / "https" / "all" / "no" → value, as in the environment


def environment_proxies() -> dict[str, str]:
    """The proxy variables of this process, lower-cased keys without "_proxy"."""
    return dict(urllib.request.getproxies_environment())


def bypasses_proxy(host: str, no_proxy: str) -> bool:
    """Does NO_PROXY exempt `host`?"""
    host = host.lower().strip("[]").rstrip(".")
    try:
        address: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.ip_address(host)
    except ValueError:
        address = None
    for entry in (part.strip().lower() for part in no_proxy.split(",")):
        if entry == "*":
            return True
        if not entry:
            continue
        if address is not None:
            try:
                if address in ipaddress.ip_network(entry.strip("[]"), strict=False):
                    return True
            except ValueError:
                pass
            continue
        name = entry.lstrip("*").lstrip(".").rstrip(".")
        if name and (host == name or host.endswith("." + name)):
            return True
    return False


def proxy_for(url: httpx.URL, proxies: ProxyTable) -> str | None:
    """The proxy URL a request to `url` goes through, or None to connect directly."""
    if bypasses_proxy(url.host, proxies.get("no", "")):
        return None
    proxy = proxies.get(url.scheme) or proxies.get("all")
    if not proxy:
        return None
    return proxy if "://" in proxy else f"http://{proxy}"


@dataclass
class _Pool:
    transport: httpx.AsyncHTTPTransport
    in_flight: int = 0  # responses handed out and not yet closed


class _ReleasingStream(httpx.AsyncByteStream):
    """A response body that gives its pool's slot back when it is closed (once)."""

    def __init__(self, stream: httpx.AsyncByteStream, pool: _Pool) -> None:
        self._stream = stream
        self._pool: _Pool | None = pool

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        finally:
            if self._pool is not None:
                self._pool.in_flight -= 1
                self._pool = None


class OriginPools(httpx.AsyncBaseTransport):
    """Routes each request to its origin's own `httpx.AsyncHTTPTransport`.

    At most `max_pools` pools stay open: when a new origin needs one, the least recently used
    pools with nothing in flight are closed first, so a run over thousands of hosts does not
    keep thousands of idle sockets.
    """

    def __init__(
        self,
        *,
        ssl_context: ssl.SSLContext,
        http2: bool,
        per_origin: int,
        max_pools: int,
        proxies: ProxyTable,
    ) -> None:
        self._ssl_context = ssl_context
        self._http2 = http2
        self._limits = httpx.Limits(
            max_connections=per_origin, max_keepalive_connections=per_origin
        )
        self._max_pools = max(1, max_pools)
        self._proxies = dict(proxies)
        self._pools: OrderedDict[tuple[str, str, int | None], _Pool] = OrderedDict()

    @property
    def open_pools(self) -> int:
        return len(self._pools)

    def _open(self, url: httpx.URL) -> _Pool:
        proxy = proxy_for(url, self._proxies)
        return _Pool(
            httpx.AsyncHTTPTransport(
                verify=self._ssl_context,
                http2=self._http2,
                limits=self._limits,
                proxy=httpx.Proxy(proxy) if proxy else None,
            )
        )

    async def _close_idle(self) -> None:
        idle = [key for key, pool in self._pools.items() if pool.in_flight == 0]
        for key in idle[: len(self._pools) - self._max_pools + 1]:
            await self._pools.pop(key).transport.aclose()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        key = (request.url.scheme, request.url.host, request.url.port)
        pool = self._pools.get(key)
        if pool is None:
            if len(self._pools) >= self._max_pools:
                await self._close_idle()
            pool = self._pools[key] = self._open(request.url)
        else:
            self._pools.move_to_end(key)
        pool.in_flight += 1
        try:
            response = await pool.transport.handle_async_request(request)
        except BaseException:
            pool.in_flight -= 1
            raise
        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.stream = _ReleasingStream(response.stream, pool)
        return response

    async def aclose(self) -> None:
        pools = list(self._pools.values())
        self._pools.clear()
        for pool in pools:
            await pool.transport.aclose()
