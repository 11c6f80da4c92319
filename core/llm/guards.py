"""Deterministic checks on what a model wants to store, applied after every reply.

The prompt tells the model never to store secrets and to write absolute dates; these functions make
both true even when the model does not listen: a memory containing a card number (Luhn-valid), an
IBAN (mod-97-valid), a private key, a known API-key shape or a stated password is refused, and
relative day words left in a memory are replaced by the date of the message that said them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta

_CARD = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")
_KEY_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("a private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
    ("an API key", re.compile(r"\bsk-(?:ant-|proj-)?[A-Za-z0-9_-]{16,}")),
    ("an AWS access key", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("a GitHub token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})")),
    ("a Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
    ("a Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{30,}")),
    ("a JSON web token", re.compile(r"\beyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{8,}")),
    (
        "a stated password or PIN",
        re.compile(
            r"\b(?:password|passwd|passcode|passphrase|pin(?: code)?|api[ _-]?key|secret key|access token|"
            r"security code|cvv|cvc)\b\s*(?:is|was|=|:|->)\s*\S+",
            re.IGNORECASE,
        ),
    ),
)


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 1:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def _iban_valid(candidate: str) -> bool:
    compact = candidate.replace(" ", "")
    if not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(number) % 97 == 1


def find_secret(text: str) -> str | None:
    """What kind of secret ``text`` contains, or None. Errs on the side of refusing."""
    for match in _CARD.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if 13 <= len(digits) <= 19 and _luhn(digits):
            return "a payment card number"
    if any(_iban_valid(m.group()) for m in _IBAN.finditer(text)):
        return "a bank account number (IBAN)"
    for what, pattern in _KEY_PATTERNS:
        if pattern.search(text):
            return what
    return None


_DAY_WORDS: tuple[tuple[re.Pattern[str], int], ...] = (
    (re.compile(r"\b(?:the day before yesterday)\b", re.IGNORECASE), -2),
    (re.compile(r"\b(?:the day after tomorrow)\b", re.IGNORECASE), 2),
    (re.compile(r"\byesterday\b", re.IGNORECASE), -1),
    (re.compile(r"\b(?:today|tonight|this morning|this afternoon|this evening)\b", re.IGNORECASE), 0),
    (re.compile(r"\btomorrow\b", re.IGNORECASE), 1),
)
_AGO = re.compile(r"\b(\d{1,3}|one|two|three|four|five|six|seven) (day|week)s? ago\b", re.IGNORECASE)
_SMALL_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7}
_RELATIVE_SPAN = re.compile(r"\b(last|next|this) (week|weekend|month|year)\b", re.IGNORECASE)


def _on(day: date, start: int) -> str:
    # "on 2023-05-07" reads well mid-sentence; a leading "On" when the phrase opened the memory
    return ("On " if start == 0 else "on ") + day.isoformat()


def _replacer(day: date) -> Callable[[re.Match[str]], str]:
    return lambda match: _on(day, match.start())


def resolve_relative_dates(text: str, said_at: datetime) -> str:
    """Replace relative day words with absolute dates, counted from when the message was written."""
    day = said_at.date()
    for pattern, offset in _DAY_WORDS:
        text = pattern.sub(_replacer(day + timedelta(days=offset)), text)

    def ago(match: re.Match[str]) -> str:
        count_text = match.group(1).lower()
        count = _SMALL_NUMBERS.get(count_text) or int(count_text)
        days = count * (7 if match.group(2).lower() == "week" else 1)
        return _on(day - timedelta(days=days), match.start())

    text = _AGO.sub(ago, text)

    def span(match: re.Match[str]) -> str:
        which, unit = match.group(1).lower(), match.group(2).lower()
        if unit == "year":
            year = day.year + {"last": -1, "next": 1, "this": 0}[which]
            return f"in {year}"
        relation = {"last": "before", "next": "after", "this": "of"}[which]
        return f"the {unit} {relation} {day.isoformat()}"

    return _RELATIVE_SPAN.sub(span, text)
