"""WebSocket routes of every app, gathered in one list for the ASGI router."""

from simulator.routing import websocket_urlpatterns as simulator_routes
from supervision.routing import websocket_urlpatterns as supervision_routes

websocket_urlpatterns = [*simulator_routes, *supervision_routes]
