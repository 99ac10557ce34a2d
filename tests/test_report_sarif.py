"""SARIF 2.1.0: valid against the OASIS schema, and shaped the way GitHub code scanning reads it."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from test_report_sample import MD, PDF, sample_report

from linkcheck import __version__
from linkcheck.models import Report
from linkcheck.report.outcome import DEFAULT_FAIL_ON
from linkcheck.report.sarif import render_sarif

SCHEMA_PATH = Path(__file__).parent / "schemas" / "sarif-schema-2.1.0.json"


def _validate(log: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA_PATH.read_text("utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


def _sarif(report: Report | None = None, **options: Any) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(render_sarif(report or sample_report(), **options))
    return result


def test_the_sample_is_valid_sarif_2_1_0() -> None:
    log = _sarif()
    _validate(log)
    assert log["version"] == "2.1.0"
    assert len(log["runs"]) == 1


def test_an_empty_report_is_valid_sarif() -> None:
    empty = dataclasses.replace(sample_report(), documents=(), links=(), claims=(), problems=())
    log = _sarif(empty)
    _validate(log)
    assert log["runs"][0]["results"] == []
    assert log["runs"][0]["tool"]["driver"]["rules"] == []


def test_the_driver_names_the_tool_and_one_rule_per_reason() -> None:
    driver = _sarif()["runs"][0]["tool"]["driver"]
    assert driver["name"] == "linkcheck"
    assert driver["version"] == __version__
    assert driver["informationUri"].startswith("https://")
    ids = [rule["id"] for rule in driver["rules"]]
    assert ids == sorted(
        [
            "soft-404",
            "not-found",
            "http-404",
            "fragment-missing",
            "redirected",
            "bot-challenge",
            "drifted",
            "dns",
        ]
    )
    for rule in driver["rules"]:
        assert rule["shortDescription"]["text"]
        assert rule["helpUri"].endswith("REPORTS.md#reason-codes")
        assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")


def test_results_levels_follow_fail_on() -> None:
    results = _sarif()["runs"][0]["results"]
    levels = {(r["ruleId"], r["level"]) for r in results}
    assert ("http-404", "error") in levels
    assert ("soft-404", "error") in levels
    assert ("redirected", "warning") in levels
    assert ("not-found", "warning") in levels
    assert ("fragment-missing", "note") in levels
    # ok and skipped links have no result at all
    urls = {r["properties"]["url"] for r in results}
    assert "https://www.census.gov/foreign-trade/balance/c2010.html" not in urls
    assert "mailto:press@example.org" not in urls
    stricter = _sarif(fail_on=frozenset({"broken", "not-found", "blocked"}))["runs"][0]["results"]
    assert {(r["ruleId"], r["level"]) for r in stricter} >= {
        ("not-found", "error"),
        ("bot-challenge", "error"),
    }


def test_rule_index_points_at_the_rule() -> None:
    run = _sarif()["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_locations_are_relative_with_a_region_only_when_the_line_is_known() -> None:
    results = _sarif()["runs"][0]["results"]
    by_doc: dict[str, list[dict[str, Any]]] = {}
    for result in results:
        physical = result["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        by_doc.setdefault(physical["artifactLocation"]["uri"], []).append(physical)
    assert set(by_doc) == {MD, PDF}
    for physical in by_doc[MD]:
        assert physical["region"]["startLine"] >= 1
        assert physical["region"]["startColumn"] >= 1
    for physical in by_doc[PDF]:
        assert "region" not in physical  # PDF links are placed by page, not line


def test_the_message_carries_url_status_claim_and_archived_copy() -> None:
    results = _sarif()["runs"][0]["results"]
    banxico = next(r for r in results if r["ruleId"] == "http-404")
    text = banxico["message"]["text"]
    assert "https://www.banxico.org.mx/remesas-2023.html" in text
    assert "Broken link (http-404)" in text
    assert "Remittances to Mexico" in text
    assert "https://web.archive.org/web/20230315000000/" in text
    assert banxico["properties"]["archiveUrl"].startswith("https://web.archive.org/")


def test_fingerprints_are_stable_and_distinct() -> None:
    first = _sarif()["runs"][0]["results"]
    second = _sarif()["runs"][0]["results"]
    prints = [r["partialFingerprints"]["linkcheck/v1"] for r in first]
    assert prints == [r["partialFingerprints"]["linkcheck/v1"] for r in second]
    pairs = [(r["ruleId"], p) for r, p in zip(first, prints, strict=True)]
    assert len(set(pairs)) == len(pairs)
    # The same URL in the same document hashes the same whatever its line.
    moved = sample_report()
    soft = moved.links[7]
    occurrence = dataclasses.replace(
        soft.occurrences[0],
        location=dataclasses.replace(soft.occurrences[0].location, line=99),
    )
    links = list(moved.links)
    links[7] = dataclasses.replace(soft, occurrences=(occurrence, soft.occurrences[1]))
    after = _sarif(dataclasses.replace(moved, links=tuple(links)))["runs"][0]["results"]

    def soft_prints(results: list[dict[str, Any]]) -> set[str]:
        return {
            r["partialFingerprints"]["linkcheck/v1"] for r in results if r["ruleId"] == "soft-404"
        }

    assert soft_prints(first) == soft_prints(after)


def test_paths_are_made_relative_to_root(tmp_path: Path) -> None:
    inside = tmp_path / "docs" / "brief.md"
    report = sample_report()
    link = report.links[1]
    occurrence = dataclasses.replace(
        link.occurrences[0],
        location=dataclasses.replace(link.occurrences[0].location, document=str(inside)),
    )
    report = dataclasses.replace(
        report, links=(dataclasses.replace(link, occurrences=(occurrence,)),), problems=()
    )
    (result,) = _sarif(report, root=str(tmp_path))["runs"][0]["results"]
    artifact = result["locations"][0]["physicalLocation"]["artifactLocation"]
    assert artifact == {"uri": "docs/brief.md", "uriBaseId": "%SRCROOT%"}
    (outside,) = _sarif(report, root=str(tmp_path / "other"))["runs"][0]["results"]
    artifact = outside["locations"][0]["physicalLocation"]["artifactLocation"]
    assert artifact["uri"].startswith("file:///") and "uriBaseId" not in artifact


def test_unreadable_documents_are_tool_notifications() -> None:
    run = _sarif()["runs"][0]
    (notification,) = run["invocations"][0]["toolExecutionNotifications"]
    assert notification["level"] == "error"
    assert notification["descriptor"]["id"] == "missing"


@pytest.mark.parametrize("fail_on", [DEFAULT_FAIL_ON, frozenset()])
def test_valid_whatever_fails(fail_on: frozenset[str]) -> None:
    _validate(_sarif(fail_on=fail_on))
