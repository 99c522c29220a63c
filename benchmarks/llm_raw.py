"""Raw llama-cpp-python numbers for the bundled Gemma 3 270M on this machine.

    .venv/bin/python benchmarks/llm_raw.py

Time to first token (TTFT) at turn 1 and turn 20, with the earlier turns in the live KV cache,
restored from a saved state, or not cached at all; decode tokens/s; n_threads 1 vs 2, idle and
with one other busy process; KV state size per session. Prints a table and writes
benchmarks/results/llm_raw.json. Runs in about a minute. docs/modelserve.md quotes the results.
"""

import ctypes
import json
import multiprocessing
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from modelserve.backends.llama import load_llama  # noqa: E402
from modelserve.conf import bundled_model_path  # noqa: E402
from modelserve.prompt import Turn, build_prompt  # noqa: E402
from modelserve.samples import PERSONAS, TRAINEE_LINES  # noqa: E402

CLIENT_LINES = ["I don't know, it's been hard.", "A few months, maybe more.", "Not well. I wake up at four.",
                "That I'm useless, mostly.", "My sister, sometimes.", "I'd like to get up in the morning.",
                "About a seven.", "Sometimes I think it wouldn't matter if I didn't wake up."]
REPEATS = 3


def transcript(n_trainee_turns):
    turns = []
    for i in range(n_trainee_turns):
        turns.append(Turn("trainee", TRAINEE_LINES[i % len(TRAINEE_LINES)]))
        if i < n_trainee_turns - 1:
            turns.append(Turn("client", CLIENT_LINES[i % len(CLIENT_LINES)]))
    return turns


def busy():
    while True:
        pass


def ttft(llm, tokens):
    started = time.perf_counter()
    for _ in llm.generate(tokens, temp=0.4):
        return time.perf_counter() - started


def decode_rate(llm, tokens, n=48):
    started, count = None, 0
    for _ in llm.generate(tokens, temp=0.4):
        if started is None:
            started = time.perf_counter()
        count += 1
        if count > n:
            break
    return (count - 1) / (time.perf_counter() - started)


def seq_state(llm):
    from llama_cpp import llama_cpp as C

    size = C.llama_state_seq_get_size(llm._ctx.ctx, 0)
    buffer = (ctypes.c_uint8 * size)()
    written = C.llama_state_seq_get_data(llm._ctx.ctx, buffer, size, 0)
    return bytes(buffer)[:written], list(llm.input_ids[:llm.n_tokens])


def restore(llm, data, ids):
    from llama_cpp import llama_cpp as C

    buffer = (ctypes.c_uint8 * len(data)).from_buffer_copy(data)
    assert C.llama_state_seq_set_data(llm._ctx.ctx, buffer, len(data), 0)
    llm.input_ids[:len(ids)] = ids
    llm.n_tokens = len(ids)
    llm._requires_eval = True


def rss_mb():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return None


def measure(model_path, threads):
    llm = load_llama(model_path=str(model_path), n_ctx=2048, n_threads=threads, n_threads_batch=threads,
                     verbose=False, swa_full=True)
    persona, other = PERSONAS[0], PERSONAS[2]
    tokenize = lambda turns, p=persona: llm.tokenize(build_prompt(p, turns).encode(), add_bos=True)  # noqa: E731
    turn1, turn19, turn20 = tokenize(transcript(1)), tokenize(transcript(19)), tokenize(transcript(20))
    result = {"threads": threads, "turn1_prompt_tokens": len(turn1), "turn20_prompt_tokens": len(turn20)}
    samples = {"ttft_turn1_cold": [], "ttft_turn20_cold": [], "ttft_turn20_live": [], "ttft_turn20_restored": []}
    for _ in range(REPEATS):
        llm.reset()
        samples["ttft_turn1_cold"].append(ttft(llm, turn1))
        llm.reset()
        samples["ttft_turn20_cold"].append(ttft(llm, turn20))
        # Live: the previous turn of the same session is what the context holds.
        llm.reset()
        ttft(llm, turn19)
        samples["ttft_turn20_live"].append(ttft(llm, turn20))
        # Restored: another session used the context since; load this session's saved state first.
        llm.reset()
        ttft(llm, turn19)
        data, ids = seq_state(llm)
        ttft(llm, tokenize(transcript(3), other))
        started = time.perf_counter()
        restore(llm, data, ids)
        samples["ttft_turn20_restored"].append(time.perf_counter() - started + ttft(llm, turn20))
    for name, values in samples.items():
        result[name] = round(statistics.median(values), 4)
    llm.reset()
    result["tokens_per_s"] = round(decode_rate(llm, turn1), 1)
    llm.reset()
    ttft(llm, turn1)
    result["state_bytes_turn1"] = len(seq_state(llm)[0])
    llm.reset()
    ttft(llm, turn20)
    data, ids = seq_state(llm)
    result["state_bytes_turn20"] = len(data)
    result["state_bytes_per_token"] = round(len(data) / len(ids))
    result["rss_mb"] = round(rss_mb(), 1)
    return result


def measure_under_load(model_path, threads):
    """Decode rate and cold turn-1 TTFT while another process keeps one core busy."""
    llm = load_llama(model_path=str(model_path), n_ctx=2048, n_threads=threads, n_threads_batch=threads,
                     verbose=False, swa_full=True)
    tokens = llm.tokenize(build_prompt(PERSONAS[0], transcript(1)).encode(), add_bos=True)
    hog = multiprocessing.Process(target=busy, daemon=True)
    hog.start()
    try:
        time.sleep(0.2)
        llm.reset()
        first = ttft(llm, tokens)
        llm.reset()
        rate = decode_rate(llm, tokens)
    finally:
        hog.terminate()
        hog.join()
    return {"threads": threads, "loaded_ttft_turn1": round(first, 4), "loaded_tokens_per_s": round(rate, 1)}


def main():
    model_path = bundled_model_path()
    started = time.perf_counter()
    rows = []
    for threads in (1, 2):
        row = measure(model_path, threads)
        row.update(measure_under_load(model_path, threads))
        rows.append(row)
    columns = ["threads", "ttft_turn1_cold", "ttft_turn20_cold", "ttft_turn20_live", "ttft_turn20_restored",
               "tokens_per_s", "loaded_ttft_turn1", "loaded_tokens_per_s", "state_bytes_turn20", "rss_mb"]
    print(f"model {model_path.name}; prompt tokens turn 1 = {rows[0]['turn1_prompt_tokens']}, "
          f"turn 20 = {rows[0]['turn20_prompt_tokens']}; seconds unless named")
    print(" ".join(f"{c:>21}" for c in columns))
    for row in rows:
        print(" ".join(f"{row[c]:>21}" for c in columns))
    print(f"state: {rows[0]['state_bytes_turn1']} bytes at turn 1, {rows[0]['state_bytes_turn20']} at turn 20, "
          f"{rows[0]['state_bytes_per_token']} bytes per token")
    out = ROOT / "benchmarks" / "results" / "llm_raw.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"model": model_path.name, "cpu_count": os.cpu_count(), "machine": platform.machine(),
                               "seconds": round(time.perf_counter() - started, 1), "rows": rows}, indent=2))
    print(f"wrote {out.relative_to(ROOT)} in {time.perf_counter() - started:.0f}s")


if __name__ == "__main__":
    main()
