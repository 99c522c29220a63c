"""Preference training (DPO) of the persona adapter on one device (docs/training.md).

After the supervised pass: the policy starts as the supervised adapter and the reference is that
same adapter, frozen. Its log-probabilities of every pair's chosen and rejected reply are computed
once before training (no second model in memory). The loss is DPO's (Rafailov et al. 2023):

    -log sigmoid(beta * ((log pi(chosen) - log ref(chosen)) - (log pi(rejected) - log ref(rejected))))

plus `sft_weight` times the mean token NLL of the chosen reply, which keeps the model speaking
like the real clients while it learns what not to say (the chosen replies are real client turns).
Log-probabilities are sums over the reply tokens, with the output layer applied at those
positions only, as in the supervised recipe.

    python -m training.recipes.dpo_single_device pairs=var/training/pairs/p.jsonl \\
        adapter=var/training/runs/run-1/best output.dir=var/training/runs/dpo-1

Held-out pairs (valid_fraction of them, split by context) give the preference accuracy (share of
pairs where the policy's margin over the reference is positive) and the DPO loss at every
evaluation; the best by held-out loss is kept and exported as a GGUF adapter.
"""

import argparse
import hashlib
import json
import logging
import os
import random
import time
from pathlib import Path

import yaml

from training.recipes.lora_single_device import (
    BEST,
    IGNORE,
    append_log,
    apply_lora,
    causal_lm,
    export_gguf,
    hardware_info,
    load_adapter_weights,
    make_optimizer,
    optimizer_step,
    save_best,
    setup_run,
)

log = logging.getLogger(__name__)

DEFAULTS = {
    "model": {"source": "bundled", "dtype": "auto", "cache": True},
    "adapter": None,  # the supervised adapter (a peft folder) to start from; None: a fresh LoRA
    "lora": {"r": 8, "alpha": 16, "dropout": 0.0, "target_modules": "all-linear"},
    "pairs": None,
    "valid_fraction": 0.1,
    "max_seq_len": 512,
    "max_pairs": None,
    "dpo": {"beta": 0.1, "sft_weight": 0.2},
    "optim": {"lr": 5.0e-5, "warmup_steps": 10, "scheduler": "cosine", "grad_clip": 1.0},
    "train": {"device": "auto", "threads": 2, "batch_size": 4, "epochs": 1, "max_steps": None, "seed": 0,
              "eval_every": 25, "log_every": 5},
    "output": {"dir": None, "export_gguf": True, "gguf_dtype": "f16"},
}


def load_config(overrides: list[str] | dict | None = None) -> dict:
    cfg = json.loads(json.dumps(DEFAULTS))
    items = overrides.items() if isinstance(overrides, dict) else (o.partition("=")[::2] for o in overrides or [])
    for key, value in items:
        node = cfg
        *parents, leaf = key.strip().split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = yaml.safe_load(value) if isinstance(value, str) else value
    return cfg


def encode_pair(tokenizer, pair: dict, max_len: int):
    """(chosen ids, rejected ids, prompt length) or None when either is longer than MAX_LEN."""
    prompt = tokenizer(pair["prompt"], split_special_tokens=True).input_ids
    out = []
    for key in ("chosen", "rejected"):
        reply = tokenizer(pair[key], add_special_tokens=False, split_special_tokens=True).input_ids
        if not reply or len(prompt) + len(reply) > max_len:
            return None
        out.append(prompt + reply)
    return out[0], out[1], len(prompt)


def _batch(seqs, starts, pad_id, device):
    import torch

    width = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), width), pad_id, dtype=torch.long)
    mask = torch.zeros_like(ids)
    labels = torch.full_like(ids, IGNORE)
    for i, (s, start) in enumerate(zip(seqs, starts)):
        ids[i, :len(s)] = torch.tensor(s)
        mask[i, :len(s)] = 1
        labels[i, start:len(s)] = ids[i, start:len(s)]
    return ids.to(device), mask.to(device), labels.to(device)


def sequence_logps(model, ids, mask, labels):
    """(sum of log p over each row's label tokens, their count), output layer at those positions only."""
    import torch

    lm = causal_lm(model)
    targets = labels[:, 1:]
    keep = targets != IGNORE
    hidden = lm.model(input_ids=ids, attention_mask=mask).last_hidden_state[:, :-1]
    logits = lm.lm_head(hidden[keep]).float()
    cap = getattr(lm.config, "final_logit_softcapping", None)
    if cap:
        logits = torch.tanh(logits / cap) * cap
    token_logp = torch.log_softmax(logits, dim=-1).gather(1, targets[keep].unsqueeze(1)).squeeze(1)
    rows = keep.nonzero()[:, 0]
    sums = torch.zeros(ids.shape[0], device=ids.device, dtype=token_logp.dtype).index_add(0, rows, token_logp)
    return sums, keep.sum(dim=1)


def pair_logps(model, pairs, pad_id, device):
    """Log-probs of the chosen and the rejected replies of PAIRS (one forward over both)."""
    seqs = [p["chosen_ids"] for p in pairs] + [p["rejected_ids"] for p in pairs]
    starts = [p["start"] for p in pairs] * 2
    ids, mask, labels = _batch(seqs, starts, pad_id, device)
    logps, counts = sequence_logps(model, ids, mask, labels)
    n = len(pairs)
    return logps[:n], logps[n:], counts[:n]


def dpo_loss(pc, pr, rc, rr, beta: float):
    """DPO's loss per pair, and the implicit reward margin."""
    import torch.nn.functional as F

    margin = beta * ((pc - rc) - (pr - rr))
    return -F.logsigmoid(margin), margin


def train(cfg: dict, output_dir: str | Path, *, model_and_tokenizer=None, on_progress=None) -> dict:
    import torch

    from training.preference import read_pairs

    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    tcfg, ocfg, dcfg = cfg["train"], cfg["optim"], cfg["dpo"]

    def say(text):
        append_log(out, text, log)
        if on_progress:
            on_progress(text)

    started = time.monotonic()
    device, dtype, autocast, seed, (base, tokenizer, info) = setup_run(cfg, model_and_tokenizer)
    adapter = cfg.get("adapter")
    lora_cfg = dict(cfg["lora"])
    if adapter:
        saved = json.loads((Path(adapter) / "adapter_config.json").read_text())
        lora_cfg.update(r=saved["r"], alpha=saved["lora_alpha"], use_rslora=saved.get("use_rslora", False))
    model = apply_lora(base, lora_cfg, seed)
    if adapter:
        load_adapter_weights(model, Path(adapter))
    say(f"model {info.get('source')} on {device} ({dtype}), starting from {adapter or 'a fresh LoRA'}; "
        f"loaded in {time.monotonic() - started:.0f}s")

    # data: pairs split by context into train and held-out
    pairs = read_pairs(Path(cfg["pairs"]))
    if cfg.get("max_pairs"):
        pairs = random.Random(seed).sample(pairs, min(len(pairs), int(cfg["max_pairs"])))
    encoded, dropped = [], 0
    for pair in pairs:
        enc = encode_pair(tokenizer, pair, int(cfg.get("max_seq_len", 512)))
        if enc is None:
            dropped += 1
            continue
        held = int(hashlib.sha256(pair["context_id"].encode()).hexdigest(), 16) % 1000 < cfg["valid_fraction"] * 1000
        encoded.append({"chosen_ids": enc[0], "rejected_ids": enc[1], "start": enc[2], "kind": pair["kind"],
                        "held": held})
    train_set = [p for p in encoded if not p["held"]]
    valid_set = [p for p in encoded if p["held"]]
    if not train_set or not valid_set:
        raise ValueError(f"too few pairs in {cfg['pairs']} ({len(train_set)} train, {len(valid_set)} held out)")
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    batch_size = int(tcfg.get("batch_size", 4))

    # the reference: the starting adapter's log-probs, once
    model.eval()
    with torch.no_grad(), autocast():
        for i in range(0, len(encoded), batch_size):
            chunk = encoded[i:i + batch_size]
            rc, rr, _ = pair_logps(model, chunk, pad_id, device)
            for p, a, b in zip(chunk, rc.tolist(), rr.tolist()):
                p["ref_chosen"], p["ref_rejected"] = a, b
    say(f"pairs {Path(cfg['pairs']).name}: {len(train_set)} train / {len(valid_set)} held out "
        f"(dropped over {cfg.get('max_seq_len')} tokens: {dropped}); reference log-probs in "
        f"{time.monotonic() - started:.0f}s")

    beta, sft_weight = float(dcfg.get("beta", 0.1)), float(dcfg.get("sft_weight", 0.0))
    per_epoch = max(1, len(train_set) // batch_size)
    max_steps = int(tcfg.get("max_steps") or per_epoch * int(tcfg.get("epochs", 1)))
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer, scheduler = make_optimizer(params, ocfg, max_steps, lr=float(ocfg.get("lr", 5e-5)), weight_decay=0.0)

    def losses(batch):
        pc, pr, counts = pair_logps(model, batch, pad_id, device)
        rc = torch.tensor([p["ref_chosen"] for p in batch], device=device)
        rr = torch.tensor([p["ref_rejected"] for p in batch], device=device)
        loss, margin = dpo_loss(pc, pr, rc, rr, beta)
        nll = -(pc / counts.clamp(min=1)).mean()
        return loss.mean() + sft_weight * nll, loss.mean(), margin, nll

    def evaluate() -> dict:
        model.eval()
        total, right, nll_sum, by_kind = 0.0, 0, 0.0, {}
        with torch.no_grad(), autocast():
            for i in range(0, len(valid_set), batch_size):
                batch = valid_set[i:i + batch_size]
                _, loss, margin, nll = losses(batch)
                total += float(loss) * len(batch)
                nll_sum += float(nll) * len(batch)
                for p, m in zip(batch, margin.tolist()):
                    right += m > 0
                    k = by_kind.setdefault(p["kind"], [0, 0])
                    k[0] += m > 0
                    k[1] += 1
        model.train()
        n = len(valid_set)
        return {"val_dpo_loss": round(total / n, 4), "val_accuracy": round(right / n, 4),
                "val_chosen_nll": round(nll_sum / n, 4),
                "val_accuracy_by_kind": {k: round(a / b, 3) for k, (a, b) in sorted(by_kind.items())}}

    history = [{"step": 0, **evaluate()}]
    say(f"step 0 {json.dumps(history[0])}")
    best = history[0]["val_dpo_loss"]
    save_best(model, out)
    best_step, tokens, train_seconds = 0, 0, 0.0
    order = list(range(len(train_set)))
    model.train()
    eval_every, log_every = int(tcfg.get("eval_every", 25)), int(tcfg.get("log_every", 5))
    window = []
    for step in range(1, max_steps + 1):
        t0 = time.monotonic()
        epoch, offset = divmod((step - 1) * batch_size, per_epoch * batch_size)
        if offset == 0:
            random.Random(seed * 1000 + epoch).shuffle(order)
        batch = [train_set[order[(offset + j) % len(order)]] for j in range(batch_size)]
        optimizer.zero_grad(set_to_none=True)
        with autocast():
            total, loss, margin, nll = losses(batch)
        total.backward()
        optimizer_step(optimizer, scheduler, params, ocfg.get("grad_clip"))
        train_seconds += time.monotonic() - t0
        tokens += sum(len(p["chosen_ids"]) + len(p["rejected_ids"]) for p in batch)
        window.append((float(loss.detach()), float((margin.detach() > 0).float().mean()), float(nll.detach())))
        record = None
        if step % log_every == 0 or step == max_steps:
            record = {"step": step, "dpo_loss": round(sum(w[0] for w in window) / len(window), 4),
                      "accuracy": round(sum(w[1] for w in window) / len(window), 3),
                      "chosen_nll": round(sum(w[2] for w in window) / len(window), 4),
                      "tokens_per_s": round(tokens / max(train_seconds, 1e-9), 1)}
            window = []
        if step % eval_every == 0 or step == max_steps:
            record = {**(record or {"step": step}), **evaluate()}
            if record["val_dpo_loss"] < best:
                best, best_step = record["val_dpo_loss"], step
                save_best(model, out)
        if record:
            history.append(record)
            say(f"step {step}/{max_steps} {json.dumps(record)}")

    result = {"status": "finished", "steps": max_steps, "best_step": best_step, "best_val_dpo_loss": best,
              "first": history[0], "history": history, "train_pairs": len(train_set), "held_out_pairs": len(valid_set),
              "tokens_per_s": round(tokens / max(train_seconds, 1e-9), 1), "train_seconds": round(train_seconds, 1),
              "device": str(device), "dtype": str(dtype), "adapter_dir": str(out / BEST), "model_info": info,
              "hardware": hardware_info(device, int(tcfg.get("threads", 2)) if device.type == "cpu" else None),
              "pairs_sha256": hashlib.sha256(Path(cfg["pairs"]).read_bytes()).hexdigest(),
              "wall_seconds": round(time.monotonic() - started, 1),
              "config": {k: v for k, v in cfg.items() if k != "model"}}
    if cfg["output"].get("export_gguf", True) and info.get("source") != "tiny":
        gguf_path = export_gguf(model, out, cfg["output"].get("gguf_dtype", "f16"),
                                {"pixel.pairs": Path(cfg["pairs"]).name, "pixel.best_step": best_step})
        result["gguf_path"] = str(gguf_path)
    (out / "result.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    say(f"finished: best held-out DPO loss {best} at step {best_step}")
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("overrides", nargs="*", help="dotted.key=value (pairs=..., adapter=..., output.dir=...)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from training.conf import training_dir

    cfg = load_config(args.overrides)
    if not cfg.get("pairs"):
        parser.error("pairs=PATH is required (manage.py build_preference_pairs writes them)")
    out = cfg["output"].get("dir") or training_dir() / "runs" / time.strftime("dpo-%Y%m%d-%H%M%S")
    result = train(cfg, out)
    print(json.dumps({k: v for k, v in result.items() if k != "history"}, indent=2, default=str))


if __name__ == "__main__":
    main()
