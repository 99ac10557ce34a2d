"""Publication dates: parsing metadata values and finding a date written in the text."""

from __future__ import annotations

import datetime as dt
import re

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_TEXT_DATES = [
    re.compile(_MONTH + r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<year>(?:19|20)\d\d)\b", re.I),
    re.compile(r"\b(?P<day>\d{1,2})\s+" + _MONTH + r",?\s+(?P<year>(?:19|20)\d\d)\b", re.I),
    re.compile(r"\b(?P<year>(?:19|20)\d\d)-(?P<month>\d\d)-(?P<day>\d\d)\b"),
]
# PDF dates: "D:20220608123000+05'00'"; also plain ISO dates and datetimes.
_ISO = re.compile(r"(?:D:)?(?P<year>\d{4})-?(?P<month>\d\d)?-?(?P<day>\d\d)?")


def _make(year: str, month: str, day: str) -> dt.date | None:
    number = int(month) if month.isdigit() else _MONTHS.get(month.lower().rstrip("."))
    if number is None:
        return None
    try:
        return dt.date(int(year), number, int(day))
    except ValueError:
        return None


def parse_date(value: object) -> dt.date | None:
    """A date from a metadata value: a date or datetime, ISO text, or a PDF "D:YYYYMMDD..."."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or not value.strip():
        return None
    text = re.sub(r"^(\d{4})/(\d{1,2})/(\d{1,2})", r"\1-\2-\3", value.strip())
    text = re.sub(r"^(\d{4})-(\d)(?=\D|$)", r"\1-0\2", text)
    text = re.sub(r"^(\d{4}-\d\d)-(\d)(?=\D|$)", r"\1-0\2", text)
    match = _ISO.match(text)
    if match and match.group("month") and match.group("day"):
        return _make(match.group("year"), match.group("month"), match.group("day"))
    return find_date_in_text(text)


def find_date_in_text(text: str, limit: int = 4000) -> dt.date | None:
    """The first full date (day, month, year) written in the first `limit` characters."""
    head = text[:limit]
    best: tuple[int, dt.date] | None = None
    for pattern in _TEXT_DATES:
        for match in pattern.finditer(head):
            date = _make(match.group("year"), match.group("month"), match.group("day"))
            if date is not None and (best is None or match.start() < best[0]):
                best = (match.start(), date)
            if date is not None:
                break
    return best[1] if best else None
