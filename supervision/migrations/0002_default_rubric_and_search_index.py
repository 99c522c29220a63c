"""Seed the default counselling-skills rubric, and index message text for full-text search.

The index expression is exactly what django.contrib.postgres's SearchVector("text",
config="english") produces, so supervision.search uses it. PostgreSQL only: elsewhere (the demo's
SQLite) there is no full-text search and nothing to index.
"""

from django.db import migrations

RUBRIC = "Counselling skills (Pixel default)"
ITEMS = [
    (
        "Rapport and empathy",
        "Warmth, respect and accurate understanding of the client's feelings.",
        "Cold, judgemental or dismissive; the client's feelings are ignored or argued with.",
        "Polite and interested; acknowledges feelings now and then, sometimes generically.",
        "Consistently warm; names feelings accurately and the client visibly feels understood.",
    ),
    (
        "Open questions",
        "Questions that invite the client to explore rather than answer yes or no.",
        "Mostly closed or leading questions, often several at once; an interview, not a conversation.",
        "A mix of open and closed questions; some stacking or leading.",
        "Well-timed open questions, one at a time, that deepen the client's account.",
    ),
    (
        "Reflective listening",
        "Simple and complex reflections that show and extend understanding.",
        "Few or no reflections; the trainee moves on without checking what they heard.",
        "Frequent simple reflections; occasional complex reflections of meaning or feeling.",
        "Complex reflections that capture meaning, ambivalence or feeling and move the session on.",
    ),
    (
        "Risk assessment",
        "Noticing risk cues and asking about them directly and safely.",
        "Clear risk cues missed or avoided; no direct question about safety.",
        "Risk is asked about, but late, vaguely or without following up the answers.",
        "Cues picked up promptly; asks directly about thoughts, plans, means and protective factors, and agrees next steps.",
    ),
    (
        "Structure and collaboration",
        "Agreeing the focus, pacing the session and sharing decisions with the client.",
        "No shared agenda; the trainee drifts or imposes direction and advice.",
        "Some structure and checking in; decisions mostly made by the trainee.",
        "Agenda agreed together, time used well, choices offered and the client's views sought throughout.",
    ),
    (
        "Summarising",
        "Drawing the threads together at key points and at the end.",
        "No summaries, or summaries that misstate what the client said.",
        "An accurate summary at the end, few during the session.",
        "Concise, accurate summaries at transitions and at the close, checked with the client.",
    ),
]

INDEX = "supervision_message_text_fts"


def seed_rubric(apps, schema_editor):
    Rubric = apps.get_model("supervision", "Rubric")
    RubricItem = apps.get_model("supervision", "RubricItem")
    rubric, created = Rubric.objects.get_or_create(
        name=RUBRIC,
        defaults={"description": "Core counselling skills, each scored 1 (not yet) to 5 (consistently skilled)."},
    )
    if not created:
        return
    for order, (title, description, one, three, five) in enumerate(ITEMS, start=1):
        RubricItem.objects.create(
            rubric=rubric, order=order, title=title, description=description, anchor_1=one, anchor_3=three, anchor_5=five
        )


def unseed_rubric(apps, schema_editor):
    Rubric = apps.get_model("supervision", "Rubric")
    Rubric.objects.filter(name=RUBRIC, reviews__isnull=True).delete()


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON simulator_message "
            "USING gin (to_tsvector('english'::regconfig, COALESCE(text, '')))"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("supervision", "0001_initial"),
        ("simulator", "0003_recording"),
    ]

    operations = [
        migrations.RunPython(seed_rubric, unseed_rubric),
        migrations.RunPython(create_index, drop_index),
    ]
