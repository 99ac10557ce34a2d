"""The values that flow between linkcheck's stages.

Everything here is a frozen dataclass: a stage receives values, never mutates them, and hands
new ones on. Per-link problems are values too (`Verdict`), never exceptions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

# The vocabularies live in `kinds` (cheap to import); they are part of the model's API here too.
from linkcheck.kinds import ArchiveMode as ArchiveMode
from linkcheck.kinds import Format as Format
from linkcheck.kinds import MatchMethod as MatchMethod
from linkcheck.kinds import OccurrenceKind as OccurrenceKind
from linkcheck.kinds import Status as Status
from linkcheck.kinds import SupportVerdict as SupportVerdict

# A claim match below this confidence is flagged for a reviewer in every report.
WEAK_MATCH = 0.45


@dataclass(frozen=True)
class Document:
    """One input document and what was learned about it."""

    source: str  # path as given, "-" for stdin, or the URL it was downloaded from
    format: Format
    title: str | None = None
    date: dt.date | None = None
    # "option", "pdf-metadata", "html-meta", "docx-core", "front-matter", "text"
    date_source: str | None = None
    pages: int = 1


@dataclass(frozen=True)
class Location:
    """Where something stands in a document. Lines and columns are 1-based; page is 1-based."""

    document: str
    page: int | None
    line: int | None
    column: int | None


@dataclass(frozen=True)
class PageText:
    """The prose of one page in reading order, as the claims stage reads it.

    Pooled URL blocks and footnote definitions are not part of the prose. `line_map[i]` is the
    source line of the i-th line of `text` (an empty map means lines are unknown), so a claim
    found at an offset of `text` can be located in the original document.
    """

    number: int
    text: str
    line_map: tuple[int, ...] = ()
    footnote_refs: tuple[FootnoteRef, ...] = ()
    # True when each line is a block of its own (a paragraph, heading or list item, as HTML,
    # Markdown and DOCX give them); False for layout lines that wrap running text.
    line_blocks: bool = False


@dataclass(frozen=True)
class FootnoteRef:
    """A footnote marker in the prose: the claim that its footnote's links support."""

    label: str
    offset: int  # into PageText.text


@dataclass(frozen=True)
class RawLink:
    """A link as an extractor found it, before it is tied to a claim."""

    url: str
    location: Location
    kind: OccurrenceKind
    anchor_text: str | None = None
    text_offset: int | None = None  # into the prose of its page, when the link sits in it
    footnote: str | None = None  # label of the footnote whose definition holds the link


@dataclass(frozen=True)
class Extraction:
    """What an extractor returns for one document."""

    document: Document
    pages: tuple[PageText, ...]
    links: tuple[RawLink, ...]


@dataclass(frozen=True)
class Claim:
    """A sentence (or bullet) of a document that links may support."""

    id: str  # stable within a report: "<document>#<n>"
    text: str
    location: Location
    end_page: int | None = None  # a sentence broken by a page's pooled block ends on the next


@dataclass(frozen=True)
class ClaimMatch:
    claim: Claim
    confidence: float  # in [0, 1]
    method: MatchMethod


@dataclass(frozen=True)
class Support:
    """Whether the cited page (live, or its snapshot) still backs the claim."""

    verdict: SupportVerdict
    score: float = 0.0
    passage: str | None = None  # the best passage, quoted briefly
    facts_found: tuple[str, ...] = ()
    facts_missing: tuple[str, ...] = ()
    source: str | None = None  # "live" or "archive": where the judged text came from
    archive_passage: str | None = None  # with drifted: what the snapshot said
    similarity: float | None = None  # live text against snapshot text, in [0, 1]


@dataclass(frozen=True)
class Occurrence:
    """One place a link is cited, with the claim it supports (None when nothing matched)."""

    location: Location
    kind: OccurrenceKind
    anchor_text: str | None
    claim: ClaimMatch | None
    support: Support | None = None


@dataclass(frozen=True)
class Verdict:
    """What checking a URL found. A per-link problem is a status and a reason, never raised."""

    status: Status
    reason: str | None = None
    http_status: int | None = None
    final_url: str | None = None
    redirects: tuple[str, ...] = ()
    attempts: int = 0
    elapsed: float = 0.0
    content_type: str | None = None
    title: str | None = None
    detail: str | None = None  # one human line, e.g. the error text


UNCHECKED = Verdict(Status.UNCHECKED)


@dataclass(frozen=True)
class Snapshot:
    """An archived copy of a page (a memento)."""

    url: str  # replay URL, e.g. https://web.archive.org/web/20220601000000/https://example.org/
    timestamp: str  # 14 digits, UTC: YYYYMMDDhhmmss
    status: int | None = None  # the HTTP status the archive recorded for the capture
    digest: str | None = None  # the archive's content digest (base32 SHA-1 for Wayback)
    source: str = "wayback"  # "wayback", "timetravel", "save-page-now"


@dataclass(frozen=True)
class Link:
    """One unique URL with every place it is cited."""

    url: str
    occurrences: tuple[Occurrence, ...]
    verdict: Verdict = UNCHECKED
    archive: Snapshot | None = None  # the capture nearest the document's date
    # A failure the history rule has not confirmed yet (too few failed checks, or over too
    # short a time): reported, but it does not fail the run.
    unconfirmed: bool = False
    cached: bool = False  # the verdict came from the check store, no request was made

    @property
    def claims(self) -> tuple[Claim, ...]:
        seen: dict[str, Claim] = {}
        for occurrence in self.occurrences:
            if occurrence.claim is not None:
                seen.setdefault(occurrence.claim.claim.id, occurrence.claim.claim)
        return tuple(seen.values())


@dataclass(frozen=True)
class InputProblem:
    """A document that could not be read: reported, and the rest of the run goes on."""

    source: str
    code: str  # "missing", "unreadable", "unsupported-format", "encrypted", "corrupt", "binary"
    message: str


@dataclass(frozen=True)
class Report:
    """The result of a run: documents, their claims, and every unique link."""

    documents: tuple[Document, ...]
    claims: tuple[Claim, ...]
    links: tuple[Link, ...]
    problems: tuple[InputProblem, ...] = ()
    generated_at: dt.datetime = field(
        default_factory=lambda: dt.datetime.now(dt.UTC).replace(microsecond=0)
    )
