"""Saved KV states of recent conversations, least recently used first out, bounded in bytes."""

from collections import OrderedDict
from dataclasses import dataclass


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
