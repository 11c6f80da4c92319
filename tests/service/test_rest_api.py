"""The REST API through FastAPI's test client: keys, scope isolation, access log, limits, errors."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from memspan.ports import Embedder
from memspan.server.app import ServiceSettings
from memspan.server.limits import RateLimiter

from .conftest import Svc, make_service


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def client(svc: Svc) -> TestClient:
    return TestClient(svc.app)


@pytest.fixture
def alice(svc: Svc) -> str:
    return svc.key("alice", ({"user_id": "alice"}, "write"))


@pytest.fixture
def bob(svc: Svc) -> str:
    return svc.key("bob", ({"user_id": "bob"}, "write"))


def add(client: TestClient, key: str, text: str, **ids: str) -> dict:  # type: ignore[type-arg]
    r = client.post("/v1/memories", json={"messages": text, "infer": False, **ids}, headers=auth(key))
    assert r.status_code == 200, r.text
    return r.json()["results"][0]  # type: ignore[no-any-return]


def assert_error(response, status: int, kind: str | None = None) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["status"] == status and body["error"]["message"]
    if kind:
        assert body["error"]["type"] == kind


def test_no_key_or_a_wrong_key_is_401(client: TestClient) -> None:
    assert_error(client.get("/v1/memories", params={"user_id": "a"}), 401, "Unauthorized")
    assert_error(client.get("/v1/whoami", headers=auth("msk_abc_def")), 401)
    assert_error(client.get("/v1/whoami", headers={"X-API-Key": "not-a-key"}), 401)


def test_keys_are_stored_hashed(svc: Svc, alice: str) -> None:
    rows = svc.db.query("SELECT id, secret_hash FROM api_keys")
    secret = alice.rsplit("_", 1)[1]
    assert all(secret not in h and h != secret for _, h in rows)
    assert alice not in svc.db.path.read_bytes().decode("latin-1")


def test_a_key_for_alice_never_reaches_bob(client: TestClient, alice: str, bob: str) -> None:
    mine = add(client, alice, "Alice likes green tea", user_id="alice")
    theirs = add(client, bob, "Bob's bank PIN hint is his dog's name", user_id="bob")
    # by scope
    assert_error(client.get("/v1/memories", params={"user_id": "bob"}, headers=auth(alice)), 403, "Forbidden")
    search = {"query": "PIN", "user_id": "bob"}
    assert_error(client.post("/v1/memories/search", json=search, headers=auth(alice)), 403)
    # a scope that is not narrower than the grant (all of one agent, across users) is refused
    assert_error(client.get("/v1/memories", params={"agent_id": "x"}, headers=auth(alice)), 403)
    # by id: exactly the answer an unknown id gets, for every route
    for method, path in [
        ("GET", f"/v1/memories/{theirs['id']}"),
        ("GET", f"/v1/memories/{theirs['id']}/history"),
        ("DELETE", f"/v1/memories/{theirs['id']}"),
    ]:
        assert_error(client.request(method, path, headers=auth(alice)), 404, "NotFoundError")
    patch = client.patch(f"/v1/memories/{theirs['id']}", json={"text": "hacked"}, headers=auth(alice))
    assert_error(patch, 404)
    unknown = client.get("/v1/memories/00000000-0000-0000-0000-000000000000", headers=auth(alice))
    assert unknown.json()["error"]["type"] == "NotFoundError"
    # bob's memory is untouched; alice still reads her own
    assert client.get(f"/v1/memories/{theirs['id']}", headers=auth(bob)).json()["memory"].startswith("Bob")
    assert client.get(f"/v1/memories/{mine['id']}", headers=auth(alice)).status_code == 200


def test_a_narrower_scope_inside_the_grant_is_allowed(client: TestClient, alice: str) -> None:
    add(client, alice, "Session note", user_id="alice", run_id="s1")
    add(client, alice, "Other session", user_id="alice", run_id="s2")
    r = client.get("/v1/memories", params={"user_id": "alice", "run_id": "s1"}, headers=auth(alice))
    assert [m["memory"] for m in r.json()["results"]] == ["Session note"]


def test_read_only_keys_cannot_write(svc: Svc, client: TestClient, alice: str) -> None:
    reader = svc.key("reader", ({"user_id": "alice"}, "read"))
    item = add(client, alice, "Alice owns a bike", user_id="alice")
    assert client.get(f"/v1/memories/{item['id']}", headers=auth(reader)).status_code == 200
    r = client.post("/v1/memories", json={"messages": "x", "user_id": "alice"}, headers=auth(reader))
    assert_error(r, 403)
    assert_error(client.delete(f"/v1/memories/{item['id']}", headers=auth(reader)), 404)
    assert_error(client.delete("/v1/memories", params={"user_id": "alice"}, headers=auth(reader)), 403)


def test_crud_history_and_delete_all(client: TestClient, alice: str) -> None:
    item = add(client, alice, "Alice drives a blue car", user_id="alice")
    r = client.patch(
        f"/v1/memories/{item['id']}", json={"text": "Alice drives a red car"}, headers=auth(alice)
    )
    assert r.json()["memory"] == "Alice drives a red car"
    r = client.post(
        "/v1/memories/search", json={"query": "car colour", "user_id": "alice"}, headers=auth(alice)
    )
    assert r.json()["results"][0]["id"] == item["id"] and 0 <= r.json()["results"][0]["score"] <= 1
    assert client.delete(f"/v1/memories/{item['id']}", headers=auth(alice)).json()["deleted_at"]
    events = client.get(f"/v1/memories/{item['id']}/history", headers=auth(alice)).json()["results"]
    assert [e["event"] for e in events] == ["ADD", "UPDATE", "DELETE"]
    assert_error(client.get(f"/v1/memories/{item['id']}", headers=auth(alice)), 404)
    assert (
        client.get(f"/v1/memories/{item['id']}?include_deleted=true", headers=auth(alice)).status_code == 200
    )
    add(client, alice, "one", user_id="alice")
    add(client, alice, "two", user_id="alice")
    r = client.delete("/v1/memories", params={"user_id": "alice"}, headers=auth(alice))
    assert r.json() == {"deleted": 2, "purged": False}


def test_pagination_walks_every_memory_once(client: TestClient, alice: str) -> None:
    texts = {f"fact number {i}" for i in range(7)}
    for text in texts:
        add(client, alice, text, user_id="alice")
    seen: list[str] = []
    offset: int | None = 0
    while offset is not None:
        page = client.get(
            "/v1/memories", params={"user_id": "alice", "limit": 3, "offset": offset}, headers=auth(alice)
        ).json()
        assert len(page["results"]) <= 3
        seen += [m["memory"] for m in page["results"]]
        offset = page["next_offset"]
    assert sorted(seen) == sorted(texts)


def test_memspan_errors_map_to_statuses(client: TestClient, alice: str) -> None:
    # no scope at all: memspan's ScopeError
    assert_error(client.post("/v1/memories", json={"messages": "x"}, headers=auth(alice)), 422, "ScopeError")
    bad_filter = {"query": "x", "user_id": "alice", "filters": {"topic": {"regex": "a"}}}
    assert_error(client.post("/v1/memories/search", json=bad_filter, headers=auth(alice)), 422, "FilterError")
    reserved = {"messages": "x", "user_id": "alice", "metadata": {"user_id": "bob"}}
    assert_error(client.post("/v1/memories", json=reserved, headers=auth(alice)), 422, "ValidationError")
    # request validation by FastAPI uses the same body shape
    assert_error(client.post("/v1/memories/search", json={"user_id": "alice"}, headers=auth(alice)), 422)
    r = client.get("/v1/memories", params={"user_id": "alice", "filters": "{not json"}, headers=auth(alice))
    assert_error(r, 422, "ValidationError")
    assert_error(client.get("/v1/nope", headers=auth(alice)), 404)
    twice = client.get("/v1/memories?user_id=alice&user_id=bob", headers=auth(alice))
    assert_error(twice, 422, "ValidationError")


def test_bodies_over_the_limit_are_413(tmp_path: Path, embedder: Embedder) -> None:
    for svc in make_service(tmp_path, embedder, ServiceSettings(max_body_bytes=2_000, rate_per_minute=0)):
        client = TestClient(svc.app)
        big = {"messages": "x" * 5_000, "user_id": "a"}
        assert_error(
            client.post("/v1/memories", json=big, headers=auth(svc.admin_key)), 413, "RequestTooLarge"
        )

        def chunks():  # type: ignore[no-untyped-def]  # no Content-Length: must still be caught
            yield b'{"messages": "'
            for _ in range(10):
                yield b"y" * 500
            yield b'", "user_id": "a"}'

        r = client.post(
            "/v1/memories",
            content=chunks(),
            headers={**auth(svc.admin_key), "Content-Type": "application/json"},
        )
        assert_error(r, 413)
        small = client.post(
            "/v1/memories", json={"messages": "ok", "user_id": "a"}, headers=auth(svc.admin_key)
        )
        assert small.status_code == 200


def test_rate_limit_answers_429_with_retry_after(tmp_path: Path, embedder: Embedder) -> None:
    settings = ServiceSettings(rate_per_minute=60, rate_burst=3)
    for svc in make_service(tmp_path, embedder, settings):
        client = TestClient(svc.app)
        statuses = [client.get("/v1/whoami", headers=auth(svc.admin_key)).status_code for _ in range(5)]
        assert statuses[:3] == [200, 200, 200] and statuses[3:] == [429, 429]
        r = client.get("/v1/whoami", headers=auth(svc.admin_key))
        assert_error(r, 429, "RateLimited")
        assert int(r.headers["Retry-After"]) >= 1
        # failed logins are limited per address, so keys cannot be guessed at speed
        bad = [client.get("/v1/whoami", headers=auth("msk_x_y")).status_code for _ in range(5)]
        assert 429 in bad


def test_admin_manages_keys(client: TestClient, svc: Svc, alice: str) -> None:
    assert_error(client.get("/v1/keys", headers=auth(alice)), 403)
    body = {"name": "ci", "grants": [{"user_id": "ci", "access": "write"}]}
    created = client.post("/v1/keys", json=body, headers=auth(svc.admin_key))
    assert created.status_code == 201
    key, key_id = created.json()["key"], created.json()["key_id"]
    assert client.get("/v1/whoami", headers=auth(key)).json()["grants"] == [
        {"user_id": "ci", "access": "write"}
    ]
    listed = client.get("/v1/keys", headers=auth(svc.admin_key)).json()["results"]
    assert {k["name"] for k in listed} == {"admin", "alice", "ci"}
    assert all("key" not in k and "secret_hash" not in k for k in listed)
    assert client.delete(f"/v1/keys/{key_id}", headers=auth(svc.admin_key)).status_code == 204
    assert_error(client.get("/v1/whoami", headers=auth(key)), 401)
    assert_error(client.delete(f"/v1/keys/{key_id}", headers=auth(svc.admin_key)), 404)
    no_grants = client.post("/v1/keys", json={"name": "x"}, headers=auth(svc.admin_key))
    assert_error(no_grants, 422, "ValidationError")


def test_access_log_records_who_read_and_wrote_what(
    client: TestClient, svc: Svc, alice: str, bob: str
) -> None:
    item = add(client, alice, "Alice is allergic to peanuts", user_id="alice")
    client.post("/v1/memories/search", json={"query": "allergy", "user_id": "alice"}, headers=auth(alice))
    client.get(f"/v1/memories/{item['id']}", headers=auth(svc.admin_key))
    client.get(f"/v1/memories/{item['id']}", headers=auth(bob))  # refused: not logged as a read
    assert_error(client.get("/v1/access-log", headers=auth(alice)), 403)
    log = client.get("/v1/access-log", params={"memory_id": item["id"]}, headers=auth(svc.admin_key)).json()
    assert [(r["key_name"], r["action"], r["operation"]) for r in log["results"]] == [
        ("admin", "read", "get"),
        ("alice", "read", "search"),
        ("alice", "write", "add"),
    ]
    assert all(r["user_id"] == "alice" for r in log["results"])
    only_writes = client.get("/v1/access-log", params={"action": "write"}, headers=auth(svc.admin_key)).json()
    assert [r["operation"] for r in only_writes["results"]] == ["add"]
    jsonl = client.get("/v1/access-log/export", params={"format": "jsonl"}, headers=auth(svc.admin_key))
    rows = [json.loads(line) for line in jsonl.text.splitlines()]
    assert [r["operation"] for r in rows] == ["add", "search", "get"]  # oldest first
    csv_text = client.get("/v1/access-log/export", params={"format": "csv"}, headers=auth(svc.admin_key)).text
    table = list(csv.DictReader(io.StringIO(csv_text)))
    assert [r["key_name"] for r in table] == ["alice", "alice", "admin"]
    assert table[0]["memory_id"] == item["id"]


def test_browser_page_is_served_with_a_strict_policy(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200 and "memspan" in r.text
    assert "script-src 'self'" in r.headers["Content-Security-Policy"]
    assert client.get("/static/app.js").status_code == 200


def test_rate_limiter_refills_and_forgets_idle_callers() -> None:
    now = [0.0]
    limiter = RateLimiter(60, burst=2, clock=lambda: now[0])
    assert [limiter.take("a") for _ in range(3)] == [0.0, 0.0, pytest.approx(1.0)]
    now[0] += 1.0
    assert limiter.take("a") == 0.0  # one token back after a second at 60/min
    limiter.MAX_CALLERS = 5
    for i in range(10):
        limiter.take(f"addr-{i}")
    now[0] += 10.0
    limiter.take("late")
    assert len(limiter._buckets) <= 2  # every idle, refilled bucket was dropped
