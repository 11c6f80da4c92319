"""OpenTelemetry traces and metrics for memspan, free when OpenTelemetry is not installed.

memspan only ever talks to the OpenTelemetry *API* (``pip install 'memspan[otel]'``); the application
decides where spans and metrics go by configuring the SDK (or a vendor distro) as usual. Three cases:

- ``opentelemetry-api`` absent: every helper here is a no-op. Nothing is imported at
  ``import memspan`` nor later; a traced call costs one extra Python function call.
- the API present, no SDK configured: OpenTelemetry's own no-op tracer and meter apply.
- an SDK configured: spans and metrics as documented in docs/observability.md.

The API is imported on the first traced call, not at ``import memspan``, so importing memspan
never pays for it. ``MEMSPAN_TELEMETRY=off`` turns everything off even when the API is present.

Scope ids (``user_id``, ``agent_id``, ``run_id``) never appear in clear. By default they are left
out; with a salt (:func:`configure` or ``$MEMSPAN_TELEMETRY_SCOPE_SALT``) each becomes a keyed hash,
so one user's calls can be followed across processes that share the salt without naming her.
Memory text, queries, metadata and exception messages (which may quote them) are never recorded.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import os
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar, cast

if TYPE_CHECKING:
    from ._telemetry_otel import Instruments

P = ParamSpec("P")
R = TypeVar("R")

#: the environment variable that turns telemetry off (``off``, ``0``, ``false``, ``none``)
ENV_SWITCH = "MEMSPAN_TELEMETRY"
#: the environment variable whose value salts the hashes of scope ids
ENV_SALT = "MEMSPAN_TELEMETRY_SCOPE_SALT"

_NULL: AbstractContextManager[None] = contextlib.nullcontext()
_lock = threading.Lock()
_resolved = False
_instruments: Instruments | None = None
_salt: bytes | None = None
_enabled: bool | None = None  # configure(enabled=...) wins over the environment
_configured = False
_providers: tuple[Any, Any] = (None, None)  # (tracer provider, meter provider); None = the global one


def _resolve() -> Instruments | None:
    """Decide once per process whether telemetry is on, importing the API only now."""
    with _lock:  # the first calls may come from several threads at once: make the instruments once
        return _instruments if _resolved else _decide()


def _decide() -> Instruments | None:
    global _resolved, _instruments
    switched_off = os.environ.get(ENV_SWITCH, "").strip().lower() in ("off", "0", "false", "none")
    if _enabled is False or (_enabled is None and switched_off):
        _instruments = None
    else:
        try:
            from ._telemetry_otel import Instruments
        except ImportError:  # the otel extra is not installed: stay a no-op for good
            _instruments = None
        else:
            salt = _salt if _configured else os.environ.get(ENV_SALT, "").encode() or None
            _instruments = Instruments(salt, *_providers)
    _resolved = True
    return _instruments


def instruments() -> Instruments | None:
    """The tracer and meters in use, or ``None`` when telemetry is off or unavailable."""
    return _instruments if _resolved else _resolve()


def configure(
    *,
    scope_salt: str | bytes | None = None,
    enabled: bool | None = None,
    tracer_provider: Any = None,
    meter_provider: Any = None,
) -> None:
    """Set how memspan reports, before (or instead of) the environment variables.

    ``scope_salt`` records a keyed hash of each scope id (``memspan.scope.user_id_hash``...); ``None``
    leaves scope ids out (and the environment's salt is not read). ``enabled=False`` turns memspan's
    spans and metrics off, ``True`` on despite ``$MEMSPAN_TELEMETRY``. ``tracer_provider`` and
    ``meter_provider`` send memspan's spans and metrics somewhere other than OpenTelemetry's global
    providers. Takes effect for the calls that follow.
    """
    global _resolved, _salt, _enabled, _configured, _providers
    with _lock:
        _configured = True
        _providers = (tracer_provider, meter_provider)
        _salt = scope_salt.encode() if isinstance(scope_salt, str) else scope_salt
        _enabled = enabled
        _resolved = False
        _decide()


def span(name: str) -> AbstractContextManager[Any]:
    """A child span around a step that does no I/O of its own (fusion); no-op when off."""
    inst = _instruments if _resolved else _resolve()
    return _NULL if inst is None else inst.step(name)


def call_span(request: Any) -> AbstractContextManager[Callable[[Any], None]] | None:
    """The span of one port call a flow yields (``effects.Call``), or ``None`` if it has none.

    The context manager gives a function to call with the port's result (token counts, sizes)."""
    inst = _instruments if _resolved else _resolve()
    return None if inst is None else inst.call(request)


def trace_headers() -> dict[str, str] | None:
    """The current trace context as HTTP headers (W3C ``traceparent``, ``tracestate``; whatever
    ``$OTEL_PROPAGATORS`` selects) for a request to ``memspan serve``, which continues the trace;
    ``None`` when telemetry is off or no span is active."""
    inst = _instruments if _resolved else _resolve()
    return None if inst is None else inst.trace_headers()


def traced(operation: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Give a public method of :class:`~memspan.Memory` / :class:`~memspan.AsyncMemory` its span and
    metrics. The same :meth:`Instruments.operation` serves both; only the calling shell differs."""

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def awaited(*args: P.args, **kwargs: P.kwargs) -> Any:
                inst = _instruments if _resolved else _resolve()
                if inst is None:
                    return await fn(*args, **kwargs)
                with inst.operation(operation, kwargs) as done:
                    result = await fn(*args, **kwargs)
                    done(result)
                return result

            return cast(Callable[P, R], awaited)

        @functools.wraps(fn)
        def blocking(*args: P.args, **kwargs: P.kwargs) -> R:
            inst = _instruments if _resolved else _resolve()
            if inst is None:
                return fn(*args, **kwargs)
            with inst.operation(operation, kwargs) as done:
                result = fn(*args, **kwargs)
                done(result)
            return result

        return blocking

    return decorate
