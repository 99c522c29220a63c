"""The trainee's live-session socket: /ws/sessions/<uuid>/.

Protocol (JSON both ways; docs/simulator.md has the full list):
  browser -> {"type": "message", "id": "<client-made id>", "text": "..."}
             {"type": "resume", "after": <last seq the browser has>}
  server  -> {"type": "ack", "id", "seq", "duplicate"}   after the message is stored
             {"type": "message", "seq", "role", "text", "id", "reply_to", "created_at"}
             {"type": "token", "reply_to", "index", "text"}   the client's reply, as it is written
             {"type": "partial", "reply_to", "text", "tokens"} the reply so far, on (re)connect
             {"type": "discard", "reply_to"}   the reply so far was withdrawn (persona guard)
             {"type": "ended", "reason"}, {"type": "error", "code", "message", "id"?}
"""

from channels.db import database_sync_to_async
from django.http import Http404

from simulator import actions
from simulator.access import access_own_session
from simulator.dispatch import request_reply
from simulator.replies import partial_reply
from simulator.sockets import CLOSE_FORBIDDEN, CLOSE_NOT_FOUND, CLOSE_UNAUTHENTICATED, JsonSocket


class SessionConsumer(JsonSocket):
    async def connect(self):
        self.session = None
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        try:
            self.session = await database_sync_to_async(access_own_session)(user, self.scope["url_route"]["kwargs"]["session_id"])
        except Http404:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        problem = await database_sync_to_async(actions.certification_problem)(user, self.session.scenario)
        await self.accept()
        if problem:
            await self.send_json({"type": "error", "code": "certification_missing", "message": problem})
            await self.close(code=CLOSE_FORBIDDEN)
            return
        await self.channel_layer.group_add(self.session.group_name, self.channel_name)

    async def disconnect(self, code):
        if self.session is not None:
            await self.channel_layer.group_discard(self.session.group_name, self.channel_name)

    async def receive_json(self, content, **kwargs):
        if not isinstance(content, dict):
            await self.error("bad_request", "Send a JSON object.")
            return
        kind = content.get("type")
        if kind == "message":
            await self.on_message(content)
        elif kind == "resume":
            await self.on_resume(content)
        elif kind == "ping":
            await self.send_json({"type": "pong"})
        else:
            await self.error("bad_request", f"Unknown message type {kind!r}.")

    async def on_message(self, content):
        user = self.scope["user"]
        client_id = content.get("id")
        text = content.get("text")
        if not isinstance(text, str) or not isinstance(client_id, str | int):
            await self.error("bad_request", "A message needs a text and an id.", client_id)
            return
        try:
            message, created = await database_sync_to_async(actions.do_post_trainee_message)(
                user, self.session, client_id, text
            )
        except actions.SimulatorError as e:
            await self.error(e.code, e.message, client_id)
            return
        await self.send_json({"type": "ack", "id": message.client_msg_id, "seq": message.seq, "duplicate": not created})
        if created:
            await request_reply(self.session.pk, message.seq)

    async def on_resume(self, content):
        after = content.get("after", 0)
        if not isinstance(after, int) or after < 0:
            await self.error("bad_request", "resume needs 'after': the last sequence number you have.")
            return
        missed = await database_sync_to_async(
            lambda: [m.as_event() for m in self.session.messages.filter(seq__gt=after).order_by("seq")]
        )()
        for event in missed:
            await self.send_json({"type": "message", **event})
        partial = await database_sync_to_async(partial_reply)(self.session.pk)
        if partial and partial["tokens"]:
            await self.send_json({"type": "partial", **partial})
        status = await database_sync_to_async(lambda: type(self.session).objects.get(pk=self.session.pk).status)()
        await self.send_json({"type": "status", "status": status})

