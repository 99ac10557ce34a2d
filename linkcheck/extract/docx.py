"""DOCX: hyperlinks with their text, URLs written in paragraphs, and links in footnotes/endnotes.

A DOCX has no pages: the document is one PageText whose lines are its paragraphs (tables'
included) in document order, so a link's line is its paragraph's index and its column the
character offset in that paragraph plus one. Paragraph texts go through the shared line analysis,
so a typed reference list ("[3] https://...") reads as it does in plain text.

Footnotes and endnotes are numbered separately, so endnote labels carry an "e" prefix ("e1").
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any

from linkcheck.errors import InputError
from linkcheck.extract.dates import parse_date
from linkcheck.extract.text import analyze_lines
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
from linkcheck.urls import find_urls

MISSING_EXTRA = "DOCX support needs the 'docx' extra: pip install 'linkcheck[docx]'"

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_FOOTNOTES = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/footnotes"
_ENDNOTES = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/endnotes"
# Not text of the paragraph itself: properties, deleted text, drawings and text boxes (whose
# paragraphs are read on their own), and nested paragraphs.
_SKIPPED = frozenset(
    _W + name
    for name in (
        "pPr",
        "rPr",
        "del",
        "moveFrom",
        "drawing",
        "pict",
        "object",
        "txbxContent",
        "p",
        "footnoteRef",
        "endnoteRef",
        "rt",
    )
) | {"{http://schemas.openxmlformats.org/markup-compatibility/2006}AlternateContent"}
_LINE_BREAKS = re.compile(r"[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
_FIELD_TOKEN = re.compile(r'\\\w+|"[^"]*"|\S+')


@dataclass(frozen=True)
class _Hyperlink:
    url: str
    start: int
    end: int


@dataclass(frozen=True)
class _Paragraph:
    text: str
    hyperlinks: tuple[_Hyperlink, ...] = ()
    notes: tuple[tuple[str, int], ...] = ()  # footnote/endnote label, offset of its marker


@dataclass
class _Field:
    instruction: str = ""
    url: str | None = None
    start: int | None = None


@dataclass
class _ParagraphBuilder:
    """Text, links and note markers of one paragraph, in the order Word shows them."""

    rels: Mapping[str, Any]
    pieces: list[str] = field(default_factory=list)
    length: int = 0
    hyperlinks: list[_Hyperlink] = field(default_factory=list)
    notes: list[tuple[str, int]] = field(default_factory=list)
    fields: list[_Field] = field(default_factory=list)

    def add(self, text: str) -> None:
        text = _LINE_BREAKS.sub(" ", text)
        self.pieces.append(text)
        self.length += len(text)

    def link(self, url: str | None, start: int) -> None:
        if url:
            self.hyperlinks.append(_Hyperlink(url, start, self.length))

    def field_char(self, kind: str | None) -> None:
        # Complex fields: begin, instruction text, separate, the shown result, end.
        if kind == "begin":
            self.fields.append(_Field())
        elif kind == "separate" and self.fields:
            current = self.fields[-1]
            current.url = _field_url(current.instruction)
            current.start = self.length
        elif kind == "end" and self.fields:
            current = self.fields.pop()
            if current.start is not None:
                self.link(current.url, current.start)

    def freeze(self) -> _Paragraph:
        # A field still open at the paragraph's end links the text shown so far.
        for current in self.fields:
            if current.start is not None:
                self.link(current.url, current.start)
        return _Paragraph("".join(self.pieces), tuple(self.hyperlinks), tuple(self.notes))


def extract_docx(data: bytes, source: str) -> Extraction:
    try:
        import docx
        from docx.oxml.parser import parse_xml
    except ImportError as error:
        raise InputError("missing-extra", MISSING_EXTRA) from error

    try:
        word = docx.Document(BytesIO(data))
        part = word.part
        body = [_read_paragraph(p, part.rels) for p in _paragraphs(word.element.body)]
        notes: dict[str, tuple[_Paragraph, ...]] = {}
        kinds = ((_FOOTNOTES, "", "footnote"), (_ENDNOTES, "e", "endnote"))
        for relationship, prefix, tag in kinds:
            related = [rel for rel in part.rels.values() if rel.reltype == relationship]
            for rel in related[:1]:
                notes_part = rel.target_part
                root = parse_xml(notes_part.blob)
                notes.update(_read_notes(root, notes_part.rels, prefix, tag))
        properties = word.core_properties
        title = " ".join((properties.title or "").split()) or None
        date = parse_date(properties.created) or parse_date(properties.modified)
        page, links = _compose(body, notes, source)
    except Exception as error:  # python-docx, zipfile and lxml raise many kinds of errors
        raise InputError("corrupt", f"{source}: corrupt DOCX ({_describe(error)})") from error
    document = Document(
        source=source,
        format=Format.DOCX,
        title=title,
        date=date,
        date_source="docx-core" if date else None,
        pages=1,
    )
    return Extraction(document, (page,), tuple(links))


def _describe(error: Exception) -> str:
    text = str(error).strip() or type(error).__name__
    return text if len(text) <= 200 else text[:199] + "…"


def _paragraphs(root: Any) -> Iterator[Any]:
    """Every paragraph under `root` in document order, tables' and text boxes' included."""
    for paragraph in root.iter(_W + "p"):
        # Markup compatibility repeats a text box in a fallback for older readers.
        if next(paragraph.iterancestors(_MC_FALLBACK), None) is None:
            yield paragraph


def _read_notes(
    root: Any, rels: Mapping[str, Any], prefix: str, tag: str
) -> dict[str, tuple[_Paragraph, ...]]:
    notes: dict[str, tuple[_Paragraph, ...]] = {}
    for note in root.iterchildren(_W + tag):
        note_id = note.get(_W + "id")
        # Separators are layout, not notes.
        if note_id is None or note.get(_W + "type", "normal") != "normal":
            continue
        notes[prefix + note_id] = tuple(_read_paragraph(p, rels) for p in _paragraphs(note))
    return notes


def _read_paragraph(paragraph: Any, rels: Mapping[str, Any]) -> _Paragraph:
    builder = _ParagraphBuilder(rels)
    _walk(paragraph, builder)
    return builder.freeze()


def _walk(element: Any, out: _ParagraphBuilder) -> None:
    for child in element:
        tag = child.tag
        if not isinstance(tag, str) or tag in _SKIPPED:
            continue  # comments and processing instructions have no string tag
        name = tag[len(_W) :] if tag.startswith(_W) else ""
        if name == "t":
            out.add(child.text or "")
        elif name == "tab":
            out.add("\t")
        elif name in ("br", "cr"):
            out.add(" ")  # a line break inside a paragraph: the paragraph stays one line
        elif name == "noBreakHyphen":
            out.add("-")
        elif name == "footnoteReference" and child.get(_W + "id") is not None:
            out.notes.append((child.get(_W + "id"), out.length))
        elif name == "endnoteReference" and child.get(_W + "id") is not None:
            out.notes.append(("e" + child.get(_W + "id"), out.length))
        elif name == "fldChar":
            out.field_char(child.get(_W + "fldCharType"))
        elif name == "instrText":
            if out.fields:
                out.fields[-1].instruction += child.text or ""
        elif name == "hyperlink":
            start = out.length
            _walk(child, out)
            out.link(_hyperlink_target(child, out.rels), start)
        elif name == "fldSimple":
            start = out.length
            _walk(child, out)
            out.link(_field_url(child.get(_W + "instr") or ""), start)
        else:
            _walk(child, out)  # runs, insertions, content controls, smart tags...


def _hyperlink_target(element: Any, rels: Mapping[str, Any]) -> str | None:
    """The external target of a w:hyperlink; None for a link to a bookmark in the document."""
    rel = rels.get(element.get(_R + "id") or "")
    if rel is None or not rel.is_external:
        return None
    target = str(rel.target_ref).strip()
    anchor = element.get(_W + "anchor")
    if target and anchor and "#" not in target:
        target += "#" + anchor
    return target or None


def _field_url(instruction: str) -> str | None:
    """The URL of a HYPERLINK field instruction: HYPERLINK "url" [\\l "anchor"] [\\o "tip"]."""
    tokens = _FIELD_TOKEN.findall(instruction)
    if not tokens or tokens[0].upper() != "HYPERLINK":
        return None
    url: str | None = None
    anchor: str | None = None
    index = 1
    while index < len(tokens):
        token = tokens[index]
        if token.startswith("\\"):
            # \l, \o and \t take a value; \m and \n do not.
            if token[1:].lower() in ("l", "o", "t") and index + 1 < len(tokens):
                if token[1:].lower() == "l":
                    anchor = tokens[index + 1].strip('"')
                index += 2
                continue
        elif url is None:
            url = token.strip('"').strip()
        index += 1
    if not url:
        return None  # only \l: a bookmark in the document
    return url + "#" + anchor if anchor and "#" not in url else url


def _compose(
    body: list[_Paragraph], notes: dict[str, tuple[_Paragraph, ...]], source: str
) -> tuple[PageText, list[RawLink]]:
    texts = [paragraph.text for paragraph in body]
    # A paragraph is a line that never wraps into the next: URLs are not joined across them.
    pages, text_links = analyze_lines(texts, source=source, fixed_page=True, wrapped=False)
    page = pages[0]
    prose_starts = _prose_line_starts(page)
    remaining = list(text_links)

    links: list[RawLink] = []
    refs = list(page.footnote_refs)
    markers: dict[str, tuple[int, int]] = {}  # label -> line, column of its first marker
    for line, paragraph in enumerate(body, start=1):
        prose = prose_starts.get(line)
        for label, at in paragraph.notes:
            markers.setdefault(label, (line, at + 1))
            if prose is not None:
                refs.append(FootnoteRef(label, prose + at))
        for hyperlink in paragraph.hyperlinks:
            covered = [link for link in remaining if _under(hyperlink, link, line)]
            for link in covered:
                remaining.remove(link)
            # A URL typed in a reference list keeps what the line analysis made of it.
            listed = next((link for link in covered if link.kind is not OccurrenceKind.BARE), None)
            anchor = paragraph.text[hyperlink.start : hyperlink.end]
            links.append(
                RawLink(
                    hyperlink.url,
                    Location(source, 1, line, hyperlink.start + 1),
                    listed.kind if listed else OccurrenceKind.INLINE,
                    anchor_text=" ".join(anchor.split()) or None,
                    text_offset=prose + hyperlink.start if prose is not None else None,
                    footnote=listed.footnote if listed else None,
                )
            )
    links.extend(remaining)
    links.sort(key=_reading_order)
    for label, paragraphs in notes.items():
        marker = markers.get(label)
        location = Location(source, 1, *marker) if marker else Location(source, 1, None, None)
        links.extend(_note_links(label, paragraphs, location))

    refs_in_order = tuple(sorted(refs, key=lambda ref: ref.offset))
    page = dataclasses.replace(page, footnote_refs=refs_in_order, line_blocks=True)
    return page, links


def _under(hyperlink: _Hyperlink, link: RawLink, line: int) -> bool:
    """Whether a URL the line analysis found starts inside the hyperlink's text."""
    column = link.location.column
    if link.location.line != line or column is None:
        return False
    return hyperlink.start <= column - 1 < max(hyperlink.end, hyperlink.start + 1)


def _note_links(
    label: str, paragraphs: tuple[_Paragraph, ...], location: Location
) -> list[RawLink]:
    """Hyperlinks and written URLs of a footnote or endnote, placed at its marker."""
    links: list[RawLink] = []
    for paragraph in paragraphs:
        found = [
            (hyperlink.start, hyperlink.url, paragraph.text[hyperlink.start : hyperlink.end])
            for hyperlink in paragraph.hyperlinks
        ]
        for span in find_urls(paragraph.text):
            inside_hyperlink = any(
                h.start <= span.start < max(h.end, h.start + 1) for h in paragraph.hyperlinks
            )
            if not inside_hyperlink:
                found.append((span.start, span.url, ""))
        for _, url, anchor in sorted(found):
            links.append(
                RawLink(
                    url,
                    location,
                    OccurrenceKind.FOOTNOTE,
                    anchor_text=" ".join(anchor.split()) or None,
                    footnote=label,
                )
            )
    return links


def _prose_line_starts(page: PageText) -> dict[int, int]:
    """Paragraph number -> offset of that paragraph in the prose (PageText.text)."""
    starts: dict[int, int] = {}
    position = 0
    for line_number, line in zip(page.line_map, page.text.split("\n"), strict=False):
        starts[line_number] = position
        position += len(line) + 1
    return starts


def _reading_order(link: RawLink) -> tuple[int, int]:
    location = link.location
    return (location.line or 1 << 30, location.column or 0)
