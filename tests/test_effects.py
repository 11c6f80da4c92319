"""One flow, two drivers: the sync and async paths run the same logic."""

from __future__ import annotations

import threading

import pytest

from memspan.effects import Flow, call, gather, run_async, run_sync


class Port:
    def __init__(self) -> None:
        self.threads: list[str] = []

    def double(self, x: int) -> int:
        self.threads.append(threading.current_thread().name)
        return 2 * x

    def fail(self) -> None:
        raise RuntimeError("boom")


class NativePort(Port):
    async def adouble(self, x: int) -> int:
        return 20 * x


def flow(port: Port) -> Flow[tuple[int, str]]:
    a = yield call(port, "double", 1)
    try:
        yield call(port, "fail")
    except RuntimeError as exc:  # errors come back at the yield
        recovered = str(exc)
    b = yield call(port, "double", a)
    return b, recovered


def test_sync_driver() -> None:
    assert run_sync(flow(Port())) == (4, "boom")


async def test_async_driver_runs_blocking_ports_in_threads() -> None:
    port = Port()
    assert await run_async(flow(port)) == (4, "boom")
    assert all(name != threading.main_thread().name for name in port.threads)


async def test_async_driver_prefers_native_coroutines() -> None:
    assert await run_async(flow(NativePort())) == (400, "boom")


def test_unhandled_errors_propagate() -> None:
    def failing(port: Port) -> Flow[None]:
        yield call(port, "fail")

    with pytest.raises(RuntimeError, match="boom"):
        run_sync(failing(Port()))


def gathered(port: Port) -> Flow[list[int]]:
    results = yield gather(call(port, "double", 1), call(port, "double", 2), call(port, "double", 3))
    return results  # type: ignore[no-any-return]


def test_gather_runs_independent_calls_together_and_keeps_their_order() -> None:
    port = Port()
    assert run_sync(gathered(port)) == [2, 4, 6]
    assert len(set(port.threads)) >= 2  # the caller's thread and at least one helper thread


async def test_gather_on_the_event_loop() -> None:
    assert await run_async(gathered(NativePort())) == [20, 40, 60]


def test_an_error_in_a_gathered_call_comes_back_at_the_yield() -> None:
    def flow(port: Port) -> Flow[str]:
        try:
            yield gather(call(port, "double", 1), call(port, "fail"))
        except RuntimeError as exc:
            return str(exc)
        return "no error"

    assert run_sync(flow(Port())) == "boom"
