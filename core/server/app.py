"""The REST service: one FastAPI app over one memory (any store) and the service database.

Every memory route authenticates a key, checks the scope (or, for routes by id, the memory's own
owner) against the key's grants, calls the same :class:`~memspan.Memory` API an embedded caller
uses, and records in the access log which memories it returned or changed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from importlib import resources
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request, Security
from fastapi.responses import HTMLResponse
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from fastapi.staticfiles import StaticFiles

from ..errors import ValidationError
from ..memory import Memory
from . import exporters, health, http_errors
from .access_log import AccessLog, Retention
from .exporters import ServerTelemetry
from .keys import KeyStore, Principal
from .limits import BodySizeLimit, RateLimiter
from .request_context import RequestContext
from .service_db import ServiceDB

API_VERSION = "v1"


@dataclass
class ServiceSettings:
    """Limits of one running service."""

    max_body_bytes: int = 1024 * 1024
    #: requests a minute per key (0 turns rate limiting off); failed logins count per client address
    rate_per_minute: float = 600.0
    rate_burst: int | None = None
    #: largest page a list endpoint returns
    page_max: int = 500
    #: how much access log to keep (by age and by size)
    retention: Retention = field(default_factory=Retention)
    #: ``prometheus`` (a /metrics endpoint), ``otlp`` (pushed to $OTEL_EXPORTER_OTLP_ENDPOINT) or ``off``
    metrics: str = "off"
    #: ``otlp`` or ``off``: where memspan's spans (docs/observability.md) go
    traces: str = "off"
    #: seconds ``/readyz`` waits for the store and the service database before it answers 503
    #: (under Kubernetes' default probe timeout of 1 s, so the probe reads memspan's reason)
    readiness_timeout: float = 0.8


@dataclass
class Service:
    """What the handlers share, reachable as ``request.app.state.service``."""

    memory: Memory
    keys: KeyStore
    log: AccessLog
    settings: ServiceSettings
    limiter: RateLimiter = field(init=False)

    def __post_init__(self) -> None:
        self.limiter = RateLimiter(self.settings.rate_per_minute, self.settings.rate_burst)


def get_service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


_bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer msk_...")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="the same key in X-API-Key")


def _too_many(wait: float) -> HTTPException:
    return HTTPException(
        429,
        f"rate limit exceeded; retry in {wait:.1f}s",
        headers={"Retry-After": RateLimiter.retry_after(wait)},
    )


def authenticate(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
    header_key: Annotated[str | None, Security(_header)],
) -> Principal:
    """The caller's key, verified and rate limited; 401 without a valid key."""
    service = get_service(request)
    key = bearer.credentials if bearer is not None else header_key
    unauthorized = HTTPException(
        401,
        "send a valid API key as 'Authorization: Bearer msk_...' or 'X-API-Key: msk_...'",
        headers={"WWW-Authenticate": "Bearer"},
    )
    principal = service.keys.verify(key) if key else None
    if principal is None:
        client = request.client.host if request.client else "unknown"
        wait = service.limiter.take(f"addr:{client}")  # slows down key guessing
        if wait:
            raise _too_many(wait)
        raise unauthorized
    wait = service.limiter.take(f"key:{principal.key_id}")
    if wait:
        raise _too_many(wait)
    return principal


def single_query_values(request: Request) -> None:
    """Refuse ``?user_id=a&user_id=b``: every query parameter of this API takes one value, and
    silently using the last of several would hide a client bug."""
    keys = [key for key, _ in request.query_params.multi_items()]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise ValidationError(f"query parameter {', '.join(repeated)} given more than once; give it once")


def require_admin(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
    if not principal.admin:
        raise HTTPException(403, "this endpoint needs an admin key")
    return principal


_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; frame-ancestors 'none'"


def _page(request: Request) -> HTMLResponse:
    html = resources.files("memspan.server").joinpath("static/index.html").read_text(encoding="utf-8")
    # the page loads only its own script and style: memory text can never run as code
    return HTMLResponse(html, headers={"Content-Security-Policy": _CSP, "X-Frame-Options": "DENY"})


class _App(FastAPI):
    """FastAPI with :class:`RequestContext` outside Starlette's error middleware, so that even an
    unexpected exception's 500 carries the request id."""

    def build_middleware_stack(self) -> Any:
        observed: ServerTelemetry = self.state.telemetry
        inner: Any = super().build_middleware_stack()
        return RequestContext(inner, duration=observed.http_duration, tracer=observed.tracer)


def create_app(memory: Memory, db: ServiceDB, settings: ServiceSettings | None = None) -> FastAPI:
    """The ASGI app: the API under ``/v1``, the memory browser at ``/``, the spec at ``/openapi.json``,
    probes at ``/healthz`` and ``/readyz``, and ``/metrics`` with ``metrics="prometheus"``."""
    from .admin_routes import router as admin_router
    from .memory_routes import router as memory_router

    settings = settings or ServiceSettings()
    observed = exporters.setup(settings.metrics, settings.traces)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        # uvicorn re-raises SIGTERM once the app has shut down, so this is the last code that runs
        observed.shutdown()

    app = _App(
        lifespan=lifespan,
        title="memspan",
        version=API_VERSION,
        description="Long-term memory for AI agents. Every call needs an API key bound to the scopes it "
        "may read or write; an admin key manages keys and reads the access log.",
        responses=http_errors.ERROR_RESPONSES,
        default_response_class=http_errors.SafeJSONResponse,
        dependencies=[Depends(single_query_values)],
    )
    app.state.service = Service(memory, KeyStore(db), AccessLog(db, settings.retention), settings)
    app.state.telemetry = observed
    http_errors.install(app)
    app.include_router(memory_router, prefix=f"/{API_VERSION}")
    app.include_router(admin_router, prefix=f"/{API_VERSION}")
    app.add_api_route("/", _page, methods=["GET"], include_in_schema=False)
    static = resources.files("memspan.server").joinpath("static")
    app.mount("/static", StaticFiles(directory=str(static)), name="static")

    health.install(app, memory.store, db, observed.registry, readiness_timeout=settings.readiness_timeout)

    # outermost of the app's own layers: sees the raw request before any parsing
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    return app
