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

# Korean drops pronouns; 그 alone is also "that", so only the unambiguous ones
KO: list[Rule] = [(re.compile(r"그녀|당신"), "저")]


def japanese(text: str) -> str:
    """彼/彼女/あなた → 私 (not inside 彼氏 "boyfriend", 彼岸, 彼方)."""
    return apply(JA, text)


def chinese(text: str) -> str:
    """他/她/你/您 → 我 (not inside 其他 "other", 吉他 "guitar", 他人 "others")."""
    return apply(ZH, text)


def korean(text: str) -> str:
    """그녀/당신 → 저 (그 alone is also "that" and is left)."""
    return apply(KO, text)
