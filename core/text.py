"""Words of a query: the tokenisation that keyword search and the query refinements share."""

from __future__ import annotations

import re

WORD = re.compile(r"\w+", re.UNICODE)
#: words too common to mean anything in a keyword query
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "been",
        "but",
        "by",
        "did",
        "do",
        "does",
        "for",
        "from",
        "had",
        "has",
        "have",
        "he",
        "her",
        "hers",
        "him",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "me",
        "my",
        "of",
        "on",
        "or",
        "our",
        "she",
        "so",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
    ]
)
_CAPITALISED = re.compile(r"\b[A-Z][\w-]*")


def content_words(text: str) -> list[str]:
    """The distinct lower-cased words of ``text`` that carry meaning (every word if none does)."""
    words = [w for w in WORD.findall(text.lower()) if len(w) > 1 or w.isdigit()]
    return list(dict.fromkeys([w for w in words if w not in STOPWORDS] or words))


def has_meaning(text: str) -> bool:
    """Whether ``text`` has a word that is not a stop word."""
    return any(w not in STOPWORDS for w in WORD.findall(text.lower()))


def names(text: str) -> list[str]:
    """The distinct capitalised words of ``text`` that are not stop words ("What", "Did"...)."""
    return list(dict.fromkeys(w for w in _CAPITALISED.findall(text) if w.lower() not in STOPWORDS))


def without_words(text: str, words: set[str]) -> str:
    """``text`` with every occurrence of ``words`` (and their possessive ``'s``) taken out."""
    pattern = r"\b(?:" + "|".join(re.escape(w) for w in sorted(words)) + r")(?:'s)?\b"
    return " ".join(re.sub(pattern, " ", text).split())
