"""memspan's error hierarchy as HTTP statuses, and the one error body every failure uses.

Subclasses are listed before their bases: the first match wins. A memory outside the caller's
grants is reported exactly like a missing one (404), so ids cannot be probed.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Route

from ..errors import (
    DimensionMismatchError,
    EmbedderError,
    ExtractionError,
    LLMError,
    MemspanError,
    NotFoundError,
    ReadOnlyStoreError,
    SchemaVersionError,
    StoreError,
    ValidationError,
)
from .limits import error_body
from .models import ErrorResponse

STATUS_BY_ERROR: list[tuple[type[MemspanError], int]] = [
    (ValidationError, 422),  # ScopeError and FilterError included
    (NotFoundError, 404),
    (ReadOnlyStoreError, 409),
    (DimensionMismatchError, 409),
    (SchemaVersionError, 500),
    (StoreError, 503),
    (LLMError, 502),
    (ExtractionError, 502),
    (EmbedderError, 500),
    (MemspanError, 500),
]

_HTTP_KINDS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    413: "RequestTooLarge",
    429: "RateLimited",
}

#: documented on every route so the spec says what a client may get back
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": text}
    for status, text in (
        (400, "the body is not valid JSON"),
        (401, "no key, or a key that is unknown or revoked"),
        (403, "the key may not use this scope or this endpoint"),
        (404, "no such memory, or one outside the key's scopes"),
        (413, "request body too large"),
        (422, "the request is not valid"),
        (429, "too many requests; see Retry-After"),
    )
}


class SafeJSONResponse(JSONResponse):
    """JSON that can always be encoded. A lone surrogate (invalid UTF-8 stored by an older memspan,
    or a request's own bytes echoed in an error) becomes a ``\\u`` escape instead of turning the
    whole answer into a 500."""

    def render(self, content: Any) -> bytes:
        try:
            return super().render(content)
        except UnicodeEncodeError:
            return json.dumps(content, ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode()


def status_for(exc: MemspanError) -> int:
    for cls, status in STATUS_BY_ERROR:
        if isinstance(exc, cls):
            return status
    return 500


def _allowed_methods(request: Request) -> str:
    """Every method some route serves at this path (Starlette names only the first route's)."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        if isinstance(route, Route) and route.methods and route.matches(request.scope)[0] is not Match.NONE:
            methods |= route.methods
    return ", ".join(sorted(methods))


def install(app: FastAPI) -> None:
    """Make every error — memspan's, FastAPI's validation, HTTP errors — answer with one body shape."""

    async def memspan_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, MemspanError)
        status = status_for(exc)
        return SafeJSONResponse(error_body(status, type(exc).__name__, str(exc)), status_code=status)

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        kind = _HTTP_KINDS.get(exc.status_code, "HTTPError")
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            headers["Allow"] = _allowed_methods(request)
        return SafeJSONResponse(
            error_body(exc.status_code, kind, str(exc.detail)), status_code=exc.status_code, headers=headers
        )

    async def invalid_request(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', 'invalid')}"
            for e in exc.errors()[:10]
        )
        return SafeJSONResponse(
            error_body(422, "ValidationError", problems or "invalid request"), status_code=422
        )

    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        # a bug, not the client's fault: say so in the one error shape, without the exception's
        # text (it may quote stored data); the traceback goes to the server log
        body = error_body(500, "InternalError", "internal error; the server log has the details")
        return SafeJSONResponse(body, status_code=500)

    app.add_exception_handler(Exception, unexpected)
    app.add_exception_handler(MemspanError, memspan_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
