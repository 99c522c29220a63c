"""Conversations into training examples, in exactly the text modelserve serves.

Every prompt comes from modelserve.prompt.build_prompt, so the format cannot drift from what
generate() sends the model: the same mode token, scene line, speaker labels and cue. The
completion is what the model should write after the cue: a space, the turn on one line, and the
newline at which serving stops (stop_sequences), so the model also learns where a turn ends.

Client mode (a persona's next turn) is taught from every real client turn; counsellor mode from
the counsellor turns of sources whose counsellors are worth imitating (Conversation.counsellor_targets).
"""

import hashlib
import re

from modelserve.prompt import (
    CLIENT,
    CLIENT_MODE,
    COUNSELLOR_MODE,
    DEFAULT_STYLE,
    PROMPT_FORMAT_VERSION,
    TRAINEE,
    Turn,
    build_prompt,
    one_line,
)
from training.data.sources import COUNSELLOR, Conversation

# The data has no client names; served personas do ("Diego Ramírez:"), so each conversation gets a
# made-up one and the model learns to speak under any name rather than only under "Client:".
PSEUDONYMS = ("Alex", "Maria", "Jon", "Aisha", "Tom", "Priya", "Sam Okafor", "Lena", "Wei Chen", "Carlos", "Nadia",
              "Peter", "Grace", "Tomasz", "Yuki", "Fatima", "Daniel", "Rosa Alvarez", "Kwame", "Hannah", "Omar",
              "Ingrid", "Luca", "Mei", "Jamal", "Sofia", "Raj Patel", "Erin", "Ben", "Amara", "Dmitri", "Chloe")
TRIM_STEP = 8  # as modelserve.generate trims old turns: whole blocks, so prompts share prefixes


def persona_for(conv: Conversation) -> dict:
    """The persona card the data can support: a name and what brought the client."""
    digest = int(hashlib.sha256(conv.id.encode()).hexdigest(), 16)
    ctx = conv.context
    problem = ctx.get("presenting_problem") or ""
    if not problem and ctx.get("topic"):
        problem = f"wants to talk about {ctx['topic'].strip().lower()}"
    extras = []
    if ctx.get("problem_type") and ctx.get("emotion"):
        extras.append(f"Feeling {ctx['emotion']} about {ctx['problem_type']}")
    if extras and problem:
        problem = f"{problem.rstrip('.')}. {'. '.join(extras)}"
    persona = {"name": PSEUDONYMS[digest % len(PSEUDONYMS)]}
    if problem:
        persona["presenting_problem"] = problem[:400]
    return persona


def _fit_target(text: str, max_words: int) -> str:
    """TEXT cut at the last sentence end within MAX_WORDS, or "" if no sentence fits."""
    text = one_line(text)
    if len(text.split()) <= max_words:
        return text
    sentences = re.split(r"(?<=[.!?])\s+", text)
    kept, words = [], 0
    for sentence in sentences:
        n = len(sentence.split())
        if words + n > max_words:
            break
        kept.append(sentence)
        words += n
    return " ".join(kept)


def target_key(text: str) -> str:
    """TEXT as the persona guard compares replies: lower-case words only."""
    return " ".join(re.findall(r"[a-z0-9']+", text.lower()))


def conversation_examples(conv: Conversation, *, modes=(CLIENT_MODE, COUNSELLOR_MODE), max_context_turns: int = 16,
                          max_prompt_chars: int = 2400, max_target_words: int = 120, min_target_words: int = 1,
                          drop_repeated_targets: bool = True, stats=None) -> list[dict]:
    """Training examples from CONV. With DROP_REPEATED_TARGETS, a turn that says again, word for word,
    what the same speaker said earlier in the conversation (4 words or more) is not a target: real
    clients do repeat themselves, but a model taught to do it repeats whole replies, which the
    persona guard rejects ("repeats an earlier reply"). The turn still stays in later prompts."""
    persona = persona_for(conv)
    turns = [Turn(CLIENT if u.role == CLIENT else TRAINEE, u.text) for u in conv.turns]
    examples, said = [], {CLIENT: set(), COUNSELLOR: set()}
    for index, utterance in enumerate(conv.turns):
        mode = CLIENT_MODE if utterance.role == CLIENT else COUNSELLOR_MODE
        key = target_key(utterance.text)
        repeated = key in said[utterance.role] and len(key.split()) >= 4
        said[utterance.role].add(key)
        if mode not in modes or (utterance.role == COUNSELLOR and not conv.counsellor_targets):
            continue
        if repeated and drop_repeated_targets:
            if stats is not None:
                stats["repeated_targets"] += 1
            continue
        target = _fit_target(utterance.text, max_target_words)
        if len(target.split()) < min_target_words:
            continue
        start = max(0, index - max_context_turns)
        prompt = build_prompt(persona, turns[start:index], mode, style=DEFAULT_STYLE)
        while len(prompt) > max_prompt_chars and start < index - 1:
            start = min(index - 1, start + TRIM_STEP)
            prompt = build_prompt(persona, turns[start:index], mode, style=DEFAULT_STYLE)
        examples.append({
            "id": f"{conv.id}#{index}",
            "conversation_id": conv.id,
            "group": conv.group,
            "source": conv.source,
            "licence": conv.licence,
            "commercial": conv.commercial,
            "mode": mode,
            "persona": persona,
            "prompt": prompt,
            "completion": f" {target}\n",
            "crisis_level": utterance.meta.get("crisis_level", conv.metadata.get("crisis_level", "none")),
            "context_crisis_level": conv.metadata.get("crisis_level", "none"),
            "quality": conv.metadata.get("quality"),
            "prompt_format_version": PROMPT_FORMAT_VERSION,
        })
    return examples


def split_of(group: str, valid_fraction: float, seed: str = "pixel") -> str:
    """'valid' or 'train', by a hash of the conversation group: no conversation straddles both."""
    bucket = int(hashlib.sha256(f"{seed}:{group}".encode()).hexdigest(), 16) % 10_000
    return "valid" if bucket < valid_fraction * 10_000 else "train"


def packed_sequences(conv: Conversation, targets: set[int], *, max_chars: int = 2400, overlap_turns: int = 4,
                     max_target_words: int = 120) -> list[dict]:
    """CONV's client turns at the indices TARGETS, packed into a few long sequences, each turn a
    target exactly once.

    Serving's prompts are append-only (modelserve.prompt): the prompt for client turn k, followed
    by that turn and the next trainee line, is the prompt for the client's next turn. So one
    sequence header + turns[s:e], with the loss on every client turn in it, teaches each turn from
    exactly the prompt build_prompt(persona, turns[s:k]) serving would send, and reads the shared
    context once instead of once a turn: a pass over every client turn costs about a third of the
    tokens of one example a turn (docs/training.md, "Packed sequences"). A window that would pass
    MAX_CHARS ends; the next starts OVERLAP_TURNS turns back, those turns now context only.

    Rows: {"segments": [[text, is_target], ...]}: the texts joined are the sequence; a target
    segment is the completion serving would stop after (a space, the turn, the newline).
    """
    persona = persona_for(conv)
    turns = [Turn(CLIENT if u.role == CLIENT else TRAINEE, u.text) for u in conv.turns]
    rows, start = [], 0

    def window(first: int, last: int, taught_up_to: int) -> dict | None:
        """The sequence for turns[first:last], targets only among indices not yet taught."""
        segments, text = [], ""
        for k in range(first, last):
            if turns[k].role != CLIENT:
                continue
            prompt = build_prompt(persona, turns[first:k], CLIENT_MODE, style=DEFAULT_STYLE)
            assert prompt.startswith(text), "prompts are append-only"
            target = _fit_target(turns[k].text, max_target_words)
            teach = k in targets and k >= taught_up_to and target == one_line(turns[k].text)
            segments.append([prompt[len(text):], False])
            segments.append([f" {one_line(turns[k].text)}\n", teach])
            text = prompt + segments[-1][0]
        if not any(teach for _, teach in segments):
            return None
        return {"id": f"{conv.id}@{first}-{last}", "conversation_id": conv.id, "group": conv.group,
                "source": conv.source, "licence": conv.licence, "commercial": conv.commercial, "mode": CLIENT_MODE,
                "persona": persona, "segments": _merge_context(segments),
                "targets": sum(1 for _, teach in segments if teach), "prompt_format_version": PROMPT_FORMAT_VERSION}

    taught_up_to = 0
    while start < len(turns):
        end = start + 1
        while end < len(turns) and len(build_prompt(persona, turns[start:end + 1], CLIENT_MODE)) <= max_chars:
            end += 1
        row = window(start, end, taught_up_to)
        if row:
            rows.append(row)
        if end >= len(turns):
            break
        taught_up_to = end
        start = max(start + 1, end - overlap_turns)
    return rows


def _merge_context(segments: list[list]) -> list[list]:
    """Adjacent context segments joined, so a row reads as alternating context and targets."""
    merged = []
    for text, teach in segments:
        if merged and not teach and not merged[-1][1]:
            merged[-1][0] += text
        else:
            merged.append([text, teach])
    return merged
