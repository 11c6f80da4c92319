"""The service database fails closed, and the access log costs one row per request and is pruned.

A full disk and a read-only file are simulated on the real service database: ``PRAGMA
max_page_count`` caps the file at its current size, ``PRAGMA query_only`` refuses every write.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from memspan.scope import Scope
from memspan.server.access_log import AccessLog, LogQuery, Retention
from memspan.server.keys import Principal

from .conftest import Svc
from .test_rest_api import add, assert_error, auth


@pytest.fixture
def client(svc: Svc) -> TestClient:
    return TestClient(svc.app)


@pytest.fixture
def alice(svc: Svc) -> str:
    return svc.key("alice", ({"user_id": "alice"}, "write"))


def _disk_full(svc: Svc) -> None:
    """Cap the service database at the pages it has and fill its last pages: no row fits any more."""
    conn = svc.db._conn
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages + 2}")
    for size in (2000, 400, 80, 16, 1):
        while True:
            try:
                conn.execute(
                    "INSERT INTO access_log(at, key_id, key_name, action, operation) VALUES ('', '', ?, '', '')",
                    ("x" * size,),
                )
            except sqlite3.OperationalError as exc:
                assert "full" in str(exc)
                break


def _read_only(svc: Svc) -> None:
    svc.db._conn.execute("PRAGMA query_only = 1")


@pytest.fixture(params=[_disk_full, _read_only], ids=["disk-full", "read-only"])
def broken(request: pytest.FixtureRequest) -> Iterator[object]:
    yield request.param


def test_no_write_is_performed_without_its_access_log_row(
    svc: Svc, client: TestClient, alice: str, broken: object
) -> None:
    kept = add(client, alice, "Alice keeps bees", user_id="alice")
    broken(svc)  # type: ignore[operator]
    before = svc.db.query("SELECT count(*) FROM access_log")[0][0]

    add_call = client.post(
        "/v1/memories",
        json={"messages": "Alice sails", "infer": False, "user_id": "alice"},
        headers=auth(alice),
    )
    assert_error(add_call, 503, "StoreError")
    assert "service database" in add_call.json()["error"]["message"]
    assert_error(
        client.patch(f"/v1/memories/{kept['id']}", json={"text": "Alice keeps wasps"}, headers=auth(alice)),
        503,
    )
    assert_error(client.delete(f"/v1/memories/{kept['id']}", headers=auth(alice)), 503)
    assert_error(client.delete("/v1/memories", params={"user_id": "alice"}, headers=auth(alice)), 503)
    # reads are not handed out unlogged either
    assert_error(client.get("/v1/memories", params={"user_id": "alice"}, headers=auth(alice)), 503)

    # the store was never touched: the one memory is as it was, nothing was added or deleted
    assert [m.text for m in svc.memory.get_all(user_id="alice")] == ["Alice keeps bees"]
    assert svc.db.query("SELECT count(*) FROM access_log")[0][0] == before


def test_a_listed_page_is_one_row_with_every_id(svc: Svc, client: TestClient, alice: str) -> None:
    ids = [add(client, alice, f"Alice fact number {n}", user_id="alice")["id"] for n in range(30)]
    rows_before = svc.db.query("SELECT count(*) FROM access_log")[0][0]
    page = client.get("/v1/memories", params={"user_id": "alice", "limit": 30}, headers=auth(alice)).json()
    assert len(page["results"]) == 30
    assert svc.db.query("SELECT count(*) FROM access_log")[0][0] == rows_before + 1
    log = client.get("/v1/access-log", headers=auth(svc.admin_key)).json()  # newest first
    listed = log["results"][0]
    assert (listed["operation"], listed["count"], listed["memory_id"]) == ("list", 30, None)
    assert sorted(listed["memory_ids"]) == sorted(ids)
    # a query by one memory id still finds the list call that returned it, and its add
    by_id = client.get("/v1/access-log", params={"memory_id": ids[7]}, headers=auth(svc.admin_key)).json()
    assert [r["operation"] for r in by_id["results"]] == ["list", "add"]
    assert by_id["results"][1]["status"] == "done" and by_id["results"][1]["memory_ids"] == [ids[7]]


def test_a_failed_write_is_logged_as_failed(svc: Svc, client: TestClient, alice: str) -> None:
    missing = client.patch("/v1/memories/no-such-id", json={"text": "x"}, headers=auth(alice))
    assert_error(missing, 404)  # refused before the write: no row at all
    svc.memory.close()  # the store fails inside the write
    failed = TestClient(svc.app, raise_server_exceptions=False).post(
        "/v1/memories",
        json={"messages": "Alice sails", "infer": False, "user_id": "alice"},
        headers=auth(alice),
    )
    assert failed.status_code >= 400
    rows = svc.db.query("SELECT operation, status, count FROM access_log")
    assert rows == [("add", "failed", 0)]


def _principal() -> Principal:
    return Principal("k1", "ci")


def test_retention_drops_rows_past_the_age_limit(svc: Svc) -> None:
    log = AccessLog(svc.db, Retention(max_age_days=30, max_mib=0))
    item_scope = Scope("ana")
    for _ in range(5):
        log.begin(_principal(), "delete_all", item_scope).done([], count=0)
    svc.db._conn.execute("UPDATE access_log SET at = '2020-01-01T00:00:00.000Z' WHERE pk <= 3")
    assert log.prune() == 3
    assert len(log.query(LogQuery())) == 2


def test_retention_keeps_the_service_database_under_its_size(svc: Svc) -> None:
    limit_mib = 1.0
    log = AccessLog(svc.db, Retention(max_age_days=0, max_mib=limit_mib, every=20, batch=200))
    ids = [f"memory-{n:04d}-{'x' * 30}" for n in range(100)]
    from memspan.types import MemoryItem, MemoryType

    items = [MemoryItem(i, "t", "ana", None, None, MemoryType.SEMANTIC, {}, "", "", "h") for i in ids]
    for _ in range(600):  # ~5 KiB a row: ~3 MiB unpruned
        log.record(_principal(), "read", "list", items, Scope("ana"))
        # at most `every` rows past the limit between two prunes
        assert log.used_bytes() <= limit_mib * 1024 * 1024 + 20 * 6 * 1024
    kept = log.query(LogQuery(), limit=1000)
    assert 0 < len(kept) < 600
    assert kept[0]["id"] == svc.db.query("SELECT max(pk) FROM access_log")[0][0]  # the newest stay


def test_a_write_whose_outcome_cannot_be_recorded_keeps_its_started_row(
    svc: Svc, client: TestClient, alice: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The row committed before the write stays (status 'started'): the write has its row."""
    add_memory = svc.memory.add

    def add_then_break_the_service_db(*args: object, **kwargs: object) -> object:
        result = add_memory(*args, **kwargs)  # type: ignore[arg-type]
        _read_only(svc)  # the service database fails between the write and its outcome
        return result

    monkeypatch.setattr(svc.memory, "add", add_then_break_the_service_db)
    added = add(client, alice, "Alice sails on Sundays", user_id="alice")
    rows = svc.db.query("SELECT operation, status, user_id, memory_ids FROM access_log")
    assert rows == [("add", "started", "alice", None)]
    assert [m.id for m in svc.memory.get_all(user_id="alice")] == [added["id"]]


def test_an_unexpected_error_is_a_json_500_without_its_text(
    svc: Svc, alice: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_search(*args: object, **kwargs: object) -> object:
        raise RuntimeError("bob's diary says: the safe code is 4711")  # a bug that quotes stored data

    monkeypatch.setattr(svc.memory, "search", broken_search)
    r = TestClient(svc.app, raise_server_exceptions=False).post(
        "/v1/memories/search", json={"query": "tea", "user_id": "alice"}, headers=auth(alice)
    )
    assert_error(r, 500, "InternalError")
    assert "4711" not in r.text and "bob" not in r.text
