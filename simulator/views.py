from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.actions import do_audit
from accounts.models import ROLE_ADMIN, ROLE_SUPERVISOR, AuditEvent
from accounts.views import role_required
from modelserve.crisis.levels import LEVELS
from simulator import actions, crisis_protocol
from simulator.access import access_session
from simulator.forms import CatalogueFilter
from simulator.models import Scenario, Session
from simulator.replies import partial_reply


@login_required
def catalogue(request):
    form = CatalogueFilter(request.GET or None)
    scenarios = form.filter(Scenario.objects.filter(is_active=True))
    open_session = Session.objects.filter(trainee=request.user, status__in=Session.OPEN_STATUSES).first()
    return render(request, "simulator/catalogue.html", {"form": form, "scenarios": scenarios, "open_session": open_session})


@login_required
def scenario_detail(request, slug):
    scenario = get_object_or_404(Scenario, slug=slug, is_active=True)
    problem = actions.certification_problem(request.user, scenario)
    return render(request, "simulator/scenario.html", {"scenario": scenario, "problem": problem})


@require_POST
@login_required
def start_session(request, slug):
    scenario = get_object_or_404(Scenario, slug=slug, is_active=True)
    try:
        session = actions.do_start_session(request.user, scenario, request=request)
    except actions.SimulatorError as e:
        messages.error(request, e.message)
        if e.session is not None:
            return redirect("session_live", e.session.pk)
        return redirect("scenario_detail", slug)
    return redirect("session_live", session.pk)


@login_required
def session_live(request, session_id):
    session = access_session(request.user, session_id)
    if session.trainee_id != request.user.pk or session.status == Session.ENDED:
        return redirect("session_summary", session.pk)
    transcript = list(session.messages.order_by("seq"))
    notices = session.trainee_notices()
    do_audit(AuditEvent.CLINICAL_VIEW, request.user, session.trainee, session, {"page": "live"}, request)
    context = {
        "session": session,
        # Messages and whispers in seq order; the last observer notice stays at the top.
        "lines": sorted([*transcript, *(n for n in notices if n["type"] == "whisper")],
                        key=lambda x: x["seq"] if isinstance(x, dict) else x.seq),
        "observer": next((n for n in reversed(notices) if n["type"] == "observer"), None),
        "last_seq": transcript[-1].seq if transcript else 0,
        "partial": partial_reply(session.pk),
        "max_chars": settings.PIXEL_MESSAGE_MAX_CHARS,
    }
    return render(request, "simulator/session.html", context)


@require_POST
@login_required
def end_session(request, session_id):
    session = access_session(request.user, session_id)
    try:
        actions.do_end_session(request.user, session, request=request)
    except actions.SimulatorError as e:
        messages.error(request, e.message)
    return redirect("session_summary", session.pk)


@login_required
def session_summary(request, session_id):
    session = access_session(request.user, session_id)
    transcript = list(session.messages.order_by("seq"))
    do_audit(AuditEvent.CLINICAL_VIEW, request.user, session.trainee, session, {"page": "summary"}, request)
    replies = [m for m in transcript if m.role == "client" and m.seconds is not None]
    stats = {
        "trainee_turns": sum(1 for m in transcript if m.role == "trainee"),
        "client_turns": sum(1 for m in transcript if m.role == "client"),
        "regenerations": sum(m.regenerations for m in replies),
        "fallbacks": sum(1 for m in replies if m.fallback),
        "duration": (session.ended_at or session.last_activity_at) - session.started_at,
    }
    return render(request, "simulator/summary.html", {"session": session, "transcript": transcript, "stats": stats})


@login_required
def my_sessions(request):
    sessions = Session.objects.filter(trainee=request.user).select_related("scenario_version__scenario")
    return render(request, "simulator/my_sessions.html", {"sessions": sessions})


@role_required(ROLE_SUPERVISOR, ROLE_ADMIN)
def crisis_policy(request):
    return render(request, "simulator/crisis_policy.html", {"policy": crisis_protocol.policy(), "levels": LEVELS})
