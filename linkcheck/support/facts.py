"""The checkable facts of a claim, and whether a text states them.

A claim such as "the CDC reported record U.S. overdose deaths at nearly 106,000" carries facts a
page must repeat to back it: numbers (with percent signs, scale words and hedges), ranges, dates
and years, names of people, organisations and places, and a few key phrases. Matching is
tolerant of how the page writes them: "106,000" = "106.000" = "106 000", "30-35 percent" =
"entre 30 y 35 por ciento", "López Obrador" = "Lopez Obrador", "CDC" = "Centers for Disease
Control".
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property

from linkcheck.claims.lexical import STOPWORDS, sentence_features
from linkcheck.support.tokens import (
    GENERIC_WORDS,
    MONTH_WORDS,
    Number,
    Range,
    close_enough,
    fold,
    is_key_word,
    is_year,
    match_keys,
    readings,
    scan_dates,
    scan_numbers,
    scan_ranges,
    words,
)


class FactKind(StrEnum):
    NUMBER = "number"  # 106,000; 2.5%; $1.2 billion
    RANGE = "range"  # 30-35 percent
    DATE = "date"  # June 2021
    YEAR = "year"  # 2021
    NAME = "name"  # Gustavo Petro, American Petroleum Institute, CDC
    PHRASE = "phrase"  # two content words that go together: "synthetic opioids"


# How much each kind weighs in the support score: numbers are what a citation is usually for.
WEIGHTS = {
    FactKind.NUMBER: 3.0,
    FactKind.RANGE: 3.0,
    FactKind.NAME: 2.0,
    FactKind.DATE: 1.5,
    FactKind.YEAR: 1.0,
    FactKind.PHRASE: 1.0,
}
NUMERIC = frozenset({FactKind.NUMBER, FactKind.RANGE})


@dataclass(frozen=True)
class Fact:
    """One checkable fact of a claim.

    `text` is as the claim shows it ("nearly 106,000", "30-35 percent", "Gustavo Petro");
    `forms` are its normalized forms ("106000"; "30-35%"; "gustavo petro"); the other fields are
    what matching uses.
    """

    kind: FactKind
    text: str
    forms: tuple[str, ...]
    values: tuple[float, ...] = ()  # number: (v,); range: (low, high); year/date: (y[, month])
    percent: bool = False
    hedge: str | None = None  # "above" (more than), "below" (nearly), "about"
    words: tuple[str, ...] = ()  # name or phrase: folded words to find
    acronym: str | None = None  # name: its initials, or the acronym itself

    @property
    def weight(self) -> float:
        return WEIGHTS[self.kind]

    @property
    def numeric(self) -> bool:
        return self.kind in NUMERIC


@dataclass(frozen=True)
class Features:
    """What a passage (or a whole page) offers to match facts against."""

    text: str
    positions: Mapping[str, tuple[int, ...]]  # match key (`match_keys`) -> word positions
    numbers: tuple[Number, ...]
    ranges: tuple[Range, ...]
    years: frozenset[int]
    dates: frozenset[tuple[int, int]]  # (year, month)

    @cached_property
    def acronyms(self) -> frozenset[str]:
        """Initials of its capitalised names ("cdc", "api", "ine"): read only when asked."""
        return sentence_features(self.text).acronyms

    def has_word(self, word: str) -> bool:
        """A folded word is here as written, by stem, or (long words) by its first letters."""
        return any(key in self.positions for key in match_keys(word))

    def where(self, word: str) -> set[int]:
        """The positions of a folded word, by any of its keys."""
        found: set[int] = set()
        for key in match_keys(word):
            found.update(self.positions.get(key, ()))
        return found


def analyze(text: str) -> Features:
    """Read a passage once, for matching any number of facts against it."""
    folded = fold(text)
    positions: dict[str, list[int]] = defaultdict(list)
    for position, word in enumerate(words(folded.replace("u.s.", "us"))):
        for key in match_keys(word):
            positions[key].append(position)
    numbers = scan_numbers(folded)
    ranges = scan_ranges(folded, numbers)
    # "30 to 35 percent": the sign written once belongs to both ends.
    in_percent_range = {id(n) for r in ranges if r.percent for n in (r.low, r.high)}
    numbers = [
        Number(n.start, n.end, n.digits, n.values, True, n.scale)
        if id(n) in in_percent_range and not n.percent
        else n
        for n in numbers
    ]
    return Features(
        text=text,
        positions={key: tuple(found) for key, found in positions.items()},
        numbers=tuple(numbers),
        ranges=tuple(ranges),
        years=frozenset(int(n.digits) for n in numbers if is_year(n)),
        dates=frozenset((year, month) for _, _, year, month in scan_dates(folded)),
    )


def fact_credit(fact: Fact, features: Features) -> float:
    """How fully a text states a fact: 1 (stated), 0.5 (in part), 0 (not at all)."""
    if fact.kind is FactKind.NUMBER:
        return 1.0 if _has_number(fact, fact.values[0], features) else 0.0
    if fact.kind is FactKind.RANGE:
        return _range_credit(fact, features)
    if fact.kind is FactKind.DATE:
        year, month = int(fact.values[0]), int(fact.values[1])
        if (year, month) in features.dates:
            return 1.0
        return 0.5 if year in features.years else 0.0
    if fact.kind is FactKind.YEAR:
        return 1.0 if int(fact.values[0]) in features.years else 0.0
    if fact.kind is FactKind.NAME:
        return _name_credit(fact, features)
    return _phrase_credit(fact, features)


def find_fact(fact: Fact, text: str) -> bool:
    """Whether a passage or page states the fact in full."""
    try:
        return fact_credit(fact, analyze(text)) >= 1.0
    except (ValueError, OverflowError, RecursionError):  # junk text: not stated
        return False


def _has_number(fact: Fact, value: float, features: Features) -> bool:
    for number in features.numbers:
        if fact.percent and not number.percent:
            continue
        if any(close_enough(value, found, fact.hedge) for found in number.values):
            return True
    return False


def _range_credit(fact: Fact, features: Features) -> float:
    low, high = fact.values
    for found in features.ranges:
        if fact.percent and not found.percent:
            continue
        if any(close_enough(low, v, None) for v in found.low.values) and any(
            close_enough(high, v, None) for v in found.high.values
        ):
            return 1.0
    # Half credit for one end ("35%" for "30-35 percent"), or both ends written apart.
    if _has_number(fact, low, features) or _has_number(fact, high, features):
        return 0.5
    return 0.0


def _near(features: Features, fact_words: Sequence[str], span: int) -> tuple[int, bool]:
    """The most of `fact_words` found within `span` consecutive words, in any order, and
    whether the last of them (a surname, the head of a name) is among those."""
    marks = sorted(
        (position, index)
        for index, word in enumerate(fact_words)
        for position in features.where(word)
    )
    best, best_has_last = 0, False
    first = 0
    for last in range(len(marks)):
        while marks[last][0] - marks[first][0] >= span:
            first += 1
        inside = {index for _, index in marks[first : last + 1]}
        has_last = len(fact_words) - 1 in inside
        if (len(inside), has_last) > (best, best_has_last):
            best, best_has_last = len(inside), has_last
    return best, best_has_last


def _name_credit(fact: Fact, features: Features) -> float:
    if fact.acronym and (fact.acronym in features.positions or fact.acronym in features.acronyms):
        return 1.0
    if not fact.words:
        return 0.0
    # Written together, allowing "of the" and the like: "Summit of the Americas".
    near, has_last = _near(features, fact.words, len(fact.words) + 2)
    if near == len(fact.words):
        return 1.0
    # "López Obrador" names "Andres Manuel Lopez Obrador"; a lone "Petro" or "Border" is only
    # half of "Gustavo Petro" or "Southwest Border".
    if has_last and near >= 2 and 2 * near >= len(fact.words):
        return 1.0
    present = sum(1 for word in fact.words if features.has_word(word))
    return 0.5 if 2 * present >= len(fact.words) else 0.0


def _phrase_credit(fact: Fact, features: Features) -> float:
    near, _ = _near(features, fact.words, 4)  # "synthetic opioids", "territorio mexicano"
    if near == len(fact.words):
        return 1.0
    return 0.5 if all(features.has_word(word) for word in fact.words) else 0.0


# --- reading a claim ---------------------------------------------------------------------------

_HEDGES = {
    "above": "more than|over|at least|just over|upwards of|above|exceeding|mas de|mas del",
    "below": "nearly|almost|just under|less than|fewer than|under|up to|casi|menos de|hasta",
    "about": "about|around|approximately|approx|roughly|some|an estimated|estimated|close to"
    "|alrededor de|aproximadamente|cerca de|unos|unas|~",
}
_HEDGE = re.compile(
    r"(?:^|\W)(" + "|".join(_HEDGES.values()) + r")\.?\s*(?:us\$|mx\$|\$|€|£|usd|mxn)?\s*$"
)
_HEDGE_KIND = {word: kind for kind, alts in _HEDGES.items() for word in alts.split("|")}
_URL = re.compile(r"(?:https?://|www\.)\S+", re.I)
_CURRENCY = re.compile(r"(?:us\$|mx\$|\$|€|£|usd ?|mxn ?)$")
_TOKEN = re.compile(r"(?:[A-Z]\.){2,}|[^\W\d_][\w'’]*(?:[-.][^\W\d_][\w'’]*)*")
_ACRONYM = re.compile(r"(?:[A-Z]\.){2,}|[A-Z]{2,7}s?")
_CONNECTORS = frozenset("of the and for de del la las los el y on".split())
_TITLES = frozenset(
    """president presidente presidenta governor gobernador senator senador senadora secretary
    secretario secretaria minister ministro ministra chancellor mayor alcalde general gen director
    directora chairman chairwoman chair ceo head ambassador embajador representative rep sen gov
    commissioner judge justice leader lider dr mr mrs ms prof candidate candidato""".split()
)
# Capitalised only because they open a sentence or a bullet.
_COMMON_STARTERS = frozenset(
    """according additionally also although because before after every however meanwhile
    moreover numbers record rising since still then there thus today when where whereas while
    yet letters trade security losing turning last next new many much most several""".split()
)
_GENERIC_NAMES = frozenset({"us", "u.s.", "usa", "u.s.a."})
_WEEKDAYS = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday lunes martes miercoles jueves "
    "viernes sabado domingo".split()
)
_NOT_PHRASE_WORDS = frozenset(_HEDGE_KIND) | MONTH_WORDS | GENERIC_WORDS
_PHRASE_BREAK = re.compile(r"[^\s\-'’]")


@dataclass(frozen=True)
class _Token:
    text: str
    start: int
    end: int

    @property
    def folded(self) -> str:
        return fold(self.text)

    @property
    def capitalised(self) -> bool:
        return self.text[:1].isupper()

    @property
    def acronym(self) -> bool:
        return bool(_ACRONYM.fullmatch(self.text))


def claim_facts(claim_text: str) -> list[Fact]:
    """The checkable facts of a claim: numbers and ranges, dates and years, names, key phrases.

    Never raises: junk gives no facts.
    """
    try:
        # A URL written in the claim is the citation, not a fact: blank it, keeping offsets.
        text = _URL.sub(lambda m: " " * len(m.group()), unicodedata.normalize("NFC", claim_text))
        folded, origin = _fold_with_map(text)
        numeric = _numeric_facts(text, folded, origin)
        names = _name_facts(text)
        phrases = _phrase_facts(text, folded, origin, names)
    except (ValueError, OverflowError, RecursionError):
        return []
    facts: list[Fact] = []
    seen: set[tuple[FactKind, tuple[str, ...]]] = set()
    for fact in numeric + names + phrases:
        if (fact.kind, fact.forms) not in seen:
            seen.add((fact.kind, fact.forms))
            facts.append(fact)
    return facts


def _fold_with_map(text: str) -> tuple[str, list[int]]:
    """Folded text, and for each of its characters the offset it came from in `text`."""
    folded = fold(text)
    if len(folded) == len(text):
        return folded, list(range(len(text) + 1))
    parts: list[str] = []
    origin: list[int] = []
    for offset, char in enumerate(text):
        piece = fold(char)
        parts.append(piece)
        origin.extend([offset] * len(piece))
    origin.append(len(text))
    return "".join(parts), origin


def _span(text: str, origin: list[int], start: int, end: int) -> str:
    return " ".join(text[origin[start] : origin[end - 1] + 1].split()) if end > start else ""


def _hedge(folded: str, start: int) -> tuple[str | None, int]:
    """The hedge written before a number ("nearly", "más de"), and where it starts."""
    match = _HEDGE.search(folded, max(0, start - 30), start)
    if not match:
        return None, start
    return _HEDGE_KIND.get(match.group(1)), match.start(1)


def _with_currency(folded: str, start: int) -> int:
    match = _CURRENCY.search(folded, max(0, start - 4), start)
    return match.start() if match else start


def _numeric_facts(text: str, folded: str, origin: list[int]) -> list[Fact]:
    numbers = scan_numbers(folded)
    # Keep the widest reading of "106 000" (one number), not its pieces.
    kept: list[Number] = []
    for number in numbers:
        if kept and number.start < kept[-1].end:
            continue
        kept.append(number)
    taken: set[int] = set()
    facts: list[tuple[int, Fact]] = []
    for start, end, year, month in scan_dates(folded):
        facts.append(
            (
                start,
                Fact(
                    FactKind.DATE,
                    _span(text, origin, start, end),
                    (f"{year:04d}-{month:02d}",),
                    values=(float(year), float(month)),
                ),
            )
        )
        taken.update(i for i, n in enumerate(kept) if start <= n.start < end)
    for low, high in ((r.low, r.high) for r in scan_ranges(folded, kept)):
        i, j = kept.index(low), kept.index(high)
        if i in taken or j in taken:
            continue
        taken.update((i, j))
        if is_year(low) and (is_year(high) or len(high.digits) == 2):
            facts.append((low.start, _year_fact(text, origin, low)))
            if is_year(high):
                facts.append((high.start, _year_fact(text, origin, high)))
            continue
        hedge, start = _hedge(folded, _with_currency(folded, low.start))
        percent = low.percent or high.percent
        scale = low.scale if low.scaled else high.scale
        values = (readings(low.digits)[0] * scale, high.values[0])
        sign = "%" if percent else ""
        facts.append(
            (
                start,
                Fact(
                    FactKind.RANGE,
                    _span(text, origin, start, high.end),
                    (f"{values[0]:.12g}-{values[1]:.12g}{sign}",),
                    values=values,
                    percent=percent,
                    hedge=hedge,
                ),
            )
        )
    for i, number in enumerate(kept):
        if i in taken:
            continue
        if (
            is_year(number)
            and _CURRENCY.search(folded, max(0, number.start - 4), number.start) is None
        ):
            facts.append((number.start, _year_fact(text, origin, number)))
            continue
        value = number.values[0]
        if value == int(value) and value < 10 and not number.percent and not number.scaled:
            continue  # a bare digit ("3 times", "Title 9") matches anything
        hedge, start = _hedge(folded, _with_currency(folded, number.start))
        sign = "%" if number.percent else ""
        facts.append(
            (
                start,
                Fact(
                    FactKind.NUMBER,
                    _span(text, origin, start, number.end),
                    (f"{value:.12g}{sign}",),
                    values=(value,),
                    percent=number.percent,
                    hedge=hedge,
                ),
            )
        )
    return [fact for _, fact in sorted(facts, key=lambda pair: pair[0])]


def _year_fact(text: str, origin: list[int], number: Number) -> Fact:
    return Fact(
        FactKind.YEAR,
        _span(text, origin, number.start, number.start + 4),
        (number.digits,),
        values=(float(number.digits),),
    )


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    for match in _TOKEN.finditer(text):
        word = re.sub(r"['’]s$", "", match.group())  # possessive: "AMLO’s" is AMLO
        tokens.append(_Token(word, match.start(), match.start() + len(word)))
    return tokens


def _sentence_initial(text: str, token: _Token, previous: _Token | None) -> bool:
    before = text[: token.start].rstrip(" \t\r\n\"“‘'(•*–-")
    if not before:
        return True
    if before[-1] not in ".!?:;":
        return False
    # "the U.S. Southwest Border": a full stop that ends an initialism ends no sentence.
    return previous is None or not (previous.acronym and previous.text.endswith("."))


def _runs(text: str, tokens: list[_Token]) -> list[list[_Token]]:
    """Runs of capitalised words, with "of", "the", "de"... allowed inside."""
    runs: list[list[_Token]] = []
    run: list[_Token] = []
    for index, token in enumerate(tokens):
        joined = bool(run) and re.fullmatch(r"[\s\-–]*", text[run[-1].end : token.start])
        if token.capitalised:
            if not joined:
                runs.append(run)
                run = []
            run.append(token)
            continue
        nxt = tokens[index + 1] if index + 1 < len(tokens) else None
        connector = token.text.lower() in _CONNECTORS and nxt is not None
        if joined and connector and nxt is not None and (nxt.capitalised or nxt.text in ("the",)):
            if token.text.lower() in ("and", "y") and not any(
                t.text.lower() in ("of", "for", "de", "del") for t in run
            ):
                # "Centers for Disease Control and Prevention" is one name, "Russia and China"
                # and "Greg Abbott and Gustavo Petro" are two.
                runs.append(run)
                run = []
                continue
            run.append(token)
            continue
        runs.append(run)
        run = []
    runs.append(run)
    trimmed = []
    for found in runs:
        while found and not found[-1].capitalised:
            found = found[:-1]
        if found:
            trimmed.append(found)
    return trimmed


def _is_heading(tokens: list[_Token]) -> bool:
    """Title Case Text ("Record U.S. Overdose Deaths"): capitals say nothing there.

    A sentence that names many people still writes its other words in lower case.
    """
    words = [t for t in tokens if len(t.text) >= 3 and not t.acronym]
    if sum(1 for t in words if t.capitalised and len(t.text) >= 4) < 2:
        return False
    return not any(not t.capitalised and t.folded not in STOPWORDS for t in words)


def _name_facts(text: str) -> list[Fact]:
    tokens = _tokens(text)
    heading = _is_heading(tokens)
    previous = {id(b): a for a, b in itertools.pairwise(tokens)}
    names: list[Fact] = []
    for run in _runs(text, tokens):
        if heading:
            run = [token for token in run if token.acronym]
            names.extend(_name(text, [token]) for token in run)
            continue
        first = run[0]
        if _sentence_initial(text, first, previous.get(id(first))) and not first.acronym:
            lowered = first.folded
            if len(run) == 1 or lowered in STOPWORDS or lowered in _COMMON_STARTERS:
                run = run[1:]
        for part in _split_titles(run):
            names.append(_name(text, part))
    names = [name for name in names if _useful(name)]
    # "Andres Manuel Lopez Obrador (AMLO)": the acronym is the name already found.
    initials = {name.acronym for name in names if len(name.words) > 1 and name.acronym}
    return [
        name
        for name in names
        if len(name.words) > 1 or name.acronym is None or name.acronym not in initials
    ]


def _split_titles(run: list[_Token]) -> list[list[_Token]]:
    """ "Russian President Vladimir Putin" is "Russian" and "Vladimir Putin"."""
    while run and run[0].text.lower() in _CONNECTORS:
        run = run[1:]
    for index in range(len(run) - 2, -1, -1):
        if run[index].folded.rstrip(".") in _TITLES:
            before, after = run[:index], run[index + 1 :]
            return [part for part in _split_titles(before) + _split_titles(after) if part]
    return [run] if run else []


def _name(text: str, run: list[_Token]) -> Fact:
    shown = " ".join(text[run[0].start : run[-1].end].split())
    name_words: list[str] = []
    initials: list[str] = []
    for token in run:
        folded = token.folded
        if folded in _CONNECTORS:
            continue
        if re.fullmatch(r"(?:[a-z]\.){2,}", folded):
            initials.append(folded.replace(".", ""))
            continue  # "U.S." in a name: too common to require
        parts = [part for part in re.split(r"[^a-z0-9]+", folded) if part]
        initials.extend(part[0] for part in parts)
        name_words.extend(part for part in parts if len(part) >= 2 and part != "us")
    if len(run) == 1 and run[0].acronym:
        acronym: str | None = re.sub(r"[^a-z]", "", run[0].folded)
        acronym = acronym[:-1] if run[0].text.endswith("s") and acronym else acronym
    else:
        acronym = "".join(initials) if len(initials) >= 3 else None
    forms = tuple(dict.fromkeys(f for f in (" ".join(name_words), acronym) if f))
    return Fact(FactKind.NAME, shown, forms, words=tuple(name_words), acronym=acronym)


def _useful(name: Fact) -> bool:
    folded = fold(name.text)
    if folded in _GENERIC_NAMES or not name.forms:
        return False
    if len(name.words) == 1 and not name.acronym:
        word = name.words[0]
        return word not in STOPWORDS and word not in MONTH_WORDS and word not in _WEEKDAYS
    return True


def _phrase_facts(text: str, folded: str, origin: list[int], names: list[Fact]) -> list[Fact]:
    """Two to four pairs of content words that go together: "synthetic opioids".

    Longer words say more; adjacent pairs more than pairs with a word between. Pairs that touch
    a name are left out: the name is a fact of its own.
    """
    name_words = {word for name in names for word in name.words}
    spans = [(m.group(), m.start(), m.end()) for m in re.finditer(r"[^\W\d_]+", folded)]
    candidates: list[tuple[int, int, int]] = []  # (index of first word, of second, score)
    last: int | None = None
    skipped = 0
    for index, (word, start, _) in enumerate(spans):
        if index and _PHRASE_BREAK.search(folded, spans[index - 1][2], start):
            last, skipped = None, 0
        content = is_key_word(word) and word not in _NOT_PHRASE_WORDS
        if not content:
            skipped += 1
            if skipped > 1:
                last = None
            continue
        if last is not None and spans[last][0] not in name_words and word not in name_words:
            bonus = 5 if skipped == 0 else 0
            candidates.append((last, index, len(spans[last][0]) + len(word) + bonus))
        last, skipped = index, 0
    chosen: list[tuple[int, int, int]] = []
    used: set[int] = set()
    for first, second, score in sorted(candidates, key=lambda c: (-c[2], c[0])):
        if first in used or second in used:
            continue
        chosen.append((first, second, score))
        used.update((first, second))
        if len(chosen) == 4:
            break
    phrases = []
    for first, second, _ in sorted(chosen):
        pair = (spans[first][0], spans[second][0])
        shown = _span(text, origin, spans[first][1], spans[second][2])
        phrases.append(Fact(FactKind.PHRASE, shown, (" ".join(pair),), words=pair))
    return phrases
