"""Compare prompt variants on a model: how often does the first attempt break the guard?

    .venv/bin/python -m modelserve.prompt_eval [--json PATH]

Each variant plays every sample persona through the sample trainee script (modelserve.samples)
(twice, by default) with one attempt per reply (max_attempts=1), so every guard break counts. Uses the backend from
the environment (PIXEL_LLM_*); results go in docs/modelserve.md, "Prompt variants".
"""

import argparse
import json
import time
from collections import Counter

from modelserve.backends import get_backend
from modelserve.generate import generate
from modelserve.prompt import PromptStyle
from modelserve.samples import PERSONAS, TRAINEE_LINES, turns_after

VARIANTS = [
    ("short card + example, T=0.4", PromptStyle(example=True, card="short"), 0.4),
    ("short card, no example, T=0.4", PromptStyle(example=False, card="short"), 0.4),
    ("scene only + example, T=0.4", PromptStyle(example=True, card="none"), 0.4),
    ("full card + example, T=0.4", PromptStyle(example=True, card="full"), 0.4),
    ("short card + example, T=0.3", PromptStyle(example=True, card="short"), 0.3),
    ("short card + example, T=0.6", PromptStyle(example=True, card="short"), 0.6),
]


def run_variant(backend, style, temperature, max_tokens, rounds):
    replies, reasons, seconds, words = 0, Counter(), 0.0, 0
    broken = 0
    samples = []
    for index, persona in [(i, p) for _ in range(rounds) for i, p in enumerate(PERSONAS)]:
        said = []
        for _ in TRAINEE_LINES:
            reply = generate(persona, turns_after(said), backend=backend, style=style, temperature=temperature,
                             max_tokens=max_tokens, max_attempts=1, cache_key=f"eval-{index}")
            replies += 1
            seconds += reply.seconds
            if reply.breaks:
                broken += 1
                reasons.update(r.split(":")[0] for r in reply.breaks[0]["reasons"])
                samples.append(reply.breaks[0]["text"][:80])
            else:
                words += len(reply.text.split())
            said.append(reply.text)
    return {"replies": replies, "broken": broken, "reasons": dict(reasons), "mean_seconds": seconds / replies,
            "mean_words_unbroken": words / max(1, replies - broken),
            "broken_examples": samples[:4]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="write results here")
    parser.add_argument("--max-tokens", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=2, help="times through the script per persona")
    args = parser.parse_args()
    backend = get_backend()
    results = []
    for label, style, temperature in VARIANTS:
        started = time.monotonic()
        result = {"variant": label, **run_variant(backend, style, temperature, args.max_tokens, args.rounds)}
        results.append(result)
        print(f"{label:34} broken {result['broken']:2}/{result['replies']}  "
              f"words {result['mean_words_unbroken']:.1f}  {result['reasons']}"
              f"  ({time.monotonic() - started:.0f}s)", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"model": backend.model_id, "results": results}, f, indent=2)


if __name__ == "__main__":
    main()
