"""Lexical similarity between a URL and a sentence, for aligning pooled links to claims.

A URL says what it cites through its host and path words: `overdose-deaths-record-high`,
`API_Letter_USMCA`, `uschamber.com`. Those words are compared with a sentence's words, stems,
numbers and the acronyms its capitalised names make ("American Petroleum Institute" -> api).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote, urlsplit

# Host labels and path words that say nothing about the claim.
_HOST_NOISE = frozenset(
    "www www2 web edition m amp en es com org net gov edu mil int info io co uk mx de fr ca au "
    "us eu news blog blogs".split()
)
_PATH_NOISE = frozenset(
    """index html htm shtml php asp aspx jsp pdf doc docx cfm files file media assets documents
    document docs pubs pub publications article articles post posts content contents uploads wp
    external pages page default item items id view story stories detail details public static
    images image img download downloads sites site en es home main display cms library lib
    jan feb mar apr may jun jul aug sep sept oct nov dec intl""".split()
)
STOPWORDS = frozenset(
    """a an the of to in on for and or but at by with from as is are was were be been being it its
    this that these those their his her our your we they he she you i not no nor so if than then
    into over under about after before all any each more most other some such only own same too
    very can will just should now has have had do does did also via per
    de la el los las en y del al que por para con se lo un una es no""".split()
)
_WORD = re.compile(r"[a-z0-9]+")
_PATH_DATE = re.compile(r"/((?:19|20)\d\d)/(?:\d{1,2}|[a-z]{3})(?:/\d{1,2})?(?=/|$)", re.I)
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_SUFFIXES = (
    "ations",
    "ation",
    "ings",
    "ing",
    "ions",
    "ion",
    "ants",
    "ant",
    "ers",
    "er",
    "ies",
    "ied",
    "es",
    "ed",
    "s",
    "y",
)


def fold(text: str) -> str:
    """Lower case without diacritics: "Petróleos" and "petroleos" are one word."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A crude, language-agnostic stem: "migrants" and "migration" meet at "migr"."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def url_tokens(url: str) -> list[str]:
    """The informative words of a URL: host labels and path words, noise and ids dropped."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return []
    tokens: list[str] = []
    for label in (parts.hostname or "").split("."):
        if label and label not in _HOST_NOISE:
            tokens.append(fold(label))
    path = unquote(parts.path + " " + parts.query)
    # A date in the path ("/2021/05/30/", "/2020/dec/22/") dates the article: keep its year,
    # which a claim may name, and drop the month and day, which only collide with numbers.
    for year in _PATH_DATE.findall(path):
        tokens.append(year)
    path = _PATH_DATE.sub("/", path)
    for chunk in re.split(r"[/\-_.+=&?,;:%\s]+", path):
        for piece in _CAMEL.split(chunk):
            for word in _WORD.findall(fold(piece)):
                if word in _PATH_NOISE or word in STOPWORDS or len(word) < 2:
                    continue
                if word.isdigit() and len(word) >= 4:
                    continue  # years and ids in paths date the article, not the claim
                if re.fullmatch(r"[a-z]{1,3}\d{3,}|\d+[a-z]{1,2}", word):
                    continue  # catalogue numbers ("ep68838") and times ("9pm")
                tokens.append(word)
    return list(dict.fromkeys(tokens))


def is_year(token: str) -> bool:
    return len(token) == 4 and token.isdigit() and 1900 <= int(token) <= 2100


def is_site_root(url: str) -> bool:
    parts = urlsplit(url)
    return parts.path in ("", "/") and not parts.query


@dataclass(frozen=True)
class SentenceFeatures:
    words: frozenset[str]
    stems: frozenset[str]
    acronyms: frozenset[str]


def sentence_features(text: str) -> SentenceFeatures:
    folded = fold(text)
    words = set(_WORD.findall(folded.replace("u.s.", "us")))
    return SentenceFeatures(
        words=frozenset(words),
        stems=frozenset(stem(word) for word in words if len(word) >= 4),
        acronyms=frozenset(_acronyms(text)),
    )


def _acronyms(text: str) -> set[str]:
    """Initials of every run of capitalised words ("U.S. Hispanic Chamber of Commerce" gives
    "ushcc" and "hcc"), with "of", "and", "for", "the" allowed inside a run."""
    found: set[str] = set()
    run: list[str] = []
    for word in [*re.findall(r"[\w.’']+", text), ""]:
        if word in ("U.S.", "US"):
            run.append("us")
        elif word[:1].isupper():
            run.append(fold(word[0]))
        elif run and word in ("of", "and", "for", "the", "de", "del"):
            continue
        else:
            for start in range(len(run)):
                for end in range(start + 2, len(run) + 1):
                    found.add("".join(run[start:end]))
            run = []
    return found


def token_match(token: str, features: SentenceFeatures) -> float:
    """How well one URL word is found in a sentence, in [0, 1]."""
    if token in features.words or token in features.acronyms:
        return 1.0
    if len(token) >= 4 and stem(token) in features.stems:
        return 0.8
    if len(token) >= 7:
        return _compound_cover(token, features)
    return 0.0


def _compound_cover(token: str, features: SentenceFeatures) -> float:
    """A run-together word ("uschamber", "americasquarterly") made of the sentence's words:
    the share of its letters covered by them, when that is most of it."""
    known = features.words | features.acronyms
    best = [0] * (len(token) + 1)  # best[i]: letters of token[:i] covered by known words
    for end in range(1, len(token) + 1):
        best[end] = best[end - 1]
        for start in range(max(0, end - 20), end - 1):
            piece = token[start:end]
            if piece in known and (len(piece) >= 3 or piece == "us"):
                best[end] = max(best[end], best[start] + len(piece))
    share = best[-1] / len(token)
    return share * 0.9 if share >= 0.6 else 0.0
