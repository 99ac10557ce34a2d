"""Support: passages of a page, and the BM25 index over them."""

from __future__ import annotations

import random

from linkcheck.support import PassageIndex, split_passages
from linkcheck.support.passages import MAX_WORDS, terms

TOPICS = [
    "The harvest of tomatoes rose in the valley after a wet spring and farmers sold more.",
    "The city council approved a budget for parks, libraries and new bicycle lanes downtown.",
    "Engineers tested the bridge for cracks and found the steel cables in good condition.",
    "The orchestra played a symphony by Mahler to a full hall on Saturday evening.",
    "Fishermen reported smaller catches of cod this season as waters grew warmer.",
]
TARGET = (
    "Mexican cartels now control between 30 and 35 percent of the national territory, "
    "the head of U.S. Northern Command told senators."
)


def filler(count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    return [rng.choice(TOPICS) for _ in range(count)]


def test_passages_are_overlapping_windows_of_sentences() -> None:
    text = " ".join(f"Sentence number {i} has exactly seven words here." for i in range(20))
    passages = split_passages(text)
    assert len(passages) == 20  # one window starts at every sentence
    first, second = passages[0].text, passages[1].text
    assert first.startswith("Sentence number 0 ") and second.startswith("Sentence number 1 ")
    assert "Sentence number 1 " in first  # windows overlap
    assert all(len(p.text.split()) <= MAX_WORDS for p in passages)
    assert all(text[p.start : p.end].startswith("Sentence") for p in passages)


def test_short_units_join_up_and_long_sentences_are_cut() -> None:
    text = "Overdose deaths\n\nA heading alone\n\n" + " ".join(["word"] * 200) + "."
    passages = split_passages(text)
    assert passages[0].text.startswith("Overdose deaths A heading alone word")
    assert all(len(p.text.split()) <= MAX_WORDS for p in passages)


def test_terms_carry_stems_prefixes_and_number_values() -> None:
    found = terms("Los cárteles controlan 106.000 y the cartels control 106,000")
    assert "cartel" in found  # "carteles" and "cartels" share a stem
    assert "~contro" in found  # "controlan" and "control" share a prefix
    assert "#106000" in found and "#106" in found  # "106.000" may be either


def test_bm25_ranks_the_right_passage_first_among_many() -> None:
    sentences = filler(300)
    sentences.insert(157, TARGET)
    index = PassageIndex.build("\n\n".join(sentences))
    hits = index.query("the cartels now control 30-35 percent of Mexican territory", k=5)
    assert hits and "30 and 35 percent" in hits[0].passage.text
    assert hits[0].score > hits[-1].score


def test_bm25_prefers_the_passage_with_the_number() -> None:
    text = (
        "Overdose deaths rose sharply, officials said, and deaths keep rising.\n\n"
        + "\n\n".join(filler(40))
        + "\n\nThe agency counted 106,000 overdose deaths in the year.\n\n"
        + "\n\n".join(filler(40, seed=3))
    )
    index = PassageIndex.build(text)
    hits = index.query("overdose deaths at nearly 106,000", k=3)
    assert "106,000" in hits[0].passage.text


def test_a_query_with_no_known_term_finds_nothing() -> None:
    index = PassageIndex.build("\n\n".join(filler(50)))
    assert index.query("zeppelin quasar") == []
    assert PassageIndex.build("").query("anything") == []


def test_indexing_by_sentence_scores_as_indexing_each_passage_whole() -> None:
    # build() keeps the inverted index per sentence and sums a term's counts over the
    # sentences of each passage when asked; the plain constructor indexes each passage's own
    # text. Both are BM25 over the same passages and must agree to the last bit.
    sentences = filler(120, seed=11)
    sentences.insert(40, TARGET)
    sentences.insert(90, "The agency counted 106,000 overdose deaths in the year 2022.")
    text = "\n\n".join(sentences[:60]) + "\n\n" + " ".join(sentences[60:])
    by_sentence = PassageIndex.build(text)
    whole = PassageIndex(by_sentence.passages)
    for query in (
        "the cartels now control 30-35 percent of Mexican territory",
        "overdose deaths at nearly 106,000 in 2022",
        "farmers sold more tomatoes after a wet spring",
        "orchestra symphony bridge cables",
    ):
        expected = [(hit.passage.index, hit.score) for hit in whole.query(query, k=10)]
        assert expected  # each query meets some passages
        assert [(hit.passage.index, hit.score) for hit in by_sentence.query(query, k=10)] == (
            expected
        )
        for term in terms(query):
            assert by_sentence.idf(term) == whole.idf(term)
