"""The text a model continues to speak as the client (or the counsellor).

The prompt is a transcript, not a chat: the bundled Gemma 3 270M is a base model without a chat
template, and it stays in role far more often when asked to continue "Name:" lines than when
addressed as an assistant (docs/modelserve.md, "Prompt variants"). The training pipeline writes
its examples with build_prompt too, so a fine-tuned model sees the same format it is served.

Prompts are append-only: for one persona, the prompt for a longer transcript extends the prompt
for a shorter one (whenever the model's own role spoke next), so a backend can keep the evaluated
prefix in its KV cache and only read the new turns.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

# Bump when the rendered text changes: fine-tuned adapters and saved KV states are only valid
# for the format they were made with.
# 2: the client introduces themselves (the card's facts in their own words) at the start of the
# transcript, and the scene no longer asks for short, guarded turns.
PROMPT_FORMAT_VERSION = "2"

CLIENT_MODE = "client"
COUNSELLOR_MODE = "counsellor"
MODE_TOKENS = {
    CLIENT_MODE: "<pixel:client>",
    COUNSELLOR_MODE: "<pixel:counsellor>",
}

TRAINEE = "trainee"
CLIENT = "client"
TRAINEE_LABEL = "Therapist"
DEFAULT_CLIENT_NAME = "Client"

# Gemma's chat markers and end-of-text tokens: never part of a reply.
MODEL_MARKERS = ("<start_of_turn>", "<end_of_turn>", "<eos>", "<bos>", "<pad>")

# Format 1 said "is guarded and says little" and "one short turn at a time": the model obliged
# with "I'm not sure." turn after turn. How open the client is now comes from the session's state
# (simulator.clientstate), not from a fixed line in the header.
STYLE_PHRASES = {
    "plain": "speaks plainly",
    "verbose": "talks at length, with lots of detail",
    "tangential": "drifts onto side topics",
    "upset": "is upset and emotional",
    "reserved": "is reserved at first and chooses words carefully",
    "pleasing": "is eager to please and agrees readily",
}
INTAKE_QUESTION = "Before we start, could you tell me a little about yourself?"


@dataclass(frozen=True)
class Turn:
    role: str  # TRAINEE or CLIENT
    text: str

    def __post_init__(self):
        if self.role not in (TRAINEE, CLIENT):
            raise ValueError(f"Turn.role must be {TRAINEE!r} or {CLIENT!r}, not {self.role!r}")


@dataclass(frozen=True)
class PromptStyle:
    """What the header tells the model; prompt_eval compares these on the bundled model."""

    example: bool = True  # one example exchange from the persona, before the session
    card: str = "short"  # "none": scene only; "short": a few facts; "full": beliefs and secrets too


DEFAULT_STYLE = PromptStyle()


@dataclass(frozen=True)
class ClientContext:
    """What the session knows about the client this turn, beyond the transcript.

    Built by the simulator from the client's state (simulator.clientstate) and passed to
    modelserve.generate.generate(context=...). Every field is optional: the empty context is a
    client with nothing unlocked, in an ordinary mood.
    """

    # "guarded", "opening up", "distressed" or "" (ordinary): how the reply should sound.
    mood: str = ""
    # The state allows a short or evasive reply this turn (a guarded client may deflect once).
    guarded: bool = False
    # Hidden material unlocked so far, oldest first: (id, first-person text the client may say).
    disclosures: tuple[tuple[str, str], ...] = ()
    # Disclosures unlocked by the trainee's last message (ids): the reply should start on one.
    newly_unlocked: tuple[str, ...] = ()


def client_name(persona: Mapping) -> str:
    name = one_line(str(persona.get("name") or "")).replace(":", "")
    return name or DEFAULT_CLIENT_NAME


def speaker_label(persona: Mapping, role: str) -> str:
    return TRAINEE_LABEL if role == TRAINEE else client_name(persona)


def one_line(text: str) -> str:
    """Collapse whitespace so a turn cannot start a new line and forge another speaker."""
    return re.sub(r"\s+", " ", text).strip()


# Anything shaped like a control token: Gemma's (<start_of_turn>, <end_of_turn>, <bos>, <eos>,
# <pad>, <unused0>, <start_of_image>), Pixel's mode tokens (<pixel:client>), other templates'
# (<|im_start|>, [INST], <<SYS>>). llama.cpp here reads them as plain text, but a server behind the
# OpenAI-compatible backend parses special tokens in the prompt it is sent.
_CONTROL_TOKEN = re.compile(r"<\|?/?[a-z_@][\w:|.@-]*\|?>|\[/?inst\]|\[@?[a-z]+@?\]", re.IGNORECASE)
# The speaker and section labels a prompt is made of (TRAINEE_LABEL, the client's name, _header's
# and _card's sections), and the role names a model has seen in other transcripts. Followed by a
# colon (or a look-alike), one of them inside a turn reads to the model as a new turn or section.
_LABEL_WORDS = ("therapist", "counsell?or", "client", "patient", "assistant", "user", "human", "ai", "model",
                "system", "bot", "doctor", "dr", "interviewer", "session transcript", "example from an earlier session",
                "background", "lives", "culture", "attachment", "believes", "often thinks", "copes by", "defences",
                "risk", r"keeps private unless[^:\uff1a\ufe55\ua789\u2236]{0,200}")
_COLON = r"\s*[:\uff1a\ufe55\ua789\u2236]"
# Invisible characters someone could hide inside a label ("Thera\u200bpist:") to slip past it.
_INVISIBLE = re.compile(r"[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")


def prompt_text(text: str, persona: Mapping) -> str:
    """A turn's text as the prompt carries it: one line, with control tokens and speaker or
    section labels made inert, so that what a trainee types cannot end their turn, open another
    speaker's or rewrite the header (docs/modelserve.md, "Trainee text cannot forge the prompt").

    Only the prompt is changed: the stored message and what anyone is shown stay as typed. Text
    without such markers renders exactly as before, so PROMPT_FORMAT_VERSION (and the adapters
    and saved KV states made for it) still hold.
    """
    text = one_line(_INVISIBLE.sub("", text))
    text = _CONTROL_TOKEN.sub(lambda m: m.group().replace("<", "\u2039").replace(">", "\u203a")
                              .replace("[", "(").replace("]", ")"), text)
    names = {client_name(persona), client_name(persona).split()[0], DEFAULT_CLIENT_NAME, TRAINEE_LABEL}
    labels = "|".join([*(re.escape(n) for n in sorted(names, key=len, reverse=True)), *_LABEL_WORDS])
    return re.sub(rf"(?<![\w-])({labels}){_COLON}", r"\1 -", text, flags=re.IGNORECASE)


def build_prompt(persona: Mapping, turns: Sequence[Turn], mode: str = CLIENT_MODE, *,
                 style: PromptStyle = DEFAULT_STYLE) -> str:
    if mode not in MODE_TOKENS:
        raise ValueError(f"unknown mode {mode!r}")
    parts = [_header(persona, mode, style)]
    for turn in turns:
        parts.append(f"{speaker_label(persona, turn.role)}: {prompt_text(turn.text, persona)}\n")
    model_role = CLIENT if mode == CLIENT_MODE else TRAINEE
    # The cue names the model's speaker only when it is that speaker's turn. Leaving it off after
    # the model's own turn keeps the prompt a prefix of the next one, whoever speaks next.
    if not turns or turns[-1].role != model_role:
        parts.append(f"{speaker_label(persona, model_role)}:")
    return "".join(parts)


def stop_sequences(persona: Mapping, mode: str = CLIENT_MODE) -> list[str]:
    """Where a reply ends: each turn is one line, and the other speaker's label starts their turn."""
    other = TRAINEE_LABEL if mode == CLIENT_MODE else client_name(persona)
    return ["\n", f"{other}:", *MODEL_MARKERS, *MODE_TOKENS.values()]


def _header(persona: Mapping, mode: str, style: PromptStyle) -> str:
    name = client_name(persona)
    lines = [MODE_TOKENS[mode], _scene(persona, name, mode, style)]
    if style.card == "full":
        lines.extend(_card(persona, name))
    example = "\n".join(filter(None, [_intake(persona, mode), _example(persona, name) if style.example else ""]))
    if example:
        lines.append("")
        lines.append(f"Example from an earlier session:\n{example}")
    lines.append("")
    lines.append("Session transcript:")
    return "\n".join(lines) + "\n"


def _scene(persona: Mapping, name: str, mode: str, style: PromptStyle) -> str:
    who = name
    if style.card != "none":
        details = [str(persona[key]) for key in ("age", "occupation") if persona.get(key)]
        if details:
            who = f"{name} ({', '.join(details)})"
    scene = f"A counselling session. {who} is the client and talks with a therapist."
    if style.card != "none" and persona.get("presenting_problem"):
        scene += f" {name} has come because of this: {one_line(str(persona['presenting_problem']))}"
        if not scene.endswith("."):
            scene += "."
    phrase = STYLE_PHRASES.get(str(persona.get("conversational_style") or ""))
    if phrase:
        scene += f" {name} {phrase}."
    if mode == CLIENT_MODE:
        scene += f" {name} speaks in the first person, about their own life, in their own words."
    else:
        scene += " The therapist listens, reflects and asks one open question at a time."
    return scene


def _intake(persona: Mapping, mode: str) -> str:
    """The client saying who they are in an earlier session: the card's basic facts in the
    client's own words, where the 270M model picks them up (docs/simulator.md, "How the client
    stays one person"). Fixed per persona, so it stays inside the cached prefix."""
    if mode != CLIENT_MODE:
        return ""
    from modelserve.facts import intro_lines

    lines = intro_lines(persona)
    if not lines:
        return ""
    return f"{TRAINEE_LABEL}: {INTAKE_QUESTION}\n{client_name(persona)}: {one_line(lines[0])}"


def _card(persona: Mapping, name: str) -> list[str]:
    """Richer notes for larger models; the 270M model tends to recite them."""
    lines = []
    for key, label in (("history", "Background"), ("living_situation", "Lives"),
                       ("cultural_background", "Culture"), ("attachment_style", "Attachment")):
        if persona.get(key):
            lines.append(f"{label}: {one_line(str(persona[key]))}")
    for key, label in (("core_beliefs", "Believes"), ("automatic_thoughts", "Often thinks"),
                       ("coping_behaviours", "Copes by"), ("defences", "Defences")):
        values = [one_line(str(v)) for v in persona.get(key) or [] if str(v).strip()]
        if values:
            lines.append(f"{label}: {'; '.join(values)}")
    if persona.get("hidden"):
        condition = one_line(str(persona.get("disclosure_conditions") or "the therapist has earned trust"))
        lines.append(f"Keeps private unless {condition}: {one_line(str(persona['hidden']))}")
    risk = persona.get("risk_profile") or {}
    if isinstance(risk, Mapping) and risk.get("summary"):
        lines.append(f"Risk: {one_line(str(risk['summary']))}")
    return lines


def _example(persona: Mapping, name: str) -> str:
    exchange = persona.get("example_exchange") or []
    for pair in exchange:
        if isinstance(pair, Mapping) and pair.get("therapist") and pair.get("client"):
            return f"{TRAINEE_LABEL}: {one_line(pair['therapist'])}\n{name}: {one_line(pair['client'])}"
    return ""
