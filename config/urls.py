from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Pixel administration"
admin.site.site_title = "Pixel"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("accounts.urls")),
    path("", include("simulator.urls")),
    path("", include("supervision.urls")),
    path("", include("feedback.urls")),
]
