"""Issue 17 item 7: a jump to a message on the replay (a link to #m-N: timeline markers, a saved
annotation) stops below the sticky player instead of under it. Chromium, a short window."""

import pytest

from tests.browser.conftest import sign_in
from tests.supervision.conftest import build_recording

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [360, 1000])
def test_a_jump_to_a_message_is_not_hidden_by_the_player(page, live_server, supervisor, trainee, width):
    session = build_recording(trainee, supervisor)
    page.set_viewport_size({"width": width, "height": 420})
    sign_in(page, live_server, supervisor)
    url = f"{live_server.url}/supervision/sessions/{session.pk}/replay/"
    page.goto(url)
    page.goto(url + "#m-9")
    page.wait_for_timeout(300)
    player = page.locator("#player").bounding_box()
    target = page.locator("#m-9").bounding_box()
    assert page.evaluate("() => window.scrollY") > 0  # the page did scroll to it
    assert target["y"] >= player["y"] + player["height"] - 1, (player, target)
