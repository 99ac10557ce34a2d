"""Turning a transport exception into a stable reason code and one actionable line.

httpx wraps the operating system's error (often two levels deep, sometimes inside an
ExceptionGroup from happy-eyeballs connects), so the cause chain is searched for the error that
says what actually happened: a name that does not resolve, a refused port, a certificate.
"""

from __future__ import annotations

import errno
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from linkcheck.check.network import RefusedAddress
from linkcheck.models import Status

_NO_ROUTE = frozenset(
    {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN, errno.EHOSTDOWN, errno.EADDRNOTAVAIL}
)


@dataclass(frozen=True)
class Failure:
    """Why a request got no HTTP answer, and whether trying again can help."""

    status: Status
    reason: str
    detail: str
    retryable: bool


class BudgetExceeded(Exception):
    """The URL used up max_url_seconds (its own time, not time queued behind other URLs)."""


def causes(exc: BaseException, limit: int = 32) -> Iterator[BaseException]:
    """`exc` and everything it was raised from, including ExceptionGroup members."""
    pending: list[BaseException] = [exc]
    seen: set[int] = set()
    while pending and len(seen) < limit:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
        if current.__cause__ is not None:
            pending.append(current.__cause__)
        # httpcore passes the original error as an argument and may drop the cause.
        pending.extend(arg for arg in current.args if isinstance(arg, BaseException))
        if current.__context__ is not None:
            pending.append(current.__context__)


def _where(url: str | None) -> str:
    if not url:
        return "the server"
    parts = urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        port = None
    host = parts.hostname or "?"
    return f"{host}:{port}" if port else host


def _text(exc: BaseException) -> str:
    text = str(exc).strip()
    return text or type(exc).__name__


def _from_os_error(exc: BaseException, url: str | None, timeout: float) -> Failure | None:
    where = _where(url)
    host = where.rsplit(":", 1)[0]
    if isinstance(exc, RefusedAddress):
        return Failure(Status.SKIPPED, exc.reason, f"{exc} at connection time", False)
    if isinstance(exc, ssl.SSLCertVerificationError):
        message = exc.verify_message or exc.reason or _text(exc)
        return Failure(Status.UNREACHABLE, "tls", f"certificate verify failed: {message}", False)
    if isinstance(exc, socket.gaierror):
        why = exc.strerror or _text(exc)
        return Failure(Status.UNREACHABLE, "dns", f"name does not resolve: {host} ({why})", False)
    if isinstance(exc, ConnectionRefusedError):
        return Failure(Status.UNREACHABLE, "refused", f"connection refused by {where}", False)
    if isinstance(exc, ConnectionResetError | ConnectionAbortedError | BrokenPipeError):
        detail = f"connection reset by {where}"
        return Failure(Status.UNREACHABLE, "connection-reset", detail, True)
    if isinstance(exc, ssl.SSLEOFError | ssl.SSLZeroReturnError):
        # A handshake cut short is a reset in TLS clothing (lychee#2297): worth a retry.
        detail = f"connection closed during the TLS handshake with {where}"
        return Failure(Status.UNREACHABLE, "connection-reset", detail, True)
    if isinstance(exc, ssl.SSLError):
        detail = f"TLS handshake with {where} failed: {exc.reason or _text(exc)}"
        return Failure(Status.UNREACHABLE, "tls", detail, False)
    if isinstance(exc, OSError) and exc.errno in _NO_ROUTE:
        detail = f"no route to {where} ({exc.strerror or _text(exc)})"
        return Failure(Status.UNREACHABLE, "unreachable-network", detail, False)
    if isinstance(exc, TimeoutError):
        return Failure(Status.UNREACHABLE, "timeout", f"no answer within {timeout:g} s", True)
    return None


_BAD_LOCATION = "Invalid URL in location header"


def redirect_to_invalid_url(why: str) -> str:
    return f"redirects to an invalid URL ({why})"


def classify_exception(exc: BaseException, url: str | None, timeout: float) -> Failure:
    """A Failure for any exception a request can raise; unknown ones become reason "error"."""
    if isinstance(exc, BudgetExceeded):
        return Failure(Status.UNREACHABLE, "timeout", _text(exc), False)
    if isinstance(exc, httpx.ConnectTimeout):
        detail = f"no connection to {_where(url)} within {timeout:g} s"
        return Failure(Status.UNREACHABLE, "connect-timeout", detail, True)
    for cause in causes(exc):
        found = _from_os_error(cause, url, timeout)
        if found is not None:
            return found
    where = _where(url)
    if isinstance(exc, httpx.TimeoutException):
        return Failure(Status.UNREACHABLE, "timeout", f"no answer within {timeout:g} s", True)
    if isinstance(exc, httpx.RemoteProtocolError):
        text = _text(exc)
        if text.startswith(_BAD_LOCATION):
            # httpx prepares the next request of every redirect, and refuses its Location.
            detail = redirect_to_invalid_url(text.removeprefix(_BAD_LOCATION).strip(" :."))
            return Failure(Status.BROKEN, "error", detail, False)
        detail = f"{where} broke the connection: {text}"
        return Failure(Status.UNREACHABLE, "connection-reset", detail, True)
    if isinstance(exc, httpx.ReadError | httpx.WriteError):
        detail = f"connection to {where} failed mid-request: {_text(exc)}"
        return Failure(Status.UNREACHABLE, "connection-reset", detail, True)
    if isinstance(exc, httpx.ProxyError):
        return Failure(Status.UNREACHABLE, "error", f"proxy error: {_text(exc)}", False)
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return Failure(Status.BROKEN, "error", f"invalid URL: {_text(exc)}", False)
    if isinstance(exc, httpx.LocalProtocolError):
        detail = f"request could not be sent: {_text(exc)}"
        return Failure(Status.UNREACHABLE, "error", detail, False)
    if isinstance(exc, httpx.ConnectError):
        detail = f"could not connect to {where}: {_text(exc)}"
        return Failure(Status.UNREACHABLE, "error", detail, False)
    detail = f"unexpected {type(exc).__name__}: {_text(exc)}"
    return Failure(Status.UNREACHABLE, "error", detail, False)
