"""What a redirect chain that ends on a live page means for the cited URL.

Rules (InternetArchiveBot's DeadlinkChecker, plus the equivalences users asked for):
- a hop to an error-looking path ("/404", "notfound", "not-found", "error") → soft-404;
- a deep link that lands on a site root ("/", "/index.html", "/en/"), of any host
  → redirect-to-root;
- a hop to a login page → auth-required (the page is behind a wall, not gone);
- a permanent (301/308) first hop → redirected, the suggested URL being where the leading run of
  permanent hops ends, unless that is the same URL in other clothes (http→https, "www.", a
  trailing slash): a scheme upgrade is no news to report;
- temporary hops only (302/303/307) → ok, since the cited URL is still the one to cite.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from linkcheck.models import Status

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
PERMANENT = frozenset({301, 308})
_DEFAULT_PORTS = {"http": 80, "https": 443}

_INDEX = r"(?:(?:index|default|home)\.(?:html?|php|aspx?|jsp))"
_ROOT_PATH = re.compile(rf"^/?{_INDEX}?$", re.I)
# "/en/", "/es-mx/": many sites send a missing page to the home page of a language. Only
# common language codes, so that "/ok" or "/us" stay deep links.
_LANGUAGES = (
    "ar|bn|ca|cs|da|de|el|en|es|eu|fa|fi|fr|gl|he|hi|hu|id|it|ja|ko|ms|nb|nl|no|pl|pt|ro|ru|"
    "sv|th|tr|uk|ur|vi|zh"
)
_LANGUAGE_ROOT = re.compile(rf"^/(?:{_LANGUAGES})(?:[-_][a-z]{{2,4}})?/?{_INDEX}?$", re.I)
# A path segment that names an error page: "/404", "/404.html", "/page-not-found",
# "/Error.aspx", "/errors/notfound". Not "/error-handling" (a page about errors).
_ERROR_SEGMENT = re.compile(
    r"(?:^|/)(?:[a-z0-9]+[-_])*(?:404|not-?found|not_found|pagenotfound|error|error404|404error)"
    r"(?:[-_]page)?(?:\.[a-z0-9]+)?(?:/|$)",
    re.I,
)
_LOGIN_SEGMENT = re.compile(
    r"(?:^|/)(?:login|log-in|logon|signin|sign-in|sign_in|sso|auth|authenticate|servicelogin)"
    r"(?:\.[a-z0-9]+)?(?:/|$)",
    re.I,
)
_LOGIN_HOSTS = ("login.", "signin.", "sso.", "auth.", "idp.", "accounts.")


@dataclass(frozen=True)
class ChainOutcome:
    status: Status
    reason: str | None
    final_url: str
    detail: str | None


def _path_query(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.path or "/", parts.query


def is_root(url: str) -> bool:
    path, query = _path_query(url)
    return not query and bool(_ROOT_PATH.match(path))


def is_root_like(url: str) -> bool:
    """A site's (or a language's) home page: never a deep link, never a soft-404."""
    path, query = _path_query(url)
    return not query and bool(_ROOT_PATH.match(path) or _LANGUAGE_ROOT.match(path))


def is_error_path(url: str) -> bool:
    return bool(_ERROR_SEGMENT.search(_path_query(url)[0]))


def is_login_page(url: str) -> bool:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return bool(_LOGIN_SEGMENT.search(parts.path)) or host.startswith(_LOGIN_HOSTS)


def _identity(url: str) -> tuple[str, str, int | None, str, str]:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    scheme = parts.scheme.lower()
    try:
        port = parts.port or _DEFAULT_PORTS.get(scheme)
    except ValueError:
        port = None
    return scheme, host, port, parts.path.rstrip("/") or "/", parts.query


def equivalent(a: str, b: str) -> bool:
    """Same resource in other clothes: scheme, "www.", trailing slash, default port."""
    scheme_a, host_a, port_a, path_a, query_a = _identity(a)
    scheme_b, host_b, port_b, path_b, query_b = _identity(b)
    if (host_a, path_a, query_a) != (host_b, path_b, query_b):
        return False
    # A scheme change moves the port with it; within one scheme the port must match.
    return scheme_a != scheme_b or port_a == port_b


def classify_chain(original: str, hops: Sequence[tuple[int, str]]) -> ChainOutcome:
    """The outcome of `original` whose redirects `hops` ((status, target), in order) ended on a
    live page. With no hops the URL is simply ok."""
    if not hops:
        return ChainOutcome(Status.OK, None, original, None)
    landing = hops[-1][1]
    if not is_error_path(original):
        for _, target in hops:
            if is_error_path(target):
                detail = f"redirects to an error page: {target}"
                return ChainOutcome(Status.BROKEN, "soft-404", landing, detail)
    if is_root_like(landing) and not is_root_like(original):
        detail = f"deep link redirects to a site's home page: {landing}"
        return ChainOutcome(Status.BROKEN, "redirect-to-root", landing, detail)
    if not is_login_page(original) and any(is_login_page(target) for _, target in hops):
        detail = f"redirects to a login page: {landing}"
        return ChainOutcome(Status.BLOCKED, "auth-required", landing, detail)
    suggestion: str | None = None
    for status, target in hops:
        if status not in PERMANENT:
            break
        suggestion = target
    if suggestion is not None and not equivalent(original, suggestion):
        detail = f"moved permanently to {suggestion}"
        if suggestion != landing:
            detail += f" (then lands on {landing})"
        return ChainOutcome(Status.REDIRECTED, None, suggestion, detail)
    kinds = "permanent" if all(status in PERMANENT for status, _ in hops) else "temporary"
    detail = f"{kinds} redirect to {landing}"
    return ChainOutcome(Status.OK, None, landing, detail)
