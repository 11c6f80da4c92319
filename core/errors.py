"""One exception hierarchy: every failure says what went wrong and what to do next."""

from __future__ import annotations


class MemspanError(Exception):
    """Base class of every error memspan raises on purpose."""


class ValidationError(MemspanError, ValueError):
    """The caller passed something memspan cannot accept (bad scope, empty text, bad filter...)."""


class ScopeError(ValidationError):
    """No scope, or a malformed scope id, was given."""


class FilterError(ValidationError):
    """A filter does not follow the filter grammar."""


class NotFoundError(MemspanError, KeyError):
    """No memory with that id exists (or it is outside the caller's scope)."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return str(self.args[0]) if self.args else "not found"

    @classmethod
    def for_id(cls, memory_id: str) -> NotFoundError:
        """The one answer for a missing, deleted or someone else's memory: the message must not
        tell them apart (nor name the scope asked about), or it reveals which ids exist."""
        return cls(f"no memory with id {memory_id!r}")


class StoreError(MemspanError):
    """The storage backend failed or holds data memspan cannot use."""


class CorruptRecordError(StoreError):
    """A stored record cannot be read back (a malformed row, written outside memspan or damaged).

    ``memory_id`` names it (``None`` when even the id is unreadable), so a reader going through
    many records (export, migrate) can skip it and report it.
    """

    def __init__(self, message: str, memory_id: str | None = None):
        super().__init__(message)
        self.memory_id = memory_id


class ConflictError(StoreError):
    """A memory changed between the read a write was computed from and the write itself.

    memspan retries such a write from a fresh read on its own; this reaches the caller only when
    the memory kept changing through every retry. Trying again later is safe.
    """


class ReadOnlyStoreError(StoreError):
    """A write was attempted on a store opened read-only."""


class SchemaVersionError(StoreError):
    """The store was written by a newer memspan than this one."""


class DimensionMismatchError(StoreError):
    """The embedder's vectors do not have the dimension the store was created with."""


class EmbedderError(MemspanError):
    """The embedding model failed."""


class ExtractionError(MemspanError):
    """The extractor (usually a language model) produced output that could not be used."""


class LLMError(MemspanError):
    """A language-model provider failed after the configured retries."""
