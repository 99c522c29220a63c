"""Loading the scenario library (simulator/scenario_library/*.json) into the database."""

import json
from pathlib import Path

from django.conf import settings
from django.db import transaction

from simulator.models import DIFFICULTY_CHOICES, TOPICS, Scenario

REQUIRED = ["slug", "title", "topic", "difficulty", "certification", "summary", "learning_objectives", "persona"]
PERSONA_REQUIRED = ["name", "age", "presenting_problem", "opening_line", "conversational_style"]


class LibraryError(Exception):
    pass


def read_card(path):
    try:
        card = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise LibraryError(f"{path}: cannot read JSON ({e})") from e
    missing = [k for k in REQUIRED if k not in card] + [f"persona.{k}" for k in PERSONA_REQUIRED if k not in card.get("persona", {})]
    if missing:
        raise LibraryError(f"{path}: missing {', '.join(missing)}")
    if card["topic"] not in TOPICS:
        raise LibraryError(f"{path}: unknown topic {card['topic']!r}")
    if card["difficulty"] not in dict(DIFFICULTY_CHOICES):
        raise LibraryError(f"{path}: difficulty must be 1, 2 or 3")
    if card["certification"] not in ("simulation", "crisis"):
        raise LibraryError(f"{path}: certification must be 'simulation' or 'crisis'")
    if Path(path).stem != card["slug"]:
        raise LibraryError(f"{path}: file name and slug {card['slug']!r} differ")
    return card


def library_paths(folder=None):
    return sorted(Path(folder or settings.PIXEL_SCENARIO_DIR).glob("*.json"))


@transaction.atomic
def load_library(folder=None, by=None):
    """Create or update every scenario from the library; returns {slug: "created"|"updated"|"same"}."""
    results = {}
    for path in library_paths(folder):
        card = read_card(path)
        fields = {k: card.get(k) for k in ["title", "topic", "difficulty", "certification", "summary", "learning_objectives", "persona"]}
        fields["content_warnings"] = card.get("content_warnings", [])
        scenario, created = Scenario.objects.get_or_create(slug=card["slug"], defaults=fields)
        before = scenario.current_version
        if not created:
            for key, value in fields.items():
                setattr(scenario, key, value)
            scenario.save()
        version = scenario.snapshot(by)
        results[card["slug"]] = "created" if created else ("same" if before and before.pk == version.pk else "updated")
    return results
