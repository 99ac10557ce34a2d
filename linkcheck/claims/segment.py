"""Splitting a document's prose into claims: sentences, and bullets as units.

The prose is reflowed first: PDF-to-text dumps are often double spaced (a blank line after every
line), break words at line ends, and break sentences across pages where a pooled URL block
interrupts them. Every claim keeps a map back to the pages it came from, so a link found at an
offset of a page can be tied to the sentence around it.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from linkcheck.models import Claim, Location, PageText

BULLET = re.compile(r"^\s*(?:[•◦▪▫●○■□‣⁃∙·*–-]|\d{1,2}[.)]|\(?[a-z]\))\s+")
_BULLET_SYMBOL = re.compile(r"^\s*[•◦▪▫●○■□‣⁃∙·*–-]\s+")
ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof sr jr st mt gen col lt sgt capt cmdr adm gov sen rep rev hon pres
    jan feb mar apr jun jul aug sep sept oct nov dec
    e.g i.e etc vs v cf al approx est fig figs no nos vol vols pp p ed eds inc corp co ltd llc dept
    univ assn intl natl ave blvd a.m p.m""".split()
)
# A sentence ends at . ! ? or an ellipsis, after closing quotes or brackets and a footnote
# marker glued to it ("fentanyl.3"), before white space and something that can start a sentence.
_BOUNDARY = re.compile(r"(?:[.!?…])[\"”’)\]]*(?:\d{1,3}|[¹²³⁴-⁹⁰]+)?(?=\s+[\"“‘(\[¿¡]?[A-Z0-9•])")
_INITIALISM = re.compile(r"(?:[A-Za-z]\.){2,}|[A-Z]\.")


@dataclass(frozen=True)
class Sentence:
    """A claim and the (page, start, end) stretches of page text it was made from."""

    claim: Claim
    spans: tuple[tuple[int, int, int], ...]

    def on_page(self, page: int) -> bool:
        return any(p == page for p, _, _ in self.spans)


@dataclass
class _Unit:
    """A paragraph or bullet being reflowed, with where each piece of it came from."""

    text: str = ""
    starts: list[int] | None = None  # unit offsets where pieces start
    origins: list[tuple[int, int]] | None = None  # (page, page offset) of each piece
    parts: list[str] | None = None  # joined into `text` once, by `finish` (not line by line)
    length: int = 0

    def append(self, piece: str, page: int, offset: int, glue: str) -> None:
        if self.starts is None or self.origins is None or self.parts is None:
            self.starts, self.origins, self.parts = [], [], []
        self.parts += [glue, piece]
        self.starts.append(self.length + len(glue))
        self.origins.append((page, offset))
        self.length += len(glue) + len(piece)

    def finish(self) -> _Unit:
        self.text = "".join(self.parts or ())
        self.parts = None
        return self

    def origin(self, index: int) -> tuple[int, int]:
        assert self.starts is not None and self.origins is not None
        piece = bisect.bisect_right(self.starts, index) - 1
        page, offset = self.origins[piece]
        return page, offset + index - self.starts[piece]


def is_double_spaced(pages: tuple[PageText, ...]) -> bool:
    """True when most lines are followed by exactly one blank line (as in many PDF dumps)."""
    lines = [line.strip() for page in pages for line in page.text.split("\n")]
    text_lines = followed = 0
    for index, line in enumerate(lines[:-2]):
        if line:
            text_lines += 1
            if not lines[index + 1] and lines[index + 2]:
                followed += 1
    return text_lines >= 4 and followed / text_lines > 0.5


def _glue(previous: str, nxt: str) -> tuple[str, str]:
    """How two wrapped lines join: (previous line as kept, glue)."""
    if previous.endswith(("—", "–", "/")):
        return previous, ""
    if previous.endswith("-") and not previous.endswith("--"):
        word_break = len(previous) >= 2 and previous[-2].islower() and nxt[:1].islower()
        if word_break and not re.search(r"-\w+-$", previous):
            return previous[:-1], ""  # a word hyphenated at the line end
        return previous, ""  # a compound ("U.S.-" / "Mexico") keeps its hyphen
    return previous, " "


def _build_unit(lines: list[tuple[str, int, int]]) -> _Unit:
    """Join a unit's lines (text, page, page offset), mending line-end hyphens and dashes."""
    unit = _Unit()
    texts = [text for text, _, _ in lines]
    glues = [""]
    for index in range(1, len(texts)):
        texts[index - 1], glue = _glue(texts[index - 1], texts[index])
        glues.append(glue)
    for (_, page, offset), text, glue in zip(lines, texts, glues, strict=True):
        unit.append(text, page, offset, glue)
    return unit.finish()


def reflow(pages: tuple[PageText, ...]) -> list[_Unit]:
    """Paragraphs and bullets as units of running text, pages joined back together."""
    paragraph_gap = 2 if is_double_spaced(pages) else 1
    groups: list[list[tuple[str, int, int]]] = [[]]
    blanks = 0
    for page in pages:
        offset = 0
        for raw in page.text.split("\n"):
            stripped = raw.strip()
            start = offset + (len(raw) - len(raw.lstrip()))
            offset += len(raw) + 1
            if not stripped:
                blanks += 1
                continue
            if groups[-1] and (page.line_blocks or blanks >= paragraph_gap or BULLET.match(raw)):
                groups.append([])
            blanks = 0
            groups[-1].append((stripped, page.number, start))
    return [_build_unit(group) for group in groups if group]


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of one unit of running text."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        end = match.end()
        candidate = text[start:end].strip()
        before = text[start : match.start() + 1].split()
        word = before[-1] if before else ""
        bare = word.lower().rstrip(".").lstrip("(\"“'")
        if bare in ABBREVIATIONS or _INITIALISM.fullmatch(word.lstrip("(\"“'")):
            continue
        if re.fullmatch(r"\W*\d{1,3}[.)]?", candidate):
            continue  # a list number ("1.") is not a sentence
        spans.append((start, end))
        start = end
    if text[start:].strip():
        spans.append((start, len(text)))
    return [(s + len(text[s:e]) - len(text[s:e].lstrip()), e) for s, e in spans]


def _line_starts(page: PageText) -> list[int]:
    """Offsets where each line of the page's text starts."""
    starts = [0]
    position = page.text.find("\n")
    while position != -1:
        starts.append(position + 1)
        position = page.text.find("\n", position + 1)
    return starts


def _location(
    pages: dict[int, PageText], lines: dict[int, list[int]], source: str, page: int, offset: int
) -> Location:
    page_text = pages.get(page)
    if page_text is None or not page_text.line_map:
        return Location(source, page, None, None)
    starts = lines.get(page)
    if starts is None:
        starts = lines[page] = _line_starts(page_text)
    line_index = bisect.bisect_right(starts, offset) - 1
    line_start = starts[line_index]
    line_index = min(line_index, len(page_text.line_map) - 1)
    return Location(source, page, page_text.line_map[line_index], offset - line_start + 1)


def segment(pages: tuple[PageText, ...], source: str) -> list[Sentence]:
    """Every claim of a document, in reading order, with spans back into its pages."""
    by_number = {page.number: page for page in pages}
    line_starts: dict[int, list[int]] = {}  # per page, computed on first use
    sentences: list[Sentence] = []
    for unit in reflow(pages):
        for start, end in split_sentences(unit.text):
            raw = unit.text[start:end]
            bullet = _BULLET_SYMBOL.match(raw)
            if bullet:
                start += bullet.end()
            text = unit.text[start:end].strip()
            if not re.search(r"\w", text):
                continue
            spans = _spans(unit, start, end)
            first_page, first_offset = unit.origin(start)
            last_page = spans[-1][0]
            claim = Claim(
                id=f"{source}#{len(sentences) + 1}",
                text=text,
                location=_location(by_number, line_starts, source, first_page, first_offset),
                end_page=last_page if last_page != first_page else None,
            )
            sentences.append(Sentence(claim, spans))
    return sentences


def _spans(unit: _Unit, start: int, end: int) -> tuple[tuple[int, int, int], ...]:
    """Page stretches of unit[start:end]: one per piece of the unit it overlaps."""
    assert unit.starts is not None and unit.origins is not None
    spans: list[tuple[int, int, int]] = []
    count = len(unit.starts)
    first = max(0, bisect.bisect_right(unit.starts, start) - 1)
    for index in range(first, count):
        piece_start = unit.starts[index]
        if piece_start >= end:
            break  # the pieces after this one start past the sentence
        piece_end = unit.starts[index + 1] if index + 1 < count else len(unit.text) + 1
        low, high = max(start, piece_start), min(end, piece_end)
        if low >= high:
            continue
        page, offset = unit.origins[index]
        begin = offset + low - piece_start
        # A stretch ends at the end of its line, glue included, so offsets at a line end count.
        finish = offset + high - piece_start + (1 if high == piece_end else 0)
        if spans and spans[-1][0] == page:  # consecutive lines of one page: one stretch
            spans[-1] = (page, spans[-1][1], finish)
        else:
            spans.append((page, begin, finish))
    return tuple(spans)
