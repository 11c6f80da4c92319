"""The first-person rewrite is grammatical: the verb agrees with "I", pronouns take their case.

Every sentence here was made up for these tests from the grammar of its language (none is in the
personal-memory benchmark). The first tests check one rule each; ``HELD_OUT`` is a set of questions
written apart from the rules, the way an agent would ask about its user, kept as expectations of
the rewrite only (the benchmark does not use them).
"""

from __future__ import annotations

import pytest

from memspan.embedders.perspective import es, first_person, person_names
from memspan.embedders.perspective.es import first_person_verb


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # the finite verb before the pronoun: irregular, regular -t -> -e, -et -> -e, strong stems
        ("Ist er Vegetarier?", "Bin ich Vegetarier?"),
        ("Hat sie Kinder?", "Habe ich Kinder?"),
        ("Wann wird er vierzig?", "Wann werde ich vierzig?"),
        ("Was kocht sie am liebsten?", "Was koche ich am liebsten?"),
        ("Wo arbeitet er?", "Wo arbeite ich?"),
        ("Welche Zeitung liest sie?", "Welche Zeitung lese ich?"),
        ("Womit fährt er zur Arbeit?", "Womit fahre ich zur Arbeit?"),
        ("Was isst sie nie?", "Was esse ich nie?"),
        ("Welches Getränk nimmt er?", "Welches Getränk nehme ich?"),
        # modal verbs and the past: the 1st person is the same form
        ("Was darf sie nicht essen?", "Was darf ich nicht essen?"),
        ("Wo wohnte er früher?", "Wo wohnte ich früher?"),
        # a clause opened by a conjunction ends with its verb
        ("Was trinkt er, wenn er müde ist?", "Was trinke ich, wenn ich müde bin?"),
        # reflexive: accusative, and dative with an object
        ("Worauf freut sie sich?", "Worauf freue ich mich?"),
        ("Was wünscht er sich?", "Was wünsche ich mir?"),
        # du and the polite Sie take their own verb forms
        ("Wo wohnst du?", "Wo wohne ich?"),
        ("Was machen Sie am Wochenende?", "Was mache ich am Wochenende?"),
        # cases: dative ihr/ihm, accusative after a preposition, possessive before a noun
        ("Welche Farbe gefällt ihr?", "Welche Farbe gefällt mir?"),
        ("Was bedeutet ihm viel?", "Was bedeutet mir viel?"),
        ("Wer kocht für sie?", "Wer kocht für mich?"),
        ("Wie heißt ihr neuer Chef?", "Wie heißt mein neuer Chef?"),
        # a possessive after a noun subject of its gender is that noun's; a genitive is not
        ("Wann besucht die Tante ihren Sohn?", "Wann besucht die Tante ihren Sohn?"),
        ("Wo arbeitet der Sohn ihrer Freundin?", "Wo arbeitet der Sohn meiner Freundin?"),
        # "sein" without a noun is the verb "to be"
        ("Wie alt wird er sein?", "Wie alt werde ich sein?"),
    ],
)
def test_german(query: str, expected: str) -> None:
    assert first_person(query, "de") == expected


def test_german_they_is_left_alone() -> None:
    assert first_person("Wo wohnen sie?", "de") == "Wo wohnen sie?"  # plural verb: "they"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # inversion is asked with "est-ce que", the verb in the 1st person
        ("Que mange-t-il le soir ?", "Qu'est-ce que je mange le soir ?"),
        ("Où dort-elle ?", "Où est-ce que je dors ?"),
        ("Quel journal lit-il ?", "Quel journal est-ce que je lis ?"),
        ("Attend-elle un enfant ?", "Est-ce que j'attends un enfant ?"),
        ("Est-il marié ?", "Est-ce que je suis marié ?"),
        ("Ira-t-elle au concert ?", "Est-ce que j'irai au concert ?"),
        ("Comment s'habille-t-il ?", "Comment est-ce que je m'habille ?"),
        ("Pourquoi ne boit-il pas de vin ?", "Pourquoi est-ce que je ne bois pas de vin ?"),
        ("Où habitez-vous ?", "Où est-ce que j'habite ?"),
        # no inversion: "je" and the verb that agrees, "que" no longer elided
        ("Est-ce qu'il connaît mon frère ?", "Est-ce qu'il connaît mon frère ?"),  # the asker's "mon"
        ("Est-ce qu'il sort le soir ?", "Est-ce que je sors le soir ?"),
        ("Est-ce qu'elle se couche tard ?", "Est-ce que je me couche tard ?"),
        # stressed and object forms
        ("Qui habite chez elle ?", "Qui habite chez moi ?"),
        ("Que peut-on lui offrir ?", "Que peut-on m'offrir ?"),
        ("Qui lui rend visite ?", "Qui me rend visite ?"),
        # an inversion that repeats a noun subject keeps its pronoun; impersonal "il" stays
        ("Son mari travaille-t-il ?", "Mon mari travaille-t-il ?"),
        ("Que fait-elle quand il pleut ?", "Qu'est-ce que je fais quand il pleut ?"),
        ("Faut-il lui rappeler ses rendez-vous ?", "Faut-il me rappeler mes rendez-vous ?"),
    ],
)
def test_french(query: str, expected: str) -> None:
    assert first_person(query, "fr") == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # a dropped subject: the verb itself goes to the 1st person
        ("¿Dónde estudia?", "¿Dónde estudio?"),
        ("¿Qué bebe por las mañanas?", "¿Qué bebo por las mañanas?"),
        ("¿A qué se dedica su hija?", "¿A qué se dedica mi hija?"),  # "su hija" is the subject
        ("¿Cuándo se casó?", "¿Cuándo me casé?"),
        ("¿Qué idiomas habla?", "¿Qué idiomas hablo?"),
        ("¿Puede conducir?", "¿Puedo conducir?"),
        ("¿Tiene perro?", "¿Tengo perro?"),
        ("¿Qué hará en verano?", "¿Qué haré en verano?"),
        ("¿Dónde nació?", "¿Dónde nací?"),
        ("¿Conoce a mucha gente?", "¿Conozco a mucha gente?"),
        # an explicit pronoun
        ("¿Qué prefiere ella?", "¿Qué prefiero yo?"),
        # the user as a dative: only the pronoun changes
        ("¿Qué le duele?", "¿Qué me duele?"),
        ("¿Le gusta bañarse en el mar?", "¿Me gusta bañarme en el mar?"),
        # another subject in the clause: the verb stays
        ("¿Dónde trabaja la vecina?", "¿Dónde trabaja la vecina?"),
        ("¿Quién cocina en casa?", "¿Quién cocina en casa?"),
        ("¿Qué primo vive en Lima?", "¿Qué primo vive en Lima?"),
        ("¿Cuál es su color favorito?", "¿Cuál es mi color favorito?"),
    ],
)
def test_spanish_dropped_subject(query: str, expected: str) -> None:
    assert es.rewrite(query, dropped_subject=True) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # by default only an explicit pronoun makes the verb agree (see es.rewrite: measured)
        ("¿Qué prefiere ella?", "¿Qué prefiero yo?"),
        ("¿Dónde trabaja usted?", "¿Dónde trabajo yo?"),
        ("¿Qué estudia él, y dónde?", "¿Qué estudio yo, y dónde?"),
        ("¿Eres tú vegetariano?", "¿Soy yo vegetariano?"),
        ("¿Qué opina ella del cine?", "¿Qué opino yo del cine?"),  # a verb outside the list
        # after a preposition; "le" doubled by "a" + a noun phrase is that phrase's
        ("¿Quién cocina para ella?", "¿Quién cocina para mí?"),
        ("¿Quién vive con él?", "¿Quién vive conmigo?"),
        ("¿Qué le gusta a ella?", "¿Qué me gusta a mí?"),
        ("¿Le escribe a su hermana?", "¿Le escribe a mi hermana?"),
        ("¿Dónde estudia?", "¿Dónde estudia?"),
        ("¿Qué le duele?", "¿Qué me duele?"),
        ("¿Cuál es su color favorito?", "¿Cuál es mi color favorito?"),
    ],
)
def test_spanish(query: str, expected: str) -> None:
    assert first_person(query, "es") == expected


@pytest.mark.parametrize(
    ("verb", "first"),
    [
        ("trabaja", "trabajo"),
        ("quiere", "quiero"),
        ("duerme", "duermo"),
        ("pide", "pido"),
        ("juega", "juego"),
        ("sigue", "sigo"),
        ("conoce", "conozco"),
        ("elige", "elijo"),
        ("buscó", "busqué"),
        ("llegó", "llegué"),
        ("vivió", "viví"),
        ("tenía", "tenía"),
        ("es", "soy"),
        ("fue", "fui"),
    ],
)
def test_spanish_verb_forms(verb: str, first: str) -> None:
    assert first_person_verb(verb) == first


@pytest.mark.parametrize("word", ["carne", "receta", "playa", "se", "le", "tarde"])
def test_spanish_nouns_and_clitics_are_not_verbs(word: str) -> None:
    assert first_person_verb(word) is None


def test_capitalised_question_openers_are_not_names() -> None:
    assert person_names("Peut-il manger du gluten ?") == []
    assert person_names("Combien gagne-t-elle ?") == []
    assert person_names("¿Tiene hijos?") == []
    assert person_names("¿Cuántos años tiene?") == []
    assert person_names("Quand Léa est-elle arrivée ?") == ["Léa"]
    assert person_names("¿Dónde vive Lucía?") == ["Lucía"]
    assert first_person("Quand Léa est-elle arrivée ?") == "Quand Léa est-elle arrivée ?"


#: questions written apart from the rules, one language after another: (question, rewrite)
HELD_OUT: dict[str, list[tuple[str, str]]] = {
    "en": [
        ("Where does she go running?", "Where do I go running?"),
        ("Is he afraid of dogs?", "Am I afraid of dogs?"),
        ("What did her doctor prescribe?", "What did my doctor prescribe?"),
        ("Has she ever broken a bone?", "Have I ever broken a bone?"),
        ("Which city was he born in?", "Which city was I born in?"),
        ("How old is his daughter?", "How old is my daughter?"),
        ("What are you allergic to?", "What am I allergic to?"),
        ("What is she reading at the moment?", "What am I reading at the moment?"),
        ("Where did he spend his holidays?", "Where did I spend my holidays?"),
        ("Does her husband cook?", "Does my husband cook?"),
        ("What does the user drink at night?", "What do I drink at night?"),
    ],
    "de": [
        ("Wo arbeitet sie jetzt?", "Wo arbeite ich jetzt?"),
        ("Spielt er Schach?", "Spiele ich Schach?"),
        ("Hat sie einen Hund?", "Habe ich einen Hund?"),
        ("Was liest er gerade?", "Was lese ich gerade?"),
        ("Wohin fährt sie im Urlaub?", "Wohin fahre ich im Urlaub?"),
        ("Wie heißt ihre Tochter?", "Wie heißt meine Tochter?"),
        ("Was schmeckt ihm nicht?", "Was schmeckt mir nicht?"),
        ("Wovor hat er Angst?", "Wovor habe ich Angst?"),
        ("Worüber ärgert sie sich?", "Worüber ärgere ich mich?"),
        ("Was macht sie, wenn sie nicht schlafen kann?", "Was mache ich, wenn ich nicht schlafen kann?"),
        ("Wann besucht sie ihre Eltern?", "Wann besuche ich meine Eltern?"),
        ("Was kocht der Vater für seine Kinder?", "Was kocht der Vater für seine Kinder?"),
    ],
    "fr": [
        ("Où travaille-t-il maintenant ?", "Où est-ce que je travaille maintenant ?"),
        ("Joue-t-elle aux échecs ?", "Est-ce que je joue aux échecs ?"),
        ("Qu'écoute-t-il en voiture ?", "Qu'est-ce que j'écoute en voiture ?"),
        ("Que boit-elle le matin ?", "Qu'est-ce que je bois le matin ?"),
        ("Quand part-il en vacances ?", "Quand est-ce que je pars en vacances ?"),
        ("Comment s'appelle sa fille ?", "Comment s'appelle ma fille ?"),
        ("Est-ce qu'il fait du vélo ?", "Est-ce que je fais du vélo ?"),
        ("Est-ce qu'elle aime le fromage ?", "Est-ce que j'aime le fromage ?"),
        ("Avec qui vit-elle ?", "Avec qui est-ce que je vis ?"),
        ("Qui s'occupe d'elle ?", "Qui s'occupe de moi ?"),
        ("Y a-t-il des plats qu'elle ne supporte pas ?", "Y a-t-il des plats que je ne supporte pas ?"),
        ("Que faites-vous le dimanche ?", "Qu'est-ce que je fais le dimanche ?"),
    ],
    "es": [
        ("¿Qué hace ella los domingos?", "¿Qué hago yo los domingos?"),
        ("¿Qué le molesta de su trabajo?", "¿Qué me molesta de mi trabajo?"),
        ("¿Qué edad tiene su hijo?", "¿Qué edad tiene mi hijo?"),
        ("¿Dónde vive usted ahora?", "¿Dónde vivo yo ahora?"),
        ("¿Cuántos hermanos tiene ella?", "¿Cuántos hermanos tengo yo?"),
        ("¿Qué le regaló su marido?", "¿Qué me regaló mi marido?"),
        ("¿Sabe ella nadar?", "¿Sé yo nadar?"),
        ("¿Qué le preocupa?", "¿Qué me preocupa?"),
        ("¿Cuál es su comida favorita?", "¿Cuál es mi comida favorita?"),
        ("¿Dónde vive ahora?", "¿Dónde vive ahora?"),  # no pronoun: as asked (see es.rewrite)
    ],
    "ja": [
        ("彼女の趣味は何ですか？", "私の趣味は何ですか？"),
        ("彼はどこに住んでいますか？", "私はどこに住んでいますか？"),
        ("あなたの好きな色は？", "私の好きな色は？"),
        ("彼氏の仕事は？", "彼氏の仕事は？"),
        ("彼の奥さんは何をしている？", "私の奥さんは何をしている？"),
        ("彼女はいつ結婚した？", "私はいつ結婚した？"),
        ("彼らはどこに旅行した？", "私たちはどこに旅行した？"),
        ("あなたは何のスポーツをしますか？", "私は何のスポーツをしますか？"),
        ("彼女が苦手な食べ物は？", "私が苦手な食べ物は？"),
        ("彼岸の休みはいつ？", "彼岸の休みはいつ？"),
        ("お母さんは元気？", "お母さんは元気？"),
    ],
    "zh": [
        ("她住在哪个城市？", "我住在哪个城市？"),
        ("他的爱好是什么？", "我的爱好是什么？"),
        ("你养了什么宠物？", "我养了什么宠物？"),
        ("其他人喜欢什么？", "其他人喜欢什么？"),
        ("她在哪家医院工作？", "我在哪家医院工作？"),
        ("他对什么过敏？", "我对什么过敏？"),
        ("您的生日是哪天？", "我的生日是哪天？"),
        ("他们的孩子几岁了？", "我们的孩子几岁了？"),
        ("她丈夫喜欢吃什么？", "我丈夫喜欢吃什么？"),
        ("他弹吉他多久了？", "我弹吉他多久了？"),
        ("妈妈住在哪里？", "妈妈住在哪里？"),
    ],
    "ko": [
        ("그녀는 무슨 일을 해?", "저는 무슨 일을 해?"),
        ("당신의 취미는 뭐예요?", "제 취미는 뭐예요?"),
        ("그 책은 어디 있어?", "그 책은 어디 있어?"),
        ("그가 좋아하는 운동은?", "제가 좋아하는 운동은?"),
        ("그의 누나는 어디 살아?", "제 누나는 어디 살아?"),
        ("그녀가 다니는 회사는?", "제가 다니는 회사는?"),
        ("그도시는 어때?", "그도시는 어때?"),
        ("그는 어디서 일해?", "저는 어디서 일해?"),
        ("그녀의 남편은 뭐 해?", "제 남편은 뭐 해?"),
        ("당신은 무엇을 좋아해요?", "저는 무엇을 좋아해요?"),
        ("그를 돌보는 사람은?", "저를 돌보는 사람은?"),
        ("누나는 어디 살아?", "누나는 어디 살아?"),
    ],
}


@pytest.mark.parametrize(
    ("lang", "query", "expected"), [(lang, q, e) for lang, pairs in HELD_OUT.items() for q, e in pairs]
)
def test_held_out_questions(lang: str, query: str, expected: str) -> None:
    assert first_person(query, lang) == expected
    assert first_person(query) == expected  # the language guessed from the question itself


#: questions without a subject pronoun, for ``es.rewrite(..., dropped_subject=True)``
HELD_OUT_DROPPED_SUBJECT = [
    ("¿Dónde vive ahora?", "¿Dónde vivo ahora?"),
    ("¿Qué deporte practica?", "¿Qué deporte practico?"),
    ("¿Juega al ajedrez?", "¿Juego al ajedrez?"),
    ("¿Cuándo empezó a trabajar?", "¿Cuándo empecé a trabajar?"),
    ("¿Qué come en el desayuno?", "¿Qué como en el desayuno?"),
    ("¿A qué hora se levanta?", "¿A qué hora me levanto?"),
    ("¿Qué le molesta de su trabajo?", "¿Qué me molesta de mi trabajo?"),
    ("¿Cuántos hermanos tiene?", "¿Cuántos hermanos tengo?"),
    ("¿Qué edad tiene su hijo?", "¿Qué edad tiene mi hijo?"),
    ("¿Qué hace ella los domingos?", "¿Qué hago yo los domingos?"),
    ("¿Sabe nadar?", "¿Sé nadar?"),
    ("¿Qué estudió en la universidad?", "¿Qué estudié en la universidad?"),
]


@pytest.mark.parametrize(("query", "expected"), HELD_OUT_DROPPED_SUBJECT)
def test_held_out_spanish_dropped_subject(query: str, expected: str) -> None:
    assert es.rewrite(query, dropped_subject=True) == expected


@pytest.mark.parametrize("lang", ["en", "de", "es", "fr", "ja", "zh", "ko"])
@pytest.mark.parametrize("text", ["", "?", " - ", "¿?", "a-t-", "Qu'", "-t-", "x" * 500, "¿ ,", "Wann, wo?"])
def test_odd_shapes_pass_through_unchanged(lang: str, text: str) -> None:
    assert first_person(text, lang) == text
    assert es.rewrite(text, dropped_subject=True) == text
