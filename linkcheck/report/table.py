"""The listing for people: every citation in document order, its verdict, and its claim.

A list rather than a grid: URLs and claims are long, and a grid squeezed into 80 columns is
unreadable. Each citation takes a line for where/status/URL and a line for its claim.
"""

from __future__ import annotations

import io

from rich.console import Console, Group
from rich.text import Text

from linkcheck.models import WEAK_MATCH, Link, Occurrence, Report, Status

STATUS_STYLES = {
    Status.OK: "green",
    Status.REDIRECTED: "yellow",
    Status.BROKEN: "bold red",
    Status.BLOCKED: "magenta",
    Status.UNREACHABLE: "red",
    Status.SKIPPED: "dim",
    Status.UNCHECKED: "cyan",
}


def _claim_line(occurrence: Occurrence) -> Text:
    match = occurrence.claim
    if match is None:
        return Text("      ↳ (no claim)", style="dim")
    style = "" if match.confidence >= WEAK_MATCH else "italic"
    line = Text("      ↳ ", style="dim") + Text(match.claim.text, style=style)
    line += Text(f"  [{match.method} {match.confidence:.2f}]", style="dim")
    if occurrence.support is not None:
        line += Text(f"  support: {occurrence.support.verdict}", style="cyan")
    return line


def _citation(link: Link, occurrence: Occurrence) -> list[Text]:
    where = occurrence.location
    status = link.verdict.status
    head = Text(f"  {where.page or '-'}:{where.line or '-'}".ljust(10))
    head += Text(str(status), style=STATUS_STYLES[status])
    if link.verdict.reason:
        head += Text(f" {link.verdict.reason}", style="dim")
    head += Text(f"  {occurrence.kind}  ", style="dim") + Text(link.url)
    lines = [head]
    if occurrence.anchor_text:
        lines.append(Text(f"      anchor: {occurrence.anchor_text}", style="dim"))
    lines.append(_claim_line(occurrence))
    if link.archive is not None:
        lines.append(Text(f"      archived: {link.archive.url}", style="cyan"))
    return lines


def render_table(report: Report) -> Group:
    """A rich renderable: each document's citations, then the documents that could not be read."""
    parts: list[Text] = []
    by_document: dict[str, list[tuple[int, int, Link, Occurrence]]] = {}
    for link in report.links:
        for occurrence in link.occurrences:
            where = occurrence.location
            row = (where.page or 0, where.line or 0, link, occurrence)
            by_document.setdefault(where.document, []).append(row)
    for document in report.documents:
        rows = sorted(by_document.get(document.source, []), key=lambda row: row[:2])
        title = f"{document.source} ({document.format}, {document.pages} page(s)"
        title += f", dated {document.date.isoformat()})" if document.date else ")"
        parts.append(Text(title, style="bold"))
        for _, _, link, occurrence in rows:
            parts.extend(_citation(link, occurrence))
        if not rows:
            parts.append(Text("  (no links)", style="dim"))
    for problem in report.problems:
        parts.append(Text(f"error: {problem.message}", style="bold red"))
    return Group(*parts)


def table_text(report: Report) -> str:
    """The listing as plain text, for a file. Lines are never cut (soft wrap): a URL split
    over two lines can be neither clicked nor searched for."""
    buffer = io.StringIO()
    console = Console(file=buffer, no_color=True, highlight=False, soft_wrap=True)
    console.print(render_table(report))
    return buffer.getvalue()
