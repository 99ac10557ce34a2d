"""Recognising bot walls: the server refused an automated check; the page may be fine.

Header fingerprints are trusted on any status. Body markers are only read on statuses that
walls use (a normal 200 page may well mention "captcha" or load Cloudflare's scripts).
"""

from __future__ import annotations

import httpx

_WALL_STATUSES = frozenset({202, 401, 403, 405, 406, 409, 429, 503})
_VENDOR_HEADERS = (
    ("x-iinfo", "Imperva Incapsula"),
    ("x-datadome", "DataDome"),
    ("x-dd-b", "DataDome"),
    ("x-sucuri-id", "Sucuri firewall"),
    ("x-px-block", "PerimeterX"),
)
_VENDOR_SERVERS = (
    ("cloudflare", "Cloudflare"),
    ("akamaighost", "Akamai"),
    ("datadome", "DataDome"),
    ("sucuri", "Sucuri firewall"),
    ("imperva", "Imperva"),
)
# (marker in the lower-cased body, what it is); each names its vendor on its own.
_BODY_MARKERS = (
    ("<title>just a moment...</title>", "Cloudflare challenge"),
    ("cf-browser-verification", "Cloudflare challenge"),
    ("cf_chl_opt", "Cloudflare challenge"),
    ("attention required! | cloudflare", "Cloudflare block"),
    ("_incapsula_resource", "Imperva Incapsula"),
    ("incapsula incident id", "Imperva Incapsula"),
    ("awswafintegration", "AWS WAF challenge"),
    ("aws-waf-token", "AWS WAF challenge"),
    ("captcha-delivery.com", "DataDome captcha"),
    ("_pxcaptcha", "PerimeterX captcha"),
    ("px-captcha", "PerimeterX captcha"),
    ("perimeterx", "PerimeterX"),
    ("sucuri website firewall", "Sucuri firewall"),
)
# Weaker markers: only a wall when a vendor is also named by headers.
_GENERIC_MARKERS = (
    "access denied",
    "request blocked",
    "are you a robot",
    "automated access",
    "unusual traffic",
)


def bot_wall(status: int, headers: httpx.Headers, body: bytes) -> str | None:
    """A short name of the bot wall the answer comes from, or None."""
    if headers.get("cf-mitigated", "").strip().lower() == "challenge":
        return "Cloudflare challenge (cf-mitigated: challenge)"
    waf = headers.get("x-amzn-waf-action", "").strip().lower()
    if waf in ("challenge", "captcha"):
        return f"AWS WAF {waf} (x-amzn-waf-action)"
    if status not in _WALL_STATUSES and not 500 <= status <= 599:
        return None
    text = body[:65536].decode("utf-8", "replace").lower()
    for marker, name in _BODY_MARKERS:
        if marker in text:
            return name
    vendor = _vendor(headers)
    if "captcha" in text:
        return f"{vendor} captcha" if vendor else "captcha page"
    if vendor and any(marker in text for marker in _GENERIC_MARKERS):
        return f"{vendor} block page"
    return None


def _vendor(headers: httpx.Headers) -> str | None:
    for header, name in _VENDOR_HEADERS:
        if header in headers:
            return name
    server = headers.get("server", "").lower()
    for marker, name in _VENDOR_SERVERS:
        if marker in server:
            return name
    return None
