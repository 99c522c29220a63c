"""Sockets re-check who is on them (issue #16, items 2 and 5): a person signed out, deactivated,
removed from the cohort, without an authenticator, or (trainees) without their certification
cannot open a socket, and an open one is closed; socket activity is activity, polling is not.

Fast cases go through Channels' WebsocketCommunicator on the configured (Redis) layer with the
re-check interval set small; the sign-out and idle cases run against a real ASGI server
(tests/services.py) with a real Django session cookie.
"""

import asyncio
import json
from datetime import timedelta

import pytest
from allauth.mfa.models import Authenticator
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.sessions.models import Session as DjangoSession
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from config.routing import websocket_urlpatterns
from simulator import actions

pytestmark = [pytest.mark.django_db(transaction=True)]

# Generous: the re-check runs every 0.2 s in these tests; a loaded machine may be slow.
CLOSED_WITHIN = 15


@pytest.fixture(autouse=True)
def _fast_rechecks(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.PIXEL_SOCKET_RECHECK_SECONDS = 0.2


@pytest.fixture(autouse=True)
def _in_memory_layer_for_communicator_tests(request, settings):
    # These tests drive consumers through WebsocketCommunicator in the test's own event loop, and
    # many end with the consumer still running (refused or closed by the server, never told the
    # browser left). Tearing the loop down then cancels the consumer in the middle of the Redis
    # layer's blocking read; on a loaded CI machine that once never returned and hung the suite.
    # What these tests check is the consumers' rules, not Redis: they use the in-memory layer.
    # The real-server tests (sync) keep Redis, through their own processes.
    if request.node.get_closest_marker("asyncio") is not None:
        settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


@pytest.fixture
def live(certified_trainee, supervisor, scenario):
    return actions.do_start_session(certified_trainee, scenario)


async def socket(user, path):
    communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), path)
    communicator.scope["user"] = user
    connected, code = await communicator.connect()
    return communicator, connected, code


async def closed_with(communicator, timeout=CLOSED_WITHIN):
    """Read until the server closes the socket; returns (close code, the events before it)."""
    seen = []
    while True:
        output = await communicator.receive_output(timeout=timeout)
        if output["type"] == "websocket.close":
            return output.get("code"), seen
        seen.append(json.loads(output["text"]))


async def still_open(communicator, wait=1.0):
    """True if nothing closes the socket within `wait` seconds (five re-checks); events that
    arrive meanwhile (the observer notice) are read and dropped."""
    deadline = asyncio.get_running_loop().time() + wait
    while (left := deadline - asyncio.get_running_loop().time()) > 0:
        if not await communicator.receive_nothing(timeout=left):
            if (await communicator.receive_output())["type"] == "websocket.close":
                return False
    return True


def drop_authenticators(user):
    Authenticator.objects.filter(user=user).delete()


# --- Refused at connect ---------------------------------------------------------------------


@pytest.mark.asyncio
async def test_supervisor_without_totp_cannot_open_observe_or_dashboard(live, supervisor):
    await database_sync_to_async(drop_authenticators)(supervisor)
    assert (await socket(supervisor, f"/ws/observe/{live.pk}/"))[2] == 4403
    assert (await socket(supervisor, "/ws/dashboard/"))[2] == 4403


@pytest.mark.asyncio
async def test_deactivated_supervisor_cannot_open_observe_or_dashboard(live, supervisor):
    supervisor.is_active = False
    await database_sync_to_async(supervisor.save)(update_fields=["is_active"])
    assert (await socket(supervisor, f"/ws/observe/{live.pk}/"))[2] == 4401
    assert (await socket(supervisor, "/ws/dashboard/"))[2] == 4401


# --- Closed while open ----------------------------------------------------------------------


@pytest.mark.asyncio
async def test_observer_removed_from_the_cohort_is_closed(live, supervisor, cohorts):
    observer, connected, _ = await socket(supervisor, f"/ws/observe/{live.pk}/")
    assert connected and await still_open(observer)
    await database_sync_to_async(cohorts[0].supervisors.remove)(supervisor)
    code, _ = await closed_with(observer)
    assert code == 4404


@pytest.mark.asyncio
async def test_deactivated_observer_and_dashboard_are_closed(live, supervisor):
    observer, _, _ = await socket(supervisor, f"/ws/observe/{live.pk}/")
    dashboard, connected, _ = await socket(supervisor, "/ws/dashboard/")
    assert connected and await still_open(dashboard)
    supervisor.is_active = False
    await database_sync_to_async(supervisor.save)(update_fields=["is_active"])
    assert (await closed_with(observer))[0] == 4401
    assert (await closed_with(dashboard))[0] == 4401


@pytest.mark.asyncio
async def test_observer_and_dashboard_losing_totp_are_closed(live, supervisor):
    observer, _, _ = await socket(supervisor, f"/ws/observe/{live.pk}/")
    dashboard, _, _ = await socket(supervisor, "/ws/dashboard/")
    await database_sync_to_async(drop_authenticators)(supervisor)
    code, events = await closed_with(observer)
    assert code == 4403 and any("two-factor" in e.get("message", "") for e in events)
    assert (await closed_with(dashboard))[0] == 4403


@pytest.mark.asyncio
async def test_dashboard_of_a_supervisor_removed_from_a_cohort_is_closed_to_reconnect(live, supervisor, cohorts):
    dashboard, connected, _ = await socket(supervisor, "/ws/dashboard/")
    assert connected and await still_open(dashboard)
    await database_sync_to_async(cohorts[0].supervisors.remove)(supervisor)
    # Not a 44xx refusal: the page reconnects and joins only the cohorts still supervised.
    assert (await closed_with(dashboard))[0] == 4000


@pytest.mark.asyncio
async def test_trainee_whose_certification_is_revoked_is_closed(live, certified_trainee, admin_user):
    from accounts.actions import do_revoke_certification

    trainee_ws, connected, _ = await socket(certified_trainee, f"/ws/sessions/{live.pk}/")
    assert connected and await still_open(trainee_ws)
    cert = await database_sync_to_async(lambda: certified_trainee.certifications.get())()
    await database_sync_to_async(do_revoke_certification)(admin_user, cert, "Placement paused")
    code, events = await closed_with(trainee_ws)
    assert code == 4403 and [e["code"] for e in events if e["type"] == "error"] == ["certification_missing"]


@pytest.mark.asyncio
async def test_nothing_changed_keeps_sockets_open(live, certified_trainee, supervisor):
    sockets = [
        (await socket(certified_trainee, f"/ws/sessions/{live.pk}/"))[0],
        (await socket(supervisor, f"/ws/observe/{live.pk}/"))[0],
        (await socket(supervisor, "/ws/dashboard/"))[0],
    ]
    for ws in sockets:
        assert await still_open(ws)
        await ws.disconnect()


# --- A real server, real Django sessions ----------------------------------------------------


def session_cookie(user):
    """Sign USER in as a browser would (a row in django_session) and return the cookie's value."""
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def ws_connect(server, path, cookie):
    from websockets.sync.client import connect

    return connect(
        server.url.replace("http://", "ws://") + path,
        additional_headers={"Cookie": f"sessionid={cookie}", "Origin": server.url},
        open_timeout=20,
    )


def close_code(ws, timeout=CLOSED_WITHIN + 30):
    """Read until the server closes; the close code (None if it stayed open for TIMEOUT seconds)."""
    from websockets.exceptions import ConnectionClosed

    try:
        while True:
            ws.recv(timeout=timeout)
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None
    except TimeoutError:
        return None


@pytest.fixture
def server(transactional_db):
    from tests.services import start_server

    process = start_server(PIXEL_LLM_BACKEND="fake", PIXEL_SOCKET_RECHECK_SECONDS="0.5")
    yield process
    process.stop()


def test_signed_out_supervisor_is_closed_on_a_real_server(server, live, supervisor):
    cookie = session_cookie(supervisor)
    with ws_connect(server, f"/ws/observe/{live.pk}/", cookie) as observer:
        with ws_connect(server, "/ws/dashboard/", cookie) as dashboard:
            observer.recv(timeout=20)  # the observer notice: the socket is open and watched
            DjangoSession.objects.filter(session_key=cookie).delete()  # signing out removes the row
            assert close_code(observer) == 4401
            assert close_code(dashboard) == 4401
    # ... and a signed-out cookie cannot open them again (refused before the handshake completes).
    from websockets.exceptions import InvalidStatus

    for path in ("/ws/dashboard/", f"/ws/observe/{live.pk}/"):
        with pytest.raises(InvalidStatus):
            ws_connect(server, path, cookie)


def test_trainee_socket_activity_keeps_the_session_alive_and_idleness_ends_it(server, live, certified_trainee):
    cookie = session_cookie(certified_trainee)
    row = DjangoSession.objects.filter(session_key=cookie)
    soon = timezone.now() + timedelta(seconds=30)
    row.update(expire_date=soon)
    with ws_connect(server, f"/ws/sessions/{live.pk}/", cookie) as ws:
        # A reconnect's resume is the page, not the trainee: it renews nothing.
        ws.send(json.dumps({"type": "resume", "after": 0}))
        while json.loads(ws.recv(timeout=20))["type"] != "status":
            pass
        assert row.get().expire_date == soon
        ws.send(json.dumps({"type": "message", "id": "m1", "text": "How have you been sleeping?"}))
        while json.loads(ws.recv(timeout=20))["type"] != "ack":
            pass
        # Renewed as a page request would: PIXEL_IDLE_MINUTES from now.
        assert row.get().expire_date > timezone.now() + timedelta(minutes=10)
        # Idle past the timeout (the clock moved by hand): the socket is closed as signed out.
        row.update(expire_date=timezone.now() - timedelta(seconds=1))
        assert close_code(ws) == 4401


# --- Polling pages do not keep an idle session alive ------------------------------------------


def test_dashboard_polls_do_not_renew_an_idle_staff_session(client, live, supervisor):
    client.force_login(supervisor)
    key = client.session.session_key
    row = DjangoSession.objects.filter(session_key=key)
    soon = timezone.now() + timedelta(minutes=2)
    row.update(expire_date=soon)
    rows_url = reverse("supervision_dashboard_rows")
    for _ in range(3):
        assert client.get(rows_url, headers={"HX-Request": "true", "X-Pixel-Poll": "1"}).status_code == 200
    assert row.get().expire_date == soon, "a poll must not push the idle timeout on"
    # Once the idle timeout passes, polling does not bring the session back: the page is told to
    # reload, which lands on the sign-in form.
    row.update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get(rows_url, headers={"HX-Request": "true", "X-Pixel-Poll": "1"})
    assert response.status_code == 204 and response["HX-Refresh"] == "true"
    assert client.get(reverse("supervision_dashboard"))["Location"].startswith(reverse("account_login"))


def test_a_person_request_still_renews_the_session(client, live, supervisor):
    client.force_login(supervisor)
    row = DjangoSession.objects.filter(session_key=client.session.session_key)
    row.update(expire_date=timezone.now() + timedelta(minutes=2))
    assert client.get(reverse("supervision_dashboard")).status_code == 200
    assert row.get().expire_date > timezone.now() + timedelta(minutes=10)


@pytest.mark.browser
def test_the_dashboard_marks_its_own_refreshes_as_polls(server, live, supervisor):
    """In Chromium: the table's timed refresh carries X-Pixel-Poll (static/pixel/dashboard.js)."""
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM, sign_in
    from tests.services import usable_by_server

    usable_by_server(supervisor)
    rows_url = server.url + reverse("supervision_dashboard_rows")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            page = browser.new_page()
            page.set_default_timeout(30000)
            sign_in(page, server, supervisor)
            with page.expect_request(lambda r: r.url == rows_url) as poll:
                page.goto(server.url + reverse("supervision_dashboard"))
            assert poll.value.headers.get("x-pixel-poll") == "1"
        finally:
            browser.close()
