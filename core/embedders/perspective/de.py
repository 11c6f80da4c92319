"""German: er/sie/du/Sie → ich with a verb that agrees, the pronoun's case, possessives.

The subject pronoun takes its finite verb along: directly before it in a main clause ("Was macht
er?" → "Was mache ich?", "Ist sie verheiratet?" → "Bin ich verheiratet?"), at the end of a clause
that a conjunction or a relative word opens ("..., was er isst" → "..., was ich esse"). Lower-case
"sie" with a plural verb is "they" and is left alone; capitalised "Sie" with the same verb is the
polite "you" and becomes "ich". In a clause whose subject became "ich", the reflexive "sich" becomes
"mich" (or "mir" for the verbs that take a dative one: "wünscht sich" → "wünsche mir"). "ihm"/"dir"
→ "mir", "ihn"/"dich" → "mich"; a bare "ihr" is a possessive before a noun and otherwise the dative
("schmeckt ihr" → "schmeckt mir"). A possessive that follows a third-person noun phrase of its
gender in the same clause belongs to that noun ("Womit verdient die Mama ihr Geld?") and is kept.
"""

from __future__ import annotations

import re

from ._common import Tokens, wordset

#: 3rd person singular → 1st (irregular or unchanged forms; the rest follow the rules in ``_from_third``)
_THIRD = {
    "ist": "bin", "hat": "habe", "wird": "werde", "tut": "tue", "weiß": "weiß", "kann": "kann",
    "muss": "muss", "will": "will", "mag": "mag", "darf": "darf", "soll": "soll",
}  # fmt: skip
#: strong verbs whose stem vowel changes in the 3rd person (also at the end of a prefixed verb)
_STRONG = {
    "isst": "esse", "misst": "messe", "frisst": "fresse", "vergisst": "vergesse", "liest": "lese",
    "sieht": "sehe", "gibt": "gebe", "nimmt": "nehme", "spricht": "spreche", "bricht": "breche",
    "sticht": "steche", "trifft": "treffe", "hilft": "helfe", "wirft": "werfe", "stirbt": "sterbe",
    "fährt": "fahre", "läuft": "laufe", "schläft": "schlafe", "trägt": "trage", "hält": "halte",
    "lässt": "lasse", "fällt": "falle", "wäscht": "wasche", "fängt": "fange", "wächst": "wachse",
    "empfiehlt": "empfehle", "tritt": "trete", "gilt": "gelte", "brät": "brate", "rät": "rate",
    "lädt": "lade",
}  # fmt: skip
#: past forms ending in -t, the same in the 1st person
_PAST_T = ("hielt", "riet", "briet", "trat", "bat", "galt", "tat")
#: 2nd person singular → 1st
_SECOND = {
    "bist": "bin", "hast": "habe", "wirst": "werde", "kannst": "kann", "musst": "muss",
    "willst": "will", "magst": "mag", "darfst": "darf", "sollst": "soll", "weißt": "weiß",
    "isst": "esse", "warst": "war", "tust": "tue",
}  # fmt: skip
#: 3rd person plural (the polite "Sie") → 1st singular
_PLURAL = {
    "sind": "bin", "haben": "habe", "werden": "werde", "können": "kann", "müssen": "muss",
    "wollen": "will", "mögen": "mag", "dürfen": "darf", "sollen": "soll", "wissen": "weiß",
    "tun": "tue", "waren": "war", "möchten": "möchte",
}  # fmt: skip
#: verbs whose reflexive is a dative when the clause has an object ("Was wünscht er sich?")
_DATIVE_REFLEXIVE = wordset(
    "wünscht merkt leistet kauft überlegt holt nimmt macht putzt gönnt erlaubt bricht bestellt"
)
_PREPOSITIONS = wordset(
    "für gegen ohne um durch an auf in über unter vor hinter neben zwischen bei mit von zu "
    "aus nach seit gegenüber außer"
)
#: conjunctions after which a clause ends with its finite verb
_CONJUNCTIONS = wordset(
    "dass ob wenn weil als da bevor nachdem seit seitdem obwohl damit während bis sobald solange falls"
)
#: question and relative words that do the same when they open a clause ("..., was er isst")
_OPENS_SUBCLAUSE = _CONJUNCTIONS | wordset(
    "wie was wo wann warum wer wen wem womit wofür worauf wovor woran worüber wozu wohin "
    "woher welche welcher welches welchen der die das"
)
_DETERMINERS_FEMININE = wordset("die eine meine seine ihre deine unsere")
_DETERMINERS_MASCULINE = wordset("der das ein mein sein ihr dein unser")
_POSSESSIVE = re.compile(r"(sein|ihr|dein)(e|en|em|er|es)?", re.IGNORECASE)
_ADJECTIVE = re.compile(r"[a-zäöüß]+(?:e|en|em|er|es)")
_CLAUSE_END = frozenset(',.;:?!¿¡()"')


def _from_third(verb: str) -> str:
    low = verb.lower()
    if low in _THIRD:
        return _THIRD[low]
    for strong, first in _STRONG.items():
        if low.endswith(strong):
            return low[: -len(strong)] + first
    if low.endswith(_PAST_T) or not low.endswith("t"):
        return low  # "war", "ging", "wohnte": the 1st person is the same
    return low[:-1] if low.endswith("et") else low[:-1] + "e"


def _from_second(verb: str) -> str:
    low = verb.lower()
    if low in _SECOND:
        return _SECOND[low]
    if not low.endswith("st"):
        return low
    stem = low[:-2]
    if stem + "t" in _STRONG:
        return _STRONG[stem + "t"]
    return stem if stem.endswith("e") else stem + "e"


def _from_plural(verb: str) -> str:
    low = verb.lower()
    if low in _PLURAL:
        return _PLURAL[low]
    if low.endswith("en"):
        return low[:-1]
    if low.endswith(("ln", "rn")):
        return low[:-1] + "e"
    return low


def _looks_finite(word: str) -> bool:
    low = word.lower()
    return low in _THIRD or low in _SECOND or low in _PLURAL or low.endswith(("t", "e", "en", "rn", "ln"))


class _Sentence(Tokens):
    """A German question as tokens, with the indices of its words."""

    def set(self, k: int, value: str) -> None:
        old = self.tokens[self.words[k]]
        if old[:1].isupper() and self.starts_sentence(k) and value[:1].islower():
            value = value[:1].upper() + value[1:]
        self.tokens[self.words[k]] = value

    def starts_sentence(self, k: int) -> bool:
        """Whether word ``k`` is the first of its sentence (only punctuation before it, or . ? !)."""
        if k <= 0:
            return True
        between = "".join(self.tokens[self.words[k - 1] + 1 : self.words[k]])
        return any(c in between for c in ".?!")

    def clause_break_before(self, k: int) -> bool:
        """Whether punctuation stands between word ``k - 1`` and word ``k`` (or either is missing)."""
        if k <= 0 or k >= len(self.words):
            return True
        between = self.tokens[self.words[k - 1] + 1 : self.words[k]]
        return any(t.strip() and t.strip() in _CLAUSE_END for t in between)

    def first_of_clause(self, k: int) -> int:
        while k > 0 and not self.clause_break_before(k):
            k -= 1
        return k

    def last_of_clause(self, k: int) -> int:
        while k + 1 < len(self.words) and not self.clause_break_before(k + 1):
            k += 1
        return k

    def text(self) -> str:
        return "".join(self.tokens)


def _finite_verb(s: _Sentence, k: int) -> int | None:
    """Index of the finite verb that goes with the subject pronoun at word ``k`` (None: not found)."""
    start = s.first_of_clause(k)
    if k == start:  # "Er arbeitet wo?": the verb follows
        nxt = s.word(k + 1)
        return k + 1 if nxt and not s.clause_break_before(k + 1) and _looks_finite(nxt) else None
    before = s.word(k - 1)
    if before.lower() in _CONJUNCTIONS or (before.lower() in _OPENS_SUBCLAUSE and k - 1 == start):
        end = s.last_of_clause(k)
        return end if end > k and _looks_finite(s.word(end)) else None
    if (before[:1].islower() or k - 1 == start) and _looks_finite(before):
        return k - 1
    return None


def _is_possessive_use(s: _Sentence, k: int) -> bool:
    """Whether a bare "ihr"/"sein" at word ``k`` goes with a noun ("ihr Geld", "ihr neues Auto")."""
    if s.clause_break_before(k + 1):
        return False
    nxt = s.word(k + 1)
    if nxt[:1].isupper():
        return True
    return (
        bool(_ADJECTIVE.fullmatch(nxt)) and not s.clause_break_before(k + 2) and s.word(k + 2)[:1].isupper()
    )


def _bound_to_noun(s: _Sentence, k: int, feminine: bool) -> bool:
    """Whether the possessive at word ``k`` refers back to a noun phrase of its gender in its clause
    ("Wann feiert seine Frau ihren Ehrentag?": "ihren" is the wife's)."""
    if s.word(k).lower().endswith(("er", "es")) and s.word(k - 1)[:1].isupper():
        return False  # a genitive after a noun: "der Hund ihrer Schwester"
    determiners = _DETERMINERS_FEMININE if feminine else _DETERMINERS_MASCULINE
    start = s.first_of_clause(k)
    return any(
        s.word(j).lower() in determiners
        and s.word(j + 1)[:1].isupper()
        and (j == start or s.word(j - 1).lower() not in _PREPOSITIONS)
        for j in range(start, k - 1)
    )


def rewrite(text: str) -> str:
    """German ``text`` in the first person ("Was macht er beruflich?" → "Was mache ich beruflich?")."""
    s = _Sentence(text)
    subject_clauses: dict[int, str] = {}  # clause start -> the verb (as asked) whose subject is "ich"
    for k in range(len(s.words)):
        w = s.word(k)
        low = w.lower()
        if low not in ("er", "sie", "du"):
            continue
        before = s.word(k - 1).lower()
        if low == "sie" and before in _PREPOSITIONS - _CONJUNCTIONS and not s.clause_break_before(k):
            # "für sie", "mit ihr": a pronoun after a preposition is an object
            s.set(k, "mich")
            continue
        v = _finite_verb(s, k)
        verb = s.word(v) if v is not None else ""
        plural = verb.lower() in _PLURAL or verb.lower().endswith(("en", "rn", "ln"))
        if low == "sie" and plural and (w == "sie" or s.starts_sentence(k)):
            continue  # "they"
        if v is not None:
            if low == "du":
                first = _from_second(verb)
            elif plural:
                first = _from_plural(verb)
            else:
                first = _from_third(verb)
            s.set(v, first)
        s.set(k, "ich")
        subject_clauses[s.first_of_clause(k)] = verb.lower()
    for k in range(len(s.words)):
        w = s.word(k)
        low = w.lower()
        if low == "sich" and s.first_of_clause(k) in subject_clauses:
            verb = subject_clauses[s.first_of_clause(k)]
            s.set(k, "mir" if verb in _DATIVE_REFLEXIVE else "mich")
        elif low in ("ihn", "dich"):
            s.set(k, "mich")
        elif low in ("ihm", "dir") or w == "Ihnen":
            s.set(k, "mir")
        elif low in ("ihr", "sein", "dein") and not _is_possessive_use(s, k):
            if low == "ihr":  # "schmeckt ihr am besten", "bei ihr"; "sein" is then "to be"
                s.set(k, "mir")
        elif (m := _POSSESSIVE.fullmatch(w)) is not None:
            feminine = m.group(1).lower() == "ihr"
            if (w[0].isupper() and k != s.first_of_clause(k)) or not _bound_to_noun(s, k, feminine):
                s.set(k, "mein" + (m.group(2) or "").lower())
    return s.text()
