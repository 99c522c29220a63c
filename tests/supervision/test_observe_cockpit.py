"""Issue 17: the observe page as a supervisor's cockpit. The scenario card and its learning
objectives beside the transcript, each trainee message's behaviour tags (always, whatever the
trainee's cohort shows them), and the flags worth attention, each linking to its message."""

import pytest
from channels.db import database_sync_to_async
from django.urls import reverse

from accounts.models import AuditEvent
from feedback.actions import do_score_message
from simulator.models import Message, Session
from tests.feedback.conftest import fixed_scores  # noqa: F401 (a fixture)
from tests.simulator.conftest import make_scenario
from tests.supervision.test_live import nothing_more, socket, until

pytestmark = pytest.mark.django_db

REFLECTION = "It sounds like the evenings are the hardest part."
CARD_PERSONA = {
    "hidden": "She has been drinking most evenings since the breakup.",
    "disclosure_conditions": "Talks about the drinking once evenings are explored without judgement.",
    "risk_profile": {"level": "low", "summary": "Passive hopelessness, no plan; her sister is close by."},
    "disclosures": [
        {
            "id": "evening-drinking",
            "says": "Most nights I finish a bottle of wine on my own.",
            "keywords": ["wine"],
            "unlock": {"min_openness": 3, "topics": ["evenings"], "feelings": ["lonely"]},
        }
    ],
}


@pytest.fixture
def session(trainee, certify, fixed_scores):  # noqa: F811
    fixed_scores[REFLECTION] = ("complex_reflection", {"emotional_reactions": 1, "interpretations": 2})
    certify(trainee, "simulation")
    scenario = make_scenario(persona=CARD_PERSONA)
    # Objects naming what shows them, an object in an earlier shape (shown_by a bare list) and
    # plain text, as stored cards hold all three: each must read.
    scenario.learning_objectives = [
        {
            "id": "reflect-feeling",
            "text": "Reflect the feeling under the complaint",
            "shown_by": {"kind": "behaviour", "codes": ["complex_reflection"], "min": 1},
        },
        {"id": "older-shape", "text": "Name the loss", "shown_by": ["simple_reflection"]},
        "Ask about risk calmly",
    ]
    scenario.save()
    session = Session.objects.create(trainee=trainee, scenario_version=scenario.snapshot())
    session.append(Message.CLIENT, "Evenings are awful. The flat is so quiet.")
    return session


def test_observe_shows_the_scenario_card_and_objectives_beside_the_transcript(client, session, supervisor):
    client.force_login(supervisor)
    html = client.get(reverse("supervision_observe", args=[session.pk])).content.decode()
    card = html[html.index('id="scenario-card"') :]
    for text in [
        "Maya, 34",
        "Low mood since a breakup; sleeping badly.",
        "Passive hopelessness, no plan; her sister is close by.",
        "She has been drinking most evenings since the breakup.",
        "Talks about the drinking once evenings are explored without judgement.",
        "evening-drinking",
        "Unlocks at openness 3, on a mention of evenings or a reflection of lonely.",
    ]:
        assert text in card, text
    # The objectives sit outside the foldable card, under the client's state: they change live.
    side = html[html.index('class="observe-side"') : html.index('id="scenario-card"')]
    assert side.index('id="client-state"') < side.index('id="card-objectives"')
    # and the controls come under the transcript, before the side column.
    assert html.index('id="transcript"') < html.index('aria-label="Intervene"') < html.index('class="observe-side"')
    for text in ["Reflect the feeling under the complaint", "Name the loss", "Ask about risk calmly"]:
        assert f'<p class="obj-text">{text}</p>' in side, text
    assert "shown_by" not in html and "complex_reflection" not in card


def objectives_of(html):
    """{objective text: its <li> in the observe card's objectives panel}."""
    panel = html[html.index('id="card-objectives"') :].split("</ul>")[0]
    items = panel.split("<li ")[1:]
    return {item.split('<p class="obj-text">')[1].split("</p>")[0]: item for item in items}


def test_observe_card_shows_each_objectives_verdict_so_far_with_its_messages(client, session, supervisor):
    client.force_login(supervisor)
    before = objectives_of(client.get(reverse("supervision_observe", args=[session.pk])).content.decode())
    assert 'data-verdict="not_met"' in before["Reflect the feeling under the complaint"]
    assert "\u2717" in before["Reflect the feeling under the complaint"]
    assert "Not met" in before["Reflect the feeling under the complaint"]
    # An objective of an earlier shape or plain text says it is not graded; the page still draws.
    assert "Not graded automatically" in before["Name the loss"]
    assert "Not graded automatically" in before["Ask about risk calmly"]

    message, _ = session.append(Message.TRAINEE, REFLECTION, client_msg_id="m1")
    do_score_message(message.pk)
    after = objectives_of(client.get(reverse("supervision_observe", args=[session.pk])).content.decode())
    met = after["Reflect the feeling under the complaint"]
    assert 'data-verdict="met"' in met and "\u2713" in met and '<strong class="obj-label">Met</strong>' in met
    assert "1 message coded complex reflection, goal 1" in met
    assert f'<a href="#o-{message.seq}">message {message.seq}</a>' in met


def test_objectives_panel_is_graded_again_on_request_and_audited(client, session, supervisor):
    url = reverse("supervision_observe_objectives", args=[session.pk])
    client.force_login(supervisor)
    assert (
        'data-verdict="not_met"'
        in objectives_of(client.get(url).content.decode())["Reflect the feeling under the complaint"]
    )
    message, _ = session.append(Message.TRAINEE, REFLECTION, client_msg_id="m1")
    do_score_message(message.pk)
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html  # the panel alone, for observe.js to swap in
    met = objectives_of(html)["Reflect the feeling under the complaint"]
    assert 'data-verdict="met"' in met and f'href="#o-{message.seq}"' in met
    rows = AuditEvent.objects.filter(event_type=AuditEvent.CLINICAL_VIEW, object_id=str(session.pk))
    assert [r.details for r in rows] == [{"page": "observe_objectives"}] * 2
    assert all(r.actor == supervisor and r.target_user == session.trainee for r in rows)


@pytest.mark.parametrize("who", ["outsider_supervisor", "trainee"])
def test_outsider_supervisor_and_trainee_cannot_read_the_objectives_panel(client, session, request, who):
    client.force_login(request.getfixturevalue(who))
    response = client.get(reverse("supervision_observe_objectives", args=[session.pk]))
    # An outsider learns nothing of the session (404); the trainee's role may not open it (403).
    assert response.status_code == {"outsider_supervisor": 404, "trainee": 403}[who]
    assert "obj-text" not in response.content.decode()
    assert not AuditEvent.objects.filter(event_type=AuditEvent.CLINICAL_VIEW, object_id=str(session.pk)).exists()


def test_observe_draws_the_tags_already_stored(client, session, supervisor, cohorts):
    assert cohorts[0].show_live_feedback is False  # the trainee sees no tags; the supervisor does
    message, _ = session.append(Message.TRAINEE, REFLECTION, client_msg_id="m1")
    do_score_message(message.pk)
    client.force_login(supervisor)
    html = client.get(reverse("supervision_observe", args=[session.pk])).content.decode()
    line = html[html.index(f'id="o-{message.seq}"') :].split("</li>")[0]
    assert '<span class="fb-code fb-complex_reflection">Complex reflection</span>' in line
    assert "Emotional reactions 1" in line and "Interpretations 2" in line and "Explorations 0" in line


def test_observe_lists_flags_worth_attention_each_linking_to_its_message(client, session, supervisor, fixed_scores):  # noqa: F811
    # Not scored yet: the objectives panel scores them for the page (feedback.report.turns_for).
    fixed_scores["Some days I don't see the point of any of it."] = ("other", {})
    fixed_scores["I want to kill myself too sometimes."] = ("other", {})
    session.append(
        Message.TRAINEE, "Some days I don't see the point of any of it.", client_msg_id="m1", crisis_level="low"
    )
    session.append(Message.CLIENT, "Some nights I think everyone would be better off without me.", reply_to=2,
                   crisis={"level": "low", "categories": ["hopelessness"]}, crisis_level="low")  # fmt: skip
    session.append(Message.TRAINEE, "I want to kill myself too sometimes.", client_msg_id="m2",
                   crisis={"level": "moderate", "categories": ["suicidal ideation"]}, crisis_level="moderate")  # fmt: skip
    session.append(Message.CLIENT, "I have worked out how I would do it.", reply_to=4,
                   crisis={"level": "high", "categories": ["plan"]}, crisis_level="high")  # fmt: skip
    client.force_login(supervisor)
    html = client.get(reverse("supervision_observe", args=[session.pk])).content.decode()
    flags = html[html.index('id="flags"') :].split("</div>")[0]
    assert 'The trainee may need support: moderate (suicidal ideation) at <a href="#o-4">message 4</a>' in flags
    assert 'Client risk disclosure: high (plan) at <a href="#o-5">message 5</a>' in flags
    # "low" is below both levels the protocol acts on: marked on its message, not listed as a flag.
    assert "#o-2" not in flags and "#o-3" not in flags
    assert 'id="o-3" class="msg msg-client flagged level-low"' in html


def test_outsider_supervisor_cannot_observe(client, session, outsider_supervisor):
    client.force_login(outsider_supervisor)
    assert client.get(reverse("supervision_observe", args=[session.pk])).status_code == 404


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
@pytest.mark.parametrize("shown_to_trainee", [False, True])
async def test_observer_gets_each_score_once_whatever_the_cohort_shows(
    session, trainee, supervisor, cohorts, shown_to_trainee
):
    cohort = cohorts[0]
    cohort.show_live_feedback = shown_to_trainee
    await database_sync_to_async(cohort.save)()
    trainee_ws, _, _ = await socket(trainee, f"/ws/sessions/{session.pk}/")
    observer, _, _ = await socket(supervisor, f"/ws/observe/{session.pk}/")
    await until(trainee_ws, lambda e: e["type"] == "observer")  # both sockets are in their groups
    message, _ = await database_sync_to_async(session.append)(Message.TRAINEE, REFLECTION, client_msg_id="m1")
    await database_sync_to_async(do_score_message)(message.pk)
    tags, _ = await until(observer, lambda e: e["type"] == "feedback")
    assert tags == {
        "type": "feedback",
        "seq": message.seq,
        "codes": ["complex_reflection"],
        "labels": ["Complex reflection"],
        "main": "reflection",
        "empathy": {"emotional_reactions": 1, "interpretations": 2, "explorations": 0},
    }
    assert await nothing_more(observer) is None  # once, though the observer listens on both groups
    trainee_got = await nothing_more(trainee_ws)
    if shown_to_trainee:
        assert trainee_got["type"] == "feedback"
    else:
        assert trainee_got is None
    await observer.disconnect()
    await trainee_ws.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_observer_reconnecting_gets_the_tags_scored_while_away(session, supervisor):
    message, _ = await database_sync_to_async(session.append)(Message.TRAINEE, REFLECTION, client_msg_id="m1")
    await database_sync_to_async(do_score_message)(message.pk)  # while no observer was connected
    observer, _, _ = await socket(supervisor, f"/ws/observe/{session.pk}/")
    # The page already shows the message (after = its seq), not its tags.
    await observer.send_json_to({"type": "resume_feed", "after": message.seq})
    tags, seen = await until(observer, lambda e: e["type"] == "feedback")
    assert tags["seq"] == message.seq and tags["labels"] == ["Complex reflection"]
    assert not [e for e in seen if e["type"] == "message"]  # nothing it had is sent again
    await observer.disconnect()
