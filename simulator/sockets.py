"""The base of Pixel's WebSocket consumers: JSON in and out, bad frames answered, not fatal, and the
person on the socket checked again while it is open (docs/supervision.md, "Socket hardening").

A socket outlives the HTTP request that opened it, so what was true at connect (signed in, active,
in the cohort, certified) is read again from the database every PIXEL_SOCKET_RECHECK_SECONDS by the
consumer itself: nothing is kept in one process that another server behind the load balancer needs.
"""

import asyncio
import json
import logging
import time
from collections import deque
from importlib import import_module

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, load_backend
from django.http import Http404
from django.utils.crypto import constant_time_compare

log = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
# RFC 6455: 1008 policy violation (too many frames), 1009 message too big, 1011 server error.
CLOSE_POLICY = 1008
CLOSE_TOO_BIG = 1009
CLOSE_SERVER_ERROR = 1011
# No frame of Pixel's protocol nests deeper than an object holding a list; 8 leaves room and stops
# a frame of nested brackets from costing recursion (json.loads raises RecursionError, not ValueError).
MAX_JSON_DEPTH = 8
# The largest sequence number a client may name: PostgreSQL's integer, so a huge JSON number is a
# bad request rather than a database error.
MAX_SEQ = 2**31 - 1


class Refused(Exception):
    """The person may no longer hold this socket: close it with `code` (44xx), telling them why."""

    def __init__(self, code, message="", error="access_ended"):
        super().__init__(message)
        self.code = code
        self.message = message
        self.error = error


def json_depth(value):
    """How deeply VALUE nests lists and objects (a scalar is 0), without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            if depth > MAX_JSON_DEPTH:
                return depth
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def _session_store(scope):
    """A fresh store for the socket's Django session, or None when the socket has none."""
    session = scope.get("session")
    key = getattr(session, "session_key", None) if session is not None else None
    if not key:
        return None
    return import_module(settings.SESSION_ENGINE).SessionStore(key)


def signed_in_user(scope):
    """The socket's user as the database has them now; raises Refused(4401) if their Django session
    is gone (signed out, or expired: the idle timeout), the user is deactivated, or their password
    changed since they signed in (Django's session hash). Read-only: never flushes or cycles the
    session, which belongs to the browser's HTTP side.

    A scope without a session never came through config/asgi.py's AuthMiddlewareStack (tests that
    set scope["user"] directly); its user is still re-read, so deactivation closes it too.
    """
    user = scope.get("user")
    if user is None or not user.is_authenticated:
        raise Refused(CLOSE_UNAUTHENTICATED, "You are signed out.")
    if "session" not in scope:
        fresh = type(user)._default_manager.filter(pk=user.pk, is_active=True).first()
        if fresh is None:
            raise Refused(CLOSE_UNAUTHENTICATED, "You are signed out.")
        return fresh
    store = _session_store(scope)
    data = store.load() if store is not None else {}
    backend_path = data.get(BACKEND_SESSION_KEY)
    if str(data.get(SESSION_KEY)) != str(user.pk) or backend_path not in settings.AUTHENTICATION_BACKENDS:
        raise Refused(CLOSE_UNAUTHENTICATED, "You are signed out.")
    fresh = load_backend(backend_path).get_user(user.pk)  # None when deactivated
    session_hash = data.get(HASH_SESSION_KEY) or ""
    if fresh is None or not session_hash:
        raise Refused(CLOSE_UNAUTHENTICATED, "You are signed out.")
    hashes = [fresh.get_session_auth_hash(), *fresh.get_session_auth_fallback_hash()]
    if not any(constant_time_compare(session_hash, h) for h in hashes):
        raise Refused(CLOSE_UNAUTHENTICATED, "You are signed out.")
    return fresh


def renew_session(scope):
    """Count socket activity as activity: push the Django session's expiry PIXEL_IDLE_MINUTES on,
    as a page request does (SESSION_SAVE_EVERY_REQUEST). A session already gone or expired is left
    gone (saving it would create a new, empty one). Returns whether it was renewed."""
    store = _session_store(scope)
    if store is None or not store.get(SESSION_KEY):
        return False
    store.modified = True
    try:
        store.save()
    except Exception:  # UpdateError: signed out between the read and the write.
        return False
    return True


class JsonSocket(AsyncJsonWebsocketConsumer):
    """Binary frames, invalid or too deep JSON, oversized frames and floods are answered or closed,
    never raised; `receive_json` sees None for junk. Subclasses say who may stay in `still_allowed`."""

    # Frame types that are the person at work (not the page reconnecting or keeping alive): they
    # renew the Django session's idle clock.
    ACTIVITY_TYPES = frozenset()

    async def websocket_connect(self, message):
        self.frame_times = deque(maxlen=settings.PIXEL_SOCKET_FRAMES_PER_SECOND)
        self.renewed_at = None
        self.watcher = None
        self.closing = False
        await super().websocket_connect(message)

    async def accept(self, subprotocol=None, headers=None):
        await super().accept(subprotocol, headers)
        self.watcher = asyncio.ensure_future(self.watch())

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        if self.closing:
            return  # frames already on their way when this socket was closed
        size = len(text_data.encode()) if text_data is not None else len(bytes_data or b"")
        if size > settings.PIXEL_SOCKET_MAX_FRAME_BYTES:
            await self.error("bad_request", f"Frames may be at most {settings.PIXEL_SOCKET_MAX_FRAME_BYTES} bytes.")
            await self.close(code=CLOSE_TOO_BIG)
            return
        now = time.monotonic()
        if len(self.frame_times) == self.frame_times.maxlen and now - self.frame_times[0] < 1:
            await self.error("rate_limited", f"At most {settings.PIXEL_SOCKET_FRAMES_PER_SECOND} frames a second.")
            await self.close(code=CLOSE_POLICY)
            return
        self.frame_times.append(now)
        if not text_data:
            await self.error("bad_request", "Send text frames holding JSON.")
            return
        content = await self.decode_json(text_data)
        if content is not None and json_depth(content) > MAX_JSON_DEPTH:
            await self.error("bad_request", "That JSON nests too deeply.")
            return
        if isinstance(content, dict) and content.get("type") in self.ACTIVITY_TYPES:
            await self.activity()
        try:
            await self.receive_json(content, **kwargs)
        except Exception:
            # A bug must not kill the socket (and with it the trainee's session view); it is logged
            # with its traceback and the sender told plainly.
            log.exception("%s failed on a frame", type(self).__name__)
            await self.error("server_error", "Something went wrong on our side. Try again.")

    async def decode_json(self, text_data):
        try:
            return json.loads(text_data)
        except (ValueError, RecursionError):
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

    # --- Who is on the socket, checked again while it is open ---------------------------------

    def still_allowed(self, user):
        """Raise Refused if USER (re-read from the database) may no longer hold this socket."""

    def check_access(self):
        """Everything connect checked, read again: signed in, active, and the consumer's own rules."""
        user = signed_in_user(self.scope)
        self.still_allowed(user)
        return user

    async def refused(self):
        """None if the person may (still) hold the socket, else the Refused saying why."""
        try:
            await database_sync_to_async(self.check_access)()
        except Refused as refusal:
            return refusal
        except Http404:
            return Refused(CLOSE_NOT_FOUND, "You may no longer see this session.")
        return None

    async def watch(self):
        interval = settings.PIXEL_SOCKET_RECHECK_SECONDS
        while True:
            await asyncio.sleep(interval)
            try:
                refusal = await self.refused()
            except Exception:
                # Unable to tell (the database is away): closing is the safe side; the page
                # reconnects with backoff and connect checks again.
                log.exception("%s could not re-check its user", type(self).__name__)
                refusal = Refused(CLOSE_SERVER_ERROR)
            if refusal is not None:
                if refusal.message:
                    await self.error(refusal.error, refusal.message)
                await self.close(code=refusal.code)
                return

    async def close(self, code=None, reason=None):
        self.closing = True
        self.stop_watching()
        await super().close(code=code, reason=reason)

    def stop_watching(self):
        watcher = getattr(self, "watcher", None)
        if watcher is not None and watcher is not asyncio.current_task():
            watcher.cancel()
        self.watcher = None

    async def activity(self):
        """The person is at work on this socket: renew their Django session's idle clock, at most
        once every PIXEL_SOCKET_ACTIVITY_SECONDS (each renewal is a database write)."""
        now = time.monotonic()
        if self.renewed_at is not None and now - self.renewed_at < settings.PIXEL_SOCKET_ACTIVITY_SECONDS:
            return
        self.renewed_at = now
        await database_sync_to_async(renew_session)(self.scope)

    async def join(self, *groups):
        self.joined_groups = getattr(self, "joined_groups", []) + list(groups)
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)

    async def disconnect(self, code):
        self.stop_watching()
        for group in getattr(self, "joined_groups", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def pixel_event(self, event):
        """Events sent to a channel group by simulator.events.emit/send_now."""
        await self.send_json(event["payload"])
