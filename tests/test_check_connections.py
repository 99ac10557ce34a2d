"""Direct HTTP/1.1 connections (check/connections.py), against a loopback server that scripts
its answers byte for byte: reuse, bodies cut short, dropped keep-alive connections, framing."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx
import pytest

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
                length = 0
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value)
                body = await reader.readexactly(length) if length else b""
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
