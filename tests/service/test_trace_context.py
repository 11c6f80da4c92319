"""RemoteMemory sends the caller's trace context (W3C ``traceparent``) and the server continues
the trace: its spans, read back through OpenTelemetry's in-memory exporter, sit under the caller's."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("opentelemetry.sdk")

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from memspan import telemetry
from memspan.client import AsyncRemoteMemory, RemoteMemory
from memspan.ports import Embedder

from .conftest import Svc, ThreadedServer, make_service

SEARCH_ROUTE = "POST /v1/memories/search"


class Traced:
    """One tracer provider for the caller, memspan and (when ``server_spans``) the server's own span."""

    def __init__(self, svc: Svc, *, server_spans: bool):
        self.exporter = InMemorySpanExporter()
        self.provider = TracerProvider()
        self.provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        if server_spans:  # what `memspan serve --traces otlp` sets up, with an in-memory exporter
            svc.app.state.telemetry.tracer = self.provider.get_tracer("memspan.server")
        telemetry.configure(enabled=True, tracer_provider=self.provider)
        self.caller = self.provider.get_tracer("agent")

    def spans(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())

    def named(self, name: str) -> ReadableSpan:
        (span,) = [s for s in self.spans() if s.name == name]
        return span


@pytest.fixture
def svc(tmp_path: Path, embedder: Embedder) -> Iterator[Svc]:
    yield from make_service(tmp_path, embedder)
    telemetry.configure()  # back to the global providers for the tests that follow


def _parent_id(span: ReadableSpan) -> int | None:
    return None if span.parent is None else span.parent.span_id


def _key(svc: Svc) -> str:
    return svc.key("agent", ({"user_id": "maya"}, "write"))


def test_the_server_continues_the_callers_trace(svc: Svc) -> None:
    traced = Traced(svc, server_spans=True)
    with ThreadedServer(svc.app) as server, RemoteMemory(server.url, _key(svc)) as remote:
        remote.add("I'm vegetarian.", user_id="maya", infer=False)
        traced.exporter.clear()
        with traced.caller.start_as_current_span("agent turn"):
            hits = remote.search("what does she eat?", user_id="maya")
    assert [h.text for h in hits] == ["I'm vegetarian."]
    turn, served, search = (
        traced.named("agent turn"),
        traced.named(SEARCH_ROUTE),
        traced.named("memspan.search"),
    )
    assert served.kind == SpanKind.SERVER
    assert served.parent is not None and served.parent.is_remote  # it came over HTTP, in the header
    assert _parent_id(served) == turn.context.span_id
    assert _parent_id(search) == served.context.span_id
    assert {s.context.trace_id for s in traced.spans()} == {turn.context.trace_id}  # one trace
    assert _parent_id(traced.named("memspan.embed")) == search.context.span_id


def test_the_async_client_sends_it_too(svc: Svc) -> None:
    traced = Traced(svc, server_spans=True)

    async def turn(url: str, key: str) -> None:
        async with AsyncRemoteMemory(url, key) as remote:
            with traced.caller.start_as_current_span("agent turn"):
                await remote.search("anything", user_id="maya")

    with ThreadedServer(svc.app) as server:
        asyncio.run(turn(server.url, _key(svc)))
    assert _parent_id(traced.named(SEARCH_ROUTE)) == traced.named("agent turn").context.span_id


def test_without_a_span_or_with_telemetry_off_the_server_starts_its_own_trace(svc: Svc) -> None:
    traced = Traced(svc, server_spans=True)
    with ThreadedServer(svc.app) as server, RemoteMemory(server.url, _key(svc)) as remote:
        remote.search("anything", user_id="maya")  # no span is active: nothing to continue
        assert traced.named(SEARCH_ROUTE).parent is None
        traced.exporter.clear()
        telemetry.configure(enabled=False)  # memspan's telemetry off: the client sends no context
        with traced.caller.start_as_current_span("agent turn"):
            remote.search("anything", user_id="maya")
        served = traced.named(SEARCH_ROUTE)
        assert (
            served.parent is None and served.context.trace_id != traced.named("agent turn").context.trace_id
        )


def test_memspans_spans_continue_the_trace_without_a_server_span(svc: Svc) -> None:
    """An app whose traces the server does not export (the host configures OpenTelemetry itself)."""
    traced = Traced(svc, server_spans=False)
    with (
        ThreadedServer(svc.app) as server,
        RemoteMemory(server.url, _key(svc)) as remote,
        traced.caller.start_as_current_span("agent turn"),
    ):
        remote.search("anything", user_id="maya")
    turn, search = traced.named("agent turn"), traced.named("memspan.search")
    assert not [s for s in traced.spans() if s.kind == SpanKind.SERVER]
    assert (
        _parent_id(search) == turn.context.span_id and search.parent is not None and search.parent.is_remote
    )
    assert search.context.trace_id == turn.context.trace_id
