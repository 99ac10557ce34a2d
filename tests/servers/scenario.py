"""One threaded HTTP server per loopback address, each a separate "host", with one route per
behaviour the checker must handle. Every request is logged as (listener, method, target, time)
so that tests assert how many requests the server really saw.

Listeners: "a" (127.0.0.1), "b" (127.0.0.2), "c" (127.0.0.3) serve the routes below; "catchall"
(127.0.0.4) answers 200 with the same page to any path; "tls" (127.0.0.1, another port) serves
the routes over HTTPS with a trustme certificate. Unknown paths get an honest 404.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import ssl
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import trustme

from linkcheck.check import CheckConfig, CheckResult, check_urls, make_client

ADDRESSES = {"a": "127.0.0.1", "b": "127.0.0.2", "c": "127.0.0.3", "catchall": "127.0.0.4"}
TLS_ADDRESS = "127.0.0.1"  # same host as "a", another port: for the http→https upgrade
HANG_MAX = 3.0  # a handler never sleeps longer than this
HUGE_BYTES = 50 * 1024 * 1024

# Small, fast settings: tiny backoff, short timeouts, no pacing unless a test asks for it.
FAST = CheckConfig(
    timeout=2.0,
    retries=2,
    backoff_base=0.01,
    backoff_max=0.05,
    host_interval=0.0,
    host_concurrency=4,
    max_url_seconds=10.0,
)

WORDS = (
    "The ministry publishes its annual report on regional trade, migration and water "
    "agreements, with tables for every border state, the methodology used by the statistics "
    "office, a glossary of terms, contact details for the press office and the full list of "
    "treaties in force between the two countries since nineteen seventy."
)


def page(title: str, body: str = WORDS, extra: str = "", charset: str = "utf-8") -> bytes:
    html = (
        f"<!doctype html><html><head><meta charset='{charset}'><title>{title}</title></head>"
        f"<body><h1>{title}</h1><p>{body}</p>{extra}</body></html>"
    )
    return html.encode(charset)


HOME = page("Ministry of Examples", "Welcome. " + WORDS)
CATALOGUE = page("Example Catalogue", "Browse our catalogue. " + WORDS + " " + WORDS)
ANCHORS = page(
    "Annual report 2023",
    extra="<h2 id='findings'>Findings</h2><p><a name='annex-2'>Annex 2</a></p>",
)


@dataclass(frozen=True)
class Seen:
    listener: str
    method: str
    target: str  # path and query, as sent
    at: float  # time.monotonic() when the request line was read


class Scenario:
    """The running servers and what they saw. `reset()` between tests."""

    def __init__(self, ca: trustme.CA) -> None:
        self.ca = ca
        self._lock = threading.Lock()
        self.log: list[Seen] = []
        self._hits: Counter[str] = Counter()
        self._connections: Counter[str] = Counter()
        self.huge_sent = 0
        self.huge_done = threading.Event()
        self._servers: dict[str, _Server] = {}
        for name, address in ADDRESSES.items():
            self._servers[name] = _Server(self, name, address, catch_all=name == "catchall")
        self._servers["tls"] = _Server(self, "tls", TLS_ADDRESS, tls=self._tls_context())
        self._threads = [
            threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
            for s in self._servers.values()
        ]
        for thread in self._threads:
            thread.start()

    def _tls_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ca.issue_cert(TLS_ADDRESS).configure_cert(context)
        return context

    def close(self) -> None:
        for server in self._servers.values():
            server.shutdown()
            server.server_close()

    def reset(self) -> None:
        with self._lock:
            self.log.clear()
            self._hits.clear()
            self.huge_sent = 0
            self.huge_done.clear()
            self._connections.clear()

    def url(self, listener: str, target: str = "/") -> str:
        host, port = self._servers[listener].socket.getsockname()[:2]
        scheme = "https" if listener == "tls" else "http"
        return f"{scheme}://{host}:{port}{target}"

    def record(self, listener: str, method: str, target: str) -> int:
        """Log a request; returns how many times this (method, target) was asked so far."""
        with self._lock:
            self.log.append(Seen(listener, method, target, time.monotonic()))
            self._hits[f"{listener} {method} {target}"] += 1
            return self._hits[f"{listener} {method} {target}"]

    def accepted(self, listener: str) -> None:
        with self._lock:
            self._connections[listener] += 1

    def connections(self, listener: str) -> int:
        """TCP connections the listener accepted since the last reset."""
        with self._lock:
            return self._connections[listener]

    def seen(self, listener: str | None = None, method: str | None = None) -> list[Seen]:
        with self._lock:
            return [
                s
                for s in self.log
                if (listener is None or s.listener == listener)
                and (method is None or s.method == method)
            ]

    def count(self, listener: str, target: str, method: str = "GET") -> int:
        return sum(1 for s in self.seen(listener, method) if s.target == target)

    def total(self, listener: str | None = None, method: str | None = None) -> int:
        return len(self.seen(listener, method))

    def set_huge_sent(self, sent: int) -> None:
        with self._lock:
            self.huge_sent = sent
        self.huge_done.set()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        scenario: Scenario,
        name: str,
        address: str,
        catch_all: bool = False,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.scenario = scenario
        self.name = name
        self.catch_all = catch_all
        self.tls = tls
        super().__init__((address, 0), _Handler)

    def get_request(self) -> tuple[Any, Any]:
        sock, address = super().get_request()
        self.scenario.accepted(self.name)
        if self.tls is not None:
            # Handshake in the handler thread, so a client that fails it blocks nobody.
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, address

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # failed handshakes and clients that hang up are part of the tests


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 10  # a connection left open by a client is dropped, bounding every thread
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._route("GET")

    def do_HEAD(self) -> None:
        self._route("HEAD")

    def _send(
        self,
        status: int,
        body: bytes = b"",
        content_type: str = "text/html; charset=utf-8",
        headers: Iterable[tuple[str, str]] = (),
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            with contextlib.suppress(OSError):  # the client may hang up first, by design
                self.wfile.write(body)

    def _redirect(
        self, status: int, location: str, headers: Iterable[tuple[str, str]] = ()
    ) -> None:
        self._send(status, b"", headers=[("Location", location), *headers])

    def _route(self, method: str) -> None:  # one branch per behaviour, on purpose
        scenario = self.server.scenario
        n = scenario.record(self.server.name, method, self.path)
        if self.server.catch_all:
            self._send(200, CATALOGUE)
            return
        parts = urlsplit(self.path)
        path = parts.path
        query = parse_qs(parts.query)
        if path == "/":
            self._send(200, HOME)
        elif path in ("/ok", "/chain/final", "/mixed-new", "/upgraded"):
            self._send(200, page(f"Report {path}"))
        elif path == "/anchors":
            time.sleep(min(float(query.get("s", ["0"])[0]), HANG_MAX))  # ?s=: answer late
            self._send(200, ANCHORS)
        elif path == "/flaky":
            fails = int(query.get("fail", ["1"])[0])
            self._send(503, page("Busy")) if n <= fails else self._send(200, page("Recovered"))
        elif path == "/rate-once":
            if n == 1:
                self._send(429, page("Slow down"), headers=[("Retry-After", "1")])
            else:
                self._send(200, page("Thanks for waiting"))
        elif path == "/rate-forever":
            self._send(429, page("Slow down"), headers=[("Retry-After", "0")])
        elif path == "/rate-long":
            self._send(429, page("Come back tomorrow"), headers=[("Retry-After", "3600")])
        elif path == "/rate-date":
            when = email.utils.formatdate(time.time() + 7200, usegmt=True)
            self._send(429, page("Come back later"), headers=[("Retry-After", when)])
        elif path == "/head-405":
            self._send(405 if method == "HEAD" else 200, page("Only GET here"))
        elif path == "/chain/1":
            self._redirect(301, "/chain/2")
        elif path == "/chain/2":
            self._redirect(301, scenario.url(self.server.name, "/chain/final"))
        elif path == "/temp":
            self._redirect(302, "/ok")
        elif path == "/mixed":
            self._redirect(301, "/mixed-new-302")
        elif path == "/mixed-new-302":
            self._redirect(302, "/mixed-new")
        elif path == "/loop/a":
            self._redirect(302, "/loop/b")
        elif path == "/loop/b":
            self._redirect(302, "/loop/a")
        elif path.startswith("/many/"):
            self._redirect(302, f"/many/{int(path.rsplit('/', 1)[1]) + 1}")
        elif path == "/old/annual-report-2019.pdf":
            self._redirect(301, "/")
        elif path == "/old/elsewhere":
            self._redirect(301, scenario.url("b", "/"))
        elif path == "/moved-away":
            self._redirect(302, "/404.html")
        elif path == "/to-bad-ipv6":  # Location headers no URL parser accepts
            self._redirect(301, "http://[draft/notes")
        elif path == "/to-bad-port":
            self._redirect(301, "http://example.org:port/")
        elif path == "/404.html":
            self._send(200, page("Ministry of Examples", "Sorry about that."))
        elif path == "/soft-en":
            self._send(200, page("Page Not Found | Ministry of Examples", "Try the search."))
        elif path == "/soft-es":
            body = page(
                "Página no encontrada - Secretaría", "Busque otra vez.", charset="iso-8859-1"
            )
            self._send(200, body, content_type="text/html; charset=iso-8859-1")
        elif path == "/latin1":
            body = page("Informe anual de la Secretaría", "Años de datos.", charset="iso-8859-1")
            self._send(200, body, content_type="text/html; charset=iso-8859-1")
        elif path == "/soft-es-h1":
            html = (
                "<html><head><title>Secretaría de Ejemplos</title></head><body>"
                "<h1>Lo sentimos, la página que busca no existe</h1><p>Vuelva al inicio.</p>"
            )
            self._send(200, html.encode())
        elif path == "/cf":
            body = b"<html><head><title>Just a moment...</title></head><body>Checking</body></html>"
            headers = [("cf-mitigated", "challenge"), ("Server", "cloudflare")]
            self._send(403, body, headers=headers)
        elif path == "/cf-503":
            body = b"<html><head><title>Just a moment...</title></head><body>Checking</body></html>"
            self._send(503, body, headers=[("Server", "cloudflare")])
        elif path == "/waf":
            self._send(202, b"", headers=[("x-amzn-waf-action", "challenge")])
        elif path == "/forbidden":
            self._send(403, page("Forbidden"))
        elif path == "/needs-key":
            ok = self.headers.get("X-Api-Key") == "secret"
            self._send(200 if ok else 403, page("Data portal"))
        elif path == "/auth":
            self._send(401, page("Login required"), headers=[("WWW-Authenticate", "Basic")])
        elif path == "/linkedin":
            self._send(999, b"<html><body>Request denied</body></html>")
        elif path == "/gone":
            self._send(410, page("Gone"))
        elif path == "/teapot":
            self._send(418, page("I'm a teapot"))
        elif path == "/error500":
            self._send(500, page("Internal Server Error"))
        elif path in ("/hang", "/slow"):
            time.sleep(min(float(query.get("s", ["3"])[0]), HANG_MAX))
            self._send(200, page("Finally"))
        elif path == "/huge":
            self._huge()
        elif path == "/login-wall":
            self._redirect(302, "/login?next=/login-wall")
        elif path == "/login":
            self._send(200, page("Sign in"))
        elif path == "/to-metadata":
            self._redirect(302, "http://169.254.169.254/latest/meta-data/")
        elif path == "/to-ftp":
            self._redirect(302, "ftp://ftp.example.org/file.txt")
        elif path == "/cookie":
            if "visited=1" in (self.headers.get("Cookie") or ""):
                self._send(200, page("Welcome back"))
            else:
                self._redirect(302, "/cookie", headers=[("Set-Cookie", "visited=1; Path=/")])
        elif path == "/upgrade" and self.server.name != "tls":
            self._redirect(301, scenario.url("tls", "/upgrade"))
        elif path == "/upgrade":
            self._send(200, page("Secure page"))
        elif path == "/paper.pdf":
            self._send(200, b"%PDF-1.4\n%fake\n", content_type="application/pdf")
        else:
            self._send(404, page("Not Found"))

    def _huge(self) -> None:
        """50 MB, written lazily: the count of bytes that left before the client hung up
        shows whether the checker read only its bounded prefix."""
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(HUGE_BYTES))
        self.end_headers()
        chunk = b"x" * 65536
        sent = 0
        try:
            while sent < HUGE_BYTES:
                self.wfile.write(chunk)
                sent += len(chunk)
        except OSError:
            pass
        finally:
            self.server.scenario.set_huge_sent(sent)
            self.close_connection = True


async def paced(batches: Sequence[list[str]], pause: float) -> AsyncIterator[list[str]]:
    """Each batch `pause` seconds after the last: URLs found while documents are read."""
    for batch in batches:
        await asyncio.sleep(pause)
        yield batch


def check_all(urls: Iterable[str], config: CheckConfig = FAST) -> dict[str, CheckResult]:
    """Run the checker over `urls` with a fresh client; results by URL."""

    async def main() -> dict[str, CheckResult]:
        async with make_client(config) as client:
            return {result.url: result async for result in check_urls(urls, client, config)}

    return asyncio.run(main())


def check_one(url: str, config: CheckConfig = FAST) -> CheckResult:
    return check_all([url], config)[url]
