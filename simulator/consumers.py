"""The trainee's live-session socket: /ws/sessions/<uuid>/.

Protocol (JSON both ways; docs/simulator.md has the full list):
  browser -> {"type": "message", "id": "<client-made id>", "text": "..."}
             {"type": "resume", "after": <last seq the browser has>}
             {"type": "retry", "reply_to": <seq>}   ask again for a reply that failed
  server  -> {"type": "ack", "id", "seq", "duplicate"}   after the message is stored
             {"type": "message", "seq", "role", "text", "id", "reply_to", "created_at"}
             {"type": "token", "reply_to", "index", "text"}   the client's reply, as it is written
             {"type": "partial", "reply_to", "text", "tokens"} the reply so far, on (re)connect
             {"type": "discard", "reply_to"}   the reply so far was withdrawn (persona guard)
             {"type": "reply_failed", "reply_to", "message", "retry"}   the model failed; may retry
             {"type": "ended", "reason"}, {"type": "error", "code", "message", "id"?}
"""

from channels.db import database_sync_to_async

from simulator import actions
from simulator.access import access_own_session
from simulator.replies import do_retry_reply, partial_reply
from simulator.sockets import CLOSE_FORBIDDEN, MAX_SEQ, JsonSocket, Refused


class SessionConsumer(JsonSocket):
    # The trainee writing is the trainee at work: it keeps them signed in (the idle timeout).
    ACTIVITY_TYPES = frozenset({"message"})

    async def connect(self):
        self.session = await self.session_from_url(access_own_session)
        if self.session is None:
            return
        problem = await database_sync_to_async(actions.certification_problem)(self.scope["user"], self.session.scenario)
        await self.accept()
        if problem:
            await self.send_json({"type": "error", "code": "certification_missing", "message": problem})
            await self.close(code=CLOSE_FORBIDDEN)
            return
        await self.join(self.session.group_name)

    def still_allowed(self, user):
        # A certification revoked (or lapsed) mid-session ends the trainee's socket as it would
        # have refused it at connect.
        access_own_session(user, self.session.pk)
        problem = actions.certification_problem(user, self.session.scenario)
        if problem:
            raise Refused(CLOSE_FORBIDDEN, problem, error="certification_missing")

    async def receive_json(self, content, **kwargs):
        if not isinstance(content, dict):
            await self.error("bad_request", "Send a JSON object.")
            return
        kind = content.get("type")
        if kind == "message":
            await self.on_message(content)
        elif kind == "resume":
            await self.on_resume(content)
        elif kind == "retry":
            await self.on_retry(content)
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
        # Stored (and its reply queued by the action) before this acknowledges it.
        await self.send_json({"type": "ack", "id": message.client_msg_id, "seq": message.seq, "duplicate": not created})

    async def on_retry(self, content):
        # After "reply_failed": ask again for the reply to the trainee's latest message.
        reply_to = content.get("reply_to")
        if not isinstance(reply_to, int) or isinstance(reply_to, bool):
            await self.error("bad_request", "retry needs 'reply_to': the sequence number of your message.")
            return
        try:
            await database_sync_to_async(do_retry_reply)(self.scope["user"], self.session, reply_to)
        except actions.SimulatorError as e:
            await self.error(e.code, e.message)

    async def on_resume(self, content):
        after = content.get("after", 0)
        if not isinstance(after, int) or not 0 <= after <= MAX_SEQ:
            await self.error("bad_request", "resume needs 'after': the last sequence number you have.")
            return
        missed = await database_sync_to_async(
            lambda: [{"type": "message", **m.as_event()} for m in self.session.messages.filter(seq__gt=after)]
            + self.session.trainee_notices(after)
        )()
        # Messages, whispers and observer notices after AFTER, in the order they happened.
        for event in sorted(missed, key=lambda e: e["seq"]):
            await self.send_json(event)
        partial = await database_sync_to_async(partial_reply)(self.session.pk)
        if partial and partial["tokens"]:
            await self.send_json({"type": "partial", **partial})
        status = await database_sync_to_async(lambda: type(self.session).objects.get(pk=self.session.pk).status)()
        await self.send_json({"type": "status", "status": status})

