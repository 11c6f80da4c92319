"""Expiry over the REST API and the client: add/update fields, the admin sweep, clear errors."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import httpx
import pytest

from memspan import ValidationError
from memspan.client import AsyncRemoteMemory, ForbiddenError, RemoteMemory
from memspan.filters import format_timestamp

from .conftest import Svc


def _later(seconds: float) -> str:
    return format_timestamp(datetime.now(timezone.utc) + timedelta(seconds=seconds))


def test_rest_add_and_update_carry_the_expiry_and_the_admin_sweeps(svc: Svc, live: str) -> None:
    key = svc.key("ana", ({"user_id": "ana"}, "write"))
    with httpx.Client(base_url=live, headers={"Authorization": f"Bearer {key}"}) as http:
        added = http.post(
            "/v1/memories", json={"messages": "I keep bees", "user_id": "ana", "infer": False, "ttl": 60}
        )
        assert added.status_code == 200, added.text
        item = added.json()["results"][0]
        assert item["expires_at"] > _later(30)
        at = "2999-01-02T03:04:05+02:00"
        patched = http.patch(f"/v1/memories/{item['id']}", json={"expires_at": at})
        assert patched.json()["expires_at"] == "2999-01-02T01:04:05.000000Z"  # canonical UTC
        cleared = http.patch(f"/v1/memories/{item['id']}", json={"expires_at": None})
        assert cleared.status_code == 200 and cleared.json()["expires_at"] is None
        for bad in (
            {"ttl": 0},
            {"ttl": "60"},
            {"expires_at": "soon"},
            {"expires_at": "2001-01-01T00:00:00Z"},
        ):
            body = {"messages": "I keep wasps", "user_id": "ana", "infer": False, **bad}
            answer = http.post("/v1/memories", json=body)
            assert answer.status_code == 422, (bad, answer.text)
        assert http.post("/v1/sweep").status_code == 403  # a user's key cannot sweep the store
        short = http.post(
            "/v1/memories", json={"messages": "a note", "user_id": "ana", "infer": False, "ttl": 60}
        ).json()["results"][0]
    assert [m.text for m in svc.memory.get_all(user_id="ana")].count(
        "I keep wasps"
    ) == 0  # nothing left behind
    svc.memory.store.clock = lambda: _later(120)  # type: ignore[method-assign]
    with httpx.Client(base_url=live, headers={"Authorization": f"Bearer {svc.admin_key}"}) as admin:
        assert admin.get(f"/v1/memories/{short['id']}").status_code == 404  # expired: gone at once
        assert admin.post("/v1/sweep").json() == {"swept": 1}
    assert svc.memory.history(short["id"])[-1].reason == "expired"


def test_remote_memory_passes_ttl_and_expiry_through(svc: Svc, live: str) -> None:
    with RemoteMemory(live, svc.key("ana", ({"user_id": "ana"}, "write"))) as remote:
        item = remote.add("I keep bees", user_id="ana", infer=False, ttl=timedelta(hours=1)).added[0]
        assert item.expires_at is not None and item.expires_at > _later(3000)
        moved = remote.update(item.id, expires_at=datetime(2999, 1, 1, tzinfo=timezone.utc))
        assert moved.expires_at == "2999-01-01T00:00:00.000000Z"
        assert remote.update(item.id, expires_at=None).expires_at is None
        with pytest.raises(ValidationError):
            remote.add("I keep wasps", user_id="ana", infer=False, ttl=-1)
        with pytest.raises(ForbiddenError):
            remote.sweep_expired()
    with RemoteMemory(live, svc.admin_key) as admin:
        assert admin.sweep_expired() == 0


async def test_async_remote_memory_passes_ttl_through(svc: Svc, live: str) -> None:
    async with AsyncRemoteMemory(live, svc.key("ana", ({"user_id": "ana"}, "write"))) as remote:
        item = (await remote.add("I keep bees", user_id="ana", infer=False, ttl=60)).added[0]
        assert item.expires_at is not None
        assert (await remote.update(item.id, ttl=7200)).expires_at > item.expires_at  # type: ignore[operator]
