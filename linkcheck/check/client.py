"""The one HTTP client a run shares. The caller owns it and closes it."""

from __future__ import annotations

import os
import ssl
from typing import Any

import certifi
import httpx

from linkcheck.check.config import CheckConfig
from linkcheck.check.pools import OriginPools, ProxyTable, environment_proxies
from linkcheck.check.safety import connect_rule

ACCEPT = "text/html,application/xhtml+xml,application/pdf;q=0.9,*/*;q=0.8"


def make_ssl_context(config: CheckConfig) -> ssl.SSLContext:
    """Verification always on. Trust what httpx would trust (SSL_CERT_FILE / SSL_CERT_DIR when
    set, else certifi) plus `config.ca_bundle`, for intranet or test CAs."""
    cafile = os.environ.get("SSL_CERT_FILE")
    capath = os.environ.get("SSL_CERT_DIR")
    if cafile and os.path.exists(cafile):
        context = ssl.create_default_context(cafile=cafile)
    elif capath and os.path.isdir(capath):
        context = ssl.create_default_context(capath=capath)
    else:
        context = ssl.create_default_context(cafile=certifi.where())
    if config.ca_bundle:
        context.load_verify_locations(cafile=config.ca_bundle)
    return context


class _Cookies(httpx.Cookies):
    def extract_cookies(self, response: httpx.Response) -> None:
        # httpx builds a urllib Request and an email Message for every response to hand to
        # the cookiejar module: 6 % of a checking process's CPU, for the few responses that
        # set a cookie.
        if "set-cookie" in response.headers:
            super().extract_cookies(response)


class _Client(httpx.AsyncClient):
    """httpx's client, with a cookie jar that does nothing for a response setting none."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.cookies = options.get("cookies")

    @property
    def cookies(self) -> httpx.Cookies:
        return self._jar

    @cookies.setter
    def cookies(self, cookies: Any) -> None:
        self._jar: httpx.Cookies = _Cookies(cookies)


def make_client(config: CheckConfig, proxies: ProxyTable | None = None) -> httpx.AsyncClient:
    """`proxies` defaults to this process's HTTP(S)_PROXY / ALL_PROXY / NO_PROXY."""
    transport = OriginPools(
        ssl_context=lambda: make_ssl_context(config),  # when the first HTTPS URL needs it
        http2=True,
        # The engine's semaphores bound requests per host; the slack is for connections still
        # closing after a body was cut short.
        per_origin=config.host_concurrency + 2,
        max_pools=max(config.concurrency, 8),
        proxies=environment_proxies() if proxies is None else proxies,
        # Checked again at connection time, so a name cannot resolve to a refused address
        # between the engine's lookup and the connection (DNS rebinding).
        address_rule=connect_rule(config),
    )
    return _Client(
        transport=transport,
        follow_redirects=False,  # the engine follows redirects itself, hop by hop
        timeout=httpx.Timeout(config.timeout),
        max_redirects=config.max_redirects,
        headers={
            "User-Agent": config.user_agent,
            "Accept": ACCEPT,
            "Accept-Language": "en",
        },
    )
