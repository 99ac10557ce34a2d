"""What fails a run, what only deserves a look, and the exit code a run ends with.

Every machine report (SARIF, JUnit, GitHub annotations, the Markdown summary) reads its findings
from here, so "what fails" means the same thing in each of them and in the exit code.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import StrEnum
from pathlib import PurePath
from typing import TYPE_CHECKING, Literal

from linkcheck.errors import ExitCode
from linkcheck.kinds import Status, SupportVerdict

if TYPE_CHECKING:
    from linkcheck.models import InputProblem, Link, Location, Occurrence, Report

DOCS_URL = "https://github.com/linkcheck-dev/linkcheck/blob/main/docs/REPORTS.md"
REASON_CODES_URL = f"{DOCS_URL}#reason-codes"  # the table that explains every reason code


class FailOn(StrEnum):
    """The things `--fail-on` can name: link statuses and claim-support verdicts."""

    BROKEN = "broken"
    BLOCKED = "blocked"
    REDIRECTED = "redirected"
    UNREACHABLE = "unreachable"
    NOT_FOUND = "not-found"
    DRIFTED = "drifted"


# The order reports list statuses in: worst first.
STATUS_ORDER = (
    Status.BROKEN,
    Status.UNREACHABLE,
    Status.BLOCKED,
    Status.REDIRECTED,
    Status.OK,
    Status.SKIPPED,
    Status.UNCHECKED,
)
DEFAULT_FAIL_ON: frozenset[str] = frozenset({FailOn.BROKEN.value})
# Statuses that say nothing is wrong with the link (skipped and unchecked: nothing was learned).
_QUIET_STATUSES = frozenset({Status.OK, Status.SKIPPED, Status.UNCHECKED})


def parse_fail_on(text: str) -> frozenset[str]:
    """Parse --fail-on: "broken,blocked" → {"broken", "blocked"}; "none" → {} (never fail).

    Raises ValueError with a one-line message naming the bad value."""
    names = [part.strip().lower() for part in text.split(",")]
    if names == ["none"]:
        return frozenset()
    allowed = [member.value for member in FailOn]
    chosen: set[str] = set()
    for name in names:
        if name not in allowed:
            shown = repr(name) if name else "an empty name"
            raise ValueError(f"--fail-on: {shown} is not one of {', '.join(allowed)} (or none)")
        chosen.add(name)
    return frozenset(chosen)


class Level(StrEnum):
    """How loud a finding is: error fails the run, warning and note do not."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True)
class Finding:
    """One occurrence of a link that a report should show, and why."""

    link: Link
    occurrence: Occurrence
    reason: str  # a stable reason code: "http-404", "soft-404", "redirected", "not-found"...
    level: Level
    about: Literal["status", "support"]  # the link's verdict, or whether the page backs the claim

    @property
    def failing(self) -> bool:
        return self.level is Level.ERROR


def status_reason(link: Link) -> str:
    """The reason code of a link's verdict; a status without one stands for itself."""
    verdict = link.verdict
    if verdict.reason:
        return verdict.reason
    if verdict.status is Status.BROKEN and verdict.http_status:
        return f"http-{verdict.http_status}"
    return str(verdict.status)


def _status_level(link: Link, fail_on: frozenset[str]) -> Level | None:
    status = link.verdict.status
    if status in _QUIET_STATUSES:
        # An ok page with a reason (a missing #fragment) is worth a note, never a failure.
        return Level.NOTE if status is Status.OK and link.verdict.reason else None
    if link.unconfirmed:
        return Level.WARNING  # the history rule has not confirmed it yet: a look, not a failure
    return Level.ERROR if str(status) in fail_on else Level.WARNING


def _support_level(occurrence: Occurrence, fail_on: frozenset[str]) -> Level | None:
    support = occurrence.support
    if support is None or support.verdict not in (SupportVerdict.NOT_FOUND, SupportVerdict.DRIFTED):
        return None
    return Level.ERROR if str(support.verdict) in fail_on else Level.WARNING


def occurrence_order(report: Report) -> dict[str, int]:
    """The rank of each document in the report, for sorting things into document order."""
    ranks = {document.source: index for index, document in enumerate(report.documents)}
    for problem in report.problems:
        ranks.setdefault(problem.source, len(ranks))
    return ranks


def location_key(ranks: dict[str, int], location: Location) -> tuple[int, str, int, int, int]:
    """Document order: the document's rank, then page, line and column (unknown ones first)."""
    return (
        ranks.get(location.document, len(ranks)),
        location.document,
        location.page or 0,
        location.line or 0,
        location.column or 0,
    )


def findings(report: Report, fail_on: frozenset[str] = DEFAULT_FAIL_ON) -> list[Finding]:
    """Every occurrence a report should show, in document order; a link verdict first, then
    the support verdict of the same occurrence."""
    found: list[tuple[tuple[int, str, int, int, int], int, Finding]] = []
    ranks = occurrence_order(report)
    sequence = 0  # keeps the links' own order among occurrences at the same place
    for link in report.links:
        status_level = _status_level(link, fail_on)
        for occurrence in link.occurrences:
            key = location_key(ranks, occurrence.location)
            if status_level is not None:
                finding = Finding(link, occurrence, status_reason(link), status_level, "status")
                found.append((key, sequence, finding))
                sequence += 1
            support_level = _support_level(occurrence, fail_on)
            if support_level is not None and occurrence.support is not None:
                reason = str(occurrence.support.verdict)
                finding = Finding(link, occurrence, reason, support_level, "support")
                found.append((key, sequence, finding))
                sequence += 1
    found.sort(key=lambda item: (item[0], item[1]))
    return [finding for _, _, finding in found]


def failing(
    report: Report, fail_on: frozenset[str] = DEFAULT_FAIL_ON
) -> list[tuple[Link, Occurrence, str]]:
    """What fails the run under `fail_on`, and why (the reason code), in document order."""
    return [(f.link, f.occurrence, f.reason) for f in findings(report, fail_on) if f.failing]


def exit_code(report: Report, fail_on: frozenset[str], *, offline: bool) -> int:
    """0 nothing to fail on, 1 failures under fail_on, 2 an input error, 3 could not check.

    Precedence 3 > 2 > 1 > 0: offline makes every verdict meaningless, and an unread document
    means the run did not see everything, whatever the links that were read say."""
    if offline:
        return ExitCode.OFFLINE
    if report.problems:
        return ExitCode.INPUT
    if fails(report, fail_on):
        return ExitCode.FAILURES
    return ExitCode.OK


def fails(report: Report, fail_on: frozenset[str] = DEFAULT_FAIL_ON) -> bool:
    """Whether anything fails the run (`failing` is not empty), from the first such link on,
    with no finding made or sorted: the exit code of a large run waits for nothing else."""
    return any(
        (link.occurrences and _status_level(link, fail_on) is Level.ERROR)
        or any(_support_level(o, fail_on) is Level.ERROR for o in link.occurrences)
        for link in report.links
    )


# What each reason code means, for SARIF rules and the docs. Unknown codes still get a rule.
REASONS: dict[str, str] = {
    "http-403": "The server refused the page (HTTP 403 Forbidden).",
    "http-404": "The page is gone (HTTP 404 Not Found).",
    "http-410": "The page was removed on purpose (HTTP 410 Gone).",
    "http-4xx": "The server answered with a client error (HTTP 4xx).",
    "http-5xx": "The server kept failing (HTTP 5xx after retries).",
    "soft-404": "The page answers 200 but says it is missing, or redirects to an error page.",
    "redirect-to-root": "A deep link now redirects to a site's home page: the page is gone.",
    "redirected": "The page moved permanently: cite the new address.",
    "auth-required": "The page is behind a login.",
    "bot-challenge": "A bot wall refused the automated check; a person may still see the page.",
    "rate-limited": "The server asked to slow down (HTTP 429) past the retry budget.",
    "non-standard-status": "The server answered a non-standard HTTP status (a bot wall).",
    "dns": "The host name does not resolve.",
    "refused": "The server refused the connection.",
    "unreachable-network": "There is no route to the server.",
    "timeout": "The server did not answer in time.",
    "tls": "The TLS handshake or certificate check failed.",
    "connection-reset": "The connection was cut while talking to the server.",
    "error": "The URL could not be checked (an invalid URL or an unexpected error).",
    "fragment-missing": "The page is live but the #fragment it links to is not on it.",
    "unsupported-scheme": "Links of this scheme (mailto:, ftp:...) are not checked.",
    "excluded": "The URL matches an exclude pattern and was not checked.",
    "forbidden-address": "A private, loopback or cloud-metadata address: never requested.",
    "not-found": "The cited page no longer supports the claim it is cited for.",
    "drifted": "An archived copy supports the claim but the live page no longer does.",
    "broken": "The link is broken.",
    "blocked": "The check was blocked.",
    "unreachable": "The server could not be reached.",
}


def describe_reason(reason: str) -> str:
    if reason in REASONS:
        return REASONS[reason]
    if reason.startswith("http-"):
        return f"The server answered HTTP {reason.removeprefix('http-')}."
    return f"linkcheck reported {reason!r}."


def snippet(text: str, width: int = 160) -> str:
    """One line of at most `width` characters: reports quote claims, they do not reprint them."""
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1].rstrip() + "…"


def snapshot_date(timestamp: str) -> str:
    """ "20220601123000" → "2022-06-01"; anything else is shown as it is."""
    if len(timestamp) >= 8 and timestamp[:8].isdigit():
        return f"{timestamp[:4]}-{timestamp[4:6]}-{timestamp[6:8]}"
    return timestamp


_STATUS_LABELS = {
    Status.OK: "Live link",
    Status.REDIRECTED: "Moved link",
    Status.BROKEN: "Broken link",
    Status.BLOCKED: "Blocked check",
    Status.UNREACHABLE: "Unreachable link",
    Status.SKIPPED: "Skipped link",
    Status.UNCHECKED: "Unchecked link",
}


def finding_message(finding: Finding) -> str:
    """One line saying what is wrong, with the claim and the archived replacement if any."""
    link = finding.link
    verdict = link.verdict
    if finding.about == "support":
        support = finding.occurrence.support
        if finding.reason == "not-found":
            head = f"Claim not supported ({finding.reason}): {link.url} no longer backs it."
        else:
            head = (
                f"Cited page changed ({finding.reason}): {link.url} no longer backs the claim; "
                "the archived copy did."
            )
        parts = [head]
        if support is not None and support.facts_missing:
            parts.append(f"Missing: {', '.join(support.facts_missing)}.")
    else:
        label = _STATUS_LABELS.get(verdict.status, str(verdict.status))
        why = "" if finding.reason == str(verdict.status) else f" ({finding.reason})"
        head = f"{label}{why}: {link.url}"
        if verdict.detail:
            head += f" — {snippet(verdict.detail, 200).rstrip('.')}"
        parts = [head + "."]
        new = verdict.final_url if verdict.status is Status.REDIRECTED else None
        if new and new not in (verdict.detail or ""):
            parts.append(f"New address: {new}.")
    match = finding.occurrence.claim
    if match is not None:
        parts.append(f"Claim: “{snippet(match.claim.text)}”")
    if link.archive is not None:
        date = snapshot_date(link.archive.timestamp)
        parts.append(f"Archived copy ({date}): {link.archive.url}")
    return " ".join(parts)


def problem_text(problem: InputProblem) -> str:
    """An input problem's message, naming its document once (messages usually start with it)."""
    if problem.source in problem.message:
        return problem.message
    return f"{problem.source}: {problem.message}"


def document_path(source: str, root: str | None = None) -> str:
    """A document's path relative to `root` (default: the working directory), with "/"
    separators, as code-scanning and annotations expect; URLs and paths outside the root are
    given in full."""
    if "://" in source or source == "-":
        return source
    base = os.path.abspath(root if root is not None else os.curdir)
    full = os.path.abspath(source)
    try:
        relative = os.path.relpath(full, base)
    except ValueError:  # another drive on Windows
        return PurePath(full).as_posix()
    if relative == os.pardir or relative.startswith(os.pardir + os.sep):
        return PurePath(full).as_posix()
    return PurePath(relative).as_posix()
