"""Every report format of the sample Report, compared with tests/golden/.

A change of output is a change of a documented format: look at the diff, then regenerate with
    UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_report_golden.py
The tool version is replaced by "<version>" so that a release does not touch the files.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from test_report_sample import sample_report

from linkcheck import __version__
from linkcheck.models import Link, Report, Status, Verdict
from linkcheck.report import json as json_module
from linkcheck.report.csv import render_csv
from linkcheck.report.github import render_github
from linkcheck.report.html import render_html
from linkcheck.report.json import JsonAhead, json_chunks, render_json, report_to_dict
from linkcheck.report.junit import render_junit
from linkcheck.report.markdown import render_markdown
from linkcheck.report.sarif import render_sarif

GOLDEN = Path(__file__).parent / "golden"


RENDERERS: dict[str, Callable[[Report], str]] = {
    "sample.json": render_json,
    "sample.sarif": render_sarif,
    "sample.junit.xml": render_junit,
    "sample.github.txt": render_github,
    "sample.md": render_markdown,
    "sample.csv": render_csv,
    "sample.html": render_html,
}


@pytest.mark.parametrize("name", sorted(RENDERERS))
def test_golden(name: str) -> None:
    assert "<version>" not in __version__
    # The version as a whole token only: "2.1.0" (SARIF's own version) must survive "1.0".
    version = re.compile(rf"(?<![\w.]){re.escape(__version__)}(?![\w.])")
    rendered = version.sub("<version>", RENDERERS[name](sample_report()))
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(rendered, encoding="utf-8", newline="")
    assert path.exists(), f"{path} is missing: run with UPDATE_GOLDEN=1 to create it"
    expected = path.read_text(encoding="utf-8")
    assert rendered == expected, f"{name} differs from {path}: see the module docstring"


def _unchecked(report: Report) -> Report:
    """The report as read from its documents: the same claims and occurrences, no verdicts."""
    links = tuple(
        dataclasses.replace(link, verdict=Verdict(Status.UNCHECKED), archive=None)
        for link in report.links
    )
    return dataclasses.replace(report, links=links)


def _ahead(unchecked: Report, checked: Report) -> JsonAhead:
    """What the CLI renders while the links are checked: the report as read, then each
    verdict as it arrives."""
    ahead = JsonAhead()
    ahead.assembled(unchecked)
    for link in checked.links:
        ahead.checked(link.url, link.verdict)
    return ahead


def test_json_rendered_partly_while_checking_is_the_same_report() -> None:
    checked = sample_report()
    ahead = _ahead(_unchecked(checked), checked)  # its occurrences, claims and verdicts
    assert ahead.prepared is not None and ahead.prepared.fits(checked)
    whole = "".join(json_chunks(checked, ahead))
    assert whole == render_json(checked)
    assert json.loads(whole) == report_to_dict(checked)
    # Flags from checking (the history rule, the store) and snapshots come after the checks.
    later = dataclasses.replace(
        checked,
        links=tuple(
            dataclasses.replace(link, unconfirmed=True, cached=True) for link in checked.links
        ),
    )
    assert any(link.archive is not None for link in later.links)
    assert "".join(json_chunks(later, ahead)) == render_json(later)


def test_lines_rendered_while_checking_are_written_as_they_are(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    checked = sample_report()
    half = len(checked.links) // 2
    ahead = JsonAhead()
    for link in checked.links[:half]:  # checked while the documents were still being read
        ahead.checked(link.url, link.verdict)
    ahead.assembled(_unchecked(checked))
    for link in checked.links[half:]:
        ahead.checked(link.url, link.verdict)
    expected = render_json(checked)
    rendered_at_the_end: list[str] = []
    link_line = json_module._link_line

    def counted(link: Link, *args: Any) -> Any:
        rendered_at_the_end.append(link.url)
        return link_line(link, *args)

    monkeypatch.setattr(json_module, "_link_line", counted)
    assert "".join(json_chunks(checked, ahead)) == expected
    # Only the links a later stage changed (a snapshot found) were rendered at the end.
    with_snapshot = [link.url for link in checked.links if link.archive is not None]
    assert with_snapshot and len(with_snapshot) < len(checked.links)
    assert rendered_at_the_end == with_snapshot


def test_verdicts_rendered_ahead_are_used_only_for_the_very_verdict_reported() -> None:
    checked = sample_report()
    ahead = _ahead(_unchecked(checked), checked)
    first = checked.links[0]
    # The run changed the verdict after the check (as a shard or the history rule may).
    changed = dataclasses.replace(first.verdict, detail="changed after the check")
    later = dataclasses.replace(
        checked, links=(dataclasses.replace(first, verdict=changed), *checked.links[1:])
    )
    assert "".join(json_chunks(later, ahead)) == render_json(later)
    assert "changed after the check" in render_json(later)


def test_parts_rendered_ahead_are_not_used_for_a_report_they_do_not_fit() -> None:
    checked = sample_report()
    ahead = _ahead(_unchecked(checked), checked)
    prepared = ahead.prepared
    assert prepared is not None
    # Claims judged after the parts were rendered: new occurrences, which they do not show.
    first = checked.links[0]
    occurrence = dataclasses.replace(first.occurrences[0], anchor_text="changed after")
    judged = dataclasses.replace(
        checked, links=(dataclasses.replace(first, occurrences=(occurrence,)), *checked.links[1:])
    )
    assert not prepared.fits(judged)
    assert "".join(json_chunks(judged, ahead)) == render_json(judged)
    assert "changed after" in render_json(judged)
    fewer = dataclasses.replace(checked, links=checked.links[1:])
    assert not prepared.fits(fewer)
    assert "".join(json_chunks(fewer, ahead)) == render_json(fewer)
