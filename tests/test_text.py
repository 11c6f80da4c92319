"""The query words that keyword search and the refinements share (memspan.text)."""

from __future__ import annotations

from memspan.text import content_words, has_meaning, names, without_words


def test_content_words_drop_stop_words_unless_nothing_else_is_left() -> None:
    assert content_words("What did the Cat eat, the cat?") == ["cat", "eat"]
    assert content_words("what is it") == ["what", "is", "it"]
    assert content_words("a b 7") == ["7"]


def test_names_are_capitalised_words_that_are_not_question_words() -> None:
    assert names("When did Maya meet Jean-Luc in Lisbon? Did Maya?") == ["Maya", "Jean-Luc", "Lisbon"]
    assert names("what about the garden?") == []


def test_without_words_takes_out_names_and_possessives() -> None:
    assert without_words("What are Maya's hobbies, Maya?", {"Maya"}) == "What are hobbies, ?"
    assert without_words("Mayan ruins", {"Maya"}) == "Mayan ruins"
    assert has_meaning("What are hobbies, ?") and not has_meaning("What did do?")
