"""Support: the main text of a fetched page (HTML without chrome, PDF, plain text)."""

from __future__ import annotations

import unicodedata

from fpdf import FPDF
from hypothesis import given, settings
from hypothesis import strategies as st

from linkcheck.support import page_text
from linkcheck.support.text import _is_text

ARTICLE = (
    "Provisional data show about 106,000 drug overdose deaths in 2021. "
    "Over 70,000 of those deaths involved synthetic opioids, mainly fentanyl."
)


def html_page(main: str, chrome: str = "") -> bytes:
    return f"""<!doctype html><html><head><title>T</title>
    <script>var figure = "999,999";</script><style>p {{ color: red }}</style></head>
    <body>{chrome}<main><h1>Overdose deaths</h1><p>{main}</p></main></body></html>""".encode()


def make_pdf(*paragraphs: str) -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    for paragraph in paragraphs:
        pdf.multi_cell(0, 6, paragraph)
        pdf.ln(4)
    return bytes(pdf.output())


def test_html_main_text_without_scripts_or_chrome() -> None:
    chrome = (
        "<header><a href='/'>Site</a></header>"
        "<nav><ul><li>Home</li><li>Data: 123,456 visits</li></ul></nav>"
        "<div class='cookie-banner'>We use cookies</div>"
        "<aside>Related: 555 stories</aside>"
    )
    text = page_text(html_page(ARTICLE, chrome), "text/html; charset=utf-8", "utf-8")
    assert text is not None
    assert "106,000 drug overdose deaths" in text
    assert "Overdose deaths" in text  # the headline inside <main>
    for chrome_text in ("999,999", "color", "123,456", "cookies", "555", "Site"):
        assert chrome_text not in text


def test_paragraphs_are_separated_and_inline_markup_joined() -> None:
    body = (
        b"<html><body><p>About <b>106,000</b> deaths.</p><p>Second <i>para</i>.</p></body></html>"
    )
    assert page_text(body, "text/html", None) == "About 106,000 deaths.\n\nSecond para."


def test_class_and_role_chrome_is_dropped_but_a_page_wrapper_is_kept() -> None:
    # ASP.NET wraps the whole page in a <form>; a wrapper class may say "sidebar".
    body = (
        "<html><body><form id='form1'><div class='layout-with-sidebar'>"
        "<div id='mainNav'>Menu 1,234</div><div role='navigation'>Go 4,321</div>"
        "<div class='share-buttons'>Share 42,000</div><div class='comments'>Me: 7,777</div>"
        f"<div class='content'><p>{ARTICLE}</p><p>{ARTICLE}</p></div>"
        "</div></form></body></html>"
    ).encode()
    text = page_text(body, "text/html", None)
    assert text is not None
    assert "106,000" in text
    for chrome_text in ("1,234", "4,321", "42,000", "7,777"):
        assert chrome_text not in text


def test_article_is_preferred_over_surrounding_text() -> None:
    body = (
        "<html><body><div>Latest: 8,888 readers online</div>"
        f"<article><p>{ARTICLE}</p></article><div>Trending 3,333</div></body></html>"
    ).encode()
    text = page_text(body, "text/html", None)
    assert text is not None and "106,000" in text
    assert "8,888" not in text and "3,333" not in text


def test_spanish_page_in_latin1_and_in_meta_charset() -> None:
    sentence = "Los cárteles controlan entre 30 y 35 por ciento del territorio mexicano."
    html = f"<html><head><meta charset='iso-8859-1'></head><body><p>{sentence}</p></body></html>"
    assert page_text(html.encode("latin-1"), "text/html", None) == sentence
    assert page_text(html.encode("latin-1"), "text/html", "iso-8859-1") == sentence


def test_plain_text_is_taken_as_is() -> None:
    assert page_text(b"Line one.\r\nLine two.", "text/plain; charset=utf-8", None) == (
        "Line one.\nLine two."
    )


def test_other_types_and_binary_junk_give_none() -> None:
    assert page_text(b"\x89PNG\r\n\x1a\n\x00\x00\x00", "image/png", None) is None
    assert page_text(b'{"a": 1}', "application/json", None) is None
    assert page_text(bytes(range(256)) * 4, None, None) is None
    assert page_text(b"%PDF-1.4 broken", "application/pdf", None) is None


def _is_text_by_category(text: str) -> bool:
    """The rule as Unicode states it: control characters (Cc) but tab, line feed, form feed
    and carriage return, and replacement marks, at most 2 % of the first 64 KB."""
    sample = text[:65536]
    bad = sum(
        1
        for char in sample
        if char == "\ufffd" or (unicodedata.category(char) == "Cc" and char not in "\t\n\r\f")
    )
    return not text or bad <= 0.02 * len(sample)


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(
            [chr(c) for c in range(0x00, 0xA2)] + ["\ufffd", "\u2028", "é", "\U0001f600"]
        ),
        max_size=300,
    ),
    st.integers(min_value=0, max_value=400),
)
def test_text_and_binary_are_told_apart_by_unicode_categories(text: str, padding: int) -> None:
    padded = "a" * padding + text  # around the 2 % line as well as far from it
    assert _is_text(padded) == _is_text_by_category(padded)


def test_untyped_html_is_sniffed() -> None:
    body = b"<!DOCTYPE html><html><body><p>Sniffed 7,500 a day.</p></body></html>"
    assert page_text(body, None, None) == "Sniffed 7,500 a day."


def test_pdf_text_of_all_pages() -> None:
    pdf = FPDF()
    for words in ("First page says 106,000 deaths.", "Second page says 70,000 opioids."):
        pdf.add_page()
        pdf.set_font("Helvetica", size=12)
        pdf.multi_cell(0, 8, words)
    text = page_text(bytes(pdf.output()), "application/pdf", None)
    assert text is not None
    assert "106,000" in text and "70,000" in text


def test_pdf_is_sniffed_without_a_type() -> None:
    text = page_text(make_pdf(ARTICLE), "application/octet-stream", None)
    assert text is not None and "synthetic opioids" in " ".join(text.split())


@settings(max_examples=150, deadline=None)
@given(
    body=st.binary(max_size=2000),
    content_type=st.sampled_from(
        [None, "text/html", "text/plain", "application/pdf", "application/octet-stream"]
    ),
    charset=st.sampled_from([None, "utf-8", "latin-1", "no-such-codec", "utf-16"]),
)
def test_page_text_never_raises(body: bytes, content_type: str | None, charset: str | None) -> None:
    result = page_text(body, content_type, charset)
    assert result is None or isinstance(result, str)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=500))
def test_page_text_never_raises_on_markup_like_text(markup: str) -> None:
    body = f"<html><body><main>{markup}</main><nav>{markup}</nav></body></html>".encode()
    result = page_text(body, "text/html", "utf-8")
    assert result is None or isinstance(result, str)


def test_a_long_pdf_is_read_only_as_far_as_the_caller_keeps() -> None:
    pdf = FPDF()
    for number in range(1, 9):
        pdf.add_page()
        pdf.set_font("Helvetica", size=12)
        pdf.multi_cell(0, 8, f"Page {number} says {number * 1000:,} deaths. " * 20)
    body = bytes(pdf.output())
    whole = page_text(body, "application/pdf", None)
    assert whole is not None and "Page 8 says" in whole
    enough = len(whole) // 4
    head = page_text(body, "application/pdf", None, enough=enough)
    assert head is not None and "Page 8 says" not in head  # the last pages were not read
    assert len(head) >= enough and head[:enough] == whole[:enough]
