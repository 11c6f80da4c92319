"""What the SDK-backed providers share: lazy clients, one attempt through the SDK, error mapping.

The ``openai`` and ``anthropic`` SDKs are built alike: a sync and an async client class taking
``api_key``, ``base_url``, ``timeout`` and ``max_retries``, one ``APIError`` family carrying the HTTP
status, and a ``create`` method per endpoint. A provider names its SDK, points at the endpoint, and
translates a request and a response; everything else is here. The SDK's own retries are switched off
so that :class:`~memspan.llm.base.RetryPolicy` is the only one (retries stacked on retries multiply
the wait).
"""

from __future__ import annotations

import importlib
from abc import abstractmethod
from typing import Any, ClassVar

from ..errors import LLMError, ValidationError
from .base import Completion, LLMRequest, ProviderLLM, RetryPolicy, sdk_error


class SDKProviderLLM(ProviderLLM):
    """A provider that calls one endpoint of a vendor SDK (see the module docstring)."""

    #: how the SDK is imported and installed, and its client classes
    sdk_module: ClassVar[str]
    sdk_extra: ClassVar[str]
    sync_client_class: ClassVar[str]
    async_client_class: ClassVar[str]

    def __init__(
        self,
        *,
        api_key: str | None,
        base_url: str | None,
        timeout: float,
        retry: RetryPolicy | None,
        client: Any,
        async_client: Any,
    ):
        super().__init__(retry=retry)
        self.base_url = base_url
        self.timeout = timeout
        self._api_key = api_key
        self._client = client
        self._async_client = async_client

    @classmethod
    def sdk(cls) -> Any:
        try:
            return importlib.import_module(cls.sdk_module)
        except ImportError as exc:
            raise ValidationError(
                f"the {cls.sdk_module} provider needs its SDK: pip install 'memspan[{cls.sdk_extra}]'"
            ) from exc

    def _client_kwargs(self) -> dict[str, Any]:
        return {
            "api_key": self._api_key,
            "base_url": self.base_url,
            "timeout": self.timeout,
            "max_retries": 0,
        }

    @property
    def client(self) -> Any:
        """The SDK's blocking client (made on first use, or the one passed in)."""
        if self._client is None:
            self._client = getattr(self.sdk(), self.sync_client_class)(**self._client_kwargs())
        return self._client

    @property
    def async_client(self) -> Any:
        """The SDK's async client (made on first use, or the one passed in)."""
        if self._async_client is None:
            self._async_client = getattr(self.sdk(), self.async_client_class)(**self._client_kwargs())
        return self._async_client

    @abstractmethod
    def _endpoint(self, client: Any) -> Any:
        """The SDK method one attempt calls on ``client`` (``client.messages.create``...)."""

    @abstractmethod
    def _arguments(self, request: LLMRequest) -> dict[str, Any]:
        """The endpoint's keyword arguments for ``request``."""

    @abstractmethod
    def _completion(self, response: Any) -> Completion:
        """The text and token usage of the endpoint's response."""

    def _error(self, exc: Exception) -> LLMError:
        response = getattr(exc, "response", None)
        status = getattr(exc, "status_code", None)
        headers = dict(response.headers) if response is not None and status is not None else None
        return sdk_error(exc, self.model_id, status, headers)

    def send(self, request: LLMRequest) -> Completion:
        api_error = self.sdk().APIError
        try:
            response = self._endpoint(self.client)(**self._arguments(request))
        except api_error as exc:
            raise self._error(exc) from exc
        return self._completion(response)

    async def asend(self, request: LLMRequest) -> Completion:
        api_error = self.sdk().APIError
        try:
            response = await self._endpoint(self.async_client)(**self._arguments(request))
        except api_error as exc:
            raise self._error(exc) from exc
        return self._completion(response)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    async def aclose(self) -> None:
        self.close()
        if self._async_client is not None:
            await self._async_client.close()
