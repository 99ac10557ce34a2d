"""PDF: URI link annotations with the text under them, and URLs written in each page's text.

pypdf reads the file (docs/PDF-LIBRARY.md says why). Each page's text goes through the shared
line analysis, so wrapped URLs, footnote definitions and pooled blocks read as they do in a
PDF-to-text dump. An annotation and the same URL written on its page are one occurrence.

pypdf reports where each text fragment starts, not where each character sits, so characters are
placed along their fragment by the font's glyph widths; a character belongs to an annotation's
anchor when its centre falls inside the annotation's rectangle (or one of its QuadPoints boxes).
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
import re
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any

from linkcheck.errors import InputError
from linkcheck.extract.dates import parse_date
from linkcheck.extract.text import analyze_lines
from linkcheck.machine import default_processes, leave_idle_policy
from linkcheck.models import (
    Document,
    Extraction,
    Format,
    Location,
    OccurrenceKind,
    PageText,
    RawLink,
)
from linkcheck.urls import normalize_url

MISSING_EXTRA = "PDF support needs the 'pdf' extra: pip install 'linkcheck[pdf]'"

Matrix = tuple[float, float, float, float, float, float]
Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in user space
_DEFAULT_WIDTH = 0.5  # of an em, when a font's widths cannot be read
_BASELINE_TO_MIDDLE = 0.3  # of an em: from the baseline to the middle of a lower-case letter


@dataclass(frozen=True)
class _Fragment:
    """A run of text as pypdf emitted it, with where it starts in the page's text."""

    text: str
    offset: int
    matrix: Matrix  # glyph space (1 unit = 1 em) to user space
    width_of: Callable[[str], float]  # a character's advance in ems, from its font


@dataclass(frozen=True)
class _Annotation:
    uri: str
    boxes: tuple[Box, ...]


@dataclass(frozen=True)
class _Anchor:
    """The text under an annotation, as a span of the page's extracted text."""

    start: int
    end: int  # exclusive
    text: str


# A PDF with this many pages is read by several processes, each taking a contiguous run of
# pages (pypdf is pure Python: one process reads about 100 pages a second). Fewer pages are
# not worth a process's start-up (0.2-0.3 s: it imports pypdf afresh).
PARALLEL_MIN_PAGES = 64


class _DamagedPage(Exception):
    """Reading a page failed; carries the page number across processes (it pickles)."""

    def __init__(self, number: int, detail: str) -> None:
        super().__init__(number, detail)
        self.number = number
        self.detail = detail


def extract_pdf(data: bytes, source: str, *, processes: int | None = None) -> Extraction:
    """`processes`: how many processes read the pages of a long PDF; None for one per core
    (at most four: `machine.default_processes`), 1 to stay in this process."""
    try:
        import pypdf  # noqa: F401  (is the extra installed?)
        from pypdf.errors import DependencyError, FileNotDecryptedError
    except ImportError as error:
        raise InputError("missing-extra", MISSING_EXTRA) from error

    try:
        reader = _open(data, source)
        document = _document(reader, source)
        workers = _processes(processes, _declared_pages(reader))
        read = _read_in_processes(data, source, workers) if workers > 1 else None
        pages, links = read or _read_pages(reader, source, 0, 1)
    except InputError:
        raise
    except _DamagedPage as damaged:
        message = f"{source}: corrupt PDF (page {damaged.number}: {damaged.detail})"
        raise InputError("corrupt", message) from damaged
    except FileNotDecryptedError as error:
        raise InputError("encrypted", f"{source}: encrypted PDF") from error
    except DependencyError as error:
        # AES needs the optional 'cryptography' package even for an empty password.
        raise InputError("encrypted", f"{source}: encrypted PDF ({error})") from error
    except Exception as error:  # pypdf raises many kinds of errors on damaged files
        raise InputError("corrupt", f"{source}: corrupt PDF ({_describe(error)})") from error
    if not pages:
        raise InputError("corrupt", f"{source}: corrupt PDF (no pages)")
    return Extraction(dataclasses.replace(document, pages=len(pages)), tuple(pages), tuple(links))


def _open(data: bytes, source: str) -> Any:
    import pypdf

    reader = pypdf.PdfReader(BytesIO(data))
    if reader.is_encrypted and reader.decrypt("") == pypdf.PasswordType.NOT_DECRYPTED:
        raise InputError("encrypted", f"{source}: encrypted PDF")
    return reader


def _declared_pages(reader: Any) -> int:
    """The page count the document declares, read without loading every page (which each
    worker process does anyway); 0 when it cannot be read."""
    try:
        return int(reader.trailer["/Root"]["/Pages"]["/Count"])
    except Exception:
        return 0


def _read_pages(
    reader: Any, source: str, run: int, runs: int
) -> tuple[list[PageText], list[RawLink]]:
    """Run `run` of `runs` equal runs of consecutive pages (0 of 1: every page)."""
    from pypdf.errors import DependencyError, FileNotDecryptedError

    count = len(reader.pages)
    size = -(-count // runs)
    numbers = range(run * size + 1, min((run + 1) * size, count) + 1)

    pages: list[PageText] = []
    links: list[RawLink] = []
    widths: dict[Hashable, Callable[[str], float]] = {}  # per font, read once
    for number in numbers:
        try:
            page_text, page_links = _read_page(reader.pages[number - 1], number, source, widths)
        except (InputError, FileNotDecryptedError, DependencyError):
            raise
        except Exception as error:  # pypdf raises many kinds of errors on damaged pages
            raise _DamagedPage(number, _describe(error)) from error
        pages.append(page_text)
        links.extend(page_links)
    return pages, links


def _read_page_run(
    data: bytes, source: str, run: int, runs: int
) -> tuple[list[PageText], list[RawLink]]:
    """In a worker process: one run of pages (see `_read_pages`)."""
    return _read_pages(_open(data, source), source, run, runs)


def _processes(asked: int | None, pages: int) -> int:
    if pages < PARALLEL_MIN_PAGES:
        return 1
    if asked is None:
        asked = default_processes()
    return max(1, min(asked, pages // (PARALLEL_MIN_PAGES // 2)))


def _read_in_processes(
    data: bytes, source: str, workers: int
) -> tuple[list[PageText], list[RawLink]] | None:
    """The pages read by `workers` processes, in order; None when processes cannot be started
    here (a sandbox without them, say): the caller then reads the pages itself."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    pages: list[PageText] = []
    links: list[RawLink] = []
    try:
        # "spawn": a fresh interpreter, safe whatever threads this process runs (a fork of a
        # process with threads can deadlock on a lock another thread held).
        context = multiprocessing.get_context("spawn")
        # (The reading thread that starts them may run at SCHED_IDLE: they do not.)
        with ProcessPoolExecutor(
            max_workers=workers, mp_context=context, initializer=leave_idle_policy
        ) as pool:
            futures = [
                pool.submit(_read_page_run, data, source, i, workers) for i in range(workers)
            ]
            for future in futures:
                run_pages, run_links = future.result()
                pages.extend(run_pages)
                links.extend(run_links)
    except (OSError, BrokenProcessPool, NotImplementedError):
        return None
    return pages, links


def _describe(error: Exception) -> str:
    text = str(error).strip() or type(error).__name__
    return text if len(text) <= 200 else text[:199] + "…"


def _document(reader: Any, source: str) -> Document:
    try:
        info = reader.metadata or {}
    except Exception:  # a damaged information dictionary costs the metadata, not the text
        info = {}
    title = _string(info.get("/Title"))
    date = parse_date(_string(info.get("/CreationDate"))) or parse_date(
        _string(info.get("/ModDate"))
    )
    return Document(
        source=source,
        format=Format.PDF,
        title=" ".join(title.split()) if title else None,
        date=date,
        date_source="pdf-metadata" if date else None,
    )


def _string(value: Any) -> str | None:
    """A PDF string object as text; None for anything else or when blank."""
    if value is not None and hasattr(value, "get_object"):
        value = value.get_object()
    if isinstance(value, bytes):
        value = value.decode("utf-8") if _is_utf8(value) else value.decode("latin-1")
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _is_utf8(value: bytes) -> bool:
    try:
        value.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _read_page(
    page: Any, number: int, source: str, widths: dict[Hashable, Callable[[str], float]]
) -> tuple[PageText, list[RawLink]]:
    annotations = _annotations(page)
    fragments: list[_Fragment] = []

    def visit(text: str, cm: list[float], tm: list[float], font: Any, size: float) -> None:
        if text:
            offset = fragments[-1].offset + len(fragments[-1].text) if fragments else 0
            key = _font_key(font, number)
            if key not in widths:
                widths[key] = _width_function(font)
            matrix = _glyph_matrix(tm, cm, size)
            fragments.append(_Fragment(text, offset, matrix, widths[key]))

    # Fragment positions are only needed to find the text under annotations.
    raw = page.extract_text(visitor_text=visit) if annotations else page.extract_text()
    texts, text_links = analyze_lines(
        raw.splitlines(), source=source, first_page=number, first_line=1, fixed_page=True
    )
    page_text = texts[0]
    if not annotations:
        return page_text, text_links
    # Offsets into the page's text hold only when the fragments add up to it exactly.
    positioned = "".join(fragment.text for fragment in fragments) == raw
    anchors: list[_Anchor | None] = (
        _anchors(annotations, fragments) if positioned else [None] * len(annotations)
    )
    return page_text, _merge(annotations, anchors, raw, page_text, text_links, number, source)


def _annotations(page: Any) -> list[_Annotation]:
    """URI link annotations in page order, pieces of one link wrapped over two lines joined."""
    annots = page.get("/Annots")
    annots = annots.get_object() if annots is not None else None
    if not isinstance(annots, list):
        return []
    found: list[_Annotation] = []
    for reference in annots:
        try:
            link = _uri_link(reference.get_object())
        except Exception:  # a damaged annotation costs that link, not the page
            link = None
        if link is None:
            continue
        uri, boxes = link
        previous = found[-1] if found else None
        if previous is not None and previous.uri == uri and _continues(previous.boxes, boxes):
            found[-1] = _Annotation(uri, previous.boxes + boxes)
        else:
            found.append(_Annotation(uri, boxes))
    return found


def _uri_link(annotation: Any) -> tuple[str, tuple[Box, ...]] | None:
    """The URI and boxes of a URI link annotation; None for any other annotation."""
    if not isinstance(annotation, dict) or annotation.get("/Subtype") != "/Link":
        return None
    action = annotation.get("/A")
    action = action.get_object() if action is not None else None
    if not isinstance(action, dict) or action.get("/S") != "/URI":
        return None
    uri = _string(action.get("/URI"))
    boxes = _boxes(annotation)
    if not uri or not boxes:
        return None
    return re.sub(r"[\r\n\t]", "", uri), boxes


def _boxes(annotation: dict[str, Any]) -> tuple[Box, ...]:
    """The areas a link covers: its QuadPoints when given (one per line), else its Rect."""
    quads = _numbers(annotation.get("/QuadPoints"))
    if quads and len(quads) % 8 == 0:
        return tuple(
            _normalized(quads[i : i + 8 : 2], quads[i + 1 : i + 8 : 2])
            for i in range(0, len(quads), 8)
        )
    rect = _numbers(annotation.get("/Rect"))
    if rect and len(rect) == 4:
        return (_normalized(rect[0::2], rect[1::2]),)
    return ()


def _numbers(value: Any) -> list[float] | None:
    value = value.get_object() if value is not None and hasattr(value, "get_object") else value
    if not isinstance(value, list):
        return None
    try:
        return [float(item.get_object() if hasattr(item, "get_object") else item) for item in value]
    except (TypeError, ValueError):
        return None


def _normalized(xs: list[float], ys: list[float]) -> Box:
    return (min(xs), min(ys), max(xs), max(ys))


def _continues(before: tuple[Box, ...], after: tuple[Box, ...]) -> bool:
    """Whether `after` is the next line of the same link: just below, starting further left."""
    last, first = before[-1], after[0]
    height = max(last[3] - last[1], first[3] - first[1], 1.0)
    return 0 < last[1] - first[1] <= 2 * height and first[0] < last[0]


def _glyph_matrix(tm: list[float], cm: list[float], size: float) -> Matrix:
    """Text matrix times CTM, scaled by the font size: one glyph-space unit is one em."""
    a, b, c, d, e, f = (float(value) for value in tm[:6])
    ca, cb, cc, cd, ce, cf = (float(value) for value in cm[:6])
    return (
        (a * ca + b * cc) * size,
        (a * cb + b * cd) * size,
        (c * ca + d * cc) * size,
        (c * cb + d * cd) * size,
        e * ca + f * cc + ce,
        e * cb + f * cd + cf,
    )


@dataclass
class _Layout:
    """A page's text fragments, upright ones sorted by the height of their middle line, so an
    annotation looks only at the fragments on its own lines."""

    fragments: list[_Fragment]
    middles: list[float] = field(default_factory=list)  # sorted
    upright: list[int] = field(default_factory=list)  # fragment indices, in `middles` order
    others: list[int] = field(default_factory=list)  # rotated or skewed: always looked at
    centres: dict[int, tuple[list[float], list[float]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        placed = []
        for index, fragment in enumerate(self.fragments):
            a, b, c, d, _, f = fragment.matrix
            if b == 0 and c == 0 and a > 0:
                placed.append((f + _BASELINE_TO_MIDDLE * d, index))
            else:
                self.others.append(index)
        placed.sort()
        self.middles = [middle for middle, _ in placed]
        self.upright = [index for _, index in placed]

    def near(self, y0: float, y1: float) -> list[int]:
        first, last = bisect.bisect_left(self.middles, y0), bisect.bisect_right(self.middles, y1)
        return self.upright[first:last] + self.others

    def centres_of(self, index: int) -> tuple[list[float], list[float]]:
        if index not in self.centres:
            self.centres[index] = _centres(self.fragments[index])
        return self.centres[index]


def _anchors(annotations: list[_Annotation], fragments: list[_Fragment]) -> list[_Anchor | None]:
    layout = _Layout(fragments)
    return [_anchor_by_position(annotation, layout) for annotation in annotations]


def _anchor_by_position(annotation: _Annotation, layout: _Layout) -> _Anchor | None:
    """The span of page text whose characters' centres lie inside the annotation's boxes."""
    start: int | None = None
    end = 0
    for x0, y0, x1, y1 in annotation.boxes:
        x0, y0, x1, y1 = x0 - 0.5, y0 - 0.5, x1 + 0.5, y1 + 0.5
        for index in layout.near(y0, y1):
            fragment = layout.fragments[index]
            a, b, c, _, e, _ = fragment.matrix
            upright = b == 0 and c == 0 and a > 0
            if upright and e > x1:
                continue  # starts right of the box
            xs, ys = layout.centres_of(index)
            if upright:
                # Centres run left to right: the characters inside are one slice.
                first, last = bisect.bisect_left(xs, x0), bisect.bisect_right(xs, x1)
                chosen: Iterable[int] = range(first, last)
            else:
                chosen = (
                    i
                    for i, (x, y) in enumerate(zip(xs, ys, strict=True))
                    if x0 <= x <= x1 and y0 <= y <= y1
                )
            for i in chosen:
                if not fragment.text[i].isspace():
                    position = fragment.offset + i
                    start = position if start is None else min(start, position)
                    end = max(end, position + 1)
    return _Anchor(start, end, "") if start is not None else None


def _centres(fragment: _Fragment) -> tuple[list[float], list[float]]:
    """Where the middle of each character of the fragment lies, in user space."""
    a, b, c, d, e, f = fragment.matrix
    edges = list(itertools.accumulate(map(fragment.width_of, fragment.text), initial=0.0))
    middles = [(left + right) / 2 for left, right in itertools.pairwise(edges)]
    v = _BASELINE_TO_MIDDLE
    return [a * u + c * v + e for u in middles], [b * u + d * v + f for u in middles]


def _font_key(font: Any, page: int) -> Hashable:
    """A font shared by pages is one indirect object; a direct one is only known on its page."""
    reference = getattr(font, "indirect_reference", None)
    if reference is not None:
        return (reference.idnum, reference.generation)
    return (page, id(font))


def _width_function(font: Any) -> Callable[[str], float]:
    """Glyph advance in ems for a character of the (decoded) text, from the font's widths."""
    try:
        table = _width_table(font)
    except Exception:  # an odd font dictionary: fall back to an average width
        table = {}
    default = table.pop("", _DEFAULT_WIDTH)
    return lambda char: table.get(char, default)


def _width_table(font: Any) -> dict[str, float]:
    if font is None:
        return {}
    # pypdf's font model is the only reader of /Widths, /W, /DW and the standard 14 metrics;
    # it is not public API, so any failure here falls back to average widths.
    from pypdf.generic._font import Font

    model = Font.from_font_resource(font)
    table: dict[str, float] = {}
    for raw, width in model.character_widths.items():
        if raw == "default":
            table[""] = float(width) / 1000 or _DEFAULT_WIDTH
            continue
        char = model.character_map.get(raw)
        if char is None and isinstance(model.encoding, dict) and len(raw) == 1:
            char = model.encoding.get(ord(raw))
        if isinstance(char, str) and char:
            table.setdefault(char, float(width) / 1000)
        table.setdefault(raw, float(width) / 1000)
    return table


def _merge(
    annotations: list[_Annotation],
    anchors: list[_Anchor | None],
    raw: str,
    page_text: PageText,
    text_links: list[RawLink],
    number: int,
    source: str,
) -> list[RawLink]:
    """Annotation links, each taking over the text link it covers or cites on the same page."""
    line_starts = _line_starts(raw)
    prose_starts = _prose_line_starts(page_text)
    remaining = list(text_links)
    anchors = [
        anchor or _anchor_by_search(annotation, text_links, line_starts)
        for annotation, anchor in zip(annotations, anchors, strict=True)
    ]
    # First the URLs drawn under an annotation, then the same URL elsewhere on the page (an
    # endnote), so an annotation does not take the written URL another annotation covers.
    taken: list[RawLink | None] = []
    for anchor in anchors:
        took = _covered(anchor, remaining, line_starts)
        if took is not None:
            remaining.remove(took)
        taken.append(took)
    for index, annotation in enumerate(annotations):
        took = taken[index] or _same_url(annotation.uri, remaining)
        if took is not None and taken[index] is None:
            remaining.remove(took)
            taken[index] = took
    result: list[RawLink] = []
    for annotation, anchor, took in zip(annotations, anchors, taken, strict=True):
        line = column = text_offset = None
        anchor_text = None
        if anchor is not None:
            line, column = _line_and_column(anchor.start, line_starts)
            anchor_text = " ".join((anchor.text or raw[anchor.start : anchor.end]).split()) or None
            if line in prose_starts:
                text_offset = prose_starts[line] + column - 1
        result.append(
            RawLink(
                annotation.uri,
                Location(source, number, line, column),
                OccurrenceKind.ANNOTATION,
                anchor_text=anchor_text,
                text_offset=text_offset,
                # A footnote's label still ties the link to the sentence carrying its marker.
                footnote=took.footnote if took is not None else None,
            )
        )
    result.extend(remaining)
    return sorted(result, key=_reading_order)


def _reading_order(link: RawLink) -> tuple[int, int]:
    location = link.location
    return (location.line or 1 << 30, location.column or 0)


def _line_starts(raw: str) -> list[int]:
    """Offsets in `raw` where each line of raw.splitlines() starts."""
    starts, position = [], 0
    for line in raw.splitlines(keepends=True):
        starts.append(position)
        position += len(line)
    return starts


def _prose_line_starts(page_text: PageText) -> dict[int, int]:
    """Page line number -> offset of that line in the prose (lines left in PageText.text)."""
    starts: dict[int, int] = {}
    position = 0
    for line_number, line in zip(page_text.line_map, page_text.text.split("\n"), strict=False):
        starts[line_number] = position
        position += len(line) + 1
    return starts


def _line_and_column(offset: int, line_starts: list[int]) -> tuple[int, int]:
    index = max(bisect.bisect_right(line_starts, offset) - 1, 0)
    start = line_starts[index] if line_starts else 0
    return index + 1, offset - start + 1


def _link_start(link: RawLink, line_starts: list[int]) -> int | None:
    line, column = link.location.line, link.location.column
    if line is None or column is None or not 0 < line <= len(line_starts):
        return None
    return line_starts[line - 1] + column - 1


def _covered(
    anchor: _Anchor | None, links: list[RawLink], line_starts: list[int]
) -> RawLink | None:
    """A text URL drawn under the annotation: it is the annotation's visible form."""
    if anchor is None:
        return None
    for link in links:
        start = _link_start(link, line_starts)
        # Most of the URL under the anchor: an estimate running a character or two long does
        # not swallow a neighbouring URL.
        if (
            start is not None
            and anchor.start <= start < anchor.end
            and anchor.end - start >= len(link.url) / 2
        ):
            return link
    return None


def _same_url(uri: str, links: list[RawLink]) -> RawLink | None:
    key = normalize_url(uri)
    return next((link for link in links if normalize_url(link.url) == key), None)


def _anchor_by_search(
    annotation: _Annotation, links: list[RawLink], line_starts: list[int]
) -> _Anchor | None:
    """Without positions, the URL written on the page is the best guess for the anchor."""
    key = normalize_url(annotation.uri)
    for link in links:
        start = _link_start(link, line_starts)
        if start is not None and normalize_url(link.url) == key:
            return _Anchor(start, start + len(link.url), link.url)
    return None
