"""Sessions through the actions: start gates, storing before acknowledging, limits, ending."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from simulator import actions, replies
from simulator.models import Message, Session
from tests.simulator.conftest import make_scenario

pytestmark = pytest.mark.django_db


def test_uncertified_trainee_cannot_start(trainee, scenario):
    with pytest.raises(actions.SimulatorError) as e:
        actions.do_start_session(trainee, scenario)
    assert e.value.code == "certification_missing"
    assert "Therapeutic simulation" in e.value.message
    assert not Session.objects.exists()


def test_crisis_scenario_needs_crisis_certification(certified_trainee, crisis_scenario, certify):
    with pytest.raises(actions.SimulatorError, match="Crisis"):
        actions.do_start_session(certified_trainee, crisis_scenario)
    certify(certified_trainee, "crisis")
    assert actions.do_start_session(certified_trainee, crisis_scenario).status == Session.LIVE


def test_start_stores_opening_line_and_version_and_audits(certified_trainee, scenario):
    session = actions.do_start_session(certified_trainee, scenario)
    first = session.messages.get()
    assert (first.seq, first.role, first.text) == (1, "client", scenario.persona["opening_line"])
    assert session.scenario_version.number == 1
    assert AuditEvent.objects.filter(event_type=AuditEvent.SESSION_STARTED, object_id=str(session.pk)).exists()


def test_session_keeps_its_scenario_version_after_an_edit(certified_trainee, scenario):
    session = actions.do_start_session(certified_trainee, scenario)
    scenario.persona = {**scenario.persona, "age": 35}
    scenario.save()
    assert scenario.snapshot().number == 2
    session.refresh_from_db()
    assert session.scenario_version.number == 1
    assert session.persona["age"] == 34


def test_one_open_session_per_trainee(certified_trainee, scenario):
    first = actions.do_start_session(certified_trainee, scenario)
    other = make_scenario("other")
    with pytest.raises(actions.SimulatorError) as e:
        actions.do_start_session(certified_trainee, other)
    assert e.value.code == "session_open" and e.value.session == first
    actions.do_end_session(certified_trainee, first)
    assert actions.do_start_session(certified_trainee, other).status == Session.LIVE


def test_message_is_stored_with_next_seq_and_resend_is_not_duplicated(certified_trainee, scenario):
    session = actions.do_start_session(certified_trainee, scenario)
    message, created = actions.do_post_trainee_message(certified_trainee, session, "abc-1", "How are you feeling?")
    assert created and message.seq == 2
    again, created = actions.do_post_trainee_message(certified_trainee, session, "abc-1", "How are you feeling?")
    assert not created and again.pk == message.pk
    assert session.messages.filter(role="trainee").count() == 1


@pytest.mark.parametrize(
    ("text", "code"),
    [("", "empty"), ("   ", "empty"), ("x" * 2001, "too_long")],
)
def test_bad_messages_are_refused_and_nothing_is_stored(certified_trainee, scenario, text, code):
    session = actions.do_start_session(certified_trainee, scenario)
    with pytest.raises(actions.SimulatorError) as e:
        actions.do_post_trainee_message(certified_trainee, session, "id-1", text)
    assert e.value.code == code
    assert session.messages.count() == 1  # just the opening line


def test_reply_pending_blocks_a_second_message_until_stale(certified_trainee, scenario, settings):
    session = actions.do_start_session(certified_trainee, scenario)
    actions.do_post_trainee_message(certified_trainee, session, "1", "Hello")
    with pytest.raises(actions.SimulatorError) as e:
        actions.do_post_trainee_message(certified_trainee, session, "2", "Are you there?")
    assert e.value.code == "reply_pending"
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.PIXEL_REPLY_STALE_SECONDS + 1)):
        message, created = actions.do_post_trainee_message(certified_trainee, session, "2", "Are you there?")
    assert created


def test_messages_per_minute_limit(certified_trainee, scenario, settings, fake_llm):
    settings.PIXEL_MESSAGES_PER_MINUTE = 3
    session = actions.do_start_session(certified_trainee, scenario)
    for i in range(3):
        message, _ = actions.do_post_trainee_message(certified_trainee, session, f"m{i}", f"Question {i}?")
        replies.generate_reply(session.pk, message.seq)
    with pytest.raises(actions.SimulatorError) as e:
        actions.do_post_trainee_message(certified_trainee, session, "m4", "One more?")
    assert e.value.code == "rate_limited"


def test_session_length_limit(certified_trainee, scenario, settings):
    session = actions.do_start_session(certified_trainee, scenario)
    with time_machine.travel(timezone.now() + timedelta(minutes=settings.PIXEL_SESSION_MAX_MINUTES + 1)):
        with pytest.raises(actions.SimulatorError) as e:
            actions.do_post_trainee_message(certified_trainee, session, "late", "Still there?")
    assert e.value.code == "time_up"


def test_reply_is_generated_stored_once_and_counts_breaks(certified_trainee, scenario, fake_llm):
    fake_llm.replies = ["As an AI language model, I cannot help.", "I keep replaying our last argument."]
    session = actions.do_start_session(certified_trainee, scenario)
    message, _ = actions.do_post_trainee_message(certified_trainee, session, "q1", "What's on your mind?")
    reply = replies.generate_reply(session.pk, message.seq)
    assert reply.role == Message.CLIENT and reply.reply_to == message.seq
    assert reply.text == "I keep replaying our last argument."
    assert reply.regenerations == 1 and len(reply.guard_breaks) == 1
    # A redelivered task stores nothing new.
    assert replies.generate_reply(session.pk, message.seq).pk == reply.pk
    session.refresh_from_db()
    assert session.persona_breaks == 1
    assert session.messages.filter(role="client").count() == 2  # opening line + reply


def test_end_session_is_audited_once_and_blocks_messages(certified_trainee, scenario):
    session = actions.do_start_session(certified_trainee, scenario)
    actions.do_end_session(certified_trainee, session)
    actions.do_end_session(certified_trainee, session)
    assert AuditEvent.objects.filter(event_type=AuditEvent.SESSION_ENDED).count() == 1
    with pytest.raises(actions.SimulatorError) as e:
        actions.do_post_trainee_message(certified_trainee, session, "x", "hello?")
    assert e.value.code == "ended"


def test_ending_a_session_deletes_its_shared_kv_states(certified_trainee, scenario, monkeypatch,
                                                      django_capture_on_commit_callbacks):
    import os
    import uuid

    from modelserve.statecache import SavedState, SharedStates

    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    monkeypatch.setenv("REDIS_URL", url)
    monkeypatch.delenv("PIXEL_LLM_SHARED_STATE", raising=False)
    session = actions.do_start_session(certified_trainee, scenario)
    other = f"{uuid.uuid4()}"  # another live session's key
    base, adapted = SharedStates.connect(url, "base", 60), SharedStates.connect(url, "base+adapter", 60)
    for shared in (base, adapted):  # two model versions served the session
        shared.put(str(session.pk), SavedState((1, 2, 3), b"kv"))
    base.put(other, SavedState((1,), b"kv"))
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_end_session(certified_trainee, session)
    assert base.get(str(session.pk)) is None and adapted.get(str(session.pk)) is None
    assert base.length(str(session.pk)) == 0
    assert base.get(other) is not None  # another live session keeps its own


def test_outsider_cannot_end_someone_elses_session(certified_trainee, outsider, scenario, client):
    session = actions.do_start_session(certified_trainee, scenario)
    client.force_login(outsider)
    assert client.post(reverse("end_session", args=[session.pk])).status_code == 404
    assert client.get(reverse("session_summary", args=[session.pk])).status_code == 404
    assert client.get(reverse("session_live", args=[session.pk])).status_code == 404
    session.refresh_from_db()
    assert session.status == Session.LIVE


def test_pages_flow_start_view_end_summary(client, certified_trainee, scenario):
    client.force_login(certified_trainee)
    assert scenario.title in client.get(reverse("catalogue")).content.decode()
    response = client.post(reverse("start_session", args=[scenario.slug]))
    session = Session.objects.get()
    assert response.url == reverse("session_live", args=[session.pk])
    page = client.get(response.url).content.decode()
    assert scenario.persona["opening_line"].replace("'", "&#x27;") in page
    response = client.post(reverse("end_session", args=[session.pk]))
    assert response.url == reverse("session_summary", args=[session.pk])
    assert "Session summary" in client.get(response.url).content.decode()
    views = AuditEvent.objects.filter(event_type=AuditEvent.CLINICAL_VIEW, object_id=str(session.pk))
    assert {e.details["page"] for e in views} == {"live", "summary"}


def test_supervisor_may_read_trainees_summary_but_outsider_supervisor_may_not(
    client, certified_trainee, supervisor, outsider_supervisor, scenario
):
    session = actions.do_start_session(certified_trainee, scenario)
    client.force_login(supervisor)
    assert client.get(reverse("session_summary", args=[session.pk])).status_code == 200
    client.force_login(outsider_supervisor)
    assert client.get(reverse("session_summary", args=[session.pk])).status_code == 404


def test_catalogue_filters(client, trainee, scenario, crisis_scenario):
    client.force_login(trainee)
    page = client.get(reverse("catalogue"), {"certification": "crisis"}).content.decode()
    assert crisis_scenario.title in page and scenario.title not in page
    page = client.get(reverse("catalogue"), {"difficulty": "1", "topic": "depression"}).content.decode()
    assert scenario.title in page and crisis_scenario.title not in page


def test_scenario_page_names_missing_certification(client, trainee, crisis_scenario):
    client.force_login(trainee)
    page = client.get(reverse("scenario_detail", args=[crisis_scenario.slug])).content.decode()
    assert "Therapeutic simulation" in page
    assert "Start session" not in page
