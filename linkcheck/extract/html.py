"""HTML: anchors with their visible text, footnote sections, and the page's title and date.

The walk over the parsed tree is shared with the Markdown extractor, which hands it the HTML
blocks and inline tags of a Markdown document, so both build their prose the same way.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from urllib.parse import unquote

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, XMLParsedAsHTMLWarning
from bs4.element import NavigableString, PageElement, PreformattedString, Tag
from bs4.exceptions import ParserRejectedMarkup

from linkcheck.extract.prose import (
    LineIndex,
    OpenLink,
    Prose,
    bare_urls,
    collapse,
    link_url,
    metadata_date,
)
from linkcheck.models import (
    Document,
    Extraction,
    Format,
    Location,
    OccurrenceKind,
    RawLink,
)
from linkcheck.urls import resolve_url

# Never prose: their text is code, metadata or a fallback for what the page really shows.
_IGNORED = frozenset({"head", "script", "style", "noscript", "template", "title"})
_BLOCKS = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "caption",
        "center",
        "dd",
        "details",
        "dialog",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hgroup",
        "hr",
        "html",
        "legend",
        "li",
        "main",
        "menu",
        "nav",
        "ol",
        "optgroup",
        "option",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "tfoot",
        "thead",
        "tr",
        "ul",
    }
)
_CODE = frozenset({"code", "kbd", "samp", "var"})
_CELLS = frozenset({"td", "th"})
# Elements too large to be one footnote's definition, whatever points at them.
_NOT_DEFINITIONS = frozenset(
    {"html", "body", "main", "article", "h1", "h2", "h3", "h4", "h5", "h6"}
)
_NOTE_ID = re.compile(r"(?:fn|footnote|endnote|note|en)[-_:.]?\d+|cite_note-.+", re.IGNORECASE)
_NOTES_CLASSES = frozenset({"footnotes", "endnotes", "reflist"})
_BACKLINK_CLASSES = ("backref", "backlink", "footnote-back", "reversefootnote")
_DATE_META = (
    "article:published_time",
    "og:published_time",
    "date",
    "dc.date",
    "dc.date.issued",
    "citation_publication_date",
    "citation_date",
    "pubdate",
    "datepublished",
)


# --- the document as a whole ---------------------------------------------------------------


def extract_html(text: str, source: str, *, base_url: str | None = None) -> Extraction:
    soup = parse_html(text)
    base = _base(soup, base_url)
    prose = Prose()
    links = walk_html(soup, LineIndex(text), source=source, base=base, prose=prose)
    date = _date(soup)
    document = Document(
        source=source,
        format=Format.HTML,
        title=_title(soup),
        date=date,
        date_source="html-meta" if date is not None else None,
        pages=1,
    )
    return Extraction(document, (prose.page(),), tuple(links))


def parse_html(text: str) -> BeautifulSoup:
    """Parse with html.parser, which records where each tag starts. Never raises."""
    with warnings.catch_warnings():
        # A document that is one URL or starts with "<?xml" is still read as HTML.
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        try:
            return BeautifulSoup(text, "html.parser")
        except ParserRejectedMarkup:
            pass
        # html.parser gives up on some malformed declarations; read those as text instead.
        try:
            return BeautifulSoup(re.sub(r"<!(?!--)", "&lt;!", text), "html.parser")
        except ParserRejectedMarkup:
            return BeautifulSoup(text.replace("<", "&lt;"), "html.parser")


def _attr(tag: Tag, name: str) -> str | None:
    value = tag.get(name)
    if value is None:
        return None
    return value if isinstance(value, str) else " ".join(value)


def _classes(tag: Tag) -> list[str]:
    return (_attr(tag, "class") or "").lower().split()


def _base(soup: BeautifulSoup, base_url: str | None) -> str | None:
    for tag in soup.find_all("base"):
        if isinstance(tag, Tag) and (href := _attr(tag, "href")) and href.strip():
            return resolve_url(href, base_url)
    return base_url


def _meta(soup: BeautifulSoup) -> dict[str, str]:
    """Meta values by lower-cased name, property or itemprop; the first of each wins."""
    found: dict[str, str] = {}
    for tag in soup.find_all("meta"):
        if not isinstance(tag, Tag):
            continue
        key = _attr(tag, "property") or _attr(tag, "name") or _attr(tag, "itemprop")
        content = _attr(tag, "content")
        if key and content and content.strip():
            found.setdefault(key.strip().lower(), content.strip())
    return found


def _title(soup: BeautifulSoup) -> str | None:
    title = soup.find("title")
    if isinstance(title, Tag) and (text := collapse(title.get_text())):
        return text
    if og := _meta(soup).get("og:title"):
        return collapse(og)
    heading = soup.find("h1")
    if isinstance(heading, Tag) and (text := collapse(heading.get_text())):
        return text
    return None


def _date(soup: BeautifulSoup) -> dt.date | None:
    meta = _meta(soup)
    for key in _DATE_META:
        if (date := metadata_date(meta.get(key))) is not None:
            return date
    for article in soup.find_all("article"):
        header = article.find("header") if isinstance(article, Tag) else None
        time = header.find("time", datetime=True) if isinstance(header, Tag) else None
        if isinstance(time, Tag):
            return metadata_date(_attr(time, "datetime"))
    return None


# --- footnotes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Notes:
    """The footnote structure of a page, found before the walk. Keys are id()s of tags."""

    sections: frozenset[int]
    definitions: dict[int, str]  # definition element → label
    markers: dict[int, str]  # marker element (an <a>, or a bare <sup>) → label
    backlinks: frozenset[int]


def _is_notes_section(tag: Tag) -> bool:
    if tag.name in _NOT_DEFINITIONS:
        return False
    if (_attr(tag, "role") or "").strip().lower() in ("doc-endnotes", "doc-footnotes"):
        return True
    for name in _classes(tag):
        if name in _NOTES_CLASSES or name.startswith(("footnotes-", "endnotes-", "footnotes_")):
            return True
    return tag.name == "ol" and "references" in _classes(tag)


def _inside(tag: Tag, ids: set[int] | frozenset[int] | dict[int, str]) -> bool:
    return any(id(parent) in ids for parent in tag.parents)


def _target(tag: Tag) -> str | None:
    """The id an in-page href points to."""
    href = (_attr(tag, "href") or "").strip()
    return unquote(href[1:]) if href.startswith("#") and len(href) > 1 else None


def _own_id(item: Tag) -> str | None:
    """The id a marker can point at: the item's, or that of an anchor target at its start
    (`<li><a id="fn1"></a>...`)."""
    if value := (_attr(item, "id") or "").strip():
        return value
    for tag in item.find_all(True):
        if not isinstance(tag, Tag) or _attr(tag, "href") is not None:
            continue
        for name in ("id", "name") if tag.name == "a" else ("id",):
            value = (_attr(tag, name) or "").strip()
            if value and (tag.name == "a" or _NOTE_ID.fullmatch(value)):
                return value
    return None


def _ordinal_labels(items: list[Tag]) -> dict[int, str]:
    """Each list item's number in its list, as the reader sees it (a note without an id)."""
    labels: dict[int, str] = {}
    counters: dict[int, int] = {}
    for item in items:
        parent = item.parent
        key = id(parent)
        if key not in counters:
            start = _attr(parent, "start") if isinstance(parent, Tag) else None
            counters[key] = int(start) - 1 if start and re.fullmatch(r"\s*-?\d+\s*", start) else 0
        counters[key] += 1
        labels[id(item)] = str(counters[key])
    return labels


def _find_notes(root: Tag) -> _Notes:
    tags = [node for node in root.descendants if isinstance(node, Tag)]
    candidates = {id(tag) for tag in tags if _is_notes_section(tag)}
    # The outermost one is the section; lists and rules inside it are part of it.
    sections = {id(tag) for tag in tags if id(tag) in candidates and not _inside(tag, candidates)}
    by_id: dict[str, Tag] = {}
    for tag in tags:
        for name in ("id", "name") if tag.name == "a" else ("id",):
            if (value := _attr(tag, name)) and value.strip():
                by_id.setdefault(value.strip(), tag)

    definitions: dict[int, str] = {}

    def define(tag: Tag, label: str) -> None:
        # An empty anchor named like a note marks the paragraph it starts.
        if tag.name == "a" and not _attr(tag, "href") and isinstance(tag.parent, Tag):
            tag = tag.parent
        if tag.name in _NOT_DEFINITIONS or id(tag) in sections or id(tag) in definitions:
            return
        if not _inside(tag, definitions):
            definitions[id(tag)] = label

    for tag in tags:
        if id(tag) not in sections:
            continue
        items = [li for li in tag.find_all("li") if isinstance(li, Tag)]
        items = [li for li in items if not any(p.name == "li" for p in li.parents if p is not tag)]
        if items:
            numbered = _ordinal_labels(items)
            for item in items:
                define(item, _own_id(item) or numbered[id(item)])
        else:
            for child in tag.find_all(id=True):
                if isinstance(child, Tag):
                    define(child, (_attr(child, "id") or "").strip())
    for tag in tags:
        tag_id = (_attr(tag, "id") or "").strip()
        if tag_id and _NOTE_ID.fullmatch(tag_id) and not _inside(tag, sections):
            define(tag, tag_id)

    # Markers: in-page anchors in the prose that point at a note, or look like they do.
    markers: dict[int, str] = {}
    noted = set(definitions) | sections
    for tag in tags:
        if tag.name != "a" or (target := _target(tag)) is None or _inside(tag, noted):
            continue
        if target.lower().startswith("fnref"):
            continue
        looks_like_marker = (
            (_attr(tag, "role") or "").strip().lower() == "doc-noteref"
            or any("footnote-ref" in name or "noteref" in name for name in _classes(tag))
            or (isinstance(tag.parent, Tag) and tag.parent.name == "sup")
            or tag.find("sup") is not None
            or target.lower().startswith("fn")
            or bool(_NOTE_ID.fullmatch(target))
        )
        if target in by_id and not looks_like_marker:
            looks_like_marker = id(by_id[target]) in definitions
        if looks_like_marker:
            markers[id(tag)] = target
            if target in by_id and id(by_id[target]) not in definitions:
                referenced = by_id[target]
                holds_marker = any(node is tag for node in referenced.descendants)
                if not holds_marker and not _inside(referenced, sections):
                    define(referenced, target)
    # Notes without ids are numbered; a bare <sup>3</sup> in the prose points at number 3.
    numbered_labels = {label for label in definitions.values() if label.isdigit()}
    for tag in tags:
        text = tag.get_text().strip().strip("[]()") if tag.name == "sup" else ""
        if text in numbered_labels and tag.find("a") is None and not _inside(tag, noted):
            markers[id(tag)] = text

    # Back-references lead from a note to its marker: never links to check.
    marker_ids: set[str] = set()
    for tag in tags:
        if id(tag) in markers:
            for element in (tag, *list(tag.parents)[:2]):
                if isinstance(element, Tag) and (value := _attr(element, "id")):
                    marker_ids.add(value.strip())
    noted = set(definitions) | sections
    backlinks = set()
    for tag in tags:
        if tag.name != "a" or (target := _target(tag)) is None:
            continue
        is_backlink = (
            target.lower().startswith("fnref")
            or (_attr(tag, "role") or "").strip().lower() == "doc-backlink"
            or any(name.startswith(_BACKLINK_CLASSES) for name in _classes(tag))
            or (target in marker_ids and _inside(tag, noted))
        )
        if is_backlink and id(tag) not in markers:
            backlinks.add(id(tag))
    return _Notes(frozenset(sections), definitions, markers, frozenset(backlinks))


def _run_backwards(actions: list[Callable[[], None]]) -> None:
    for action in reversed(actions):
        action()


# --- the walk ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    """What the text under an element is: where it goes and what its links are."""

    sink: Prose
    in_prose: bool = True  # `sink` is the page's prose
    notes: bool = False  # inside a footnote section: links are FOOTNOTE
    footnote: str | None = None
    scan: bool = True  # look for bare URLs in its text
    link: bool = False  # inside an anchor or marker: its text belongs to that


_Item = tuple[PageElement, _Context] | Callable[[], None]


def walk_html(
    root: Tag,
    index: LineIndex,
    *,
    source: str,
    base: str | None,
    prose: Prose,
    footnote: str | None = None,
) -> list[RawLink]:
    """The links under `root`, adding its text to `prose`.

    `index` holds the markup that was parsed and places its offsets in the document. With
    `footnote`, the markup is the definition of that footnote: its text is not prose.
    """
    walker = _HtmlWalker(root, index, source, base)
    context = _Context(prose)
    if footnote is not None:
        context = _Context(Prose(), in_prose=False, notes=True, footnote=footnote)
    walker.walk(root, context)
    return walker.links


class _HtmlWalker:
    def __init__(self, root: Tag, index: LineIndex, source: str, base: str | None) -> None:
        self.index = index
        self.source = source
        self.base = base
        self.notes = _find_notes(root)
        self.links: list[RawLink] = []
        self.cursor = 0  # offset in the markup past the last tag seen, to find bare URLs from

    def walk(self, root: Tag, context: _Context) -> None:
        # An explicit stack: documents nest deeper than Python's recursion limit allows.
        stack: list[_Item] = [(child, context) for child in reversed(root.contents)]
        while stack:
            item = stack.pop()
            if not isinstance(item, tuple):
                item()
                continue
            node, context = item
            if isinstance(node, NavigableString):
                if not isinstance(node, PreformattedString):  # comments, CDATA, doctypes
                    self._text(str(node), context)
            elif isinstance(node, Tag):
                self._enter(node, context, stack)

    def _position(self, tag: Tag) -> tuple[int, int]:
        if tag.sourceline is None:
            return self.index.position(self.cursor)
        return self.index.position(self.index.offset(tag.sourceline - 1, tag.sourcepos or 0))

    def _advance(self, tag: Tag) -> None:
        if tag.sourceline is None:
            return
        start = self.index.offset(tag.sourceline - 1, tag.sourcepos or 0)
        if start >= self.cursor:
            end = self.index.text.find(">", start)
            self.cursor = end + 1 if end >= 0 else start

    def _enter(self, tag: Tag, context: _Context, stack: list[_Item]) -> None:
        name = tag.name
        self._advance(tag)
        if name in _IGNORED or id(tag) in self.notes.backlinks:
            return
        exits: list[Callable[[], None]] = []
        key = id(tag)
        if key in self.notes.sections:
            context = replace(context, sink=Prose(), in_prose=False, notes=True, footnote=None)
        if key in self.notes.definitions:
            label = self.notes.definitions[key]
            context = replace(context, sink=Prose(), in_prose=False, notes=True, footnote=label)
        line = self._position(tag)[0]
        if name in _BLOCKS or name == "br":
            context.sink.new_line(line)
        if name in _BLOCKS:
            sink = context.sink
            exits.append(lambda: sink.new_line(self.index.line_of(self.cursor)))
        if name == "pre":
            context = replace(context, sink=Prose(), in_prose=False, scan=False)
        elif name in _CODE:
            context = replace(context, scan=False)
        if name in _CELLS and any(
            isinstance(sibling, Tag) and sibling.name in _CELLS for sibling in tag.previous_siblings
        ):
            context.sink.add(" | ")

        if key in self.notes.markers:
            context = self._marker(tag, context, exits)
        elif name in ("a", "area") and _attr(tag, "href") is not None:
            context = self._anchor(tag, context, exits)
            if name == "area":
                return
        elif name == "img" and context.link:
            context.sink.add(" " + (_attr(tag, "alt") or "") + " ")

        if exits:
            stack.append(partial(_run_backwards, exits))
        stack.extend((child, context) for child in reversed(tag.contents))

    def _marker(self, tag: Tag, context: _Context, exits: list[Callable[[], None]]) -> _Context:
        label = self.notes.markers[id(tag)]
        if context.in_prose and not context.notes:
            sink, start = context.sink, context.sink.length
            exits.append(lambda: sink.mark(label, start))
        return replace(context, link=True, scan=False)

    def _anchor(self, tag: Tag, context: _Context, exits: list[Callable[[], None]]) -> _Context:
        url = link_url(_attr(tag, "href"), self.base)
        line, column = self._position(tag)
        kind = OccurrenceKind.FOOTNOTE if context.notes else OccurrenceKind.INLINE
        if tag.name == "area":
            if url is not None:
                location = Location(self.source, 1, line, column)
                alt = collapse(_attr(tag, "alt") or "") or None
                self.links.append(RawLink(url, location, kind, alt, None, context.footnote))
            return context
        link = OpenLink(
            url,
            line,
            column,
            context.sink.length,
            context.sink,
            context.in_prose,
            context.footnote,
            kind,
        )

        def close() -> None:
            if (raw := link.close(self.source)) is not None:
                self.links.append(raw)

        exits.append(close)
        return replace(context, link=True)

    def _text(self, text: str, context: _Context) -> None:
        start = context.sink.add(text)
        if not context.scan or context.link:
            return
        kind = OccurrenceKind.FOOTNOTE if context.notes else OccurrenceKind.BARE
        for span in bare_urls(collapse(text)):
            line, column = self._find(span.url)
            offset = start + span.start if context.in_prose else None
            location = Location(self.source, 1, line, column)
            self.links.append(RawLink(span.url, location, kind, None, offset, context.footnote))

    def _find(self, url: str) -> tuple[int, int]:
        """Where a URL found in decoded text is written in the markup: the next place after the
        last tag that holds it (entities may hide it: then the place of that tag)."""
        for written in (url, url.replace("&", "&amp;")):
            found = self.index.text.find(written, self.cursor)
            if found >= 0:
                self.cursor = found + len(written)
                return self.index.position(found)
        return self.index.position(self.cursor)
