"""What every backend is and shares: the Backend interface, its error, and the stop-string cut.

The backend modules import from here, never from the modelserve.backends package, whose factory
imports them.
"""

from collections.abc import Iterable, Iterator, Sequence


class BackendError(Exception):
    """The backend cannot serve (not loaded, unreachable, timed out, refused the request)."""


class Backend:
    name: str = "base"
    model_id: str = ""
    # Context window in tokens, where the backend knows it; generate() trims old turns to fit.
    context_tokens: int | None = None

    def stream(
        self,
        prompt: str,
        *,
        max_tokens: int,
        temperature: float,
        stop: list[str],
        cache_key: str | None = None,
        seed: int | None = None,
        penalise: Sequence[str] = (),
        penalty: float = 0.0,
    ) -> Iterator[str]:
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

    @staticmethod
    def until_stop(texts: Iterable[str], stop: list[str]) -> Iterator[str]:
        """The pieces to show of a reply growing through TEXTS (the whole reply so far, after each
        step of the backend), ending before the first STOP string.

        Every backend streams through this, so a stop string is cut the same way whichever one
        produced it.
        """
        texts = iter(texts)
        text, sent = "", 0
        try:
            for text in texts:
                safe, stopped = split_at_stop(text, stop)
                if len(safe) > sent:
                    yield safe[sent:]
                    sent = len(safe)
                if stopped:
                    return
        finally:
            # At a stop the backend's generator ends here, before the backend's own clean-up
            # (llama saves its KV state after the model stops), not whenever it is collected.
            close = getattr(texts, "close", None)
            if close:
                close()
        # No stop came: the tail held back in case it grew into one is reply text after all.
        if len(text) > sent:
            yield text[sent:]


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
    return text[: len(text) - hold], False
