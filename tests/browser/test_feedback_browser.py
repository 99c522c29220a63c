"""A trainee opens the feedback report of a finished session in a real browser."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import elsewhere, sign_in
from tests.feedback.conftest import build_session
from tests.services import start_server, usable_by_server

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCRIPT = [
    ("client", "I've been so tired and sad since the breakup."),
    ("trainee", "What has that been like for you?"),
    ("client", "Lonely. I come home and the flat is empty."),
    ("trainee", "Do you live alone?"),
    ("client", "Yes, just me and the cat."),
    ("trainee", "Coming home to the empty flat brings the loss back every evening."),
]


@pytest.fixture
def server(transactional_db):
    # Embedded mode: the report scores the messages with the committed models in the server.
    server = start_server(REDIS_URL=None)
    yield server
    server.stop()


def test_trainee_sees_tagged_messages_and_an_svg_chart_at_phone_width(page, server, trainee):
    session = build_session(trainee, SCRIPT)
    usable_by_server(trainee)
    page.set_viewport_size({"width": 360, "height": 740})
    sign_in(page, server, trainee)
    page.goto(f"{server.url}/feedback/sessions/{session.pk}/")
    expect(page.get_by_role("heading", name="Feedback on your skills")).to_be_visible()
    expect(page.locator("#m-2 .fb-code")).to_have_text("Open question")
    expect(page.locator("#m-4 .fb-code")).to_have_text("Closed question")
    expect(page.locator("#m-6 .fb-code")).to_contain_text("reflection")
    chart = page.get_by_role("img", name="Behaviour mix: how many of your messages had each code")
    expect(chart).to_be_visible()
    assert chart.evaluate("el => el.tagName.toLowerCase()") == "svg"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # Keyboard: the text alternative of the chart opens from the keyboard.
    page.get_by_text("Behaviour mix as a table").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("row", name="Closed question 1")).to_be_visible()


def test_live_tags_come_back_after_a_reload(page, server, trainee, cohorts):
    from feedback.actions import do_score_session

    session = build_session(trainee, SCRIPT, ended=False)
    # Scored before the page opens, so no live event will bring these tags. In a thread of its
    # own: scoring tells the session's observers through the channel layer, whose sync send
    # cannot run in this thread, where Playwright's event loop is running.
    elsewhere(do_score_session, session)
    cohorts[0].show_live_feedback = True
    cohorts[0].save()
    usable_by_server(trainee)
    sign_in(page, server, trainee)
    page.goto(f"{server.url}/sessions/{session.pk}/")
    expect(page.locator("#conn")).to_have_text("Connected.")
    expect(page.locator('li.msg-trainee[data-seq="2"] .fb-code')).to_have_text("Open question")
    expect(page.locator('li.msg-trainee[data-seq="6"] .fb-code')).to_contain_text("reflection")
    page.reload()
    expect(page.locator('li.msg-trainee[data-seq="4"] .fb-code')).to_have_text("Closed question")
    expect(page.locator("li.msg-client .fb-tags")).to_have_count(0)
