"""Markdown: inline, reference and autolinks, images, footnotes and embedded HTML.

markdown-it-py parses the document (CommonMark plus tables and strikethrough). Two small rules
added here read Pandoc-style footnotes (`[^label]` markers, `[^label]: ...` definitions), and
the link rules are wrapped to note where each link starts, as markdown-it keeps only the lines
of a block, not the columns of what is inside it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.rules_core import StateCore, text_join
from markdown_it.rules_inline import StateInline, autolink, html_inline, image, link
from markdown_it.token import Token

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

_InlineRule = Callable[[StateInline, bool], bool]

_FRONT_MATTER = re.compile(r"---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_FRONT_MATTER_FIELD = re.compile(r"([A-Za-z_][\w-]*)[ \t]*:[ \t]*(.*)")
_FOOTNOTE_DEFINITION = re.compile(r"\[\^([^\]\s]+)\]:")
_FOOTNOTE_MARKER = re.compile(r"\[\^([^\]\s]+)\]")
_HTML_ANCHOR_OPEN = re.compile(r"<a\b", re.IGNORECASE)
_HTML_ANCHOR_CLOSE = re.compile(r"</a\s*>", re.IGNORECASE)
_LABELS = "linkcheck_footnotes"  # env key: the labels of the document's footnote definitions


# Called with the URLs of the links found so far, batch by batch, while a document is read.
Found = Callable[[Sequence[str]], None]
# A long document's first bytes are parsed on their own first, so that its first links can be
# checked while markdown-it parses the whole (0.4 s for a 1 MB list, in which it finds
# nothing until the list ends): a short look, whose links go out soonest, then longer ones,
# whose links last the checks until the whole parse has more. Each look reads on from where
# the last one could stop (`early_urls`), so that none parses what another has parsed and
# the links keep coming: a look of 128 KB from the top took 0.11 s alone, and the checks ran
# dry waiting for it.
EARLY_LOOKS = (16 * 1024, 32 * 1024, 128 * 1024)


def extract_markdown(
    text: str, source: str, *, base_url: str | None = None, found: Found | None = None
) -> Extraction:
    """`found` hears of the links' URLs as the walk reaches them (a run checks them while
    the rest of a long document is read)."""
    # The newlines markdown-it itself normalises to, so its line numbers are ours.
    text = re.sub(r"\r\n?", "\n", text).replace("\0", "\ufffd")
    fields, body = _front_matter(text)
    if found is not None:
        start: int | None = 0
        for size in EARLY_LOOKS:
            if start is None or len(body) - start <= 2 * size:
                break
            early, start = early_urls(body, size, base_url, start=start)
            if early:
                found(early)
    lines = body.split("\n")
    parser, env = _parser(), dict[str, Any]()
    tokens = parser.parse(body, env)
    walker = _Walker(source, base_url, lines, lambda token: _inline_children(parser, env, token))
    walker.found = found
    walker.walk(tokens)
    date = metadata_date(fields.get("date"))
    document = Document(
        source=source,
        format=Format.MARKDOWN,
        title=walker.title or fields.get("title") or None,
        date=date,
        date_source="front-matter" if date is not None else None,
        pages=1,
    )
    return Extraction(document, (walker.prose.page(),), tuple(walker.links))


def early_urls(
    body: str, size: int, base_url: str | None = None, *, start: int = 0
) -> tuple[list[str], int | None]:
    """The URLs of the links in the blocks that end within `size` characters of `body` from
    `start`, as the whole document's parse will find them (never one it will not: the blocks
    after them cannot change them), and where the next look may start (None: nowhere).

    Nothing when a reference or footnote may be defined further on: "[text][later]" is a
    link only once its definition has been read. Nor when one may reach the look's last line:
    it may read differently once the next line is known (a table's delimiter row makes it a
    table header; its destination may follow), and none starts before the last blank line.

    A next look starts where the block holding the first link left out begins, if that block
    reads the same on its own as in the document: one at the top level, or an item of a list
    at the top level (the list's own start and looseness change no link). None is offered in
    a document with any definition ("]:"): a look that starts further on would not see those
    before it."""
    cut = body.rfind("\n", start, start + size)
    last_definition = body.rfind("]:")
    if cut <= start or last_definition > body.rfind("\n\n", 0, cut):
        return [], None
    head = body[start : cut + 1]
    complete = head.count("\n") - 1  # lines before the last: it may go on after the cut
    parser, env = _parser(), dict[str, Any]()
    tokens = parser.parse(head, env)
    settled = len(tokens)
    for index, token in enumerate(tokens):
        if token.type in ("inline", "html_block") and (not token.map or token.map[1] > complete):
            settled = index
            break
    restart = _restart(tokens, settled) if last_definition < 0 else None
    lines = head.split("\n")
    walker = _Walker("", base_url, lines, lambda t: _inline_children(parser, env, t))
    walker.walk(tokens[: restart[0] if restart else settled])
    urls = [raw.url for raw in walker.links]
    if restart is None:
        return urls, None
    return urls, start + sum(len(line) + 1 for line in lines[: restart[1]])


def _restart(tokens: Sequence[Token], settled: int) -> tuple[int, int] | None:
    """Where a next look may start, as a token's index and its first line: the top-level
    block, or the item of a top-level list, that holds tokens[settled] (the first left out,
    or the last token if none was). None if that is the look's first line."""
    for index in range(min(settled, len(tokens) - 1), 0, -1):
        token = tokens[index]
        starts_block = token.nesting == 1 or (token.nesting == 0 and token.block)
        top_level = token.level == 0 or (token.level == 1 and token.type == "list_item_open")
        if starts_block and top_level and token.map:
            return (index, token.map[0]) if token.map[0] > 0 else None
    return None


def _front_matter(text: str) -> tuple[dict[str, str], str]:
    """Top-level `key: value` fields of a YAML front matter block, and the text with the block
    blanked out (line numbers kept)."""
    match = _FRONT_MATTER.match(text)
    if match is None:
        return {}, text
    fields: dict[str, str] = {}
    for line in (match.group(1) or "").split("\n"):
        field = _FRONT_MATTER_FIELD.fullmatch(line.rstrip())
        if field is not None:
            value = field.group(2).strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            fields.setdefault(field.group(1).lower(), value)
    if match.group(1) and match.group(1).strip() and not fields:
        return {}, text  # a thematic break and some text, not front matter
    blank = "\n" * match.group(0).count("\n")
    return fields, blank + text[match.end() :]


# --- the parser --------------------------------------------------------------------------------


class _Parser(MarkdownIt):
    """Links kept as written: no percent-encoding, and no scheme refused (mailto:, javascript:
    and file: links are reported, and a later stage marks them skipped)."""

    def validateLink(self, url: str) -> bool:
        return True

    def normalizeLink(self, url: str) -> str:
        return url


def _parser() -> MarkdownIt:
    md = _Parser("commonmark").enable(["table", "strikethrough"])
    md.block.ruler.before(
        "reference", "footnote_def", _footnote_definition, {"alt": ["paragraph", "reference"]}
    )
    md.inline.ruler.after("image", "footnote_ref", _footnote_marker)
    md.inline.ruler.at("link", _positioned(link, "link_open"))
    md.inline.ruler.at("image", _positioned(image, "image"))
    md.inline.ruler.at("autolink", _positioned(autolink, "link_open"))
    md.inline.ruler.at("html_inline", _positioned(html_inline, "html_inline"))
    # Inline parsing is done block by block as the walk reaches each (`_inline_children`).
    md.core.ruler.disable(["inline", "text_join"])
    return md


def _inline_children(md: MarkdownIt, env: dict[str, Any], token: Token) -> list[Token]:
    """The inline tokens of one block (markdown-it's core "inline" and "text_join" rules for
    that block alone), parsed when the walk reaches it and dropped once read: a whole
    document's inline tokens held at once were most of the memory a large file took."""
    token.children = []
    md.inline.parse(token.content, md, env, token.children)
    text_join(StateCore("", md, env, [token]))
    children, token.children = token.children, None
    return children


def _positioned(rule: _InlineRule, token_type: str) -> _InlineRule:
    """`rule`, noting on the token it makes where in the block's text it starts and ends."""

    def wrapped(state: StateInline, silent: bool) -> bool:
        start, count = state.pos, len(state.tokens)
        if not rule(state, silent):
            return False
        if not silent:
            for token in state.tokens[count:]:
                if token.type == token_type:
                    token.meta["pos"], token.meta["end"] = start, state.pos
                    break
        return True

    return wrapped


def _footnote_definition(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    """`[^label]: text`, with indented lines after it, read as the blocks of a footnote.

    Without this rule CommonMark would take `[^1]: https://...` for a link reference
    definition and turn every `[^1]` marker into a link.
    """
    if state.is_code_block(start_line):
        return False
    start = state.bMarks[start_line] + state.tShift[start_line]
    maximum = state.eMarks[start_line]
    match = _FOOTNOTE_DEFINITION.match(state.src, start, maximum)
    if match is None:
        return False
    if silent:
        return True
    label = match.group(1)
    state.env.setdefault(_LABELS, set()).add(label)
    opening = state.push("footnote_open", "", 1)
    opening.meta = {"label": label}

    # Parse the rest as nested blocks indented by four, as list items are.
    old_mark, old_shift = state.bMarks[start_line], state.tShift[start_line]
    old_count, old_parent = state.sCount[start_line], state.parentType
    pos = after_colon = match.end()
    initial = offset = state.sCount[start_line] + pos - start
    while pos < maximum and state.src[pos] in " \t":
        offset += 4 - offset % 4 if state.src[pos] == "\t" else 1
        pos += 1
    state.tShift[start_line] = pos - after_colon
    state.sCount[start_line] = offset - initial
    state.bMarks[start_line] = after_colon
    state.blkIndent += 4
    state.parentType = "footnote"
    if state.sCount[start_line] < state.blkIndent:
        state.sCount[start_line] += state.blkIndent

    state.md.block.tokenize(state, start_line, end_line)

    state.parentType = old_parent
    state.blkIndent -= 4
    state.tShift[start_line], state.sCount[start_line] = old_shift, old_count
    state.bMarks[start_line] = old_mark
    opening.map = [start_line, state.line]
    state.push("footnote_close", "", -1)
    return True


def _footnote_marker(state: StateInline, silent: bool) -> bool:
    """`[^label]` where a definition of that label exists."""
    labels = state.env.get(_LABELS)
    if not labels or not state.src.startswith("[^", state.pos):
        return False
    match = _FOOTNOTE_MARKER.match(state.src, state.pos, state.posMax)
    if match is None or match.group(1) not in labels:
        return False
    if not silent:
        token = state.push("footnote_ref", "", 0)
        token.meta = {"label": match.group(1), "pos": state.pos, "end": match.end()}
    state.pos = match.end()
    return True


# --- the walk ----------------------------------------------------------------------------------


def _plain(tokens: Sequence[Token]) -> str:
    """An image's alt text as rendered: its inline content without markup."""
    parts: list[str] = []
    for token in tokens:
        if token.type in ("text", "code_inline"):
            parts.append(token.content)
        elif token.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif token.children:
            parts.append(_plain(token.children))
    return "".join(parts)


def _html_href(tag: str) -> str | None:
    from linkcheck.extract.html import parse_html  # BeautifulSoup: only for embedded HTML

    anchor = parse_html(tag).find("a")
    href = anchor.get("href") if anchor is not None else None
    return href if isinstance(href, str) else None


class _Walker:
    """Reads the token stream into prose and links."""

    def __init__(
        self,
        source: str,
        base: str | None,
        lines: list[str],
        inline_children: Callable[[Token], list[Token]],
    ) -> None:
        self.source = source
        self.inline_children = inline_children
        self.base = base
        self.lines = lines
        self.prose = Prose()
        self.links: list[RawLink] = []
        self.title: str | None = None
        self.sink = self.prose  # where text goes: the prose, or a footnote's scratch text
        self.footnote: str | None = None
        self.heading: str | None = None
        self.cell = -1  # index of the table cell being read in its row, -1 outside tables
        self.row_column = 0  # column in the row's source line past the last cell read
        self.found: Found | None = None
        self.told = 0  # links `found` has heard of

    def walk(self, tokens: Sequence[Token]) -> None:
        for token in tokens:
            kind = token.type
            if kind == "footnote_open":
                self.footnote, self.sink = str(token.meta["label"]), Prose()
            elif kind == "footnote_close":
                self.footnote, self.sink = None, self.prose
            elif kind in ("paragraph_open", "heading_open", "tr_open") and token.map:
                self.sink.new_line(token.map[0] + 1)
                self.heading = token.tag if kind == "heading_open" else None
                if kind == "tr_open":
                    self.cell, self.row_column = 0, 0
            elif kind == "tr_close":
                self.cell = -1
            elif kind == "inline":
                self._block_inline(token)
            elif kind == "html_block" and token.map:
                self._html_block(token)
            # Code blocks and fences are no prose, and their URLs are examples, not citations.
            if self.found is not None and len(self.links) > self.told:
                self.found([raw.url for raw in self.links[self.told :]])
                self.told = len(self.links)

    def _block_inline(self, token: Token) -> None:
        first_line = token.map[0] if token.map else 0
        min_column = 0
        if self.cell >= 0:
            if self.cell > 0:
                self.sink.add(" | ")
            self.cell += 1
            min_column = self.row_column
        index = LineIndex(token.content, first_line, self.lines, min_column)
        start = self.sink.length
        _Inline(self, index).read(self.inline_children(token))
        if self.cell >= 0 and token.content.strip():
            self.row_column = index.position(len(token.content))[1] - 1
        if self.heading == "h1" and self.title is None and self.footnote is None:
            self.title = collapse(self.sink.since(start)) or None

    def _html_block(self, token: Token) -> None:
        assert token.map is not None
        if self.footnote is None:
            self.sink.new_line(token.map[0] + 1)
        from linkcheck.extract.html import parse_html, walk_html  # only for embedded HTML

        index = LineIndex(token.content, token.map[0], self.lines)
        self.links.extend(
            walk_html(
                parse_html(token.content),
                index,
                source=self.source,
                base=self.base,
                prose=self.sink,
                footnote=self.footnote,
            )
        )


class _Inline:
    """Reads the children of one inline token (a paragraph's, a heading's, a cell's text)."""

    def __init__(self, walker: _Walker, index: LineIndex) -> None:
        self.walker = walker
        self.index = index
        self.cursor = 0  # offset in the block's text past what has been placed
        self.open: list[OpenLink] = []

    def read(self, children: Sequence[Token]) -> None:
        sink = self.walker.sink
        for child in children:
            kind = child.type
            if kind == "text":
                self._text(child.content)
            elif kind == "code_inline":
                sink.add(child.content)  # part of the sentence, but never a link
            elif kind == "softbreak":
                sink.add(" ")
                self._skip_newline()
            elif kind == "hardbreak":
                self._skip_newline()
                sink.new_line(self.index.line_of(self.cursor))
            elif kind == "link_open":
                self._open(child.attrs.get("href"), child.meta)
            elif kind == "link_close":
                self._close()
            elif kind == "image":
                self._image(child)
            elif kind == "footnote_ref":
                self._marker(child)
            elif kind == "html_inline":
                self._html_inline(child)

    def _skip_newline(self) -> None:
        newline = self.index.text.find("\n", self.cursor)
        if newline >= 0:
            self.cursor = newline + 1

    def _kind(self, default: OccurrenceKind) -> OccurrenceKind:
        return OccurrenceKind.FOOTNOTE if self.walker.footnote is not None else default

    def _open(self, href: object, meta: dict[str, object]) -> None:
        pos = meta.get("pos")
        end = meta.get("end")
        at = pos if isinstance(pos, int) else self.cursor
        line, column = self.index.position(at)
        walker = self.walker
        self.open.append(
            OpenLink(
                link_url(href if isinstance(href, str) else None, walker.base),
                line,
                column,
                walker.sink.length,
                walker.sink,
                walker.sink is walker.prose,
                walker.footnote,
                self._kind(OccurrenceKind.INLINE),
                end=end if isinstance(end, int) else at,
            )
        )
        self.cursor = max(self.cursor, at + 1)

    def _close(self) -> None:
        if not self.open:
            return
        link = self.open.pop()
        if (raw := link.close(self.walker.source)) is not None:
            self.walker.links.append(raw)
        self.cursor = max(self.cursor, link.end)

    def _image(self, token: Token) -> None:
        self._open(token.attrs.get("src"), token.meta)
        # Its alt text is what a reader without the image sees: the anchor text.
        self.walker.sink.add(" " + _plain(token.children or []) + " ")
        self._close()

    def _marker(self, token: Token) -> None:
        walker = self.walker
        label = str(token.meta["label"])
        start = walker.sink.add(f"[{label}]")
        if walker.sink is walker.prose and walker.footnote is None:
            walker.prose.mark(label, start)
        end = token.meta.get("end")
        self.cursor = max(self.cursor, end if isinstance(end, int) else self.cursor)

    def _html_inline(self, token: Token) -> None:
        # An <a> without href is opened too, so that its </a> closes it and nothing else.
        if _HTML_ANCHOR_OPEN.match(token.content):
            self._open(_html_href(token.content), token.meta)
        elif _HTML_ANCHOR_CLOSE.match(token.content):
            self._close()

    def _text(self, text: str) -> None:
        walker = self.walker
        start = walker.sink.add(text)
        if self.open:
            return  # anchor text, not a bare URL
        for span in bare_urls(collapse(text)):
            found = self.index.text.find(span.url, self.cursor)
            if found >= 0:
                self.cursor = found + len(span.url)
            line, column = self.index.position(found if found >= 0 else self.cursor)
            in_prose = walker.sink is walker.prose
            walker.links.append(
                RawLink(
                    span.url,
                    Location(walker.source, 1, line, column),
                    self._kind(OccurrenceKind.BARE),
                    None,
                    start + span.start if in_prose else None,
                    walker.footnote,
                )
            )
