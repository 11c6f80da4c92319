"""Write the logic once, run it sync or async (the httpx ``auth_flow`` pattern).

A pipeline step is a generator that *yields* the I/O it needs as :class:`Call` objects and gets
each result sent back. :func:`run_sync` performs calls directly; :func:`run_async` awaits the
port's ``a``-prefixed coroutine when the port has one (``aembed``, ``asearch_vector``...) and
otherwise runs the blocking method in a worker thread. Errors raised by a call are thrown back into
the generator at the ``yield``, so the pipeline handles them exactly as it would a direct call.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Generator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .telemetry import call_span

T = TypeVar("T")
Flow = Generator["Call | Gather", Any, T]


@dataclass(frozen=True, slots=True)
class Call:
    """One piece of I/O a flow asks its driver to perform: ``target.method(*args, **kwargs)``."""

    target: Any
    method: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)


def call(target: Any, method: str, *args: Any, **kwargs: Any) -> Call:
    return Call(target, method, args, kwargs)


@dataclass(frozen=True, slots=True)
class Gather:
    """Independent calls a flow lets run at the same time; it gets their results as a list."""

    calls: tuple[Call, ...]


def gather(*calls: Call) -> Gather:
    return Gather(calls)


# blocking I/O (SQLite, onnxruntime, HTTP) releases the GIL, so a couple of threads overlap it
_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="memspan-gather")


def _perform_sync(request: Call | Gather) -> Any:
    if isinstance(request, Call):
        traced = call_span(request)  # None unless OpenTelemetry is on and the call has a span
        if traced is None:
            return getattr(request.target, request.method)(*request.args, **request.kwargs)
        with traced as done:
            result = getattr(request.target, request.method)(*request.args, **request.kwargs)
            done(result)
        return result
    first, *rest = request.calls
    # each pool thread runs in a copy of the caller's context, so its span has the caller's parent
    futures = [_POOL.submit(contextvars.copy_context().run, _perform_sync, c) for c in rest]
    results = [_perform_sync(first)]  # the caller's thread does one share of the work
    return results + [f.result() for f in futures]


def run_sync(flow: Flow[T]) -> T:
    """Drive a flow with blocking calls."""
    try:
        request = next(flow)
        while True:
            try:
                result = _perform_sync(request)
            except BaseException as exc:  # hand it to the flow: it may recover, or it re-raises
                request = flow.throw(exc)
            else:
                request = flow.send(result)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]


async def perform(request: Call | Gather) -> Any:
    """Perform one call on the event loop: the native coroutine if the port has one."""
    if isinstance(request, Gather):
        return list(await asyncio.gather(*(perform(c) for c in request.calls)))
    traced = call_span(request)  # None unless OpenTelemetry is on and the call has a span
    if traced is None:
        return await _perform_async(request)
    with traced as done:
        result = await _perform_async(request)
        done(result)
    return result


async def _perform_async(request: Call) -> Any:
    native = getattr(request.target, "a" + request.method, None)
    if native is not None:
        return await native(*request.args, **request.kwargs)
    method = getattr(request.target, request.method)
    return await asyncio.to_thread(method, *request.args, **request.kwargs)


async def run_async(flow: Flow[T]) -> T:
    """Drive a flow on the event loop."""
    try:
        request = next(flow)
        while True:
            try:
                result = await perform(request)
            except BaseException as exc:
                request = flow.throw(exc)
            else:
                request = flow.send(result)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]
