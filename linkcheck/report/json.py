"""The JSON report: a versioned schema documented in docs/REPORT-SCHEMA.md."""

from __future__ import annotations

import contextlib
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any

from linkcheck import __version__
from linkcheck.models import (
    WEAK_MATCH,
    Claim,
    Document,
    Link,
    Location,
    Occurrence,
    Report,
    Snapshot,
    Support,
    Verdict,
)

SCHEMA = "https://github.com/linkcheck-dev/linkcheck/schemas/report"
SCHEMA_VERSION = 1


def _location(location: Location) -> dict[str, Any]:
    return {
        "document": location.document,
        "page": location.page,
        "line": location.line,
        "column": location.column,
    }


def _document(document: Document, links: int) -> dict[str, Any]:
    return {
        "source": document.source,
        "format": str(document.format),
        "title": document.title,
        "date": document.date.isoformat() if document.date else None,
        "date_source": document.date_source,
        "pages": document.pages,
        "occurrences": links,
    }


def _occurrence(occurrence: Occurrence) -> dict[str, Any]:
    match = occurrence.claim
    return {
        **_location(occurrence.location),
        "anchor_text": occurrence.anchor_text,
        "kind": str(occurrence.kind),
        "claim": None
        if match is None
        else {
            "id": match.claim.id,
            "text": match.claim.text,
            "confidence": match.confidence,
            "method": str(match.method),
        },
        "support": _support(occurrence.support),
    }


def _support(support: Support | None) -> dict[str, Any] | None:
    if support is None:
        return None
    return {
        "verdict": str(support.verdict),
        "score": round(support.score, 3),
        "passage": support.passage,
        "facts_found": list(support.facts_found),
        "facts_missing": list(support.facts_missing),
        "source": support.source,
        "archive_passage": support.archive_passage,
        "similarity": None if support.similarity is None else round(support.similarity, 3),
    }


def _snapshot(snapshot: Snapshot | None) -> dict[str, Any] | None:
    if snapshot is None:
        return None
    return {
        "url": snapshot.url,
        "timestamp": snapshot.timestamp,
        "status": snapshot.status,
        "digest": snapshot.digest,
        "source": snapshot.source,
    }


def _verdict(verdict: Verdict) -> dict[str, Any]:
    return {
        "status": str(verdict.status),
        "reason": verdict.reason,
        "http_status": verdict.http_status,
        "final_url": verdict.final_url,
        "redirects": list(verdict.redirects),
        "attempts": verdict.attempts,
        "elapsed": round(verdict.elapsed, 3),
        "content_type": verdict.content_type,
        "title": verdict.title,
        "detail": verdict.detail,
    }


def link_flags(link: Link) -> list[str]:
    """Things a reviewer should look at that are not errors."""
    return [*_check_flags(link), *_occurrence_flags(link)]


def _check_flags(link: Link) -> list[str]:
    """The flags that come of checking the link."""
    flags = []
    if link.unconfirmed:
        flags.append("unconfirmed-failure")
    if link.cached:
        flags.append("cached")
    return flags


def _occurrence_flags(link: Link) -> list[str]:
    """The flags that come of where and for what the link is cited (known before checking)."""
    flags = []
    if len(link.claims) > 1:
        flags.append("cited-for-different-claims")
    if any(o.claim is not None and o.claim.confidence < WEAK_MATCH for o in link.occurrences):
        flags.append("weak-claim-match")
    if any(o.claim is None for o in link.occurrences):
        flags.append("no-claim")
    return flags


def _claims(report: Report) -> Iterator[dict[str, Any]]:
    urls_by_claim: dict[str, list[str]] = {}
    for link in report.links:
        for claim in link.claims:
            urls_by_claim.setdefault(claim.id, []).append(link.url)
    for claim in report.claims:
        yield _claim(claim, urls_by_claim.get(claim.id, []))


def _claim(claim: Claim, urls: list[str]) -> dict[str, Any]:
    return {
        "id": claim.id,
        "text": claim.text,
        **_location(claim.location),
        "end_page": claim.end_page,
        "links": urls,
        "flags": ["carried-by-several-links"] if len(urls) > 1 else [],
    }


def summary(report: Report) -> dict[str, Any]:
    # (Counted as they are, named after: on 10,000 links, str() on each took a third.)
    statuses = Counter(link.verdict.status for link in report.links)
    support = Counter(
        str(o.support.verdict) for link in report.links for o in link.occurrences if o.support
    )
    reasons = Counter(link.verdict.reason for link in report.links if link.verdict.reason)
    claims_with_links = {
        o.claim.claim.id for link in report.links for o in link.occurrences if o.claim is not None
    }
    return {
        "documents": len(report.documents),
        "problems": len(report.problems),
        "links": len(report.links),
        "occurrences": sum(len(link.occurrences) for link in report.links),
        "claims": len(report.claims),
        "claims_with_links": len(claims_with_links),
        "by_status": dict(sorted((str(status), n) for status, n in statuses.items())),
        "by_reason": dict(sorted(reasons.items())),
        "by_support": dict(sorted(support.items())),
        "archived": sum(1 for link in report.links if link.archive is not None),
    }


def _link_head(link: Link) -> dict[str, Any]:
    """A link's fields before its occurrences (which come last: see `_link_line`)."""
    return {
        "url": link.url,
        **_verdict(link.verdict),
        "flags": link_flags(link),
        "archive": _snapshot(link.archive),
    }


def _sections(report: Report) -> dict[str, Any]:
    """The report's top-level fields; its long lists as iterators, built item by item."""
    occurrences_per_document = Counter(
        o.location.document for link in report.links for o in link.occurrences
    )
    return {
        "$schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "linkcheck", "version": __version__},
        "generated_at": report.generated_at.isoformat(),
        "summary": summary(report),
        "documents": (
            _document(d, occurrences_per_document.get(d.source, 0)) for d in report.documents
        ),
        "problems": (
            {"document": p.source, "code": p.code, "message": p.message} for p in report.problems
        ),
        "links": (
            {**_link_head(link), "occurrences": [_occurrence(o) for o in link.occurrences]}
            for link in report.links
        ),
        "claims": _claims(report),
    }


def report_to_dict(report: Report) -> dict[str, Any]:
    return {
        key: list(value) if isinstance(value, Iterator) else value
        for key, value in _sections(report).items()
    }


def render_json(report: Report) -> str:
    return "".join(json_chunks(report))


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": "))


class _Encoded(str):
    """JSON text already: written as it is."""


# A link's JSON that its check does not change: its URL, the flags its occurrences raise, and
# its occurrences.
_LinkParts = tuple[str, tuple[str, ...], str]


def _unchanging_parts(link: Link) -> _LinkParts:
    encode = _ENCODER.encode
    occurrences = encode([_occurrence(o) for o in link.occurrences])
    return encode(link.url), tuple(_occurrence_flags(link)), occurrences


@dataclass(frozen=True)
class PreparedJson:
    """The parts of a report's JSON that its checks do not change (`_unchanging_parts` of each
    link, and the claims), rendered while the checks run. `json_chunks` uses them for a report
    with the very same claims and occurrences (the report with its verdicts set), and renders
    them itself for any other."""

    claims: tuple[Claim, ...]
    urls: tuple[str, ...]
    occurrences: tuple[tuple[Occurrence, ...], ...]  # each link's, in order
    links_json: tuple[_LinkParts, ...]
    claims_json: tuple[str, ...]

    def fits(self, report: Report) -> bool:
        return (
            report.claims is self.claims
            and len(report.links) == len(self.urls)
            and all(
                link.occurrences is occurrences and link.url == url
                for link, occurrences, url in zip(
                    report.links, self.occurrences, self.urls, strict=True
                )
            )
        )


def prepare_json(report: Report) -> PreparedJson:
    return PreparedJson(
        claims=report.claims,
        urls=tuple(link.url for link in report.links),
        occurrences=tuple(link.occurrences for link in report.links),
        links_json=tuple(map(_unchanging_parts, report.links)),
        claims_json=tuple(map(_ENCODER.encode, _claims(report))),
    )


class JsonAhead:
    """The parts of a report's JSON rendered while its links are checked: what the checks do
    not change once the documents are read (`assembled`, in a thread), and each link's line as
    its verdict arrives (`checked`, in the event loop). `json_chunks` uses what fits the final
    report and renders the rest. Neither method raises: what fails to render ahead is rendered
    with the rest."""

    def __init__(self) -> None:
        self.prepared: PreparedJson | None = None
        self._verdicts: dict[str, tuple[Verdict, str]] = {}
        # Each checked link's whole line, for the link as the check leaves it (no check flags,
        # no snapshot): rendered once the documents are read.
        self._lines: dict[str, tuple[Verdict, _Encoded]] = {}
        self._index: dict[str, int] | None = None  # each URL's place in `prepared`

    def assembled(self, report: Report) -> None:
        try:
            prepared = prepare_json(report)
            # The index before `prepared`: a `checked` in the event loop that sees `prepared`
            # renders its line; one before it is in the copy of the verdicts taken after.
            self._index = {url: index for index, url in enumerate(prepared.urls)}
            self.prepared = prepared
            for url, (verdict, rendered) in list(self._verdicts.items()):  # (checked so far)
                self._render_line(prepared, url, verdict, rendered)
        except Exception:  # only a head start
            self.prepared, self._index = None, None

    def checked(self, url: str, verdict: Verdict) -> None:
        with contextlib.suppress(Exception):  # only a head start
            rendered = _verdict_json(verdict)
            self._verdicts[url] = (verdict, rendered)
            if self.prepared is not None:
                self._render_line(self.prepared, url, verdict, rendered)

    def _render_line(
        self, prepared: PreparedJson, url: str, verdict: Verdict, rendered: str
    ) -> None:
        index = self._index.get(url) if self._index is not None else None
        if index is not None:
            self._lines[url] = (verdict, _line(prepared.links_json[index], rendered, [], None))

    def verdict_json(self, link: Link) -> str:
        """The link's verdict fields: as rendered when checked, if the run has kept that very
        verdict (not one the history rule or a later stage made)."""
        rendered = self._verdicts.get(link.url)
        if rendered is not None and rendered[0] is link.verdict:
            return rendered[1]
        return _link_verdict_json(link)

    def line(self, link: Link) -> _Encoded | None:
        """The link's line as rendered when checked, if it still reads so: the same verdict,
        and nothing a later stage added (check flags, a snapshot). Only for a report that
        `prepared` fits."""
        rendered = self._lines.get(link.url)
        if rendered is None or rendered[0] is not link.verdict or link.archive is not None:
            return None
        return None if _check_flags(link) else rendered[1]


def _verdict_json(verdict: Verdict) -> str:
    """The verdict's fields as they stand in a link's object: without the braces."""
    return _ENCODER.encode(_verdict(verdict))[1:-1]


def _link_verdict_json(link: Link) -> str:
    return _verdict_json(link.verdict)


def _link_line(link: Link, parts: _LinkParts, verdict_json: str) -> _Encoded:
    """The link as `_sections` has it (`_link_head`, then its occurrences), from its parts."""
    return _line(parts, verdict_json, _check_flags(link), link.archive)


def _line(
    parts: _LinkParts, verdict_json: str, check_flags: list[str], archive: Snapshot | None
) -> _Encoded:
    url_json, occurrence_flags, occurrences_json = parts
    flags = [*check_flags, *occurrence_flags]
    # (Most links have neither: their encodings, spelled out, are a tenth of the time here.)
    flags_json = _ENCODER.encode(flags) if flags else "[]"
    archive_json = "null" if archive is None else _ENCODER.encode(_snapshot(archive))
    return _Encoded(
        f'{{"url": {url_json}, {verdict_json}, "flags": {flags_json}, '
        f'"archive": {archive_json}, "occurrences": {occurrences_json}}}'
    )


_ITEM_SEPARATOR = ",\n    "
_ITEMS_PER_PIECE = 256


def _none(link: Link) -> None:
    return None


def json_chunks(report: Report, ahead: JsonAhead | None = None) -> Iterator[str]:
    """The JSON report in pieces, to write as they come: one document, link or claim per line,
    readable and diffable. Each line is built and encoded only when its turn comes, so a large
    report is never held whole as dicts or text. json's C encoder does the work (with `indent`,
    json falls back to its pure-Python encoder, which took a second or more on 10,000 links).
    `ahead`: parts rendered while the links were checked, used where they fit the report."""
    encode = _ENCODER.encode
    sections = _sections(report)
    parts: Iterable[_LinkParts] = map(_unchanging_parts, report.links)
    ready: Callable[[Link], _Encoded | None] = _none
    if ahead is not None and ahead.prepared is not None and ahead.prepared.fits(report):
        parts = ahead.prepared.links_json
        sections["claims"] = map(_Encoded, ahead.prepared.claims_json)
        ready = ahead.line
    verdict_json = ahead.verdict_json if ahead is not None else _link_verdict_json
    sections["links"] = (
        ready(link) or _link_line(link, link_parts, verdict_json(link))
        for link, link_parts in zip(report.links, parts, strict=True)
    )
    yield "{"
    for index, (key, value) in enumerate(sections.items()):
        comma = ",\n" if index else "\n"
        if not isinstance(value, Iterator):
            yield f"{comma}  {encode(key)}: {encode(value)}"
            continue
        items = (item if isinstance(item, _Encoded) else encode(item) for item in value)
        first = next(items, None)
        if first is None:
            yield f"{comma}  {encode(key)}: []"
            continue
        yield f"{comma}  {encode(key)}: [\n    {first}"
        # A block of items per piece: one piece per item was a third of the time here.
        while block := list(islice(items, _ITEMS_PER_PIECE)):
            yield _ITEM_SEPARATOR + _ITEM_SEPARATOR.join(block)
        yield "\n  ]"
    yield "\n}\n"
