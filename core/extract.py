"""The offline extractor: deterministic rules, no model.

Each remembered message becomes one or a few memories (long messages are cut at sentence
boundaries), and every memory keeps the ids of the messages it came from. Only statements are
kept: questions, requests, greetings, thanks and acknowledgements are dropped, in every language
:mod:`memspan.utterances` knows, and a fact said inside a question keeps only its fact part.
User messages are remembered for user scopes; assistant messages too when the scope names an agent.
The pipeline then drops exact and near duplicates of what the scope already knows.
"""

from __future__ import annotations

import re

from .messages import Message
from .ports import Decision, ExtractionPlan, ExtractionRequest, Extractor
from .types import MemoryType
from .utterances import Keep, is_small_talk, memorable

__all__ = ["RuleExtractor", "is_small_talk", "memorable", "split_long"]

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[^\s])")
_EVENT_HINT = re.compile(
    r"\b(yesterday|today|tonight|last (?:week|month|year|night|weekend)|ago|this (?:morning|week|weekend)|"
    r"on (?:mon|tues|wednes|thurs|fri|satur|sun)day|went|visited|met|attended|started|finished|"
    r"bought|moved|travel(?:l)?ed|\d{4}-\d{2}-\d{2})\b",
    re.IGNORECASE,
)


def split_long(text: str, max_chars: int) -> list[str]:
    """Cut text at sentence ends into pieces of at most about ``max_chars`` characters."""
    if len(text) <= max_chars:
        return [text]
    pieces: list[str] = []
    current = ""
    for sentence in _SENTENCE.split(text):
        if current and len(current) + 1 + len(sentence) > max_chars:
            pieces.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}".strip()
        while len(current) > max_chars:  # one very long sentence: cut at a word boundary
            cut = current.rfind(" ", 0, max_chars)
            cut = cut if cut > max_chars // 2 else max_chars
            pieces.append(current[:cut].rstrip())
            current = current[cut:].lstrip()
    if current:
        pieces.append(current)
    return pieces


class RuleExtractor(Extractor):
    """Deterministic extraction for when no language model is configured."""

    context_size = 0

    def __init__(self, *, max_chars: int = 500, name_speakers: bool = True):
        self.max_chars = max_chars
        self.name_speakers = name_speakers

    def _remembered(self, message: Message, request: ExtractionRequest) -> bool:
        if message.role == "user":
            return True
        return message.role == "assistant" and request.scope.agent_id is not None

    @staticmethod
    def _requests_kept(message: Message, request: ExtractionRequest) -> Keep:
        """Which imperatives of ``message`` are memories rather than requests to the assistant.

        How-tos are written as instructions, so a procedural add keeps them all. Plain imperatives
        are kept in an assistant's turn (its advice, its record of work: "Try the curry") and in a
        lone note handed to ``add`` (a convention an agent saves: "Check CI before merging"); only a
        user's turn in a conversation is talking to the assistant, so there they are requests.
        Polite requests ("Could you…", "…してください") ask someone wherever they appear.
        """
        if request.memory_type is MemoryType.PROCEDURAL:
            return "instructions"
        return "statements" if message.role == "user" and len(request.messages) > 1 else "advice"

    def _memory_type(self, text: str, request: ExtractionRequest) -> MemoryType:
        if request.memory_type is not None:
            return request.memory_type
        return MemoryType.EPISODIC if _EVENT_HINT.search(text) else MemoryType.SEMANTIC

    def extract(self, request: ExtractionRequest) -> ExtractionPlan:
        decisions: list[Decision] = []
        for message in request.messages:
            if not self._remembered(message, request):
                continue
            content = memorable(message.content, keep=self._requests_kept(message, request))
            if content is None:
                continue
            for piece in split_long(content, self.max_chars):
                text = f"{message.name}: {piece}" if self.name_speakers and message.name else piece
                decisions.append(
                    Decision(
                        action="ADD",
                        text=text,
                        source_ids=(message.id,) if message.id else (),
                        memory_type=self._memory_type(piece, request),
                        created_at=message.created_at,
                    )
                )
        return ExtractionPlan(decisions)
