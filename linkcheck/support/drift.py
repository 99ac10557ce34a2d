"""Has the cited page drifted from what it said when the document cited it?

The live page is judged first. When it no longer backs the claim (it changed, or it is gone)
but the snapshot nearest the document's date does, the verdict is `drifted`, with both passages.
`similarity` compares the two texts whenever both exist, so a rewritten page shows even when the
claim's facts survived the rewrite.
"""

from __future__ import annotations

import re
from dataclasses import replace

from linkcheck.models import Claim, Support, SupportVerdict
from linkcheck.support.judge import judge
from linkcheck.support.semantic import Scorer
from linkcheck.support.tokens import fold

SHINGLE = 3  # words per shingle
_WORD = re.compile(r"\w+")


def similarity(live_text: str, archive_text: str) -> float:
    """Jaccard similarity of the two texts' sets of 3-word shingles, in [0, 1].

    Folded words, punctuation ignored. Identical texts give 1; a page whose sentences were
    rewritten drops fast even with the same vocabulary (which a word-frequency cosine would not
    show); unrelated texts give about 0. Texts shorter than three words compare word sets.
    """
    left, right = _shingles(live_text), _shingles(archive_text)
    if not left and not right:
        return 1.0
    union = len(left | right)
    return len(left & right) / union if union else 0.0


def _shingles(text: str) -> set[str]:
    found = _WORD.findall(fold(text))
    if len(found) < SHINGLE:
        return set(found)
    return {" ".join(found[i : i + SHINGLE]) for i in range(len(found) - SHINGLE + 1)}


def judge_with_archive(
    claim: Claim,
    live_text: str | None,
    archive_text: str | None,
    *,
    scorer: Scorer | None = None,
) -> Support:
    """Judge the claim against the live page, and against its snapshot when the live page fails.

    - live supports: the live judgement (source "live");
    - live fails, snapshot supports: `drifted`, source "archive", `passage` the live page's best
      passage (None when it is gone), `archive_passage` the snapshot's, `facts_found` what the
      snapshot states, `facts_missing` those of them the live page lacks;
    - live gone, snapshot does not support: the snapshot's judgement (source "archive");
    - otherwise (no snapshot, or neither supports): the live judgement, `unknown` when gone.

    `similarity` is set whenever both texts exist.
    """
    live_ok = live_text is not None and bool(live_text.strip())
    archive_ok = archive_text is not None and bool(archive_text.strip())
    sim = (
        round(similarity(live_text or "", archive_text or ""), 3)
        if live_ok and archive_ok
        else None
    )
    live = judge(claim, live_text if live_ok else None, "live", scorer=scorer)
    if live.verdict is SupportVerdict.SUPPORTED or not archive_ok:
        return replace(live, similarity=sim)
    archived = judge(claim, archive_text, "archive", scorer=scorer)
    if archived.verdict is not SupportVerdict.SUPPORTED:
        return replace(live if live_ok else archived, similarity=sim)
    lost = tuple(fact for fact in archived.facts_found if fact not in live.facts_found)
    return Support(
        SupportVerdict.DRIFTED,
        score=archived.score,
        passage=live.passage,
        facts_found=archived.facts_found,
        facts_missing=lost,
        source="archive",
        archive_passage=archived.passage,
        similarity=sim,
    )
