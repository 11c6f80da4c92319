"""Key management and the access log (admin keys only), and ``whoami`` for any key."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import StreamingResponse

from ..scope import SCOPE_KEYS, Scope
from .access_log import LogQuery
from .app import Service, authenticate, get_service, require_admin
from .keys import Grant, Principal
from .models import AccessLogPage, KeyCreate, KeyCreated, KeyList, KeyOut, ScopeId, SweepResponse

router = APIRouter()
Admin = Annotated[Principal, Depends(require_admin)]
Svc = Annotated[Service, Depends(get_service)]


@router.get("/whoami", response_model=KeyOut, tags=["keys"], summary="The calling key and its grants")
def whoami(principal: Annotated[Principal, Depends(authenticate)]) -> dict[str, Any]:
    return principal.to_dict()


@router.post("/keys", response_model=KeyCreated, status_code=201, tags=["keys"], summary="Create an API key")
def create_key(body: KeyCreate, _: Admin, svc: Svc) -> dict[str, Any]:
    grants = [Grant(Scope(**g.model_dump(include=set(SCOPE_KEYS))), g.access) for g in body.grants]
    key, principal = svc.keys.create(body.name, grants, admin=body.admin)
    return {**principal.to_dict(), "key": key}


@router.get("/keys", response_model=KeyList, tags=["keys"], summary="Every key (never the secrets)")
def list_keys(_: Admin, svc: Svc) -> dict[str, Any]:
    return {"results": svc.keys.list()}


@router.delete("/keys/{key_id}", status_code=204, tags=["keys"], summary="Revoke a key")
def revoke_key(key_id: str, principal: Admin, svc: Svc) -> None:
    if key_id == principal.key_id:
        raise HTTPException(422, "refusing to revoke the key making this call; use another admin key")
    if not svc.keys.revoke(key_id):
        raise HTTPException(404, f"no live key with id {key_id!r}")


@router.post(
    "/sweep",
    response_model=SweepResponse,
    tags=["expiry"],
    summary="Delete every expired memory of the store",
)
def sweep_expired(_: Admin, svc: Svc) -> dict[str, Any]:
    """Expired memories are already invisible; this makes their deletion durable (memspan.expiry)."""
    return {"swept": svc.memory.sweep_expired()}


def _log_query(
    key_id: Annotated[str | None, Query(max_length=100)] = None,
    memory_id: Annotated[ScopeId | None, Query()] = None,
    user_id: Annotated[ScopeId | None, Query()] = None,
    agent_id: Annotated[ScopeId | None, Query()] = None,
    run_id: Annotated[ScopeId | None, Query()] = None,
    action: Literal["read", "write"] | None = None,
    since: Annotated[str | None, Query(description="ISO-8601 UTC time, e.g. 2026-01-31T00:00:00Z")] = None,
) -> LogQuery:
    return LogQuery(key_id, memory_id, user_id, agent_id, run_id, action, since)


@router.get(
    "/access-log", response_model=AccessLogPage, tags=["access log"], summary="Who read or wrote what"
)
def access_log(
    _: Admin,
    svc: Svc,
    q: Annotated[LogQuery, Depends(_log_query)],
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> dict[str, Any]:
    rows = svc.log.query(q, limit=limit + 1, offset=offset)
    return {
        "results": rows[:limit],
        "limit": limit,
        "offset": offset,
        "next_offset": offset + limit if len(rows) > limit else None,
    }


@router.get(
    "/access-log/export",
    tags=["access log"],
    summary="The whole (filtered) access log as JSON lines or CSV",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-ndjson": {}, "text/csv": {}}}},
)
def export_access_log(
    _: Admin,
    svc: Svc,
    q: Annotated[LogQuery, Depends(_log_query)],
    format: Literal["jsonl", "csv"] = "jsonl",
) -> StreamingResponse:
    media = "application/x-ndjson" if format == "jsonl" else "text/csv"
    return StreamingResponse(
        svc.log.export(q, format),
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="memspan-access-log.{format}"'},
    )
