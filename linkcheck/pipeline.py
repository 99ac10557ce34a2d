"""The orchestrator: documents in, a Report out.

Extraction and claim matching are plain functions; checking is the one async stage. Nothing
here holds global state: the HTTP client, endpoints and limits are passed in.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from linkcheck.claims import claims_and_occurrences
from linkcheck.errors import InputError
from linkcheck.extract.sources import Source, extract_source, gather_sources
from linkcheck.models import (
    Claim,
    Document,
    Extraction,
    Format,
    InputProblem,
    Link,
    Occurrence,
    Report,
    Status,
    Verdict,
)
from linkcheck.urls import is_checkable, normalize_url, scheme_of

if TYPE_CHECKING:  # the network stack loads only when a run checks links
    import httpx

    from linkcheck.check.config import CheckConfig


@dataclass(frozen=True)
class ExtractOptions:
    """What the offline stages need to know beyond the documents themselves."""

    input_format: Format | None = None
    base_url: str | None = None
    date: dt.date | None = None


def read_documents(
    paths: Sequence[str], options: ExtractOptions, *, stdin: bytes | None = None
) -> tuple[list[Extraction], list[InputProblem]]:
    """Extract every document; the ones that cannot be read become problems, the rest go on."""
    sources, problems = gather_sources(paths, stdin=stdin, format=options.input_format)
    extractions = []
    for source in sources:
        extraction = read_one(source, options)
        if isinstance(extraction, InputProblem):
            problems.append(extraction)
        else:
            extractions.append(extraction)
    return extractions, problems


def read_one(source: Source, options: ExtractOptions) -> Extraction | InputProblem:
    try:
        return extract_source(source, base_url=options.base_url, date=options.date)
    except InputError as error:
        return InputProblem(source.name, error.code, error.message)
    except Exception as error:  # an extractor bug must not sink the other documents
        return InputProblem(source.name, "corrupt", f"{source.name}: could not be read ({error})")


def assemble(extractions: Iterable[Extraction], problems: Sequence[InputProblem] = ()) -> Report:
    """Claims for every document, and occurrences grouped into one Link per unique URL."""
    documents: list[Document] = []
    claims: list[Claim] = []
    grouped: dict[str, list[Occurrence]] = {}
    for extraction in extractions:
        documents.append(extraction.document)
        document_claims, occurrences = claims_and_occurrences(extraction)
        claims.extend(document_claims)
        for raw, occurrence in zip(extraction.links, occurrences, strict=True):
            grouped.setdefault(normalize_url(raw.url), []).append(occurrence)
    links = tuple(Link(url, tuple(found), _offline_verdict(url)) for url, found in grouped.items())
    return Report(tuple(documents), tuple(claims), links, tuple(problems))


def _offline_verdict(url: str) -> Verdict:
    """What is known before any request: links that are not web pages are skipped, not lost."""
    if is_checkable(url):
        return Verdict(Status.UNCHECKED)
    scheme = scheme_of(url)
    detail = f"{scheme}: links are not checked" if scheme else "relative link with no base URL"
    return Verdict(Status.SKIPPED, reason="unsupported-scheme", detail=detail)


def with_verdicts(report: Report, verdicts: dict[str, Verdict]) -> Report:
    links = tuple(
        dataclasses.replace(link, verdict=verdicts[link.url]) if link.url in verdicts else link
        for link in report.links
    )
    return dataclasses.replace(report, links=links)


ProgressCallback = Callable[[int, int, str], None]


@dataclass(frozen=True)
class AuditOptions:
    """What `audit` does beyond the offline stages. `check=None` keeps links unchecked."""

    extract: ExtractOptions = ExtractOptions()
    check: CheckConfig | None = None


@dataclass(frozen=True)
class AuditResult:
    report: Report
    offline: bool = False  # every check failed before HTTP: the network is unreachable


async def check_report(
    report: Report,
    config: CheckConfig,
    client: httpx.AsyncClient,
    progress: ProgressCallback | None = None,
) -> AuditResult:
    """Check every unique checkable URL of the report once; results stream into `progress`."""
    from linkcheck.check import check_urls, network_unreachable

    pending = [link.url for link in report.links if link.verdict.status is Status.UNCHECKED]
    verdicts: dict[str, Verdict] = {}
    if progress is not None:
        progress(0, len(pending), "")
    async for result in check_urls(pending, client, config):
        verdicts[result.url] = result.verdict
        if progress is not None:
            progress(len(verdicts), len(pending), result.url)
    offline = bool(verdicts) and network_unreachable(verdicts.values())
    return AuditResult(with_verdicts(report, verdicts), offline=offline)


async def check_with_client(
    report: Report, config: CheckConfig, progress: ProgressCallback | None = None
) -> AuditResult:
    """check_report with a client made for this run and closed after it."""
    from linkcheck.check import make_client

    async with make_client(config) as client:
        return await check_report(report, config, client, progress)
