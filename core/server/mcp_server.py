"""``memspan mcp``: memory tools for coding agents (Claude Code, Cursor...) over the Model Context Protocol.

How a coding agent's memories map onto memspan's scopes:

- the configured user (``--user``, default ``$USER``) is ``user_id``; an optional ``--agent`` is
  ``agent_id`` (leave it unset so every coding tool of one person shares one memory);
- the project (``--project``, default the name of the enclosing git repository) is
  ``run_id = "project:<name>"``: a project is a long-lived run, and the store enforces it like any scope;
- user-wide memories (preferences that hold in every repository) have no ``run_id``.

Searches and listings default to *this project plus user-wide memories*, never another project's.
Tools that take a memory id only touch memories of the configured user (and agent); others are
reported as not found. The memory behind the tools is a local :class:`~memspan.Memory` or a
:class:`~memspan.client.RemoteMemory`, so the same server can front a shared ``memspan serve``.
"""

from __future__ import annotations

import hmac
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from mcp.server.fastmcp import FastMCP

from ..errors import NotFoundError, ValidationError
from ..scope import Scope
from ..types import MemoryItem
from ..validation import split_valid
from .limits import error_body, send_json

PROJECT_PREFIX = "project:"
Where = Literal["project", "user"]
SearchIn = Literal["project+user", "project", "user", "everything"]
INSTRUCTIONS = """\
Long-term memory that persists across coding sessions for this user and repository.
At the start of a task, call search_memories with what you are about to do (e.g. "how to run the tests",
"release process", "code style") to recall conventions, commands, decisions and pitfalls learned before.
When you learn something durable - a build or test command, an architecture decision and its reason,
a user preference, a gotcha that cost time - save it with add_memory as one short, self-contained fact.
Do not store secrets, credentials or large code blocks. Correct outdated facts with update_memory
instead of adding a contradicting one; delete_memory removes ones that are wrong."""


class MemoryAPI(Protocol):
    """What the tools need: :class:`~memspan.Memory` and :class:`~memspan.client.RemoteMemory` both fit."""

    def add(self, messages: Any, **kwargs: Any) -> Any: ...
    def search(self, query: str, **kwargs: Any) -> Any: ...
    def get(self, memory_id: str, *, include_deleted: bool = False) -> MemoryItem: ...
    def get_all(self, **kwargs: Any) -> list[MemoryItem]: ...
    def update(self, memory_id: str, text: str | None = None, *, metadata: Any = None) -> MemoryItem: ...
    def delete(self, memory_id: str) -> MemoryItem: ...
    def history(self, memory_id: str) -> list[Any]: ...


def detect_project(start: Path | None = None) -> str | None:
    """The name of the git repository around ``start`` (the working directory), if any."""
    try:
        top = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"],
            cwd=start or Path.cwd(),
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return Path(top).name or None


@dataclass(frozen=True, slots=True)
class CodingScope:
    """The user, agent and project one MCP server works for."""

    user_id: str
    agent_id: str | None = None
    project: str | None = None

    def __post_init__(self) -> None:
        Scope.of(self.user_id, self.agent_id, self.project_run, operation="the MCP server")

    @classmethod
    def from_env(cls, user: str | None, agent: str | None, project: str | None) -> CodingScope:
        user = user or os.environ.get("MEMSPAN_USER") or os.environ.get("USER") or "default"
        agent = agent or os.environ.get("MEMSPAN_AGENT") or None
        project = project or os.environ.get("MEMSPAN_PROJECT") or detect_project()
        return cls(user, agent, project)

    @property
    def project_run(self) -> str | None:
        return f"{PROJECT_PREFIX}{self.project}" if self.project else None

    def owner(self) -> dict[str, str]:
        """The ids every memory of this server carries (user, and agent when set)."""
        return Scope(self.user_id, self.agent_id).as_dict()

    def write_ids(self, where: Where) -> dict[str, str]:
        if where == "project":
            if self.project_run is None:
                raise ValidationError("no project is configured: start the server with --project NAME")
            return {**self.owner(), "run_id": self.project_run}
        return self.owner()

    def read(self, where: SearchIn) -> tuple[dict[str, str], dict[str, Any] | None]:
        """The scope ids and filter that select ``where``'s memories."""
        if where == "everything":
            return self.owner(), None
        user_wide = {"NOT": {"run_id": {"gte": ""}}}  # no run_id at all: every string is >= ""
        if where == "user" or self.project_run is None:
            return self.owner(), user_wide
        if where == "project":
            return self.write_ids("project"), None
        return self.owner(), {"OR": [{"run_id": self.project_run}, user_wide]}

    def owns(self, item: MemoryItem) -> bool:
        return Scope(self.user_id, self.agent_id).contains(item.user_id, item.agent_id, item.run_id)

    def label(self, item: MemoryItem) -> str:
        if item.run_id is None:
            return "user"
        return (
            item.run_id.removeprefix(PROJECT_PREFIX)
            if item.run_id.startswith(PROJECT_PREFIX)
            else item.run_id
        )


def _brief(scope: CodingScope, item: MemoryItem) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": item.id,
        "memory": item.text,
        "scope": scope.label(item),
        "type": item.memory_type.value,
        "updated_at": item.updated_at,
    }
    if item.metadata:
        data["metadata"] = item.metadata
    if item.score is not None:
        data["score"] = round(item.score, 4)
    if item.deleted_at is not None:
        data["deleted_at"] = item.deleted_at
    return data


def _page(scope: CodingScope, items: list[MemoryItem]) -> dict[str, Any]:
    """Results, without (but naming) a row an older memspan stored with invalid UTF-8: one bad row
    must not fail the whole tool call."""
    good, skipped = split_valid(items)
    page: dict[str, Any] = {"results": [_brief(scope, item) for item in good]}
    if skipped:
        page["skipped"] = skipped
    return page


def build_mcp(memory: MemoryAPI, coding: CodingScope, **settings: Any) -> FastMCP:
    """The MCP server with its seven tools; ``settings`` go to :class:`FastMCP` (host, port...)."""
    server = FastMCP("memspan", instructions=INSTRUCTIONS, **settings)

    def owned(memory_id: str) -> MemoryItem:
        item = memory.get(memory_id, include_deleted=True)
        if not coding.owns(item):
            raise NotFoundError(f"no memory with id {memory_id!r}")
        return item

    @server.tool(
        description="Save one durable fact for later sessions: a command, convention, decision (with its "
        "reason), preference or pitfall. Write it self-contained, e.g. 'Run tests with `make test`; it needs "
        "Docker running.' scope='project' (default) keeps it to this repository; scope='user' for facts that "
        "hold in every repository (the user's preferences). An exact repeat is not stored twice."
    )
    def add_memory(
        text: str,
        scope: Where = "project",
        memory_type: Literal["semantic", "episodic", "procedural"] = "semantic",
        metadata: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        result = memory.add(
            text, metadata=metadata, memory_type=memory_type, infer=True, **coding.write_ids(scope)
        )
        return {"results": [{"event": c.event.value, **_brief(coding, c.item)} for c in result.changes]}

    @server.tool(
        description="Recall memories relevant to a task or question, best match first. Call this before "
        "starting work (e.g. 'how to run the tests', 'deployment steps', 'naming conventions'). By default "
        "searches this project and the user's cross-project memories; where='everything' also searches other "
        "projects. Scores are similarities in [0, 1]."
    )
    def search_memories(query: str, where: SearchIn = "project+user", limit: int = 10) -> dict[str, Any]:
        ids, flt = coding.read(where)
        result = memory.search(query, filters=flt, limit=limit, **ids)
        return _page(coding, result.items)

    @server.tool(
        description="List stored memories, newest first (paginate with offset). Use it to review what is "
        "known about this project before cleaning up; prefer search_memories to find something specific."
    )
    def list_memories(where: SearchIn = "project+user", limit: int = 50, offset: int = 0) -> dict[str, Any]:
        ids, flt = coding.read(where)
        items = memory.get_all(filters=flt, limit=limit, offset=offset, **ids)
        return {**_page(coding, items), "offset": offset}

    @server.tool(description="Show one memory by id, with its metadata and timestamps.")
    def get_memory(memory_id: str) -> dict[str, Any]:
        return _brief(coding, owned(memory_id))

    @server.tool(
        description="Correct a memory that became outdated (new command, changed decision) instead of adding "
        "a contradicting one. The old text stays in its history."
    )
    def update_memory(memory_id: str, text: str) -> dict[str, Any]:
        owned(memory_id)
        return _brief(coding, memory.update(memory_id, text))

    @server.tool(description="Delete a memory that is wrong or no longer useful (it stays in its history).")
    def delete_memory(memory_id: str) -> dict[str, Any]:
        owned(memory_id)
        return _brief(coding, memory.delete(memory_id))

    @server.tool(description="Every change to one memory (added, updated, deleted), oldest first.")
    def memory_history(memory_id: str) -> dict[str, Any]:
        owned(memory_id)
        events = memory.history(memory_id)
        keep = ("event", "old_memory", "new_memory", "created_at", "reason")
        return {"results": [{k: e.to_dict()[k] for k in keep} for e in events]}

    return server


class BearerToken:
    """Refuse HTTP requests without ``Authorization: Bearer <token>`` (MCP over HTTP on a shared host)."""

    def __init__(self, app: Any, token: str):
        self.app = app
        self.expected = f"Bearer {token}".encode()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            given = dict(scope.get("headers", [])).get(b"authorization", b"")
            if not hmac.compare_digest(given, self.expected):
                body = error_body(401, "Unauthorized", "send 'Authorization: Bearer <token>' (see --token)")
                await send_json(send, 401, body, [(b"www-authenticate", b"Bearer")])
                return
        await self.app(scope, receive, send)


def http_app(server: FastMCP, token: str | None) -> Any:
    """The streamable-HTTP ASGI app (endpoint ``/mcp``), behind a bearer token when one is given."""
    app = server.streamable_http_app()
    return BearerToken(app, token) if token else app
