"""A backend error reaches the trainee's page with a retry button (issue #16, item 10; docs/simulator.md)."""

import pytest

from simulator.library import load_library
from simulator.models import Session
from tests.browser.conftest import sign_in
from tests.services import free_port, start_server, usable_by_server

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def server_with_model_down(transactional_db):
    # Embedded mode whose model server is unreachable: every reply fails with a backend error.
    process = start_server(
        REDIS_URL=None, PIXEL_LLM_BACKEND="openai", PIXEL_OPENAI_BASE_URL=f"http://127.0.0.1:{free_port()}"
    )
    yield process
    process.stop()


def test_trainee_sees_reply_failed_and_asks_again(page, server_with_model_down, certified_trainee):
    load_library()
    usable_by_server(certified_trainee)
    failures, retries = [], []

    def watch(ws):
        ws.on("framereceived", lambda f: failures.append(f) if '"reply_failed"' in str(f) else None)
        ws.on("framesent", lambda f: retries.append(f) if '"retry"' in str(f) else None)

    page.on("websocket", watch)
    page.set_default_timeout(30000)
    sign_in(page, server_with_model_down, certified_trainee)
    page.goto(server_with_model_down.url + "/scenarios/job-loss-depression/")
    page.get_by_role("button", name="Start session").click()
    page.get_by_label("Your message").fill("What has been weighing on you most this week?")
    page.get_by_role("button", name="Send").click()

    retry = page.get_by_role("button", name="Ask for the reply again")
    retry.wait_for(state="visible")
    assert "could not answer" in page.locator("#error").inner_text()
    assert page.locator("li.streaming").count() == 0 and len(failures) == 1

    retry.click()
    # The page asks again for the reply to its message; the model is still down, so the server
    # answers with a second reply_failed and the button comes back.
    for _ in range(60):
        if len(failures) == 2:
            break
        page.wait_for_timeout(500)
    assert len(retries) == 1 and len(failures) == 2
    retry.wait_for(state="visible")
    session = Session.objects.get(trainee=certified_trainee)
    assert not session.messages.filter(role="client", reply_to__isnull=False).exists()
