"""The calendar date a query names, as a prefix of the ``created_at`` timestamps it points at.

"What did she say on 7 July, 2023?" points at the memories created that day; "in August 2023" at
that month; "in 2022" at that year. Dates are read in the forms the seven languages of the
personal-memory set write them: ISO (``2023-07-07``), month names in English, German, Spanish and
French, before or after the day (``July 7, 2023``, ``7 July 2023``, ``7. Juli 2023``, ``7 de julio
de 2023``, ``1er juillet 2023``), and the CJK form with counters (``2023年7月7日``, ``2023년 7월 7일``).
A month name with no year beside it names nothing (it could be any year, or the verb "may").
"""

from __future__ import annotations

import re

_MONTH_NAMES = {
    1: "january jan januar enero janvier",
    2: "february feb februar febrero février fevrier",
    3: "march mar märz maerz marzo mars",
    4: "april apr abril avril",
    5: "may mai mayo",
    6: "june jun juni junio juin",
    7: "july jul juli julio juillet",
    8: "august aug agosto août aout",
    9: "september sep sept septiembre setiembre septembre",
    10: "october oct oktober octubre octobre",
    11: "november nov noviembre novembre",
    12: "december dec dezember diciembre décembre decembre",
}
MONTHS: dict[str, int] = {name: number for number, names in _MONTH_NAMES.items() for name in names.split()}

_MONTH = "(" + "|".join(sorted(map(re.escape, MONTHS), key=len, reverse=True)) + r")\.?"
_YEAR = r"((?:19|20)\d\d)"
_DAY = r"(\d{1,2})(?:st|nd|rd|th|er|\.)?"

#: (pattern, which groups hold year, month, day), most specific first
_FORMS: list[tuple[re.Pattern[str], tuple[int, int, int]]] = [
    (re.compile(rf"\b{_YEAR}-(\d\d)-(\d\d)\b"), (1, 2, 3)),
    (re.compile(rf"{_YEAR}\s*[年년]\s*(\d{{1,2}})\s*[月월]\s*(\d{{1,2}})\s*[日일]"), (1, 2, 3)),
    (re.compile(rf"\b{_MONTH}\s+{_DAY},?\s+{_YEAR}\b", re.I), (3, 1, 2)),
    (re.compile(rf"\b{_DAY}\s+(?:de\s+)?{_MONTH},?\s+(?:de\s+)?{_YEAR}\b", re.I), (3, 2, 1)),
    (re.compile(rf"\b{_YEAR}-(\d\d)\b"), (1, 2, 0)),
    (re.compile(rf"{_YEAR}\s*[年년]\s*(\d{{1,2}})\s*[月월]"), (1, 2, 0)),
    (re.compile(rf"\b{_MONTH},?\s+(?:de\s+)?{_YEAR}\b", re.I), (2, 1, 0)),
    (re.compile(rf"(?<!\d){_YEAR}(?!\d)"), (1, 0, 0)),
]


#: every form has a year: a query without one is passed over at the cost of one search
_ANY_YEAR = re.compile(r"(?:19|20)\d\d")


def _month(text: str) -> int:
    return int(text) if text.isdigit() else MONTHS[text.lower().rstrip(".")]


def named_date(query: str) -> str | None:
    """``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY`` for the first date ``query`` names, else ``None``.

    The most specific reading wins; a day or month out of range leaves the less specific one.
    """
    if not _ANY_YEAR.search(query):
        return None
    for pattern, (y, m, d) in _FORMS:
        found = pattern.search(query)
        if not found:
            continue
        year = found.group(y)
        month = _month(found.group(m)) if m else 0
        day = int(found.group(d)) if d else 0
        if m and not 1 <= month <= 12:
            continue
        if d and not 1 <= day <= 31:
            continue
        return year + (f"-{month:02d}" if month else "") + (f"-{day:02d}" if day else "")
    return None
