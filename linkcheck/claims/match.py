"""Tying each occurrence of a link to the claim it supports.

- Anchored links (an anchor, an annotation, a URL written in a sentence): the sentence around it.
- Footnote links: the sentence carrying the footnote's marker.
- Pooled links (a block of URLs ending a page, as PDF-to-text dumps leave them): a monotone
  alignment of the block, in order, to the sentences of that page, scored by the words the URL
  shares with each sentence. Links come in reading order and several may share a sentence; a
  link with no lexical signal sits beside its aligned neighbours, with a low confidence; a
  site-root link (a masthead) matches nothing.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence

from linkcheck.claims.lexical import (
    SentenceFeatures,
    is_site_root,
    is_year,
    sentence_features,
    token_match,
    url_tokens,
)
from linkcheck.claims.segment import Sentence
from linkcheck.models import (
    ClaimMatch,
    Extraction,
    FootnoteRef,
    MatchMethod,
    Occurrence,
    OccurrenceKind,
    RawLink,
)

# The score a pooled link needs to be aligned on its own: about one distinctive word in common.
ALIGN_THRESHOLD = 1.2


class SentenceIndex:
    """Where each sentence sits on each page, for finding the one around an offset by
    bisection (a document with thousands of links and sentences stays linear)."""

    def __init__(self, sentences: Sequence[Sentence]) -> None:
        self.sentences = sentences
        spans: dict[int, list[tuple[int, int, int]]] = {}
        for number, sentence in enumerate(sentences):
            for page, start, end in sentence.spans:
                spans.setdefault(page, []).append((start, end, number))
        self._spans = {page: sorted(found) for page, found in spans.items()}
        self._starts = {
            page: [start for start, _, _ in found] for page, found in self._spans.items()
        }

    def around(self, page: int, offset: int) -> tuple[Sentence, bool] | None:
        """The sentence covering `offset` (True), else the last one starting before it
        (False), else None."""
        starts = self._starts.get(page)
        if not starts:
            return None
        at = bisect.bisect_right(starts, offset) - 1
        if at < 0:
            return None
        start, end, number = self._spans[page][at]
        return self.sentences[number], start <= offset < end

    def on_page(self, page: int) -> list[Sentence]:
        numbers = sorted({number for _, _, number in self._spans.get(page, ())})
        return [self.sentences[number] for number in numbers]


def match_occurrences(extraction: Extraction, sentences: Sequence[Sentence]) -> list[Occurrence]:
    """One Occurrence for each RawLink of the extraction, in the same order."""
    index = SentenceIndex(sentences)
    matches: list[ClaimMatch | None] = [None] * len(extraction.links)
    refs: dict[str, list[tuple[int, FootnoteRef]]] = {}
    for page_text in extraction.pages:
        for ref in page_text.footnote_refs:
            refs.setdefault(ref.label, []).append((page_text.number, ref))
    for number, link in enumerate(extraction.links):
        if link.kind is OccurrenceKind.POOLED:
            continue
        if link.footnote is not None:
            matches[number] = _footnote_match(link, refs.get(link.footnote, []), index)
        elif link.text_offset is not None and link.location.page is not None:
            matches[number] = _anchor_match(link.location.page, link.text_offset, index)
    for block in _pooled_blocks(extraction.links):
        page = extraction.links[block[0]].location.page
        candidates = index.on_page(page) if page is not None else []
        urls = [extraction.links[i].url for i in block]
        for number, match in zip(block, align_pooled(urls, candidates), strict=True):
            matches[number] = match
    return [
        Occurrence(link.location, link.kind, link.anchor_text, match)
        for link, match in zip(extraction.links, matches, strict=True)
    ]


def _anchor_match(page: int, offset: int, index: SentenceIndex) -> ClaimMatch | None:
    found = index.around(page, offset)
    if found is None:
        return None
    sentence, covered = found
    # Between sentences (a URL alone on a line after its sentence): the one just before it.
    return ClaimMatch(sentence.claim, 1.0 if covered else 0.6, MatchMethod.ANCHOR)


def _footnote_match(
    link: RawLink, refs: list[tuple[int, FootnoteRef]], index: SentenceIndex
) -> ClaimMatch | None:
    """`refs` are the markers of the link's footnote label: the one on the link's own page
    first (per-page footnotes), then anywhere (endnotes)."""
    ordered = sorted(refs, key=lambda item: item[0] != link.location.page)
    for page, ref in ordered:
        anchored = _anchor_match(page, ref.offset, index)
        if anchored is not None:
            confidence = 0.95 if anchored.confidence == 1.0 else 0.6
            return ClaimMatch(anchored.claim, confidence, MatchMethod.FOOTNOTE)
    return None


def _pooled_blocks(links: Sequence[RawLink]) -> list[list[int]]:
    """Indexes of consecutive pooled links on one page: each list is one block."""
    blocks: list[list[int]] = []
    for index, link in enumerate(links):
        if link.kind is not OccurrenceKind.POOLED:
            continue
        previous = links[index - 1] if index else None
        same_block = (
            blocks
            and blocks[-1][-1] == index - 1
            and previous is not None
            and previous.location.page == link.location.page
        )
        if same_block:
            blocks[-1].append(index)
        else:
            blocks.append([index])
    return blocks


def score_matrix(urls: Sequence[str], sentences: Sequence[Sentence]) -> list[list[float]]:
    """score[i][j]: the words URL i shares with sentence j, each weighted by how rare it is
    among the candidate sentences (a word in every sentence tells nothing)."""
    features: list[SentenceFeatures] = [sentence_features(s.claim.text) for s in sentences]
    count = len(sentences)
    scores: list[list[float]] = []
    for url in urls:
        tokens = url_tokens(url)
        matched = [[token_match(token, f) for f in features] for token in tokens]
        row = [0.0] * count
        for token, values in zip(tokens, matched, strict=True):
            frequency = sum(1 for value in values if value >= 0.8)
            weight = math.log(1 + count / (1 + frequency))
            if is_year(token):
                weight *= 0.5  # an article's year is weak evidence on its own
            for j, value in enumerate(values):
                row[j] += weight * value
        scores.append(row)
    return scores


def align_pooled(urls: Sequence[str], sentences: Sequence[Sentence]) -> list[ClaimMatch | None]:
    """Monotone alignment of a pooled block's URLs (in order) to its page's sentences."""
    if not sentences:
        return [None] * len(urls)
    scores = score_matrix(urls, sentences)
    assigned = _best_monotone(scores)
    matches: list[ClaimMatch | None] = []
    for i, j in enumerate(assigned):
        if j is None:
            matches.append(None)
            continue
        row = scores[i]
        runner_up = max((v for k, v in enumerate(row) if k != j), default=0.0)
        margin = (row[j] - runner_up) / (row[j] + 0.5)
        confidence = round(min(0.95, 0.45 + 0.5 * max(0.0, margin)), 2)
        matches.append(ClaimMatch(sentences[j].claim, confidence, MatchMethod.ALIGNMENT))
    return _place_by_neighbours(urls, sentences, scores, assigned, matches)


def _best_monotone(scores: list[list[float]]) -> list[int | None]:
    """The assignment of URLs to sentence indexes (or None) maximising the total score, with
    assigned indexes non-decreasing in URL order. Dynamic programming, O(urls x sentences)."""
    n, m = len(scores), len(scores[0]) if scores else 0
    usable = [[v if v >= ALIGN_THRESHOLD else 0.0 for v in row] for row in scores]
    # best[i][j]: best total for the first i URLs with every assigned index <= j - 1.
    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            best[i][j] = max(best[i][j - 1], best[i - 1][j] + usable[i - 1][j - 1])
    assigned: list[int | None] = [None] * n
    i, j = n, m
    while i > 0 and j > 0:
        gain = usable[i - 1][j - 1]
        if math.isclose(best[i][j], best[i][j - 1]):
            j -= 1  # on a tie, the earlier sentence: a citation follows the claim's first mention
        elif gain > 0 and math.isclose(best[i][j], best[i - 1][j] + gain):
            assigned[i - 1] = j - 1
            i -= 1
        else:
            i -= 1  # this URL stays unassigned
    return assigned


def _place_by_neighbours(
    urls: Sequence[str],
    sentences: Sequence[Sentence],
    scores: list[list[float]],
    assigned: list[int | None],
    matches: list[ClaimMatch | None],
) -> list[ClaimMatch | None]:
    """Place a URL too weak to align on its own inside the window its aligned neighbours leave:
    on the window's sentence it shares most with (weak evidence, such as the article's year),
    else beside the link before it (citations cluster), else the one after. A site-root link
    (a masthead) stays unmatched."""
    placed = list(matches)
    for i, j in enumerate(assigned):
        if j is not None or is_site_root(urls[i]):
            continue
        before = next((assigned[k] for k in range(i - 1, -1, -1) if assigned[k] is not None), None)
        after = next(
            (assigned[k] for k in range(i + 1, len(urls)) if assigned[k] is not None), None
        )
        if before is None and after is None:
            continue
        low = before if before is not None else 0
        high = after if after is not None else len(sentences) - 1
        window = range(low, high + 1)
        strongest = max(window, key=lambda k: (scores[i][k], -k))
        if scores[i][strongest] > 0:
            placed[i] = ClaimMatch(sentences[strongest].claim, 0.4, MatchMethod.NEIGHBOUR)
        elif before is not None:
            confidence = 0.5 if before == after else 0.35
            placed[i] = ClaimMatch(sentences[before].claim, confidence, MatchMethod.NEIGHBOUR)
        elif after is not None:
            placed[i] = ClaimMatch(sentences[after].claim, 0.3, MatchMethod.NEIGHBOUR)
    return placed
