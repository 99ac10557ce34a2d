"""The vocabularies the data model uses: formats, statuses, how links and claims are tied.

Apart from `models` so that the command line can build its options (and `--help`) without
creating every dataclass of the model.
"""

from __future__ import annotations

from enum import StrEnum


class Format(StrEnum):
    TEXT = "text"
    MARKDOWN = "markdown"
    HTML = "html"
    PDF = "pdf"
    DOCX = "docx"


class OccurrenceKind(StrEnum):
    """How a link is tied to the document's text."""

    INLINE = "inline"  # an anchor in running text (Markdown, HTML, DOCX hyperlink)
    ANNOTATION = "annotation"  # a PDF link annotation over some text
    FOOTNOTE = "footnote"  # written in a footnote or endnote that a marker points to
    POOLED = "pooled"  # one of a block of URLs pooled at the end of a page (PDF-to-text dumps)
    BARE = "bare"  # a URL written out in running text


class MatchMethod(StrEnum):
    """How an occurrence was tied to its claim."""

    ANCHOR = "anchor"  # the sentence holding the anchor or the bare URL
    FOOTNOTE = "footnote"  # the sentence carrying the footnote marker
    ALIGNMENT = "alignment"  # lexical alignment of a pooled block to its page's sentences
    NEIGHBOUR = "neighbour"  # no lexical signal: placed beside its aligned neighbours
    NONE = "none"  # nothing in the text supports a match (site-root or masthead link)


class ArchiveMode(StrEnum):
    """Which links an audit looks up (and saves) in the web archives."""

    ALL = "all"  # the snapshot nearest the document date for every link
    FAILED = "failed"  # only for links that are broken or unreachable
    NONE = "none"


class Status(StrEnum):
    UNCHECKED = "unchecked"
    OK = "ok"
    REDIRECTED = "redirected"
    BROKEN = "broken"
    BLOCKED = "blocked"
    UNREACHABLE = "unreachable"
    SKIPPED = "skipped"


class SupportVerdict(StrEnum):
    SUPPORTED = "supported"
    PARTIAL = "partial"
    NOT_FOUND = "not-found"
    UNKNOWN = "unknown"  # no page text to judge
    DRIFTED = "drifted"  # the snapshot near the document date supports it, the live page not


__all__ = ["ArchiveMode", "Format", "MatchMethod", "OccurrenceKind", "Status", "SupportVerdict"]
