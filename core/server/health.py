"""Liveness, readiness and metrics endpoints of ``memspan serve`` (no API key: probes and scrapers
have none). Their answers name a class of fault, never an exception's text, a memory or a scope."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request, Response

from ..ports import MemoryStore
from ..scope import Scope
from .service_db import ServiceDB

log = logging.getLogger("memspan.server.health")

#: a scope no one uses: counting its memories touches the store's index and nothing else
_PROBE = Scope(user_id="memspan-readiness-probe")


def _schema(current: int, expected: int) -> str:
    if current == expected:
        return "ok"
    if current > expected:
        return f"schema version {current} is newer than this memspan's {expected}: upgrade memspan"
    return f"schema version {current} is older than this memspan's {expected}: restart to migrate"


def check_store(store: MemoryStore) -> str:
    """``ok``, or why the memory store cannot serve: unreachable, or its schema is not current."""
    try:
        store.count(_PROBE)
        versions = getattr(store, "schema_versions", None)  # stores without migrations have none
        return "ok" if versions is None else _schema(*versions())
    except Exception as exc:  # the reason goes to the log; the probe only learns its class
        log.warning("readiness: the memory store failed (%s)", type(exc).__name__, exc_info=True)
        return f"unreachable ({type(exc).__name__})"


def check_service_db(db: ServiceDB) -> str:
    """``ok``, or why the service database (API keys, access log) cannot serve."""
    try:
        return _schema(*db.schema_versions())
    except Exception as exc:
        log.warning("readiness: the service database failed (%s)", type(exc).__name__, exc_info=True)
        return f"unreachable ({type(exc).__name__})"


def install(app: FastAPI, store: MemoryStore, db: ServiceDB, registry: Any = None) -> None:
    """``/healthz`` and ``/readyz``; ``/metrics`` when ``registry`` (Prometheus) is given."""
    from ..server.http_errors import SafeJSONResponse

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    def readyz() -> Response:
        checks = {"store": check_store(store), "service_db": check_service_db(db)}
        ready = all(result == "ok" for result in checks.values())
        body = {"status": "ready" if ready else "unready", "checks": checks}
        return SafeJSONResponse(body, status_code=200 if ready else 503)

    if registry is not None:
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        @app.get("/metrics", include_in_schema=False)
        def prometheus_metrics(request: Request) -> Response:
            return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
