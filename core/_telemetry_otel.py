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
from dataclasses import dataclass
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
#: what a step's span records from the port's result: nothing, the candidates found, model usage
_PLAIN, _CANDIDATES, _USAGE = 0, 1, 2
_NO_ATTRIBUTES: dict[str, Any] = {}


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
    delegate to whatever SDK the application configures, even later).

    What a search pays for tracing is mostly the SDK's own work per span and per measurement
    (benchmarks/telemetry.py), so memspan adds as little as it can around it: the attributes that
    do not change from call to call (an operation's name and scope shape, a store's class, a model's
    id) are built once and reused, a scope id is hashed once per value, and metrics are recorded
    with attribute sets made once per operation.
    """

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
        # made once, then shared: the SDK copies what it keeps, and none of these is ever changed.
        # Filled from several threads at once at worst with equal values, so no lock is needed
        self._opening: dict[tuple[str, tuple[str, ...]], dict[str, str]] = {}
        self._labels: dict[tuple[str, str | None], dict[str, str]] = {}
        self._digests: dict[str, str] = {}
        self._steps: dict[tuple[str, type, Any], _Step] = {}

    # -- a public call ---------------------------------------------------------------------

    def scope_attributes(self, name: str, kwargs: Mapping[str, Any]) -> dict[str, str]:
        """The attributes a call's span opens with: its operation, which scope ids it names and, with a
        salt, their keyed hashes; never the ids. The same dict for every unsalted call of one shape."""
        named = tuple(key for key in SCOPE_KEYS if kwargs.get(key) is not None)
        attributes = self._opening.get((name, named))
        if attributes is None:
            attributes = {"memspan.operation": name}
            if named:
                attributes["memspan.scope"] = ",".join(k.removesuffix("_id") for k in named)
            self._opening[(name, named)] = attributes
        if self.salt is None or not named:
            return attributes
        return {
            **attributes,
            **{f"memspan.scope.{key}_hash": self._digest(str(kwargs[key])) for key in named},
        }

    def _digest(self, value: str) -> str:
        """The keyed hash of one scope id, computed once per id (a bounded cache: a long-running
        service sees many users, and forgetting them all now and then costs one hash each)."""
        digest = self._digests.get(value)
        if digest is None:
            if len(self._digests) >= _DIGESTS_KEPT:
                self._digests.clear()
            assert self.salt is not None
            digest = hmac.new(self.salt, value.encode(), hashlib.sha256).hexdigest()[:32]
            self._digests[value] = digest
        return digest

    def labels(self, name: str, error: str | None = None) -> dict[str, str]:
        """The attribute set of an operation's metrics (with ``error.type`` for a failed call)."""
        found = self._labels.get((name, error))
        if found is None:
            found = (
                {"memspan.operation": name}
                if error is None
                else {"memspan.operation": name, "error.type": error}
            )
            self._labels[(name, error)] = found
        return found

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
        return _Span(self, name, SpanKind.INTERNAL, _NO_ATTRIBUTES, _PLAIN, None)

    def call(self, request: Any) -> _Span | None:
        """The span of one port call, or ``None`` for a call that gets none (reads mostly)."""
        method = request.method
        if method not in CALL_SPANS:
            return None
        target = request.target
        model = getattr(target, "model_id", None)
        step = self._steps.get((method, type(target), model))
        if step is None:
            step = self._steps[(method, type(target), model)] = _step(method, target)
        return _Span(self, step.name, step.kind, step.attributes_of(request), step.outcome, step.labels)


def _embed_attributes(static: dict[str, Any], request: Any) -> dict[str, Any]:
    texts = request.args[0] if request.args else ()
    return {**static, "memspan.embed.texts": len(texts), "memspan.embed.kind": request.kwargs.get("kind", "")}


def _search_attributes(static: dict[str, Any], request: Any) -> dict[str, Any]:
    args = request.args
    if len(args) > 3 and isinstance(args[3], int):
        return {**static, "memspan.search.limit": args[3]}
    return static


def _chat_attributes(static: dict[str, Any], request: Any) -> dict[str, Any]:
    max_tokens = request.kwargs.get("max_tokens")
    return {**static, "gen_ai.request.max_tokens": max_tokens} if isinstance(max_tokens, int) else static


def _rerank_attributes(static: dict[str, Any], request: Any) -> dict[str, Any]:
    args = request.args
    return {**static, "memspan.rerank.candidates": len(args[1]) if len(args) > 1 else 0}


@dataclass(frozen=True, slots=True)
class _Step:
    """What every call of one port method on one kind of target shares: its span's name and kind,
    the attributes that do not change, how to add the ones that do, and what its result records."""

    name: str
    kind: SpanKind
    static: dict[str, Any]
    dynamic: Callable[[dict[str, Any], Any], dict[str, Any]] | None
    outcome: int = _PLAIN
    #: the token metric's attribute sets (input, output) of a model call
    labels: tuple[dict[str, Any], dict[str, Any]] | None = None

    def attributes_of(self, request: Any) -> dict[str, Any]:
        return self.static if self.dynamic is None else self.dynamic(self.static, request)


def _step(method: str, target: Any) -> _Step:
    name, internal = CALL_SPANS[method], SpanKind.INTERNAL
    model_id = str(getattr(target, "model_id", type(target).__name__))
    if name == "chat":
        provider, model = _provider_and_model(model_id)
        static = {"gen_ai.operation.name": "chat", "gen_ai.request.model": model}
        if provider is not None:
            static["gen_ai.provider.name"] = provider
        labels = ({**static, "gen_ai.token.type": "input"}, {**static, "gen_ai.token.type": "output"})
        return _Step(f"chat {model}", SpanKind.CLIENT, static, _chat_attributes, _USAGE, labels)
    if name == "memspan.embed":
        return _Step(name, internal, {"memspan.embedder": model_id}, _embed_attributes)
    if name == "memspan.rerank":
        return _Step(name, internal, {"memspan.reranker": model_id}, _rerank_attributes)
    kind = type(target).__name__
    if name == "memspan.extract":
        return _Step(name, internal, {"memspan.extractor": kind}, None)
    if name == "memspan.store.write":
        return _Step(name, internal, {"memspan.store": kind, "memspan.store.operation": method}, None)
    return _Step(name, internal, {"memspan.store": kind}, _search_attributes, _CANDIDATES)


def _record_usage(
    inst: Instruments, span: Span, labels: tuple[dict[str, Any], dict[str, Any]], result: Any
) -> None:
    usage = getattr(result, "usage", None)
    if usage is None or not (usage.prompt_tokens or usage.completion_tokens):
        return  # an adapter that cannot see usage: no made-up zeros
    span.set_attribute("gen_ai.usage.input_tokens", usage.prompt_tokens)
    span.set_attribute("gen_ai.usage.output_tokens", usage.completion_tokens)
    inst.tokens.record(usage.prompt_tokens, labels[0])
    inst.tokens.record(usage.completion_tokens, labels[1])


class _Span:
    """A span made current while its block runs; ended, with status ERROR if the block raised.

    A plain class rather than ``start_as_current_span``'s stacked generator context managers: it
    runs several times per search, and this is what tracing costs there (benchmarks/telemetry.py).
    """

    __slots__ = ("attributes", "inst", "kind", "labels", "name", "outcome", "span", "token")

    def __init__(
        self,
        inst: Instruments,
        name: str,
        kind: SpanKind,
        attributes: dict[str, Any],
        outcome: int,
        labels: tuple[dict[str, Any], dict[str, Any]] | None,
    ):
        self.inst, self.name, self.kind, self.attributes = inst, name, kind, attributes
        self.outcome, self.labels = outcome, labels

    def __enter__(self) -> Callable[[Any], None]:
        self.span = self.inst.tracer.start_span(self.name, kind=self.kind, attributes=self.attributes)
        self.token = context.attach(trace.set_span_in_context(self.span))
        return self.result

    def result(self, value: Any) -> None:
        if self.outcome == _CANDIDATES:
            if isinstance(value, list):
                self.span.set_attribute("memspan.search.candidates", len(value))
        elif self.labels is not None:
            _record_usage(self.inst, self.span, self.labels, value)

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        context.detach(self.token)
        if exc is not None:
            _fail(self.span, exc)
        self.span.end()


class _Operation:
    """The span and metrics of one public call (see :meth:`Instruments.operation`)."""

    __slots__ = ("inst", "kwargs", "name", "span", "start", "token")

    def __init__(self, inst: Instruments, name: str, kwargs: Mapping[str, Any]):
        self.inst, self.name, self.kwargs = inst, name, kwargs

    def __enter__(self) -> Callable[[Any], None]:
        attributes = self.inst.scope_attributes(self.name, self.kwargs)
        self.start = time.perf_counter()
        self.span = self.inst.tracer.start_span(f"memspan.{self.name}", attributes=attributes)
        self.token = context.attach(trace.set_span_in_context(self.span))
        return self.result

    def result(self, value: Any) -> None:
        self.inst._result(self.name, self.span, self.kwargs, value)

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        context.detach(self.token)
        inst, name = self.inst, self.name
        labels = measured = inst.labels(name)
        if exc is not None:
            measured = inst.labels(name, _fail(self.span, exc))
            inst.errors.add(1, measured)
        self.span.end()
        inst.calls.add(1, labels)
        inst.duration.record(time.perf_counter() - self.start, measured)
