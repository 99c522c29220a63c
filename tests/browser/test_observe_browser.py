"""Issue 17 item 5: the observe page says which state the session is in (Pause and Resume are one
control that offers only what applies) and numbers its messages as the alerts cite them, each alert
linking to its message; a "low" mark is not styled as an alarm. Chromium."""

import pytest
from playwright.sync_api import expect

from simulator.actions import do_start_session
from simulator.library import load_library
from simulator.models import Message, Scenario
from tests.browser.conftest import sign_in
from tests.services import usable_by_server

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_observe_shows_the_state_and_numbers_the_messages(browser, fake_llm_server, certified_trainee, supervisor):
    server = fake_llm_server
    load_library()
    session = do_start_session(certified_trainee, Scenario.objects.get(slug="generalised-anxiety"))
    session.append(Message.TRAINEE, "How have things been?", client_msg_id="t1")
    session.append(Message.CLIENT, "Honestly I feel pretty hopeless most days.", reply_to=2, crisis_level="low")
    usable_by_server(supervisor)
    context = browser.new_context()
    try:
        page = context.new_page()
        page.set_default_timeout(15000)
        sign_in(page, server, supervisor)
        page.goto(f"{server.url}/supervision/sessions/{session.pk}/observe/")
        page.get_by_text("Observing live.").wait_for()
        expect(page.locator("#o-3 .seq")).to_have_text("#3")
        expect(page.locator("#state")).to_have_text("The session is live.")
        pause, resume = page.get_by_role("button", name="Pause"), page.get_by_role("button", name="Resume")
        expect(pause).to_be_visible()
        expect(resume).to_be_hidden()
        # A "low" mark is shown, in muted colours: not the red of an alarm.
        low = page.locator("#o-3 .flag")
        expect(low).to_have_text("low")
        assert low.evaluate("e => getComputedStyle(e).color") == "rgb(91, 100, 117)"  # --muted, not --warn

        pause.click()
        expect(page.locator("#state")).to_have_text("The session is paused.")
        expect(resume).to_be_visible()
        expect(pause).to_be_hidden()
        resume.click()
        expect(page.locator("#state")).to_have_text("The session is live.")
        expect(pause).to_be_visible()
        page.reload()
        expect(page.locator("#state")).to_have_text("The session is live.")
    finally:
        context.close()
