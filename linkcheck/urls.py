"""Finding URLs in running text, and the small URL rules every stage shares."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit, urlunsplit

# Schemes linkcheck reports as skipped rather than checks: they name no web page.
SKIPPED_SCHEMES = frozenset({"mailto", "tel", "javascript", "file", "data", "sms", "ftp"})
CHECKED_SCHEMES = frozenset({"http", "https"})

# A URL candidate: scheme or "www.", then anything up to white space or a character that never
# appears unescaped in a URL written in prose (quotes, angle brackets, CJK punctuation).
_URL_START = re.compile(r"(?:https?://|(?<![\w@.])www\.)", re.IGNORECASE)
_URL_BODY = re.compile(r"[^\s<>\"'`{}|\\^\u201c\u201d\u2018\u2019\u3001\u3002\uff0c\uff08\uff09]+")
_TRAILING_PUNCTUATION = ".,;:!?*\u2026\u2014\u2013-"
_CLOSERS = {")": "(", "]": "[", "}": "{"}
_SCHEME_ONLY = re.compile(r"https?://|www\.?", re.IGNORECASE)  # with nothing after it: no URL


@dataclass(frozen=True)
class UrlSpan:
    url: str
    start: int
    end: int


def find_urls(text: str) -> list[UrlSpan]:
    """Every bare URL in `text`, trimmed of the punctuation that ends the sentence around it."""
    spans: list[UrlSpan] = []
    position = 0
    while True:
        start_match = _URL_START.search(text, position)
        if start_match is None:
            return spans
        start = start_match.start()
        body = _URL_BODY.match(text, start)
        end = body.end() if body else start_match.end()
        url = trim_url(text[start:end])
        host = _hostname(url) if url else None
        if url and host and ("." in host.strip(".") or host == "localhost"):
            spans.append(UrlSpan(url, start, start + len(url)))
        position = max(end, start_match.end())


def _hostname(url: str) -> str | None:
    """The host `normalize_url(url)` names: most often urlsplit's, without normalizing the
    rest (hostname is lower-cased and has no port); where it finds none ("http:////a.org/x",
    which normalizing turns into "http://a.org/x"), after normalizing."""
    stripped = url.strip()
    if stripped[:4].lower() == "www.":
        stripped = "https://" + stripped
    try:
        return urlsplit(stripped).hostname or urlsplit(normalize_url(url)).hostname
    except ValueError:  # "http://[broken" is not a URL
        return None


def trim_url(candidate: str) -> str:
    """Strip trailing punctuation and unbalanced closing brackets; keep balanced ones."""
    url = candidate
    while url:
        last = url[-1]
        unbalanced = last in _CLOSERS and url.count(last) > url.count(_CLOSERS[last])
        if last in _TRAILING_PUNCTUATION or unbalanced:
            url = url[:-1]
        else:
            break
    if _SCHEME_ONLY.fullmatch(url):
        return ""
    return url


def normalize_url(url: str) -> str:
    """The identity of a link: scheme added to "www." URLs, scheme and host lower-cased,
    default ports dropped. Path, query and fragment are kept as written."""
    url = url.strip()
    if url.lower().startswith("www."):
        url = "https://" + url
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    netloc = parts.netloc
    if scheme in CHECKED_SCHEMES and netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        hostport = hostport.lower()
        default_port = {"http": ":80", "https": ":443"}[scheme]
        if hostport.endswith(default_port):
            hostport = hostport[: -len(default_port)]
        netloc = f"{userinfo}@{hostport}" if userinfo else hostport
        path = parts.path or "/"
        return urlunsplit((scheme, netloc, path, parts.query, parts.fragment))
    return urlunsplit((scheme, netloc, parts.path, parts.query, parts.fragment))


def resolve_url(href: str, base: str | None) -> str:
    """An href as a browser would follow it: relative references joined to `base`."""
    href = href.strip()
    if base and not urlsplit(href).scheme:
        return urljoin(base, href)
    return href


_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")


def scheme_of(url: str) -> str:
    """The scheme, lower-cased ("" for none). Read as urlsplit reads it, without the rest of
    urlsplit, which raises on a malformed host such as "ftp://[x/"."""
    scheme = _SCHEME.match(url)
    return scheme.group(1).lower() if scheme else ""


def is_checkable(url: str) -> bool:
    """An http(s) URL with an authority: the checker requests it, or reports it broken when
    that authority is malformed ("http://[x/", "http://user@/"), rather than skip it."""
    scheme, separator, rest = url.partition("://")
    return bool(separator) and scheme.lower() in CHECKED_SCHEMES and rest[:1] not in _NO_HOST


_NO_HOST = ("", "/", "?", "#")


def url_host(url: str) -> tuple[str, str | None]:
    """The host a URL names (lower-cased) and None; or "" and why it names none that could
    be asked ("invalid URL: no host", "invalid URL: Invalid IPv6 URL")."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        _ = parts.port  # raises on a port that is not a number
    except ValueError as exc:
        return "", f"invalid URL: {exc}"
    return (host, None) if host else ("", "invalid URL: no host")


# Characters a URL broken across two lines may continue with (no white space, no prose quotes).
_CONTINUATION = re.compile(r"[A-Za-z0-9\-._~%/?#=&+:;,@!$*()\[\]]+")


def continues_url(url: str, next_line: str, line_was_full: bool) -> str | None:
    """The part of `next_line` that continues `url` when a layout wrapped it, else None.

    A break is trusted after "/", "-", "_", "=", "&", "?", "%", "." or "~" (nothing ends a URL
    there), and mid-token when the line was full and the next token is URL-like (no capitalised
    word, carries a URL character), as PDF-to-text wraps long URLs anywhere.
    """
    words = next_line.split()
    token = words[0] if words else ""
    # A lone word followed by more prose ("is not acceptable.") is the sentence going on.
    if len(words) > 1 and token.isalpha():
        return None
    match = _CONTINUATION.match(token)
    if not match or match.end() != len(token):
        token = match.group(0) if match else ""
    if not token or _URL_START.match(token):
        return None
    trimmed = trim_url(token)
    if not trimmed:
        return None
    if url[-1] in "/-_=&?%.~":
        # Prose after a URL ending in a dot ("see example.org/x. The next") is not a continuation.
        if url[-1] == "." and not re.match(r"[a-z0-9/]", trimmed):
            return None
        return trimmed
    looks_like_url_piece = bool(re.search(r"[/\-_.=?&%]|\d", trimmed)) and not re.match(
        r"[A-Z][a-z]+\b", trimmed
    )
    if line_was_full and looks_like_url_piece:
        return trimmed
    return None
