"""Language models behind one port, and the one-call extractor that uses them.

Provider modules import their SDK only when a provider is built, so importing this package costs
nothing beyond memspan itself.
"""

from .anthropic_messages import AnthropicLLM
from .base import LLM, ChatMessage, Completion, LLMRequest, ProviderLLM, RetryPolicy, TransientLLMError
from .extractor import LLMExtractor
from .openai_chat import OpenAIChatLLM
from .resolve import llm_from_env, resolve_llm

__all__ = [
    "LLM",
    "AnthropicLLM",
    "ChatMessage",
    "Completion",
    "LLMExtractor",
    "LLMRequest",
    "OpenAIChatLLM",
    "ProviderLLM",
    "RetryPolicy",
    "TransientLLMError",
    "llm_from_env",
    "resolve_llm",
]
