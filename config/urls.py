from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Pixel administration"
admin.site.site_title = "Pixel"
# The admin's own login form would sign staff in with a password alone: no second factor, no
# allauth rate limit, no audit row. Anyone not signed in is sent to allauth's login instead (which
# asks for the TOTP code), and a signed-in person who is not staff gets 403.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("accounts.urls")),
    path("", include("simulator.urls")),
    path("", include("supervision.urls")),
    path("", include("feedback.urls")),
]
