"""Claude through the ``anthropic`` SDK's messages API.

The messages API takes the system prompt apart from the turns and always needs ``max_tokens``;
JSON is asked for in the prompt and checked by the caller (the extractor validates every reply).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from ..errors import ValidationError
from ..types import Usage
from .base import Completion, LLMRequest, RetryPolicy
from .sdk import SDKProviderLLM

DEFAULT_ANTHROPIC_MODEL = "claude-haiku-4-5"


class AnthropicLLM(SDKProviderLLM):
    """Claude models. Unset arguments come from ``MEMSPAN_LLM_MODEL``, ``MEMSPAN_LLM_BASE_URL``,
    ``MEMSPAN_LLM_API_KEY`` (else ``ANTHROPIC_API_KEY``) and ``MEMSPAN_LLM_TIMEOUT``."""

    sdk_module, sdk_extra = "anthropic", "anthropic"
    sync_client_class, async_client_class = "Anthropic", "AsyncAnthropic"

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
        env = os.environ if environ is None else environ
        self.model = model or env.get("MEMSPAN_LLM_MODEL") or DEFAULT_ANTHROPIC_MODEL
        self.model_id = f"anthropic:{self.model}"
        self.temperature = temperature
        api_key = api_key or env.get("MEMSPAN_LLM_API_KEY") or env.get("ANTHROPIC_API_KEY")
        if api_key is None and client is None:
            raise ValidationError("no API key for Anthropic: set ANTHROPIC_API_KEY or pass api_key=")
        super().__init__(
            api_key=api_key,
            base_url=base_url or env.get("MEMSPAN_LLM_BASE_URL") or None,
            timeout=timeout if timeout is not None else float(env.get("MEMSPAN_LLM_TIMEOUT", "60")),
            retry=retry,
            client=client,
            async_client=async_client,
        )

    def _endpoint(self, client: Any) -> Any:
        return client.messages.create

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
