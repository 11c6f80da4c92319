"""Claude through the ``anthropic`` SDK's messages API.

The messages API takes the system prompt apart from the turns and always needs ``max_tokens``;
JSON is asked for in the prompt and checked by the caller (the extractor validates every reply).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from ..errors import LLMError, ValidationError
from ..types import Usage
from .base import Completion, LLMRequest, ProviderLLM, RetryPolicy, sdk_error

DEFAULT_ANTHROPIC_MODEL = "claude-haiku-4-5"


def _import_anthropic() -> Any:
    try:
        import anthropic
    except ImportError as exc:
        raise ValidationError(
            "the Anthropic provider needs the SDK: pip install 'memspan[anthropic]'"
        ) from exc
    return anthropic


class AnthropicLLM(ProviderLLM):
    """Claude models. Unset arguments come from ``MEMSPAN_LLM_MODEL``, ``MEMSPAN_LLM_BASE_URL``,
    ``MEMSPAN_LLM_API_KEY`` (else ``ANTHROPIC_API_KEY``) and ``MEMSPAN_LLM_TIMEOUT``."""

    def __init__(
        self,
        model: str | None = None,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float | None = None,
        temperature: float | None = None,
        retry: RetryPolicy | None = None,
        client: Any = None,
        async_client: Any = None,
        environ: Mapping[str, str] | None = None,
    ):
        super().__init__(retry=retry)
        env = os.environ if environ is None else environ
        self.model = model or env.get("MEMSPAN_LLM_MODEL") or DEFAULT_ANTHROPIC_MODEL
        self.model_id = f"anthropic:{self.model}"
        self.base_url = base_url or env.get("MEMSPAN_LLM_BASE_URL") or None
        self.timeout = timeout if timeout is not None else float(env.get("MEMSPAN_LLM_TIMEOUT", "60"))
        self.temperature = temperature
        api_key = api_key or env.get("MEMSPAN_LLM_API_KEY") or env.get("ANTHROPIC_API_KEY")
        if api_key is None and client is None:
            raise ValidationError("no API key for Anthropic: set ANTHROPIC_API_KEY or pass api_key=")
        self._api_key = api_key
        self._client = client
        self._async_client = async_client

    def _sdk_kwargs(self) -> dict[str, Any]:
        return {
            "api_key": self._api_key,
            "base_url": self.base_url,
            "timeout": self.timeout,
            "max_retries": 0,
        }

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = _import_anthropic().Anthropic(**self._sdk_kwargs())
        return self._client

    @property
    def async_client(self) -> Any:
        if self._async_client is None:
            self._async_client = _import_anthropic().AsyncAnthropic(**self._sdk_kwargs())
        return self._async_client

    def _arguments(self, request: LLMRequest) -> dict[str, Any]:
        system = "\n\n".join(m["content"] for m in request.messages if m["role"] == "system")
        turns = [
            {"role": m["role"], "content": m["content"]} for m in request.messages if m["role"] != "system"
        ]
        args: dict[str, Any] = {"model": self.model, "max_tokens": request.max_tokens, "messages": turns}
        if system:
            args["system"] = system
        if self.temperature is not None:
            args["temperature"] = self.temperature
        return args

    def _completion(self, response: Any) -> Completion:
        text = "".join(block.text for block in response.content if getattr(block, "type", None) == "text")
        usage = response.usage
        return Completion(
            text,
            Usage(
                llm_calls=1,
                prompt_tokens=int(getattr(usage, "input_tokens", 0) or 0),
                completion_tokens=int(getattr(usage, "output_tokens", 0) or 0),
            ),
        )

    def _error(self, exc: Exception) -> LLMError:
        response = getattr(exc, "response", None)
        status = getattr(exc, "status_code", None)
        headers = dict(response.headers) if response is not None and status is not None else None
        return sdk_error(exc, self.model_id, status, headers)

    def send(self, request: LLMRequest) -> Completion:
        anthropic = _import_anthropic()
        try:
            response = self.client.messages.create(**self._arguments(request))
        except anthropic.APIError as exc:
            raise self._error(exc) from exc
        return self._completion(response)

    async def asend(self, request: LLMRequest) -> Completion:
        anthropic = _import_anthropic()
        try:
            response = await self.async_client.messages.create(**self._arguments(request))
        except anthropic.APIError as exc:
            raise self._error(exc) from exc
        return self._completion(response)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
