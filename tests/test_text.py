"""The query words that keyword search and the refinements share (memspan.text)."""

from __future__ import annotations

from memspan.text import content_words, has_meaning, index_text, language, names, without_words


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


def test_language_is_guessed_from_script_then_function_words() -> None:
    assert language("Was hat meine Schwester studiert?") == "de"
    assert language("¿Qué comida no le gusta a Ana?") == "es"
    assert language("Quel est le métier de mon frère ?") == "fr"
    assert language("What hat does Maya wear?") == "en"
    assert language("私の姉はどこに住んでいますか") == "ja"
    assert language("我的姐姐住在哪里") == "zh"
    assert language("언니는 어디에 살아요?") == "ko"


def test_function_words_are_dropped_in_the_query_language_only() -> None:
    assert content_words("Was hat meine Schwester studiert?") == ["schwester", "studiert"]
    assert content_words("¿Qué comida no le gusta?") == ["comida", "no", "gusta"]
    assert content_words("Quel est le métier de mon frère ?") == ["métier", "frère"]
    assert content_words("What hat does Maya wear?") == ["hat", "maya", "wear"]  # an English hat


def test_cjk_runs_become_two_character_pieces() -> None:
    assert index_text("我的姐姐 likes tea") == " 我的 的姐 姐姐  likes tea"
    assert index_text("plain text") == "plain text"
    assert index_text("茶") == " 茶 "
    # pieces made only of particles or question words are not searched for
    assert content_words("我的姐姐住在哪里") == ["的姐", "姐姐", "姐住", "住在"]
    assert "ます" not in content_words("コーヒーを飲みます")
    assert content_words("언니는 어디에 살아요?")[0] == "언니"


def test_a_piece_of_a_japanese_word_and_its_particle_straddles_it() -> None:
    from memspan.text import straddles_particle

    assert straddles_particle("年の") and straddles_particle("の夏") and straddles_particle("物は")
    assert not straddles_particle("旅行")  # a word
    assert not straddles_particle("好き")  # a word with its okurigana, not a particle
    assert not straddles_particle("のは")  # only particles: never searched anyway
    assert not straddles_particle("我的") and not straddles_particle("직업")  # Chinese, Korean
