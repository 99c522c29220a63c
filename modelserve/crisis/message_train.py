"""Training recipe for the message-level crisis model (`manage.py train_crisis_model --message`).

1. Rows: the written statements of the `train` split of TRAINED_BATCHES with their gold level
   (statements.py), and
   ordinary talk from the training parts of the real data sets as level none
   (data.training_negatives). A negative the rules rate moderate or above is left out: it may be a
   real disclosure, and teaching the model that it is ordinary would be the worse mistake.
2. Hold out one fold in DEV_FOLDS, grouped by template (statements) and by conversation (ordinary
   talk), so that it holds wordings and conversations the fit never saw.
3. Fine-tune the encoder's top TUNED_LAYERS and a 4-output head (P(>= low) ... P(>= imminent)) on
   the rest, and record its recall on the held-out statements (the figures in the artifact's
   `held_out`).
4. Fine-tune again on every statement and the fitted folds' ordinary talk: the model that ships.
5. Choose its thresholds on calibration talk it never read: the held-out fold's ordinary talk and
   more training-side counselling turns (data.calibration_negatives), each scored the way check()
   reads a message (the highest of its pieces). Per level, the lowest threshold at which the
   combined detector (the rules' level, or the model over the threshold) flags no more than
   FALSE_ALARM_TARGETS[level] (times CALIBRATION_MARGINS[level] where set) of each source. Chosen
   this way because thresholds chosen on the step-3 model's whole-message scores and carried over
   to the refitted one flagged three times their target on new talk (docs/crisis.md). No `test`
   split is read.

Deterministic on one machine (fixed seed, fold and order); on another CPU the arithmetic differs in
the last bits, so tests/crisis/test_message_model.py checks that a retrain reproduces the
committed artifact's figures within a tolerance rather than bit for bit.
"""

import time
from pathlib import Path

import numpy as np

from . import encoder as crisis_encoder
from . import message_model
from .data import calibration_negatives, training_negatives
from .levels import LEVELS
from .rules import run as run_rules
from .statements import statements

VERSION = "crisis-msg-4"  # 4: rules-5 levels, the second batch of written statements, thresholds with a margin; 3: rules-4
# The most of each source of held-out ordinary talk a level may flag (issue 15's goals: at most 2%
# at the client flag level, 0.5% at moderate); the thresholds are the lowest that keep to them.
# None: the model does not grade that level. Imminent pauses a real trainee's session, and held out
# the model's "imminent" was mostly high statements (precision 0.4): only the rules' explicit words
# (intent with a time, an attempt under way) reach it.
FALSE_ALARM_TARGETS = {"low": 0.02, "moderate": 0.005, "high": 0.003, "imminent": None}
# At moderate, the level of issue 15's false-alarm goal and the client flag level, the threshold
# keeps a margin under its target: one at the edge of the target does not keep it on new talk
# (crisis-msg-3's, chosen at 0.5%, flagged 0.61% of the real clients it was measured on: 1/1.22).
# Only there: flags at high count within moderate's share anyway, and a margin at high left the
# model no room at all, since the rules alone flag 0.2% of the AnnoMI calibration turns at high
# (docs/crisis.md, "The margin").
CALIBRATION_MARGINS = {"moderate": 0.8}
TUNED_LAYERS = 2       # the encoder's top layers that learn; the rest stay as published
EPOCHS, BATCH, MAX_TRAIN_TOKENS = 2, 32, 64
LEARNING_RATES = {"encoder": 4e-5, "head": 2e-3}
# How the shipped model reads: "float32", or "int8" (fitted in float32, then read with the encoder's
# linear layers in int8, encoder.Int8Linear: half the time on one core). Thresholds and held-out
# figures are chosen and measured on this reading, so they hold for the model check() runs. int8
# with the third batch of statements was fitted and measured (crisis-msg-5, docs/crisis.md "Where
# the goals are not met") and not shipped: held out, it caught fewer crisis statements than this.
READING = "float32"
# The batches of written statements the model learns from (statements.WRITTEN_1, _2, _3). The third
# taught the rules (rules-6); a refit on it measured worse and is not shipped (docs/crisis.md).
TRAINED_BATCHES = (1, 2)
DEV_FOLDS, SEED = 5, 0  # one fold in five (by template and conversation) chooses the thresholds


def training_rows(data_dir: Path, log=print) -> list[dict]:
    rows = [{"text": s["text"], "level": s["level"], "group": f"template-{s['template']}", "source": "statements"}
            for s in statements("train") if s["batch"] in TRAINED_BATCHES]
    dropped = 0
    for row in training_negatives(data_dir):
        if LEVELS.index(run_rules(row["text"])["level"]) >= LEVELS.index("moderate"):
            dropped += 1
            continue
        rows.append({**row, "level": "none"})
    log(f"{len(rows)} rows: {sum(r['source'] == 'statements' for r in rows)} written statements, "
        f"{sum(r['source'] != 'statements' for r in rows)} ordinary turns ({dropped} left out: rules say moderate or above)")
    return rows


def targets(rows) -> np.ndarray:
    """One column a graded level: 1 where the row's gold level is at or above it."""
    gold = np.array([LEVELS.index(r["level"]) for r in rows])
    return np.stack([gold >= LEVELS.index(level) for level in message_model.GRADED], axis=1)


def finetune(texts, Y, is_statement, log=print):
    """Fine-tune the top TUNED_LAYERS of the encoder and a 4-output head on TEXTS -> Y (rows x
    levels). Statements and ordinary turns weigh half each. Returns (tuned weights, coef, intercept)."""
    import torch

    torch.manual_seed(SEED)
    rng = np.random.RandomState(SEED)
    encoder = crisis_encoder.Encoder(crisis_encoder.default_path())
    model = encoder.model
    for parameter in model.parameters():
        parameter.requires_grad = False
    for layer in model.encoder.layer[-TUNED_LAYERS:]:
        for parameter in layer.parameters():
            parameter.requires_grad = True
    head = torch.nn.Linear(384, Y.shape[1])
    tuned = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW([{"params": tuned, "lr": LEARNING_RATES["encoder"]},
                                   {"params": head.parameters(), "lr": LEARNING_RATES["head"]}], weight_decay=0.01)
    weight = np.where(is_statement, 0.5 / is_statement.sum(), 0.5 / (~is_statement).sum()) * len(texts)
    targets_t, weight_t = torch.tensor(Y, dtype=torch.float32), torch.tensor(weight, dtype=torch.float32)
    started = time.monotonic()
    model.train()
    for epoch in range(EPOCHS):
        order = rng.permutation(len(texts))
        for step, start in enumerate(range(0, len(order), BATCH)):
            rows = order[start:start + BATCH]
            logits = head(encoder.pool(encoder.tokenise((texts[i] for i in rows), MAX_TRAIN_TOKENS)))
            loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, targets_t[rows], reduction="none")
            loss = (loss.mean(1) * weight_t[rows]).mean()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            if step % 100 == 0:
                log(f"epoch {epoch + 1}/{EPOCHS} step {step}: loss {float(loss.detach()):.4f} ({time.monotonic() - started:.0f} s)")
    model.eval()
    weights = {name: p.detach().numpy().copy() for name, p in model.named_parameters() if p.requires_grad}
    return weights, head.weight.detach().numpy().astype(np.float64), head.bias.detach().numpy().astype(np.float64)


def scorer(tuned, coef, intercept) -> message_model.MessageModel:
    """The fine-tuned model as check() runs it (its read() takes the highest piece of each text)."""
    # Rounded as the artifact stores them, so that thresholds chosen here hold for the saved model.
    tuned = {name: np.asarray(value, dtype=np.float16).astype(np.float32) for name, value in tuned.items()}
    encoder = crisis_encoder.Encoder(crisis_encoder.default_path(), tuned, int8=READING == "int8")
    return message_model.MessageModel(coef, intercept, {"thresholds": dict.fromkeys(message_model.GRADED, 0.5)}, encoder)


def _flagged(probabilities, rule_levels, thresholds) -> np.ndarray:
    """Rows x graded levels: whether the combined detector puts each row at or above each level."""
    flagged = probabilities >= np.array([thresholds[level] for level in message_model.GRADED])
    flagged |= rule_levels[:, None] >= np.arange(1, len(message_model.GRADED) + 1)[None, :]
    # A message is at or above a level when that level or any higher one is reached (level_from).
    return np.logical_or.accumulate(flagged[:, ::-1], axis=1)[:, ::-1]


def flag_rates(probabilities, rule_levels, sources, thresholds) -> dict:
    """{source: {level: share flagged at or above it}} for ordinary talk from SOURCES."""
    flagged = _flagged(probabilities, rule_levels, thresholds)
    return {str(source): {level: round(float(flagged[sources == source, k].mean()), 4)
                     for k, level in enumerate(message_model.GRADED)} for source in sorted(set(sources))}


def figures(probabilities, Y, rows, thresholds, rule_levels) -> dict:
    """The combined detector (rules or this model) on held-out ROWS: recall per level on the
    statements, and the flag rate per level on each source of ordinary talk."""
    flagged = _flagged(probabilities, rule_levels, thresholds)
    sources = np.array([r["source"] for r in rows])
    is_statement = sources == "statements"
    out = {"recall": {}, "flag_rate": flag_rates(probabilities[~is_statement], rule_levels[~is_statement],
                                                 sources[~is_statement], thresholds)}
    for k, level in enumerate(message_model.GRADED):
        positives = is_statement & Y[:, k]
        out["recall"][level] = round(float(flagged[positives, k].mean()), 4)
        below = is_statement & ~Y[:, k]
        out["flag_rate"].setdefault("statements below the level", {})[level] = round(float(flagged[below, k].mean()), 4)
    return out


def calibration_target(level):
    """The most of each source of calibration talk LEVEL's threshold may flag; None: not graded."""
    target = FALSE_ALARM_TARGETS[level]
    return None if target is None else target * CALIBRATION_MARGINS.get(level, 1.0)


def _worst_rate(flagged, masks):
    return max(flagged[m].mean() for m in masks)


def choose_thresholds(probabilities, rule_levels, sources) -> dict:
    """Per level, from the top down, the lowest threshold at which the combined detector (the rules'
    level, or this model at this level or above) flags no more than calibration_target(level) of
    any source of held-out ordinary talk, and of all of it together. A source too small to measure
    a rate that low (fewer than 1/target rows: 20 held-out XSTest prompts cannot show 2%) counts
    only within the whole. Recall is what it is, and is reported."""
    negatives = sources != "statements"
    names = sorted(set(sources[negatives]))
    thresholds, above = {}, np.zeros(negatives.sum(), bool)
    for k in reversed(range(len(message_model.GRADED))):
        level = message_model.GRADED[k]
        target = calibration_target(level)
        if target is None:
            thresholds[level] = 1.0
            above = above | (rule_levels[negatives] >= k + 1)
            continue
        masks = [np.ones(negatives.sum(), bool)] + [
            m for m in (sources[negatives] == name for name in names) if m.sum() * target >= 1]
        scores = probabilities[negatives, k]
        base = above | (rule_levels[negatives] >= k + 1)
        candidates = np.unique(scores)
        lo, hi = 0, len(candidates)  # smallest index whose threshold keeps to the target; len: none does
        while lo < hi:
            mid = (lo + hi) // 2
            if _worst_rate(base | (scores >= candidates[mid]), masks) <= target:
                hi = mid
            else:
                lo = mid + 1
        # Between the highest score of ordinary talk let through and the next one up.
        t = float(np.nextafter(candidates[lo - 1], 1.0)) if 0 < lo < len(candidates) else (
            float(candidates[0]) if lo == 0 else 1.0)
        thresholds[level] = t
        above = base | (scores >= t)
    return {level: thresholds[level] for level in message_model.GRADED}


def train(data_dir: Path, out: Path, log=print) -> dict:
    from sklearn.model_selection import StratifiedGroupKFold

    started = time.monotonic()
    rows = training_rows(data_dir, log)
    texts = [r["text"] for r in rows]
    Y = targets(rows)
    is_statement = np.array([r["source"] == "statements" for r in rows])
    rule_levels = np.array([LEVELS.index(run_rules(t)["level"]) for t in texts])
    folds = StratifiedGroupKFold(DEV_FOLDS, shuffle=True, random_state=SEED)
    fit_rows, dev = next(folds.split(texts, Y.sum(axis=1), [r["group"] for r in rows]))
    # Calibration: the held-out fold's ordinary talk and more training-side turns no fit reads.
    seen = set(texts)
    extra = [r for r in calibration_negatives(data_dir) if r["text"] not in seen]
    dev_negatives = [i for i in dev if not is_statement[i]]
    calibration_texts = [texts[i] for i in dev_negatives] + [r["text"] for r in extra]
    calibration_sources = np.array([rows[i]["source"] for i in dev_negatives] + [r["source"] for r in extra])
    calibration_rules = np.concatenate([rule_levels[dev_negatives],
                                        [LEVELS.index(run_rules(r["text"])["level"]) for r in extra]]).astype(int)
    log(f"fitting on {len(fit_rows)} rows; {len(dev)} held out (other templates and conversations); "
        f"thresholds on {len(calibration_texts)} turns of ordinary talk no fit reads")

    # 1. Held-out figures: a model that never saw the held-out templates, with thresholds chosen
    #    on its own reading of the calibration talk.
    tuned, coef, intercept = finetune([texts[i] for i in fit_rows], Y[fit_rows], is_statement[fit_rows], log)
    model = scorer(tuned, coef, intercept)
    dev_thresholds = choose_thresholds(model.read(calibration_texts), calibration_rules, calibration_sources)
    dev_probabilities = model.read([texts[i] for i in dev])
    dev_rows = [rows[i] for i in dev]
    figures_dev = figures(dev_probabilities, Y[dev], dev_rows, dev_thresholds, rule_levels[dev])
    for level in message_model.GRADED:
        rates = ", ".join(f"{s} {figures_dev['flag_rate'][s][level]:.3f}" for s in figures_dev["flag_rate"])
        log(f"held out, at {level:8} threshold {dev_thresholds[level]:.3f}: recall {figures_dev['recall'][level]:.3f}; flagged: {rates}")

    # 2. The model that ships: every statement and the fitted fold's ordinary talk (the held-out
    #    fold's stays out, for calibration), thresholds chosen on its own reading of the calibration
    #    talk, as check() reads a message (the highest of its pieces).
    log(f"final fit ({time.monotonic() - started:.0f} s)")
    final = np.array(sorted(set(range(len(rows))) - set(dev_negatives)))
    tuned, coef, intercept = finetune([texts[i] for i in final], Y[final], is_statement[final], log)
    model = scorer(tuned, coef, intercept)
    calibration_probabilities = model.read(calibration_texts)
    thresholds = choose_thresholds(calibration_probabilities, calibration_rules, calibration_sources)
    calibration = flag_rates(calibration_probabilities, calibration_rules, calibration_sources, thresholds)
    for level in message_model.GRADED:
        log(f"shipped, at {level:8} threshold {thresholds[level]:.3f}; calibration talk flagged: "
            + ", ".join(f"{s} {calibration[s][level]:.3f}" for s in calibration))
    sample = texts[:: max(1, len(texts) // 40)][:40]
    meta = {
        "version": VERSION,
        "encoder": crisis_encoder.NAME,
        "trained_on": "statements.py split=train; SAD train; XSTest safe prompts, train half; ESConv train+valid seekers and supporters; AnnoMI train transcripts (the held-out fold's ordinary talk left out)",
        "calibrated_on": "the held-out fold's ordinary talk and data.calibration_negatives (training-side turns beyond NEGATIVE_CAPS)",
        "n_rows": len(rows), "n_fitted": len(final), "n_calibration": len(calibration_texts),
        "n_by_level": {level: sum(r["level"] == level for r in rows) for level in LEVELS},
        "n_by_source": {s: sum(r["source"] == s for r in rows) for s in sorted({r["source"] for r in rows})},
        "reading": READING, "trained_batches": list(TRAINED_BATCHES), "tuned_layers": TUNED_LAYERS, "epochs": EPOCHS, "batch": BATCH, "max_train_tokens": MAX_TRAIN_TOKENS,
        "learning_rates": LEARNING_RATES, "seed": SEED, "dev_folds": DEV_FOLDS, "false_alarm_targets": FALSE_ALARM_TARGETS,
        "calibration_margins": CALIBRATION_MARGINS,
        "thresholds": thresholds, "calibration_flag_rate": calibration,
        "held_out_thresholds": dev_thresholds, "held_out": figures_dev,
        "sample": sample,
        "sample_probabilities": model.read(sample).round(4).tolist(),
    }
    # The calibration scores travel with the model, so its thresholds can be checked and re-derived.
    held_out = {"calibration_probabilities": calibration_probabilities.astype(np.float32),
                "calibration_rule_levels": calibration_rules, "calibration_sources": calibration_sources}
    message_model.save(out, coef, intercept, tuned, meta, held_out)
    log(f"wrote {out} in {time.monotonic() - started:.0f} s")
    return meta
