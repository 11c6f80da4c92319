"""The offline graph extractor: names, dates, capitalised phrases and first-person facts, no model.

It is deliberately conservative: a capitalised word that only starts a sentence ("Thanks", "Wow")
is not an entity, and relations come only from a small set of first-person patterns ("I moved to
X", "my sister Y", "I work at Z") whose subject is the speaker. Its job is to give search and the
history something exact to hold on to without a model; an LLM extractor finds far more.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..filters import parse_timestamp
from .dates import find_dates
from .model import ExtractedEntity, ExtractedRelation, GraphExtraction, GraphRequest, entity_key
from .ports import GraphExtractor

_SPEAKER = re.compile(r"^([A-Z][\w.'\- ]{0,40}?):\s+")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_SENTENCE_END = re.compile(r"[.!?]\s*$")
_WORD = re.compile(r"[A-Za-z][\w'’&.\-]*[\w]|[A-Z]")
_CONNECTORS = frozenset({"of", "the", "de", "del", "la", "van", "von", "and", "&"})
_COMMON_WORDS = """
    i i'm i've i'll i'd a an the this that these those it it's its my mine me we we're we've our us you
    you're you've your he she his her him they their them there there's here what what's when where who
    why how which if so but and or yes no yeah yep nope ok okay oh ah wow hey hi hello thanks thank
    sure great cool nice awesome amazing good glad congrats congratulations sorry please well just also
    really totally definitely absolutely anyway btw haha lol omg hmm aw aww yay sounds sound looks look
    let let's maybe perhaps hope love like did do does don't didn't can can't could would should will
    won't is are was were be been being have has had not never always sometimes often today tomorrow
    yesterday tonight monday tuesday wednesday thursday friday saturday sunday january february march april
    may june july august september october november december dear mr mrs ms dr after before since
    then now once all some any every each both either neither one two three first last next new old
    speaking talking being having getting going doing making right exactly true indeed seriously honestly
    as at by for from in into of on to with without about over under between during through though
    anything something everything nothing everyone someone somebody nobody still even actually probably
    guess think know see thinking feeling cheers bye morning evening night afternoon happy lovely wonderful
    fantastic incredible interesting beautiful cute fun funny super pretty agreed same wish take keep
    check remember gonna wanna got whoa oops hmmm yup nah man dude guys hah ha hehe bummer ugh
"""
_COMMON = frozenset(_COMMON_WORDS.split())
#: filler words that begin place names when a capitalised word follows ("New York", "Great Britain")
_NAME_STARTERS = frozenset(
    [
        "new",
        "old",
        "north",
        "south",
        "east",
        "west",
        "upper",
        "lower",
        "great",
        "little",
        "san",
        "santa",
        "los",
        "las",
        "saint",
        "st",
        "united",
        "royal",
    ]
)
_PLACE_HINT = re.compile(r"\b(?:in|at|to|from|near|visited|visit|around|across|outside)\s+$", re.I)
_PERSON_HINT = re.compile(
    r"\b(?:with|friend|friends|sister|brother|mom|mother|dad|father|son|daughter|wife|husband|partner|"
    r"boyfriend|girlfriend|cousin|aunt|uncle|grandma|grandpa|boss|colleague|named|called|met|told)\s+$",
    re.I,
)
_ORG_SUFFIX = re.compile(
    r"\b(?:Inc|Corp|Ltd|LLC|University|College|School|Academy|Institute|Company|Bank|Group|Club|"
    r"Foundation|Hospital|Agency|Society|Association|Center|Centre)\b"
)
_PLACE_SUFFIX = re.compile(r"\b(?:City|Street|Park|Lake|River|Mountain|Mountains|Beach|Island|County|Bay)\b")

_TARGET = r"(?P<t>[^,.;:!?()\"]+?)"
_TARGET_END = (
    r"(?=\s+(?:and|but|because|since|when|while|with|for|so|which|who|where|after|before|last|this|"
    r"yesterday|today|tonight|ago|recently|now|again|too|as well|soon|on|in|at|as|from|to|about|since|until)\b|[,.;:!?()\"]|$)"
)
_FAMILY = (
    r"wife|husband|partner|boyfriend|girlfriend|fianc[eé]e?|spouse|mom|mother|dad|father|sister|brother|"
    r"son|daughter|cousin|aunt|uncle|grandma|grandmother|grandpa|grandfather|best friend|friend|boss|"
    r"dog|cat|puppy|kitten"
)
_SINGLE_FAMILY = frozenset(
    {"wife", "husband", "partner", "boyfriend", "girlfriend", "fiance", "fiancee", "spouse"}
)
_NAME = r"(?P<t>(?-i:[A-Z][\w'\-]+(?:\s+[A-Z][\w'\-]+)?))"


@dataclass(frozen=True, slots=True)
class _Pattern:
    regex: re.Pattern[str]
    relation: str  # "{rel}" is filled from the match's ``rel`` group
    single_valued: bool
    target_type: str


def _p(text: str, relation: str, single: bool, target_type: str) -> _Pattern:
    return _Pattern(re.compile(text, re.IGNORECASE), relation, single, target_type)


_I = r"\bI(?:'ve| have)?(?: just| recently| finally| also| now| currently)?"
PATTERNS = (
    _p(
        rf"{_I}(?:'m| am)? (?:live|living|reside|residing) in {_TARGET}{_TARGET_END}",
        "lives_in",
        True,
        "place",
    ),
    _p(rf"{_I} (?:moved|relocated) (?:back )?to {_TARGET}{_TARGET_END}", "lives_in", True, "place"),
    _p(rf"{_I} moved (?:here |away )?from {_TARGET}{_TARGET_END}", "moved_from", False, "place"),
    _p(rf"{_I}(?:'m| am| come) from {_TARGET}{_TARGET_END}", "comes_from", True, "place"),
    _p(
        rf"{_I}(?:'m| am)? work(?:ing|s)? (?:at|for) {_TARGET}{_TARGET_END}", "works_at", True, "organization"
    ),
    _p(
        rf"{_I} (?:got a job|started (?:a new job|working)) (?:at|with|for) {_TARGET}{_TARGET_END}",
        "works_at",
        True,
        "organization",
    ),
    _p(rf"{_I}(?:'m| am)? work(?:ing)? as (?:a |an )?{_TARGET}{_TARGET_END}", "works_as", True, "thing"),
    _p(rf"{_I} (?:married|got married to) {_NAME}", "married_to", True, "person"),
    _p(
        rf"\bmy (?P<rel>{_FAMILY})(?:'s name is| is named| is called| named| called|,)? {_NAME}",
        "has_{rel}",
        False,
        "person",
    ),
    _p(rf"{_NAME},? (?:is )?my (?P<rel>{_FAMILY})\b", "has_{rel}", False, "person"),
    _p(
        rf"{_I} (?:really )?(?:love|like|enjoy|adore)(?: to)? {_TARGET}{_TARGET_END}", "likes", False, "thing"
    ),
    _p(
        rf"{_I} (?:went|go|traveled|travelled|flew|drove|headed|took a trip) to {_TARGET}{_TARGET_END}",
        "went_to",
        False,
        "place",
    ),
    _p(rf"{_I} (?:visited) {_TARGET}{_TARGET_END}", "went_to", False, "place"),
    _p(rf"{_I} (?:joined|signed up for|enrolled in) {_TARGET}{_TARGET_END}", "joined", False, "thing"),
    _p(
        rf"{_I}(?:'m| am)? (?:studying|learning|researching) {_TARGET}{_TARGET_END}",
        "studies",
        False,
        "thing",
    ),
    _p(rf"{_I} (?:started|began|took up|picked up) {_TARGET}{_TARGET_END}", "started", False, "thing"),
    _p(rf"{_I} (?:bought|adopted|got) (?:a |an |my )?(?:new )?{_TARGET}{_TARGET_END}", "got", False, "thing"),
)
_ARTICLE = re.compile(r"^(?:the|a|an|my|our|some|this|that|to)\s+", re.I)


def _clean_target(text: str) -> str:
    words = text.strip().split()[:5]
    target = " ".join(words)
    while (stripped := _ARTICLE.sub("", target)) != target:
        target = stripped
    return target.strip(" '\"-")


def is_filler(word: str) -> bool:
    """Pronouns, interjections, contractions ("That's", "I'm") and other words that are never names."""
    folded = word.casefold().replace("’", "'")
    if "'" in folded and not folded.endswith("'s"):
        return True
    return folded.removesuffix("'s") in _COMMON


def capitalised_phrases(sentence: str) -> list[tuple[str, int]]:
    """(phrase, start offset) of runs of capitalised words that are not sentence-start filler."""
    words = [(m.group(), m.start()) for m in _WORD.finditer(sentence)]

    def initial(start: int) -> bool:
        return start == 0 or _SENTENCE_END.search(sentence, 0, start) is not None

    def name_word(i: int) -> bool:
        word, start = words[i]
        if not word[0].isupper() or is_filler(word):
            return False
        # a sentence's first word is capitalised anyway: "Researching ...", "Finally ..." are not names
        return not (initial(start) and word.lower().endswith(("ing", "ed", "ly")))

    phrases: list[tuple[str, int]] = []
    i = 0
    while i < len(words):
        word, start = words[i]
        starter = word.casefold() in _NAME_STARTERS and i + 1 < len(words) and name_word(i + 1)
        if not (name_word(i) or (word[0].isupper() and starter)):
            i += 1
            continue
        run = [word]
        j = i + 1
        while j < len(words):
            nxt = words[j][0]
            if nxt[0].isupper() and not is_filler(nxt):
                run.append(nxt)
                j += 1
            elif nxt.casefold() in _CONNECTORS and j + 1 < len(words) and name_word(j + 1):
                run.extend([nxt, words[j + 1][0]])
                j += 2
            else:
                break
        phrase = re.sub(r"(?:'s|’s)$", "", " ".join(run)).strip(" .-")
        after = sentence[start + len(word) : start + len(word) + 1]
        interjection = initial(start) and len(run) == 1 and after in (",", "!")
        if phrase and not interjection:
            phrases.append((phrase, start))
        i = j
    return phrases


def guess_type(phrase: str, before: str, speakers: set[str]) -> str:
    if entity_key(phrase) in speakers:
        return "person"
    if _ORG_SUFFIX.search(phrase):
        return "organization"
    if _PLACE_SUFFIX.search(phrase):
        return "place"
    if _PERSON_HINT.search(before):
        return "person"
    if _PLACE_HINT.search(before):
        return "place"
    if phrase.isupper() and len(phrase) > 1:
        return "organization"
    return "thing"


class RuleGraphExtractor(GraphExtractor):
    """Deterministic graph extraction: what the graph holds when no model is configured."""

    def __init__(self, *, user_name: str = "user"):
        #: the subject of first-person facts when a memory names no speaker
        self.user_name = user_name

    def extract(self, request: GraphRequest) -> GraphExtraction:
        speakers = {entity_key(s) for s in request.speakers}
        entities: dict[str, ExtractedEntity] = {}
        relations: list[ExtractedRelation] = []

        def mention(name: str, kind: str, index: int) -> None:
            key = entity_key(name)
            if not key:
                return
            old = entities.get(key)
            if old is None:
                entities[key] = ExtractedEntity(name, kind, (index,))
            else:
                memories = old.memories if index in old.memories else (*old.memories, index)
                better = kind if old.type == "thing" else old.type
                entities[key] = ExtractedEntity(old.name, better, memories)

        for index, memory in enumerate(request.memories):
            text = memory.text
            speaker = self.user_name
            match = _SPEAKER.match(text)
            if match:
                speaker = match[1].strip()
                text = text[match.end() :]
                speakers.add(entity_key(speaker))
                mention(speaker, "person", index)
            for sentence in _SENTENCE.split(text):
                dates = find_dates(sentence, memory.created_at)
                for found in dates:
                    mention(found.name, "date", index)
                for phrase, start in capitalised_phrases(sentence):
                    if any(a <= start < b for a, b in (d.span for d in dates)):
                        continue
                    mention(phrase, guess_type(phrase, sentence[:start], speakers), index)
                when = parse_timestamp(dates[0].start) if dates else memory.created_at
                for pattern in PATTERNS:
                    for m in pattern.regex.finditer(sentence):
                        target = _clean_target(m["t"])
                        if not target or entity_key(target) in _COMMON or len(target) > 60:
                            continue
                        rel = m.groupdict().get("rel")
                        relation = pattern.relation.format(rel=(rel or "").lower().replace(" ", "_"))
                        single = pattern.single_valued or (rel or "").lower() in _SINGLE_FAMILY
                        kind = pattern.target_type
                        if kind == "place" and not target[0].isupper():
                            kind = "thing"
                        mention(speaker, "person", index)
                        mention(target, kind, index)
                        relations.append(
                            ExtractedRelation(speaker, relation, target, index, when, single, "person", kind)
                        )
        return GraphExtraction(list(entities.values()), relations)
