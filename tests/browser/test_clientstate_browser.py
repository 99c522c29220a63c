"""The client's state in a real browser: a supervisor watches the openness meter rise when the
trainee reflects a feeling, and the trainee's page never shows it."""

import re

import pytest
from playwright.sync_api import expect

from simulator.library import load_library
from simulator.models import Message, Scenario, Session
from tests.browser.conftest import sign_in, start_trainee_session
from tests.services import usable_by_server

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Scored by the real skill models after Priya's opening line: a complex reflection with an
# emotional reaction, +3 points, and at difficulty 1 two points make a level.
REFLECTION = "It sounds like you feel exhausted and scared, carrying all that worry on your own."


def test_supervisor_sees_openness_rise_after_a_reflection(browser, fake_llm_server, certified_trainee, supervisor):
    server = fake_llm_server
    load_library()
    scenario = Scenario.objects.get(slug="generalised-anxiety")
    usable_by_server(certified_trainee, supervisor)
    trainee_ctx, supervisor_ctx = browser.new_context(), browser.new_context()
    try:
        trainee = start_trainee_session(trainee_ctx, server, certified_trainee, scenario.slug, timeout=20000)
        trainee.locator("#transcript li.msg-client[data-seq]").first.wait_for()
        session = Session.objects.get(trainee=certified_trainee)

        boss = supervisor_ctx.new_page()
        boss.set_default_timeout(20000)
        sign_in(boss, server, supervisor)
        boss.goto(server.url + f"/supervision/sessions/{session.pk}/observe/")
        boss.get_by_text("Observing live.").wait_for()
        strip = boss.get_by_role("complementary", name="Client's state")
        expect(strip.locator("#cs-openness")).to_have_text("2")
        expect(strip).to_contain_text("Before the trainee's first message.")

        trainee.get_by_label("Your message").fill(REFLECTION)
        trainee.get_by_role("button", name="Send").click()

        expect(strip.locator("#cs-openness")).to_have_text("3")
        expect(strip.locator("#cs-openness-meter")).to_have_attribute("value", "3")
        expect(strip.locator("#cs-last")).to_contain_text(
            re.compile(r"After message \d+: complex reflection \+2 points")
        )
        # The trainee gets the reply and nothing of the state.
        trainee.locator("#transcript li.msg-client[data-seq]").nth(1).wait_for()
        assert "Openness" not in trainee.content() and "complex reflection +2" not in trainee.content()

        # A reload renders the stored state on the server.
        boss.reload()
        expect(boss.locator("#cs-openness")).to_have_text("3")
    finally:
        trainee_ctx.close()
        supervisor_ctx.close()
    message = Message.objects.get(session=session, role=Message.TRAINEE)
    assert message.client_state["openness"] == 3
