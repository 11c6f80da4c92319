"""Request ids, the access line and HTTP metrics: the outermost layer of the REST app.

It sits outside Starlette's own error middleware, so even a 500 for an unexpected exception gets
its ``X-Request-ID`` header, and the id is set (a context variable) before anything else runs: the
error body (:func:`~memspan.server.limits.error_body`) and every log line written while the request
is served carry it. The access line names the route's template (``/v1/memories/{memory_id}``),
never the URL: paths and query strings hold memory ids and scope ids.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from contextvars import ContextVar
from typing import Any

from .. import telemetry
from .limits import ASGIApp, Receive, Scope_, Send

#: the id of the request being served in this context, or None outside one
REQUEST_ID: ContextVar[str | None] = ContextVar("memspan_request_id", default=None)
HEADER = b"x-request-id"
#: an id a client may choose (its own tracing id); anything else is replaced, never echoed
_ACCEPTED = re.compile(rb"[A-Za-z0-9._:\-]{1,128}")

access_log = logging.getLogger("memspan.server.access")


def current_request_id() -> str | None:
    return REQUEST_ID.get()


def _incoming_id(scope: Scope_) -> str | None:
    for name, value in scope.get("headers", []):
        if name == HEADER and _ACCEPTED.fullmatch(value):
            return str(value.decode("ascii"))
    return None


def route_of(scope: Scope_) -> str:
    """The template of the route that served the request; no client-chosen text."""
    fastapi = scope.get("fastapi")
    effective = fastapi.get("effective_route_context") if isinstance(fastapi, dict) else None
    # FastAPI >= 0.130 keeps the router's own route (without its prefix) in scope["route"]
    path = getattr(effective, "path", None) or getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) and path else "(unmatched)"


class RequestContext:
    """Give every HTTP request an id (the client's ``X-Request-ID`` if usable, else a new one),
    answer with it, log one access line and record ``http.server.request.duration``."""

    def __init__(self, app: ASGIApp, *, duration: Any = None, tracer: Any = None):
        self.app = app
        self.duration = duration  # an OpenTelemetry histogram, when metrics are on
        self.tracer = tracer  # an OpenTelemetry tracer, when traces are exported

    async def __call__(self, scope: Scope_, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_id(scope) or uuid.uuid4().hex
        # not reset afterwards: each request runs in its own task, and the server's own log line
        # about an unexpected exception is written after this layer has returned
        REQUEST_ID.set(request_id)
        status = 500
        start = time.perf_counter()

        async def send_with_id(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != HEADER]
                message = {**message, "headers": [*headers, (HEADER, request_id.encode())]}
            await send(message)

        span = self._server_span(scope) if self.tracer is not None else self._caller_context(scope)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self._finished(scope, status, time.perf_counter() - start, span)

    def _server_span(self, scope: Scope_) -> Any:
        from opentelemetry import context, propagate, trace

        carrier = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
        parent = propagate.extract(carrier)
        span = self.tracer.start_span(
            f"{scope['method']}",
            context=parent,
            kind=trace.SpanKind.SERVER,
            attributes={"http.request.method": scope["method"]},
        )
        token = context.attach(trace.set_span_in_context(span, parent))
        return span, token

    def _caller_context(self, scope: Scope_) -> Any:
        """Without a server span of its own (traces not exported by ``memspan serve``, e.g. an app
        hosted by an application that configures OpenTelemetry itself), memspan's spans still
        continue the caller's trace when it sent one."""
        if not any(name == b"traceparent" for name, _ in scope.get("headers", [])):
            return None
        if telemetry.instruments() is None:
            return None
        from opentelemetry import context, propagate

        carrier = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
        return None, context.attach(propagate.extract(carrier))

    def _finished(self, scope: Scope_, status: int, seconds: float, span: Any) -> None:
        method, route = scope["method"], route_of(scope)
        attributes = {"http.request.method": method, "http.route": route, "http.response.status_code": status}
        if self.duration is not None:
            self.duration.record(seconds, attributes)
        if span is not None and span[0] is None:
            from opentelemetry import context

            context.detach(span[1])
        elif span is not None:
            from opentelemetry import context, trace

            server_span, token = span
            server_span.update_name(f"{method} {route}")
            server_span.set_attributes(attributes)
            if status >= 500:
                server_span.set_status(trace.Status(trace.StatusCode.ERROR))
            server_span.end()
            context.detach(token)
        access_log.info(
            "%s %s %d %.1fms",
            method,
            route,
            status,
            seconds * 1000,
            extra={
                "method": method,
                "path": route,
                "status": status,
                "duration_ms": round(seconds * 1000, 1),
            },
        )
