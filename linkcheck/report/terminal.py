"""The terminal: a progress bar while checking, then a summary and the problems.

Plain output when stderr is not a terminal or NO_COLOR is set (rich handles both).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from linkcheck.check.result import host_of
from linkcheck.models import Report, Status
from linkcheck.report.table import STATUS_STYLES

if TYPE_CHECKING:
    from linkcheck.archive import SaveOutcome

PROBLEM_STATUSES = (Status.BROKEN, Status.UNREACHABLE, Status.BLOCKED, Status.REDIRECTED)


class CheckProgress:
    """checked/total and the hosts being answered right now, on one line of stderr."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            TextColumn("checking"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[hosts]}", style="dim"),
            console=console,
            transient=True,
        )
        self._task = self._progress.add_task("check", total=None, hosts="")
        self._recent: list[str] = []

    def __call__(self, done: int, total: int, url: str) -> None:
        host = host_of(url)  # ("" for a malformed one, which the checker reports broken)
        if host:
            self._recent = [*[h for h in self._recent if h != host][-2:], host]
        self._progress.update(self._task, completed=done, total=total, hosts=" ".join(self._recent))


@contextmanager
def progress_bar(console: Console) -> Iterator[CheckProgress | None]:
    if not console.is_terminal:
        yield None
        return
    bar = CheckProgress(console)
    with bar._progress:
        yield bar


def print_summary(report: Report, console: Console, *, verbose: bool = False) -> None:
    """Counts by status and reason, then each problem with where it is cited and its claim."""
    # One print: rich measures the terminal on every call, which for thousands of problem
    # lines took longer than writing the JSON report.
    console.print(*_summary_lines(report, verbose=verbose), sep="\n")


def _summary_lines(report: Report, *, verbose: bool = False) -> list[Text]:
    """The lines of `print_summary`, in order."""
    lines: list[Text] = []
    statuses = Counter(link.verdict.status for link in report.links)
    line = Text(f"{len(report.links)} links in {len(report.documents)} document(s): ")
    for index, status in enumerate(sorted(statuses, key=lambda s: -statuses[s])):
        if index:
            line += Text(", ")
        line += Text(f"{statuses[status]} {status}", style=STATUS_STYLES[status])
    lines.append(line)
    reasons = Counter(
        (link.verdict.status, link.verdict.reason) for link in report.links if link.verdict.reason
    )
    for (status, reason), count in sorted(reasons.items(), key=lambda item: -item[1]):
        lines.append(Text(f"  {status:<12}{reason:<22}{count}", style=STATUS_STYLES[status]))
    support = Counter(
        str(o.support.verdict) for link in report.links for o in link.occurrences if o.support
    )
    if support:
        counts = ", ".join(f"{count} {verdict}" for verdict, count in sorted(support.items()))
        lines.append(Text(f"claim support: {counts}"))
    shown = PROBLEM_STATUSES if verbose else PROBLEM_STATUSES[:3]
    problems = [link for link in report.links if link.verdict.status in shown]
    if problems:
        lines.append(Text())
    for link in problems:
        verdict = link.verdict
        head = Text(f"{verdict.status}", style=STATUS_STYLES[verdict.status])
        head += Text(f" {verdict.reason or ''} ", style="bold")
        head += Text(link.url)
        lines.append(head)
        if verdict.detail:
            lines.append(Text(f"    {verdict.detail}", style="dim"))
        if verdict.final_url and verdict.final_url != link.url:
            lines.append(Text(f"    → {verdict.final_url}", style="yellow"))
        if link.archive is not None:
            lines.append(Text(f"    archived: {link.archive.url}", style="cyan"))
        for occurrence in link.occurrences:
            where = occurrence.location
            place = f"{where.document}:{where.line or '?'}"
            if where.page is not None and where.page > 1:
                place += f" (page {where.page})"
            claim = occurrence.claim.claim.text if occurrence.claim else "(no claim)"
            lines.append(Text(f"    {place}  ", style="dim") + Text(_shorten(claim, 110)))
    for problem in report.problems:
        lines.append(Text(f"error: {problem.message}", style="bold red"))
    return lines


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def print_archive_summary(
    report: Report,
    outcomes: Sequence[SaveOutcome],
    copies: Sequence[Path],
    manifest: Path,
    console: Console,
) -> None:
    """Per link: its snapshot near the document date and what Save Page Now did."""
    by_url = {outcome.url: outcome for outcome in outcomes}
    for link in report.links:
        if not link.url.startswith(("http://", "https://")):
            continue
        line = Text(link.url)
        if link.archive is not None:
            line += Text(f"\n    nearest snapshot: {link.archive.url}", style="cyan")
        outcome = by_url.get(link.url)
        if outcome is not None:
            line += Text(f"\n    save: {outcome.status}", style="bold")
            if outcome.reason:
                line += Text(f" ({outcome.reason})", style="dim")
            if outcome.snapshot is not None:
                line += Text(f" {outcome.snapshot.url}", style="cyan")
        console.print(line)
    console.print(Text(f"manifest: {manifest} (and {manifest.with_suffix('.csv')})"))
    for copy in copies:
        console.print(Text(f"archived copy: {copy}"))
