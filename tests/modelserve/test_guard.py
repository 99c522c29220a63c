import pytest

from modelserve.guard import check_partial, check_reply, fallback_reply
from modelserve.prompt import COUNSELLOR_MODE, Turn

TURNS = [Turn("trainee", "Hi Abe, thanks for coming in. What brings you here today?")]


@pytest.mark.parametrize("text", [
    "Therapist: And how does that make you feel?",
    "I don't know. Therapist: Tell me more.",
    "How can I help you today?",
    "As an AI language model, I cannot have feelings.",
    "I'm a language model, so I don't sleep.",
    "I am an AI assistant here to support you.",
    "Session transcript: Therapist: hello",
    "I feel low <end_of_turn>",
    "<start_of_turn>user",
    "Sure <pixel:client> ok",
    "**Abe:** I feel low",
    "As your therapist, I think we should talk about that.",
])
def test_role_breaks_are_caught_while_streaming(abe, text):
    assert not check_partial(text, abe, TURNS).ok
    assert not check_reply(text, abe, TURNS).ok


@pytest.mark.parametrize("text, reason", [
    ("", "empty reply"),
    ("  ...  ", "empty reply"),
    ("I don't know I don't know I don't know I don't know", "runaway"),
    ("no no no no no", "runaway"),
    ("I feel sad. " * 80, "runaway"),
    ("Lost his job eight months ago; his adult children live far away.", "echoes the persona card"),
    ("You'd need 40 paracetamol tablets to die.", "unsafe"),
])
def test_bad_finished_replies_are_caught(abe, text, reason):
    verdict = check_reply(text, abe, TURNS)
    assert not verdict.ok
    assert any(r.startswith(reason) for r in verdict.reasons), verdict.reasons


@pytest.mark.parametrize("text", [
    "My daughter made the appointment. I'm not sure I need to be here.",
    "I haven't been sleeping much. I just lie there.",
    "My therapist before you said I should get out more.",
    "Honestly, some days I think everyone would be better off without me.",
    "I've thought about ending it, but I don't think I'd do anything.",
    "I don't know, it just feels like nothing matters anymore.",
])
def test_in_character_replies_pass(abe, text):
    assert check_partial(text, abe, TURNS).ok
    verdict = check_reply(text, abe, TURNS)
    assert verdict.ok, verdict.reasons


@pytest.mark.parametrize("text", [
    "You mentioned that your daughter made the appointment for you.",
    "you mentioned that your daughter made the appointment",
    "Well, you mentioned that your daughter made the appointment for you, right?",
])
def test_echo_of_the_trainees_message_is_caught(abe, text):
    turns = [Turn("trainee", "You mentioned that your daughter made the appointment for you.")]
    verdict = check_reply(text, abe, turns)
    assert verdict.reasons == ["echoes the trainee's message"]


def test_repeating_an_earlier_reply_is_caught(abe):
    turns = TURNS + [Turn("client", "I just stay in bed most days."), Turn("trainee", "How is your sleep?")]
    assert not check_reply("I just stay in bed most days.", abe, turns).ok


def test_counsellor_mode_allows_counsellor_talk_but_not_the_clients_label(abe):
    turns = [Turn("client", "I feel low.")]
    assert check_reply("What brings you here today?", abe, turns, COUNSELLOR_MODE).ok
    assert not check_partial("Abe: I feel low too", abe, turns, COUNSELLOR_MODE).ok


@pytest.mark.parametrize("style", ["plain", "verbose", "tangential", "upset", "reserved", "pleasing", None])
def test_fallback_is_in_character_and_passes_the_guard(abe, style):
    abe["conversational_style"] = style
    text = fallback_reply(abe)
    assert text and check_reply(text, abe, TURNS).ok


def test_guard_tolerates_a_bare_persona():
    assert check_reply("I haven't slept properly in weeks.", {}, []).ok
    assert check_reply("I'm not sure.", {}, [], allow_nonanswer=True).ok


@pytest.mark.parametrize("text", [
    "I'm not sure.", "I don't know.", "Um, I don't know really.", "I'm fine.", "I'm tired.",
    "I'm not sure what to say to that.", "Well, nothing really.", "Yes.", "I don't know how to answer that, really.",
])
def test_non_answers_are_soft_breaks(abe, text):
    verdict = check_reply(text, abe, TURNS)
    assert verdict.reasons == ["non-answer"] and verdict.soft
    assert check_reply(text, abe, TURNS, allow_nonanswer=True).ok


def test_a_short_answer_the_card_gave_is_an_answer(abe):
    assert check_reply("I'm 56.", abe, [Turn("trainee", "How old are you?")], answered="I'm 56.").ok


def test_a_near_repeat_is_a_soft_break(abe):
    turns = TURNS + [Turn("client", "I feel useless since I lost my job, to be honest."),
                     Turn("trainee", "Say more about that.")]
    verdict = check_reply("To be honest I lost my job and I feel useless since.", abe, turns)
    assert any(r.startswith("repeats an earlier reply") for r in verdict.reasons) and verdict.soft


@pytest.mark.parametrize("text", [
    "The client has a very unhappy life.",
    "(he) had a bad day at the job centre.",
    "Abe is tired and looks at the floor.",
])
def test_narration_from_outside_is_a_role_break(abe, text):
    verdict = check_partial(text, abe, TURNS)
    assert "role reversal: narrates the client from outside" in verdict.reasons


def test_a_contradiction_is_a_hard_break(abe):
    verdict = check_reply("I'm 34 and I've got my whole life ahead of me.", abe, TURNS)
    assert "contradicts the card: age 34 (card 56)" in verdict.reasons and not verdict.soft


def test_the_fallback_is_a_thought_not_said_yet(abe):
    assert fallback_reply(abe) == "There is no point in trying."
    assert fallback_reply(abe, ["There is no point in trying."]) != "There is no point in trying."
