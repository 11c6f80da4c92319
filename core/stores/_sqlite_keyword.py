"""Keyword candidates for the SQLite store, ranked inside SQLite so Python sees only the best few.

The scores are :func:`memspan.keyword.coverage`, from the scope's own term counts. The first
version read every (term, memory) match of the scope into Python and scored them there: a common
word in a user with 100,000 memories is tens of thousands of rows, built one Python tuple at a
time, for ten results. Now SQLite counts the terms (one statement), then sums each memory's term
weights, groups and sorts in C, and returns a few more than ``limit`` rows; their scores are
recomputed in Python with :func:`coverage` itself, so the formula and the tie order (older memory
first) are exactly those of the full computation.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from typing import Any

from ..keyword import EVIDENCE, best, coverage, idf

Query = Callable[[str, Sequence[Any]], list[Any]]

#: rows read back beyond ``limit``, so that float sums in SQL and ``math.fsum`` cannot disagree
#: about which memories make the cut
MARGIN = 10


def fts_string(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def ranked_matches(
    query: Query,
    in_scope: str,
    terms: Sequence[str],
    allowed: set[int] | None,
    limit: int,
    size: int,
    *,
    excluded: set[int] | None = None,
) -> list[tuple[int, float]]:
    """The scope's ``limit`` best keyword matches as (pk, coverage score), best first.

    ``size`` is the scope's number of live memories; ``excluded`` memories (expired, not yet swept)
    are left out before the ranking, so they never take a place of the ``limit``. ``query`` runs one statement and returns its
    rows; the caller holds one read snapshot around this, so the counts and the matches agree.
    """
    matches = [f"{in_scope} AND text : {fts_string(term)}" for term in terms]
    count = "(SELECT count(*) FROM memories_fts WHERE memories_fts MATCH ?)"
    row = query("SELECT " + ", ".join([count] * len(terms)), matches)[0]
    containing = [int(n) for n in row]
    present = [i for i, n in enumerate(containing) if n > 0]
    if not present or (allowed is not None and not allowed):
        return []
    weights = [idf(size, n) for n in containing]
    # a score is capped at 1 (see coverage): memories past the cap tie, and ties go to the older
    mass = max(math.fsum(weights), EVIDENCE * idf(size, 1))
    hits = " UNION ALL ".join(
        f"SELECT {i} AS term, ? AS weight, rowid AS pk FROM memories_fts WHERE memories_fts MATCH ?"
        for i in present
    )
    params: list[Any] = [value for i in present for value in (weights[i], matches[i])]
    conditions: list[str] = []
    if allowed is not None:
        conditions.append("pk IN (SELECT value FROM json_each(?))")
        params.append(json.dumps(sorted(allowed)))
    if excluded:
        conditions.append("pk NOT IN (SELECT value FROM json_each(?))")
        params.append(json.dumps(sorted(excluded)))
    only = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    rows = query(
        f"SELECT pk, group_concat(term) FROM ({hits}) {only} "
        "GROUP BY pk ORDER BY min(sum(weight), ?) DESC, pk LIMIT ?",
        [*params, mass, limit + MARGIN],
    )
    matched = {int(pk): [int(t) for t in found.split(",")] for pk, found in rows}
    return best(coverage(size, containing, matched), limit, {pk: pk for pk in matched})
