"""The scripted model server's OpenAI Responses API, read through the real ``openai`` SDK (and, in
tests/test_docs.py, through the OpenAI Agents SDK and pydantic-ai, which use it by default)."""

from __future__ import annotations

import pytest

from memspan.llm.scripted import ScriptedChatServer, Stall, Status

openai = pytest.importorskip("openai")


def client(server: ScriptedChatServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.openai_url, api_key="sk-scripted", max_retries=0, timeout=5)


def test_a_response_carries_the_scripted_text_and_usage() -> None:
    with ScriptedChatServer(["It is 12 degrees.", lambda r: f"{len(r.messages)} turns"]) as server:
        first = client(server).responses.create(
            model="gpt-4o-mini", instructions="Answer briefly.", input="How cold is it?"
        )
        second = client(server).responses.create(
            model="gpt-4o-mini",
            input=[
                {"role": "user", "content": [{"type": "input_text", "text": "Weather?"}]},
                {"type": "function_call", "call_id": "c1", "name": "weather", "arguments": "{}"},
                {"type": "function_call_output", "call_id": "c1", "output": "12 degrees"},
            ],
        )
    assert first.output_text == "It is 12 degrees." and first.status == "completed"
    assert first.usage is not None and first.usage.output_tokens == len("It is 12 degrees.") // 4
    assert first.usage.total_tokens == first.usage.input_tokens + first.usage.output_tokens
    assert second.output_text == "2 turns"
    asked, followed = server.requests
    assert (asked.protocol, asked.model) == ("openai-responses", "gpt-4o-mini")
    assert asked.messages == [
        {"role": "system", "content": "Answer briefly."},
        {"role": "user", "content": "How cold is it?"},
    ]
    assert followed.messages == [
        {"role": "user", "content": "Weather?"},
        {"role": "tool", "content": "12 degrees"},
    ]


def test_errors_stalls_streaming_and_an_empty_script_are_refused_as_the_api_would() -> None:
    with ScriptedChatServer([Status(429, "slow down", {"Retry-After": "1"}), Stall(2)]) as server:
        with pytest.raises(openai.RateLimitError, match="slow down"):
            client(server).responses.create(model="m", input="hi")
        impatient = openai.OpenAI(base_url=server.openai_url, api_key="k", max_retries=0, timeout=0.3)
        with pytest.raises(openai.APITimeoutError):
            impatient.responses.create(model="m", input="hi")
        with pytest.raises(openai.BadRequestError, match="does not stream"):
            client(server).responses.create(model="m", input="hi", stream=True)
        with pytest.raises(openai.APIStatusError, match="script is exhausted") as exhausted:
            client(server).responses.create(model="m", input="hi")
    assert exhausted.value.status_code == 418
