"""The one HTTP client a run shares. The caller owns it and closes it."""

from __future__ import annotations

import os
import ssl

import certifi
import httpx

from linkcheck.check.config import CheckConfig

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


def make_client(config: CheckConfig) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        http2=True,
        follow_redirects=False,  # the engine follows redirects itself, hop by hop
        trust_env=True,  # HTTP(S)_PROXY / NO_PROXY are honoured
        verify=make_ssl_context(config),
        timeout=httpx.Timeout(config.timeout),
        # The engine's semaphores bound requests; the pool only needs a little slack for
        # connections that are closing after a body was cut short.
        limits=httpx.Limits(
            max_connections=config.concurrency + 8,
            max_keepalive_connections=config.concurrency,
        ),
        max_redirects=config.max_redirects,
        headers={
            "User-Agent": config.user_agent,
            "Accept": ACCEPT,
            "Accept-Language": "en",
        },
    )
