"""Scenario fixtures live in tests/conftest.py; `make_scenario` is re-exported for the imports."""

from tests.conftest import PERSONA, make_scenario  # noqa: F401
