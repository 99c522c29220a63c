"""The message-level crisis model: a sentence encoder (encoder.py, all-MiniLM-L6-v2 with its top
layers fine-tuned on this task) and one logistic output per level threshold, P(level >= low),
P(>= moderate), P(>= high), P(>= imminent).

It reads a chat message the way a supervisor would, as a whole and sentence by sentence, so a
disclosure in the second sentence of a longer message is not averaged away: the message and each
sentence are scored (encoder.Encoder.pieces), and the highest score at each level counts. A level
is reached when its probability passes the threshold chosen at training time (message_train.py,
on training-side talk the shipped model never read, read the same way).

The artifact (artifact/message_model.npz + .json) holds the fine-tuned layers (float16), the output
weights, the thresholds and the reading they were chosen on (`reading`: "int8", the encoder's linear
layers in int8, encoder.Int8Linear; an artifact without it reads in float32); the rest of the
encoder comes from its pinned package. Stored without pickle.
"""

import re
from pathlib import Path

import numpy as np

from modelserve import sklearn_artifact

from . import encoder as crisis_encoder
from .levels import LEVELS

ARTIFACT_DIR = Path(__file__).resolve().parent / "artifact"
NAME = "message_model"
GRADED = LEVELS[1:]  # one regression per threshold: low, moderate, high, imminent
TUNED = "tuned:"  # prefix of the fine-tuned encoder weights in the npz

# A piece that speaks to "you" and never of "I" is a question or a reflection about someone else
# ("what happens if you go a day without the painkillers?"): a trainee's work, or a client asking
# back, never the speaker's own disclosure. The model is not trusted to tell; these words are.
_FIRST_PERSON = re.compile(r"\b(?:i|i'm|im|i've|ive|i'd|id|i'll|ill|me|my|myself|mine)\b", re.IGNORECASE)
_SECOND_PERSON = re.compile(r"\b(?:you|you're|youre|your|yourself|u|ur|you've|youve|you'd|you'll)\b", re.IGNORECASE)


def addressed_to_another(piece: str) -> bool:
    piece = piece.replace("\u2019", "'")
    return bool(_SECOND_PERSON.search(piece)) and not _FIRST_PERSON.search(piece)


class MessageModel:
    def __init__(self, coef, intercept, meta, encoder=None):
        self.coef, self.intercept, self.meta, self.encoder = coef, intercept, meta, encoder
        self.thresholds = np.array([meta["thresholds"][level] for level in GRADED])

    def probabilities(self, embeddings: np.ndarray) -> np.ndarray:
        """P(level >= k) for each row and each graded level, made non-increasing along the levels."""
        z = embeddings @ self.coef.T + self.intercept
        p = 1.0 / (1.0 + np.exp(-z))
        return np.minimum.accumulate(p, axis=1)

    def level_from(self, probabilities: np.ndarray) -> str:
        reached = [level for level, p, t in zip(GRADED, probabilities, self.thresholds) if p >= t]
        return reached[-1] if reached else "none"

    def _pieces(self, text, encoder=None):
        """(pieces, P(>= level) of each piece); a piece addressed to another person scores 0."""
        pieces = (encoder or self.encoder).pieces(text)
        if not pieces.texts:
            return pieces, np.zeros((0, len(GRADED)))
        probs = self.probabilities(pieces.vectors.astype(np.float64))
        probs[[addressed_to_another(piece) for piece in pieces.texts]] = 0.0
        return pieces, probs

    def read(self, texts) -> np.ndarray:
        """For each text, the highest P(>= level) over its pieces: what score() grades, one row a text."""
        out = np.zeros((len(texts), len(GRADED)))
        for i, text in enumerate(texts):
            _, probs = self._pieces(text)
            if len(probs):
                out[i] = probs.max(axis=0)
        return out

    def score(self, text: str, encoder=None) -> dict:
        """{"level", "probabilities": {level: p}, "span": (start, end) of the piece to quote or None}."""
        pieces, probs = self._pieces(text, encoder)
        if not pieces.texts:
            return {"level": "none", "probabilities": dict.fromkeys(GRADED, 0.0), "span": None}
        best = probs.max(axis=0)
        level = self.level_from(best)
        # The piece to quote: the one that carried the highest level reached.
        column = GRADED.index(level) if level != "none" else 0
        return {"level": level, "probabilities": {k: round(float(p), 4) for k, p in zip(GRADED, best)},
                "span": pieces.spans[int(np.argmax(probs[:, column]))]}


def save(path: Path, coef: np.ndarray, intercept: np.ndarray, tuned: dict, meta: dict, extra: dict | None = None) -> None:
    arrays = {"coef": coef.astype(np.float64), "intercept": intercept.astype(np.float64), **(extra or {})}
    arrays.update({TUNED + name: np.asarray(value, dtype=np.float16) for name, value in tuned.items()})
    sklearn_artifact.save(path, NAME, meta, arrays=arrays)


def load(path: Path = ARTIFACT_DIR) -> MessageModel:
    stored = sklearn_artifact.load(path, NAME)
    tuned = {k[len(TUNED):]: v for k, v in stored.arrays.items() if k.startswith(TUNED)}
    # The thresholds hold for the reading they were chosen on, so the model is read that way.
    encoder = crisis_encoder.Encoder(crisis_encoder.default_path(), tuned, int8=stored.meta.get("reading") == "int8")
    return MessageModel(stored.arrays["coef"], stored.arrays["intercept"], stored.meta, encoder)


_models = sklearn_artifact.PerProcess(lambda path: load(path))


def get(path: Path = ARTIFACT_DIR) -> MessageModel:
    return _models.get(path)
