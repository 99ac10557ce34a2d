"""Support: the checkable facts of a claim, and tolerant matching of them in a text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linkcheck.support import Fact, FactKind, claim_facts, find_fact

OVERDOSE = (
    "This year, the CDC reported record U.S. overdose deaths at nearly 106,000; more than "
    "70,000 of those attributed to synthetic opioids, including primarily illegally "
    "manufactured fentanyl."
)
CARTELS = (
    "According to the head of the U.S. Northern Command, the cartels now control 30-35 percent "
    "of Mexican territory."
)


def facts_of(claim: str, kind: FactKind) -> list[Fact]:
    return [fact for fact in claim_facts(claim) if fact.kind is kind]


def fact(claim: str, text: str) -> Fact:
    for found in claim_facts(claim):
        if found.text == text:
            return found
    raise AssertionError(f"no fact {text!r} in {[f.text for f in claim_facts(claim)]}")


def test_numbers_with_hedges_are_read() -> None:
    numbers = facts_of(OVERDOSE, FactKind.NUMBER)
    assert [(n.text, n.values, n.hedge) for n in numbers] == [
        ("nearly 106,000", (106000.0,), "below"),
        ("more than 70,000", (70000.0,), "above"),
    ]
    assert not facts_of(OVERDOSE, FactKind.RANGE)


def test_percent_range_money_and_decimal_percent() -> None:
    (span,) = facts_of(CARTELS, FactKind.RANGE)
    assert (span.text, span.values, span.percent, span.forms) == (
        "30-35 percent",
        (30.0, 35.0),
        True,
        ("30-35%",),
    )
    claim = "The deal is worth $1.2 billion, and inflation was 2.5% last year."
    money, rate = facts_of(claim, FactKind.NUMBER)
    assert (money.text, money.values) == ("$1.2 billion", (1.2e9,))
    assert (rate.text, rate.values, rate.percent) == ("2.5%", (2.5,), True)


def test_embedded_number_and_bare_digits() -> None:
    claim = "Numbers on par with the population of a small U.S. town—7,500—are arriving 3 times."
    assert [n.text for n in facts_of(claim, FactKind.NUMBER)] == ["7,500"]


def test_urls_in_the_claim_are_not_facts() -> None:
    claim = "Deaths hit 106,000 (https://www.cdc.gov/nchs/2022/20220511.htm), see www.cdc.gov/2021."
    assert [f.text for f in claim_facts(claim) if f.kind is not FactKind.PHRASE] == ["106,000"]


def test_dates_and_years() -> None:
    claim = (
        "Mexico’s mid-term elections in June 2021 were the most violent; Mexico took a seat on "
        "the United Nations Security Council in 2022."
    )
    (date,) = facts_of(claim, FactKind.DATE)
    assert (date.text, date.forms) == ("June 2021", ("2021-06",))
    assert [y.text for y in facts_of(claim, FactKind.YEAR)] == ["2022"]
    assert not facts_of(claim, FactKind.NUMBER)


def test_names_acronyms_and_titles() -> None:
    names = {f.text: f for f in facts_of(OVERDOSE, FactKind.NAME)}
    assert set(names) == {"CDC"}  # "This" opens the sentence; "U.S." alone is too common
    claim = (
        "Mexican President Andres Manuel Lopez Obrador (AMLO) met the American Petroleum "
        "Institute, Texas Governor Greg Abbott and Gustavo Petro."
    )
    names = {f.text: f for f in facts_of(claim, FactKind.NAME)}
    assert set(names) == {
        "Mexican",
        "Andres Manuel Lopez Obrador",
        "American Petroleum Institute",
        "Texas",
        "Greg Abbott",
        "Gustavo Petro",
    }
    assert names["Andres Manuel Lopez Obrador"].acronym == "amlo"  # "(AMLO)" merged into it
    assert names["American Petroleum Institute"].acronym == "api"
    cartel_names = [f.text for f in facts_of(CARTELS, FactKind.NAME)]
    assert cartel_names == ["U.S. Northern Command", "Mexican"]


def test_key_phrases() -> None:
    phrases = [f.text for f in facts_of(OVERDOSE, FactKind.PHRASE)]
    assert 2 <= len(phrases) <= 4
    assert "synthetic opioids" in phrases and "overdose deaths" in phrases


def test_title_case_heading_yields_no_names() -> None:
    facts = claim_facts("Record U.S. Overdose Deaths.")
    assert not [f for f in facts if f.kind is FactKind.NAME]


@pytest.mark.parametrize(
    "page",
    [
        "deaths reached 106,000 last year",
        "deaths reached 106000 last year",
        "las muertes llegaron a 106.000 el año pasado",
        "les décès ont atteint 106 000",
        "les décès ont atteint 106\u202f000",
        "an estimated 105,900 deaths",  # "nearly 106,000": just under it
        "106 mil muertes",
    ],
)
def test_thousands_separators_and_hedges(page: str) -> None:
    assert find_fact(fact(OVERDOSE, "nearly 106,000"), page)


@pytest.mark.parametrize(
    "page", ["deaths reached 106 last year", "deaths reached 116,000", "about 1,060,000 deaths"]
)
def test_different_numbers_do_not_match(page: str) -> None:
    assert not find_fact(fact(OVERDOSE, "nearly 106,000"), page)


def test_hedge_direction() -> None:
    more = fact(OVERDOSE, "more than 70,000")
    assert find_fact(more, "over 70,000 involved synthetic opioids")
    assert find_fact(more, "71,238 involved synthetic opioids")
    assert not find_fact(more, "69,500 involved synthetic opioids")


@pytest.mark.parametrize(
    "page",
    [
        "they control 30 to 35 percent of the territory",
        "they control 30–35% of the territory",
        "between 30% and 35% of the territory",
        "controlan entre 30 y 35 por ciento del territorio",
        "controlan del 30 al 35 por ciento",
        "30-35 per cent",
    ],
)
def test_percent_ranges(page: str) -> None:
    assert find_fact(fact(CARTELS, "30-35 percent"), page)


def test_one_end_of_a_range_is_partial_not_found() -> None:
    span = fact(CARTELS, "30-35 percent")
    assert not find_fact(span, "cartels control 35% of Mexico")
    assert not find_fact(span, "30 to 35 cartels")  # no percent on the page


def test_percent_words() -> None:
    rate = fact("Inflation was 2.5% last year.", "2.5%")
    for page in ("2.5 percent", "2,5 por ciento", "2.5 per cent", "2.5 %"):
        assert find_fact(rate, page), page
    assert not find_fact(rate, "2.5 million")


def test_scale_words() -> None:
    money = fact("The deal is worth $1.2 billion.", "$1.2 billion")
    for page in ("US$1.2 billion", "1.200 millones de dólares", "$1.2bn", "1,200,000,000 dollars"):
        assert find_fact(money, page), page
    assert not find_fact(money, "$1.2 million")


def test_names_fold_diacritics_and_shorten_to_surnames() -> None:
    claim = "Mexican President Andres Manuel Lopez Obrador (AMLO) boycotted the summit."
    amlo = fact(claim, "Andres Manuel Lopez Obrador")
    assert find_fact(amlo, "El presidente Andrés Manuel López Obrador no asistió.")
    assert find_fact(amlo, "López Obrador did not attend.")
    assert find_fact(amlo, "AMLO did not attend.")
    assert not find_fact(amlo, "Manuel did not attend, nor did Andres.")
    petro = fact(claim.replace("the summit", "Gustavo Petro"), "Gustavo Petro")
    assert find_fact(petro, "Gustavo Petro won.")
    assert not find_fact(petro, "Petro won.")  # half a name: partial credit only


def test_acronym_and_full_name_meet() -> None:
    cdc = fact(OVERDOSE, "CDC")
    assert find_fact(cdc, "The Centers for Disease Control and Prevention reported it.")
    assert find_fact(cdc, "The CDC reported it.")
    api = fact("A letter from the American Petroleum Institute.", "American Petroleum Institute")
    assert find_fact(api, "API President Mike Sommers wrote")
    assert find_fact(api, "The American Petroleum Institute wrote")
    assert not find_fact(api, "American oil producers wrote to the institute")


def test_phrase_words_must_stand_together_in_any_language() -> None:
    phrase = fact(CARTELS, "cartels now control")
    assert find_fact(phrase, "the cartels control a third of the country")
    assert find_fact(phrase, "los cárteles controlan un tercio del territorio")
    assert not find_fact(phrase, "cartels fight; a third of the country is under state control")
    opioids = fact(OVERDOSE, "synthetic opioids")
    assert find_fact(opioids, "deaths involving opioids, mostly synthetic ones")
    assert not find_fact(opioids, "synthetic fibres are not at issue; opioids are")


def test_dates_match_english_and_spanish_months() -> None:
    date = fact("The elections in June 2021 were violent.", "June 2021")
    assert find_fact(date, "On June 6, 2021, Mexicans voted.")
    assert find_fact(date, "El 6 de junio de 2021 se votó.")
    assert not find_fact(date, "In July 2021 they voted.")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_claim_facts_never_raises(text: str) -> None:
    for found in claim_facts(text):
        assert found.text
        assert find_fact(found, text) in (True, False)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "106,000",
                "30-35",
                "percent",
                "%",
                "$",
                "1.2",
                "billion",
                "June",
                "2021",
                "CDC",
                "Gustavo",
                "Petro",
                "de",
                "of",
                "The",
                " ",
                ".",
                ",",
                "—",
                "(",
                ")",
                "entre",
                "y",
            ]
        ),
        max_size=30,
    )
)
def test_claim_facts_never_raises_on_claim_like_text(parts: list[str]) -> None:
    text = " ".join(parts)
    for found in claim_facts(text):
        find_fact(found, text)
