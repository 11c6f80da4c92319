"""The REST API's request and response bodies: they are the OpenAPI spec clients and tests read."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    field_validator,
    model_validator,
)
from typing_extensions import TypeAliasType

from .._inputs import MAX_LIMIT, MAX_QUERY_CHARS, RESERVED_METADATA_KEYS
from ..errors import FilterError
from ..filters import parse_timestamp
from ..messages import MAX_MESSAGE_CHARS, MAX_MESSAGES
from ..scope import SCOPE_KEYS

#: the id grammar of memspan.scope, so the spec tells clients what a valid id is
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:@+\-/]{0,254}$"
ScopeId = Annotated[str, Field(pattern=ID_PATTERN, max_length=255)]
MemoryTypeName = Literal["semantic", "episodic", "procedural"]
#: some character that is neither blank nor a control character, and no NUL anywhere
_VISIBLE = "[^\\x00-\\x20\\x7f-\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
TEXT_PATTERN = f"^[^\\x00]*{_VISIBLE}[^\\x00]*$"
Text = Annotated[str, Field(min_length=1, max_length=MAX_MESSAGE_CHARS, pattern=TEXT_PATTERN)]
#: no string a store receives may hold NUL (PostgreSQL cannot), however deep in metadata
NO_NUL = "^[^\\x00]*$"
NoNul = Annotated[str, Field(pattern=NO_NUL)]
NestedMetadata = Annotated[
    dict[NoNul, "MetadataValue"], Field(json_schema_extra={"propertyNames": {"pattern": NO_NUL}})
]
MetadataValue = TypeAliasType(
    "MetadataValue",
    "NoNul | int | float | bool | list[MetadataValue] | NestedMetadata | None",
)
#: metadata keys are non-empty and never one of the names memspan sets itself
METADATA_SCHEMA: dict[str, Any] = {
    "propertyNames": {"minLength": 1, "pattern": NO_NUL, "not": {"enum": sorted(RESERVED_METADATA_KEYS)}},
    "maxProperties": 256,
}
Metadata = Annotated[dict[str, MetadataValue], Field(json_schema_extra=METADATA_SCHEMA)]


def _json_integer(value: Any) -> Any:
    """JSON Schema's integer: 3 and 3.0, never true or "3" (which pydantic's lax mode would take)."""
    if isinstance(value, (bool, str)):
        raise ValueError("must be a JSON integer")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


JsonInt = Annotated[int, BeforeValidator(_json_integer)]


class _Strict(BaseModel):
    # python-re: the same regex engine memspan's own validation uses
    model_config = ConfigDict(extra="forbid", regex_engine="python-re")


#: a request body names at least one scope id
SCOPE_REQUIRED: dict[str, Any] = {
    "anyOf": [{"required": [key], "properties": {key: {"type": "string"}}} for key in SCOPE_KEYS]
}


class ScopeIds(_Strict):
    user_id: ScopeId | None = None
    agent_id: ScopeId | None = None
    run_id: ScopeId | None = None


class MessageIn(_Strict):
    role: Literal["user", "assistant", "system", "tool"] = "user"
    content: Text
    name: NoNul | None = None
    id: NoNul | None = None
    # years 1100-9899 keep every UTC offset inside the years memspan's timestamps can represent
    created_at: (
        Annotated[
            str,
            Field(pattern=r"^(1[1-9]|[2-8][0-9]|9[0-8])[0-9]{2}-", json_schema_extra={"format": "date-time"}),
        ]
        | None
    ) = None

    @field_validator("created_at")
    @classmethod
    def _timestamp(cls, value: str | None) -> str | None:
        """Any RFC 3339 / ISO-8601 time, normalised to the form memspan stores."""
        if value is None:
            return None
        try:
            return parse_timestamp(value.upper(), what="created_at")
        except FilterError as exc:
            raise ValueError(str(exc)) from None


def _expiry_instant(value: Any) -> Any:
    """``expires_at`` in memspan's canonical form (its future-ness is checked by Memory)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("must be an ISO-8601 timestamp string")
    try:
        return parse_timestamp(value.upper(), what="expires_at")
    except FilterError as exc:
        raise ValueError(str(exc)) from None


_Instant = Annotated[
    str, Field(pattern=r"^(1[1-9]|[2-8][0-9]|9[0-8])[0-9]{2}-", json_schema_extra={"format": "date-time"})
]
ExpiresAt = Annotated[
    _Instant | None,
    AfterValidator(_expiry_instant),
    Field(
        description="RFC 3339 instant, in the future, after which no read sees the memory (memspan.expiry)"
    ),
]
TTLSeconds = Annotated[
    float | None, Field(gt=0, le=3.1e10, strict=True, description="seconds from now until the memory expires")
]


class AddRequest(ScopeIds):
    model_config = ConfigDict(json_schema_extra=SCOPE_REQUIRED)

    messages: Text | Annotated[list[MessageIn], Field(min_length=1, max_length=MAX_MESSAGES)] = Field(
        description="a text, or a conversation as a list of messages"
    )
    metadata: Metadata | None = None
    memory_type: MemoryTypeName | None = None
    infer: StrictBool = Field(True, description="extract facts (true) or store each message verbatim (false)")
    expires_at: ExpiresAt = None
    ttl: TTLSeconds = None


class SearchRequest(ScopeIds):
    model_config = ConfigDict(json_schema_extra=SCOPE_REQUIRED)

    query: Annotated[str, Field(min_length=1, max_length=MAX_QUERY_CHARS, pattern=TEXT_PATTERN)]
    filters: dict[str, Any] | None = Field(None, description='memspan filter grammar, e.g. {"topic": "food"}')
    limit: JsonInt = Field(10, ge=1, le=MAX_LIMIT)
    threshold: Annotated[float, Field(ge=0, le=1, strict=True)] | None = None
    explain: StrictBool = False


class UpdateRequest(_Strict):
    """At least one of ``text``, ``metadata``, ``expires_at`` and ``ttl``; metadata replaces the old
    metadata, ``expires_at: null`` removes the expiry."""

    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"required": ["text"], "properties": {"text": {"type": "string"}}},
                {"required": ["metadata"], "properties": {"metadata": {"type": "object"}}},
                {"required": ["expires_at"]},
                {"required": ["ttl"]},
            ]
        }
    )
    text: Text | None = None
    metadata: Metadata | None = None
    expires_at: ExpiresAt = None
    ttl: TTLSeconds = None

    @model_validator(mode="after")
    def _something_to_change(self) -> UpdateRequest:
        if self.text is None and self.metadata is None and not {"expires_at", "ttl"} & self.model_fields_set:
            raise ValueError("update needs text, metadata, expires_at or ttl")
        return self


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
    expires_at: str | None = None
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


_SKIPPED: Any = Field(
    default_factory=list,
    description="ids (escaped) of stored memories left out because they hold invalid UTF-8 or NUL, "
    "written by an older memspan; fix or delete them",
)


class SearchResponse(BaseModel):
    results: list[MemoryOut]
    skipped: list[str] = _SKIPPED


class MemoryPage(BaseModel):
    results: list[MemoryOut]
    skipped: list[str] = _SKIPPED
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


class SweepResponse(BaseModel):
    swept: int = Field(description="expired memories deleted (each with a DELETE event, reason 'expired')")


class DeleteAllResponse(BaseModel):
    deleted: int
    purged: bool


class GrantIn(ScopeIds):
    model_config = ConfigDict(json_schema_extra=SCOPE_REQUIRED)

    access: Literal["read", "write"] = "read"


class KeyCreate(_Strict):
    """An admin key, or a key with at least one grant."""

    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"required": ["admin"], "properties": {"admin": {"const": True}}},
                {"required": ["grants"], "properties": {"grants": {"minItems": 1}}},
            ]
        }
    )
    name: Annotated[str, Field(min_length=1, max_length=200, pattern=TEXT_PATTERN)]
    grants: list[GrantIn] = Field(default_factory=list, max_length=100)
    admin: StrictBool = False


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
    memory_id: str | None = Field(description="the memory, when the call touched exactly one")
    user_id: str | None
    agent_id: str | None
    run_id: str | None
    memory_ids: list[str] = Field(description="every memory the call returned or changed")
    count: int = Field(description="how many memories it returned or changed")
    status: Literal["started", "done", "failed"] = Field(
        description="a write is logged as 'started' before the store is touched; 'started' that stays "
        "so means the outcome could not be recorded"
    )


class AccessLogPage(BaseModel):
    results: list[AccessLogRow]
    limit: int
    offset: int
    next_offset: int | None


class ErrorDetail(BaseModel):
    type: str
    message: str
    status: int
    #: the X-Request-ID of the response, to find the request's lines in the server log
    request_id: str | None = None


class ErrorResponse(BaseModel):
    error: ErrorDetail
