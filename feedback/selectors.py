"""Reads other apps may make of the feedback (supervision's replay calls tags_by_seq)."""


def tags_by_seq(session):
    """{seq: {"codes": [...], "labels": [...], "main": ..., "empathy": {...}}} for the session's
    scored trainee messages. The caller must already have checked access to the session."""
    return {s.seq: s.as_tags() for s in session.skill_scores.all()}
