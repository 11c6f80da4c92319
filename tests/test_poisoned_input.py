"""One validation for every path into a store, and readers that survive a bad row already on disk.

A lone surrogate (``"\\udc80"``, what Python makes of invalid UTF-8) or a NUL in any text, id or
metadata value is refused before anything is written: through the Python API, REST, ``memspan
import``. A row an older memspan stored anyway is skipped and named by list, search, export and
migrate instead of failing them for the whole user or store.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from memspan import Memory
from memspan.cli import main
from memspan.cli.migrate import migrate
from memspan.errors import ValidationError
from memspan.ports import Embedder
from memspan.server.app import ServiceSettings, create_app
from memspan.server.keys import KeyStore
from memspan.server.service_db import ServiceDB
from memspan.stores.sqlite import SQLiteStore
from memspan.transfer import export_records
from memspan.types import MemoryItem, MemoryType

BAD = "\udc80"


@pytest.fixture
def memory(tmp_path: Path, embedder: Embedder) -> Iterator[Memory]:
    with Memory(tmp_path / "m.db", embedder=embedder) as m:
        yield m


@pytest.mark.parametrize(
    "message",
    [
        {"role": "user", "content": "I like tea", "id": BAD},
        {"role": "user", "content": "I like tea", "name": f"Ana{BAD}"},
        {"role": "user", "content": "I like tea", "id": "a\x00b"},
    ],
    ids=["surrogate-id", "surrogate-name", "nul-id"],
)
def test_api_refuses_a_message_whose_id_or_name_no_store_can_hold(memory: Memory, message: dict) -> None:  # type: ignore[type-arg]
    with pytest.raises(ValidationError, match="message 0"):
        memory.add([message], user_id="ana", infer=False)
    assert memory.get_all(user_id="ana", include_deleted=True) == []


@pytest.mark.parametrize("metadata", [{"k": "a\x00b"}, {"k": [{"deep": BAD}]}, {"k": {BAD: 1}}])
def test_api_refuses_metadata_no_store_can_hold_on_add_and_update(memory: Memory, metadata: dict) -> None:  # type: ignore[type-arg]
    with pytest.raises(ValidationError, match="metadata"):
        memory.add("I like tea", user_id="ana", infer=False, metadata=metadata)
    kept = memory.add("I like coffee", user_id="ana", infer=False).added[0]
    with pytest.raises(ValidationError, match="metadata"):
        memory.update(kept.id, metadata=metadata)
    assert [(m.text, m.metadata) for m in memory.get_all(user_id="ana")] == [("I like coffee", {})]


def _poison(memory: Memory, user_id: str = "ana") -> str:
    """Store a row as an older memspan did: a lone surrogate in its source ids and metadata."""
    memory_id = str(uuid.uuid4())
    item = MemoryItem(
        memory_id,
        "Ana likes jasmine tea",
        user_id,
        None,
        None,
        MemoryType.SEMANTIC,
        {"note": f"x{BAD}"},
        "2026-01-01T00:00:00Z",
        "2026-01-01T00:00:00Z",
        "h" * 64,
        (BAD,),
    )
    vector = memory.embedder.embed([item.text], kind="document")
    memory.store.insert([item], np.asarray(vector, dtype=np.float32), [])
    return memory_id


@pytest.fixture
def service(tmp_path: Path, memory: Memory) -> Iterator[tuple[TestClient, str]]:
    db = ServiceDB(tmp_path / "service.db")
    key, _ = KeyStore(db).create("admin", [], admin=True)
    yield TestClient(create_app(memory, db, ServiceSettings(rate_per_minute=0))), key
    db.close()


def test_rest_refuses_a_poisoned_message_before_writing(
    service: tuple[TestClient, str], memory: Memory
) -> None:
    client, key = service
    # the JSON escape \udc80 is how a client sends a lone surrogate
    body = '{"messages": [{"role": "user", "content": "I like tea", "id": "\\udc80"}], "user_id": "ana", "infer": false}'
    r = client.post(
        "/v1/memories", content=body, headers={"X-API-Key": key, "Content-Type": "application/json"}
    )
    assert r.status_code == 422, r.text
    message = r.json()["error"]["message"]
    assert "lone surrogate" in message or "unicode" in message  # memspan's words or the model's
    assert memory.get_all(user_id="ana", include_deleted=True) == []
    listed = client.get("/v1/memories", params={"user_id": "ana"}, headers={"X-API-Key": key})
    assert listed.status_code == 200 and listed.json()["results"] == []


def test_rest_list_and_search_skip_a_bad_row_and_name_it(
    service: tuple[TestClient, str], memory: Memory
) -> None:
    client, key = service
    good = memory.add("Ana drinks green tea every morning", user_id="ana", infer=False).added[0]
    bad = _poison(memory)
    headers = {"X-API-Key": key}
    listed = client.get("/v1/memories", params={"user_id": "ana"}, headers=headers)
    assert listed.status_code == 200, listed.text
    assert [m["id"] for m in listed.json()["results"]] == [good.id]
    assert listed.json()["skipped"] == [bad]
    found = client.post("/v1/memories/search", json={"query": "tea", "user_id": "ana"}, headers=headers)
    assert found.status_code == 200, found.text
    assert [m["id"] for m in found.json()["results"]] == [good.id] and found.json()["skipped"] == [bad]
    # by id it is shown (escaped) so it can be inspected, and it can be deleted
    one = client.get(f"/v1/memories/{bad}", headers=headers)
    assert one.status_code == 200 and one.json()["source_ids"] == [BAD]
    assert client.delete(f"/v1/memories/{bad}", headers=headers).status_code == 200


def test_export_skips_a_bad_row_and_says_which(
    tmp_path: Path, memory: Memory, capsys: pytest.CaptureFixture[str]
) -> None:
    good = memory.add("Ana drinks green tea", user_id="ana", infer=False).added[0]
    bad = _poison(memory)
    skipped: list[str] = []
    records = list(export_records(memory.store, skipped=skipped))
    assert [r["memory"]["id"] for r in records] == [good.id] and skipped == [bad]
    memory.close()
    out = tmp_path / "export.jsonl"
    assert main(["--db", str(tmp_path / "m.db"), "export", str(out), "--quiet"]) == 0
    assert "skipped 1" in capsys.readouterr().out
    assert [json.loads(line)["memory"]["id"] for line in out.read_text(encoding="utf-8").splitlines()] == [
        good.id
    ]


def test_import_refuses_a_file_with_a_bad_record_before_writing_any(
    tmp_path: Path, memory: Memory, capsys: pytest.CaptureFixture[str]
) -> None:
    memory.add("Ana drinks green tea", user_id="ana", infer=False)
    memory.close()
    out = tmp_path / "export.jsonl"
    assert main(["--db", str(tmp_path / "m.db"), "export", str(out), "--quiet"]) == 0
    line = json.loads(out.read_text(encoding="utf-8"))
    line["memory"]["id"] = str(uuid.uuid4())
    line["memory"]["metadata"] = {"note": BAD}
    with out.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(line) + "\n")  # ensure_ascii: written as the escape \udc80
    target = tmp_path / "target.db"
    assert main(["--db", str(target), "import", str(out), "--quiet"]) == 2
    assert "line 2" in capsys.readouterr().err
    assert SQLiteStore(target).count(include_deleted=True) == 0  # the good first line was not written either


def test_migrate_carries_on_past_a_bad_row_and_names_it(tmp_path: Path, memory: Memory) -> None:
    good = memory.add("Ana drinks green tea", user_id="ana", infer=False).added[0]
    bad = _poison(memory)
    target = SQLiteStore(tmp_path / "target.db")
    try:
        result = migrate(memory.store, target, quiet=True)
        assert result["invalid"] == [bad]
        assert [i.id for i in target.iter_memories()] == [good.id]
        assert (result["imported"], result["memories"], result["live"]) == (1, 1, 1)
    finally:
        target.close()


def test_mcp_search_and_list_skip_a_bad_row_and_name_it(memory: Memory) -> None:
    import asyncio

    from memspan.server.mcp_server import CodingScope, build_mcp

    good = memory.add("Ana drinks green tea", user_id="ana", infer=False).added[0]
    bad = _poison(memory)
    server = build_mcp(memory, CodingScope("ana"))

    async def call(tool: str, **arguments: object) -> dict:  # type: ignore[type-arg]
        result = await server.call_tool(tool, arguments)
        payload = result[1] if isinstance(result, tuple) else result
        assert isinstance(payload, dict), payload
        return payload.get("result", payload)  # type: ignore[no-any-return]

    for tool, arguments in (("search_memories", {"query": "tea"}), ("list_memories", {})):
        answer = asyncio.run(call(tool, **arguments))
        assert [m["id"] for m in answer["results"]] == [good.id] and answer["skipped"] == [bad], tool


def test_import_refuses_bytes_that_are_not_utf8_with_the_line(
    tmp_path: Path, memory: Memory, capsys: pytest.CaptureFixture[str]
) -> None:
    memory.add("Ana drinks green tea", user_id="ana", infer=False)
    memory.close()
    out = tmp_path / "export.jsonl"
    assert main(["--db", str(tmp_path / "m.db"), "export", str(out), "--quiet"]) == 0
    raw = out.read_bytes()
    out.write_bytes(raw + raw.replace(b"green tea", b"green \xff tea").replace(b'"id": "', b'"id": "x'))
    target = tmp_path / "target.db"
    assert main(["--db", str(target), "import", str(out), "--quiet"]) == 2  # no traceback
    assert "line 2" in capsys.readouterr().err
    assert SQLiteStore(target).count(include_deleted=True) == 0
