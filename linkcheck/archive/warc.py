"""Keeping what the checker fetched as WARC/1.1: a `request` and a `response` record per fetch,
linked by WARC-Concurrent-To, each record gzipped on its own (so the file can be appended to and
read by any WARC tool).

The body given is the decoded payload (httpx undoes Content-Encoding), so the recorded
Content-Encoding is renamed to X-Linkcheck-Orig-Content-Encoding and Content-Length set to the
payload's length; otherwise replay tools would try to gunzip plain bytes. Credentials
(Authorization, Cookie, Proxy-Authorization) are never written."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from http import HTTPStatus
from io import BytesIO
from pathlib import Path
from types import TracebackType
from typing import IO
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders  # type: ignore[import-untyped]
from warcio.warcwriter import WARCWriter  # type: ignore[import-untyped]

Headers = Mapping[str, str] | Iterable[tuple[str, str]]

SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})
_ENCODING_HEADERS = frozenset({"content-encoding", "transfer-encoding", "content-length"})


def _pairs(headers: Headers) -> list[tuple[str, str]]:
    items = headers.items() if isinstance(headers, Mapping) else headers
    return [(str(name), str(value)) for name, value in items]


class WarcRecorder:
    """Appends fetches to a WARC file. Synchronous and guarded by a lock, so calls from one
    event loop (or a few threads) never interleave records."""

    def __init__(self, path: Path | str, *, gzip: bool = True) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._stream: IO[bytes] = open(self.path, "ab")  # noqa: SIM115 - closed in close()
        self._writer = WARCWriter(self._stream, gzip=gzip, warc_version="1.1")
        self.count = 0

    def record(
        self,
        request_method: str,
        url: str,
        request_headers: Headers,
        status: int,
        response_headers: Headers,
        body: bytes,
        http_version: str = "HTTP/1.1",
    ) -> None:
        """Write one fetch: its request and its response."""
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        protocol = http_version if http_version.upper().startswith("HTTP/") else "HTTP/1.1"

        request_pairs = [
            (n, v) for n, v in _pairs(request_headers) if n.lower() not in SECRET_HEADERS
        ]
        if not any(name.lower() == "host" for name, _ in request_pairs):
            request_pairs.insert(0, ("Host", parts.netloc))
        request_http = StatusAndHeaders(
            f"{request_method.upper()} {target} {protocol}",
            request_pairs,
            protocol="",
            is_http_request=True,
        )

        response_pairs: list[tuple[str, str]] = []
        for name, value in _pairs(response_headers):
            lower = name.lower()
            if lower == "content-encoding":
                response_pairs.append(("X-Linkcheck-Orig-Content-Encoding", value))
            elif lower not in _ENCODING_HEADERS:
                response_pairs.append((name, value))
        response_pairs.append(("Content-Length", str(len(body))))
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Unknown"
        response_http = StatusAndHeaders(f"{status} {phrase}", response_pairs, protocol=protocol)

        with self._lock:
            response = self._writer.create_warc_record(
                url, "response", payload=BytesIO(body), length=len(body), http_headers=response_http
            )
            request = self._writer.create_warc_record(
                url, "request", payload=BytesIO(b""), length=0, http_headers=request_http
            )
            # Sets the request's Target-URI and Date from the response and adds
            # WARC-Concurrent-To: <response record id>.
            self._writer.write_request_response_pair(request, response)
            self._stream.flush()
            self.count += 1

    def close(self) -> None:
        with self._lock:
            if not self._stream.closed:
                self._stream.close()

    def __enter__(self) -> WarcRecorder:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
