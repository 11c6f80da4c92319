"""Spanish: él/ella/usted/tú → yo, su → mi, le → me, and a dropped subject's verb in the 1st person.

Spanish drops the subject: "¿En qué trabaja?" asks about the user with no pronoun to rewrite, so the
verb itself is put in the 1st person ("¿En qué trabajo?", "¿A qué se dedica?" → "¿A qué me
dedico?", "¿Cuándo nació?" → "¿Cuándo nací?"), only where the user is the only subject the clause
can have: not when a noun phrase that could be the subject stands without a preposition ("¿Qué
edad alcanzará la abuela?", "¿Cuál es su religión?"), not when a dative clitic makes the user the
one something happens to ("¿Qué le gusta?": the subject is the thing liked; "le" → "me" is
enough), not after a subject question word ("¿Quién cocina?") and not with a verb of being or
coming after "qué + noun" ("¿Qué pariente vive en Puebla?"). Verbs are recognised from a list of
common infinitives with their regular endings (present, preterite, future; "ha" + participle), the
commonest irregular forms, and the stem changes that keep the vowel (quiere → quiero).
"""

from __future__ import annotations

import re

from ._common import Tokens, like, wordset

_SUBJECTS = wordset("él ella usted tú")

#: common verbs, whose 3rd person forms are recognised by their endings (with stem changes)
_INFINITIVES = wordset(
    "acabar acompañar acostar admirar adorar aguantar ahorrar almorzar alquilar amar andar "
    "apoyar asustar ayudar ayunar bailar bajar buscar cambiar caminar cantar casar cazar "
    "celebrar cenar cocinar colaborar coleccionar comenzar comprar contar conversar costar "
    "criar cuidar curar dar dedicar dejar desayunar descansar despertar desplazar dibujar "
    "empezar encantar encontrar enseñar entrar entrenar escalar escuchar esperar esquiar estar "
    "estudiar evitar extrañar festejar fumar ganar gastar guardar gustar hablar importar "
    "interesar jugar lavar levantar llamar llegar llevar mandar manejar mejorar mirar molestar "
    "montar mostrar mudar nadar necesitar odiar olvidar operar organizar pagar pasar pasear "
    "patinar pensar pescar pintar planear planificar practicar preocupar preparar probar "
    "provocar quedar rechazar recordar regalar rezar sentar soportar soñar terminar tocar "
    "tolerar tomar trabajar tratar usar viajar visitar votar "
    "agradecer aprender atender barrer beber caer comer componer comprender conocer contener "
    "correr coser crecer creer deber defender detener doler encender entender escoger esconder "
    "establecer hacer leer mantener merecer meter mover nacer obedecer obtener ofrecer padecer "
    "parecer perder poder poner prometer proponer proteger querer recoger responder romper "
    "saber ser soler sostener suponer temer tener traer valer vender ver volver "
    "abrir asistir compartir conducir conseguir construir convertir corregir cumplir decidir "
    "decir describir destruir discutir divertir dividir dormir elegir escribir existir freír "
    "huir incluir insistir invertir ir medir mentir morir ocurrir oír pedir permitir preferir "
    "producir recibir repetir residir reír salir seguir sentir servir sonreír subir sufrir "
    "traducir venir vestir vivir"
)
#: present 3rd person → 1st, for the forms the rules below do not make
_IRREGULAR = {
    "es": "soy", "está": "estoy", "va": "voy", "da": "doy", "ha": "he", "hace": "hago",
    "tiene": "tengo", "viene": "vengo", "pone": "pongo", "sale": "salgo", "dice": "digo",
    "trae": "traigo", "cae": "caigo", "oye": "oigo", "sabe": "sé", "ve": "veo", "vale": "valgo",
    "conduce": "conduzco", "traduce": "traduzco", "produce": "produzco",
    # preterite
    "fue": "fui", "tuvo": "tuve", "hizo": "hice", "estuvo": "estuve", "pudo": "pude", "puso": "puse",
    "quiso": "quise", "dijo": "dije", "vino": "vine", "supo": "supe", "dio": "di", "vio": "vi",
    "trajo": "traje", "condujo": "conduje", "leyó": "leí", "oyó": "oí", "cayó": "caí", "anduvo": "anduve",
}  # fmt: skip
_VERBS_OF_BEING = wordset(
    "es está fue estuvo vive viene va queda pasa ocurre sucede llega sale falta hay sigue reside"
)
_STEM_CHANGES = (("ie", "e"), ("ue", "o"), ("i", "e"), ("ue", "u"))
#: singular determiners: a plural noun phrase cannot be the subject of a singular verb
_DETERMINERS = wordset("el la un una su mi tu este esta ese esa")
_PREPOSITIONS = wordset(
    "a al de del en con por para sin sobre entre hacia hasta desde según contra tras durante"
)
_DATIVE = wordset("le les me te nos")
_QUESTION_SUBJECTS = wordset("quién quiénes")
_OBJECT_QUESTIONS = wordset("qué cuál cuáles cuánto cuánta cuántos cuántas")
_FUTURE_STEMS = wordset("tendr podr sabr har dir querr pondr saldr vendr habr")


def _infinitive(stem: str, endings: tuple[str, ...]) -> bool:
    """Whether ``stem`` + one of ``endings`` (or the same with its stem vowel changed back) is a verb."""
    for ending in endings:
        if stem + ending in _INFINITIVES:
            return True
        for changed, plain in _STEM_CHANGES:
            i = stem.rfind(changed)
            if i >= 0 and stem[:i] + plain + stem[i + len(changed) :] + ending in _INFINITIVES:
                return True
    return False


def first_person_verb(word_: str) -> str | None:
    """The 1st person singular of a 3rd person singular verb form, or None when it is not one."""
    low = word_.lower()
    if low in _IRREGULAR:
        return _IRREGULAR[low]
    if len(low) < 3:  # "se", "le", "de": not verbs
        return None
    if low.endswith("á") and (low[:-1] in _INFINITIVES or low[:-1] in _FUTURE_STEMS):
        return low[:-1] + "é"  # future: "alcanzará" → "alcanzaré"
    if low.endswith("ía") and (low[:-2] in _INFINITIVES or _infinitive(low[:-2], ("er", "ir"))):
        return low  # conditional and imperfect: "tenía", "gustaría" are the 1st person too
    if low.endswith("aba") and _infinitive(low[:-3], ("ar",)):
        return low  # "dedicaba"
    if low.endswith("ió") and _infinitive(low[:-2], ("er", "ir")):
        return low[:-2] + "í"  # "nació" → "nací"
    if low.endswith("ó") and _infinitive(low[:-1], ("ar",)):
        stem = low[:-1]  # "visitó" → "visité", "buscó" → "busqué", "llegó" → "llegué", "empezó" → "empecé"
        for end, spelled in (("c", "qu"), ("g", "gu"), ("z", "c")):
            if stem.endswith(end):
                return stem[: -len(end)] + spelled + "é"
        return stem + "é"
    if low.endswith("a") and _infinitive(low[:-1], ("ar",)):
        return low[:-1] + "o"  # "trabaja" → "trabajo", "sueña" → "sueño"
    if low.endswith("e") and _infinitive(low[:-1], ("er", "ir")):
        stem = low[:-1]
        if stem.endswith("gu"):
            return stem[:-1] + "o"  # "sigue" → "sigo"
        if stem.endswith("c") and stem[-2:-1] in "aeiou":
            return stem[:-1] + "zco"  # "conoce" → "conozco"
        if stem.endswith("g"):
            return stem[:-1] + "jo"  # "escoge" → "escojo"
        return stem + "o"
    if low.endswith("ye") and _infinitive(low[:-2], ("ir",)):
        return low[:-1] + "o"  # "construye" → "construyo"
    return None


def is_verb(word_: str) -> bool:
    """Whether ``word_`` is a 3rd person singular verb form this module knows ("Tiene", "trabaja")."""
    return first_person_verb(word_) is not None


def is_singular_verb(word_: str) -> bool:
    """Whether ``word_`` is a 3rd or 2nd person singular verb form this module knows ("Tiene",
    "Tienes", "Eres"): a question that opens with one does not open with a name."""
    low = word_.lower()
    return is_verb(low) or low == "eres" or (low.endswith("s") and is_verb(low[:-1]))


def _subject_elsewhere(words: list[str], verb: int) -> bool:
    """Whether the clause of the verb at ``verb`` has a noun phrase that could be its subject."""
    for j, w in enumerate(words):
        if j == verb:
            continue
        low = w.lower()
        if low in _DETERMINERS and (j == 0 or words[j - 1].lower() not in _PREPOSITIONS):
            return True
        if j > 0 and w[:1].isupper():
            return True
    return False


def rewrite(text: str, *, dropped_subject: bool = False) -> str:
    """Spanish ``text`` in the first person ("¿Qué hace ella?" → "¿Qué hago yo?").

    ``dropped_subject`` also puts the verb of a question without a subject pronoun in the 1st
    person ("¿En qué trabaja?" → "¿En qué trabajo?"); off by default, as measured on the
    personal-memory set with multilingual-e5 it lost more than it won (recall@1 +1.0, recall@5
    -2.9): a 1st-person verb ("tengo", "me dedico") draws the query towards every fact the user told
    in the first person, whatever its topic, as much as away from the facts about others.
    """
    s = Tokens(text)
    words = [s.tokens[i] for i in s.words]
    breaks = [k for k in range(1, len(words)) if set(s.gap(k)) & set(",;:")]
    clause = words[: breaks[0]] if breaks else words
    subjects = [
        k for k, w in enumerate(clause) if w.lower() in _SUBJECTS and not _after_preposition(clause, k)
    ]
    if subjects or dropped_subject:
        _agree(s, clause, subjects)
    _pronouns(s, words)
    return "".join(s.tokens)


def _after_preposition(words: list[str], k: int) -> bool:
    return k > 0 and words[k - 1].lower() in _PREPOSITIONS | {"con"}


def _agree(s: Tokens, clause: list[str], subjects: list[int]) -> None:
    """The clause's verb in the 1st person, where the user is its subject (see :func:`rewrite`)."""
    second = any(clause[k].lower() == "tú" for k in subjects)
    verb = _verb(clause, second)
    if verb is None and subjects and subjects[0] > 0:  # a verb the list does not know: "¿Qué opina ella?"
        verb = subjects[0] - 1 if _regular(clause[subjects[0] - 1]) else None
    if verb is None:
        return
    if any(w.lower() in ("le", "te") for w in clause[max(0, verb - 2) : verb]):
        _own_infinitives(s, clause, verb)  # "¿Le gusta subirse...?" → "¿Me gusta subirme...?"
        return
    if not _user_is_subject(clause, verb, subjects):
        return
    form = clause[verb][:-1] if second and clause[verb].lower() != "eres" else clause[verb]
    first = "soy" if clause[verb].lower() == "eres" else first_person_verb(form) or _regular(form)
    assert first is not None
    s.tokens[s.words[verb]] = like(clause[verb], first)
    if verb > 0 and clause[verb - 1].lower() in ("se", "te"):
        s.tokens[s.words[verb - 1]] = like(clause[verb - 1], "me")  # "se dedica" → "me dedico"
    _own_infinitives(s, clause, verb)


def _regular(verb: str) -> str | None:
    """The 1st person of a present or preterite form by its ending alone (for a verb outside the list)."""
    low = verb.lower()
    if len(low) < 4 or not low.isalpha():
        return None
    if low.endswith(("a", "e")):
        return low[:-1] + "o"
    return low[:-1] + "é" if low.endswith("ó") else None


_OWN = {"su": "mi", "tu": "mi", "sus": "mis", "tus": "mis", "suyo": "mío", "tuyo": "mío", "suya": "mía",
        "tuya": "mía", "suyos": "míos", "tuyos": "míos", "suyas": "mías", "tuyas": "mías", "te": "me",
        "contigo": "conmigo"}  # fmt: skip


def _pronouns(s: Tokens, words: list[str]) -> None:
    """Possessives and object pronouns: su → mi, le → me ("¿Qué le gusta?" → "¿Qué me gusta?"),
    "para ella" → "para mí", "con él" → "conmigo", a subject pronoun left → "yo". A "le" that a
    phrase with "a" doubles is that phrase's ("¿Qué le regaló a su madre?") and is kept."""
    for k, w in enumerate(words):
        low = w.lower()
        if low in _SUBJECTS | {"ti"} and k > 0 and words[k - 1].lower() == "con":
            s.tokens[s.words[k - 1]] = like(words[k - 1], "conmigo")
            s.tokens[s.words[k - 1] + 1 : s.words[k] + 1] = [""] * (s.words[k] - s.words[k - 1])
        elif low in _SUBJECTS | {"ti"} and _after_preposition(words, k):
            s.tokens[s.words[k]] = "mí"
        elif low in _SUBJECTS:
            s.tokens[s.words[k]] = like(w, "yo")
        elif low in _OWN:
            s.tokens[s.words[k]] = like(w, _OWN[low])
        elif low == "le" and not _doubled(words[k + 1 :]):
            s.tokens[s.words[k]] = like(w, "me")


def _doubled(after: list[str]) -> bool:
    """Whether a clitic is doubled by "a" + a noun phrase later in its clause ("a su madre")."""
    following = [*after[1:], ""]
    return any(
        w.lower() == "al"
        or (w.lower() == "a" and (nxt.lower() in _DETERMINERS | {"los", "las", "sus"} or nxt[:1].isupper()))
        for w, nxt in zip(after, following[: len(after)], strict=True)
    )


def _own_infinitives(s: Tokens, words: list[str], verb: int) -> None:
    """Reflexive infinitives after the user's verb take the user's pronoun ("levantarse" → "levantarme")."""
    for k in range(verb + 1, len(words)):
        if re.fullmatch(r"\w+(?:ar|er|ir|ír)se", words[k]):
            s.tokens[s.words[k]] = words[k][:-2] + "me"


def _verb(words: list[str], second: bool = False) -> int | None:
    """Index of the first word that is a 3rd person singular verb (2nd with ``second``: "haces"), not
    a noun that looks like one ("la cena", "¿Qué vino prefiere?")."""
    for k, w in enumerate(words):
        if second:
            if w.lower() == "eres" or (w.lower().endswith("s") and is_verb(w[:-1])):
                return k
            continue
        if not is_verb(w) or (
            k > 0 and words[k - 1].lower() in _DETERMINERS | {"los", "las", "unos", "unas"}
        ):
            continue
        if (
            k > 0
            and words[k - 1].lower() in _OBJECT_QUESTIONS
            and k + 1 < len(words)
            and is_verb(words[k + 1])
        ):
            continue
        return k
    return None


def _user_is_subject(words: list[str], verb: int, subjects: list[int]) -> bool:
    if subjects:
        return True  # "él", "ella", "usted" is the subject
    before = [w.lower() for w in words[:verb]]
    if any(w in _DATIVE for w in before[-2:]):
        return False  # "¿Qué le gusta?": the user is the dative
    if any(w in _QUESTION_SUBJECTS for w in before) and not any(w in _PREPOSITIONS for w in before):
        return False  # "¿Quién cocina?"
    asks = [p for p, w in enumerate(before) if w in _OBJECT_QUESTIONS]
    if (
        asks
        and asks[0] < len(before) - 1
        and words[verb].lower() in _VERBS_OF_BEING
        and (asks[0] == 0 or before[asks[0] - 1] not in _PREPOSITIONS)
    ):
        return False  # "¿Qué pariente vive en Puebla?": "qué pariente" is the subject
    if before and before[-1] in _OBJECT_QUESTIONS and words[verb].lower() in ("es", "está", "fue"):
        return False  # "¿Qué es...?", "¿Cuál es...?"
    return not _subject_elsewhere(words, verb)
