import pytest

import modelserve.backends as backends
from modelserve.backends import FakeBackend
from simulator.models import Scenario

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
    fake = FakeBackend(["It's been hard to sleep since she left."])
    monkeypatch.setattr(backends, "_backend", fake)
    return fake
