"""The seed brief: a PDF-to-text dump whose links are pooled at the end of each page.

The expected claims below were set by reading the brief: each URL's words against the page's
sentences, in the order the footnotes would have run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import linkcheck
from linkcheck.models import MatchMethod, OccurrenceKind, Report

SEED = Path(__file__).resolve().parent.parent / "seeds" / "us-mexico-relations-brief.txt"

OVERDOSE = "This year, the CDC reported record U.S. overdose deaths"
SECURITY = "U.S. security agencies are reporting"
LETTERS = "Letters to the Administration regarding trade issues are piling up"
PRESS = "AMLO has continued to attack the free press"

# (url, page, the claim it supports or None, confident?)
EXPECTED: list[tuple[str, int, str | None, bool]] = [
    ("https://forumforamericanleadership.org/", 1, None, True),  # masthead: site root
    (
        "https://www.cnn.com/2022/03/16/health/overdose-deaths-record-high-fentanyl/index.html",
        1,
        OVERDOSE,
        True,
    ),
    ("https://www.cdc.gov/drugoverdose/deaths/synthetic/index.html", 1, OVERDOSE, True),
    ("https://www.rand.org/pubs/external_publications/EP68838.html", 1, OVERDOSE, False),
    (
        "https://www.ibtimes.com/exclusive-us-anti-drugs-agency-pulls-plane-mexico-fresh-cooperation"
        "-blow-3503114",
        1,
        SECURITY,
        True,
    ),
    (
        "https://edition.cnn.com/2022/05/17/politics/us-mexico-border-migrants-dhs/index.html",
        1,
        "Numbers on par with the population of a small U.S. town",
        True,
    ),
    (
        "https://web.ushcc.com/External/WCPages/WCWebContent/webcontentpage.aspx?ContentID=8230",
        1,
        LETTERS,
        True,
    ),
    (
        "https://www.uschamber.com/assets/documents/Letter-to-NALS-Nov-16-2021-9pm.pdf",
        1,
        LETTERS,
        True,
    ),
    (
        "https://www.api.org/-/media/Files/News/Letters-Comments/2021/API_Letter_USMCA%20_May_2021.pdf",
        1,
        LETTERS,
        True,
    ),
    (
        "https://www.api.org/-/media/Files/News/Letters-Comments/2021/API_Letter_USMCA%20_May_2021.pdf",
        1,
        LETTERS,
        True,
    ),
    (
        "https://gov.texas.gov/news/post/governor-abbott-urges-president-biden-to-protect-american-"
        "assets-and-secure-southern-border-in-talks-with-mexico",
        1,
        LETTERS,
        True,
    ),
    ("https://www.fb.org/files/Vilsack_Tai-Letter_USDA-Mexico-issues.pdf", 1, LETTERS, True),
    (
        "https://www.finance.senate.gov/chairmans-news/bipartisan-senate-finance-committee-leaders-"
        "wyden-and-crapo-ustr-must-enforce-usmca-to-ensure-benefits-for-american-workers-farmers-and-"
        "businesses",
        1,
        LETTERS,
        True,
    ),
    (
        "https://www.theguardian.com/world/2020/dec/22/mexico-journalists-deadly-cpr-press-freedom",
        2,
        PRESS,
        True,
    ),
    (
        "https://www.nytimes.com/2022/01/26/world/americas/mexico-journalists-killings.html",
        2,
        PRESS,
        True,
    ),
    (
        "https://www.theyucatantimes.com/2021/03/organized-crime-controls-35-of-mexico/",
        2,
        "According to the head of the U.S. Northern Command, the cartels now control 30-35",
        True,
    ),
    (
        "https://www.cnn.com/2021/05/30/americas/mexico-political-killings-intl/index.html",
        2,
        "Additionally, Mexico’s mid-term elections in June 2021",
        True,
    ),
    # BBC world-latin-america-57359252 (June 2021): the elections or the foreign-policy turn;
    # its URL carries no word of either, so any placement must stay between its neighbours.
    ("https://www.bbc.com/news/world-latin-america-57359252", 2, None, False),
    (
        "https://www.rferl.org/a/russia-sputnik-vaccine-mexico/31222861.html",
        2,
        "Mexico assumed a non-permanent seat on the United Nations Security Council",
        True,
    ),
    (
        "https://www.americasquarterly.org/article/mexico-china-the-us-a-changing-dynamic/",
        2,
        "Mexico assumed a non-permanent seat on the United Nations Security Council",
        True,
    ),
    (
        "https://heraldodemexico.com.mx/nacional/2022/6/7/respaldo-de-amlo-petro-no-es-"
        "intervencionismo-en-elecciones-de-colombia-ebrard-411507.html",
        2,
        "AMLO is now even picking favorites in Colombia’s",
        True,
    ),
    # "AMLO arremete contra Ted Cruz": the personal attacks on U.S. Senators. The Spanish slug
    # shares no word with that sentence, so linkcheck may misplace it but must say it is unsure.
    (
        "https://www.forbes.com.mx/amlo-arremete-contra-ted-cruz-y-lo-acusa-de-recibir-dinero-de-"
        "armeras-en-eu/",
        2,
        None,
        False,
    ),
]


@pytest.fixture(scope="module")
def report() -> Report:
    return linkcheck.extract([str(SEED)])


def occurrences_in_reading_order(report: Report) -> list[tuple[str, linkcheck.Occurrence]]:
    found = [(link.url, o) for link in report.links for o in link.occurrences]
    return sorted(found, key=lambda item: (item[1].location.page or 0, item[1].location.line or 0))


def test_all_22_occurrences_are_found_in_reading_order(report: Report) -> None:
    found = occurrences_in_reading_order(report)
    assert [(url, o.location.page) for url, o in found] == [(u, p) for u, p, _, _ in EXPECTED]
    assert all(o.kind is OccurrenceKind.POOLED for _, o in found)
    assert len(report.links) == 21
    api = next(link for link in report.links if "api.org" in link.url)
    assert [o.location.line for o in api.occurrences] == [85, 86]


def test_the_pooled_links_land_on_the_claims_a_reader_would_tie_them_to(
    report: Report,
) -> None:
    found = occurrences_in_reading_order(report)
    for (url, occurrence), (_, _, claim, confident) in zip(found, EXPECTED, strict=True):
        match = occurrence.claim
        if claim is None and confident:
            assert match is None, url
        elif confident:
            assert match is not None, url
            assert match.claim.text.startswith(claim), (url, match.claim.text)
            assert match.confidence >= 0.45, url
        elif claim is not None:
            assert match is not None and match.claim.text.startswith(claim), url
            assert match.confidence < 0.45, url
        else:
            assert match is None or match.confidence < 0.6, url


def test_unsure_matches_stay_between_their_aligned_neighbours(report: Report) -> None:
    found = occurrences_in_reading_order(report)
    order = {claim.id: index for index, claim in enumerate(report.claims)}
    positions = [order[o.claim.claim.id] for _, o in found if o.claim is not None]
    assert positions == sorted(positions)  # monotone: links come in reading order
    methods = {o.claim.method for _, o in found if o.claim is not None}
    assert methods <= {MatchMethod.ALIGNMENT, MatchMethod.NEIGHBOUR}


def test_the_sentence_broken_by_page_twos_block_is_joined(report: Report) -> None:
    joined = [c for c in report.claims if c.text.startswith("U.S. border states should deploy")]
    assert len(joined) == 1
    assert joined[0].text.endswith("that the status quo is not acceptable.")
    assert (joined[0].location.page, joined[0].end_page) == (2, 3)


def test_the_letters_sentence_is_one_claim_carried_by_several_links(report: Report) -> None:
    letters = next(c for c in report.claims if c.text.startswith(LETTERS))
    carried = [link for link in report.links if letters in link.claims]
    assert len(carried) == 6  # seven occurrences: the API letter is cited twice
    assert sum(len(link.occurrences) for link in carried) == 7
