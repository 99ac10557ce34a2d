"""Support: the live page against its snapshot — drift, dead pages, similarity."""

from __future__ import annotations

import contextlib

from hypothesis import given, settings
from hypothesis import strategies as st

from linkcheck.models import Claim, Location, SupportVerdict
from linkcheck.support import judge_with_archive, similarity
from linkcheck.support.live import judge_page
from linkcheck.support.spool import TextSpool

OVERDOSE = (
    "This year, the CDC reported record U.S. overdose deaths at nearly 106,000; more than "
    "70,000 of those attributed to synthetic opioids, including primarily illegally "
    "manufactured fentanyl."
)
FILLER = (
    "The harvest of tomatoes rose in the valley after a wet spring. The city council approved a "
    "budget for parks and libraries. Engineers tested the bridge and found it sound."
)
SNAPSHOT = (
    FILLER + "\n\nProvisional CDC data show about 106,000 drug overdose deaths in 2021, a record. "
    "Over 70,000 of those deaths involved synthetic opioids, mainly illegally made fentanyl.\n\n"
    + FILLER
)
# The page was updated: the figures were replaced by newer ones.
UPDATED = SNAPSHOT.replace("about 106,000", "about 112,000").replace("Over 70,000", "Over 90,000")


def claim(text: str = OVERDOSE) -> Claim:
    return Claim("brief#1", text, Location("brief", 1, 1, 1))


def test_live_page_that_dropped_the_figures_has_drifted() -> None:
    support = judge_with_archive(claim(), UPDATED, SNAPSHOT)
    assert support.verdict is SupportVerdict.DRIFTED
    assert support.source == "archive"
    assert support.passage is not None and "112,000" in support.passage
    assert support.archive_passage is not None and "106,000" in support.archive_passage
    assert {"nearly 106,000", "more than 70,000"} <= set(support.facts_found)
    assert {"nearly 106,000", "more than 70,000"} <= set(support.facts_missing)
    assert support.similarity is not None and 0.3 < support.similarity < 1.0


def test_dead_page_with_a_supporting_snapshot_has_drifted() -> None:
    support = judge_with_archive(claim(), None, SNAPSHOT)
    assert support.verdict is SupportVerdict.DRIFTED
    assert support.source == "archive"
    assert support.passage is None
    assert support.archive_passage is not None and "106,000" in support.archive_passage
    assert "nearly 106,000" in support.facts_found
    assert support.similarity is None


def test_dead_page_without_a_snapshot_is_unknown() -> None:
    support = judge_with_archive(claim(), None, None)
    assert support.verdict is SupportVerdict.UNKNOWN
    assert support.similarity is None


def test_dead_page_whose_snapshot_does_not_support_is_judged_from_the_snapshot() -> None:
    support = judge_with_archive(claim(), None, FILLER)
    assert support.verdict is SupportVerdict.NOT_FOUND
    assert support.source == "archive"


def test_live_support_wins_and_similarity_is_kept() -> None:
    support = judge_with_archive(claim(), SNAPSHOT, SNAPSHOT)
    assert support.verdict is SupportVerdict.SUPPORTED
    assert support.source == "live"
    assert support.archive_passage is None
    assert support.similarity == 1.0


def test_rewritten_page_that_still_supports_shows_low_similarity() -> None:
    rewritten = (
        "Our new dashboard, launched this spring, tracks many indicators. Among them: in 2021 "
        "the CDC recorded about 106,000 overdose deaths, a record, and over 70,000 deaths "
        "involving synthetic opioids such as fentanyl."
    )
    support = judge_with_archive(claim(), rewritten, SNAPSHOT)
    assert support.verdict is SupportVerdict.SUPPORTED
    assert support.similarity is not None and support.similarity < 0.3


def test_live_page_failing_without_a_snapshot_is_the_live_judgement() -> None:
    support = judge_with_archive(claim(), UPDATED, None)
    assert support.verdict is SupportVerdict.PARTIAL
    assert support.source == "live"
    assert support.similarity is None


def test_neither_supporting_gives_the_live_judgement() -> None:
    support = judge_with_archive(claim(), FILLER, FILLER + " More filler.")
    assert support.verdict is SupportVerdict.NOT_FOUND
    assert support.source == "live"
    assert support.similarity is not None


def test_similarity_of_identical_and_unrelated_texts() -> None:
    assert similarity(SNAPSHOT, SNAPSHOT) == 1.0
    assert similarity(SNAPSHOT, " ".join(SNAPSHOT.upper().split())) == 1.0  # case, spacing
    assert similarity(SNAPSHOT, "Completely different words about sailing boats at sea.") < 0.05
    assert 0.0 < similarity(SNAPSHOT, UPDATED) < 1.0
    assert similarity("", "") == 1.0
    assert similarity("", SNAPSHOT) == 0.0


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=400), st.text(max_size=400))
def test_similarity_is_bounded_and_symmetric(left: str, right: str) -> None:
    value = similarity(left, right)
    assert 0.0 <= value <= 1.0
    assert value == similarity(right, left)


@settings(max_examples=60, deadline=None)
@given(
    live=st.one_of(st.none(), st.text(max_size=600)),
    archive=st.one_of(st.none(), st.text(max_size=600)),
)
def test_judge_with_archive_never_raises(live: str | None, archive: str | None) -> None:
    support = judge_with_archive(claim(), live, archive)
    assert support.verdict in SupportVerdict


def test_texts_wait_for_the_drift_check_on_disk_and_come_back_whole() -> None:
    texts = {
        "https://a.example/report": "Deaths reached 106,000 in 2021.\n\n" * 2000,
        "https://b.example/informe": "Los cárteles controlan entre el 30 y el 35 % — ✓ \udcff",
        "https://c.example/empty": "",
    }
    with contextlib.closing(TextSpool()) as spool:
        for key, text in texts.items():
            spool.put(key, text)
        assert len(spool) == 3 and "https://a.example/report" in spool
        for key, text in reversed(texts.items()):  # in any order, and more than once
            assert spool.get(key) == text
            assert spool.get(key) == text
        assert spool.get("https://d.example/never") is None
        spooled = spool._file
        assert spooled is not None and spooled.seek(0, 2) < len(texts["https://a.example/report"])
    assert spooled.closed and spool.get("https://a.example/report") is None


def test_a_page_text_is_kept_only_where_a_snapshot_may_be_compared_with_it() -> None:
    page = b"<html><body><p>Deaths reached 106,000 in 2021.</p></body></html>"
    claim = Claim("b#1", "Remittances reached 63.3 billion dollars.", Location("b", 1, 1, 1))
    kept = judge_page((claim,), page, "text/html", "utf-8")
    assert kept.text is not None and "106,000" in kept.text
    dropped = judge_page((claim,), page, "text/html", "utf-8", keep_text=False)
    assert dropped.text is None and dropped.supports == kept.supports
