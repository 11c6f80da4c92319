"""Any OpenAI-compatible chat-completions endpoint, through the ``openai`` SDK.

One class covers OpenAI itself and everything that speaks its protocol behind a ``base_url``:
Ollama (``http://localhost:11434/v1``), vLLM, LM Studio, Groq, Together, DeepSeek. Azure OpenAI
needs its own client class: build ``openai.AzureOpenAI(...)`` and pass it as ``client=``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Literal

from ..errors import LLMError, ValidationError
from ..types import Usage
from .base import Completion, LLMRequest, RetryPolicy
from .sdk import SDKProviderLLM

ResponseFormat = Literal["json_schema", "json_object", "text"]
DEFAULT_OPENAI_MODEL = "gpt-4o-mini"


class OpenAIChatLLM(SDKProviderLLM):
    """Chat completions over the OpenAI protocol.

    Unset arguments come from the environment: ``MEMSPAN_LLM_MODEL``, ``MEMSPAN_LLM_BASE_URL``,
    ``MEMSPAN_LLM_API_KEY`` (else ``OPENAI_API_KEY``), ``MEMSPAN_LLM_TIMEOUT`` (seconds).
    ``response_format`` asks the server for JSON: ``json_object`` is understood by nearly every
    compatible server, ``json_schema`` (structured outputs) by OpenAI and vLLM, ``text`` by all.
    """

    sdk_module, sdk_extra = "openai", "openai"
    sync_client_class, async_client_class = "OpenAI", "AsyncOpenAI"

    def __init__(
        self,
        model: str | None = None,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float | None = None,
        temperature: float | None = None,
        response_format: ResponseFormat | None = None,
        retry: RetryPolicy | None = None,
        client: Any = None,
        async_client: Any = None,
        environ: Mapping[str, str] | None = None,
        extra_body: dict[str, Any] | None = None,
    ):
        env = os.environ if environ is None else environ
        base_url = base_url or env.get("MEMSPAN_LLM_BASE_URL") or None
        model = model or env.get("MEMSPAN_LLM_MODEL") or (None if base_url else DEFAULT_OPENAI_MODEL)
        if model is None:
            raise ValidationError(
                f"no model named for {base_url}: pass model= or set MEMSPAN_LLM_MODEL (e.g. llama3.1:8b for Ollama)"
            )
        self.model = model
        self.model_id = f"openai-compatible:{model}"
        self.temperature = temperature
        chosen = response_format or env.get("MEMSPAN_LLM_RESPONSE_FORMAT") or "json_object"
        if chosen not in ("json_schema", "json_object", "text"):
            raise ValidationError(f"response_format must be json_schema, json_object or text, got {chosen!r}")
        self.response_format: ResponseFormat = chosen  # type: ignore[assignment]
        self.extra_body = extra_body
        api_key = api_key or env.get("MEMSPAN_LLM_API_KEY") or env.get("OPENAI_API_KEY")
        if api_key is None and client is None:
            if base_url is None:
                raise ValidationError(
                    "no API key for OpenAI: set OPENAI_API_KEY, pass api_key=, or point base_url= "
                    "(MEMSPAN_LLM_BASE_URL) at a local server such as Ollama"
                )
            api_key = "unused"  # local servers ignore it, the SDK insists on one
        super().__init__(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout if timeout is not None else float(env.get("MEMSPAN_LLM_TIMEOUT", "60")),
            retry=retry,
            client=client,
            async_client=async_client,
        )

    def _endpoint(self, client: Any) -> Any:
        return client.chat.completions.create

    def _arguments(self, request: LLMRequest) -> dict[str, Any]:
        args: dict[str, Any] = {"model": self.model, "messages": [dict(m) for m in request.messages]}
        # OpenAI's newer models only accept max_completion_tokens; compatible servers know max_tokens
        official = self.base_url is None or "api.openai.com" in self.base_url
        args["max_completion_tokens" if official else "max_tokens"] = request.max_tokens
        if self.temperature is not None:
            args["temperature"] = self.temperature
        if request.json_schema is not None and self.response_format == "json_schema":
            schema = {"name": "memspan_reply", "schema": dict(request.json_schema), "strict": False}
            args["response_format"] = {"type": "json_schema", "json_schema": schema}
        elif request.json_schema is not None and self.response_format == "json_object":
            args["response_format"] = {"type": "json_object"}
        if self.extra_body:
            args["extra_body"] = self.extra_body
        return args

    def _completion(self, response: Any) -> Completion:
        if not response.choices:
            raise LLMError(f"{self.model_id} returned no choices")
        text = response.choices[0].message.content or ""
        usage = response.usage
        return Completion(
            text,
            Usage(
                llm_calls=1,
                prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
                completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
            ),
        )
