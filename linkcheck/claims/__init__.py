"""Claims: the sentences of a document, and which of them each link supports."""

from __future__ import annotations

from linkcheck.claims.match import align_pooled, match_occurrences
from linkcheck.claims.segment import Sentence, segment
from linkcheck.models import Claim, Extraction, Occurrence


def claims_and_occurrences(extraction: Extraction) -> tuple[list[Claim], list[Occurrence]]:
    """Segment a document into claims and tie each of its link occurrences to one."""
    sentences = segment(extraction.pages, extraction.document.source)
    occurrences = match_occurrences(extraction, sentences)
    return [sentence.claim for sentence in sentences], occurrences


__all__ = ["Sentence", "align_pooled", "claims_and_occurrences", "match_occurrences", "segment"]
