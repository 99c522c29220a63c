"""The dataset pipeline on small real samples of each corpus."""

import json
from collections import Counter

import pytest

from modelserve.prompt import (
    CLIENT_MODE,
    COUNSELLOR_MODE,
    MODE_TOKENS,
    TRAINEE,
    PromptStyle,
    Turn,
    build_prompt,
    stop_sequences,
)
from training.data import steps
from training.data.build import BuildOptions, cap_repeated_targets, run_pipeline, write_dataset
from training.data.examples import conversation_examples, packed_sequences, persona_for, split_of
from training.data.scrub import Scrubber, scrub_text
from training.data.sources import (
    CLIENT,
    COUNSELLOR,
    SOURCES,
    Conversation,
    Utterance,
    read_annomi,
    read_chat_jsonl,
    read_counselchat,
    read_esconv,
    read_mibot,
)


def conv(id_, texts, source="test", group=""):
    roles = [CLIENT, COUNSELLOR]
    return Conversation(id_, source, "MIT", True, [Utterance(roles[i % 2], t) for i, t in enumerate(texts)],
                        {"presenting_problem": "Feels low since moving city."}, group=group)


# ---------------------------------------------------------------- importers

@pytest.mark.needs_data("esconv")
def test_esconv_maps_seekers_to_clients_and_keeps_the_situation(data_dir):
    convs = list(read_esconv(data_dir / "esconv", limit=3))
    assert len(convs) == 3
    first = convs[0]
    assert first.source == "esconv" and first.licence == "CC BY-NC 4.0" and first.commercial is False
    assert {t.role for t in first.turns} == {CLIENT, COUNSELLOR}
    assert first.turns[0].role == CLIENT and first.turns[0].text == "Hello good afternoon."
    assert first.context["presenting_problem"].startswith("I am on short term disability")
    assert first.context["emotion"] == "anxiety" and first.context["problem_type"] == "job crisis"


@pytest.mark.needs_data("esconv")
def test_esconv_test_split_is_not_read_for_training(data_dir):
    ids = {c.id for c in read_esconv(data_dir / "esconv", limit=5000)}
    assert ids and not any(":test:" in i for i in ids)


@pytest.mark.needs_data("annomi")
def test_annomi_groups_utterances_and_keeps_low_quality_counsellors_as_context_only(data_dir):
    convs = list(read_annomi(data_dir / "annomi" / "AnnoMI-simple.csv"))
    assert len(convs) == 133
    barbara = convs[0]
    assert barbara.context["topic"] == "reducing alcohol consumption"
    assert barbara.turns[0].role == COUNSELLOR and barbara.turns[1].text == "Sure."
    low = [c for c in convs if c.metadata["mi_quality"] == "low"]
    assert low and not any(c.counsellor_targets for c in low)
    assert all(c.counsellor_targets for c in convs if c.metadata["mi_quality"] == "high")


@pytest.mark.needs_data("mibot-mi-smoking")
def test_mibot_transcripts_are_real_smokers_with_a_model_counsellor(data_dir):
    convs = list(read_mibot(data_dir / "mibot-mi-smoking" / "transcripts", limit=2))
    assert len(convs) == 2 and convs[0].licence == "CC BY-SA 4.0"
    assert convs[0].context["topic"] == "smoking" and convs[0].counsellor_targets is False
    assert {t.role for t in convs[0].turns} == {CLIENT, COUNSELLOR}


@pytest.mark.needs_data("counsel-chat")
def test_counselchat_answers_to_one_question_share_a_group(data_dir):
    convs = list(read_counselchat(data_dir / "counsel-chat" / "20200325_counsel_chat.csv", limit=10))
    assert [t.role for t in convs[0].turns] == [CLIENT, COUNSELLOR]
    assert convs[0].turns[0].text.startswith("Can I change my feeling of being worthless")
    by_group = {}
    for c in convs:
        by_group.setdefault(c.group, []).append(c.id)
    assert any(len(ids) > 1 for ids in by_group.values())  # several answers per question


def test_generic_chat_jsonl_maps_roles_and_drops_system_messages(tmp_path):
    path = tmp_path / "mine.jsonl"
    path.write_text(json.dumps({"id": "a", "licence": "CC0", "commercial": True, "messages": [
        {"role": "system", "content": "You are a therapist."}, {"role": "user", "content": "I can't sleep."},
        {"role": "assistant", "content": "That sounds exhausting."}]}) + "\n")
    (c,) = read_chat_jsonl(path)
    assert c.id == "mine:a" and c.licence == "CC0" and c.commercial
    assert [(t.role, t.text) for t in c.turns] == [(CLIENT, "I can't sleep."), (COUNSELLOR, "That sounds exhausting.")]


def test_generic_chat_jsonl_refuses_unknown_roles(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"messages": [{"role": "narrator", "content": "x"}]}) + "\n")
    with pytest.raises(ValueError, match="unknown role"):
        list(read_chat_jsonl(path))


# ---------------------------------------------------------------- steps

def test_normalise_merges_a_speakers_consecutive_turns_and_fixes_joined_sentences():
    c = Conversation("x", "t", "MIT", True, [Utterance(CLIENT, "Hi."), Utterance(CLIENT, "I\u2019m  low."),
                                             Utterance(COUNSELLOR, "Heck, sure thing!Feelings matter."),
                                             Utterance(COUNSELLOR, "   ")], {})
    (out,) = steps.normalise([c])
    assert [(t.role, t.text) for t in out.turns] == [(CLIENT, "Hi. I'm low."), (COUNSELLOR, "Heck, sure thing! Feelings matter.")]


def test_scrubbing_replaces_names_emails_phones_and_addresses_consistently():
    s = Scrubber(salt="c1")
    text = s.scrub("Hi, my name is Will. Sarah lives at 42 Baker Street, NW1 6XE; call 555-123-4567 or "
                   "mail sarah.j@gmail.com, see https://example.org/me. Sarah is kind.")
    for leaked in ("Will.", "Sarah", "Baker", "NW1", "123-4567", "gmail", "example.org/me"):
        assert leaked not in text, leaked
    assert "someone@example.com" in text and "555-0100" in text and "12 Example Street" in text
    sarah = s.name_for("Sarah")
    assert text.count(sarah) == 2  # the same person keeps one surrogate
    assert s.counts["name"] == 3 and s.counts["email"] == 1 and s.counts["phone"] == 1 and s.counts["address"] == 2


def test_scrubbing_leaves_ordinary_words_and_numbers_alone():
    text = "I will hope for the best. Mark my words: in 2019 I paid 1500 dollars, 3 times. Jesus, it hurt."
    assert scrub_text(text) == text


def test_near_duplicates_are_removed_and_distinct_conversations_kept():
    base = ["I have been feeling really anxious about work lately and I cannot sleep at night",
            "That sounds hard. What happens at night when you try to sleep?",
            "I lie awake going over every email I sent and worrying I made mistakes",
            "So your mind keeps replaying the day. How long has this been going on?"]
    near = list(base)
    near[3] = "So your mind keeps replaying the day. How long has this been happening?"
    other = ["My dog died last week and the house feels empty", "I'm so sorry. Tell me about your dog.",
             "He was fourteen and followed me everywhere", "It sounds like he was a big part of your days."]
    kept, dropped = steps.remove_near_duplicates([conv("a", base), conv("b", near), conv("c", other)], threshold=0.7)
    assert [c.id for c in kept] == ["a", "c"] and dropped == [("b", "a")]


def test_exact_duplicates_ignore_case_and_punctuation():
    kept, dropped = steps.remove_exact_duplicates([conv("a", ["Hello there.", "Hi!"]), conv("b", ["hello there", "hi"])])
    assert [c.id for c in kept] == ["a"] and dropped == ["b"]


def test_quality_drops_loops_and_non_english():
    good = conv("good", ["I feel low since I moved here and I don't know anyone.", "That sounds lonely. What do you miss most?",
                         "My friends, mostly. We used to cook together on Sundays.", "Those Sundays sound like they mattered a lot.",
                         "They did. Now I just eat alone and watch TV.", "What would it be like to cook for someone here?"])
    loop = conv("loop", ["I don't know what to do about it."] * 6)
    foreign = conv("foreign", ["Ich fühle mich seit dem Umzug sehr einsam und traurig.", "Das klingt schwer. Was fehlt Ihnen am meisten?",
                               "Meine Freunde, vor allem die Abende mit ihnen.", "Diese Abende waren Ihnen wichtig.",
                               "Ja, jetzt esse ich immer allein.", "Wie wäre es, hier jemanden einzuladen?"])
    kept, dropped, reasons = steps.score_quality([good, loop, foreign], threshold=0.5)
    assert [c.id for c in kept] == ["good"] and set(dropped) == {"loop", "foreign"}
    assert good.metadata["quality"] >= 0.5 and set(good.metadata["quality_components"]) == {"length", "repetition", "language", "role"}


def test_crisis_labels_come_from_modelserve_crisis():
    c = conv("c", ["I've been saving my pills and tonight I'm going to take them all.", "Thank you for telling me."])
    levels = steps.label_crisis([c])
    assert c.turns[0].meta["crisis_level"] in ("high", "imminent") and levels[c.metadata["crisis_level"]] == 1


def test_bias_report_counts_terms_in_client_turns_only():
    c = conv("c", ["My husband and my mother argue; I'm a retired teacher at church.", "She said he was upset?"])
    report = steps.bias_report([c])
    assert report["client_turns"] == 1
    overall = report["overall"]
    assert overall["gender.male"]["turns"] == 1 and overall["gender.female"]["turns"] == 1
    assert overall["age.older"]["turns"] == 1 and overall["culture.religion"]["turns"] == 1


# ---------------------------------------------------------------- examples

def test_examples_use_exactly_modelserves_prompt_and_stop_format():
    c = conv("fmt", ["I can't sleep.", "What keeps you awake?", "Work, mostly.", "Tell me about work."])
    examples = conversation_examples(c)
    persona = persona_for(c)
    turns = [Turn("client", "I can't sleep."), Turn("trainee", "What keeps you awake?")]
    third = next(e for e in examples if e["id"] == "fmt#2")
    assert third["mode"] == CLIENT_MODE
    assert third["prompt"] == build_prompt(persona, turns, CLIENT_MODE, style=PromptStyle())
    assert third["prompt"].startswith(MODE_TOKENS[CLIENT_MODE] + "\n")
    assert third["completion"] == " Work, mostly.\n"
    assert "\n" in stop_sequences(persona, CLIENT_MODE)  # serving stops where the completion ends
    # What the model learns to write continues the prompt into the next served prompt exactly.
    served_next = build_prompt(persona, [*turns, Turn("client", "Work, mostly.")], CLIENT_MODE)
    assert served_next == third["prompt"] + third["completion"]
    counsellor = next(e for e in examples if e["id"] == "fmt#3")
    assert counsellor["mode"] == COUNSELLOR_MODE and counsellor["prompt"].startswith(MODE_TOKENS[COUNSELLOR_MODE])
    assert counsellor["prompt"].endswith("Therapist:")


def test_context_only_counsellors_give_no_counsellor_examples():
    c = conv("ctx", ["I smoke a pack a day.", "What do you like about smoking?", "It calms me down."])
    c.counsellor_targets = False
    assert {e["mode"] for e in conversation_examples(c)} == {CLIENT_MODE}


def test_a_client_turn_said_again_word_for_word_is_not_a_target():
    c = conv("rep", ["I just feel stuck all the time.", "Stuck how?", "I just feel stuck all the time!",
                     "Tell me more.", "Yeah.", "Go on.", "Yeah."])
    targets = [e["completion"].strip() for e in conversation_examples(c, modes=(CLIENT_MODE,))]
    # The repeat is dropped (as the persona guard would reject it); a short "Yeah." may recur.
    assert targets == ["I just feel stuck all the time.", "Yeah.", "Yeah."]
    later = conversation_examples(c, modes=(CLIENT_MODE,))[-1]
    assert later["prompt"].count("I just feel stuck all the time") == 2  # still in the context
    kept = conversation_examples(c, modes=(CLIENT_MODE,), drop_repeated_targets=False)
    assert len(kept) == 4
    stats = Counter()
    conversation_examples(c, modes=(CLIENT_MODE,), stats=stats)
    assert stats["repeated_targets"] == 1


def test_stock_phrases_are_capped_across_the_data():
    examples = [{"mode": CLIENT_MODE, "completion": f" {text}\n", "id": str(i)}
                for i, text in enumerate(["Yeah.", "yeah", "Yeah!", "Yeah.", "I lost my job.", "Yeah."])]
    kept, capped = cap_repeated_targets(examples, 3)
    assert [e["id"] for e in kept] == ["0", "1", "2", "4"]  # first three "yeah"s, in order
    assert capped == [{"mode": CLIENT_MODE, "text": "yeah", "occurrences": 5}]
    assert cap_repeated_targets(examples, None) == (examples, [])


def test_packed_sequence_teaches_each_client_turn_from_exactly_the_served_prompt():
    turns = []
    for i in range(14):
        turns += [Utterance(COUNSELLOR, f"Question number {i} about how the week went?"),
                  Utterance(CLIENT, f"Answer {i}: the week was long and work kept piling up on me.")]
    conv = Conversation("t:pack", "test", "MIT", True, turns, {"presenting_problem": "stress at work"})
    targets = {i for i in range(len(turns)) if i % 2 and i != 7}  # turn 7 dropped, as a repeated target would be
    rows = packed_sequences(conv, targets, max_chars=900, overlap_turns=4)
    assert len(rows) > 1  # the window limit split the conversation, with overlap
    persona = persona_for(conv)
    taught = []
    for row in rows:
        first = int(row["id"].rsplit("@", 1)[1].split("-")[0])
        text = ""
        for segment, teach in row["segments"]:
            if teach:
                k = next(k for k in range(first, len(turns)) if turns[k].role == CLIENT
                         and build_prompt(persona, [Turn(CLIENT if u.role == CLIENT else TRAINEE, u.text)
                                                    for u in turns[first:k]]) == text)
                assert segment == f" {turns[k].text}\n"  # the completion serving stops after
                taught.append(k)
            text += segment
        assert len(text) <= 900 + 200
    assert sorted(taught) == sorted(targets)  # every target once, the dropped turn never


def test_split_is_by_conversation_group():
    assert split_of("counselchat:12", 0.5) == split_of("counselchat:12", 0.5)
    splits = {split_of(f"g{i}", 0.2) for i in range(200)}
    assert splits == {"train", "valid"}


# ---------------------------------------------------------------- the whole pipeline

@pytest.mark.needs_data("esconv", "annomi", "mibot-mi-smoking", "counsel-chat")
def test_pipeline_manifest_counts_chain_and_files_are_versioned(data_dir, tmp_path):
    options = BuildOptions(limit=4, valid_fraction=0.3, use_role_classifier=False)
    manifest, train, valid, packed = run_pipeline(options, data_dir)
    names = [s["step"] for s in manifest["steps"]]
    assert names == ["import", "licence_filter", "normalise", "exact_duplicates", "near_duplicates",
                     "scrub_personal_data", "quality", "crisis_labels", "stock_phrases"]
    conversation_steps = manifest["steps"][:-1]
    for earlier, later in zip(conversation_steps, conversation_steps[1:]):
        assert later["before"] == earlier["after"]  # each step starts where the last one ended
    stock = manifest["steps"][-1]
    assert stock["after"]["examples"] == len(train) <= stock["before"]["examples"]
    assert manifest["steps"][0]["after"]["by_source"] == {s: 4 for s in SOURCES}
    assert set(manifest["bias_report"]["overall"]) >= {"gender.female", "age.older", "culture.religion"}
    assert manifest["splits"]["train"]["examples"] == len(train) and manifest["splits"]["valid"]["examples"] == len(valid)
    assert not {e["group"] for e in train} & {e["group"] for e in valid}
    assert all(e["prompt_format_version"] == manifest["prompt_format_version"] for e in train + valid)
    # The packed file teaches the client targets of train.jsonl, each once, except turns over
    # max_target_words: one example a turn cuts those at a sentence end, a packed sequence keeps
    # the whole turn in its context (later prompts show it whole) and does not teach it.
    packed_targets = Counter(text.strip() for row in packed for text, teach in row["segments"] if teach)
    singles = Counter(e["completion"].strip() for e in train if e["mode"] == CLIENT_MODE)
    assert not packed_targets - singles and packed_targets.total() > 0.95 * singles.total()
    assert all(len(text.split()) > 20 for text in singles - packed_targets)  # only cut long turns are missing
    assert manifest["splits"]["train_packed"]["targets"] == packed_targets.total()
    version, folder = write_dataset(manifest, train, valid, tmp_path / "ds", packed)
    again, _ = write_dataset(manifest, train, valid, tmp_path / "ds", packed)
    assert again == version and version.startswith("ds-")  # same content, same version
    written = json.loads((folder / "manifest.json").read_text())
    assert written["content_hash"].startswith(version[3:])
    assert set(written["files"]) == {"train.jsonl", "valid.jsonl", "train_packed.jsonl"}


@pytest.mark.needs_data("esconv", "annomi")
def test_licence_filter_drops_noncommercial_sources(data_dir):
    manifest, train, valid, _ = run_pipeline(BuildOptions(limit=3, exclude_noncommercial=True, use_role_classifier=False,
                                                       sources=["esconv", "annomi"]), data_dir)
    step = next(s for s in manifest["steps"] if s["step"] == "licence_filter")
    assert step["before"]["by_source"] == {"annomi": 3, "esconv": 3} and step["after"]["by_source"] == {"annomi": 3}
    assert {e["source"] for e in train + valid} == {"annomi"} and all(e["commercial"] for e in train + valid)


@pytest.mark.django_db
@pytest.mark.needs_data("annomi", "counsel-chat")
def test_build_dataset_command_records_a_dataset_version(capsys):
    from django.core.management import call_command

    from training.models import DatasetVersion

    call_command("build_dataset", limit=2, sources="annomi,counselchat")
    row = DatasetVersion.objects.get()
    assert row.status == DatasetVersion.READY and row.train_examples + row.valid_examples > 0
    assert row.manifest["content_hash"] == row.content_hash and row.version in capsys.readouterr().out
    assert (row.manifest["options"]["sources"]) == ["annomi", "counselchat"]


def test_build_dataset_refuses_a_negative_repeat_cap():
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="--max-target-repeats must be 0"):
        call_command("build_dataset", max_target_repeats=-1)
