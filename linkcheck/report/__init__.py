"""Reports: one module per output format, each a plain function of a Report."""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from typing import TYPE_CHECKING

from linkcheck.lazy import lazy_exports
from linkcheck.report.outcome import DEFAULT_FAIL_ON, exit_code, failing, parse_fail_on

if TYPE_CHECKING:
    from linkcheck.models import Report
    from linkcheck.report.json import SCHEMA_VERSION, render_json, report_to_dict


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"
    SARIF = "sarif"
    JUNIT = "junit"
    GITHUB = "github"
    MARKDOWN = "markdown"
    HTML = "html"


def render_chunks(
    report: Report, format: OutputFormat, *, fail_on: frozenset[str] = DEFAULT_FAIL_ON
) -> Iterator[str]:
    """The report in pieces to write as they come: JSON line by line, so a large report is
    never held whole; the other formats in one piece."""
    if format is OutputFormat.JSON:
        from linkcheck.report.json import json_chunks

        return json_chunks(report)
    return iter((render(report, format, fail_on=fail_on),))


def render(
    report: Report, format: OutputFormat, *, fail_on: frozenset[str] = DEFAULT_FAIL_ON
) -> str:
    """The report as text in one format (heavy renderers are imported only when asked for)."""
    if format is OutputFormat.JSON:
        from linkcheck.report.json import render_json

        return render_json(report)
    if format is OutputFormat.CSV:
        from linkcheck.report.csv import render_csv

        return render_csv(report)
    if format is OutputFormat.SARIF:
        from linkcheck.report.sarif import render_sarif

        return render_sarif(report, fail_on=fail_on)
    if format is OutputFormat.JUNIT:
        from linkcheck.report.junit import render_junit

        return render_junit(report, fail_on=fail_on)
    if format is OutputFormat.GITHUB:
        from linkcheck.report.github import render_github

        return render_github(report, fail_on=fail_on)
    if format is OutputFormat.MARKDOWN:
        from linkcheck.report.markdown import render_markdown

        return render_markdown(report, fail_on=fail_on)
    if format is OutputFormat.HTML:
        from linkcheck.report.html import render_html

        return render_html(report, fail_on=fail_on)
    from linkcheck.report.table import table_text

    return table_text(report)


__all__ = [
    "DEFAULT_FAIL_ON",
    "SCHEMA_VERSION",
    "OutputFormat",
    "exit_code",
    "failing",
    "parse_fail_on",
    "render",
    "render_chunks",
    "render_json",
    "report_to_dict",
]

# The JSON renderer is loaded when asked for, like the others (start-up time).
__getattr__ = lazy_exports(
    __name__, {"linkcheck.report.json": ("SCHEMA_VERSION", "render_json", "report_to_dict")}
)
