"""The table for people: every occurrence in document order, with its claim and verdict."""

from __future__ import annotations

from rich import box
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from linkcheck.models import Occurrence, Report, Status

STATUS_STYLES = {
    Status.OK: "green",
    Status.REDIRECTED: "yellow",
    Status.BROKEN: "bold red",
    Status.BLOCKED: "magenta",
    Status.UNREACHABLE: "red",
    Status.SKIPPED: "dim",
    Status.UNCHECKED: "cyan",
}


def _claim_cell(occurrence: Occurrence, width: int = 90) -> Text:
    match = occurrence.claim
    if match is None:
        return Text("(no claim)", style="dim")
    text = (
        match.claim.text if len(match.claim.text) <= width else match.claim.text[: width - 1] + "…"
    )
    style = "" if match.confidence >= 0.45 else "italic"
    return Text(f"{text} ", style=style) + Text(
        f"[{match.method} {match.confidence:.2f}]", style="dim"
    )


def render_table(report: Report) -> Group:
    """A rich renderable: one table per document, then the documents that could not be read."""
    parts: list[Table | Text] = []
    rows_by_document: dict[str, list[tuple[int, int, Occurrence, str, Status, str | None]]] = {}
    for link in report.links:
        for occurrence in link.occurrences:
            location = occurrence.location
            rows_by_document.setdefault(location.document, []).append(
                (
                    location.page or 0,
                    location.line or 0,
                    occurrence,
                    link.url,
                    link.verdict.status,
                    link.verdict.reason,
                )
            )
    for document in report.documents:
        rows = sorted(rows_by_document.get(document.source, []), key=lambda row: row[:2])
        title = f"{document.source}  ({document.format}, {document.pages} page(s)"
        title += f", dated {document.date.isoformat()})" if document.date else ")"
        table = Table(title=title, box=box.SIMPLE_HEAD, show_lines=False, expand=False)
        table.add_column("page:line", no_wrap=True)
        table.add_column("kind", no_wrap=True)
        table.add_column("status", no_wrap=True)
        table.add_column("url", overflow="fold")
        table.add_column("claim", overflow="fold")
        for page, line, occurrence, url, status, reason in rows:
            verdict = Text(str(status), style=STATUS_STYLES[status])
            if reason:
                verdict += Text(f" {reason}", style="dim")
            table.add_row(
                f"{page}:{line}", str(occurrence.kind), verdict, url, _claim_cell(occurrence)
            )
        if not rows:
            table.add_row("-", "-", "-", "(no links)", "")
        parts.append(table)
    for problem in report.problems:
        parts.append(Text(f"error: {problem.message}", style="bold red"))
    return Group(*parts)


def print_table(report: Report, console: Console) -> None:
    console.print(render_table(report))
