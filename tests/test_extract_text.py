"""Plain text and PDF-to-text dumps: pages, pooled blocks, wrapped URLs, footnotes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linkcheck.errors import InputError
from linkcheck.extract.sources import Source, decode_text, detect_format, extract_source
from linkcheck.extract.text import extract_text
from linkcheck.models import Format, OccurrenceKind


def test_pooled_blocks_end_pages_and_keep_reading_order() -> None:
    text = (
        "First page sentence about overdose deaths.\n"
        "Another sentence.\n"
        "https://example.org/overdose-deaths\n"
        "https://example.org/other\n"
        "Second page starts here.\n"
        "https://example.org/second-a\n"
        "https://example.org/second-b\n"
    )
    extraction = extract_text(text, "doc.txt")
    assert [page.number for page in extraction.pages] == [1, 2]
    assert "Second page starts here." in extraction.pages[1].text
    assert "https://" not in extraction.pages[0].text
    assert [
        (link.url, link.kind, link.location.page, link.location.line) for link in extraction.links
    ] == [
        ("https://example.org/overdose-deaths", OccurrenceKind.POOLED, 1, 3),
        ("https://example.org/other", OccurrenceKind.POOLED, 1, 4),
        ("https://example.org/second-a", OccurrenceKind.POOLED, 2, 6),
        ("https://example.org/second-b", OccurrenceKind.POOLED, 2, 7),
    ]
    assert extraction.document.pages == 2


def test_a_single_url_on_its_own_line_is_bare_not_pooled() -> None:
    extraction = extract_text("Read this report:\nhttps://example.org/report\nThe end.\n", "d")
    [link] = extraction.links
    assert link.kind is OccurrenceKind.BARE
    assert (
        extraction.pages[0].text[link.text_offset or 0 :].startswith("https://example.org/report")
    )


def test_form_feeds_start_pages() -> None:
    extraction = extract_text("page one https://a.example/1\n\fpage two https://b.example/2\n", "d")
    assert [(link.url, link.location.page) for link in extraction.links] == [
        ("https://a.example/1", 1),
        ("https://b.example/2", 2),
    ]
    assert len(extraction.pages) == 2


def test_bare_urls_keep_line_column_and_offset() -> None:
    text = "Intro line.\nThe data (see https://example.org/data) is clear.\n"
    extraction = extract_text(text, "d")
    [link] = extraction.links
    assert link.url == "https://example.org/data"
    assert (link.location.line, link.location.column) == (2, 15)
    page = extraction.pages[0]
    assert page.text[link.text_offset or 0 :].startswith(link.url)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # broken after "/"
        (
            "Source: https://example.org/reports/\n2021/annual-report.pdf for details.\n",
            "https://example.org/reports/2021/annual-report.pdf",
        ),
        # broken after "-"
        (
            "Source: https://example.org/a-very-long-\nslug.html and more.\n",
            "https://example.org/a-very-long-slug.html",
        ),
        # broken after "_"
        ("See https://example.org/file_\nname.pdf today.\n", "https://example.org/file_name.pdf"),
    ],
)
def test_wrapped_urls_are_joined_back(text: str, expected: str) -> None:
    [link] = extract_text(text, "d").links
    assert link.url == expected


def test_url_wrapped_mid_token_in_a_full_line_is_joined() -> None:
    filler = "x" * 40
    text = (
        f"{filler} words words words words words\n"
        f"{filler} https://example.org/abcdefghijklmno\n"
        "pqrstu/index.html is where it is.\n"
    )
    [link] = extract_text(text, "d").links
    assert link.url == "https://example.org/abcdefghijklmnopqrstu/index.html"


def test_wrapped_url_inside_a_pooled_block_is_joined() -> None:
    text = (
        "A claim about things.\n"
        "https://example.org/first\n"
        "https://example.org/a/very/long/path/that/wraps/\n"
        "continued-here.html\n"
        "https://example.org/third\n"
    )
    links = extract_text(text, "d").links
    assert [link.url for link in links] == [
        "https://example.org/first",
        "https://example.org/a/very/long/path/that/wraps/continued-here.html",
        "https://example.org/third",
    ]
    assert {link.kind for link in links} == {OccurrenceKind.POOLED}


def test_numbered_footnote_definitions_tie_to_markers() -> None:
    text = (
        "Deaths reached 106,000 last year.1 Homicides rose too.2\n"
        "\n"
        "Notes\n"
        "1 CDC data, https://www.cdc.gov/deaths\n"
        "2 [2] https://example.org/homicides\n"
    )
    extraction = extract_text(text, "d")
    assert [(link.url, link.kind, link.footnote) for link in extraction.links] == [
        ("https://www.cdc.gov/deaths", OccurrenceKind.FOOTNOTE, "1"),
        ("https://example.org/homicides", OccurrenceKind.FOOTNOTE, "2"),
    ]
    page = extraction.pages[0]
    labels = {ref.label: page.text[: ref.offset] for ref in page.footnote_refs}
    assert labels["1"].endswith("last year.")
    assert labels["2"].endswith("rose too.")
    assert "106,000" in page.text and "Notes" in page.text
    assert "cdc.gov" not in page.text  # definitions are not prose


def test_a_numbered_list_with_one_link_stays_prose() -> None:
    extraction = extract_text("1. Read https://example.org/a first.\n2. Then stop.\n", "d")
    [link] = extraction.links
    assert link.kind is OccurrenceKind.BARE


def test_title_is_a_short_first_line_followed_by_a_blank_line() -> None:
    assert extract_text("Mexico Policy Brief\n\nBody text.\n", "d").document.title == (
        "Mexico Policy Brief"
    )
    assert extract_text("This is a sentence.\n\nBody.\n", "d").document.title is None


def test_date_written_in_text_becomes_the_document_date() -> None:
    source = Source("brief.txt", b"Policy Brief\n\nJune 8, 2022\n\nBody https://example.org/a\n")
    document = extract_source(source).document
    assert document.date is not None and document.date.isoformat() == "2022-06-08"
    assert document.date_source == "text"


def test_binary_junk_is_refused_with_a_clear_error() -> None:
    with pytest.raises(InputError) as caught:
        decode_text("junk.txt", bytes(range(256)) * 10)
    assert caught.value.code == "binary"
    assert "junk.txt" in caught.value.message


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("a.txt", b"%PDF-1.7\n...", Format.PDF),
        ("a", b"<!DOCTYPE html><html></html>", Format.HTML),
        ("notes", b"# Title\n\nSee [x](https://example.org).\n", Format.MARKDOWN),
        ("notes", b"Just words.\n", Format.TEXT),
        ("a.md", b"plain", Format.MARKDOWN),
        ("a.htm", b"plain", Format.HTML),
    ],
)
def test_detect_format_by_bytes_then_extension(name: str, data: bytes, expected: Format) -> None:
    assert detect_format(name, data) is expected


def test_a_url_ending_in_a_slash_does_not_swallow_the_next_note() -> None:
    text = (
        "Deaths rose.1 Budgets fell.2 " + "More prose words here. " * 4 + "\n"
        "1 WHO, https://www.who.int/\n"
        "2 ONS, https://www.ons.gov.uk/deaths\n"
    )
    links = extract_text(text, "d").links
    assert [(link.url, link.footnote) for link in links] == [
        ("https://www.who.int/", "1"),
        ("https://www.ons.gov.uk/deaths", "2"),
    ]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([
    "Some prose.", "", " ", "\f", "https://example.org/a-", "b/c.html", "1 https://x.org/n",
    "[2] www.example.com.", "(see https://e.org/p_(x))", "• A bullet.", "under-", "estimate",
]), max_size=40))  # fmt: skip
def test_text_extraction_never_crashes_and_never_ends_a_url_in_punctuation(
    lines: list[str],
) -> None:
    extraction = extract_text("\n".join(lines), "d")
    for link in extraction.links:
        assert link.url[-1] not in ".,;:!?"
        assert link.location.page is not None and link.location.page >= 1


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_text_extraction_of_arbitrary_text_never_crashes(text: str) -> None:
    extraction = extract_text(text, "d")
    claims_text = [page.text for page in extraction.pages]
    assert all(isinstance(t, str) for t in claims_text)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        (
            "notes.txt",
            b"See https://a.example/1 and https://b.example/2 (again https://a.example/1).",
        ),
        ("page.html", b"<p><a href='https://a.example/1'>one</a> https://b.example/2</p>"),
        ("brief.md", b"[one](https://a.example/1)\n\nhttps://b.example/2\n"),
    ],
)
def test_extract_source_tells_found_every_link_once(name: str, data: bytes) -> None:
    heard: list[str] = []
    extraction = extract_source(Source(name, data), found=heard.extend)
    assert heard == [raw.url for raw in extraction.links]
    assert {"https://a.example/1", "https://b.example/2"} <= set(heard)
