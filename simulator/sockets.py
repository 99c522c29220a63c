"""The base of Pixel's WebSocket consumers: JSON in and out, bad frames answered, not fatal."""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.http import Http404

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404


class JsonSocket(AsyncJsonWebsocketConsumer):
    """Binary frames and invalid JSON get an error event; `receive_json` sees None for junk."""

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        if text_data is None:
            await self.error("bad_request", "Send text frames holding JSON.")
            return
        await super().receive(text_data=text_data, **kwargs)

    async def decode_json(self, text_data):
        try:
            return await super().decode_json(text_data)
        except ValueError:
            return None

    async def error(self, code, message, client_id=None):
        event = {"type": "error", "code": code, "message": message}
        if client_id is not None:
            event["id"] = client_id
        await self.send_json(event)

    async def session_from_url(self, access):
        """The session named in the URL if ACCESS(user, session_id) lets this user have it (an
        access_* helper: fetch and authorise together); otherwise close the socket and return None.
        The caller accepts."""
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return None
        try:
            return await database_sync_to_async(access)(user, self.scope["url_route"]["kwargs"]["session_id"])
        except Http404:
            await self.close(code=CLOSE_NOT_FOUND)
            return None

    async def join(self, *groups):
        self.joined_groups = getattr(self, "joined_groups", []) + list(groups)
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)

    async def disconnect(self, code):
        for group in getattr(self, "joined_groups", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def pixel_event(self, event):
        """Events sent to a channel group by simulator.events.emit/send_now."""
        await self.send_json(event["payload"])
