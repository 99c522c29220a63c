"""WebSocket routes of every app, gathered in one list for the ASGI router."""

from simulator.routing import websocket_urlpatterns as simulator_routes

websocket_urlpatterns = [*simulator_routes]
