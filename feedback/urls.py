from django.urls import path

from feedback import views

urlpatterns = [
    path("feedback/sessions/<uuid:session_id>/", views.session_report, name="feedback_report"),
    path("feedback/sessions/<uuid:session_id>/live-tags/", views.live_tags, name="feedback_live_tags"),
    path("feedback/history/", views.my_history, name="feedback_history"),
    path("feedback/trainees/<int:user_id>/", views.trainee_history, name="feedback_trainee_history"),
]
