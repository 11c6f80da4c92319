"""The refinements after fusion (memspan.retrieval), on a real store with the real embedder."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

import pytest

from memspan import Memory
from memspan.pipeline import Settings
from memspan.ports import Embedder, EmbedKind, Vector
from memspan.retrieval import Retrieval
from memspan.scope import Scope

START = datetime(2023, 5, 8, 13, 0, tzinfo=timezone.utc)


def _session(memory: Memory, run: str, texts: list[str], start: datetime = START) -> None:
    memory.add(
        [
            {
                "role": "user",
                "content": t,
                "id": f"{run}:{i}",
                "created_at": (start + timedelta(seconds=i)).isoformat(),
            }
            for i, t in enumerate(texts)
        ],
        user_id="ana",
        run_id=run,
        infer=False,
    )


CHAT = [
    "Bo: I went to a poetry reading last night.",
    "Ana: Nice! What was it about?",
    "Bo: Stories of people finding their own voice, told in verse.",
    "Ana: I baked bread this morning.",
]


def test_the_turn_after_a_hit_joins_the_results_and_scores_stay_similarities(memory: Memory) -> None:
    _session(memory, "s1", CHAT)
    plain = Memory(memory.store, embedder=memory.embedder, settings=Settings(retrieval=Retrieval.baseline()))
    query = "What was the poetry reading about?"
    refined = memory.search(query, user_id="ana", limit=3, explain=True).results
    assert "s1:2" in {s for m in refined for s in m.source_ids}
    for item in refined:
        assert item.score is not None and 0.0 <= item.score <= 1.0
    brought = [m for m in refined if (m.score_details or {}).get("neighbour_of")]
    assert brought, "a neighbour should say which hit brought it"
    baseline_ids = [m.id for m in plain.search(query, user_id="ana", limit=10).results]
    assert all(
        "neighbour_of" not in (m.score_details or {})
        for m in plain.search(query, user_id="ana", explain=True).results
    )
    assert baseline_ids  # the baseline still answers, without expansion


def test_neighbours_come_from_the_same_run_and_respect_filters(memory: Memory) -> None:
    _session(memory, "s1", CHAT)
    _session(memory, "s2", ["Bo: poetry is my thing", "Ana: unrelated words about tax forms"])
    results = memory.search("poetry reading", user_id="ana", run_id="s2", limit=10).results
    assert {m.run_id for m in results} == {"s2"}
    filtered = memory.search(
        "poetry reading",
        user_id="ana",
        filters={"created_at": {"lt": (START + timedelta(seconds=1)).isoformat()}},
        limit=10,
    )
    assert all(m.created_at < (START + timedelta(seconds=1)).isoformat() for m in filtered.results)


def test_a_dated_question_favours_memories_from_that_month(memory: Memory) -> None:
    _session(memory, "may", ["Ana: I volunteer at the library."], START)
    _session(
        memory, "aug", ["Ana: I volunteer at the animal shelter."], datetime(2023, 8, 2, tzinfo=timezone.utc)
    )
    top = memory.search(
        "Where did Ana volunteer in August 2023?", user_id="ana", limit=1, explain=True
    ).results[0]
    assert top.run_id == "aug" and top.score_details is not None and "dated" in top.score_details


def test_a_when_question_favours_memories_that_mention_a_time(memory: Memory) -> None:
    _session(memory, "s1", ["Ana: the marathon was great fun", "Ana: I ran the marathon last Saturday"])
    top = memory.search("When did Ana run the marathon?", user_id="ana", limit=1, explain=True).results[0]
    assert "last Saturday" in top.text


@pytest.mark.parametrize("bad", [{"neighbours": -1}, {"next_weight": 1.5}, {"temporal": -0.1}])
def test_bad_retrieval_settings_are_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        Retrieval(**bad)  # type: ignore[arg-type]


class _Recording(Embedder):
    """The real embedder, remembering which query texts it was asked to embed."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.queries: list[str] = []

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    def embed(self, texts: Sequence[str], *, kind: EmbedKind = "document") -> Vector:
        if kind == "query":
            self.queries.extend(texts)
        return self.inner.embed(texts, kind=kind)


MAYA = [
    "Maya: I moved to Lisbon last spring.",
    "Leo: Thanks, Maya!",
    "Maya: My sister plays the cello.",
    "Leo: Good to hear.",
    "Maya: Pottery class is my weekly treat.",
]


def test_a_name_most_memories_contain_is_not_embedded_but_still_searched(memory: Memory) -> None:
    _session(memory, "s1", MAYA)
    recording = _Recording(memory.embedder)
    watched = Memory(memory.store, embedder=recording)  # type: ignore[arg-type]
    results = watched.search("Where did Maya move to?", user_id="ana", limit=2, explain=True).results
    assert recording.queries == ["Where did move to?"]
    assert "Lisbon" in results[0].text
    assert results[0].score_details and "keyword" in results[0].score_details  # the keyword side saw "Maya"
    recording.queries.clear()
    watched.search("What does Maya do?", user_id="ana")  # nothing would be left: the name stays
    watched.search("What happened in Lisbon?", user_id="ana")  # a rare name stays
    assert recording.queries == ["What does Maya do?", "What happened in Lisbon?"]


def test_names_are_counted_within_the_scope_only(memory: Memory) -> None:
    _session(memory, "s1", MAYA)
    memory.add("Maya Maya Maya", user_id="someone-else", infer=False)
    counts = memory.store.term_counts(Scope("ana", None, None), ["maya", "lisbon", "paris"])
    assert counts == (5, {"maya": 4, "lisbon": 1, "paris": 0})
    assert memory.store.term_counts(Scope("nobody", None, None), ["maya"]) == (0, {"maya": 0})
    memory.delete(memory.get_all(user_id="ana")[0].id)
    assert memory.store.term_counts(Scope("ana", None, None), ["maya"])[0] == 4  # live memories only
    memory.delete_all(user_id="ana")
    assert memory.store.term_counts(Scope("ana", None, None), ["maya"]) == (0, {"maya": 0})


def test_the_baseline_embeds_the_query_as_given(memory: Memory) -> None:
    _session(memory, "s1", MAYA)
    recording = _Recording(memory.embedder)
    plain = Memory(memory.store, embedder=recording, settings=Settings(retrieval=Retrieval.baseline()))  # type: ignore[arg-type]
    plain.search("Where did Maya move to?", user_id="ana")
    assert recording.queries == ["Where did Maya move to?"]
    with pytest.raises(ValueError, match="common_names"):
        Retrieval(common_names=0)


def test_memories_of_one_add_are_neighbours_in_the_order_they_were_said(memory: Memory) -> None:
    # one add stamps its memories with one time: the order of the messages must still decide
    # which is before and which is after (it did not, when ties fell back on random ids)
    for user in ("u1", "u2", "u3", "u4"):
        said = [
            "Ana: Bought apples at the market.",
            "Bo: A poetry reading last night.",
            "Ana: Tax forms are due.",
        ]
        memory.add([{"role": "user", "content": t} for t in said], user_id=user, run_id="s", infer=False)
        top, *rest = memory.search("poetry reading", user_id=user, limit=3, explain=True).results
        assert top.text == said[1]
        scores = {m.text: m.score for m in rest}
        assert scores[said[2]] == pytest.approx(top.score * Retrieval().next_weight)  # type: ignore[operator]
        assert scores[said[0]] == pytest.approx(top.score * Retrieval().previous_weight)  # type: ignore[operator]


def test_facts_told_in_one_session_bring_no_neighbours(memory: Memory) -> None:
    # unrelated facts of one add are not a conversation: the one that answers stays alone on top
    facts = ["I am vegetarian.", "My sister lives in Brno.", "I work night shifts at the hospital."]
    memory.add([{"role": "user", "content": t} for t in facts], user_id="f", run_id="s", infer=False)
    found = memory.search("Where does my sister live?", user_id="f", limit=3, explain=True).results
    assert found[0].text == facts[1]
    assert not any((m.score_details or {}).get("neighbour_of") for m in found)


def test_a_keyword_match_on_one_common_word_does_not_outrank_the_answer(memory: Memory) -> None:
    facts = [
        "I can't stand cilantro in any dish.",
        "My favourite food blog is about sourdough.",
        "Food trucks near the office close at three.",
        "I walk the dog every morning.",
    ]
    memory.add(facts, user_id="k", infer=False)
    found = memory.search("Which herb do I hate?", user_id="k", limit=4, explain=True).results
    assert found[0].text == facts[0]
    shared = memory.search("food I dislike", user_id="k", limit=4, explain=True).results
    keyword = {m.text: (m.score_details or {}).get("keyword", 0.0) for m in shared}
    assert 0 < keyword[facts[1]] < 1  # one word of two: partial evidence, not the query's "best match = 1"


def test_german_nouns_are_not_names_and_cjk_queries_have_none(memory: Memory) -> None:
    from memspan.text import names

    assert names("Wo arbeitet meine Schwester als Krankenschwester?") == []
    assert names("我的姐姐住在哪里？") == []
    assert names("¿Dónde vive Ana?") == ["Ana"]
