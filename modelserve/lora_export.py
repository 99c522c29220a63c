"""Write a peft LoRA adapter as a GGUF LoRA adapter that llama.cpp loads (LLMConfig.lora_path).

What llama.cpp expects (as its convert_lora_to_gguf.py writes it):
- general.type = "adapter", adapter.type = "lora", and general.architecture equal to the base
  model's ("gemma3"): llama.cpp refuses an adapter made for another architecture.
- adapter.lora.alpha: llama.cpp scales each product B·A by alpha / r, exactly as peft does, so the
  alpha must be written (without it the scale is taken as 1 and the adapter is r/alpha too weak
  or strong). For rank-stabilised LoRA (scale alpha/sqrt(r)) we write alpha·sqrt(r) instead.
- for each adapted weight "<gguf tensor>.weight", two tensors: ".weight.lora_a" = peft's A with
  shape (r, in) and ".weight.lora_b" = peft's B with shape (out, r), unchanged: numpy's row-major
  shapes are what the GGUF writer expects for ggml's reversed dimension order.
- tensor names come from gguf's own name map for the architecture (model.layers.3.mlp.down_proj
  -> blk.3.ffn_down), so the adapter names match the base model's tensors.

Gemma ties its output layer to the token embeddings, and peft's "all-linear" leaves both alone; an
adapter that touches either is refused rather than silently half-applied.

Reads safetensors with safetensors.numpy, so serving code can export without torch.
"""

import hashlib
import json
import math
import re
from pathlib import Path

import numpy as np

_LORA_KEY = re.compile(r"^(?:base_model\.model\.)?(?P<module>.+?)\.lora_(?P<which>[AB])(?:\.[^.]+)?\.weight$")


def gguf_tensor_pairs(tensors: dict[str, np.ndarray], arch: str, n_layers: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{gguf base tensor name ("blk.0.attn_q.weight"): (A, B)} from peft state-dict keys."""
    import gguf

    arch_id = next((k for k, v in gguf.MODEL_ARCH_NAMES.items() if v == arch), None)
    if arch_id is None:
        raise ValueError(f"gguf does not know the architecture {arch!r}")
    name_map = gguf.get_tensor_name_map(arch_id, n_layers)
    parts: dict[str, dict[str, np.ndarray]] = {}
    for key, value in tensors.items():
        match = _LORA_KEY.match(key)
        if match is None:
            raise ValueError(f"{key}: not a LoRA A/B weight (embedding or extra tensors are not supported)")
        module = match.group("module")
        if module.endswith(("embed_tokens", "lm_head")):
            raise ValueError(f"{key}: adapters on the embeddings/output layer are not supported (Gemma ties them)")
        name = name_map.get_name(module)
        if name is None:
            raise ValueError(f"{key}: no {arch} GGUF tensor for module {module!r}")
        parts.setdefault(name + ".weight", {})[match.group("which")] = value
    pairs = {}
    for name, ab in sorted(parts.items()):
        if set(ab) != {"A", "B"}:
            raise ValueError(f"{name}: LoRA needs both A and B, found {sorted(ab)}")
        a, b = ab["A"], ab["B"]
        if a.ndim != 2 or b.ndim != 2 or a.shape[0] != b.shape[1]:
            raise ValueError(f"{name}: A {a.shape} and B {b.shape} are not (r, in) and (out, r)")
        pairs[name] = (a, b)
    return pairs


def effective_alpha(adapter_config: dict) -> float:
    alpha, r = float(adapter_config["lora_alpha"]), int(adapter_config["r"])
    if adapter_config.get("use_rslora"):
        return alpha * math.sqrt(r)  # llama.cpp scales by alpha/r; rsLoRA means alpha/sqrt(r)
    if adapter_config.get("rank_pattern") or adapter_config.get("alpha_pattern"):
        raise ValueError("per-module rank or alpha patterns cannot be written as one adapter.lora.alpha")
    return alpha


def write_gguf_adapter(pairs: dict[str, tuple[np.ndarray, np.ndarray]], out: Path, *, arch: str, alpha: float,
                       dtype: str = "f16", metadata: dict | None = None) -> Path:
    import gguf

    np_dtype = {"f16": np.float16, "f32": np.float32}[dtype]
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    writer = gguf.GGUFWriter(str(tmp), arch=arch)
    writer.add_type(gguf.GGUFType.ADAPTER)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, float(alpha))
    writer.add_name("pixel-lora")
    for key, value in (metadata or {}).items():
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            value = json.dumps(value)
        if isinstance(value, str):
            writer.add_string(key, value)
        elif isinstance(value, int):
            writer.add_int64(key, value)
        else:
            writer.add_float32(key, value)
    for name, (a, b) in pairs.items():
        writer.add_tensor(name + ".lora_a", np.ascontiguousarray(a, dtype=np_dtype))
        writer.add_tensor(name + ".lora_b", np.ascontiguousarray(b, dtype=np_dtype))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    tmp.replace(out)
    return out


def export_peft_adapter(adapter_dir: Path, out: Path, *, arch: str, n_layers: int, dtype: str = "f16",
                        metadata: dict | None = None) -> Path:
    """adapter_dir holds peft's adapter_config.json and adapter_model.safetensors (fp32 or fp16)."""
    from safetensors.numpy import load_file

    adapter_dir = Path(adapter_dir)
    config = json.loads((adapter_dir / "adapter_config.json").read_text())
    tensors = load_file(adapter_dir / "adapter_model.safetensors")
    pairs = gguf_tensor_pairs(tensors, arch, n_layers)
    meta = {"pixel.lora.r": int(config["r"]), "pixel.lora.alpha": float(config["lora_alpha"]), **(metadata or {})}
    from modelserve.prompt import PROMPT_FORMAT_VERSION

    meta.setdefault("pixel.prompt_format_version", PROMPT_FORMAT_VERSION)
    return write_gguf_adapter(pairs, out, arch=arch, alpha=effective_alpha(config), dtype=dtype, metadata=meta)


def read_adapter_info(path: Path) -> dict:
    """What a GGUF adapter says about itself: type, architecture, alpha, tensor count, Pixel keys."""
    import gguf

    reader = gguf.GGUFReader(str(path))
    info = {"tensors": len(reader.tensors)}
    for key, field in reader.fields.items():
        if key.startswith(("general.", "adapter.", "pixel.")):
            try:
                value = field.contents()
            except Exception:  # noqa: BLE001 - an odd field is left out, not fatal
                continue
            info[key] = value
    return info


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()
