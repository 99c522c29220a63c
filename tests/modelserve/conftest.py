import json
from pathlib import Path

import pytest

from modelserve.samples import PERSONAS


@pytest.fixture
def abe():
    return dict(PERSONAS[0])


@pytest.fixture(scope="session")
def llama_backend():
    """The bundled Gemma 3 270M, loaded once for the whole test run."""
    from modelserve.backends.llama import LlamaCppBackend
    from modelserve.conf import LLMConfig

    return LlamaCppBackend(LLMConfig(threads=1, ctx=2048, state_cache_mb=64))


@pytest.fixture(scope="session")
def cards():
    """The scenario library's persona cards by slug, read without Django (modelserve's tests run
    without it: docs/modelserve.md, "Tests")."""
    library = Path(__file__).resolve().parents[2] / "simulator" / "scenario_library"
    return {p.stem: json.loads(p.read_text())["persona"] for p in sorted(library.glob("*.json"))}
