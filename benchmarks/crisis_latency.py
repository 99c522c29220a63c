"""Per-message latency of the crisis detector on one CPU core.

    .venv/bin/python benchmarks/crisis_latency.py

Messages: the Gaur et al. train-split posts (real Reddit text, 10 to 8,000 characters) plus short
chat-length lines. Times rules alone and the combined `check()` (rules + ML, model already loaded)
per message, pinned to one core, and prints p50/p95/p99/max. Writes
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

from modelserve.crisis import check, rules  # noqa: E402
from modelserve.crisis.data import gaur_posts, read_rows  # noqa: E402

DATA_DIR = Path(os.environ.get("PIXEL_DATA_DIR", ROOT.parent / "shared" / "data"))
CHAT = ["I don't know, it's been hard.", "Sometimes I think it wouldn't matter if I didn't wake up.",
        "I've been saving my pills.", "This week was fine, work is killing me though.", "My sister called."]


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
    rows, _ = read_rows(gaur_posts(DATA_DIR), "cssrs", split="train")
    texts = [r["text"] for r in rows] + CHAT * 40
    check("warm up: load the model once")
    results = {"rules": percentiles(time_each(rules.run, texts)),
               "combined": percentiles(time_each(check, texts)),
               "chat_lines_combined": percentiles(time_each(check, CHAT * 40))}
    results["machine"] = {"python": platform.python_version(), "cpu": platform.processor() or platform.machine(),
                          "cores_used": 1}
    print(f"{'detector':22} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for name in ("rules", "combined", "chat_lines_combined"):
        r = results[name]
        print(f"{name:22} {r['n']:5} {r['p50_ms']:8.2f} {r['p95_ms']:8.2f} {r['p99_ms']:8.2f} {r['max_ms']:8.2f}")
    out = ROOT / "benchmarks" / "results" / "crisis_latency.json"
    out.parent.mkdir(parents=True, exist_ok=True)  # git-ignored, so absent in a fresh clone
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
