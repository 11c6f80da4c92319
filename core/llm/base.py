"""The LLM port, and the retry policy every HTTP provider shares.

The port has one required method, :meth:`LLM.complete`; ``acomplete`` is optional (the effects
driver awaits it when present, otherwise ``complete`` runs in a worker thread). Providers that talk
HTTP subclass :class:`ProviderLLM` and implement only :meth:`ProviderLLM.send`, one attempt; the
backoff on rate limits, server errors and timeouts is written once here, as a flow, so the blocking
and the awaited paths share it (graphiti's llm_client pattern).
"""

from __future__ import annotations

import asyncio
import random
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypedDict

from ..effects import Flow, call, run_async, run_sync
from ..errors import LLMError
from ..types import Usage

Role = Literal["system", "user", "assistant"]
JSONSchema = Mapping[str, Any]


class ChatMessage(TypedDict):
    """One chat turn sent to a model."""

    role: Role
    content: str


@dataclass(frozen=True, slots=True)
class Completion:
    """A model's reply and what it cost (``usage.llm_calls`` counts HTTP attempts that answered)."""

    text: str
    usage: Usage


class LLM(ABC):
    """A chat model memspan can ask for structured output. Implement :meth:`complete`."""

    #: shown in errors and logs
    model_id: str = "unnamed"

    @abstractmethod
    def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        json_schema: JSONSchema | None = None,
        max_tokens: int = 2048,
    ) -> Completion:
        """Answer ``messages``. ``json_schema`` is a hint: callers validate the reply themselves."""

    def close(self) -> None:
        """Release HTTP clients."""


class TransientLLMError(LLMError):
    """One attempt failed in a way worth retrying (429, 5xx, timeout, dropped connection)."""

    def __init__(self, message: str, *, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with jitter; a server's ``Retry-After`` wins when it asks for longer."""

    max_retries: int = 3
    initial_delay: float = 0.5
    max_delay: float = 20.0
    multiplier: float = 2.0
    jitter: float = 0.1

    def delay(self, retry: int, retry_after: float | None) -> float:
        base = min(self.max_delay, self.initial_delay * self.multiplier**retry)
        base *= 1.0 + random.uniform(0.0, self.jitter)
        if retry_after is not None:
            base = max(base, min(retry_after, self.max_delay))
        return base


@dataclass(frozen=True, slots=True)
class LLMRequest:
    """One call's arguments, as a provider's :meth:`ProviderLLM.send` receives them."""

    messages: tuple[ChatMessage, ...]
    json_schema: JSONSchema | None
    max_tokens: int


class _Sleeper:
    """Waiting is I/O too: the sync driver blocks, the async one yields the event loop."""

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    async def asleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


_SLEEPER = _Sleeper()


class ProviderLLM(LLM):
    """Base of the HTTP providers: retries live here, one attempt lives in :meth:`send`."""

    def __init__(self, *, retry: RetryPolicy | None = None):
        self.retry = retry or RetryPolicy()

    @abstractmethod
    def send(self, request: LLMRequest) -> Completion:
        """Make one attempt. Raise :class:`TransientLLMError` when retrying may help, else LLMError.

        A provider may also define ``async def asend(request)``; the async path then awaits it.
        """

    def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        json_schema: JSONSchema | None = None,
        max_tokens: int = 2048,
    ) -> Completion:
        return run_sync(self._attempts(LLMRequest(tuple(messages), json_schema, max_tokens)))

    async def acomplete(
        self,
        messages: Sequence[ChatMessage],
        *,
        json_schema: JSONSchema | None = None,
        max_tokens: int = 2048,
    ) -> Completion:
        return await run_async(self._attempts(LLMRequest(tuple(messages), json_schema, max_tokens)))

    def _attempts(self, request: LLMRequest) -> Flow[Completion]:
        attempts = self.retry.max_retries + 1
        for retry in range(attempts):
            try:
                completion: Completion = yield call(self, "send", request)
            except TransientLLMError as exc:
                if retry == attempts - 1:
                    raise LLMError(
                        f"{self.model_id} failed {attempts} times in a row, last with: {exc}. "
                        "Check that the endpoint is up and not rate-limiting you, or raise "
                        "RetryPolicy.max_retries / the timeout."
                    ) from exc
                yield call(_SLEEPER, "sleep", self.retry.delay(retry, exc.retry_after))
            else:
                return completion
        raise AssertionError("unreachable: the loop returns or raises")


def _retry_after(headers: Mapping[str, str] | None) -> float | None:
    value = (headers or {}).get("retry-after")
    try:
        return None if value is None else max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff


def sdk_error(
    exc: Exception, model_id: str, status_code: int | None, headers: Mapping[str, str] | None
) -> LLMError:
    """Map an SDK failure to a retryable or a final error (both SDKs share the status semantics).

    ``status_code`` is None for transport failures (timeouts, refused or dropped connections).
    """
    if status_code is None or status_code in (408, 409, 429) or status_code >= 500:
        return TransientLLMError(f"{type(exc).__name__}: {exc}", retry_after=_retry_after(headers))
    hint = {
        401: "check the API key (OPENAI_API_KEY / ANTHROPIC_API_KEY / MEMSPAN_LLM_API_KEY)",
        403: "the key is not allowed to use this model",
        404: "check the model name and base_url (MEMSPAN_LLM_MODEL / MEMSPAN_LLM_BASE_URL)",
    }.get(status_code, "the request was refused; see the provider's message")
    return LLMError(f"{model_id}: HTTP {status_code} {exc}; {hint}")
