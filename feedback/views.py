"""The feedback report of one session and a trainee's history. Every page shows clinical content
(transcripts or their scores), so every view writes a CLINICAL_VIEW audit row."""

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.actions import do_audit
from accounts.models import AuditEvent
from feedback import charts, objectives, report
from feedback.access import access_history, access_live_tags, access_report
from feedback.actions import live_feedback_on
from feedback.models import CODE_LABELS, EMPATHY_LABELS, MessageScore
from simulator.models import Session


@login_required
def session_report(request, session_id):
    session = access_report(request.user, session_id)
    data = report.build_report(session)
    card = session.scenario_version.card
    graded = objectives.grade(card, data["turns"], data["summary"], data["states"])
    data["objectives"] = objectives.with_overrides(graded, objectives.overrides_for(request.user, session))
    do_audit(AuditEvent.CLINICAL_VIEW, request.user, session.trainee, session, {"page": "feedback_report"}, request)
    context = {
        "session": session,
        "report": data,
        "charts": charts.session_charts(data),
        "code_labels": CODE_LABELS,
        "empathy_labels": EMPATHY_LABELS,
        "bands": report.BANDS,
    }
    return render(request, "feedback/report.html", context)


@login_required
@require_GET
def live_tags(request, session_id):
    """The skill tags of a session's messages so far, for the session page to show again after a
    reload or reconnect (the live events are sent once). Only the trainee's own session, and only
    while a cohort of theirs shows live feedback; audited like the report, once per (re)connect."""
    session = access_live_tags(request.user, session_id)
    if not live_feedback_on(session.trainee):
        return JsonResponse({"enabled": False, "tags": []})
    do_audit(AuditEvent.CLINICAL_VIEW, request.user, session.trainee, session, {"page": "feedback_live_tags"}, request)
    scores = MessageScore.objects.filter(session=session).order_by("seq")
    return JsonResponse({"enabled": True, "tags": [score.as_event() for score in scores]})


@login_required
def my_history(request):
    return _history(request, request.user)


@login_required
def trainee_history(request, user_id):
    return _history(request, access_history(request.user, user_id))


def _history(request, trainee):
    sessions = (
        Session.objects.filter(trainee=trainee).select_related("scenario_version__scenario").order_by("started_at")
    )
    rows = report.history(trainee, sessions)
    do_audit(AuditEvent.CLINICAL_VIEW, request.user, trainee, trainee, {"page": "feedback_history"}, request)
    context = {
        "trainee": trainee,
        "rows": rows,
        "chart": charts.history_chart(rows) if rows else "",
        "own": trainee.pk == request.user.pk,
    }
    return render(request, "feedback/history.html", context)
