"""One flow, two drivers: the sync and async paths run the same logic."""

from __future__ import annotations

import threading

import pytest

from memspan.effects import Flow, call, run_async, run_sync


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
