"""A real browser: Playwright driving Debian's Chromium (CHROMIUM_PATH, default /usr/bin/chromium)."""

import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.db import connection

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make
# between page actions (and the database flush after them) are still ordinary synchronous calls.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="module")
def browser():
    # Module scope: Playwright's sync API keeps an event loop running in this thread while it is
    # open, which the asyncio tests of other modules cannot share.
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"No Chromium at {CHROMIUM}: install Debian's chromium package (bash .ci/run does).")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1000, "height": 800})
    page = context.new_page()
    page.set_default_timeout(15000)
    # Every page a browser test visits must pass Pixel's Content-Security-Policy (config/security.py):
    # Chromium reports each refusal on the console, and any one fails the test that caused it.
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.csp_violations = violations
    # And no file a page asks for is missing (a favicon that 404s on every page, a stylesheet
    # renamed): pages themselves may answer 403 or 404 on purpose, what they load may not.
    missing = []
    page.on("response", lambda r: missing.append(f"{r.status} {r.url}")
            if r.status >= 400 and r.request.resource_type in ("image", "stylesheet", "script", "font", "manifest", "other")
            else None)  # fmt: skip
    yield page
    if violations:
        pytest.fail("Content-Security-Policy violations:\n" + "\n".join(violations[:5]))
    if missing:
        pytest.fail("files the pages asked for are missing:\n" + "\n".join(missing[:5]))
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def totp_now(secret):
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def sign_in(page, live_server, person, password="correct horse battery"):
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email").fill(person.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign In").click()
    if getattr(person, "totp_secret", None):
        page.get_by_label("Code").fill(totp_now(person.totp_secret))
        page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(live_server.url + "/")


@pytest.fixture
def fake_llm_server(transactional_db):
    """`manage.py runserver` on the test database, in-process channel layer, the scripted model."""
    from tests.services import start_server

    process = start_server(REDIS_URL=None, PIXEL_LLM_BACKEND="fake")
    yield process
    process.stop()


def start_trainee_session(context, server, trainee, slug, timeout=15000):
    """The trainee signs in in CONTEXT and starts scenario SLUG; returns their page."""
    page = context.new_page()
    page.set_default_timeout(timeout)
    sign_in(page, server, trainee)
    page.goto(server.url + f"/scenarios/{slug}/")
    page.get_by_role("button", name="Start session").click()
    return page


def elsewhere(action, *args):
    """Run ACTION in another thread and return its result: Playwright's event loop runs in the
    test's thread, and an action's channel-layer send (async_to_sync) may not share it."""

    def run():
        try:
            return action(*args)
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()
