"""What a caller may hand memspan: the limits, and the checks every write and search applies
before anything is read or written (a refused call leaves the store as it was)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

from .errors import ValidationError
from .messages import require_utf8
from .validation import require_clean

#: keys a memory's metadata may not use: they name the memory's own fields or its owner
RESERVED_METADATA_KEYS = frozenset(
    {
        "id",
        "memory",
        "text",
        "hash",
        "user_id",
        "agent_id",
        "run_id",
        "memory_type",
        "created_at",
        "updated_at",
        "deleted_at",
        "expires_at",
        "score",
        "source_ids",
        "actor_id",
        "role",
    }
)
MAX_METADATA_BYTES = 64 * 1024
MAX_QUERY_CHARS = 10_000
MAX_LIMIT = 1_000
_SPACE = re.compile(r"\s+")


def text_hash(text: str) -> str:
    """Identity of a memory's text: case and spacing do not make a new memory."""
    return hashlib.sha256(_SPACE.sub(" ", text.strip().casefold()).encode()).hexdigest()


def validate_metadata(metadata: Mapping[str, Any] | None) -> dict[str, Any]:
    if metadata is None:
        return {}
    if not isinstance(metadata, Mapping):
        raise ValidationError(f"metadata must be a mapping, got {type(metadata).__name__}")
    for key in metadata:
        if not isinstance(key, str) or not key:
            raise ValidationError(f"metadata keys must be non-empty strings, got {key!r}")
        if key in RESERVED_METADATA_KEYS:
            raise ValidationError(
                f"metadata key {key!r} is reserved: scope ids and a memory's own fields are set by "
                "memspan (pass user_id=/agent_id=/run_id= as arguments)"
            )
    try:
        encoded = json.dumps(dict(metadata), allow_nan=False, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"metadata must be JSON-serialisable: {exc}") from None
    except RecursionError:
        raise ValidationError("metadata is nested too deeply to store") from None
    require_utf8(encoded, "metadata")
    if len(encoded.encode()) > MAX_METADATA_BYTES:
        raise ValidationError(f"metadata is larger than {MAX_METADATA_BYTES // 1024} KiB")
    copy: dict[str, Any] = json.loads(encoded)
    require_clean(copy, "metadata")  # NUL too: PostgreSQL's JSON cannot hold it
    return copy  # a private copy the caller cannot mutate later


def validate_text(text: object, what: str = "text") -> str:
    if not isinstance(text, str):
        raise ValidationError(f"{what} must be a string, got {type(text).__name__}")
    if "\x00" in text:
        raise ValidationError(f"{what} contains a NUL character")
    require_utf8(text, what)
    if not text.strip():
        raise ValidationError(f"{what} is empty")
    return text.strip()


def validate_limit(limit: object) -> int:
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_LIMIT:
        raise ValidationError(f"limit must be an integer from 1 to {MAX_LIMIT}, got {limit!r}")
    return limit
