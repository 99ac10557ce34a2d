"""What the bounded body prefix of a page tells: charset, title, first <h1>, anchors, text.

Parsing is lenient on purpose: the prefix may stop mid-tag, and real pages are rarely valid.
"""

from __future__ import annotations

import codecs
import contextlib
import re
from dataclasses import dataclass
from html.parser import HTMLParser

TITLE_MAX = 300
MAX_TOKENS = 5000  # enough to compare two pages; bounds the cost of difflib
_SKIPPED = frozenset({"script", "style", "noscript", "template", "svg", "math"})
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_HTML_START = re.compile(rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head)\b", re.I | re.S)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


@dataclass(frozen=True)
class Page:
    is_html: bool
    charset: str | None  # as declared by header, <meta> or BOM; None when nothing declared
    title: str | None = None
    h1: str | None = None
    anchors: frozenset[str] = frozenset()  # every id and name attribute value
    tokens: tuple[str, ...] = ()  # visible text split on white space, first MAX_TOKENS
    has_script: bool = False


def media_type(content_type: str | None) -> str | None:
    if not content_type:
        return None
    value = content_type.split(";", 1)[0].strip().lower()
    return value or None


def declared_charset(content_type: str | None, body: bytes) -> str | None:
    """The charset the server declared: Content-Type first, then a BOM, then <meta>."""
    if content_type:
        match = re.search(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", content_type, re.I)
        if match and _known_codec(match.group(1)):
            return match.group(1).lower()
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name
    meta = _META_CHARSET.search(body[:4096])
    if meta:
        name = meta.group(1).decode("ascii", "replace")
        if _known_codec(name):
            return name.lower()
    return None


def _known_codec(name: str) -> bool:
    try:
        codecs.lookup(name)
    except LookupError:
        return False
    return True


def looks_like_html(content_type: str | None, body: bytes) -> bool:
    kind = media_type(content_type)
    if kind in ("text/html", "application/xhtml+xml"):
        return True
    if kind is None or kind in ("text/plain", "application/octet-stream"):
        # Servers that send no (or a generic) type: sniff like a browser would.
        return bool(_HTML_START.match(body[:1024]))
    return False


def collapse(text: str, limit: int = TITLE_MAX) -> str:
    return " ".join(text.split())[:limit]


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title_parts: list[str] = []
        self.h1_parts: list[str] = []
        self.title_done = False
        self.h1_done = False
        self.in_title = False
        self.in_h1 = False
        self.skip_depth = 0
        self.anchors: set[str] = set()
        self.tokens: list[str] = []
        self.has_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for key, value in attrs:
            if key in ("id", "name") and value:
                self.anchors.add(value)
        if tag in _SKIPPED:
            self.skip_depth += 1
            self.has_script = self.has_script or tag == "script"
        elif tag == "title" and not self.title_done and self.skip_depth == 0:
            self.in_title = True
        elif tag == "h1" and not self.h1_done:
            self.in_h1 = True

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for key, value in attrs:  # a self-closed element opens nothing
            if key in ("id", "name") and value:
                self.anchors.add(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag == "title" and self.in_title:
            self.in_title, self.title_done = False, True
        elif tag == "h1" and self.in_h1:
            self.in_h1, self.h1_done = False, True

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title_parts.append(data)
            return
        if self.skip_depth:
            return
        if self.in_h1:
            self.h1_parts.append(data)
        if len(self.tokens) < MAX_TOKENS:
            self.tokens.extend(data.split()[: MAX_TOKENS - len(self.tokens)])


def decode(body: bytes, charset: str | None) -> str:
    try:
        return body.decode(charset or "utf-8", errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")


def parse_page(body: bytes, content_type: str | None) -> Page:
    charset = declared_charset(content_type, body)
    if not looks_like_html(content_type, body):
        text_tokens: tuple[str, ...] = ()
        if media_type(content_type) == "text/plain":
            text_tokens = tuple(decode(body, charset).split()[:MAX_TOKENS])
        return Page(is_html=False, charset=charset, tokens=text_tokens)
    collector = _Collector()
    # HTMLParser can choke on a cut-off prefix; keep whatever it saw before.
    with contextlib.suppress(Exception):
        collector.feed(decode(body, charset))
        collector.close()
    title = collapse("".join(collector.title_parts)) or None
    h1 = collapse("".join(collector.h1_parts)) or None
    return Page(
        is_html=True,
        charset=charset,
        title=title,
        h1=h1,
        anchors=frozenset(collector.anchors),
        tokens=tuple(collector.tokens),
        has_script=collector.has_script,
    )
