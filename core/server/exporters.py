"""Where ``memspan serve`` sends memspan's metrics and spans: Prometheus, OTLP, or nowhere.

The OpenTelemetry SDK's Prometheus reader is used rather than ``prometheus_client`` instruments of
our own: the metrics are the OpenTelemetry API calls inside memspan (:mod:`memspan.telemetry`),
so one set of instruments serves a Prometheus scrape and an OTLP push alike. The reader writes
into a registry of this app's own, not ``prometheus_client``'s global one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from .. import telemetry
from ..errors import ValidationError

METRICS_MODES = ("prometheus", "otlp", "off")
TRACES_MODES = ("otlp", "off")
_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass
class ServerTelemetry:
    """The SDK objects one app set up; all ``None`` when both metrics and traces are off."""

    meter_provider: Any = None
    tracer_provider: Any = None
    #: the ``prometheus_client`` registry ``/metrics`` renders (``--metrics prometheus`` only)
    registry: Any = None
    http_duration: Any = None
    tracer: Any = None

    def shutdown(self) -> None:
        """Flush what is buffered (OTLP) and stop the readers; once, however often it is called."""
        providers, self.meter_provider, self.tracer_provider = (
            (self.meter_provider, self.tracer_provider),
            None,
            None,
        )
        for provider in providers:
            if provider is not None:
                provider.shutdown()


def _needs(extra: str, mode: str) -> ValidationError:
    return ValidationError(
        f"{mode} needs the OpenTelemetry SDK and its exporter: pip install 'memspan[{extra}]' "
        "(or turn it off: --metrics off / --traces off)"
    )


def setup(metrics: str = "off", traces: str = "off") -> ServerTelemetry:
    """Build the providers for ``--metrics`` and ``--traces`` and point memspan's telemetry at them."""
    if metrics not in METRICS_MODES:
        raise ValidationError(f"metrics must be one of {', '.join(METRICS_MODES)}, got {metrics!r}")
    if traces not in TRACES_MODES:
        raise ValidationError(f"traces must be one of {', '.join(TRACES_MODES)}, got {traces!r}")
    if metrics == "off" and traces == "off":
        return ServerTelemetry()
    try:
        from opentelemetry.sdk.resources import Resource
    except ImportError:
        raise _needs("server" if metrics == "prometheus" else "otlp", f"--metrics {metrics}") from None
    resource = Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", "memspan")})
    result = ServerTelemetry()
    if metrics != "off":
        result.meter_provider, result.registry = _meter_provider(metrics, resource)
        meter = result.meter_provider.get_meter("memspan.server")
        result.http_duration = meter.create_histogram(
            "http.server.request.duration",
            unit="s",
            description="duration of HTTP requests, by route and status",
            explicit_bucket_boundaries_advisory=_BUCKETS,
        )
    if traces == "otlp":
        try:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
            from opentelemetry.sdk.trace import TracerProvider
            from opentelemetry.sdk.trace.export import BatchSpanProcessor
        except ImportError:
            raise _needs("otlp", "--traces otlp") from None
        result.tracer_provider = TracerProvider(resource=resource)
        result.tracer_provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        result.tracer = result.tracer_provider.get_tracer("memspan.server")
    telemetry.configure(
        scope_salt=os.environ.get(telemetry.ENV_SALT) or None,
        enabled=True,
        tracer_provider=result.tracer_provider,
        meter_provider=result.meter_provider,
    )
    return result


def _meter_provider(mode: str, resource: Any) -> tuple[Any, Any]:
    try:
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader

        if mode == "prometheus":
            from opentelemetry.exporter.prometheus import PrometheusMetricReader
            from prometheus_client import CollectorRegistry
        else:
            from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    except ImportError:
        raise _needs("server" if mode == "prometheus" else "otlp", f"--metrics {mode}") from None
    registry = None
    reader: MetricReader
    if mode == "prometheus":
        registry = CollectorRegistry()
        try:
            reader = PrometheusMetricReader(registry=registry)
        except TypeError:  # exporters before registry= write into prometheus_client's global one
            from prometheus_client import REGISTRY

            registry, reader = REGISTRY, PrometheusMetricReader()
    else:
        reader = PeriodicExportingMetricReader(OTLPMetricExporter())
    return MeterProvider(resource=resource, metric_readers=[reader]), registry
