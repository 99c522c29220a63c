"""Recordings, replay, annotations, rubric scoring, sign-off, search and exports (docs/supervision.md).

Every page or file that shows a transcript writes a CLINICAL_VIEW audit row.
"""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Count, Q
from django.db.models.functions import Greatest
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.access import access_cohort
from accounts.actions import do_audit
from accounts.models import ROLE_ADMIN, ROLE_SUPERVISOR, AuditEvent
from accounts.views import role_required
from feedback import objectives
from feedback.selectors import tags_by_seq
from simulator.models import Session
from supervision import actions
from supervision.access import (
    STAFF_ONLY_EVENT_KINDS,
    access_annotation,
    access_recording,
    access_reviewable_session,
    annotations_for,
    can_review,
    review_for,
    reviewable_sessions,
)
from supervision.exports import cohort_csv, recording, session_export, session_pdf, stats, timeline
from supervision.forms import (
    FLAG_LEVELS,
    AnnotationForm,
    RecordingFilter,
    ReviewForm,
    RubricChoiceForm,
    SearchForm,
    SignOffForm,
)
from supervision.models import SUGGESTED_TAGS, ObjectiveOverride, Rubric
from supervision.search import search_messages

STAFF = (ROLE_SUPERVISOR, ROLE_ADMIN)


def _clinical_view(request, session, page, **details):
    do_audit(AuditEvent.CLINICAL_VIEW, request.user, session.trainee, session, {"page": page, **details}, request)


def _refused(request, error):
    messages.error(request, " ".join(error.messages) if isinstance(error, ValidationError) else str(error))


def _back_to_replay(session, anchor=""):
    return redirect(reverse("review_replay", args=[session.pk]) + anchor)


@role_required(*STAFF)
def recordings(request):
    sessions = reviewable_sessions(request.user)
    form = RecordingFilter(request.GET or None, sessions=sessions)
    sessions = (
        form.filter(sessions)
        .annotate(
            trainee_turns=Count("messages", filter=Q(messages__role="trainee"), distinct=True),
            # Flag events point at flagged messages; the larger count stands for both without counting twice.
            flagged=Greatest(
                Count("messages", filter=Q(messages__crisis_level__in=FLAG_LEVELS), distinct=True),
                Count("events", filter=Q(events__kind__in=STAFF_ONLY_EVENT_KINDS), distinct=True),
            ),
        )
        .select_related("review")
    )
    page = Paginator(sessions.order_by("-started_at"), 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "supervision/recordings.html", {"form": form, "page": page, "query": query.urlencode()})


@login_required
def my_reviews(request):
    sessions = Session.objects.filter(trainee=request.user).select_related("scenario_version__scenario", "review")
    return render(request, "supervision/my_reviews.html", {"sessions": sessions})


@login_required
def replay(request, session_id):
    session = access_recording(request.user, session_id)
    reviewer = can_review(request.user, session)
    items = recording(session, for_trainee=not reviewer)
    annotations = list(annotations_for(request.user, session))
    skills = tags_by_seq(session)
    for item in items:
        item["annotations"] = [a.as_dict() for a in annotations if a.message.seq == item["seq"]]
        if item.get("role") == "trainee":
            item["skills"] = skills.get(item["seq"])
    review = review_for(request.user, session)
    graded = objectives.with_overrides(objectives.grade_session(session), objectives.overrides_for(request.user, session))
    _clinical_view(request, session, "replay")
    context = {
        "objectives": graded,
        "can_override": reviewer and not (review and review.is_signed_off),
        "override_choices": ObjectiveOverride.VERDICT_CHOICES,
        "how_url": reverse("feedback_report", args=[session.pk]) + "#how-objectives",
        "session": session,
        "items": items,
        "markers": timeline(items, annotations),
        "stats": stats(session, items),
        "review": review,
        "reviewer": reviewer,
        "data": {"started_at": session.started_at.isoformat(), "items": items},
    }
    if reviewer:
        context.update(_review_forms(request, review))
    return render(request, "supervision/replay.html", context)


def _review_forms(request, review):
    """The reviewer's forms: rubric (the review's, or ?rubric=, or the default), scores, sign-off."""
    rubric = review.rubric if review is not None and review.rubric_id else None
    chooser = RubricChoiceForm(
        request.GET if "rubric" in request.GET else None, initial={"rubric": rubric or Rubric.default()}
    )
    if chooser.is_bound and chooser.is_valid():
        rubric = chooser.cleaned_data["rubric"]
    rubric = rubric or Rubric.default()
    return {
        "rubric_chooser": chooser,
        "review_form": ReviewForm(rubric=rubric, review=review) if rubric else None,
        "annotation_form": AnnotationForm(),
        "sign_off_form": SignOffForm(),
        "suggested_tags": SUGGESTED_TAGS,
    }


@require_POST
@role_required(*STAFF)
def annotate(request, session_id):
    session = access_reviewable_session(request.user, session_id)
    form = AnnotationForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return _back_to_replay(session)
    try:
        actions.do_annotate(
            request.user,
            session,
            form.cleaned_data["seq"],
            form.cleaned_data["comment"],
            form.cleaned_data["all_tags"],
            request,
        )
    except ValidationError as e:
        _refused(request, e)
    else:
        messages.success(request, "Annotation saved.")
    return _back_to_replay(session, f"#m-{form.cleaned_data['seq']}")


@require_POST
@role_required(*STAFF)
def delete_annotation(request, annotation_id):
    annotation = access_annotation(request.user, annotation_id)
    session, seq = annotation.session, annotation.message.seq
    try:
        actions.do_delete_annotation(request.user, annotation, request)
    except (ValidationError, PermissionDenied) as e:
        _refused(request, e)
    else:
        messages.success(request, "Annotation removed.")
    return _back_to_replay(session, f"#m-{seq}")


@require_POST
@role_required(*STAFF)
def save_review(request, session_id):
    session = access_reviewable_session(request.user, session_id)
    rubric_id = request.POST.get("rubric", "")
    rubric = get_object_or_404(Rubric, pk=int(rubric_id) if rubric_id.isdigit() else 0)
    form = ReviewForm(request.POST, rubric=rubric)
    if not form.is_valid():
        messages.error(request, "Check the scores: each is a whole number from 1 to 5.")
        return _back_to_replay(session, "#review")
    try:
        actions.do_save_review(
            request.user, session, rubric, form.scores(), form.cleaned_data["overall_comment"], request
        )
    except ValidationError as e:
        _refused(request, e)
    else:
        messages.success(request, "Review saved.")
    return _back_to_replay(session, "#review")


@require_POST
@role_required(*STAFF)
def override_objective(request, session_id):
    session = access_reviewable_session(request.user, session_id)
    objective = request.POST.get("objective", "")
    try:
        actions.do_override_objective(
            request.user, session, objective, request.POST.get("verdict", ""), request.POST.get("note", ""), request
        )
    except ValidationError as e:
        _refused(request, e)
        return _back_to_replay(session, "#objectives")
    messages.success(request, "Your verdict is saved beside the automatic one.")
    return _back_to_replay(session, f"#obj-{objective}")


@require_POST
@role_required(*STAFF)
def release_review(request, session_id):
    session = access_reviewable_session(request.user, session_id)
    if request.POST.get("retract"):
        actions.do_retract_review(request.user, session, request)
        messages.success(request, "The review is hidden from the trainee again.")
    else:
        actions.do_release_review(request.user, session, request)
        messages.success(request, f"Released: {session.trainee} can now read your review.")
    return _back_to_replay(session, "#review")


@require_POST
@role_required(*STAFF)
def sign_off(request, session_id):
    session = access_reviewable_session(request.user, session_id)
    form = SignOffForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return _back_to_replay(session, "#review")
    data = form.cleaned_data
    try:
        actions.do_sign_off_review(
            request.user, session, data["recommendation"], data["certification_kind"], data["note"], request
        )
    except (ValidationError, PermissionDenied) as e:
        _refused(request, e)
    else:
        messages.success(request, "Review signed off.")
    return _back_to_replay(session, "#review")


@role_required(*STAFF)
def export_pdf(request, session_id):
    session = access_reviewable_session(request.user, session_id)
    _clinical_view(request, session, "export", format="pdf")
    response = HttpResponse(session_pdf(session, request.user), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="pixel-session-{session.pk}.pdf"'
    return response


@role_required(*STAFF)
def export_json(request, session_id):
    session = access_reviewable_session(request.user, session_id)
    _clinical_view(request, session, "export", format="json")
    body = json.dumps(session_export(session, request.user), cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="pixel-session-{session.pk}.json"'
    return response


@role_required(*STAFF)
def export_cohort_csv(request, cohort_id):
    cohort = access_cohort(request.user, cohort_id)
    body = cohort_csv(cohort)
    do_audit(AuditEvent.CLINICAL_VIEW, request.user, None, cohort, {"page": "export", "format": "csv"}, request)
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="pixel-cohort-{cohort.pk}-results.csv"'
    return response


@role_required(*STAFF)
def search(request):
    form = SearchForm(request.GET or None)
    results = []
    if form.is_valid():
        results = search_messages(request.user, form.cleaned_data["q"])
        sessions = sorted({str(m.session_id) for m in results})
        details = {"page": "search", "query": form.cleaned_data["q"], "results": len(results), "sessions": sessions}
        do_audit(AuditEvent.CLINICAL_VIEW, request.user, None, None, details, request)
    return render(request, "supervision/search.html", {"form": form, "results": results})
