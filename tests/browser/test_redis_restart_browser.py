"""Issue 16, item 9: a Redis restart is survived without a reload. The trainee's, the observer's and
the dashboard's sockets all carry on: the next reply, the next message and the next alert arrive
within 30 s of Redis answering again. Real processes throughout: a Redis of the test's own (so the
rest of the suite's Redis is not disturbed), an ASGI server and a Celery worker using it, Chromium.
"""

import time

import pytest

from simulator.library import load_library
from simulator.models import Scenario
from tests.browser.conftest import sign_in, start_trainee_session
from tests.services import Process, free_port, start_celery_worker, start_server, usable_by_server

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def start_redis(port):
    process = Process(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        None,
        f"redis-{port}.log",
    )
    process.wait_for(lambda: "Ready to accept connections" in process.output(), 20, "redis-server")
    return process


def stop_redis(process):
    process.proc.terminate()
    process.proc.wait(timeout=10)
    process.log.close()


def test_sockets_carry_on_after_a_redis_restart(browser, certified_trainee, supervisor):
    port = free_port()
    redis_url = f"redis://127.0.0.1:{port}/0"
    redis_proc = start_redis(port)
    env = {"REDIS_URL": redis_url, "PIXEL_LLM_BACKEND": "fake"}
    server = start_server(**env)
    worker = start_celery_worker(**env)
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
        dashboard = supervisor_ctx.new_page()
        dashboard.goto(server.url + "/supervision/")
        boss.get_by_role("link", name="Live sessions").click()
        boss.locator("#live-rows tr", has_text=str(certified_trainee)).get_by_role("link", name="Observe").click()
        boss.get_by_text("Observing live.").wait_for()

        stop_redis(redis_proc)
        time.sleep(2)
        redis_proc = start_redis(port)
        back = time.monotonic()

        # The next message and its reply reach the trainee and the observer, no reload.
        trainee.get_by_label("Your message").fill("How has your sleep been this week?")
        trainee.get_by_role("button", name="Send").click()
        trainee.locator("#transcript li.msg-client[data-seq]").nth(2).wait_for(timeout=30000)
        boss.locator("#transcript", has_text="How has your sleep been this week?").wait_for(timeout=30000)
        boss.locator("#transcript li.msg-client[data-seq]").nth(2).wait_for(timeout=30000)
        # An alert reaches the dashboard that was open through the restart.
        trainee.get_by_label("Your message").fill("Sorry, I have been thinking about killing myself lately.")
        trainee.get_by_role("button", name="Send").click()
        dashboard.locator("#alerts p").first.wait_for(timeout=30000)
        assert time.monotonic() - back < 90  # three 30 s promises, one after another
        assert "may mean they need support" in dashboard.locator("#alerts").inner_text()
    finally:
        trainee_ctx.close()
        supervisor_ctx.close()
        server.stop()
        worker.stop()
        if redis_proc.proc.poll() is None:
            stop_redis(redis_proc)
