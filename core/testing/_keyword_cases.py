"""Keyword search cases of the conformance suite: scope-local scores, every language.

Split from ``stores.py`` to keep it readable; :class:`~memspan.testing.StoreConformance` inherits
them, so every backend that runs the suite checks the same behaviour.
"""

from __future__ import annotations

import pytest

from .. import Memory
from ..embedders.hashing import HashingEmbedder
from ..keyword import query_terms, words_matched
from ..ports import MemoryStore
from ..scope import Scope

#: memories in several languages and the query (another wording) that must find each first
CJK_CASES = [
    ("我的姐姐住在布尔诺，是一名护士", "你姐姐住在什么地方？"),
    ("我每天早上喝绿茶", "早上喝什么茶"),
    ("私の弟は大阪の銀行で働いています", "弟さんはどこで働いていますか"),
    ("週末はよく山登りに行きます", "山登りは好きですか"),
    ("제 언니는 부산에서 간호사로 일해요", "언니는 어디에서 일해요?"),
    ("저는 매운 음식을 못 먹어요", "매운 음식 괜찮아요?"),
]


class KeywordConformance:
    """Keyword search answers from the caller's scope, in every script the suite covers."""

    @pytest.fixture
    def store(self) -> MemoryStore:  # pragma: no cover - StoreConformance provides it
        raise NotImplementedError

    def test_keyword_scores_depend_only_on_the_scope(self, store: MemoryStore) -> None:
        """Another scope adding 1,000 memories that share our words changes none of our scores."""
        memory = Memory(store=store, embedder=HashingEmbedder(64))
        mine = [
            "my zeppelin model sits on the desk",
            "the desk lamp is green",
            "zeppelin museum in Friedrichshafen next summer",
            "green tea every morning",
            "我的姐姐住在布尔诺",
        ]
        memory.add(mine, user_id="alice", infer=False)
        queries = ["zeppelin desk", "green desk", "summer museum zeppelin", "姐姐住在哪里", "tea"]
        scope = Scope(user_id="alice")

        def scores() -> list[list[tuple[str, float]]]:
            keyword = [[(m.id, s) for m, s in store.search_keyword(scope, q, None, 10)] for q in queries]
            fused = [
                [(m.id, m.score or 0.0) for m in memory.search(q, user_id="alice", limit=10)] for q in queries
            ]
            return keyword + fused

        before = scores()
        assert all(before[: len(queries)]), "every query matches a memory by keywords"
        others = [f"zeppelin desk green tea summer museum {i} 姐姐住在上海 {i}" for i in range(1000)]
        memory.add(others, user_id="bob", infer=False)
        assert scores() == before  # to the last digit

    def test_keyword_scores_are_shares_of_the_query(self, store: MemoryStore) -> None:
        memory = Memory(store=store, embedder=HashingEmbedder(64))
        memory.add(
            ["rare orchid greenhouse", "orchid", "greenhouse tomatoes", "bicycle"], user_id="k", infer=False
        )
        hits = {m.text: s for m, s in store.search_keyword(Scope(user_id="k"), "orchid greenhouse", None, 10)}
        assert 0 < hits["orchid"] < hits["rare orchid greenhouse"] <= 1  # every query term matched
        assert 0 < hits["greenhouse tomatoes"] < hits["rare orchid greenhouse"]
        assert hits["orchid"] == pytest.approx(hits["greenhouse tomatoes"])  # equally rare, one each
        assert "bicycle" not in hits
        assert store.search_keyword(Scope(user_id="k"), "what is the", None, 10) == []
        # each score names the query words it matched: the fusion needs two for a match to count
        query = "orchid greenhouse"
        words = {
            m.text: words_matched(s, query_terms(query))
            for m, s in store.search_keyword(Scope(user_id="k"), query, None, 10)
        }
        assert words == {"rare orchid greenhouse": 2, "orchid": 1, "greenhouse tomatoes": 1}

    def test_cjk_text_is_found_by_keywords(self, store: MemoryStore) -> None:
        memory = Memory(store=store, embedder=HashingEmbedder(64))
        added = memory.add(
            [text for text, _ in CJK_CASES] + ["I like green tea"], user_id="c", infer=False
        ).added
        ids = {m.text: m.id for m in added}
        for text, query in CJK_CASES:
            hits = store.search_keyword(Scope(user_id="c"), query, None, 10)
            assert hits and hits[0][0].id == ids[text], f"{query!r} should find {text!r} first"
        assert store.search_keyword(Scope(user_id="other"), CJK_CASES[0][1], None, 10) == []

    def test_cjk_keywords_follow_updates_and_deletes(self, store: MemoryStore) -> None:
        memory = Memory(store=store, embedder=HashingEmbedder(64))
        item = memory.add("我喜欢喝绿茶", user_id="u", infer=False).added[0]
        scope = Scope(user_id="u")
        memory.update(item.id, "我喜欢喝咖啡")
        assert [m.id for m, _ in store.search_keyword(scope, "咖啡", None, 5)] == [item.id]
        assert store.search_keyword(scope, "绿茶", None, 5) == []
        memory.update(item.id, "coffee, no sugar")
        assert store.search_keyword(scope, "咖啡", None, 5) == []
        assert [m.id for m, _ in store.search_keyword(scope, "coffee", None, 5)] == [item.id]
        memory.update(item.id, "我喜欢喝绿茶")
        memory.delete(item.id)
        assert store.search_keyword(scope, "绿茶", None, 5) == []
