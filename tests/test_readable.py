"""Issue 17's small things a new user noticed: raw durations, a supervisor told they lack
certifications, every server log line written twice. (The favicon: every browser test fails on a
file its pages ask for and do not get, tests/browser/conftest.py.)"""

import time
import urllib.request
from datetime import timedelta

import pytest
from django.urls import reverse

from simulator.formats import human_duration
from tests.services import start_server
from tests.supervision.conftest import build_recording


@pytest.mark.parametrize(
    "seconds, said",
    [(0, "0 s"), (28.73, "28 s"), (59, "59 s"), (60, "1 min"), (12 * 60 + 59, "12 min"), (3600, "1 h"),
     (3600 + 5 * 60 + 10, "1 h 5 min"), (-3, "0 s")],
)  # fmt: skip
def test_durations_read_as_a_person_says_them(seconds, said):
    assert human_duration(timedelta(seconds=seconds)) == said
    assert human_duration(None) == "—"


@pytest.mark.django_db
def test_summary_and_replay_show_a_readable_duration(client, trainee, supervisor):
    session = build_recording(trainee, supervisor)  # ended 200 s after it started
    client.force_login(trainee)
    page = client.get(reverse("session_summary", args=[session.pk])).content.decode()
    assert "<dd>3 min</dd>" in page
    assert "0:03:20" not in page
    client.force_login(supervisor)
    replay = client.get(reverse("review_replay", args=[session.pk])).content.decode()
    assert "· 3 min ·" in replay


@pytest.mark.django_db
def test_a_supervisor_is_not_told_they_lack_certifications(client, supervisor, trainee):
    client.force_login(supervisor)
    assert "You hold no certifications yet" not in client.get("/").content.decode()
    client.force_login(trainee)
    assert "You hold no certifications yet" in client.get("/").content.decode()


@pytest.mark.django_db(transaction=True)
def test_the_server_logs_each_request_once():
    server = start_server(REDIS_URL=None, PIXEL_LLM_BACKEND="fake")
    try:
        marker = f"/healthz?probe={time.monotonic_ns()}"
        urllib.request.urlopen(server.url + marker, timeout=10).read()
        time.sleep(1)
        lines = [line for line in server.output().splitlines() if "/healthz" in line and "HTTP GET" in line]
    finally:
        server.stop()
    assert len(lines) == 1, lines


@pytest.mark.django_db
def test_the_model_is_shown_by_its_registry_name_never_a_server_path(client, trainee, supervisor, admin_user):
    from simulator.models import Message
    from training.models import ModelVersion

    adapter = "/srv/pixel/var/training/adapters/lora-20270101-abcd.gguf"
    ModelVersion.objects.create(version="spring-cohort-v2", base_model="gemma-3-270m-q4_k_m.gguf", adapter_path=adapter)
    session = build_recording(trainee, supervisor)
    model_id = f"gemma-3-270m-q4_k_m.gguf+{adapter}"
    type(session).objects.filter(pk=session.pk).update(model_name=model_id)
    Message.objects.filter(session=session).exclude(model_name="").update(model_name=model_id)
    client.force_login(trainee)
    summary = client.get(reverse("session_summary", args=[session.pk])).content.decode()
    assert "spring-cohort-v2 on gemma-3-270m-q4_k_m" in summary and "/srv/pixel" not in summary
    client.force_login(supervisor)
    for name in ["review_replay", "review_export_pdf"]:
        body = client.get(reverse(name, args=[session.pk])).content
        assert b"/srv/pixel" not in body, name
    exported = client.get(reverse("review_export_json", args=[session.pk])).json()["session"]
    assert exported["model"] == "spring-cohort-v2 on gemma-3-270m-q4_k_m"
    assert exported["model_id"] == model_id  # kept for audit


@pytest.mark.django_db
def test_an_unregistered_model_reads_as_its_file_names():
    from modelserve.serving import model_label

    assert model_label("gemma-3-270m-q4_k_m.gguf+/x/y/lora-1.gguf") == "lora-1 on gemma-3-270m-q4_k_m"
    assert model_label("gemma-3-270m-q4_k_m.gguf") == "gemma-3-270m-q4_k_m"
    assert model_label("") == "—"


@pytest.mark.django_db
def test_the_replay_names_empathy_scores_in_words(client, trainee, supervisor):
    from feedback.models import MessageScore
    from simulator.models import Message

    session = build_recording(trainee, supervisor)
    message = Message.objects.get(session=session, seq=2)
    MessageScore.objects.create(message=message, session=session, seq=2, main="question", code="open_question",
                                confidence=0.9, emotional_reactions=1, interpretations=0, explorations=2)  # fmt: skip
    client.force_login(supervisor)
    page = client.get(reverse("review_replay", args=[session.pk])).content.decode()
    assert "empathy emotional reactions 1, interpretations 0, explorations 2" in page
    assert "emotionalreactions" not in page
