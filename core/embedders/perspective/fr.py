"""French: il/elle/tu/vous → je with a verb that agrees, inversion undone, object and stressed forms.

An inverted question cannot keep its word order with "je" ("fait-je" is not French), so it is asked
with "est-ce que": "Quel sport pratique-t-elle ?" → "Quel sport est-ce que je pratique ?", "Que
fait-il ?" → "Qu'est-ce que je fais ?", "Peut-il manger ... ?" → "Est-ce que je peux manger ... ?"
(the object clitics before the verb come along: "se réveille-t-elle" → "est-ce que je me
réveille"). An inversion that repeats a noun subject ("Sa maman vit-elle loin ?", "Depuis quand le
couple est-il uni ?") keeps its pronoun: it is the noun's. The verb follows "je": 3rd person -t →
-s ("fait" → "fais"), "-d" → "-ds", "est" → "suis", "a" → "ai", future "-ra" → "-rai"; the
1st-group -e stays. Weather and other impersonal "il" ("il neige", "il faut", "y a-t-il") stay.
"lui" before a verb → "me", after a preposition → "moi" ("chez elle" → "chez moi"); possessives
son/sa/ses → mon/ma/mes.
"""

from __future__ import annotations

from ._common import Tokens, wordset

_PRONOUNS = {"il": 3, "elle": 3, "tu": 2, "vous": 5}
_IMPERSONAL = wordset("neige pleut gèle grêle faut vaut semble paraît reste agit")
_WEATHER = wordset("beau chaud froid doux frais nuit jour soleil gris mauvais")
_CLITICS = wordset("ne n se s me m te t lui leur le la les l y en")
_PREPOSITIONS = wordset(
    "à avec pour chez sans de d sur contre entre vers envers par sous devant derrière après avant comme"
)
_DETERMINERS = wordset(
    "le la les l un une des du son sa ses mon ma mes ton ta tes leur leurs ce cet cette ces "
    "notre nos votre vos"
)
_POSSESSIVES = {
    "son": "mon",
    "ton": "mon",
    "votre": "mon",
    "sa": "ma",
    "ta": "ma",
    "ses": "mes",
    "tes": "mes",
    "vos": "mes",
}
_IRREGULAR = {
    3: {"est": "suis", "a": "ai", "va": "vais", "peut": "peux", "veut": "veux", "vaut": "vaux"},
    2: {"es": "suis", "as": "ai", "vas": "vais"},
    5: {
        "êtes": "suis", "avez": "ai", "faites": "fais", "dites": "dis", "allez": "vais", "pouvez": "peux",
        "voulez": "veux", "savez": "sais", "devez": "dois", "prenez": "prends", "venez": "viens",
        "buvez": "bois", "vivez": "vis", "lisez": "lis", "écrivez": "écris", "sortez": "sors",
        "partez": "pars", "dormez": "dors", "connaissez": "connais", "mettez": "mets", "voyez": "vois",
    },
}  # fmt: skip
_VOWEL = tuple("aeiouyhâàéèêëîïôûù")
_APOSTROPHES = ("'", "\u2019")


def _first_person_verb(verb: str, person: int) -> str:
    low = verb.lower()
    if low in _IRREGULAR[person]:
        return _IRREGULAR[person][low]
    if person == 3:
        if low.endswith("ra"):
            return low + "i"  # future: "fera" → "ferai"
        if low.endswith("ît"):
            return low[:-2] + "is"  # "connaît" → "connais"
        if low.endswith("t"):
            return low[:-1] + "s"  # "fait" → "fais", "vit" → "vis", "prenait" → "prenais"
        if low.endswith("d"):
            return low + "s"  # "prend" → "prends"
        return low
    if person == 2:
        if low.endswith("ras"):
            return low[:-1] + "i"
        if low.endswith("es"):
            return low[:-1]  # "manges" → "mange"
        return low
    if low.endswith("rez"):
        return low[:-1] + "i"  # "ferez" → "ferai"
    return low[:-1] if low.endswith("ez") else low  # "habitez" → "habite"


class _Words(Tokens):
    """A French question as tokens, with the indices of its words."""

    def hyphened(self, k: int) -> bool:
        return self.gap(k) == "-"

    def elided(self, k: int) -> bool:
        return self.gap(k + 1) in _APOSTROPHES


def _impersonal(s: _Words, k: int, verb: int | None) -> bool:
    """Whether "il" at word ``k`` (inverted after word ``verb``, when given) is impersonal."""
    if s.word(k).lower() != "il":
        return False
    if verb is not None:  # "faut-il", "y a-t-il", "reste-t-il"
        low = s.word(verb).lower()
        return low in _IMPERSONAL or (low == "a" and s.word(verb - 1).lower() == "y")
    nxt = s.word(k + 1).lower()
    return nxt in _IMPERSONAL or nxt == "y" or (nxt == "fait" and s.word(k + 2).lower() in _WEATHER)


def _inversion(s: _Words, k: int) -> int | None:
    """Index of the verb when the pronoun at word ``k`` is inverted after it ("vit-elle", "a-t-il")."""
    if s.hyphened(k) and s.word(k - 1).lower() == "t" and s.hyphened(k - 1):
        return k - 2
    if s.hyphened(k) and s.word(k - 1).lower() != "rendez":
        return k - 1
    return None


def _repeats_a_noun(s: _Words, start: int) -> bool:
    """Whether the words before an inverted verb hold its noun subject ("Sa maman vit-elle ?")."""
    for j in range(start):
        low = s.word(j).lower()
        if low in _DETERMINERS and (j == 0 or s.word(j - 1).lower() not in _PREPOSITIONS):
            return True
        if j > 0 and s.word(j)[:1].isupper() and "." not in s.gap(j):
            return True
    return False


def _join(words: list[str]) -> str:
    """Words joined with spaces, "je"/"me"/"que" elided before a vowel ("j'ai", "m'appelle")."""
    out = ""
    for i, w in enumerate(words):
        out += w
        if i + 1 < len(words):
            elide = w.lower() in ("je", "me", "te", "se", "que", "ne", "le", "la") and words[
                i + 1
            ].lower().startswith(_VOWEL)
            out = out[:-1] + "'" if elide else out + " "
    return out


def _est_ce_que(s: _Words, verb: int, k: int, person: int) -> None:
    """Rewrite the inversion of word ``verb`` and pronoun ``k`` as "(...) est-ce que je <verb>"."""
    first = _clitics_before(s, verb)
    clitics = [_reflexive(_FULL.get(s.word(j).lower(), s.word(j).lower())) for j in range(first, verb)]
    group = _join(["je", *clitics, _first_person_verb(s.word(verb), person)])
    lead_end = s.words[first - 1] + 1 if first > 0 else 0
    lead = "".join(s.tokens[:lead_end]).rstrip()
    bare = lead.lstrip("¿¡ ").lower()
    if not bare:
        phrase = lead + ("Est-ce que " if not lead.strip() else "est-ce que ") + group
    elif bare.rstrip("'\u2019") in ("que", "qu"):
        phrase = (
            lead[: len(lead) - len(bare)]
            + ("Q" if lead.lstrip()[:1] == "Q" else "q")
            + "u'est-ce que "
            + group
        )
    else:
        phrase = lead + " est-ce que " + group
    s.tokens[: s.words[k] + 1] = [phrase]


_FULL = {"s": "se", "n": "ne", "l": "le", "m": "me", "t": "te"}


def _reflexive(clitic: str) -> str:
    """The reflexive of a subject that became "je": se/te → me (s'/t' → m')."""
    low = clitic.lower()
    return {"se": "me", "s": "m", "te": "me", "t": "m"}.get(low, clitic)


def _clitics_before(s: _Words, verb: int) -> int:
    """Index of the first of the object clitics right before word ``verb`` ("se réveille": se)."""
    first = verb
    while first > 0 and s.word(first - 1).lower() in _CLITICS and s.gap(first) != "-":
        first -= 1
    return first


def rewrite(text: str) -> str:
    """French ``text`` in the first person ("Quel sport fait-elle ?" → "Quel sport est-ce que je fais ?")."""
    s = _Words(text)
    if sum(s.word(k).lower() == "vous" for k in range(len(s.words))) > 1:
        return text  # "Où vous êtes-vous rencontrés ?": a reflexive plural, not one user
    subject = False  # whether the user became the subject somewhere (then "lui" is somebody else)
    k = 0
    while k < len(s.words):
        low = s.word(k).lower()
        person = _PRONOUNS.get(low)
        if person is None:
            k += 1
            continue
        verb = _inversion(s, k)
        if verb is not None:
            if not _impersonal(s, k, verb) and not _repeats_a_noun(s, _clitics_before(s, verb)):
                _est_ce_que(s, verb, k, person)
                s = _Words("".join(s.tokens))  # renumbered: start again (the pronoun is gone)
                subject, k = True, 0
                continue
        elif s.hyphened(k + 1) and s.word(k + 1).lower() == "même" and low != "il":
            s.tokens[s.words[k]] = _like(s.word(k), "moi")  # "elle-même"
        elif s.word(k - 1).lower() in _PREPOSITIONS and low != "il":
            s.tokens[s.words[k]] = "moi"  # "chez elle", "avec vous", "d'elle"
            if s.elided(k - 1):
                s.tokens[s.words[k - 1]] += "e"
                s.tokens[s.words[k - 1] + 1 : s.words[k]] = [" "]
                s = _Words("".join(s.tokens))
        elif not _impersonal(s, k, None) and (person != 5 or s.word(k + 1).lower().endswith(("ez", "es"))):
            _subject(s, k, person)
            subject = True
        k += 1
    for k in range(len(s.words)):
        low = s.word(k).lower()
        if low in _POSSESSIVES:
            s.tokens[s.words[k]] = _like(s.word(k), _POSSESSIVES[low])
        elif low == "lui" and s.word(k - 1).lower() in _PREPOSITIONS:
            s.tokens[s.words[k]] = "moi"
        elif low == "lui" and s.gap(k + 1) != "-" and not subject:
            nxt = s.word(k + 1)
            if nxt.lower().startswith(_VOWEL):
                s.tokens[s.words[k]] = _like(s.word(k), "m")
                s.tokens[s.words[k] + 1 : s.words[k + 1]] = ["'"]
                s.reindex()
            else:
                s.tokens[s.words[k]] = _like(s.word(k), "me")
        elif low == "toi":
            s.tokens[s.words[k]] = _like(s.word(k), "moi")
    return "".join(s.tokens)


def _subject(s: _Words, k: int, person: int) -> None:
    """The subject pronoun at word ``k`` before its verb: "je" and the verb that agrees."""
    v = k + 1
    while s.word(v).lower() in _CLITICS and v + 1 < len(s.words):
        if s.word(v).lower() in ("se", "s", "te", "t"):
            s.tokens[s.words[v]] = _reflexive(s.word(v))
        v += 1
    if v < len(s.words) and v > k:
        s.tokens[s.words[v]] = _keep(s.word(v), _first_person_verb(s.word(v), person))
    if s.elided(k - 1) and s.word(k - 1).lower().endswith("qu"):
        s.tokens[s.words[k - 1]] += "e"  # "qu'il" → "que je"
        s.tokens[s.words[k - 1] + 1 : s.words[k]] = [" "]
        s.reindex()
    pronoun = "je"
    nxt = s.word(k + 1)
    if nxt.lower().startswith(_VOWEL) and s.gap(k + 1).strip() == "":
        s.tokens[s.words[k]] = _like(s.word(k), "j")
        s.tokens[s.words[k] + 1 : s.words[k + 1]] = ["'"]
        s.reindex()
        return
    s.tokens[s.words[k]] = _like(s.word(k), pronoun)


def _like(original: str, replacement: str) -> str:
    return replacement[:1].upper() + replacement[1:] if original[:1].isupper() else replacement


def _keep(original: str, replacement: str) -> str:
    return _like(original, replacement)
