"""Keyword scores from the caller's scope alone, the same on every backend.

A keyword match is evidence in proportion to how much of the query it covers and how rare the
covered words are *among the scope's own memories*. So every store reports, for the scope being
searched, how many live memories it holds, how many of them contain each query term, and which
terms each candidate contains; :func:`coverage` turns that into a score in [0, 1]:

    score(m) = Σ idf(t) over the query terms t that m contains / max(Σ idf(t) over all query terms,
                                                                 2 · idf of a word in one memory)
    idf(t)   = ln(1 + (N − n_t + 0.5) / (n_t + 0.5))     N: scope's memories, n_t: those containing t

Why not the backend's own BM25: SQLite FTS5's ``bm25()`` takes its term statistics from the whole
table, so one user's memories moved another user's scores (a side channel, and noise in ranking);
and BM25 has no upper bound, so the fusion had to divide by the query's best match, which made one
shared common word worth as much as a match on every word. A coverage score is absolute: a query
whose only match is "food" scores low however the store looks, and a match on all of a query's
rare words scores near 1. Nothing in it depends on memories outside the scope.

Each score also says which of the query's terms the memory contains (:class:`KeywordScore`), so
that the fusion can tell one shared word from several (:func:`words_matched`): a paraphrased
question shares its topic word ("food", "mois", "famille") with every memory on that topic, and
one word in common is what chance gives; two are evidence (see docs/retrieval.md).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import TypeVar

from .text import content_words, is_cjk, straddles_particle

K = TypeVar("K", bound=Hashable)

#: most terms of one query that are looked up (a pasted paragraph must not cost a lookup per word)
MAX_TERMS = 32
#: how many rare words a match needs to count fully (see :func:`coverage`)
EVIDENCE = 2


class KeywordScore(float):
    """A keyword score (a float in [0, 1]) that also carries the indexes of the query terms matched.

    A plain ``float`` where a backend has its own scoring (Weaviate's BM25): the fusion then knows
    nothing of the words and treats the match as corroborated, as before.
    """

    terms: frozenset[int]

    def __new__(cls, value: float, terms: Iterable[int] = ()) -> KeywordScore:
        score = super().__new__(cls, value)
        score.terms = frozenset(terms)
        return score

    def __reduce__(self) -> tuple[type[KeywordScore], tuple[float, frozenset[int]]]:
        return KeywordScore, (float(self), self.terms)


def query_terms(query: str) -> list[str]:
    """The terms a keyword search looks up: content words and CJK pieces, at most ``MAX_TERMS``."""
    return content_words(query)[:MAX_TERMS]


def idf(total: int, containing: int) -> float:
    """How rare a term is in a scope of ``total`` memories of which ``containing`` have it (always > 0)."""
    return math.log(1.0 + (total - containing + 0.5) / (containing + 0.5))


def coverage(
    total: int, containing: Sequence[int], matched: Mapping[K, Iterable[int]]
) -> dict[K, KeywordScore]:
    """Each candidate's share of the query's idf mass: ``matched[k]`` holds the indexes of its terms.

    The mass is at least that of ``EVIDENCE`` words found in one memory each: a query with one
    content word ("What does she do for a living?" → "living") that a memory happens to contain
    is not a full match, however rare the word.
    """
    weights = [idf(total, n) for n in containing]
    mass = max(math.fsum(weights), EVIDENCE * idf(total, 1))
    found = {key: sorted(set(terms)) for key, terms in matched.items()}
    if mass <= 0:
        return {key: KeywordScore(0.0, terms) for key, terms in found.items()}
    return {
        key: KeywordScore(min(1.0, math.fsum(weights[i] for i in terms) / mass), terms)
        for key, terms in found.items()
    }


def words_matched(score: float, terms: Sequence[str]) -> int | None:
    """How many of the query's words a keyword match contains (``None``: the backend did not say).

    ``terms`` are the query's terms (:func:`query_terms`). Overlapping CJK pieces that are matched
    side by side (``勉強`` and ``強し`` of ``勉強しています``) are one stretch of the query, and count
    as one word: a memory that contains one of them usually contains its neighbour too. A piece
    that straddles a Japanese word and its particle (``年の``) is no word of its own.
    """
    if not isinstance(score, KeywordScore):
        return None
    found = score.terms
    words = 0
    for i in sorted(found):
        if i >= len(terms) or straddles_particle(terms[i]):
            continue
        previous = terms[i - 1] if i else ""
        joined = (
            i - 1 in found
            and is_cjk(terms[i])
            and is_cjk(previous)
            and previous[-1] == terms[i][0]
            and not straddles_particle(previous)
        )
        words += not joined
    return words


def best(scores: Mapping[K, float], limit: int, order: Mapping[K, int]) -> list[tuple[K, float]]:
    """The ``limit`` best-scored keys; ties go to the earlier ``order`` (insertion), deterministically."""
    ranked = sorted(scores.items(), key=lambda pair: (-pair[1], order[pair[0]]))
    return [(key, score) for key, score in ranked[:limit] if score > 0]
