"""A fixed Report that every report test renders: every status, an archive snapshot, claim
support (supported, not found, drifted), weak matches, links without a claim, an unreadable
document, and text that must be escaped (pipes, angle brackets, a <script> page title).

The other tests/test_report_*.py modules import `sample_report` from here.
"""

from __future__ import annotations

import datetime as dt

from linkcheck.models import (
    Claim,
    ClaimMatch,
    Document,
    Format,
    InputProblem,
    Link,
    Location,
    MatchMethod,
    Occurrence,
    OccurrenceKind,
    Report,
    Snapshot,
    Status,
    Support,
    SupportVerdict,
    Verdict,
)

MD = "briefs/us-mexico.md"
PDF = "briefs/trade.pdf"
MISSING = "briefs/missing.docx"
GENERATED_AT = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
XSS_TITLE = "<script>alert(1)</script>"


def _at(
    document: str, line: int | None, column: int | None = None, page: int | None = 1
) -> Location:
    return Location(document=document, page=page, line=line, column=column)


CLAIM_TRADE = Claim(
    id=f"{MD}#1",
    text="Mexico became the United States' largest trading partner in 2023, with $798 billion "
    "in goods trade.",
    location=_at(MD, 3, 1),
)
CLAIM_REMITTANCES = Claim(
    id=f"{MD}#2",
    text="Remittances to Mexico reached a record $63 billion in 2023.",
    location=_at(MD, 5, 1),
)
CLAIM_USMCA = Claim(
    id=f"{MD}#3",
    text="The USMCA | joint review is due in 2026 <per Article 34.7> & *must* happen.",
    location=_at(MD, 7, 1),
)
CLAIM_STEEL = Claim(
    id=f"{PDF}#1",
    text="Tariffs on Mexican steel were lifted in May 2019.",
    location=_at(PDF, None, page=2),
)


def _match(claim: Claim, confidence: float, method: MatchMethod) -> ClaimMatch:
    return ClaimMatch(claim=claim, confidence=confidence, method=method)


def sample_report() -> Report:
    """The same Report on every call: timings and generated_at are fixed."""
    census = Link(
        url="https://www.census.gov/foreign-trade/balance/c2010.html",
        occurrences=(
            Occurrence(
                location=_at(MD, 3, 12),
                kind=OccurrenceKind.INLINE,
                anchor_text="Census trade data",
                claim=_match(CLAIM_TRADE, 0.92, MatchMethod.ANCHOR),
                support=Support(
                    verdict=SupportVerdict.SUPPORTED,
                    score=0.81,
                    passage="2023: Mexico total goods trade $798.0 billion",
                    facts_found=("$798 billion", "2023"),
                    source="live",
                ),
            ),
        ),
        verdict=Verdict(
            Status.OK,
            http_status=200,
            attempts=1,
            elapsed=0.25,
            content_type="text/html",
            title="Trade in Goods with Mexico",
        ),
    )
    banxico = Link(
        url="https://www.banxico.org.mx/remesas-2023.html",
        occurrences=(
            Occurrence(
                location=_at(MD, 5, 1),
                kind=OccurrenceKind.FOOTNOTE,
                anchor_text=None,
                claim=_match(CLAIM_REMITTANCES, 0.88, MatchMethod.FOOTNOTE),
            ),
        ),
        verdict=Verdict(
            Status.BROKEN,
            reason="http-404",
            http_status=404,
            attempts=1,
            elapsed=0.5,
            detail="HTTP 404 Not Found",
        ),
        archive=Snapshot(
            url="https://web.archive.org/web/20230315000000/https://www.banxico.org.mx/remesas-2023.html",
            timestamp="20230315000000",
            status=200,
        ),
    )
    ustr = Link(
        url="http://ustr.gov/usmca",
        occurrences=(
            Occurrence(
                location=_at(MD, 7, 30),
                kind=OccurrenceKind.INLINE,
                anchor_text="USMCA",
                claim=_match(CLAIM_USMCA, 0.3, MatchMethod.NEIGHBOUR),
            ),
        ),
        verdict=Verdict(
            Status.REDIRECTED,
            http_status=200,
            final_url="https://ustr.gov/trade-agreements/free-trade-agreements/usmca",
            redirects=("https://ustr.gov/trade-agreements/free-trade-agreements/usmca",),
            attempts=2,
            elapsed=0.75,
            detail="moved permanently to "
            "https://ustr.gov/trade-agreements/free-trade-agreements/usmca",
        ),
    )
    reuters = Link(
        url="https://www.reuters.com/markets/steel-tariffs-lifted",
        occurrences=(
            Occurrence(
                location=_at(PDF, None, page=2),
                kind=OccurrenceKind.ANNOTATION,
                anchor_text="Reuters",
                claim=_match(CLAIM_STEEL, 0.7, MatchMethod.ALIGNMENT),
                support=Support(
                    verdict=SupportVerdict.DRIFTED,
                    score=0.2,
                    passage="Steel tariffs: latest news",
                    facts_missing=("May 2019",),
                    source="archive",
                    archive_passage="The U.S. lifted tariffs on Mexican steel in May 2019.",
                    similarity=0.42,
                ),
            ),
        ),
        verdict=Verdict(
            Status.BLOCKED,
            reason="bot-challenge",
            http_status=403,
            attempts=1,
            elapsed=1.0,
            title=XSS_TITLE,
            detail="Cloudflare challenge: www.reuters.com refused an automated check",
        ),
        archive=Snapshot(
            url="https://web.archive.org/web/20190601000000/https://www.reuters.com/markets/steel-tariffs-lifted",
            timestamp="20190601000000",
            status=200,
        ),
    )
    invalid_host = Link(
        url="https://data.no-such-host.invalid/report.pdf",
        occurrences=(
            Occurrence(
                location=_at(PDF, None, page=3),
                kind=OccurrenceKind.POOLED,
                anchor_text=None,
                claim=None,
            ),
        ),
        verdict=Verdict(
            Status.UNREACHABLE,
            reason="dns",
            attempts=1,
            elapsed=0.125,
            detail="name does not resolve: data.no-such-host.invalid",
        ),
    )
    mailto = Link(
        url="mailto:press@example.org",
        occurrences=(
            Occurrence(
                location=_at(MD, 9, 5), kind=OccurrenceKind.BARE, anchor_text=None, claim=None
            ),
        ),
        verdict=Verdict(
            Status.SKIPPED, reason="unsupported-scheme", detail="mailto: links are not checked"
        ),
    )
    script_url = Link(
        url="javascript:alert(document.cookie)",
        occurrences=(
            Occurrence(
                location=_at(MD, 10, 3), kind=OccurrenceKind.INLINE, anchor_text="click", claim=None
            ),
        ),
        verdict=Verdict(
            Status.SKIPPED, reason="unsupported-scheme", detail="javascript: links are not checked"
        ),
    )
    soft = Link(
        url="https://example.org/data?a=1&b=2|x",
        occurrences=(
            Occurrence(
                location=_at(MD, 3, 80),
                kind=OccurrenceKind.INLINE,
                anchor_text="trade data",
                claim=_match(CLAIM_TRADE, 0.6, MatchMethod.ANCHOR),
                support=Support(
                    verdict=SupportVerdict.NOT_FOUND,
                    score=0.05,
                    facts_missing=("$798 billion", "2023"),
                    source="live",
                ),
            ),
            Occurrence(
                location=_at(PDF, None, page=2),
                kind=OccurrenceKind.ANNOTATION,
                anchor_text="data",
                claim=_match(CLAIM_STEEL, 0.4, MatchMethod.ALIGNMENT),
            ),
        ),
        verdict=Verdict(
            Status.BROKEN,
            reason="soft-404",
            http_status=200,
            final_url="https://example.org/404.html",
            redirects=("https://example.org/404.html",),
            attempts=1,
            elapsed=0.5,
            detail="redirects to an error page: https://example.org/404.html",
        ),
    )
    fragment = Link(
        url="https://www.gob.mx/se#aranceles",
        occurrences=(
            Occurrence(
                location=_at(MD, 5, 40),
                kind=OccurrenceKind.INLINE,
                anchor_text="Secretaría de Economía",
                claim=_match(CLAIM_REMITTANCES, 0.55, MatchMethod.ANCHOR),
            ),
        ),
        verdict=Verdict(
            Status.OK,
            reason="fragment-missing",
            http_status=200,
            attempts=1,
            elapsed=0.25,
            detail="no element with id or name 'aranceles'",
        ),
    )
    unchecked = Link(
        url="https://example.com/not-yet",
        occurrences=(
            Occurrence(
                location=_at(MD, 11, 1), kind=OccurrenceKind.BARE, anchor_text=None, claim=None
            ),
        ),
    )
    return Report(
        documents=(
            Document(
                source=MD,
                format=Format.MARKDOWN,
                title="US–Mexico relations brief",
                date=dt.date(2023, 3, 1),
                date_source="option",
            ),
            Document(source=PDF, format=Format.PDF, pages=3),
        ),
        claims=(CLAIM_TRADE, CLAIM_REMITTANCES, CLAIM_USMCA, CLAIM_STEEL),
        links=(
            census,
            banxico,
            ustr,
            reuters,
            invalid_host,
            mailto,
            script_url,
            soft,
            fragment,
            unchecked,
        ),
        problems=(InputProblem(MISSING, "missing", f"{MISSING}: no such file"),),
        generated_at=GENERATED_AT,
    )


def test_the_sample_covers_every_status_and_support_verdict() -> None:
    report = sample_report()
    assert {link.verdict.status for link in report.links} == set(Status)
    verdicts = {o.support.verdict for link in report.links for o in link.occurrences if o.support}
    assert {SupportVerdict.SUPPORTED, SupportVerdict.NOT_FOUND, SupportVerdict.DRIFTED} <= verdicts
    assert any(link.archive for link in report.links)
    assert report.problems


def test_the_sample_is_the_same_on_every_call() -> None:
    assert sample_report() == sample_report()
