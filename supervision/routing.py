from django.urls import path

from supervision.consumers import DashboardConsumer, ObserveConsumer

websocket_urlpatterns = [
    path("ws/observe/<uuid:session_id>/", ObserveConsumer.as_asgi()),
    path("ws/dashboard/", DashboardConsumer.as_asgi()),
]
