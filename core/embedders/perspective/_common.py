"""Pieces the per-language rewrites share: case-keeping replacements and word patterns."""

from __future__ import annotations

import re
from collections.abc import Callable

Rule = tuple["re.Pattern[str]", "str | Callable[[re.Match[str]], str]"]

#: a word with its hyphenated or apostrophe-joined parts kept apart: "vit-elle" is three tokens
TOKEN = re.compile(r"\w+|[^\w\s]|\s+")


def keep_case(replacement: str) -> Callable[[re.Match[str]], str]:
    """A replacement that starts with a capital where the replaced word did."""

    def sub(match: re.Match[str]) -> str:
        return like(match.group(0), replacement)

    return sub


def like(original: str, replacement: str) -> str:
    """``replacement`` capitalised when ``original`` is."""
    if original[:1].isupper() and replacement[:1].islower():
        return replacement[:1].upper() + replacement[1:]
    return replacement


def word(words: str, flags: int = re.IGNORECASE) -> re.Pattern[str]:
    """A pattern for any of ``words`` (an alternation) as whole words."""
    return re.compile(rf"\b(?:{words})\b", flags)


def apply(rules: list[Rule], text: str) -> str:
    """``text`` with each rule's substitution made in turn."""
    for pattern, replacement in rules:
        text = pattern.sub(replacement, text)
    return text


def tokens(text: str) -> list[str]:
    """``text`` cut into words, single punctuation marks and runs of spaces (joined back unchanged)."""
    return TOKEN.findall(text)


def is_word(token: str) -> bool:
    return bool(token) and (token[0].isalnum() or token[0] == "_")


class Tokens:
    """A question as :func:`tokens`; ``words`` lists the indices of the tokens that are words."""

    def __init__(self, text: str) -> None:
        self.tokens = tokens(text)
        self.reindex()

    def reindex(self) -> None:
        """Find the words again after tokens were joined or split."""
        self.words = [i for i, token in enumerate(self.tokens) if is_word(token)]

    def word(self, k: int) -> str:
        """Word ``k``, or "" past either end."""
        return self.tokens[self.words[k]] if 0 <= k < len(self.words) else ""

    def gap(self, k: int) -> str:
        """What stands between word ``k - 1`` and word ``k``."""
        if k <= 0 or k >= len(self.words):
            return ""
        return "".join(self.tokens[self.words[k - 1] + 1 : self.words[k]])


def wordset(words: str) -> frozenset[str]:
    """The space-separated ``words`` as a set (word lists stay readable, a few to a line)."""
    return frozenset(words.split())
