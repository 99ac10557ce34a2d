"""The asyncio network layer under httpcore: happy eyeballs, errors that keep their cause, and
pooled connections that the server closed (or spoke on) while idle are never reused."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
import ssl
import time
from typing import Any

import httpcore
import pytest
from servers.scenario import FAST, Scenario

from linkcheck.check import CheckConfig, CheckResult, check_urls, make_client
from linkcheck.check.failures import classify_exception
from linkcheck.check.network import AsyncioBackend, RefusedAddress, Streams, first_to_connect
from linkcheck.check.safety import connect_rule
from linkcheck.models import Status, Verdict


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def _never_connects() -> Streams:
    await asyncio.sleep(30)
    raise AssertionError("cancelled long before")


def test_happy_eyeballs_moves_on_from_a_silent_address_and_cancels_it() -> None:
    async def main() -> float:
        server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        loop = asyncio.get_running_loop()
        started = loop.time()
        async with server:
            _, writer = await first_to_connect(
                [_never_connects, lambda: asyncio.open_connection("127.0.0.1", port)],
                delay=0.1,
            )
            elapsed = loop.time() - started
            assert writer.get_extra_info("peername")[1] == port
            writer.close()
        pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        assert pending == [] or all(t.done() or t.cancelling() for t in pending)
        return elapsed

    elapsed = asyncio.run(main())
    assert 0.1 <= elapsed < 5  # waited the delay for the first address, not its 30 s


def test_every_address_refused_is_still_classified_as_refused() -> None:
    port = _closed_port()

    async def main() -> BaseException:
        attempts = [lambda: asyncio.open_connection("127.0.0.1", port)] * 2
        with pytest.raises(OSError) as raised:
            await first_to_connect(attempts, delay=0.05)
        return raised.value

    error = asyncio.run(main())
    assert isinstance(error.__cause__, ExceptionGroup)
    assert len(error.__cause__.exceptions) == 2
    failure = classify_exception(error, f"http://127.0.0.1:{port}/", 5)
    assert failure.reason == "refused"


def test_backend_errors_are_httpcore_errors_caused_by_the_os_error() -> None:
    port = _closed_port()

    async def main() -> None:
        with pytest.raises(httpcore.ConnectError) as raised:
            await AsyncioBackend().connect_tcp("127.0.0.1", port, timeout=5)
        assert isinstance(raised.value.__cause__, ConnectionRefusedError)
        with pytest.raises(httpcore.ConnectError) as unresolved:
            await AsyncioBackend().connect_tcp("nonexistent.invalid", 80, timeout=5)
        assert isinstance(unresolved.value.__cause__, socket.gaierror)

    asyncio.run(main())


def test_an_address_is_connected_to_without_the_resolver_and_a_name_after_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The resolver runs in a thread (the first lookup also starts the thread: 15 ms of a
    # checking process's first request); an IP address needs no lookup, as asyncio knows.
    asked: list[str] = []
    getaddrinfo = asyncio.BaseEventLoop.getaddrinfo

    async def counted(self: asyncio.BaseEventLoop, host: Any, *args: Any, **kwargs: Any) -> Any:
        asked.append(host)
        return await getaddrinfo(self, host, *args, **kwargs)

    monkeypatch.setattr(asyncio.BaseEventLoop, "getaddrinfo", counted)

    async def main() -> None:
        server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server:
            for host in ("127.0.0.1", "localhost"):
                stream = await AsyncioBackend().connect_tcp(host, port, timeout=5)
                await stream.aclose()

    asyncio.run(main())
    assert asked == ["localhost"]


class _ClosingServer:
    """Answers each request with 200 (keep-alive), then, while the connection is idle, either
    closes it or first sends an unasked 408 (as servers do when their idle timer runs out)."""

    def __init__(self, unasked_408: bool) -> None:
        self.unasked_408 = unasked_408
        self.connections = 0
        self.requests = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            await reader.readuntil(b"\r\n\r\n")
            self.requests += 1
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            await writer.drain()
            await asyncio.sleep(0.05)
            if self.unasked_408:
                writer.write(b"HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
                await asyncio.sleep(0.05)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@pytest.mark.parametrize("unasked_408", [False, True])
def test_a_connection_the_server_ended_while_idle_is_not_reused(unasked_408: bool) -> None:
    async def main() -> tuple[list[int], _ClosingServer]:
        closing = _ClosingServer(unasked_408)
        server = await asyncio.start_server(closing.handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        statuses = []
        async with server, make_client(CheckConfig(), proxies={}) as client:
            for _ in range(3):
                response = await client.get(f"http://127.0.0.1:{port}/page")
                statuses.append(response.status_code)
                await asyncio.sleep(0.3)  # the server has ended the idle connection by now
        return statuses, closing

    statuses, closing = asyncio.run(main())
    assert statuses == [200, 200, 200]
    assert (closing.connections, closing.requests) == (3, 3)


class _TunnelProxy:
    """An HTTP proxy that only speaks CONNECT, as corporate proxies do for https: it opens the
    tunnel and copies bytes both ways, so TLS runs end to end over the proxy's connection."""

    def __init__(self) -> None:
        self.tunnels: list[str] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        method, target, _ = head.split(" ", 2)
        if method != "CONNECT":
            writer.write(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            writer.close()
            return
        self.tunnels.append(target)
        host, port = target.rsplit(":", 1)
        upstream_reader, upstream_writer = await asyncio.open_connection(host, int(port))
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            try:
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            except ConnectionError:
                pass
            finally:
                sink.close()

        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))


def test_https_through_a_connect_proxy_verifies_the_server_end_to_end(
    servers: Scenario, ca_bundle: str
) -> None:
    url = servers.url("tls", "/ok")
    config = dataclasses.replace(FAST, ca_bundle=ca_bundle, soft404_probe=False)

    async def main() -> tuple[list[Verdict], list[str]]:
        tunnel = _TunnelProxy()
        proxy = await asyncio.start_server(tunnel.handle, "127.0.0.1", 0)
        proxy_url = f"http://127.0.0.1:{proxy.sockets[0].getsockname()[1]}"
        verdicts = []
        async with proxy:
            for trusted in (config, FAST):  # with the test CA, then without it
                async with make_client(trusted, proxies={"https": proxy_url}) as client:
                    async for result in check_urls([url], client, trusted):
                        verdicts.append(result.verdict)
        return verdicts, tunnel.tunnels

    verdicts, tunnels = asyncio.run(main())
    assert [(v.status, v.http_status) for v in verdicts] == [
        (Status.OK, 200),
        (Status.UNREACHABLE, None),
    ]
    assert verdicts[1].reason == "tls"  # the certificate is checked through the tunnel too
    host_port = url.split("/")[2]
    assert tunnels == [host_port, host_port]
    assert servers.count("tls", "/ok") == 1


class _Http2Server:
    """HTTPS that speaks only HTTP/2 (chosen by ALPN): a client that fell back to HTTP/1.1, or
    mishandled the upgraded stream, gets nothing from it."""

    BODY = b"<html><head><title>Annual report</title></head><body>" + b"x" * 100_000

    def __init__(self) -> None:
        self.paths: list[str] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        import h2.config
        import h2.connection
        import h2.events
        import h2.exceptions

        connection = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
        connection.initiate_connection()
        writer.write(connection.data_to_send())
        pending: dict[int, bytes] = {}  # stream → body not sent yet (flow control)

        def flush() -> None:
            for stream_id, rest in list(pending.items()):
                try:
                    window = connection.local_flow_control_window(stream_id)
                    size = min(len(rest), window, connection.max_outbound_frame_size)
                    while size > 0:
                        connection.send_data(stream_id, rest[:size])
                        rest = rest[size:]
                        window -= size
                        size = min(len(rest), window, connection.max_outbound_frame_size)
                    if rest:
                        pending[stream_id] = rest
                    else:
                        del pending[stream_id]
                        connection.end_stream(stream_id)
                except h2.exceptions.StreamClosedError:  # the client stopped reading
                    del pending[stream_id]

        try:
            while data := await reader.read(65536):
                for event in connection.receive_data(data):
                    if isinstance(event, h2.events.RequestReceived):
                        self.paths.append(dict(event.headers)[b":path"].decode())
                        headers = [(":status", "200"), ("content-type", "text/html")]
                        connection.send_headers(event.stream_id, headers)
                        pending[event.stream_id] = self.BODY
                    elif isinstance(event, h2.events.StreamReset):
                        pending.pop(event.stream_id, None)
                flush()
                writer.write(connection.data_to_send())
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()


def test_http2_over_tls_is_negotiated_and_read(servers: Scenario, ca_bundle: str) -> None:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    servers.ca.issue_cert("127.0.0.1").configure_cert(context)
    context.set_alpn_protocols(["h2"])
    config = dataclasses.replace(FAST, ca_bundle=ca_bundle, soft404_probe=False)

    async def main() -> tuple[list[CheckResult], list[str]]:
        h2_server = _Http2Server()
        server = await asyncio.start_server(h2_server.handle, "127.0.0.1", 0, ssl=context)
        port = server.sockets[0].getsockname()[1]
        urls = [f"https://127.0.0.1:{port}/report/{n}" for n in range(3)]
        async with server, make_client(config, proxies={}) as client:
            results = [result async for result in check_urls(urls, client, config)]
        return results, h2_server.paths

    results, paths = asyncio.run(main())
    assert sorted(paths) == ["/report/0", "/report/1", "/report/2"]
    assert {(r.verdict.status, r.verdict.http_status) for r in results} == {(Status.OK, 200)}
    assert all(r.body is not None and len(r.body) > 100_000 for r in results)
    assert {r.verdict.title for r in results} == {"Annual report"}


def test_a_metadata_address_is_refused_at_connection_time_without_connecting() -> None:
    async def main() -> BaseException:
        backend = AsyncioBackend(connect_rule(CheckConfig()))
        with pytest.raises(httpcore.ConnectError) as raised:
            # Nothing answers on 169.254.169.254 here: trying would take the whole timeout.
            await backend.connect_tcp("169.254.169.254", 80, timeout=30)
        return raised.value

    started = time.monotonic()
    error = asyncio.run(main())
    assert time.monotonic() - started < 1.0
    assert isinstance(error.__cause__, RefusedAddress)
    assert connect_rule(CheckConfig(allow_link_local=True))("169.254.169.254") is None
    assert connect_rule(CheckConfig(exclude_private=True))("10.1.2.3") is None  # engine's call


def test_a_name_rebound_to_a_metadata_address_after_the_check_is_not_connected_to(
    servers: Scenario,
) -> None:
    # The engine's lookup sees loopback; the connection's own lookup a moment later sees the
    # metadata service (DNS rebinding). The machine has no DNS to play this, so the loop's
    # resolver answers for the one made-up name and passes every other name through.
    port = int(servers.url("a", "/ok").split(":")[2].split("/")[0])
    url = f"http://rebind.test:{port}/ok"
    answers = iter(["127.0.0.1", "169.254.169.254"])

    async def main() -> Verdict:
        loop = asyncio.get_running_loop()
        real = loop.getaddrinfo

        async def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
            if host != "rebind.test":
                return await real(host, port, *args, **kwargs)
            address = next(answers)
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

        loop.getaddrinfo = getaddrinfo  # type: ignore[method-assign]
        config = dataclasses.replace(FAST, soft404_probe=False)
        async with make_client(config, proxies={}) as client:
            (result,) = [result async for result in check_urls([url], client, config)]
        return result.verdict

    started = time.monotonic()
    verdict = asyncio.run(main())
    assert (verdict.status, verdict.reason) == (Status.SKIPPED, "forbidden-address")
    assert verdict.detail is not None and "169.254.169.254" in verdict.detail
    assert time.monotonic() - started < 2.0  # refused, not a connection left to time out
    assert next(answers, None) is None  # both lookups happened
    assert servers.total() == 0


def test_the_tls_context_is_made_by_the_first_https_connection_and_only_once(
    servers: Scenario, ca_bundle: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Loading the CA bundle was 20-40 ms of every checking process's start, before its first
    # request, whatever the scheme of its URLs.
    from linkcheck.check import client as client_module

    made: list[CheckConfig] = []
    make = client_module.make_ssl_context

    def counted(config: CheckConfig) -> ssl.SSLContext:
        made.append(config)
        return make(config)

    monkeypatch.setattr(client_module, "make_ssl_context", counted)
    config = dataclasses.replace(FAST, ca_bundle=ca_bundle, soft404_probe=False)
    plain = [servers.url("a", "/ok"), servers.url("b", "/ok")]
    secure = [servers.url("tls", "/ok"), servers.url("tls", "/ok?again")]

    async def main() -> tuple[int, list[Verdict]]:
        verdicts = []
        async with make_client(config) as client:
            async for result in check_urls(plain, client, config):
                verdicts.append(result.verdict)
            made_for_plain = len(made)
            async for result in check_urls(secure, client, config):
                verdicts.append(result.verdict)
        return made_for_plain, verdicts

    made_for_plain, verdicts = asyncio.run(main())
    assert made_for_plain == 0
    assert [(v.status, v.http_status) for v in verdicts] == [(Status.OK, 200)] * 4
    assert made == [config]
