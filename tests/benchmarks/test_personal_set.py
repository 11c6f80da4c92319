"""The personal-memory set's files have the shape ``benchmarks/personal.py`` and its README promise.

Every language file: three users, at least 35 facts and 35 questions each, every question answered by
an existing fact of the same user, about a quarter sharing a keyword with their answer, text in the
file's own script, and no user id, fact text or question shared between users or languages.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest

SET_DIR = Path(__file__).resolve().parents[2] / "benchmarks" / "personal"
LANGUAGES = ("en", "de", "es", "fr", "ja", "zh", "ko")


def _load(lang: str) -> dict[str, Any]:
    return json.loads((SET_DIR / f"{lang}.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _script(text: str) -> str:
    """The main script of a text: kana (Japanese), hangul, han (Chinese) or latin."""
    kinds = {"kana": 0, "hangul": 0, "han": 0, "latin": 0}
    for ch in text:
        name = unicodedata.name(ch, "")
        if "HIRAGANA" in name or "KATAKANA" in name:
            kinds["kana"] += 1
        elif "HANGUL" in name:
            kinds["hangul"] += 1
        elif "CJK UNIFIED" in name:
            kinds["han"] += 1
        elif "LATIN" in name:
            kinds["latin"] += 1
    if kinds["kana"]:
        return "kana"
    return max(kinds, key=kinds.__getitem__)


EXPECTED_SCRIPT = {
    "en": "latin",
    "de": "latin",
    "es": "latin",
    "fr": "latin",
    "ja": "kana",
    "zh": "han",
    "ko": "hangul",
}


def test_every_language_is_there() -> None:
    assert sorted(p.stem for p in SET_DIR.glob("*.json")) == sorted(LANGUAGES)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_language_file_has_the_promised_shape(lang: str) -> None:
    data = _load(lang)
    assert data["language"] == lang
    users = data["users"]
    assert len(users) == 3
    for user in users:
        assert user["user_id"].startswith(f"{lang}-")
        ids = [f["id"] for f in user["facts"]]
        assert len(ids) >= 35 and len(set(ids)) == len(ids)
        assert len(user["questions"]) >= 35
        answered = [q["answer"] for q in user["questions"]]
        assert set(answered) <= set(ids), f"{user['user_id']}: a question points at no fact of this user"
        texts = [q["text"] for q in user["questions"]]
        assert len(set(texts)) == len(texts), f"{user['user_id']}: a question is asked twice"
        for item in user["facts"] + user["questions"]:
            assert item["text"].strip() == item["text"] and item["text"]
            assert _script(item["text"]) == EXPECTED_SCRIPT[lang], item["text"]
        share = sum(q["shares_keyword"] for q in user["questions"]) / len(user["questions"])
        assert 0.12 <= share <= 0.35, f"{user['user_id']}: {share:.0%} of questions share a keyword"


def test_no_user_fact_or_question_is_shared_across_users() -> None:
    users = [u for lang in LANGUAGES for u in _load(lang)["users"]]
    assert len({u["user_id"] for u in users}) == len(users)
    facts = [f["text"] for u in users for f in u["facts"]]
    assert len(set(facts)) == len(facts)


#: words too common to count as a shared keyword (the checker's own short list, per language)
_FUNCTION_WORDS = """
the and what which does where when how with from that this into your their have last year month days been
them they some much many ever still there here about very
eine einen einem einer seine seiner ihre ihren welche welcher welches wann jahr jahre
para cómo dónde quién cuándo cuál tiene como donde cuando esta este
quel quelle quels quelles comment quand pourquoi dans avec pour elle elles sont leur leurs
"""


def test_latin_questions_marked_without_a_shared_keyword_share_no_word_stem() -> None:
    """The flag is honest where it can be checked mechanically: no 5-letter stem in common."""
    stop = frozenset(_FUNCTION_WORDS.split())

    def stems(text: str) -> set[str]:
        return {
            w[:5]
            for w in re.findall(r"\w+", text.lower())
            if len(w) > 3 and w not in stop and not w.isdigit()
        }

    for lang in ("en", "de", "es", "fr"):
        for user in _load(lang)["users"]:
            facts = {f["id"]: f["text"] for f in user["facts"]}
            for q in user["questions"]:
                if not q["shares_keyword"]:
                    shared = stems(q["text"]) & stems(facts[q["answer"]])
                    assert not shared, f"{lang}: {q['text']!r} shares {shared} with its fact"
