"""GitHub Actions workflow commands: one annotation per finding, escaped by GitHub's rules."""

from __future__ import annotations

import dataclasses
import re

from test_report_sample import MISSING, sample_report

from linkcheck.report.github import command, escape_data, escape_property, render_github

COMMAND = re.compile(r"^::(error|warning|notice)( [^:]*)?::(.*)$")


def test_escaping_follows_githubs_rules() -> None:
    assert escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    line = command("error", "m", file="x,y.md", line=None, title="t")
    assert line == "::error file=x%2Cy.md,title=t::m"
    assert command("notice", "plain") == "::notice::plain"


def test_one_line_per_finding_then_unreadable_documents() -> None:
    lines = render_github(sample_report()).splitlines()
    assert all(COMMAND.match(line) for line in lines)
    kinds = [COMMAND.match(line).group(1) for line in lines]  # type: ignore[union-attr]
    assert kinds.count("error") == 4  # three broken citations and the missing document
    assert kinds.count("warning") == 5
    assert kinds.count("notice") == 1
    assert lines[-1] == f"::error file={MISSING},title=missing::{MISSING}: no such file"


def test_an_annotation_points_at_file_line_and_column() -> None:
    lines = render_github(sample_report()).splitlines()
    banxico = next(line for line in lines if "banxico" in line)
    assert banxico.startswith("::error file=briefs/us-mexico.md,line=5,col=1,title=http-404::")
    assert "Remittances to Mexico" in banxico
    assert "Archived copy (2023-03-15): https://web.archive.org/" in banxico


def test_a_pdf_annotation_has_no_line_and_names_its_page() -> None:
    lines = render_github(sample_report()).splitlines()
    dns = next(line for line in lines if "title=dns" in line)
    assert dns.startswith("::warning file=briefs/trade.pdf,title=dns::page 3: ")


def test_newlines_and_percent_in_messages_are_encoded() -> None:
    report = sample_report()
    link = report.links[1]
    verdict = dataclasses.replace(link.verdict, detail="50% of\nthe page")
    report = dataclasses.replace(
        report, links=(dataclasses.replace(link, verdict=verdict),), problems=()
    )
    (line,) = render_github(report).splitlines()
    assert "50%25 of the page" in line  # details are quoted on one line, % encoded


def test_a_clean_report_prints_nothing() -> None:
    report = dataclasses.replace(sample_report(), links=(), problems=())
    assert render_github(report) == ""
