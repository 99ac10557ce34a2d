"""Does a page's text back a claim? Find the best passage and check the claim's facts in it.

1. The page is cut into passages and indexed (`PassageIndex`); the claim's content words and
   numbers query it with BM25 for the CANDIDATES best passages.
2. Each candidate is read for the claim's facts (`fact_credit`) and for coverage: the share
   of the claim's key words (no stopwords, hedges or generic words) it contains. The passage
   with the best 0.75 * fact score + 0.25 * coverage wins.
3. A fact the winner lacks but another candidate states counts at ELSEWHERE credit: a page may
   give its two figures two paragraphs apart.
4. The verdict follows the thresholds below (docs/SUPPORT.md explains them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from linkcheck.claims.lexical import stem
from linkcheck.claims.segment import split_sentences
from linkcheck.models import Claim, Support, SupportVerdict
from linkcheck.support.facts import Fact, FactKind, Features, analyze, claim_facts, fact_credit
from linkcheck.support.passages import Hit, PassageIndex
from linkcheck.support.semantic import Scorer
from linkcheck.support.tokens import fold, is_key_word, value_term, word_terms, words

CANDIDATES = 20  # passages read for facts, of those BM25 ranks best
ELSEWHERE = 0.8  # credit for a fact stated in another candidate passage, not the best one
FOUND = 0.8  # credit from which a fact is reported found
FACT_WEIGHT = 0.75  # share of the fact score in the support score; coverage has the rest
SUPPORTED_FACTS = 0.6  # fact score a supporting passage needs (every number found, too)
SUPPORTED_COVERAGE = 0.35  # coverage a supporting passage needs
SUPPORTED_COVERAGE_WORDS = 0.5  # the same for a claim without numbers: names say less
PARTIAL_SCORE = 0.3  # support score from which a claim is partly backed
PARTIAL_NUMBER_COVERAGE = 0.2  # or: one of its numbers found in a passage this on-topic
# A claim with no checkable fact is judged on coverage alone.
NO_FACTS_SUPPORTED = 0.75
NO_FACTS_PARTIAL = 0.45
QUOTE = 300  # characters of passage quoted

_NUMBER_WEIGHT = 1.5  # query weight of a claim's number against its words' 1.0
_PREFIX_WEIGHT = 0.5  # query weight of a word's prefix term: a weaker, cross-language match


@dataclass(frozen=True)
class _Reading:
    """One candidate passage read against the claim."""

    hit: Hit
    credits: tuple[float, ...]
    coverage: float


def judge(claim: Claim, text: str | None, source: str, *, scorer: Scorer | None = None) -> Support:
    """Whether `text` (a page's main text) backs the claim; `source` is "live" or "archive".

    `unknown` when there is no text. Never raises on any text.
    """
    if text is None or not text.strip():
        return Support(SupportVerdict.UNKNOWN, source=source)
    try:
        index = PassageIndex.build(text)
    except (ValueError, OverflowError, RecursionError):
        return Support(SupportVerdict.UNKNOWN, source=source)
    return judge_index(claim, index, source, scorer=scorer)


def judge_index(
    claim: Claim, index: PassageIndex, source: str, *, scorer: Scorer | None = None
) -> Support:
    """`judge` against a page indexed once: for many claims citing one page."""
    if not len(index):
        return Support(SupportVerdict.UNKNOWN, source=source)
    facts = claim_facts(claim.text)
    claim_words = _claim_words(claim.text)
    hits = index.query_terms(_query(claim_words, facts), CANDIDATES)
    if not hits:
        return Support(
            SupportVerdict.NOT_FOUND,
            facts_missing=tuple(fact.text for fact in facts),
            source=source,
        )
    semantic = _semantic(scorer, claim.text, hits)
    readings: list[_Reading] = []
    for rank, hit in enumerate(hits):
        features = index.features(hit.passage.index)
        coverage = _coverage(claim_words, features)
        if semantic is not None:
            coverage = 0.5 * coverage + 0.5 * semantic[rank]
        credits = tuple(fact_credit(fact, features) for fact in facts)
        readings.append(_Reading(hit, credits, coverage))
    best = max(readings, key=lambda r: (_support_score(facts, r.credits, r.coverage), r.hit.score))
    credits = tuple(
        max(credit, ELSEWHERE * max(r.credits[i] for r in readings))
        for i, credit in enumerate(best.credits)
    )
    score = _support_score(facts, credits, best.coverage)
    verdict = _verdict(facts, credits, best.coverage, score)
    found = tuple(fact.text for fact, credit in zip(facts, credits, strict=True) if credit >= FOUND)
    missing = tuple(
        fact.text for fact, credit in zip(facts, credits, strict=True) if credit < FOUND
    )
    return Support(
        verdict,
        score=round(score, 3),
        passage=quote(best.hit.passage.text, facts),
        facts_found=found,
        facts_missing=missing,
        source=source,
    )


def _claim_words(claim_text: str) -> list[str]:
    return list(dict.fromkeys(w for w in words(fold(claim_text)) if is_key_word(w)))


def _query(claim_words: list[str], facts: list[Fact]) -> dict[str, float]:
    weights: dict[str, float] = {}
    for word in claim_words:
        for term in word_terms(word):
            weights[term] = _PREFIX_WEIGHT if term.startswith("~") else 1.0
    for fact in facts:
        if fact.kind in (FactKind.NUMBER, FactKind.RANGE):
            for value in fact.values:
                weights[value_term(value)] = _NUMBER_WEIGHT
        elif fact.kind in (FactKind.YEAR, FactKind.DATE):
            weights[value_term(fact.values[0])] = 1.0
        elif fact.kind is FactKind.NAME and fact.acronym:
            weights.setdefault(stem(fact.acronym), 1.0)  # "API" on a page for "American P..."
    return weights


def _coverage(claim_words: list[str], features: Features) -> float:
    """The share of the claim's key words the passage has (stems and prefixes count)."""
    if not claim_words:
        return 0.0
    return sum(1 for word in claim_words if features.has_word(word)) / len(claim_words)


def _semantic(scorer: Scorer | None, claim_text: str, hits: list[Hit]) -> list[float] | None:
    if scorer is None:
        return None
    try:
        scores = list(scorer.score(claim_text, [hit.passage.text for hit in hits]))
    except Exception:  # an optional model failing must not lose the lexical judgement
        return None
    if len(scores) != len(hits):
        return None
    return [min(1.0, max(0.0, float(score))) for score in scores]


def _support_score(facts: Sequence[Fact], credits: Sequence[float], coverage: float) -> float:
    if not facts:
        return coverage
    total = sum(fact.weight for fact in facts)
    fact_score = sum(f.weight * c for f, c in zip(facts, credits, strict=True)) / total
    return FACT_WEIGHT * fact_score + (1 - FACT_WEIGHT) * coverage


def _verdict(
    facts: Sequence[Fact], credits: Sequence[float], coverage: float, score: float
) -> SupportVerdict:
    if not facts:
        if coverage >= NO_FACTS_SUPPORTED:
            return SupportVerdict.SUPPORTED
        return SupportVerdict.PARTIAL if coverage >= NO_FACTS_PARTIAL else SupportVerdict.NOT_FOUND
    total = sum(fact.weight for fact in facts)
    fact_score = sum(f.weight * c for f, c in zip(facts, credits, strict=True)) / total
    numbers = [c for f, c in zip(facts, credits, strict=True) if f.numeric]
    needed = SUPPORTED_COVERAGE if numbers else SUPPORTED_COVERAGE_WORDS
    if all(c >= FOUND for c in numbers) and fact_score >= SUPPORTED_FACTS and coverage >= needed:
        return SupportVerdict.SUPPORTED
    if score >= PARTIAL_SCORE or (
        any(c >= FOUND for c in numbers) and coverage >= PARTIAL_NUMBER_COVERAGE
    ):
        return SupportVerdict.PARTIAL
    return SupportVerdict.NOT_FOUND


def quote(text: str, facts: Sequence[Fact] = (), limit: int = QUOTE) -> str:
    """A passage quoted in at most `limit` characters, white space collapsed.

    A long passage is cut to the run of its sentences that states the most facts.
    """
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    spans = split_sentences(text)
    counts = [_stated(text[start:end], facts) for start, end in spans]
    # Most facts stated first, then the earliest window, then the longest.
    best: tuple[int, int, int] | None = None  # (facts stated, -first, last)
    for first in range(len(spans)):
        stated = 0
        for last in range(first, len(spans)):
            if spans[last][1] - spans[first][0] > limit:
                break
            stated += counts[last]
            if best is None or (stated, -first, last) > best:
                best = (stated, -first, last)
    if best is not None:
        return text[spans[-best[1]][0] : spans[best[2]][1]]
    cut = text[: limit - 1]
    if " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut + "…"


def _stated(sentence: str, facts: Sequence[Fact]) -> int:
    if not facts:
        return 0
    features = analyze(sentence)
    return sum(1 for fact in facts if fact_credit(fact, features) >= 1.0)
