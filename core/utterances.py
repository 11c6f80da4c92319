"""What of a chat message is worth remembering: statements, not questions, requests or social talk.

The offline extractor runs on every ``add``, so this is deterministic and cheap: sentences are cut
at their end marks, each sentence into clauses at commas and colons, and every clause is told apart
by the word lists of :mod:`memspan.utterance_words` (en, de, es, fr, ja, zh, ko). A sentence with
no question, request, greeting, thanks or acknowledgement in it is kept exactly as written; from
one that mixes a fact with a question ("I'm vegan, what should I cook?") only the fact is kept.

The rules lean towards keeping: a dropped fact is gone for good, a kept question is only noise. So
a clause must look like a question or a request to be dropped, and a question's neighbouring
clause is kept when it gives a reason or speaks of someone ("…, since I'm vegan", "…, I'm there in May").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from . import utterance_words as w

Kind = Literal["social", "question", "request", "statement"]
#: which requests are dropped: all ("statements", a user's turn), only those asking someone politely
#: ("advice": an assistant's "Try the curry" is what it advised), none ("instructions": a how-to)
Keep = Literal["statements", "advice", "instructions"]

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
#: the scripts written without spaces between words (Han, kana) and Hangul
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af\u1100-\u11ff]")
#: where a sentence ends: after . ! ? … (and closing quotes) before a space, after a full-width end
#: mark anywhere, and at a line break
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+|(?<=[。！？])[\"'”’」』）)\]]*\s*|\n\s*")
#: "Dr. Smith" is one sentence: these words keep their dot
_ABBREVIATION = re.compile(
    r"(?:\b(?:mr|mrs|ms|dr|st|prof|sr|jr|vs|etc|approx|no|nr|ca|bzw|sra|srta|mme|mlle|m)|\b\w\.\w|\b[A-Z])\.$",
    re.IGNORECASE,
)
#: where a clause ends inside a sentence
_CLAUSE_END = re.compile(
    r"[,;:](?=\s|$)|[，、；：]|\s[—–-]\s|(?=[¿¡])"
    r"|\s(?=(?:so|and|but)\s+(?:what|how|where|when|which|who|why|can|could|should|would|do|does|is|are"
    r"|will)\b)",
    re.IGNORECASE,
)
#: no greeting or thanks is longer (in characters without spaces); longer text is never small talk
_LONGEST_SMALL_TALK = 40
#: how far back from a sentence's end the patterns anchored there can reach
_TAIL = 80
_TRAILING = " \t,;:，、；：—–-?？"
_END_MARKS = "\"'”’」』）)]*~～ \t.!。！…"


@dataclass(frozen=True, slots=True)
class Span:
    """A piece of the original text, by position, so what is kept is exactly what was written."""

    start: int
    end: int


def _words(text: str) -> list[str]:
    return [t.lower() for t in _WORD.findall(text)]


def _covered(text: str) -> bool:
    """Whether ``text`` (no spaces) is a run of small-talk phrases: "ありがとうございます", "好的谢谢"."""
    if len(text) > _LONGEST_SMALL_TALK:
        return False
    reachable = [True] + [False] * len(text)
    for i in range(len(text)):
        if reachable[i]:
            for phrase in w.SMALL_TALK_PHRASES:
                if text.startswith(phrase, i):
                    reachable[i + len(phrase)] = True
    return reachable[len(text)]


def is_small_talk(text: str) -> bool:
    """Nothing but greetings, thanks, acknowledgements and fillers ("Thanks, ok!", "了解しました")."""
    words = _words(text)
    latin = [t for t in words if not _CJK.search(t)]
    cjk = "".join(t for t in words if _CJK.search(t))
    return all(t in w.SMALL_TALK_WORDS for t in latin) and (not cjk or _covered(cjk))


def _bare(text: str) -> str:
    """The clause without its end marks, for the patterns anchored at the end."""
    return text.strip().rstrip(_END_MARKS + "?？").strip()


def ends_as_question(sentence: str) -> bool:
    """Ends with ``?`` or ``？`` (closing quotes, "!" and emoji after it allowed)."""
    end = len(sentence)
    while end and not (sentence[end - 1].isalnum() or sentence[end - 1] in "?？"):
        end -= 1  # closing quotes, "!", emoji and emoticons after the question mark
    return sentence[end - 1 : end] in ("?", "？")


def _asks(clause: str) -> bool:
    text = _bare(clause).lstrip("¡\"'“‘ ")
    if "¿" in clause or w.QUESTION_START.match(text) or w.QUESTION_END.search(text):
        return True
    asked = w.QUESTION_WORD_CJK.search(text)
    if asked is None or w.NOT_ASKING.search(text, asked.end()) or w.NOT_ASKING.search(text):
        return False
    han = re.search(r"[\u4e00-\u9fff]", asked.group()) and not re.search(r"[\u3040-\u30ff]", text)
    return bool(han) or bool(w.QUESTION_WORD_END.search(text))


def _requests(clause: str, keep: Keep, final: bool) -> bool:
    text = w.LEADING_CONJUNCTION.sub("", _bare(clause).lstrip("¡\"'“‘ "), count=1)
    if keep == "instructions":
        return False
    polite = bool(
        w.POLITE_REQUEST.match(text)
        or (w.REQUEST_END.search(text) and not w.NEGATED_START.match(text))
        or (w.REQUEST_END_CJK.search(text) and not w.KO_HONORED_SUBJECT.search(text))
        or (final and w.TE_FORM_END.search(text))
        or w.REQUEST_START_ZH.match(text)
    )
    if polite or keep == "advice":
        return polite
    return bool(w.REQUEST_START.match(text)) and not w.HABIT.search(text)


def _social(clause: str) -> bool:
    text = _bare(clause).lstrip("¡¿\"'“‘ ")
    if not _words(text) or is_small_talk(text):
        return True
    if w.THANKS_START.match(text) or w.THANKS_END.search(text):
        return True
    if w.GREETING_START.match(text) and len(text.split()) <= 3:
        return True
    return bool(w.ACK_PATTERNS.match(text) or w.META_REQUEST.match(text))


def classify(clause: str, *, keep: Keep = "statements", final: bool = True) -> Kind:
    """What one clause does: socialises, asks, requests, or states something (``final``: it ends
    its sentence, where some endings ask that only continue a sentence elsewhere)."""
    clause = " ".join(clause.split())  # one space between words keeps every pattern linear
    if _social(clause):
        return "social"
    if _asks(clause):
        return "question"
    if _requests(clause, keep, final):
        return "request"
    return "statement"


def _spans(text: str, pattern: re.Pattern[str], start: int, end: int) -> list[Span]:
    """``text[start:end]`` cut at ``pattern``'s matches (which belong to neither side)."""
    spans: list[Span] = []
    cursor = start
    for match in pattern.finditer(text, start, end):
        if match.end() == match.start() and match.start() == cursor:
            continue
        if pattern is _SENTENCE_END and _ABBREVIATION.search(
            text, max(cursor, match.start() - 12), match.start()
        ):
            continue
        spans.append(Span(cursor, match.start()))
        cursor = match.end()
    spans.append(Span(cursor, end))
    return [s for s in spans if text[s.start : s.end].strip()]


def _stands_alone(text: str) -> bool:
    """A clause that reads as a statement on its own, not a piece of the question beside it."""
    if w.HYPOTHETICAL_START.match(text):
        return False
    words = _words(text)
    if not words:
        return False
    if _CJK.search(text):
        return len(_CJK.findall(text)) >= 4
    return len(words) >= 2 and words[0] not in w.FRAGMENT_START


def _tidy(text: str, *, reason: bool = True) -> str:
    """A kept clause without the conjunction (or reason word) that tied it to a dropped one."""
    text = text.strip().strip(_TRAILING)
    for lead in (w.REASON_LEAD, w.LEADING_CONJUNCTION) if reason else (w.LEADING_CONJUNCTION,):
        text = lead.sub("", text, count=1).strip()
    return text


def _sentence(text: str, span: Span, keep: Keep) -> str | None:
    """What of one sentence to keep: all of it, a part, or nothing."""
    start, end = span.start, span.end
    sentence = text[start:end]
    wrapped = w.REMEMBER_LEAD.match(sentence)  # "Remember that I'm vegan": the fact is the rest
    if wrapped is not None and wrapped.end() > 0:
        start += wrapped.end()
    else:
        tail = w.REMEMBER_TAIL.search(sentence, max(0, len(sentence) - _TAIL))
        if tail is not None and tail.start() > 0:
            end = start + tail.start()
    if wrapped is not None or start != span.start or end != span.end:
        keep = "instructions"
    clauses = _spans(text, _CLAUSE_END, start, end)
    if not clauses:
        return None
    kinds = [classify(text[c.start : c.end], keep=keep, final=c is clauses[-1]) for c in clauses]
    if ends_as_question(sentence):
        if "question" not in kinds:
            kinds[-1] = "question"  # a tag ("…, right?") or a question without a question word
        last = max(i for i, kind in enumerate(kinds) if kind == "question")
        piece = text[clauses[last].start : clauses[last].end].strip()
        while last > 0 and w.SUBORDINATE_START.match(piece) and not w.QUESTION_START.match(piece):
            last -= 1  # "Nimmt er ein Bier, wenn man ihm eins anbietet?": the question is before it
            kinds[last] = "question" if kinds[last] == "statement" else kinds[last]
            piece = text[clauses[last].start : clauses[last].end].strip()
        for i, clause in enumerate(clauses):
            if kinds[i] == "statement" and w.WH_START.match(text[clause.start : clause.end].strip()):
                kinds[i] = "question"
    else:  # without a question mark a later "who is …" is a relative clause (CJK endings still ask)
        opening = next((i for i, kind in enumerate(kinds) if kind != "social"), len(kinds))
        kinds = [
            "statement"
            if kind == "question" and i > opening and not _CJK.search(text[c.start : c.end])
            else kind
            for i, (c, kind) in enumerate(zip(clauses, kinds, strict=True))
        ]
    if all(kind == "statement" for kind in kinds):
        return text[start:end].strip()
    if "question" not in kinds and "request" not in kinds:
        # only greetings / thanks around a statement: keep the statement as written, between them
        inner = [i for i, kind in enumerate(kinds) if kind == "statement"]
        if not inner:
            return None
        stop = end if inner[-1] == len(clauses) - 1 else clauses[inner[-1]].end
        between = _tidy(text[clauses[inner[0]].start : stop], reason=False)
        return between if _stands_alone(between) else None  # not a lone label ("Result: Noted!")
    return _facts_beside_a_question(text, clauses, kinds)


def _facts_beside_a_question(text: str, clauses: list[Span], kinds: list[Kind]) -> str | None:
    """The statements of a sentence that also asks or requests: those before the question that
    stand alone, and those after it that give a reason or have a subject of their own."""
    kept: list[str] = []
    asked = False
    for clause, kind in zip(clauses, kinds, strict=True):
        piece = text[clause.start : clause.end].strip()
        if kind in ("question", "request"):
            asked = True
            continue
        if kind != "statement":
            continue
        if asked and not (w.REASON_LEAD.match(piece) or w.SUBJECT_START.match(piece)):
            continue
        piece = _tidy(piece)
        if _stands_alone(piece):
            kept.append(piece)
    if not kept:
        return None
    return ("、" if _CJK.search(kept[0][-1:]) else ", ").join(kept)


def memorable(text: str, *, keep: Keep = "statements") -> str | None:
    """The part of a message worth remembering, or ``None`` when it holds nothing but questions,
    requests and social talk. Text with nothing to drop comes back unchanged.

    ``keep`` says which requests stay: none for a user's turn, plain imperatives (advice) for an
    assistant's, all of them for a how-to.
    """
    pieces: list[str] = []
    sentences = _spans(text, _SENTENCE_END, 0, len(text))
    for span in sentences:
        kept = _sentence(text, span, keep)
        if kept:
            pieces.append(kept)
    if not pieces:
        return None
    if len(pieces) == len(sentences) and all(
        piece == text[s.start : s.end].strip() for piece, s in zip(pieces, sentences, strict=True)
    ):
        return text.strip()
    joined = pieces[0]
    for piece in pieces[1:]:
        glue = "" if _CJK.search(joined[-1:]) or _CJK.search(piece[:1]) else " "
        joined = f"{joined}{glue}{piece}"
    return joined
