from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse


class RequireMFAMiddleware:
    """Send supervisors and admins without an authenticator app to set one up, before anything else.

    They can reach clinical recordings and certify people, so a password alone is not enough.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and user.role in settings.PIXEL_MFA_REQUIRED_ROLES
            and not self._allowed_path(request.path)
            and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
        ):
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
