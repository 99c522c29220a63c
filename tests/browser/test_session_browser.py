"""A trainee holds a session in a real browser against a real server running the bundled model."""

import pytest

from modelserve.generate import HOLD_WORDS
from simulator.library import load_library
from simulator.models import Message, Scenario, Session
from tests.browser.conftest import sign_in
from tests.services import start_server, usable_by_server

pytestmark = [pytest.mark.browser, pytest.mark.llm, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def embedded_server(transactional_db):
    # Embedded mode as the README's first command runs it: in-memory channel layer and the reply
    # generated in-process by the real model. Only the database is the test's PostgreSQL.
    server = start_server(REDIS_URL=None, PIXEL_LLM_BACKEND=None)
    yield server
    server.stop()


def test_trainee_starts_session_sends_message_sees_stream_and_reloads(page, embedded_server, certified_trainee):
    load_library()
    scenario = Scenario.objects.get(slug="job-loss-depression")
    usable_by_server(certified_trainee)
    sign_in(page, embedded_server, certified_trainee)
    page.get_by_role("link", name="Scenarios").first.click()
    page.get_by_role("link", name=scenario.title).click()
    tokens_seen = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda f: tokens_seen.append(f) if '"token"' in str(f) else None))
    page.get_by_role("button", name="Start session").click()
    transcript = page.locator("#transcript")
    assert scenario.persona["opening_line"][:30] in transcript.inner_text()

    page.get_by_label("Your message").fill("What has been weighing on you most this week?")
    page.get_by_role("button", name="Send").click()
    # The reply's seq is 3, or later when the recording noted a regeneration first (an event
    # takes the next number), so wait for the second client line, whatever its number.
    reply = transcript.locator("li.msg-client[data-seq]").nth(1)
    reply.wait_for(timeout=90000)
    assert reply.locator(".text").inner_text().strip()
    # The stored reply replaced the streaming line, and nothing is left pending.
    assert transcript.locator("li.streaming").count() == 0
    assert transcript.locator("li.pending").count() == 0

    session = Session.objects.get(trainee=certified_trainee)
    stored = list(session.messages.order_by("seq").values_list("role", "text"))
    assert [r for r, _ in stored] == ["client", "trainee", "client"]
    reply_row = session.messages.get(role=Message.CLIENT, reply_to=2)
    assert reply.get_attribute("data-seq") == str(reply_row.seq)
    # A short reply that starts like an evasion ("I'm just tired.") is held back until it is whole
    # (it might be regenerated), and a fallback or a best-of-weak-samples reply comes in one piece;
    # anything longer that the first sample said streams.
    if not reply_row.fallback and reply_row.regenerations == 0 and len(reply_row.text.split()) > HOLD_WORDS:
        assert len(tokens_seen) > 1, "the reply streamed in token by token"

    page.reload()
    texts = page.locator("#transcript li .text").all_inner_texts()
    assert [t.strip() for t in texts] == [t.strip() for _, t in stored]
    assert session.messages.filter(role=Message.TRAINEE).count() == 1

    # Ending asks first (a data-confirm form: an inline onsubmit would be refused by the page's
    # Content-Security-Policy) and opens the summary.
    dialogs = []
    page.once("dialog", lambda d: (dialogs.append(d.message), d.accept()))
    page.get_by_role("button", name="End session").click()
    page.wait_for_url("**/sessions/*/summary/")
    assert dialogs == ["End this session?"]


def test_reload_mid_reply_shows_transcript_and_the_reply_still_arriving(page, transactional_db, certified_trainee):
    # A slow scripted model (one word every 150 ms) so the reload lands mid-reply.
    server = start_server(REDIS_URL=None, PIXEL_LLM_BACKEND="fake", PIXEL_FAKE_LLM_DELAY_MS="150")
    try:
        load_library()
        scenario = Scenario.objects.get(slug="job-loss-depression")
        usable_by_server(certified_trainee)
        sign_in(page, server, certified_trainee)
        page.goto(server.url + f"/scenarios/{scenario.slug}/")
        page.get_by_role("button", name="Start session").click()
        page.get_by_label("Your message").fill("How are you today?")
        page.get_by_role("button", name="Send").click()
        page.locator("li.streaming .text").filter(has_text="really").wait_for(timeout=20000)
        page.reload()
        transcript = page.locator("#transcript")
        assert "How are you today?" in transcript.inner_text()
        # The reply so far is on the reloaded page and keeps arriving, then is stored whole.
        final = transcript.locator("li.msg-client[data-seq='3']")
        final.wait_for(timeout=20000)
        session = Session.objects.get(trainee=certified_trainee)
        assert final.locator(".text").inner_text().strip() == session.messages.get(seq=3).text
        assert transcript.locator("li.msg-trainee").count() == 1
    finally:
        server.stop()
