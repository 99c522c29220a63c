"""Training speed of the LoRA recipe: seconds a step and training tokens a second.

    .venv/bin/python benchmarks/train_speed.py [--model bundled|tiny] [--seq 64,128,256] [--steps 3]

For each sequence length, with the output layer applied everywhere and only at the loss positions
(train.loss_positions_only), times `steps` optimizer steps of batch 4 after one warm-up step, on
the device the recipe would pick (CUDA if torch sees one, else CPU with --threads threads).
Each sequence is a prompt of seq-32 tokens and a 32-token completion, like a client turn after its
context. Prints a table and writes JSON to benchmarks/results/train_speed.json. Numbers measured
here are in docs/training.md ("Speed").
"""

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="bundled")
    parser.add_argument("--seq", default="64,128,256")
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    import django

    django.setup()
    import torch

    from training.conf import training_dir
    from training.recipes.lora_single_device import (
        Example,
        apply_lora,
        collate,
        load_model,
        loss_fn,
        pick_device,
        pick_dtype,
    )

    device = pick_device("auto")
    dtype = pick_dtype("auto", device)
    torch.set_num_threads(args.threads)
    started = time.monotonic()
    base, tokenizer, info = load_model({"source": args.model}, device, dtype, cache_root=training_dir() / "cache")
    load_seconds = time.monotonic() - started
    model = apply_lora(base, {"r": 8, "alpha": 16, "dropout": 0.0, "target_modules": "all-linear"})
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=1e-4)
    vocab = len(tokenizer)
    rows = []
    for seq in [int(s) for s in args.seq.split(",")]:
        gen = torch.Generator().manual_seed(seq)
        examples = [Example(torch.randint(10, min(vocab, 50_000), (seq,), generator=gen).tolist(), seq - 32)
                    for _ in range(args.batch)]
        ids, mask, labels = collate(examples, 0, device)
        for positions_only in (False, True):
            times = []
            for step in range(args.steps + 1):
                t0 = time.monotonic()
                optimizer.zero_grad(set_to_none=True)
                loss, _ = loss_fn(model, ids, mask, labels, positions_only)
                loss.backward()
                optimizer.step()
                if device.type == "cuda":
                    torch.cuda.synchronize()
                if step:  # the first step warms caches and allocators
                    times.append(time.monotonic() - t0)
            per_step = sum(times) / len(times)
            rows.append({"seq_len": seq, "batch": args.batch, "loss_positions_only": positions_only,
                         "seconds_per_step": round(per_step, 3), "tokens_per_s": round(seq * args.batch / per_step, 1),
                         "loss": round(float(loss), 4)})
            print(f"seq {seq:>4} batch {args.batch} positions_only={positions_only!s:<5} "
                  f"{per_step:6.2f} s/step {seq * args.batch / per_step:8.1f} tokens/s", flush=True)
    result = {"device": str(device), "dtype": str(dtype), "threads": args.threads, "cpu_count": os.cpu_count(),
              "gpu": torch.cuda.get_device_name(0) if device.type == "cuda" else None,
              "model": info.get("base_model", args.model), "load_seconds": round(load_seconds, 1),
              "torch": torch.__version__, "python": platform.python_version(), "rows": rows}
    out = Path(__file__).resolve().parent / "results" / "train_speed.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
