"""The Markdown summary: headline, counts, a table of problems that Markdown cannot break."""

from __future__ import annotations

import dataclasses

from test_report_sample import sample_report

from linkcheck.report.markdown import escape, link, render_markdown


def _table_rows(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("| ") and "---" not in line][1:]


def test_headline_counts_and_support() -> None:
    text = render_markdown(sample_report())
    lines = text.splitlines()
    assert lines[0] == "## linkcheck: 2 of 10 links fail"
    assert "**10 links** (11 citations) in **2 documents**" in text
    assert "❌ 2 broken" in text and "✅ 2 ok" in text and "⏭️ 2 skipped" in text
    assert "Claim support: 1 supported · 1 not-found · 1 drifted" in text
    assert "### Documents that could not be read" in text


def test_every_table_row_has_six_cells_despite_pipes_in_urls_and_claims() -> None:
    rows = _table_rows(render_markdown(sample_report()))
    assert len(rows) == 9  # one per finding
    for row in rows:
        # Unescaped pipes separate cells: 6 cells means 7 of them.
        assert row.replace("\\|", "").count("|") == 7, row
    usmca = next(row for row in rows if "ustr.gov" in row)
    assert "\\<per Article 34.7\\> \\& \\*must\\*" in usmca
    assert "→ [ustr.gov/trade-agreements/" in usmca


def test_archived_copy_is_linked() -> None:
    rows = _table_rows(render_markdown(sample_report()))
    banxico = next(row for row in rows if "banxico" in row)
    assert banxico.endswith(
        "[2023-03-15](https://web.archive.org/web/20230315000000/"
        "https://www.banxico.org.mx/remesas-2023.html) |"
    )


def test_links_are_only_made_for_http_urls() -> None:
    assert link("x", "javascript:alert(1)") == "x"
    assert link("a|b", "https://e.org/a b(c)|") == "[a\\|b](https://e.org/a%20b%28c%29%7C)"
    assert escape("a\nb  *c*") == "a b \\*c\\*"


def test_rows_are_capped() -> None:
    text = render_markdown(sample_report(), max_rows=3)
    assert len(_table_rows(text)) == 3
    assert "…and 6 more: see the full report." in text


def test_a_clean_report() -> None:
    report = sample_report()
    ok = tuple(
        link for link in report.links if link.verdict.status == "ok" and not link.verdict.reason
    )
    text = render_markdown(dataclasses.replace(report, links=ok, problems=()))
    assert text.startswith("## linkcheck: all links pass\n")
    assert "| Where |" not in text
