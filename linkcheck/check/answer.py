"""Observations: what one HTTP answer and one fetch (a redirect chain) showed.

These are the inputs of the pure verdict functions; only the engine creates them.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin

import httpx

from linkcheck.check.failures import Failure
from linkcheck.check.page import Page, media_type


@dataclass(frozen=True)
class Answer:
    """One HTTP response, with the bounded prefix of its body."""

    url: str
    status: int
    headers: httpx.Headers
    body: bytes = b""
    complete: bool = True  # False when the body was cut at the size limit
    reason_phrase: str = ""

    @property
    def content_type(self) -> str | None:
        value: str | None = self.headers.get("content-type")
        return value

    @property
    def media_type(self) -> str | None:
        return media_type(self.content_type)

    @property
    def location(self) -> str | None:
        """The absolute redirect target, fragment dropped (it names no separate resource);
        None without one, or when it is no URL (see `invalid_location`)."""
        return self._location()[0]

    @property
    def invalid_location(self) -> str | None:
        """Why the Location header given is no URL ("Invalid IPv6 URL"), or None."""
        return self._location()[1]

    def _location(self) -> tuple[str | None, str | None]:
        """(the target, why the header is no URL): one of them, or neither without one."""
        value: str | None = self.headers.get("location")
        if not value or not value.strip():
            return None, None
        try:
            return urljoin(self.url, value.strip()).partition("#")[0], None
        except ValueError as exc:
            return None, str(exc)

    @property
    def sets_cookie(self) -> bool:
        return "set-cookie" in self.headers


@dataclass(frozen=True)
class Fetch:
    """A GET of one URL and the redirects it led to."""

    url: str  # as requested, fragment removed
    hops: tuple[tuple[int, str], ...] = ()  # (status, target) of every redirect followed
    answer: Answer | None = None  # the last HTTP answer received
    failure: Failure | None = None  # why the chain ended without a usable final answer
    page: Page | None = None  # the parsed final answer, when there is one
    attempts: int = 0  # requests made, retries and hops included
    elapsed: float = 0.0  # seconds of this URL's own time (queueing behind others excluded)
    ids_read: bool = False  # the page's ids and names were collected (a cited URL has a "#")

    @property
    def redirects(self) -> tuple[str, ...]:
        return tuple(target for _, target in self.hops)

    @property
    def landing_url(self) -> str:
        return self.hops[-1][1] if self.hops else self.url
