"""KV states shared through Redis, so a session's next turn can land on any inference worker.

The unit tests talk to the real Redis at REDIS_URL (redis://127.0.0.1:6379/0 when unset); the
`llm` ones load the bundled model twice, as two workers would.
"""

import logging
import os
import uuid

import pytest
import redis

from modelserve.prompt import build_prompt, stop_sequences
from modelserve.samples import PERSONAS, turns_after
from modelserve.statecache import SavedState, SharedStates

REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"


@pytest.fixture
def key():
    return f"test-{uuid.uuid4()}"


def test_a_saved_state_comes_back_whole_and_expires(key):
    shared = SharedStates.connect(REDIS_URL, "model-a", ttl_seconds=120)
    state = SavedState((2, 105, 3000, 262143), b"\x00kv\xff" * 1000)
    assert shared.get(key) is None and shared.length(key) == 0
    shared.put(key, state)
    assert shared.get(key) == state
    assert shared.length(key) == 4
    client = redis.Redis.from_url(REDIS_URL)
    assert all(0 < client.ttl(k) <= 120 for k in client.keys(f"{shared.namespace}:{key}:*"))
    shared.forget(key)
    assert shared.get(key) is None


def test_another_model_never_sees_the_state(key):
    SharedStates.connect(REDIS_URL, "gemma+adapter-1", 120).put(key, SavedState((1, 2), b"x"))
    assert SharedStates.connect(REDIS_URL, "gemma+adapter-2", 120).get(key) is None
    assert SharedStates.connect(REDIS_URL, "gemma+adapter-1", 120).get(key) is not None


def test_a_value_that_is_not_a_state_is_ignored(key):
    shared = SharedStates.connect(REDIS_URL, "model-a", 120)
    redis.Redis.from_url(REDIS_URL).set(f"{shared.namespace}:{key}:state", b"something else")
    assert shared.get(key) is None


def test_redis_down_costs_time_not_replies(key, caplog):
    shared = SharedStates.connect("redis://127.0.0.1:1/0", "model-a", 120)  # nothing listens there
    with caplog.at_level(logging.WARNING, logger="modelserve.statecache"):
        shared.put(key, SavedState((1,), b"x"))
        assert shared.get(key) is None
        assert shared.length(key) == 0
    assert "shared KV state" in caplog.text
    # After one failure it stops trying for a while instead of waiting on every reply.
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1


@pytest.fixture(scope="module")
def two_workers():
    """Two backends as two inference workers would hold them: each its own model and LRU, one Redis."""
    from modelserve.backends.llama import LlamaCppBackend
    from modelserve.conf import LLMConfig

    config = LLMConfig(threads=1, ctx=2048, state_cache_mb=64, shared_state_url=REDIS_URL, shared_state_ttl=300)
    return LlamaCppBackend(config), LlamaCppBackend(config)


@pytest.mark.llm
def test_the_next_turn_on_another_worker_starts_from_the_shared_state(two_workers, key):
    first_worker, second_worker = two_workers
    maya = PERSONAS[1]
    stop = stop_sequences(maya)

    def say(backend, turns):
        text = "".join(backend.stream(build_prompt(maya, turns), max_tokens=16, temperature=0.4, stop=stop,
                                      cache_key=key)).strip() or "I don't know."
        backend.flush_shared()
        return text

    first = say(first_worker, turns_after([]))
    second = say(second_worker, turns_after([first]))
    assert second_worker.last_restored and second_worker.last_restored_from == "shared"
    assert second_worker.last_evaluated_tokens < second_worker.last_prompt_tokens / 4, (
        f"evaluated {second_worker.last_evaluated_tokens} of {second_worker.last_prompt_tokens} prompt tokens")
    # Back on the first worker, its own state is a turn behind: the shared one is longer and wins.
    say(first_worker, turns_after([first, second]))
    assert first_worker.last_restored and first_worker.last_restored_from == "shared"
    assert first_worker.last_evaluated_tokens < first_worker.last_prompt_tokens / 4


@pytest.mark.llm
def test_a_worker_with_the_conversation_live_does_not_fetch_it(two_workers, key):
    worker = two_workers[0]
    maya = PERSONAS[1]
    stop = stop_sequences(maya)
    first = "".join(worker.stream(build_prompt(maya, turns_after([])), max_tokens=8, temperature=0.4, stop=stop,
                                  cache_key=key)).strip() or "I don't know."
    worker.flush_shared()
    list(worker.stream(build_prompt(maya, turns_after([first])), max_tokens=8, temperature=0.4, stop=stop,
                       cache_key=key))
    assert not worker.last_restored  # the live context already held the conversation
    assert worker.last_evaluated_tokens < worker.last_prompt_tokens / 4


def test_forgetting_a_session_removes_it_for_every_model(key):
    from modelserve.statecache import forget_shared

    keep = f"{key}-other"
    for model in ("base", "base+adapter"):
        SharedStates.connect(REDIS_URL, model, 60).put(key, SavedState((1,), b"kv"))
    SharedStates.connect(REDIS_URL, "base", 60).put(keep, SavedState((1,), b"kv"))
    assert forget_shared(REDIS_URL, key) == 4  # a state and a length key per model
    assert SharedStates.connect(REDIS_URL, "base+adapter", 60).get(key) is None
    assert SharedStates.connect(REDIS_URL, "base", 60).get(keep) is not None
    assert forget_shared("", key) == 0  # no Redis: nothing to forget
