"""The REST API's request and response bodies: they are the OpenAPI spec clients and tests read."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..pipeline import MAX_LIMIT, MAX_QUERY_CHARS

#: the id grammar of memspan.scope, so the spec tells clients what a valid id is
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:@+\-/]{0,254}$"
ScopeId = Annotated[str, Field(pattern=ID_PATTERN, max_length=255)]
MemoryTypeName = Literal["semantic", "episodic", "procedural"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScopeIds(_Strict):
    user_id: ScopeId | None = None
    agent_id: ScopeId | None = None
    run_id: ScopeId | None = None


class MessageIn(_Strict):
    role: Literal["user", "assistant", "system", "tool"] = "user"
    content: str
    name: str | None = None
    id: str | None = None
    created_at: str | None = None


class AddRequest(ScopeIds):
    messages: str | list[MessageIn] = Field(description="a text, or a conversation as a list of messages")
    metadata: dict[str, Any] | None = None
    memory_type: MemoryTypeName | None = None
    infer: bool = Field(True, description="extract facts (true) or store each message verbatim (false)")


class SearchRequest(ScopeIds):
    query: str = Field(min_length=1, max_length=MAX_QUERY_CHARS)
    filters: dict[str, Any] | None = Field(None, description='memspan filter grammar, e.g. {"topic": "food"}')
    limit: int = Field(10, ge=1, le=MAX_LIMIT)
    threshold: float | None = Field(None, ge=0, le=1)
    explain: bool = False


class UpdateRequest(_Strict):
    text: str | None = None
    metadata: dict[str, Any] | None = None


class MemoryOut(BaseModel):
    id: str
    memory: str
    hash: str
    user_id: str | None
    agent_id: str | None
    run_id: str | None
    memory_type: MemoryTypeName
    metadata: dict[str, Any]
    created_at: str
    updated_at: str
    source_ids: list[str]
    deleted_at: str | None = None
    score: float | None = None
    score_details: dict[str, Any] | None = None


class ChangeOut(MemoryOut):
    event: Literal["ADD", "UPDATE", "DELETE", "NOOP"]
    previous_memory: str | None = None
    reason: str | None = None


class UsageOut(BaseModel):
    llm_calls: int
    prompt_tokens: int
    completion_tokens: int


class AddResponse(BaseModel):
    results: list[ChangeOut]
    usage: UsageOut


class SearchResponse(BaseModel):
    results: list[MemoryOut]


class MemoryPage(BaseModel):
    results: list[MemoryOut]
    limit: int
    offset: int
    next_offset: int | None = Field(description="offset of the next page; null on the last page")


class HistoryEventOut(BaseModel):
    memory_id: str
    event: Literal["ADD", "UPDATE", "DELETE", "NOOP", "PURGE"]
    old_memory: str | None
    new_memory: str | None
    old_metadata: dict[str, Any] | None
    new_metadata: dict[str, Any] | None
    created_at: str
    user_id: str | None
    agent_id: str | None
    run_id: str | None
    reason: str | None


class HistoryResponse(BaseModel):
    results: list[HistoryEventOut]


class DeleteAllResponse(BaseModel):
    deleted: int
    purged: bool


class GrantIn(ScopeIds):
    access: Literal["read", "write"] = "read"


class KeyCreate(_Strict):
    name: str = Field(min_length=1, max_length=200)
    grants: list[GrantIn] = Field(default_factory=list, max_length=100)
    admin: bool = False


class KeyOut(BaseModel):
    key_id: str
    name: str
    admin: bool
    grants: list[dict[str, Any]]
    created_at: str | None = None
    revoked_at: str | None = None


class KeyCreated(KeyOut):
    key: str = Field(description="the key itself; shown only now, only its hash is stored")


class KeyList(BaseModel):
    results: list[KeyOut]


class AccessLogRow(BaseModel):
    id: int
    at: str
    key_id: str
    key_name: str
    action: Literal["read", "write"]
    operation: str
    memory_id: str | None
    user_id: str | None
    agent_id: str | None
    run_id: str | None


class AccessLogPage(BaseModel):
    results: list[AccessLogRow]
    limit: int
    offset: int
    next_offset: int | None


class ErrorDetail(BaseModel):
    type: str
    message: str
    status: int


class ErrorResponse(BaseModel):
    error: ErrorDetail
