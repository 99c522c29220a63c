"""A scripted backend for tests of code around the LLM (generate, Celery tasks, consumers)."""

import re
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from itertools import accumulate

from modelserve.backends.base import Backend, BackendError

DEFAULT_REPLY = "I don't really know where to start. It's been a hard few weeks."


class FakeBackend(Backend):
    """Replies from REPLIES in order (the last one repeats), streamed word by word.

    A reply that is an exception instance is raised instead, to test error paths. Every call is
    recorded in .calls (prompt, max_tokens, temperature, stop, cache_key, seed).
    """

    name = "fake"
    model_id = "fake"

    def __init__(self, replies: Iterable[str | Exception] = (DEFAULT_REPLY,), delay: float = 0.0):
        self.replies = list(replies) or [DEFAULT_REPLY]
        self.delay = delay
        self.calls: list[dict] = []
        self._lock = threading.Lock()

    def stream(self, prompt: str, *, max_tokens: int, temperature: float, stop: list[str],
               cache_key: str | None = None, seed: int | None = None, penalise: Sequence[str] = (),
               penalty: float = 0.0) -> Iterator[str]:
        with self._lock:
            reply = self.replies[min(len(self.calls), len(self.replies) - 1)]
            self.calls.append({"prompt": prompt, "max_tokens": max_tokens, "temperature": temperature,
                               "stop": stop, "cache_key": cache_key, "seed": seed,
                               "penalise": list(penalise)})
        if isinstance(reply, Exception):
            raise reply if isinstance(reply, BackendError) else BackendError(str(reply))
        # Leading space like a model continuing "Name:"; one piece per word and its trailing space.
        pieces = re.findall(r"\s*\S+", " " + reply)[:max_tokens]
        yield from self.until_stop(accumulate(self._paced(pieces)), stop)

    def _paced(self, pieces: list[str]) -> Iterator[str]:
        """PIECES one by one, DELAY apart, like a model producing them."""
        for piece in pieces:
            if self.delay:
                time.sleep(self.delay)
            yield piece
