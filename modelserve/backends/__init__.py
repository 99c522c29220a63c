"""Where tokens come from: llama.cpp in this process, an OpenAI-compatible server, or a script.

Every backend takes a finished prompt string and streams text pieces; prompt building, the
persona guard and regeneration live in modelserve.generate, so all backends behave the same.
"""

import threading
from collections.abc import Iterator, Sequence

from modelserve.conf import LLMConfig, load_config


class BackendError(Exception):
    """The backend cannot serve (not loaded, unreachable, timed out, refused the request)."""


class Backend:
    name: str = "base"
    model_id: str = ""
    # Context window in tokens, where the backend knows it; generate() trims old turns to fit.
    context_tokens: int | None = None

    def stream(self, prompt: str, *, max_tokens: int, temperature: float, stop: list[str],
               cache_key: str | None = None, seed: int | None = None, penalise: Sequence[str] = (),
               penalty: float = 0.0) -> Iterator[str]:
        """Yield the continuation of PROMPT in pieces, ending before any STOP string.

        CACHE_KEY names a conversation whose prompts extend each other (a session id), so a
        backend can keep that conversation's evaluated prefix. Close the iterator if you stop
        reading early: an in-process backend holds its model until the stream ends. PENALISE:
        texts whose words this sample should avoid (a reply just repeated), by PENALTY logits
        where the backend can bias tokens, else by its presence penalty.
        """
        raise NotImplementedError

    def count_tokens(self, prompt: str) -> int | None:
        """How many tokens PROMPT is, or None where the backend cannot tell cheaply."""
        return None


_backend: Backend | None = None
_backend_lock = threading.Lock()


def build_backend(config: LLMConfig) -> Backend:
    if config.backend == "fake":
        from modelserve.backends.fake import FakeBackend

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


def split_at_stop(text: str, stop: list[str]) -> tuple[str, bool]:
    """The part of TEXT that is safe to yield now, and whether a stop string was reached.

    Holds back a tail that could still grow into a stop string ("Therap" before "ist:"), so a
    stop is never half-shown.
    """
    cut = min((i for i in (text.find(s) for s in stop if s) if i >= 0), default=-1)
    if cut >= 0:
        return text[:cut], True
    hold = 0
    for s in stop:
        for n in range(min(len(s) - 1, len(text)), 0, -1):
            if text.endswith(s[:n]):
                hold = max(hold, n)
                break
    return text[:len(text) - hold], False


from modelserve.backends.fake import FakeBackend  # noqa: E402  (re-exported; needs Backend above)

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
