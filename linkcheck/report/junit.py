"""JUnit XML, for CI systems that show test results (GitLab, Jenkins, Azure, test reporters).

One <testsuite> per document, one <testcase> per link occurrence: a failure for what --fail-on
covers, <skipped> for links that were not checked, and an <error> case for each document that
could not be read.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from linkcheck.models import Link, Location, Occurrence, Report, Status
from linkcheck.report.outcome import (
    DEFAULT_FAIL_ON,
    Finding,
    finding_message,
    findings,
    location_key,
    occurrence_order,
)

_NOT_RUN = frozenset({Status.SKIPPED, Status.UNCHECKED})
# XML 1.0 forbids most control characters, and page titles or error texts can carry them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass
class _Suite:
    name: str
    cases: list[ET.Element] = field(default_factory=list)
    failures: int = 0
    errors: int = 0
    skipped: int = 0
    time: float = 0.0


def _where(location: Location) -> str:
    parts = []
    if location.page is not None:
        parts.append(f"page {location.page}")
    if location.line is not None:
        parts.append(f"line {location.line}")
    if location.column is not None:
        parts.append(f"column {location.column}")
    return ", ".join(parts)


def _case_name(location: Location, url: str) -> str:
    if location.line is not None:
        return f"line {location.line}: {url}"
    if location.page is not None:
        return f"page {location.page}: {url}"
    return url


def _seconds(value: float) -> str:
    return f"{value:.3f}"


def _case(
    link: Link, occurrence: Occurrence, failed: list[Finding], others: list[Finding]
) -> tuple[ET.Element, str]:
    """A <testcase> and what it counts as: "failure", "skipped" or "passed"."""
    location = occurrence.location
    case = ET.Element(
        "testcase",
        {
            "classname": location.document,
            "name": _case_name(location, link.url),
            "time": _seconds(link.verdict.elapsed),
        },
    )
    verdict = link.verdict
    if failed:
        # One <failure> per case (what most readers expect), naming every reason it fails for.
        reasons = "; ".join(dict.fromkeys(f.reason for f in failed))
        kind = str(verdict.status) if failed[0].about == "status" else "support"
        lines = [f"{link.url} ({_where(location) or 'location unknown'})"]
        lines += [finding_message(f) for f in failed]
        failure = ET.SubElement(case, "failure", {"message": reasons, "type": kind})
        failure.text = "\n".join(lines)
        return case, "failure"
    if verdict.status in _NOT_RUN:
        attributes = {"message": verdict.reason or str(verdict.status)}
        skipped = ET.SubElement(case, "skipped", attributes)
        skipped.text = verdict.detail
        return case, "skipped"
    if others:
        # Problems that do not fail the run are shown, not counted.
        out = ET.SubElement(case, "system-out")
        out.text = "\n".join(f"{f.level}: {finding_message(f)}" for f in others)
    return case, "passed"


def junit_tree(report: Report, *, fail_on: frozenset[str] = DEFAULT_FAIL_ON) -> ET.Element:
    by_occurrence: dict[tuple[int, int], list[Finding]] = {}
    for finding in findings(report, fail_on):
        key = (id(finding.link), id(finding.occurrence))
        by_occurrence.setdefault(key, []).append(finding)
    ranks = occurrence_order(report)
    suites: dict[str, _Suite] = {d.source: _Suite(d.source) for d in report.documents}
    rows = sorted(
        ((link, occurrence) for link in report.links for occurrence in link.occurrences),
        key=lambda row: location_key(ranks, row[1].location),
    )
    for link, occurrence in rows:
        document = occurrence.location.document
        suite = suites.setdefault(document, _Suite(document))
        mine = by_occurrence.get((id(link), id(occurrence)), [])
        failed = [f for f in mine if f.failing]
        others = [f for f in mine if not f.failing]
        case, outcome = _case(link, occurrence, failed, others)
        suite.cases.append(case)
        suite.time += link.verdict.elapsed
        suite.failures += outcome == "failure"
        suite.skipped += outcome == "skipped"
    for problem in report.problems:
        suite = suites.setdefault(problem.source, _Suite(problem.source))
        case = ET.Element("testcase", {"classname": problem.source, "name": "read document"})
        error = ET.SubElement(case, "error", {"message": problem.code, "type": "input-problem"})
        error.text = problem.message
        suite.cases.append(case)
        suite.errors += 1
    stamp = report.generated_at.replace(tzinfo=None).isoformat()
    root = ET.Element("testsuites", {"name": "linkcheck"})
    totals = _Suite("linkcheck")
    for index, suite in enumerate(suites.values()):
        element = ET.SubElement(
            root,
            "testsuite",
            {
                "name": suite.name,
                "id": str(index),
                "tests": str(len(suite.cases)),
                "failures": str(suite.failures),
                "errors": str(suite.errors),
                "skipped": str(suite.skipped),
                "time": _seconds(suite.time),
                "timestamp": stamp,
            },
        )
        element.extend(suite.cases)
        totals.cases += suite.cases
        totals.failures += suite.failures
        totals.errors += suite.errors
        totals.skipped += suite.skipped
        totals.time += suite.time
    root.attrib.update(
        {
            "tests": str(len(totals.cases)),
            "failures": str(totals.failures),
            "errors": str(totals.errors),
            "skipped": str(totals.skipped),
            "time": _seconds(totals.time),
        }
    )
    for element in root.iter():
        if element.text:
            element.text = _NOT_XML.sub("\ufffd", element.text)
        for name, value in element.attrib.items():
            element.set(name, _NOT_XML.sub("\ufffd", value))
    return root


def render_junit(report: Report, *, fail_on: frozenset[str] = DEFAULT_FAIL_ON) -> str:
    root = junit_tree(report, fail_on=fail_on)
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"
