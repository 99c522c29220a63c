from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.actions import do_audit
from accounts.models import ROLE_ADMIN, ROLE_SUPERVISOR, AuditEvent
from accounts.views import role_required
from feedback.objectives import grade_session
from feedback.selectors import tags_by_seq
from simulator import actions, clientstate
from simulator.access import access_supervised_session
from supervision.live import flag_of, live_sessions, scenario_card


@role_required(ROLE_SUPERVISOR, ROLE_ADMIN)
def dashboard(request):
    return render(request, "supervision/dashboard.html", {"rows": live_sessions(request.user)})


@role_required(ROLE_SUPERVISOR, ROLE_ADMIN)
def dashboard_rows(request):
    """The table body alone, which the dashboard refreshes by itself (htmx)."""
    return render(request, "supervision/_dashboard_rows.html", {"rows": live_sessions(request.user)})


@role_required(ROLE_SUPERVISOR, ROLE_ADMIN)
def observe(request, session_id):
    session = access_supervised_session(request.user, session_id)
    do_audit(AuditEvent.CLINICAL_VIEW, request.user, session.trainee, session, {"page": "observe"}, request)
    transcript = list(session.messages.order_by("seq"))
    tags = tags_by_seq(session)
    for m in transcript:
        m.tags = tags.get(m.seq)
    context = {
        "session": session,
        "transcript": transcript,
        "client_state": clientstate.public(clientstate.current_state(session)),
        "flags": [f for f in map(flag_of, transcript) if f],
        "card": scenario_card(session.scenario_version.card),
        "objectives": grade_session(session),
    }
    return render(request, "supervision/observe.html", context)


@role_required(ROLE_SUPERVISOR, ROLE_ADMIN)
def observe_objectives(request, session_id):
    """The observe page's objectives panel alone, graded on the transcript so far: observe.js
    fetches it after each trainee message is scored. Verdicts quote the transcript, so each
    fetch is audited as the page is."""
    session = access_supervised_session(request.user, session_id)
    do_audit(AuditEvent.CLINICAL_VIEW, request.user, session.trainee, session, {"page": "observe_objectives"}, request)
    return render(request, "supervision/_observe_objectives.html", {"objectives": grade_session(session)})


CONTROLS = {
    "pause": actions.do_pause_session,
    "resume": actions.do_resume_session,
    "takeover": actions.do_start_takeover,
    "handback": actions.do_end_takeover,
}


@require_POST
@role_required(ROLE_SUPERVISOR, ROLE_ADMIN)
def control(request, session_id):
    """The same interventions as the observe socket, for a browser without JavaScript."""
    session = access_supervised_session(request.user, session_id)
    command = request.POST.get("command")
    try:
        if command == "end":
            actions.do_end_session(request.user, session, "ended by a supervisor", request=request)
        elif command == "whisper":
            actions.do_whisper(request.user, session, request.POST.get("text"), request=request)
        elif command in CONTROLS:
            CONTROLS[command](request.user, session, request=request)
        else:
            messages.error(request, "Unknown command.")
    except actions.SimulatorError as e:
        messages.error(request, e.message)
    return redirect("supervision_observe", session.pk)
