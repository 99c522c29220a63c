"""Two people, two browsers: a trainee in a session and a supervisor who observes, whispers and ends it."""

import pytest

from simulator.library import load_library
from simulator.models import Scenario, Session, SessionEvent
from tests.browser.conftest import sign_in, start_trainee_session
from tests.services import usable_by_server

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_supervisor_observes_whispers_and_ends_a_live_session(browser, fake_llm_server, certified_trainee, supervisor):
    server = fake_llm_server
    load_library()
    scenario = Scenario.objects.get(slug="generalised-anxiety")
    usable_by_server(certified_trainee, supervisor)
    trainee_ctx, supervisor_ctx = browser.new_context(), browser.new_context()
    try:
        trainee = start_trainee_session(trainee_ctx, server, certified_trainee, scenario.slug)
        trainee.get_by_label("Your message").fill("What brings you here today?")
        trainee.get_by_role("button", name="Send").click()
        trainee.locator("#transcript li.msg-client[data-seq]").nth(1).wait_for()

        boss = supervisor_ctx.new_page()
        boss.set_default_timeout(15000)
        sign_in(boss, server, supervisor)
        boss.get_by_role("link", name="Live sessions").click()
        row = boss.locator("#live-rows tr", has_text=str(certified_trainee))
        assert scenario.title in row.inner_text()
        row.get_by_role("link", name="Observe").click()
        boss.get_by_text("Observing live.").wait_for()
        assert "What brings you here today?" in boss.locator("#transcript").inner_text()

        # The trainee is told, plainly, that someone is watching.
        trainee.get_by_text(f"{supervisor} (your supervisor) is observing this session.").wait_for()

        boss.get_by_label("Whisper to the trainee").fill("Try reflecting the worry back before the next question.")
        boss.get_by_role("button", name="Whisper").click()
        whisper = trainee.locator("li.msg-whisper")
        whisper.wait_for()
        assert "Try reflecting the worry back" in whisper.inner_text()

        boss.once("dialog", lambda dialog: dialog.accept())
        boss.get_by_role("button", name="End session").click()
        trainee.wait_for_url("**/sessions/*/summary/", timeout=20000)
        assert "Session summary" in trainee.locator("h1").inner_text()
    finally:
        trainee_ctx.close()
        supervisor_ctx.close()
    session = Session.objects.get(trainee=certified_trainee)
    assert session.status == Session.ENDED and session.ended_by_id == supervisor.pk
    kinds = list(session.events.order_by("seq").values_list("kind", flat=True))
    assert kinds.index(SessionEvent.OBSERVER_JOINED) < kinds.index(SessionEvent.WHISPER) < kinds.index(SessionEvent.ENDED)
