"""A Markdown summary for people, sized for $GITHUB_STEP_SUMMARY and pull-request comments."""

from __future__ import annotations

import re
from collections import Counter

from linkcheck.models import Report, Status, SupportVerdict
from linkcheck.report.json import summary
from linkcheck.report.outcome import (
    DEFAULT_FAIL_ON,
    STATUS_ORDER,
    Finding,
    Level,
    findings,
    problem_text,
    snapshot_date,
    snippet,
)

STATUS_ICONS = {
    Status.OK: "✅",
    Status.REDIRECTED: "↪️",
    Status.BROKEN: "❌",
    Status.BLOCKED: "🚫",
    Status.UNREACHABLE: "⚠️",
    Status.SKIPPED: "⏭️",
    Status.UNCHECKED: "❔",
}
LEVEL_ICONS = {Level.ERROR: "❌", Level.WARNING: "⚠️", Level.NOTE: "ℹ️"}
_SUPPORT_ORDER = [
    SupportVerdict.SUPPORTED,
    SupportVerdict.PARTIAL,
    SupportVerdict.NOT_FOUND,
    SupportVerdict.DRIFTED,
    SupportVerdict.UNKNOWN,
]
# Markdown punctuation that could start emphasis, a link, HTML, math or end a table cell.
_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&$])")
_SAFE_SCHEMES = ("http://", "https://")


def escape(text: str) -> str:
    """Text shown as it is in Markdown, on one line (a table cell cannot hold a newline)."""
    return _SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _destination(url: str) -> str:
    # Characters that would end a link destination or a table cell, percent-encoded.
    for raw, encoded in (
        (" ", "%20"),
        ("(", "%28"),
        (")", "%29"),
        ("<", "%3C"),
        (">", "%3E"),
        ("|", "%7C"),
        ("\\", "%5C"),
    ):
        url = url.replace(raw, encoded)
    return url


def link(text: str, url: str) -> str:
    """A Markdown link; a URL of another scheme (javascript:, file:) is shown, not linked."""
    if not url.lower().startswith(_SAFE_SCHEMES):
        return escape(text)
    return f"[{escape(text)}]({_destination(url)})"


def _short_url(url: str, width: int = 60) -> str:
    bare = url.split("://", 1)[-1]
    return snippet(bare, width)


def _where(finding: Finding) -> str:
    location = finding.occurrence.location
    place = location.document
    if location.line is not None:
        place += f":{location.line}"
    elif location.page is not None:
        place += f" p. {location.page}"
    return escape(place)


def _verdict_cell(finding: Finding) -> str:
    verdict = finding.link.verdict
    if finding.about == "support":
        return f"claim {escape(finding.reason)}"
    cell = escape(str(verdict.status))
    if finding.reason != str(verdict.status):
        cell += f" · {escape(finding.reason)}"
    if verdict.status is Status.REDIRECTED and verdict.final_url:
        cell += f" → {link(_short_url(verdict.final_url, 40), verdict.final_url)}"
    return cell


def _row(finding: Finding) -> str:
    match = finding.occurrence.claim
    claim = f"“{escape(snippet(match.claim.text, 100))}”" if match else "*(no claim)*"
    archive = finding.link.archive
    copy = link(snapshot_date(archive.timestamp), archive.url) if archive else ""
    cells = [
        LEVEL_ICONS[finding.level],
        _where(finding),
        link(_short_url(finding.link.url), finding.link.url),
        _verdict_cell(finding),
        claim,
        copy,
    ]
    return "| " + " | ".join(cells) + " |"


def _counts_line(counts: dict[str, int], order: list[str], icons: dict[str, str]) -> str:
    shown = [name for name in order if counts.get(name)]
    shown += sorted(name for name in counts if name not in order and counts[name])
    return " · ".join(f"{icons.get(name, '')} {counts[name]} {name}".strip() for name in shown)


def render_markdown(
    report: Report, *, fail_on: frozenset[str] = DEFAULT_FAIL_ON, max_rows: int = 200
) -> str:
    """The headline and counts, a table of problems (at most `max_rows` rows: a step summary
    holds 1 MiB), claim-support counts when support was judged, and unreadable documents."""
    facts = summary(report)
    found = findings(report, fail_on)
    failing = [f for f in found if f.failing]
    failing_links = len({id(f.link) for f in failing})
    lines = []
    if failing:
        lines.append(f"## linkcheck: {failing_links} of {facts['links']} links fail")
    elif found:
        lines.append(f"## linkcheck: no failures, {len(found)} to look at")
    else:
        lines.append("## linkcheck: all links pass")
    lines.append("")
    documents = "document" if facts["documents"] == 1 else "documents"
    lines.append(
        f"**{facts['links']} links** ({facts['occurrences']} citations) in "
        f"**{facts['documents']} {documents}**, {facts['claims_with_links']} of "
        f"{facts['claims']} claims cited."
    )
    by_status: dict[str, int] = facts["by_status"]
    icons = {str(status): icon for status, icon in STATUS_ICONS.items()}
    if by_status:
        lines += ["", _counts_line(by_status, [str(s) for s in STATUS_ORDER], icons)]
    supports = Counter(
        str(o.support.verdict) for link in report.links for o in link.occurrences if o.support
    )
    if supports:
        counts = _counts_line(dict(supports), [str(s) for s in _SUPPORT_ORDER], {})
        lines += ["", f"Claim support: {counts}"]
    lines += ["", f"Fails on: {', '.join(sorted(fail_on)) or 'nothing'}."]
    if found:
        lines += [
            "",
            "| | Where | URL | Status | Claim | Archived copy |",
            "|---|---|---|---|---|---|",
        ]
        lines += [_row(finding) for finding in found[:max_rows]]
        if len(found) > max_rows:
            lines += ["", f"…and {len(found) - max_rows} more: see the full report."]
    if report.problems:
        lines += ["", "### Documents that could not be read", ""]
        lines += [f"- {escape(problem_text(p))} ({escape(p.code)})" for p in report.problems]
    return "\n".join(lines) + "\n"
