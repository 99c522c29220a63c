"""Fixtures for the training tests: a private training folder and small real data."""

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# The dequantised bundled model is cached here across test runs (git-ignored, like all of var/).
MODEL_CACHE = REPO / "var" / "training" / "cache"


@pytest.fixture(autouse=True)
def _training_dir(tmp_path, settings):
    settings.PIXEL_TRAINING_DIR = tmp_path / "training"
    yield settings.PIXEL_TRAINING_DIR
    from training import serving

    serving.reset()


@pytest.fixture
def data_dir(settings):
    return Path(settings.PIXEL_DATA_DIR)
