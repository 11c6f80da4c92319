"""Graph extraction with a language model: entities, typed, and dated relations, one call per ``add``.

The model sees the memories the ``add`` just stored (numbered, with the date each was said) and
answers with JSON. The reply is checked before anything is written: unusable JSON is sent back for
repair a bounded number of times and then raises :class:`~memspan.errors.ExtractionError`; entries
naming a memory number that was not shown are dropped, never guessed.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..effects import Flow, call, run_async, run_sync
from ..errors import ExtractionError, ValidationError
from ..llm.base import LLM, ChatMessage, Completion
from ..types import Usage
from .model import ENTITY_TYPES, ExtractedEntity, ExtractedRelation, GraphExtraction, GraphRequest
from .ports import GraphExtractor

GRAPH_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "entities": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "type": {"type": "string", "enum": list(ENTITY_TYPES)},
                    "memories": {"type": "array", "items": {"type": "integer"}},
                },
                "required": ["name", "type", "memories"],
            },
        },
        "relations": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "source": {"type": "string"},
                    "relation": {"type": "string"},
                    "target": {"type": "string"},
                    "memory": {"type": "integer"},
                    "valid_from": {"type": ["string", "null"]},
                    "single_valued": {"type": "boolean"},
                },
                "required": ["source", "relation", "target", "memory"],
            },
        },
    },
    "required": ["entities", "relations"],
}

SYSTEM = """You build a knowledge graph from an agent's memories.
Return JSON only: {"entities": [...], "relations": [...]}.
- entities: every person, place, organization, date, event or notable thing the memories name, as
  {"name": ..., "type": one of %(types)s, "memories": [numbers of the memories naming it]}.
  Use the speaker's name for "I"/"me"; if no speaker is named, use "%(user)s".
- relations: facts between two entities, as {"source", "relation" (snake_case verb such as lives_in,
  works_at, sister_of, likes, visited), "target", "memory" (its number), "valid_from" (ISO date the
  fact became true, resolved against the memory's date, or null), "single_valued" (true when the
  source can have only one target at a time for this relation, e.g. lives_in, married_to)}.
Do not invent facts that the memories do not state."""

_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL | re.IGNORECASE)


class GraphReplyError(ValueError):
    """The model's reply is not the JSON asked for; the message says what to fix."""


def _object(text: str) -> dict[str, Any]:
    fenced = _FENCE.search(text)
    body = fenced.group(1) if fenced else text
    start, end = body.find("{"), body.rfind("}")
    if start < 0 or end <= start:
        raise GraphReplyError("the reply contains no JSON object")
    try:
        data = json.loads(body[start : end + 1])
    except json.JSONDecodeError as exc:
        raise GraphReplyError(f"the JSON does not parse: {exc}") from None
    if not isinstance(data, dict):
        raise GraphReplyError("the reply must be a JSON object with 'entities' and 'relations'")
    return data


def parse_graph_reply(text: str, memories: int) -> GraphExtraction:
    """Entities and relations from a reply; entries naming unknown memory numbers are dropped."""
    data = _object(text)
    raw_entities, raw_relations = data.get("entities", []), data.get("relations", [])
    if not isinstance(raw_entities, list) or not isinstance(raw_relations, list):
        raise GraphReplyError("'entities' and 'relations' must be lists")
    entities: list[ExtractedEntity] = []
    for entry in raw_entities:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not entry["name"].strip():
            raise GraphReplyError(f"every entity needs a non-empty 'name', got {entry!r}")
        numbers = entry.get("memories") or []
        refs = tuple(int(n) for n in numbers if isinstance(n, int) and 0 <= n < memories)
        entities.append(ExtractedEntity(entry["name"].strip(), str(entry.get("type") or "thing"), refs))
    relations: list[ExtractedRelation] = []
    for entry in raw_relations:
        if not isinstance(entry, dict) or not all(
            isinstance(entry.get(k), str) and entry[k].strip() for k in ("source", "relation", "target")
        ):
            raise GraphReplyError(
                f"every relation needs 'source', 'relation' and 'target' strings, got {entry!r}"
            )
        number = entry.get("memory")
        if not isinstance(number, int) or not 0 <= number < memories:
            continue  # names a memory that was not shown: drop it rather than guess
        valid_from = entry.get("valid_from")
        relations.append(
            ExtractedRelation(
                entry["source"].strip(),
                entry["relation"].strip(),
                entry["target"].strip(),
                number,
                valid_from if isinstance(valid_from, str) and valid_from.strip() else None,
                bool(entry.get("single_valued", False)),
            )
        )
    return GraphExtraction(entities, relations)


class LLMGraphExtractor(GraphExtractor):
    """Entities and relations by a model (any :class:`~memspan.llm.LLM`), repaired when malformed."""

    def __init__(self, llm: LLM, *, max_attempts: int = 2, max_tokens: int = 2048, user_name: str = "user"):
        if max_attempts < 1:
            raise ValidationError("max_attempts must be at least 1")
        self.llm = llm
        self.max_attempts = max_attempts
        self.max_tokens = max_tokens
        self.user_name = user_name

    def extract(self, request: GraphRequest) -> GraphExtraction:
        return run_sync(self._flow(request))

    async def aextract(self, request: GraphRequest) -> GraphExtraction:
        return await run_async(self._flow(request))

    def prompt(self, request: GraphRequest) -> list[ChatMessage]:
        listing = "\n".join(f"{i}. ({m.created_at[:10]}) {m.text}" for i, m in enumerate(request.memories))
        speakers = f"Speakers: {', '.join(request.speakers)}.\n" if request.speakers else ""
        system = SYSTEM % {"types": ", ".join(ENTITY_TYPES), "user": self.user_name}
        return [
            {"role": "system", "content": system},
            {"role": "user", "content": f"{speakers}Memories:\n{listing}"},
        ]

    def _flow(self, request: GraphRequest) -> Flow[GraphExtraction]:
        messages = self.prompt(request)
        usage = Usage()
        problem = ""
        for _ in range(self.max_attempts):
            completion: Completion = yield call(
                self.llm, "complete", messages, json_schema=GRAPH_SCHEMA, max_tokens=self.max_tokens
            )
            usage = usage + (
                completion.usage if completion.usage.llm_calls else Usage(llm_calls=1) + completion.usage
            )
            try:
                found = parse_graph_reply(completion.text, len(request.memories))
            except GraphReplyError as exc:
                problem = str(exc)
                messages = [
                    *messages,
                    {"role": "assistant", "content": completion.text},
                    {
                        "role": "user",
                        "content": f"That reply is unusable: {problem}. Answer again with JSON only.",
                    },
                ]
                continue
            return GraphExtraction(found.entities, found.relations, usage)
        raise ExtractionError(
            f"{self.llm.model_id} gave no usable graph in {self.max_attempts} attempt(s), last: {problem}. "
            "The memories were stored; their graph was not. Use a model that follows JSON instructions."
        )
