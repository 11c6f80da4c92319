"""API keys: each key is bound to the scopes it may read or write; only a hash of it is stored.

A grant names some of ``user_id``/``agent_id``/``run_id``. A request scope is inside a grant when it
sets every id the grant sets to the same value (it may narrow further), so a key for
``user_id=alice`` can search ``user_id=alice, run_id=x`` but never ``agent_id=bot`` across users.
A memory fetched by id is checked against the grant with its own owner ids, so guessing another
user's memory id gets the same 404 as an id that does not exist.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal

from ..errors import ValidationError
from ..scope import SCOPE_KEYS, Scope
from ..types import MemoryItem
from .service_db import ServiceDB

Access = Literal["read", "write"]
KEY_PREFIX = "msk_"


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class Grant:
    """Read (or read and write) access to every memory inside one scope."""

    scope: Scope
    access: Access = "read"

    def __post_init__(self) -> None:
        if self.scope.is_empty():
            raise ValidationError("a grant needs at least one of user_id, agent_id or run_id")
        if self.access not in ("read", "write"):
            raise ValidationError(f"grant access must be 'read' or 'write', got {self.access!r}")

    def allows(self, access: Access) -> bool:
        return self.access == "write" or access == "read"

    def covers(self, scope: Scope) -> bool:
        """Whether every memory ``scope`` can reach lies inside this grant."""
        return all(getattr(scope, key) == value for key, value in self.scope.items())

    def to_dict(self) -> dict[str, Any]:
        return {**self.scope.as_dict(), "access": self.access}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Grant:
        scope = Scope(**{k: data.get(k) for k in SCOPE_KEYS})
        return cls(scope, data.get("access", "read"))


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a key's id and name, whether it is an admin key, and its grants."""

    key_id: str
    name: str
    admin: bool = False
    grants: tuple[Grant, ...] = field(default_factory=tuple)

    def may_use_scope(self, scope: Scope, access: Access) -> bool:
        if self.admin:
            return True
        return any(g.allows(access) and g.covers(scope) for g in self.grants)

    def may_touch(self, item: MemoryItem, access: Access) -> bool:
        if self.admin:
            return True
        return any(
            g.allows(access) and g.scope.contains(item.user_id, item.agent_id, item.run_id)
            for g in self.grants
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "key_id": self.key_id,
            "name": self.name,
            "admin": self.admin,
            "grants": [g.to_dict() for g in self.grants],
        }


def _hash(secret: str) -> str:
    # keys carry 256 random bits, so a fast hash cannot be brute-forced; no salt or KDF is needed
    return hashlib.sha256(secret.encode()).hexdigest()


_KEY_ID = re.compile(r"[0-9a-f]{12}")


def _parts(key: str) -> tuple[str, str]:
    """(key id, secret) of ``msk_<id>_<secret>``; empty strings for anything else."""
    if not key.startswith(KEY_PREFIX):
        return "", ""
    key_id, sep, secret = key[len(KEY_PREFIX) :].partition("_")
    return (key_id, secret) if sep and secret else ("", "")


class KeyStore:
    """Creates, verifies, lists and revokes keys in the service database."""

    def __init__(self, db: ServiceDB):
        self.db = db

    def create(self, name: str, grants: list[Grant], *, admin: bool = False) -> tuple[str, Principal]:
        """A new key: returns the plaintext (shown once, never stored) and who it stands for."""
        name = name.strip()
        if not name or len(name) > 200:
            raise ValidationError("a key needs a name of 1-200 characters")
        if not admin and not grants:
            raise ValidationError("a non-admin key needs at least one grant (a scope it may read or write)")
        key_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO api_keys(id, name, secret_hash, admin, grants, created_at) VALUES (?,?,?,?,?,?)",
                (
                    key_id,
                    name,
                    _hash(secret),
                    int(admin),
                    json.dumps([g.to_dict() for g in grants]),
                    utc_now(),
                ),
            )
        return f"{KEY_PREFIX}{key_id}_{secret}", Principal(key_id, name, admin, tuple(grants))

    def ensure_admin(self, key: str, name: str = "admin") -> Principal:
        """Accept an admin key chosen outside memspan (``$MEMSPAN_ADMIN_KEY``, a secret file), so a
        deployment can provision it; only its hash is stored. Idempotent for the same key; a key id
        already used by another secret or by a revoked key is refused."""
        key_id, secret = _parts(key)
        if not _KEY_ID.fullmatch(key_id) or len(secret) < 32:
            raise ValidationError(
                f"an admin key must look like {KEY_PREFIX}<12 hex digits>_<at least 32 characters>, "
                f"e.g. {KEY_PREFIX}$(openssl rand -hex 6)_$(openssl rand -hex 24)"
            )
        with self.db.transaction() as conn:
            row = conn.execute(
                "SELECT secret_hash, admin, revoked_at FROM api_keys WHERE id = ?", (key_id,)
            ).fetchone()
            if row is None:
                conn.execute(
                    "INSERT INTO api_keys(id, name, secret_hash, admin, grants, created_at) "
                    "VALUES (?,?,?,1,'[]',?)",
                    (key_id, name, _hash(secret), utc_now()),
                )
            elif not hmac.compare_digest(row[0], _hash(secret)) or not row[1] or row[2] is not None:
                raise ValidationError(
                    f"key id {key_id} is already used by another key (or a revoked one); choose a new key"
                )
        return Principal(key_id, name, True, ())

    def verify(self, key: str) -> Principal | None:
        """The principal of a valid, unrevoked key; ``None`` for anything else."""
        key_id, secret = _parts(key)
        if not key_id or not secret:
            return None
        rows = self.db.query(
            "SELECT name, secret_hash, admin, grants FROM api_keys WHERE id = ? AND revoked_at IS NULL",
            (key_id,),
        )
        if not rows or not hmac.compare_digest(rows[0][1], _hash(secret)):
            return None
        name, _, admin, grants = rows[0]
        return Principal(key_id, name, bool(admin), tuple(Grant.from_dict(g) for g in json.loads(grants)))

    def list(self) -> list[dict[str, Any]]:
        rows = self.db.query(
            "SELECT id, name, admin, grants, created_at, revoked_at FROM api_keys ORDER BY created_at, id"
        )
        return [
            {
                "key_id": r[0],
                "name": r[1],
                "admin": bool(r[2]),
                "grants": json.loads(r[3]),
                "created_at": r[4],
                "revoked_at": r[5],
            }
            for r in rows
        ]

    def revoke(self, key_id: str) -> bool:
        """Revoke a key; ``False`` when no live key has that id."""
        with self.db.transaction() as conn:
            cursor = conn.execute(
                "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", (utc_now(), key_id)
            )
            return cursor.rowcount > 0

    def has_admin(self) -> bool:
        return bool(self.db.query("SELECT 1 FROM api_keys WHERE admin = 1 AND revoked_at IS NULL LIMIT 1"))
