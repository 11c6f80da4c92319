"""The offline extractor stores only memories: every fact kept, no question, request, greeting,
thanks or acknowledgement, in each of the seven languages of the personal-memory benchmark.

The lists in ``data/utterances.json`` are written per language, natively: facts users tell an
assistant (a few with their subject left out, or opening with a word that also asks, like "When I
was a kid…"), and what is not a memory. Both directions are tested, so a rule that starts dropping
facts fails here as surely as one that lets questions through.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from memspan import Memory, MemoryType
from memspan.extract import RuleExtractor
from memspan.messages import normalize_messages
from memspan.ports import ExtractionRequest
from memspan.scope import Scope
from memspan.utterances import memorable

CASES: dict[str, dict[str, Any]] = json.loads(
    (Path(__file__).parent / "data" / "utterances.json").read_text(encoding="utf-8")
)
LANGUAGES = sorted(CASES)


def extracted(
    messages: list[dict[str, str]], scope: Scope, memory_type: MemoryType | None = None
) -> list[str]:
    request = ExtractionRequest(normalize_messages(messages), scope, memory_type, [], {})
    return [d.text for d in RuleExtractor(name_speakers=False).extract(request).decisions if d.text]


def test_every_language_has_both_lists() -> None:
    assert set(LANGUAGES) == {"en", "de", "es", "fr", "ja", "zh", "ko"}
    for lang, cases in CASES.items():
        assert len(cases["facts"]) >= 15 and len(cases["non_memories"]) >= 15, lang


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_fact_is_dropped_or_changed(lang: str) -> None:
    changed = {fact: memorable(fact) for fact in CASES[lang]["facts"] if memorable(fact) != fact}
    assert changed == {}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_questions_requests_greetings_and_thanks_are_not_memories(lang: str) -> None:
    kept = {text: memorable(text) for text in CASES[lang]["non_memories"] if memorable(text) is not None}
    assert kept == {}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_fact_inside_a_question_or_request_keeps_its_fact_part(lang: str) -> None:
    got = [(text, memorable(text)) for text, _ in CASES[lang]["mixed"]]
    assert got == [tuple(pair) for pair in CASES[lang]["mixed"]]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_an_assistants_greetings_questions_and_acknowledgements_are_not_memories(lang: str) -> None:
    kept = [text for text in CASES[lang]["assistant"] if memorable(text, keep="advice")]
    assert kept == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_transcript_keeps_every_fact_and_nothing_else(lang: str) -> None:
    """One conversation per language: the user's facts and non-memories interleaved, each answered
    by the assistant, in a scope naming an agent (so the assistant's turns are candidates too)."""
    facts, others, replies = (CASES[lang][key] for key in ("facts", "non_memories", "assistant"))
    messages: list[dict[str, str]] = []
    for i, fact in enumerate(facts):
        messages.append({"role": "user", "content": others[i % len(others)]})
        messages.append({"role": "assistant", "content": replies[i % len(replies)]})
        messages.append({"role": "user", "content": fact})
    stored = extracted(messages, Scope.of("u", "concierge", None))
    assert stored == facts


def test_question_marks_of_every_script() -> None:
    assert memorable("Is the museum open on Mondays?") is None
    assert memorable("美術館は月曜日に開いていますか？") is None
    assert memorable("¿Abre el museo los lunes?") is None
    assert memorable("Abre el museo los lunes, ¿no?") == "Abre el museo los lunes"
    assert memorable("Really?! I thought so 🙂") == "I thought so 🙂"


def test_text_with_nothing_to_drop_comes_back_as_written() -> None:
    text = "My doctor is Dr. Patel.\nShe works at St. Mary's, near the park; I see her in May."
    assert memorable(text) == text


def test_procedural_memories_keep_their_instructions() -> None:
    how_to = [
        {"role": "user", "content": "Check the logs first, then restart the worker. What's next?"},
        {"role": "assistant", "content": "Noted."},
    ]
    assert extracted(how_to, Scope.of(None, "ops-bot", None), MemoryType.PROCEDURAL) == [
        "Check the logs first, then restart the worker."
    ]
    assert extracted(how_to, Scope.of(None, "ops-bot", None)) == []


def test_a_lone_note_keeps_its_conventions_but_a_users_turn_is_a_request() -> None:
    """A note handed to add on its own (an agent's save tool, the MCP server) is kept as written;
    the same words in a conversation ask the assistant to act. Polite requests never are notes."""
    note = "Check the CI status before merging to main."
    assert extracted([{"role": "user", "content": note}], Scope.of("u", None, None)) == [note]
    chat = [{"role": "user", "content": note}, {"role": "assistant", "content": "Sure!"}]
    assert extracted(chat, Scope.of("u", None, None)) == []
    polite = [{"role": "user", "content": "Could you check the CI status before merging?"}]
    assert extracted(polite, Scope.of("u", None, None)) == []
    assert extracted([{"role": "user", "content": "CIを確認してください。"}], Scope.of("u", None, None)) == []


def test_remember_requests_keep_the_fact_and_drop_the_wrapper() -> None:
    assert memorable("Please remember that my anniversary is June 5.") == "my anniversary is June 5."
    assert memorable("Remember that.") is None
    assert memorable("请记住我对猫过敏。") == "我对猫过敏。"


def test_memory_add_stores_only_the_facts_of_a_chat(memory: Memory) -> None:
    chat = [
        {"role": "user", "content": "Hi there"},
        {"role": "assistant", "content": "Hello! How can I help you today?"},
        {"role": "user", "content": "What should I cook tonight? I hate olives and I'm vegetarian."},
        {"role": "assistant", "content": "Noted! How about a mushroom risotto?"},
        {"role": "user", "content": "Thanks!"},
    ]
    result = memory.add(chat, user_id="maya", agent_id="concierge")
    assert [c.item.text for c in result.changes] == ["I hate olives and I'm vegetarian."]
    hits = memory.search("food restrictions", user_id="maya")
    assert hits.texts() == ["I hate olives and I'm vegetarian."]


PERSONAL_SET = Path(__file__).parents[1] / "benchmarks" / "personal"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_personal_memory_benchmark_facts_are_kept_and_its_questions_dropped(lang: str) -> None:
    """The benchmark's facts were written by someone else, for retrieval: a second, independent list."""
    path = PERSONAL_SET / f"{lang}.json"
    if not path.exists():
        pytest.skip(f"{path.name} of the personal-memory set is not in this checkout")
    users = json.loads(path.read_text(encoding="utf-8"))["users"]
    facts = [fact["text"] for user in users for fact in user["facts"]]
    questions = [question["text"] for user in users for question in user["questions"]]
    assert [fact for fact in facts if memorable(fact) != fact] == []
    assert [question for question in questions if memorable(question) is not None] == []
