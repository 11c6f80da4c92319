"""The wire protocol of ``memspan serve`` as the clients speak it: errors, JSON ↔ memspan types,
each operation written once as a flow of HTTP calls, and the retry policy (``client.py`` runs them).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from . import errors, telemetry
from .effects import Flow, call
from .errors import MemspanError, StoreError
from .messages import MessagesInput
from .scope import Scope
from .types import AddResult, Event, HistoryEvent, MemoryChange, MemoryItem, MemoryType, SearchResult, Usage

PAGE = 500  # the server's largest page


class RemoteError(MemspanError):
    """The server refused the call for a reason memspan's embedded API has no error for."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


class AuthenticationError(RemoteError):
    """No API key, or one the server does not know (or has revoked): check MEMSPAN_API_KEY."""


class ForbiddenError(RemoteError):
    """The key may not use that scope or endpoint: ask an admin for a key with a grant for it."""


class RateLimitedError(RemoteError):
    """Too many requests, still after the client's retries."""


class ServiceUnavailableError(StoreError):
    """The server could not be reached or failed; it is the client's store, so this is a StoreError."""


_BY_STATUS: dict[int, type[RemoteError]] = {
    401: AuthenticationError,
    403: ForbiddenError,
    429: RateLimitedError,
}


def _raise_for(response: httpx.Response) -> None:
    """Turn an error body back into the exception the embedded memory would have raised."""
    try:
        detail = response.json()["error"]
        kind, message = str(detail["type"]), str(detail["message"])
    except (ValueError, KeyError, TypeError):
        kind, message = "", response.text[:500] or response.reason_phrase
    if response.status_code in _BY_STATUS:
        raise _BY_STATUS[response.status_code](message, response.status_code)
    cls = getattr(errors, kind, None)
    if isinstance(cls, type) and issubclass(cls, MemspanError):
        raise cls(message)
    if response.status_code == 404:
        raise errors.NotFoundError(message)
    if response.status_code in (413, 422):
        raise errors.ValidationError(message)
    raise ServiceUnavailableError(f"memspan server answered {response.status_code}: {message}")


@dataclass(frozen=True, slots=True)
class Request:
    """One HTTP call an operation needs (sent through :class:`HTTP`, its answer decoded by ``_exchange``)."""

    method: str
    path: str
    params: dict[str, Any] = field(default_factory=dict)
    json: Any = None


Op = Flow[Any]


class HTTP:
    """The client's I/O port: ``send`` (or ``asend``) one request, ``sleep`` (or ``asleep``).

    :func:`memspan.effects.run_sync` drives an operation with the blocking methods, and
    :func:`~memspan.effects.run_async` with the ``a``-prefixed coroutines, so each operation and the
    retry policy below are written once.
    """

    def __init__(self, client: httpx.Client | httpx.AsyncClient, url: str):
        self.client = client
        self.url = url

    def _unreachable(self, exc: httpx.TransportError) -> ServiceUnavailableError:
        return ServiceUnavailableError(f"cannot reach the memspan server at {self.url}: {exc}")

    def send(self, request: Request) -> httpx.Response:
        assert isinstance(self.client, httpx.Client), "a blocking call on the async client"
        try:
            return self.client.request(
                request.method,
                request.path,
                params=request.params or None,
                json=request.json,
                headers=telemetry.trace_headers(),
            )
        except httpx.TransportError as exc:
            raise self._unreachable(exc) from exc

    async def asend(self, request: Request) -> httpx.Response:
        assert isinstance(self.client, httpx.AsyncClient), "an awaited call on the blocking client"
        try:
            return await self.client.request(
                request.method,
                request.path,
                params=request.params or None,
                json=request.json,
                headers=telemetry.trace_headers(),
            )
        except httpx.TransportError as exc:
            raise self._unreachable(exc) from exc

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    async def asleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def scope_ids(user_id: str | None, agent_id: str | None, run_id: str | None) -> dict[str, str]:
    return {
        k: v for k, v in (("user_id", user_id), ("agent_id", agent_id), ("run_id", run_id)) if v is not None
    }


def owner_ids(user_id: str | None, agent_id: str | None, run_id: str | None) -> dict[str, str]:
    """The optional scope a call by id is held to (checked here as the embedded memory checks it)."""
    return Scope(user_id, agent_id, run_id).as_dict()


def _messages(messages: MessagesInput) -> Any:
    if isinstance(messages, str):
        return messages
    if isinstance(messages, Mapping):
        return [dict(messages)]
    return [{"role": "user", "content": m} if isinstance(m, str) else dict(m) for m in messages]


class Operations:
    """Every operation, once, as a flow of HTTP requests (subclasses set ``_io`` and ``retries``)."""

    _io: HTTP
    retries: int

    def _exchange(self, request: Request) -> Flow[Any]:
        """Send one request and decode the answer, retrying after the server's ``Retry-After``
        while it says the caller is rate limited (``retries`` times at most)."""
        attempt = 0
        while True:
            response = yield call(self._io, "send", request)
            wait = retry_wait(response, attempt, self.retries)
            if wait is None:
                return answer(response)
            yield call(self._io, "sleep", wait)
            attempt += 1

    def op_add(
        self,
        messages: MessagesInput,
        ids: dict[str, str],
        metadata: Any,
        memory_type: Any,
        infer: bool,
        expiry: dict[str, object] | None = None,
    ) -> Op:
        mtype = MemoryType.parse(memory_type).value if memory_type is not None else None
        body = {
            "messages": _messages(messages),
            **ids,
            "metadata": metadata,
            "memory_type": mtype,
            "infer": infer,
            **(expiry or {}),
        }
        data = yield from self._exchange(Request("POST", "/v1/memories", json=body))
        changes = [
            MemoryChange(
                Event(c["event"]), MemoryItem.from_dict(c), c.get("previous_memory"), c.get("reason")
            )
            for c in data["results"]
        ]
        return AddResult(changes, Usage(**data["usage"]))

    def op_search(self, query: str, ids: dict[str, str], **options: Any) -> Op:
        data = yield from self._exchange(
            Request("POST", "/v1/memories/search", json={"query": query, **ids, **options})
        )
        return SearchResult([MemoryItem.from_dict(d) for d in data["results"]])

    def op_get(self, memory_id: str, include_deleted: bool, owner: dict[str, str]) -> Op:
        params = {"include_deleted": include_deleted, **owner}
        data = yield from self._exchange(Request("GET", f"/v1/memories/{memory_id}", params))
        return MemoryItem.from_dict(data)

    def op_get_all(self, ids: dict[str, str], filters: Any, limit: int, offset: int, deleted: bool) -> Op:
        import json

        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
            raise errors.ValidationError(f"limit must be a positive integer, got {limit!r}")
        params: dict[str, Any] = {**ids, "include_deleted": deleted}
        if filters is not None:
            params["filters"] = json.dumps(filters)
        items: list[MemoryItem] = []
        next_offset: int | None = offset
        while next_offset is not None and len(items) < limit:
            page = min(PAGE, limit - len(items))
            data = yield from self._exchange(
                Request("GET", "/v1/memories", {**params, "limit": page, "offset": next_offset})
            )
            items.extend(MemoryItem.from_dict(d) for d in data["results"])
            next_offset = data["next_offset"]
        return items

    def op_update(
        self,
        memory_id: str,
        text: str | None,
        metadata: Any,
        owner: dict[str, str],
        expiry: dict[str, object] | None = None,
    ) -> Op:
        if text is None and metadata is None and not expiry:
            raise errors.ValidationError("update needs text=, metadata=, expires_at= or ttl=")
        body = {"text": text, "metadata": metadata, **(expiry or {})}
        data = yield from self._exchange(Request("PATCH", f"/v1/memories/{memory_id}", owner, json=body))
        return MemoryItem.from_dict(data)

    def op_delete(self, memory_id: str, owner: dict[str, str]) -> Op:
        data = yield from self._exchange(Request("DELETE", f"/v1/memories/{memory_id}", owner))
        return MemoryItem.from_dict(data)

    def op_delete_all(self, ids: dict[str, str], purge: bool) -> Op:
        data = yield from self._exchange(Request("DELETE", "/v1/memories", {**ids, "purge": purge}))
        return int(data["deleted"])

    def op_sweep_expired(self) -> Op:
        data = yield from self._exchange(Request("POST", "/v1/sweep"))
        return int(data["swept"])

    def op_history(self, memory_id: str, owner: dict[str, str]) -> Op:
        data = yield from self._exchange(Request("GET", f"/v1/memories/{memory_id}/history", owner))
        return [HistoryEvent.from_dict(d) for d in data["results"]]


def connection(url: str | None, api_key: str | None) -> tuple[str, dict[str, str]]:
    url = url or os.environ.get("MEMSPAN_URL")
    if not url:
        raise errors.ValidationError(
            "pass the server's url= (or set MEMSPAN_URL), e.g. http://127.0.0.1:8765"
        )
    key = api_key or os.environ.get("MEMSPAN_API_KEY")
    if not key:
        raise AuthenticationError(
            "pass api_key= (or set MEMSPAN_API_KEY); `memspan keys create` makes one", 401
        )
    return url.rstrip("/"), {"Authorization": f"Bearer {key}"}


def answer(response: httpx.Response) -> Any:
    if response.status_code >= 400:
        _raise_for(response)
    return response.json() if response.content else None


def retry_wait(response: httpx.Response, attempt: int, retries: int) -> float | None:
    """Seconds to wait before retrying a rate-limited call, or ``None`` to give up."""
    if response.status_code != 429 or attempt >= retries:
        return None
    try:
        return min(30.0, float(response.headers.get("Retry-After", "1")))
    except ValueError:
        return 1.0
