"""Keyword candidates for the SQLite store: each query term's matches read in one piece, ranked in numpy.

The scores are :func:`memspan.keyword.coverage`, from the scope's own term counts. A memory's
score depends only on *which* of the query's terms it contains, so the ranking needs, per memory,
the set of its terms, and per term, how many of the scope's memories contain it.

How that is read matters in a large scope. The first version built one Python tuple per (term,
memory) match: tens of thousands for a common word in a user with 100,000 memories, for ten
results. The second summed weights in SQL (``UNION ALL`` of the terms' matches, ``GROUP BY`` the
memory, ``ORDER BY`` the sum): no tuples, but SQLite's sorter over every match was most of the
search (measured: ~27 of ~37 ms for a five-word question matching 35,000 times in one user's
100,000 memories). Now SQLite hands back each term's in-scope matches as one comma-separated
string (``group_concat`` of FTS5's rowids: a C loop), numpy parses them, and a memory's terms
become one bit mask, merged with one sort. The counts come with the matches (a term's count is
the length of its list), so no separate counting statement runs. Every distinct mask is scored
once by :func:`coverage` itself and the memories are ranked on those exact scores, ties to the
older memory: the same formula, scores and order as scoring every match in Python, with no
margin for float sums that could disagree.

What this still reads is every in-scope match of every query term, so its cost grows with the
scope's matches (a few milliseconds at 35,000 matches), not with the answer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from ..keyword import KeywordScore, coverage
from ._sqlite_rows import _fts_string

Query = Callable[[str, Sequence[Any]], list[Any]]
Keys = npt.NDArray[np.int64]

#: one term's in-scope matches, as one string of rowids (``None`` when there is none)
_MATCHES = "(SELECT group_concat(rowid) FROM memories_fts WHERE memories_fts MATCH ?)"


def term_in_scope(in_scope: str, term: str) -> str:
    """The FTS5 query for one term's matches inside a scope (``in_scope``: :func:`scope_match`'s)."""
    return f"{in_scope} AND text : {_fts_string(term)}"


def _keys(listed: str | None) -> Keys:
    if not listed:
        return np.zeros(0, dtype=np.int64)
    return np.fromstring(listed, dtype=np.int64, sep=",")


def term_matches(query: Query, in_scope: str, terms: Sequence[str]) -> list[Keys]:
    """Each term's in-scope matches (rowids), read in one statement from one state of the file."""
    matches = [term_in_scope(in_scope, term) for term in terms]
    row = query("SELECT " + ", ".join([_MATCHES] * len(terms)), matches)[0]
    return [_keys(listed) for listed in row]


def _only(keys: Keys, pks: set[int], *, keep: bool) -> npt.NDArray[np.bool_]:
    listed = np.fromiter(pks, dtype=np.int64, count=len(pks))
    return np.isin(keys, listed, invert=not keep)


def ranked_matches(
    query: Query,
    in_scope: str,
    terms: Sequence[str],
    allowed: set[int] | None,
    limit: int,
    size: int,
    *,
    excluded: set[int] | None = None,
) -> list[tuple[int, KeywordScore]]:
    """The scope's ``limit`` best keyword matches as (pk, coverage score), best first.

    ``size`` is the scope's number of live memories; ``excluded`` memories (expired, not yet swept)
    are left out before the ranking, so they never take a place of the ``limit``, but still count
    in the terms' counts (as in ``size``). ``query`` runs one statement and returns its rows; the
    caller holds one read snapshot around this, so the size and the matches agree.
    """
    if len(terms) > 62:
        raise ValueError("at most 62 terms fit one memory's bit mask")
    found = term_matches(query, in_scope, terms)
    containing = [len(keys) for keys in found]
    if not any(containing) or limit <= 0 or (allowed is not None and not allowed):
        return []
    keys = np.concatenate(found)
    bits = np.concatenate([np.full(len(k), 1 << i, dtype=np.int64) for i, k in enumerate(found)])
    if allowed is not None:
        chosen = _only(keys, allowed, keep=True)
        keys, bits = keys[chosen], bits[chosen]
    if excluded:
        chosen = _only(keys, excluded, keep=False)
        keys, bits = keys[chosen], bits[chosen]
    if keys.size == 0:
        return []
    order = np.argsort(keys, kind="stable")
    keys, bits = keys[order], bits[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    pks, masks = keys[starts], np.bitwise_or.reduceat(bits, starts)
    distinct, inverse = np.unique(masks, return_inverse=True)
    which = inverse.reshape(-1)
    # one exact score per set of terms: coverage itself, not a float sum that could round otherwise
    scored = coverage(
        size,
        containing,
        {int(m): [i for i in range(len(terms)) if int(m) >> i & 1] for m in distinct},
    )
    by_mask = [scored[int(m)] for m in distinct]
    scores = np.array(by_mask, dtype=np.float64)[which]
    if pks.size > limit:  # the limit-th best score, and everything that ties with it
        cut = np.partition(scores, pks.size - limit)[pks.size - limit]
        near = np.flatnonzero(scores >= cut)
        pks, scores, which = pks[near], scores[near], which[near]
    best = np.lexsort((pks, -scores))[:limit]
    return [(int(pks[i]), by_mask[int(which[i])]) for i in best if scores[i] > 0]


def every_match(
    query: Query, in_scope: str, terms: Sequence[str], keep: Callable[[int], bool] | None = None
) -> tuple[list[int], dict[int, list[int]]]:
    """The plain computation :func:`ranked_matches` must agree with: each term's number of in-scope
    matches, and per matching row kept by ``keep`` the indexes of the terms it matches, read back one
    row at a time (what the store did before it ranked in numpy). Tests and ``benchmarks/scale.py``
    score it with :func:`memspan.keyword.coverage` and compare."""
    containing: list[int] = []
    matched: dict[int, list[int]] = {}
    for i, term in enumerate(terms):
        rows = query(
            "SELECT rowid FROM memories_fts WHERE memories_fts MATCH ?",
            [term_in_scope(in_scope, term)],
        )
        containing.append(len(rows))
        for (pk,) in rows:
            if keep is None or keep(pk):
                matched.setdefault(pk, []).append(i)
    return containing, matched
