"""SARIF 2.1.0, for GitHub code scanning and other static-analysis dashboards.

One run; one rule per reason code that occurs; one result per finding (error for what
--fail-on covers, warning for other problems, note for a live page missing its #fragment).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from typing import Any
from urllib.parse import quote

from linkcheck import __version__
from linkcheck.models import Report
from linkcheck.report.json import summary
from linkcheck.report.outcome import (
    DEFAULT_FAIL_ON,
    REASON_CODES_URL,
    Finding,
    Level,
    describe_reason,
    document_path,
    finding_message,
    findings,
    problem_text,
)

SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
INFORMATION_URI = "https://github.com/linkcheck-dev/linkcheck"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "linkcheck/v1"


def _rule_name(reason: str) -> str:
    """ "redirect-to-root" → "RedirectToRoot": SARIF rule names are identifier-like."""
    return "".join(part[:1].upper() + part[1:] for part in reason.replace("_", "-").split("-"))


def _rule(reason: str, level: Level, about: str) -> dict[str, Any]:
    description = describe_reason(reason)
    return {
        "id": reason,
        "name": _rule_name(reason),
        "shortDescription": {"text": description},
        "fullDescription": {"text": description},
        "helpUri": REASON_CODES_URL,
        "help": {
            "text": f"{description} See {REASON_CODES_URL}",
            "markdown": f"{description} See [reason codes]({REASON_CODES_URL}).",
        },
        "defaultConfiguration": {"level": str(level)},
        "properties": {"tags": ["links", "citations", about]},
    }


def _artifact_uri(path: str) -> tuple[str, bool]:
    """A URI reference for a document path, and whether it is relative to %SRCROOT%."""
    if "://" in path:
        return path, False
    if path.startswith("/"):
        return "file://" + quote(path), False
    return quote(path), True


def _artifact(source: str, root: str | None) -> dict[str, Any]:
    uri, relative = _artifact_uri(document_path(source, root))
    return {"uri": uri, "uriBaseId": SRCROOT} if relative else {"uri": uri}


def _location(finding: Finding, root: str | None) -> dict[str, Any]:
    location = finding.occurrence.location
    physical: dict[str, Any] = {"artifactLocation": _artifact(location.document, root)}
    # SARIF lines and columns start at 1: an unknown line means no region at all.
    if location.line is not None and location.line >= 1:
        region: dict[str, Any] = {"startLine": location.line}
        if location.column is not None and location.column >= 1:
            region["startColumn"] = location.column
        physical["region"] = region
    return {"physicalLocation": physical}


def _fingerprint(document: str, url: str) -> str:
    """Stable across runs and line moves: the document and the URL, nothing positional."""
    return hashlib.sha256(f"{document}\n{url}".encode()).hexdigest()[:32]


def _properties(finding: Finding) -> dict[str, Any]:
    link = finding.link
    verdict = link.verdict
    occurrence = finding.occurrence
    properties: dict[str, Any] = {"url": link.url, "status": str(verdict.status)}
    if occurrence.location.page is not None:
        properties["page"] = occurrence.location.page
    optional = {
        "httpStatus": verdict.http_status,
        "finalUrl": verdict.final_url,
        "archiveUrl": link.archive.url if link.archive else None,
        "claimId": occurrence.claim.claim.id if occurrence.claim else None,
        "support": str(occurrence.support.verdict) if occurrence.support else None,
    }
    properties.update({key: value for key, value in optional.items() if value is not None})
    return properties


def sarif_to_dict(
    report: Report, *, fail_on: frozenset[str] = DEFAULT_FAIL_ON, root: str | None = None
) -> dict[str, Any]:
    found = findings(report, fail_on)
    first: dict[str, Finding] = {}
    for finding in found:
        first.setdefault(finding.reason, finding)
    reasons = sorted(first)
    rules = [_rule(r, first[r].level, first[r].about) for r in reasons]
    index = {reason: i for i, reason in enumerate(reasons)}
    seen: Counter[tuple[str, str]] = Counter()
    results = []
    for finding in found:
        document = document_path(finding.occurrence.location.document, root)
        fingerprint = _fingerprint(document, finding.link.url)
        # The nth citation of one URL in one document under one rule: distinct results.
        seen[(fingerprint, finding.reason)] += 1
        stable = f"{fingerprint}:{seen[(fingerprint, finding.reason)]}"
        results.append(
            {
                "ruleId": finding.reason,
                "ruleIndex": index[finding.reason],
                "level": str(finding.level),
                "message": {"text": finding_message(finding)},
                "locations": [_location(finding, root)],
                "partialFingerprints": {FINGERPRINT_KEY: stable, "primaryLocationLineHash": stable},
                "properties": _properties(finding),
            }
        )
    notifications = [
        {
            "level": "error",
            "message": {"text": problem_text(problem)},
            "descriptor": {"id": problem.code},
            "locations": [
                {"physicalLocation": {"artifactLocation": _artifact(problem.source, root)}}
            ],
        }
        for problem in report.problems
    ]
    invocation: dict[str, Any] = {"executionSuccessful": True}
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "linkcheck",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": rules,
                    }
                },
                "invocations": [invocation],
                "columnKind": "unicodeCodePoints",
                "results": results,
                "properties": {"summary": summary(report)},
            }
        ],
    }


def render_sarif(
    report: Report, *, fail_on: frozenset[str] = DEFAULT_FAIL_ON, root: str | None = None
) -> str:
    """The SARIF log as JSON text; document paths are made relative to `root` (default: the
    working directory) and resolved by consumers against %SRCROOT%."""
    payload = sarif_to_dict(report, fail_on=fail_on, root=root)
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
