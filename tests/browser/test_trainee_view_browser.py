"""What the trainee's page shows of the supervisor (issue 17): a paused trainee cannot send, sees why
beside Send, and can write again after the resume with no stale error left (item 6); a whisper and
the observer notice survive a reload (item 2). A real server on the test's Redis (so the
supervisor's actions, made here, reach the trainee's socket), Chromium."""

import pytest
from playwright.sync_api import expect

from simulator.actions import do_observer_joined, do_pause_session, do_resume_session, do_whisper
from simulator.library import load_library
from simulator.models import Message, Scenario, Session
from tests.browser.conftest import elsewhere, start_trainee_session
from tests.services import start_server, usable_by_server

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]



@pytest.fixture
def trainee_page(browser, certified_trainee):
    """(page, session): the trainee in a live session on a real server using the test's Redis."""
    server = start_server(PIXEL_LLM_BACKEND="fake")
    load_library()
    scenario = Scenario.objects.get(slug="generalised-anxiety")
    usable_by_server(certified_trainee)
    context = browser.new_context()
    try:
        page = start_trainee_session(context, server, certified_trainee, scenario.slug)
        yield page, Session.objects.get(trainee=certified_trainee)
    finally:
        context.close()
        server.stop()


def test_a_paused_trainee_cannot_send_and_sees_why(trainee_page, supervisor):
    page, session = trainee_page
    send = page.get_by_role("button", name="Send")
    expect(send).to_be_enabled()
    page.wait_for_timeout(1000)  # the socket has joined the session's group

    elsewhere(do_pause_session, supervisor, session)
    expect(send).to_be_disabled(timeout=10000)
    expect(page.locator("#send-reason")).to_have_text("The session is paused. You can write again when it resumes.")
    box = page.get_by_label("Your message")
    box.fill("Are you still there?")
    box.press("Enter")  # Enter sends in this box: not while paused
    page.wait_for_timeout(500)
    assert not Message.objects.filter(session=session, role=Message.TRAINEE).exists()
    assert page.locator("#transcript li.pending").count() == 0

    # A reload while paused keeps Send off (the page is drawn paused).
    page.reload()
    expect(page.get_by_role("button", name="Send")).to_be_disabled()

    elsewhere(do_resume_session, supervisor, session)
    send = page.get_by_role("button", name="Send")
    expect(send).to_be_enabled(timeout=10000)
    expect(page.locator("#send-reason")).to_have_text("")
    expect(page.locator("#error")).to_have_text("")


def test_a_whisper_and_the_observer_notice_survive_a_reload(trainee_page, supervisor):
    page, session = trainee_page
    expect(page.get_by_role("button", name="Send")).to_be_enabled()
    page.wait_for_timeout(1000)  # the socket has joined the session's group
    elsewhere(do_observer_joined, supervisor, session)
    elsewhere(do_whisper, supervisor, session, "Slow down and reflect.")
    notice = f"{supervisor} (your supervisor) is observing this session."
    expect(page.locator("li.msg-whisper")).to_contain_text("Slow down and reflect.", timeout=10000)
    expect(page.locator("#observed")).to_have_text(notice)
    page.reload()
    expect(page.locator("li.msg-whisper")).to_have_count(1)
    expect(page.locator("li.msg-whisper")).to_contain_text("Slow down and reflect.")
    expect(page.locator("#observed")).to_have_text(notice)
    page.wait_for_timeout(1500)  # the reconnect's resume must not draw the whisper twice
    expect(page.locator("li.msg-whisper")).to_have_count(1)
