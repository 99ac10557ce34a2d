"""Direct HTTP/1.1 connections (check/connections.py), against a loopback server that scripts
its answers byte for byte: reuse, bodies cut short, dropped keep-alive connections, framing."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import httpx
import pytest
import trustme

from linkcheck.check.pools import OriginPools

# (connection number, request number on that connection, method, target, body) → the bytes
# to answer with, or None to close the connection without an answer.
Script = Callable[[int, int, str, str, bytes], bytes | None]


def _answer(body: bytes, *extra: str, status: str = "200 OK") -> bytes:
    head = [f"HTTP/1.1 {status}", f"Content-Length: {len(body)}", *extra]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


@dataclass
class ScriptedServer:
    script: Script
    requests: list[tuple[int, int, str, str]] = field(default_factory=list)
    connections: int = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        number = self.connections
        try:
            for index in range(100):
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                fields = {}
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    fields[name.strip().lower()] = value.strip()
                length = int(fields.get("content-length", 0))
                body = await reader.readexactly(length) if length else b""
                while fields.get("transfer-encoding") == "chunked":
                    size = int((await reader.readuntil(b"\r\n")).strip(), 16)
                    body += (await reader.readexactly(size + 2))[:size]
                    if not size:
                        break
                self.requests.append((number, index, method, target))
                answer = self.script(number, index, method, target, body)
                if answer is None:
                    return
                writer.write(answer)
                await writer.drain()
                if b"\r\nConnection: close\r\n" in answer.split(b"\r\n\r\n", 1)[0] + b"\r\n":
                    return
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def _transport() -> OriginPools:
    return OriginPools(
        ssl_context=ssl.create_default_context(),
        http2=False,
        per_origin=4,
        max_pools=8,
        proxies={},
    )


def serve(
    script: Script, client_work: Callable[[httpx.AsyncClient, str], Awaitable[object]]
) -> tuple[object, ScriptedServer]:
    """Run `client_work(client, base_url)` against a ScriptedServer; return what it returned
    and the server."""
    server = ScriptedServer(script)

    async def main() -> object:
        listener = await asyncio.start_server(server.handle, "127.0.0.1", 0)
        port = listener.sockets[0].getsockname()[1]
        async with listener, httpx.AsyncClient(transport=_transport(), timeout=5) as client:
            return await client_work(client, f"http://127.0.0.1:{port}")

    return asyncio.run(asyncio.wait_for(main(), 20)), server


def test_a_whole_body_gives_its_connection_back_and_a_cut_one_closes_it() -> None:
    big = b"x" * 500_000

    def script(conn: int, index: int, method: str, target: str, body: bytes) -> bytes:
        return _answer(big if target == "/big" else b"small")

    async def work(client: httpx.AsyncClient, base: str) -> list[bytes]:
        bodies = []
        for path in ("/small", "/small", "/big", "/small"):
            async with client.stream("GET", base + path) as response:
                async for chunk in response.aiter_raw():
                    bodies.append(chunk)
                    break  # only the first chunk: all of a small body, little of the big one
        return bodies

    bodies, server = serve(script, work)
    assert bodies[:2] == [b"small", b"small"] and bodies[3] == b"small"
    assert len(bodies[2]) < len(big)
    # A small body's end was already received: its connection is reused. The big one, cut
    # short with most of it still to come, closes connection 1.
    assert [(conn, path) for conn, _, _, path in server.requests] == [
        (1, "/small"),
        (1, "/small"),
        (1, "/big"),
        (2, "/small"),
    ]


def test_a_kept_connection_the_server_drops_is_replaced_without_a_failure() -> None:
    # Like a server with a limit of one request per connection that does not say so.
    def script(conn: int, index: int, method: str, target: str, body: bytes) -> bytes | None:
        return _answer(f"answer {conn}".encode()) if index == 0 else None

    async def work(client: httpx.AsyncClient, base: str) -> list[bytes]:
        return [(await client.get(base + "/page")).content for _ in range(2)]

    bodies, server = serve(script, work)
    assert bodies == [b"answer 1", b"answer 2"]
    assert [(conn, index) for conn, index, _, _ in server.requests] == [(1, 0), (1, 1), (2, 0)]


def test_a_new_connection_closed_without_an_answer_is_an_error_sent_once() -> None:
    def script(conn: int, index: int, method: str, target: str, body: bytes) -> None:
        return None

    async def work(client: httpx.AsyncClient, base: str) -> BaseException:
        with pytest.raises(httpx.RemoteProtocolError) as raised:
            await client.get(base + "/page")
        return raised.value

    error, server = serve(script, work)
    assert "without sending a response" in str(error)
    assert len(server.requests) == 1


def test_informational_answers_are_passed_over() -> None:
    def script(conn: int, index: int, method: str, target: str, body: bytes) -> bytes:
        early_hints = b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
        return early_hints + _answer(b"<title>Report</title>")

    async def work(client: httpx.AsyncClient, base: str) -> tuple[int, bytes, str]:
        response = await client.get(base + "/report")
        return response.status_code, response.content, response.http_version

    (status, content, version), _ = serve(script, work)
    assert (status, content, version) == (200, b"<title>Report</title>", "HTTP/1.1")


def test_chunked_and_close_delimited_bodies_are_read_whole() -> None:
    def script(conn: int, index: int, method: str, target: str, body: bytes) -> bytes:
        if target == "/chunked":
            return (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
            )
        return b"HTTP/1.1 200 Fine\r\nConnection: close\r\n\r\nuntil the end"

    async def work(client: httpx.AsyncClient, base: str) -> list[tuple[bytes, str]]:
        answers = []
        for path in ("/chunked", "/chunked", "/closing", "/chunked"):
            response = await client.get(base + path)
            answers.append((response.content, response.reason_phrase))
        return answers

    answers, server = serve(script, work)
    assert answers == [
        (b"hello world", "OK"),
        (b"hello world", "OK"),
        (b"until the end", "Fine"),
        (b"hello world", "OK"),
    ]
    # The chunked answers keep the connection; the one ended by closing it does not.
    assert [conn for conn, _, _, _ in server.requests] == [1, 1, 1, 2]


def test_a_request_body_is_sent_with_its_length() -> None:
    def script(conn: int, index: int, method: str, target: str, body: bytes) -> bytes:
        return _answer(f"{method} {target} {body.decode()}".encode())

    async def work(client: httpx.AsyncClient, base: str) -> list[bytes]:
        saved = await client.post(base + "/save", data={"url": "https://example.org/a"})
        after = await client.get(base + "/after?x=1")
        return [saved.content, after.content]

    answers, server = serve(script, work)
    assert answers == [b"POST /save url=https%3A%2F%2Fexample.org%2Fa", b"GET /after?x=1 "]
    assert server.connections == 1


def test_a_garbled_answer_is_a_protocol_error() -> None:
    def script(conn: int, index: int, method: str, target: str, body: bytes) -> bytes:
        return b"SMTP ready\r\n\r\n"

    async def work(client: httpx.AsyncClient, base: str) -> None:
        with contextlib.suppress(httpx.RemoteProtocolError):
            await client.get(base + "/page")
            raise AssertionError("no error raised")

    serve(script, work)


# --- HTTP/2 (chosen by ALPN) -----------------------------------------------------------------


@dataclass
class OneAnswerHttp2Server:
    """HTTP/2 over TLS that answers one request per connection, then says GOAWAY and keeps
    the connection open ("goaway"), or closes it without a word ("close")."""

    mode: str
    connections: int = 0
    requests: int = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        import h2.config
        import h2.connection
        import h2.events

        self.connections += 1
        connection = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
        connection.initiate_connection()
        writer.write(connection.data_to_send())
        try:
            answered = None
            while answered is None and (data := await reader.read(65536)):
                for event in connection.receive_data(data):
                    if isinstance(event, h2.events.RequestReceived):
                        self.requests += 1
                        answered = event.stream_id
                        connection.send_headers(
                            answered, [(":status", "200"), ("content-length", "2")]
                        )
                        connection.send_data(answered, b"ok", end_stream=True)
                writer.write(connection.data_to_send())
                await writer.drain()
            await asyncio.sleep(0.05)  # the client has its answer and keeps the connection
            if self.mode == "goaway" and answered is not None:
                connection.close_connection(last_stream_id=answered)
                writer.write(connection.data_to_send())
                await writer.drain()
                while await reader.read(65536):  # open, but answering nothing more
                    pass
        except ConnectionError:
            pass
        finally:
            writer.close()


@pytest.mark.parametrize("mode", ["goaway", "close"])
def test_an_http2_connection_the_server_has_left_is_not_used_again(mode: str) -> None:
    # Servers close idle HTTP/2 connections, or announce GOAWAY on a reload: the next
    # request goes on a new connection, without an error and without a retry's wait.
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    server_context.set_alpn_protocols(["h2"])
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    server = OneAnswerHttp2Server(mode)

    async def main() -> list[tuple[int, str]]:
        listener = await asyncio.start_server(server.handle, "127.0.0.1", 0, ssl=server_context)
        port = listener.sockets[0].getsockname()[1]
        transport = OriginPools(
            ssl_context=client_context, http2=True, per_origin=4, max_pools=8, proxies={}
        )
        answers = []
        async with listener, httpx.AsyncClient(transport=transport, timeout=5) as client:
            for _ in range(3):
                response = await client.get(f"https://127.0.0.1:{port}/report")
                answers.append((response.status_code, response.http_version))
                await asyncio.sleep(0.2)  # the server leaves the connection meanwhile
        return answers

    answers = asyncio.run(asyncio.wait_for(main(), 20))
    assert answers == [(200, "HTTP/2")] * 3
    assert (server.connections, server.requests) == (3, 3)


def test_a_streamed_body_is_sent_whatever_the_method() -> None:
    def script(conn: int, index: int, method: str, target: str, body: bytes) -> bytes:
        return _answer(f"{method} {body.decode()}".encode())

    async def chunks() -> AsyncIterator[bytes]:
        for part in (b"abc", b"def"):
            yield part

    async def work(client: httpx.AsyncClient, base: str) -> list[bytes]:
        found = []
        for method in ("GET", "POST"):
            found.append((await client.request(method, base + "/echo", content=chunks())).content)
        return found

    answers, _ = serve(script, work)
    assert answers == [b"GET abcdef", b"POST abcdef"]
