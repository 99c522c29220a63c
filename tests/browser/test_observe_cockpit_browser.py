"""Issue 17: the observe page as a cockpit, in Chromium on a real server. A trainee's message gets
its behaviour tags on the supervisor's page as the feedback app scores it, though the trainee's
cohort does not show them to the trainee, and the scenario card's objectives are graded again (a
verdict changes on the page); each listed flag links to its message; the scenario
card sits beside the transcript and folds on a narrow screen."""

import pytest
from playwright.sync_api import expect

from simulator.actions import do_start_session
from simulator.library import load_library
from simulator.models import Message, Scenario
from tests.browser.conftest import sign_in, start_trainee_session
from tests.services import usable_by_server

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_observer_sees_tags_arrive_that_the_trainee_does_not(
    browser, fake_llm_server, certified_trainee, supervisor, cohorts
):
    server = fake_llm_server
    assert cohorts[0].show_live_feedback is False
    load_library()
    usable_by_server(certified_trainee, supervisor)
    trainee_context, supervisor_context = browser.new_context(), browser.new_context()
    try:
        trainee_page = start_trainee_session(trainee_context, server, certified_trainee, "generalised-anxiety")
        trainee_page.get_by_text("Connected.").wait_for()
        observer = supervisor_context.new_page()
        observer.set_default_timeout(30000)
        sign_in(observer, server, supervisor)
        session = certified_trainee.sim_sessions.get()
        observer.goto(f"{server.url}/supervision/sessions/{session.pk}/observe/")
        observer.get_by_text("Observing live.").wait_for()
        expect(observer.locator("#scenario-card summary")).to_contain_text("Priya")
        # The whisper box sits under the transcript, not below the long side column.
        transcript, whisper = observer.locator("#transcript").bounding_box(), observer.locator("#whisper-text").bounding_box()
        side = observer.locator(".observe-side").bounding_box()
        assert transcript["y"] + transcript["height"] < whisper["y"] < side["y"] + side["height"]
        # "Elicit a specific, recent example": nothing asked yet.
        example = observer.locator('#card-objectives li[data-objective="specific-example"]')
        expect(example).to_have_attribute("data-verdict", "not_met")
        expect(example.locator(".obj-label")).to_have_text("Not met")

        trainee_page.get_by_label("Your message").fill("What has been on your mind this week?")
        trainee_page.get_by_role("button", name="Send").click()
        line = observer.locator("#transcript li.msg-trainee", has_text="What has been on your mind this week?")
        expect(line.locator(".fb-code")).to_have_count(1)  # the behaviour code, scored on the server
        # Once it is scored, the card grades the objectives again: "this week" asks for a recent
        # example, and the verdict links to the message in this transcript.
        expect(example).to_have_attribute("data-verdict", "met")
        expect(example.locator(".obj-label")).to_have_text("Met")
        expect(example.locator(".obj-cue")).to_have_text("\u2713")
        seq = line.get_attribute("data-seq")
        evidence = example.locator(f'a[href="#o-{seq}"]')
        expect(evidence).to_have_text(f"message {seq}")
        expect(line.locator(".fb-emp")).to_have_count(3)  # and the three empathy levels
        expect(line.locator(".fb-emp").first).to_contain_text("Emotional reactions")
        # The trainee's cohort does not show tags: their page has none.
        expect(trainee_page.locator("#transcript li.msg-trainee")).to_have_count(1)
        expect(trainee_page.locator(".fb-tags")).to_have_count(0)
        # A reload draws the stored tags, once.
        observer.reload()
        expect(observer.locator("#transcript li.msg-trainee .fb-tags")).to_have_count(1)
    finally:
        trainee_context.close()
        supervisor_context.close()


def test_each_flag_links_to_its_message_and_the_card_folds_on_a_phone(page, live_server, certified_trainee, supervisor):
    load_library()
    session = do_start_session(certified_trainee, Scenario.objects.get(slug="generalised-anxiety"))
    session.append(Message.TRAINEE, "How have things been?", client_msg_id="t1")
    session.append(Message.CLIENT, "I have worked out how I would do it.", reply_to=2,
                   crisis={"level": "high", "categories": ["plan"]}, crisis_level="high")  # fmt: skip
    for i in range(12):  # enough to scroll the transcript
        session.append(Message.TRAINEE, f"Tell me more ({i}).", client_msg_id=f"more{i}")
    page.set_viewport_size({"width": 360, "height": 640})
    sign_in(page, live_server, supervisor)
    page.goto(f"{live_server.url}/supervision/sessions/{session.pk}/observe/")
    card = page.locator("#scenario-card")
    expect(card).not_to_have_attribute("open", "")  # folded: the transcript comes first on a phone
    expect(page.locator("#card-objectives")).to_be_visible()  # the live parts are never folded away
    card.locator("summary").click()
    expect(card.get_by_text("Presenting problem")).to_be_visible()
    link = page.locator("#flags a", has_text="message 3")
    expect(link).to_have_attribute("href", "#o-3")
    page.locator("#o-3").evaluate("e => e.closest('.transcript').scrollTop = e.closest('.transcript').scrollHeight")
    link.click()
    expect(page.locator("#o-3")).to_be_in_viewport()
    assert page.evaluate("() => location.hash") == "#o-3"
