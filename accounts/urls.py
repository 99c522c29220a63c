from django.urls import path

from accounts import views

urlpatterns = [
    path("", views.home, name="home"),
    path("cohorts/<int:cohort_id>/", views.cohort_detail, name="cohort_detail"),
    path("certifications/", views.certifications, name="certifications"),
    path("certifications/<int:cert_id>/revoke/", views.revoke_certification, name="revoke_certification"),
    path("people/invite/", views.invite, name="invite"),
    path("invite/<str:token>/", views.accept_invitation, name="accept_invitation"),
]
