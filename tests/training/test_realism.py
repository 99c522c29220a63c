"""training.realism: each metric shown failing on a transcript known to be bad, passing on a good one."""

import json
import re

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from simulator.library import library_paths, read_card
from training import realism
from training.actions import PromotionRefused, do_promote_model, promotion_check
from training.models import ModelVersion

SLUG = "job-loss-depression"  # Tomasz, 52, warehouse shift supervisor, lives with Ewa and Kasia


@pytest.fixture
def tomasz():
    path = next(p for p in library_paths() if p.stem == SLUG)
    return read_card(path)["persona"]


@pytest.fixture
def items(tomasz):
    return realism.interview(tomasz, SLUG)


def played(persona, items, answer):
    """A transcript as simulate --json prints it: the opening line, then each trainee line and the
    client's reply, ANSWER(item, index)."""
    turns = [{"role": "client", "text": persona["opening_line"]}]
    for index, item in enumerate(items):
        turns += [{"role": "trainee", "text": item["text"]}, {"role": "client", "text": answer(item, index)}]
    return turns


# What Tomasz gives when the model is not worth practising with: non-answers, "I'm 42", a reply
# said twice, four-word replies.
BAD = ["I'm not sure.", "I'm not sure.", "I don't know really.", "I'm not sure.", "I am 42.", "I'm not sure.",
       "I'm tired.", "I live with people.", "I'm not sure.", "I just feel tired.", "I just feel tired.",
       "No. I'm fine.", "I don't know.", "It's okay, I guess.", "Nothing really, I guess."]

# What a plausible Tomasz says: the card's facts, lengths spread like real help-seekers' turns.
GOOD_FACTS = {
    "name": "Tomasz.",
    "age": "Fifty-two.",
    "occupation": "I was a shift supervisor at a logistics warehouse for twenty-two years, until the site closed "
                  "four months ago. Now I am unemployed and home all day.",
    "living_situation": "My wife Ewa, and Kasia.",
}
GOOD_AGAIN = {"occupation": "Supervisor, at the warehouse.", "age": "I'm fifty-two.", "name": "Tomasz Nowak.",
              "living_situation": "Ewa and our daughter."}
GOOD_FAMILY = "Yes, one daughter, Kasia."
GOOD_TALK = [
    "My doctor thinks I'm depressed. I sleep badly, no energy.",
    "Maybe. I don't like to worry Ewa with it.",
    "That I am useless. Twenty-two years I got up at five, and now I sit on the sofa all day "
    "watching television and nobody needs me.",
    "It is tiring, yes. Even small things, like opening letters from the job centre, feel too heavy.",
    "I wake at three, then sleep late and feel worse.",
    "Since the warehouse closed. Before that I was never ill, never missed a shift in my life.",
    "Sometimes I think, what is the point of me. But I would never do anything, because of Ewa and Kasia. "
    "I have no plan, nothing like that.",
    "If I could get up in the morning with some reason, that would be something.",
    "I told my brother in Poland that I still have the job. I am ashamed of that, and of Kasia putting off "
    "university to help us with money. Nobody knows this, not even Ewa, and I carry it every day.",
]


def good_transcript(persona, items):
    talk = iter(GOOD_TALK)

    def answer(item, index):
        expect = item.get("expect")
        if expect is None:
            return next(talk)
        if item["kind"] == "fact_again":
            return GOOD_AGAIN[expect["field"]]
        if expect["answer_contains"][0] == "Kasia":  # the relative: "Have you got kids?"
            return GOOD_FAMILY
        return GOOD_FACTS[expect["field"]]

    return played(persona, items, answer)


def failing(summary):
    return {key for key, check in realism.goals(summary).items() if check["ok"] is False}


def test_the_interview_for_tomasz_has_the_shape_of_a_first_session(items):
    kinds = [i["kind"] for i in items]
    assert 13 <= len(items) <= 16 and kinds[0] == "open" and kinds.count("risk") == 1
    assert {i["expect"]["field"] for i in items if "expect" in i} >= {"name", "age", "occupation", "living_situation"}
    assert len([i for i in items if "expect" in i]) == len(GOOD_FACTS) + 2  # a relative, and one fact asked again
    assert sum(k == "reflection" for k in kinds) >= 2


@pytest.mark.needs_data("esconv")
def test_a_known_bad_transcript_fails_the_realism_goals(tomasz, items):
    assert len(items) == len(BAD)
    summary = realism.summarise_transcript(played(tomasz, items, lambda item, i: BAD[i]), tomasz, items)
    assert summary["nonanswer_rate"] > 0.8
    assert summary["repeat_rate"] >= 0.4  # "I'm not sure." again and again, "I just feel tired." twice
    assert summary["fact_accuracy"] == 0 and summary["fact_wrong"] == 1  # "I am 42."
    assert summary["fact_consistency"] == 0
    assert summary["reply_words_mean"] < 4
    assert summary["length_jsd"] > 0.5
    assert failing(summary) >= {"nonanswer_rate", "repeat_rate", "fact_accuracy", "reply_words_mean", "length_jsd"}


@pytest.mark.needs_data("esconv")
def test_a_good_hand_written_transcript_passes_them(tomasz, items):
    summary = realism.summarise_transcript(good_transcript(tomasz, items), tomasz, items)
    assert summary["nonanswer_rate"] == 0 and summary["repeat_rate"] == 0
    assert summary["fact_accuracy"] == 1 and summary["fact_consistency"] == 1 and summary["fact_pairs"] == 1
    assert 12 <= summary["reply_words_mean"] <= 35
    assert not failing(summary), realism.goals(summary)


def test_a_short_right_answer_to_a_fact_question_is_an_answer():
    age = {"field": "age", "answer_contains": realism.age_terms(52)}
    assert realism.check_fact("I'm 52.", age) == "right"
    assert not realism.is_nonanswer("I'm 52.", fact_answered=True)
    assert realism.check_fact("Fifty-two, since March.", age) == "right"
    assert realism.check_fact("I'm fifty two.", age) == "right"
    # Right and wrong at once is wrong; a wrong age alone is wrong; no age is missing.
    assert realism.check_fact("I'm 52. Actually I'm 42.", age) == "wrong"
    assert realism.check_fact("I am forty-two years old.", age) == "wrong"
    assert realism.check_fact("Old enough, I suppose.", age) == "missing"
    # Not an age claim: years at the warehouse beside the right age.
    assert realism.check_fact("52. I worked there 22 years.", age) == "right"
    living = {"field": "living_situation", "answer_contains": ["Ewa", "wife", "Kasia", "daughter"]}
    assert realism.check_fact("With my wife.", living) == "right"
    assert realism.check_fact("With my sons.", living) == "missing"
    # The generated question knows who is at home: a husband or a son there is wrong.
    persona = read_card(next(p for p in library_paths() if p.stem == SLUG))["persona"]
    (home,) = [i["expect"] for i in realism.interview(persona, SLUG)
               if i["kind"] == "fact" and "Ewa" in i["expect"]["answer_contains"] and "contradicts" in i["expect"]]
    assert realism.check_fact("Ewa and our daughter.", home) == "right"
    assert realism.check_fact("My wife, my daughter and my son.", home) == "wrong"
    name = {"field": "name", "answer_contains": ["Tomasz", "Nowak"]}
    assert realism.check_fact("Tomasz.", name) == "right"
    assert realism.check_fact("My name is Jan. Well, Tomasz.", name) == "wrong"
    assert realism.check_fact("Jess.", name) == "wrong"  # only a name, and not his
    assert realism.check_fact("Tomasz Nowak.", name) == "right"
    assert realism.check_fact("Tom.", name) == "missing"  # a short form: not his name on the card, not another


@pytest.mark.parametrize("reply, nonanswer", [
    ("I'm not sure.", True),
    ("Um, well, I don't know what to say, really.", True),
    ("I'm fine. Just tired, I guess.", True),
    ("Nothing really. It's okay, honestly.", True),
    ("Yes.", True),
    ("I'm tired because I wake at three every night.", False),
    ("I don't know. Since the warehouse closed nothing feels worth doing.", False),
])
def test_non_answers_are_stock_evasions_or_three_words_or_fewer(reply, nonanswer):
    assert realism.is_nonanswer(reply) is nonanswer


def test_repeats_are_exact_or_share_most_of_their_words():
    earlier = ["I lost my job at the warehouse and I feel useless.", "Yes."]
    assert realism.is_repeat("Yes.", earlier)  # exact, however short
    assert realism.is_repeat("I feel useless since I lost my job.", earlier)  # 6 of its 7 words said before
    # Holding all of a short earlier reply's words is not repeating it.
    assert not realism.is_repeat("Ewa is my wife, and Kasia is our daughter, she is nineteen and wants to study.",
                                 ["My wife Ewa, and Kasia."])
    assert not realism.is_repeat("My wife works nights at a care home.", earlier)
    assert not realism.is_repeat("No.", earlier)  # too short to compare by overlap, and not equal


@pytest.mark.parametrize("path", library_paths(), ids=lambda p: p.stem)
def test_the_interview_of_every_card_asks_facts_the_card_answers(path):
    card = read_card(path)
    persona = card["persona"]
    items = realism.interview(persona, card["slug"])
    facts = {}
    for item in items:
        if "expect" in item:
            assert item["expect"]["answer_contains"], item
            facts.setdefault(item["expect"]["field"], []).append(item)
    assert {"name", "age", "occupation", "living_situation"} <= set(facts)

    def on_card(term, field):
        return re.search(re.escape(realism._stem(term)[:5]), str(persona[field]), re.IGNORECASE)

    (name,) = facts["name"]
    assert all(t in persona["name"] for t in name["expect"]["answer_contains"])
    assert str(persona["age"]) in facts["age"][0]["expect"]["answer_contains"]
    assert realism.number_words(persona["age"])[0] in facts["age"][0]["expect"]["answer_contains"]
    occupation = facts["occupation"][0]["expect"]["answer_contains"]
    assert any(on_card(t, "occupation") for t in occupation)
    living = facts["living_situation"][0]["expect"]["answer_contains"]
    assert any(on_card(t, "living_situation") for t in living)
    # No accepted answer is a word the question already says.
    for item in items:
        for term in (item.get("expect") or {}).get("answer_contains", []):
            if " " not in term:
                assert realism._stem(term) not in {realism._stem(w) for w in re.findall(r"\w+", item["text"].lower())}
    # The fact asked again is one asked before, in other words.
    again = [i for i in items if i["kind"] == "fact_again"]
    assert len(again) == 1
    first = next(i for i in items if i["kind"] == "fact" and i["expect"] == again[0]["expect"])
    assert first["text"] != again[0]["text"]


def test_interview_wording_varies_between_scenarios():
    scripts = {tuple(i["text"] for i in realism.interview(read_card(p)["persona"], p.stem)) for p in library_paths()}
    assert len(scripts) == len(library_paths())
    persona = read_card(library_paths()[0])["persona"]
    assert realism.interview(persona, "x") == realism.interview(persona, "x")  # the same every run


def test_relatives_are_parsed_from_the_card(tomasz):
    found = {(r["relation"], r["name"]) for r in realism.relatives(tomasz)}
    assert {("wife", "Ewa"), ("daughter", "Kasia"), ("father", None)} <= found
    assert realism.living_terms({"living_situation": "Lives alone in a studio flat; his girlfriend Sara lives "
                                                      "in Stockholm"})[0] == "alone"
    terms = realism.living_terms({"living_situation": "Sleeping on his friend Jess's couch since his partner "
                                                      "ended their relationship"})
    assert "Jess" in terms and "partner" not in terms


@pytest.mark.needs_data("esconv")
def test_jensen_shannon_distance():
    hist = realism.length_histogram([2, 5, 9, 15, 30, 40, 70])
    assert realism.js_distance(hist, hist) == 0
    reference = realism.reference_histogram()
    assert abs(sum(reference) - 1) < 1e-9
    assert realism.js_distance(realism.length_histogram([2, 3, 1, 2]), reference) > 0.3
    assert realism.js_distance([1, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 1]) == pytest.approx(1)


def test_length_needs_the_esconv_data(settings, tmp_path):
    settings.PIXEL_DATA_DIR = tmp_path
    with pytest.raises(ImproperlyConfigured, match="PIXEL_DATA_DIR"):
        realism.summarise_sessions([{"replies": [{"words": 5, "nonanswer": False, "repeat": False}],
                                     "facts": [], "pairs": []}])


DISCLOSURES = [
    {"id": "brother", "says": "I told my brother I still have the job.", "keywords": ["brother"], "unlock": {}},
    {"id": "kasia", "says": "Kasia put off university for us.", "keywords": ["university", "put off"], "unlock": {}},
    {"id": "point", "says": "I think, what is the point of me.", "keywords": ["point of me"], "unlock": {}},
]


def session(*client_lines):
    """(reply, unlocked ids) pairs -> a played transcript with the state simulate records."""
    turns = [{"role": "client", "text": "My doctor said I should come."}]
    for text, unlocked in client_lines:
        turns += [{"role": "trainee", "text": "..."}, {"role": "client", "text": text, "state": {"unlocked": unlocked}}]
    return turns


def test_responsiveness_counts_an_item_unlocked_and_then_said():
    good = session(("My brother calls sometimes.", []),  # said before it was unlocked: not a disclosure
                   ("It's hard.", ["brother"]),
                   ("I lied to my brother about the job.", ["brother", "kasia"]),
                   ("Kasia put off university to help.", ["brother", "kasia"]))
    poor = session(("I don't know.", []), ("My brother doesn't know.", []), ("Fine.", ["point"]))
    result = realism.responsiveness(good, poor, DISCLOSURES)
    assert result["good"] == {"items": 3, "unlocked": ["brother", "kasia"], "disclosed": ["brother", "kasia"]}
    assert result["poor"] == {"items": 3, "unlocked": ["point"], "disclosed": []}
    shares = realism.responsiveness_shares([result, {**result, "disclosed_good": 0}])
    assert shares["disclosed_good"] == round(2 / 6, 4) and shares["disclosed_poor"] == 0
    assert shares["unlocked_good"] == round(4 / 6, 4) and shares["responsiveness_scenarios"] == 2
    checks = realism.goals(realism.responsiveness_shares([result]))
    assert checks["disclosed_good"]["ok"] is False and checks["disclosed_poor"]["ok"] is True
    # Transcripts without state (before the state was recorded) unlock nothing.
    assert realism.disclosure_progress([{"role": "client", "text": "brother"}], DISCLOSURES)["unlocked"] == []


def _evaluated(name, candidate, base):
    return ModelVersion.objects.create(version=name, base_model="gemma-3-270m-q4_k_m.gguf", adapter_sha256=name,
                                       metrics={"candidate": {"summary": candidate}, "base": {"summary": base}})


BASE = {"persona_fidelity": 0.9, "crisis_safety": 1.0, "nonanswer_rate": 0.10, "repeat_rate": 0.02,
        "fact_accuracy": 0.8}


@pytest.mark.django_db
def test_the_gate_refuses_a_candidate_that_gives_more_non_answers(admin_user, settings):
    settings.PIXEL_SHIPPED_ADAPTER = False
    evasive = _evaluated("evasive", {**BASE, "persona_fidelity": 0.95, "nonanswer_rate": 0.40}, BASE)
    with pytest.raises(PromotionRefused, match="nonanswer_rate 0.400 is worse than the base model's 0.100"):
        do_promote_model(admin_user, evasive)
    forgetful = _evaluated("forgetful", {**BASE, "fact_accuracy": 0.5, "repeat_rate": 0.2}, BASE)
    assert promotion_check(forgetful, None) == ["repeat_rate 0.200 is worse than the base model's 0.020",
                                                "fact_accuracy 0.500 is worse than the base model's 0.800"]
    better = _evaluated("better", {**BASE, "nonanswer_rate": 0.05, "fact_accuracy": 0.95}, BASE)
    assert promotion_check(better, None) == []
    do_promote_model(admin_user, better)
    # A serving version evaluated before these figures existed must be evaluated again first.
    old = {"persona_fidelity": 0.9, "crisis_safety": 1.0}
    ModelVersion.objects.filter(pk=better.pk).update(metrics={"candidate": {"summary": old}})
    newer = _evaluated("newer", BASE, BASE)
    assert promotion_check(newer, ModelVersion.objects.get(pk=better.pk)) == [
        f"{key} is missing from serving version better's evaluation: run `manage.py evaluate_model` again"
        for key in ("nonanswer_rate", "repeat_rate", "fact_accuracy")]


@pytest.mark.django_db
@pytest.mark.needs_data("esconv")
def test_simulate_interview_json_has_a_summary(capsys, fake_llm, tomasz, items):
    from simulator.library import load_library

    load_library()
    # The scripted model says what the good hand-written Tomasz says (the persona guard may ask
    # for another attempt, so which line answers which question is not fixed here).
    fake_llm.replies = [turn["text"] for turn in good_transcript(tomasz, items)[2::2]]
    call_command("simulate", scenario=SLUG, interview=True, json=True)
    result = json.loads(capsys.readouterr().out)
    assert [t["role"] for t in result["turns"]] == ["client"] + ["trainee", "client"] * len(items)
    assert [t["text"] for t in result["turns"] if t["role"] == "trainee"] == [i["text"] for i in items]
    assert {k for t in result["turns"] for k in t} == {"role", "text", "seconds", "regenerations"}
    summary = result["summary"]
    assert set(summary) >= {"nonanswer_rate", "repeat_rate", "fact_accuracy", "fact_consistency", "fact_questions",
                            "reply_words_mean", "length_jsd", "disclosed", "unlocked"}
    assert summary["fact_questions"] == sum("expect" in i for i in items)
    assert 0 <= summary["fact_accuracy"] <= 1 and summary["length_jsd"] >= 0 and summary["reply_words_mean"] > 0


def test_a_disclosure_the_card_scripts_is_not_off_script():
    from training.evaluation import score_transcript

    persona = {"risk_profile": {"level": "moderate"},
               "disclosures": [{"id": "chat", "says": "A girl in the group chat posted that I should just disappear."}]}
    turns = [{"role": "client", "text": "Hi.", "reply_to": None},
             {"role": "trainee", "text": "What has school been like?"},
             {"role": "client", "text": "Awful. A girl in the group chat posted that I should just disappear.", "reply_to": 2},
             {"role": "trainee", "text": "That sounds so hurtful."},
             {"role": "client", "text": "Sometimes I want to kill myself.", "reply_to": 4}]
    replies = score_transcript({"turns": turns}, persona)["replies"]
    # The scripted line is on the card; the same risk in the client's own words, unasked, is not.
    assert [r["off_script_disclosure"] for r in replies] == [False, True]


@pytest.mark.django_db
def test_simulate_without_the_data_sets_still_prints_its_figures(capsys, fake_llm, tomasz, items, settings, tmp_path):
    from simulator.library import load_library

    load_library()
    settings.PIXEL_DATA_DIR = tmp_path  # a clone without ../shared/data
    call_command("simulate", scenario=SLUG, interview=True, json=True)
    out = capsys.readouterr()
    summary = json.loads(out.out)["summary"]
    assert summary["length_jsd"] is None and summary["fact_questions"] == sum("expect" in i for i in items)
    assert "length_jsd left out" in out.err and "PIXEL_DATA_DIR" in out.err
