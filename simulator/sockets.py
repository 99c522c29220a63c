"""The base of Pixel's WebSocket consumers: JSON in and out, bad frames answered, not fatal."""

from channels.generic.websocket import AsyncJsonWebsocketConsumer

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

    async def pixel_event(self, event):
        """Events sent to a channel group by simulator.actions.emit/send_now."""
        await self.send_json(event["payload"])
