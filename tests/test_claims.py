"""Claims: sentence splitting, reflow, and tying links to the sentences they support."""

from __future__ import annotations

import pytest

from linkcheck.claims import claims_and_occurrences
from linkcheck.claims.lexical import url_tokens
from linkcheck.claims.segment import segment, split_sentences
from linkcheck.extract.text import extract_text
from linkcheck.models import MatchMethod, PageText


def sentences_of(text: str) -> list[str]:
    return [text[start:end] for start, end in split_sentences(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "The U.S. Southwest Border is busy. Numbers rose.",
            ["The U.S. Southwest Border is busy.", "Numbers rose."],
        ),
        (
            "Mr. Smith met Dr. Jones on Jan. 5. They talked.",
            ["Mr. Smith met Dr. Jones on Jan. 5.", "They talked."],
        ),
        ("Use tools, e.g. Python. Then test.", ["Use tools, e.g. Python.", "Then test."]),
        (
            "Deaths reached 106,000. Control is 30-35 percent. Rates fell 2.5 points.",
            ["Deaths reached 106,000.", "Control is 30-35 percent.", "Rates fell 2.5 points."],
        ),
        ('He said "It is over." Then he left.', ['He said "It is over."', "Then he left."]),
        ("Is it? Yes! Done.", ["Is it?", "Yes!", "Done."]),
        ("It rose.3 The next claim.", ["It rose.3", "The next claim."]),
        ("1. Secure the border. Then act.", ["1. Secure the border.", "Then act."]),
        (
            "the integrity of USMCA. If USMCA is seen",
            ["the integrity of USMCA.", "If USMCA is seen"],
        ),
    ],
)
def test_split_sentences(text: str, expected: list[str]) -> None:
    assert sentences_of(text) == expected


def test_double_spaced_dump_is_reflowed_with_hyphenation_mended() -> None:
    text = (
        "This is still likely an under-\n\nestimate of the territory lost to the\n\n"
        "U.S.-\n\nMexico cartels. Members of Congress—\n\nabout problems.\n\n \n\n"
        "• Bullet one is a unit\n\n• Bullet two too.\n"
    )
    extraction = extract_text(text, "d")
    claims = [s.claim.text for s in segment(extraction.pages, "d")]
    assert claims == [
        "This is still likely an underestimate of the territory lost to the U.S.-Mexico cartels.",
        "Members of Congress—about problems.",
        "Bullet one is a unit",
        "Bullet two too.",
    ]


def test_a_sentence_broken_by_a_pooled_block_is_joined_across_pages() -> None:
    text = (
        "States should send a signal to the cartels that the status quo\n"
        "https://example.org/a\n"
        "https://example.org/b\n"
        " is not acceptable. Next sentence here.\n"
    )
    extraction = extract_text(text, "d")
    sentences = segment(extraction.pages, "d")
    first = sentences[0]
    assert first.claim.text == (
        "States should send a signal to the cartels that the status quo is not acceptable."
    )
    assert first.claim.location.page == 1 and first.claim.end_page == 2
    assert first.on_page(1) and first.on_page(2)
    assert sentences[1].claim.location.page == 2


def test_claims_keep_source_line_and_column() -> None:
    text = "Title line\n\nFirst sentence. Second one\nwraps here.\n"
    sentences = segment(extract_text(text, "d").pages, "d")
    second = next(s for s in sentences if s.claim.text.startswith("Second"))
    assert (second.claim.location.line, second.claim.location.column) == (3, 17)


def test_bare_url_matches_the_sentence_around_it() -> None:
    text = "Intro sentence. The data is at https://example.org/data and it is clear. After.\n"
    _, occurrences = claims_and_occurrences(extract_text(text, "d"))
    [occurrence] = occurrences
    assert occurrence.claim is not None
    assert occurrence.claim.method is MatchMethod.ANCHOR
    assert occurrence.claim.claim.text.startswith("The data is at")
    assert occurrence.claim.confidence == 1.0


def test_footnote_links_match_the_sentence_carrying_the_marker() -> None:
    text = (
        "Deaths reached 106,000 last year.1 Homicides rose too.2\n\n"
        "1 https://www.cdc.gov/deaths\n"
        "2 https://example.org/homicides\n"
    )
    _, occurrences = claims_and_occurrences(extract_text(text, "d"))
    matched = [(o.claim.claim.text, o.claim.method) for o in occurrences if o.claim]
    assert matched == [
        ("Deaths reached 106,000 last year.1", MatchMethod.FOOTNOTE),
        ("Homicides rose too.2", MatchMethod.FOOTNOTE),
    ]


def test_url_tokens_split_host_path_case_and_percent_encoding() -> None:
    tokens = url_tokens(
        "https://www.api.org/-/media/Files/News/Letters-Comments/2021/API_Letter_USMCA%20_May_2021.pdf"
    )
    assert "api" in tokens and "usmca" in tokens and "letter" in tokens
    assert "pdf" not in tokens and "files" not in tokens
    assert url_tokens("https://example.org/2021/05/30/americas/a-b/index.html")[:2] == [
        "example",
        "2021",
    ]
    assert "camel" in url_tokens("https://example.org/CamelCase") and "case" in url_tokens(
        "https://example.org/CamelCase"
    )


POOLED_PAGE = (
    "Masthead of the brief.\n"
    "The American Petroleum Institute wrote letters about trade.\n"
    "Overdose deaths hit a record high from fentanyl.\n"
    "Journalists were killed in record numbers.\n"
    "Cartels control 30-35 percent of the territory.\n"
    "https://forum.example.org/\n"
    "https://www.api.org/letter-usmca.pdf\n"
    "https://news.example.com/2022/03/16/overdose-deaths-record-fentanyl/index.html\n"
    "https://www.rand.org/pubs/EP68838.html\n"
    "https://news.example.com/mexico-journalists-killings.html\n"
    "https://times.example.com/organized-crime-controls-35-of-mexico/\n"
)


def test_pooled_block_is_aligned_monotonically_to_its_page() -> None:
    _, occurrences = claims_and_occurrences(extract_text(POOLED_PAGE, "d"))
    got = [
        (o.claim.claim.text.split()[0], o.claim.method) if o.claim else None for o in occurrences
    ]
    assert got == [
        None,  # a site-root link: the masthead, no claim
        ("The", MatchMethod.ALIGNMENT),  # api -> American Petroleum Institute
        ("Overdose", MatchMethod.ALIGNMENT),
        ("Overdose", MatchMethod.NEIGHBOUR),  # no lexical signal: beside the link before it
        ("Journalists", MatchMethod.ALIGNMENT),
        ("Cartels", MatchMethod.ALIGNMENT),  # "35" of "30-35"
    ]
    confidences = [o.claim.confidence for o in occurrences if o.claim]
    assert confidences[2] < 0.45 <= min(confidences[:2] + confidences[3:])


def test_alignment_keeps_reading_order_even_against_a_stronger_backward_match() -> None:
    page = PageText(
        1,
        "Fentanyl deaths rose sharply.\nBorder crossings rose.\nFentanyl seizures at the border.",
        (1, 2, 3),
    )
    from linkcheck.claims.match import align_pooled

    sentences = segment((page,), "d")
    matches = align_pooled(
        ["https://a.example/border-crossings-rose", "https://b.example/fentanyl-deaths"], sentences
    )
    assert matches[0] is not None and matches[0].claim.text.startswith("Border crossings")
    # "fentanyl-deaths" fits sentence 1 best, but it comes after a link on sentence 2.
    assert matches[1] is None or matches[1].claim.text != "Fentanyl deaths rose sharply."


def test_blocks_of_structured_formats_are_never_run_together() -> None:
    from linkcheck.extract.markdown import extract_markdown

    text = "# A heading without a period\n\nThe first claim cites [data](https://example.org/d).\n"
    _, occurrences = claims_and_occurrences(extract_markdown(text, "d.md"))
    [occurrence] = occurrences
    assert occurrence.claim is not None
    assert occurrence.claim.claim.text == "The first claim cites data."
