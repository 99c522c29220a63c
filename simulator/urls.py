from django.urls import path

from simulator import views

urlpatterns = [
    path("scenarios/", views.catalogue, name="catalogue"),
    path("scenarios/<slug:slug>/", views.scenario_detail, name="scenario_detail"),
    path("scenarios/<slug:slug>/start/", views.start_session, name="start_session"),
    path("sessions/", views.my_sessions, name="my_sessions"),
    path("sessions/<uuid:session_id>/", views.session_live, name="session_live"),
    path("sessions/<uuid:session_id>/end/", views.end_session, name="end_session"),
    path("sessions/<uuid:session_id>/summary/", views.session_summary, name="session_summary"),
    path("safety/policy/", views.crisis_policy, name="crisis_policy"),
]
