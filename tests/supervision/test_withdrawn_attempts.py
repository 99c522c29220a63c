"""An attempt the method filter withdrew never reaches the trainee (not as tokens, not in the replay
page or its JSON); the supervisor's recording says it was withdrawn and why, never what it said
(docs/modelserve.md, "Method details never stream")."""

import asyncio
import json
import re

import pytest
from channels.db import database_sync_to_async as sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.test import Client
from django.urls import reverse

from simulator import actions, tasks
from simulator.models import Message, SessionEvent
from tests.modelserve.test_openai_backend import FakeServer
from tests.services import start_celery_worker
from tests.supervision.conftest import build_recording

METHOD = "I have saved 40 pills, that is enough to die."
METHOD_WORDS = re.compile(r"40 ?pi|pills|enough to die", re.IGNORECASE)
ROLE_BREAK = "As an AI, I do not have feelings."
WITHDRAWN = [
    {"attempt": 1, "reasons": ["unsafe: method: dose"], "text": METHOD},
    {"attempt": 2, "reasons": ["role reversal: speaks as an AI"], "text": ROLE_BREAK},
]


def with_withdrawn_attempts(trainee, supervisor):
    """A recording whose last reply was written after two withdrawn attempts, stored as rows from
    before generate() stopped keeping a withdrawn method attempt's text would hold them."""
    session = build_recording(trainee, supervisor)
    session.record(SessionEvent.REGENERATION, None, reply_to=10, breaks=WITHDRAWN, fallback=False)
    session.append(Message.CLIENT, "I haven't told anyone this.", reply_to=10, regenerations=2, guard_breaks=WITHDRAWN)
    return session


@pytest.fixture
def withdrawn(trainee, supervisor):
    return with_withdrawn_attempts(trainee, supervisor)


def page(client, user, name, session):
    client.force_login(user)
    response = client.get(reverse(name, args=[session.pk]))
    return response.status_code, response.content.decode()


def test_trainee_replay_never_carries_a_withdrawn_attempt(client, trainee, withdrawn):
    status, body = page(client, trainee, "review_replay", withdrawn)
    assert status == 200 and "I haven&#x27;t told anyone this." in body
    data = json.loads(re.search(r'<script id="recording" type="application/json">(.*?)</script>', body, re.S).group(1))
    assert not METHOD_WORDS.search(body)
    # Nor why, nor the other withdrawn attempt: only the supervisor's view says an attempt was withdrawn.
    assert "method: dose" not in body and "withdrawn" not in body.lower() and ROLE_BREAK not in body
    assert all("guard_breaks" not in i and i.get("kind") != "regeneration" for i in data["items"])


def test_supervisor_replay_says_an_attempt_was_withdrawn_and_why(client, supervisor, withdrawn):
    status, body = page(client, supervisor, "review_replay", withdrawn)
    assert status == 200
    assert "attempt 1 withdrawn (unsafe: method: dose)" in body
    assert "attempt 2 withdrawn (role reversal: speaks as an AI)" in body
    assert not METHOD_WORDS.search(body)


def test_exports_keep_the_reason_not_the_method_text(client, supervisor, trainee, withdrawn):
    status, body = page(client, supervisor, "review_export_json", withdrawn)
    assert status == 200 and not METHOD_WORDS.search(body)
    recording = json.loads(body)["recording"]
    reply = next(i for i in recording if i.get("text") == "I haven't told anyone this.")
    assert reply["guard_breaks"][0] == {"attempt": 1, "reasons": ["unsafe: method: dose"], "text": ""}
    # A role break is no method: staff keep its text to tune the prompt with.
    assert reply["guard_breaks"][1]["text"] == ROLE_BREAK
    assert page(client, trainee, "review_export_json", withdrawn)[0] == 403
    assert page(client, trainee, "review_export_pdf", withdrawn)[0] == 403


def test_pdf_export_names_the_withdrawn_attempt_not_its_text(client, supervisor, withdrawn):
    from io import BytesIO

    from pypdf import PdfReader

    client.force_login(supervisor)
    response = client.get(reverse("review_export_pdf", args=[withdrawn.pk]))
    text = " ".join(p.extract_text() for p in PdfReader(BytesIO(response.content)).pages)
    text = " ".join(text.split())
    assert "attempt 1 withdrawn (unsafe: method: dose)" in text
    assert not METHOD_WORDS.search(text)


# --- end to end: a real Celery worker on Redis, a model server that answers with a method ------


@pytest.mark.worker
@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_method_reply_from_the_worker_never_reaches_the_trainee(certified_trainee, supervisor, scenario):
    if not settings.REDIS_URL:
        pytest.fail("This test needs Redis: set REDIS_URL (bash .ci/run does).")
    # Pieces as a tokenizer splits them: no single one names the method, the sentence does.
    pieces = ["I", " have", " saved", " 4", "0 pi", "lls", ",", " that", " is", " en", "ough", " to", " die", "."]
    with FakeServer(pieces) as server:
        worker = await sync_to_async(start_celery_worker)(
            PIXEL_LLM_BACKEND="openai", PIXEL_OPENAI_BASE_URL=server.url, PIXEL_SHIPPED_ADAPTER="false"
        )
        try:
            session = await sync_to_async(actions.do_start_session)(certified_trainee, scenario)
            message, _ = await sync_to_async(actions.do_post_trainee_message)(
                certified_trainee, session, "w-1", "How have the nights been since we last spoke?"
            )
            layer = get_channel_layer()
            channel = await layer.new_channel()
            await layer.group_add(session.group_name, channel)
            await sync_to_async(tasks.generate_reply.delay)(str(session.pk), message.seq)
            events = []
            while not (events and events[-1]["type"] == "message" and events[-1]["role"] == "client"):
                events.append((await asyncio.wait_for(layer.receive(channel), 120))["payload"])
        finally:
            await sync_to_async(worker.stop)()
    tokens = [e["text"] for e in events if e["type"] == "token"]
    assert tokens and any(e["type"] == "discard" for e in events)
    assert not METHOD_WORDS.search("".join(tokens)), tokens
    stored = await sync_to_async(session.messages.get)(reply_to=message.seq)
    assert stored.fallback and not METHOD_WORDS.search(stored.text)
    assert stored.guard_breaks and all(b["text"] == "" for b in stored.guard_breaks)
    assert all("unsafe: method: dose" in b["reasons"] for b in stored.guard_breaks)
    trainee_view = (await sync_to_async(page)(Client(), certified_trainee, "review_replay", session))[1]
    supervisor_view = (await sync_to_async(page)(Client(), supervisor, "review_replay", session))[1]
    assert not METHOD_WORDS.search(trainee_view) and "method: dose" not in trainee_view
    assert "attempt 1 withdrawn (unsafe: method: dose)" in supervisor_view
    assert not METHOD_WORDS.search(supervisor_view)
