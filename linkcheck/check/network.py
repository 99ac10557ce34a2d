"""httpcore's network layer on plain asyncio streams.

httpcore's default backend goes through anyio. Per read and write that costs a cancel scope,
and each check of whether an idle pooled connection was closed rebuilds anyio's attribute
table with `getpeername()` and `getsockname()` calls. On a 10,000-link run that was a quarter of
the CPU of bare httpx. This backend implements httpcore's public `AsyncNetworkBackend`
interface with asyncio's own streams. Errors keep the operating system's exception as their
cause, which `failures.classify_exception` reads (refused, reset, DNS, TLS).

With an `address_rule`, every address a name resolves to is judged when the connection is
made, and only allowed ones are connected to: the engine's earlier lookup (`safety.py`) gives
the clear verdict, and this closes the window in which a name could resolve to something else
for the connection itself (DNS rebinding to a cloud metadata service).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
from collections.abc import Callable, Coroutine, Iterable, Iterator
from typing import Any

import httpcore

READ_BUFFER = 256 * 1024  # asyncio pauses the socket beyond twice this much unread data
HAPPY_EYEBALLS_DELAY = 0.25  # RFC 8305: start the next address if the first is this slow

Streams = tuple[asyncio.StreamReader, asyncio.StreamWriter]
AddressRule = Callable[[str], str | None]  # an IP address → a refusal reason, or None


class RefusedAddress(OSError):
    """Every address of a host is one the checker must not connect to."""

    def __init__(self, host: str, address: str, reason: str) -> None:
        super().__init__(f"{host} resolves to {address}, which is refused ({reason})")
        self.host = host
        self.address = address
        self.reason = reason


Attempt = Callable[[], Coroutine[Any, Any, Streams]]


@contextlib.contextmanager
def _mapped(on_timeout: type[Exception], on_error: type[Exception]) -> Iterator[None]:
    try:
        yield
    except OSError as exc:  # TimeoutError and ssl.SSLError included
        raise _as_httpcore(exc, on_timeout, on_error) from exc


def _as_httpcore(exc: OSError, on_timeout: type[Exception], on_error: type[Exception]) -> Exception:
    """The httpcore error an operating-system error stands for."""
    if isinstance(exc, TimeoutError):
        return on_timeout(str(exc) or "timed out")
    return on_error(str(exc) or type(exc).__name__)


class AsyncioStream(httpcore.AsyncNetworkStream):
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer

    # (Reads and writes catch their errors themselves rather than with `_mapped`: they are
    # several per request, and a generator-based context manager costs a few microseconds.
    # Without a timeout they start no timer: the engine's requests have none of their own,
    # see Engine._attempt.)
    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            if timeout is None:
                return await self._reader.read(max_bytes)
            async with asyncio.timeout(timeout):
                return await self._reader.read(max_bytes)
        except OSError as exc:
            raise _as_httpcore(exc, httpcore.ReadTimeout, httpcore.ReadError) from exc

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        try:
            self._writer.write(buffer)
            if timeout is None:
                await self._writer.drain()
                return
            async with asyncio.timeout(timeout):
                await self._writer.drain()
        except OSError as exc:
            raise _as_httpcore(exc, httpcore.WriteTimeout, httpcore.WriteError) from exc

    async def aclose(self) -> None:
        # Not waiting for the close to finish: a TLS peer that never answers close_notify
        # must not hold up the pool.
        self._writer.close()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        with _mapped(httpcore.ConnectTimeout, httpcore.ConnectError):
            try:
                async with asyncio.timeout(timeout):
                    await self._writer.start_tls(ssl_context, server_hostname=server_hostname)
            except BaseException:
                self._writer.close()
                raise
        return self

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            # Asked of idle pooled connections: asyncio reads eagerly, so a server that closed
            # the connection, or sent anything unasked (a 408 before closing), shows as EOF or
            # as data already buffered. StreamReader has no public way to ask for the latter.
            reader = self._reader
            return (
                reader.at_eof()
                or reader.exception() is not None
                or self._writer.is_closing()
                or bool(getattr(reader, "_buffer", b""))
            )
        if info == "client_addr":
            return self._writer.get_extra_info("sockname")
        if info == "server_addr":
            return self._writer.get_extra_info("peername")
        if info in ("ssl_object", "socket"):
            return self._writer.get_extra_info(info)
        return None


async def first_to_connect(attempts: list[Attempt], delay: float = HAPPY_EYEBALLS_DELAY) -> Streams:
    """Happy eyeballs: start the attempts one after another, each `delay` after the last or as
    soon as it failed; the first to connect wins and the rest are cancelled (or closed)."""
    errors: list[BaseException] = []
    pending: set[asyncio.Task[Streams]] = set()
    winner: Streams | None = None

    def collect(done: set[asyncio.Task[Streams]]) -> None:
        nonlocal winner
        for task in done:
            error = task.exception()
            if error is not None:
                errors.append(error)
            elif winner is None:
                winner = task.result()
            else:
                task.result()[1].close()  # connected too late

    try:
        for attempt in attempts:
            pending.add(asyncio.create_task(attempt()))
            done, pending = await asyncio.wait(
                pending, timeout=delay, return_when=asyncio.FIRST_COMPLETED
            )
            collect(done)
            if winner is not None:
                return winner
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            collect(done)
            if winner is not None:
                return winner
    finally:
        for task in pending:
            task.cancel()
            task.add_done_callback(_close_if_connected)
    if len(errors) == 1:
        raise errors[0]
    failed = [error for error in errors if isinstance(error, Exception)]
    if not failed:
        raise OSError("the name resolved to no address")
    # Each address's own error (refused, unreachable...) stays readable in the group.
    raise OSError("all connection attempts failed") from ExceptionGroup("connect", failed)


def _close_if_connected(task: asyncio.Task[Streams]) -> None:
    if not task.cancelled() and task.exception() is None:
        task.result()[1].close()


def _addresses(infos: Iterable[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Resolved addresses without repeats, alternating families (RFC 8305 section 4)."""
    by_family: dict[int, list[tuple[Any, ...]]] = {}
    seen: set[tuple[Any, ...]] = set()
    for family, _, _, _, address in infos:
        if address not in seen:
            seen.add(address)
            by_family.setdefault(family, []).append(address)
    queues = list(by_family.values())
    ordered: list[tuple[Any, ...]] = []
    while any(queues):
        for queue in queues:
            if queue:
                ordered.append(queue.pop(0))
    return ordered


def _numeric_address(host: str, port: int) -> list[Any] | None:
    """An IP address's getaddrinfo answer, found without the resolver's thread (as asyncio
    does for its own connections); None for a name to resolve."""
    try:
        return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)
    except (OSError, UnicodeError, ValueError):  # socket.gaierror: not an address
        return None


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, address_rule: AddressRule | None = None) -> None:
        self._address_rule = address_rule

    def _allowed(self, host: str, addresses: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        rule = self._address_rule
        if rule is None or not addresses:
            return addresses
        allowed = [address for address in addresses if rule(str(address[0])) is None]
        if not allowed:
            first = str(addresses[0][0])
            raise RefusedAddress(host, first, rule(first) or "refused")
        return allowed

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        local = (local_address, 0) if local_address else None

        def attempt(address: tuple[Any, ...]) -> Attempt:
            return lambda: asyncio.open_connection(
                address[0], address[1], limit=READ_BUFFER, local_addr=local
            )

        with _mapped(httpcore.ConnectTimeout, httpcore.ConnectError):
            async with asyncio.timeout(timeout):
                infos = _numeric_address(host, port)
                if infos is None:
                    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
                addresses = self._allowed(host, _addresses(infos))
                reader, writer = await first_to_connect([attempt(a) for a in addresses])
            for option in socket_options or ():
                writer.get_extra_info("socket").setsockopt(*option)
        return AsyncioStream(reader, writer)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        with _mapped(httpcore.ConnectTimeout, httpcore.ConnectError):
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_unix_connection(path, limit=READ_BUFFER)
        return AsyncioStream(reader, writer)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
