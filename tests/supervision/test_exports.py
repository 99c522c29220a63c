"""Exports: one session as PDF and JSON, a cohort's results as CSV."""

import csv
import io
import json

from django.urls import reverse
from pypdf import PdfReader

from supervision import actions
from supervision.exports import EXPORT_FORMAT
from tests.supervision.conftest import QUESTION, RISK_TEXT, score_all


def reviewed(supervisor, session, rubric):
    actions.do_annotate(supervisor, session, 6, "Asked about suicide directly — well done.", ["empathic response"])
    items = list(rubric.items.all())
    scores = score_all(rubric, 4)
    scores[items[3].pk] = 5  # risk assessment
    actions.do_save_review(supervisor, session, rubric, scores, "Calm and direct with risk.")
    actions.do_release_review(supervisor, session)
    return items


def test_pdf_report_has_trainee_transcript_flags_annotations_and_rubric(client, supervisor, recorded, rubric):
    reviewed(supervisor, recorded, rubric)
    client.force_login(supervisor)
    response = client.get(reverse("review_export_pdf", args=[recorded.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert f'filename="pixel-session-{recorded.pk}.pdf"' in response["Content-Disposition"]
    reader = PdfReader(io.BytesIO(response.content))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert "Trainee: Trainee <trainee@example.org>" in text
    assert QUESTION in text
    assert "Flag: high (suicidal ideation)" in text
    assert "Annotation by Supervisor [empathic response]: Asked about suicide directly — well done." in text
    assert "Risk assessment: 5/5" in text and "Rapport and empathy: 4/5" in text
    assert "Whisper by Supervisor: Ask directly about suicide." in text
    assert "Released to the trainee: " in text and "Not signed off." in text


def test_pdf_renders_without_a_review(client, admin_user, recorded):
    client.force_login(admin_user)
    response = client.get(reverse("review_export_pdf", args=[recorded.pk]))
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Not scored yet." in text


def test_json_export_structure(client, supervisor, recorded, rubric):
    reviewed(supervisor, recorded, rubric)
    client.force_login(supervisor)
    response = client.get(reverse("review_export_json", args=[recorded.pk]))
    assert response["Content-Type"].startswith("application/json")
    data = json.loads(response.content)
    assert data["format"] == EXPORT_FORMAT and data["exported_by"] == "Supervisor"
    session = data["session"]
    assert session["id"] == str(recorded.pk)
    assert session["trainee"] == {"name": "Trainee", "email": "trainee@example.org"}
    assert session["scenario"]["slug"] == "low-mood" and session["scenario"]["version"] == 1
    assert session["model"] == "gemma-3-270m" and session["status"] == "ended"
    assert session["stats"]["flags"] == 1 and session["stats"]["trainee_turns"] == 2
    assert [i["seq"] for i in data["recording"]] == list(range(1, 11))
    flagged = data["recording"][2]
    assert flagged["text"] == RISK_TEXT and flagged["crisis_level"] == "high" and flagged["flagged"] is True
    assert data["recording"][3]["kind"] == "crisis_flag"
    assert data["annotations"][0]["seq"] == 6 and data["annotations"][0]["tags"] == ["empathic response"]
    review = data["review"]
    assert review["rubric"] == "Counselling skills (Pixel default)"
    assert len(review["scores"]) == 6 and review["scores"][3] == {
        "item": "Risk assessment", "score": 5, "anchor": review["scores"][3]["anchor"],
    }  # fmt: skip
    assert review["released_at"] and review["signed_off_at"] is None


def test_cohort_csv_has_a_row_per_session(client, supervisor, recorded, other_recorded, cohorts, rubric):
    from tests.supervision.conftest import build_recording

    items = reviewed(supervisor, recorded, rubric)
    actions.do_sign_off_review(supervisor, recorded, "recommend", "simulation")
    second = build_recording(recorded.trainee, supervisor, recorded.scenario, words='=HYPERLINK("http://evil")')
    client.force_login(supervisor)
    response = client.get(reverse("review_cohort_csv", args=[cohorts[0].pk]))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert {r["session"] for r in rows} == {str(recorded.pk), str(second.pk)}  # not cohort B's session
    row = next(r for r in rows if r["session"] == str(recorded.pk))
    assert row["trainee"] == "Trainee" and row["scenario"] == "Low mood after a breakup"
    assert row["duration_seconds"] == "200" and row["turns"] == "2" and row["flags"] == "1"
    assert row["persona_breaks"] == "1" and row["rubric"] == "Counselling skills (Pixel default)"
    assert row[f"Counselling skills (Pixel default): {items[3].title}"] == "5"
    assert row[f"Counselling skills (Pixel default): {items[0].title}"] == "4"
    assert row["overall_mean"] == "4.17" and row["signed_off"] and row["signed_off_by"] == "Supervisor"
    assert row["recommendation"] == "recommend" and row["certification_kind"] == "simulation"
    unreviewed = next(r for r in rows if r["session"] == str(second.pk))
    assert unreviewed["rubric"] == "" and unreviewed["signed_off"] == ""
