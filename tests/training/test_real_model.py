"""The recipe on the real bundled Gemma 3 270M, and its GGUF adapter in llama.cpp.

One module-scoped run: the bundled GGUF dequantised by transformers (cached as safetensors after
the first run), a deliberately loud LoRA adapter (B starts random) trained 3 steps on 4 real
examples, exported with modelserve.lora_export, loaded by llama-cpp-python through lora_path.

The base weights are the same Q4_K_M values in both frameworks (transformers dequantises them to
fp32; llama.cpp multiplies them quantised, with 8-bit activations), so we compare the adapter's
*effect*: the change in next-token logits that the adapter causes in each framework.
"""

import json

import numpy as np
import pytest
import torch

from modelserve.lora_export import read_adapter_info
from modelserve.prompt import CLIENT_MODE, Turn, build_prompt
from tests.training.conftest import MODEL_CACHE
from training.data.build import BuildOptions, run_pipeline
from training.recipes.lora_single_device import load_config, load_model, train

pytestmark = [pytest.mark.llm, pytest.mark.needs_data("esconv")]

PERSONA = {"name": "Maria", "age": 41, "occupation": "teacher", "presenting_problem": "Can't sleep since her divorce."}
PROMPTS = [
    build_prompt(PERSONA, [Turn("trainee", "What brings you here today?")], CLIENT_MODE),
    build_prompt(PERSONA, [Turn("trainee", "How have you been sleeping?"), Turn("client", "Badly."),
                           Turn("trainee", "Tell me more about that.")], CLIENT_MODE),
    build_prompt(PERSONA, [], CLIENT_MODE),
]
# The adapter's logit change Δ at the last position, compared across the two frameworks over the
# whole 262k vocabulary. Measured: cosine 0.95-0.98, relative error 0.23-0.32 on the hosts of
# issues 9-13; cosine 0.927, relative error 0.388 on an AMD EPYC host (2026-12-01, the same code
# and packages: llama.cpp is compiled for the CPU it runs on, and its 8-bit activation kernels
# round differently). Norm ratio close to 1 on all. A wrong orientation gives a cosine near 0 and
# a wrong alpha a norm ratio off by alpha's factor (test_a_wrong_alpha_...): far outside these.
MIN_DELTA_COSINE = 0.90
MAX_DELTA_REL_ERROR = 0.45  # |Δ_llama - Δ_hf| / |Δ_hf|
NORM_RATIO = (0.8, 1.25)  # |Δ_llama| / |Δ_hf|: a wrong adapter.lora.alpha moves this by alpha's factor


@pytest.fixture(scope="module")
def trained(tmp_path_factory, django_db_blocker):
    out = tmp_path_factory.mktemp("real")
    with django_db_blocker.unblock():
        manifest, rows, valid, _ = run_pipeline(BuildOptions(sources=["esconv"], limit=2, use_role_classifier=False),
                                             __import__("django.conf").conf.settings.PIXEL_DATA_DIR)
    rows = [r for r in rows + valid if r["mode"] == "client" and len(r["prompt"]) < 700][:4]
    assert len(rows) == 4
    (out / "ds").mkdir()
    for name in ("train.jsonl", "valid.jsonl"):
        (out / "ds" / name).write_text("".join(json.dumps(r) + "\n" for r in rows))
    torch.set_num_threads(1)
    device = torch.device("cpu")
    base, tokenizer, info = load_model({"source": "bundled"}, device, torch.float32, cache_root=MODEL_CACHE)
    cfg = load_config(overrides={
        "dataset": {"path": str(out / "ds"), "modes": ["client"], "max_seq_len": 256, "max_valid_examples": 4},
        "lora": {"r": 8, "alpha": 16, "dropout": 0.0, "init_b_std": 0.004},
        "optim": {"lr": 3e-4, "warmup_steps": 0, "scheduler": "constant"},
        "train": {"device": "cpu", "threads": 1, "batch_size": 4, "max_steps": 3, "log_every": 1, "eval_every": 3,
                  "checkpoint_every": 3},
        "output": {"gguf_dtype": "f32"},
    })
    result = train(cfg, out / "run", resume=False, model_and_tokenizer=(base, tokenizer, info))
    return result, base, tokenizer


def test_three_steps_on_the_bundled_model_lower_the_loss(trained):
    result, _, _ = trained
    losses = [h["train_loss"] for h in result.history]
    assert len(losses) == 3 and losses[-1] < losses[0], losses
    assert result.best_val_loss < result.first_val_loss
    assert result.model_info["base_model"] == "gemma-3-270m-q4_k_m.gguf"


def test_the_gguf_adapter_names_the_architecture_alpha_and_every_lora_pair(trained):
    result, _, _ = trained
    info = read_adapter_info(result.gguf_path)
    assert info["general.architecture"] == "gemma3" and info["general.type"] == "adapter"
    assert info["adapter.type"] == "lora" and info["adapter.lora.alpha"] == pytest.approx(16.0)
    assert info["tensors"] == 18 * 7 * 2  # 18 layers x (q, k, v, o, gate, up, down) x (A, B)


class adapters_off:
    """peft injects its LoRA layers into the model in place; switch them off for a base-model pass."""

    def __init__(self, model):
        from peft.tuners.tuners_utils import BaseTunerLayer

        self.layers = [m for m in model.modules() if isinstance(m, BaseTunerLayer)]

    def __enter__(self):
        for layer in self.layers:
            layer.enable_adapters(False)

    def __exit__(self, *exc):
        for layer in self.layers:
            layer.enable_adapters(True)


def _hf_last_logits(model, ids):
    with torch.no_grad():
        return model(input_ids=torch.tensor([ids])).logits[0, -1].double().numpy()


def _llama_last_logits(llm, ids):
    llm.reset()
    llm.eval(ids)
    return np.asarray(llm.scores[len(ids) - 1], dtype=np.float64)


def _deltas(peft_model, gguf_path):
    from modelserve.backends.llama import load_llama
    from modelserve.conf import bundled_model_path

    peft_model.eval()
    kwargs = dict(model_path=str(bundled_model_path()), n_ctx=256, n_threads=1, n_threads_batch=1, verbose=False,
                  logits_all=True)
    # load_llama: modelserve's loader, without the AMX buffers that crash on this kind of host.
    plain, adapted = load_llama(**kwargs), load_llama(lora_path=str(gguf_path), **kwargs)
    rows = []
    for prompt in PROMPTS:
        ids = plain.tokenize(prompt.encode(), add_bos=True, special=False)
        hf_on = _hf_last_logits(peft_model, ids)
        with adapters_off(peft_model):
            hf_off = _hf_last_logits(peft_model, ids)
        ll_off, ll_on = _llama_last_logits(plain, ids), _llama_last_logits(adapted, ids)
        rows.append((hf_off, hf_on, ll_off, ll_on))
    plain.close()
    adapted.close()
    return rows


def test_llama_cpp_with_the_adapter_changes_logits_as_transformers_with_peft_does(trained):
    result, peft_model, _ = trained
    for hf_off, hf_on, ll_off, ll_on in _deltas(peft_model, result.gguf_path):
        d_hf, d_ll = hf_on - hf_off, ll_on - ll_off
        cosine = float(d_hf @ d_ll / np.linalg.norm(d_hf) / np.linalg.norm(d_ll))
        rel = float(np.linalg.norm(d_ll - d_hf) / np.linalg.norm(d_hf))
        ratio = float(np.linalg.norm(d_ll) / np.linalg.norm(d_hf))
        print(f"delta cosine {cosine:.4f}, relative error {rel:.4f}, norm ratio {ratio:.3f}, "
              f"|delta| {np.linalg.norm(d_hf):.1f}, base top-1 agree {int(np.argmax(hf_off) == np.argmax(ll_off))}")
        assert np.linalg.norm(d_hf) > 0.05 * np.linalg.norm(hf_off)  # the adapter is loud: it matters
        assert cosine >= MIN_DELTA_COSINE and rel <= MAX_DELTA_REL_ERROR and NORM_RATIO[0] <= ratio <= NORM_RATIO[1]
        # And the adapted models agree on what comes next.
        assert np.argmax(ll_on) in np.argsort(hf_on)[-3:]


def test_a_wrong_alpha_in_the_gguf_shows_as_a_wrong_effect(trained, tmp_path):
    from safetensors.numpy import load_file

    from modelserve.lora_export import gguf_tensor_pairs, write_gguf_adapter

    result, peft_model, _ = trained
    pairs = gguf_tensor_pairs(load_file(f"{result.adapter_dir}/adapter_model.safetensors"), "gemma3", 18)
    # alpha 4 instead of 16: llama.cpp would scale B·A by 0.5 where peft scales it by 2.
    quarter = write_gguf_adapter(pairs, tmp_path / "quarter.gguf", arch="gemma3", alpha=4.0, dtype="f32")
    hf_off, hf_on, ll_off, ll_on = _deltas(peft_model, quarter)[0]
    d_hf, d_ll = hf_on - hf_off, ll_on - ll_off
    assert np.linalg.norm(d_ll) / np.linalg.norm(d_hf) < NORM_RATIO[0]
    assert np.linalg.norm(d_ll - d_hf) / np.linalg.norm(d_hf) > MAX_DELTA_REL_ERROR


def test_the_tokenizers_agree_on_dataset_prompts(trained):
    from modelserve.backends.llama import load_llama
    from modelserve.conf import bundled_model_path

    _, _, tokenizer = trained
    llm = load_llama(model_path=str(bundled_model_path()), n_ctx=256, n_threads=1, verbose=False, vocab_only=True)
    for prompt in PROMPTS:
        text = prompt + " I don't know… it's <eos> hard.\n"
        assert tokenizer(text, split_special_tokens=True).input_ids == llm.tokenize(text.encode(), add_bos=True, special=False)
