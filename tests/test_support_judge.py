"""Support: does a page's text back a claim?"""

from __future__ import annotations

from collections.abc import Sequence

from fpdf import FPDF
from hypothesis import given, settings
from hypothesis import strategies as st

from linkcheck.models import Claim, Location, SupportVerdict
from linkcheck.support import PassageIndex, judge, judge_index, page_text

OVERDOSE = (
    "This year, the CDC reported record U.S. overdose deaths at nearly 106,000; more than "
    "70,000 of those attributed to synthetic opioids, including primarily illegally "
    "manufactured fentanyl."
)
CARTELS = (
    "According to the head of the U.S. Northern Command, the cartels now control 30-35 percent "
    "of Mexican territory."
)
FILLER = (
    "The harvest of tomatoes rose in the valley after a wet spring. The city council approved a "
    "budget for parks and libraries. Engineers tested the bridge and found it sound."
)
CDC_PAGE = (
    "Provisional data from the CDC's National Center for Health Statistics show about 106,000 "
    "drug overdose deaths in the United States in 2021, a record. Over 70,000 of those deaths "
    "involved synthetic opioids other than methadone, mainly fentanyl."
)


def claim(text: str) -> Claim:
    return Claim("brief#1", text, Location("brief", 1, 1, 1))


def html(*paragraphs: str, nav: str = "") -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return f"<html><body><nav>{nav}</nav><main>{body}</main></body></html>".encode()


def text_of(body: bytes) -> str:
    text = page_text(body, "text/html; charset=utf-8", None)
    assert text is not None
    return text


def test_full_support_with_other_wording_of_the_numbers() -> None:
    support = judge(claim(OVERDOSE), text_of(html(FILLER, CDC_PAGE, FILLER)), "live")
    assert support.verdict is SupportVerdict.SUPPORTED
    assert {"nearly 106,000", "more than 70,000", "CDC"} <= set(support.facts_found)
    assert support.source == "live"
    assert support.passage is not None and "106,000" in support.passage
    assert 0.6 <= support.score <= 1.0


def test_partial_support_when_one_number_is_missing() -> None:
    page = CDC_PAGE.replace("Over 70,000 of those deaths", "Many of those deaths")
    support = judge(claim(OVERDOSE), text_of(html(FILLER, page)), "live")
    assert support.verdict is SupportVerdict.PARTIAL
    assert "nearly 106,000" in support.facts_found
    assert "more than 70,000" in support.facts_missing


def test_unrelated_page_is_not_found() -> None:
    support = judge(claim(OVERDOSE), text_of(html(FILLER, FILLER)), "live")
    assert support.verdict is SupportVerdict.NOT_FOUND
    assert support.score < 0.3
    assert "nearly 106,000" in support.facts_missing


def test_a_page_on_the_topic_without_the_facts_is_not_supported() -> None:
    page = (
        "Drug overdose deaths remain a concern for public health officials across the country. "
        "Fentanyl and other opioids are discussed in our annual report."
    )
    support = judge(claim(OVERDOSE), text_of(html(FILLER, page)), "live")
    assert support.verdict in (SupportVerdict.PARTIAL, SupportVerdict.NOT_FOUND)
    assert "nearly 106,000" in support.facts_missing


def test_spanish_page_backs_an_english_claim() -> None:
    page = (
        "El jefe del Comando Norte, el general Glen VanHerck, afirmó ante el Senado que los "
        "cárteles controlan entre 30 y 35 por ciento del territorio mexicano."
    )
    body = f"<html><body><article><p>{page}</p></article></body></html>".encode("latin-1")
    text = page_text(body, "text/html; charset=iso-8859-1", "iso-8859-1")
    assert text is not None
    support = judge(claim(CARTELS), text, "live")
    assert support.verdict in (SupportVerdict.SUPPORTED, SupportVerdict.PARTIAL)
    assert "30-35 percent" in support.facts_found
    assert "cartels now control" in support.facts_found


def test_one_end_of_the_range_is_partial() -> None:
    page = "Los cárteles controlan el 35% del territorio mexicano, dijo el Comando Norte."
    support = judge(claim(CARTELS), page, "live")
    assert support.verdict is SupportVerdict.PARTIAL
    assert "30-35 percent" in support.facts_missing


def test_names_with_diacritics_match() -> None:
    text = (
        "Mexican President Andres Manuel Lopez Obrador (AMLO) announced his support for "
        "Gustavo Petro in Colombia’s run-off."
    )
    page = (
        "El presidente Andrés Manuel López Obrador expresó su apoyo a Gustavo Petro, candidato "
        "en la segunda vuelta presidencial de Colombia."
    )
    support = judge(claim(text), text_of(html(FILLER, page)), "live")
    assert support.verdict in (SupportVerdict.SUPPORTED, SupportVerdict.PARTIAL)
    assert {"Andres Manuel Lopez Obrador", "Gustavo Petro", "Colombia"} <= set(support.facts_found)


def test_pdf_page_supports() -> None:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, FILLER)
    pdf.ln(4)
    pdf.multi_cell(0, 6, CDC_PAGE)
    text = page_text(bytes(pdf.output()), "application/pdf", None)
    assert text is not None
    support = judge(claim(OVERDOSE), text, "live")
    assert support.verdict is SupportVerdict.SUPPORTED
    assert {"nearly 106,000", "more than 70,000"} <= set(support.facts_found)


def test_figures_only_in_the_navigation_do_not_count() -> None:
    nav = "<a href='/cdc'>CDC: 106,000 overdose deaths, 70,000 from synthetic opioids</a>"
    text = text_of(html(FILLER, FILLER, nav=nav))
    assert "106,000" not in text
    support = judge(claim(OVERDOSE), text, "live")
    assert support.verdict is SupportVerdict.NOT_FOUND


def test_no_text_is_unknown() -> None:
    for text in (None, "", "   \n "):
        support = judge(claim(OVERDOSE), text, "archive")
        assert support.verdict is SupportVerdict.UNKNOWN
        assert support.source == "archive"
        assert support.facts_found == () and support.facts_missing == ()


def test_figures_two_paragraphs_apart_still_support() -> None:
    first = "The CDC counted about 106,000 overdose deaths in the year, a record."
    second = "Of those, over 70,000 involved synthetic opioids, chiefly fentanyl made illegally."
    text = text_of(html(first, FILLER, FILLER, second))
    support = judge(claim(OVERDOSE), text, "live")
    assert support.verdict is SupportVerdict.SUPPORTED
    assert {"nearly 106,000", "more than 70,000"} <= set(support.facts_found)


def test_passage_is_quoted_briefly_with_white_space_collapsed() -> None:
    long_page = " ".join([FILLER] * 3) + "\n\n" + CDC_PAGE.replace(" ", "  ") + " " + FILLER
    support = judge(claim(OVERDOSE), long_page, "live")
    assert support.passage is not None
    assert len(support.passage) <= 300
    assert "  " not in support.passage
    assert "106,000" in support.passage


def test_claim_without_facts_is_judged_on_its_words() -> None:
    text = "they all share the same theme: the unfair treatment of companies abroad."
    page = "Letters share one theme: the unfair treatment of foreign companies abroad."
    assert judge(claim(text), page, "live").verdict is SupportVerdict.SUPPORTED
    assert judge(claim(text), FILLER, "live").verdict is SupportVerdict.NOT_FOUND


def test_judge_index_reuses_one_index_for_many_claims() -> None:
    index = PassageIndex.build(text_of(html(FILLER, CDC_PAGE)))
    first = judge_index(claim(OVERDOSE), index, "live")
    again = judge_index(claim(OVERDOSE), index, "live")
    assert first == again
    assert first.verdict is SupportVerdict.SUPPORTED
    assert judge_index(claim(CARTELS), index, "live").verdict is SupportVerdict.NOT_FOUND


class FixedScorer:
    """A stand-in semantic scorer: says every passage means the claim."""

    def __init__(self, value: float) -> None:
        self.value = value
        self.calls = 0

    def score(self, claim: str, passages: Sequence[str]) -> list[float]:
        self.calls += 1
        return [self.value] * len(passages)


def test_a_semantic_scorer_is_blended_into_coverage() -> None:
    text = "they all share the same theme: the unfair treatment of companies abroad."
    page = "Exporters complain that firms abroad are handled unjustly by officials."
    plain = judge(claim(text), page, "live")
    scorer = FixedScorer(1.0)
    helped = judge(claim(text), page, "live", scorer=scorer)
    assert scorer.calls == 1
    assert helped.score > plain.score


@settings(max_examples=150, deadline=None)
@given(claim_text=st.text(max_size=200), page=st.text(max_size=1500))
def test_judge_never_raises(claim_text: str, page: str) -> None:
    support = judge(claim(claim_text), page, "live")
    assert 0.0 <= support.score <= 1.0
    assert support.passage is None or len(support.passage) <= 300


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "106,000",
                "106.000",
                "30",
                "35",
                "-",
                "y",
                "entre",
                "percent",
                "%",
                "CDC",
                "Centers",
                "for",
                "Disease",
                "Control",
                "deaths",
                ".",
                "\n\n",
                "López",
                "2021",
            ]
        ),
        max_size=60,
    )
)
def test_judge_never_raises_on_page_like_text(parts: list[str]) -> None:
    page = " ".join(parts)
    for text in (OVERDOSE, CARTELS, page):
        support = judge(claim(text), page, "live")
        assert support.verdict in SupportVerdict
