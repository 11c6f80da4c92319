"""What ``Memory(llm=...)`` accepts, turned into an :class:`~memspan.llm.base.LLM`.

A provider name (``"openai"``, ``"anthropic:claude-haiku-4-5"``, ``"env"``), an LLM port instance,
or a model object from a host framework. Framework models are recognised by the module their class
comes from and wrapped by the adapter in that framework's integration package, imported only then:
``import memspan`` never imports a framework.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping

from ..errors import ValidationError
from .base import LLM

#: top-level module of a framework's classes → "module:adapter class" in memspan.integrations
FRAMEWORK_ADAPTERS: dict[str, str] = {
    "langchain_core": "memspan.integrations.langchain.models:LangChainLLM",
    "langchain": "memspan.integrations.langchain.models:LangChainLLM",
    "langchain_openai": "memspan.integrations.langchain.models:LangChainLLM",
    "langchain_anthropic": "memspan.integrations.langchain.models:LangChainLLM",
    "llama_index": "memspan.integrations.llamaindex.models:LlamaIndexLLM",
    "autogen_core": "memspan.integrations.autogen.models:AutoGenLLM",
    "autogen_ext": "memspan.integrations.autogen.models:AutoGenLLM",
    "crewai": "memspan.integrations.crewai.models:CrewAILLM",
}
PROVIDERS = ("openai", "anthropic")


def llm_from_env(environ: Mapping[str, str] | None = None) -> LLM:
    """The provider the environment describes.

    ``MEMSPAN_LLM_PROVIDER`` (openai | anthropic) decides; without it an OpenAI-compatible endpoint
    is used when ``MEMSPAN_LLM_BASE_URL`` or ``OPENAI_API_KEY`` is set, else Anthropic when
    ``ANTHROPIC_API_KEY`` is. Model, key, base URL and timeout are read by the provider itself.
    """
    env = os.environ if environ is None else environ
    provider = (env.get("MEMSPAN_LLM_PROVIDER") or "").strip().lower()
    if not provider:
        if env.get("MEMSPAN_LLM_BASE_URL") or env.get("OPENAI_API_KEY"):
            provider = "openai"
        elif env.get("ANTHROPIC_API_KEY"):
            provider = "anthropic"
        else:
            raise ValidationError(
                "no language model configured: set MEMSPAN_LLM_BASE_URL (any OpenAI-compatible server), "
                "OPENAI_API_KEY or ANTHROPIC_API_KEY, or pass llm= a provider or a framework model"
            )
    return provider_llm(provider, environ=env)


def provider_llm(provider: str, model: str | None = None, *, environ: Mapping[str, str] | None = None) -> LLM:
    if provider == "openai":
        from .openai_chat import OpenAIChatLLM

        return OpenAIChatLLM(model, environ=environ)
    if provider == "anthropic":
        from .anthropic_messages import AnthropicLLM

        return AnthropicLLM(model, environ=environ)
    raise ValidationError(f"unknown LLM provider {provider!r}; use one of {', '.join(PROVIDERS)}")


def _framework_adapter(model: object) -> str | None:
    for cls in type(model).__mro__:
        root = cls.__module__.split(".")[0]
        if root in FRAMEWORK_ADAPTERS:
            return FRAMEWORK_ADAPTERS[root]
    return None


def resolve_llm(model: object) -> LLM:
    """An LLM port for whatever the caller passed as ``llm=``."""
    if isinstance(model, LLM):
        return model
    if isinstance(model, str):
        name, _, model_name = model.partition(":")
        if name.strip().lower() == "env":
            return llm_from_env()
        return provider_llm(name.strip().lower(), model_name.strip() or None)
    target = _framework_adapter(model)
    if target is None:
        raise ValidationError(
            f"llm= got a {type(model).__name__}; pass a memspan.llm.LLM, 'openai[:model]', "
            "'anthropic[:model]', 'env', or a LangChain / LlamaIndex / AutoGen / CrewAI model"
        )
    module_name, _, class_name = target.partition(":")
    adapter: type[LLM] = getattr(importlib.import_module(module_name), class_name)
    return adapter(model)  # type: ignore[call-arg]
