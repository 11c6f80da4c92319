"""Dates in everyday text, resolved against when the text was said.

"yesterday", "last year", "two weeks ago" mean nothing once stored unless they are anchored; the
offline extractor turns them into absolute date entities (``2023-05-07``, ``2023-05``, ``2022``,
``week of 2023-05-01``) using the memory's ``created_at``, so temporal questions can find them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

MONTHS = {
    name: i + 1
    for i, names in enumerate(
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
        ]
    )
    for name in names
}
_MONTH = r"(January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?"
_NUMBERS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "couple of": 2,
    "few": 3,
}
_COUNT = r"(\d{1,2}|a|an|one|two|three|four|five|six|seven|eight|nine|ten|a couple of|a few)"

_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_DAY_MONTH = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}(?:,?\s+(\d{{4}}))?\b")
_MONTH_DAY = re.compile(rf"\b{_MONTH}\s+(\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(\d{{4}}))?\b")
_MONTH_YEAR = re.compile(rf"\b{_MONTH}\s+(\d{{4}})\b")
_YEAR = re.compile(r"(?<![\d-])((?:19|20)\d{2})(?![\d-])")
_RELATIVE_DAY = re.compile(r"\b(yesterday|today|tonight|last night|this morning|this afternoon)\b", re.I)
_LAST = re.compile(r"\blast (week|weekend|month|year|summer|winter)\b", re.I)
_AGO = re.compile(rf"\b{_COUNT}\s+(day|week|weekend|month|year)s?\s+ago\b", re.I)


@dataclass(frozen=True, slots=True)
class FoundDate:
    """A date named in text: its entity name and the instant it starts (for ``valid_from``)."""

    name: str
    start: date
    span: tuple[int, int]


def anchor_of(created_at: str | None) -> date | None:
    if not created_at:
        return None
    try:
        return datetime.fromisoformat(created_at.replace("Z", "+00:00")).date()
    except ValueError:
        return None


def _day(value: date) -> str:
    return value.isoformat()


def _week_of(value: date) -> tuple[str, date]:
    monday = value - timedelta(days=value.weekday())
    return f"week of {monday.isoformat()}", monday


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _shift_months(value: date, months: int) -> date:
    index = value.year * 12 + value.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def find_dates(text: str, created_at: str | None) -> list[FoundDate]:
    """Every date ``text`` names, absolute or relative to ``created_at``, in order of appearance."""
    anchor = anchor_of(created_at)
    found: list[FoundDate] = []
    taken: list[tuple[int, int]] = []

    def add(name: str, start: date, span: tuple[int, int]) -> None:
        if any(a < span[1] and span[0] < b for a, b in taken):
            return
        taken.append(span)
        found.append(FoundDate(name, start, span))

    for m in _ISO.finditer(text):
        if (d := _safe_date(int(m[1]), int(m[2]), int(m[3]))) is not None:
            add(_day(d), d, m.span())
    for m in _DAY_MONTH.finditer(text):
        year = int(m[3]) if m[3] else (anchor.year if anchor else None)
        if year is not None and (d := _safe_date(year, MONTHS[m[2].lower()], int(m[1]))) is not None:
            add(_day(d), d, m.span())
    for m in _MONTH_DAY.finditer(text):
        year = int(m[3]) if m[3] else (anchor.year if anchor else None)
        if year is not None and (d := _safe_date(year, MONTHS[m[1].lower()], int(m[2]))) is not None:
            add(_day(d), d, m.span())
    for m in _MONTH_YEAR.finditer(text):
        d = date(int(m[2]), MONTHS[m[1].lower()], 1)
        add(f"{d.year:04d}-{d.month:02d}", d, m.span())
    for m in _YEAR.finditer(text):
        add(m[1], date(int(m[1]), 1, 1), m.span())
    if anchor is not None:
        for m in _RELATIVE_DAY.finditer(text):
            d = anchor - timedelta(days=1) if m[1].lower() in ("yesterday", "last night") else anchor
            add(_day(d), d, m.span())
        for m in _LAST.finditer(text):
            unit = m[1].lower()
            if unit in ("week", "weekend"):
                add(*_week_of(anchor - timedelta(days=7)), m.span())
            elif unit == "month":
                d = _shift_months(anchor, 1)
                add(f"{d.year:04d}-{d.month:02d}", d, m.span())
            else:  # year, or a season: the previous year is the best an offline rule can say
                add(str(anchor.year - 1), date(anchor.year - 1, 1, 1), m.span())
        for m in _AGO.finditer(text):
            count_text = m[1].lower().removeprefix("a ") if m[1].lower() not in ("a", "an") else m[1].lower()
            count = int(count_text) if count_text.isdigit() else _NUMBERS.get(count_text, 1)
            unit = m[2].lower()
            if unit == "day":
                d = anchor - timedelta(days=count)
                add(_day(d), d, m.span())
            elif unit in ("week", "weekend"):
                add(*_week_of(anchor - timedelta(days=7 * count)), m.span())
            elif unit == "month":
                d = _shift_months(anchor, count)
                add(f"{d.year:04d}-{d.month:02d}", d, m.span())
            else:
                add(str(anchor.year - count), date(anchor.year - count, 1, 1), m.span())
    found.sort(key=lambda f: f.span)
    return found
