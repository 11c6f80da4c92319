"""The deterministic parts around the model: reading replies, refusing secrets, fixing dates,
choosing a provider from the environment."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timezone

import pytest

from memspan.errors import ValidationError
from memspan.llm import AnthropicLLM, OpenAIChatLLM, llm_from_env, resolve_llm
from memspan.llm.guards import find_secret, resolve_relative_dates
from memspan.llm.reply import ReplyError, parse_reply

# -- replies -----------------------------------------------------------------------------------


def test_reply_forgives_harmless_deviations() -> None:
    entries = parse_reply(
        'Here you go: [{"event": "none", "id": "2"}, {"action": "add", "memory": " Likes tea ", '
        '"sources": 0, "type": "Semantic_Memory"}] trailing words'
    )
    assert [(e.action, e.ref, e.text, e.sources, e.memory_type) for e in entries] == [
        ("NOOP", 2, None, (), None),
        ("ADD", None, "Likes tea", (0,), "semantic"),
    ]


@pytest.mark.parametrize(
    ("reply", "problem"),
    [
        ("", "empty"),
        ("no json here", "no JSON object"),
        ('{"memories": [', "not valid JSON"),
        ('{"facts": []}', 'no "memories" list'),
        ('{"memories": [{"action": "MERGE"}]}', "action must be one of"),
        ('{"memories": [{"action": "ADD"}]}', "ADD but has no text"),
        ('{"memories": [{"action": "DELETE"}]}', "names no ref"),
        ('{"memories": [{"action": "UPDATE", "ref": 1.5, "text": "x"}]}', "ref must be an integer"),
        ('{"memories": [{"action": "NOOP", "ref": true}]}', "ref must be an integer"),
    ],
)
def test_reply_errors_say_what_to_fix(reply: str, problem: str) -> None:
    with pytest.raises(ReplyError, match=problem):
        parse_reply(reply)


# -- secrets -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Visa 4111-1111-1111-1111 expires 12/27", "payment card"),
        ("card 5555555555554444", "payment card"),
        ("IBAN GB82 WEST 1234 5698 7654 32", "IBAN"),
        ("key sk-proj-abcdefghijklmnop1234567890", "API key"),
        ("AKIAIOSFODNN7EXAMPLE is the access key", "AWS"),
        ("token ghp_" + "a" * 36, "GitHub"),
        ("-----BEGIN RSA PRIVATE KEY-----", "private key"),
        ("Her wifi password is: blue-falcon-77", "password"),
        ("The PIN is 4821", "password or PIN"),
    ],
)
def test_secrets_are_found(text: str, kind: str) -> None:
    found = find_secret(text)
    assert found is not None and kind.lower() in found.lower()


@pytest.mark.parametrize(
    "text",
    [
        "Was born on 1990-04-12 and has 3 kids",
        "Order number 4111111111111112 arrived",  # fails Luhn
        "Phone number is +1 415 555 0100",
        "Forgot her password last week",
        "Ran 10,000,000 steps in 2023",
    ],
)
def test_ordinary_facts_are_not_mistaken_for_secrets(text: str) -> None:
    assert find_secret(text) is None


# -- dates -------------------------------------------------------------------------------------

SAID = datetime(2023, 5, 8, 13, 56, tzinfo=timezone.utc)  # a Monday


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Went hiking yesterday", "Went hiking on 2023-05-07"),
        ("Yesterday she ran a 5k", "On 2023-05-07 she ran a 5k"),
        ("Has a dentist appointment tomorrow", "Has a dentist appointment on 2023-05-09"),
        ("Adopted a dog 3 days ago", "Adopted a dog on 2023-05-05"),
        ("Started a new job two weeks ago", "Started a new job on 2023-04-24"),
        ("Visited Rome last year", "Visited Rome in 2022"),
        ("Moved house last month", "Moved house the month before 2023-05-08"),
        ("Lives in Tokyo", "Lives in Tokyo"),
    ],
)
def test_relative_dates_become_absolute(text: str, expected: str) -> None:
    assert resolve_relative_dates(text, SAID) == expected


# -- configuration -----------------------------------------------------------------------------


def test_provider_is_chosen_from_the_environment() -> None:
    local = llm_from_env(
        {"MEMSPAN_LLM_BASE_URL": "http://127.0.0.1:11434/v1", "MEMSPAN_LLM_MODEL": "llama3.1"}
    )
    assert isinstance(local, OpenAIChatLLM)
    claude = llm_from_env({"ANTHROPIC_API_KEY": "k"})
    assert isinstance(claude, AnthropicLLM)
    with pytest.raises(ValidationError, match="no language model configured"):
        llm_from_env({})
    with pytest.raises(ValidationError, match="unknown LLM provider"):
        llm_from_env({"MEMSPAN_LLM_PROVIDER": "cohere"})


def test_environment_values_configure_the_openai_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEMSPAN_LLM_BASE_URL", "http://127.0.0.1:8000/v1")
    monkeypatch.setenv("MEMSPAN_LLM_MODEL", "qwen2.5")
    monkeypatch.setenv("MEMSPAN_LLM_TIMEOUT", "7.5")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    llm = OpenAIChatLLM()
    assert (llm.model, llm.base_url, llm.timeout) == ("qwen2.5", "http://127.0.0.1:8000/v1", 7.5)
    monkeypatch.delenv("MEMSPAN_LLM_BASE_URL")
    monkeypatch.delenv("MEMSPAN_LLM_MODEL")
    with pytest.raises(ValidationError, match="OPENAI_API_KEY"):
        OpenAIChatLLM()


def test_resolve_accepts_provider_names_and_refuses_strangers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    monkeypatch.delenv("MEMSPAN_LLM_MODEL", raising=False)
    assert resolve_llm("anthropic:claude-x").model_id == "anthropic:claude-x"
    with pytest.raises(ValidationError, match=r"pass a memspan\.llm\.LLM"):
        resolve_llm(object())


def test_importing_memspan_imports_no_sdk_or_framework() -> None:
    code = (
        "import sys, memspan, memspan.llm;"
        "heavy = [m for m in ('openai', 'anthropic', 'langchain_core', 'llama_index', 'autogen_core', 'crewai')"
        " if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
