from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.contrib.sessions.middleware import SessionMiddleware
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import patch_vary_headers

# Sent by a page's own timed refreshes (static/pixel/dashboard.js marks htmx's `every` requests).
POLL_HEADER = "X-Pixel-Poll"


def is_poll(request):
    return request.headers.get(POLL_HEADER) == "1"


class IdleSessionMiddleware(SessionMiddleware):
    """Django's session middleware, except that a page refreshing itself does not renew the idle
    clock. SESSION_SAVE_EVERY_REQUEST pushes the session's expiry on with every request, so a
    dashboard polling every few seconds would keep a staff member signed in forever at an
    unattended screen; its polls are answered but not saved, and the session lapses
    PIXEL_IDLE_MINUTES after the person last did something (a page, a form, a socket frame of
    theirs: simulator.sockets.renew_session).
    """

    def process_response(self, request, response):
        if is_poll(request) and response.status_code == 302:
            # Signed out (idle, or elsewhere) while the page polled: reload the whole page, which
            # goes to the sign-in form, rather than let htmx put that form inside the table.
            # The response is changed in place, keeping what other middleware set on it.
            del response["Location"]
            response.status_code = 204
            response.content = b""
            response["HX-Refresh"] = "true"
        session = getattr(request, "session", None)
        if session is not None and is_poll(request) and not session.modified:
            if session.accessed:
                patch_vary_headers(response, ("Cookie",))
            return response
        return super().process_response(request, response)


def mfa_missing(user):
    """True if USER's role needs an authenticator app and they have none (any more). The page
    middleware below and the supervisors' sockets (simulator.sockets) ask the same question."""
    return (
        user.is_authenticated
        and user.role in settings.PIXEL_MFA_REQUIRED_ROLES
        and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    )


class RequireMFAMiddleware:
    """Send supervisors and admins without an authenticator app to set one up, before anything else.

    They can reach clinical recordings and certify people, so a password alone is not enough.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if not self._allowed_path(request.path) and mfa_missing(user):
            messages.warning(request, "Your role needs two-factor authentication. Set up an authenticator app first.")
            return redirect("mfa_activate_totp")
        return self.get_response(request)

    @staticmethod
    def _allowed_path(path):
        allowed = (
            "/accounts/2fa/",
            "/accounts/logout/",
            "/accounts/reauthenticate/",
            settings.STATIC_URL,
        )
        return path.startswith(allowed) or path == reverse("account_logout")
