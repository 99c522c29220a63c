"""LoRA fine-tuning on one device: Pixel's persona-model recipe (docs/training.md).

Shaped like torchtune's lora_finetune_single_device.py: one script, read top to bottom, driven by
a commented YAML config (training/configs/gemma3_270m_lora.yaml). Run it directly:

    python -m training.recipes.lora_single_device --config training/configs/gemma3_270m_lora.yaml \\
        dataset.version=ds-0123abcd train.max_steps=600

or through `manage.py train_model`, or the `training.run_training` Celery task (which record the
run in the admin). Every key can be overridden as dotted.key=value.

What happens (LoRARecipe.setup does 1-3, LoRARecipe.train 4, LoRARecipe.save 5):
 1. setup       device (CUDA in bf16 when there is one, else CPU in fp32), threads, seeds
 2. model       the bundled Gemma 3 270M GGUF dequantised by transformers (cached as safetensors
                after the first load), any GGUF file, any Hugging Face folder, or a tiny random
                Gemma 3 for tests; LoRA adapters from peft on top
 3. data        a DatasetVersion's train.jsonl / valid.jsonl (prompt + completion, already in
                modelserve's prompt format); the loss is on the completion tokens only
 4. loop        AdamW, warm-up then cosine, gradient clipping; validation loss every eval_every
                steps, the best adapter kept, early stopping after `patience` evaluations without
                improvement; a checkpoint every checkpoint_every steps to resume from
 5. export      the best adapter as peft safetensors and as a GGUF LoRA adapter for llama.cpp

The 262k-token output layer is the most expensive part of a step on CPU. With
train.loss_positions_only the hidden states are projected onto the vocabulary only where a label
is, the completion tokens, instead of at every position: the loss is the same (it is a mean over
the same positions) and a step takes about 40% less time.
"""

import argparse
import hashlib
import json
import logging
import math
import os
import random
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

log = logging.getLogger(__name__)
IGNORE = -100
CHECKPOINT = "checkpoint"
BEST = "best"


# ---------------------------------------------------------------- config

def load_config(path: str | Path | None = None, overrides: list[str] | dict | None = None) -> dict:
    """The YAML at PATH with OVERRIDES ("a.b=value" strings or a nested dict) applied."""
    from training.conf import CONFIGS_DIR

    path = Path(path or CONFIGS_DIR / "gemma3_270m_lora.yaml")
    cfg = yaml.safe_load(path.read_text())
    if isinstance(overrides, dict):
        _merge(cfg, overrides)
    else:
        for item in overrides or []:
            key, _, value = item.partition("=")
            node = cfg
            *parents, leaf = key.strip().split(".")
            for part in parents:
                node = node.setdefault(part, {})
            node[leaf] = yaml.safe_load(value)
    cfg["_config_path"] = str(path)
    return cfg


def _merge(base: dict, extra: dict) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value


# ---------------------------------------------------------------- setup

def pick_device(requested: str = "auto"):
    import torch

    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(requested)


def pick_dtype(requested: str, device):
    import torch

    if requested == "auto":
        # bf16 where the hardware does it natively; on CPU fp32 is both faster and exact.
        return torch.bfloat16 if device.type == "cuda" and torch.cuda.is_bf16_supported() else torch.float32
    return {"fp32": torch.float32, "float32": torch.float32, "bf16": torch.bfloat16, "bfloat16": torch.bfloat16,
            "fp16": torch.float16}[requested]


def seed_everything(seed: int) -> None:
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


# ---------------------------------------------------------------- model

def _sha256(path: Path, chunk: int = 1 << 22) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def resolve_source(source: str) -> tuple[str, Path | None, str | None]:
    """("gguf", folder, file) | ("hf", folder, None) | ("tiny", None, None)."""
    if source == "tiny":
        return "tiny", None, None
    if source == "bundled":
        from modelserve.conf import bundled_model_path

        path = bundled_model_path()
        return "gguf", path.parent, path.name
    path = Path(source)
    if path.suffix == ".gguf":
        return "gguf", path.parent, path.name
    return "hf", path, None


def tiny_tokenizer():
    """A byte-level tokenizer (256 bytes + 4 specials): enough to train a tiny model in tests."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    alphabet = pre_tokenizers.ByteLevel.alphabet()
    vocab = {"<pad>": 0, "<eos>": 1, "<bos>": 2, "<unk>": 3}
    for ch in sorted(alphabet):
        vocab[ch] = len(vocab)
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[], unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.TemplateProcessing(single="<bos> $A", special_tokens=[("<bos>", 2)])
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<bos>", eos_token="<eos>", pad_token="<pad>",
                                   unk_token="<unk>")


def tiny_model(vocab_size: int, cfg: dict):
    from transformers import Gemma3ForCausalLM, Gemma3TextConfig

    config = Gemma3TextConfig(vocab_size=vocab_size, hidden_size=cfg.get("hidden_size", 64),
                              intermediate_size=cfg.get("intermediate_size", 128),
                              num_hidden_layers=cfg.get("layers", 2), num_attention_heads=2, num_key_value_heads=1,
                              head_dim=32, max_position_embeddings=1024, sliding_window=64,
                              layer_types=["sliding_attention", "full_attention"][: cfg.get("layers", 2)]
                              + ["full_attention"] * max(0, cfg.get("layers", 2) - 2),
                              pad_token_id=0, bos_token_id=2, eos_token_id=1, tie_word_embeddings=True,
                              # Wider than the usual 0.02 so the tied output layer gives logits LoRA can move.
                              initializer_range=cfg.get("initializer_range", 0.3))
    return Gemma3ForCausalLM(config)


def load_model(model_cfg: dict, device, dtype, cache_root: Path | None = None):
    """(model, tokenizer, info). A GGUF is dequantised once and cached as a Hugging Face folder."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    kind, folder, gguf_file = resolve_source(str(model_cfg.get("source", "bundled")))
    if kind == "tiny":
        import torch

        torch.manual_seed(model_cfg.get("init_seed", 0))
        tokenizer = tiny_tokenizer()
        model = tiny_model(len(tokenizer), model_cfg.get("tiny", {}))
        return model.to(device=device, dtype=dtype), tokenizer, {"source": "tiny", "sha256": ""}
    info = {"source": str(model_cfg.get("source")), "sha256": ""}
    if kind == "gguf":
        gguf_path = folder / gguf_file
        info.update(base_model=gguf_file, sha256=_sha256(gguf_path))
        cache = Path(cache_root) / f"hf-{info['sha256'][:16]}" if cache_root and model_cfg.get("cache", True) else None
        if cache is not None and (cache / "config.json").exists():
            folder, gguf_file = cache, None
        else:
            started = time.monotonic()
            tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=gguf_file)
            model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=gguf_file, dtype=dtype)
            log.info("dequantised %s in %.0fs", gguf_file, time.monotonic() - started)
            _forget_gguf_quantisation(model)
            if cache is not None:
                from safetensors.torch import save_model

                tmp = cache.with_name(cache.name + f".tmp{os.getpid()}")
                tmp.mkdir(parents=True, exist_ok=True)
                model.config.save_pretrained(tmp)
                save_model(model, str(tmp / "model.safetensors"), metadata={"format": "pt"})
                tokenizer.save_pretrained(tmp)
                shutil.rmtree(cache, ignore_errors=True)
                tmp.rename(cache)
            return model.to(device), tokenizer, info
    else:
        info["base_model"] = str(folder)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=dtype)
    return model.to(device), tokenizer, info


def _forget_gguf_quantisation(model) -> None:
    """The dequantised weights are plain fp32 tensors; transformers still marks the model as
    GGUF-quantised, which makes it refuse to save and peft treat it as quantised."""
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.hf_quantizer = None
    if hasattr(model, "is_quantized"):
        model.is_quantized = False


def apply_lora(model, lora_cfg: dict, seed: int = 0):
    import torch
    from peft import LoraConfig, get_peft_model

    config = LoraConfig(r=lora_cfg["r"], lora_alpha=lora_cfg["alpha"], lora_dropout=lora_cfg.get("dropout", 0.0),
                        target_modules=lora_cfg.get("target_modules", "all-linear"), bias="none",
                        task_type="CAUSAL_LM", use_rslora=bool(lora_cfg.get("use_rslora", False)))
    torch.manual_seed(seed)
    model = get_peft_model(model, config)
    std = float(lora_cfg.get("init_b_std", 0.0) or 0.0)
    if std:
        # A "loud" adapter: peft starts B at zero (no effect until trained); a non-zero B makes the
        # adapter change the logits from step 0, which export round-trip tests need to see.
        gen = torch.Generator().manual_seed(seed + 1)
        with torch.no_grad():
            for name, param in model.named_parameters():
                if "lora_B" in name:
                    param.copy_(torch.randn(param.shape, generator=gen) * std)
    return model


# ---------------------------------------------------------------- data

@dataclass
class Example:
    input_ids: list[int]
    first_target: int  # index of the first completion token
    # Packed sequences: (start, end) token spans that are targets; None: everything from first_target.
    spans: list[tuple[int, int]] | None = None


def resolve_dataset(version: str) -> Path:
    """A dataset folder from a DatasetVersion name ("latest" for the newest ready one) or a path."""
    path = Path(str(version))
    if path.is_dir():
        return path
    from training.models import DatasetVersion

    qs = DatasetVersion.objects.filter(status=DatasetVersion.READY)
    row = qs.order_by("-created_at").first() if version in ("latest", "", "None") else qs.filter(version=version).first()
    if row is None:
        raise ValueError(f"no ready dataset version {version!r}: run `manage.py build_dataset` first")
    return Path(row.path)


def read_examples(path: Path, modes, limit: int | None = None, seed: int = 0) -> list[dict]:
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            if row["mode"] in modes:
                rows.append(row)
    if limit is not None and len(rows) > limit:
        # A fixed random subset, not the first N: the file is ordered by conversation and source.
        rows = random.Random(seed).sample(rows, limit)
    return rows


def encode(tokenizer, rows: list[dict], max_seq_len: int) -> tuple[list[Example], int]:
    """Token ids as llama.cpp would see them (BOS, no special tokens parsed from text); examples
    longer than MAX_SEQ_LEN are dropped rather than cut, so no prompt loses its header."""
    examples, dropped = [], 0
    for row in rows:
        prompt = tokenizer(row["prompt"], split_special_tokens=True).input_ids
        full = tokenizer(row["prompt"] + row["completion"], split_special_tokens=True).input_ids
        if full[: len(prompt)] != prompt:  # the tokens merged across the boundary
            full = prompt + tokenizer(row["completion"], add_special_tokens=False, split_special_tokens=True).input_ids
        if len(full) > max_seq_len or len(full) <= len(prompt):
            dropped += 1
            continue
        examples.append(Example(full, len(prompt)))
    return examples, dropped


def encode_packed(tokenizer, rows: list[dict], max_seq_len: int) -> tuple[list[Example], int]:
    """Packed rows (data.examples.packed_sequences) tokenised a segment at a time, as serving
    tokenises a prompt and then generates the reply: the spans of target segments carry the loss.
    Sequences longer than MAX_SEQ_LEN are dropped, not cut."""
    examples, dropped = [], 0
    for row in rows:
        ids, spans = [], []
        for i, (text, teach) in enumerate(row["segments"]):
            piece = tokenizer(text, add_special_tokens=(i == 0), split_special_tokens=True).input_ids
            if teach:
                spans.append((len(ids), len(ids) + len(piece)))
            ids += piece
        if len(ids) > max_seq_len or not spans:
            dropped += 1
            continue
        examples.append(Example(ids, spans[0][0], spans))
    return examples, dropped


def collate(examples: list[Example], pad_id: int, device):
    import torch

    width = max(len(e.input_ids) for e in examples)
    ids = torch.full((len(examples), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(examples), width), dtype=torch.long)
    labels = torch.full((len(examples), width), IGNORE, dtype=torch.long)
    for i, e in enumerate(examples):
        n = len(e.input_ids)
        ids[i, :n] = torch.tensor(e.input_ids)
        mask[i, :n] = 1
        for start, end in e.spans or [(e.first_target, n)]:
            labels[i, start:end] = ids[i, start:end]
    return ids.to(device), mask.to(device), labels.to(device)


# ---------------------------------------------------------------- loss

def causal_lm(model):
    """The transformers *ForCausalLM inside a peft model (or the model itself)."""
    return model.get_base_model() if hasattr(model, "get_base_model") else model


def loss_fn(model, ids, mask, labels, positions_only: bool = True):
    """Mean next-token cross-entropy over the label positions. (loss, number of target tokens)."""
    import torch
    import torch.nn.functional as F

    lm = causal_lm(model)
    targets = labels[:, 1:]
    keep = targets != IGNORE
    if positions_only:
        hidden = lm.model(input_ids=ids, attention_mask=mask).last_hidden_state[:, :-1]
        logits = lm.lm_head(hidden[keep])
    else:
        logits = lm(input_ids=ids, attention_mask=mask).logits[:, :-1][keep]
    cap = getattr(lm.config, "final_logit_softcapping", None)
    if cap:
        logits = torch.tanh(logits / cap) * cap
    return F.cross_entropy(logits.float(), targets[keep]), int(keep.sum())


def evaluate_loss(model, examples, batch_size, pad_id, device, positions_only=True, autocast=None) -> float:
    import torch

    model.eval()
    total, tokens = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(examples), batch_size):
            ids, mask, labels = collate(examples[i:i + batch_size], pad_id, device)
            with autocast():
                loss, n = loss_fn(model, ids, mask, labels, positions_only)
            total += float(loss) * n
            tokens += n
    model.train()
    return total / max(1, tokens)


# ---------------------------------------------------------------- checkpoints

def save_adapter(model, folder: Path) -> None:
    """peft's adapter files, always in fp32 (safetensors.numpy, used by the GGUF export, has no bf16)."""
    import torch

    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder, safe_serialization=True)
    from safetensors.torch import load_file, save_file

    path = folder / "adapter_model.safetensors"
    tensors = {k: v.to(torch.float32).contiguous() for k, v in load_file(path).items()}
    save_file(tensors, path)


def load_adapter_weights(model, folder: Path) -> None:
    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file

    set_peft_model_state_dict(model, load_file(folder / "adapter_model.safetensors"))


def save_checkpoint(folder: Path, model, optimizer, scheduler, state: dict) -> None:
    import torch

    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    save_adapter(model, tmp)
    torch.save({"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
                "torch_rng": torch.get_rng_state()}, tmp / "trainer_state.pt")
    (tmp / "state.json").write_text(json.dumps(state, indent=2) + "\n")
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)  # a crash mid-save leaves the previous checkpoint whole


def load_checkpoint(folder: Path, model, optimizer, scheduler) -> dict:
    import torch

    load_adapter_weights(model, folder)
    # weights_only: a checkpoint is data, never code.
    saved = torch.load(folder / "trainer_state.pt", map_location="cpu", weights_only=True)
    optimizer.load_state_dict(saved["optimizer"])
    scheduler.load_state_dict(saved["scheduler"])
    torch.set_rng_state(saved["torch_rng"])
    return json.loads((folder / "state.json").read_text())


# ---------------------------------------------------------------- the run

@dataclass
class Result:
    status: str  # "finished" | "early_stopped" | "cancelled"
    stop_reason: str
    step: int
    best_step: int | None
    best_val_loss: float | None
    first_val_loss: float | None
    output_dir: str
    adapter_dir: str | None = None
    gguf_path: str | None = None
    tokens_per_s: float | None = None
    seconds_per_step: float | None = None
    history: list = field(default_factory=list)
    model_info: dict = field(default_factory=dict)
    dataset: str = ""
    dropped_examples: dict = field(default_factory=dict)
    # What a reader needs to compare runs: where it ran and on exactly which data.
    hardware: dict = field(default_factory=dict)
    dataset_hash: str = ""
    wall_seconds: float | None = None


def hardware_info(device, threads: int | None = None) -> dict:
    """The machine a run ran on, for its record (docs/training.md asks for it with every run)."""
    import platform

    import torch

    info = {"device": str(device), "torch": torch.__version__, "cpu": platform.processor() or platform.machine(),
            "cpus": os.cpu_count()}
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
    else:
        info["threads"] = threads
        try:
            with open("/proc/cpuinfo", encoding="utf-8") as f:
                info["cpu"] = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")),
                                   info["cpu"])
        except OSError:
            pass
    return info


def lr_lambda(warmup: int, total: int, schedule: str):
    def at(step):
        if step < warmup:
            return (step + 1) / max(1, warmup)
        if schedule == "constant":
            return 1.0
        progress = (step - warmup) / max(1, total - warmup)
        return 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))

    return at


def setup_run(cfg: dict, model_and_tokenizer=None):
    """(device, dtype, autocast, seed, (base model, tokenizer, info)) for a recipe's CFG: CUDA in
    bf16 where there is one, else CPU threads; seeds; the base model (or the one a test passes)."""
    import contextlib

    import torch

    from training.conf import training_dir

    tcfg = cfg["train"]
    device = pick_device(tcfg.get("device", "auto"))
    dtype = pick_dtype(cfg["model"].get("dtype", "auto"), device)
    if device.type == "cpu":
        torch.set_num_threads(int(tcfg.get("threads", 2)))
    seed = int(tcfg.get("seed", 0))
    seed_everything(seed)
    autocast = (lambda: torch.autocast("cuda", dtype=dtype)) if device.type == "cuda" and dtype != torch.float32 \
        else contextlib.nullcontext
    loaded = model_and_tokenizer or load_model(cfg["model"], device, dtype, cache_root=training_dir() / "cache")
    return device, dtype, autocast, seed, loaded


def make_optimizer(params, ocfg: dict, max_steps: int, **adamw):
    """AdamW over PARAMS (ADAMW: its settings) and the learning-rate schedule the OCFG section names."""
    import torch

    optimizer = torch.optim.AdamW(params, **adamw)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lr_lambda(int(ocfg.get("warmup_steps", 0)), max_steps, ocfg.get("scheduler", "cosine")))
    return optimizer, scheduler


def optimizer_step(optimizer, scheduler, params, grad_clip) -> None:
    """Apply the accumulated gradients (clipped when GRAD_CLIP is set) and advance the schedule."""
    import torch

    if grad_clip:
        torch.nn.utils.clip_grad_norm_(params, float(grad_clip))
    optimizer.step()
    scheduler.step()


def append_log(out: Path, text: str, logger: logging.Logger = log) -> None:
    """TEXT to LOGGER and to OUT/train.log, which stays with the run's other files."""
    logger.info(text)
    with open(out / "train.log", "a", encoding="utf-8") as f:
        f.write(text + "\n")


def save_best(model, out: Path) -> None:
    shutil.rmtree(out / BEST, ignore_errors=True)
    save_adapter(model, out / BEST)


def export_gguf(model, out: Path, dtype: str, metadata: dict) -> Path:
    """OUT/best as OUT/adapter.gguf, the form llama.cpp loads an adapter in."""
    from modelserve.lora_export import export_peft_adapter

    config = causal_lm(model).config
    gguf_path = out / "adapter.gguf"
    export_peft_adapter(out / BEST, gguf_path, arch=gguf_arch(config), n_layers=config.num_hidden_layers, dtype=dtype,
                        metadata=metadata)
    return gguf_path


class LoRARecipe:
    """One run, in torchtune's recipe shape: setup() loads the model, data and optimiser (and the
    checkpoint to resume from); train() repeats train_step(), with evaluate() and save_checkpoint()
    on their schedules, then save() exports the best adapter and writes result.json.

    ON_PROGRESS(step, record or None, log line) is called for every line logged; SHOULD_STOP() is
    asked before every step.
    """

    def __init__(self, cfg: dict, output_dir: str | Path, *,
                 on_progress: Callable[[int, dict | None, str], None] | None = None,
                 should_stop: Callable[[], bool] | None = None):
        self.cfg = cfg
        self.tcfg, self.dcfg, self.ocfg = cfg["train"], cfg["dataset"], cfg.get("optim", {})
        self.out = Path(output_dir)
        self.out.mkdir(parents=True, exist_ok=True)
        self.on_progress, self.should_stop = on_progress, should_stop

    def say(self, text: str, record: dict | None = None, step: int = 0) -> None:
        append_log(self.out, text)
        if self.on_progress:
            self.on_progress(step, record, text)

    # ------------------------------------------------------------ setup

    def setup(self, model_and_tokenizer=None, resume: bool = True) -> None:
        """MODEL_AND_TOKENIZER: an already loaded base model (a test's); LoRA is applied here."""
        self.started = time.monotonic()
        self._setup_model(model_and_tokenizer)
        self._setup_data()
        self._setup_optimizer()
        self._setup_state(resume)

    def _setup_model(self, model_and_tokenizer) -> None:
        self.device, self.dtype, self.autocast, self.seed, (base, self.tokenizer, self.info) = setup_run(
            self.cfg, model_and_tokenizer)
        self.model = apply_lora(base, self.cfg["lora"], self.seed)
        self.model.train()
        trainable = sum(p.numel() for p in self.model.parameters() if p.requires_grad)
        self.say(f"model {self.info.get('source')} on {self.device} ({self.dtype}); {trainable:,} trainable LoRA "
                 f"parameters; loaded in {time.monotonic() - self.started:.0f}s")

    def _setup_data(self) -> None:
        dcfg, tokenizer, seed = self.dcfg, self.tokenizer, self.seed
        folder = resolve_dataset(dcfg.get("version", "latest")) if dcfg.get("path") is None else Path(dcfg["path"])
        modes = tuple(dcfg.get("modes") or ("client",))
        max_len = int(dcfg.get("max_seq_len", 448))
        # Packed: the same client targets a conversation window to a sequence (about a third of the
        # tokens for a full pass). Validation stays one example a turn, comparable across runs.
        packed = bool(dcfg.get("packed")) and modes == ("client",) and (folder / "train_packed.jsonl").exists()
        if dcfg.get("packed") and not packed:
            self.say(f"not packed: {folder.name} has no train_packed.jsonl (datasets built before it) or modes are "
                     "not [client]; one example a turn")
        if packed:
            train_rows = read_examples(folder / "train_packed.jsonl", modes, dcfg.get("max_train_examples"), seed)
            train_set, dropped_train = encode_packed(tokenizer, train_rows, int(dcfg.get("packed_max_seq_len", 768)))
        else:
            train_rows = read_examples(folder / "train.jsonl", modes, dcfg.get("max_train_examples"), seed)
            train_set, dropped_train = encode(tokenizer, train_rows, max_len)
        valid_rows = read_examples(folder / "valid.jsonl", modes, dcfg.get("max_valid_examples", 256), seed)
        valid_set, dropped_valid = encode(tokenizer, valid_rows, max_len)
        if not train_set or not valid_set:
            raise ValueError(f"no examples left in {folder} for modes {modes} at max_seq_len {max_len}")
        # Shortest first within the validation set: less padding, same loss.
        valid_set.sort(key=lambda e: len(e.input_ids))
        self.folder, self.train_set, self.valid_set = folder, train_set, valid_set
        self.dropped = {"train": dropped_train, "valid": dropped_valid}
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        targets = sum(len(e.spans) if e.spans else 1 for e in train_set)
        self.say(f"data {folder.name}: {len(train_set)} train {'sequences' if packed else 'examples'} ({targets} client "
                 f"targets) / {len(valid_set)} valid examples (modes {', '.join(modes)}; dropped as too long: "
                 f"{dropped_train} / {dropped_valid})")

    def _setup_optimizer(self) -> None:
        tcfg, ocfg = self.tcfg, self.ocfg
        self.batch_size, self.accum = int(tcfg.get("batch_size", 4)), int(tcfg.get("grad_accum", 1))
        self.per_epoch = max(1, len(self.train_set) // (self.batch_size * self.accum))
        self.max_steps = int(tcfg.get("max_steps") or self.per_epoch * int(tcfg.get("epochs", 1)))
        self.params = [p for p in self.model.parameters() if p.requires_grad]
        self.optimizer, self.scheduler = make_optimizer(
            self.params, ocfg, self.max_steps, lr=float(ocfg.get("lr", 2e-4)),
            weight_decay=float(ocfg.get("weight_decay", 0.0)), betas=tuple(ocfg.get("betas", (0.9, 0.999))))
        self.positions_only = bool(tcfg.get("loss_positions_only", True))
        self.eval_every, self.ckpt_every, self.log_every = (
            int(tcfg.get(k, d)) for k, d in (("eval_every", 50), ("checkpoint_every", 50), ("log_every", 10)))
        self.patience = int(tcfg.get("early_stopping_patience", 3))
        self.min_delta = float(tcfg.get("min_delta", 0.0))

    def _setup_state(self, resume: bool) -> None:
        self.state = {"step": 0, "best_val_loss": None, "best_step": None, "bad_evals": 0, "history": [],
                      "tokens": 0, "train_seconds": 0.0, "first_val_loss": None}
        ckpt = self.out / CHECKPOINT
        if resume and (ckpt / "state.json").exists():
            self.state = load_checkpoint(ckpt, self.model, self.optimizer, self.scheduler)
            self.say(f"resumed from step {self.state['step']} (best val {self.state['best_val_loss']})",
                     step=self.state["step"])
        if self.state["first_val_loss"] is None:
            self.state["first_val_loss"] = self.evaluate()
            self.say(f"step 0 val_loss {self.state['first_val_loss']:.4f}",
                     {"step": 0, "train_loss": None, "val_loss": self.state["first_val_loss"]}, 0)

    # ------------------------------------------------------------ steps

    def batch_at(self, step: int, micro: int) -> list[Example]:
        """The micro-batch for (STEP, MICRO): a fixed permutation per epoch, so resuming replays nothing."""
        index = (step * self.accum + micro) * self.batch_size
        epoch, offset = divmod(index, self.per_epoch * self.accum * self.batch_size)
        order = list(range(len(self.train_set)))
        random.Random(self.seed * 1000 + epoch).shuffle(order)
        return [self.train_set[order[(offset + j) % len(order)]] for j in range(self.batch_size)]

    def train_step(self) -> int:
        """One optimiser step over grad_accum micro-batches; returns the new step number."""
        step = self.state["step"]
        started = time.monotonic()
        self.optimizer.zero_grad(set_to_none=True)
        loss_sum = 0.0
        for micro in range(self.accum):
            ids, mask, labels = collate(self.batch_at(step, micro), self.pad_id, self.device)
            with self.autocast():
                loss, _ = loss_fn(self.model, ids, mask, labels, self.positions_only)
            (loss / self.accum).backward()
            loss_sum += float(loss.detach()) / self.accum
            self.window_tokens += int(mask.sum())
        optimizer_step(self.optimizer, self.scheduler, self.params, self.ocfg.get("grad_clip"))
        self.state["step"] = step + 1
        self.state["train_seconds"] += time.monotonic() - started
        self.window.append(loss_sum)
        return step + 1

    def evaluate(self) -> float:
        """The validation loss (the mean over every target token of the validation set)."""
        return evaluate_loss(self.model, self.valid_set, self.batch_size * 2, self.pad_id, self.device,
                             self.positions_only, self.autocast)

    def save_checkpoint(self) -> None:
        save_checkpoint(self.out / CHECKPOINT, self.model, self.optimizer, self.scheduler, self.state)

    def _due(self, step: int, every: int) -> bool:
        # The last step always logs, evaluates and checkpoints.
        return step % every == 0 or step == self.max_steps

    def _start_window(self) -> None:
        """Training loss and speed are reported as means over the steps since the last report."""
        self.window, self.window_tokens, self.window_start = [], 0, time.monotonic()

    def _window_record(self, step: int) -> dict:
        elapsed = time.monotonic() - self.window_start
        record = {"step": step, "train_loss": round(sum(self.window) / len(self.window), 4), "val_loss": None,
                  "lr": self.scheduler.get_last_lr()[0], "tokens_per_s": round(self.window_tokens / elapsed, 1),
                  "seconds_per_step": round(elapsed / len(self.window), 3)}
        self.state["tokens"] += self.window_tokens
        self._start_window()
        return record

    def _evaluation_record(self, step: int, record: dict | None) -> dict:
        """RECORD with the validation loss; the adapter is kept when it is the best so far."""
        val = self.evaluate()
        record = {**(record or {"step": step, "train_loss": None}), "val_loss": round(val, 4)}
        if self.state["best_val_loss"] is None or val < self.state["best_val_loss"] - self.min_delta:
            self.state.update(best_val_loss=val, best_step=step, bad_evals=0)
            save_best(self.model, self.out)
        else:
            self.state["bad_evals"] += 1
        return record

    # ------------------------------------------------------------ the loop

    def train(self) -> Result:
        status, reason = "finished", f"reached max_steps {self.max_steps}"
        self._start_window()
        while self.state["step"] < self.max_steps:
            if self.should_stop and self.should_stop():
                status, reason = "cancelled", "cancel requested"
                break
            step = self.train_step()
            record = self._window_record(step) if self._due(step, self.log_every) else None
            if self._due(step, self.eval_every):
                record = self._evaluation_record(step, record)
            if record:
                self.state["history"].append(record)
                self.say(f"step {step}/{self.max_steps} " + " ".join(f"{k} {v:.4g}" for k, v in record.items()
                                                                     if k != "step" and v is not None), record, step)
            if self._due(step, self.ckpt_every):
                self.save_checkpoint()
            if self.state["bad_evals"] >= self.patience:
                status, reason = "early_stopped", f"no val_loss improvement in {self.patience} evaluations"
                break
        self.save_checkpoint()
        return self.save(status, reason)

    def save(self, status: str, reason: str) -> Result:
        """Export the best adapter (peft folder, and GGUF unless the model is the tiny test one) and
        write result.json."""
        state, out, device, output_cfg = self.state, self.out, self.device, self.cfg.get("output", {})
        result = Result(status=status, stop_reason=reason, step=state["step"], best_step=state["best_step"],
                        best_val_loss=state["best_val_loss"], first_val_loss=state["first_val_loss"],
                        output_dir=str(out), history=state["history"], model_info=self.info, dataset=self.folder.name,
                        dropped_examples=self.dropped,
                        hardware=hardware_info(device, int(self.tcfg.get("threads", 2)) if device.type == "cpu" else None),
                        dataset_hash=_manifest_hash(self.folder), wall_seconds=round(time.monotonic() - self.started, 1))
        if state["tokens"] and state["train_seconds"]:
            result.tokens_per_s = round(state["tokens"] / state["train_seconds"], 1)
            result.seconds_per_step = round(state["train_seconds"] / max(1, state["step"]), 3)
        # A cancelled run still exports its best adapter so far: cancelling is how a long CPU run is cut short.
        if (out / BEST).exists():
            result.adapter_dir = str(out / BEST)
            if output_cfg.get("export_gguf", True) and self.info.get("source") != "tiny":
                gguf_path = export_gguf(self.model, out, output_cfg.get("gguf_dtype", "f16"),
                                        {"pixel.dataset": self.folder.name, "pixel.best_step": state["best_step"] or 0})
                result.gguf_path = str(gguf_path)
        (out / "result.json").write_text(json.dumps(result.__dict__, indent=2, default=str) + "\n")
        self.say(f"{status}: {reason}; best val_loss {state['best_val_loss']} at step {state['best_step']}", None,
                 state["step"])
        return result


def train(cfg: dict, output_dir: str | Path, *, resume: bool = True,
          on_progress: Callable[[int, dict | None, str], None] | None = None,
          should_stop: Callable[[], bool] | None = None, model_and_tokenizer=None) -> Result:
    """Run the recipe; ON_PROGRESS(step, record or None, log line) is called as it goes.

    MODEL_AND_TOKENIZER lets a caller (a test) pass an already loaded base model; the recipe then
    wraps it with LoRA itself.
    """
    recipe = LoRARecipe(cfg, output_dir, on_progress=on_progress, should_stop=should_stop)
    recipe.setup(model_and_tokenizer, resume=resume)
    return recipe.train()


def _manifest_hash(folder: Path) -> str:
    try:
        return json.loads((folder / "manifest.json").read_text()).get("content_hash", "")
    except (OSError, ValueError):
        return ""


def gguf_arch(config) -> str:
    """llama.cpp's architecture name for a transformers config."""
    return {"gemma3_text": "gemma3", "gemma3": "gemma3", "gemma2": "gemma2", "gemma": "gemma", "llama": "llama",
            "qwen2": "qwen2", "qwen3": "qwen3", "mistral": "llama"}.get(config.model_type, config.model_type)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default=None, help="YAML config (default: training/configs/gemma3_270m_lora.yaml)")
    parser.add_argument("--output-dir", default=None)
    parser.add_argument("--no-resume", action="store_true")
    parser.add_argument("overrides", nargs="*", help="dotted.key=value")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from training.conf import training_dir

    cfg = load_config(args.config, args.overrides)
    out = args.output_dir or cfg.get("output", {}).get("dir") or training_dir() / "runs" / time.strftime("run-%Y%m%d-%H%M%S")
    result = train(cfg, out, resume=not args.no_resume)
    print(json.dumps({k: v for k, v in result.__dict__.items() if k != "history"}, indent=2, default=str))


if __name__ == "__main__":
    main()
