"""Soft-404s: a "200 OK" that is really a missing page.

Two signals (docs/CHECKER.md has the reasoning):
1. the page's <title> or first <h1> says the page is missing (English, Spanish and a few more);
   strong phrases count anywhere, weak ones ("not found", "no existe") only in a short title;
2. a random path on the same host (one probe per host and run) comes back 200 as the same page:
   the same final URL after redirects, or near-identical visible text (difflib ratio ≥ 0.95 on
   white-space tokens, the method of Bar-Yossef et al. 2004 as in benhoyt/soft404).
Root URLs are never soft-404s; a host answering 404 to the probe is honest.
"""

from __future__ import annotations

import difflib
import random
import re
import string
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from linkcheck.check.answer import Fetch
from linkcheck.check.page import Page, text_tokens
from linkcheck.check.redirects import is_error_path

PROBE_LETTERS = 25
SIMILAR = 0.95
# Below this many visible words and with scripts, a page is an app shell: the same shell for
# every path is what single-page apps serve, so sameness proves nothing there.
APP_SHELL_TOKENS = 20


def _any_of(*patterns: str) -> re.Pattern[str]:
    """One alternation: a title is searched once, not once per phrase."""
    return re.compile("|".join(f"(?:{pattern})" for pattern in patterns), re.I)


_STRONG = _any_of(
    r"\b(?:page|file|document|resource|article|content)s? (?:was |could )?not (?:be )?found\b",
    r"\bpage (?:cannot|can't|can ?not|could not|couldn't) be found\b",
    r"\b404\b.{0,40}\bnot found\b",
    r"\bnot found\b.{0,40}\b404\b",
    r"\berror:? ?404\b|\b404 error\b",
    r"\bpage (?:does not|doesn't|no longer) exists?\b",
    r"\bpage (?:is )?no longer available\b",
    r"p[aá]gina no (?:encontrada|existe|disponible|se encuentra)",
    r"no se (?:ha )?(?:encontr[oó]|pudo encontrar|encuentra) (?:la )?p[aá]gina",
    r"p[aá]gina n[aã]o (?:encontrada|existe)",  # Portuguese
    r"page (?:introuvable|non trouv[ée]e)",  # French
    r"seite (?:wurde )?nicht gefunden",  # German
)
_WEAK = _any_of(
    r"\bnot found\b",
    r"(?:^|[|:\-–—]\s*)404(?:\s*[|:\-–—]|$)",
    r"\bdoes(?:n't| not) exist\b",
    r"\bno longer available\b",
    r"\bno se encontr[oó]\b",
    r"\bno existe\b",
    r"\bya no est[aá] disponible\b",
)
SHORT_TITLE = 60
# A word each phrase above holds, whatever its case: an ASCII title without any of them
# needs neither regex (the two took 34 us a page, 4 % of a worker's time per link).
_PHRASE_WORDS = (
    "found",
    "404",
    "exist",
    "available",
    "gina",
    "trouv",
    "gefunden",
    "encontr",
    "disponible",
)


def _may_say_missing(text: str) -> bool:
    """False when neither _STRONG nor _WEAK can match `text`. Only for ASCII text: with
    IGNORECASE, "ı" and "ſ" match "i" and "s", which lower() leaves alone."""
    if not text.isascii():
        return True
    folded = text.lower()
    return any(word in folded for word in _PHRASE_WORDS)


class ProbeFinding(StrEnum):
    HONEST = "honest"  # the probe was not served as a live page: the host tells 404s apart
    DIFFERENT = "different"  # the probe is a live page, but not this one
    SAME = "same"  # this page is what the host serves for any path: soft-404
    APP_SHELL = "app-shell"  # the same client-side app shell for any path: cannot tell


@dataclass(frozen=True)
class ProbeComparison:
    finding: ProbeFinding
    detail: str | None = None


def says_missing(page: Page, url: str) -> str | None:
    """The title or heading that announces a missing page, or None."""
    if is_error_path(url):
        return None  # a page about errors ("/docs/errors/404") may well be titled so
    for text in (page.title, page.h1):
        if not text or not _may_say_missing(text):
            continue
        if _STRONG.search(text):
            return text
        if len(text) <= SHORT_TITLE and _WEAK.search(text):
            return text
    return None


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def probe_url(url: str, rng: random.Random) -> str:
    """A path that surely does not exist on the host of `url`."""
    name = "".join(rng.choice(string.ascii_lowercase) for _ in range(PROBE_LETTERS))
    return f"{origin(url)}/{name}"


def similarity(a: tuple[str, ...], b: tuple[str, ...]) -> float:
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    if matcher.real_quick_ratio() < SIMILAR or matcher.quick_ratio() < SIMILAR:
        return matcher.quick_ratio()  # an upper bound already too low: skip the slow part
    return matcher.ratio()


def _answered_live(fetch: Fetch) -> bool:
    return fetch.failure is None and fetch.answer is not None and 200 <= fetch.answer.status < 300


def compare_with_probe(page_fetch: Fetch, probe: Fetch | None) -> ProbeComparison:
    """Is the page that `page_fetch` got the host's answer to any path?"""
    if probe is None or not _answered_live(probe) or probe.page is None:
        return ProbeComparison(ProbeFinding.HONEST)
    page = page_fetch.page
    answer = page_fetch.answer
    if page is None or answer is None or probe.answer is None:
        return ProbeComparison(ProbeFinding.DIFFERENT)
    landing = page_fetch.landing_url  # hop targets carry no fragment
    if page_fetch.hops and probe.hops and landing == probe.landing_url:
        detail = f"redirects where a random path on this host redirects too: {landing}"
        return ProbeComparison(ProbeFinding.SAME, detail)
    probe_tokens = text_tokens(probe.page, probe.answer.body)
    tokens = text_tokens(page, answer.body) if probe_tokens else ()
    if tokens and probe_tokens:
        ratio = similarity(tokens, probe_tokens)
        same = ratio >= SIMILAR
        how = f"{ratio:.0%} the same text"
    else:
        same = bool(answer.body) and answer.body == probe.answer.body
        how = "the same bytes"
    if not same:
        return ProbeComparison(ProbeFinding.DIFFERENT)
    if page.is_html and page.has_script and len(tokens) < APP_SHELL_TOKENS:
        detail = "the host serves this same app shell for any path: existence not verified"
        return ProbeComparison(ProbeFinding.APP_SHELL, detail)
    detail = f"same page as a random path on this host ({how}: {probe.url})"
    return ProbeComparison(ProbeFinding.SAME, detail)
