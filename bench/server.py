"""A loopback latency server for the link-checker benchmark.

One asyncio process listens on 127.0.0.1 ... 127.0.0.N (one "host" each, same port). Every
response waits a fixed latency before its first byte, then the whole body is written at once.
What a path returns is decided by its first segment, so URLs need no per-run state:

    /p/<id>      200 text/html, 20-100 KB (one of 48 pre-built bodies)
    /big/<id>    200 text/html, 1 MiB
    /doc/<id>    200 application/pdf, 150-600 KB (a small, valid PDF)
    /old/<id>    301 -> http://<same host>/new/<id>
    /new/<id>    200 text/html, 20-100 KB (the target of /old/)
    /gone/<id>   404
    anything     404 (soft-404 probes, /robots.txt, ...)

Control paths (never counted, any host): /__stats (JSON counters), /__reset, and
/__latency?ms=N. Run:  python bench/server.py --latency-ms 50 --hosts 8
It prints one JSON line {"port": P, "hosts": [...]} once it listens, and stops on SIGTERM,
SIGINT, or after --max-seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import signal
import sys
import time
from collections import Counter
from typing import Any

WORDS = (
    "policy report evidence funding agency health public review data impact programme national "
    "regional local survey analysis results outcome budget council strategy committee annual "
    "statement ministry department commission framework assessment development research "
    "education transport housing environment energy trade security cooperation border"
).split()


def html_page(title: str, size: int, rng: random.Random) -> bytes:
    """An HTML page of about `size` bytes: head, nav, headings and paragraphs of prose."""
    head = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{title}</title>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="stylesheet" href="/static/site.css"></head>\n<body>'
        "<header><nav><ul><li>Home</li><li>Publications</li><li>About</li></ul></nav></header>"
        f'<main><h1 id="top">{title}</h1>\n'
    )
    parts = [head]
    total = len(head)
    section = 0
    while total < size - 200:
        if section % 6 == 0:
            heading = f'<h2 id="s{section}">{" ".join(rng.choices(WORDS, k=4)).title()}</h2>\n'
            parts.append(heading)
            total += len(heading)
        words = " ".join(rng.choices(WORDS, k=rng.randint(40, 120)))
        paragraph = f"<p>{words.capitalize()}.</p>\n"
        parts.append(paragraph)
        total += len(paragraph)
        section += 1
    parts.append("</main><footer>Published by the benchmark ministry.</footer></body></html>\n")
    return "".join(parts).encode()


def pdf_document(size: int, rng: random.Random) -> bytes:
    """A valid one-page PDF whose content stream pads it to about `size` bytes."""
    lines = []
    length = 0
    y = 800
    while length < size:
        text = " ".join(rng.choices(WORDS, k=10))
        line = f"BT /F1 9 Tf 40 {y} Td ({text}) Tj ET\n"
        lines.append(line)
        length += len(line)
        y = 800 if y < 60 else y - 11
    stream = "".join(lines).encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)


class Bodies:
    """Every body the server sends, built once at start-up."""

    def __init__(self, seed: int = 1) -> None:
        rng = random.Random(seed)
        self.pages = [
            html_page(
                f"Report {n}: {' '.join(rng.choices(WORDS, k=3)).title()}",
                rng.randint(20_000, 100_000),
                rng,
            )
            for n in range(48)
        ]
        self.big = [html_page(f"Annual statistics {n}", 1_048_576, rng) for n in range(2)]
        self.pdfs = [pdf_document(rng.randint(150_000, 600_000), rng) for _ in range(4)]
        self.missing = (
            b"<!DOCTYPE html><html><head><title>404 Not Found</title></head>"
            b"<body><h1>Not Found</h1><p>The requested URL was not found on this server.</p>"
            b"</body></html>\n"
        )


def _index(key: str, modulo: int) -> int:
    digits = "".join(ch for ch in key if ch.isdigit())
    return int(digits[-9:]) % modulo if digits else 0


class Stats:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.requests = 0
        self.methods: Counter[str] = Counter()
        self.kinds: Counter[str] = Counter()
        self.paths: Counter[str] = Counter()  # "host/path" -> requests
        self.connections = 0
        self.bytes_offered = 0  # headers + bodies handed to the transport
        self.max_open = 0
        self.open = 0
        self.started = time.monotonic()
        self.cpu_started = time.process_time()

    def snapshot(self) -> dict[str, Any]:
        repeated = sum(1 for count in self.paths.values() if count > 1)
        return {
            "requests": self.requests,
            "unique_paths": len(self.paths),
            "paths_requested_more_than_once": repeated,
            "methods": dict(self.methods),
            "kinds": dict(self.kinds),
            "connections": self.connections,
            "max_open_connections": self.max_open,
            "bytes_offered": self.bytes_offered,
            "seconds": time.monotonic() - self.started,
            "server_cpu_seconds": time.process_time() - self.cpu_started,
        }


class Server:
    def __init__(self, latency: float, linkchecker_header: bool) -> None:
        self.latency = latency
        self.bodies = Bodies()
        self.stats = Stats()
        self.extra = b"LinkChecker: unlimited\r\n" if linkchecker_header else b""

    def control(self, path: str) -> bytes | None:
        if not path.startswith("/__"):
            return None
        if path.startswith("/__stats"):
            return json.dumps(self.stats.snapshot()).encode()
        if path.startswith("/__reset"):
            self.stats.reset()
            return b"{}"
        if path.startswith("/__latency"):
            _, _, query = path.partition("?ms=")
            self.latency = float(query or 0) / 1000
            return b"{}"
        return b"{}"

    def route(self, host: str, path: str) -> tuple[bytes, bytes, bytes]:
        """(status line, extra headers, body) for a counted request."""
        clean = path.split("?", 1)[0]
        _, _, rest = clean.partition("/")
        kind, _, key = rest.partition("/")
        b = self.bodies
        if kind == "p" and key:
            self.stats.kinds["page"] += 1
            return (
                b"200 OK",
                b"Content-Type: text/html; charset=utf-8\r\n",
                b.pages[_index(key, len(b.pages))],
            )
        if kind == "new" and key:
            self.stats.kinds["redirect-target"] += 1
            return (
                b"200 OK",
                b"Content-Type: text/html; charset=utf-8\r\n",
                b.pages[_index(key, len(b.pages))],
            )
        if kind == "big" and key:
            self.stats.kinds["big"] += 1
            return (
                b"200 OK",
                b"Content-Type: text/html; charset=utf-8\r\n",
                b.big[_index(key, len(b.big))],
            )
        if kind == "doc" and key:
            self.stats.kinds["pdf"] += 1
            return b"200 OK", b"Content-Type: application/pdf\r\n", b.pdfs[_index(key, len(b.pdfs))]
        if kind == "old" and key:
            self.stats.kinds["redirect"] += 1
            location = f"Location: http://{host}/new/{key}\r\n".encode()
            return (
                b"301 Moved Permanently",
                location + b"Content-Type: text/html; charset=utf-8\r\n",
                b"<html><body>Moved</body></html>\n",
            )
        if kind == "gone" and key:
            self.stats.kinds["gone"] += 1
        elif clean == "/robots.txt":
            self.stats.kinds["robots.txt"] += 1
        else:
            self.stats.kinds["other-404"] += 1  # e.g. linkcheck's soft-404 probe
        return b"404 Not Found", b"Content-Type: text/html; charset=utf-8\r\n", b.missing


class HTTPProtocol(asyncio.Protocol):
    """HTTP/1.1 with keep-alive; requests on a connection are answered in order."""

    def __init__(self, server: Server, loop: asyncio.AbstractEventLoop) -> None:
        self.server = server
        self.loop = loop
        self.buffer = b""
        self.busy = False
        self.closed = False
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        stats = self.server.stats
        stats.connections += 1
        stats.open += 1
        stats.max_open = max(stats.max_open, stats.open)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.server.stats.open -= 1

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) > 65536 and b"\r\n\r\n" not in self.buffer:
            assert self.transport is not None
            self.transport.close()
            return
        self._next()

    def _next(self) -> None:
        if self.busy or self.closed:
            return
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = self.buffer[:end].decode("latin-1")
        self.buffer = self.buffer[end + 4 :]
        lines = head.split("\r\n")
        try:
            method, target, version = lines[0].split(" ", 2)
        except ValueError:
            assert self.transport is not None
            self.transport.close()
            return
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        host = headers.get("host", "")
        if target.startswith("http://"):  # absolute form
            target = "/" + target.split("/", 3)[-1] if target.count("/") >= 3 else "/"
        keep_alive = version == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
        control = self.server.control(target)
        if control is not None:
            self._respond(
                b"200 OK", b"Content-Type: application/json\r\n", control, keep_alive, method
            )
            return
        stats = self.server.stats
        stats.requests += 1
        stats.methods[method] += 1
        stats.paths[host + target] += 1
        status, extra, body = self.server.route(host, target)
        self.busy = True
        self.loop.call_later(
            self.server.latency, self._respond, status, extra, body, keep_alive, method
        )

    def _respond(
        self, status: bytes, extra: bytes, body: bytes, keep_alive: bool, method: str
    ) -> None:
        self.busy = False
        if self.closed or self.transport is None:
            return
        head = (
            b"HTTP/1.1 "
            + status
            + b"\r\n"
            + extra
            + self.server.extra
            + b"Content-Length: "
            + str(len(body)).encode()
            + b"\r\n"
            + (b"Connection: keep-alive\r\n" if keep_alive else b"Connection: close\r\n")
            + b"Server: bench\r\n\r\n"
        )
        payload = head if method == "HEAD" else head + body
        self.server.stats.bytes_offered += len(payload)
        self.transport.write(payload)
        if not keep_alive:
            self.transport.close()
            self.closed = True
            return
        self._next()


async def serve(args: argparse.Namespace) -> None:
    loop = asyncio.get_running_loop()
    server = Server(args.latency_ms / 1000, not args.no_linkchecker_header)
    hosts = [f"127.0.0.{n}" for n in range(1, args.hosts + 1)]
    listeners: list[asyncio.base_events.Server] = []
    port = args.port
    for attempt in range(20):  # the same port on every address; retry if one is taken
        listeners = []
        try:
            for host in hosts:
                listener = await loop.create_server(
                    lambda: HTTPProtocol(server, loop),
                    host,
                    port,
                    backlog=1024,
                    reuse_address=True,
                )
                listeners.append(listener)
                if port == 0:
                    port = listener.sockets[0].getsockname()[1]
            break
        except OSError:
            for listener in listeners:
                listener.close()
            port = 0 if args.port == 0 else args.port
            if attempt == 19:
                raise
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(json.dumps({"port": port, "hosts": hosts}), flush=True)
    try:
        await asyncio.wait_for(stop.wait(), timeout=args.max_seconds)
    except TimeoutError:
        print("server: --max-seconds reached, stopping", file=sys.stderr)
    for listener in listeners:
        listener.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--hosts", type=int, default=8)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--max-seconds", type=float, default=3600.0)
    parser.add_argument(
        "--no-linkchecker-header",
        action="store_true",
        help="do not send the 'LinkChecker' header that lifts LinkChecker's 0.1 s host floor",
    )
    asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()
