"""``/v1/memories``: the memory API, each route checked against the caller's grants and logged."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query

from ..errors import NotFoundError, ValidationError
from ..expiry import UNCHANGED
from ..scope import Scope
from ..types import MemoryItem
from ..validation import split_valid
from .access_log import PendingWrite
from .app import Service, authenticate, get_service
from .keys import Access, Principal
from .models import (
    ID_PATTERN,
    AddRequest,
    AddResponse,
    DeleteAllResponse,
    HistoryResponse,
    MemoryOut,
    MemoryPage,
    ScopeId,
    SearchRequest,
    SearchResponse,
    UpdateRequest,
)

router = APIRouter(tags=["memories"])
Caller = Annotated[Principal, Depends(authenticate)]
Svc = Annotated[Service, Depends(get_service)]
MemoryId = Annotated[str, Path(pattern=ID_PATTERN, max_length=255)]


def _owner(
    user_id: Annotated[ScopeId | None, Query(description="the memory must belong to this user")] = None,
    agent_id: Annotated[ScopeId | None, Query(description="... and to this agent")] = None,
    run_id: Annotated[ScopeId | None, Query(description="... and to this run")] = None,
) -> Scope:
    """The optional scope a call by id is held to, like ``Memory.get(id, user_id=...)``."""
    return Scope(user_id, agent_id, run_id)


Owner = Annotated[Scope, Depends(_owner)]


def _scope(principal: Principal, access: Access, operation: str, **ids: str | None) -> Scope:
    scope = Scope.of(**ids, operation=operation)
    if not principal.may_use_scope(scope, access):
        raise HTTPException(403, f"this key may not {access} memories of {scope}")
    return scope


def _owned(
    svc: Service, principal: Principal, memory_id: str, access: Access, *, deleted: bool, owner: Scope
) -> MemoryItem:
    """The memory, if the key may touch it (and it lies in ``owner``); else the 404 of a missing id."""
    item = svc.memory.get(memory_id, include_deleted=deleted, **owner.as_dict())
    if not principal.may_touch(item, access):
        raise NotFoundError(f"no memory with id {memory_id!r}")
    return item


def _owner_of(item: MemoryItem) -> Scope:
    return Scope(item.user_id, item.agent_id, item.run_id)


@contextmanager
def _write(
    svc: Service, who: Principal, operation: str, scope: Scope, memory_id: str | None = None
) -> Iterator[PendingWrite]:
    """Run a write with its access-log row committed first: if the service database cannot take
    the row, StoreError (503) is raised here and the store is never touched."""
    row = svc.log.begin(who, operation, scope, memory_id)
    try:
        yield row
    except BaseException:
        row.failed()
        raise


@router.post("/memories", response_model=AddResponse, summary="Remember messages in a scope")
def add_memories(body: AddRequest, principal: Caller, svc: Svc) -> dict[str, Any]:
    ids = body.model_dump(include={"user_id", "agent_id", "run_id"})
    scope = _scope(principal, "write", "add", **ids)
    messages: Any = (
        body.messages
        if isinstance(body.messages, str)
        else [m.model_dump(exclude_none=True) for m in body.messages]
    )
    with _write(svc, principal, "add", scope) as row:
        result = svc.memory.add(
            messages, metadata=body.metadata, memory_type=body.memory_type, infer=body.infer, **ids,
            expires_at=body.expires_at, ttl=body.ttl,
        )  # fmt: skip
        row.done(c.item for c in result.changes)  # NOOPs too: the caller was shown them
    return result.to_dict()


@router.post("/memories/search", response_model=SearchResponse, summary="Search a scope's memories")
def search_memories(body: SearchRequest, principal: Caller, svc: Svc) -> dict[str, Any]:
    ids = body.model_dump(include={"user_id", "agent_id", "run_id"})
    scope = _scope(principal, "read", "search", **ids)
    result = svc.memory.search(
        body.query,
        filters=body.filters,
        limit=body.limit,
        threshold=body.threshold,
        explain=body.explain,
        **ids,
    )
    items, skipped = split_valid(result.items)
    svc.log.record(principal, "read", "search", items, scope)
    return {**result.to_dict(), "results": [i.to_dict() for i in items], "skipped": skipped}


@router.get("/memories", response_model=MemoryPage, summary="List a scope's memories, newest first")
def list_memories(
    principal: Caller,
    svc: Svc,
    user_id: Annotated[ScopeId | None, Query()] = None,
    agent_id: Annotated[ScopeId | None, Query()] = None,
    run_id: Annotated[ScopeId | None, Query()] = None,
    filters: Annotated[str | None, Query(description="a JSON filter object", max_length=10_000)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    include_deleted: bool = False,
) -> dict[str, Any]:
    scope = _scope(principal, "read", "list", user_id=user_id, agent_id=agent_id, run_id=run_id)
    parsed: Any = None
    if filters:
        try:
            parsed = json.loads(filters)
        except json.JSONDecodeError as exc:
            raise ValidationError(f"filters is not valid JSON: {exc}") from None
    limit = min(limit, svc.settings.page_max)
    items = svc.memory.get_all(
        user_id=user_id,
        agent_id=agent_id,
        run_id=run_id,
        filters=parsed,
        limit=limit + 1,
        offset=offset,
        include_deleted=include_deleted,
    )
    page, skipped = split_valid(items[:limit])
    svc.log.record(principal, "read", "list", page, scope)
    return {
        "results": [i.to_dict() for i in page],
        "skipped": skipped,
        "limit": limit,
        "offset": offset,
        "next_offset": offset + limit if len(items) > limit else None,
    }


@router.delete("/memories", response_model=DeleteAllResponse, summary="Delete every memory of a scope")
def delete_all_memories(
    principal: Caller,
    svc: Svc,
    user_id: Annotated[ScopeId | None, Query()] = None,
    agent_id: Annotated[ScopeId | None, Query()] = None,
    run_id: Annotated[ScopeId | None, Query()] = None,
    purge: Annotated[bool, Query(description="erase memories and their history for good")] = False,
) -> dict[str, Any]:
    scope = _scope(principal, "write", "delete_all", user_id=user_id, agent_id=agent_id, run_id=run_id)
    with _write(svc, principal, "purge" if purge else "delete_all", scope) as row:
        count = svc.memory.delete_all(purge=purge, **scope.as_dict())
        row.done([], count=count)
    return {"deleted": count, "purged": purge}


@router.get("/memories/{memory_id}", response_model=MemoryOut, summary="One memory by id")
def get_memory(
    memory_id: MemoryId, principal: Caller, svc: Svc, owner: Owner, include_deleted: bool = False
) -> dict[str, Any]:
    item = _owned(svc, principal, memory_id, "read", deleted=include_deleted, owner=owner)
    svc.log.record(principal, "read", "get", [item], _owner_of(item))
    return item.to_dict()


@router.patch("/memories/{memory_id}", response_model=MemoryOut, summary="Change a memory's text or metadata")
def update_memory(
    memory_id: MemoryId, body: UpdateRequest, principal: Caller, svc: Svc, owner: Owner
) -> dict[str, Any]:
    target = _owned(svc, principal, memory_id, "write", deleted=False, owner=owner)
    with _write(svc, principal, "update", _owner_of(target), memory_id) as row:
        expires_at = body.expires_at if "expires_at" in body.model_fields_set else UNCHANGED
        item = svc.memory.update(
            memory_id, body.text, metadata=body.metadata, expires_at=expires_at, ttl=body.ttl
        )
        row.done([item])
    return item.to_dict()


@router.delete(
    "/memories/{memory_id}", response_model=MemoryOut, summary="Delete one memory (history is kept)"
)
def delete_memory(memory_id: MemoryId, principal: Caller, svc: Svc, owner: Owner) -> dict[str, Any]:
    target = _owned(svc, principal, memory_id, "write", deleted=False, owner=owner)
    with _write(svc, principal, "delete", _owner_of(target), memory_id) as row:
        item = svc.memory.delete(memory_id)
        row.done([item])
    return item.to_dict()


@router.get(
    "/memories/{memory_id}/history", response_model=HistoryResponse, summary="Every change to a memory"
)
def memory_history(memory_id: MemoryId, principal: Caller, svc: Svc, owner: Owner) -> dict[str, Any]:
    item = _owned(svc, principal, memory_id, "read", deleted=True, owner=owner)
    events = svc.memory.history(memory_id)
    svc.log.record(principal, "read", "history", [item], _owner_of(item))
    return {"results": [e.to_dict() for e in events]}
