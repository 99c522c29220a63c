"""llama.cpp in this process, through llama-cpp-python.

One Llama object per process, used by one thread at a time: two threads decoding on the same
context abort the process in a GGML assert, so every stream holds self._lock.

KV reuse across turns (docs/modelserve.md, "KV cache reuse"): Llama.generate already skips the
prefix its context holds, which covers one session talking to a worker. When several sessions
take turns on a worker, we save each session's KV state under its cache_key after a reply and
load it back before the session's next one. With REDIS_URL set, states are also shared through
Redis (statecache.SharedStates), so a session's next turn can land on any inference worker. We save only sequence 0's KV cells with
llama_state_seq_get_data: Llama.save_state() also copies the logits array (n_batch x 262k
vocabulary floats, hundreds of MB for Gemma 3), which would make every save slower than
recomputing the prompt.
"""

import ctypes
import logging
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor

from modelserve.backends.base import Backend, BackendError
from modelserve.conf import LLMConfig, resolve_model_path
from modelserve.statecache import SavedState, SharedStates, StateCache

log = logging.getLogger(__name__)

SEQ = 0


class LlamaCppBackend(Backend):
    name = "llama"

    def __init__(self, config: LLMConfig):
        self.config = config
        self.model_path = resolve_model_path(config)
        self.model_id = self.model_path.name + (f"+{config.lora_path}" if config.lora_path else "")
        self.context_tokens = config.ctx
        self.states = StateCache(config.state_cache_mb * 1024 * 1024)
        self.shared = (SharedStates.connect(config.shared_state_url, self.model_id, config.shared_state_ttl)
                       if config.shared_state_url else None)
        # Writes to Redis happen off the request path, one at a time so a session's are in order.
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kv-share") if self.shared else None
        # What the last stream did with its prompt; read by tests and benchmarks.
        self.last_prompt_tokens = 0
        self.last_evaluated_tokens = 0
        self.last_restored = False
        self.last_restored_from = ""  # "local" or "shared" when last_restored
        self._lock = threading.Lock()
        self._llm = self._load()

    def _load(self):
        try:
            import llama_cpp  # noqa: F401
        except ImportError as e:
            raise BackendError(f"llama-cpp-python is not installed: {e}") from e
        kwargs = dict(model_path=str(self.model_path), n_ctx=self.config.ctx, n_threads=self.config.threads,
                      n_threads_batch=self.config.threads, verbose=False, logits_all=False,
                      # Full-size sliding-window cache: without it, rolling back to an earlier
                      # position can leave the window missing tokens, and prefix reuse goes wrong.
                      swa_full=True)
        if self.config.lora_path:
            kwargs["lora_path"] = self.config.lora_path
        started = time.monotonic()
        try:
            llm = load_llama(extra_buffers=self.config.extra_buffers, **kwargs)
        except (ValueError, RuntimeError, OSError) as e:
            raise BackendError(f"cannot load {self.model_path}: {e}") from e
        log.info("loaded %s in %.1fs (%d threads, ctx %d)", self.model_path, time.monotonic() - started,
                 self.config.threads, self.config.ctx)
        return llm

    def count_tokens(self, prompt: str) -> int:
        with self._lock:
            return len(self._tokenize(prompt))

    def _tokenize(self, prompt: str) -> list[int]:
        # special=False: a trainee typing "<start_of_turn>" gets plain text, not a control token.
        return self._llm.tokenize(prompt.encode("utf-8"), add_bos=True, special=False)

    def stream(self, prompt: str, *, max_tokens: int, temperature: float, stop: list[str],
               cache_key: str | None = None, seed: int | None = None, penalise: Sequence[str] = (),
               penalty: float = 0.0) -> Iterator[str]:
        with self._lock:
            yield from self._stream_locked(prompt, max_tokens, temperature, stop, cache_key, seed, penalise, penalty)

    def _bias(self, penalise: Sequence[str], penalty: float):
        """A logits processor lowering the content tokens of PENALISE by PENALTY (a repeated
        reply's words, on the sample after it). Short tokens (" I", " the", ",") stay free:
        without them no sentence can be said at all."""
        ids = set()
        for text in penalise:
            for token in self._llm.tokenize((" " + text).encode("utf-8"), add_bos=False, special=False):
                if len(self._llm.detokenize([token]).strip()) >= 4:
                    ids.add(token)
        if not ids or not penalty:
            return None
        import numpy as np
        from llama_cpp import LogitsProcessorList

        index = np.fromiter(ids, dtype=np.int64)

        def lower(_input_ids, scores):
            scores[index] -= penalty
            return scores

        return LogitsProcessorList([lower])

    def _stream_locked(self, prompt, max_tokens, temperature, stop, cache_key, seed, penalise=(), penalty=0.0):
        llm = self._llm
        tokens = self._tokenize(prompt)
        if len(tokens) + max_tokens > self.config.ctx:
            raise BackendError(f"prompt of {len(tokens)} tokens + {max_tokens} new ones exceeds the "
                               f"{self.config.ctx}-token context (PIXEL_LLM_CTX)")
        self.last_restored = self._restore(cache_key, tokens)
        held = list(llm.input_ids[:llm.n_tokens])
        reuse = _common_prefix(held, tokens)
        # Llama.generate re-reads the last prompt token when the whole prompt is cached.
        self.last_evaluated_tokens = len(tokens) - (reuse - 1 if reuse == len(tokens) else reuse)
        self.last_prompt_tokens = len(tokens)
        if seed is not None:
            llm.set_seed(seed)
        try:
            processor = self._bias(penalise, penalty) if penalise else None
            yield from self.until_stop(self._decoded(tokens, max_tokens, temperature, processor), stop)
        except (RuntimeError, ValueError) as e:
            raise BackendError(f"llama.cpp failed: {e}") from e
        finally:
            if cache_key:
                self._save(cache_key)

    def _decoded(self, tokens: list[int], max_tokens: int, temperature: float, processor) -> Iterator[str]:
        """The reply decoded so far, after each token sampled after TOKENS."""
        llm = self._llm
        raw = b""
        for count, token in enumerate(llm.generate(tokens, temp=temperature, top_k=40, top_p=0.95,
                                                   min_p=0.05, repeat_penalty=1.1,
                                                   logits_processor=processor), start=1):
            if llm_is_end(llm, token):
                return
            raw += llm.detokenize([token], prev_tokens=None)
            yield _decode_complete(raw)
            if count >= max_tokens:
                return

    def _restore(self, cache_key: str | None, tokens: list[int]) -> bool:
        """Load CACHE_KEY's saved KV state (this worker's, or the shared one when it holds more of
        the conversation) if it shares more of TOKENS than the live context does."""
        llm = self._llm
        self.last_restored_from = ""
        if not cache_key:
            return False
        state, source = self.states.get(cache_key), "local"
        best = _common_prefix(list(llm.input_ids[:llm.n_tokens]), tokens)
        if state is not None and _common_prefix(state.tokens, tokens) <= best:
            state = None
        if state is not None:
            best = _common_prefix(state.tokens, tokens)
        # Another worker may have served this session since: fetch its state only if it is longer.
        if self.shared and self.shared.length(cache_key) > best:
            shared = self.shared.get(cache_key)
            if shared is not None and _common_prefix(shared.tokens, tokens) > best:
                state, source = shared, "shared"
                self.states.put(cache_key, shared)
        if state is None:
            return False
        self.last_restored_from = source
        buffer = (ctypes.c_uint8 * len(state.data)).from_buffer_copy(state.data)
        from llama_cpp import llama_cpp as C

        if C.llama_state_seq_set_data(llm._ctx.ctx, buffer, len(state.data), SEQ) == 0:
            self.states.discard(cache_key)
            llm.reset()
            return False
        llm.input_ids[:len(state.tokens)] = state.tokens
        llm.n_tokens = len(state.tokens)
        # Logits are not part of a sequence state: the next decode must come before sampling.
        llm._requires_eval = True
        return True

    def _save(self, cache_key: str) -> None:
        from llama_cpp import llama_cpp as C

        llm = self._llm
        size = C.llama_state_seq_get_size(llm._ctx.ctx, SEQ)
        buffer = (ctypes.c_uint8 * size)()
        written = C.llama_state_seq_get_data(llm._ctx.ctx, buffer, size, SEQ)
        if written:
            state = SavedState(tuple(int(t) for t in llm.input_ids[:llm.n_tokens]), ctypes.string_at(buffer, written))
            self.states.put(cache_key, state)
            if self._writer:
                self._writer.submit(self.shared.put, cache_key, state)

    def flush_shared(self, timeout: float = 10.0) -> None:
        """Wait until the states saved so far have reached Redis (tests, shutdown)."""
        if self._writer:
            self._writer.submit(lambda: None).result(timeout)


def llm_is_end(llm, token: int) -> bool:
    from llama_cpp import llama_cpp as C

    return bool(C.llama_vocab_is_eog(llm._model.vocab, token))


def _common_prefix(a, b) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def _decode_complete(raw: bytes) -> str:
    """Decode RAW up to its last whole UTF-8 character: a token can end mid-character."""
    for cut in range(len(raw), max(len(raw) - 4, -1), -1):
        try:
            return raw[:cut].decode("utf-8")
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", errors="replace")


_load_lock = threading.Lock()


def load_llama(extra_buffers: bool = False, **kwargs):
    """A llama_cpp.Llama, optionally with use_extra_bufts off (its constructor does not expose it).

    The extra (repack/AMX) buffers are chosen from the CPU's flags; on hosts that report AMX
    without granting it, the first decode segfaults in ggml_backend_amx_mul_mat.
    """
    import llama_cpp.llama as llama_module

    if extra_buffers:
        return llama_module.Llama(**kwargs)
    original = llama_module.llama_cpp.llama_model_default_params

    def params():
        p = original()
        p.use_extra_bufts = False
        return p

    with _load_lock:
        llama_module.llama_cpp.llama_model_default_params = params
        try:
            return llama_module.Llama(**kwargs)
        finally:
            llama_module.llama_cpp.llama_model_default_params = original
