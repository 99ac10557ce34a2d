"""A link's claims judged against its live page, as soon as the page has been fetched.

Run where the page arrives: in the run's own process, or in the checking worker that fetched
it (`check/processes.py`), which then sends back this judgement instead of the page. Reading a
page's text and indexing its passages costs tens of milliseconds a page, far more than
fetching it, so a run with claims to judge spreads that work over the cores.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from linkcheck.models import Claim, Support, SupportVerdict
from linkcheck.support.judge import judge, judge_index
from linkcheck.support.passages import PassageIndex
from linkcheck.support.semantic import Scorer
from linkcheck.support.text import page_text

if TYPE_CHECKING:
    from linkcheck.check.result import CheckResult

MAX_PAGE_CHARACTERS = 400_000  # of a page's text kept for judging: bodies are bounded anyway


@dataclass(frozen=True)
class LivePage:
    supports: tuple[Support | None, ...]  # one per occurrence of the link; None: no claim
    text: str | None  # the page's text, kept only where a claim was not supported (for drift)


def bounded_page_text(body: bytes, content_type: str | None, charset: str | None) -> str | None:
    text = page_text(body, content_type, charset, enough=MAX_PAGE_CHARACTERS)
    return text[:MAX_PAGE_CHARACTERS] if text else None


def judge_text(
    claims: Sequence[Claim | None], text: str | None, scorer: Scorer | None = None
) -> tuple[Support | None, ...]:
    """Each claim against the page; its passage index is built once for all of them."""
    if not text:
        return tuple(judge(claim, None, "live") if claim is not None else None for claim in claims)
    index = PassageIndex.build(text)
    return tuple(
        judge_index(claim, index, "live", scorer=scorer) if claim is not None else None
        for claim in claims
    )


def judge_result(
    result: CheckResult,
    claims: Sequence[Claim | None],
    scorer: Scorer | None = None,
    *,
    keep_text: bool = True,
) -> LivePage | None:
    """`judge_page` on a check's fetched page; None when nothing was fetched (judged later,
    from a snapshot if there is one)."""
    if result.body is None:
        return None
    verdict = result.verdict
    return judge_page(
        claims, result.body, verdict.content_type, result.charset, scorer, keep_text=keep_text
    )


def judge_page(
    claims: Sequence[Claim | None],
    body: bytes,
    content_type: str | None,
    charset: str | None,
    scorer: Scorer | None = None,
    *,
    keep_text: bool = True,
) -> LivePage:
    """`keep_text`: whether a snapshot may be compared with the page later (the drift check;
    not when no archive is consulted)."""
    text = bounded_page_text(body, content_type, charset)
    supports = judge_text(claims, text, scorer)
    unsupported = any(s is not None and s.verdict is not SupportVerdict.SUPPORTED for s in supports)
    return LivePage(supports, text if keep_text and text and unsupported else None)
