"""A crisis alert for a trainee in no cohort reaches the admins (issue #16, item 13; docs/simulator.md).

A trainee in no cohort has no supervisor: before, their alerts went to no dashboard group and
their pause e-mail to nobody.
"""

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.core import mail

from config.routing import websocket_urlpatterns
from simulator import actions
from simulator.crisis_protocol import do_check_message
from supervision.live import live_sessions
from tests.conftest import make_person

pytestmark = [pytest.mark.django_db(transaction=True)]

TRAINEE_IMMINENT = "honestly i'm going to kill myself tonight after this shift, i have the pills saved up"


@pytest.fixture(autouse=True)
def _in_process(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture
def loner(certify, cohorts):
    """A certified trainee in no cohort (cohorts exist, so admins' dashboards join theirs too)."""
    user = make_person("loner@example.org", "trainee")
    certify(user, "simulation")
    return user


async def dashboard(user):
    communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), "/ws/dashboard/")
    communicator.scope["user"] = user
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def until(communicator, kind, timeout=20):
    while True:
        event = await communicator.receive_json_from(timeout=timeout)
        if event["type"] == kind:
            return event


@pytest.mark.asyncio
async def test_alert_for_trainee_in_no_cohort_reaches_admins_dashboard_and_email(
    loner, admin_user, supervisor, scenario, fake_llm
):
    second_admin = await database_sync_to_async(make_person)("admin2@example.org", "admin")
    retired_admin = await database_sync_to_async(make_person)("retired-admin@example.org", "admin")
    retired_admin.is_active = False
    await database_sync_to_async(retired_admin.save)(update_fields=["is_active"])
    admin_ws, supervisor_ws = await dashboard(admin_user), await dashboard(supervisor)

    session = await database_sync_to_async(actions.do_start_session)(loner, scenario)
    await database_sync_to_async(actions.do_post_trainee_message)(loner, session, "t1", TRAINEE_IMMINENT)

    alert = await until(admin_ws, "crisis.alert")
    assert alert["session"] == str(session.pk) and alert["action"] == "pause" and alert["speaker"] == "trainee"
    # Not a supervisor of some other cohort: they have no business with this trainee.
    assert await supervisor_ws.receive_nothing(timeout=1)
    assert [sorted(m.to) for m in mail.outbox] == [sorted([admin_user.email, second_admin.email])]
    assert "may need support" in mail.outbox[0].subject
    for ws in (admin_ws, supervisor_ws):
        await ws.disconnect()


def test_admins_dashboard_lists_sessions_of_trainees_in_no_cohort(loner, admin_user, supervisor, scenario):
    session = actions.do_start_session(loner, scenario)
    assert [r["session"].pk for r in live_sessions(admin_user)] == [session.pk]
    assert live_sessions(supervisor) == []


def test_trainee_whose_cohort_has_no_active_supervisor_is_emailed_to_admins(
    certified_trainee, admin_user, supervisor, scenario
):
    supervisor.is_active = False
    supervisor.save(update_fields=["is_active"])
    session = actions.do_start_session(certified_trainee, scenario)
    message, _ = actions.do_post_trainee_message(certified_trainee, session, "t1", TRAINEE_IMMINENT)
    assert do_check_message(message.pk).crisis_level == "imminent"
    assert [m.to for m in mail.outbox] == [[admin_user.email]]


def test_trainee_with_supervisors_is_still_emailed_to_them_only(certified_trainee, admin_user, supervisor, scenario):
    session = actions.do_start_session(certified_trainee, scenario)
    actions.do_post_trainee_message(certified_trainee, session, "t1", TRAINEE_IMMINENT)
    assert [m.to for m in mail.outbox] == [[supervisor.email]]
