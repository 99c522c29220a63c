"""A supervisor reviews a recording in a real browser; the trainee then reads the released review."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.supervision.conftest import QUESTION, build_recording, default_rubric

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_supervisor_replays_annotates_scores_and_releases_then_trainee_reads_it(page, live_server, supervisor, trainee):
    rubric = default_rubric()
    session = build_recording(trainee, supervisor)
    replay_url = f"{live_server.url}/supervision/sessions/{session.pk}/replay/"

    sign_in(page, live_server, supervisor)
    page.goto(replay_url)
    expect(page.locator("#m-6")).to_contain_text(QUESTION)

    # Playback: Play hides what has not happened yet; the flag marker jumps there; all comes back.
    page.get_by_label("Speed").select_option("8")
    page.get_by_role("button", name="Play").click()
    expect(page.locator("#replay-status")).to_have_text("Playing at 8×.")
    expect(page.locator("#m-10")).to_be_hidden()
    expect(page.locator("#m-2")).to_be_visible(timeout=6000)  # 20 s later in the session, at 8×
    page.get_by_role("navigation", name="Timeline").get_by_role("link", name=re.compile("Flag: high")).click()
    expect(page.locator("#m-3")).to_be_visible()
    expect(page.locator("#replay-status")).to_contain_text("Jumped to 0:45")
    page.get_by_role("button", name="Show everything").click()
    expect(page.locator("#m-10")).to_be_visible()

    # Annotate the trainee's direct question about suicide.
    message = page.locator("#m-6")
    message.get_by_text("Annotate message 6").click()
    message.get_by_label("Comment").fill("Asked about suicide directly and kindly.")
    message.get_by_label("empathic response").check()
    message.get_by_role("button", name="Save annotation").click()
    expect(page.locator("#m-6 .annotation")).to_contain_text("Asked about suicide directly and kindly.")
    expect(page.get_by_role("navigation", name="Timeline")).to_contain_text("Annotation: empathic response")

    # Score every rubric item, comment, save, release.
    for item in rubric.items.all():
        page.get_by_role("group", name=item.title).get_by_role("radio", name=re.compile(r"^4\b")).check()
    page.get_by_label("Overall comment").fill("Warm, paced well; summarise more.")
    page.get_by_role("button", name="Save review").click()
    expect(page.locator(".messages")).to_contain_text("Review saved.")
    page.get_by_role("button", name="Release to the trainee").click()
    expect(page.locator(".messages")).to_contain_text("can now read your review")

    # The trainee signs in and reads it.
    page.context.clear_cookies()
    sign_in(page, live_server, trainee)
    page.goto(f"{live_server.url}/supervision/reviews/")
    page.get_by_role("link", name="Review ready").click()
    expect(page.locator("#m-6 .annotation")).to_contain_text("Asked about suicide directly and kindly.")
    review = page.locator("#review")
    expect(review).to_contain_text("Warm, paced well; summarise more.")
    expect(review.get_by_role("row", name=re.compile("Risk assessment"))).to_contain_text("4 / 5")
    expect(page.locator("main")).not_to_contain_text("suicidal ideation")  # flags stay with supervisors
    expect(page.get_by_text("Annotate message 6")).to_have_count(0)


def test_replay_works_at_phone_width_and_without_overflow(page, live_server, supervisor, trainee):
    default_rubric()
    session = build_recording(trainee, supervisor)
    page.set_viewport_size({"width": 360, "height": 740})
    sign_in(page, live_server, supervisor)
    page.goto(f"{live_server.url}/supervision/sessions/{session.pk}/replay/")
    expect(page.get_by_role("button", name="Play")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # Keyboard only: Tab reaches the Play button and Enter starts playback.
    page.get_by_role("button", name="Play").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#replay-status")).to_have_text("Playing at 1×.")
    expect(page.get_by_role("button", name="Pause")).to_be_focused()
