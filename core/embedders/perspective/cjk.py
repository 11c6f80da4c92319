"""Japanese, Chinese and Korean: pronouns only (verbs do not agree with their subject)."""

from __future__ import annotations

import re

from ._common import Rule, apply

JA: list[Rule] = [
    (re.compile(r"彼ら|彼女ら"), "私たち"),
    (re.compile(r"彼女|彼(?![氏岸方])|あなた|貴方"), "私"),
]

# 其他 "other", 吉他 "guitar", 他人 "others": not pronouns
ZH: list[Rule] = [(re.compile(r"(?<![其吉])[他她](?!人)|你|您"), "我")]

_KO_PARTICLES = {"는": "저는", "은": "저는", "을": "저를", "의": "제", "를": "저를", "가": "제가", "이": "제가", "에게": "저에게",
                 "한테": "저한테", "도": "저도", "랑": "저랑", "하고": "저하고"}  # fmt: skip
# Korean drops pronouns. 그 alone is also "that" ("그 책"), so it counts only with a particle joined
# to it and ending the word ("그는", "그의"); the particle decides the 1st person's form ("그가" →
# "제가", "그녀의" → "제")
KO: list[Rule] = [
    (
        re.compile(r"(?:그녀|당신|(?<![가-힣])그)(에게|한테|하고|는|은|의|를|을|가|이|도|랑)(?![가-힣])"),
        lambda m: _KO_PARTICLES[m.group(1)],
    ),
    (re.compile(r"그녀|당신"), "저"),
]


def japanese(text: str) -> str:
    """彼/彼女/あなた → 私 (not inside 彼氏 "boyfriend", 彼岸, 彼方)."""
    return apply(JA, text)


def chinese(text: str) -> str:
    """他/她/你/您 → 我 (not inside 其他 "other", 吉他 "guitar", 他人 "others")."""
    return apply(ZH, text)


def korean(text: str) -> str:
    """그녀/당신/그 with a particle → 저는, 제가, 제... (그 alone is also "that" and is left)."""
    return apply(KO, text)
