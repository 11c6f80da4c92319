"""LlamaIndex chat messages in memspan's terms."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from llama_index.core.llms import ChatMessage, MessageRole

_ROLES = {
    MessageRole.USER: "user",
    MessageRole.ASSISTANT: "assistant",
    MessageRole.CHATBOT: "assistant",
    MessageRole.MODEL: "assistant",
    MessageRole.SYSTEM: "system",
    MessageRole.DEVELOPER: "system",
    MessageRole.TOOL: "tool",
    MessageRole.FUNCTION: "tool",
}


def role_of(message: ChatMessage) -> str:
    return _ROLES.get(MessageRole(message.role), "user")


def text_of(message: ChatMessage) -> str:
    return (message.content or "").strip()


def transcript_entry(message: ChatMessage) -> tuple[str, str, dict[str, Any]]:
    """Role, searchable text and serialised form of a message, for a verbatim transcript."""
    text = text_of(message)
    if not text:
        calls = [b for b in message.blocks if getattr(b, "block_type", None) == "tool_call"]
        names = [str(getattr(b, "tool_name", "tool")) for b in calls]
        text = f"(called {', '.join(names)})" if names else f"({role_of(message)} message)"
    return role_of(message), text, message.model_dump(mode="json")


def from_payload(payload: dict[str, Any]) -> ChatMessage:
    return ChatMessage.model_validate(payload)


def conversation(messages: Sequence[ChatMessage]) -> list[dict[str, str]]:
    """What of a conversation is worth handing to the extractor: user and assistant text."""
    out: list[dict[str, str]] = []
    for message in messages:
        role, text = role_of(message), text_of(message)
        if role in ("user", "assistant") and text:
            out.append({"role": role, "content": text})
    return out


def latest_user_text(messages: Sequence[ChatMessage] | None) -> str:
    for message in reversed(messages or []):
        if role_of(message) == "user" and text_of(message):
            return text_of(message)
    return ""
