"""Fixtures every test can use: the personas, a database check, and no outbound network.

Personas (healthchecks' alice/bob/charlie habit): `trainee` in cohort A, `supervisor` of cohort A,
`admin`, and two outsiders: `outsider` (a trainee in cohort B) and `outsider_supervisor` (who
supervises cohort B only).
"""

import ipaddress
import socket

import pytest
from django.conf import settings
from django.core.cache import cache

import modelserve.backends as backends
from modelserve.backends import FakeBackend


def pytest_sessionstart(session):
    # The suite promises real PostgreSQL (triggers, full-text search, locking). Running it on the
    # demo's SQLite would pass tests that prove nothing, so refuse loudly instead.
    if not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        raise pytest.UsageError(
            "Pixel's tests need PostgreSQL: set DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/pixel) "
            "or run `bash .ci/run`, which starts PostgreSQL and Redis for you."
        )
    if settings.REDIS_URL:
        # Tasks queued by earlier runs (whose messages no longer exist) would only slow the test
        # workers down. REDIS_URL in tests must name a Redis database of their own.
        import redis

        redis.Redis.from_url(settings.REDIS_URL).flushdb()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    # A test that reads a licensed data set says which (@pytest.mark.needs_data("annomi")). Without
    # that set, or with a file of it changed, the test fails here, before its fixtures run, with
    # data_check's table and where to put the data (docs/data.md): never a FileNotFoundError deep
    # inside a reader, never a pass over an empty corpus.
    marks = list(item.iter_markers("needs_data"))
    if not marks:
        return
    names = sorted({name for mark in marks for name in mark.args})
    if not names:
        pytest.fail("needs_data() names no data set: write e.g. @pytest.mark.needs_data(\"esconv\")", pytrace=False)
    from training.data import datacheck

    try:
        ok, text = datacheck.report(settings.PIXEL_DATA_DIR, names)
    except ValueError as e:  # a name the manifest does not know
        pytest.fail(f"needs_data: {e}", pytrace=False)
    if not ok:
        pytest.fail(f"{item.nodeid} needs licensed data that is missing or changed.\n{text}", pytrace=False)


_real_connect = socket.socket.connect


def _loopback_only_connect(sock, address):
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        host = address[0]
        try:
            ok = ipaddress.ip_address(host).is_loopback
        except ValueError:
            ok = host == "localhost"
        if not ok:
            raise ConnectionRefusedError(f"Tests may not reach {host}: outbound network is blocked")
    return _real_connect(sock, address)


@pytest.fixture(autouse=True)
def _block_network(monkeypatch):
    monkeypatch.setattr(socket.socket, "connect", _loopback_only_connect)


@pytest.fixture(autouse=True)
def _fresh_channel_layer():
    # The Redis layer binds its receive lock to the first event loop that uses it; each test runs
    # in its own loop, so each gets its own layer instance.
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Rate-limit counters and used TOTP codes live in the cache; each test starts clean.
    cache.clear()
    yield
    cache.clear()


def make_person(email, role, mfa=True, password="correct horse battery"):
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from accounts.models import User

    user = User.objects.create_user(email, password, full_name=email.split("@")[0].title())
    user.set_role(role)
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
    user.totp_secret = None
    if mfa and role in settings.PIXEL_MFA_REQUIRED_ROLES:
        user.totp_secret = generate_totp_secret()
        TOTP.activate(user, user.totp_secret)
        assert Authenticator.objects.filter(user=user).exists()
    return user


@pytest.fixture
def cohorts(db):
    from accounts.models import Cohort

    return Cohort.objects.create(name="Cohort A"), Cohort.objects.create(name="Cohort B")


@pytest.fixture
def trainee(cohorts):
    user = make_person("trainee@example.org", "trainee")
    cohorts[0].trainees.add(user)
    return user


@pytest.fixture
def supervisor(cohorts):
    user = make_person("supervisor@example.org", "supervisor")
    cohorts[0].supervisors.add(user)
    return user


@pytest.fixture
def admin_user(db):
    return make_person("admin@example.org", "admin")


@pytest.fixture
def outsider(cohorts):
    user = make_person("outsider@example.org", "trainee")
    cohorts[1].trainees.add(user)
    return user


@pytest.fixture
def outsider_supervisor(cohorts):
    user = make_person("other-supervisor@example.org", "supervisor")
    cohorts[1].supervisors.add(user)
    return user


@pytest.fixture
def certify(admin_user):
    """Issue a certification through the real action: certify(user, "simulation", **dates)."""
    from accounts.actions import do_issue_certification

    def _certify(user, kind="simulation", **kwargs):
        return do_issue_certification(admin_user, user, kind, **kwargs)

    return _certify


@pytest.fixture
def certified_trainee(trainee, certify):
    certify(trainee, "simulation")
    return trainee


# --- Scenarios and a scripted model, for the simulator and supervision tests -------------------

PERSONA = {
    "name": "Maya",
    "age": 34,
    "pronouns": "she/her",
    "occupation": "nurse",
    "living_situation": "lives alone with her cat",
    "presenting_problem": "Low mood since a breakup; sleeping badly.",
    "conversational_style": "reserved",
    "opening_line": "I'm not sure why I'm here, honestly.",
    "example_exchange": [{"therapist": "What brings you in?", "client": "My sister said I should come."}],
}


def make_scenario(slug="low-mood", certification="simulation", **extra):
    from simulator.models import Scenario

    return Scenario.objects.create(
        slug=slug,
        title=extra.pop("title", "Low mood after a breakup"),
        topic=extra.pop("topic", "depression"),
        difficulty=extra.pop("difficulty", 1),
        certification=certification,
        summary="A nurse with low mood.",
        learning_objectives=["Open questions"],
        persona={**PERSONA, **extra.pop("persona", {})},
        **extra,
    )


@pytest.fixture
def scenario(db):
    return make_scenario()


@pytest.fixture
def crisis_scenario(db):
    return make_scenario("crisis-plan", certification="crisis", title="Suicidal ideation with a plan", topic="suicide")


@pytest.fixture
def fake_llm(monkeypatch):
    """Install a scripted model as this process's backend; returns it (set .replies as needed)."""
    from training import serving

    fake = FakeBackend(["It's been hard to sleep since she left."])
    monkeypatch.setattr(backends, "_backend", fake)
    # Say so in the environment too: serving applies the shipped persona adapter only to a llama
    # backend, and must not keep a real model cached from an earlier test.
    monkeypatch.setenv("PIXEL_LLM_BACKEND", "fake")
    serving.reset()
    return fake
