"""One origin's direct connections: HTTP/1.1 on h11, HTTP/2 where the server picks it.

httpcore's pool guards every request with anyio locks, events and cancel-shield scopes, and
asks sniffio which event loop is running each time it makes one; in a 10,000-link run that
bookkeeping was about a fifth of a checking process's CPU. A link checker needs less: one
request at a time on an HTTP/1.1 connection, connections reused newest first, a connection
whose response was cut short closed rather than drained. h11 does the protocol, as it does
inside httpcore. An HTTPS server that picks HTTP/2 (ALPN) gets httpcore's own HTTP/2
connection on the same socket, shared by the origin's requests while it has room.

Errors are httpcore's (the network layer's, `network.py`, and h11's mapped to them), so the
caller maps them to httpx's as for any httpcore pool.
"""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterator,
    MutableMapping,
)
from dataclasses import dataclass
from typing import Any

import h11
import httpcore
import httpx

from linkcheck.check.network import AsyncioBackend

READ_SIZE = 64 * 1024
_SAFE = ("GET", "HEAD")  # requests sent again when a kept connection turns out to be gone
_DROPPED = (httpcore.ReadError, httpcore.WriteError, httpcore.RemoteProtocolError)
HEAD_LIMIT = 100 * 1024  # response head size h11 accepts, as httpcore allows
Trace = Callable[[str, dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class Head:
    """A response as far as its head, its body still to be read (and closed) from `body`.
    `extensions` as httpcore gives them: http_version, reason_phrase, network_stream."""

    status: int
    headers: list[tuple[bytes, bytes]]
    body: AsyncIterable[bytes]
    extensions: MutableMapping[str, Any]

    @classmethod
    def of(cls, response: httpcore.Response) -> Head:
        assert isinstance(response.stream, AsyncIterable)
        return cls(response.status, response.headers, response.stream, response.extensions)


@contextlib.contextmanager
def _protocol_errors() -> Iterator[None]:
    try:
        yield
    except h11.ProtocolError as exc:
        raise _as_httpcore(exc) from exc


def _as_httpcore(exc: h11.ProtocolError) -> httpcore.ProtocolError:
    if isinstance(exc, h11.RemoteProtocolError):
        return httpcore.RemoteProtocolError(str(exc))
    return httpcore.LocalProtocolError(str(exc))


class _Http11:
    """One HTTP/1.1 connection, one exchange at a time."""

    def __init__(self, stream: httpcore.AsyncNetworkStream) -> None:
        self.stream = stream
        self.protocol = h11.Connection(h11.CLIENT, max_incomplete_event_size=HEAD_LIMIT)
        self.received = False  # any byte of the current response

    def is_reusable(self) -> bool:
        """Idle, and the server has neither closed it nor sent anything unasked."""
        return self.protocol.our_state is h11.IDLE and not self.stream.get_extra_info("is_readable")

    async def send(self, request: httpx.Request, timeouts: dict[str, float | None]) -> None:
        protocol = self.protocol
        self.received = False
        with _protocol_errors():
            head = protocol.send(
                h11.Request(
                    method=request.method,
                    target=request.url.raw_path,
                    headers=request.headers.raw,
                )
            )
            assert head is not None
            headers = request.headers
            if "content-length" not in headers and "transfer-encoding" not in headers:
                # No body: the head and its end go out in one write.
                await self.stream.write(
                    head + (protocol.send(h11.EndOfMessage()) or b""), timeouts.get("write")
                )
                return
            await self.stream.write(head, timeouts.get("write"))
            assert isinstance(request.stream, httpx.AsyncByteStream)
            async for chunk in request.stream:
                await self.stream.write(
                    protocol.send(h11.Data(data=chunk)) or b"", timeouts.get("write")
                )
            await self.stream.write(protocol.send(h11.EndOfMessage()) or b"", timeouts.get("write"))

    async def next_event(self, timeout: float | None) -> h11.Event | type[h11.PAUSED]:
        # (h11's errors are caught here rather than with `_protocol_errors`: a response takes
        # several turns of this loop, and a generator-based context manager a few microseconds.)
        protocol = self.protocol
        try:
            while True:
                event = protocol.next_event()
                if event is not h11.NEED_DATA:
                    return event  # type: ignore[return-value]  # NEED_DATA is handled here
                data = await self.stream.read(READ_SIZE, timeout)
                if not data and protocol.their_state is h11.SEND_RESPONSE:
                    raise httpcore.RemoteProtocolError(
                        "Server disconnected without sending a response."
                    )
                self.received = self.received or bool(data)
                protocol.receive_data(data)
        except h11.ProtocolError as exc:
            raise _as_httpcore(exc) from exc

    def ends_in_buffer(self) -> bool:
        """Is the rest of the current response already received? (Then the connection can
        be reused although its reader stopped early: only what is here is passed over.)"""
        try:
            while True:
                event = self.protocol.next_event()
                if isinstance(event, h11.EndOfMessage):
                    return True
                if not isinstance(event, h11.Data):  # NEED_DATA, PAUSED, or a closed one
                    return False
        except h11.RemoteProtocolError:
            return False

    async def response_head(self, timeout: float | None) -> h11.Response:
        while True:
            event = await self.next_event(timeout)
            if isinstance(event, h11.Response):
                return event
            if not isinstance(event, h11.InformationalResponse):  # 1xx: wait for the answer
                raise httpcore.RemoteProtocolError(f"unexpected {type(event).__name__}")


class _Body(httpx.AsyncByteStream):
    """An HTTP/1.1 response body. When it was read to its end, closing it gives the
    connection back for the next request; a body cut short closes the connection instead."""

    def __init__(
        self, connection: _Http11, owner: OriginConnections, read_timeout: float | None
    ) -> None:
        self._connection: _Http11 | None = connection
        self._owner = owner
        self._read_timeout = read_timeout
        self._complete = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        connection = self._connection
        if connection is None or self._complete:
            return
        while True:
            event = await connection.next_event(self._read_timeout)
            if isinstance(event, h11.Data):
                yield bytes(event.data)
            elif isinstance(event, h11.EndOfMessage):
                self._complete = True
                return
            else:
                raise httpcore.RemoteProtocolError(f"unexpected {type(event).__name__}")

    async def aclose(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            reusable = self._complete or connection.ends_in_buffer()
            await self._owner.release(connection, reusable=reusable)


class OriginConnections:
    """The direct connections to one origin (scheme, host, port)."""

    def __init__(
        self,
        origin: httpcore.Origin,
        backend: AsyncioBackend,
        ssl_context: Callable[[], ssl.SSLContext],
        keep_idle: int,
    ) -> None:
        self._origin = origin
        self._backend = backend
        self._ssl_context = ssl_context  # (made on first use) its ALPN list offers HTTP/2 or not
        self._keep_idle = keep_idle
        self._idle: list[_Http11] = []  # newest last
        self._http2: list[httpcore.AsyncHTTP2Connection] = []
        self._closed = False

    async def send(self, request: httpx.Request) -> Head:
        timeouts: dict[str, float | None] = request.extensions.get("timeout", {})
        trace: Trace | None = request.extensions.get("trace")
        await self._drop_spent_http2()
        for http2 in list(self._http2):
            if not http2.is_available():
                continue
            try:
                return await self._send_http2(http2, request)
            except httpcore.ConnectionNotAvailable:
                continue  # the server said GOAWAY since: another connection takes it
            except _DROPPED:
                if request.method not in _SAFE:  # no response had begun: resent if safe
                    raise
        while self._idle:
            connection = self._idle.pop()
            if not connection.is_reusable():
                await connection.stream.aclose()
                continue
            try:
                return await self._exchange(connection, request, timeouts, trace)
            except _DROPPED:
                # The server closed a kept connection as we used it: not an answer. Sent
                # again on a new connection, as browsers do for a request that is safe to
                # repeat and got no byte back.
                if connection.received or request.method not in _SAFE:
                    raise
        stream = await self._connect(timeouts.get("connect"), trace)
        ssl_object = stream.get_extra_info("ssl_object")
        if ssl_object is not None and ssl_object.selected_alpn_protocol() == "h2":
            http2 = httpcore.AsyncHTTP2Connection(origin=self._origin, stream=stream)
            self._http2.append(http2)
            return await self._send_http2(http2, request)
        return await self._exchange(_Http11(stream), request, timeouts, trace)

    async def _drop_spent_http2(self) -> None:
        """Forget HTTP/2 connections that are closed, or that take no new request (GOAWAY, or
        a failed exchange) and have none left in flight."""
        kept = []
        for http2 in self._http2:
            if http2.is_closed():
                continue
            if not http2.is_available() and http2.is_idle():
                await http2.aclose()
                continue
            kept.append(http2)
        self._http2 = kept

    async def _connect(
        self, timeout: float | None, trace: Trace | None
    ) -> httpcore.AsyncNetworkStream:
        origin = self._origin
        host = origin.host.decode("ascii")
        stream = await self._backend.connect_tcp(host, origin.port, timeout=timeout)
        if trace is not None:  # what the engine reads as "a server answered"
            await trace("connection.connect_tcp.complete", {"return_value": stream})
        if origin.scheme == b"https":
            stream = await stream.start_tls(
                self._ssl_context(), server_hostname=host, timeout=timeout
            )
        return stream

    async def _exchange(
        self,
        connection: _Http11,
        request: httpx.Request,
        timeouts: dict[str, float | None],
        trace: Trace | None,
    ) -> Head:
        try:
            if trace is not None:
                await trace("http11.send_request_headers.started", {"request": request})
            await connection.send(request, timeouts)
            response = await connection.response_head(timeouts.get("read"))
        except BaseException:
            await connection.stream.aclose()  # in an unknown state: never reused
            raise
        return Head(
            status=response.status_code,
            headers=list(response.headers.raw_items()),
            body=_Body(connection, self, timeouts.get("read")),
            extensions={
                "http_version": b"HTTP/" + response.http_version,
                "reason_phrase": response.reason,
                "network_stream": connection.stream,
            },
        )

    async def _send_http2(
        self, connection: httpcore.AsyncHTTP2Connection, request: httpx.Request
    ) -> Head:
        url = request.url
        response = await connection.handle_async_request(
            httpcore.Request(
                method=request.method,
                url=httpcore.URL(
                    scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path
                ),
                headers=request.headers.raw,
                content=request.stream,
                extensions=request.extensions,
            )
        )
        return Head.of(response)

    async def release(self, connection: _Http11, *, reusable: bool) -> None:
        protocol = connection.protocol
        if (
            reusable
            and not self._closed
            and protocol.our_state is h11.DONE
            and protocol.their_state is h11.DONE
        ):
            protocol.start_next_cycle()
            self._idle.append(connection)
            if len(self._idle) <= self._keep_idle:
                return
            connection = self._idle.pop(0)  # the oldest goes
        await connection.stream.aclose()

    async def aclose(self) -> None:
        self._closed = True
        idle, self._idle = self._idle, []
        http2, self._http2 = self._http2, []
        for connection in idle:
            await connection.stream.aclose()
        for http2_connection in http2:
            await http2_connection.aclose()
