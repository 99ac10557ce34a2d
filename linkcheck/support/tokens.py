"""Words, index terms, numbers and dates of a text, read the same way on claims and on pages.

Everything here works on folded text (`lexical.fold`: lower case, no diacritics), so "México"
and "Mexico" are one word. Words become two index terms: the crude stem, and for long words their
first six letters, which lets an English claim meet a Spanish page ("territory"/"territorio",
"Mexican"/"mexicano", "cartels"/"carteles") at the price of a few collisions.
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from dataclasses import dataclass

from linkcheck.claims.lexical import STOPWORDS, stem

PREFIX = 6  # letters two words must share to meet across languages
HEDGE_SPAN = 0.05  # "more than X" / "nearly X": the page's figure within 5 % of X, that side
ABOUT_SPAN = 0.03  # "about X": within 3 % either side
ROUNDING = 0.01  # an unhedged round figure: within 1 %, and within half its last unit
_WORD = re.compile(r"[^\W\d_]+")

# A number as written: digits grouped by "," "." or "'" (a regular space is handled apart).
# Not glued to a word ("H1N1", "fentanyl.3"), nor a hyphenated code ("COVID-19").
_NUMBER = re.compile(r"(?<![\w.,'])(?<![^\W\d_]-)\d+(?:[.,']\d+)*")
_SPACE_GROUPED = re.compile(r"(?<![\w.,'])\d{1,3}(?: \d{3})+(?![\w]|[.,]\d)")
_PERCENT = re.compile(
    r"\s?%|\s*(?:percent|per cent|por ciento|porciento|percentage points?|puntos porcentuales"
    r"|pct)\b"
)
_SCALES = {
    "thousand": 1e3, "mil": 1e3, "k": 1e3,
    "million": 1e6, "millions": 1e6, "millon": 1e6, "millones": 1e6, "mn": 1e6, "m": 1e6,
    "mil millones": 1e9, "billion": 1e9, "billions": 1e9, "bn": 1e9, "b": 1e9,
    "trillion": 1e12, "trillions": 1e12, "tn": 1e12, "billon": 1e12, "billones": 1e12,
}  # fmt: skip
# Single letters count only glued to the number ("$5m", "2bn"): "5 m" may be metres.
_SCALE = re.compile(
    r"\s+(mil millones|thousand|millions?|millon(?:es)?|billions?|billon(?:es)?|trillions?|mil)"
    r"\b|(k|m|b|bn|mn|tn)\b"
)
_RANGE_JOIN = re.compile(r"\s*(?:-|–|—|−|to|a|al|hasta|through)\s*")
# "and"/"y" make a range only after "between"/"entre": "entre el 30 y el 35 por ciento".
_BETWEEN_JOIN = re.compile(r"\s*(?:%\s*)?(?:and|y|e)\s+(?:the\s+|el\s+|la\s+)?(?:\$|us\$)?")
_BETWEEN = re.compile(r"(?:between|entre)\s+(?:the\s+|el\s+|la\s+)?(?:\$|us\$)?$")
_MONTHS = {
    "january": 1, "jan": 1, "enero": 1, "february": 2, "feb": 2, "febrero": 2,
    "march": 3, "mar": 3, "marzo": 3, "april": 4, "apr": 4, "abril": 4, "may": 5, "mayo": 5,
    "june": 6, "jun": 6, "junio": 6, "july": 7, "jul": 7, "julio": 7,
    "august": 8, "aug": 8, "agosto": 8, "september": 9, "sept": 9, "sep": 9, "septiembre": 9,
    "setiembre": 9, "october": 10, "oct": 10, "octubre": 10,
    "november": 11, "nov": 11, "noviembre": 11, "december": 12, "dec": 12, "diciembre": 12,
}  # fmt: skip
MONTH_WORDS = frozenset(_MONTHS)
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_YEAR = r"((?:19|20)\d\d)(?!\d)"
# "June 2021", "June 7, 2021", "7 de junio de 2021", "junio del 2021", "2021-06-07".
_DATE_PATTERNS = (
    re.compile(
        rf"\b({_MONTH})\.?\s+(?:\d{{1,2}}(?:st|nd|rd|th)?,?\s+)?(?:de\s+|del\s+|of\s+)?"
        rf"{_YEAR}"
    ),
    re.compile(rf"\b{_YEAR}-(0[1-9]|1[0-2])\b"),
)


# Words beyond the stopwords that say little about what a claim claims: hedges, reporting verbs,
# quantity words and connectives, in English and Spanish.
GENERIC_WORDS = frozenset(
    """nearly almost about around approximately approx roughly some over under least just close
    estimated casi mas menos cerca alrededor aproximadamente unos unas hasta
    percent cent por ciento percentage points thousand million millions billion billions
    trillion mil millones said says say according including include includes also like well
    even still every across regarding upon within without among toward towards many much
    several because while where when which who whom whose what there here being made make
    would could may might must shall one two three four five six seven eight nine ten first
    second third new other others year years primarily mainly mostly reported reports report
    muy entre sobre desde como pero sus este esta estos estas fue han ser son era sin tras ante
    segun""".split()
)


def fold(text: str) -> str:
    """`lexical.fold` (lower case without diacritics), faster on long texts.

    The same steps in the same order, NFKD then combining marks dropped then lower case, but
    marks are found among the distinct characters and removed in one `translate`, not tested
    one character at a time.
    """
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    marks = {ord(c): None for c in set(decomposed) if ord(c) > 127 and unicodedata.combining(c)}
    return (decomposed.translate(marks) if marks else decomposed).lower()


def match_keys(word: str) -> tuple[str, ...]:
    """The keys under which a folded word is found: itself, its stem, its first letters."""
    base = "s:" + stem(word)
    if len(word) >= PREFIX:
        return (word, base, "p:" + word[:PREFIX])
    return (word, base)


def is_content_word(word: str) -> bool:
    return len(word) >= 2 and word not in STOPWORDS


def is_key_word(word: str) -> bool:
    """A word that says something about the claim: no stopword, hedge or generic word."""
    return len(word) >= 3 and word not in STOPWORDS and word not in GENERIC_WORDS


def words(folded: str) -> list[str]:
    """The words (letters only) of folded text."""
    return _WORD.findall(folded)


def word_terms(word: str) -> tuple[str, ...]:
    """Index terms of one folded word: its stem, and its first letters when it is long."""
    base = stem(word)
    if len(word) >= PREFIX and word[:PREFIX] != base:
        return (base, "~" + word[:PREFIX])
    return (base,)


def value_term(value: float) -> str:
    """The index term of a number's value."""
    return "#" + format(value, ".12g")


@dataclass(frozen=True)
class Number:
    """A number as read from folded text, with every value it may mean.

    "106.000" is 106000 in Spanish and 106.0 in English: both are kept. The first value is the
    likeliest reading (groups of three digits are thousands), the one a claim is taken to mean.
    """

    start: int
    end: int  # after the unit, when there is one
    digits: str  # as written, without unit
    values: tuple[float, ...]
    percent: bool = False
    scale: float = 1.0  # "billion", "millones"...

    @property
    def scaled(self) -> bool:
        return self.scale != 1.0


@dataclass(frozen=True)
class Range:
    low: Number
    high: Number
    percent: bool


def readings(text: str) -> list[float]:
    """The values a digit string may stand for, likeliest first."""
    groups = re.split(r"[.,']", text)
    seps = re.findall(r"[.,']", text)
    if not seps:
        return [float(text)]
    found: list[float] = []
    if len(set(seps)) == 1 and 1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:]):
        found.append(float("".join(groups)))
    last, head = seps[-1], seps[:-1]
    if last in ".,":
        if not head:
            found.append(float(groups[0] + "." + groups[1]))
        elif (
            len(set(head)) == 1
            and head[0] != last
            and 1 <= len(groups[0]) <= 3
            and all(len(g) == 3 for g in groups[1:-1])
        ):
            found.append(float("".join(groups[:-1]) + "." + groups[-1]))
    return list(dict.fromkeys(found))


def scan_numbers(folded: str) -> list[Number]:
    """Every number of folded text, with its percent sign and scale word."""
    found: list[Number] = []
    for match in _NUMBER.finditer(folded):
        read = readings(match.group())
        if not read:
            continue
        end = match.end()
        percent = False
        scale = 1.0
        if unit := _PERCENT.match(folded, end):
            percent, end = True, unit.end()
        elif scaled := _SCALE.match(folded, end):
            scale = _SCALES[(scaled.group(1) or scaled.group(2)).strip()]
            end = scaled.end()
        values = [value * scale for value in read]
        if scale != 1.0:
            values += read  # "1.2 billion" also reads as the bare 1.2
        found.append(Number(match.start(), end, match.group(), tuple(values), percent, scale))
    # "106 000": thousands grouped by spaces, as French and Spanish typesetting does.
    for match in _SPACE_GROUPED.finditer(folded):
        digits = match.group()
        value = float(digits.replace(" ", ""))
        end = match.end()
        percent = bool(unit := _PERCENT.match(folded, end))
        if unit:
            end = unit.end()
        found.append(Number(match.start(), end, digits, (value,), percent))
    found.sort(key=lambda number: (number.start, -number.end))
    return found


def scan_ranges(folded: str, numbers: list[Number]) -> list[Range]:
    """Pairs like "30-35 percent", "30 to 35%", "entre 30 y 35 por ciento"."""
    ranges: list[Range] = []
    for low, high in itertools.pairwise(numbers):
        if high.start <= low.end or high.start - low.end > 12:
            continue
        if not _RANGE_JOIN.fullmatch(folded, low.end, high.start) and not (
            _BETWEEN_JOIN.fullmatch(folded, low.end, high.start)
            and _BETWEEN.search(folded, max(0, low.start - 12), low.start)
        ):
            continue
        ranges.append(Range(low, high, low.percent or high.percent))
    return ranges


def is_year(number: Number) -> bool:
    return (
        len(number.digits) == 4
        and number.digits.isdigit()
        and 1900 <= int(number.digits) <= 2100
        and not number.percent
        and not number.scaled
    )


def scan_dates(folded: str) -> list[tuple[int, int, int, int]]:
    """(start, end, year, month) of every month-and-year date of folded text."""
    dates: list[tuple[int, int, int, int]] = []
    for match in _DATE_PATTERNS[0].finditer(folded):
        dates.append((match.start(), match.end(), int(match.group(2)), _MONTHS[match.group(1)]))
    for match in _DATE_PATTERNS[1].finditer(folded):
        dates.append((match.start(), match.end(), int(match.group(1)), int(match.group(2))))
    return dates


def close_enough(claimed: float, found: float, hedge: str | None) -> bool:
    """Whether a value on the page is the claim's number, allowing for the claim's rounding.

    A hedge widens the window in its direction: "more than 70,000" takes 70,000 up to 73,500,
    "nearly 106,000" takes 100,700 up to 106,000, "about 30" takes 29.1 to 30.9. An unhedged
    round number ("106,000") takes what rounds to it, within 1 %.
    """
    if not (math.isfinite(claimed) and math.isfinite(found)):
        return claimed == found
    if math.isclose(claimed, found, rel_tol=1e-9, abs_tol=1e-9):
        return True
    if hedge == "above":
        return claimed <= found <= claimed * (1 + HEDGE_SPAN)
    if hedge == "below":
        return claimed * (1 - HEDGE_SPAN) <= found <= claimed
    if hedge == "about":
        return abs(found - claimed) <= abs(claimed) * ABOUT_SPAN
    if claimed >= 1000 and claimed == int(claimed):
        digits = str(int(claimed))
        zeros = len(digits) - len(digits.rstrip("0"))
        if zeros >= 2:
            tolerance = min(0.5 * 10.0 ** min(zeros, 300), claimed * ROUNDING)
            return abs(found - claimed) <= tolerance
    return False
