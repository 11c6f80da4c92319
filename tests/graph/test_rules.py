"""The offline graph extractor: dates anchored to when words were said, names, first-person facts."""

from __future__ import annotations

from memspan.graph.dates import find_dates
from memspan.graph.model import GraphRequest, MemoryText, entity_key, entity_type, relation_name
from memspan.graph.rules import RuleGraphExtractor, capitalised_phrases
from memspan.scope import Scope

SAID = "2023-05-08T13:56:00.000000Z"  # a Monday


def extract(
    *texts: str, speakers: tuple[str, ...] = ()
) -> tuple[dict[str, str], list[tuple[str, str, str, bool]]]:
    request = GraphRequest([MemoryText(str(i), t, SAID) for i, t in enumerate(texts)], Scope("u"), speakers)
    found = RuleGraphExtractor().extract(request)
    return (
        {e.name: e.type for e in found.entities},
        [(r.source, r.relation, r.target, r.single_valued) for r in found.relations],
    )


def test_relative_dates_resolve_against_when_they_were_said() -> None:
    names = [d.name for d in find_dates("I went yesterday, and last week too; we met 3 years ago", SAID)]
    assert names == ["2023-05-07", "week of 2023-05-01", "2020"]
    assert [d.name for d in find_dates("two months ago", SAID)] == ["2023-03"]
    assert find_dates("yesterday", None) == []  # nothing to anchor to: no guess


def test_absolute_dates_in_common_spellings() -> None:
    text = "Born 7 May 2019, married on June 3rd, moved in March 2021, since 1999, due 2024-02-29."
    assert [d.name for d in find_dates(text, SAID)] == [
        "2019-05-07",
        "2023-06-03",
        "2021-03",
        "1999",
        "2024-02-29",
    ]
    assert find_dates("call 555-2023-11 or 2023-13-45", SAID) == []


def test_sentence_start_filler_is_not_an_entity() -> None:
    phrases = [
        p
        for p, _ in capitalised_phrases(
            "Wow, Thanks! That's great. I'm going to New York with Bank of America."
        )
    ]
    assert phrases == ["New York", "Bank of America"]
    assert [p for p, _ in capitalised_phrases("Anything new? Researching LGBTQ history.")] == ["LGBTQ"]


def test_entities_get_types_from_context() -> None:
    entities, _ = extract("Caroline: I met Jon at Lake Tahoe with my friends from Acme University.")
    assert entities["Caroline"] == "person"
    assert entities["Jon"] == "person"
    assert entities["Lake Tahoe"] == "place"
    assert entities["Acme University"] == "organization"


def test_first_person_facts_become_relations_of_the_speaker() -> None:
    _, relations = extract(
        "Melanie: I moved to Berlin in 2021. My sister Anna works at a bakery.",
        "I work at Acme Corp as a data engineer.",
        "Ben is my brother. I love hiking in the Alps!",
    )
    assert ("Melanie", "lives_in", "Berlin", True) in relations
    assert ("Melanie", "has_sister", "Anna", False) in relations
    assert ("user", "works_at", "Acme Corp", True) in relations
    assert ("user", "has_brother", "Ben", False) in relations
    assert ("user", "likes", "hiking", False) in relations


def test_relation_dates_come_from_the_sentence_else_from_when_it_was_said() -> None:
    request = GraphRequest(
        [MemoryText("0", "I moved to Oslo last year. I work at Nordea.", SAID)], Scope("u"), ()
    )
    found = {r.target: r.valid_from for r in RuleGraphExtractor().extract(request).relations}
    assert found == {"Oslo": "2022-01-01T00:00:00.000000Z", "Nordea": SAID}


def test_names_keys_and_types_normalise() -> None:
    assert entity_key("  The Zoë's-Café ") == entity_key("zoe s cafe")
    assert relation_name("Lives In") == "lives_in" and relation_name("!!") == "related_to"
    assert entity_type("City") == "place" and entity_type("weird") == "thing" and entity_type(None) == "thing"
