"""The recording: one ordered sequence of messages and events, the same for replay and exports."""

from simulator.models import Message
from supervision.exports import flag_count, recording, stats, timeline
from tests.supervision.conftest import OPENING, QUESTION, RISK_TEXT


def test_replay_order_is_seq_order(recorded):
    items = recording(recorded)
    assert [i["seq"] for i in items] == list(range(1, 11))
    kinds = [i["role"] if i["type"] == "message" else i["kind"] for i in items]
    assert kinds == [
        "client", "trainee", "client", "crisis_flag", "whisper", "trainee", "paused", "resumed", "client", "ended",
    ]  # fmt: skip
    assert [i["offset"] for i in items] == sorted(i["offset"] for i in items)
    assert items[0]["text"] == OPENING and items[5]["text"] == QUESTION


def test_order_follows_seq_even_when_clocks_disagree(recorded):
    # A message stored with an earlier wall-clock time still replays in storage order.
    Message.objects.filter(session=recorded, seq=9).update(created_at=recorded.started_at)
    assert [i["seq"] for i in recording(recorded)] == list(range(1, 11))


def test_recording_carries_guard_data_model_and_crisis_verdict(recorded):
    items = {i["seq"]: i for i in recording(recorded)}
    assert items[3]["flagged"] and items[3]["crisis_level"] == "high"
    assert items[3]["crisis_categories"] == ["suicidal ideation"]
    assert items[9]["regenerations"] == 1 and items[9]["guard_breaks"] == ["assistant_talk"]
    assert items[9]["model"] == "gemma-3-270m"
    assert items[5]["text"] == "Ask directly about suicide." and items[5]["actor"] == "Supervisor"


def test_trainee_recording_leaves_out_flags(recorded):
    items = recording(recorded, for_trainee=True)
    assert all(i.get("kind") not in ("crisis_flag", "crisis_escalation") for i in items)
    assert all("crisis_level" not in i and "flagged" not in i for i in items)
    assert any(i.get("text") == RISK_TEXT for i in items)


def test_a_flag_event_about_a_flagged_message_counts_once(recorded):
    items = recording(recorded)
    assert flag_count(items) == 1
    s = stats(recorded, items)
    assert s["trainee_turns"] == 2 and s["client_turns"] == 3 and s["duration"] == "3 min"


def test_timeline_marks_flags_whispers_pauses_and_annotations(recorded, supervisor):
    from supervision.actions import do_annotate

    annotation = do_annotate(supervisor, recorded, 6, "Good, direct question.", ["empathic response"])
    markers = timeline(recording(recorded), [annotation])
    assert [(m["seq"], m["kind"]) for m in markers] == [
        (3, "flag"), (4, "crisis_flag"), (5, "whisper"), (6, "annotation"), (7, "paused"), (8, "resumed"), (10, "ended"),
    ]  # fmt: skip
