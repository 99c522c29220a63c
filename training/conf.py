"""Where training keeps its files and how often workers look for a newly promoted model.

Read from django.conf.settings when the project defines them (config/settings.py), else from the
environment, so the recipe also runs as a plain script (docs/training.md, "Settings").
"""

from pathlib import Path

from config.env import env_float, env_int, env_str

REPO_DIR = Path(__file__).resolve().parent.parent
ARTIFACTS_DIR = Path(__file__).resolve().parent / "artifacts"
CONFIGS_DIR = Path(__file__).resolve().parent / "configs"


def _setting(name, default):
    try:
        from django.conf import settings

        if settings.configured and hasattr(settings, name):
            return getattr(settings, name)
    except ImportError:  # pragma: no cover - Django is always installed here
        pass
    return default


def training_dir() -> Path:
    """Datasets, checkpoints and exported adapters: outside git (var/ is ignored)."""
    return Path(_setting("PIXEL_TRAINING_DIR", None) or env_str("PIXEL_TRAINING_DIR", "") or REPO_DIR / "var" / "training")


def data_dir() -> Path:
    return Path(_setting("PIXEL_DATA_DIR", None) or env_str("PIXEL_DATA_DIR", "") or REPO_DIR.parent / "shared" / "data")


def serving_check_seconds() -> float:
    """How long a worker trusts its idea of the promoted model before asking the database again."""
    return float(_setting("PIXEL_SERVING_CHECK_SECONDS", None) or env_float("PIXEL_SERVING_CHECK_SECONDS", 5.0))


def stale_seconds() -> int:
    """A RUNNING training run without a heartbeat for this long is taken to have lost its worker."""
    return int(_setting("PIXEL_TRAINING_STALE_SECONDS", None) or env_int("PIXEL_TRAINING_STALE_SECONDS", 900, minimum=60))


def promotion_tolerance() -> float:
    """How much worse (absolute rate) a candidate may be on a gated metric and still be promoted."""
    return float(_setting("PIXEL_PROMOTION_TOLERANCE", None) or env_float("PIXEL_PROMOTION_TOLERANCE", 0.0))


def shipped_default() -> dict | None:
    """The adapter Pixel ships as its default persona model, if one is shipped and switched on.

    `manage.py ship_adapter --default` writes ARTIFACTS_DIR/default.json naming a committed
    adapter; PIXEL_SHIPPED_ADAPTER=false serves the base model instead. Returns {"version",
    "path", "sha256"} or None.
    """
    import json

    enabled = _setting("PIXEL_SHIPPED_ADAPTER", None)
    if enabled is None:
        from config.env import env_bool

        enabled = env_bool("PIXEL_SHIPPED_ADAPTER", True)
    pointer = ARTIFACTS_DIR / "default.json"
    if not enabled or not pointer.is_file():
        return None
    default = json.loads(pointer.read_text())
    return {"version": default["version"], "path": str(ARTIFACTS_DIR / default["file"]), "sha256": default["sha256"]}
