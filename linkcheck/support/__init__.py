"""Support: does the cited page still back the claim?

`page_text` takes a fetched page's main text, `judge` checks a claim's facts against it, and
`judge_with_archive` compares the live page with its snapshot to tell drift. docs/SUPPORT.md
describes the method and its thresholds.
"""

from __future__ import annotations

from linkcheck.support.drift import judge_with_archive, similarity
from linkcheck.support.facts import Fact, FactKind, claim_facts, find_fact
from linkcheck.support.judge import judge, judge_index
from linkcheck.support.passages import Hit, Passage, PassageIndex, split_passages
from linkcheck.support.semantic import Scorer, load_scorer
from linkcheck.support.text import page_text

__all__ = [
    "Fact",
    "FactKind",
    "Hit",
    "Passage",
    "PassageIndex",
    "Scorer",
    "claim_facts",
    "find_fact",
    "judge",
    "judge_index",
    "judge_with_archive",
    "load_scorer",
    "page_text",
    "similarity",
    "split_passages",
]
