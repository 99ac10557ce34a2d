"""The PDF extractor: annotations and their anchor text, URLs written on pages, metadata, errors."""

from __future__ import annotations

import datetime as dt
import pickle
import sys

import pytest
from docbuilders import Area, Link, Marked, make_pdf, make_pdf_runs, set_pdf_metadata
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linkcheck.errors import InputError
from linkcheck.extract.pdf import PARALLEL_MIN_PAGES, _read_in_processes, extract_pdf
from linkcheck.models import Extraction, FootnoteRef, Format, OccurrenceKind, RawLink

WHO = "https://www.who.int/news-room/fact-sheets/detail/opioid-overdose"
ONS = (
    "https://www.ons.gov.uk/peoplepopulationandcommunity/"
    "birthsdeathsandmarriages/deaths/bulletins/2023"
)
DATA = "https://data.example.org/deaths.csv"


def only(links: tuple[RawLink, ...], url: str) -> RawLink:
    found = [link for link in links if link.url == url]
    assert len(found) == 1, found
    return found[0]


def anchored_text(extraction: Extraction, link: RawLink) -> str:
    """The page text at the link's text_offset, as long as its anchor text."""
    assert link.text_offset is not None and link.anchor_text is not None
    page = extraction.pages[(link.location.page or 1) - 1]
    return " ".join(page.text[link.text_offset :].split())[: len(link.anchor_text)]


def test_annotation_with_anchor_text_location_and_offset() -> None:
    line = ("Deaths rose by a third, says the ", Link("WHO fact sheet", WHO), " on opioids.")
    data = make_pdf([line])
    extraction = extract_pdf(data, "report.pdf")
    (link,) = extraction.links
    assert link.url == WHO
    assert link.kind is OccurrenceKind.ANNOTATION
    assert link.anchor_text == "WHO fact sheet"
    assert (link.location.document, link.location.page) == ("report.pdf", 1)
    assert (link.location.line, link.location.column) == (1, 34)
    assert link.text_offset == 33
    assert extraction.pages[0].text[33:47] == "WHO fact sheet"
    assert link.footnote is None


def test_anchor_is_cut_out_of_a_longer_run_of_text() -> None:
    # Producers write a whole line as one run: characters are placed by their glyph widths.
    line = "Spending rose sharply according to the Treasury budget review of 2023."
    link = Marked("https://treasury.example/review", [(0, "Treasury budget review")], quads=False)
    data = make_pdf_runs([line], [link])
    extraction = extract_pdf(data, "runs.pdf")
    (link,) = extraction.links
    assert link.anchor_text == "Treasury budget review"
    assert link.text_offset == line.index("Treasury")
    assert link.location.column == line.index("Treasury") + 1


def test_quad_points_give_the_anchor_of_a_link_over_two_lines() -> None:
    lines = ["The findings follow the National Audit", "Office report and the committee's notes."]
    data = make_pdf_runs(
        lines, [Marked("https://nao.example/report", [(0, "National Audit"), (1, "Office report")])]
    )
    extraction = extract_pdf(data, "quads.pdf")
    (link,) = extraction.links
    assert link.anchor_text == "National Audit Office report"
    assert (link.location.line, link.location.column) == (1, lines[0].index("National") + 1)
    assert anchored_text(extraction, link) == "National Audit Office report"


def test_link_text_wrapped_by_the_layout_is_one_occurrence() -> None:
    # fpdf2 wraps the long line and draws one annotation per line, as Word does.
    prose = "The committee heard evidence from many witnesses over several months and read "
    anchor = "the final report of the independent review panel"
    data = make_pdf([(prose, Link(anchor, "https://review.example/final"), " before deciding.")])
    extraction = extract_pdf(data, "wrapped.pdf")
    (link,) = extraction.links
    assert "\n" in extraction.pages[0].text  # the layout did wrap the line
    assert link.anchor_text == anchor
    assert anchored_text(extraction, link) == anchor


def test_annotation_over_its_written_url_is_one_occurrence() -> None:
    data = make_pdf([("Source: ", Link(DATA, DATA), " (accessed May 2024).")])
    extraction = extract_pdf(data, "visible.pdf")
    (link,) = extraction.links
    assert link.url == DATA
    assert link.kind is OccurrenceKind.ANNOTATION
    assert link.anchor_text == DATA
    assert link.text_offset == len("Source: ")


def test_written_url_under_an_annotation_is_its_visible_form() -> None:
    data = make_pdf([("Visit ", Link("www.who.int", "https://www.who.int/"), " for more.")])
    (link,) = extract_pdf(data, "www.pdf").links
    assert (link.url, link.kind, link.anchor_text) == (
        "https://www.who.int/",
        OccurrenceKind.ANNOTATION,
        "www.who.int",
    )


def test_two_annotations_with_one_url_on_a_page_stay_two() -> None:
    data = make_pdf([("See the ", Link("WHO", WHO), " report."), ("Full link: ", Link(WHO, WHO))])
    links = extract_pdf(data, "twice.pdf").links
    assert [(link.kind, link.anchor_text, link.location.line) for link in links] == [
        (OccurrenceKind.ANNOTATION, "WHO", 1),
        (OccurrenceKind.ANNOTATION, WHO, 2),
    ]


def test_annotation_and_same_url_in_endnotes_of_the_page_are_one_occurrence() -> None:
    data = make_pdf(
        [
            ("Deaths rose by a third.1 See the ", Link("WHO fact sheet", WHO), " for the causes."),
            "Most of the deaths involved fentanyl, often mixed with other drugs.2",
            # Shorter than the prose: text.py joins a "full" URL line with the next note's "2."
            f"1. Data, {DATA}",
            f"2. {WHO}",
        ]
    )
    extraction = extract_pdf(data, "notes.pdf")
    who = only(extraction.links, WHO)
    assert who.kind is OccurrenceKind.ANNOTATION
    assert who.anchor_text == "WHO fact sheet"
    assert who.location.line == 1
    assert who.footnote == "2"  # the endnote it merged with still ties it to its marker
    assert anchored_text(extraction, who) == "WHO fact sheet"


def test_same_url_on_another_page_is_a_separate_occurrence() -> None:
    data = make_pdf(
        [("Deaths rose, says the ", Link("WHO", WHO), "."), f"Data: {DATA}"],
        [f"The same data again: {DATA}", ("And the ", Link("WHO page", WHO), " again.")],
    )
    extraction = extract_pdf(data, "pages.pdf")
    found = sorted((link.location.page, link.url, link.kind) for link in extraction.links)
    assert found == [
        (1, DATA, OccurrenceKind.BARE),
        (1, WHO, OccurrenceKind.ANNOTATION),
        (2, DATA, OccurrenceKind.BARE),
        (2, WHO, OccurrenceKind.ANNOTATION),
    ]
    second = [link for link in extraction.links if link.location.page == 2]
    assert [(link.location.line, link.location.column) for link in second] == [(1, 22), (2, 9)]
    assert extraction.pages[1].text[second[0].text_offset or 0 :].startswith(DATA)


def test_wrapped_url_in_endnotes_is_joined_back_with_its_label() -> None:
    first, rest = ONS.split("community/")
    data = make_pdf(
        [
            "Deaths rose by a third.1",
            "Most involved fentanyl.2",
            f"1. National statistics, {first}community/",
            rest,
            f"2. Data, {DATA}",
        ]
    )
    extraction = extract_pdf(data, "endnotes.pdf")
    ons = only(extraction.links, ONS)
    assert ons.kind is OccurrenceKind.FOOTNOTE
    assert ons.footnote == "1"
    assert (ons.location.page, ons.location.line, ons.location.column) == (1, 3, 25)
    assert only(extraction.links, DATA).footnote == "2"
    page = extraction.pages[0]
    assert page.text == "Deaths rose by a third.1\nMost involved fentanyl.2"
    assert page.footnote_refs == (FootnoteRef("1", 23), FootnoteRef("2", 48))


def test_pages_are_numbered_and_lines_counted_within_each_page() -> None:
    data = make_pdf(
        ["Page one has no link."],
        ["Page two.", "See https://example.org/two for more."],
        ["Page three.", "It has two lines of prose", "and then https://example.org/three."],
    )
    extraction = extract_pdf(data, "three.pdf")
    assert extraction.document.pages == 3
    assert [page.number for page in extraction.pages] == [1, 2, 3]
    assert extraction.pages[0].text == "Page one has no link."
    assert [
        (link.url, link.location.page, link.location.line, link.location.column)
        for link in extraction.links
    ] == [
        ("https://example.org/two", 2, 2, 5),
        ("https://example.org/three", 3, 3, 10),
    ]


def test_non_http_annotation_is_kept() -> None:
    data = make_pdf([("Write to ", Link("the press office", "mailto:press@example.org"), ".")])
    (link,) = extract_pdf(data, "mail.pdf").links
    assert link.url == "mailto:press@example.org"
    assert link.kind is OccurrenceKind.ANNOTATION
    assert link.anchor_text == "the press office"


def test_annotation_over_blank_space_has_no_anchor() -> None:
    data = make_pdf([("A logo goes here:", Area("https://example.org/home"))])
    (link,) = extract_pdf(data, "logo.pdf").links
    assert link.url == "https://example.org/home"
    assert link.anchor_text is None
    assert link.text_offset is None
    assert (link.location.page, link.location.line) == (1, None)


def test_metadata_title_date_and_page_count() -> None:
    data = make_pdf(
        ["One."],
        ["Two."],
        title="Drug deaths in 2023",
        created=dt.datetime(2024, 3, 5, 10, 0, tzinfo=dt.UTC),
    )
    document = extract_pdf(data, "meta.pdf").document
    assert document.format is Format.PDF
    assert document.source == "meta.pdf"
    assert document.title == "Drug deaths in 2023"
    assert document.date == dt.date(2024, 3, 5)
    assert document.date_source == "pdf-metadata"
    assert document.pages == 2


def test_creation_date_is_preferred_and_mod_date_is_the_fallback() -> None:
    data = make_pdf(["Text."])
    both = set_pdf_metadata(data, {"/CreationDate": "D:20210101", "/ModDate": "D:20220301"})
    assert extract_pdf(both, "both.pdf").document.date == dt.date(2021, 1, 1)
    modified = set_pdf_metadata(data, {"/ModDate": "D:20220301093000+01'00'"})
    document = extract_pdf(modified, "mod.pdf").document
    assert (document.date, document.title) == (dt.date(2022, 3, 1), None)
    neither = set_pdf_metadata(data, {"/Producer": "test"})
    assert extract_pdf(neither, "none.pdf").document.date_source is None


def test_encrypted_pdf_with_a_user_password_is_refused() -> None:
    data = make_pdf(["Secret https://example.org/x"], owner_password="o", user_password="u")
    with pytest.raises(InputError) as raised:
        extract_pdf(data, "locked.pdf")
    assert raised.value.code == "encrypted"
    assert raised.value.message == "locked.pdf: encrypted PDF"


def test_encrypted_pdf_that_opens_with_an_empty_password_is_read() -> None:
    data = make_pdf(["Open https://example.org/x"], owner_password="owner-only")
    (link,) = extract_pdf(data, "restricted.pdf").links
    assert link.url == "https://example.org/x"


FIXTURE = make_pdf([("Deaths rose, says the ", Link("WHO", WHO), "."), f"Data: {DATA}"])


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"%PDF-1.7\nnot really a PDF", id="garbage"),
        pytest.param(FIXTURE[: len(FIXTURE) // 2], id="truncated"),
        pytest.param(b"PK\x03\x04 a zip file named .pdf", id="zip"),
    ],
)
def test_corrupt_pdf_is_an_input_error(data: bytes, caplog: pytest.LogCaptureFixture) -> None:
    with pytest.raises(InputError) as raised:
        extract_pdf(data, "bad.pdf")
    assert raised.value.code == "corrupt"
    assert raised.value.message.startswith("bad.pdf: corrupt PDF (")


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    cut=st.integers(min_value=0),
    flips=st.lists(st.tuples(st.integers(0), st.integers(0, 255)), max_size=4),
)
def test_damaged_bytes_give_an_extraction_or_an_input_error(
    cut: int, flips: list[tuple[int, int]], caplog: pytest.LogCaptureFixture
) -> None:
    data = bytearray(FIXTURE)
    for position, value in flips:
        data[position % len(data)] = value
    damaged = bytes(data[: len(data) - cut % len(data)])
    try:
        extraction = extract_pdf(damaged, "damaged.pdf")
    except InputError as error:
        assert error.code in {"corrupt", "encrypted"}
    else:
        assert len(extraction.pages) == extraction.document.pages >= 1


def test_missing_pypdf_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pypdf", None)  # makes `import pypdf` fail
    with pytest.raises(InputError) as raised:
        extract_pdf(b"%PDF-1.7", "any.pdf")
    assert raised.value.code == "missing-extra"
    assert raised.value.message == (
        "PDF support needs the 'pdf' extra: pip install 'linkcheck[pdf]'"
    )


def test_a_long_pdf_read_by_several_processes_gives_what_one_process_gives() -> None:
    pages = [
        [
            (f"Page {n} cites the ", Link(f"annual report {n}", f"https://ex.org/r/{n}"), "."),
            f"Data: https://data.example.org/table-{n}.csv",
        ]
        for n in range(1, PARALLEL_MIN_PAGES + 17)
    ]
    data = make_pdf(*pages)
    alone = extract_pdf(data, "long.pdf", processes=1)
    shared = extract_pdf(data, "long.pdf", processes=3)
    assert shared == alone
    # The worker processes really ran (extract_pdf would quietly read alone if they could not).
    assert _read_in_processes(data, "long.pdf", 2) == (list(alone.pages), list(alone.links))
    assert len(shared.pages) == shared.document.pages == len(pages)
    # In page order, each page's annotation and its written URL, tied to that page.
    assert [(link.url, link.location.page) for link in shared.links][-2:] == [
        (f"https://ex.org/r/{len(pages)}", len(pages)),
        (f"https://data.example.org/table-{len(pages)}.csv", len(pages)),
    ]
    assert len(shared.links) == 2 * len(pages)


def test_an_input_error_survives_the_trip_back_from_a_worker_process() -> None:
    error = pickle.loads(pickle.dumps(InputError("encrypted", "x.pdf: encrypted PDF")))
    assert (type(error), error.code, error.message) == (
        InputError,
        "encrypted",
        "x.pdf: encrypted PDF",
    )
