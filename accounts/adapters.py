from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        # People join by an admin's invitation (accounts.actions.do_create_invitation).
        return settings.PIXEL_SIGNUP_OPEN
