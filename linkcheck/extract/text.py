"""Plain text, including PDF-to-text dumps.

The hard shape is the dump where a page's links are pooled in a block of URL-only lines at its
end, with nothing tying them to sentences. Such a block ends its page. Form feeds end pages too.
The same line analysis serves the PDF and DOCX extractors for the text they pull out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from linkcheck.models import (
    Document,
    Extraction,
    FootnoteRef,
    Format,
    Location,
    OccurrenceKind,
    PageText,
    RawLink,
)
from linkcheck.urls import UrlSpan, continues_url, find_urls

# A footnote or endnote definition that carries a URL: "[3] ...", "3. ...", "3) ...", "3 ...".
_DEFINITION = re.compile(r"^\s*(?:\[(\d{1,3})\]|(\d{1,3})[.)]?|([¹²³⁴-⁹⁰]+))\s+\S")
_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
# Markers in prose: "[3]", superscript digits, or digits glued to a word's end or to sentence
# punctuation, as PDF-to-text leaves superscripts ("fentanyl.3 "). Not after a capital ("G20")
# nor inside a number ("106,000").
_MARKER = re.compile(
    r"\[(\d{1,3})\]|([¹²³⁴-⁹⁰]+)|(?:(?<=[a-z.;:!?)\"”’])(?<!\d\.))(\d{1,3})(?=[\s,;.:)]|$)"
)
MIN_POOLED_URLS = 2


@dataclass
class _Page:
    number: int
    lines: list[str] = field(default_factory=list)
    line_numbers: list[int] = field(default_factory=list)
    length: int = 0  # characters of text so far, newlines included

    def add(self, line: str, source_line: int) -> int:
        """Append a prose line; returns its offset in the page text."""
        offset = self.length + (1 if self.lines else 0)
        self.lines.append(line)
        self.line_numbers.append(source_line)
        self.length = offset + len(line)
        return offset

    def freeze(self, refs: tuple[FootnoteRef, ...]) -> PageText:
        return PageText(self.number, "\n".join(self.lines), tuple(self.line_numbers), refs)


def extract_text(data: str, source: str, title: str | None = None) -> Extraction:
    # Not splitlines(): it would swallow the form feeds that separate pages.
    lines = data.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    pages, links = analyze_lines(lines, source=source)
    document = Document(
        source=source,
        format=Format.TEXT,
        title=title if title is not None else guess_title(lines),
        pages=len(pages),
    )
    return Extraction(document, tuple(pages), tuple(links))


def guess_title(lines: list[str]) -> str | None:
    """A short first line that is not a sentence, followed by a blank line, is a title."""
    non_blank = [(i, line.strip()) for i, line in enumerate(lines[:10]) if line.strip()]
    if not non_blank:
        return None
    index, first = non_blank[0]
    followed_by_blank = index + 1 >= len(lines) or not lines[index + 1].strip()
    if len(first) <= 90 and not first.endswith((".", ",", ";", ":")) and followed_by_blank:
        return first.lstrip("# ").strip() or None
    return None


class _Units:
    """The lines (form-feed parts) analysed, as (text, source line, starts a new page), with
    each one's URLs found once: a pooled block's lines are asked three times (its extent, its
    URLs, their wrapped tails), and a list of 10,000 URLs spent most of its reading there."""

    def __init__(self, rows: list[tuple[str, int, bool]]) -> None:
        self.rows = rows
        self._spans: dict[int, list[UrlSpan]] = {}

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int) -> tuple[str, int, bool]:
        return self.rows[index]

    def spans(self, index: int) -> list[UrlSpan]:
        spans = self._spans.get(index)
        if spans is None:
            spans = self._spans[index] = find_urls(self.rows[index][0])
        return spans

    def url_only(self, index: int) -> str | None:
        """The URL when the stripped line is nothing but one URL (trailing punctuation
        allowed)."""
        text = self.rows[index][0]
        stripped = text.strip()
        if not stripped or " " in stripped:
            return None
        spans = self.spans(index)
        lead = len(text) - len(text.lstrip())
        if len(spans) == 1 and spans[0].start == lead and lead + len(stripped) - spans[0].end <= 1:
            return spans[0].url
        return None


def _full_width(lines: list[str]) -> int:
    """The width a layout wraps prose at: a high percentile of line lengths."""
    lengths = sorted(len(line.rstrip()) for line in lines if line.strip())
    if not lengths:
        return 0
    return lengths[int(len(lengths) * 0.9)]


def analyze_lines(
    lines: list[str],
    *,
    source: str,
    first_page: int = 1,
    first_line: int = 1,
    fixed_page: bool = False,
    wrapped: bool = True,
) -> tuple[list[PageText], list[RawLink]]:
    """Split lines into pages of prose and the links found in them.

    With `fixed_page`, the lines are one known page (a PDF page's text): a pooled block or a form
    feed does not start a new page. `first_line` numbers the first line of `lines`. Without
    `wrapped`, lines are paragraphs (DOCX): a URL never continues on the next one.
    """
    # Form feeds end pages; pdftotext puts one at the start of each new page's first line.
    rows: list[tuple[str, int, bool]] = []  # text, source line, starts a new page
    for index, raw in enumerate(lines):
        parts = raw.split("\f")
        for part_index, part in enumerate(parts):
            rows.append((part, first_line + index, part_index > 0 and not fixed_page))
    units = _Units(rows)

    width = _full_width([text for text, _, _ in rows])
    pages: list[_Page] = [_Page(first_page)]
    refs: dict[int, list[FootnoteRef]] = {}
    links: list[RawLink] = []
    definitions = _footnote_definitions(units)
    markers_wanted = _labels_marked_in_prose([text for text, _, _ in rows], definitions)
    definitions = {i: d for i, d in definitions.items() if d[0] in markers_wanted}
    pending_pool_break = False

    i = 0
    while i < len(units):
        text, line_number, new_page = units[i]
        if (new_page or pending_pool_break) and (pages[-1].lines or new_page):
            if not fixed_page:
                pages.append(_Page(pages[-1].number + 1))
            pending_pool_break = False
        page = pages[-1]

        block_end = _pooled_block_end(units, i)
        if block_end is not None:
            for url, source_line, column in _pooled_urls(units, i, block_end, width, wrapped):
                links.append(
                    RawLink(
                        url,
                        Location(source, page.number, source_line, column),
                        OccurrenceKind.POOLED,
                    )
                )
            pending_pool_break = True
            i = block_end
            continue

        if i in definitions:
            label, _ = definitions[i]
            joined, extra = _join_wrapped(units, i, width, wrapped)
            for url, column in joined:
                links.append(
                    RawLink(
                        url,
                        Location(source, page.number, line_number, column),
                        OccurrenceKind.FOOTNOTE,
                        footnote=label,
                    )
                )
            i += 1 + extra
            continue

        offset = page.add(text, line_number)
        if markers_wanted:
            for label, at in _markers(text, markers_wanted):
                refs.setdefault(page.number, []).append(FootnoteRef(label, offset + at))
        joined, _ = _join_wrapped(units, i, width, wrapped)
        for url, column in joined:
            links.append(
                RawLink(
                    url,
                    Location(source, page.number, line_number, column),
                    OccurrenceKind.BARE,
                    text_offset=offset + column - 1,
                )
            )
        i += 1

    texts = [page.freeze(tuple(refs.get(page.number, ()))) for page in pages]
    if len(texts) > 1 and not texts[-1].text.strip() and not refs.get(texts[-1].number):
        texts.pop()
    return texts, links


def _pooled_block_end(units: _Units, start: int) -> int | None:
    """End (exclusive) of a block of URL-only lines starting at `start`, if one starts there.

    A block holds at least MIN_POOLED_URLS URL-only lines, possibly with blank lines and wrapped
    URL continuations between them. A single URL on its own line is a bare link, not a block.
    """
    if units.url_only(start) is None:
        return None
    count, end, index = 0, start, start
    while index < len(units):
        text = units[index][0]
        if index > start and units[index][2]:
            break
        if units.url_only(index) is not None:
            count += 1
            end = index + 1
        elif text.strip() and not _is_continuation(units, index):
            break
        index += 1
    return end if count >= MIN_POOLED_URLS else None


def _is_continuation(units: _Units, index: int) -> bool:
    previous = units[index - 1][0].strip() if index > 0 else ""
    current = units[index][0].strip()
    if not previous or " " in current or units.url_only(index - 1) is None:
        return False
    return continues_url(previous, current, line_was_full=True) == current


def _pooled_urls(
    units: _Units, start: int, end: int, width: int, wrapped: bool
) -> list[tuple[str, int, int]]:
    """(url, source line, column) for each URL of a pooled block, wrapped ones joined back."""
    found: list[tuple[str, int, int]] = []
    index = start
    while index < end:
        _, line_number, _ = units[index]
        if units.url_only(index) is not None:
            joined, extra = _join_wrapped(units, index, width, wrapped)
            for url, column in joined:
                found.append((url, line_number, column))
            index += 1 + extra
        else:
            index += 1
    return found


def _join_wrapped(
    units: _Units, index: int, width: int, wrapped: bool = True
) -> tuple[list[tuple[str, int]], int]:
    """URLs of line `index` with (1-based) columns, the last one joined with its continuation
    on the following line(s) when a layout wrapped it. Returns how many extra lines were used."""
    text = units[index][0]
    spans = units.spans(index)
    result = [(span.url, span.start + 1) for span in spans]
    extra = 0
    if not spans:
        return result, 0
    last = spans[-1]
    raw_tail = text[last.start :].split()[0] if text[last.start :].split() else last.url
    ends_line = not text[last.start + len(raw_tail) :].strip()
    url = raw_tail
    while ends_line and index + extra + 1 < len(units):
        following, _, new_page = units[index + extra + 1]
        # Layouts put a wrapped URL's tail at the margin, never indented past the URL's line;
        # and the next numbered note ("[2] …", "2. …") starts a new entry, it continues nothing.
        if new_page or _indent(following) > _indent(units[index + extra][0]):
            break
        if not wrapped or _DEFINITION.match(following):
            break
        line_full = len(units[index + extra][0].rstrip()) >= width * 0.85
        piece = continues_url(url, following, line_full)
        if piece is None:
            break
        url = url + piece
        extra += 1
        if following.strip() != piece:
            break  # prose follows the URL's tail on that line
    if extra:
        rejoined = find_urls(url)
        if rejoined:
            result[-1] = (rejoined[0].url, last.start + 1)
    return result, extra


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _footnote_definitions(units: _Units) -> dict[int, tuple[str, int]]:
    """Lines that define a numbered footnote holding a URL, keyed by line index.

    Numbered lines count as footnotes only when at least two of them carry URLs, so an ordinary
    numbered list item with one link stays prose.
    """
    found: dict[int, tuple[str, int]] = {}
    for index, (text, _, _) in enumerate(units.rows):
        match = _DEFINITION.match(text)
        if not match or not units.spans(index):
            continue
        label = (match.group(1) or match.group(2) or match.group(3) or "").translate(_SUPERSCRIPTS)
        found[index] = (label, match.end())
    return found if len(found) >= 2 else {}


def _labels_marked_in_prose(texts: list[str], definitions: dict[int, tuple[str, int]]) -> set[str]:
    """Labels of definitions that some prose line points to: only those are footnotes."""
    wanted = {label for label, _ in definitions.values()}
    marked: set[str] = set()
    for index, text in enumerate(texts):
        if wanted and index not in definitions:
            marked.update(label for label, _ in _markers(text, wanted))
    return marked


def _markers(text: str, wanted: set[str]) -> list[tuple[str, int]]:
    markers = []
    for match in _MARKER.finditer(text):
        raw = match.group(1) or match.group(2) or match.group(3)
        label = raw.translate(_SUPERSCRIPTS)
        if label in wanted:
            markers.append((label, match.start()))
    return markers
