"""The serving hook: which model a worker's replies come from, following promotions without a restart.

    from training.serving import serving_backend
    generate(..., backend=serving_backend())

serving_backend() returns a modelserve backend for the promoted ModelVersion; when none is
promoted, the adapter Pixel ships as its default persona model (training/artifacts/default.json,
if there is one and PIXEL_SHIPPED_ADAPTER is on), else the process's ordinary backend (modelserve.backends.get_backend(): the bundled base
model, or whatever the environment and tests configure). It keeps one backend per process and asks the database which
version serves at most every PIXEL_SERVING_CHECK_SECONDS (5 s): a promotion or rollback reaches
every worker within that time, on its next reply, and the old backend is dropped.

Only the llama backend can carry an adapter. With PIXEL_LLM_BACKEND=fake or openai the process's
ordinary backend (modelserve.backends.get_backend) is returned unchanged, so tests and remote
serving are unaffected by the registry.

backend_for(version) builds (and caches) the backend for one version; `manage.py simulate --model`
and `manage.py evaluate_model` use it to run a version that is not (or not yet) serving.
"""

import logging
import threading
import time
from dataclasses import replace
from pathlib import Path

from modelserve.backends import Backend, build_backend, get_backend
from modelserve.conf import load_config
from training.conf import serving_check_seconds, shipped_default

log = logging.getLogger(__name__)
BASE = "base"

_lock = threading.Lock()
_state = {"key": None, "backend": None, "checked": 0.0}
# Backends for versions asked for by name (evaluation, simulate --model): at most two at a time.
_named: dict[str, Backend] = {}
MAX_NAMED = 2


def _promoted_key() -> tuple[str, str, str]:
    """(version name, adapter path, adapter sha256) of what serves now: the promoted version; with
    none promoted, the adapter Pixel ships (training.conf.shipped_default) where the backend can
    carry one; else ("base", "", "")."""
    from training.models import ModelPromotion

    latest = ModelPromotion.objects.select_related("model_version").order_by("-id").first()
    version = latest.model_version if latest else None
    if version is not None:
        return version.version, version.adapter_path, version.adapter_sha256
    shipped = shipped_default()
    if shipped is not None and load_config().backend == "llama":
        return shipped["version"], shipped["path"], shipped["sha256"]
    return BASE, "", ""


def _build(adapter_path: str, *, explicit_base: bool = False) -> Backend:
    """The process's ordinary backend for the base model (so nothing is loaded twice, and tests'
    scripted backends keep working); a llama backend with the adapter for a promoted version."""
    config = load_config()
    if config.backend != "llama":
        if adapter_path:
            log.warning("PIXEL_LLM_BACKEND=%s cannot apply adapter %s; serving without it", config.backend, adapter_path)
        return get_backend()
    if not adapter_path:
        return build_backend(replace(config, lora_path="")) if explicit_base else get_backend()
    if not Path(adapter_path).is_file():
        raise FileNotFoundError(f"adapter {adapter_path} is missing")
    return build_backend(replace(config, lora_path=adapter_path))


def serving_backend() -> Backend:
    """The backend for the promoted model; rebuilt when the promotion changes.

    With nothing promoted it is the process's ordinary backend, asked for afresh each time (not
    kept here), so whatever the environment or a test installs there is what serves.
    """
    now = time.monotonic()
    with _lock:
        if _state["key"] is not None and now - _state["checked"] < serving_check_seconds():
            return _state["backend"] or get_backend()
        try:
            key = _promoted_key()
        except Exception:  # noqa: BLE001 - a database hiccup must not stop replies: keep serving what we have
            log.exception("cannot read the promoted model; keeping the current backend")
            if _state["key"] is not None:
                _state["checked"] = now
                return _state["backend"] or get_backend()
            key = (BASE, "", "")
        _state["checked"] = now
        if key == (BASE, "", ""):
            if _state["key"] != key:
                log.info("serving the base model")
            _state.update(key=key, backend=None)
            return get_backend()
        if key != _state["key"] or _state["backend"] is None:
            log.info("serving model changes from %s to %s", (_state["key"] or ("none",))[0], key[0])
            try:
                backend = _build(key[1])
            except Exception:  # noqa: BLE001
                if _state["key"] is None:
                    raise
                log.exception("cannot load promoted model %s; keeping %s", key[0], _state["key"][0])
                return _state["backend"] or get_backend()
            _state.update(key=key, backend=backend)
        return _state["backend"]


def serving_version_name() -> str:
    """What serving_backend() serves now, as the registry names it."""
    serving_backend()
    return _state["key"][0]


def backend_for(version: str | None) -> Backend:
    """A backend for VERSION ("base", a ModelVersion name, or None for whatever serves now)."""
    if version is None:
        return serving_backend()
    if version == BASE:
        adapter = ""
    else:
        from training.models import ModelVersion

        row = ModelVersion.objects.filter(version=version).first()
        shipped = shipped_default()
        if row is not None:
            adapter = row.adapter_path
        elif shipped is not None and shipped["version"] == version:
            adapter = shipped["path"]
        else:
            raise LookupError(f"no model version {version!r}")
    with _lock:
        backend = _named.get(adapter)
        if backend is None:
            if len(_named) >= MAX_NAMED:
                _named.pop(next(iter(_named)))
            # "base" means the bundled model without any adapter, even if PIXEL_LLM_LORA_PATH names one.
            backend = _named[adapter] = _build(adapter, explicit_base=True)
        return backend


def reset() -> None:
    """Forget every cached backend (tests)."""
    with _lock:
        _state.update(key=None, backend=None, checked=0.0)
        _named.clear()


def version_label(base: str, adapter: str) -> str | None:
    """The registry's name for a stored model id's adapter (modelserve.serving.model_label): the
    ModelVersion serving from that file, or the shipped default, "<version> on <base model>"."""
    if not adapter:
        return None
    from training.models import ModelVersion

    base_name = Path(base).name.removesuffix(".gguf")
    version = ModelVersion.objects.filter(adapter_path=adapter).values_list("version", flat=True).first()
    if version is None:
        shipped = shipped_default()
        if shipped is not None and str(shipped["path"]) == adapter:
            version = f"{shipped['version']} (shipped)"
    return f"{version} on {base_name}" if version else None
