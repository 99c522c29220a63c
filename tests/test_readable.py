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
