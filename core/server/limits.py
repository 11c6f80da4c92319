"""Request size and rate limits, enforced before any handler (and any JSON parsing) runs."""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable
from typing import Any

Scope_ = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[dict[str, Any]], Any]
ASGIApp = Callable[[Scope_, Receive, Send], Any]


def error_body(status: int, kind: str, message: str) -> dict[str, Any]:
    """The one error shape every response of the service uses, with the request's id when served
    through :class:`~memspan.server.request_context.RequestContext`."""
    from .request_context import current_request_id

    error: dict[str, Any] = {"type": kind, "message": message, "status": status}
    request_id = current_request_id()
    if request_id is not None:
        error["request_id"] = request_id
    return {"error": error}


async def send_json(
    send: Send, status: int, body: dict[str, Any], headers: list[tuple[bytes, bytes]]
) -> None:
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


class BodySizeLimit:
    """Refuse request bodies over ``max_bytes`` with 413, whether or not they declare a length.

    The body is read here (it is small by construction) and replayed to the app, so a chunked
    upload cannot slip past a Content-Length check.
    """

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope_, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        too_large = error_body(
            413, "RequestTooLarge", f"request body is larger than {self.max_bytes:,} bytes"
        )
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                await send_json(send, 413, too_large, [])
                return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await send_json(send, 413, too_large, [])
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        replayed = False

        async def replay() -> dict[str, Any]:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return dict(await receive())

        await self.app(scope, replay, send)


class RateLimiter:
    """A token bucket per caller: ``per_minute`` requests a minute on average, bursts up to ``burst``."""

    #: past this many callers, idle ones are forgotten (failed logins from many addresses)
    MAX_CALLERS = 10_000

    def __init__(
        self, per_minute: float, burst: int | None = None, clock: Callable[[], float] = time.monotonic
    ):
        self.rate = per_minute / 60.0
        self.burst = float(burst if burst is not None else max(1, int(per_minute / 6)))
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, caller: str) -> float:
        """Spend one token; 0.0 when allowed, else the seconds to wait before retrying."""
        if self.rate <= 0:
            return 0.0
        now = self._clock()
        with self._lock:
            if len(self._buckets) > self.MAX_CALLERS:
                self._forget_idle(now)
            tokens, last = self._buckets.get(caller, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[caller] = (tokens - 1.0, now)
                return 0.0
            self._buckets[caller] = (tokens, now)
            return max(0.001, (1.0 - tokens) / self.rate)

    def _forget_idle(self, now: float) -> None:
        """Drop callers whose bucket has refilled: they are indistinguishable from new ones."""
        full = [
            c
            for c, (tokens, last) in self._buckets.items()
            if tokens + (now - last) * self.rate >= self.burst
        ]
        for caller in full:
            del self._buckets[caller]

    @staticmethod
    def retry_after(seconds: float) -> str:
        return str(max(1, math.ceil(seconds)))
