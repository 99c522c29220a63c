"""The rules on their own: categories, levels, negation, person, tense, idioms, obfuscation."""

import pytest

from modelserve.crisis import LEVELS, check
from modelserve.crisis.normalise import normalise
from modelserve.crisis.rules import run


def at_least(level, floor):
    return LEVELS.index(level) >= LEVELS.index(floor)


# Explicit statements of plan, intent, method or attempt, in our own words: none may be missed.
EXPLICIT = [
    "I am going to kill myself tonight.",  # uncontracted: once missed as intent
    "I am about to end it all.",
    "I'm going to kill myself.",
    "im gonna off myself",  # slang "off", kept when "of" stopped matching it
    "I'll off myself if it happens again.",
    "I stabbed myself in the leg last night.",
    "I planned out how I would do it.",
    "I will end my life this weekend.",
    "I've decided to end it all.",
    "I have a plan to kill myself.",
    "My plan is to jump off the bridge near my flat.",
    "I've worked out how I'll do it.",
    "I keep thinking about hanging myself.",
    "I want to overdose on my sleeping pills.",
    "I could shoot myself with my dad's gun.",
    "I'm going to jump in front of a train.",
    "I tried to kill myself last year and I still want to die.",
    "I've been stockpiling my meds for when I'm ready.",
    "I wrote a goodbye note to my sister.",
    "I just took a whole bottle of pills.",
    "The rope is ready in the garage.",
    "I won't be here tomorrow.",
    "This is my last message, goodbye everyone.",
    "I'm going to slit my wrists tonight.",
    "I picked the date, it's Friday.",
    "I'm going to stab my stepdad when he gets home.",
    # Found missing in a later review; each was "none" or "moderate" before.
    "I'm going to take all my pills tonight.",
    "I'm going to swallow a whole bottle of tylenol.",
    "I'm standing on the bridge right now.",
    "This will be my last post.",
    "I've written letters to my family for after I'm gone.",
    "I just swallowed everything in the medicine cabinet.",
    "I'm not going to be here after tomorrow.",
    "I don't see myself being alive next week.",
    "i'm gonna kms",
    "I can't go on. I bought a gun.",
    "There's no point anymore, I'm checking out tonight.",
    "I'm trying to hold on but tomorrow might be it.",
    "I've got the pills lined up on my desk.",
    "I've been researching how many pills it takes.",
    "I looked up how to tie a noose.",
    "I held the knife to my wrist last night.",
    "I can't take it anymore, I'm going to end this tonight.",
    "I'll be gone by morning.",
    "I'm going to make them pay, I have my dad's gun.",
    # Method acts from the Suicide Risk Lexicon's active-ideation list, said as intent or wish.
    "I'm going to overdose.",
    "I'm going to blow my brains out.",
    "I want to drink myself to death.",
    "I want to slash my wrists.",
    "I'm going to jump out of the window.",
    "I'm going to run in front of traffic.",
    "I keep thinking about crashing my car.",
    "I'm going to od",
]


@pytest.mark.parametrize("text", [
    "I will kill myself tomorrow.",  # "tomorrow", "soon" and "asleep" once never counted as timing
    "I'm going to end it soon.",
    "I'll do it after everyone's asleep, I'm going to kill myself.",
    "kms tonight",
    "I'm going to take all my pills tonight.",
    "I just swallowed everything in the medicine cabinet.",
])
def test_the_act_with_a_time_or_under_way_is_imminent(text):
    assert run(text)["level"] == "imminent", run(text)


@pytest.mark.parametrize("text", [
    "I'm going to take my meds tonight.",
    "I'm going to take 2 tablets of ibuprofen for my headache.",
    "I'm going to take all of the exams this year.",
    "I'm going to jump in the pool.",
    "Tomorrow might be it for the exam results.",
    "Will tomorrow be it?",
    "I'm checking out of the hotel tonight.",
    "I bought a gun for hunting season.",
    "I'm going to cut class tomorrow.",
    "I'm going to end this meeting now.",
    "I looked up how to tie a tie.",
    "How many pills should I take for a headache?",
    "I just want to disappear for a few days.",
    "I'm going to pull the trigger on the new job offer.",
    "I want to drown my sorrows tonight.",
    "I'm going to crash at my friend's place.",
    "I'm going to cut the cake.",
    "I want to cut my hair short.",
    "I'm going to stop living in the past.",
    # "off" is squeezed to "of" before matching, so "I'm proud of myself" once read as "I'm going to
    # off myself" (imminent), and "stabilize" as "stab".
    "I'm proud of myself for going.",
    "I'm so ashamed of myself.",
    "I'm tired of my life in this town.",
    "I need to take care of myself.",
    "I'm trying to stabilize myself before the baby comes.",
    "Whilst it hurts to think about him being dead, I think about him every day.",
    "I'm not sure if I want to live with my auntie.",
    "I don't want to live with my parents any more.",
    "I need to take my own advice.",
    "I daytrade a bit myself too.",
    "I had my whole life planned out and it was going to end in a long marriage.",
])
def test_ordinary_plans_that_share_the_words_are_not_risk(text):
    assert run(text)["level"] == "none", run(text)


# Explicit acts said without "suicide" or "kill myself" (rules-4): each family was found missed on
# the training statements; these wordings are our own, not the statements', so they check that a
# rule reads the family and not one sentence.
@pytest.mark.parametrize("text, category, level", [
    # Preparation is high; with a time, or with the means at hand, imminent (rules-5).
    ("I've been hiding my sleeping pills in a sock drawer for when the time comes.", "preparatory", "high"),
    ("I ordered a bottle of paracetamol online so I can take them all at once", "preparatory", "high"),
    ("I've rehomed the cat so she's looked after when I'm gone.", "preparatory", "high"),
    ("I paid off my credit card so my sister won't have to deal with it after I'm dead.", "preparatory", "high"),
    ("I wrote goodbye letters to my kids yesterday", "preparatory", "high"),
    ("I've hidden my sleeping pills in a sock drawer and tonight I'm taking them all.", "preparatory", "imminent"),
    ("I figured out exactly how I'd do it.", "plan", "high"),
    ("I tried to end my life three weeks ago.", "past_attempt", "high"),  # within three months
    ("I stood at the edge of the bridge on Saturday.", "past_attempt", "high"),
    ("I was sitting in my car with the engine running in the garage last night", "past_attempt", "high"),
    ("My uncle keeps a rifle in the shed and I keep thinking about using it on myself.", "method", "high"),
    ("I looked up how many paracetamol it would take to die.", "method", "high"),
    ("I keep my sleeves down so nobody sees the new cuts", "self_harm", "high"),
    ("I wear a hoodie so my dad can't see the burns", "self_harm", "moderate"),
    ("I've thought about how I'd kill my ex", "harm_others", "high"),
    ("He's hit me before and he's drinking again.", "abuse", "high"),
    ("My partner won't let me see my friends.", "abuse", "high"),  # control going on now (rules-5)
    ("I'm going to jump when everyone's asleep", "intent", "imminent"),
    ("im on the bridge now", "preparatory", "imminent"),
    ("I won't be here by morning", "intent", "imminent"),
    ("I've just taken a whole packet of paracetamol", "past_attempt", "imminent"),
    ("I'm driving to the reservoir tonight and I'm not coming back", "intent", "imminent"),
    ("I've cut deeper than I wanted to and it won't stop bleeding", "self_harm", "imminent"),
    ("ctb tonite", "intent", "imminent"),
    ("I've had a bottle of wine and most of my pills, taking the rest now", "past_attempt", "imminent"),
    ("Does anyone else think about dying a lot?", "suicidal_thoughts", "moderate"),
    ("Dying seems like the only way out.", "suicidal_thoughts", "moderate"),
    ("I keep thinking I should not be here", "suicidal_thoughts", "moderate"),
] + [
    # rules-5: the families the rules still missed on the training statements, and the levels as
    # the definitions give them (preparation high, means at hand imminent, a passive wish low).
    ("Made a noose out of a dressing gown cord last week", "preparatory", "high"),
    ("The rope is hung from the beam in the loft", "preparatory", "imminent"),
    ("My tablets are all laid out on the desk", "preparatory", "imminent"),
    ("I've written a letter for my wife and I'm heading to the cliffs now", "preparatory", "imminent"),
    ("I've been googling which meds would be enough", "method", "high"),
    ("how much insulin it would take", "method", "high"),
    ("I keep imagining myself throwing myself off the cliff", "method", "high"),
    ("I had an overdose five weeks ago", "past_attempt", "high"),
    ("I've taken them all, I'm sorry", "past_attempt", "imminent"),
    ("I can't shake the thought of ending my life", "suicidal_thoughts", "moderate"),
    ("The thought of suicide has been with me all week", "suicidal_thoughts", "moderate"),  # a noun, not past
    ("sewerslide thoughts every night", "suicidal_thoughts", "moderate"),
    ("My stepdad locks me in my room when he's angry", "abuse", "high"),
    ("Mum's boyfriend grabs me by the throat", "abuse", "high"),
    ("This is the last message I'll ever send", "intent", "high"),
    ("I don't want to go on like this", "wish_dead", "low"),
    ("Why am I still here", "wish_dead", "low"),
] + [
    # rules-6: what the third batch's training statements showed the rules missing.
    ("Honestly I feel like a total burden on my parents", "wish_dead", "low"),  # burden talk is low
    ("I've become such a drain on everyone", "wish_dead", "low"),
    ("my family would be fine without me", "wish_dead", "low"),
    ("Some days I don't even care if I live", "wish_dead", "low"),
    ("Part of me keeps wanting to die", "wish_dead", "moderate"),
    ("If I lose the flat I'll drive the car into the canal", "method", "high"),
    ("I'm going to punch my brother's lights out when I see him", "harm_others", "high"),
    ("I'm gonna bring a chair down on that bastard", "harm_others", "high"),
    ("I want to put my hands around his throat and I'm going to", "harm_others", "high"),
    ("My boyfriend kicks me most weeks", "abuse", "high"),
    ("My mum's new boyfriend slaps me when we argue", "abuse", "high"),
    ("i'm on the train tracks now", "preparatory", "imminent"),
    ("I'm stood on the car park roof, nobody can stop me", "preparatory", "imminent"),
])
def test_explicit_acts_without_the_usual_words(text, category, level):
    result = run(text)
    assert category in result["categories"], result
    assert result["level"] == level, result


@pytest.mark.parametrize("text", [
    "I just don't know how to do it, quitting is so hard.",  # once a "method" (high)
    "What's the easiest way to do it?",
    "I'm going to the beach after work and not coming back till late",
    "I took the whole box of chocolates to work",
    "I stood at the edge of the platform waiting for my train",
    "I cut my hair again yesterday",
    "My mum won't let me go out on school nights.",
    "I write goodbye letters to my students every June",
    "I'm not going to take the rest of the week off.",
    # beside the rules-5 families
    "I think I'm going to end things with her tonight",
    "This is my last message before I board, love you",
    "I'm gonna die if I don't get a coffee",
    "Can't get the thought of that film out of my head",
    "I've got the paracetamol ready for my migraine",
    "I held the baby in my arms and nearly cried",
    "I went to say a proper goodbye to my grandad at the hospice",
    "Which tablets would be best for hay fever?",
    "On a scale of one to ten, how strong are the thoughts of ending your life today?",  # a question
    # beside the rules-6 families
    "Are the thoughts of suicide any quieter since we met last week?",  # a question with "we"
    "I burned my fingers on the iron this morning",  # an accident
    "I cut my thumb while chopping onions again",
    "I'm going to hit him up for a lift home",
    "I've been on the waiting list for weeks now",  # a duration, not a time
    "The burden of proof is on them, not me",
    "I'm going to smash the interview tomorrow",
    "The kids would be fine without me for one night",
])
def test_everyday_lines_beside_the_new_families_are_not_risk(text):
    assert run(text)["level"] == "none", run(text)


@pytest.mark.parametrize("text", EXPLICIT)
def test_explicit_plan_intent_method_or_attempt_is_at_least_high(text):
    result = check(text)
    assert at_least(result["level"], "high"), result


@pytest.mark.parametrize("text, category, level", [
    ("I wish I was dead.", "wish_dead", "moderate"),
    ("Sometimes I just want to go to sleep and never wake up.", "wish_dead", "low"),  # passive: low
    ("Everyone would be better off without me.", "wish_dead", "low"),
    ("I don't want to live anymore.", "wish_dead", "moderate"),
    ("I've been feeling suicidal lately.", "suicidal_thoughts", "moderate"),
    ("I keep thinking about killing myself.", "suicidal_thoughts", "moderate"),
    ("I've thought about overdosing on my pills.", "method", "high"),
    ("I'm going to kill myself.", "intent", "high"),
    ("I have a plan for how to end my life.", "plan", "high"),
    ("I have a plan and I'm going to kill myself.", "plan", "imminent"),
    ("I'm going to kill myself tonight.", "intent", "imminent"),
    ("I've been giving away my stuff.", "preparatory", "high"),
    ("The noose is ready.", "preparatory", "imminent"),  # means at hand
    ("I tried to kill myself two years ago.", "past_attempt", "moderate"),
    ("I attempted suicide in 2019 and I want to die again.", "past_attempt", "high"),
    ("I cut myself when things get bad.", "self_harm", "moderate"),
    ("I cut myself again last night, deeper this time.", "self_harm", "high"),
    ("I want to hurt my boss.", "harm_others", "moderate"),
    ("I'm going to hurt my boss.", "harm_others", "high"),
    ("I'm going to kill my boss tomorrow, I've got a knife.", "harm_others", "imminent"),
    ("My dad used to hit me.", "abuse", "moderate"),
    ("My husband hits me and I'm scared to go home.", "abuse", "high"),
    ("My friend told me she wants to kill herself.", "third_party", "low"),
    ("I used to want to die when I was a teenager.", "past_ideation", "low"),
    ("I used to cut myself in high school.", "past_self_harm", "low"),
])
def test_each_category_and_its_level(text, category, level):
    result = run(text)
    assert category in result["categories"], result
    assert result["level"] == level, result


def test_levels_cover_the_scale():
    seen = {run(t)["level"] for t in ["Hello.", "My brother is suicidal.", "I want to die.",
                                     "I'm going to kill myself.", "I have the pills ready."]}
    assert seen == set(LEVELS)


@pytest.mark.parametrize("text", [
    "I'm not suicidal.",
    "I would never kill myself.",
    "I don't want to die.",
    "I have never tried to kill myself.",
    "I'm not going to kill myself, I promise.",
    "Kill myself? Never.",
    "I don't self harm.",
])
def test_negated_statements_are_not_risk(text):
    assert run(text)["level"] == "none", run(text)


@pytest.mark.parametrize("text, category", [
    # The negation is part of what is said, not a denial of it.
    ("Everyone would be better off without me.", "wish_dead"),
    ("I'd rather not be alive.", "wish_dead"),
    ("I'm a burden, I should just disappear.", "wish_dead"),
    ("He's going to kill me when he finds out.", "abuse"),  # contracted: once missed
    ("I'm going to cut tonight.", "self_harm"),
    ("I just want to stop living.", "wish_dead"),
    ("Why am I still alive?", "wish_dead"),
    ("I'm done with living.", "wish_dead"),
    ("I wish it would all end.", "wish_dead"),
    ("I have the urge to cut.", "self_harm"),
    ("I bang my head against the wall when I get like this.", "self_harm"),
])
def test_statements_once_missed(text, category):
    assert category in run(text)["categories"], run(text)


def test_negation_does_not_swallow_the_opposite():
    assert "wish_dead" in run("I'm not okay, I want to die.")["categories"]
    assert "suicidal_thoughts" in run("I can't stop thinking about killing myself.")["categories"]
    assert "wish_dead" in run("I'm not suicidal but I don't want to live anymore.")["categories"]
    assert run("I don't think they'd be better off without me.")["level"] == "none"


@pytest.mark.parametrize("text", [
    "My friend said she wanted to die.",
    "He told me he wants to kill himself.",
    "My brother has been suicidal for months.",
    "She killed herself last year.",
    "She's going to overdose if nobody helps her.",
])
def test_third_person_is_a_low_concern_not_the_speakers_risk(text):
    result = run(text)
    assert result["categories"] == ["third_party"], result
    assert result["level"] == "low"


@pytest.mark.parametrize("text", [
    "Do you want to kill yourself?",
    "Have you ever thought about suicide?",  # a therapist's question
    "If you want to die, please call someone.",
    # The C-SSRS preparatory-behaviour question; it once paused the trainee's own session.
    "Have you done anything to prepare, like giving things away or saying goodbye?",
    "Are you saying goodbye to people?",
    "Are you going to kill yourself tomorrow?",
    "Have you bought a gun?",
    "If you're going to jump, call someone first.",
    "Do you think about overdosing?",
    "Have you written letters for after you're gone?",
])
def test_questions_to_someone_else_are_not_the_speakers_risk(text):
    assert run(text)["level"] == "none", run(text)


@pytest.mark.parametrize("text, level", [("I've been saying goodbye to everyone.", "high"),
                                         ("Saying my goodbyes tonight.", "imminent"),
                                         ("I said my goodbyes last night.", "high")])
def test_the_speakers_own_goodbyes_are_preparatory(text, level):
    result = run(text)
    assert "preparatory" in result["categories"] and result["level"] == level, result


def test_no_line_of_the_scenario_scripts_escalates_the_trainee():
    """The scripts are what a skilled trainee says, risk assessment included: none of it may read
    as the trainee's own distress (support panel, alert, pause)."""
    import json

    from django.conf import settings

    lines = [json.loads(line)["text"] for path in sorted((settings.PIXEL_SCENARIO_DIR / "scripts").glob("*.jsonl"))
             for line in path.read_text().splitlines() if line.strip()]
    assert len(lines) > 100
    escalating = [(text, check(text, speaker="trainee")["level"]) for text in lines
                  if at_least(check(text, speaker="trainee")["level"], settings.PIXEL_CRISIS_TRAINEE_SUPPORT_LEVEL)]
    assert escalating == []


def test_past_ideation_is_lower_than_present():
    assert run("I used to want to die.")["level"] == "low"
    assert run("I want to die.")["level"] == "moderate"
    # A past attempt stays a risk factor.
    assert run("I tried to kill myself years ago.")["level"] == "moderate"


@pytest.mark.parametrize("text", [
    "This traffic is killing me.",
    "I could kill for a coffee.",
    "I'm dying to see that film.",
    "She's killing it at work.",
    "I nearly died laughing.",
    "My feet are killing me.",
    "I was bored to death in that meeting.",
    "I want to die of embarrassment.",
    "My phone is dying.",
])
def test_idioms_are_not_risk(text):
    assert run(text)["level"] == "none", run(text)


@pytest.mark.parametrize("text", [
    "I want to k i l l myself",
    "I want to k.i.l.l myself",
    "I w@nt to k1ll mys3lf",
    "I wаnt tо kіll mysеlf",  # Cyrillic look-alikes
    "Ｉ ｗａｎｔ ｔｏ ｋｉｌｌ ｍｙｓｅｌｆ",  # full-width, folded by NFKC
    "I want to kiiiiill myselfffff",
    "I WANT TO KILL MYSELF",
    "I want to ki\u200bll myself",  # zero-width space
    "I want to kïll mysélf",
])
def test_obfuscated_spellings_are_caught(text):
    assert "suicidal_thoughts" in run(text)["categories"], normalise(text)[0]


def test_evidence_quotes_the_original_text():
    text = "Honestly? I w@nt to k1ll mys3lf."
    evidence = run(text)["evidence"]
    assert evidence
    for item in evidence:
        assert text[item["start"]:item["end"]] == item["text"]
    assert any("k1ll mys3lf" in item["text"] for item in evidence)


def test_normalise_keeps_an_index_for_every_character():
    text = "Ｉ w@nt  to k i l l  mys3lf\u200b!!"
    normalised, index = normalise(text)
    assert len(normalised) == len(index)
    assert all(0 <= i < len(text) for i in index)
    assert "kil myself" in normalised


@pytest.mark.parametrize("text, expected", [
    ("!!k1ll mys3lf", "!!kil myself"),
    ("I w@nt\t\tto  k!ll\tmyself", "i want to kil myself"),  # tabs and runs of spaces become one space
    ("back in 2019 at 10pm I took 40mg", "back in 2019 at 10pm i tok 40mg"),  # numbers stay numbers
])
def test_normalise_rewrites_only_what_needs_it(text, expected):
    normalised, index = normalise(text)
    assert normalised == expected
    assert len(index) == len(normalised)
