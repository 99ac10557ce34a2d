"""--fail-on parsing, what fails a run, and the exit-code matrix."""

from __future__ import annotations

import dataclasses

import pytest
from test_report_sample import MD, PDF, sample_report

from linkcheck.errors import ExitCode
from linkcheck.models import Report, Status, SupportVerdict
from linkcheck.report.outcome import (
    DEFAULT_FAIL_ON,
    FailOn,
    Level,
    document_path,
    exit_code,
    failing,
    fails,
    findings,
    parse_fail_on,
    snapshot_date,
)


def test_parse_fail_on_reads_a_comma_list() -> None:
    assert parse_fail_on("broken,blocked") == {"broken", "blocked"}
    assert parse_fail_on(" Broken , NOT-FOUND ") == {"broken", "not-found"}
    assert parse_fail_on("none") == frozenset()
    assert parse_fail_on(",".join(FailOn)) == {member.value for member in FailOn}


@pytest.mark.parametrize("text, bad", [("broken,gone", "'gone'"), ("ok", "'ok'"), ("", "empty")])
def test_parse_fail_on_names_the_bad_value_on_one_line(text: str, bad: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_fail_on(text)
    message = str(caught.value)
    assert bad in message and "\n" not in message
    assert "broken" in message  # lists what is allowed


def test_the_default_fails_on_broken_only() -> None:
    assert frozenset({"broken"}) == DEFAULT_FAIL_ON


def test_failing_lists_each_failing_citation_with_its_reason_in_document_order() -> None:
    failed = failing(sample_report(), DEFAULT_FAIL_ON)
    assert [(link.url, o.location.document, reason) for link, o, reason in failed] == [
        ("https://example.org/data?a=1&b=2|x", MD, "soft-404"),
        ("https://www.banxico.org.mx/remesas-2023.html", MD, "http-404"),
        ("https://example.org/data?a=1&b=2|x", PDF, "soft-404"),
    ]


def test_support_verdicts_fail_only_when_named() -> None:
    report = sample_report()
    reasons = {reason for _, _, reason in failing(report, frozenset({"not-found", "drifted"}))}
    assert reasons == {"not-found", "drifted"}
    quiet = {f.reason: f.level for f in findings(report, DEFAULT_FAIL_ON) if f.about == "support"}
    assert quiet == {"not-found": Level.WARNING, "drifted": Level.WARNING}


def test_levels_of_findings() -> None:
    levels = {(f.reason, f.level) for f in findings(sample_report(), frozenset({"broken"}))}
    assert ("redirected", Level.WARNING) in levels  # a status without a reason stands for itself
    assert ("fragment-missing", Level.NOTE) in levels  # ok with a reason: a note
    assert ("bot-challenge", Level.WARNING) in levels
    assert not any(reason == "unsupported-scheme" for reason, _ in levels)  # skipped is quiet


def test_a_broken_verdict_without_a_reason_gets_one_from_its_http_status() -> None:
    report = sample_report()
    link = dataclasses.replace(
        report.links[1], verdict=dataclasses.replace(report.links[1].verdict, reason=None)
    )
    report = dataclasses.replace(report, links=(link,), problems=())
    assert [reason for _, _, reason in failing(report, DEFAULT_FAIL_ON)] == ["http-404"]


def _report(*, problems: bool, failures: bool) -> Report:
    report = sample_report()
    if not failures:
        kept = tuple(
            link
            for link in report.links
            if link.verdict.status is not Status.BROKEN
            and not any(
                o.support and o.support.verdict is SupportVerdict.NOT_FOUND
                for o in link.occurrences
            )
        )
        report = dataclasses.replace(report, links=kept)
    if not problems:
        report = dataclasses.replace(report, problems=())
    return report


@pytest.mark.parametrize(
    "offline, problems, failures, expected",
    [
        (False, False, False, 0),
        (False, False, True, 1),
        (False, True, False, 2),
        (False, True, True, 2),  # an input error outranks failures
        (True, False, False, 3),
        (True, False, True, 3),  # offline outranks everything
        (True, True, False, 3),
        (True, True, True, 3),
    ],
)
def test_exit_code_matrix(offline: bool, problems: bool, failures: bool, expected: int) -> None:
    report = _report(problems=problems, failures=failures)
    code = exit_code(report, DEFAULT_FAIL_ON, offline=offline)
    assert code == expected
    assert code == ExitCode(expected)


def test_exit_code_follows_fail_on() -> None:
    report = _report(problems=False, failures=False)
    assert exit_code(report, DEFAULT_FAIL_ON, offline=False) == 0
    assert exit_code(report, frozenset({"blocked"}), offline=False) == 1
    assert exit_code(report, frozenset({"drifted"}), offline=False) == 1
    assert exit_code(sample_report(), frozenset(), offline=False) == 2  # "none", but a problem
    assert exit_code(_report(problems=False, failures=True), frozenset(), offline=False) == 0


def test_snapshot_date_and_document_path() -> None:
    assert snapshot_date("20230315000000") == "2023-03-15"
    assert snapshot_date("soon") == "soon"
    assert document_path("briefs/a.md") == "briefs/a.md"
    assert document_path("./briefs/../briefs/a.md") == "briefs/a.md"
    assert document_path("/srv/docs/a.md", root="/srv") == "docs/a.md"
    assert document_path("/elsewhere/a.md", root="/srv") == "/elsewhere/a.md"
    assert document_path("https://example.org/a.pdf") == "https://example.org/a.pdf"
    assert document_path("-") == "-"


@pytest.mark.parametrize(
    "fail_on", [frozenset(), DEFAULT_FAIL_ON, *(frozenset({member.value}) for member in FailOn)]
)
def test_fails_is_whether_anything_is_failing(fail_on: frozenset[str]) -> None:
    reports = [sample_report(), _report(problems=False, failures=False)]
    # A link cited nowhere has no finding, so it fails nothing.
    first = sample_report().links[1]
    reports.append(dataclasses.replace(sample_report(), links=(first,)))
    reports.append(
        dataclasses.replace(reports[-1], links=(dataclasses.replace(first, occurrences=()),))
    )
    outcomes = [fails(report, fail_on) for report in reports]
    assert outcomes == [bool(failing(report, fail_on)) for report in reports]
    if fail_on == DEFAULT_FAIL_ON:
        assert outcomes == [True, False, True, False]
