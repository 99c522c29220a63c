"""Recordings and review (docs/supervision.md); included at the site root by supervision/urls.py."""

from django.urls import path

from supervision import review_views as views

urlpatterns = [
    path("supervision/recordings/", views.recordings, name="review_recordings"),
    path("supervision/reviews/", views.my_reviews, name="my_reviews"),
    path("supervision/search/", views.search, name="review_search"),
    path("supervision/sessions/<uuid:session_id>/replay/", views.replay, name="review_replay"),
    path("supervision/sessions/<uuid:session_id>/annotations/", views.annotate, name="review_annotate"),
    path(
        "supervision/annotations/<int:annotation_id>/delete/", views.delete_annotation, name="review_annotation_delete"
    ),
    path("supervision/sessions/<uuid:session_id>/review/", views.save_review, name="review_save"),
    path(
        "supervision/sessions/<uuid:session_id>/objectives/override/",
        views.override_objective,
        name="review_objective_override",
    ),
    path("supervision/sessions/<uuid:session_id>/review/release/", views.release_review, name="review_release"),
    path("supervision/sessions/<uuid:session_id>/review/sign-off/", views.sign_off, name="review_sign_off"),
    path("supervision/sessions/<uuid:session_id>/export.pdf", views.export_pdf, name="review_export_pdf"),
    path("supervision/sessions/<uuid:session_id>/export.json", views.export_json, name="review_export_json"),
    path("supervision/cohorts/<int:cohort_id>/results.csv", views.export_cohort_csv, name="review_cohort_csv"),
]
