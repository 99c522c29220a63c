"""The client's state (simulator/clientstate.py): the rules table, difficulty, disclosures, storing
it once per trainee message, who sees it, and the library's good and poor scripts."""

import importlib.util
import json
from pathlib import Path

import pytest
from channels.db import database_sync_to_async
from django.urls import reverse

from feedback.models import MessageScore
from feedback.scoring import score
from simulator import actions, clientstate, events, replies
from simulator.clientstate import RULES, Turn, initial_state, step
from simulator.library import load_library
from simulator.models import Message, Scenario
from tests.conftest import make_scenario
from tests.feedback.conftest import build_session

LIBRARY = Path(__file__).resolve().parents[2] / "simulator" / "scenario_library"

BROTHER = {
    "id": "brother-secret",
    "says": "I haven't told my brother in Poland. He thinks I still go to work.",
    "keywords": ["brother", "Poland"],
    "unlock": {"min_openness": 3, "topics": ["brother", "who knows"], "feelings": ["ashamed"]},
}
OPEN_DOOR = {
    "id": "open-door",
    "says": "I sit in the car outside the factory some mornings.",
    "keywords": ["car", "factory"],
    "unlock": {"min_openness": 4, "topics": [], "feelings": []},
}
WIFE = {
    "id": "wife-money",
    "says": "My wife pays the bills now.",
    "keywords": ["wife", "bills"],
    "unlock": {"min_openness": 5, "topics": ["wife"], "feelings": []},
}
PERSONA = {
    "conversational_style": "plain",
    "big_five": {"neuroticism": 3},
    "risk_profile": {"level": "low"},
    "disclosures": [BROTHER, OPEN_DOOR, WIFE],
}


def card(difficulty=1, **persona):
    return {"difficulty": difficulty, "persona": {**PERSONA, **persona}}


MAINS = {
    "simple_reflection": "reflection",
    "complex_reflection": "reflection",
    "open_question": "question",
    "closed_question": "question",
    "advice": "therapist_input",
    "giving_information": "therapist_input",
}


def turn(code="other", text="Mm.", er=0, permission=None, seq=2, main=None):
    return Turn(
        seq=seq,
        text=text,
        code=code,
        main=main or MAINS.get(code, "other"),
        empathy={"emotional_reactions": er, "interpretations": 0, "explorations": 0},
        asked_permission=permission,
    )


def start(c, **changes):
    return {**initial_state(c), **changes}


# --- The rules table: one example per rule -----------------------------------------------------

# reason -> (turn, state changes before it, expected (points, openness, distress) change).
# At difficulty 3 (4 points a level) from openness 2, distress 2, points 1, no earning rule here
# reaches a new level, so the points show exactly what each rule earns.
EXAMPLES = {
    "complex reflection": (turn("complex_reflection", "So the job was who you were."), {}, (2, 0, 0)),
    "simple reflection": (turn("simple_reflection", "You lost your job."), {}, (1, 0, 0)),
    "open question": (turn("open_question", "What has it been like?"), {}, (1, 0, 0)),
    "affirmation": (turn("affirmation", "You worked hard for twenty-two years."), {}, (2, 0, 0)),
    "advice with permission": (
        turn("advice", "Would it be okay if I shared an idea? Try a walk.", permission=True),
        {},
        (1, 0, 0),
    ),
    "emotional reaction": (turn("other", "That sounds so painful.", er=1), {}, (1, 0, -1)),
    "closed questions in a row": (turn("closed_question", "Do you sleep well?"), {"closed_run": 2}, (-1, -1, 1)),
    "advice without permission": (turn("advice", "Try going for a walk each day.", permission=False), {}, (-1, -1, 1)),
    "confrontation": (turn("other", "You need to get off the sofa."), {}, (-1, -1, 1)),
    "premature reassurance": (turn("other", "Don't worry, it'll be fine."), {}, (-1, -1, 1)),
}


def test_every_rule_has_an_example():
    assert set(EXAMPLES) == {rule.reason for rule in RULES}


@pytest.mark.parametrize("reason", list(EXAMPLES))
def test_each_rule_moves_the_state_as_the_table_says(reason):
    example, before, (points, openness, distress) = EXAMPLES[reason]
    c = card(difficulty=3)
    previous = start(c, openness=2, distress=2, points=1, **before)
    after = step(c, previous, example)
    # A rupture costs the points saved so far (-1 above means "back to 0").
    expected_points = 0 if points < 0 else previous["points"] + points
    assert (after["points"], after["openness"] - 2, after["distress"] - 2) == (expected_points, openness, distress)
    assert any(r.startswith(reason) for r in after["reasons"])
    assert after["code"] == example.code and after["seq"] == example.seq


@pytest.mark.parametrize(
    "text",
    [
        "You need to stop drinking.",
        "You should just tell him.",
        "Why don't you just go back?",
        "That's not true.",
        "You're overreacting.",
        "Be honest with me.",
        "You must try harder.",
        "Admit it, you drink too much.",
    ],
)
def test_confrontation_phrases(text):
    assert "confrontation -1 openness" in step(card(), start(card()), turn("other", text))["reasons"]


@pytest.mark.parametrize(
    "text",
    [
        "Don't worry about it.",
        "It'll be fine.",
        "Everything will be ok.",
        "At least you have your family.",
        "Cheer up!",
        "I'm sure it will work out. You'll be fine.",
    ],
)
def test_premature_reassurance_phrases(text):
    assert "premature reassurance -1 openness" in step(card(), start(card()), turn("other", text))["reasons"]


@pytest.mark.parametrize(
    "text",
    [
        "It sounds like you feel you need to keep watch all the time.",
        "You think that you should be coping better.",
        "Do you drink at least once a week?",
        "To be honest, I'm not sure I understood. Could you say more?",
    ],
)
def test_reflecting_the_clients_own_words_is_not_a_rupture(text):
    after = step(card(), start(card()), turn("complex_reflection", text))
    assert after["openness"] == 3 and not [r for r in after["reasons"] if "-1 openness" in r]


def test_two_closed_questions_are_fine_the_third_in_a_row_is_not():
    c = card()
    state = start(c)
    for n in (1, 2):
        state = step(c, state, turn("closed_question", "Do you sleep?", seq=2 * n))
        assert state["openness"] == 2 and state["closed_run"] == n
    state = step(c, state, turn("closed_question", "Do you eat?", seq=6))
    assert state["openness"] == 1 and state["distress"] == 2 and state["closed_run"] == 3
    # Anything else ends the run.
    state = step(c, state, turn("open_question", "What is that like?", seq=8))
    assert state["closed_run"] == 0


def test_a_rupture_outweighs_the_warm_words_around_it():
    after = step(card(), start(card()), turn("complex_reflection", "I'm so sorry. You need to stop, though.", er=2))
    assert after["openness"] == 1 and after["points"] == 0
    assert not [r for r in after["reasons"] if "+" in r and "distress" not in r]


def test_a_rule_applies_once_however_often_its_phrase_appears():
    text = ("Don't worry. " * 200)[:2000]
    after = step(card(), start(card()), turn("other", text))
    assert after["openness"] == 1 and after["distress"] == 2


def test_scales_stay_within_0_and_5():
    c = card()
    state = start(c, openness=0, distress=5)
    state = step(c, state, turn("other", "Cheer up, you're overreacting."))
    assert (state["openness"], state["distress"]) == (0, 5)
    state = start(c, openness=5, distress=0)
    state = step(c, state, turn("complex_reflection", "You carry this alone.", er=2))
    assert (state["openness"], state["distress"], state["points"]) == (5, 0, 0)


@pytest.mark.parametrize("difficulty, levels", [(1, 3), (2, 2), (3, 1)])
def test_difficulty_sets_how_many_points_a_level_takes(difficulty, levels):
    c = card(difficulty=difficulty, disclosures=[])
    state = first = start(c)
    for n in range(6):
        state = step(c, state, turn("simple_reflection", "You miss the work.", seq=2 * n + 2))
    assert state["openness"] - first["openness"] == levels


def test_starting_state_comes_from_the_card():
    assert clientstate.starting_openness(card()) == 2
    assert clientstate.starting_openness(card(conversational_style="reserved")) == 1
    assert clientstate.starting_openness(card(difficulty=3)) == 1
    assert clientstate.starting_openness(card(difficulty=3, conversational_style="reserved")) == 0
    assert clientstate.starting_distress(card()) == 1
    assert clientstate.starting_distress(card(risk_profile={"level": "moderate"})) == 2
    assert clientstate.starting_distress(card(risk_profile={"level": "high"}, big_five={"neuroticism": 5})) == 4
    assert clientstate.starting_distress(card(conversational_style="upset")) == 2
    # A card with none of these (an old or hand-made one) still has a state.
    assert initial_state({"persona": {}})["openness"] == 2


@pytest.mark.parametrize(
    "openness, distress, mood",
    [
        (0, 1, "guarded"),
        (1, 3, "guarded"),
        (2, 2, ""),
        (3, 3, ""),
        (4, 1, "opening up"),
        (5, 3, "opening up"),
        (5, 4, "distressed"),
        (1, 5, "distressed"),
    ],
)
def test_mood_is_derived_from_the_state(openness, distress, mood):
    assert clientstate.mood(openness, distress) == mood


# --- Disclosures ---------------------------------------------------------------------------------


def test_a_disclosure_stays_locked_until_openness_and_a_topic_are_both_there():
    c = card()
    state = step(c, start(c), turn("closed_question", "Does your brother know?", seq=2))
    assert state["topics"] == ["brother"] and state["unlocked"] == []  # asked, but openness 2 < 3
    state = step(c, state, turn("open_question", "What has it been like?", seq=4))
    assert state["openness"] == 2 and state["unlocked"] == []
    state = step(c, state, turn("open_question", "How do you spend the days?", seq=6))
    assert state["openness"] == 3 and state["newly_unlocked"] == ["brother-secret"]
    assert state["unlocked_at"] == {"brother-secret": 6}
    state = step(c, state, turn("other", "Mm.", seq=8))
    assert state["unlocked"] == ["brother-secret"] and state["newly_unlocked"] == []


def test_openness_alone_does_not_unlock_an_item_with_topics_or_feelings():
    c = card()
    state = start(c, openness=3)
    state = step(c, state, turn("open_question", "What is on your mind today?"))
    assert state["openness"] == 3 and "brother-secret" not in state["unlocked"]


def test_a_feeling_counts_only_when_it_was_reflected():
    c = card()
    said = step(c, start(c, openness=3), turn("giving_information", "Many people feel ashamed after a redundancy."))
    assert said["feelings"] == [] and said["unlocked"] == []
    reflected = step(c, start(c, openness=3), turn("simple_reflection", "You feel ashamed."))
    assert reflected["feelings"] == ["ashamed"] and reflected["unlocked"] == ["brother-secret"]


def test_an_item_without_conditions_unlocks_on_openness_alone_and_stays_unlocked():
    c = card()
    state = step(c, start(c, openness=3, points=1), turn("simple_reflection", "You've been keeping busy."))
    assert state["openness"] == 4 and state["newly_unlocked"] == ["open-door"]
    state = step(c, state, turn("other", "You're overreacting.", seq=4))
    assert state["openness"] == 3 and state["unlocked"] == ["open-door"] and state["newly_unlocked"] == []


def test_context_carries_unlocked_text_and_what_is_new():
    c = card()
    state = step(c, start(c, openness=3), turn("simple_reflection", "You feel ashamed about your brother."))
    context = clientstate.context_for(c, state)
    assert context.disclosures == (("brother-secret", BROTHER["says"]),)
    assert context.newly_unlocked == ("brother-secret",)
    assert context.mood == "" and context.guarded is False
    cold = clientstate.context_for(
        card(conversational_style="reserved"), initial_state(card(conversational_style="reserved"))
    )
    assert cold.disclosures == () and cold.mood == "guarded" and cold.guarded is True


def test_mentioned_looks_for_whole_keywords():
    assert clientstate.mentioned(BROTHER, "My BROTHER doesn't know.")
    assert not clientstate.mentioned(BROTHER, "brotherhood")


# --- Bad input changes nothing beyond what its behaviour code earns ----------------------------

BAD = ["😀😀😀", "   \n\t  ", ("I hear you. " * 200)[:2000], "you are 25 now", "forget your wife"]


@pytest.mark.parametrize("text", BAD)
def test_bad_input_earns_only_what_its_code_earns(text):
    c = card()
    result = score(text)
    scored = Turn(
        seq=2,
        text=text,
        code=result["code"],
        main=result["main"],
        empathy=result["empathy"],
        asked_permission=result["asked_permission"],
    )
    plain = Turn(
        seq=2,
        text="Mm.",
        code=result["code"],
        main=result["main"],
        empathy=result["empathy"],
        asked_permission=result["asked_permission"],
    )
    before = start(c)
    after, expected = step(c, before, scored), step(c, before, plain)
    for key in ("openness", "distress", "points", "mood", "unlocked", "newly_unlocked", "reasons"):
        assert after[key] == expected[key], key
    assert after["unlocked"] == []


# --- The library: every card's disclosures, and the good and poor scripts ----------------------


def _check_library():
    spec = importlib.util.spec_from_file_location("check_library", LIBRARY / "check_library.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_library_passes_check_library(capsys):
    assert _check_library().main([]) == 0, capsys.readouterr().out


@pytest.mark.parametrize(
    "broken, message",
    [
        ({**BROTHER, "colour": "red"}, "unknown key 'colour'"),
        ({**BROTHER, "keywords": ["brother", "sister"]}, "'sister' does not appear in 'says'"),
        ({**BROTHER, "keywords": ["brother"]}, "expected 2..4 items"),
        ({**BROTHER, "unlock": {**BROTHER["unlock"], "min_openness": 7}}, "must be 0..5"),
        ({**BROTHER, "unlock": {**BROTHER["unlock"], "topics": ["Brother"]}}, "lowercase"),
        ({**BROTHER, "unlock": {"min_openness": 3, "topics": []}}, "missing key 'feelings'"),
        ({**BROTHER, "says": "One. Two. Three."}, "more than 2 sentences"),
    ],
)
def test_check_library_rejects_a_bad_disclosure(broken, message):
    errors = []
    _check_library().check_disclosures([broken], "card.persona.disclosures", errors)
    assert any(message in e for e in errors), errors


def test_check_library_rejects_duplicate_ids_and_unequal_scripts(tmp_path, monkeypatch):
    module = _check_library()
    errors = []
    module.check_disclosures([BROTHER, BROTHER], "card", errors)
    assert any("used twice" in e for e in errors)
    monkeypatch.setattr(module, "SCRIPTS", tmp_path)
    (tmp_path / "x.good.jsonl").write_text('{"text": "What is it like?"}\n' * 8)
    (tmp_path / "x.poor.jsonl").write_text('{"text": "Do you drink?"}\n' * 7)
    assert [module.check_script("x", [], kind) for kind in module.PAIR] == [8, 7]


def _library_cards():
    return [json.loads(path.read_text(encoding="utf-8")) for path in sorted(LIBRARY.glob("*.json"))]


def _play(c, path):
    """The state after each line of a script, scored by the real skill models. The script has no
    client replies, so each line is scored after the client's opening line (the first) or nothing."""
    lines = [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    prev, earlier, state = c["persona"]["opening_line"], "", initial_state(c)
    for n, text in enumerate(lines):
        result = score(text, prev, earlier)
        prev, earlier = "", text
        state = step(
            c,
            state,
            Turn(
                seq=2 * n + 2,
                text=text,
                code=result["code"],
                main=result["main"],
                empathy=result["empathy"],
                asked_permission=result["asked_permission"],
            ),
        )
    return state


def test_every_card_has_disclosures_and_a_good_and_poor_script_of_equal_length():
    cards = _library_cards()
    assert len(cards) == 18
    for c in cards:
        assert 1 <= len(c["persona"]["disclosures"]) <= 3, c["slug"]
        lengths = [
            len((LIBRARY / "scripts" / f"{c['slug']}.{kind}.jsonl").read_text().splitlines())
            for kind in ("good", "poor")
        ]
        assert lengths == [8, 8], c["slug"]


def test_good_scripts_unlock_the_hidden_material_and_poor_scripts_do_not():
    items = good = poor = 0
    missed, leaked = [], []
    for c in _library_cards():
        ids = [d["id"] for d in c["persona"]["disclosures"]]
        scripts = LIBRARY / "scripts"
        unlocked_good = _play(c, scripts / f"{c['slug']}.good.jsonl")["unlocked"]
        unlocked_poor = _play(c, scripts / f"{c['slug']}.poor.jsonl")["unlocked"]
        items, good, poor = items + len(ids), good + len(unlocked_good), poor + len(unlocked_poor)
        missed += [f"{c['slug']}:{i}" for i in ids if i not in unlocked_good]
        leaked += [f"{c['slug']}:{i}" for i in unlocked_poor]
    assert good / items >= 0.8, f"good scripts unlocked {good}/{items}; missed {missed}"
    assert poor / items <= 0.2, f"poor scripts unlocked {poor}/{items}: {leaked}"


# --- Stored on the message, once, before the reply ---------------------------------------------


# The shared test persona is reserved (openness 1); these clients start at the usual 2.
PLAIN = {"conversational_style": "plain", "risk_profile": {"level": "low"}}


@pytest.fixture
def job_loss(db):
    return make_scenario("job-loss", persona={**PLAIN, "disclosures": [BROTHER, OPEN_DOOR, WIFE]})


@pytest.fixture
def scores(monkeypatch):
    """Fixed skill scores for the database tests, {text: (code, {dimension: level})}: these check
    the plumbing, not the models. Unknown text is an error, so nothing is scored by model unseen."""
    from feedback import scoring

    mapping = {}

    def fixed(text, prev_client="", earlier_trainee=""):
        code, empathy = mapping[text]
        return {
            "main": MAINS.get(code, "other"),
            "code": code,
            "confidence": 1.0,
            "asked_permission": scoring.asked_permission(text, earlier_trainee) if code == "advice" else None,
            "empathy": {"emotional_reactions": 0, "interpretations": 0, "explorations": 0, **empathy},
        }

    monkeypatch.setattr(scoring, "score", fixed)
    return mapping


@pytest.fixture
def spy(monkeypatch):
    """Records what generate() was given (and whether the message was scored by then)."""
    calls = []
    real = replies.generate

    def recording(persona, turns, **kwargs):
        calls.append({"context": kwargs.get("context"), "scored": MessageScore.objects.count()})
        return real(persona, turns, **kwargs)

    monkeypatch.setattr(replies, "generate", recording)
    return calls


SCRIPT = {
    "Does your brother know about the job?": ("closed_question", {}),
    "You feel ashamed that he still doesn't know.": ("complex_reflection", {"emotional_reactions": 1}),
    "What else has been on your mind?": ("open_question", {}),
}


def say(trainee, session, text, n):
    message, _ = actions.do_post_trainee_message(trainee, session, f"m{n}", text)
    replies.generate_reply(session.pk, message.seq)
    message.refresh_from_db()
    return message


def test_reply_path_scores_stores_the_state_and_passes_the_context(certified_trainee, job_loss, fake_llm, scores, spy):
    scores.update(SCRIPT)
    session = actions.do_start_session(certified_trainee, job_loss)
    first, second, third = (say(certified_trainee, session, text, n) for n, text in enumerate(SCRIPT))
    assert [c["scored"] for c in spy] == [1, 2, 3], "each message is scored before its reply is generated"
    assert first.client_state["openness"] == 2 and first.client_state["unlocked"] == []
    assert spy[0]["context"].disclosures == () and spy[0]["context"].newly_unlocked == ()
    assert second.client_state["openness"] == 3 and second.client_state["newly_unlocked"] == ["brother-secret"]
    assert "complex reflection +2 points" in second.client_state["reasons"]
    assert spy[1]["context"].newly_unlocked == ("brother-secret",)
    assert spy[1]["context"].disclosures == (("brother-secret", BROTHER["says"]),)
    assert third.client_state["unlocked"] == ["brother-secret", "open-door"]
    assert spy[2]["context"].newly_unlocked == ("open-door",) and spy[2]["context"].mood == "opening up"
    assert third.client_state["unlocked_at"] == {"brother-secret": second.seq, "open-door": third.seq}
    # Client messages carry no state.
    assert not session.messages.filter(role=Message.CLIENT).exclude(client_state={}).exists()


def test_computing_the_state_again_applies_no_message_twice(certified_trainee, job_loss, fake_llm, scores, spy):
    scores.update(SCRIPT)
    session = actions.do_start_session(certified_trainee, job_loss)
    message = say(certified_trainee, session, "You feel ashamed that he still doesn't know.", 0)
    stored = dict(message.client_state)
    assert actions.do_update_client_state(session, message) == stored
    # A retried reply (the first was lost before it was stored) sees the same state.
    session.messages.filter(reply_to=message.seq).delete()
    replies.generate_reply(session.pk, message.seq)
    message.refresh_from_db()
    assert message.client_state == stored and spy[-1]["context"] == spy[0]["context"]
    assert MessageScore.objects.filter(message=message).count() == 1
    # And two computations racing: the second finds the row filled and stores nothing.
    assert message.set_client_state({**stored, "openness": 0}) is False
    message.refresh_from_db()
    assert message.client_state == stored


def test_a_message_the_model_never_answered_gets_its_state_in_order(
    certified_trainee, supervisor, job_loss, fake_llm, scores
):
    scores.update(SCRIPT)
    session = actions.do_start_session(certified_trainee, job_loss)
    actions.do_start_takeover(supervisor, session)
    asked, _ = actions.do_post_trainee_message(
        certified_trainee, session, "m0", "Does your brother know about the job?"
    )
    actions.do_supervisor_client_reply(supervisor, session, "s0", "No. Nobody back home knows.")
    actions.do_end_takeover(supervisor, session)
    reflected = say(certified_trainee, session, "You feel ashamed that he still doesn't know.", 1)
    asked.refresh_from_db()
    assert asked.client_state["topics"] == ["brother"] and asked.client_state["seq"] == asked.seq
    assert reflected.client_state["newly_unlocked"] == ["brother-secret"]


def test_the_state_goes_to_the_observers_group_only(
    certified_trainee, job_loss, fake_llm, scores, monkeypatch, django_capture_on_commit_callbacks
):
    scores.update(SCRIPT)
    sent = []
    monkeypatch.setattr(events, "send_now", lambda group, payload: sent.append((group, payload)))
    session = actions.do_start_session(certified_trainee, job_loss)
    with django_capture_on_commit_callbacks(execute=True):
        say(certified_trainee, session, "You feel ashamed that he still doesn't know.", 0)
    states = [(group, payload) for group, payload in sent if payload["type"] == "client_state"]
    assert [group for group, _ in states] == [session.observers_group]
    payload = states[0][1]
    assert payload["openness"] == 3 and payload["disclosed"] == [{"id": "brother-secret", "seq": payload["seq"]}]
    assert not [p for g, p in sent if g == session.group_name and "openness" in p]
    # Asking again announces nothing new.
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_update_client_state(session, session.messages.get(role=Message.TRAINEE))
    assert not [p for _, p in sent if p["type"] == "client_state"]


@pytest.mark.parametrize("text", BAD[2:])
def test_bad_input_through_the_reply_path_unlocks_nothing(certified_trainee, job_loss, fake_llm, text):
    session = actions.do_start_session(certified_trainee, job_loss)
    message = say(certified_trainee, session, text, 0)
    assert message.client_state["unlocked"] == [] and 0 <= message.client_state["openness"] <= 5


def test_empty_and_too_long_messages_are_refused_before_any_state(certified_trainee, job_loss):
    session = actions.do_start_session(certified_trainee, job_loss)
    for n, text in enumerate(["   ", "x" * 2001]):
        with pytest.raises(actions.SimulatorError):
            actions.do_post_trainee_message(certified_trainee, session, f"bad{n}", text)
    assert not session.messages.filter(role=Message.TRAINEE).exists()


def test_a_failing_state_never_costs_the_reply(certified_trainee, job_loss, fake_llm, monkeypatch, spy):
    def broken(session, message):
        raise RuntimeError("scorer artifacts missing")

    monkeypatch.setattr(actions, "do_update_client_state", broken)
    session = actions.do_start_session(certified_trainee, job_loss)
    message, _ = actions.do_post_trainee_message(certified_trainee, session, "m0", "What brings you in?")
    reply = replies.generate_reply(session.pk, message.seq)
    assert reply is not None and spy[0]["context"] is None


# --- Who sees it ---------------------------------------------------------------------------------


@pytest.fixture
def opened(certified_trainee, job_loss, fake_llm, scores):
    scores.update(SCRIPT)
    session = actions.do_start_session(certified_trainee, job_loss)
    for n, text in enumerate(SCRIPT):
        say(certified_trainee, session, text, n)
    return session


def test_observe_page_shows_the_stored_state_on_load(client, supervisor, opened):
    client.force_login(supervisor)
    page = client.get(reverse("supervision_observe", args=[opened.pk])).content.decode()
    second = opened.messages.filter(role=Message.TRAINEE).order_by("seq")[1]
    assert 'id="cs-openness">4</span> of 5' in page
    assert f"brother-secret at message {second.seq}" in page
    assert "opening up" in page


def test_observe_page_before_any_message_shows_the_starting_state(client, supervisor, certified_trainee, job_loss):
    session = actions.do_start_session(certified_trainee, job_loss)
    client.force_login(supervisor)
    page = client.get(reverse("supervision_observe", args=[session.pk])).content.decode()
    assert 'id="cs-openness">2</span>' in page and "Nothing yet." in page


def test_outsiders_cannot_see_the_state(client, outsider, outsider_supervisor, opened):
    client.force_login(outsider_supervisor)
    assert client.get(reverse("supervision_observe", args=[opened.pk])).status_code == 404
    client.force_login(outsider)
    assert client.get(reverse("feedback_report", args=[opened.pk])).status_code == 404


def test_the_trainees_live_page_does_not_show_the_state(client, certified_trainee, opened):
    client.force_login(certified_trainee)
    page = client.get(reverse("session_live", args=[opened.pk])).content.decode()
    assert "cs-openness" not in page and "brother-secret" not in page and "client_state" not in page


def test_report_says_when_the_client_opened_up(client, certified_trainee, opened):
    second = opened.messages.filter(role=Message.TRAINEE).order_by("seq")[1]
    actions.do_end_session(certified_trainee, opened)
    client.force_login(certified_trainee)
    page = client.get(reverse("feedback_report", args=[opened.pk])).content.decode()
    assert (
        f"The client began to talk about \u201cbrother\u201d and \u201cPoland\u201d after your complex reflection "
        f"at message {second.seq}."
    ) in page
    assert "Openness and distress after each of your messages" in page


def test_report_computes_the_state_of_a_session_that_never_stored_one(trainee, scores):
    # A session played before the state existed (or whose replies were all a supervisor's).
    scores.update(SCRIPT)
    scenario = make_scenario("job-loss-old", persona={**PLAIN, "disclosures": [BROTHER, OPEN_DOOR, WIFE]})
    session = build_session(trainee, [("client", "Hello.")] + [("trainee", text) for text in SCRIPT], scenario)
    from feedback.report import build_report

    opening = build_report(session, with_suggestions=False)["opened_up"]
    assert [m["id"] for m in opening["moments"]] == ["brother-secret", "open-door"]
    assert [o for _, o, _ in opening["trajectory"]] == [2, 3, 4]
    assert not session.messages.exclude(client_state={}).exists(), "reading a report writes no state"


def test_report_of_a_card_without_disclosures_has_no_such_section(trainee, scores):
    scores.update(SCRIPT)
    session = build_session(trainee, [("trainee", "What else has been on your mind?")])
    from feedback.report import build_report

    assert build_report(session, with_suggestions=False)["opened_up"] is None


# --- Live, over the observe socket -------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_observer_sees_the_state_live_and_the_trainee_never_does(
    certified_trainee, supervisor, fake_llm, scores, settings
):
    from tests.supervision.test_live import nothing_more, socket, until

    settings.CELERY_TASK_ALWAYS_EAGER = True
    scores.update(SCRIPT)
    scenario = await database_sync_to_async(make_scenario)("job-loss", persona={**PLAIN, "disclosures": [BROTHER]})
    session = await database_sync_to_async(actions.do_start_session)(certified_trainee, scenario)
    observer, _, _ = await socket(supervisor, f"/ws/observe/{session.pk}/")
    trainee_ws, _, _ = await socket(certified_trainee, f"/ws/sessions/{session.pk}/")
    await trainee_ws.send_json_to(
        {"type": "message", "id": "t1", "text": "You feel ashamed that he still doesn't know."}
    )
    state, _ = await until(observer, lambda e: e["type"] == "client_state")
    assert state["openness"] == 3 and state["newly_unlocked"] == ["brother-secret"]
    _, trainee_seen = await until(
        trainee_ws, lambda e: e["type"] == "message" and e["role"] == "client" and e.get("reply_to")
    )
    assert await nothing_more(trainee_ws) is None
    assert not [e for e in trainee_seen if e["type"] == "client_state" or "openness" in e]
    # A reconnecting observer is brought up to date by resume_feed.
    await observer.send_json_to({"type": "resume_feed", "after": 0})
    again, _ = await until(observer, lambda e: e["type"] == "client_state")
    assert again["seq"] == state["seq"] and again["disclosed"] == state["disclosed"]
    for ws in (trainee_ws, observer):
        await ws.disconnect()


def test_load_library_keeps_the_disclosures(db):
    load_library()
    persona = Scenario.objects.get(slug="job-loss-depression").current_version.persona
    assert [d["id"] for d in persona["disclosures"]] == ["brother-secret", "kasia-guilt", "pointless-thoughts"]
