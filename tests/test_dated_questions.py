"""A question that names a date favours the memories created on it (memspan._dates, boost_time)."""

from __future__ import annotations

from pathlib import Path

import pytest

from memspan import Memory
from memspan._dates import named_date
from memspan.pipeline import Settings
from memspan.ports import Embedder
from memspan.retrieval import Retrieval


@pytest.mark.parametrize(
    "query, expected",
    [
        ("What did she find on 1 February, 2023?", "2023-02-01"),
        ("What did he recommend on February 7, 2022?", "2022-02-07"),
        ("Where did we go on Feb 7th 2022?", "2022-02-07"),
        ("What happened in August 2023?", "2023-08"),
        ("What did I buy in 2022?", "2022"),
        ("Notes from 2023-07-07, please", "2023-07-07"),
        ("Was hat sie am 7. Juli 2023 gesagt?", "2023-07-07"),
        ("Was war im März 2023?", "2023-03"),
        ("¿Qué pasó el 7 de julio de 2023?", "2023-07-07"),
        ("Qu'a-t-il fait le 1er juillet 2023 ?", "2023-07-01"),
        ("Qu'a-t-il fait en décembre 2023 ?", "2023-12"),
        ("2023年7月7日に何をしましたか？", "2023-07-07"),
        ("2023年7月发生了什么？", "2023-07"),
        ("2023년 7월 7일에 뭐 했어요?", "2023-07-07"),
        ("What did she do on 32 July 2023?", "2023-07"),  # no such day: the month still counts
        ("What did she say in May?", None),  # no year: any May, or the verb
        ("How many kids does she have?", None),
    ],
)
def test_the_date_a_query_names(query: str, expected: str | None) -> None:
    assert named_date(query) == expected


def test_a_named_day_favours_what_was_said_that_day(tmp_path: Path, embedder: Embedder) -> None:
    said = [
        ("I started a pottery class with my neighbour.", "2023-07-07T18:00:00+00:00"),
        ("I started a pottery class at the community centre.", "2023-07-20T18:00:00+00:00"),
    ]
    with Memory(tmp_path / "m.db", embedder=embedder) as memory:
        memory.add(
            [{"role": "user", "content": text, "created_at": at} for text, at in said],
            user_id="u",
            infer=False,
        )
        for day, expected in (("7 July 2023", "neighbour"), ("July 20, 2023", "community centre")):
            hits = memory.search(f"What class did I start on {day}?", user_id="u", explain=True).results
            assert expected in hits[0].text
            assert hits[0].score_details is not None and hits[0].score_details["dated"] == 0.6
            assert "dated" not in (hits[1].score_details or {})
    off = Settings(retrieval=Retrieval(dated=0.0))
    with Memory(tmp_path / "m.db", embedder=embedder, settings=off) as memory:
        hits = memory.search("What class did I start on 7 July 2023?", user_id="u", explain=True).results
        assert all("dated" not in (h.score_details or {}) for h in hits)
