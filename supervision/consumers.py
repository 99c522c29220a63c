"""Supervisors' sockets: observing one session (/ws/observe/<uuid>/) and the dashboard (/ws/dashboard/).

Observing joins the trainee's group (messages, tokens, whispers, status) and the session's
observers group (flags, recording events and the client's state, which the trainee must not see). Interventions go through
simulator.actions, which check, store, audit and announce them.
"""

from channels.db import database_sync_to_async

from accounts.middleware import mfa_missing
from feedback.selectors import tags_by_seq
from simulator import actions, clientstate
from simulator.access import access_supervised_session
from simulator.events import cohort_supervisors_group
from simulator.models import Session
from simulator.replies import partial_reply
from simulator.sockets import CLOSE_FORBIDDEN, CLOSE_UNAUTHENTICATED, MAX_SEQ, JsonSocket, Refused
from supervision.live import supervised_cohort_ids

# Client-made message ids are stored in Message.client_msg_id (64 characters).
MAX_CLIENT_ID = 64
WHISPER_COMMANDS = {"whisper", "client_message"}


def require_mfa(user):
    if mfa_missing(user):
        raise Refused(CLOSE_FORBIDDEN, "Your role needs two-factor authentication. Set up an authenticator app first.")


class ObserveConsumer(JsonSocket):
    # What a supervisor does renews their idle clock; the page reconnecting (resume_feed) does not.
    ACTIVITY_TYPES = frozenset({"whisper", "pause", "resume", "end", "takeover", "handback", "client_message"})

    async def connect(self):
        self.session = await self.session_from_url(access_supervised_session)
        if self.session is None:
            return
        refusal = await self.refused()
        if refusal is not None:
            await self.close(code=refusal.code)
            return
        await self.accept()
        await self.join(self.session.group_name, self.session.observers_group)
        await database_sync_to_async(actions.do_observer_joined)(self.scope["user"], self.session)

    def still_allowed(self, user):
        # Removed from the cohort (or no longer a supervisor): a 404, as at connect.
        access_supervised_session(user, self.session.pk)
        require_mfa(user)

    async def receive_json(self, content, **kwargs):
        if not isinstance(content, dict) or not isinstance(content.get("type"), str):
            await self.error("bad_request", "Send a JSON object with a type.")
            return
        kind = content["type"]
        if kind in WHISPER_COMMANDS and not isinstance(content.get("text"), str):
            await self.error("bad_request", f"A {kind} needs a text.")
            return
        handler = getattr(self, f"do_{kind}", None) if kind in self.COMMANDS else None
        if handler is None:
            await self.error("bad_request", f"Unknown message type {kind!r}.")
            return
        try:
            await handler(content)
        except actions.SimulatorError as e:
            await self.error(e.code, e.message)

    COMMANDS = {"resume_feed", "whisper", "pause", "resume", "end", "takeover", "handback", "client_message"}

    async def do_resume_feed(self, content):
        after = content.get("after", 0)
        if not isinstance(after, int) or not 0 <= after <= MAX_SEQ:
            await self.error("bad_request", "resume_feed needs 'after': the last sequence number you have.")
            return
        messages, events, status = await database_sync_to_async(self.history)(after)
        for item in sorted(messages + events, key=lambda e: e["seq"]):
            await self.send_json(item)
        # Every score so far, not only those after `after`: a message the page already shows may
        # have been scored while it was away. The page keeps the first tags a message gets.
        for seq, tags in sorted((await database_sync_to_async(tags_by_seq)(self.session)).items()):
            await self.send_json({"type": "feedback", "seq": seq, **tags})
        # States emitted while this socket was away are not replayed one by one; the latest will do.
        state = await database_sync_to_async(self.client_state)()
        if state["seq"]:
            await self.send_json({"type": "client_state", **state})
        partial = await database_sync_to_async(partial_reply)(self.session.pk)
        if partial and partial["tokens"]:
            await self.send_json({"type": "partial", **partial})
        await self.send_json({"type": "status", "status": status})

    def history(self, after):
        session = Session.objects.get(pk=self.session.pk)
        messages = [
            {"type": "message", **m.as_event(), "crisis_level": m.crisis_level}
            for m in session.messages.filter(seq__gt=after)
        ]
        events = [
            {"type": "event", **e.as_event()} for e in session.events.filter(seq__gt=after).select_related("actor")
        ]
        return messages, events, session.status

    def client_state(self):
        return clientstate.public(clientstate.current_state(self.session))

    async def do_whisper(self, content):
        await database_sync_to_async(actions.do_whisper)(self.scope["user"], await self.fresh(), content.get("text"))

    async def do_pause(self, content):
        await database_sync_to_async(actions.do_pause_session)(self.scope["user"], await self.fresh())

    async def do_resume(self, content):
        await database_sync_to_async(actions.do_resume_session)(self.scope["user"], await self.fresh())

    async def do_end(self, content):
        await database_sync_to_async(actions.do_end_session)(
            self.scope["user"], await self.fresh(), "ended by a supervisor"
        )

    async def do_takeover(self, content):
        await database_sync_to_async(actions.do_start_takeover)(self.scope["user"], await self.fresh())

    async def do_handback(self, content):
        await database_sync_to_async(actions.do_end_takeover)(self.scope["user"], await self.fresh())

    async def do_client_message(self, content):
        text, client_id = content.get("text"), content.get("id")
        if not isinstance(text, str) or not isinstance(client_id, str) or not 0 < len(client_id) <= MAX_CLIENT_ID:
            await self.error("bad_request", f"A message needs a text and an id of 1 to {MAX_CLIENT_ID} characters.")
            return
        message, created = await database_sync_to_async(actions.do_supervisor_client_reply)(
            self.scope["user"], await self.fresh(), client_id, text
        )
        await self.send_json({"type": "ack", "id": client_id, "seq": message.seq, "duplicate": not created})

    async def fresh(self):
        return await database_sync_to_async(Session.objects.select_related("trainee").get)(pk=self.session.pk)


# Not a 44xx refusal: static/pixel/dashboard.js reconnects on any other code.
CLOSE_COHORTS_CHANGED = 4000


class DashboardConsumer(JsonSocket):
    """Live alerts for the sessions of the cohorts a supervisor watches (admins: all cohorts)."""

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.cohorts = set()
        refusal = await self.refused()
        if refusal is not None:
            await self.close(code=refusal.code)
            return
        await self.accept()
        self.cohorts = set(await database_sync_to_async(supervised_cohort_ids)(user))
        await self.join(*[cohort_supervisors_group(cohort_id) for cohort_id in self.cohorts])

    def still_allowed(self, user):
        if not user.has_role("supervisor", "admin"):
            raise Refused(CLOSE_FORBIDDEN, "You no longer supervise anyone.")
        require_mfa(user)
        if not self.cohorts <= set(supervised_cohort_ids(user)):
            # Removed from a cohort: its alerts must stop. Closed with a code the page reconnects
            # after (not a 44xx refusal), so it joins the cohorts it still supervises.
            raise Refused(CLOSE_COHORTS_CHANGED, "You no longer supervise one of these cohorts.")

    async def receive_json(self, content, **kwargs):
        await self.send_json({"type": "pong"})
