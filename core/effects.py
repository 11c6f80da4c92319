"""Write the logic once, run it sync or async (the httpx ``auth_flow`` pattern).

A pipeline step is a generator that *yields* the I/O it needs as :class:`Call` objects and gets
each result sent back. :func:`run_sync` performs calls directly; :func:`run_async` awaits the
port's ``a``-prefixed coroutine when the port has one (``aembed``, ``asearch_vector``...) and
otherwise runs the blocking method in a worker thread. Errors raised by a call are thrown back into
the generator at the ``yield``, so the pipeline handles them exactly as it would a direct call.
"""

from __future__ import annotations

import asyncio
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")
Flow = Generator["Call", Any, T]


@dataclass(frozen=True, slots=True)
class Call:
    """One piece of I/O a flow asks its driver to perform: ``target.method(*args, **kwargs)``."""

    target: Any
    method: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)


def call(target: Any, method: str, *args: Any, **kwargs: Any) -> Call:
    return Call(target, method, args, kwargs)


def run_sync(flow: Flow[T]) -> T:
    """Drive a flow with blocking calls."""
    try:
        request = next(flow)
        while True:
            try:
                result = getattr(request.target, request.method)(*request.args, **request.kwargs)
            except BaseException as exc:  # hand it to the flow: it may recover, or it re-raises
                request = flow.throw(exc)
            else:
                request = flow.send(result)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]


async def perform(request: Call) -> Any:
    """Perform one call on the event loop: the native coroutine if the port has one."""
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
