"""Robust Links output (https://robustlinks.mementoweb.org/spec/): each cited link carries its
original URL, a snapshot and the date it was cited, so a reader can reach the page as the
author saw it even after link rot or content drift.

- HTML: `data-originalurl`, `data-versionurl` ("<snapshot> <ISO datetime>") and
  `data-versiondate` are added to each `<a href>` that has a snapshot. The attributes are
  spliced into the original text, so every other byte of the document stays as it was.
- Markdown: a visible ` [archived YYYY-MM-DD](<snapshot>)` link is appended after each linked
  URL. Renderers strip data-* attributes from inline HTML (GitHub does), and a visible link also
  survives printing and conversion to PDF/DOCX.
- PDF/DOCX/text sources: `snapshot_table_markdown` / `snapshot_table_html` list claims, links
  and snapshots."""

from __future__ import annotations

import datetime as dt
import html as htmllib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote

from linkcheck.archive.services import strip_fragment
from linkcheck.archive.values import LookupResult, iso_of
from linkcheck.models import Link, Snapshot
from linkcheck.urls import find_urls, is_checkable, normalize_url, resolve_url

# bs4 and markdown-it are imported by the functions that write a robust copy: an audit that
# writes none (most of them) does not pay for them at start-up.
if TYPE_CHECKING:
    from bs4.element import Tag

Snapshots = Mapping[str, LookupResult]


class _Finder:
    """Snapshots by URL as written, then by normalised URL without fragment."""

    def __init__(self, snapshots: Snapshots) -> None:
        self._exact: dict[str, Snapshot] = {}
        self._normal: dict[str, Snapshot] = {}
        for url, value in snapshots.items():
            if isinstance(value, Snapshot):
                self._exact[url] = value
                self._normal.setdefault(_key(url), value)

    def find(self, url: str) -> Snapshot | None:
        return self._exact.get(url) or self._normal.get(_key(url))


def _key(url: str) -> str:
    return normalize_url(strip_fragment(url.strip()))


def version_date_of(snapshot: Snapshot, version_date: dt.date | None) -> str:
    """The citing date; lacking one, the capture's date (the version the link now points to)."""
    if version_date is not None:
        return version_date.isoformat()
    return iso_of(snapshot.timestamp)[:10]


def robust_attributes(
    original: str, snapshot: Snapshot, version_date: dt.date | None
) -> list[tuple[str, str]]:
    return [
        ("data-originalurl", original),
        ("data-versionurl", f"{snapshot.url} {iso_of(snapshot.timestamp)}"),
        ("data-versiondate", version_date_of(snapshot, version_date)),
    ]


# --- HTML -----------------------------------------------------------------------------------


def robustify_html(
    html: str,
    snapshots: Snapshots,
    version_date: dt.date | None,
    *,
    base_url: str | None = None,
) -> str:
    """`html` with Robust Links attributes on every `<a href>` that has a snapshot. Anchors that
    already carry `data-versionurl` are left alone; relative hrefs are resolved against
    `base_url` when given."""
    from bs4 import BeautifulSoup
    from bs4.element import Tag

    finder = _Finder(snapshots)
    soup = BeautifulSoup(html, "html.parser")
    line_starts = [0] + [index + 1 for index, char in enumerate(html) if char == "\n"]
    edits: list[tuple[int, str]] = []
    changes: list[tuple[Tag, list[tuple[str, str]]]] = []
    splice = True
    for anchor in soup.find_all("a", href=True):
        if not isinstance(anchor, Tag) or anchor.has_attr("data-versionurl"):
            continue
        href = str(anchor.get("href") or "").strip()
        original = resolve_url(href, base_url)
        snapshot = finder.find(original) if is_checkable(original) else None
        if snapshot is None:
            continue
        attributes = [
            (name, value)
            for name, value in robust_attributes(original, snapshot, version_date)
            if not anchor.has_attr(name)
        ]
        changes.append((anchor, attributes))
        end = _start_tag_end(html, line_starts, anchor)
        if end is None:
            splice = False  # positions unknown: fall back to re-serialising the tree
            continue
        text = "".join(
            f' {name}="{htmllib.escape(value, quote=True)}"' for name, value in attributes
        )
        edits.append((end, text))
    if not splice:
        for anchor, attributes in changes:
            for name, value in attributes:
                anchor[name] = value
        return str(soup)
    result = html
    for position, text in sorted(edits, reverse=True):
        result = result[:position] + text + result[position:]
    return result


def _start_tag_end(html: str, line_starts: Sequence[int], anchor: Tag) -> int | None:
    """Where to insert attributes in `anchor`'s start tag: before its `>` (or `/>`)."""
    line, column = anchor.sourceline, anchor.sourcepos
    if line is None or column is None or not 0 < line <= len(line_starts):
        return None
    start = line_starts[line - 1] + column
    if html[start : start + 2].lower() != "<a":
        return None
    # A small tokenizer: quoted values may hold ">", and an unquoted value may end in "/"
    # (`href=https://a.org/>`), which is then no self-closing slash.
    state = "name"  # "name", "before-value", "quoted", "unquoted"
    quote_char = ""
    for index in range(start + 2, len(html)):
        char = html[index]
        if state == "quoted":
            if char == quote_char:
                state = "name"
        elif state == "before-value":
            if char in "\"'":
                state, quote_char = "quoted", char
            elif char == ">":
                return index
            elif not char.isspace():
                state = "unquoted"
        elif state == "unquoted":
            if char.isspace():
                state = "name"
            elif char == ">":
                return index
        elif char == "=":
            state = "before-value"
        elif char == ">":
            return index - 1 if html[index - 1] == "/" else index
    return None


# --- Markdown -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    url: str | None  # None: a region to leave alone (code, images, definitions)


_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`).+?(?<!`)\1(?!`)", re.DOTALL)
_AUTOLINK = re.compile(r"<(https?://[^\s<>]+)>", re.IGNORECASE)
_INLINE_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")
_ARCHIVED_AFTER = re.compile(r"\s*\[archived \d{4}-\d{2}-\d{2}\]")


def robustify_markdown(text: str, snapshots: Snapshots, version_date: dt.date | None) -> str:
    """`text` with ` [archived YYYY-MM-DD](<snapshot>)` after every inline link, reference
    link, autolink and bare URL that has a snapshot. Code, images, raw HTML and link reference
    definitions are left alone; running it twice adds nothing. The date shown is the capture's
    (the version date goes into the HTML and data outputs)."""
    del version_date  # the visible label names the capture date; kept for a uniform API
    finder = _Finder(snapshots)
    spans = _markdown_spans(text)
    edits: list[tuple[int, str]] = []
    for span in spans:
        if span.url is None:
            continue
        snapshot = finder.find(span.url) or finder.find(unquote(span.url))
        if snapshot is None or _ARCHIVED_AFTER.match(text, span.end):
            continue
        edits.append(
            (
                span.end,
                f" [archived {iso_of(snapshot.timestamp)[:10]}]"
                f"(<{_markdown_destination(snapshot.url)}>)",
            )
        )
    result = text
    for position, addition in sorted(edits, reverse=True):
        result = result[:position] + addition + result[position:]
    return result


def _markdown_destination(url: str) -> str:
    # An angle-bracket destination may hold anything but "<", ">" and line breaks.
    return quote(url, safe=":/?#[]@!$&'()*+,;=%~-._")


def _markdown_spans(text: str) -> list[_Span]:
    from markdown_it import MarkdownIt

    env: dict[str, object] = {}
    tokens = MarkdownIt("commonmark").parse(text, env)
    line_starts = [0] + [index + 1 for index, char in enumerate(text) if char == "\n"]
    line_starts.append(len(text) + 1)

    def lines(first: int, last: int) -> _Span:
        return _Span(line_starts[first], line_starts[min(last, len(line_starts) - 1)] - 1, None)

    claimed: list[_Span] = []
    for token in tokens:
        if token.type in ("fence", "code_block", "html_block") and token.map:
            claimed.append(lines(token.map[0], token.map[1]))
    references = env.get("references")
    ref_hrefs: dict[str, str] = {}
    if isinstance(references, dict):
        for label, entry in references.items():
            if isinstance(entry, dict):
                ref_hrefs[str(label)] = str(entry.get("href", ""))
                if entry.get("map"):
                    claimed.append(lines(entry["map"][0], entry["map"][1]))

    def free(start: int, end: int) -> bool:
        return all(end <= span.start or start >= span.end for span in claimed)

    for pattern in (_CODE_SPAN, _INLINE_TAG):  # raw HTML tags: an href inside stays intact
        for match in pattern.finditer(text):
            if free(match.start(), match.end()):
                claimed.append(_Span(match.start(), match.end(), None))

    def outside(position: int) -> bool:
        return all(not span.start <= position < span.end for span in claimed)

    found: list[_Span] = []
    # Link text may hold code or tags: only the link's own ends must be outside them.
    for span in _bracket_links(text, ref_hrefs):
        if outside(span.start) and outside(span.end - 1):
            claimed.append(span)
            found.append(span)
    for match in _AUTOLINK.finditer(text):
        if free(match.start(), match.end()):
            span = _Span(match.start(), match.end(), match.group(1))
            claimed.append(span)
            found.append(span)
    for url_span in find_urls(text):
        if free(url_span.start, url_span.end):
            span = _Span(url_span.start, url_span.end, url_span.url)
            claimed.append(span)
            found.append(span)
    return found


def _bracket_links(text: str, ref_hrefs: Mapping[str, str]) -> Iterable[_Span]:
    """Inline links `[text](dest "title")`, full `[text][ref]` and collapsed `[ref][]`
    reference links; images come back as regions to leave alone."""
    from markdown_it.common.utils import normalizeReference

    index = 0
    while True:
        start = text.find("[", index)
        if start < 0:
            return
        if start > 0 and text[start - 1] == "\\":
            index = start + 1
            continue
        image = start > 0 and text[start - 1] == "!"
        close = _matching_bracket(text, start)
        if close is None:
            index = start + 1
            continue
        label = text[start + 1 : close]
        after = close + 1
        url: str | None = None
        end = after
        if text.startswith("(", after):
            parsed = _inline_destination(text, after)
            if parsed is not None:
                url, end = parsed
        elif text.startswith("[", after):
            ref_close = _matching_bracket(text, after)
            if ref_close is not None:
                ref = text[after + 1 : ref_close] or label
                href = ref_hrefs.get(normalizeReference(ref))
                if href:
                    url, end = href, ref_close + 1
        if url is None:
            index = start + 1  # plain brackets: links inside them are found on their own
            continue
        yield _Span(start - 1 if image else start, end, None if image else url)
        index = end


def _matching_bracket(text: str, start: int) -> int | None:
    depth = 0
    index = start
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2
            continue
        if char == "`":  # a code span inside link text may hold brackets
            run = len(text) - len(text[index:].lstrip("`"))
            fence = text[index:run]
            closing = text.find(fence, run)
            index = closing + len(fence) if closing >= 0 else run
            continue
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
            if depth == 0:
                return index
        elif char == "\n" and text.startswith("\n", index + 1):
            return None  # a blank line ends the paragraph
        index += 1
    return None


def _inline_destination(text: str, open_paren: int) -> tuple[str, int] | None:
    """(destination, index after the closing paren) for `(dest "title")`."""
    index = open_paren + 1
    while index < len(text) and text[index] in " \t\n":
        index += 1
    if text.startswith("<", index):
        close = text.find(">", index)
        if close < 0 or "\n" in text[index:close]:
            return None
        url = text[index + 1 : close]
        index = close + 1
    else:
        depth = 0
        begin = index
        while index < len(text):
            char = text[index]
            if char == "\\":
                index += 2
                continue
            if char.isspace():
                break
            if char == "(":
                depth += 1
            elif char == ")":
                if depth == 0:
                    break
                depth -= 1
            index += 1
        url = text[begin:index]
    # An optional title, then the closing paren.
    rest = re.compile(
        r"\s*(?:(?:\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|\((?:[^()\\]|\\.)*\))\s*)?\)", re.DOTALL
    )
    match = rest.match(text, index)
    if match is None:
        return None
    return url, match.end()


# --- Tables for PDF/DOCX/text documents ------------------------------------------------------


@dataclass(frozen=True)
class SnapshotRow:
    """One line of the snapshot table: a claim, a link it cites, and the link's snapshot."""

    claim: str | None
    url: str
    snapshot: Snapshot | None
    version_date: dt.date | None = None


def rows_from_links(
    links: Iterable[Link], version_date: dt.date | None = None
) -> list[SnapshotRow]:
    """A row per (claim, link); links with no matched claim get one row with no claim."""
    rows: list[SnapshotRow] = []
    for link in links:
        claims = link.claims
        if not claims:
            rows.append(SnapshotRow(None, link.url, link.archive, version_date))
        for claim in claims:
            rows.append(SnapshotRow(claim.text, link.url, link.archive, version_date))
    return rows


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")


def _md_escape(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def snapshot_table_markdown(rows: Sequence[SnapshotRow]) -> str:
    """A GitHub-flavoured Markdown table: Claim | Link | Archived copy | Captured."""
    lines = ["| Claim | Link | Archived copy | Captured |", "| --- | --- | --- | --- |"]
    for row in rows:
        claim = _md_escape(row.claim) if row.claim else "—"
        link = f"<{_markdown_destination(row.url)}>"
        if row.snapshot is not None:
            captured = iso_of(row.snapshot.timestamp)
            copy = f"[archived {captured[:10]}](<{_markdown_destination(row.snapshot.url)}>)"
        else:
            captured, copy = "—", "none"
        lines.append(f"| {claim} | {link} | {copy} | {captured} |")
    return "\n".join(lines) + "\n"


def snapshot_table_html(rows: Sequence[SnapshotRow]) -> str:
    """An HTML table; the link column's anchors carry the Robust Links attributes."""
    esc = htmllib.escape
    out = [
        '<table class="linkcheck-snapshots">',
        "<thead><tr><th>Claim</th><th>Link</th><th>Archived copy</th><th>Captured</th>"
        "</tr></thead>",
        "<tbody>",
    ]
    for row in rows:
        claim = esc(row.claim) if row.claim else "—"
        attributes = ""
        if row.snapshot is not None:
            attributes = "".join(
                f' {name}="{esc(value)}"'
                for name, value in robust_attributes(row.url, row.snapshot, row.version_date)
            )
            captured = iso_of(row.snapshot.timestamp)
            copy = f'<a href="{esc(row.snapshot.url)}">archived {esc(captured[:10])}</a>'
        else:
            captured, copy = "—", "none"
        link = f'<a href="{esc(row.url)}"{attributes}>{esc(row.url)}</a>'
        out.append(
            f"<tr><td>{claim}</td><td>{link}</td><td>{copy}</td><td>{esc(captured)}</td></tr>"
        )
    out += ["</tbody>", "</table>"]
    return "\n".join(out) + "\n"
