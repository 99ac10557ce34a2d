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

import contextlib
import copy
import ipaddress
import ssl
import urllib.request
from collections import OrderedDict
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TypedDict

import httpcore
import httpx

from linkcheck.check.connections import Head, OriginConnections
from linkcheck.check.network import AddressRule, AsyncioBackend

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


# httpcore's exceptions as httpx's own, most specific first (looked up along the MRO).
_HTTPX_ERRORS: dict[type[Exception], type[httpx.TransportError]] = {
    httpcore.TimeoutException: httpx.TimeoutException,
    httpcore.ConnectTimeout: httpx.ConnectTimeout,
    httpcore.ReadTimeout: httpx.ReadTimeout,
    httpcore.WriteTimeout: httpx.WriteTimeout,
    httpcore.PoolTimeout: httpx.PoolTimeout,
    # An HTTP/2 connection that said GOAWAY while a request was being placed on it.
    httpcore.ConnectionNotAvailable: httpx.RemoteProtocolError,
    httpcore.NetworkError: httpx.NetworkError,
    httpcore.ConnectError: httpx.ConnectError,
    httpcore.ReadError: httpx.ReadError,
    httpcore.WriteError: httpx.WriteError,
    httpcore.ProxyError: httpx.ProxyError,
    httpcore.UnsupportedProtocol: httpx.UnsupportedProtocol,
    httpcore.ProtocolError: httpx.ProtocolError,
    httpcore.LocalProtocolError: httpx.LocalProtocolError,
    httpcore.RemoteProtocolError: httpx.RemoteProtocolError,
}


@contextlib.contextmanager
def _as_httpx_errors() -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        for kind in type(exc).__mro__:
            mapped = _HTTPX_ERRORS.get(kind)
            if mapped is not None:
                raise mapped(str(exc)) from exc
        raise


def _core_url(url: httpx.URL) -> httpcore.URL:
    return httpcore.URL(
        scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path
    )


class _PoolOptions(TypedDict):
    ssl_context: ssl.SSLContext | None
    max_connections: int
    max_keepalive_connections: int
    http2: bool
    network_backend: httpcore.AsyncNetworkBackend


@dataclass
class _Pool:
    connections: OriginConnections | httpcore.AsyncConnectionPool  # direct | via a proxy
    in_flight: int = 0  # responses handed out and not yet closed


class _ResponseStream(httpx.AsyncByteStream):
    """A response body: httpcore's errors as httpx's, and the pool's slot given back when it is
    closed (once)."""

    def __init__(self, stream: AsyncIterable[bytes], pool: _Pool) -> None:
        self._stream = stream
        self._pool: _Pool | None = pool

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _as_httpx_errors():
            async for chunk in self._stream:
                yield chunk

    async def aclose(self) -> None:
        try:
            close = getattr(self._stream, "aclose", None)
            if close is not None:
                with _as_httpx_errors():
                    await close()
        finally:
            if self._pool is not None:
                self._pool.in_flight -= 1
                self._pool = None


class _TlsContext:
    """The run's TLS context. Given as a function, it is made when the first HTTPS origin
    (direct or through a proxy) needs it: loading a CA bundle is 20-40 ms that each checking
    process would otherwise spend before its first request, and a run over plain HTTP never
    needs it."""

    def __init__(
        self, context: ssl.SSLContext | Callable[[], ssl.SSLContext], alpn: list[str]
    ) -> None:
        self._make = context if callable(context) else lambda: context
        self._alpn = alpn
        self._context: ssl.SSLContext | Exception | None = None

    def get(self) -> ssl.SSLContext:
        if self._context is None:
            try:
                context = self._make()
                context.set_alpn_protocols(self._alpn)
            except Exception as error:  # (a bundle gone since it was checked) once, not per use
                self._context = error
            else:
                self._context = context
        if isinstance(self._context, Exception):
            # A copy each time: one instance raised again and again would grow its traceback.
            raise copy.copy(self._context).with_traceback(None)
        return self._context


class OriginPools(httpx.AsyncBaseTransport):
    """Routes each request to its origin's own httpcore connection pool (direct, or through
    the proxy the environment names for it), on asyncio's own streams (`network.py`).

    At most `max_pools` pools stay open: when a new origin needs one, the least recently used
    pools with nothing in flight are closed first, so a run over thousands of hosts does not
    keep thousands of idle sockets.

    `address_rule` is applied to every address connected to directly; a proxy, being the
    user's own setting, is exempt (it resolves the origin itself).
    """

    def __init__(
        self,
        *,
        ssl_context: ssl.SSLContext | Callable[[], ssl.SSLContext],
        http2: bool,
        per_origin: int,
        max_pools: int,
        proxies: ProxyTable,
        address_rule: AddressRule | None = None,
    ) -> None:
        # Offered to every HTTPS server; httpcore sets the same list for its connections.
        self._tls = _TlsContext(ssl_context, ["http/1.1", "h2"] if http2 else ["http/1.1"])
        self._http2 = http2
        self._per_origin = per_origin
        self._max_pools = max(1, max_pools)
        self._proxies = dict(proxies)
        self._direct = AsyncioBackend(address_rule)
        self._to_proxy = AsyncioBackend()
        self._pools: OrderedDict[tuple[str, str, int | None], _Pool] = OrderedDict()

    @property
    def open_pools(self) -> int:
        return len(self._pools)

    def _open(self, url: httpx.URL) -> _Pool:
        proxy = proxy_for(url, self._proxies)
        if proxy is None:
            if url.scheme not in ("http", "https"):
                raise httpcore.UnsupportedProtocol(f"unsupported URL scheme {url.scheme!r}")
            port = url.port or (443 if url.scheme == "https" else 80)
            origin = httpcore.Origin(url.raw_scheme, url.raw_host, port)
            return _Pool(OriginConnections(origin, self._direct, self._tls.get, self._per_origin))
        options = _PoolOptions(
            # (A plain-HTTP origin's pool makes no TLS connection to it, through a proxy either.)
            ssl_context=self._tls.get() if url.scheme == "https" else None,
            max_connections=self._per_origin,
            max_keepalive_connections=self._per_origin,
            http2=self._http2,
            network_backend=self._to_proxy,
        )
        via = httpx.Proxy(proxy)
        if via.url.scheme in ("socks5", "socks5h"):  # needs httpx[socks] (socksio)
            return _Pool(
                httpcore.AsyncSOCKSProxy(
                    proxy_url=_core_url(via.url), proxy_auth=via.raw_auth, **options
                )
            )
        return _Pool(
            httpcore.AsyncHTTPProxy(
                proxy_url=_core_url(via.url),
                proxy_auth=via.raw_auth,
                proxy_headers=via.headers.raw,
                proxy_ssl_context=via.ssl_context,
                **options,
            )
        )

    async def _close_idle(self) -> None:
        idle = [key for key, pool in self._pools.items() if pool.in_flight == 0]
        for key in idle[: len(self._pools) - self._max_pools + 1]:
            await self._pools.pop(key).connections.aclose()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        key = (url.scheme, url.host, url.port)
        pool = self._pools.get(key)
        if pool is None:
            if len(self._pools) >= self._max_pools:
                await self._close_idle()
            with _as_httpx_errors():
                pool = self._pools[key] = self._open(url)
        else:
            self._pools.move_to_end(key)
        pool.in_flight += 1
        try:
            with _as_httpx_errors():
                head = await self._send(pool.connections, request)
        except BaseException:
            pool.in_flight -= 1
            raise
        return httpx.Response(
            status_code=head.status,
            headers=head.headers,
            stream=_ResponseStream(head.body, pool),
            extensions=head.extensions,
        )

    @staticmethod
    async def _send(
        connections: OriginConnections | httpcore.AsyncConnectionPool, request: httpx.Request
    ) -> Head:
        if isinstance(connections, OriginConnections):
            return await connections.send(request)
        assert isinstance(request.stream, httpx.AsyncByteStream)
        core_request = httpcore.Request(
            method=request.method,
            url=_core_url(request.url),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        return Head.of(await connections.handle_async_request(core_request))

    async def aclose(self) -> None:
        pools = list(self._pools.values())
        self._pools.clear()
        for pool in pools:
            await pool.connections.aclose()
