"""Learning objectives in a real browser: the trainee's report lists them with verdicts and an
evidence link that jumps to the message; a supervisor overrides a verdict on the replay page with
a note and sees it beside the automatic one."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.conftest import make_scenario
from tests.feedback.conftest import build_session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Graded by phrase rules (checklist, topics), so the verdicts do not hang on the skill models,
# which score these messages for real here.
OBJECTIVES = [
    {"id": "ask-suicide", "text": "Ask about suicidal thoughts in a calm, matter-of-fact way",
     "shown_by": {"kind": "checklist", "items": ["asked_directly"]}},
    {"id": "symptoms", "text": "Ask about sleep, appetite and energy",
     "shown_by": {"kind": "topic", "topics": ["sleep", "appetite", "energy"], "min": 3}},
]  # fmt: skip
SCRIPT = [
    ("client", "I lost my job four months ago. I mostly sit at home now."),
    ("trainee", "How have you been sleeping since then?"),
    ("client", "Badly. I lie awake and then sleep until noon."),
    ("trainee", "Have you had any thoughts of suicide, of ending your life?"),
    ("client", "Sometimes I think, what is the point of me. But I would not do anything."),
    ("trainee", "Thank you for telling me that. It sounds like a very heavy time."),
]


@pytest.fixture
def session(trainee):
    scenario = make_scenario(slug="objectives-browser")
    scenario.learning_objectives = OBJECTIVES
    scenario.save()
    return build_session(trainee, SCRIPT, scenario)


def test_trainee_report_lists_objectives_with_evidence_that_jumps_to_the_message(page, live_server, trainee, session):
    page.set_viewport_size({"width": 360, "height": 740})
    sign_in(page, live_server, trainee)
    page.goto(f"{live_server.url}/feedback/sessions/{session.pk}/")
    # The report opens with the objectives: the first heading after the page title.
    expect(page.locator("main h2").first).to_have_text("Learning objectives")
    asked = page.locator("#obj-ask-suicide")
    expect(asked).to_contain_text("Ask about suicidal thoughts in a calm, matter-of-fact way")
    expect(asked.locator(".obj-label")).to_have_text("Met")
    expect(asked.locator(".obj-cue")).to_have_text("\u2713")
    expect(asked).to_contain_text("Asked directly about suicidal thoughts: found in message 4")
    symptoms = page.locator("#obj-symptoms")
    expect(symptoms.locator(".obj-label")).to_have_text("Partly met")
    expect(symptoms).to_contain_text("1 of the topics asked about, goal 3 (sleep)")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    asked.get_by_role("link", name="Message 4").click()
    page.wait_for_url(f"**/feedback/sessions/{session.pk}/#m-4")
    expect(page.locator("#m-4")).to_be_in_viewport()
    expect(page.locator("#m-4")).to_contain_text("Have you had any thoughts of suicide")


def test_supervisor_overrides_a_verdict_on_the_replay_with_a_note(page, live_server, supervisor, session):
    sign_in(page, live_server, supervisor)
    page.goto(f"{live_server.url}/supervision/sessions/{session.pk}/replay/")
    symptoms = page.locator("#obj-symptoms")
    expect(symptoms.locator(".obj-label")).to_have_text("Partly met")
    symptoms.get_by_text("Override this verdict").click()
    symptoms.get_by_label("Your verdict").select_option("met")
    symptoms.get_by_label("Note").fill("Message 6 also checks in on energy, in other words.")
    symptoms.get_by_role("button", name="Save verdict").click()

    expect(page.locator(".messages")).to_contain_text("Your verdict is saved beside the automatic one.")
    symptoms = page.locator("#obj-symptoms")
    expect(symptoms.locator(".obj-label")).to_have_text("Automatic: Partly met")
    expect(symptoms.locator(".obj-override")).to_contain_text("Supervisor: Met")
    expect(symptoms.locator(".obj-override")).to_contain_text("Message 6 also checks in on energy, in other words.")
    expect(symptoms.locator(".obj-override")).to_contain_text(str(supervisor))
