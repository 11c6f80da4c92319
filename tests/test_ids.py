"""Memory ids sort in the order the memories were made, and equal scores rank that way (memspan.ids)."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

from memspan import Memory
from memspan.ids import new_memory_id
from memspan.pipeline import Settings
from memspan.ports import Embedder
from memspan.retrieval import FusionWeights, Retrieval


def test_ids_are_version_7_uuids_in_the_order_they_were_made() -> None:
    ids = [new_memory_id() for _ in range(20_000)]  # many within one millisecond
    parsed = [uuid.UUID(value) for value in ids]
    assert {(u.version, u.variant) for u in parsed} == {(7, uuid.RFC_4122)}
    assert all(str(u) == value for u, value in zip(parsed, ids, strict=True))
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


def test_ids_made_by_several_threads_at_once_are_unique_and_each_thread_sees_them_rise() -> None:
    made: list[list[str]] = [[] for _ in range(4)]
    start = threading.Barrier(4)

    def make(out: list[str]) -> None:
        start.wait()
        out.extend(new_memory_id() for _ in range(5_000))

    threads = [threading.Thread(target=make, args=(out,)) for out in made]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(out == sorted(out) for out in made)
    assert len({value for out in made for value in out}) == 20_000


def test_equal_scores_come_back_in_the_order_the_memories_were_made(tmp_path: Path, embedder: Embedder) -> None:
    keyword_only = Settings(fusion=FusionWeights(dense=0.0, keyword=1.0), retrieval=Retrieval.baseline())
    texts = [f"The {colour} kite flew over the hill." for colour in ("red", "blue", "green", "yellow", "white")]
    with Memory(tmp_path / "m.db", embedder=embedder, settings=keyword_only) as memory:
        for text in texts:
            memory.add(text, user_id="u", infer=False)
        found = memory.search("kite hill", user_id="u", limit=5)
        scores = {hit.score for hit in found}
        assert len(scores) == 1  # every memory matches both words equally: a tie
        assert [hit.text for hit in found] == texts
