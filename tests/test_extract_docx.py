"""The DOCX extractor: hyperlinks, written URLs, tables, footnotes, endnotes, metadata, errors."""

from __future__ import annotations

import datetime as dt
import io
import sys
import zipfile

import pytest
from docbuilders import FieldLink, Link, NoteRef, Table, make_docx

from linkcheck.errors import InputError
from linkcheck.extract.docx import extract_docx
from linkcheck.models import Extraction, FootnoteRef, Format, OccurrenceKind, RawLink

WHO = "https://www.who.int/news-room/fact-sheets/detail/opioid-overdose"
ONS = "https://www.ons.gov.uk/peoplepopulationandcommunity/deaths"
DATA = "https://data.example.org/deaths.csv"


def at(extraction: Extraction, link: RawLink) -> str:
    """The page text from the link's text_offset on."""
    assert link.text_offset is not None
    return extraction.pages[0].text[link.text_offset :]


def test_hyperlink_with_its_run_text() -> None:
    extraction = extract_docx(
        make_docx(["Drug deaths", ["Deaths rose, says the ", Link("WHO fact sheet", WHO), "."]]),
        "report.docx",
    )
    (link,) = extraction.links
    assert link.url == WHO
    assert link.kind is OccurrenceKind.INLINE
    assert link.anchor_text == "WHO fact sheet"
    assert (link.location.document, link.location.page) == ("report.docx", 1)
    assert (link.location.line, link.location.column) == (2, 23)
    assert link.text_offset == len("Drug deaths\n") + 22
    assert at(extraction, link).startswith("WHO fact sheet.")


def test_page_text_is_the_paragraphs_in_order() -> None:
    extraction = extract_docx(
        make_docx(["Title", ["A ", Link("link", "https://example.org/"), " here."], "", "End."]),
        "paragraphs.docx",
    )
    (page,) = extraction.pages
    assert page.number == 1
    assert page.text == "Title\nA link here.\n\nEnd."
    assert page.line_map == (1, 2, 3, 4)
    assert extraction.document.pages == 1


def test_bare_url_in_a_paragraph() -> None:
    extraction = extract_docx(
        make_docx(["Intro.", f"The raw data is at {DATA}, updated weekly."]), "bare.docx"
    )
    (link,) = extraction.links
    assert link.url == DATA
    assert link.kind is OccurrenceKind.BARE
    assert (link.location.line, link.location.column) == (2, 20)
    assert at(extraction, link).startswith(DATA + ",")


def test_typed_url_that_word_made_a_hyperlink_is_one_occurrence() -> None:
    extraction = extract_docx(make_docx([["Source: ", Link(DATA, DATA), "."]]), "typed.docx")
    (link,) = extraction.links
    assert (link.url, link.kind, link.anchor_text) == (DATA, OccurrenceKind.INLINE, DATA)


def test_urls_in_table_cells_count_as_paragraphs_in_order() -> None:
    body = [
        "Sources:",
        Table([["Agency", "Link"], ["ONS", ONS], ["WHO", [Link("WHO site", WHO)]]]),
        f"After the table: {DATA}",
    ]
    extraction = extract_docx(make_docx(body), "table.docx")
    found = [
        (link.url, link.kind, link.location.line, link.location.column, link.anchor_text)
        for link in extraction.links
    ]
    # Paragraphs: 1 "Sources:", 2-7 the six cells row by row, 8 the one after the table.
    assert found == [
        (ONS, OccurrenceKind.BARE, 5, 1, None),
        (WHO, OccurrenceKind.INLINE, 7, 1, "WHO site"),
        (DATA, OccurrenceKind.BARE, 8, 18, None),
    ]
    assert extraction.pages[0].text.split("\n")[4:7] == [ONS, "WHO", "WHO site"]
    assert at(extraction, extraction.links[1]).startswith("WHO site")


def test_footnote_links_and_the_marker_in_the_body() -> None:
    body = [
        "Drug deaths",
        ["Deaths rose by a third", NoteRef(1), " in 2023. Most involved fentanyl", NoteRef(2), "."],
    ]
    footnotes = {
        1: [["National statistics, ", Link("ONS bulletin", ONS), "; raw data: ", DATA]],
        2: ["A note without any link."],
    }
    extraction = extract_docx(make_docx(body, footnotes=footnotes), "notes.docx")
    page = extraction.pages[0]
    assert page.text == "Drug deaths\nDeaths rose by a third in 2023. Most involved fentanyl."
    first = len("Drug deaths\nDeaths rose by a third")
    second = len("Drug deaths\nDeaths rose by a third in 2023. Most involved fentanyl")
    assert page.footnote_refs == (FootnoteRef("1", first), FootnoteRef("2", second))
    found = [(link.url, link.kind, link.footnote, link.anchor_text) for link in extraction.links]
    assert found == [
        (ONS, OccurrenceKind.FOOTNOTE, "1", "ONS bulletin"),
        (DATA, OccurrenceKind.FOOTNOTE, "1", None),
    ]
    for link in extraction.links:
        # Placed at the marker that cites them; they are not in the prose.
        assert (link.location.line, link.location.column) == (2, len("Deaths rose by a third") + 1)
        assert link.text_offset is None


def test_endnotes_have_their_own_labels() -> None:
    body = [["Budgets fell", NoteRef(1), " and staff left", NoteRef(1, endnote=True), "."]]
    extraction = extract_docx(
        make_docx(
            body,
            footnotes={1: [f"Footnote: {DATA}"]},
            endnotes={1: [["Endnote: ", Link("the audit", "https://audit.example/2023")]]},
        ),
        "endnotes.docx",
    )
    labels = [(link.url, link.footnote) for link in extraction.links]
    assert labels == [(DATA, "1"), ("https://audit.example/2023", "e1")]
    assert [ref.label for ref in extraction.pages[0].footnote_refs] == ["1", "e1"]


def test_typed_reference_list_keeps_its_labels_when_hyperlinked() -> None:
    prose = "Deaths rose [1] and budgets fell [2]. " + "The rest of the paragraph. " * 10
    body = [prose, ["[1] WHO, ", Link(WHO, WHO)], ["[2] ONS, ", Link(ONS, ONS)]]
    extraction = extract_docx(make_docx(body), "references.docx")
    found = [
        (link.url, link.kind, link.footnote, link.location.line, link.anchor_text)
        for link in extraction.links
    ]
    assert found == [
        (WHO, OccurrenceKind.FOOTNOTE, "1", 2, WHO),
        (ONS, OccurrenceKind.FOOTNOTE, "2", 3, ONS),
    ]
    page = extraction.pages[0]
    assert page.text == prose  # the reference list is not prose
    assert [(ref.label, ref.offset) for ref in page.footnote_refs] == [("1", 12), ("2", 33)]


def test_reference_after_a_url_ending_in_a_slash_is_not_swallowed() -> None:
    prose = "Deaths rose [1] and budgets fell [2]. " + "The rest of the paragraph. " * 10
    body = [prose, "[1] WHO, https://www.who.int/", "[2] ONS, https://www.ons.gov.uk/deaths"]
    extraction = extract_docx(make_docx(body), "slash.docx")
    assert [(link.url, link.footnote) for link in extraction.links] == [
        ("https://www.who.int/", "1"),
        ("https://www.ons.gov.uk/deaths", "2"),
    ]


def test_hyperlink_written_as_a_field() -> None:
    extraction = extract_docx(
        make_docx([["See the ", FieldLink("CDC report", "https://www.cdc.gov/report"), "."]]),
        "field.docx",
    )
    (link,) = extraction.links
    assert (link.url, link.kind, link.anchor_text) == (
        "https://www.cdc.gov/report",
        OccurrenceKind.INLINE,
        "CDC report",
    )
    assert extraction.pages[0].text == "See the CDC report."
    assert link.text_offset == len("See the ")


def test_non_http_hyperlink_is_kept() -> None:
    extraction = extract_docx(
        make_docx([["Write to ", Link("the press office", "mailto:press@example.org"), "."]]),
        "mail.docx",
    )
    (link,) = extraction.links
    assert (link.url, link.anchor_text) == ("mailto:press@example.org", "the press office")


def test_a_url_does_not_run_on_into_the_next_paragraph() -> None:
    extraction = extract_docx(make_docx(["Read https://example.org/", "Methods"]), "split.docx")
    (link,) = extraction.links
    assert link.url == "https://example.org/"
    assert extraction.pages[0].text == "Read https://example.org/\nMethods"


def test_metadata_title_and_date() -> None:
    data = make_docx(["Text."], title="Drug deaths in 2023", created=dt.datetime(2023, 6, 8, 9, 30))
    document = extract_docx(data, "meta.docx").document
    assert document.format is Format.DOCX
    assert document.source == "meta.docx"
    assert document.title == "Drug deaths in 2023"
    assert document.date == dt.date(2023, 6, 8)
    assert document.date_source == "docx-core"


def test_blank_title_is_none() -> None:
    # python-docx's template has an empty title (and a 2013 creation date).
    document = extract_docx(make_docx(["Text."]), "untitled.docx").document
    assert document.title is None


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _broken_document_xml() -> bytes:
    source = zipfile.ZipFile(io.BytesIO(make_docx(["Text."])))
    files = {name: source.read(name) for name in source.namelist()}
    files["word/document.xml"] = files["word/document.xml"][:200]
    return _zip(files)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"plain text, not a zip", id="not-a-zip"),
        pytest.param(make_docx(["Text."])[:300], id="truncated"),
        pytest.param(_zip({"hello.txt": b"hi"}), id="zip-without-document"),
        pytest.param(_broken_document_xml(), id="broken-xml"),
    ],
)
def test_corrupt_docx_is_an_input_error(data: bytes) -> None:
    with pytest.raises(InputError) as raised:
        extract_docx(data, "bad.docx")
    assert raised.value.code == "corrupt"
    assert raised.value.message.startswith("bad.docx: corrupt DOCX (")


def test_missing_python_docx_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "docx", None)  # makes `import docx` fail
    with pytest.raises(InputError) as raised:
        extract_docx(b"PK", "any.docx")
    assert raised.value.code == "missing-extra"
    assert raised.value.message == (
        "DOCX support needs the 'docx' extra: pip install 'linkcheck[docx]'"
    )
