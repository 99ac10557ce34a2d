"""A page cut into overlapping passages, and an Okapi BM25 index over them.

A passage is a window of one to three sentences (about 50 words, at most 80) starting at every
sentence, so each sentence appears with its neighbours and a claim whose facts span two
sentences still finds them together. Headings and list items are short units: windows run across
them until they have enough words. The index is built once per page; a query costs the length
of the posting lists of its terms, never a scan of every passage.
"""

from __future__ import annotations

import functools
import heapq
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from linkcheck.claims.segment import split_sentences
from linkcheck.support.facts import Features, analyze
from linkcheck.support.tokens import (
    fold,
    is_content_word,
    is_year,
    scan_numbers,
    value_term,
    word_terms,
    words,
)

TARGET_WORDS = 50
MAX_WORDS = 80
MAX_SENTENCES = 3
_LONG_SENTENCE = 8  # words: shorter units (headings, list items) do not count as sentences
_CHUNK = 40  # words: a sentence longer than MAX_WORDS is cut into chunks this long
_DIGIT = re.compile(r"\d")
_PARAGRAPH = re.compile(r"(?:[^\n]|\n(?![ \t\r\f\v]*\n))+")
K1 = 1.2
B = 0.75


@dataclass(frozen=True)
class Passage:
    index: int
    text: str  # white space collapsed
    start: int  # offsets into the page text
    end: int


@dataclass(frozen=True)
class Hit:
    passage: Passage
    score: float  # BM25


def _units(text: str) -> list[tuple[int, int, int]]:
    """(start, end, words) of each sentence, long sentences cut into chunks."""
    units: list[tuple[int, int, int]] = []
    for paragraph in _PARAGRAPH.finditer(text):
        body = paragraph.group()
        if not body.strip():
            continue
        base = paragraph.start()
        for start, end in split_sentences(body):
            sentence = body[start:end]
            count = len(sentence.split())
            if not count:
                continue
            if count <= MAX_WORDS:
                units.append((base + start, base + end, count))
                continue
            spans = [m.span() for m in re.finditer(r"\S+", sentence)]
            for first in range(0, len(spans), _CHUNK):
                chunk = spans[first : first + _CHUNK]
                units.append((base + start + chunk[0][0], base + start + chunk[-1][1], len(chunk)))
    return units


def _windows(units: list[tuple[int, int, int]]) -> list[tuple[int, int]]:
    """(first, last + 1) units of the window starting at each unit."""
    windows: list[tuple[int, int]] = []
    for first in range(len(units)):
        count = sentences = 0
        last = first
        while last < len(units):
            size = units[last][2]
            if last > first and count + size > MAX_WORDS:
                break
            count += size
            sentences += size >= _LONG_SENTENCE
            last += 1
            if count >= TARGET_WORDS or sentences >= MAX_SENTENCES:
                break
        windows.append((first, last))
    return windows


def _passages(text: str, units: list[tuple[int, int, int]]) -> list[tuple[Passage, int, int]]:
    found: list[tuple[Passage, int, int]] = []
    for first, last in _windows(units):
        start, end = units[first][0], units[last - 1][1]
        passage = Passage(len(found), " ".join(text[start:end].split()), start, end)
        found.append((passage, first, last))
    return found


def split_passages(text: str) -> list[Passage]:
    """Overlapping windows of sentences: one starts at every sentence of the text."""
    return [passage for passage, _, _ in _passages(text, _units(text))]


@functools.lru_cache(maxsize=16384)
def _content_word_terms(word: str) -> tuple[str, ...]:
    # Cached: a page repeats its words, and each costs a stemming otherwise.
    return word_terms(word) if is_content_word(word) else ()


def terms(text: str) -> list[str]:
    """The index terms of a text: word stems, long-word prefixes, and number values."""
    folded = fold(text)
    found: list[str] = []
    for word in words(folded):
        found.extend(_content_word_terms(word))
    if not _DIGIT.search(folded):
        return found
    for number in scan_numbers(folded):
        if is_year(number):
            found.append(value_term(float(number.digits)))
            continue
        found.extend(dict.fromkeys(value_term(value) for value in number.values))
    return found


class PassageIndex:
    """Okapi BM25 over the passages of one page (k1 = 1.2, b = 0.75), with an inverted index.

    Built once per page and queried once per claim. Passages overlap (each sentence is in
    about three), so the inverted index is kept per sentence, with the passages each sentence
    is in, and a term's counts per passage are summed when a query first asks for it: a page
    is indexed at a third of the cost, for the few terms its claims ask about. `features`
    reads a passage for fact matching on first use and keeps it, so several claims against
    one page share the work.
    """

    def __init__(
        self,
        passages: Iterable[Passage],
        term_counts: Sequence[Mapping[str, int]] | None = None,
        *,
        covering: Sequence[Sequence[int]] | None = None,
    ) -> None:
        """`term_counts`: per unit of text, the counts of its terms; a unit is a passage
        unless `covering` says, for each unit, which passages hold it."""
        self.passages: tuple[Passage, ...] = tuple(passages)
        if term_counts is None:
            term_counts = [Counter(terms(passage.text)) for passage in self.passages]
        self._covering: Sequence[Sequence[int]] = (
            covering if covering is not None else [(index,) for index in range(len(term_counts))]
        )
        lengths = [0] * len(self.passages)
        self._units: dict[str, list[tuple[int, int]]] = defaultdict(list)  # term: (unit, n)
        for unit, counts in enumerate(term_counts):
            size = 0
            for term, count in counts.items():
                self._units[term].append((unit, count))
                size += count
            for passage in self._covering[unit]:
                lengths[passage] += size
        average = (sum(lengths) / len(lengths)) if lengths else 0.0
        self._norms = [K1 * (1 - B + B * length / average) if average else K1 for length in lengths]
        # term: each passage's term-frequency part of BM25, computed once when first asked.
        self._postings: dict[str, list[tuple[int, float]]] = {}
        self._features: dict[int, Features] = {}

    @classmethod
    def build(cls, text: str) -> PassageIndex:
        """Cut a page's text into passages and index them; each sentence is read once."""
        units = _units(text)
        passages: list[Passage] = []
        covering: list[list[int]] = [[] for _ in units]
        for passage, first, last in _passages(text, units):
            passages.append(passage)
            for unit in range(first, last):
                covering[unit].append(passage.index)
        unit_terms = [Counter(terms(text[start:end])) for start, end, _ in units]
        return cls(passages, unit_terms, covering=covering)

    def _posting(self, term: str) -> list[tuple[int, float]]:
        """(passage, term-frequency part of BM25) for every passage holding `term`."""
        found = self._postings.get(term)
        if found is None:
            counts: dict[int, int] = defaultdict(int)
            for unit, count in self._units.get(term, ()):
                for passage in self._covering[unit]:
                    counts[passage] += count
            norms = self._norms
            found = [
                (passage, count * (K1 + 1) / (count + norms[passage]))
                for passage, count in sorted(counts.items())
            ]
            self._postings[term] = found
        return found

    def __len__(self) -> int:
        return len(self.passages)

    def idf(self, term: str) -> float:
        """BM25's idf, always positive; a term no passage has gets the highest value."""
        count = len(self._posting(term)) if term in self._units else 0
        total = len(self.passages)
        return math.log(1 + (total - count + 0.5) / (count + 0.5))

    def has(self, term: str) -> bool:
        return term in self._units

    def query_terms(self, weights: Mapping[str, float], k: int = 10) -> list[Hit]:
        """The k best passages for weighted query terms, best first."""
        scores: dict[int, float] = defaultdict(float)
        for term, weight in weights.items():
            if term not in self._units:
                continue
            postings = self._posting(term)
            idf = weight * self.idf(term)
            for index, part in postings:
                scores[index] += idf * part
        best = heapq.nlargest(k, scores.items(), key=lambda item: (item[1], -item[0]))
        return [Hit(self.passages[index], score) for index, score in best]

    def query(self, text: str, k: int = 10) -> list[Hit]:
        """The k passages that best match a text, best first."""
        weights: dict[str, float] = {}
        for term in terms(text):
            weights[term] = 0.5 if term.startswith("~") else 1.0
        return self.query_terms(weights, k)

    def features(self, index: int) -> Features:
        """What passage `index` offers for fact matching, read once."""
        found = self._features.get(index)
        if found is None:
            found = analyze(self.passages[index].text)
            self._features[index] = found
        return found
