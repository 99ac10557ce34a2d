"""A fake Wayback Machine (and Memento TimeTravel) on loopback that speaks the real formats.

- CDX: `/cdx/search/cdx` JSON (first row field names, `[]` for none) or text; honours `url`,
  `output`, `fl`, `filter=[!]field:regex` (full match, repeatable), `from`/`to` (padded),
  `limit` (negative = last N), `sort=closest&closest=`.
- Availability: `/wayback/available?url=&timestamp=`.
- Replay: `/web/<ts>[mod_]/<url>` with Memento-Datetime, Link and `x-archive-orig-*` headers;
  an inexact timestamp answers 302 to the nearest capture; no capture answers the archive's own
  404 page (no Memento-Datetime).
- SPN: anonymous `GET /save/<url>` (Content-Location or Link rel=memento, X-Page-Cache: HIT),
  SPN2 `POST /save` (job JSON, or HTTP 200 errors with status_ext) and
  `GET /save/status/<job>` (pending for `spn_pending_polls` polls, then success or error).
- TimeTravel: `/api/json/<datetime>/<url>`.
- `fail_next(n, status=429, retry_after="1")` scripts the next n answers.

Every request is recorded (method, path, query, headers, body) for the tests to inspect.
`ForwardProxy` is a plain-HTTP forward proxy for absolute-URI requests."""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import http.client
import json
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

# (timestamp, status (None = "-" as for revisits), digest, mimetype, body)
CaptureSpec = tuple[str, int | None, str, str, bytes]

CDX_ALL_FIELDS = ("urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length")


def urlkey(url: str) -> str:
    """A SURT-like key: scheme, "www." and default ports do not matter, as in the CDX index."""
    text = url if "://" in url else "http://" + url
    parts = urlsplit(text)
    host = (parts.hostname or "").lower()
    if host.startswith("www."):
        host = host[4:]
    port = parts.port
    if port and port not in (80, 443):
        host = f"{host}:{port}"
    path = parts.path or "/"
    return host + path + (f"?{parts.query}" if parts.query else "")


def http_date(timestamp: str) -> str:
    moment = dt.datetime.strptime(timestamp, "%Y%m%d%H%M%S").replace(tzinfo=dt.UTC)
    return email.utils.format_datetime(moment, usegmt=True)


def _pad(timestamp: str, upper: bool) -> str:
    return timestamp[:14].ljust(14, "9" if upper else "0")


def _distance(a: str, b: str) -> float:
    def moment(ts: str) -> dt.datetime:
        padded = ts[:14] + "00000101000000"[len(ts[:14]) :]
        return dt.datetime.strptime(padded, "%Y%m%d%H%M%S")

    return abs((moment(a) - moment(b)).total_seconds())


@dataclass
class Capture:
    original: str
    timestamp: str
    status: int | None
    digest: str
    mimetype: str
    body: bytes


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes


@dataclass
class _Job:
    url: str
    polls_left: int
    reuse: bool
    error: str | None
    timestamp: str | None = None


@dataclass
class _Script:
    count: int
    status: int
    retry_after: str | None
    prefix: str | None


class FakeArchive:
    """Start with `with FakeArchive(captures) as archive:`; `archive.url` is its base URL."""

    def __init__(
        self,
        captures: Mapping[str, Sequence[CaptureSpec]] | None = None,
        *,
        access_key: str | None = None,
        secret_key: str | None = None,
        timetravel: Mapping[str, Sequence[tuple[str, Sequence[str]]]] | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self._captures: dict[str, list[Capture]] = {}
        for url, specs in (captures or {}).items():
            for spec in specs:
                self.add_capture(url, *spec)
        self.access_key = access_key
        self.secret_key = secret_key
        # TimeTravel: {url: [(ISO datetime, [URI-M, ...]), ...]}
        self.timetravel = {
            urlkey(url): sorted(entries) for url, entries in (timetravel or {}).items()
        }
        self.recorded: list[RecordedRequest] = []
        self._scripts: list[_Script] = []
        self._jobs: dict[str, _Job] = {}
        self._job_counter = 0
        self._saved_counter = 0
        # Knobs for Save Page Now
        self.spn_pending_polls = 1
        self.spn_submit_errors: dict[str, list[str]] = {}  # url -> status_ext per POST
        self.spn_job_errors: dict[str, str] = {}  # url -> status_ext in the status answer
        self.spn_reuse: set[str] = set()  # POST says a recent capture was reused
        self.page_cache_hit: set[str] = set()  # anonymous GET answers X-Page-Cache: HIT
        self.save_runtime_error: dict[str, str] = {}
        self.anonymous_location = "content-location"  # or "link"
        self.cdx_status: dict[str, int] = {}  # url -> HTTP status for its CDX query
        self.cdx_ignore_bounds = False  # act like a fast path that ignores from/to
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.archive = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    # --- lifecycle ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeArchive:
        self._thread.start()
        return self

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeArchive:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # --- scripting and inspection ------------------------------------------------------------

    def add_capture(
        self,
        url: str,
        timestamp: str,
        status: int | None = 200,
        digest: str = "",
        mimetype: str = "text/html",
        body: bytes = b"<html><title>page</title><body>content</body></html>",
    ) -> Capture:
        digest = digest or hashlib.sha1(body).hexdigest().upper()[:32]
        capture = Capture(url, timestamp, status, digest, mimetype, body)
        with self._lock:
            captures = self._captures.setdefault(urlkey(url), [])
            captures.append(capture)
            captures.sort(key=lambda item: item.timestamp)
        return capture

    def captures(self, url: str) -> list[Capture]:
        with self._lock:
            return list(self._captures.get(urlkey(url), []))

    def fail_next(
        self,
        count: int,
        status: int = 429,
        retry_after: str | None = "1",
        path_prefix: str | None = None,
    ) -> None:
        """The next `count` requests (under `path_prefix`, if given) answer `status`."""
        with self._lock:
            self._scripts.append(_Script(count, status, retry_after, path_prefix))

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self.recorded)

    def requests_to(self, prefix: str, method: str | None = None) -> list[RecordedRequest]:
        return [
            request
            for request in self.requests
            if request.path.startswith(prefix) and (method is None or request.method == method)
        ]

    # --- answers ------------------------------------------------------------------------------

    def handle(self, handler: _Handler, method: str) -> None:
        raw = handler.path
        if raw.startswith(("http://", "https://")):  # absolute form, if a proxy passes it on
            parts = urlsplit(raw)
            raw = parts.path + (f"?{parts.query}" if parts.query else "")
        path, _, query = raw.partition("?")
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        request = RecordedRequest(
            method,
            path,
            parse_qs(query, keep_blank_values=True),
            {name.lower(): value for name, value in handler.headers.items()},
            body,
        )
        with self._lock:
            self.recorded.append(request)
            scripted = self._take_script(path)
        if scripted is not None:
            headers = {"Retry-After": scripted.retry_after} if scripted.retry_after else {}
            handler.reply(
                scripted.status,
                b"<html><title>Too Many Requests</title></html>",
                "text/html",
                headers,
            )
            return
        tail = path + (f"?{query}" if query else "")
        if method == "GET" and path == "/cdx/search/cdx":
            self._cdx(handler, request)
        elif method == "GET" and path == "/wayback/available":
            self._available(handler, request)
        elif method == "GET" and path.startswith("/web/"):
            self._replay(handler, tail)
        elif method == "GET" and path.startswith("/save/status/"):
            self._status(handler, request, path[len("/save/status/") :])
        elif method == "POST" and path.rstrip("/") == "/save":
            self._spn2(handler, request)
        elif method == "GET" and path.startswith("/save/"):
            self._save_get(handler, tail[len("/save/") :])
        elif method == "GET" and path.startswith("/api/json/"):
            self._timetravel(handler, tail[len("/api/json/") :])
        else:
            handler.reply(404, b"not found", "text/plain")

    def _take_script(self, path: str) -> _Script | None:
        for script in self._scripts:
            if script.count > 0 and (script.prefix is None or path.startswith(script.prefix)):
                script.count -= 1
                return script
        return None

    def _cdx(self, handler: _Handler, request: RecordedRequest) -> None:
        query = request.query
        url = (query.get("url") or [""])[0]
        if not url:
            handler.reply(400, b"url is required", "text/plain")
            return
        if url in self.cdx_status:
            handler.reply(self.cdx_status[url], b"error", "text/plain")
            return
        rows: list[dict[str, str]] = []
        for capture in self.captures(url):
            rows.append(
                {
                    "urlkey": urlkey(capture.original),
                    "timestamp": capture.timestamp,
                    "original": capture.original,
                    "mimetype": capture.mimetype,
                    "statuscode": "-" if capture.status is None else str(capture.status),
                    "digest": capture.digest,
                    "length": str(len(capture.body)),
                }
            )
        for expression in query.get("filter", []):
            negate = expression.startswith("!")
            name, _, pattern = expression.lstrip("!").partition(":")
            rows = [row for row in rows if bool(re.fullmatch(pattern, row.get(name, ""))) != negate]
        if query.get("from") and not self.cdx_ignore_bounds:
            low = _pad(query["from"][0], upper=False)
            rows = [row for row in rows if row["timestamp"] >= low]
        if query.get("to") and not self.cdx_ignore_bounds:
            high = _pad(query["to"][0], upper=True)
            rows = [row for row in rows if row["timestamp"] <= high]
        if query.get("sort") == ["closest"] and query.get("closest"):
            target = query["closest"][0]
            rows.sort(key=lambda row: _distance(row["timestamp"], target))
        elif query.get("sort") == ["reverse"]:
            rows.reverse()
        if query.get("limit"):
            limit = int(query["limit"][0])
            rows = rows[:limit] if limit >= 0 else rows[limit:]
        names = (query.get("fl") or [",".join(CDX_ALL_FIELDS)])[0].split(",")
        table = [[row.get(name, "") for name in names] for row in rows]
        if query.get("output") == ["json"]:
            payload = json.dumps([names, *table] if table else []).encode()
            handler.reply(200, payload, "application/json")
        else:
            handler.reply(
                200, "".join(" ".join(line) + "\n" for line in table).encode(), "text/plain"
            )

    def _available(self, handler: _Handler, request: RecordedRequest) -> None:
        url = (request.query.get("url") or [""])[0]
        target = (request.query.get("timestamp") or [""])[0]
        good = [capture for capture in self.captures(url) if capture.status == 200]
        answer: dict[str, Any] = {"url": url, "archived_snapshots": {}}
        if target:
            answer["timestamp"] = target
        if good:
            chosen = (
                min(good, key=lambda capture: _distance(capture.timestamp, target))
                if target
                else good[-1]
            )
            answer["archived_snapshots"]["closest"] = {
                "available": True,
                "url": f"http://web.archive.org/web/{chosen.timestamp}/{chosen.original}",
                "timestamp": chosen.timestamp,
                "status": str(chosen.status),
            }
        handler.reply(200, json.dumps(answer).encode(), "application/json")

    def _replay(self, handler: _Handler, tail: str) -> None:
        match = re.fullmatch(r"/web/(\d{1,14})([a-z]{2}_)?/(.+)", tail, re.DOTALL)
        if match is None:
            handler.reply(404, b"bad replay path", "text/plain")
            return
        timestamp, modifier, original = match.group(1), match.group(2) or "", match.group(3)
        captures = self.captures(original)
        if not captures:
            handler.reply(
                404,
                b"<html><title>Wayback Machine</title><body>Hrm. The Wayback Machine has not "
                b"archived that URL.</body></html>",
                "text/html",
            )
            return
        exact = [capture for capture in captures if capture.timestamp == timestamp]
        if not exact:
            nearest = min(captures, key=lambda capture: _distance(capture.timestamp, timestamp))
            location = f"/web/{nearest.timestamp}{modifier}/{nearest.original}"
            handler.reply(302, b"", "text/plain", {"Location": location})
            return
        capture = exact[0]
        headers = {
            "Memento-Datetime": http_date(capture.timestamp),
            "Link": f'<{capture.original}>; rel="original"',
            "x-archive-orig-content-type": capture.mimetype,
            "x-archive-orig-date": http_date(capture.timestamp),
            "x-archive-src": "fake-00001.warc.gz",
        }
        handler.reply(capture.status or 200, capture.body, capture.mimetype, headers)

    def _authorized(self, request: RecordedRequest) -> bool:
        given = request.headers.get("authorization")
        if self.access_key is None:
            return True
        return given == f"LOW {self.access_key}:{self.secret_key}"

    def _spn2(self, handler: _Handler, request: RecordedRequest) -> None:
        if not self._authorized(request):
            handler.reply(401, json.dumps({"message": "unauthorized"}).encode(), "application/json")
            return
        form = parse_qs(request.body.decode(), keep_blank_values=True)
        url = (form.get("url") or [""])[0]
        with self._lock:
            errors = self.spn_submit_errors.get(url)
            error = errors.pop(0) if errors else None
        if error is not None:
            payload = {
                "status": "error",
                "status_ext": error,
                "message": f"Capture failed: {error}",
            }
            handler.reply(200, json.dumps(payload).encode(), "application/json")
            return
        reuse = url in self.spn_reuse and bool(self.captures(url))
        with self._lock:
            self._job_counter += 1
            job_id = "spn2-" + hashlib.sha1(f"{url} {self._job_counter}".encode()).hexdigest()
            self._jobs[job_id] = _Job(
                url, self.spn_pending_polls, reuse, self.spn_job_errors.get(url)
            )
        answer: dict[str, Any] = {"url": url, "job_id": job_id}
        if reuse:
            answer["message"] = (
                "The same snapshot had been made 5 minutes ago. You can make new capture of this "
                "URL after 1 hour."
            )
        handler.reply(200, json.dumps(answer).encode(), "application/json")

    def _new_capture(self, url: str) -> Capture:
        with self._lock:
            self._saved_counter += 1
            moment = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=self._saved_counter)
        body = f"<html><title>captured {url}</title><body>fresh copy</body></html>".encode()
        return self.add_capture(url, moment.strftime("%Y%m%d%H%M%S"), 200, "", "text/html", body)

    def _status(self, handler: _Handler, request: RecordedRequest, job_id: str) -> None:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            payload: dict[str, Any] = {
                "status": "error",
                "status_ext": "error:job-not-found",
                "message": "no such job",
            }
            handler.reply(200, json.dumps(payload).encode(), "application/json")
            return
        if job.polls_left > 0:
            job.polls_left -= 1
            payload = {"status": "pending", "job_id": job_id, "resources": []}
        elif job.error is not None:
            payload = {
                "status": "error",
                "status_ext": job.error,
                "job_id": job_id,
                "message": "the capture failed",
                "resources": [],
            }
        else:
            if job.timestamp is None:
                captures = self.captures(job.url)
                capture = captures[-1] if job.reuse and captures else self._new_capture(job.url)
                job.timestamp = capture.timestamp
            payload = {
                "status": "success",
                "job_id": job_id,
                "original_url": job.url,
                "timestamp": job.timestamp,
                "duration_sec": 0.1,
                "resources": [job.url],
                "outlinks": {},
            }
        handler.reply(200, json.dumps(payload).encode(), "application/json")

    def _save_get(self, handler: _Handler, url: str) -> None:
        if url in self.save_runtime_error:
            handler.reply(
                403,
                b"<html><title>Error</title></html>",
                "text/html",
                {"X-Archive-Wayback-Runtime-Error": self.save_runtime_error[url]},
            )
            return
        captures = self.captures(url)
        hit = url in self.page_cache_hit and bool(captures)
        capture = captures[-1] if hit else self._new_capture(url)
        headers = {"X-Page-Cache": "HIT" if hit else "MISS"}
        location = f"/web/{capture.timestamp}/{capture.original}"
        if self.anonymous_location == "link":
            headers["Link"] = (
                f'<{capture.original}>; rel="original", <{self.url}{location}>; rel="memento"; '
                f'datetime="{http_date(capture.timestamp)}"'
            )
        else:
            headers["Content-Location"] = location
        handler.reply(200, b"<html><title>Saved</title></html>", "text/html", headers)

    def _timetravel(self, handler: _Handler, tail: str) -> None:
        stamp, _, url = tail.partition("/")
        entries = self.timetravel.get(urlkey(url), [])
        if not entries:
            handler.reply(404, b"", "application/json")
            return

        def iso_stamp(iso: str) -> str:
            return re.sub(r"\D", "", iso)[:14]

        index = min(range(len(entries)), key=lambda i: _distance(iso_stamp(entries[i][0]), stamp))

        def entry(i: int) -> dict[str, Any]:
            return {"datetime": entries[i][0], "uri": list(entries[i][1])}

        mementos: dict[str, Any] = {
            "closest": entry(index),
            "first": entry(0),
            "last": entry(len(entries) - 1),
        }
        if index > 0:
            mementos["prev"] = entry(index - 1)
        if index < len(entries) - 1:
            mementos["next"] = entry(index + 1)
        payload = {
            "original_uri": url,
            "mementos": mementos,
            "timegate_uri": f"{self.url}/timegate/{url}",
        }
        handler.reply(200, json.dumps(payload).encode(), "application/json")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes
    timeout = 10

    def do_GET(self) -> None:
        self.server.archive.handle(self, "GET")  # type: ignore[attr-defined]

    def do_POST(self) -> None:
        self.server.archive.handle(self, "POST")  # type: ignore[attr-defined]

    def reply(
        self, status: int, body: bytes, content_type: str, headers: Mapping[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


# --- a forward proxy ----------------------------------------------------------------------------

_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "proxy-connection",
        "content-length",
    }
)


@dataclass
class ForwardProxy:
    """A plain-HTTP forward proxy: takes absolute-URI requests and forwards them."""

    forwarded: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _ProxyHandler)
        self._server.daemon_threads = True
        self._server.proxy = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> ForwardProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def note(self, url: str) -> None:
        with self._lock:
            self.forwarded.append(url)


class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes
    timeout = 10

    def do_GET(self) -> None:
        self._forward("GET")

    def do_POST(self) -> None:
        self._forward("POST")

    def _forward(self, method: str) -> None:
        parts = urlsplit(self.path)
        if parts.scheme != "http" or not parts.hostname:
            self._answer(400, b"absolute http URI required", [])
            return
        self.server.proxy.note(self.path)  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {
            name: value for name, value in self.headers.items() if name.lower() not in _HOP_BY_HOP
        }
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        connection = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=10)
        try:
            connection.request(method, target or "/", body=body, headers=headers)
            response = connection.getresponse()
            payload = response.read()
            kept = [(n, v) for n, v in response.getheaders() if n.lower() not in _HOP_BY_HOP]
            self._answer(response.status, payload, kept)
        except OSError as error:
            self._answer(502, str(error).encode(), [])
        finally:
            connection.close()

    def _answer(self, status: int, body: bytes, headers: list[tuple[str, str]]) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return
