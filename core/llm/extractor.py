"""Extraction and reconciliation in one model call per ``add``.

The classic pipeline asks a model twice (extract facts, then decide per fact against its
neighbours). Here the pipeline fetches the scope's related memories first, so one prompt carries
both the conversation and what is already known, and one reply carries every decision. The reply is
checked before anything is written: malformed JSON is sent back for repair a bounded number of times
and then raises :class:`~memspan.errors.ExtractionError`; a decision naming a memory the model was
not shown never reaches the store; secrets are refused and relative dates resolved deterministically.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timezone

from .._inputs import text_hash
from ..effects import Flow, call, run_async, run_sync
from ..errors import ExtractionError, ValidationError
from ..ports import Decision, ExtractionPlan, ExtractionRequest, Extractor
from ..types import MemoryItem, MemoryType, Usage
from .base import LLM, ChatMessage, Completion
from .guards import find_secret, resolve_relative_dates
from .prompt import Prompt, build_prompt, remembered, repair_messages
from .reply import REPLY_SCHEMA, Action, ReplyEntry, ReplyError, parse_reply

log = logging.getLogger("memspan.llm")


class LLMExtractor(Extractor):
    """Turns a conversation into ADD / UPDATE / DELETE / NOOP decisions with one model call.

    ``max_attempts`` bounds the calls per ``add`` when replies are unusable (1 = no repair).
    ``instructions`` are added to the prompt for every add (``Memory(instructions=...)`` is too).
    """

    def __init__(
        self,
        llm: LLM,
        *,
        context_size: int = 10,
        max_attempts: int = 3,
        max_tokens: int = 2048,
        instructions: str | None = None,
        clock: Callable[[], datetime] | None = None,
    ):
        if max_attempts < 1:
            raise ValidationError("max_attempts must be at least 1")
        self.llm = llm
        self.context_size = context_size
        self.max_attempts = max_attempts
        self.max_tokens = max_tokens
        self.instructions = instructions
        self._clock = clock or (lambda: datetime.now(timezone.utc))

    def extract(self, request: ExtractionRequest) -> ExtractionPlan:
        return run_sync(self._flow(request))

    async def aextract(self, request: ExtractionRequest) -> ExtractionPlan:
        return await run_async(self._flow(request))

    def _flow(self, request: ExtractionRequest) -> Flow[ExtractionPlan]:
        prompt = build_prompt(request, self._clock(), self.instructions)
        messages: list[ChatMessage] = prompt.messages
        usage = Usage()
        problem = ""
        for _ in range(self.max_attempts):
            completion: Completion = yield call(
                self.llm, "complete", messages, json_schema=REPLY_SCHEMA, max_tokens=self.max_tokens
            )
            usage = usage + completion.usage
            if completion.usage.llm_calls == 0:  # adapters that cannot see usage still made a call
                usage = usage + Usage(llm_calls=1)
            try:
                entries = parse_reply(completion.text)
            except ReplyError as exc:
                problem = str(exc)
                log.info("%s gave an unusable reply (%s); asking it to repair", self.llm.model_id, problem)
                messages = repair_messages(prompt, completion.text, problem)
                continue
            return ExtractionPlan(self._decisions(entries, request, prompt), usage)
        log.warning("%s: %d unusable replies cost %s", self.llm.model_id, self.max_attempts, usage.to_dict())
        raise ExtractionError(
            f"{self.llm.model_id} gave no usable answer in {self.max_attempts} attempt(s), last: {problem}. "
            "Nothing was stored. Use a model that follows JSON instructions, or raise max_attempts."
        )

    def _decisions(
        self, entries: list[ReplyEntry], request: ExtractionRequest, prompt: Prompt
    ) -> list[Decision]:
        offered = {c.ref: c.item for c in request.existing}
        speakers = [i for i, m in enumerate(request.messages) if remembered(m, request)]
        used_refs: set[int] = set()
        decisions: list[Decision] = []
        for entry in entries:
            action = self._checked_action(entry, offered, used_refs)
            if action is None:
                continue
            cited = [s for s in entry.sources if 0 <= s < len(request.messages)]
            if action in ("ADD", "UPDATE") and cited and not any(s in speakers for s in cited):
                # e.g. the assistant's words stored as a user fact when no agent is in scope
                log.warning("%s: a memory taken only from unremembered roles was refused", self.llm.model_id)
                continue
            sources = [s for s in cited if s in speakers] or speakers
            text = entry.text
            if text is not None:
                said_at = prompt.message_times[sources[0]] if sources else self._clock()
                text = resolve_relative_dates(text, said_at)
                secret = find_secret(text)
                if secret is not None:
                    log.warning("%s: a memory containing %s was refused", self.llm.model_id, secret)
                    continue
            target = offered.get(entry.ref) if entry.ref is not None else None
            if (
                action == "UPDATE"
                and target is not None
                and text is not None
                and text_hash(text) == target.hash
            ):
                action = "NOOP"  # "updated" to the same words: nothing changes, no history entry
            if action != "ADD" and entry.ref is not None:
                used_refs.add(entry.ref)
            decisions.append(
                Decision(
                    action=action,
                    text=text if action in ("ADD", "UPDATE") else None,
                    target_ref=entry.ref if action != "ADD" else None,
                    source_ids=tuple(
                        dict.fromkeys(
                            mid for mid in (request.messages[s].id for s in sources) if mid is not None
                        )
                    ),
                    memory_type=self._memory_type(entry, request),
                    reason=entry.reason
                    or ("contradicted by newer information" if action == "DELETE" else None),
                    created_at=request.messages[sources[0]].created_at if sources else None,
                )
            )
        return decisions

    def _checked_action(
        self, entry: ReplyEntry, offered: dict[int, MemoryItem], used_refs: set[int]
    ) -> Action | None:
        """The action to take for an entry, or None to reject it: only offered refs, each once."""
        if entry.action == "ADD":
            return "ADD"
        if entry.ref is None:  # only NOOP may omit a ref (the reply reader enforces it)
            return None
        if entry.ref not in offered:
            if entry.action == "UPDATE":
                # the fact is new information: keep it, but never touch a memory that was not shown
                log.warning("%s: UPDATE of unknown ref %s kept as a new memory", self.llm.model_id, entry.ref)
                return "ADD"
            log.warning("%s: %s of unknown ref %s rejected", self.llm.model_id, entry.action, entry.ref)
            return None
        if entry.ref in used_refs:
            log.warning("%s: second decision on ref %s rejected", self.llm.model_id, entry.ref)
            return None
        return entry.action

    @staticmethod
    def _memory_type(entry: ReplyEntry, request: ExtractionRequest) -> MemoryType | None:
        if request.memory_type is not None:
            return request.memory_type
        return MemoryType(entry.memory_type) if entry.memory_type is not None else None
