from django.urls import include, path

from supervision import views

urlpatterns = [
    path("supervision/", views.dashboard, name="supervision_dashboard"),
    path("supervision/rows/", views.dashboard_rows, name="supervision_dashboard_rows"),
    path("supervision/sessions/<uuid:session_id>/observe/", views.observe, name="supervision_observe"),
    path(
        "supervision/sessions/<uuid:session_id>/observe/objectives/",
        views.observe_objectives,
        name="supervision_observe_objectives",
    ),
    path("supervision/sessions/<uuid:session_id>/control/", views.control, name="supervision_control"),
    # Recordings, replay, annotations, rubrics, sign-off, search and exports.
    path("", include("supervision.review_urls")),
]
