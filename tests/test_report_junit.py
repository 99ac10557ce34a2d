"""JUnit XML: parses back, and every count attribute matches the cases under it."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET

from test_report_sample import MD, MISSING, PDF, sample_report

from linkcheck.models import Report
from linkcheck.report.junit import render_junit


def _parse(report: Report | None = None, **options: frozenset[str]) -> ET.Element:
    return ET.fromstring(render_junit(report or sample_report(), **options).encode("utf-8"))


def _count(element: ET.Element, child: str) -> int:
    return sum(1 for case in element.iter("testcase") if case.find(child) is not None)


def test_counts_match_the_cases_in_every_suite_and_in_total() -> None:
    root = _parse()
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [suite.get("name") for suite in suites] == [MD, PDF, MISSING]
    for element in [root, *suites]:
        assert int(element.get("tests", "-1")) == len(list(element.iter("testcase")))
        assert int(element.get("failures", "-1")) == _count(element, "failure")
        assert int(element.get("errors", "-1")) == _count(element, "error")
        assert int(element.get("skipped", "-1")) == _count(element, "skipped")
    assert (root.get("tests"), root.get("failures"), root.get("errors"), root.get("skipped")) == (
        "12",
        "3",
        "1",
        "3",
    )


def test_one_case_per_citation_named_by_line_and_url() -> None:
    root = _parse()
    md = root.find(f"testsuite[@name='{MD}']")
    assert md is not None
    names = [case.get("name") for case in md.iter("testcase")]
    assert names[0] == "line 3: https://www.census.gov/foreign-trade/balance/c2010.html"
    assert all(case.get("classname") == MD for case in md.iter("testcase"))
    pdf = root.find(f"testsuite[@name='{PDF}']")
    assert pdf is not None
    first = next(pdf.iter("testcase"))
    assert (first.get("name") or "").startswith("page 2: https://")


def test_a_failure_carries_reason_status_location_and_claim() -> None:
    root = _parse()
    case = next(c for c in root.iter("testcase") if "banxico" in (c.get("name") or ""))
    failure = case.find("failure")
    assert failure is not None
    assert failure.get("message") == "http-404"
    assert failure.get("type") == "broken"
    text = failure.text or ""
    assert "line 5" in text and "Remittances to Mexico" in text and "web.archive.org" in text
    assert case.get("time") == "0.500"


def test_skipped_and_input_errors() -> None:
    root = _parse()
    mailto = next(c for c in root.iter("testcase") if "mailto:" in (c.get("name") or ""))
    skipped = mailto.find("skipped")
    assert skipped is not None and skipped.get("message") == "unsupported-scheme"
    missing = root.find(f"testsuite[@name='{MISSING}']/testcase/error")
    assert missing is not None and missing.get("message") == "missing"


def test_support_failures_count_when_named() -> None:
    root = _parse(fail_on=frozenset({"broken", "not-found", "drifted"}))
    assert root.get("failures") == "4"
    md_soft = next(
        c
        for c in root.iter("testcase")
        if c.get("classname") == MD and "example.org/data" in (c.get("name") or "")
    )
    failure = md_soft.find("failure")
    assert failure is not None and failure.get("message") == "soft-404; not-found"


def test_control_characters_do_not_break_the_xml() -> None:
    report = sample_report()
    link = report.links[1]
    verdict = dataclasses.replace(link.verdict, detail="bad \x00 byte \x1b[31m and \ud800")
    report = dataclasses.replace(report, links=(dataclasses.replace(link, verdict=verdict),))
    root = _parse(report)
    failure = next(root.iter("failure"))
    assert "bad \ufffd byte \ufffd[31m" in (failure.text or "")
