"""Saved KV states of recent conversations, least recently used first out, bounded in bytes."""

import array
import hashlib
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SavedState:
    tokens: tuple[int, ...]  # what the KV cache holds, in order
    data: bytes  # llama_state_seq_get_data for sequence 0

    @property
    def nbytes(self) -> int:
        return len(self.data) + 4 * len(self.tokens)


class StateCache:
    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._states: OrderedDict[str, SavedState] = OrderedDict()
        self.nbytes = 0

    def __len__(self) -> int:
        return len(self._states)

    def get(self, key: str) -> SavedState | None:
        state = self._states.get(key)
        if state is not None:
            self._states.move_to_end(key)
        return state

    def put(self, key: str, state: SavedState) -> None:
        self.discard(key)
        if state.nbytes > self.max_bytes:
            return
        self._states[key] = state
        self.nbytes += state.nbytes
        while self.nbytes > self.max_bytes:
            _, oldest = self._states.popitem(last=False)
            self.nbytes -= oldest.nbytes

    def discard(self, key: str) -> None:
        old = self._states.pop(key, None)
        if old is not None:
            self.nbytes -= old.nbytes


class SharedStates:
    """Saved KV states in Redis, so any inference worker can pick up any session's conversation.

    A worker keeps its own StateCache; this is the tier behind it. With several workers (or
    several GPU nodes) on the `inference` queue, a session's next turn may land on a worker that
    has never seen it: without a shared state it would evaluate the whole prompt again (about 2 s
    at turn 20 on one CPU thread), with one it loads ~10 MB and evaluates only the new turn.

    Keys carry the model's identity (base and adapter), so a worker serving another model never
    loads a state it cannot use. Each state is stored as one value (header, tokens, data) beside a
    small "length" key that workers read first, so a worker fetches the big value only when Redis
    holds more of the conversation than it has itself. Everything expires after TTL seconds: states
    are derived from transcripts and must not outlive their use. Redis trouble is logged and
    otherwise ignored: the cache only ever saves time.
    """

    MAGIC = b"PXKV1"

    def __init__(self, client, namespace: str, ttl_seconds: int):
        self.client, self.namespace, self.ttl = client, namespace, ttl_seconds
        self._failed_at = 0.0

    @classmethod
    def connect(cls, url: str, model_id: str, ttl_seconds: int) -> "SharedStates":
        import redis  # only workers that share states need a connection

        client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        return cls(client, "pixel:kv:" + hashlib.sha256(model_id.encode()).hexdigest()[:16], ttl_seconds)

    def _key(self, key: str, part: str) -> str:
        return f"{self.namespace}:{key}:{part}"

    def _available(self) -> bool:
        return time.monotonic() - self._failed_at > 30  # after an error, leave Redis alone for 30 s

    def _failed(self, what: str) -> None:
        self._failed_at = time.monotonic()
        log.warning("shared KV state: %s failed; going on without it for 30 s", what, exc_info=True)

    def length(self, key: str) -> int:
        """How many tokens Redis's state for KEY holds (0 when none)."""
        if not self._available():
            return 0
        try:
            value = self.client.get(self._key(key, "n"))
        except Exception:  # noqa: BLE001 - any Redis failure: no shared state
            self._failed("reading a length")
            return 0
        return int(value) if value else 0

    def get(self, key: str) -> SavedState | None:
        if not self._available():
            return None
        try:
            blob = self.client.get(self._key(key, "state"))
        except Exception:  # noqa: BLE001
            self._failed("reading a state")
            return None
        if not blob or not blob.startswith(self.MAGIC):
            return None
        head = len(self.MAGIC) + 4
        n = int.from_bytes(blob[len(self.MAGIC):head], "little")
        tokens = array.array("i")
        tokens.frombytes(blob[head:head + 4 * n])
        return SavedState(tuple(tokens), blob[head + 4 * n:])

    def put(self, key: str, state: SavedState) -> None:
        if not self._available():
            return
        blob = b"".join([self.MAGIC, len(state.tokens).to_bytes(4, "little"),
                         array.array("i", state.tokens).tobytes(), state.data])
        try:
            with self.client.pipeline(transaction=True) as pipe:
                pipe.set(self._key(key, "state"), blob, ex=self.ttl)
                pipe.set(self._key(key, "n"), len(state.tokens), ex=self.ttl)
                pipe.execute()
        except Exception:  # noqa: BLE001
            self._failed("writing a state")

    def forget(self, key: str) -> None:
        try:
            self.client.delete(self._key(key, "state"), self._key(key, "n"))
        except Exception:  # noqa: BLE001
            self._failed("deleting a state")


def forget_shared(url: str, key: str) -> int:
    """Delete every model's shared KV state for KEY (a session that has ended); how many keys went.

    Called from the web process, which does not know which model versions served the session, so
    it looks in every model's namespace. Failures are logged: the TTL removes the state anyway.
    """
    if not url:
        return 0
    import redis

    try:
        client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        keys = list(client.scan_iter(match=f"pixel:kv:*:{key}:*", count=1000))
        return client.delete(*keys) if keys else 0
    except Exception:  # noqa: BLE001
        log.warning("could not delete the shared KV state of %s; it expires on its own", key, exc_info=True)
        return 0
