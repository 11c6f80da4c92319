"""Expiry on the Weaviate store (see :mod:`memspan.expiry`): the property, the read condition, the sweep.

``expires_at`` is a ``date`` property (memspan's canonical instants are RFC 3339), absent on memories
that never expire; collections made before it existed get it added when the store opens. Reads keep
a memory when the property is null or after the store's clock. Weaviate has no transactions, so the
sweep soft-deletes expired objects one by one, each with its DELETE event, as ``delete_all`` does.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from weaviate.classes.config import DataType, Property
from weaviate.classes.query import Filter
from weaviate.collections.classes.filters import _Filters

from ..filters import format_timestamp

PROPERTY = "expires_at"


def expiry_property() -> Property:
    return Property(name=PROPERTY, data_type=DataType.DATE, index_filterable=True, skip_vectorization=True)


def ensure_property(collection: Any, known: set[str]) -> None:
    """Add ``expires_at`` to a collection created by a memspan without expiry."""
    if PROPERTY not in known:
        collection.config.add_property(expiry_property())
        known.add(PROPERTY)


def not_expired(now: str) -> _Filters:
    """True for a memory that has not expired at ``now``."""
    moment = datetime.fromisoformat(now.replace("Z", "+00:00"))
    return Filter.any_of(
        [Filter.by_property(PROPERTY).is_none(True), Filter.by_property(PROPERTY).greater_than(moment)]
    )


def expired(now: str) -> _Filters:
    """True for a memory whose time has come at ``now``."""
    moment = datetime.fromisoformat(now.replace("Z", "+00:00"))
    return Filter.by_property(PROPERTY).less_or_equal(moment)


def stored_instant(value: Any) -> str | None:
    """The canonical text of a ``date`` property as the client returns it (a datetime)."""
    if value is None or isinstance(value, str):
        return value
    return format_timestamp(value)
