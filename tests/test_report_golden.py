"""Every report format of the sample Report, compared with tests/golden/.

A change of output is a change of a documented format: look at the diff, then regenerate with
    UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_report_golden.py
The tool version is replaced by "<version>" so that a release does not touch the files.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from test_report_sample import sample_report

from linkcheck import __version__
from linkcheck.models import Report
from linkcheck.report.csv import render_csv
from linkcheck.report.github import render_github
from linkcheck.report.html import render_html
from linkcheck.report.json import render_json
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
