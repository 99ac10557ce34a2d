"""The HTML report as text: standalone, escaped, and complete (the browser test checks the DOM)."""

from __future__ import annotations

import dataclasses
import re
from html.parser import HTMLParser

from test_report_sample import MD, PDF, XSS_TITLE, sample_report

from linkcheck.models import Status
from linkcheck.report.html import render_html


class _Collector(HTMLParser):
    """Tags and attributes, to assert on structure without a browser."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)


def _parse(text: str) -> _Collector:
    collector = _Collector()
    collector.feed(text)
    return collector


def test_page_text_is_escaped() -> None:
    text = render_html(sample_report())
    assert XSS_TITLE not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "&lt;per Article 34.7&gt; &amp; *must* happen" in text
    # Exactly one script: ours.
    assert len([tag for tag, _ in _parse(text).tags if tag == "script"]) == 1


def test_only_http_urls_become_links() -> None:
    tags = _parse(render_html(sample_report())).tags
    hrefs = [attrs["href"] for tag, attrs in tags if tag == "a"]
    assert hrefs and all(href and href.startswith(("http://", "https://")) for href in hrefs)
    assert "javascript:alert(document.cookie)" in render_html(sample_report())  # shown as text


def test_the_file_stands_alone() -> None:
    text = render_html(sample_report())
    tags = _parse(text).tags
    assert not [attrs for tag, attrs in tags if tag in ("link", "img", "iframe")]
    assert all("src" not in attrs for _, attrs in tags)
    csp = next(
        attrs["content"] or ""
        for tag, attrs in tags
        if tag == "meta" and attrs.get("http-equiv") == "Content-Security-Policy"
    )
    assert "default-src 'none'" in csp
    assert re.search(r"script-src 'sha256-[A-Za-z0-9+/=]+'", csp)


def test_every_citation_is_a_row_with_its_status() -> None:
    report = sample_report()
    tags = _parse(render_html(report)).tags
    rows = [attrs["data-status"] for tag, attrs in tags if tag == "li" and "data-status" in attrs]
    expected = sorted(str(link.verdict.status) for link in report.links for _ in link.occurrences)
    assert sorted(row or "" for row in rows) == expected
    counts = {
        attrs["data-count-status"]: None for tag, attrs in tags if "data-count-status" in attrs
    }
    assert set(counts) == {str(status) for status in Status}


def test_documents_claims_and_links_without_a_claim_in_document_order() -> None:
    text = render_html(sample_report())
    assert text.index(f'data-document="{MD}"') < text.index(f'data-document="{PDF}"')
    md = text[text.index(f'data-document="{MD}"') : text.index(f'data-document="{PDF}"')]
    assert md.index("largest trading partner") < md.index("Remittances") < md.index("USMCA |")
    assert md.index("USMCA |") < md.index("Links without a claim") < md.index("mailto:press")
    pdf = text[text.index(f'data-document="{PDF}"') :]
    assert "Links without a claim" in pdf and "data.no-such-host.invalid" in pdf


def test_redirects_archives_evidence_and_weak_matches_are_shown() -> None:
    text = render_html(sample_report())
    assert "new address" in text
    assert "https://ustr.gov/trade-agreements/free-trade-agreements/usmca" in text
    assert "lands on" in text and "https://example.org/404.html" in text
    assert "Archived copy (wayback, <time>2023-03-15</time>)" in text
    assert 'class="badge v-supported"' in text and "✓ $798 billion" in text
    assert 'class="badge v-not-found"' in text and "✗ 2023" in text
    assert "The archived copy said:" in text and "similarity 0.42" in text
    assert "weak match" in text and "cited-for-different-claims" in text
    assert "briefs/missing.docx: no such file" in text


def test_an_empty_report_renders() -> None:
    report = dataclasses.replace(sample_report(), documents=(), links=(), claims=(), problems=())
    text = render_html(report)
    assert 'data-total="0"' in text
    assert 'data-summary="links">0<' in text
