"""One standalone HTML file for people: every claim with its links, in document order.

The page loads nothing from anywhere (inline CSS and JS, a Content-Security-Policy that forbids
the rest), so it opens offline and from an e-mail attachment. Everything that came from a
document or a web page goes through Jinja's autoescaping; only http(s) URLs become links.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from importlib import resources

import jinja2
from markupsafe import Markup

from linkcheck import __version__
from linkcheck.models import (
    WEAK_MATCH,
    Claim,
    Document,
    Link,
    Location,
    Occurrence,
    Report,
    Status,
    Support,
)
from linkcheck.report.json import link_flags, summary
from linkcheck.report.outcome import (
    DEFAULT_FAIL_ON,
    STATUS_ORDER,
    Finding,
    describe_reason,
    findings,
    location_key,
    occurrence_order,
    problem_text,
    snapshot_date,
    status_reason,
)

_SAFE_SCHEMES = ("http://", "https://")


@dataclass(frozen=True)
class SupportView:
    verdict: str
    score: float
    passage: str | None
    facts_found: tuple[str, ...]
    facts_missing: tuple[str, ...]
    source: str | None
    archive_passage: str | None
    similarity: float | None


@dataclass(frozen=True)
class RowView:
    """One citation of one link, as the template shows it."""

    id: str
    url: str
    href: str | None  # None for a URL that must not become a link (javascript:, file:)
    status: str
    reason: str | None
    reason_text: str | None
    level: str | None  # "error" when --fail-on covers it, "warning", "note", or None
    detail: str | None
    http_status: int | None
    final_url: str | None
    final_href: str | None
    redirects: tuple[str, ...]
    title: str | None
    where: str
    kind: str
    anchor_text: str | None
    confidence: float | None
    method: str | None
    weak: bool
    flags: tuple[str, ...]
    archive_url: str | None
    archive_href: str | None
    archive_date: str | None
    archive_source: str | None
    support: SupportView | None
    elapsed: float


@dataclass
class ClaimView:
    id: str
    text: str
    where: str
    rows: list[RowView] = field(default_factory=list)


@dataclass
class DocumentView:
    source: str
    title: str | None
    format: str | None
    date: str | None
    pages: int | None
    claims: list[ClaimView] = field(default_factory=list)
    unclaimed: list[RowView] = field(default_factory=list)

    @property
    def citations(self) -> int:
        return sum(len(c.rows) for c in self.claims) + len(self.unclaimed)


@dataclass(frozen=True)
class StatusCount:
    status: str
    links: int
    citations: int


def _href(url: str | None) -> str | None:
    return url if url is not None and url.lower().startswith(_SAFE_SCHEMES) else None


def _where(location: Location, paged: bool = True) -> str:
    parts = []
    if location.page is not None and paged:
        parts.append(f"p. {location.page}")
    if location.line is not None:
        parts.append(f"line {location.line}")
    return ", ".join(parts) or "location unknown"


def _support(support: Support | None) -> SupportView | None:
    if support is None:
        return None
    return SupportView(
        verdict=str(support.verdict),
        score=support.score,
        passage=support.passage,
        facts_found=support.facts_found,
        facts_missing=support.facts_missing,
        source=support.source,
        archive_passage=support.archive_passage,
        similarity=support.similarity,
    )


def _row(index: int, link: Link, occurrence: Occurrence, level: str | None, paged: bool) -> RowView:
    verdict = link.verdict
    match = occurrence.claim
    reason = status_reason(link) if verdict.reason or verdict.status is Status.BROKEN else None
    final = verdict.final_url if verdict.final_url and verdict.final_url != link.url else None
    archive = link.archive
    weak = match is not None and match.confidence < WEAK_MATCH
    flags = tuple(f for f in link_flags(link) if f not in ("weak-claim-match", "no-claim"))
    return RowView(
        id=f"c{index}",
        url=link.url,
        href=_href(link.url),
        status=str(verdict.status),
        reason=reason,
        reason_text=describe_reason(reason) if reason else None,
        level=level,
        detail=verdict.detail,
        http_status=verdict.http_status,
        final_url=final,
        final_href=_href(final),
        redirects=verdict.redirects,
        title=verdict.title,
        where=_where(occurrence.location, paged),
        kind=str(occurrence.kind),
        anchor_text=occurrence.anchor_text,
        confidence=match.confidence if match else None,
        method=str(match.method) if match else None,
        weak=weak,
        flags=flags,
        archive_url=archive.url if archive else None,
        archive_href=_href(archive.url) if archive else None,
        archive_date=snapshot_date(archive.timestamp) if archive else None,
        archive_source=archive.source if archive else None,
        support=_support(occurrence.support),
        elapsed=verdict.elapsed,
    )


def _levels(found: list[Finding]) -> dict[tuple[int, int], str]:
    """The loudest level of each occurrence (an error beats a warning beats a note)."""
    loudness = {"error": 3, "warning": 2, "note": 1}
    levels: dict[tuple[int, int], str] = {}
    for finding in found:
        key = (id(finding.link), id(finding.occurrence))
        level = str(finding.level)
        if loudness[level] > loudness.get(levels.get(key, ""), 0):
            levels[key] = level
    return levels


def _document_view(document: Document | None, source: str) -> DocumentView:
    if document is None:
        return DocumentView(source, None, None, None, None)
    return DocumentView(
        source=document.source,
        title=document.title,
        format=str(document.format),
        date=document.date.isoformat() if document.date else None,
        pages=document.pages,
    )


def build_view(report: Report, fail_on: frozenset[str]) -> list[DocumentView]:
    """Documents in report order; in each, claims then links without a claim, by location."""
    ranks = occurrence_order(report)
    levels = _levels(findings(report, fail_on))
    known = {document.source: document for document in report.documents}
    # "p. 1" says nothing about a one-page document (a Markdown or text file).
    paged = {document.source: document.pages > 1 for document in report.documents}
    views = {d.source: _document_view(d, d.source) for d in report.documents}
    rows = sorted(
        ((link, occurrence) for link in report.links for occurrence in link.occurrences),
        key=lambda row: location_key(ranks, row[1].location),
    )
    claims: dict[str, tuple[Claim, ClaimView]] = {}
    for index, (link, occurrence) in enumerate(rows, start=1):
        source = occurrence.location.document
        view = views.setdefault(source, _document_view(known.get(source), source))
        level = levels.get((id(link), id(occurrence)))
        row = _row(index, link, occurrence, level, paged.get(source, True))
        if occurrence.claim is None:
            view.unclaimed.append(row)
            continue
        claim = occurrence.claim.claim
        if claim.id not in claims:
            where = _where(claim.location, paged.get(claim.location.document, True))
            claims[claim.id] = (claim, ClaimView(claim.id, claim.text, where))
        claims[claim.id][1].rows.append(row)
    # A claim sits in its own document, where its sentence is (not where its first link is).
    ordered = sorted(claims.values(), key=lambda pair: location_key(ranks, pair[0].location))
    for claim, claim_view in ordered:
        source = claim.location.document
        view = views.setdefault(source, _document_view(known.get(source), source))
        view.claims.append(claim_view)
    return list(views.values())


def _status_counts(report: Report) -> list[StatusCount]:
    links: dict[str, int] = summary(report)["by_status"]
    citations: dict[str, int] = {}
    for link in report.links:
        key = str(link.verdict.status)
        citations[key] = citations.get(key, 0) + len(link.occurrences)
    return [
        StatusCount(str(status), links.get(str(status), 0), citations.get(str(status), 0))
        for status in STATUS_ORDER
        if str(status) in links
    ]


def _asset(name: str) -> str:
    return resources.files("linkcheck.report").joinpath("templates", name).read_text("utf-8")


def _csp_hash(source: str) -> str:
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("linkcheck.report", "templates"),
        autoescape=True,  # every {{ value }} is HTML-escaped unless marked safe here
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_html(
    report: Report, *, fail_on: frozenset[str] = DEFAULT_FAIL_ON, title: str | None = None
) -> str:
    """The report as one HTML file with no external assets."""
    script = _asset("report.js")
    style = _asset("report.css")
    found = findings(report, fail_on)
    template = _environment().get_template("report.html.j2")
    return template.render(
        title=title or "linkcheck report",
        version=__version__,
        generated_at=report.generated_at.isoformat(),
        facts=summary(report),
        status_counts=_status_counts(report),
        failing=len({id(f.link) for f in found if f.failing}),
        fail_on=sorted(fail_on),
        documents=build_view(report, fail_on),
        problems=[(p.code, problem_text(p)) for p in report.problems],
        # Our own static files: trusted, and pinned by hash in the page's CSP.
        script=Markup(script),
        style=Markup(style),
        script_hash=_csp_hash(script),
    )
