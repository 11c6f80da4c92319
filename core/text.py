"""Words of a query and of a memory: the tokenisation keyword search and the refinements share.

Three things here exist because memspan is used in more than English:

* :func:`language` — a cheap guess (script first, then function words) so that refinements that
  only make sense in one language (capitalised names, English time words) can switch themselves off.
* stop words per language (``memspan._stopwords``): the German "hat" or the Spanish "que" says
  nothing about which memory is meant, yet English "hat" does, so only the query's own language's
  function words (and English ones, which rarely mean anything else) are dropped.
* two-character pieces of CJK runs — Chinese and Japanese are written without spaces, so a word
  tokenizer sees a whole clause as one token and nothing ever matches it. Most Chinese and Korean
  words are two characters, so overlapping pairs (``我的姐姐`` → ``我的 的姐 姐姐``) are indexed
  beside the words and looked up the same way; pieces made only of particles are not searched.
"""

from __future__ import annotations

import re

from ._stopwords import EN, JA_PARTICLES, KO, LATIN, ZH

WORD = re.compile(r"\w+", re.UNICODE)
#: English function words (kept under the old name: the names refinement and older callers use it)
STOPWORDS = EN
_CAPITALISED = re.compile(r"\b[A-Z][\w-]*")
_HIRAGANA = "\u3040-\u309f"
_KATAKANA = "\u30a0-\u30ff\u31f0-\u31ff"
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HANGUL = "\uac00-\ud7af\u1100-\u11ff\u3130-\u318f"
_CJK_RUN = re.compile(f"[{_HIRAGANA}{_KATAKANA}{_HAN}{_HANGUL}]+")
_KANA = re.compile(f"[{_HIRAGANA}{_KATAKANA}]")
_ONLY_HIRAGANA = re.compile(f"^[{_HIRAGANA}]+$")
_HANGUL_CHAR = re.compile(f"[{_HANGUL}]")
_HAN_CHAR = re.compile(f"[{_HAN}]")
_ANY_STOP = EN | frozenset().union(*LATIN.values())


def language(text: str) -> str:
    """A guess at ``text``'s language: ``ja``, ``zh``, ``ko``, ``de``, ``es``, ``fr`` or ``en``.

    Script decides for CJK (kana → Japanese, Hangul → Korean, Han alone → Chinese); Latin text is
    the language whose function words it uses most, English on a tie or when none is found.
    """
    if _KANA.search(text):
        return "ja"
    if _HANGUL_CHAR.search(text):
        return "ko"
    if _HAN_CHAR.search(text):
        return "zh"
    words = WORD.findall(text.lower())
    best, hits = "en", sum(w in EN for w in words)
    for lang in ("de", "es", "fr"):
        found = sum(w in LATIN[lang] for w in words)
        if found > hits:
            best, hits = lang, found
    return best


def is_cjk(term: str) -> bool:
    """Whether ``term`` is written in a CJK script (a piece to look up as such, not a word to stem)."""
    return bool(_CJK_RUN.fullmatch(term))


def _stop_words(lang: str) -> frozenset[str]:
    return EN if lang not in LATIN else EN | LATIN[lang]


def _pieces(run: str) -> list[str]:
    """Overlapping two-character pieces of a CJK run (the run itself when it is one character)."""
    return [run[i : i + 2] for i in range(len(run) - 1)] or [run]


def straddles_particle(piece: str) -> bool:
    """Whether a CJK piece is a Japanese particle and a character of the word beside it (``年の``).

    Such a piece matches wherever that word is followed (or preceded) by that particle: evidence
    for the keyword score, but not a word in its own right (see :func:`memspan.keyword.words_matched`).
    """
    if len(piece) != 2 or not any(ch in JA_PARTICLES for ch in piece):
        return False
    return not _ONLY_HIRAGANA.match(piece) and bool(_KANA.search(piece) or _HAN_CHAR.search(piece))


def index_text(text: str) -> str:
    """``text`` as the keyword index should see it: each CJK run replaced by its two-character pieces.

    Text without CJK characters is returned unchanged (the stores then index the text itself).
    """
    if not _CJK_RUN.search(text):
        return text
    return _CJK_RUN.sub(lambda m: " " + " ".join(_pieces(m.group())) + " ", text)


def _says_something(piece: str) -> bool:
    """Whether a CJK piece is worth searching for (not only particles, kana endings or question words)."""
    if _ONLY_HIRAGANA.match(piece):
        return False
    if _HANGUL_CHAR.match(piece):
        return not all(ch in KO for ch in piece)
    return not all(ch in ZH for ch in piece)


def content_words(text: str) -> list[str]:
    """The distinct lower-cased words of ``text`` that carry meaning (every word if none does).

    CJK runs count as their two-character pieces; function words of the text's language are left out.
    """
    lowered = text.lower()
    stop = _stop_words(language(text))
    words: list[str] = []
    pieces: list[str] = []
    for token in WORD.findall(lowered):
        for part in re.split(f"({_CJK_RUN.pattern})", token):
            if not part:
                continue
            if _CJK_RUN.fullmatch(part):
                pieces.extend(p for p in _pieces(part) if _says_something(p))
            elif len(part) > 1 or part.isdigit():
                words.append(part)
    meaningful = [w for w in words if w not in stop] + pieces
    return list(dict.fromkeys(meaningful or words))


def has_meaning(text: str) -> bool:
    """Whether ``text`` has a word that is not a function word (in any language memspan knows)."""
    return any(w not in _ANY_STOP for w in WORD.findall(text.lower()))


def names(text: str) -> list[str]:
    """The distinct capitalised words of ``text`` that are not stop words ("What", "Did"...).

    Only where capitals mark names: German capitalises every noun, and CJK scripts have no capitals,
    so a query in another language than English, Spanish or French has none.
    """
    lang = language(text)
    if lang not in ("en", "es", "fr"):
        return []
    stop = _stop_words(lang)
    return list(dict.fromkeys(w for w in _CAPITALISED.findall(text) if w.lower() not in stop))


def without_words(text: str, words: set[str]) -> str:
    """``text`` with every occurrence of ``words`` (and their possessive ``'s``) taken out."""
    pattern = r"\b(?:" + "|".join(re.escape(w) for w in sorted(words)) + r")(?:'s)?\b"
    return " ".join(re.sub(pattern, " ", text).split())
