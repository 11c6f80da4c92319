"""SQL pieces of the PostgreSQL store that need no connection: row mapping, scopes, URLs, queries."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..scope import Scope
from ..text import is_cjk
from ..types import MemoryItem, MemoryType

ITEM_COLUMNS = (
    "pk, id, text, user_id, agent_id, run_id, memory_type, metadata, created_at, updated_at, "
    "hash, source_ids, deleted_at, expires_at"
)
SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
#: options of a ``postgresql://`` URL that configure memspan rather than libpq
URL_OPTIONS = ("schema", "hnsw", "hnsw_min_scope", "hnsw_ef_search", "halfvec", "pool_size")


def row_item(row: Sequence[Any]) -> MemoryItem:
    return MemoryItem(
        id=row[1],
        text=row[2],
        user_id=row[3],
        agent_id=row[4],
        run_id=row[5],
        memory_type=MemoryType(row[6]),
        metadata=row[7],
        created_at=row[8],
        updated_at=row[9],
        hash=row[10],
        source_ids=tuple(row[11]),
        deleted_at=row[12],
        expires_at=row[13],
    )


def scope_sql(scope: Scope) -> tuple[str, dict[str, Any]]:
    """Equality on each id the scope sets (a NULL column never equals, so others never leak in)."""
    clauses = [f"{key} = %(scope_{key})s" for key, _ in scope.items()]
    return " AND ".join(clauses) or "true", {f"scope_{key}": value for key, value in scope.items()}


def tsquery(term: str, placeholder: str) -> str:
    """The tsquery of one search term: CJK pieces as indexed ('simple', migration 2), words as 'english'."""
    config = "simple" if is_cjk(term) else "english"
    return f"plainto_tsquery('{config}', {placeholder})"


def split_url(url: str) -> tuple[str, dict[str, str]]:
    """A libpq connection URL, and memspan's own options taken out of its query string."""
    parts = urlsplit(url)
    scheme = parts.scheme.split("+")[0]
    ours: dict[str, str] = {}
    theirs: list[tuple[str, str]] = []
    for key, value in parse_qsl(parts.query):
        if key in URL_OPTIONS:
            ours[key] = value
        else:
            theirs.append((key, value))
    scheme = "postgresql" if scheme == "postgres" else scheme
    return urlunsplit((scheme, parts.netloc, parts.path, urlencode(theirs), "")), ours
