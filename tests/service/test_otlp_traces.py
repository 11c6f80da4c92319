"""`memspan serve --traces otlp`: spans reach an OTLP/HTTP collector (a real HTTP receiver decoding
the protobuf requests), under the caller's trace when it sends a W3C ``traceparent``."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

pytest.importorskip("opentelemetry.exporter.otlp.proto.http")
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest


class Collector:
    """Receives OTLP/HTTP trace exports on 127.0.0.1 and keeps their spans."""

    def __init__(self) -> None:
        self.spans: list[Any] = []
        spans = self.spans

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if self.path == "/v1/traces":
                    request = ExportTraceServiceRequest.FromString(body)
                    for resource in request.resource_spans:
                        for scope in resource.scope_spans:
                            spans.extend(scope.spans)
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def collector() -> Iterator[Collector]:
    c = Collector()
    yield c
    c.server.shutdown()


def test_spans_go_to_the_collector_under_the_callers_trace(tmp_path: Path, collector: Collector) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    env = {
        **os.environ,
        "MEMSPAN_STORE": str(tmp_path / "memspan.db"),
        "PYTHONUNBUFFERED": "1",
        "OTEL_EXPORTER_OTLP_ENDPOINT": collector.url,
    }
    command = [
        sys.executable,
        "-m",
        "memspan.cli",
        "serve",
        "--port",
        str(port),
        "--traces",
        "otlp",
        "--metrics",
        "off",
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=tmp_path
    )
    trace_id, parent_id = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
    try:
        assert process.stdout is not None
        lines: list[str] = []
        while not any("serving" in line for line in lines):
            line = process.stdout.readline()
            assert line, f"memspan serve exited early: {''.join(lines)}"
            lines.append(line)
        key = next(line.strip() for line in lines if line.strip().startswith("msk_"))
        url, headers = f"http://127.0.0.1:{port}", {"X-API-Key": key}
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{url}/healthz")
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "server did not come up"
                time.sleep(0.2)
        body = {"messages": "I like green tea", "user_id": "maya-secret", "infer": False}
        httpx.post(f"{url}/v1/memories", json=body, headers=headers).raise_for_status()
        traced = {**headers, "traceparent": f"00-{trace_id}-{parent_id}-01"}
        found = httpx.post(
            f"{url}/v1/memories/search", json={"query": "tea?", "user_id": "maya-secret"}, headers=traced
        )
        found.raise_for_status()
    finally:
        process.terminate()  # the app's shutdown flushes the batch of spans
        process.communicate(timeout=30)
    by_id = {span.span_id: span for span in collector.spans}
    (server,) = [s for s in collector.spans if s.name == "POST /v1/memories/search"]
    assert server.trace_id.hex() == trace_id and server.parent_span_id.hex() == parent_id
    (search,) = [s for s in collector.spans if s.name == "memspan.search"]
    assert search.parent_span_id == server.span_id and search.trace_id == server.trace_id
    children = sorted(s.name for s in collector.spans if s.parent_span_id == search.span_id)
    assert children == ["memspan.embed", "memspan.fusion", "memspan.search.keyword", "memspan.search.vector"]
    assert {by_id[s.parent_span_id].name for s in collector.spans if s.name == "memspan.store.write"} == {
        "memspan.add"
    }
    assert b"maya-secret" not in b"".join(s.SerializeToString() for s in collector.spans)
