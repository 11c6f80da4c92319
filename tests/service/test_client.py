"""RemoteMemory against a real server (uvicorn on 127.0.0.1): the same answers and errors as Memory."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from memspan import AsyncMemory, FilterError, Memory, NotFoundError, ScopeError, StoreError
from memspan.client import (
    AsyncRemoteMemory,
    AuthenticationError,
    ForbiddenError,
    RateLimitedError,
    RemoteMemory,
    ServiceUnavailableError,
)
from memspan.ports import Embedder
from memspan.server.app import ServiceSettings
from memspan.types import Event, HistoryEvent

from .conftest import Svc, ThreadedServer, make_service


def script(memory: Any) -> dict[str, Any]:
    """One scenario, run against any object with Memory's interface; returns what it observed."""
    added = memory.add(
        [
            {"role": "user", "content": "I moved to Porto last spring."},
            {"role": "user", "content": "My sister is called Inês."},
        ],
        user_id="ana",
        metadata={"topic": "life"},
        infer=False,
    )
    memory.add("Ana's favourite band is Radiohead", user_id="ana", run_id="chat-1", memory_type="episodic")
    porto = added.changes[0].item
    found = memory.search("where does she live", user_id="ana", filters={"topic": "life"}, limit=5)
    updated = memory.update(porto.id, "I moved to Lisbon last spring.", metadata={"topic": "moves"})
    history: list[HistoryEvent] = memory.history(porto.id)
    deleted = memory.delete(porto.id)
    return {
        "added": [(c.event, c.item.text, c.item.metadata, c.item.memory_type.value) for c in added.changes],
        "usage": added.usage,
        "found_first": found[0].text,
        "found_scores_ok": all(0 <= i.score <= 1 for i in found),
        "updated": (updated.text, updated.metadata, updated.id == porto.id),
        "history": [(e.event, e.old_text, e.new_text) for e in history],
        "deleted": deleted.deleted_at is not None,
        "get_deleted": memory.get(porto.id, include_deleted=True).text,
        "all": sorted(i.text for i in memory.get_all(user_id="ana")),
        "run": [i.text for i in memory.get_all(user_id="ana", run_id="chat-1")],
        "with_deleted": len(memory.get_all(user_id="ana", include_deleted=True)),
        "delete_all": memory.delete_all(user_id="ana"),
        "after": memory.get_all(user_id="ana"),
    }


def test_remote_memory_behaves_like_memory(svc: Svc, live: str, tmp_path: Path, embedder: Embedder) -> None:
    with Memory(tmp_path / "local.db", embedder=embedder) as local:
        expected = script(local)
    with RemoteMemory(live, svc.key("ana", ({"user_id": "ana"}, "write"))) as remote:
        observed = script(remote)
    assert observed == expected
    assert observed["history"][1][0] is Event.UPDATE


def held_to_a_scope(memory: Any) -> list[Any]:
    """Calls by id with a scope: someone else's memory is missing, and stays as it was."""
    item = memory.add("Ana keeps bees", user_id="ana", run_id="r1", infer=False).changes[0].item
    for owner in ({"user_id": "bob"}, {"user_id": "ana", "run_id": "r2"}, {"agent_id": "helper"}):
        with pytest.raises(NotFoundError):
            memory.get(item.id, **owner)
        with pytest.raises(NotFoundError):
            memory.history(item.id, **owner)
        with pytest.raises(NotFoundError):
            memory.update(item.id, "Ana keeps wasps", **owner)
        with pytest.raises(NotFoundError):
            memory.delete(item.id, **owner)
    untouched = memory.get(item.id)
    updated = memory.update(item.id, "Ana keeps two hives", user_id="ana", run_id="r1")
    history = memory.history(item.id, user_id="ana")
    deleted = memory.delete(item.id, run_id="r1")
    with pytest.raises(NotFoundError):
        memory.get(item.id, include_deleted=True, user_id="bob")
    return [
        (untouched.text, untouched.deleted_at),
        updated.text,
        [e.event for e in history],
        deleted.deleted_at is not None,
        memory.get(item.id, include_deleted=True, user_id="ana").text,
    ]


def test_calls_by_id_held_to_a_scope_answer_alike(
    svc: Svc, live: str, tmp_path: Path, embedder: Embedder
) -> None:
    with Memory(tmp_path / "local.db", embedder=embedder) as local:
        expected = held_to_a_scope(local)
    with RemoteMemory(live, svc.key("ana", ({"user_id": "ana"}, "write"))) as remote:
        assert held_to_a_scope(remote) == expected
    assert expected == [
        ("Ana keeps bees", None),
        "Ana keeps two hives",
        [Event.ADD, Event.UPDATE],
        True,
        "Ana keeps two hives",
    ]


def test_remote_errors_are_memspans_errors(svc: Svc, live: str) -> None:
    with RemoteMemory(live, svc.key("ana", ({"user_id": "ana"}, "write"))) as remote:
        with pytest.raises(NotFoundError):
            remote.get("00000000-0000-0000-0000-000000000000")
        with pytest.raises(ScopeError):
            remote.add("no scope")
        with pytest.raises(FilterError):
            remote.search("x", user_id="ana", filters={"a": {"between": [1, 2]}})
        with pytest.raises(ForbiddenError):
            remote.get_all(user_id="bob")
        bob_item = svc.memory.add("Bob's secret", user_id="bob", infer=False).changes[0].item
        with pytest.raises(NotFoundError):  # another user's memory looks exactly like no memory
            remote.history(bob_item.id)
    with RemoteMemory(live, "msk_000000000000_wrong") as stranger, pytest.raises(AuthenticationError):
        stranger.get_all(user_id="ana")
    with pytest.raises(AuthenticationError, match="MEMSPAN_API_KEY"):
        RemoteMemory(live, None)


def test_get_all_pages_through_the_server(tmp_path: Path, embedder: Embedder) -> None:
    for svc in make_service(tmp_path, embedder, ServiceSettings(page_max=3, rate_per_minute=0)):
        svc.memory.add([f"fact {i}" for i in range(8)], user_id="ana", infer=False)
        with ThreadedServer(svc.app) as server, RemoteMemory(server.url, svc.admin_key) as remote:
            assert len(remote.get_all(user_id="ana", limit=7)) == 7
            every = remote.get_all(user_id="ana")
            assert sorted(i.text for i in every) == sorted(f"fact {i}" for i in range(8))
            assert [i.id for i in remote.get_all(user_id="ana", offset=6)] == [i.id for i in every[6:]]


def test_rate_limited_calls_are_retried_after_retry_after(tmp_path: Path, embedder: Embedder) -> None:
    for svc in make_service(tmp_path, embedder, ServiceSettings(rate_per_minute=120, rate_burst=1)):
        with ThreadedServer(svc.app) as server:
            with RemoteMemory(server.url, svc.admin_key, retries=1) as patient:
                assert patient.get_all(user_id="ana") == []
                assert patient.get_all(user_id="ana") == []  # waited Retry-After, then succeeded
            with (
                RemoteMemory(server.url, svc.admin_key, retries=0) as impatient,
                pytest.raises(RateLimitedError),  # a burst of one: the second call at the latest
            ):
                for _ in range(2):
                    impatient.get_all(user_id="ana")


async def test_the_async_client_retries_alike(tmp_path: Path, embedder: Embedder) -> None:
    for svc in make_service(tmp_path, embedder, ServiceSettings(rate_per_minute=120, rate_burst=1)):
        with ThreadedServer(svc.app) as server:
            async with AsyncRemoteMemory(server.url, svc.admin_key, retries=1) as patient:
                assert await patient.get_all(user_id="ana") == []
                assert await patient.get_all(user_id="ana") == []  # waited Retry-After, then succeeded
            async with AsyncRemoteMemory(server.url, svc.admin_key, retries=0) as impatient:
                with pytest.raises(RateLimitedError):
                    for _ in range(2):
                        await impatient.get_all(user_id="ana")


async def test_an_unreachable_server_is_a_store_error() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"
    with RemoteMemory(url, "any-key") as remote, pytest.raises(ServiceUnavailableError, match="cannot reach"):
        remote.get_all(user_id="ana")
    async with AsyncRemoteMemory(url, "any-key") as aremote:
        with pytest.raises(StoreError, match="cannot reach"):
            await aremote.search("bees", user_id="ana")


async def ascript(memory: Any) -> list[Any]:
    added = await memory.add(["Ana plays the cello", "Ana lives in Porto"], user_id="ana", infer=False)
    first = added.changes[0].item
    found = await memory.search("music", user_id="ana", limit=1)
    updated = await memory.update(first.id, "Ana plays the viola")
    with pytest.raises(NotFoundError):
        await memory.delete(first.id, user_id="bob")
    deleted = await memory.delete(first.id, user_id="ana")
    with pytest.raises(NotFoundError):
        await memory.history(first.id, user_id="bob")
    history = await memory.history(first.id, user_id="ana")
    rest = await memory.get_all(user_id="ana")
    return [
        [c.item.text for c in added.changes],
        found[0].text,
        updated.text,
        deleted.deleted_at is not None,
        [e.event for e in history],
        [i.text for i in rest],
        (await memory.get(first.id, include_deleted=True)).text,
        await memory.delete_all(user_id="ana"),
    ]


async def test_async_remote_memory_behaves_like_async_memory(
    svc: Svc, live: str, tmp_path: Path, embedder: Embedder
) -> None:
    local = AsyncMemory(tmp_path / "local.db", embedder=embedder)
    expected = await ascript(local)
    await local.aclose()
    async with AsyncRemoteMemory(live, svc.key("ana", ({"user_id": "ana"}, "write"))) as remote:
        assert await ascript(remote) == expected
        with pytest.raises(ForbiddenError):
            await remote.get_all(user_id="bob")
