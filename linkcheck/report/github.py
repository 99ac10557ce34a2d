"""GitHub Actions workflow commands: annotations on the documents in a pull request.

`::error` for what --fail-on covers, `::warning` for other problems, `::notice` for notes.
GitHub shows at most 10 annotations of each level per step; the rest are still in the log.
"""

from __future__ import annotations

from linkcheck.models import Report
from linkcheck.report.outcome import (
    DEFAULT_FAIL_ON,
    Finding,
    Level,
    document_path,
    finding_message,
    findings,
)

_COMMANDS = {Level.ERROR: "error", Level.WARNING: "warning", Level.NOTE: "notice"}


def escape_data(text: str) -> str:
    """The message part: GitHub reads %, CR and LF as encoded bytes."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property value: also ':' and ',' which separate properties."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, **properties: str | int | None) -> str:
    """One workflow command line; properties that are None are left out."""
    shown = ",".join(
        f"{key}={escape_property(str(value))}"
        for key, value in properties.items()
        if value is not None
    )
    return f"::{name}{' ' + shown if shown else ''}::{escape_data(message)}"


def _annotation(finding: Finding, root: str | None) -> str:
    location = finding.occurrence.location
    message = finding_message(finding)
    line = location.line if location.line is not None and location.line >= 1 else None
    column = location.column if line is not None and location.column else None
    if line is None and location.page is not None:
        # Annotations point at lines; a PDF link is placed by its page, so say which.
        message = f"page {location.page}: {message}"
    return command(
        _COMMANDS[finding.level],
        message,
        file=document_path(location.document, root),
        line=line,
        col=column,
        title=finding.reason,
    )


def render_github(
    report: Report, *, fail_on: frozenset[str] = DEFAULT_FAIL_ON, root: str | None = None
) -> str:
    """One workflow command per finding, then one `::error` per unreadable document."""
    lines = [_annotation(finding, root) for finding in findings(report, fail_on)]
    for problem in report.problems:
        path = document_path(problem.source, root)
        lines.append(command("error", problem.message, file=path, title=problem.code))
    return "".join(line + "\n" for line in lines)
