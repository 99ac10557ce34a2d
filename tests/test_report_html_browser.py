"""The HTML report in a real browser: headless Chromium loads it from file:// with no network.

No browser driver is needed: `--dump-dom` prints the DOM after the page's scripts ran (the
filter state comes from the URL hash, #filter=broken), a test script appended to a copy of the
page clicks the filters, and `--screenshot` saves a PNG. Skipped when Chromium is not installed
(CI's .ci/run installs Debian's `chromium`).
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import subprocess
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest
from test_report_sample import XSS_TITLE, sample_report

from linkcheck.report.html import render_html

TIMEOUT = 120  # seconds for one Chromium run: a cold start on a busy CI machine takes a few


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("Chromium is not installed (apt-get install chromium); CI installs it")


def _run(browser: str, profile: Path, *args: str) -> str:
    command = [
        browser,
        "--headless",
        "--no-sandbox",  # CI runs as root
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--no-first-run",
        "--no-default-browser-check",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        *args,
    ]
    env = {**os.environ, "HOME": str(profile)}  # keeps Chromium's caches out of the real home
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=TIMEOUT, env=env, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


class _Dom(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.texts: dict[str, str] = {}  # id or data-count-status → text
        self._pending: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.elements.append((tag, attributes))
        key = attributes.get("data-count-status") or attributes.get("id")
        self._pending = key if tag in ("span", "output") else None

    def handle_data(self, data: str) -> None:
        if self._pending is not None:
            self.texts[self._pending] = data.strip()
            self._pending = None

    def rows(self) -> list[dict[str, str | None]]:
        return [a for t, a in self.elements if t == "li" and "data-status" in a]

    def visible(self) -> Counter[str]:
        return Counter(a["data-status"] or "" for a in self.rows() if "hidden" not in a)

    def body(self) -> dict[str, str | None]:
        return next(a for t, a in self.elements if t == "body")


def _dom(text: str) -> _Dom:
    dom = _Dom()
    dom.feed(text)
    return dom


@pytest.fixture
def browser() -> str:
    return _chromium()


@pytest.fixture
def page(tmp_path: Path) -> Path:
    path = tmp_path / "report.html"
    path.write_text(render_html(sample_report()), encoding="utf-8")
    return path


def _citations_by_status() -> Counter[str]:
    return Counter(
        str(link.verdict.status) for link in sample_report().links for _ in link.occurrences
    )


def test_the_page_shows_every_citation_and_the_counts(
    browser: str, page: Path, tmp_path: Path
) -> None:
    dom = _dom(_run(browser, tmp_path / "profile", "--dump-dom", page.as_uri()))
    links = Counter(str(link.verdict.status) for link in sample_report().links)
    assert {status: int(dom.texts[status]) for status in links} == dict(links)
    assert dom.visible() == _citations_by_status()
    assert dom.texts["shown"] == "11"
    form = next(a for t, a in dom.elements if t == "form")
    assert "hidden" not in form  # the script ran (its CSP hash matched) and showed the filters
    assert not [a for t, a in dom.elements if t == "script" and a.get("src")]


def test_a_filter_in_the_url_hides_the_other_statuses(
    browser: str, page: Path, tmp_path: Path
) -> None:
    url = page.as_uri() + "#filter=broken"
    dom = _dom(_run(browser, tmp_path / "profile", "--dump-dom", url))
    assert dom.visible() == Counter({"broken": _citations_by_status()["broken"]})
    assert dom.texts["shown"] == "3"
    # Claims left without a visible row are hidden with them.
    hidden_claims = [a for t, a in dom.elements if t == "article" and "hidden" in a]
    assert hidden_claims


_CLICK_TEST = """
(function () {
  var boxes = document.querySelectorAll("input[data-filter]");
  for (var i = 0; i < boxes.length; i++) {
    if (boxes[i].value !== "broken") { boxes[i].click(); }
  }
  var visible = function () {
    return Array.prototype.slice.call(document.querySelectorAll(".row[data-status]"))
      .filter(function (row) { return !row.hidden; })
      .map(function (row) { return row.getAttribute("data-status"); }).join(" ");
  };
  document.body.setAttribute("data-after-click", visible());
  document.body.setAttribute("data-hash", location.hash);
  document.querySelector("button[data-preset='problems']").click();
  document.body.setAttribute("data-after-problems", visible());
  document.querySelector("button[data-preset='all']").click();
  document.body.setAttribute("data-after-all", visible());
}());
"""


def _with_test_script(html: str) -> str:
    """The page with _CLICK_TEST appended, its hash added to the page's CSP so it may run."""
    digest = base64.b64encode(hashlib.sha256(_CLICK_TEST.encode()).digest()).decode()
    html = html.replace("script-src '", f"script-src 'sha256-{digest}' '", 1)
    return html.replace("</body>", f"<script>{_CLICK_TEST}</script>\n</body>", 1)


def test_clicking_the_filters_hides_and_shows_rows(browser: str, tmp_path: Path) -> None:
    path = tmp_path / "clicked.html"
    path.write_text(_with_test_script(render_html(sample_report())), encoding="utf-8")
    body = _dom(_run(browser, tmp_path / "profile", "--dump-dom", path.as_uri())).body()
    assert (body["data-after-click"] or "").split() == ["broken"] * 3
    assert body["data-hash"] == "#filter=broken"
    problems = Counter((body["data-after-problems"] or "").split())
    assert problems == Counter({"broken": 3, "redirected": 1, "blocked": 1, "unreachable": 1})
    assert Counter((body["data-after-all"] or "").split()) == _citations_by_status()


def test_a_malicious_page_title_stays_text(browser: str, page: Path, tmp_path: Path) -> None:
    text = _run(browser, tmp_path / "profile", "--dump-dom", page.as_uri())
    assert XSS_TITLE not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_a_screenshot(browser: str, page: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    _run(
        browser,
        tmp_path / "profile",
        f"--screenshot={shot}",
        "--window-size=1280,2000",
        page.as_uri(),
    )
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) > 20_000  # a blank page is a few kilobytes; this one has text and badges
