"""English: he/she/you and the auxiliary before them, "the user", possessives and object forms."""

from __future__ import annotations

import re

from ._common import Rule, apply, keep_case, word

#: "her" before a noun is a possessive ("her sister"); before these, or at the end, it is "me"
_NOT_A_NOUN = (
    "a|an|the|this|that|these|those|some|any|to|for|with|in|on|at|about|from|of|and|or|if|when|"
    "while|because|be|been|again|too|back|up|down|out|off|over|yet|now|then|there|here|last|next|"
    "today|yesterday|tomorrow|once|twice|anything|something|everything|nothing"
)

RULES: list[Rule] = [
    (word(r"the user's"), keep_case("my")),
    (word(r"(?:does|do) the user"), keep_case("do I")),
    (word(r"is the user"), keep_case("am I")),
    (word(r"has the user"), keep_case("have I")),
    (word(r"the user"), "I"),
    (word(r"(?:does|do) (?:he|she|you)"), keep_case("do I")),
    (word(r"(?:is|are) (?:he|she|you)"), keep_case("am I")),
    (word(r"(?:was|were) (?:he|she|you)"), keep_case("was I")),
    (word(r"(?:has|have) (?:he|she|you)"), keep_case("have I")),
    (word(r"(?:he|she)'s|you're"), "I'm"),
    (word(r"(?:he|she|you)'(?=d|ll|ve)"), "I'"),
    (word(r"he|she|you"), "I"),
    (word(r"himself|herself|yourself"), keep_case("myself")),
    (word(r"hers|yours"), keep_case("mine")),
    (word(r"his|your"), keep_case("my")),
    (re.compile(rf"\bher\b(?=\s+[^\W\d_])(?!\s+(?:{_NOT_A_NOUN})\b)", re.IGNORECASE), keep_case("my")),
    (word(r"him|her"), keep_case("me")),
]


def rewrite(text: str) -> str:
    """English ``text`` in the first person ("What does she do?" → "What do I do?")."""
    return apply(RULES, text)
