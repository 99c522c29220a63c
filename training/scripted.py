"""Scripted trainees: JSONL scripts, and playing one through a scenario as a transcript.

`manage.py simulate` prints what `play` returns; `evaluate_model` scores it. Both go through the
simulator's own scripted-run action (simulator.actions.do_scripted_run: the checks, the crisis
check and the recording a live session gets) with simulator.replies.generate_reply writing each
reply, so a transcript here is what a trainee in the browser would have seen.
"""


from modelserve.jsonl import objects
from simulator import actions, replies
from simulator.models import Message

# play(details=True) adds these for the evaluation; a printed transcript leaves them out.
DETAIL_KEYS = ("reply_to", "fallback", "breaks", "state")


class ScriptError(ValueError):
    """A script file that cannot be played; the message names the file and line."""


def read_script_items(path):
    """The script's lines as objects ({"text", ...}; a facts script's lines also carry "expect")."""
    lines = []
    for number, item in objects(path, ScriptError):
        if not isinstance(item.get("text"), str) or not item["text"].strip():
            raise ScriptError(f'{path}:{number}: each line must be an object with a non-empty "text"')
        lines.append(item)
    if not lines:
        raise ScriptError(f"{path}: no lines to play")
    return lines


def play(scenario, lines, backend=None, details=False):
    """Play LINES through SCENARIO with BACKEND (None: whatever serves now); the transcript as a dict
    {"scenario", "model", "turns", "protocol_pauses"}."""
    session, protocol_pauses = actions.do_scripted_run(
        scenario, lines, lambda session, seq: replies.generate_reply(session.pk, seq, backend=backend)
    )
    model = session.messages.filter(role=Message.CLIENT).exclude(model_name="").values_list("model_name", flat=True).first()
    states = dict(session.messages.filter(role=Message.TRAINEE).values_list("seq", "client_state"))
    turns = [
        {"role": m.role, "text": m.text, "seconds": m.seconds or 0.0, "regenerations": m.regenerations}
        # details: what evaluate_model scores (which trainee line a reply answers, the persona
        # guard's catches, the fallback) beside the transcript,
        | ({"reply_to": m.reply_to, "fallback": m.fallback, "breaks": m.guard_breaks} if details else {})
        # and the client's state after the trainee line this reply answers (simulator.clientstate).
        | ({"state": states.get(m.reply_to) or {}} if details and m.role == Message.CLIENT else {})
        for m in session.messages.order_by("seq")
    ]
    return {"scenario": scenario.slug, "model": model or "", "turns": turns, "protocol_pauses": protocol_pauses}
