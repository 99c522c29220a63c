"""Per-message latency of the crisis detector on one CPU core.

    .venv/bin/python benchmarks/crisis_latency.py

Two kinds of text, pinned to one core (torch and BLAS told to use one thread), models loaded:
- chat messages, what a session sends: SAD's `test` sentences and real counselling client turns
  (ESConv `test`, AnnoMI `test` transcripts), 1 to 500 words. The goal (issue 15) is p99 < 50 ms.
- long posts: the Gaur et al. train-split posts (10 to 8,000 characters), which the post model
  also reads; reported, no goal.
Times the rules alone and the combined `check()` per message and prints p50/p95/p99/max, with the
message model's version and reading (int8 since crisis-msg-5, docs/crisis.md "Latency"). Writes
benchmarks/results/crisis_latency.json; docs/crisis.md quotes it.
"""

import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

import torch  # noqa: E402
from django.conf import settings  # noqa: E402

from modelserve.crisis import check, message_model, rules  # noqa: E402
from modelserve.crisis.data import counselling_client_turns, gaur_posts, read_rows, sad_sentences  # noqa: E402

torch.set_num_threads(1)
DATA_DIR = settings.PIXEL_DATA_DIR


def percentiles(samples):
    s = sorted(samples)
    pick = lambda q: s[min(len(s) - 1, int(q * len(s)))] * 1000  # noqa: E731
    return {"p50_ms": round(pick(0.50), 3), "p95_ms": round(pick(0.95), 3), "p99_ms": round(pick(0.99), 3),
            "max_ms": round(s[-1] * 1000, 3), "n": len(s)}


def time_each(fn, texts):
    out = []
    for t in texts:
        start = time.perf_counter()
        fn(t)
        out.append(time.perf_counter() - start)
    return out


def main():
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    posts = [r["text"] for r in read_rows(gaur_posts(DATA_DIR), "cssrs", split="train")[0]]
    chat = [r["text"] for r in sad_sentences(DATA_DIR, "test")] + [r["text"] for r in counselling_client_turns(DATA_DIR)][::4]
    check("warm up: load the models once. I want to die. " * 20)
    results = {"chat_rules": percentiles(time_each(rules.run, chat)),
               "chat_combined": percentiles(time_each(check, chat)),
               "posts_rules": percentiles(time_each(rules.run, posts)),
               "posts_combined": percentiles(time_each(check, posts))}
    results["machine"] = {"python": platform.python_version(), "cpu": platform.processor() or platform.machine(),
                          "cores_used": 1, "torch_threads": torch.get_num_threads()}
    # What was timed: the message model's version and how it reads (int8 or float32 linear layers).
    meta = message_model.get().meta
    results["message_model"] = {"version": meta["version"], "reading": meta.get("reading", "float32")}
    print(f"message model {results['message_model']['version']}, read in {results['message_model']['reading']}")
    print(f"{'detector':22} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for name in ("chat_rules", "chat_combined", "posts_rules", "posts_combined"):
        r = results[name]
        print(f"{name:22} {r['n']:5} {r['p50_ms']:8.2f} {r['p95_ms']:8.2f} {r['p99_ms']:8.2f} {r['max_ms']:8.2f}")
    out = ROOT / "benchmarks" / "results" / "crisis_latency.json"
    out.parent.mkdir(parents=True, exist_ok=True)  # git-ignored, so absent in a fresh clone
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
