"""Liveness, readiness and metrics endpoints of ``memspan serve`` (no API key: probes and scrapers
have none). Their answers name a class of fault, never an exception's text, a memory or a scope."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from fastapi import FastAPI, Request, Response

from ..errors import ValidationError
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


class Readiness:
    """The checks of ``/readyz``, each in a thread of its own, answered within ``timeout`` seconds.

    A check that has not answered by then reports ``no answer within ...`` (a database that hangs
    is as unready as one that refuses). It keeps running in its thread, and until it returns, later
    probes wait on that same check rather than starting another: a hung database costs one thread,
    not one per probe. The threads are daemons, so a hung check never holds up the process's exit.
    """

    def __init__(self, checks: dict[str, Callable[[], str]], timeout: float):
        if not timeout > 0:
            raise ValidationError(
                f"the readiness timeout must be a positive number of seconds, got {timeout!r}"
            )
        self.checks = checks
        self.timeout = timeout
        self._running: dict[str, Future[str]] = {}
        self._lock = threading.Lock()

    def _future(self, name: str) -> Future[str]:
        with self._lock:
            running = self._running.get(name)
            if running is not None and not running.done():
                return running  # still waiting on an earlier probe's check
            future: Future[str] = Future()
            future.set_running_or_notify_cancel()
            self._running[name] = future
        check = self.checks[name]

        def run() -> None:
            try:
                future.set_result(check())
            except BaseException as exc:  # the checks catch their own errors; this is a last resort
                future.set_exception(exc)

        threading.Thread(target=run, name=f"memspan-readyz-{name}", daemon=True).start()
        return future

    async def run(self) -> dict[str, str]:
        """Every check's answer: ``ok``, its reason, or that it did not answer in time."""
        futures = {name: self._future(name) for name in self.checks}
        waiting = {asyncio.wrap_future(f): name for name, f in futures.items()}
        await asyncio.wait(waiting, timeout=self.timeout)
        results = {}
        for name, future in futures.items():
            if not future.done():
                log.warning("readiness: the %s check gave no answer within %gs", name, self.timeout)
                results[name] = f"no answer within {self.timeout:g}s"
            elif future.exception() is not None:
                results[name] = f"failed ({type(future.exception()).__name__})"
            else:
                results[name] = future.result()
        return results


def install(
    app: FastAPI, store: MemoryStore, db: ServiceDB, registry: Any = None, *, readiness_timeout: float = 0.8
) -> None:
    """``/healthz`` and ``/readyz`` (whose checks answer within ``readiness_timeout`` seconds);
    ``/metrics`` when ``registry`` (Prometheus) is given."""
    from ..server.http_errors import SafeJSONResponse

    readiness = Readiness(
        {"store": lambda: check_store(store), "service_db": lambda: check_service_db(db)}, readiness_timeout
    )

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> Response:
        checks = await readiness.run()
        ready = all(result == "ok" for result in checks.values())
        body = {"status": "ready" if ready else "unready", "checks": checks}
        return SafeJSONResponse(body, status_code=200 if ready else 503)

    if registry is not None:
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        @app.get("/metrics", include_in_schema=False)
        def prometheus_metrics(request: Request) -> Response:
            return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
