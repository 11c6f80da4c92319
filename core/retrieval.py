"""Hybrid retrieval: dense and keyword candidates fused into one similarity in [0, 1], then refined.

Fusion: keyword (BM25) scores are unbounded; each is divided by the best keyword score of the query,
so the strongest lexical match counts 1 and the rest count in proportion. Dense scores are cosine
similarities clipped to [0, 1]. The fused score is the weighted mean of the two. (Saturating BM25,
min-max scaling and reciprocal-rank fusion were measured on LOCOMO and did no better; see
docs/benchmarks.md.)

One refinement comes before: **names the scope is about** — in a user's memories her own name is
everywhere ("Maya: I moved to Lisbon", "Thanks, Maya!"), so embedding "Where did Maya move?" with
the name pulls in every memory that names her. A name of the query that more than
``common_names`` of the scope's memories (and at least three) contain is left out of the query's
embedding; the keyword search still gets the whole query. Only capitalised words are looked up, so
it costs one small keyword-index count per search; LOCOMO R@10 74.3 -> 77.8.

Three refinements follow fusion, each measured on LOCOMO's dev split before it was kept:

* **neighbours** — a conversation's answer often sits in the turn right after the one that matches
  the question ("What was it about?" → the next turn says what). The memories just before and after
  each of the best few hits, in the same run, join the results at a fraction of their parent's score.
* **time questions** — a "when ..." question is answered by a memory that mentions a time
  ("last Saturday", "in 2022"), so such memories get a small boost.
* **dated questions** — a question that names a day, a month or a year ("on 7 July, 2023", "in
  August 2023", "2023年7月7日"; see :mod:`memspan._dates`) favours memories created then.

Every score stays a similarity in [0, 1]; ``explain=True`` shows the parts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from ._dates import named_date
from .effects import Flow, call
from .embedders.perspective import first_person, guess_language, person_names
from .filters import Filter
from .keyword import query_terms, words_matched
from .ports import MemoryStore, ScoredItems
from .scope import Scope
from .text import has_meaning, language, without_words
from .types import MemoryItem


@dataclass(frozen=True, slots=True)
class FusionWeights:
    """How much each half counts. The keyword half's weight also follows the scope's size (below)."""

    dense: float = 0.5
    keyword: float = 0.5
    #: the scope size at which the keyword half gets half its weight (``keyword · N / (N + this)``);
    #: 0 keeps the weight fixed. A shared word singles a memory out among hundreds of similar turns,
    #: but among a few dozen facts the embedding already tells them apart (see docs/retrieval.md)
    keyword_half_at: int = 0
    #: how far the best dense candidate must stand above the median one before the keyword half
    #: loses weight (``keyword · min(1, this / spread)``); 0 keeps the weight fixed. A sharp dense
    #: ranking (an embedder that understands the language) needs few keyword votes; a flat one
    #: (compressed similarities, a language the model does not know) needs them all
    dense_spread: float = 0.2
    #: how many of the query's words a memory must share before its keyword score counts, when the
    #: embedder knows the query's language (1: every match counts). One shared word is what chance
    #: gives a paraphrase ("Which dish does she love most?" and "we loved the temples"); a model that
    #: understands the language already ranks by meaning, so one word must not reorder it
    corroboration: int = 2

    def __post_init__(self) -> None:
        if self.dense < 0 or self.keyword < 0 or self.dense + self.keyword <= 0:
            raise ValueError("fusion weights must be non-negative and not both zero")
        if self.keyword_half_at < 0:
            raise ValueError("keyword_half_at is a number of memories: 0 or more")
        if not 0 <= self.dense_spread <= 1:
            raise ValueError("dense_spread is a difference of similarities: from 0 to 1")
        if self.corroboration < 1:
            raise ValueError("corroboration is a number of shared words: 1 or more")

    def for_scope(self, size: int) -> FusionWeights:
        """The weights for a scope of ``size`` live memories."""
        if self.keyword_half_at <= 0 or self.dense == 0:
            return self
        keyword = self.keyword * size / (size + self.keyword_half_at)
        return replace(self, keyword=keyword, keyword_half_at=0)


@dataclass(frozen=True, slots=True)
class Retrieval:
    """Refinements after fusion (defaults measured on LOCOMO; ``baseline()`` switches them off)."""

    #: how many of the best hits bring their neighbouring memories (same run) along
    neighbours: int = 3
    #: a neighbour's score as a share of its parent's: the memory right after, and right before
    next_weight: float = 0.8
    previous_weight: float = 0.7
    #: boost (×(1 + x)) of memories that mention a time, for questions that ask when
    temporal: float = 0.2
    #: boost of memories created on the day, in the month or in the year a question names
    dated: float = 0.6
    #: most memories of one run read when looking for neighbours
    run_window: int = 500
    #: a query name found in more than this share of the scope's memories is not embedded (1: off)
    common_names: float = 0.15
    #: a query about the user ("What does she do?") is embedded in the first person ("What do I
    #: do?"), where the embedder asks for it (its ``first_person_queries``) and knows the language
    first_person: bool = True
    plain: bool = False

    def __post_init__(self) -> None:
        if self.neighbours < 0 or min(self.next_weight, self.previous_weight, self.temporal, self.dated) < 0:
            raise ValueError("retrieval settings must be non-negative")
        if not 0 < self.common_names <= 1:
            raise ValueError("common_names is a share of the scope's memories: above 0, at most 1")
        if max(self.next_weight, self.previous_weight) > 1:
            raise ValueError("a neighbour cannot score more than the memory that brought it")

    @classmethod
    def baseline(cls) -> Retrieval:
        """Plain weighted fusion, nothing else (what the benchmark's baselines use)."""
        return cls(plain=True)


#: a name counts as common only if this many memories contain it (in a tiny scope every word is common)
_FEWEST_COMMON = 3


def query_to_embed(
    store: MemoryStore, scope: Scope, query: str, config: Retrieval, embedder: object = None
) -> Flow[str]:
    """What to embed for ``query``: without the names that most of the scope's memories contain
    (see above), or, for a query that names nobody, in the first person where the embedder asks for
    it (:func:`memspan.embedders.perspective.first_person`). A query that names someone keeps its
    pronouns, even when the name itself is left out: they are that person's."""
    lang = guess_language(query)  # once, for the names and the rewrite
    asked = person_names(query, lang)  # not "Peut-il", "Combien", "¿Tiene...?"
    if not asked:  # the rewrite belongs to how this embedder is asked: on in plain fusion too
        if config.first_person and getattr(embedder, "first_person_queries", False):
            return first_person(query, lang, languages=embedder_languages(embedder))
        return query
    if config.plain or config.common_names >= 1:
        return query
    counts = yield call(store, "term_counts", scope, [n.lower() for n in asked])
    if counts is None:
        return query
    total, found = counts
    least = max(config.common_names * total, _FEWEST_COMMON - 1)
    common = {n for n in asked if found.get(n.lower(), 0) > least}
    stripped = without_words(query, common) if common else query
    return stripped if has_meaning(stripped) else query  # "What did Maya do?" keeps the name


def scope_weights(store: MemoryStore, scope: Scope, weights: FusionWeights) -> Flow[FusionWeights]:
    """``weights`` for this scope's size (one count; a backend that cannot count keeps them as given)."""
    if weights.keyword_half_at <= 0 or not weights.keyword or not weights.dense:
        return weights
    counts = yield call(store, "term_counts", scope, [])
    return weights if counts is None else weights.for_scope(counts[0])


def _rank_key(item: MemoryItem) -> tuple[float, float, float, str, str]:
    """Best first; equal scores by the raw cosine, then the keyword score, then the older memory.

    Scaled and clipped parts tie often (multilingual-e5: every cosine under its scale's floor is
    0), and so do keyword scores (two memories that share the same words); the raw parts still
    tell them apart. What ties after that goes in the order the memories were made (``created_at``,
    then the id: version-7 UUIDs sort that way), so a ranking is the same on every run.
    """
    parts = item.score_details or {}
    dense, keyword = parts.get("dense", 0.0), parts.get("keyword", 0.0)
    return -(item.score or 0.0), -dense, -keyword, item.created_at, item.id


def _ranked(items: dict[str, MemoryItem]) -> list[MemoryItem]:
    return sorted(items.values(), key=_rank_key)


#: cosine similarities that mean "unrelated" and "the same" for embedders whose scale is compressed
#: (measured: multilingual-e5's best match sits ~0.05 above the median of a scope); others: (0, 1)
DENSE_SCALES: dict[str, tuple[float, float]] = {"multilingual-e5": (0.75, 0.935)}


def dense_scale(embedder: object) -> tuple[float, float]:
    """The embedder's own ``similarity_range``, else a measured one by model id, else (0, 1)."""
    own = getattr(embedder, "similarity_range", None)
    if isinstance(own, tuple) and len(own) == 2:
        return float(own[0]), float(own[1])
    model = str(getattr(embedder, "model_id", ""))
    for prefix, scale in DENSE_SCALES.items():
        if prefix in model:
            return scale
    return 0.0, 1.0


#: the languages an embedder was trained on, by model id, for embedders that do not say
#: (``languages`` attribute); an embedder in neither is taken to know every language
EMBEDDER_LANGUAGES: dict[str, frozenset[str]] = {"all-MiniLM-L6-v2": frozenset({"en"})}


def embedder_languages(embedder: object) -> frozenset[str] | None:
    """The embedder's own ``languages``, else the table's by model id, else ``None`` (all of them)."""
    own = getattr(embedder, "languages", None)
    if isinstance(own, (set, frozenset, tuple, list)):
        return frozenset(str(lang) for lang in own)
    model = str(getattr(embedder, "model_id", ""))
    for prefix, langs in EMBEDDER_LANGUAGES.items():
        if model.startswith(prefix):
            return langs
    return None


#: the similarity at which a new memory repeats a stored one, for embedders whose scale is
#: compressed (measured: multilingual-e5 gives 0.97 to "I don't eat bitter melon" / "... coriander",
#: 0.989-0.996 to a restatement that only changes punctuation or a contraction)
DUPLICATE_SIMILARITY: dict[str, float] = {"multilingual-e5": 0.985}


def duplicate_similarity(embedder: object, text: str, configured: float) -> float | None:
    """From what similarity ``text`` repeats a memory, or ``None``: the embedder cannot tell.

    An embedder that does not know ``text``'s language gives unrelated sentences nearly the same
    vector (MiniLM: 1.000 for two unrelated Chinese facts), so only exact repeats count then. A
    compressed model keeps its measured threshold unless ``configured`` is stricter.
    """
    languages = embedder_languages(embedder)
    if languages is not None and language(text) not in languages:
        return None
    model = str(getattr(embedder, "model_id", ""))
    for prefix, value in DUPLICATE_SIMILARITY.items():
        if prefix in model:
            return max(configured, value)
    return configured


def _clip(value: float) -> float:
    return float(min(max(value, 0.0), 1.0))


def fuse(
    dense: ScoredItems,
    keyword: ScoredItems,
    weights: FusionWeights,
    scale: tuple[float, float] = (0.0, 1.0),
    *,
    query: str = "",
    embedder: object = None,
) -> list[MemoryItem]:
    """Merge both candidate lists; each item carries its score and the parts it came from.

    Keyword scores arrive as the scope-local coverage of :mod:`memspan.keyword` (already in [0, 1]
    and absolute: no division by the query's best match). Dense cosines are put on the embedder's
    scale first (``scale``: what counts as unrelated and as identical), so a compressed model's
    ordering is not drowned by any keyword match.

    How far keywords are trusted follows the evidence. Where the embedder knows the query's
    language (:func:`embedder_languages`; no embedder: every language), a memory's keyword score counts
    only if it shares at least ``weights.corroboration`` of the query's words, and the keyword
    weight shrinks as the dense ranking sharpens (``dense_spread``). Where the embedder does not
    know the language (MiniLM on Japanese), its similarities are close to noise: every keyword
    match counts, at the keyword half's full weight.
    """
    low, high = scale
    languages = embedder_languages(embedder) if embedder is not None else None
    known = languages is None or language(query) in languages
    candidates: dict[str, tuple[MemoryItem, dict[str, float]]] = {}
    for item, score in dense:
        parts = {"dense": _clip(score)}
        if (low, high) != (0.0, 1.0):
            parts["dense_scaled"] = _clip((score - low) / (high - low))
        candidates[item.id] = (item, parts)
    keyword_weight = weights.keyword
    if known and weights.dense_spread > 0 and keyword_weight > 0 and len(dense) > 2:
        levels = sorted(p.get("dense_scaled", p["dense"]) for _, p in candidates.values())
        spread = levels[-1] - levels[len(levels) // 2]
        if spread > weights.dense_spread:
            keyword_weight *= weights.dense_spread / spread
    total = weights.dense + keyword_weight
    needed = weights.corroboration if known and weights.dense > 0 else 1
    terms = query_terms(query) if needed > 1 else []
    counted: dict[str, float] = {}
    for item, score in keyword:
        _, parts = candidates.setdefault(item.id, (item, {}))
        parts["keyword"] = _clip(score)
        words = words_matched(score, terms) if needed > 1 else None
        counted[item.id] = parts["keyword"] if words is None or words >= needed else 0.0
        if words is not None and words < needed:
            parts["keyword_words"] = float(words)  # explain=True shows why a match did not count
    scored = []
    for item, parts in candidates.values():
        d = parts.get("dense_scaled", parts.get("dense", 0.0))
        fused = (weights.dense * d + keyword_weight * counted.get(item.id, 0.0)) / total
        scored.append(item.with_score(_clip(fused), parts))
    scored.sort(key=_rank_key)
    return scored


_ASKS_WHEN = re.compile(
    r"^\s*(when|what (year|month|date|day|time)|how long|how many (years|months|weeks|days))\b", re.I
)
_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
_MENTIONS_TIME = re.compile(
    r"\b(yesterday|today|tonight|tomorrow|ago|last|next|recently|weekend|week|month|year|since|until|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|" + "|".join(_MONTHS) + r"|(19|20)\d\d)\b",
    re.I,
)


def _boost(ranked: list[MemoryItem], hit: list[bool], factor: float, part: str) -> list[MemoryItem]:
    out: dict[str, MemoryItem] = {}
    for item, boosted in zip(ranked, hit, strict=True):
        if boosted:
            details = {**(item.score_details or {}), part: factor}
            item = item.with_score(min(1.0, (item.score or 0.0) * (1 + factor)), details)
        out[item.id] = item
    return _ranked(out)


def boost_time(query: str, ranked: list[MemoryItem], config: Retrieval) -> list[MemoryItem]:
    """Favour memories that mention a time for "when" questions, and those from a named date."""
    if config.temporal > 0 and language(query) == "en" and _ASKS_WHEN.search(query):
        ranked = _boost(
            ranked, [bool(_MENTIONS_TIME.search(m.text)) for m in ranked], config.temporal, "time"
        )
    prefix = named_date(query) if config.dated > 0 else None
    if prefix:
        ranked = _boost(ranked, [m.created_at.startswith(prefix) for m in ranked], config.dated, "dated")
    return ranked


#: a conversation turn as memspan stores it: "<speaker>: <text>" (the extractor's form for a named
#: message, and how transcripts are usually kept); a fact ("I'm vegetarian") is not one
_TURN = re.compile(r"^[^\W\d][\w .'’-]{0,39}: \S")


def is_turn(text: str) -> bool:
    """Whether a memory is a turn of a conversation (its neighbours may answer what it asks)."""
    return bool(_TURN.match(text))


def expand_neighbours(
    store: MemoryStore, scope: Scope, flt: Filter | None, ranked: list[MemoryItem], config: Retrieval
) -> Flow[list[MemoryItem]]:
    """Bring in the turns next to the best hits within their run (the filter still applies).

    Only conversation turns have neighbours worth bringing: the turn after a question answers it.
    Facts told in one session are unrelated to each other, and expanding among them only pushed
    the right fact down (personal set, English: recall@5 94.3 -> 89.5), so a memory that is not a
    turn (see :func:`is_turn`) neither brings nor is brought.
    """
    best = {m.id: m for m in ranked}
    for parent in ranked[: config.neighbours]:
        if parent.run_id is None or not is_turn(parent.text):
            continue
        run_scope = Scope(scope.user_id, scope.agent_id, parent.run_id)
        before, after = yield call(store, "neighbours", run_scope, parent, flt, config.run_window)
        for neighbour, weight in ((after, config.next_weight), (before, config.previous_weight)):
            if neighbour is None or not is_turn(neighbour.text):
                continue
            score = (parent.score or 0.0) * weight
            current = best.get(neighbour.id)
            if current is None or (current.score or 0.0) < score:
                best[neighbour.id] = neighbour.with_score(score, {"neighbour_of": parent.id})
    return _ranked(best)


def refine(
    store: MemoryStore,
    scope: Scope,
    flt: Filter | None,
    query: str,
    ranked: list[MemoryItem],
    config: Retrieval,
) -> Flow[list[MemoryItem]]:
    """The refinements after fusion, in the order they were measured."""
    if config.plain:
        return ranked
    ranked = boost_time(query, ranked, config)
    if config.neighbours > 0 and ranked:
        ranked = yield from expand_neighbours(store, scope, flt, ranked, config)
    return ranked
