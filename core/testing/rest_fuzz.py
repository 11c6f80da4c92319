"""A hostile-client fuzzer for the REST service: no 5xx for client input, no poisoned record stored.

Schemathesis (tests/service/test_openapi_conformance.py) sends what the OpenAPI spec describes;
this sends what a careless or hostile client does: lone surrogates and NUL in every string, wrong
types, huge and negative numbers, deeply nested JSON, raw bytes that are not UTF-8, malformed
JSON, odd ids in paths and query strings, filters of every shape, other users' scopes. Requests
are drawn from a seeded generator, so a run can be repeated exactly.

After the run every stored memory is checked with :func:`memspan.validation.record_problem`: a
poisoned record is one the service accepted although no reader can encode it.

Used by tests/service/test_rest_fuzz.py (a few hundred requests) and benchmarks/rest_fuzz.py
(thousands, on SQLite and PostgreSQL). Needs the ``server`` extra (FastAPI's test client).
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient

from ..memory import Memory
from ..scope import Scope
from ..server.app import ServiceSettings, create_app
from ..server.keys import Grant, KeyStore
from ..server.service_db import ServiceDB
from ..validation import record_problem
from ._fuzz_requests import Gen, draw_request


@dataclass
class FuzzReport:
    """What one run sent and got back."""

    backend: str
    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    #: (method, path, status, body excerpt) of every 5xx answer
    server_errors: list[tuple[str, str, int, str]] = field(default_factory=list)
    #: error bodies that were not the documented JSON shape or quoted internal exception text
    unclear_errors: list[tuple[str, str, int, str]] = field(default_factory=list)
    stored: int = 0
    #: ids and reasons of stored memories no reader can encode
    poisoned: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "requests": self.requests,
            "status_counts": {str(k): v for k, v in sorted(self.statuses.items())},
            "5xx": len(self.server_errors),
            "unclear_errors": len(self.unclear_errors),
            "memories_stored": self.stored,
            "poisoned_records": len(self.poisoned),
            "first_5xx": self.server_errors[:5],
            "first_unclear": self.unclear_errors[:5],
            "first_poisoned": self.poisoned[:5],
        }


class RestFuzzer:
    """Drive one service (an app over ``memory``) with ``requests`` hostile calls."""

    def __init__(self, memory: Memory, service_db: ServiceDB, *, backend: str, seed: int = 0):
        self.memory = memory
        self.db = service_db
        self.rng = random.Random(seed)
        keys = KeyStore(service_db)
        self.admin, _ = keys.create("admin", [], admin=True)
        self.alice, _ = keys.create("alice", [Grant(Scope("alice"), "write")])
        self.reader, _ = keys.create("bob-reader", [Grant(Scope("bob"), "read")])
        self.app = create_app(
            memory, service_db, ServiceSettings(rate_per_minute=0, max_body_bytes=256 * 1024)
        )
        self.client = TestClient(self.app, raise_server_exceptions=False)
        self.report = FuzzReport(backend)
        self.ids: list[str] = []
        for user in ("alice", "bob"):
            result = memory.add(
                [f"{user} likes green tea", f"{user} lives in Lisbon"], user_id=user, infer=False
            )
            self.ids += [c.item.id for c in result.changes]
        self.gen = Gen(self.rng, self.ids)

    def _key(self) -> dict[str, str]:
        choice = self.rng.random()
        if choice < 0.45:
            return {"Authorization": f"Bearer {self.alice}"}
        if choice < 0.75:
            return {"Authorization": f"Bearer {self.admin}"}
        if choice < 0.9:
            return {"X-API-Key": self.reader}
        return self.rng.choice(
            [{}, {"Authorization": "Bearer msk_x_y"}, {"X-API-Key": "msk_"}, {"Authorization": "Basic Zm9v"}]
        )

    def run(self, requests: int) -> FuzzReport:
        for _ in range(requests):
            method, path, body, ctype = draw_request(self.gen)
            headers = self._key()
            if ctype:
                headers["Content-Type"] = ctype
            response = self.client.request(method, path, content=body, headers=headers)
            self.report.requests += 1
            self.report.statuses[response.status_code] += 1
            if response.status_code >= 500:
                self.report.server_errors.append(
                    (method, path[:120], response.status_code, response.text[:300])
                )
            elif response.status_code >= 400 and not _clear_error(response):
                self.report.unclear_errors.append(
                    (method, path[:120], response.status_code, response.text[:300])
                )
        for item in self.memory.store.iter_memories(include_deleted=True):
            self.report.stored += 1
            problem = record_problem(item, self.memory.store.history(item.id))
            if problem is not None:
                self.report.poisoned.append(problem)
        return self.report


_INTERNAL = ("Traceback", "sqlite3.", "psycopg", "OperationalError", "IntegrityError", 'File "/')


def _clear_error(response: Any) -> bool:
    """The documented error shape, with a message that names no internal exception."""
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return False
    message = error.get("message") if isinstance(error, dict) else None
    return isinstance(message, str) and bool(message) and not any(word in message for word in _INTERNAL)
