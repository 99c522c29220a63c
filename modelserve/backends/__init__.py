"""Where tokens come from: llama.cpp in this process, an OpenAI-compatible server, or a script.

Every backend takes a finished prompt string and streams text pieces; prompt building, the
persona guard and regeneration live in modelserve.generate, so all backends behave the same.
The interface they share is in base.py; this package builds the process's one backend.
"""

import threading

from modelserve.backends.base import Backend, BackendError, split_at_stop
from modelserve.backends.fake import FakeBackend
from modelserve.conf import LLMConfig, load_config

_backend: Backend | None = None
_backend_lock = threading.Lock()


def build_backend(config: LLMConfig) -> Backend:
    if config.backend == "fake":
        return FakeBackend(delay=config.fake_delay_ms / 1000)
    if config.backend == "openai":
        from modelserve.backends.openai import OpenAICompatibleBackend

        return OpenAICompatibleBackend(config)
    from modelserve.backends.llama import LlamaCppBackend

    return LlamaCppBackend(config)


def get_backend() -> Backend:
    """The process's one backend, built from the environment on first use.

    One model per process: a llama.cpp model is hundreds of MB and aborts the process if two
    threads use it at once, so all callers share this instance (which serialises them).
    """
    global _backend
    with _backend_lock:
        if _backend is None:
            _backend = build_backend(load_config())
        return _backend


def reset_backend() -> None:
    """Forget the process's backend (tests, or after changing the environment)."""
    global _backend
    with _backend_lock:
        _backend = None


__all__ = ["Backend", "BackendError", "FakeBackend", "LlamaCppBackend", "OpenAICompatibleBackend",
           "build_backend", "get_backend", "reset_backend", "split_at_stop"]


def __getattr__(name):
    # The llama and HTTP backends import heavy or optional modules; load them only when named.
    if name == "LlamaCppBackend":
        from modelserve.backends.llama import LlamaCppBackend

        return LlamaCppBackend
    if name == "OpenAICompatibleBackend":
        from modelserve.backends.openai import OpenAICompatibleBackend

        return OpenAICompatibleBackend
    raise AttributeError(name)
