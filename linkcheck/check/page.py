"""What the bounded body prefix of a page tells: charset, title, first <h1>, anchors, text.

Parsing is lenient on purpose: the prefix may stop mid-tag, and real pages are rarely valid.
"""

from __future__ import annotations

import codecs
import html
import re
from dataclasses import dataclass
from functools import lru_cache

TITLE_MAX = 300
MAX_TOKENS = 5000  # enough to compare two pages; bounds the cost of difflib
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
    # Visible text split on white space, first MAX_TOKENS; None when not read yet (only the
    # soft-404 comparison needs them, and only on hosts that answer a random path with a page).
    tokens: tuple[str, ...] | None = ()
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


# Scanning with regular expressions rather than a full HTML parser: a page is read only for its
# title, first <h1>, ids and names, and the first words of its text, and a Python-level parser
# over a megabyte of markup was a third of a large run's CPU.
_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.S)
_SKIPPED_BLOCK = re.compile(
    r"<(script|style|noscript|template|svg|math)\b[^>]*>.*?(?:</\1\s*>|$)", re.I | re.S
)
_TITLE = re.compile(r"<title\b[^>]*>(.*?)(?:</title\s*>|$)", re.I | re.S)
_H1 = re.compile(r"<h1\b[^>]*>(.*?)(?:</h1\s*>|$)", re.I | re.S)
_TITLE_CLOSED = re.compile(r"<title\b[^>]*>(.*?)</title\s*>", re.I | re.S)
_H1_CLOSED = re.compile(r"<h1\b[^>]*>(.*?)</h1\s*>", re.I | re.S)
_TAG = re.compile(r"<[^>]*>?")
_ANCHOR_ATTRIBUTE = re.compile(r"""\s(?:id|name)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+))""", re.I)
_TAG_WITH_ANCHOR = re.compile(r"<[a-zA-Z][^>]*\s(?:id|name)\s*=[^>]*>", re.I | re.S)
TEXT_SCAN = 400_000  # characters of markup read for the text: MAX_TOKENS words need far fewer
_FIRST_TEXT_SCAN = 50_000  # the first window; it grows only while words are still missing
_SCRIPT = re.compile(r"<script\b", re.I)
_SCRIPT_BYTES = re.compile(rb"<script\b", re.I)
# Bytes of a long page read first for its title and <h1>; most pages have both in the first.
HEAD_WINDOWS = (8_192, 65_536)
_BODY = re.compile(r"<body\b", re.I)


def _text_of(markup: str) -> str:
    return html.unescape(_TAG.sub(" ", markup))


def decode(body: bytes, charset: str | None) -> str:
    try:
        return body.decode(charset or "utf-8", errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")


def _first_tokens(markup: str) -> tuple[str, ...]:
    """The first MAX_TOKENS words of the visible text, reading no more markup than needed."""
    window = _FIRST_TEXT_SCAN
    while True:
        words = _text_of(markup[:window]).split(maxsplit=MAX_TOKENS)
        if len(words) > MAX_TOKENS or window >= min(len(markup), TEXT_SCAN):
            return tuple(words[:MAX_TOKENS])
        window *= 4


def _html_tokens(visible: str) -> tuple[str, ...]:
    body_start = _BODY.search(visible)
    start = body_start.start() if body_start else 0
    return _first_tokens(visible[start : start + TEXT_SCAN])


def _visible(body: bytes, charset: str | None) -> tuple[str, str]:
    """The markup without comments, and that again without script, style and the like."""
    markup = _COMMENT.sub(" ", decode(body, charset))
    return markup, _SKIPPED_BLOCK.sub(" ", markup)


def text_tokens(page: Page, body: bytes) -> tuple[str, ...]:
    """The page's first words, read from `body` now if `parse_page` skipped them."""
    if page.tokens is not None:
        return page.tokens
    return _html_tokens(_visible(body, page.charset)[1])


def _anchors(visible: str) -> frozenset[str]:
    return frozenset(
        value
        for tag in _TAG_WITH_ANCHOR.finditer(visible)
        for found in _ANCHOR_ATTRIBUTE.finditer(tag.group(0))
        if (value := html.unescape(found.group(1) or found.group(2) or found.group(3) or ""))
    )


@lru_cache(maxsize=64)
def _ascii_compatible(charset: str | None) -> bool:
    """Whether ASCII markup is the same bytes in this charset (not so in UTF-16, say)."""
    name = charset or "utf-8"
    try:
        # Both ways: UTF-7, say, writes "<" as "+ADw-", so markup may hide in other bytes.
        return "<script".encode(name) == b"<script" and b"+ADw-".decode(name) == "+ADw-"
    except (LookupError, UnicodeError):
        return False


def _from_head(body: bytes, charset: str | None) -> tuple[str, str, bool] | None:
    """The title, first <h1> and whether a script is present, from the page's first few
    kilobytes (HEAD_WINDOWS, each tried in turn); None when only the whole page can tell."""
    if not _ascii_compatible(charset):
        return None
    for window in HEAD_WINDOWS:
        if len(body) <= window:
            return None
        found = _from_window(body, window, charset)
        if found is not None:
            return found
    return None


def _from_window(body: bytes, window: int, charset: str | None) -> tuple[str, str, bool] | None:
    """What `_from_head` reads, if the first `window` bytes settle it as reading the whole page
    would. They do when the title and the <h1> both close inside (what precedes a comment or
    script cut by the window's end reads the same either way), and the script question is
    answered there or by the raw bytes having no `<script` at all."""
    markup, visible = _visible(body[:window], charset)
    title = _TITLE.search(markup)
    h1 = _H1.search(visible)
    # The same first tags, closed before the window ends.
    title = _TITLE_CLOSED.match(markup, title.start()) if title else None
    h1 = _H1_CLOSED.match(visible, h1.start()) if h1 else None
    if title is None or h1 is None:
        return None
    script = _SCRIPT.search(markup)
    # A "<script" that ends at the window's edge may go on as "<scripted-widget".
    has_script = script is not None and script.end() < len(markup)
    if not has_script and _SCRIPT_BYTES.search(body, window - len("<script")):
        return None  # one further on, perhaps inside a comment: read it all
    return title.group(1), h1.group(1), has_script


def parse_page(
    body: bytes, content_type: str | None, *, anchors: bool = True, tokens: bool = True
) -> Page:
    """`anchors=False` skips collecting ids and names (no cited URL has a fragment here);
    `tokens=False` leaves an HTML page's words unread until `text_tokens` asks for them.
    With neither, a long page is read only as far as its title and <h1> (`_from_head`)."""
    charset = declared_charset(content_type, body)
    if not looks_like_html(content_type, body):
        text_tokens: tuple[str, ...] = ()
        if media_type(content_type) == "text/plain":
            text_tokens = tuple(decode(body, charset).split(maxsplit=MAX_TOKENS)[:MAX_TOKENS])
        return Page(is_html=False, charset=charset, tokens=text_tokens)
    head = None if anchors or tokens else _from_head(body, charset)
    if head is not None:
        title, h1, has_script = head
        return Page(
            is_html=True,
            charset=charset,
            title=collapse(_text_of(title)) or None,
            h1=collapse(_text_of(h1)) or None,
            tokens=None,
            has_script=has_script,
        )
    markup, visible = _visible(body, charset)
    title_match = _TITLE.search(markup)
    h1_match = _H1.search(visible)
    return Page(
        is_html=True,
        charset=charset,
        title=collapse(_text_of(title_match.group(1))) or None if title_match else None,
        h1=collapse(_text_of(h1_match.group(1))) or None if h1_match else None,
        anchors=_anchors(visible) if anchors else frozenset(),
        tokens=_html_tokens(visible) if tokens else None,
        has_script=bool(_SCRIPT.search(markup)),
    )
