"""The MCP server driven by the official SDK's client: over stdio (a real subprocess) and over HTTP."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

from memspan import Memory
from memspan.client import RemoteMemory
from memspan.server.mcp_server import CodingScope, build_mcp, http_app

from .conftest import Svc, ThreadedServer

TOOLS = {
    "add_memory",
    "search_memories",
    "list_memories",
    "get_memory",
    "update_memory",
    "delete_memory",
    "memory_history",
}


async def call(session: ClientSession, tool: str, **arguments: Any) -> Any:
    result = await session.call_tool(tool, arguments)
    assert not result.isError, result.content
    return result.structuredContent


async def exercise(session: ClientSession, other_project_id: str, stranger_id: str) -> None:
    """The same conversation over any transport: what a coding agent would do."""
    await session.initialize()
    tools = {t.name: t for t in (await session.list_tools()).tools}
    assert set(tools) == TOOLS
    assert (
        "search_memories" in tools["add_memory"].description
        or "self-contained" in tools["add_memory"].description
    )
    assert tools["search_memories"].inputSchema["properties"]["where"]["enum"] == [
        "project+user",
        "project",
        "user",
        "everything",
    ]

    added = await call(session, "add_memory", text="Run the tests with `make test`; it needs Docker running.")
    test_id = added["results"][0]["id"]
    assert added["results"][0]["scope"] == "demo" and added["results"][0]["event"] == "ADD"
    await call(session, "add_memory", text="Prefers small commits with imperative messages.", scope="user")
    again = await call(session, "add_memory", text="Run the tests with `make test`; it needs Docker running.")
    assert again["results"][0]["event"] == "NOOP"  # agents repeat themselves; memory does not

    found = await call(session, "search_memories", query="how do I run the test suite?")
    assert found["results"][0]["id"] == test_id
    scopes = {r["scope"] for r in found["results"]}
    assert scopes <= {"demo", "user"}  # never another repository's memories by default
    assert other_project_id not in {r["id"] for r in found["results"]}
    everything = await call(session, "search_memories", query="which build tool?", where="everything")
    assert other_project_id in {r["id"] for r in everything["results"]}
    only_user = await call(session, "list_memories", where="user")
    assert [r["memory"] for r in only_user["results"]] == ["Prefers small commits with imperative messages."]

    updated = await call(session, "update_memory", memory_id=test_id, text="Run the tests with `make check`.")
    assert updated["memory"] == "Run the tests with `make check`."
    assert (await call(session, "get_memory", memory_id=test_id))[
        "memory"
    ] == "Run the tests with `make check`."
    await call(session, "delete_memory", memory_id=test_id)
    history = await call(session, "memory_history", memory_id=test_id)
    assert [e["event"] for e in history["results"]] == ["ADD", "UPDATE", "DELETE"]

    # another user's memory is invisible by id, whatever the tool
    for tool in ("get_memory", "delete_memory", "memory_history"):
        result = await session.call_tool(tool, {"memory_id": stranger_id})
        assert result.isError and "no memory" in result.content[0].text  # type: ignore[union-attr]


def seed(memory: Memory) -> tuple[str, str]:
    other = memory.add(
        "Project other builds with Gradle.", user_id="alice", run_id="project:other", infer=False
    )
    stranger = memory.add("Bob's private note", user_id="bob", infer=False)
    return other.changes[0].item.id, stranger.changes[0].item.id


async def test_mcp_over_stdio(tmp_path: Path) -> None:
    db = tmp_path / "memspan.db"
    with Memory(db) as memory:
        other_id, stranger_id = seed(memory)
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "memspan.cli", "--db", str(db), "mcp", "--user", "alice", "--project", "demo"],
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
        cwd=str(tmp_path),
    )
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await exercise(session, other_id, stranger_id)


async def test_mcp_over_http_in_front_of_the_rest_service(svc: Svc) -> None:
    """The MCP server backed by RemoteMemory: the REST service's key limits what the tools can reach."""
    other_id, stranger_id = seed(svc.memory)
    key = svc.key("claude-code", ({"user_id": "alice"}, "write"))
    with ThreadedServer(svc.app) as rest:
        remote = RemoteMemory(rest.url, key)
        server = build_mcp(remote, CodingScope("alice", project="demo"))
        with ThreadedServer(http_app(server, token="s3cret"), lifespan="on") as mcp_http:
            refused = httpx.post(f"{mcp_http.url}/mcp", json={}, headers={"Authorization": "Bearer wrong"})
            assert refused.status_code == 401 and refused.json()["error"]["type"] == "Unauthorized"
            headers = {"Authorization": "Bearer s3cret"}
            async with (
                httpx.AsyncClient(headers=headers, timeout=30) as http,
                streamable_http_client(f"{mcp_http.url}/mcp", http_client=http) as (read, write, _),
                ClientSession(read, write) as session,
            ):
                await exercise(session, other_id, stranger_id)
        remote.close()
    log = svc.db.query("SELECT DISTINCT key_name FROM access_log")
    assert log == [("claude-code",)]


def test_project_is_a_run_scope_and_user_wide_memories_have_none(tmp_path: Path) -> None:
    coding = CodingScope("alice", project="demo")
    assert coding.write_ids("project") == {"user_id": "alice", "run_id": "project:demo"}
    assert coding.write_ids("user") == {"user_id": "alice"}
    ids, flt = coding.read("project+user")
    assert ids == {"user_id": "alice"} and json.dumps(flt).count("project:demo") == 1
    with pytest.raises(Exception, match="no project"):
        CodingScope("alice").write_ids("project")
