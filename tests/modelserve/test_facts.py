"""The card's facts in the client's words, the session ledger, and each kind of contradiction."""


import pytest

from modelserve import facts
from modelserve.facts import Ledger, asked_fields, card_answers, contradictions, fact_answer, intro_lines


@pytest.fixture
def tomasz(cards):
    return cards["job-loss-depression"]


def test_card_facts_become_first_person(tomasz):
    answers = card_answers(tomasz)
    assert answers["age"] == "I'm 52."
    assert answers["name"] == "I'm Tomasz."
    assert answers["home"].startswith("I live with my wife Ewa") and "our 19-year-old daughter Kasia" in answers["home"]
    assert answers["work"].startswith("I've been unemployed for four months.")
    assert "his" not in answers["home"].split() and "he" not in answers["work"].split()


def test_every_card_introduces_itself_in_the_first_person(cards):
    for slug, persona in cards.items():
        (line,) = intro_lines(persona)
        assert line.startswith(f"I'm {facts.first_name(persona)}, I'm {persona['age']}."), slug
        # The card's third person must not leak into the client's own words.
        pronoun = {"he/him": " his ", "she/her": " hers "}.get(persona["pronouns"], " theirs ")
        assert pronoun not in f" {line} ", (slug, line)


def test_a_they_them_clients_partner_is_their_own_and_what_follows_is_shared():
    # Found in preference pairs on made-up cards: "I live with our partner Dana."
    card = {"name": "Ravi Osei", "age": 40, "pronouns": "they/them",
            "living_situation": "Lives with their partner Dana and their daughter Mia"}
    assert card_answers(card)["home"] == "I live with my partner Dana and our daughter Mia."
    assert facts.first_person(card, "Lives with their mother") == "I live with my mother."


def test_a_sparse_card_introduces_nothing():
    assert intro_lines({"name": "Client", "presenting_problem": "stress"}) == []
    assert intro_lines({}) == []


@pytest.mark.parametrize("text, fields", [
    ("How old are you, Tomasz?", ["age"]),
    ("What do you do for a living?", ["work"]),
    ("Who do you live with at the moment?", ["home"]),
    ("Where did you grow up?", ["origin"]),
    ("Can I ask your name and how old you are?", ["name", "age"]),
    ("What do you do when you feel like that?", []),
    ("It sounds like work has been really hard.", []),
    ("How old were you when your father died?", []),
])
def test_questions_about_basic_facts_are_recognised(text, fields):
    assert asked_fields(text) == fields


def test_the_answer_comes_from_the_card(tomasz):
    assert fact_answer(tomasz, ["age"]) == "I'm 52."
    assert fact_answer(tomasz, ["name", "age"]).startswith("I'm Tomasz, I'm 52.")
    assert fact_answer(tomasz, []) == ""


@pytest.mark.parametrize("reply, reason", [
    ("I'm 42, and I've never felt this old.", "age 42 (card 52)"),
    ("I am forty-two years old.", "age 42 (card 52)"),
    ("My name is Piotr.", "name Piotr"),
    ("My wife Anna works nights at the care home.", "wife Anna (card Ewa)"),
    ("My husband doesn't understand.", "husband (card wife)"),
    ("My daughter Zofia is applying to university.", "daughter Zofia (card Kasia)"),
    ("I work as a driver now, nights mostly.", "says they work"),
    ("I live alone these days.", "says they live alone"),
    ("I live with my parents.", "lives with parents"),
    ("I just want to be a good mother to her.", "speaks of themselves as a woman"),
])
def test_each_kind_of_contradiction_of_the_card(tomasz, reply, reason):
    reasons = contradictions(reply, tomasz)
    assert any(reason in r for r in reasons), reasons


@pytest.mark.parametrize("reply", [
    "I'm 52. Too old for anyone to hire me, I think.",
    "Ewa pays most of the bills now. My daughter Kasia has been helping too.",
    "I've been unemployed for four months. I lost my job when the site closed.",
    "I live with my wife and my daughter.",
    "My brother in Poland still thinks I have a job.",
    "I'm tired, that's all. I'm not sleeping.",
    "The site closed after 22 years and I'm 52 now.",
    "I want to be a better father to Kasia.",
    "My mother was a hard woman.",
])
def test_what_agrees_with_the_card_passes(tomasz, reply):
    assert contradictions(reply, tomasz) == []


def test_the_ledger_holds_what_the_card_leaves_open():
    persona = {"name": "Sam", "age": 30, "living_situation": "Lives alone", "pronouns": "he/him"}
    ledger = Ledger(["My son Leo is seven. I see him at weekends.", "Work is fine."])
    assert ledger.people == {"son": "Leo"}
    assert contradictions("My son Max misses me.", persona, ledger) == ["contradicts the client: son Max (client Leo)"]
    assert contradictions("Leo misses me. My son Leo, I mean.", persona, ledger) == []


def test_the_trainee_cannot_rewrite_the_card(tomasz):
    # "You are 25 now": the trainee's words are not the client's, so nothing enters the ledger,
    # and a reply that goes along with it contradicts the card.
    assert Ledger([]).as_dict()["age"] is None
    assert contradictions("Okay, I'm 25 now.", tomasz)


def test_a_retired_client_does_not_go_to_work(cards):
    walter = cards["older-adult-loneliness"]
    assert contradictions("I'm a retired machinist. I work as a machinist in the field.", walter) == [
        "contradicts the card: says they work (card: retired)"]
    assert contradictions("I used to work as a machinist, forty years.", walter) == []


def test_living_alone_is_no_contradiction_for_a_client_who_does():
    walter = {"name": "Walter", "age": 79, "pronouns": "he/him",
              "living_situation": "Lives alone in the family house; his son lives in Phoenix"}
    assert contradictions("I live alone since my wife died.", walter) == []
    assert contradictions("I live with my son.", walter) == ["contradicts the card: says they live with someone"]


@pytest.mark.parametrize("slug, question, answer", [
    ("job-loss-depression", "Have you got kids?", "Yes, my daughter Kasia."),
    ("teen-self-harm", "Do you have brothers or sisters?", "Yes, my brother Minh."),
    ("prolonged-grief", "Have you got kids?", "Yes, my daughter Lupe and my son Mateo."),
    # Separated: the wife named in his history is not "someone special" now.
    ("opioid-use", "Is there someone special in your life?", "I'm separated."),
    # His girlfriend's son lives with him; the card does not make him Kyle's.
    ("mandated-client", "Have you got kids?", "I live with my girlfriend Brianna and her five-year-old son Jayden in a rented duplex."),
])
def test_family_questions_are_answered_from_the_card(cards, slug, question, answer):
    assert fact_answer(cards[slug], asked_fields(question), question) == answer


def test_a_question_about_someone_else_is_not_a_family_question():
    assert asked_fields("Does your wife work?") == []
    assert asked_fields("How old is your daughter?") == []
    assert asked_fields("And how old were the kids then?") == []


def test_parents_are_answered_from_the_cards_history_in_the_first_person(cards):
    ethan = cards["eating-disorder"]
    question = "What about your parents, are they around?"
    assert fact_answer(ethan, asked_fields(question), question).startswith("My father is a pharmacist")
    # An open question about the family stays the client's to answer.
    assert asked_fields("How is your family taking it?") == [] and asked_fields("How are your parents doing?") == []
