"""Text as a reader sees it, and where it came from: the prose an extractor builds block by
block, the links whose anchor text is being read, and offsets mapped back to source lines.

Shared by the HTML and Markdown extractors; it needs no HTML parser, so reading Markdown
loads BeautifulSoup only for a document that embeds HTML.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from linkcheck.extract.dates import parse_date
from linkcheck.models import FootnoteRef, Location, OccurrenceKind, PageText, RawLink
from linkcheck.urls import UrlSpan, find_urls, resolve_url

SPACE = re.compile(r"\s+")


def collapse(text: str) -> str:
    """White space as a browser renders it: runs folded to one space, ends trimmed."""
    return SPACE.sub(" ", text).strip()


class Prose:
    """The prose of a page as it is read: one line per block, white space collapsed.

    Lines start lazily, so a block with no text leaves no empty line behind.
    """

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._ends: list[int] = []  # offset after each part, to slice the tail cheaply
        self.length = 0
        self.line_map: list[int] = []
        self.refs: list[FootnoteRef] = []
        self._pending_line: int | None = 1
        self._space = False

    def new_line(self, source_line: int) -> None:
        """The next text starts a new line, which came from `source_line`."""
        self._pending_line = source_line
        self._space = False

    def add(self, text: str) -> int:
        """Append inline text; returns the offset where its first visible character landed."""
        words = collapse(text)
        if not words:
            if text:
                self._space = True
            return self.length
        if self._pending_line is not None:
            if self.line_map:
                self._push("\n")
            self.line_map.append(self._pending_line)
            self._pending_line = None
        elif self._space or SPACE.match(text):
            self._push(" ")
        start = self.length
        self._push(words)
        self._space = bool(SPACE.search(text[-1:]))
        return start

    def since(self, start: int) -> str:
        """The text from offset `start` to the end."""
        index = bisect.bisect_right(self._ends, start)
        if index >= len(self._parts):
            return ""
        first = self._ends[index] - len(self._parts[index])
        return "".join(self._parts[index:])[start - first :]

    def mark(self, label: str, start: int) -> None:
        """A footnote marker whose text was added from `start` on."""
        self.refs.append(FootnoteRef(label, visible_start(self, start)))

    def page(self) -> PageText:
        return PageText(
            1, "".join(self._parts), tuple(self.line_map), tuple(self.refs), line_blocks=True
        )

    def _push(self, part: str) -> None:
        self._parts.append(part)
        self.length += len(part)
        self._ends.append(self.length)


def bare_urls(text: str) -> list[UrlSpan]:
    """find_urls, word by word when a malformed candidate ("www.a.b[") makes it raise, so one
    bad word does not hide the other URLs of the text."""
    try:
        return find_urls(text)
    except ValueError:
        pass
    spans: list[UrlSpan] = []
    for word in re.finditer(r"\S+", text):
        try:
            found = find_urls(word.group())
        except ValueError:
            continue
        spans.extend(UrlSpan(s.url, s.start + word.start(), s.end + word.start()) for s in found)
    return spans


def visible_start(prose: Prose, start: int) -> int:
    """Where the first visible character added since `start` sits."""
    segment = prose.since(start)
    return start + len(segment) - len(segment.lstrip())


def link_url(href: str | None, base: str | None) -> str | None:
    """The URL an href points to, or None when it names nothing to check.

    An empty or fragment-only href points into the page itself: worth checking only when the
    page has a known address.
    """
    if href is None:
        return None
    href = href.strip()
    if not base and (not href or href.startswith("#")):
        return None
    return resolve_url(href, base)


@dataclass
class OpenLink:
    """An anchor whose text is still being read."""

    url: str | None  # None: not a link to report (its text still counts as anchor text)
    line: int
    column: int
    start: int  # offset in `sink` where its text begins
    sink: Prose
    in_prose: bool  # `sink` is the page's prose, so the offset means something
    footnote: str | None
    kind: OccurrenceKind
    end: int = 0  # Markdown: offset in the block's source just past the link

    def close(self, source: str) -> RawLink | None:
        if self.url is None:
            return None
        segment = self.sink.since(self.start)
        anchor = " ".join(segment.split())
        offset = visible_start(self.sink, self.start) if self.in_prose else None
        location = Location(source, 1, self.line, self.column)
        return RawLink(self.url, location, self.kind, anchor or None, offset, self.footnote)


def _locate(source_line: str, content_line: str, min_column: int = 0) -> int:
    """Where a parser's copy of a line (markers and indentation cut off) starts in the source."""
    body = content_line.rstrip()
    if not body.strip():
        return len(source_line) - len(source_line.lstrip())
    if source_line.rstrip().endswith(body) and len(source_line.rstrip()) - len(body) >= min_column:
        return len(source_line.rstrip()) - len(body)
    found = source_line.find(body.lstrip(), min_column)
    if found >= 0:
        return max(0, found - (len(body) - len(body.lstrip())))
    return len(source_line) - len(source_line.lstrip())


class LineIndex:
    """Offsets in a piece of text → 1-based lines and columns of the document it came from.

    `first_line` is the 0-based document line of the text's first line. With `source_lines`,
    each line of the text is a parser's copy of a document line (Markdown strips list markers,
    quote markers and indentation) and is looked up there for its column.
    """

    def __init__(
        self,
        text: str,
        first_line: int = 0,
        source_lines: Sequence[str] | None = None,
        min_column: int = 0,
    ) -> None:
        self.text = text
        self._starts = [0, *(match.end() for match in re.finditer("\n", text))]
        self._first = first_line
        self._lines = source_lines
        self._min_column = min_column

    def offset(self, line: int, column: int) -> int:
        """The offset of a 0-based line and column of the text."""
        line = max(0, min(line, len(self._starts) - 1))
        return min(self._starts[line] + max(column, 0), len(self.text))

    def line_of(self, offset: int) -> int:
        return self.position(offset)[0]

    def position(self, offset: int) -> tuple[int, int]:
        offset = max(0, min(offset, len(self.text)))
        k = max(0, bisect.bisect_right(self._starts, offset) - 1)
        column = offset - self._starts[k]
        if not self._lines:
            return self._first + k + 1, column + 1
        index = min(self._first + k, len(self._lines) - 1)
        end = self._starts[k + 1] - 1 if k + 1 < len(self._starts) else len(self.text)
        min_column = self._min_column if k == 0 else 0
        shift = _locate(self._lines[index], self.text[self._starts[k] : end], min_column)
        return index + 1, shift + column + 1


def metadata_date(value: str | None) -> dt.date | None:
    """parse_date, also reading the "2022/06/08" that citation_* meta tags often hold."""
    if value is None:
        return None
    slashed = re.match(r"\s*(\d{4})/(\d{1,2})/(\d{1,2})\b", value)
    if slashed:
        year, month, day = slashed.groups()
        value = f"{year}-{int(month):02d}-{int(day):02d}"
    return parse_date(value)
