"""The HTML extractor: anchors, footnote sections, bare URLs, metadata and the prose."""

from __future__ import annotations

import datetime as dt
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from linkcheck.extract.html import extract_html
from linkcheck.models import Extraction, OccurrenceKind, RawLink


def extract(text: str, base_url: str | None = None) -> Extraction:
    return extract_html(text, "page.html", base_url=base_url)


def only(extraction: Extraction, url: str) -> RawLink:
    found = [link for link in extraction.links if link.url == url]
    assert len(found) == 1, [link.url for link in extraction.links]
    return found[0]


def place(link: RawLink) -> tuple[int | None, int | None]:
    return link.location.line, link.location.column


def written_at(source: str, link: RawLink, written: str) -> None:
    line, column = place(link)
    assert line is not None and column is not None
    assert source.split("\n")[line - 1][column - 1 :].startswith(written), link


def assert_anchored(extraction: Extraction) -> None:
    text = extraction.pages[0].text
    for link in extraction.links:
        if link.text_offset is None:
            continue
        expected = link.anchor_text if link.kind is not OccurrenceKind.BARE else link.url
        assert expected is not None
        assert text[link.text_offset :].startswith(expected), (link, text)


def test_anchors_with_text_place_and_offset() -> None:
    source = (
        "<html><body>\n"
        "<h1>Brief</h1>\n"
        '<p>Deaths rose, per <a href="https://cdc.gov/r">the\n'
        "   CDC   <b>report</b></a> in 2022.</p>\n"
        "<ul><li>One <a href='https://one.org'>one</a></li><li>Two</li></ul>\n"
        "</body></html>\n"
    )
    extraction = extract(source)
    link = only(extraction, "https://cdc.gov/r")
    assert link.kind is OccurrenceKind.INLINE
    assert link.anchor_text == "the CDC report"
    assert place(link) == (3, 21)
    written_at(source, link, '<a href="https://cdc.gov/r"')
    assert link.location.page == 1 and link.footnote is None
    page = extraction.pages[0]
    assert page.text == "Brief\nDeaths rose, per the CDC report in 2022.\nOne one\nTwo"
    assert page.line_map == (2, 3, 5, 5)
    assert place(only(extraction, "https://one.org")) == (5, 13)
    assert_anchored(extraction)


def test_area_links_use_alt_text() -> None:
    source = '<map name=m>\n  <area shape=rect href="https://area.org" alt="Region">\n</map>'
    link = only(extract(source), "https://area.org")
    assert link.kind is OccurrenceKind.INLINE
    assert (link.anchor_text, link.text_offset) == ("Region", None)
    assert place(link) == (2, 3)


def test_image_inside_anchor_gives_its_alt_as_anchor_text() -> None:
    extraction = extract('<p>Home: <a href="https://home.org"><img src="l.png" alt="Logo"></a></p>')
    link = only(extraction, "https://home.org")
    assert link.anchor_text == "Logo"
    assert_anchored(extraction)


def test_base_href_resolves_relative_links() -> None:
    source = (
        '<head><base href="https://example.org/reports/2023/"></head>\n'
        '<body><a href="data/t.csv">t</a> <a href="/root">r</a> <a href="#m">m</a></body>'
    )
    urls = [link.url for link in extract(source).links]
    assert urls == [
        "https://example.org/reports/2023/data/t.csv",
        "https://example.org/root",
        "https://example.org/reports/2023/#m",
    ]
    # A relative <base> is itself relative to the page's address.
    relative = source.replace("https://example.org/reports/2023/", "sub/")
    urls = [link.url for link in extract(relative, base_url="https://site.org/a/page.html").links]
    assert urls == [
        "https://site.org/a/sub/data/t.csv",
        "https://site.org/root",
        "https://site.org/a/sub/#m",
    ]


def test_base_url_argument_and_fragments() -> None:
    source = '<p><a href="x.pdf">x</a> <a href="#top">top</a> <a href="">self</a> <a>name</a></p>'
    assert [link.url for link in extract(source).links] == ["x.pdf"]
    urls = [link.url for link in extract(source, base_url="https://site.org/dir/p.html").links]
    assert urls == [
        "https://site.org/dir/x.pdf",
        "https://site.org/dir/p.html#top",
        "https://site.org/dir/p.html",
    ]


PANDOC = """<!DOCTYPE html>
<html><head><title>Notes</title></head><body>
<p>Deaths rose sharply.<a href="#fn1" class="footnote-ref" id="fnref1"
role="doc-noteref"><sup>1</sup></a> Prices fell.<a href="#fn2" class="footnote-ref"
id="fnref2" role="doc-noteref"><sup>2</sup></a></p>
<section id="footnotes" class="footnotes footnotes-end-of-document" role="doc-endnotes">
<hr />
<ol>
<li id="fn1"><p>CDC, <a href="https://cdc.gov/nchs">NCHS data</a>, https://bare.org/f.<a
href="#fnref1" class="footnote-back" role="doc-backlink">↩︎</a></p></li>
<li id="fn2"><p><a href="https://prices.org">Prices</a><a href="#fnref2"
class="footnote-back" role="doc-backlink">↩︎</a></p></li>
</ol>
</section>
</body></html>
"""


def test_pandoc_footnotes() -> None:
    for base_url in (None, "https://site.org/notes.html"):
        extraction = extract(PANDOC, base_url=base_url)
        # Markers and back-references are in-page jumps, never links to check.
        found = [(lk.url, lk.kind, lk.footnote, lk.anchor_text) for lk in extraction.links]
        assert found == [
            ("https://cdc.gov/nchs", OccurrenceKind.FOOTNOTE, "fn1", "NCHS data"),
            ("https://bare.org/f", OccurrenceKind.FOOTNOTE, "fn1", None),
            ("https://prices.org", OccurrenceKind.FOOTNOTE, "fn2", "Prices"),
        ]
        assert all(link.text_offset is None for link in extraction.links)
        page = extraction.pages[0]
        assert page.text == "Deaths rose sharply.1 Prices fell.2"
        assert [(ref.label, page.text[ref.offset :]) for ref in page.footnote_refs] == [
            ("fn1", "1 Prices fell.2"),
            ("fn2", "2"),
        ]
    links = extract(PANDOC).links
    assert place(links[0]) == (9, 22)
    written_at(PANDOC, links[0], '<a href="https://cdc.gov/nchs"')
    written_at(PANDOC, links[1], "https://bare.org/f")


def test_markdown_it_and_wikipedia_style_footnotes() -> None:
    source = (
        '<p>Claim one<sup class="footnote-ref"><a href="#fn1" id="fnref1">[1]</a></sup> and'
        ' two<sup id="cite_ref-2" class="reference"><a href="#cite_note-2">[2]</a></sup>.</p>\n'
        '<hr class="footnotes-sep">\n'
        '<section class="footnotes"><ol class="footnotes-list">\n'
        '<li id="fn1" class="footnote-item"><p><a href="https://one.org">One</a>'
        ' <a href="#fnref1" class="footnote-backref">↩︎</a></p></li>\n'
        "</ol></section>\n"
        '<ol class="references"><li id="cite_note-2"><a href="#cite_ref-2">^</a>'
        ' <a href="https://two.org">Two</a></li></ol>\n'
    )
    extraction = extract(source, base_url="https://site.org/")
    assert [(link.url, link.footnote) for link in extraction.links] == [
        ("https://one.org", "fn1"),
        ("https://two.org", "cite_note-2"),
    ]
    page = extraction.pages[0]
    assert page.text == "Claim one[1] and two[2]."
    assert [(ref.label, ref.offset) for ref in page.footnote_refs] == [
        ("fn1", 9),
        ("cite_note-2", 20),
    ]


def test_numbered_notes_without_ids() -> None:
    source = (
        "<p>First claim<sup>1</sup>, second<sup>2</sup>.</p>\n"
        '<div class="endnotes"><ol>\n'
        '<li>See <a href="https://first.org">first</a></li>\n'
        "<li>https://second.org</li>\n"
        "</ol></div>"
    )
    extraction = extract(source)
    assert [(link.url, link.kind, link.footnote) for link in extraction.links] == [
        ("https://first.org", OccurrenceKind.FOOTNOTE, "1"),
        ("https://second.org", OccurrenceKind.FOOTNOTE, "2"),
    ]
    page = extraction.pages[0]
    assert [(ref.label, page.text[ref.offset]) for ref in page.footnote_refs] == [
        ("1", "1"),
        ("2", "2"),
    ]
    assert place(extraction.links[1]) == (4, 5)


def test_note_targets_inside_items_and_paragraphs() -> None:
    source = (
        '<p>Claim<a href="#fn1"><sup>1</sup></a> and claim<sup><a href="#note-b">b</a></sup>.</p>\n'
        '<ol class="footnotes"><li><a name="fn1"></a>See <a href="https://one.org">one</a></li>'
        "</ol>\n"
        '<p id="note-b">b. See <a href="https://b.org">b</a> <a href="#fnref-b">back</a></p>'
    )
    extraction = extract(source)
    assert [(link.url, link.footnote) for link in extraction.links] == [
        ("https://one.org", "fn1"),
        ("https://b.org", "note-b"),
    ]
    assert [ref.label for ref in extraction.pages[0].footnote_refs] == ["fn1", "note-b"]
    assert extraction.pages[0].text == "Claim1 and claimb."


def test_script_style_and_head_are_ignored() -> None:
    source = (
        "<html><head><title>T</title>\n"
        '<link rel="stylesheet" href="https://cdn.org/s.css">\n'
        '<script src="https://cdn.org/a.js">var u = "https://script.org";</script>\n'
        "<style>body { background: url(https://style.org/bg.png) }</style></head>\n"
        "<body><p>Text https://visible.org</p>\n"
        '<noscript><a href="https://noscript.org">n</a></noscript>\n'
        '<template><a href="https://template.org">t</a></template>\n'
        "<!-- https://comment.org -->\n"
        "<script>document.write('<a href=\"https://inline-script.org\">x</a>')</script>\n"
        "</body></html>"
    )
    extraction = extract(source)
    assert [link.url for link in extraction.links] == ["https://visible.org"]
    assert extraction.pages[0].text == "Text https://visible.org"


def test_bare_urls_in_text_but_not_in_code() -> None:
    source = (
        "<p>See https://a.org/x, www.who.int/data; and (https://wiki.org/A_(b)).\n"
        "Query https://q.org/?a=1&amp;b=2 here.</p>\n"
        "<pre>curl https://pre.org</pre>\n"
        "<p>Use <code>https://code.org</code> now.</p>"
    )
    extraction = extract(source)
    assert [(link.url, link.kind) for link in extraction.links] == [
        ("https://a.org/x", OccurrenceKind.BARE),
        ("www.who.int/data", OccurrenceKind.BARE),
        ("https://wiki.org/A_(b)", OccurrenceKind.BARE),
        ("https://q.org/?a=1&b=2", OccurrenceKind.BARE),
    ]
    assert [place(link) for link in extraction.links] == [(1, 8), (1, 25), (1, 48), (2, 7)]
    text = extraction.pages[0].text
    assert "pre.org" not in text
    assert "Use https://code.org now." in text
    assert_anchored(extraction)


def test_unchecked_schemes_are_kept() -> None:
    source = (
        '<a href="mailto:a@b.org">mail</a><a href="tel:+1555">call</a>'
        '<a href="javascript:void(0)">js</a><a href="file:///etc/x">file</a>'
    )
    assert [link.url for link in extract(source).links] == [
        "mailto:a@b.org",
        "tel:+1555",
        "javascript:void(0)",
        "file:///etc/x",
    ]


def test_table_rows_are_lines() -> None:
    source = (
        "<table>\n<tr><th>Source</th><th>Link</th></tr>\n"
        '<tr><td>CDC</td><td><a href="https://cdc.gov">data</a></td></tr>\n</table>'
    )
    extraction = extract(source)
    assert extraction.pages[0].text == "Source | Link\nCDC | data"
    assert extraction.pages[0].line_map == (2, 3)
    assert_anchored(extraction)


def test_title_and_dates() -> None:
    head = '<html><head><title>  Policy\n Brief </title><meta property="og:title" content="OG">'
    published = '<meta property="article:published_time" content="2023-04-05T10:00:00Z">'
    extraction = extract(head + published)
    assert extraction.document.title == "Policy Brief"
    assert extraction.document.date == dt.date(2023, 4, 5)
    assert extraction.document.date_source == "html-meta"

    og = extract(
        '<meta property="og:title" content="From OG">'
        '<meta name="DC.date.issued" content="2021-02-03">'
    )
    assert og.document.title == "From OG"
    assert og.document.date == dt.date(2021, 2, 3)

    citation = extract('<meta name="citation_publication_date" content="2022/06/08">')
    assert citation.document.date == dt.date(2022, 6, 8)

    timed = extract(
        '<article><header><h1>H</h1><time datetime="2020-07-01">July</time></header>'
        '<p><time datetime="2019-01-01">later</time></p></article>'
    )
    assert timed.document.date == dt.date(2020, 7, 1)
    assert timed.document.date_source == "html-meta"

    bare = extract("<p>No metadata</p>")
    assert bare.document.title is None
    assert (bare.document.date, bare.document.date_source) == (None, None)


_TRAILING = re.compile(r"[.,;:!?)]$")


def _balanced(url: str) -> bool:
    return url.endswith(")") and url.count("(") >= url.count(")")


@settings(max_examples=150, deadline=None)
@given(
    st.one_of(
        st.text(),
        st.lists(
            st.sampled_from(
                [
                    "<a href='https://a.org/x'>",
                    "</a>",
                    "<p>",
                    "</p>",
                    "<sup>",
                    "1",
                    "<li id=fn1>",
                    "<section class=footnotes>",
                    "<a href='#fn1'>",
                    "<!",
                    "<![",
                    "<script>",
                    "&amp;",
                    "https://b.org/",
                    "www.c.org",
                    ".",
                    ")",
                    "(",
                    ",",
                    " ",
                    "\n",
                    "<base href=x>",
                    "<pre>",
                    "<br>",
                    "<td>",
                    "<img alt=z>",
                    "]",
                ]
            ),
            max_size=30,
        ).map("".join),
    )
)
def test_never_raises_and_bare_urls_are_trimmed(text: str) -> None:
    for base_url in (None, "https://site.org/p"):
        extraction = extract(text, base_url=base_url)
        page = extraction.pages[0]
        assert len(page.line_map) == page.text.count("\n") + 1 or not page.text
        for link in extraction.links:
            if link.kind is OccurrenceKind.BARE:
                assert not _TRAILING.search(link.url) or _balanced(link.url), link.url
                assert link.text_offset is not None
                assert page.text[link.text_offset :].startswith(link.url)
