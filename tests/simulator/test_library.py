import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from modelserve.crisis.output_filter import harmful_instruction_reasons
from simulator.library import LibraryError, library_paths, load_library, read_card
from simulator.models import Scenario

pytestmark = pytest.mark.django_db
SCRIPTS = Path(settings.PIXEL_SCENARIO_DIR) / "scripts"


def test_library_loads_at_least_16_diverse_scenarios():
    results = load_library()
    assert len(results) >= 16 and set(results.values()) == {"created"}
    topics = set(Scenario.objects.values_list("topic", flat=True))
    assert {"depression", "anxiety", "panic", "trauma", "grief", "alcohol", "self-harm", "suicide", "violence",
            "perinatal", "eating", "ocd", "substance-use", "relationships", "engagement"} <= topics  # fmt: skip
    genders = {s.persona.get("gender") for s in Scenario.objects.all()}
    assert len(genders) >= 3
    ages = [s.persona["age"] for s in Scenario.objects.all()]
    assert min(ages) < 18 and max(ages) > 65


def test_the_crisis_scenario_needs_the_crisis_certification():
    load_library()
    crisis = Scenario.objects.get(slug="suicide-crisis")
    assert crisis.required_certifications() == ["simulation", "crisis"]
    assert crisis.difficulty == 3


def test_no_line_the_client_speaks_or_the_trainee_script_carries_method_details():
    for path in library_paths():
        persona = read_card(path)["persona"]
        spoken = [persona["opening_line"]] + [ex["client"] for ex in persona.get("example_exchange", [])]
        for line in spoken:
            assert harmful_instruction_reasons(line) == [], (path.name, line)
        script = (SCRIPTS / f"{path.stem}.jsonl").read_text(encoding="utf-8")
        assert harmful_instruction_reasons(script) == [], path.stem


def test_every_scenario_has_a_valid_trainee_script():
    for path in library_paths():
        lines = [json.loads(line) for line in (SCRIPTS / f"{path.stem}.jsonl").read_text().splitlines() if line.strip()]
        assert 5 <= len(lines) <= 10 and all(isinstance(item["text"], str) and item["text"] for item in lines)


def test_reloading_an_unchanged_library_makes_no_new_versions():
    load_library()
    assert set(load_library().values()) == {"same"}
    assert all(s.versions.count() == 1 for s in Scenario.objects.all())


def test_a_broken_card_is_refused_with_its_name(tmp_path):
    (tmp_path / "broken.json").write_text('{"slug": "broken", "title": "x"}')
    with pytest.raises(LibraryError, match="broken.json: missing"):
        read_card(tmp_path / "broken.json")
    with pytest.raises(CommandError, match="broken.json"):
        call_command("load_scenarios", folder=str(tmp_path))
    assert not Scenario.objects.exists()


def test_simulate_lists_slugs_first_word(capsys):
    load_library()
    call_command("simulate", list=True)
    first_words = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert first_words == sorted(Scenario.objects.values_list("slug", flat=True))


def test_simulate_plays_a_script_as_json(capsys, fake_llm, tmp_path):
    load_library()
    fake_llm.replies = ["I lost my job and I can't tell anyone.", "My wife thinks I go to the library."]
    script = tmp_path / "s.jsonl"
    script.write_text('{"text": "What brings you here today?"}\n\n{"text": "Who knows about the job?"}\n')
    call_command("simulate", scenario="job-loss-depression", script=str(script), json=True)
    result = json.loads(capsys.readouterr().out)
    assert result["scenario"] == "job-loss-depression" and result["model"] == "fake"
    roles = [t["role"] for t in result["turns"]]
    assert roles == ["client", "trainee", "client", "trainee", "client"]
    assert result["turns"][2]["text"] == "I lost my job and I can't tell anyone."
    assert set(result["turns"][2]) == {"role", "text", "seconds", "regenerations"}


def test_simulate_refuses_bad_script(tmp_path):
    load_library()
    script = tmp_path / "bad.jsonl"
    script.write_text('{"words": "no text key"}\n')
    with pytest.raises(CommandError, match="bad.jsonl:1"):
        call_command("simulate", scenario="job-loss-depression", script=str(script))
    with pytest.raises(CommandError, match="No active scenario"):
        call_command("simulate", scenario="nope", script=str(script))


@pytest.mark.django_db(transaction=True)  # commits, so the crisis check runs after each message
def test_simulate_plays_on_when_the_crisis_protocol_pauses_the_session(capsys, fake_llm, tmp_path, settings):
    # A scripted line that reads as the trainee's own imminent risk pauses a live session; a
    # script is not a person, so the run notes the pause and every line still gets its reply.
    load_library()
    fake_llm.replies = ["Okay.", "Fine."]
    script = tmp_path / "s.jsonl"
    script.write_text('{"text": "I am going to kill myself tonight."}\n{"text": "What brings you here?"}\n')
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the check in-process, as in embedded mode
    call_command("simulate", scenario="job-loss-depression", script=str(script), json=True)
    result = json.loads(capsys.readouterr().out)
    assert [t["role"] for t in result["turns"]] == ["client", "trainee", "client", "trainee", "client"]
    assert result["protocol_pauses"] == [2]
