"""Preference pairs against the client's failure modes (docs/training.md, "Preference training").

A pair is a real client context (a prompt in serving's format), a chosen reply and a rejected one:

    {"prompt", "chosen", "rejected", "kind", "origin", "context_id"}

chosen is what the real client said next (the dataset's completion); rejected is a reply that
fails the way the persona model fails, of one of FAILURE_KINDS:

- nonanswer: says nothing ("I'm not sure.", three words or fewer);
- repeat: says again what the client already said in this conversation;
- contradiction: contradicts the card (another age, another name, a spouse the card lacks);
- counsellor: speaks as the therapist (reflects, asks the client questions, gives advice).

origin "model": the serving model's own sample at that context, kept when it fails (what the issue
calls the model's failures, found with the same checks the persona guard uses). origin
"synthetic": made from the data when the model did not fail often enough there to teach the
kind: a stock evasion, an earlier client turn of the same conversation, a counsellor's turn of
another conversation, or a card answer with a fact swapped. Contradiction pairs need card facts,
which the corpora do not have, so they use made-up cards (never the scenario library's, which
the evaluation interviews).

The checks here are the serving guard's (modelserve.guard, modelserve.facts, modelserve.roleclf),
not the evaluation's own definitions (training.realism), so the evaluation stays an independent
judge of whether preference training helped.
"""

import hashlib
import json
import random
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import islice
from pathlib import Path

from modelserve import guard, roleclf
from modelserve.facts import Ledger, card_answers, contradictions, fact_answer
from modelserve.prompt import CLIENT_MODE, TRAINEE_LABEL, Turn, build_prompt, client_name

FAILURE_KINDS = ("nonanswer", "repeat", "contradiction", "counsellor")
# What a client says when the model has nothing to say: the evasions the guard rejects.
STOCK_NONANSWERS = ("I'm not sure.", "I don't know.", "I don't know, really.", "Nothing really.", "I guess so.",
                    "I'm fine.", "Um, I'm not sure.", "I don't really know what to say.", "It's okay.", "Yeah.")
MIN_COUNSELLOR_WORDS = 6  # the role classifier reads short lines poorly

Sampler = Callable[[dict, int], list[str]]  # (context row, how many) -> replies


def context_turns(row: Mapping) -> list[Turn]:
    """The transcript turns of a dataset row's prompt (after "Session transcript:")."""
    name = client_name(row["persona"])
    body = row["prompt"].split("Session transcript:\n", 1)[-1]
    turns = []
    for line in body.split("\n"):
        for label, role in ((f"{TRAINEE_LABEL}:", "trainee"), (f"{name}:", "client")):
            if line.startswith(label) and line[len(label):].strip():
                turns.append(Turn(role, line[len(label):].strip()))
    return turns


def failure_kind(reply: str, persona: Mapping, turns: Sequence[Turn]) -> str | None:
    """Which of FAILURE_KINDS REPLY shows at this context (the first that applies), or None."""
    text = reply.strip()
    if not text:
        return "nonanswer"
    earlier = [t.text for t in turns if t.role == "client"]
    if contradictions(text, persona, Ledger(earlier)):
        return "contradiction"
    if guard.is_nonanswer(text):
        return "nonanswer"
    if guard.repeats_earlier(text, earlier):
        return "repeat"
    if len(text.split()) >= MIN_COUNSELLOR_WORDS and roleclf.artifact_exists() and roleclf.out_of_role([text])[0]:
        return "counsellor"
    return None


def _pair(row: Mapping, rejected: str, kind: str, origin: str) -> dict:
    return {"prompt": row["prompt"], "chosen": row["completion"], "rejected": f" {rejected.strip()}\n", "kind": kind,
            "origin": origin, "context_id": row.get("id", ""), "source": row.get("source", "")}


def _usable(row: Mapping) -> bool:
    """A context whose real next turn is itself not a failure: it must be worth preferring."""
    return row.get("mode") == CLIENT_MODE and failure_kind(row["completion"], row["persona"], context_turns(row)) is None


def synthetic_rejected(row: Mapping, kind: str, rng: random.Random, counsellor_lines: Sequence[str] = ()) -> str | None:
    """A rejected reply of KIND for ROW made from the data, or None where the context cannot have one."""
    turns = context_turns(row)
    if kind == "nonanswer":
        return rng.choice(STOCK_NONANSWERS)
    if kind == "repeat":
        earlier = [t.text for t in turns if t.role == "client" and len(t.text.split()) >= 4]
        return rng.choice(earlier) if earlier else None
    if kind == "counsellor":
        lines = [c for c in counsellor_lines if len(c.split()) >= MIN_COUNSELLOR_WORDS]
        return rng.choice(lines) if lines else None
    return None


# ---------------------------------------------------------------- contradictions on made-up cards

_FIRST = ("Marta", "Owen", "Leila", "Callum", "Ines", "Tunde", "Greta", "Hamid", "Niamh", "Ravi", "Sunita", "Bram",
          "Cora", "Emeka", "Freya", "Joon", "Katya", "Malik", "Orla", "Pavel")
_SURNAMES = ("Novak", "Byrne", "Haddad", "Moreau", "Osei", "Adeyemi", "Kaur", "Fischer", "Ito", "Mensah")
_JOBS = ("Bus driver", "Pharmacist", "Warehouse supervisor", "Primary school teacher", "Nurse on a surgical ward",
         "Software tester", "Hairdresser", "Electrician", "Civil servant", "Chef in a hotel kitchen")
_HOMES = (("Lives alone in a rented flat", {}), ("Lives with her husband {p}", {"pronouns": "she/her"}),
          ("Lives with his wife {p}", {"pronouns": "he/him"}), ("Lives with their partner {p} and two cats", {"pronouns": "they/them"}),
          ("Lives with his mother", {"pronouns": "he/him"}), ("Shares a house with two friends", {}))
_PARTNERS = ("Sam", "Dana", "Chris", "Rowan", "Alex", "Jamie")
# (the card's presenting problem, what the client says of it)
_PROBLEMS = (("Feels low since moving to a new city", "I've felt low ever since we moved here."),
             ("Cannot sleep and worries about money", "I can't sleep, and I worry about money all the time."),
             ("Grieving a close friend who died in the spring", "My best friend died in the spring. I can't get past it."),
             ("Arguments at home; feels on edge", "Things at home are tense. We argue and I'm on edge all the time."),
             ("Lost confidence at work after a reorganisation", "Since the reorganisation at work I don't trust myself."))
_FACT_QUESTIONS = (("How old are you, if you don't mind me asking?", "age"), ("What's your name?", "name"),
                   ("What do you do for work?", "work"), ("Who do you live with?", "home"))


def made_up_card(rng: random.Random) -> dict:
    home, extra = rng.choice(_HOMES)
    card = {"name": f"{rng.choice(_FIRST)} {rng.choice(_SURNAMES)}", "age": rng.randint(19, 78),
            "pronouns": extra.get("pronouns") or rng.choice(("she/her", "he/him", "they/them")),
            "occupation": rng.choice(_JOBS), "living_situation": home.format(p=rng.choice(_PARTNERS)),
            "presenting_problem": rng.choice(_PROBLEMS)[0]}
    return card


def _swap_fact(card: Mapping, answer: str, field: str, rng: random.Random) -> str | None:
    """ANSWER with the FIELD fact changed so that it contradicts CARD."""
    if field == "age":
        wrong = card["age"] + rng.choice((-17, -9, -5, 6, 11, 14))
        return re.sub(rf"\b{card['age']}\b", str(wrong), answer) if str(card["age"]) in answer else f"I'm {wrong}."
    if field == "name":
        first = card["name"].split()[0]
        other = rng.choice([n for n in _FIRST if n != first])
        return answer.replace(first, other) if first in answer else f"I'm {other}."
    if field == "home":
        return "I live on my own." if "alone" not in card["living_situation"].lower() else "I live with my husband."
    if field == "work":
        return "I'm out of work at the moment."
    return None


def contradiction_pairs(n: int, seed: int = 0) -> list[dict]:
    """N pairs on made-up cards: chosen = the card's answer to a fact question, rejected = the same
    answer with the fact changed, kept only when the serving guard's contradiction check sees it."""
    rng = random.Random(f"contradiction:{seed}")
    pairs, tries = [], 0
    while len(pairs) < n and tries < n * 20:
        tries += 1
        card = made_up_card(rng)
        question, field = rng.choice(_FACT_QUESTIONS)
        said = dict(_PROBLEMS)[card["presenting_problem"]]
        turns = [Turn("trainee", "Hi, thanks for coming in. What brings you here today?"), Turn("client", said),
                 Turn("trainee", question)]
        answers = card_answers(card)
        chosen = fact_answer(card, [field], question) or answers.get(field, "")
        rejected = _swap_fact(card, chosen, field, rng) if chosen else None
        if not chosen or not rejected or not contradictions(rejected, card, Ledger([turns[1].text])):
            continue
        if contradictions(chosen, card, Ledger([turns[1].text])):
            continue
        prompt = build_prompt(card, turns, CLIENT_MODE)
        pairs.append({"prompt": prompt, "chosen": f" {chosen}\n", "rejected": f" {rejected}\n", "kind": "contradiction",
                      "origin": "synthetic", "context_id": f"card:{seed}:{len(pairs)}", "source": "made-up card"})
    return pairs


# ---------------------------------------------------------------- the builder

def build_pairs(rows: Iterable[Mapping], *, sampler: Sampler | None = None, samples_per_context: int = 2,
                per_kind: int = 200, contexts: int = 600, counsellor_lines: Sequence[str] = (), seed: int = 0,
                progress: Callable[[int, int], None] | None = None) -> tuple[list[dict], dict]:
    """(pairs, report). Up to PER_KIND pairs of each kind: the model's own failures first (SAMPLER
    run at CONTEXTS real contexts), then synthetic ones for what is missing. The report counts the
    model's samples by failure kind: the failure share before preference training."""
    rng = random.Random(seed)
    rows = list(rows)
    rng.shuffle(rows)
    # Checked lazily: the checks cost ~2 ms a row, and a dataset has tens of thousands.
    usable = (r for r in rows if _usable(r))
    chosen_contexts = list(islice(usable, contexts if sampler is not None else 0))
    spare = list(islice(usable, per_kind * 6))  # contexts for synthetic pairs: fresh ones first
    pairs, sampled, by_kind = [], 0, Counter()
    if sampler is not None:
        for i, row in enumerate(chosen_contexts):
            turns = context_turns(row)
            for reply in sampler(row, samples_per_context):
                sampled += 1
                kind = failure_kind(reply, row["persona"], turns)
                by_kind[kind or "ok"] += 1
                if kind and kind != "contradiction" and sum(p["kind"] == kind for p in pairs) < per_kind:
                    pairs.append(_pair(row, reply, kind, "model"))
            if progress:
                progress(i + 1, len(chosen_contexts))
    for kind in ("nonanswer", "repeat", "counsellor"):
        have = sum(p["kind"] == kind for p in pairs)
        for row in spare + chosen_contexts:
            if have >= per_kind:
                break
            rejected = synthetic_rejected(row, kind, rng, counsellor_lines)
            if rejected and failure_kind(rejected, row["persona"], context_turns(row)) == kind:
                pairs.append(_pair(row, rejected, kind, "synthetic"))
                have += 1
    pairs += contradiction_pairs(per_kind, seed)
    report = {"contexts": len(chosen_contexts), "samples": sampled,
              "model_failures": {k: by_kind[k] for k in (*FAILURE_KINDS, "ok")},
              "model_failure_share": round(1 - by_kind["ok"] / sampled, 4) if sampled else None,
              "pairs": dict(Counter(p["kind"] for p in pairs)),
              "pairs_by_origin": dict(Counter(f"{p['kind']}/{p['origin']}" for p in pairs))}
    return pairs, report


def failure_share(rows: Iterable[Mapping], sampler: Sampler, samples_per_context: int = 1) -> dict:
    """Share of SAMPLER's replies at ROWS' contexts that show a failure kind, and by kind."""
    by_kind, n = Counter(), 0
    for row in rows:
        turns = context_turns(row)
        for reply in sampler(row, samples_per_context):
            n += 1
            by_kind[failure_kind(reply, row["persona"], turns) or "ok"] += 1
    return {"samples": n, "failure_share": round(1 - by_kind["ok"] / n, 4) if n else None,
            **{k: round(by_kind[k] / n, 4) if n else None for k in FAILURE_KINDS}}


def llama_sampler(backend, temperature: float = 0.7, max_tokens: int = 60) -> Sampler:
    """Replies from a modelserve backend at a row's prompt, as serving samples them (one line)."""
    from modelserve.prompt import stop_sequences

    def sample(row, n):
        out = []
        for i in range(n):
            seed = int(hashlib.sha256(f"{row.get('id')}:{i}".encode()).hexdigest()[:8], 16)
            text = "".join(backend.stream(row["prompt"], max_tokens=max_tokens, temperature=temperature,
                                          stop=stop_sequences(row["persona"]), seed=seed))
            out.append(text.strip())
        return out

    return sample


def write_pairs(path: Path, pairs: list[dict]) -> str:
    """Write PAIRS as JSONL, as the dataset files are written; the SHA-256 of the file."""
    from training.data.build import _write_jsonl

    return _write_jsonl(path, pairs)


def read_pairs(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]
