"""/readyz, /metrics, request ids and JSON logs, through a real uvicorn server."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from memspan import ValidationError, telemetry
from memspan.ports import Embedder
from memspan.server.app import ServiceSettings, create_app
from memspan.server.logs import JsonFormatter, RequestIdFilter

from .conftest import Svc, ThreadedServer, make_service

pytest.importorskip("opentelemetry.exporter.prometheus")


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def log_entries(buffer: io.StringIO, until: Any = lambda entries: True) -> list[dict[str, Any]]:
    """The JSON lines logged so far, waiting (a little) for ``until``: the server writes a request's
    access line, and uvicorn its line about an exception, just after the response has gone out."""
    deadline = time.monotonic() + 10
    while True:
        entries = [json.loads(line) for line in buffer.getvalue().splitlines()]
        if until(entries) or time.monotonic() > deadline:
            return entries
        time.sleep(0.02)


def access_lines(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in entries if e["logger"] == "memspan.server.access"]


@pytest.fixture
def metered(tmp_path: Path, embedder: Embedder) -> Iterator[Svc]:
    settings = ServiceSettings(rate_per_minute=0, metrics="prometheus")
    yield from make_service(tmp_path, embedder, settings)
    telemetry.configure()  # back to the global providers for the tests that follow


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """memspan's and uvicorn's loggers writing JSON lines into a buffer, as --log-format json sets up."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    loggers = [logging.getLogger(name) for name in ("memspan", "uvicorn.error")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.INFO)
    yield buffer
    for lg, level in zip(loggers, levels, strict=True):
        lg.removeHandler(handler)
        lg.setLevel(level)


def test_readyz_is_ready_on_a_working_service(svc: Svc, live: str) -> None:
    assert httpx.get(f"{live}/healthz").json() == {"status": "ok"}
    ready = httpx.get(f"{live}/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"store": "ok", "service_db": "ok"}}


def test_readyz_says_which_part_is_not_ready_without_details(svc: Svc, live: str, tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "memspan.db") as conn:  # another process upgraded the file
        conn.execute("INSERT INTO schema_migrations(version, applied_at) VALUES (99, 'now')")
    newer = httpx.get(f"{live}/readyz")
    assert newer.status_code == 503
    assert newer.json()["status"] == "unready"
    assert newer.json()["checks"]["service_db"] == "ok"
    assert "newer than this memspan" in newer.json()["checks"]["store"]
    svc.db.close()  # the service database goes away
    svc.memory.store.close()  # and so does the store
    down = httpx.get(f"{live}/readyz")
    assert down.status_code == 503
    checks = down.json()["checks"]
    assert checks["store"].startswith("unreachable (") and checks["service_db"].startswith("unreachable (")
    assert str(tmp_path) not in down.text and "memspan.db" not in down.text


def test_readyz_answers_in_time_when_a_database_hangs(
    tmp_path: Path, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    svc = next(make_service(tmp_path, embedder, ServiceSettings(rate_per_minute=0, readiness_timeout=0.3)))
    release, calls = threading.Event(), []
    counted = svc.memory.store.count

    def hanging_count(scope: Any) -> int:  # a database that accepts the query and never answers
        calls.append(scope)
        release.wait(30)
        return counted(scope)

    monkeypatch.setattr(svc.memory.store, "count", hanging_count)
    with ThreadedServer(svc.app) as server:
        try:
            began = time.monotonic()
            hung = httpx.get(f"{server.url}/readyz", timeout=10)
            assert time.monotonic() - began < 5  # the probe's own answer, not the client's timeout
            assert hung.status_code == 503
            assert hung.json() == {
                "status": "unready",
                "checks": {"store": "no answer within 0.3s", "service_db": "ok"},
            }
            again = httpx.get(f"{server.url}/readyz", timeout=10)
            assert again.status_code == 503 and again.json()["checks"]["store"] == "no answer within 0.3s"
            assert len(calls) == 1  # the second probe waited on the check still running, not a new one
        finally:
            release.set()
        deadline = time.monotonic() + 10
        while (ready := httpx.get(f"{server.url}/readyz", timeout=10)).status_code != 200:
            assert time.monotonic() < deadline, ready.text
            time.sleep(0.05)
        assert ready.json() == {"status": "ready", "checks": {"store": "ok", "service_db": "ok"}}
    svc.memory.close()
    svc.db.close()


def test_the_readiness_timeout_must_be_positive(svc: Svc) -> None:
    for bad in (0, -1.0, float("nan")):
        with pytest.raises(ValidationError, match="readiness timeout"):
            create_app(svc.memory, svc.db, ServiceSettings(readiness_timeout=bad))


def test_every_response_has_a_request_id_and_errors_carry_it(svc: Svc, live: str) -> None:
    fresh = httpx.get(f"{live}/healthz")
    assert re.fullmatch(r"[0-9a-f]{32}", fresh.headers["x-request-id"])
    again = httpx.get(f"{live}/healthz")
    assert again.headers["x-request-id"] != fresh.headers["x-request-id"]
    mine = httpx.get(f"{live}/v1/memories?user_id=maya", headers={"X-Request-ID": "trace-42:a.b_c"})
    assert mine.status_code == 401 and mine.headers["x-request-id"] == "trace-42:a.b_c"
    assert mine.json()["error"]["request_id"] == "trace-42:a.b_c"
    odd = httpx.get(f"{live}/nowhere", headers={"X-Request-ID": "x" * 200})
    assert odd.status_code == 404 and re.fullmatch(r"[0-9a-f]{32}", odd.headers["x-request-id"])
    assert odd.json()["error"]["request_id"] == odd.headers["x-request-id"]
    too_large = httpx.post(
        f"{live}/v1/memories", content=b"x" * (2 * 1024 * 1024), headers=auth(svc.admin_key)
    )
    assert too_large.status_code == 413
    assert too_large.json()["error"]["request_id"] == too_large.headers["x-request-id"]


class BrokenEmbedder:
    """An embedder whose service fails with an error memspan does not know: the server's 500 path."""

    def __init__(self, real: Embedder):
        self.model_id, self.dimension = real.model_id, real.dimension  # type: ignore[attr-defined]

    def embed(self, texts: Any, *, kind: str = "document") -> Any:
        raise RuntimeError("socket closed by peer")


def test_an_unexpected_failure_is_a_500_whose_id_is_in_the_log(
    svc: Svc, live: str, embedder: Embedder, json_log: io.StringIO
) -> None:
    key = svc.key("maya", ({"user_id": "maya"}, "write"))
    svc.memory._engine.embedder = BrokenEmbedder(embedder)  # type: ignore[assignment]
    r = httpx.post(
        f"{live}/v1/memories/search", json={"query": "seat?", "user_id": "maya"}, headers=auth(key)
    )
    assert r.status_code == 500
    request_id = r.headers["x-request-id"]
    assert r.json()["error"] == {
        "type": "InternalError",
        "message": "internal error; the server log has the details",
        "status": 500,
        "request_id": request_id,
    }
    lines = log_entries(json_log, lambda es: access_lines(es) and any(e.get("exception") for e in es))
    failure = [e for e in lines if e.get("exception")]
    assert failure and all(e["request_id"] == request_id for e in failure)
    (access,) = access_lines(lines)
    assert access["request_id"] == request_id
    assert access["path"] == "/v1/memories/search" and access["status"] == 500 and access["method"] == "POST"


def test_the_access_line_names_the_route_never_the_ids(svc: Svc, live: str, json_log: io.StringIO) -> None:
    key = svc.key("maya", ({"user_id": "maya-secret"}, "write"))
    added = httpx.post(
        f"{live}/v1/memories",
        json={"messages": "I like tea", "user_id": "maya-secret", "infer": False},
        headers=auth(key),
    ).json()["results"][0]
    memory_id = added["id"]
    got = httpx.get(f"{live}/v1/memories/{memory_id}?user_id=maya-secret", headers=auth(key))
    assert got.status_code == 200
    lines = log_entries(json_log, lambda es: len(access_lines(es)) == 2)
    paths = [e["path"] for e in access_lines(lines)]
    assert paths == ["/v1/memories", "/v1/memories/{memory_id}"]
    assert "maya-secret" not in json_log.getvalue() and memory_id not in json_log.getvalue()
    assert all(re.fullmatch(r"[0-9a-f]{32}", e["request_id"]) for e in lines)


def test_metrics_are_off_unless_asked(svc: Svc, live: str) -> None:
    assert httpx.get(f"{live}/metrics").status_code == 404


def test_prometheus_metrics_count_calls_requests_and_no_scope(metered: Svc) -> None:
    with ThreadedServer(metered.app) as server:
        key = metered.key("maya", ({"user_id": "maya-secret"}, "write"))
        for text in ("I like tea", "I live in Lisbon"):
            httpx.post(
                f"{server.url}/v1/memories",
                json={"messages": text, "user_id": "maya-secret", "infer": False},
                headers=auth(key),
            ).raise_for_status()
        httpx.post(
            f"{server.url}/v1/memories/search",
            json={"query": "tea?", "user_id": "maya-secret"},
            headers=auth(key),
        ).raise_for_status()
        refused = httpx.post(
            f"{server.url}/v1/memories/search",
            json={"query": "tea?", "user_id": "maya-secret", "filters": {"channel": {"regex": "x"}}},
            headers=auth(key),
        )
        assert refused.status_code == 422
        scrape = httpx.get(f"{server.url}/metrics")
    assert scrape.status_code == 200 and scrape.headers["content-type"].startswith("text/plain")
    text = scrape.text
    assert re.search(r'memspan_operation_calls_total\{[^}]*memspan_operation="search"[^}]*\} 2\.0', text)
    assert re.search(r'memspan_operation_calls_total\{[^}]*memspan_operation="add"[^}]*\} 2\.0', text)
    assert re.search(r'memspan_operation_errors_total\{[^}]*error_type="FilterError"[^}]*\} 1\.0', text)
    assert re.search(r'memspan_memories_written_total\{[^}]*memspan_event="ADD"[^}]*\} 2\.0', text)
    assert "memspan_operation_duration_seconds_bucket" in text
    requests = [
        line for line in text.splitlines() if line.startswith("http_server_request_duration_seconds_count")
    ]
    searches = [line for line in requests if 'http_route="/v1/memories/search"' in line]
    assert any('http_response_status_code="200"' in line and line.endswith(" 1.0") for line in searches)
    assert any('http_response_status_code="422"' in line and line.endswith(" 1.0") for line in searches)
    assert "maya-secret" not in text


def test_memspan_serve_json_logs_readyz_and_metrics(tmp_path: Path) -> None:
    """The real command: `memspan serve --log-format json` with its default Prometheus metrics."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    env = {**os.environ, "MEMSPAN_STORE": str(tmp_path / "memspan.db"), "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "memspan.cli", "serve", "--port", str(port), "--log-format", "json"]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                ready = httpx.get(f"{url}/readyz")
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                assert time.monotonic() < deadline, "server did not come up"
                time.sleep(0.2)
        assert ready.status_code == 200 and ready.json()["status"] == "ready"
        refused = httpx.get(f"{url}/v1/memories?user_id=maya-secret", headers={"X-Request-ID": "probe-1"})
        assert refused.status_code == 401 and refused.json()["error"]["request_id"] == "probe-1"
        scrape = httpx.get(f"{url}/metrics")
        assert scrape.status_code == 200 and "http_server_request_duration_seconds" in scrape.text
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=20)
    entries = [json.loads(line) for line in stderr.splitlines() if line.strip()]  # every line is JSON
    assert any(e["logger"].startswith("uvicorn") for e in entries)  # uvicorn's own lines too
    (probe,) = [e for e in access_lines(entries) if e.get("request_id") == "probe-1"]
    assert probe["path"] == "/v1/memories" and probe["status"] == 401
    assert "maya-secret" not in stderr
