"""The OpenTelemetry side of :mod:`memspan.telemetry`: imported only when the API is installed.

Names and attributes are listed in docs/observability.md; a test checks the spans of a search
against that list. Nothing here records memory text, queries, metadata, memory ids, exception
messages or scope ids in clear.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from opentelemetry import context, metrics, propagate, trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

SCOPE_KEYS = ("user_id", "agent_id", "run_id")
#: seconds; OpenTelemetry's default buckets are sized for milliseconds
DURATION_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
#: the GenAI semantic conventions' advice for gen_ai.client.token.usage
TOKEN_BUCKETS = (1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216)

#: port method → the span a flow's call to it gets (other calls, reads mostly, get none)
CALL_SPANS = {
    "embed": "memspan.embed",
    "search_keyword": "memspan.search.keyword",
    "search_vector": "memspan.search.vector",
    "extract": "memspan.extract",
    "rerank": "memspan.rerank",
    "complete": "chat",  # an LLM call; named "chat {model}" as the GenAI conventions ask
    "apply": "memspan.store.write",
    "update": "memspan.store.write",
    "delete_scope": "memspan.store.write",
    "reset": "memspan.store.write",
}

#: events of a result that change what is stored, per operation
_WRITTEN = {"update": "UPDATE", "delete": "DELETE", "delete_all": "DELETE"}
#: scope-id hashes kept before the cache starts over
_DIGESTS_KEPT = 4096


def _histogram(meter: metrics.Meter, name: str, unit: str, description: str, buckets: Sequence[float]) -> Any:
    try:
        return meter.create_histogram(
            name, unit=unit, description=description, explicit_bucket_boundaries_advisory=buckets
        )
    except TypeError:  # an API older than 1.23 takes no bucket advice
        return meter.create_histogram(name, unit=unit, description=description)


def _error_type(exc: BaseException) -> str:
    return type(exc).__name__


def _fail(span: Span, exc: BaseException) -> str:
    """Mark a span failed by the exception's type only: its message may quote a scope id or text."""
    kind = _error_type(exc)
    span.set_attribute("error.type", kind)
    span.set_status(Status(StatusCode.ERROR, kind))
    return kind


def _provider_and_model(model_id: str) -> tuple[str | None, str]:
    """``"anthropic:claude-x"`` → ``("anthropic", "claude-x")``; OpenAI-compatible servers → openai."""
    provider, sep, model = model_id.partition(":")
    if not sep:
        return None, model_id
    return ("openai" if provider == "openai-compatible" else provider), model


class Instruments:
    """memspan's tracer and meters, made once per process through the global providers (which
    delegate to whatever SDK the application configures, even later)."""

    def __init__(self, salt: bytes | None, tracer_provider: Any = None, meter_provider: Any = None):
        from . import __version__

        self.salt = salt
        self.tracer = trace.get_tracer("memspan", __version__, tracer_provider=tracer_provider)
        meter = metrics.get_meter("memspan", __version__, meter_provider=meter_provider)
        self.calls = meter.create_counter(
            "memspan.operation.calls", unit="{call}", description="calls of Memory/AsyncMemory methods"
        )
        self.errors = meter.create_counter(
            "memspan.operation.errors", unit="{error}", description="calls that raised, by error.type"
        )
        self.duration = _histogram(
            meter, "memspan.operation.duration", "s", "duration of Memory/AsyncMemory calls", DURATION_BUCKETS
        )
        self.written = meter.create_counter(
            "memspan.memories.written", unit="{memory}", description="memories added, updated or deleted"
        )
        self.tokens = _histogram(
            meter, "gen_ai.client.token.usage", "{token}", "tokens of model calls", TOKEN_BUCKETS
        )
        self._digests: dict[str, str] = {}

    # -- a public call ---------------------------------------------------------------------

    def scope_attributes(self, kwargs: Mapping[str, Any]) -> dict[str, str]:
        """Which scope ids a call names, and with a salt their keyed hashes; never the ids."""
        named = [key for key in SCOPE_KEYS if kwargs.get(key) is not None]
        attributes = {"memspan.scope": ",".join(k.removesuffix("_id") for k in named)} if named else {}
        if self.salt is not None:
            for key in named:
                attributes[f"memspan.scope.{key}_hash"] = self._digest(str(kwargs[key]))
        return attributes

    def _digest(self, value: str) -> str:
        """The keyed hash of one scope id, computed once per id: a bounded cache (a long-running
        service sees many users; forgetting them all now and then costs one hash each)."""
        digest = self._digests.get(value)
        if digest is None:
            if len(self._digests) >= _DIGESTS_KEPT:
                self._digests.clear()
            assert self.salt is not None
            digest = hmac.new(self.salt, value.encode(), hashlib.sha256).hexdigest()[:32]
            self._digests[value] = digest
        return digest

    def trace_headers(self) -> dict[str, str] | None:
        """The current context, injected by the global propagator (``None`` if it adds nothing)."""
        carrier: dict[str, str] = {}
        propagate.inject(carrier)
        return carrier or None

    def operation(self, name: str, kwargs: Mapping[str, Any]) -> _Operation:
        """The span and metrics of one public call; entering gives the function that records its result."""
        return _Operation(self, name, kwargs)

    def _result(self, name: str, span: Span, kwargs: Mapping[str, Any], result: Any) -> None:
        if name in ("search", "get_all", "history"):
            span.set_attribute("memspan.results", len(result))
        if name == "add":
            counts: dict[str, int] = {}
            for change in result.changes:
                counts[change.event.value] = counts.get(change.event.value, 0) + 1
            for event, n in counts.items():
                span.set_attribute(f"memspan.changes.{event.lower()}", n)
                if event != "NOOP":
                    self.written.add(n, {"memspan.event": event})
        elif name in _WRITTEN:
            count = int(result) if name == "delete_all" else 1
            event = "PURGE" if name == "delete_all" and kwargs.get("purge") else _WRITTEN[name]
            span.set_attribute("memspan.changes." + event.lower(), count)
            if count:
                self.written.add(count, {"memspan.event": event})

    # -- inside a call ---------------------------------------------------------------------

    def step(self, name: str) -> _Span:
        return _Span(self, name, SpanKind.INTERNAL, {})

    def call(self, request: Any) -> _Span | None:
        name = CALL_SPANS.get(request.method)
        return None if name is None else self._call(name, request)

    def _call(self, name: str, request: Any) -> _Span:
        target, args, kwargs = request.target, request.args, request.kwargs
        attributes: dict[str, Any] = {}
        kind = SpanKind.INTERNAL
        if name == "chat":
            provider, model = _provider_and_model(str(getattr(target, "model_id", type(target).__name__)))
            name = f"chat {model}"
            kind = SpanKind.CLIENT
            attributes = {"gen_ai.operation.name": "chat", "gen_ai.request.model": model}
            if provider is not None:
                attributes["gen_ai.provider.name"] = provider
            if isinstance(kwargs.get("max_tokens"), int):
                attributes["gen_ai.request.max_tokens"] = kwargs["max_tokens"]
        elif name == "memspan.embed":
            attributes = {"memspan.embed.texts": len(args[0]), "memspan.embed.kind": kwargs.get("kind", "")}
            attributes["memspan.embedder"] = str(getattr(target, "model_id", type(target).__name__))
        elif name.startswith("memspan.search."):
            attributes = {"memspan.store": type(target).__name__}
            if len(args) > 3 and isinstance(args[3], int):
                attributes["memspan.search.limit"] = args[3]
        elif name == "memspan.store.write":
            attributes = {"memspan.store": type(target).__name__, "memspan.store.operation": request.method}
        elif name == "memspan.extract":
            attributes = {"memspan.extractor": type(target).__name__}
        elif name == "memspan.rerank":
            attributes = {"memspan.reranker": str(getattr(target, "model_id", type(target).__name__))}
            attributes["memspan.rerank.candidates"] = len(args[1]) if len(args) > 1 else 0
        return _Span(self, name, kind, attributes)

    def _call_result(self, span: Span, attributes: dict[str, Any], result: Any) -> None:
        if "gen_ai.operation.name" in attributes:
            usage = getattr(result, "usage", None)
            if usage is None or not (usage.prompt_tokens or usage.completion_tokens):
                return  # an adapter that cannot see usage: no made-up zeros
            span.set_attribute("gen_ai.usage.input_tokens", usage.prompt_tokens)
            span.set_attribute("gen_ai.usage.output_tokens", usage.completion_tokens)
            labels = {k: v for k, v in attributes.items() if k != "gen_ai.request.max_tokens"}
            self.tokens.record(usage.prompt_tokens, {**labels, "gen_ai.token.type": "input"})
            self.tokens.record(usage.completion_tokens, {**labels, "gen_ai.token.type": "output"})
        elif "memspan.store.operation" not in attributes and isinstance(result, list):
            span.set_attribute("memspan.search.candidates", len(result))


class _Span:
    """A span made current while its block runs; ended, with status ERROR if the block raised.

    A plain class rather than ``start_as_current_span``'s stacked generator context managers: it
    runs several times per search, and this is what tracing costs there (benchmarks/telemetry.py).
    """

    __slots__ = ("attributes", "inst", "kind", "name", "span", "token")

    def __init__(self, inst: Instruments, name: str, kind: SpanKind, attributes: dict[str, Any]):
        self.inst, self.name, self.kind, self.attributes = inst, name, kind, attributes

    def __enter__(self) -> Callable[[Any], None]:
        self.span = self.inst.tracer.start_span(self.name, kind=self.kind, attributes=self.attributes)
        self.token = context.attach(trace.set_span_in_context(self.span))
        return self.result

    def result(self, value: Any) -> None:
        self.inst._call_result(self.span, self.attributes, value)

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        context.detach(self.token)
        if exc is not None:
            _fail(self.span, exc)
        self.span.end()


class _Operation:
    """The span and metrics of one public call (see :meth:`Instruments.operation`)."""

    __slots__ = ("inst", "kwargs", "labels", "name", "span", "start", "token")

    def __init__(self, inst: Instruments, name: str, kwargs: Mapping[str, Any]):
        self.inst, self.name, self.kwargs = inst, name, kwargs
        self.labels = {"memspan.operation": name}

    def __enter__(self) -> Callable[[Any], None]:
        attributes = {**self.labels, **self.inst.scope_attributes(self.kwargs)}
        self.start = time.perf_counter()
        self.span = self.inst.tracer.start_span(f"memspan.{self.name}", attributes=attributes)
        self.token = context.attach(trace.set_span_in_context(self.span))
        return self.result

    def result(self, value: Any) -> None:
        self.inst._result(self.name, self.span, self.kwargs, value)

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        context.detach(self.token)
        inst, labels = self.inst, self.labels
        if exc is not None:
            labels = {**labels, "error.type": _fail(self.span, exc)}
            inst.errors.add(1, labels)
        self.span.end()
        inst.calls.add(1, self.labels)
        inst.duration.record(time.perf_counter() - self.start, labels)
